/* Shape inference and constant folding in one pass: every node runs its
 * reference kernel, in shape-only mode, or fully when all its inputs are
 * constant (then the node is removed and its outputs become constants).
 * Exporters' Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains fold
 * away once the input dimensions are bound. */
#ifndef PTQ_GRAPH_INFER_H
#define PTQ_GRAPH_INFER_H

#include "graph/graph.h"

typedef struct ptq__infer_options {
    bool fold;      /* fold constant subgraphs */
    bool fold_qdq;  /* also fold QuantizeLinear/DequantizeLinear of constants
                       (off when a backend must see the QDQ pattern) */
} ptq__infer_options;

/* Binds graph-input dims (shapes[i] for input i, or NULL to keep the model's
 * dims), then infers every value's dtype and shape. Fails naming the node
 * that cannot run. */
ptq_status ptq__graph_bind_inputs(ptq__graph *g, int n_shapes, const ptq_input_shape *shapes);
ptq_status ptq__graph_infer(ptq__graph *g, const ptq__infer_options *opt);

/* Multiply-accumulates of one run of an inferred graph. */
int64_t ptq__graph_macs(const ptq__graph *g);
/* Parameter count of a graph as loaded (before folding). */
int64_t ptq__graph_params(const ptq__graph *g);

#endif
