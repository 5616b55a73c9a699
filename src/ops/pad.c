/* Pad reference kernel: modes constant, reflect, edge and wrap, for every
 * dtype with a size.
 *
 * Versions: opset 1 takes `paddings` and `value` attributes, opset 2-10
 * `pads` and `value`, opset >= 11 a `pads` input (int64, constant in
 * shape-only mode) and an optional `constant_value` input, opset >= 18 an
 * optional `axes` input. pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...];
 * negative pads crop. Each output coordinate o along a dimension of size d
 * reads input coordinate i = o - begin, mapped into [0, d) by the mode:
 * constant (outside -> the value), edge (clamp), reflect (mirror without
 * repeating the edge), wrap (modulo). */
#include "ops/kernel.h"

#include <stdlib.h>
#include <string.h>

typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

/* Input coordinate read by output coordinate o, or -1 for the constant. */
static int64_t pad_map(pad_mode mode, int64_t o, int64_t begin, int64_t d)
{
    int64_t i = o - begin;
    if (i >= 0 && i < d) return i;
    switch (mode) {
    case PAD_CONSTANT: return -1;
    case PAD_EDGE: return i < 0 ? 0 : d - 1;
    case PAD_WRAP: return ((i % d) + d) % d;
    default: {
        if (d == 1) return 0;
        int64_t p = 2 * (d - 1);
        i = ((i % p) + p) % p;
        return i >= d ? p - i : i;
    }
    }
}

/* Writes the pad value (a double from the attribute) as one element of dt.
 * Only float types and integers take non-zero values this way. */
static bool value_bytes(ptq_dtype dt, double v, unsigned char *out)
{
    memset(out, 0, 8);
    if (v == 0) return true;
    switch (dt) {
    case PTQ_DTYPE_FLOAT32: { float f = (float)v; memcpy(out, &f, 4); return true; }
    case PTQ_DTYPE_FLOAT64: memcpy(out, &v, 8); return true;
    case PTQ_DTYPE_INT8: case PTQ_DTYPE_UINT8: case PTQ_DTYPE_BOOL: { uint8_t x = (uint8_t)(int64_t)v; memcpy(out, &x, 1); return true; }
    case PTQ_DTYPE_INT16: case PTQ_DTYPE_UINT16: { uint16_t x = (uint16_t)(int64_t)v; memcpy(out, &x, 2); return true; }
    case PTQ_DTYPE_INT32: case PTQ_DTYPE_UINT32: { uint32_t x = (uint32_t)(int64_t)v; memcpy(out, &x, 4); return true; }
    case PTQ_DTYPE_INT64: case PTQ_DTYPE_UINT64: { int64_t x = (int64_t)v; memcpy(out, &x, 8); return true; }
    default: return false;
    }
}

ptq_status ptq__kernel_pad(ptq__kernel_ctx *ctx)
{
    ptq_status st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_UNDEFINED);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    int r = x->rank;
    size_t es = ptq_dtype_size(x->dtype);
    if (es == 0) return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "input dtype %s is not supported", ptq_dtype_name(x->dtype));
    if (r > PTQ_MAX_DIMS) return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "rank %d (at most %d)", r, PTQ_MAX_DIMS);

    const char *ms = ptq__node_attr_string(ctx->node, "mode", "constant");
    pad_mode mode;
    if (strcmp(ms, "constant") == 0) mode = PAD_CONSTANT;
    else if (strcmp(ms, "reflect") == 0) mode = PAD_REFLECT;
    else if (strcmp(ms, "edge") == 0) mode = PAD_EDGE;
    else if (strcmp(ms, "wrap") == 0) mode = PAD_WRAP;
    else return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "mode '%s' is not supported (constant, reflect, edge, wrap)", ms);

    /* pads per axis, begin[] and end[]. */
    int64_t begin[PTQ_MAX_DIMS] = {0}, end[PTQ_MAX_DIMS] = {0};
    unsigned char value[8];
    memset(value, 0, sizeof value);
    if (ctx->opset < 11) {
        const int64_t *p;
        const char *name = ctx->opset < 2 ? "paddings" : "pads";
        int np = ptq__node_attr_ints(ctx->node, name, &p);
        if (!ptq__node_attr(ctx->node, name))
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "attribute '%s' is missing", name);
        if (np != 2 * r)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "'%s' has %d values, expected 2 x rank = %d", name, np, 2 * r);
        for (int d = 0; d < r; d++) {
            begin[d] = p[d];
            end[d] = p[r + d];
        }
        double v = ptq__node_attr_float(ctx->node, "value", 0.f);
        if (!value_bytes(x->dtype, v, value))
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "pad value %g for dtype %s", v, ptq_dtype_name(x->dtype));
    } else {
        const ptq_tensor *pt = ptq__kernel_in(ctx, 1);
        if (!pt) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "input 1 (pads) is missing");
        if (pt->dtype != PTQ_DTYPE_INT64)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "pads have dtype %s, expected int64", ptq_dtype_name(pt->dtype));
        if (!pt->data)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "pads are computed at run time; ptq needs them constant");
        int64_t np = ptq_tensor_numel(pt);
        /* Axes the pads apply to (opset >= 18), default all. */
        int axes[PTQ_MAX_DIMS], na = r;
        for (int d = 0; d < r; d++) axes[d] = d;
        const ptq_tensor *at = ptq__kernel_in(ctx, 3);
        if (at && ctx->opset >= 18) {
            if (at->dtype != PTQ_DTYPE_INT64 && at->dtype != PTQ_DTYPE_INT32)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axes have dtype %s", ptq_dtype_name(at->dtype));
            if (!at->data) return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "axes are computed at run time; ptq needs them constant");
            if (ptq_tensor_numel(at) > r)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%lld axes for rank %d", (long long)ptq_tensor_numel(at), r);
            na = (int)ptq_tensor_numel(at);
            bool seen[PTQ_MAX_DIMS] = {false};
            for (int k = 0; k < na; k++) {
                int64_t a = ptq__tensor_get_int(at, k);
                if (a < -r || a >= r) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axis %lld out of range for rank %d", (long long)a, r);
                if (a < 0) a += r;
                if (seen[a]) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axis %lld is repeated", (long long)a);
                seen[a] = true;
                axes[k] = (int)a;
            }
        }
        if (np != 2 * na)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "pads have %lld values, expected %d", (long long)np, 2 * na);
        for (int k = 0; k < na; k++) {
            begin[axes[k]] = ((const int64_t *)pt->data)[k];
            end[axes[k]] = ((const int64_t *)pt->data)[na + k];
        }
        const ptq_tensor *cv = ptq__kernel_in(ctx, 2);
        if (cv && mode == PAD_CONSTANT) {
            if (cv->dtype != x->dtype)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "constant_value has dtype %s, input has %s",
                                        ptq_dtype_name(cv->dtype), ptq_dtype_name(x->dtype));
            if (ptq_tensor_numel(cv) != 1)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "constant_value must be a scalar");
            if (cv->data) memcpy(value, cv->data, es);
        }
    }

    int64_t dims[PTQ_MAX_DIMS];
    for (int d = 0; d < r; d++) {
        if (__builtin_add_overflow(x->dims[d], begin[d], &dims[d]) || __builtin_add_overflow(dims[d], end[d], &dims[d]))
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "dimension %d: pads %lld,%lld overflow", d,
                                    (long long)begin[d], (long long)end[d]);
        if (dims[d] < 0)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "dimension %d: size %lld with pads %lld,%lld is negative", d,
                                    (long long)x->dims[d], (long long)begin[d], (long long)end[d]);
        if (mode != PAD_CONSTANT && x->dims[d] == 0 && dims[d] > 0)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "dimension %d is empty; mode '%s' has nothing to copy", d, ms);
    }
    ptq_tensor *y;
    if ((st = ptq__kernel_output(ctx, 0, x->dtype, r, dims, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    int64_t n = ptq_tensor_numel(y);
    if (n == 0) return PTQ_STATUS_OK;

    /* Per-dimension maps from output to input coordinate (-1: constant). */
    int64_t total = 0, off[PTQ_MAX_DIMS], stride[PTQ_MAX_DIMS], s = 1;
    for (int d = 0; d < r; d++) {
        off[d] = total;
        total += dims[d];
    }
    for (int d = r - 1; d >= 0; d--) {
        stride[d] = s;
        s *= x->dims[d];
    }
    int64_t *map = malloc(sizeof *map * (size_t)(total + 1));
    if (!map) return ptq__oom();
    for (int d = 0; d < r; d++)
        for (int64_t o = 0; o < dims[d]; o++) map[off[d] + o] = pad_map(mode, o, begin[d], x->dims[d]);
    int64_t idx[PTQ_MAX_DIMS] = {0};
    const char *src = x->data;
    char *dst = y->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t in = 0;
        for (int d = 0; d < r && in >= 0; d++) {
            int64_t m = map[off[d] + idx[d]];
            in = m < 0 ? -1 : in + m * stride[d];
        }
        memcpy(dst + (size_t)i * es, in < 0 ? (const char *)value : src + (size_t)in * es, es);
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < dims[d]) break;
            idx[d] = 0;
        }
    }
    free(map);
    return PTQ_STATUS_OK;
}
