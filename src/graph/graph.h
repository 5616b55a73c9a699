/* The graph IR: values (tensors, possibly constant) and nodes (ONNX operators).
 * One representation serves import, passes, the backends and export; a
 * quantized model is the same graph with QuantizeLinear/DequantizeLinear. */
#ifndef PTQ_GRAPH_GRAPH_H
#define PTQ_GRAPH_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include "ptq/ptq.h"
#include "ops/op_list.h"

/* Values follow ONNX AttributeProto.AttributeType. */
typedef enum ptq__attr_type {
    PTQ__ATTR_UNDEFINED = 0,
    PTQ__ATTR_FLOAT = 1,
    PTQ__ATTR_INT = 2,
    PTQ__ATTR_STRING = 3,
    PTQ__ATTR_TENSOR = 4,
    PTQ__ATTR_GRAPH = 5,
    PTQ__ATTR_FLOATS = 6,
    PTQ__ATTR_INTS = 7,
    PTQ__ATTR_STRINGS = 8,
} ptq__attr_type;

typedef struct ptq__attr {
    char *name;
    ptq__attr_type type;
    float f;
    int64_t i;
    char *s;          /* STRING (NUL-terminated copy) */
    int n;            /* element count of floats / ints / strings */
    float *floats;
    int64_t *ints;
    char **strings;
    ptq_tensor *t;    /* TENSOR */
} ptq__attr;

typedef struct ptq__value {
    char *name;
    ptq_dtype dtype;            /* UNDEFINED until known */
    int rank;                   /* -1 until known */
    int64_t dims[PTQ_MAX_DIMS]; /* -1 for an unknown dimension */
    char *dim_param[PTQ_MAX_DIMS]; /* symbolic names of graph-input dims */
    ptq_tensor *data;           /* constant value (initializer or folded); owned */
    bool is_initializer;        /* came from the model's initializer list */
    int producer;               /* node index, or -1 */
} ptq__value;

typedef struct ptq__node {
    char *name;
    char *op_type;
    char *domain;         /* "" for the default ONNX domain */
    ptq__op op;           /* PTQ__OP_UNKNOWN if not in the op table */
    int opset;            /* opset of the node's domain */
    int n_inputs;
    int *inputs;          /* value indices; -1 for an omitted optional input */
    int n_outputs;
    int *outputs;
    int n_attrs;
    ptq__attr *attrs;
    bool dead;            /* removed by a pass; skipped everywhere */
} ptq__node;

typedef struct ptq__graph {
    ptq__value *values;
    int n_values, cap_values;
    ptq__node *nodes;
    int n_nodes, cap_nodes;
    int *inputs;   /* graph inputs that are not initializers */
    int n_inputs;
    int *outputs;
    int n_outputs;
    int64_t opset; /* default-domain opset */
    int64_t ir_version;
    char *name;
    char *producer_name;
    char *path;    /* file the model came from, for messages */
} ptq__graph;

ptq__graph *ptq__graph_new(void);
void ptq__graph_free(ptq__graph *g);
/* Deep copy (constant data included). */
ptq_status ptq__graph_clone(const ptq__graph *g, ptq__graph **out);

/* Returns the index of the value with this name, creating it if needed
 * (-1 on allocation failure). */
int ptq__graph_value(ptq__graph *g, const char *name);
int ptq__graph_find_value(const ptq__graph *g, const char *name);
/* Appends a node; returns its index or -1 on allocation failure. The strings
 * are copied; inputs/outputs are value indices. */
int ptq__graph_add_node(ptq__graph *g, const char *name, const char *op_type, const char *domain,
                        int n_inputs, const int *inputs, int n_outputs, const int *outputs);
/* Adds a copy of attr to the node. */
ptq_status ptq__node_add_attr(ptq__node *n, const ptq__attr *attr);
void ptq__attr_clear(ptq__attr *a);

/* Attribute lookup. */
const ptq__attr *ptq__node_attr(const ptq__node *n, const char *name);
int64_t ptq__node_attr_int(const ptq__node *n, const char *name, int64_t dflt);
float ptq__node_attr_float(const ptq__node *n, const char *name, float dflt);
/* NULL if absent; the string is owned by the node. */
const char *ptq__node_attr_string(const ptq__node *n, const char *name, const char *dflt);
/* Number of ints (0 if absent); *ints_out points into the node. */
int ptq__node_attr_ints(const ptq__node *n, const char *name, const int64_t **ints_out);
int ptq__node_attr_floats(const ptq__node *n, const char *name, const float **floats_out);

/* Sorts nodes topologically (dead nodes dropped). Fails on a cycle or on an
 * input that no node, initializer or graph input provides. */
ptq_status ptq__graph_toposort(ptq__graph *g);
/* Number of live nodes consuming value v (graph outputs count as one). */
int ptq__graph_consumers(const ptq__graph *g, int v);
/* Drops dead nodes and values no live node or graph output refers to. */
ptq_status ptq__graph_compact(ptq__graph *g);

/* Copies dtype/rank/dims of src into dst with data NULL. */
void ptq__tensor_set_shape_only(ptq_tensor *dst, const ptq_tensor *src);

/* "node 'conv1' (Conv, opset 13)" into buf, for messages. */
const char *ptq__node_desc(const ptq__node *n, char *buf, size_t size);

#endif
