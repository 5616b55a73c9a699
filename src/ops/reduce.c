/* ReduceMean reference kernel (float32/float64; double accumulation).
 *
 * Axes come from the `axes` attribute before opset 18 and from the optional
 * `axes` input (constant in shape-only mode) from opset 18. No axes means
 * all axes, unless noop_with_empty_axes = 1 (then the input is returned).
 * keepdims (default 1) keeps reduced dimensions as 1. */
#include "ops/kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ptq_status ptq__kernel_reduce_mean(ptq__kernel_ctx *ctx)
{
    ptq_status st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_UNDEFINED);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    int r = x->rank;
    if (x->dtype != PTQ_DTYPE_FLOAT32 && x->dtype != PTQ_DTYPE_FLOAT64)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "input dtype %s is not supported (float32, float64)",
                                ptq_dtype_name(x->dtype));
    if (r > PTQ_MAX_DIMS) return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "rank %d (at most %d)", r, PTQ_MAX_DIMS);
    int64_t axes[PTQ_MAX_DIMS];
    int na = 0;
    if (ctx->opset < 18) {
        const int64_t *a;
        na = ptq__node_attr_ints(ctx->node, "axes", &a);
        if (na > r) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%d axes for rank %d", na, r);
        if (na) memcpy(axes, a, sizeof *a * (size_t)na);
    } else if (ptq__kernel_in(ctx, 1)) {
        const ptq_tensor *at = ctx->in[1];
        if (at->dtype != PTQ_DTYPE_INT64)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axes have dtype %s, expected int64", ptq_dtype_name(at->dtype));
        if (!at->data)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "axes are computed at run time; ptq needs them constant");
        if (ptq_tensor_numel(at) > r)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%lld axes for rank %d", (long long)ptq_tensor_numel(at), r);
        na = (int)ptq_tensor_numel(at);
        for (int k = 0; k < na; k++) axes[k] = ((const int64_t *)at->data)[k];
    }
    bool keepdims = ptq__node_attr_int(ctx->node, "keepdims", 1) != 0;
    bool noop = ptq__node_attr_int(ctx->node, "noop_with_empty_axes", 0) != 0;
    bool red[PTQ_MAX_DIMS] = {false};
    if (na == 0 && noop) {
        ptq_tensor *y;
        if ((st = ptq__kernel_output_like(ctx, 0, x->dtype, x, &y))) return st;
        if (!ctx->shape_only && y) memcpy(y->data, x->data, (size_t)ptq_tensor_numel(x) * ptq_dtype_size(x->dtype));
        return PTQ_STATUS_OK;
    }
    for (int k = 0; k < na; k++) {
        int64_t a = axes[k];
        if (a < -r || a >= r) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axis %lld out of range for rank %d", (long long)a, r);
        if (a < 0) a += r;
        if (red[a]) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axis %lld is repeated", (long long)a);
        red[a] = true;
    }
    if (na == 0)
        for (int d = 0; d < r; d++) red[d] = true;
    int64_t dims[PTQ_MAX_DIMS], count = 1;
    int ro = 0;
    for (int d = 0; d < r; d++) {
        if (red[d]) count *= x->dims[d];
        if (!red[d]) dims[ro++] = x->dims[d];
        else if (keepdims) dims[ro++] = 1;
    }
    ptq_tensor *y;
    if ((st = ptq__kernel_output(ctx, 0, x->dtype, ro, dims, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    /* Output strides over the input's dims (0 on reduced axes). */
    int64_t ostride[PTQ_MAX_DIMS], s = 1;
    for (int d = r - 1; d >= 0; d--) {
        ostride[d] = red[d] ? 0 : s;
        if (!red[d]) s *= x->dims[d];
    }
    int64_t no = ptq_tensor_numel(y), n = ptq_tensor_numel(x);
    double *acc = calloc((size_t)no + 1, sizeof *acc);
    if (!acc) return ptq__oom();
    int64_t idx[PTQ_MAX_DIMS] = {0}, o = 0;
    for (int64_t i = 0; i < n; i++) {
        acc[o] += ptq__tensor_get_double(x, i);
        for (int d = r - 1; d >= 0; d--) {
            o += ostride[d];
            if (++idx[d] < x->dims[d]) break;
            o -= ostride[d] * x->dims[d];
            idx[d] = 0;
        }
    }
    for (int64_t j = 0; j < no; j++) {
        double m = count ? acc[j] / (double)count : NAN;
        if (y->dtype == PTQ_DTYPE_FLOAT32) ((float *)y->data)[j] = (float)m;
        else ((double *)y->data)[j] = m;
    }
    free(acc);
    return PTQ_STATUS_OK;
}
