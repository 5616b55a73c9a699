/* window.h: the sliding-window geometry shared by the convolution (conv.c)
 * and pooling (pool.c) kernels, NCHW with any spatial rank.
 *
 * Window of output position o along a spatial axis (kernel k, stride s,
 * dilation d): input coordinates o*s - pad_begin + t*d for t = 0 .. k-1.
 * Output size per axis (ext = (k-1)*d + 1, the dilated kernel extent):
 *
 *   NOTSET/explicit  out = floor((in + pad_begin + pad_end - ext) / s) + 1;
 *                    pooling with ceil_mode: ceil(...) + 1, dropping a last
 *                    window that would start past in + pad_begin (as ONNX
 *                    Runtime and PyTorch do)
 *   VALID            the same with zero pads (and no ceil_mode)
 *   SAME_UPPER/LOWER out = ceil(in / s); total pad = max(0, (out-1)*s + ext - in),
 *                    the odd pixel at the end (UPPER) or at the beginning (LOWER) */
#ifndef PTQ_OPS_WINDOW_H
#define PTQ_OPS_WINDOW_H

#include "ops/kernel.h"

#define PTQ__WINDOW_MAX_SP (PTQ_MAX_DIMS - 2)

typedef struct ptq__window {
    int nsp; /* spatial rank */
    int64_t in[PTQ__WINDOW_MAX_SP], out[PTQ__WINDOW_MAX_SP], k[PTQ__WINDOW_MAX_SP];
    int64_t stride[PTQ__WINDOW_MAX_SP], dil[PTQ__WINDOW_MAX_SP], pad_b[PTQ__WINDOW_MAX_SP], pad_e[PTQ__WINDOW_MAX_SP];
    int64_t in_size, out_size, k_size; /* products over the spatial axes */
} ptq__window;

enum {
    /* Pooling rules: kernel_shape is required (kernel == NULL), pads must be
     * smaller than the kernel extent, ceil_mode is honoured. */
    PTQ__WINDOW_POOL = 1,
    /* Rejects dilations (AveragePool before opset 19). */
    PTQ__WINDOW_NO_DILATIONS = 2,
};

/* Fails unless X is N x C x spatial (rank >= 3). */
ptq_status ptq__window_check_input(const ptq__kernel_ctx *ctx, const ptq_tensor *X);

/* Reads kernel_shape, strides, dilations, pads and auto_pad of ctx->node and
 * computes the window geometry over the spatial axes of X (rank >= 3,
 * checked by ptq__window_check_input). kernel: the kernel sizes taken from
 * the weight (convolution; kernel_shape is then optional and must agree), or
 * NULL with PTQ__WINDOW_POOL (the sizes come from kernel_shape). */
ptq_status ptq__window_geometry(const ptq__kernel_ctx *ctx, const ptq_tensor *X, const int64_t *kernel, int flags,
                                ptq__window *w);

#endif
