/* Shape and data-movement reference kernels: Flatten, Reshape, Squeeze,
 * Unsqueeze, Concat, Transpose, Identity, Dropout (inference), Constant,
 * Shape, Gather and Cast.
 *
 * Kernels that only move data work for every dtype with a size (bytes are
 * copied by element size). Kernels whose output shape depends on another
 * input's values (Reshape shape, Squeeze/Unsqueeze axes at opset >= 13) need
 * that input to be constant in shape-only mode. Shape always produces data,
 * even in shape-only mode, so that shape subgraphs fold. */
#include "ops/kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static size_t nbytes(const ptq_tensor *t) { return (size_t)ptq_tensor_numel(t) * ptq_dtype_size(t->dtype); }

/* Checks input 0 is present and has a dtype with a size. */
static ptq_status require_data_input(const ptq__kernel_ctx *ctx, int i)
{
    ptq_status st = ptq__kernel_require(ctx, i, PTQ_DTYPE_UNDEFINED);
    if (st) return st;
    if (ptq_dtype_size(ctx->in[i]->dtype) == 0)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "input %d has unsupported dtype %s", i,
                                ptq_dtype_name(ctx->in[i]->dtype));
    if (ctx->in[i]->rank > PTQ_MAX_DIMS)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "input %d has rank %d (at most %d)", i, ctx->in[i]->rank, PTQ_MAX_DIMS);
    return PTQ_STATUS_OK;
}

/* Declares output 0 with x's dtype and these dims, and copies x's bytes
 * (numel must match). */
static ptq_status output_copy(ptq__kernel_ctx *ctx, int i, const ptq_tensor *x, int rank, const int64_t *dims)
{
    ptq_tensor *y;
    ptq_status st = ptq__kernel_output(ctx, i, x->dtype, rank, dims, &y);
    if (st || ctx->shape_only || !y) return st;
    if (nbytes(x)) memcpy(y->data, x->data, nbytes(x));
    return PTQ_STATUS_OK;
}

/* Reads integer input i (1-D or scalar int32/int64) into vals; its data
 * must be known. what names it in messages. */
static ptq_status read_int_input(const ptq__kernel_ctx *ctx, int i, const char *what, int max, int64_t *vals, int *n_out)
{
    const ptq_tensor *t = ptq__kernel_in(ctx, i);
    if (!t) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "input %d (%s) is missing", i, what);
    if (t->dtype != PTQ_DTYPE_INT64 && t->dtype != PTQ_DTYPE_INT32)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s has dtype %s, expected int64", what, ptq_dtype_name(t->dtype));
    if (t->rank > 1)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s must be 1-D, it has rank %d", what, t->rank);
    if (!t->data)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED,
                                "%s is computed at run time; ptq needs it constant to know the output shape", what);
    int64_t n = ptq_tensor_numel(t);
    if (n > max)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "%s has %lld values (at most %d)", what, (long long)n, max);
    for (int64_t k = 0; k < n; k++) vals[k] = ptq__tensor_get_int(t, k);
    *n_out = (int)n;
    return PTQ_STATUS_OK;
}

/* Normalizes a possibly negative axis into [0, rank). */
static ptq_status norm_axis(const ptq__kernel_ctx *ctx, int64_t axis, int rank, const char *what, int *out)
{
    if (axis < -rank || axis >= rank)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s %lld out of range for rank %d", what, (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return PTQ_STATUS_OK;
}

/* Copies one element of size es. */
static inline void copy_elem(char *dst, const char *src, size_t es)
{
    switch (es) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, es); break;
    }
}

/* ---- Flatten / Reshape / Squeeze / Unsqueeze / Identity ----------------- */

ptq_status ptq__kernel_flatten(ptq__kernel_ctx *ctx)
{
    ptq_status st = require_data_input(ctx, 0);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    int64_t axis = ptq__node_attr_int(ctx->node, "axis", 1);
    if (axis < -x->rank || axis > x->rank)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axis %lld out of range for rank %d", (long long)axis, x->rank);
    if (axis < 0) axis += x->rank;
    int64_t dims[2] = {1, 1};
    for (int i = 0; i < x->rank; i++) dims[i < axis ? 0 : 1] *= x->dims[i];
    return output_copy(ctx, 0, x, 2, dims);
}

ptq_status ptq__kernel_reshape(ptq__kernel_ctx *ctx)
{
    ptq_status st = require_data_input(ctx, 0);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    int64_t shape[PTQ_MAX_DIMS];
    int n = 0;
    if (ctx->opset < 5) {
        const int64_t *s;
        n = ptq__node_attr_ints(ctx->node, "shape", &s);
        if (!ptq__node_attr(ctx->node, "shape"))
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "attribute 'shape' is missing");
        if (n > PTQ_MAX_DIMS)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "target rank %d (at most %d)", n, PTQ_MAX_DIMS);
        memcpy(shape, s, sizeof *s * (size_t)n);
    } else if ((st = read_int_input(ctx, 1, "shape", PTQ_MAX_DIMS, shape, &n))) {
        return st;
    }
    bool allowzero = ptq__node_attr_int(ctx->node, "allowzero", 0) != 0;
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < n; i++) {
        if (shape[i] == -1) {
            if (infer >= 0) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "shape has more than one -1");
            infer = i;
            continue;
        }
        if (shape[i] < -1)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "shape[%d] = %lld is negative", i, (long long)shape[i]);
        if (shape[i] == 0 && !allowzero) {
            if (i >= x->rank)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "shape[%d] = 0 copies a dimension the input (rank %d) lacks",
                                        i, x->rank);
            shape[i] = x->dims[i];
        }
        if (__builtin_mul_overflow(known, shape[i], &known))
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "shape has more elements than int64 can count");
    }
    int64_t numel = ptq_tensor_numel(x);
    if (infer >= 0) {
        if (known == 0 || numel % known)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "cannot infer the -1 dimension: %lld elements into blocks of %lld",
                                    (long long)numel, (long long)known);
        shape[infer] = numel / known;
    } else if (known != numel) {
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "shape has %lld elements, the input has %lld", (long long)known,
                                (long long)numel);
    }
    return output_copy(ctx, 0, x, n, shape);
}

/* Axes from the attribute (opset < 13) or input 1 (opset >= 13). */
static ptq_status read_axes(const ptq__kernel_ctx *ctx, int64_t *axes, int *n)
{
    *n = 0;
    if (ctx->opset < 13) {
        const int64_t *a;
        int k = ptq__node_attr_ints(ctx->node, "axes", &a);
        if (k > PTQ_MAX_DIMS) return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "%d axes (at most %d)", k, PTQ_MAX_DIMS);
        memcpy(axes, a, sizeof *a * (size_t)k);
        *n = k;
        return PTQ_STATUS_OK;
    }
    if (!ptq__kernel_in(ctx, 1)) return PTQ_STATUS_OK;
    return read_int_input(ctx, 1, "axes", PTQ_MAX_DIMS, axes, n);
}

ptq_status ptq__kernel_squeeze(ptq__kernel_ctx *ctx)
{
    ptq_status st = require_data_input(ctx, 0);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    int64_t axes[PTQ_MAX_DIMS];
    int n;
    if ((st = read_axes(ctx, axes, &n))) return st;
    bool drop[PTQ_MAX_DIMS] = {false};
    if (n == 0) {
        for (int i = 0; i < x->rank; i++) drop[i] = x->dims[i] == 1;
    } else {
        for (int k = 0; k < n; k++) {
            int a = 0;
            if ((st = norm_axis(ctx, axes[k], x->rank, "axis", &a))) return st;
            if (x->dims[a] != 1)
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "cannot squeeze axis %d of size %lld", a,
                                        (long long)x->dims[a]);
            drop[a] = true;
        }
    }
    int64_t dims[PTQ_MAX_DIMS];
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (!drop[i]) dims[r++] = x->dims[i];
    return output_copy(ctx, 0, x, r, dims);
}

ptq_status ptq__kernel_unsqueeze(ptq__kernel_ctx *ctx)
{
    ptq_status st = require_data_input(ctx, 0);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    int64_t axes[PTQ_MAX_DIMS];
    int n;
    if ((st = read_axes(ctx, axes, &n))) return st;
    if (n == 0) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axes are missing");
    int r = x->rank + n;
    if (r > PTQ_MAX_DIMS) return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "output rank %d (at most %d)", r, PTQ_MAX_DIMS);
    bool ins[PTQ_MAX_DIMS] = {false};
    for (int k = 0; k < n; k++) {
        int a = 0;
        if ((st = norm_axis(ctx, axes[k], r, "axis", &a))) return st;
        if (ins[a]) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "axis %d is repeated", a);
        ins[a] = true;
    }
    int64_t dims[PTQ_MAX_DIMS];
    for (int i = 0, j = 0; i < r; i++) dims[i] = ins[i] ? 1 : x->dims[j++];
    return output_copy(ctx, 0, x, r, dims);
}

ptq_status ptq__kernel_identity(ptq__kernel_ctx *ctx)
{
    ptq_status st = require_data_input(ctx, 0);
    if (st) return st;
    return output_copy(ctx, 0, ctx->in[0], ctx->in[0]->rank, ctx->in[0]->dims);
}

/* ---- Dropout (inference) ------------------------------------------------ */

ptq_status ptq__kernel_dropout(ptq__kernel_ctx *ctx)
{
    ptq_status st = require_data_input(ctx, 0);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    /* Dropout-1..6 `is_test` and the `ratio` attribute/input do not change
     * inference, which is all ptq runs. */
    const ptq_tensor *tm = ptq__kernel_in(ctx, 2);
    if (ctx->opset >= 12 && tm) {
        if (tm->dtype != PTQ_DTYPE_BOOL || ptq_tensor_numel(tm) != 1)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "training_mode must be a bool scalar");
        if (!tm->data)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "training_mode is computed at run time; only constant false is supported");
        if (((const uint8_t *)tm->data)[0])
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "training_mode = true (random dropout) is not supported");
    }
    if ((st = output_copy(ctx, 0, x, x->rank, x->dims))) return st;
    /* Mask: bool from opset 10, the input's type before. All kept. */
    ptq_dtype mdt = ctx->opset >= 10 ? PTQ_DTYPE_BOOL : x->dtype;
    ptq_tensor *mask;
    if ((st = ptq__kernel_output_like(ctx, 1, mdt, x, &mask))) return st;
    if (ctx->shape_only || !mask) return PTQ_STATUS_OK;
    int64_t n = ptq_tensor_numel(x);
    for (int64_t i = 0; i < n; i++) {
        switch (mdt) {
        case PTQ_DTYPE_FLOAT32: ((float *)mask->data)[i] = 1.f; break;
        case PTQ_DTYPE_FLOAT64: ((double *)mask->data)[i] = 1.0; break;
        case PTQ_DTYPE_FLOAT16: ((uint16_t *)mask->data)[i] = 0x3c00; break;
        default: ((uint8_t *)mask->data)[i] = 1; break;
        }
    }
    return PTQ_STATUS_OK;
}

/* ---- Concat / Transpose ------------------------------------------------- */

ptq_status ptq__kernel_concat(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if (ctx->n_in < 1) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "no inputs");
    for (int i = 0; i < ctx->n_in; i++)
        if ((st = require_data_input(ctx, i))) return st;
    const ptq_tensor *x0 = ctx->in[0];
    if (!ptq__node_attr(ctx->node, "axis") && ctx->opset >= 4)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "attribute 'axis' is missing");
    int axis = 0;
    if (x0->rank == 0) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "cannot concatenate scalars");
    if ((st = norm_axis(ctx, ptq__node_attr_int(ctx->node, "axis", 1), x0->rank, "axis", &axis))) return st;
    int64_t dims[PTQ_MAX_DIMS];
    memcpy(dims, x0->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        const ptq_tensor *t = ctx->in[i];
        if (t->dtype != x0->dtype)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "input %d has dtype %s, input 0 has %s", i,
                                    ptq_dtype_name(t->dtype), ptq_dtype_name(x0->dtype));
        if (t->rank != x0->rank)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "input %d has rank %d, input 0 has %d", i, t->rank, x0->rank);
        for (int d = 0; d < t->rank; d++)
            if (d != axis && t->dims[d] != x0->dims[d])
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "input %d dimension %d is %lld, input 0 has %lld", i, d,
                                        (long long)t->dims[d], (long long)x0->dims[d]);
        dims[axis] += t->dims[axis];
    }
    ptq_tensor *y;
    if ((st = ptq__kernel_output(ctx, 0, x0->dtype, x0->rank, dims, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    size_t es = ptq_dtype_size(x0->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= dims[d];
    for (int d = axis + 1; d < x0->rank; d++) inner *= dims[d];
    size_t row = (size_t)(dims[axis] * inner) * es;
    size_t off = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        const ptq_tensor *t = ctx->in[i];
        size_t chunk = (size_t)(t->dims[axis] * inner) * es;
        if (chunk)
            for (int64_t o = 0; o < outer; o++)
                memcpy((char *)y->data + (size_t)o * row + off, (const char *)t->data + (size_t)o * chunk, chunk);
        off += chunk;
    }
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_transpose(ptq__kernel_ctx *ctx)
{
    ptq_status st = require_data_input(ctx, 0);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    int r = x->rank;
    int perm[PTQ_MAX_DIMS];
    const int64_t *p;
    int np = ptq__node_attr_ints(ctx->node, "perm", &p);
    if (!ptq__node_attr(ctx->node, "perm")) {
        for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
    } else {
        if (np != r) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "perm has %d entries, input rank is %d", np, r);
        bool seen[PTQ_MAX_DIMS] = {false};
        for (int i = 0; i < r; i++) {
            if (p[i] < 0 || p[i] >= r || seen[p[i]])
                return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "perm is not a permutation of 0..%d (entry %d = %lld)", r - 1,
                                        i, (long long)p[i]);
            seen[p[i]] = true;
            perm[i] = (int)p[i];
        }
    }
    int64_t dims[PTQ_MAX_DIMS], in_stride[PTQ_MAX_DIMS], s[PTQ_MAX_DIMS];
    int64_t st_acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        in_stride[i] = st_acc;
        st_acc *= x->dims[i];
    }
    for (int i = 0; i < r; i++) {
        dims[i] = x->dims[perm[i]];
        s[i] = in_stride[perm[i]];
    }
    ptq_tensor *y;
    if ((st = ptq__kernel_output(ctx, 0, x->dtype, r, dims, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    size_t es = ptq_dtype_size(x->dtype);
    int64_t n = ptq_tensor_numel(x), idx[PTQ_MAX_DIMS] = {0}, off = 0;
    const char *src = x->data;
    char *dst = y->data;
    for (int64_t i = 0; i < n; i++) {
        copy_elem(dst + (size_t)i * es, src + (size_t)off * es, es);
        for (int d = r - 1; d >= 0; d--) {
            idx[d]++;
            off += s[d];
            if (idx[d] < dims[d]) break;
            off -= s[d] * dims[d];
            idx[d] = 0;
        }
    }
    return PTQ_STATUS_OK;
}

/* ---- Constant / Shape --------------------------------------------------- */

/* Constant from value_float(s) / value_int(s): a scalar (the value at
 * `scalar`) when attribute a has type scalar_type, else a 1-D tensor of the
 * a->n values at `list` (a must then have type list_type). */
static ptq_status constant_from_list(ptq__kernel_ctx *ctx, const ptq__attr *a, ptq__attr_type scalar_type,
                                     ptq__attr_type list_type, ptq_dtype dtype, const void *scalar, const void *list)
{
    bool is_scalar = a->type == scalar_type;
    if (!is_scalar && a->type != list_type)
        return ptq__kernel_fail(ctx, PTQ_STATUS_BAD_FORMAT, "attribute '%s' has the wrong type", a->name);
    int64_t len = is_scalar ? 1 : a->n;
    ptq_tensor *y;
    ptq_status st = ptq__kernel_output(ctx, 0, dtype, is_scalar ? 0 : 1, &len, &y);
    if (st || ctx->shape_only || !y) return st;
    if (len) memcpy(y->data, is_scalar ? scalar : list, ptq_dtype_size(dtype) * (size_t)len);
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_constant(ptq__kernel_ctx *ctx)
{
    const ptq__node *n = ctx->node;
    ptq_status st;
    ptq_tensor *y;
    const ptq__attr *a;
    if ((a = ptq__node_attr(n, "value"))) {
        if (a->type != PTQ__ATTR_TENSOR || !a->t)
            return ptq__kernel_fail(ctx, PTQ_STATUS_BAD_FORMAT, "attribute 'value' is not a tensor");
        if (ptq_dtype_size(a->t->dtype) == 0)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "constant of dtype %s is not supported", ptq_dtype_name(a->t->dtype));
        if (a->t->rank > PTQ_MAX_DIMS) return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "constant rank %d", a->t->rank);
        if ((st = ptq__kernel_output(ctx, 0, a->t->dtype, a->t->rank, a->t->dims, &y))) return st;
        if (!ctx->shape_only && y && nbytes(y)) memcpy(y->data, a->t->data, nbytes(y));
        return PTQ_STATUS_OK;
    }
    if ((a = ptq__node_attr(n, "value_float")) || (a = ptq__node_attr(n, "value_floats")))
        return constant_from_list(ctx, a, PTQ__ATTR_FLOAT, PTQ__ATTR_FLOATS, PTQ_DTYPE_FLOAT32, &a->f, a->floats);
    if ((a = ptq__node_attr(n, "value_int")) || (a = ptq__node_attr(n, "value_ints")))
        return constant_from_list(ctx, a, PTQ__ATTR_INT, PTQ__ATTR_INTS, PTQ_DTYPE_INT64, &a->i, a->ints);
    if (ptq__node_attr(n, "sparse_value") || ptq__node_attr(n, "value_string") || ptq__node_attr(n, "value_strings"))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "sparse and string constants are not supported");
    return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "no value attribute");
}

ptq_status ptq__kernel_shape(ptq__kernel_ctx *ctx)
{
    ptq_status st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_UNDEFINED);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    int64_t r = x->rank;
    int64_t start = ptq__node_attr_int(ctx->node, "start", 0), end = ptq__node_attr_int(ctx->node, "end", r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    int64_t len = end > start ? end - start : 0;
    ptq_tensor *y;
    if ((st = ptq__kernel_output(ctx, 0, PTQ_DTYPE_INT64, 1, &len, &y))) return st;
    if (!y) return PTQ_STATUS_OK;
    if (!y->data) {
        /* Shape-only mode: the dims are known, so produce the data anyway. */
        y->data = calloc((size_t)len + 1, sizeof(int64_t));
        if (!y->data) return ptq__oom();
    }
    for (int64_t i = 0; i < len; i++) ((int64_t *)y->data)[i] = x->dims[start + i];
    return PTQ_STATUS_OK;
}

/* ---- Gather ------------------------------------------------------------- */

ptq_status ptq__kernel_gather(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = require_data_input(ctx, 0)) || (st = ptq__kernel_require(ctx, 1, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *x = ctx->in[0], *ind = ctx->in[1];
    if (ind->dtype != PTQ_DTYPE_INT64 && ind->dtype != PTQ_DTYPE_INT32)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "indices have dtype %s, expected int32 or int64",
                                ptq_dtype_name(ind->dtype));
    if (x->rank == 0) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "data must have rank >= 1");
    int axis = 0;
    if ((st = norm_axis(ctx, ptq__node_attr_int(ctx->node, "axis", 0), x->rank, "axis", &axis))) return st;
    int r = x->rank - 1 + ind->rank;
    if (r > PTQ_MAX_DIMS) return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "output rank %d (at most %d)", r, PTQ_MAX_DIMS);
    int64_t dims[PTQ_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < axis; d++) dims[k++] = x->dims[d];
    for (int d = 0; d < ind->rank; d++) dims[k++] = ind->dims[d];
    for (int d = axis + 1; d < x->rank; d++) dims[k++] = x->dims[d];
    ptq_tensor *y;
    if ((st = ptq__kernel_output(ctx, 0, x->dtype, r, dims, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    size_t es = ptq_dtype_size(x->dtype);
    int64_t outer = 1, inner = 1, ax = x->dims[axis], ni = ptq_tensor_numel(ind);
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
    size_t chunk = (size_t)inner * es;
    for (int64_t j = 0; j < ni; j++) {
        int64_t id = ptq__tensor_get_int(ind, j);
        if (id < -ax || id >= ax)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "index %lld out of range for axis of size %lld", (long long)id,
                                    (long long)ax);
        if (id < 0) id += ax;
        for (int64_t o = 0; o < outer; o++)
            memcpy((char *)y->data + ((size_t)(o * ni + j)) * chunk, (const char *)x->data + ((size_t)(o * ax + id)) * chunk, chunk);
    }
    return PTQ_STATUS_OK;
}

/* ---- Cast --------------------------------------------------------------- */

/* IEEE half <-> double, round to nearest even, with subnormals, inf, NaN. */
static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v;
    if (e == 0) v = ldexp(m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexp(m | 0x400, e - 25);
    return (h & 0x8000) ? -v : v;
}

static uint16_t double_to_half(double v)
{
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    if (isnan(v)) return 0x7e00;
    v = fabs(v);
    if (isinf(v) || v >= 65520.0) return sign | 0x7c00; /* 65520 rounds to inf */
    if (v < ldexp(1, -14)) {
        /* Subnormal: units of 2^-24, rounded half to even by nearbyint. */
        double q = nearbyint(ldexp(v, 24));
        return sign | (uint16_t)q; /* q == 1024 yields the smallest normal */
    }
    int e;
    double f = frexp(v, &e); /* v = f * 2^e, f in [0.5, 1) */
    double q = nearbyint(ldexp(f, 11)); /* 11 significant bits */
    if (q >= 2048) {
        q /= 2;
        e++;
    }
    int be = e - 1 + 15;
    if (be >= 31) return sign | 0x7c00;
    return sign | (uint16_t)(be << 10) | (uint16_t)((int)q & 0x3ff);
}

static bool cast_supported(ptq_dtype dt)
{
    switch (dt) {
    case PTQ_DTYPE_FLOAT32: case PTQ_DTYPE_FLOAT64: case PTQ_DTYPE_FLOAT16: case PTQ_DTYPE_BOOL:
    case PTQ_DTYPE_INT8: case PTQ_DTYPE_UINT8: case PTQ_DTYPE_INT16: case PTQ_DTYPE_UINT16:
    case PTQ_DTYPE_INT32: case PTQ_DTYPE_UINT32: case PTQ_DTYPE_INT64: case PTQ_DTYPE_UINT64:
        return true;
    default:
        return false;
    }
}

static bool dtype_is_float(ptq_dtype dt) { return dt == PTQ_DTYPE_FLOAT32 || dt == PTQ_DTYPE_FLOAT64 || dt == PTQ_DTYPE_FLOAT16; }

static double cast_get_double(const ptq_tensor *t, int64_t i)
{
    if (t->dtype == PTQ_DTYPE_FLOAT16) return half_to_double(((const uint16_t *)t->data)[i]);
    if (t->dtype == PTQ_DTYPE_UINT64) return (double)((const uint64_t *)t->data)[i];
    return ptq__tensor_get_double(t, i);
}

/* Float to integer: truncation toward zero; NaN gives 0 and out-of-range
 * values saturate to the int64 range before wrapping (undefined in ONNX,
 * but never undefined behaviour here). */
static int64_t trunc_to_int(double v)
{
    if (isnan(v)) return 0;
    v = trunc(v);
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

static void cast_set(ptq_tensor *y, int64_t i, bool from_float, double dv, int64_t iv)
{
    if (from_float && !dtype_is_float(y->dtype) && y->dtype != PTQ_DTYPE_BOOL) iv = trunc_to_int(dv);
    switch (y->dtype) {
    case PTQ_DTYPE_FLOAT32: ((float *)y->data)[i] = (float)dv; break;
    case PTQ_DTYPE_FLOAT64: ((double *)y->data)[i] = dv; break;
    case PTQ_DTYPE_FLOAT16: ((uint16_t *)y->data)[i] = double_to_half(dv); break;
    case PTQ_DTYPE_BOOL: ((uint8_t *)y->data)[i] = from_float ? dv != 0.0 : iv != 0; break;
    default: ptq__tensor_set_int(y, i, iv); break; /* integer types; others: no-op */
    }
}

/* Opset 1-5 Cast spells `to` as a string. */
static ptq_dtype dtype_from_string(const char *s)
{
    static const struct { const char *name; ptq_dtype dt; } map[] = {
        {"FLOAT", PTQ_DTYPE_FLOAT32}, {"UINT8", PTQ_DTYPE_UINT8}, {"INT8", PTQ_DTYPE_INT8},
        {"UINT16", PTQ_DTYPE_UINT16}, {"INT16", PTQ_DTYPE_INT16}, {"INT32", PTQ_DTYPE_INT32},
        {"INT64", PTQ_DTYPE_INT64}, {"BOOL", PTQ_DTYPE_BOOL}, {"FLOAT16", PTQ_DTYPE_FLOAT16},
        {"DOUBLE", PTQ_DTYPE_FLOAT64}, {"UINT32", PTQ_DTYPE_UINT32}, {"UINT64", PTQ_DTYPE_UINT64},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i].name) == 0) return map[i].dt;
    return PTQ_DTYPE_UNDEFINED;
}

ptq_status ptq__kernel_cast(ptq__kernel_ctx *ctx)
{
    ptq_status st = ptq__kernel_require(ctx, 0, PTQ_DTYPE_UNDEFINED);
    if (st) return st;
    const ptq_tensor *x = ctx->in[0];
    const ptq__attr *a = ptq__node_attr(ctx->node, "to");
    if (!a) return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "attribute 'to' is missing");
    int64_t to = a->type == PTQ__ATTR_STRING && a->s ? (int64_t)dtype_from_string(a->s) : a->type == PTQ__ATTR_INT ? a->i : 0;
    if (to <= 0 || to > PTQ_DTYPE_UINT64 || !cast_supported((ptq_dtype)to))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "cast to ONNX type %lld is not supported", (long long)to);
    if (!cast_supported(x->dtype))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "cast from %s is not supported", ptq_dtype_name(x->dtype));
    ptq_tensor *y;
    if ((st = ptq__kernel_output_like(ctx, 0, (ptq_dtype)to, x, &y))) return st;
    if (ctx->shape_only || !y) return PTQ_STATUS_OK;
    int64_t n = ptq_tensor_numel(x);
    if (x->dtype == y->dtype) {
        if (n) memcpy(y->data, x->data, nbytes(x));
        return PTQ_STATUS_OK;
    }
    bool from_float = dtype_is_float(x->dtype);
    for (int64_t i = 0; i < n; i++) {
        if (from_float) {
            cast_set(y, i, true, cast_get_double(x, i), 0);
        } else {
            int64_t iv = ptq__tensor_get_int(x, i);
            double dv = x->dtype == PTQ_DTYPE_UINT64 ? (double)(uint64_t)iv : (double)iv;
            cast_set(y, i, false, dv, iv);
        }
    }
    return PTQ_STATUS_OK;
}
