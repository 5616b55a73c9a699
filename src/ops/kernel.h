/* The reference-kernel interface. One function per operator family computes
 * both the output shapes and the outputs:
 *   - it validates inputs and attributes, reporting problems with
 *     ptq__kernel_fail (the message is prefixed with the node, op and opset);
 *   - it declares each output with ptq__kernel_output, which allocates the
 *     tensor unless ctx->shape_only;
 *   - when ctx->shape_only it returns right after declaring outputs. Inputs
 *     then carry dtype and dims, and data only when the value is constant
 *     (kernels that need an input's values to know a shape, like Reshape,
 *     fail with UNSUPPORTED if that data is NULL).
 * Reference kernels are the specification: plain scalar C, exact. */
#ifndef PTQ_OPS_KERNEL_H
#define PTQ_OPS_KERNEL_H

#include <stdbool.h>
#include "graph/graph.h"
#include "core/status.h"

typedef struct ptq__kernel_ctx {
    const ptq__node *node;
    int opset;
    int n_in;
    const ptq_tensor *const *in; /* in[i] NULL for an omitted optional input */
    int n_out;
    ptq_tensor **out;            /* filled by ptq__kernel_output */
    bool shape_only;
} ptq__kernel_ctx;

typedef ptq_status (*ptq__kernel_fn)(ptq__kernel_ctx *ctx);

/* Declares output i: creates the tensor with these dtype/dims (data NULL in
 * shape-only mode, zero-filled otherwise) and stores it in ctx->out[i]. */
ptq_status ptq__kernel_output(ptq__kernel_ctx *ctx, int i, ptq_dtype dtype, int rank, const int64_t *dims,
                              ptq_tensor **out);
/* Declares output i as a tensor shaped like `like` (dtype may differ). */
ptq_status ptq__kernel_output_like(ptq__kernel_ctx *ctx, int i, ptq_dtype dtype, const ptq_tensor *like,
                                   ptq_tensor **out);
/* Fails with "node 'x' (Op, opset N): <message>". */
ptq_status ptq__kernel_fail(const ptq__kernel_ctx *ctx, ptq_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Input i, or NULL when omitted/out of range. */
static inline const ptq_tensor *ptq__kernel_in(const ptq__kernel_ctx *ctx, int i)
{
    return i < ctx->n_in ? ctx->in[i] : NULL;
}
/* Checks that input i is present (and, when dtype != UNDEFINED, has that dtype). */
ptq_status ptq__kernel_require(const ptq__kernel_ctx *ctx, int i, ptq_dtype dtype);
/* ptq__kernel_require for inputs 0 .. n-1, in that order. */
ptq_status ptq__kernel_require_n(const ptq__kernel_ctx *ctx, int n, ptq_dtype dtype);

/* Numpy-style broadcast of two shapes into out (rank_out set). */
ptq_status ptq__broadcast_shape(const ptq__kernel_ctx *ctx, const ptq_tensor *a, const ptq_tensor *b,
                                int *rank_out, int64_t *dims_out);
/* Reads element i of an integer tensor (int32/int64/int8/uint8...) as int64. */
int64_t ptq__tensor_get_int(const ptq_tensor *t, int64_t i);
/* Stores v into element i of an integer tensor (int8..int64, uint8..uint64),
 * wrapping to the type's width (two's complement); other dtypes: no-op. */
void ptq__tensor_set_int(ptq_tensor *t, int64_t i, int64_t v);
/* Reads element i of a numeric tensor as double. */
double ptq__tensor_get_double(const ptq_tensor *t, int64_t i);
/* Sets a tensor header (no data) */
void ptq__tensor_set_shape(ptq_tensor *t, ptq_dtype dtype, int rank, const int64_t *dims);

/* The kernels (defined in src/ops), generated from the op table. */
#define PTQ__KERNEL_DECL(e, name, fn) ptq_status fn(ptq__kernel_ctx *ctx);
PTQ_OP_LIST(PTQ__KERNEL_DECL)
#undef PTQ__KERNEL_DECL

/* Reference kernel of an op (NULL for UNKNOWN). */
ptq__kernel_fn ptq__op_kernel(ptq__op op);

#endif
