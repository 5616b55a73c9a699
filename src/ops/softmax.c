/* softmax.c: reference kernel of Softmax, float32.
 *
 *   y_i = exp(x_i - max_j x_j) / sum_j exp(x_j - max_j x_j)
 *
 * over a set of elements j that depends on the opset:
 *   opset < 13:  X is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])]
 *                (axis default 1) and each row is normalized;
 *   opset >= 13: along the single axis `axis` (default -1).
 * Negative axes count from the end. Sums are accumulated in float. */
#include "ops/kernel.h"

#include <math.h>

ptq_status ptq__kernel_softmax(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_FLOAT32))) return st;
    const ptq_tensor *X = ctx->in[0];
    int legacy = ctx->opset < 13;
    int64_t axis = ptq__node_attr_int(ctx->node, "axis", legacy ? 1 : -1);
    int rank = X->rank;
    if (axis < -rank || axis >= (rank > 0 ? rank : 1))
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axis %lld out of range for rank %d", (long long)axis, rank);
    if (axis < 0) axis += rank;
    ptq_tensor *Y;
    if ((st = ptq__kernel_output_like(ctx, 0, PTQ_DTYPE_FLOAT32, X, &Y)) || ctx->shape_only || !Y) return st;

    /* outer x n x inner, normalizing over n with stride inner. */
    int64_t outer = 1, n = 1, inner = 1;
    for (int d = 0; d < rank; d++) {
        if (d < axis) outer *= X->dims[d];
        else if (d == axis || legacy) n *= X->dims[d];
        else inner *= X->dims[d];
    }
    const float *x = X->data;
    float *y = Y->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xs = x + o * n * inner + i;
            float *ys = y + o * n * inner + i;
            float mx = -INFINITY, sum = 0.0f;
            for (int64_t j = 0; j < n; j++)
                if (xs[j * inner] > mx) mx = xs[j * inner];
            for (int64_t j = 0; j < n; j++) {
                ys[j * inner] = expf(xs[j * inner] - mx);
                sum += ys[j * inner];
            }
            for (int64_t j = 0; j < n; j++) ys[j * inner] /= sum;
        }
    return PTQ_STATUS_OK;
}
