/* window.c: the sliding-window geometry of Conv and pooling (see window.h). */
#include "ops/window.h"

#include <string.h>

/* Bounds on the attributes (kernel, stride, dilation, pads) and on the input
 * size per axis: with them, the geometry below never overflows int64. */
#define WINDOW_MAX_ATTR ((int64_t)INT32_MAX)
#define WINDOW_MAX_SIZE ((int64_t)1 << 40)

/* *acc *= v, or 0 when the product would exceed WINDOW_MAX_SIZE. */
static int window_mul(int64_t *acc, int64_t v)
{
    if (v > 0 && *acc > WINDOW_MAX_SIZE / v) return 0;
    *acc *= v;
    return 1;
}

ptq_status ptq__window_check_input(const ptq__kernel_ctx *ctx, const ptq_tensor *X)
{
    if (X->rank < 3)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "input has rank %d, expected N x C x spatial (rank >= 3)", X->rank);
    return PTQ_STATUS_OK;
}

ptq_status ptq__window_geometry(const ptq__kernel_ctx *ctx, const ptq_tensor *X, const int64_t *kernel, int flags,
                                ptq__window *w)
{
    const ptq__node *node = ctx->node;
    int pool = (flags & PTQ__WINDOW_POOL) != 0;
    memset(w, 0, sizeof *w);
    w->nsp = X->rank - 2;
    const int64_t *ks, *strides, *dils, *pads;
    int nks = ptq__node_attr_ints(node, "kernel_shape", &ks);
    int nst = ptq__node_attr_ints(node, "strides", &strides);
    int ndl = ptq__node_attr_ints(node, "dilations", &dils);
    int npd = ptq__node_attr_ints(node, "pads", &pads);
    const char *auto_pad = ptq__node_attr_string(node, "auto_pad", "NOTSET");
    int64_t ceil_mode = pool ? ptq__node_attr_int(node, "ceil_mode", 0) : 0;
    if (pool && nks != w->nsp)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "kernel_shape has %d values, expected %d (one per spatial axis)",
                                nks, w->nsp);
    if (!pool && nks && nks != w->nsp)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "kernel_shape has %d values, expected %d", nks, w->nsp);
    if (nst && nst != w->nsp)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "strides has %d values, expected %d", nst, w->nsp);
    if (ndl && ndl != w->nsp)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "dilations has %d values, expected %d", ndl, w->nsp);
    if (ndl && (flags & PTQ__WINDOW_NO_DILATIONS))
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "AveragePool has dilations only from opset 19");
    if (npd && npd != 2 * w->nsp)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "pads has %d values, expected %d", npd, 2 * w->nsp);
    int same_upper = !strcmp(auto_pad, "SAME_UPPER"), same_lower = !strcmp(auto_pad, "SAME_LOWER");
    int valid = !strcmp(auto_pad, "VALID");
    if (!same_upper && !same_lower && !valid && strcmp(auto_pad, "NOTSET"))
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID",
                                auto_pad);
    if (npd && (same_upper || same_lower || valid))
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "pads cannot be given together with auto_pad '%s'", auto_pad);

    w->in_size = w->out_size = w->k_size = 1;
    for (int d = 0; d < w->nsp; d++) {
        w->in[d] = X->dims[2 + d];
        w->k[d] = pool ? ks[d] : kernel[d];
        if (!pool && nks && ks[d] != w->k[d])
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "kernel_shape[%d] = %lld differs from the weight's %lld", d,
                                    (long long)ks[d], (long long)w->k[d]);
        w->stride[d] = nst ? strides[d] : 1;
        w->dil[d] = ndl ? dils[d] : 1;
        if (w->stride[d] < 1 || w->dil[d] < 1 || w->k[d] < 1)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                    "spatial axis %d: stride %lld, dilation %lld and kernel %lld must be >= 1", d,
                                    (long long)w->stride[d], (long long)w->dil[d], (long long)w->k[d]);
        if (w->stride[d] > WINDOW_MAX_ATTR || w->dil[d] > WINDOW_MAX_ATTR || w->k[d] > WINDOW_MAX_ATTR)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                    "spatial axis %d: stride %lld, dilation %lld and kernel %lld must be <= %lld", d,
                                    (long long)w->stride[d], (long long)w->dil[d], (long long)w->k[d], (long long)WINDOW_MAX_ATTR);
        if (w->in[d] > WINDOW_MAX_SIZE)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "spatial axis %d: input size %lld too large", d,
                                    (long long)w->in[d]);
        int64_t ext = (w->k[d] - 1) * w->dil[d] + 1; /* dilated kernel extent */
        if (same_upper || same_lower) {
            w->out[d] = (w->in[d] + w->stride[d] - 1) / w->stride[d];
            int64_t total = (w->out[d] - 1) * w->stride[d] + ext - w->in[d];
            if (total < 0) total = 0;
            w->pad_b[d] = same_upper ? total / 2 : total - total / 2;
            w->pad_e[d] = total - w->pad_b[d];
        } else {
            w->pad_b[d] = npd ? pads[d] : 0;
            w->pad_e[d] = npd ? pads[w->nsp + d] : 0;
            if (w->pad_b[d] < 0 || w->pad_e[d] < 0 || w->pad_b[d] > WINDOW_MAX_ATTR || w->pad_e[d] > WINDOW_MAX_ATTR)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "pads of spatial axis %d (%lld, %lld) are negative or above %lld",
                                        d, (long long)w->pad_b[d], (long long)w->pad_e[d], (long long)WINDOW_MAX_ATTR);
            if (pool && (w->pad_b[d] >= ext || w->pad_e[d] >= ext))
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                        "pads of spatial axis %d (%lld, %lld) must be smaller than the kernel extent %lld", d,
                                        (long long)w->pad_b[d], (long long)w->pad_e[d], (long long)ext);
            int64_t span = w->in[d] + w->pad_b[d] + w->pad_e[d] - ext;
            if (span < 0)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                        "spatial axis %d: padded input %lld is smaller than the %s %lld", d,
                                        (long long)(w->in[d] + w->pad_b[d] + w->pad_e[d]),
                                        pool ? "kernel extent" : "dilated kernel", (long long)ext);
            if (ceil_mode && !valid) {
                w->out[d] = (span + w->stride[d] - 1) / w->stride[d] + 1;
                if ((w->out[d] - 1) * w->stride[d] >= w->in[d] + w->pad_b[d]) w->out[d]--;
            } else {
                w->out[d] = span / w->stride[d] + 1;
            }
        }
        if (!window_mul(&w->in_size, w->in[d]) || !window_mul(&w->out_size, w->out[d]) || !window_mul(&w->k_size, w->k[d]))
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "spatial sizes too large (input, output or kernel above %lld elements)",
                                    (long long)WINDOW_MAX_SIZE);
    }
    return PTQ_STATUS_OK;
}
