/* Elementwise reference kernels: activations (Relu, LeakyRelu, Sigmoid,
 * HardSigmoid, HardSwish), Clip, and the broadcasting binary arithmetic ops
 * (Add, Sub, Mul, Div).
 *
 * Broadcasting follows numpy's multidirectional rule (ONNX opset >= 7); the
 * opset <= 6 form (`broadcast` = 1 with an optional `axis`) aligns B's dims
 * to A's starting at `axis`. Integer arithmetic wraps like the target type
 * (computed in uint64 to avoid undefined overflow); integer Div truncates
 * toward zero like C and fails on division by zero. */
#include "ops/kernel.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ---- dtype helpers ------------------------------------------------------ */

static bool is_float(ptq_dtype dt) { return dt == PTQ_DTYPE_FLOAT32 || dt == PTQ_DTYPE_FLOAT64; }

static bool is_int(ptq_dtype dt)
{
    switch (dt) {
    case PTQ_DTYPE_INT8: case PTQ_DTYPE_UINT8: case PTQ_DTYPE_INT16: case PTQ_DTYPE_UINT16:
    case PTQ_DTYPE_INT32: case PTQ_DTYPE_UINT32: case PTQ_DTYPE_INT64:
        return true;
    default:
        return false;
    }
}

static void set_double(ptq_tensor *t, int64_t i, double v)
{
    if (t->dtype == PTQ_DTYPE_FLOAT32) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
}

/* ---- activations -------------------------------------------------------- */

ptq_status ptq__kernel_unary(ptq__kernel_ctx *ctx)
{
    ptq_status st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_UNDEFINED);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    ptq__op op = ctx->node->op;
    bool int_ok = op == PTQ__OP_RELU && (is_int(x->dtype));
    if (!is_float(x->dtype) && !int_ok)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "input has dtype %s; supported: float32, float64%s",
                                ptq_dtype_name(x->dtype), op == PTQ__OP_RELU ? " and integer types" : "");
    float alpha = 0.f, beta = 0.f;
    switch (op) {
    case PTQ__OP_RELU: case PTQ__OP_SIGMOID: break;
    case PTQ__OP_LEAKY_RELU: alpha = ptq__node_attr_float(ctx->node, "alpha", 0.01f); break;
    case PTQ__OP_HARD_SIGMOID:
        alpha = ptq__node_attr_float(ctx->node, "alpha", 0.2f);
        beta = ptq__node_attr_float(ctx->node, "beta", 0.5f);
        break;
    case PTQ__OP_HARD_SWISH: alpha = 1.f / 6.f; beta = 0.5f; break;
    default: return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not an activation handled by the unary kernel");
    }
    ptq_tensor *y;
    if ((st = ptq__kernel_output_like(ctx, 0, x->dtype, x, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    int64_t n = ptq_tensor_numel(x);
    if (!is_float(x->dtype)) { /* integer Relu */
        for (int64_t i = 0; i < n; i++) {
            int64_t v = ptq__tensor_get_int(x, i);
            ptq__tensor_set_int(y, i, v > 0 ? v : 0);
        }
        return PTQ_STATUS_OK;
    }
    if (x->dtype == PTQ_DTYPE_FLOAT32 && op == PTQ__OP_RELU) { /* the hot case */
        const float *a = x->data;
        float *b = y->data;
        for (int64_t i = 0; i < n; i++) b[i] = a[i] > 0.f ? a[i] : 0.f;
        return PTQ_STATUS_OK;
    }
    for (int64_t i = 0; i < n; i++) {
        double v = ptq__tensor_get_double(x, i), r;
        switch (op) {
        case PTQ__OP_RELU: r = v > 0 ? v : 0; break;
        case PTQ__OP_LEAKY_RELU: r = v >= 0 ? v : (double)alpha * v; break;
        case PTQ__OP_SIGMOID: r = v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v)); break;
        case PTQ__OP_HARD_SIGMOID: r = fmax(0.0, fmin(1.0, (double)alpha * v + beta)); break;
        default: /* HardSwish */ r = v * fmax(0.0, fmin(1.0, v / 6.0 + 0.5)); break;
        }
        set_double(y, i, r);
    }
    return PTQ_STATUS_OK;
}

/* ---- Clip --------------------------------------------------------------- */

/* Validates the optional scalar bound input i; *present tells if given. */
static ptq_status clip_bound(ptq__kernel_ctx *ctx, int i, const ptq_tensor *x, bool *present)
{
    const ptq_tensor *b = ptq__kernel_in(ctx, i);
    *present = false;
    if (!b) return PTQ_STATUS_OK;
    if (b->dtype != x->dtype)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s has dtype %s, input has %s", i == 1 ? "min" : "max",
                                ptq_dtype_name(b->dtype), ptq_dtype_name(x->dtype));
    if (ptq_tensor_numel(b) != 1)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s must be a scalar, it has %lld elements",
                                i == 1 ? "min" : "max", (long long)ptq_tensor_numel(b));
    *present = true;
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_clip(ptq__kernel_ctx *ctx)
{
    ptq_status st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_UNDEFINED);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    if (!is_float(x->dtype) && !is_int(x->dtype))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "input has dtype %s; supported: float32, float64 and integer types",
                                ptq_dtype_name(x->dtype));
    bool has_min = false, has_max = false;
    if (ctx->opset < 11) {
        if (!is_float(x->dtype))
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "before opset 11 Clip takes float inputs, not %s",
                                    ptq_dtype_name(x->dtype));
    } else {
        if ((st = clip_bound(ctx, 1, x, &has_min)) || (st = clip_bound(ctx, 2, x, &has_max))) return st;
    }
    ptq_tensor *y;
    if ((st = ptq__kernel_output_like(ctx, 0, x->dtype, x, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    int64_t n = ptq_tensor_numel(x);
    if (is_float(x->dtype)) {
        double lo = -INFINITY, hi = INFINITY;
        if (ctx->opset < 11) {
            lo = ptq__node_attr_float(ctx->node, "min", -FLT_MAX);
            hi = ptq__node_attr_float(ctx->node, "max", FLT_MAX);
        }
        if (has_min) lo = ptq__tensor_get_double(ctx->in[1], 0);
        if (has_max) hi = ptq__tensor_get_double(ctx->in[2], 0);
        for (int64_t i = 0; i < n; i++) {
            double v = ptq__tensor_get_double(x, i);
            if (v < lo) v = lo;
            if (v > hi) v = hi; /* max wins when min > max, as in ONNX */
            set_double(y, i, v);
        }
    } else {
        int64_t lo = INT64_MIN, hi = INT64_MAX;
        if (has_min) lo = ptq__tensor_get_int(ctx->in[1], 0);
        if (has_max) hi = ptq__tensor_get_int(ctx->in[2], 0);
        for (int64_t i = 0; i < n; i++) {
            int64_t v = ptq__tensor_get_int(x, i);
            if (v < lo) v = lo;
            if (v > hi) v = hi;
            ptq__tensor_set_int(y, i, v);
        }
    }
    return PTQ_STATUS_OK;
}

/* ---- Add / Sub / Mul / Div --------------------------------------------- */

/* Element strides of t seen through the broadcast output shape (0 where t is
 * broadcast). */
static void bcast_strides(const ptq_tensor *t, int rank, const int64_t *dims, int64_t *strides)
{
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        int it = i - (rank - t->rank);
        int64_t d = it >= 0 ? t->dims[it] : 1;
        strides[i] = d == 1 && dims[i] != 1 ? 0 : s;
        if (it >= 0) s *= t->dims[it];
    }
}

static double arith_f(ptq__op op, double a, double b)
{
    switch (op) {
    case PTQ__OP_ADD: return a + b;
    case PTQ__OP_SUB: return a - b;
    case PTQ__OP_MUL: return a * b;
    default: return a / b;
    }
}

static float arith_f32(ptq__op op, float a, float b)
{
    switch (op) {
    case PTQ__OP_ADD: return a + b;
    case PTQ__OP_SUB: return a - b;
    case PTQ__OP_MUL: return a * b;
    default: return a / b;
    }
}

/* Integer arithmetic in wrapping uint64; Div truncates toward zero. The
 * caller has rejected b == 0 for Div. */
static int64_t arith_i(ptq__op op, int64_t a, int64_t b)
{
    switch (op) {
    case PTQ__OP_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
    case PTQ__OP_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
    case PTQ__OP_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    default:
        if (a == INT64_MIN && b == -1) return INT64_MIN;
        return a / b;
    }
}

/* Shape B takes under the opset <= 6 `broadcast`/`axis` rule. */
static ptq_status legacy_broadcast(const ptq__kernel_ctx *ctx, const ptq_tensor *a, const ptq_tensor *b, ptq_tensor *b_view)
{
    memset(b_view, 0, sizeof *b_view);
    b_view->dtype = b->dtype;
    b_view->data = b->data;
    int64_t axis = ptq__node_attr_int(ctx->node, "axis", a->rank - b->rank);
    if (axis < 0) axis += a->rank;
    if (b->rank > a->rank || axis < 0 || axis > (int64_t)(a->rank - b->rank))
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "legacy broadcast: B (rank %d) does not fit A (rank %d) at axis %lld",
                                b->rank, a->rank, (long long)axis);
    b_view->rank = a->rank;
    for (int i = 0; i < a->rank; i++) b_view->dims[i] = 1;
    for (int i = 0; i < b->rank; i++) {
        int64_t d = b->dims[i];
        if (d != 1 && d != a->dims[axis + i])
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "legacy broadcast: B dimension %d is %lld, A has %lld",
                                    i, (long long)d, (long long)a->dims[axis + i]);
        b_view->dims[axis + i] = d;
    }
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_binary(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 2, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *a = ctx->in[0], *b = ctx->in[1];
    ptq__op op = ctx->node->op;
    if (a->dtype != b->dtype)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "inputs have different dtypes (%s and %s)",
                                ptq_dtype_name(a->dtype), ptq_dtype_name(b->dtype));
    if (!is_float(a->dtype) && !is_int(a->dtype))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "dtype %s is not supported (float32, float64, int8..int64, uint8..uint32)",
                                ptq_dtype_name(a->dtype));
    ptq_tensor b_view;
    if (ctx->opset < 7) {
        if (ptq__node_attr_int(ctx->node, "broadcast", 0)) {
            if ((st = legacy_broadcast(ctx, a, b, &b_view))) return st;
            b = &b_view;
        } else {
            bool same = a->rank == b->rank;
            for (int i = 0; same && i < a->rank; i++) same = a->dims[i] == b->dims[i];
            if (!same)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                        "before opset 7, inputs of different shapes need broadcast=1");
        }
    }
    int rank;
    int64_t dims[PTQ_MAX_DIMS];
    if (a->rank > PTQ_MAX_DIMS || b->rank > PTQ_MAX_DIMS)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "rank above %d", PTQ_MAX_DIMS);
    if ((st = ptq__broadcast_shape(ctx, a, b, &rank, dims))) return st;
    ptq_tensor *y;
    if ((st = ptq__kernel_output(ctx, 0, a->dtype, rank, dims, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    int64_t n = ptq_tensor_numel(y);
    bool integer = !is_float(a->dtype);
    if (integer && op == PTQ__OP_DIV) {
        int64_t nb = ptq_tensor_numel(b);
        for (int64_t i = 0; i < nb; i++)
            if (ptq__tensor_get_int(b, i) == 0)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "integer division by zero (divisor element %lld)",
                                        (long long)i);
    }
    /* Fast path: float32 with equal shapes (residual adds, scales). */
    if (a->dtype == PTQ_DTYPE_FLOAT32 && ptq_tensor_numel(a) == n && ptq_tensor_numel(b) == n) {
        const float *pa = a->data, *pb = b->data;
        float *py = y->data;
        for (int64_t i = 0; i < n; i++) py[i] = arith_f32(op, pa[i], pb[i]);
        return PTQ_STATUS_OK;
    }
    int64_t sa[PTQ_MAX_DIMS], sb[PTQ_MAX_DIMS], idx[PTQ_MAX_DIMS] = {0};
    bcast_strides(a, rank, dims, sa);
    bcast_strides(b, rank, dims, sb);
    int64_t oa = 0, ob = 0;
    for (int64_t i = 0; i < n; i++) {
        if (a->dtype == PTQ_DTYPE_FLOAT32) {
            ((float *)y->data)[i] = arith_f32(op, ((const float *)a->data)[oa], ((const float *)b->data)[ob]);
        } else if (!integer) {
            set_double(y, i, arith_f(op, ptq__tensor_get_double(a, oa), ptq__tensor_get_double(b, ob)));
        } else {
            int64_t va = ptq__tensor_get_int(a, oa), vb = ptq__tensor_get_int(b, ob);
            /* uint8..uint32 fit in int64, so signed math then wrapping is exact. */
            ptq__tensor_set_int(y, i, arith_i(op, va, vb));
        }
        /* Advance the output index, carrying into outer dimensions. */
        for (int d = rank - 1; d >= 0; d--) {
            idx[d]++;
            oa += sa[d];
            ob += sb[d];
            if (idx[d] < dims[d]) break;
            oa -= sa[d] * dims[d];
            ob -= sb[d] * dims[d];
            idx[d] = 0;
        }
    }
    return PTQ_STATUS_OK;
}
