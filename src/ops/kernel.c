/* Helpers shared by the reference kernels. */
#include "ops/kernel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ptq__tensor_set_shape(ptq_tensor *t, ptq_dtype dtype, int rank, const int64_t *dims)
{
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
}

ptq_status ptq__kernel_output(ptq__kernel_ctx *ctx, int i, ptq_dtype dtype, int rank, const int64_t *dims,
                              ptq_tensor **out)
{
    if (out) *out = NULL;
    if (i >= ctx->n_out) {
        /* The node does not use this optional output. */
        return PTQ_STATUS_OK;
    }
    if (rank < 0 || rank > PTQ_MAX_DIMS)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "output %d has rank %d (at most %d supported)", i, rank, PTQ_MAX_DIMS);
    for (int d = 0; d < rank; d++)
        if (dims[d] < 0) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "output %d has negative dimension %lld", i, (long long)dims[d]);
    ptq_tensor *t;
    if (ctx->shape_only) {
        /* The limits of ptq_tensor_create hold for inferred shapes too, so that
         * size arithmetic on them (memory plans, later kernels) cannot overflow. */
        size_t bytes;
        ptq_status st = ptq__tensor_check_shape(dtype, rank, dims, &bytes);
        if (st) return ptq__fail_context(st, "node '%s' (%s, opset %d): output %d", ctx->node->name, ctx->node->op_type, ctx->opset, i);
        t = calloc(1, sizeof *t);
        if (!t) return ptq__oom();
        ptq__tensor_set_shape(t, dtype, rank, dims);
    } else {
        ptq_status st = ptq_tensor_create(dtype, rank, dims, &t);
        if (st) return ptq__fail_context(st, "node '%s' (%s, opset %d)", ctx->node->name, ctx->node->op_type, ctx->opset);
    }
    ptq_tensor_destroy(ctx->out[i]);
    ctx->out[i] = t;
    if (out) *out = t;
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_output_like(ptq__kernel_ctx *ctx, int i, ptq_dtype dtype, const ptq_tensor *like,
                                   ptq_tensor **out)
{
    return ptq__kernel_output(ctx, i, dtype, like->rank, like->dims, out);
}

ptq_status ptq__kernel_fail(const ptq__kernel_ctx *ctx, ptq_status code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ptq__fail(code, "node '%s' (%s, opset %d): %s", ctx->node->name, ctx->node->op_type, ctx->opset, msg);
}

ptq_status ptq__kernel_require(const ptq__kernel_ctx *ctx, int i, ptq_dtype dtype)
{
    const ptq_tensor *t = ptq__kernel_in(ctx, i);
    if (!t) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "input %d is missing", i);
    if (dtype != PTQ_DTYPE_UNDEFINED && t->dtype != dtype)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "input %d has dtype %s, expected %s", i,
                                ptq_dtype_name(t->dtype), ptq_dtype_name(dtype));
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_require_n(const ptq__kernel_ctx *ctx, int n, ptq_dtype dtype)
{
    ptq_status st;
    for (int i = 0; i < n; i++)
        if ((st = ptq__kernel_require(ctx, i, dtype))) return st;
    return PTQ_STATUS_OK;
}

ptq_status ptq__broadcast_shape(const ptq__kernel_ctx *ctx, const ptq_tensor *a, const ptq_tensor *b,
                                int *rank_out, int64_t *dims_out)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "shapes cannot broadcast: dimension %d is %lld vs %lld",
                                    i, (long long)da, (long long)db);
        dims_out[i] = da == 1 ? db : da;
    }
    *rank_out = r;
    return PTQ_STATUS_OK;
}

int64_t ptq__tensor_get_int(const ptq_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case PTQ_DTYPE_INT64: return ((const int64_t *)t->data)[i];
    case PTQ_DTYPE_INT32: return ((const int32_t *)t->data)[i];
    case PTQ_DTYPE_INT16: return ((const int16_t *)t->data)[i];
    case PTQ_DTYPE_UINT16: return ((const uint16_t *)t->data)[i];
    case PTQ_DTYPE_INT8: return ((const int8_t *)t->data)[i];
    case PTQ_DTYPE_UINT8: case PTQ_DTYPE_BOOL: return ((const uint8_t *)t->data)[i];
    case PTQ_DTYPE_UINT32: return ((const uint32_t *)t->data)[i];
    case PTQ_DTYPE_UINT64: return (int64_t)((const uint64_t *)t->data)[i];
    case PTQ_DTYPE_FLOAT32: return (int64_t)((const float *)t->data)[i];
    case PTQ_DTYPE_FLOAT64: return (int64_t)((const double *)t->data)[i];
    default: return 0;
    }
}

void ptq__tensor_set_int(ptq_tensor *t, int64_t i, int64_t v)
{
    switch (t->dtype) {
    case PTQ_DTYPE_INT64: ((int64_t *)t->data)[i] = v; break;
    case PTQ_DTYPE_INT32: ((int32_t *)t->data)[i] = (int32_t)(uint32_t)(uint64_t)v; break;
    case PTQ_DTYPE_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)(uint64_t)v; break;
    case PTQ_DTYPE_INT16: ((int16_t *)t->data)[i] = (int16_t)(uint16_t)(uint64_t)v; break;
    case PTQ_DTYPE_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)(uint64_t)v; break;
    case PTQ_DTYPE_INT8: ((int8_t *)t->data)[i] = (int8_t)(uint8_t)(uint64_t)v; break;
    case PTQ_DTYPE_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)(uint64_t)v; break;
    case PTQ_DTYPE_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
    default: break;
    }
}

double ptq__tensor_get_double(const ptq_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case PTQ_DTYPE_FLOAT32: return ((const float *)t->data)[i];
    case PTQ_DTYPE_FLOAT64: return ((const double *)t->data)[i];
    default: return (double)ptq__tensor_get_int(t, i);
    }
}
