/* conv.c: reference kernels of Conv (float32), ConvInteger (uint8/int8 ->
 * int32) and QLinearConv (uint8/int8 -> uint8/int8), NCHW, any spatial rank
 * (1-D, 2-D, 3-D, ...), with groups (depthwise included), strides,
 * dilations, explicit pads and auto_pad.
 *
 * Definition (per batch n, output channel m in group g, output position o):
 *
 *   y[n][m][o] = bias[m] + sum_{c in group g} sum_{k in kernel}
 *                x[n][c][o * stride - pad_begin + k * dilation] * w[m][c - g*Cg][k]
 *
 * where x outside the input is 0 (for the integer ops: equal to the input zero
 * point, i.e. 0 after subtracting it). The output size per spatial axis
 * (explicit pads, VALID, SAME_UPPER/LOWER) is computed by window.h.
 *
 * Computation: im2col through a gather map shared by all channels, then the
 * plain GEMM of gemm_ref.h (float accumulation for Conv, exact int32 for the
 * integer ops). QLinearConv then requantizes the int32 sum with requant.h. */
#include "ops/gemm_ref.h"
#include "ops/kernel.h"
#include "ops/requant.h"
#include "ops/window.h"

#include <stdlib.h>
#include <string.h>

typedef struct conv_geom {
    ptq__window w; /* spatial geometry */
    int64_t batch, c_in, c_out, group;
    int64_t cg, mg; /* input / output channels per group */
} conv_geom;

static ptq_status conv_geom_init(const ptq__kernel_ctx *ctx, const ptq_tensor *X, const ptq_tensor *W, conv_geom *g)
{
    memset(g, 0, sizeof *g);
    ptq_status st;
    if ((st = ptq__window_check_input(ctx, X))) return st;
    if (W->rank != X->rank)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "weight has rank %d, expected %d (same as the input)", W->rank,
                                X->rank);
    g->batch = X->dims[0];
    g->c_in = X->dims[1];
    g->c_out = W->dims[0];
    g->group = ptq__node_attr_int(ctx->node, "group", 1);
    if (g->group < 1)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "group is %lld, must be >= 1", (long long)g->group);
    if (g->c_in % g->group || g->c_out % g->group)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                "group %lld does not divide the input channels (%lld) and output channels (%lld)",
                                (long long)g->group, (long long)g->c_in, (long long)g->c_out);
    g->cg = g->c_in / g->group;
    g->mg = g->c_out / g->group;
    if (W->dims[1] != g->cg)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                "weight has %lld input channels, expected C/group = %lld/%lld = %lld", (long long)W->dims[1],
                                (long long)g->c_in, (long long)g->group, (long long)g->cg);
    if ((st = ptq__window_geometry(ctx, X, W->dims + 2, 0, &g->w))) return st;
    if (g->w.in_size > INT32_MAX)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "spatial size %lld too large", (long long)g->w.in_size);
    return PTQ_STATUS_OK;
}

static void conv_out_dims(const conv_geom *g, int64_t *dims)
{
    dims[0] = g->batch;
    dims[1] = g->c_out;
    for (int d = 0; d < g->w.nsp; d++) dims[2 + d] = g->w.out[d];
}

/* True when im2col would copy the input unchanged (1x1 kernel, stride 1, no pad). */
static int conv_is_pointwise(const conv_geom *g)
{
    for (int d = 0; d < g->w.nsp; d++)
        if (g->w.k[d] != 1 || g->w.stride[d] != 1 || g->w.pad_b[d] || g->w.pad_e[d]) return 0;
    return 1;
}

/* The im2col gather map: map[kk * out_size + p] is the offset inside one
 * input channel read by kernel tap kk at output position p, or -1 for padding.
 * It is the same for every channel, group and batch. */
static int32_t *conv_gather_map(const ptq__window *w)
{
    int32_t *map = malloc(sizeof(int32_t) * (size_t)(w->k_size * w->out_size));
    if (!map) return NULL;
    int64_t kidx[PTQ__WINDOW_MAX_SP], oidx[PTQ__WINDOW_MAX_SP];
    for (int64_t kk = 0; kk < w->k_size; kk++) {
        int64_t krest = kk; /* kk -> kernel coordinates */
        for (int d = w->nsp - 1; d >= 0; d--) {
            kidx[d] = krest % w->k[d];
            krest /= w->k[d];
        }
        for (int64_t p = 0; p < w->out_size; p++) {
            int64_t rest = p;
            for (int d = w->nsp - 1; d >= 0; d--) {
                oidx[d] = rest % w->out[d];
                rest /= w->out[d];
            }
            int64_t off = 0;
            int inside = 1;
            for (int d = 0; d < w->nsp; d++) {
                int64_t i = oidx[d] * w->stride[d] - w->pad_b[d] + kidx[d] * w->dil[d];
                if (i < 0 || i >= w->in[d]) inside = 0;
                off = off * w->in[d] + i;
            }
            map[kk * w->out_size + p] = inside ? (int32_t)off : -1;
        }
    }
    return map;
}

/* col[(c * k_size + kk) * out_size + p] = x[c][map[kk][p]] (0 for padding). */
static void im2col_f32(const conv_geom *g, const int32_t *map, const float *x, float *col)
{
    for (int64_t c = 0; c < g->cg; c++)
        for (int64_t kk = 0; kk < g->w.k_size; kk++) {
            const float *xc = x + c * g->w.in_size;
            const int32_t *mrow = map + kk * g->w.out_size;
            float *dst = col + (c * g->w.k_size + kk) * g->w.out_size;
            for (int64_t p = 0; p < g->w.out_size; p++) dst[p] = mrow[p] >= 0 ? xc[mrow[p]] : 0.0f;
        }
}

static void im2col_s32(const conv_geom *g, const int32_t *map, const int32_t *x, int32_t *col)
{
    for (int64_t c = 0; c < g->cg; c++)
        for (int64_t kk = 0; kk < g->w.k_size; kk++) {
            const int32_t *xc = x + c * g->w.in_size;
            const int32_t *mrow = map + kk * g->w.out_size;
            int32_t *dst = col + (c * g->w.k_size + kk) * g->w.out_size;
            for (int64_t p = 0; p < g->w.out_size; p++) dst[p] = mrow[p] >= 0 ? xc[mrow[p]] : 0;
        }
}

static ptq_status conv_bias_check(const ptq__kernel_ctx *ctx, const ptq_tensor *B, ptq_dtype dtype, int64_t m)
{
    if (!B) return PTQ_STATUS_OK;
    if (B->dtype != dtype)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "bias has dtype %s, expected %s", ptq_dtype_name(B->dtype),
                                ptq_dtype_name(dtype));
    if (B->rank != 1 || B->dims[0] != m)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "bias must be 1-D with %lld elements (output channels)",
                                (long long)m);
    return PTQ_STATUS_OK;
}

/* ---- Conv (float32) ------------------------------------------------------ */

ptq_status ptq__kernel_conv(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 2, PTQ_DTYPE_FLOAT32))) return st;
    const ptq_tensor *X = ctx->in[0], *W = ctx->in[1], *B = ptq__kernel_in(ctx, 2);
    conv_geom g;
    if ((st = conv_geom_init(ctx, X, W, &g)) || (st = conv_bias_check(ctx, B, PTQ_DTYPE_FLOAT32, g.c_out))) return st;
    int64_t ydims[PTQ_MAX_DIMS];
    conv_out_dims(&g, ydims);
    ptq_tensor *Y;
    if ((st = ptq__kernel_output(ctx, 0, PTQ_DTYPE_FLOAT32, X->rank, ydims, &Y)) || ctx->shape_only || !Y) return st;
    if (g.w.out_size == 0 || g.batch == 0) return PTQ_STATUS_OK;

    int pointwise = conv_is_pointwise(&g);
    int64_t kdim = g.cg * g.w.k_size;
    int32_t *map = pointwise ? NULL : conv_gather_map(&g.w);
    float *col = pointwise ? NULL : malloc(sizeof(float) * (size_t)(kdim * g.w.out_size));
    if (!pointwise && (!map || !col)) {
        free(map);
        free(col);
        return ptq__oom();
    }
    const float *x = X->data, *w = W->data, *bias = B ? B->data : NULL;
    float *y = Y->data;
    for (int64_t n = 0; n < g.batch; n++)
        for (int64_t gi = 0; gi < g.group; gi++) {
            const float *xg = x + (n * g.c_in + gi * g.cg) * g.w.in_size;
            float *yg = y + (n * g.c_out + gi * g.mg) * g.w.out_size;
            if (!pointwise) im2col_f32(&g, map, xg, col);
            if (bias)
                for (int64_t m = 0; m < g.mg; m++)
                    for (int64_t p = 0; p < g.w.out_size; p++) yg[m * g.w.out_size + p] = bias[gi * g.mg + m];
            ptq__gemm_f32_ref(g.mg, g.w.out_size, kdim, w + gi * g.mg * kdim, pointwise ? xg : col, yg);
        }
    free(map);
    free(col);
    return PTQ_STATUS_OK;
}

/* ---- integer convolutions ------------------------------------------------ */

/* A zero point or scale: per tensor (one element) or per channel (n). */
static ptq_status conv_qparam_check(const ptq__kernel_ctx *ctx, const ptq_tensor *t, const char *name, ptq_dtype want,
                                    int64_t n_channels, int allow_per_channel)
{
    if (!t) return PTQ_STATUS_OK;
    if (t->dtype != want)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s has dtype %s, expected %s", name, ptq_dtype_name(t->dtype),
                                ptq_dtype_name(want));
    int64_t cnt = ptq_tensor_numel(t);
    if (cnt == 1 && t->rank <= 1) return PTQ_STATUS_OK;
    if (allow_per_channel && t->rank == 1 && cnt == n_channels) return PTQ_STATUS_OK;
    if (allow_per_channel)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                "%s must be a scalar or 1-D with %lld elements (output channels), has %lld elements", name,
                                (long long)n_channels, (long long)cnt);
    return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s must be a scalar (per tensor), has %lld elements", name,
                            (long long)cnt);
}

/* Element c of a per-tensor or per-channel parameter. */
static int64_t qparam_at(const ptq_tensor *t, int64_t c) { return ptq_tensor_numel(t) == 1 ? 0 : c; }

/* The exact int32 convolution shared by ConvInteger and QLinearConv:
 * acc[n][m][p] = sum (x - x_zp) * (w - w_zp[m]) (bias not included). */
static ptq_status conv_integer_acc(const conv_geom *g, const ptq_tensor *X, const ptq_tensor *XZ, const ptq_tensor *W,
                                   const ptq_tensor *WZ, int32_t *acc)
{
    ptq_status st = PTQ_STATUS_OK;
    int64_t kdim = g->cg * g->w.k_size;
    int64_t nx = ptq_tensor_numel(X), nw = ptq_tensor_numel(W);
    int pointwise = conv_is_pointwise(g);
    int32_t *xs = malloc(sizeof(int32_t) * (size_t)(nx > 0 ? nx : 1));
    int32_t *ws = malloc(sizeof(int32_t) * (size_t)(nw > 0 ? nw : 1));
    int32_t *map = pointwise ? NULL : conv_gather_map(&g->w);
    int32_t *col = pointwise ? NULL : malloc(sizeof(int32_t) * (size_t)(kdim * g->w.out_size));
    if (!xs || !ws || (!pointwise && (!map || !col))) {
        st = ptq__oom();
        goto done;
    }
    int32_t x_zp = XZ ? (int32_t)ptq__tensor_get_int(XZ, 0) : 0;
    for (int64_t i = 0; i < nx; i++) xs[i] = (int32_t)ptq__tensor_get_int(X, i) - x_zp;
    for (int64_t i = 0; i < nw; i++) {
        int64_t m = i / kdim;
        ws[i] = (int32_t)ptq__tensor_get_int(W, i) - (WZ ? (int32_t)ptq__tensor_get_int(WZ, qparam_at(WZ, m)) : 0);
    }
    for (int64_t n = 0; n < g->batch; n++)
        for (int64_t gi = 0; gi < g->group; gi++) {
            const int32_t *xg = xs + (n * g->c_in + gi * g->cg) * g->w.in_size;
            if (!pointwise) im2col_s32(g, map, xg, col);
            ptq__gemm_s32_ref(g->mg, g->w.out_size, kdim, ws + gi * g->mg * kdim, pointwise ? xg : col,
                              acc + (n * g->c_out + gi * g->mg) * g->w.out_size);
        }
done:
    free(col);
    free(map);
    free(ws);
    free(xs);
    return st;
}

ptq_status ptq__kernel_conv_integer(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 2, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *X = ctx->in[0], *W = ctx->in[1], *XZ = ptq__kernel_in(ctx, 2), *WZ = ptq__kernel_in(ctx, 3);
    if (!ptq__is_q8(X->dtype) || !ptq__is_q8(W->dtype))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "x and w must be uint8 or int8 (got %s, %s)",
                                ptq_dtype_name(X->dtype), ptq_dtype_name(W->dtype));
    conv_geom g;
    if ((st = conv_geom_init(ctx, X, W, &g)) || (st = conv_qparam_check(ctx, XZ, "x_zero_point", X->dtype, 0, 0)) ||
        (st = conv_qparam_check(ctx, WZ, "w_zero_point", W->dtype, g.c_out, 1)))
        return st;
    int64_t ydims[PTQ_MAX_DIMS];
    conv_out_dims(&g, ydims);
    ptq_tensor *Y;
    if ((st = ptq__kernel_output(ctx, 0, PTQ_DTYPE_INT32, X->rank, ydims, &Y)) || ctx->shape_only || !Y) return st;
    return conv_integer_acc(&g, X, XZ, W, WZ, Y->data);
}

ptq_status ptq__kernel_qlinear_conv(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 8, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *X = ctx->in[0], *XS = ctx->in[1], *XZ = ctx->in[2], *W = ctx->in[3], *WS = ctx->in[4];
    const ptq_tensor *WZ = ctx->in[5], *YS = ctx->in[6], *YZ = ctx->in[7], *B = ptq__kernel_in(ctx, 8);
    if (!ptq__is_q8(X->dtype) || !ptq__is_q8(W->dtype) || !ptq__is_q8(YZ->dtype))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "x, w and y_zero_point must be uint8 or int8 (got %s, %s, %s)",
                                ptq_dtype_name(X->dtype), ptq_dtype_name(W->dtype), ptq_dtype_name(YZ->dtype));
    conv_geom g;
    if ((st = conv_geom_init(ctx, X, W, &g)) || (st = conv_qparam_check(ctx, XS, "x_scale", PTQ_DTYPE_FLOAT32, 0, 0)) ||
        (st = conv_qparam_check(ctx, XZ, "x_zero_point", X->dtype, 0, 0)) ||
        (st = conv_qparam_check(ctx, WS, "w_scale", PTQ_DTYPE_FLOAT32, g.c_out, 1)) ||
        (st = conv_qparam_check(ctx, WZ, "w_zero_point", W->dtype, g.c_out, 1)) ||
        (st = conv_qparam_check(ctx, YS, "y_scale", PTQ_DTYPE_FLOAT32, 0, 0)) ||
        (st = conv_qparam_check(ctx, YZ, "y_zero_point", YZ->dtype, 0, 0)) ||
        (st = conv_bias_check(ctx, B, PTQ_DTYPE_INT32, g.c_out)))
        return st;
    int64_t ydims[PTQ_MAX_DIMS];
    conv_out_dims(&g, ydims);
    ptq_tensor *Y;
    if ((st = ptq__kernel_output(ctx, 0, YZ->dtype, X->rank, ydims, &Y)) || ctx->shape_only || !Y) return st;

    int64_t total = g.batch * g.c_out * g.w.out_size;
    int32_t *acc = calloc((size_t)(total > 0 ? total : 1), sizeof(int32_t));
    if (!acc) return ptq__oom();
    if ((st = conv_integer_acc(&g, X, XZ, W, WZ, acc))) {
        free(acc);
        return st;
    }
    int32_t qmin, qmax;
    ptq__qrange(YZ->dtype, &qmin, &qmax);
    float x_scale = *(const float *)XS->data, y_scale = *(const float *)YS->data;
    int32_t y_zp = (int32_t)ptq__tensor_get_int(YZ, 0);
    const float *w_scale = WS->data;
    const int32_t *bias = B ? B->data : NULL;
    for (int64_t n = 0; n < g.batch; n++)
        for (int64_t m = 0; m < g.c_out; m++) {
            float mult = ptq__requant_multiplier(x_scale, w_scale[qparam_at(WS, m)], y_scale);
            int32_t b = bias ? bias[m] : 0;
            int64_t base = (n * g.c_out + m) * g.w.out_size;
            for (int64_t p = 0; p < g.w.out_size; p++)
                ptq__qstore(Y->dtype, Y->data, base + p, ptq__requantize(ptq__add_wrap32(acc[base + p], b), mult, y_zp, qmin, qmax));
        }
    free(acc);
    return PTQ_STATUS_OK;
}
