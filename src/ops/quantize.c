/* quantize.c: reference kernels of QuantizeLinear and DequantizeLinear
 * (opsets 10, 13, 19, 21), with the arithmetic of requant.h:
 *
 *   QuantizeLinear    y = saturate(round_half_even(x / y_scale) + y_zero_point)
 *   DequantizeLinear  y = (x - x_zero_point) * x_scale
 *
 * Scale and zero point are per tensor (one element) or, from opset 13, per
 * axis: 1-D tensors with X.dims[axis] elements (axis default 1, negative
 * counts from the end). Blocked quantization (block_size, opset 21) is not
 * supported. Quantized types: uint8 (the default output), int8, uint16, int16;
 * DequantizeLinear also reads int32 (zero point absent or 0). */
#include "ops/kernel.h"
#include "ops/requant.h"

/* Validated scale / zero point layout: element index of x element i is
 * (i / inner) % channels when per-axis, else 0. */
typedef struct qaxis {
    int per_axis;
    int64_t channels, inner;
} qaxis;

static ptq_status qaxis_init(const ptq__kernel_ctx *ctx, const ptq_tensor *X, const ptq_tensor *scale,
                             const ptq_tensor *zp, qaxis *q)
{
    q->per_axis = 0;
    q->channels = q->inner = 1;
    if (ptq__node_attr_int(ctx->node, "block_size", 0) != 0)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "blocked quantization (block_size=%lld) is not supported",
                                (long long)ptq__node_attr_int(ctx->node, "block_size", 0));
    if (scale->dtype != PTQ_DTYPE_FLOAT32)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "scale has dtype %s, only float32 is supported",
                                ptq_dtype_name(scale->dtype));
    int64_t n = ptq_tensor_numel(scale);
    if (zp && (ptq_tensor_numel(zp) != n || (n > 1 && zp->rank != scale->rank)))
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "zero point (rank %d, %lld elements) and scale (rank %d, %lld "
                                "elements) differ in shape", zp->rank, (long long)ptq_tensor_numel(zp), scale->rank, (long long)n);
    if (n == 1 && scale->rank <= 1) return PTQ_STATUS_OK; /* per tensor */
    if (ctx->opset < 13 || scale->rank != 1)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                "scale must be a scalar%s (has rank %d, %lld elements)",
                                ctx->opset < 13 ? " before opset 13" : " or a 1-D tensor", scale->rank, (long long)n);
    int64_t axis = ptq__node_attr_int(ctx->node, "axis", 1);
    if (axis < -X->rank || axis >= X->rank)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axis %lld out of range for rank %d", (long long)axis, X->rank);
    if (axis < 0) axis += X->rank;
    if (X->dims[axis] != n)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                "per-axis scale has %lld elements, but axis %lld of the input has %lld", (long long)n,
                                (long long)axis, (long long)X->dims[axis]);
    q->per_axis = 1;
    q->channels = n;
    for (int d = (int)axis + 1; d < X->rank; d++) q->inner *= X->dims[d];
    return PTQ_STATUS_OK;
}

static int64_t qaxis_at(const qaxis *q, int64_t i) { return q->per_axis ? (i / q->inner) % q->channels : 0; }

ptq_status ptq__kernel_quantize_linear(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 2, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *X = ctx->in[0], *S = ctx->in[1], *Z = ptq__kernel_in(ctx, 2);
    if (X->dtype != PTQ_DTYPE_FLOAT32 && X->dtype != PTQ_DTYPE_INT32)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "x has dtype %s, expected float32 (or int32)",
                                ptq_dtype_name(X->dtype));
    /* Output type: the zero point's, else output_dtype (opset 21), else uint8. */
    int64_t out_attr = ptq__node_attr_int(ctx->node, "output_dtype", 0);
    ptq_dtype out = Z ? Z->dtype : out_attr ? (ptq_dtype)out_attr : PTQ_DTYPE_UINT8;
    if (Z && out_attr && out_attr != (int64_t)Z->dtype)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "output_dtype %lld differs from the zero point's dtype %s",
                                (long long)out_attr, ptq_dtype_name(Z->dtype));
    int32_t qmin, qmax;
    if (!ptq__qrange(out, &qmin, &qmax))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "output dtype %s not supported (uint8, int8, uint16, int16)",
                                ptq_dtype_name(out));
    qaxis q;
    if ((st = qaxis_init(ctx, X, S, Z, &q))) return st;
    ptq_tensor *Y;
    if ((st = ptq__kernel_output_like(ctx, 0, out, X, &Y)) || ctx->shape_only || !Y) return st;
    const float *scale = S->data;
    int64_t n = ptq_tensor_numel(X);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = qaxis_at(&q, i);
        float x = X->dtype == PTQ_DTYPE_FLOAT32 ? ((const float *)X->data)[i] : (float)((const int32_t *)X->data)[i];
        int32_t zp = Z ? (int32_t)ptq__tensor_get_int(Z, c) : 0;
        ptq__qstore(out, Y->data, i, ptq__quantize_f32(x, scale[c], zp, qmin, qmax));
    }
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_dequantize_linear(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 2, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *X = ctx->in[0], *S = ctx->in[1], *Z = ptq__kernel_in(ctx, 2);
    int32_t qmin, qmax;
    if (!ptq__qrange(X->dtype, &qmin, &qmax) && X->dtype != PTQ_DTYPE_INT32)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "x has dtype %s, expected uint8, int8, uint16, int16 or int32",
                                ptq_dtype_name(X->dtype));
    if (Z && Z->dtype != X->dtype)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "x_zero_point has dtype %s, x has %s",
                                ptq_dtype_name(Z->dtype), ptq_dtype_name(X->dtype));
    qaxis q;
    if ((st = qaxis_init(ctx, X, S, Z, &q))) return st;
    if (!ctx->shape_only && Z && X->dtype == PTQ_DTYPE_INT32)
        for (int64_t i = 0; i < ptq_tensor_numel(Z); i++)
            if (ptq__tensor_get_int(Z, i) != 0)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "an int32 input requires a zero point of 0");
    ptq_tensor *Y;
    if ((st = ptq__kernel_output_like(ctx, 0, PTQ_DTYPE_FLOAT32, X, &Y)) || ctx->shape_only || !Y) return st;
    const float *scale = S->data;
    float *y = Y->data;
    int64_t n = ptq_tensor_numel(X);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = qaxis_at(&q, i);
        int32_t zp = Z ? (int32_t)ptq__tensor_get_int(Z, c) : 0;
        y[i] = ptq__dequantize((int32_t)ptq__tensor_get_int(X, i), scale[c], zp);
    }
    return PTQ_STATUS_OK;
}
