/* pool.c: reference kernels of MaxPool, AveragePool (NCHW, any spatial rank)
 * and GlobalAveragePool / GlobalMaxPool.
 *
 * The window geometry (kernel_shape, strides, dilations, pads, auto_pad,
 * ceil_mode and the output size) is computed by window.h.
 *
 * MaxPool: maximum over taps inside the input (padding never wins); float32,
 * int8 and uint8. Optional Indices (int64): the flat index of the maximum in
 * X (batch and channel included), row-major for storage_order 0, spatial axes
 * column-major for storage_order 1. The first maximum wins.
 * AveragePool: sum over taps inside the input divided by the number of taps
 * inside the input (count_include_pad 0) or inside the padded input, i.e.
 * [-pad_begin, in + pad_end) (count_include_pad 1). float32. */
#include "ops/kernel.h"
#include "ops/window.h"

#include <math.h>
#include <stdlib.h>

/* Reads element i of a float32 / int8 / uint8 tensor as float (exact). */
static float pool_load(const ptq_tensor *t, const void *data, int64_t i)
{
    switch (t->dtype) {
    case PTQ_DTYPE_INT8: return ((const int8_t *)data)[i];
    case PTQ_DTYPE_UINT8: return ((const uint8_t *)data)[i];
    default: return ((const float *)data)[i];
    }
}

static void pool_store(ptq_tensor *t, int64_t i, float v)
{
    switch (t->dtype) {
    case PTQ_DTYPE_INT8: ((int8_t *)t->data)[i] = (int8_t)v; break;
    case PTQ_DTYPE_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    default: ((float *)t->data)[i] = v; break;
    }
}

ptq_status ptq__kernel_pool(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    int is_max = ctx->node->op == PTQ__OP_MAX_POOL;
    if ((st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *X = ctx->in[0];
    if (X->dtype != PTQ_DTYPE_FLOAT32 && !(is_max && (X->dtype == PTQ_DTYPE_INT8 || X->dtype == PTQ_DTYPE_UINT8)))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "input dtype %s not supported (%s)", ptq_dtype_name(X->dtype),
                                is_max ? "float32, int8, uint8" : "float32 only");
    int64_t storage_order = ptq__node_attr_int(ctx->node, "storage_order", 0);
    int64_t include_pad = ptq__node_attr_int(ctx->node, "count_include_pad", 0);
    if (storage_order != 0 && storage_order != 1)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "storage_order is %lld, must be 0 or 1", (long long)storage_order);
    if (!is_max && ctx->n_out > 1)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "AveragePool has one output, node has %d", ctx->n_out);
    ptq__window g;
    int flags = PTQ__WINDOW_POOL | (!is_max && ctx->opset < 19 ? PTQ__WINDOW_NO_DILATIONS : 0);
    if ((st = ptq__window_check_input(ctx, X)) || (st = ptq__window_geometry(ctx, X, NULL, flags, &g))) return st;
    int64_t planes = X->dims[0] * X->dims[1];
    int64_t ydims[PTQ_MAX_DIMS];
    ydims[0] = X->dims[0];
    ydims[1] = X->dims[1];
    for (int d = 0; d < g.nsp; d++) ydims[2 + d] = g.out[d];
    ptq_tensor *Y, *I = NULL;
    if ((st = ptq__kernel_output(ctx, 0, X->dtype, X->rank, ydims, &Y))) return st;
    if (is_max && (st = ptq__kernel_output(ctx, 1, PTQ_DTYPE_INT64, X->rank, ydims, &I))) return st;
    if (ctx->shape_only || !Y) return PTQ_STATUS_OK;

    /* Kernel tap coordinates, tap-major. */
    int64_t *taps = malloc(sizeof(int64_t) * (size_t)(g.k_size * g.nsp));
    if (!taps) return ptq__oom();
    for (int64_t kk = 0; kk < g.k_size; kk++) {
        int64_t rest = kk;
        for (int d = g.nsp - 1; d >= 0; d--) {
            taps[kk * g.nsp + d] = rest % g.k[d];
            rest /= g.k[d];
        }
    }
    int64_t *out_idx = I ? I->data : NULL;
    for (int64_t pl = 0; pl < planes; pl++) {
        const void *x = (const char *)X->data + (size_t)(pl * g.in_size) * ptq_dtype_size(X->dtype);
        for (int64_t p = 0; p < g.out_size; p++) {
            int64_t start[PTQ__WINDOW_MAX_SP], rest = p;
            for (int d = g.nsp - 1; d >= 0; d--) {
                start[d] = (rest % g.out[d]) * g.stride[d] - g.pad_b[d];
                rest /= g.out[d];
            }
            float best = -INFINITY, sum = 0.0f;
            int64_t best_at = -1, count = 0;
            for (int64_t kk = 0; kk < g.k_size; kk++) {
                int64_t off = 0, col_off = 0, col_stride = 1;
                int inside = 1, in_padded = 1;
                for (int d = 0; d < g.nsp; d++) {
                    int64_t i = start[d] + taps[kk * g.nsp + d] * g.dil[d];
                    if (i < 0 || i >= g.in[d]) inside = 0;
                    if (i < -g.pad_b[d] || i >= g.in[d] + g.pad_e[d]) in_padded = 0;
                    off = off * g.in[d] + i;
                    col_off += i * col_stride;
                    col_stride *= g.in[d];
                }
                if (!inside) {
                    if (in_padded && include_pad) count++;
                    continue;
                }
                float v = pool_load(X, x, off);
                count++;
                if (is_max) {
                    if (v > best || best_at < 0) {
                        best = v;
                        best_at = storage_order ? col_off : off;
                    }
                } else {
                    sum += v;
                }
            }
            int64_t o = pl * g.out_size + p;
            if (is_max) {
                pool_store(Y, o, best_at >= 0 ? best : 0.0f);
                if (out_idx) out_idx[o] = best_at >= 0 ? pl * g.in_size + best_at : -1;
            } else {
                pool_store(Y, o, count ? sum / (float)count : 0.0f);
            }
        }
    }
    free(taps);
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_global_pool(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    int is_max = ctx->node->op == PTQ__OP_GLOBAL_MAX_POOL;
    if ((st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_FLOAT32))) return st;
    const ptq_tensor *X = ctx->in[0];
    if ((st = ptq__window_check_input(ctx, X))) return st;
    int64_t ydims[PTQ_MAX_DIMS], plane = 1;
    ydims[0] = X->dims[0];
    ydims[1] = X->dims[1];
    for (int d = 2; d < X->rank; d++) {
        ydims[d] = 1;
        plane *= X->dims[d];
    }
    if (plane == 0) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "input has an empty spatial extent");
    ptq_tensor *Y;
    if ((st = ptq__kernel_output(ctx, 0, PTQ_DTYPE_FLOAT32, X->rank, ydims, &Y)) || ctx->shape_only || !Y) return st;
    const float *x = X->data;
    float *y = Y->data;
    for (int64_t pl = 0; pl < X->dims[0] * X->dims[1]; pl++) {
        const float *xp = x + pl * plane;
        if (is_max) {
            float best = xp[0];
            for (int64_t i = 1; i < plane; i++)
                if (xp[i] > best) best = xp[i];
            y[pl] = best;
        } else {
            float sum = 0.0f;
            for (int64_t i = 0; i < plane; i++) sum += xp[i];
            y[pl] = sum / (float)plane;
        }
    }
    return PTQ_STATUS_OK;
}
