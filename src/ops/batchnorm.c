/* batchnorm.c: reference kernel of BatchNormalization in inference mode
 * (opsets 7-15), float32, X of shape N x C x D1 ... Dn (n >= 0):
 *
 *   y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c]
 *
 * computed as (x - mean) * (scale / sqrtf(var + epsilon)) + B. Opsets 7-8
 * also allow spatial = 0, where scale, B, mean and var hold one value per
 * element of a sample (C x D1 ... Dn) instead of one per channel.
 * Training mode (training_mode = 1, opset 14+) and the running/saved
 * statistics outputs are not supported. */
#include "ops/kernel.h"

#include <math.h>
#include <stdlib.h>

ptq_status ptq__kernel_batchnorm(ptq__kernel_ctx *ctx)
{
    static const char *const names[5] = {"X", "scale", "B", "input_mean", "input_var"};
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 5, PTQ_DTYPE_UNDEFINED))) return st;
    for (int i = 0; i < 5; i++)
        if (ctx->in[i]->dtype != PTQ_DTYPE_FLOAT32)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "%s has dtype %s, only float32 is supported", names[i],
                                    ptq_dtype_name(ctx->in[i]->dtype));
    if (ptq__node_attr_int(ctx->node, "training_mode", 0) != 0)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "training_mode=1 is not supported (inference only)");
    for (int i = 1; i < ctx->n_out; i++)
        if (ctx->node->outputs[i] >= 0)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED,
                                    "output %d (running or saved statistics) is requested; only inference mode is supported", i);
    const ptq_tensor *X = ctx->in[0];
    if (X->rank < 2)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "X has rank %d, expected N x C x ... (rank >= 2)", X->rank);
    int64_t channels = X->dims[1], inner = 1;
    for (int d = 2; d < X->rank; d++) inner *= X->dims[d];
    /* spatial = 0 (opsets 7-8): statistics per element of a sample. */
    int per_element = ctx->opset < 9 && ptq__node_attr_int(ctx->node, "spatial", 1) == 0;
    int64_t want = per_element ? channels * inner : channels;
    for (int i = 1; i < 5; i++)
        if (ptq_tensor_numel(ctx->in[i]) != want)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s has %lld elements, expected %lld (%s)", names[i],
                                    (long long)ptq_tensor_numel(ctx->in[i]), (long long)want,
                                    per_element ? "C x D1 ... Dn, spatial=0" : "one per channel");
    float eps = ptq__node_attr_float(ctx->node, "epsilon", 1e-5f);
    ptq_tensor *Y;
    if ((st = ptq__kernel_output_like(ctx, 0, PTQ_DTYPE_FLOAT32, X, &Y)) || ctx->shape_only || !Y) return st;

    const float *x = X->data, *scale = ctx->in[1]->data, *bias = ctx->in[2]->data;
    const float *mean = ctx->in[3]->data, *var = ctx->in[4]->data;
    float *y = Y->data;
    float *a = malloc(sizeof(float) * (size_t)(want > 0 ? want : 1)); /* scale / sqrt(var + eps) */
    if (!a) return ptq__oom();
    for (int64_t s = 0; s < want; s++) a[s] = scale[s] / sqrtf(var[s] + eps);
    int64_t sample = channels * inner;
    for (int64_t n = 0; n < X->dims[0]; n++)
        for (int64_t c = 0; c < channels; c++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t e = c * inner + i, s = per_element ? e : c;
                y[n * sample + e] = (x[n * sample + e] - mean[s]) * a[s] + bias[s];
            }
    free(a);
    return PTQ_STATUS_OK;
}
