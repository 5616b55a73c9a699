/* matmul.c: reference kernels of Gemm, MatMul, MatMulInteger and
 * QLinearMatMul, and the plain GEMM loops shared with Conv (gemm_ref.h).
 *
 *   Gemm           Y = alpha * A' * B' + beta * C   (A' = transA ? A^T : A, C
 *                  unidirectionally broadcast to [M, N]; C optional)
 *   MatMul         numpy matmul: 1-D operands promoted (and the promoted
 *                  dimension removed again), batch dimensions broadcast
 *   MatMulInteger  int32 Y = (A - a_zp) * (B - b_zp), exact
 *   QLinearMatMul  int32 acc as MatMulInteger, then requantized (requant.h)
 *
 * Zero points and scales of the integer ops are per tensor (one element), per
 * row of A / per column of B (M resp. N elements), or per batch and row/column
 * (batch x M resp. batch x N elements, ONNX's [D1, D2, M, 1] / [D1, D2, 1, N]). */
#include "ops/gemm_ref.h"
#include "ops/kernel.h"
#include "ops/requant.h"

#include <stdlib.h>
#include <string.h>

/* ---- GEMM loops -------------------------------------------------------- */

/* Columns of c and b processed per tile: a tile row of c (1 KiB) stays in L1
 * while the k rows of b stream past it. */
#define PTQ__GEMM_NB 256

void ptq__gemm_f32_ref(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c)
{
    for (int64_t j0 = 0; j0 < n; j0 += PTQ__GEMM_NB) {
        int64_t nb = n - j0 < PTQ__GEMM_NB ? n - j0 : PTQ__GEMM_NB;
        for (int64_t i = 0; i < m; i++) {
            float *restrict crow = c + i * n + j0;
            const float *arow = a + i * k;
            for (int64_t p = 0; p < k; p++) {
                const float av = arow[p];
                const float *restrict brow = b + p * n + j0;
                for (int64_t j = 0; j < nb; j++) crow[j] += av * brow[j];
            }
        }
    }
}

void ptq__gemm_s32_ref(int64_t m, int64_t n, int64_t k, const int32_t *a, const int32_t *b, int32_t *c)
{
    for (int64_t j0 = 0; j0 < n; j0 += PTQ__GEMM_NB) {
        int64_t nb = n - j0 < PTQ__GEMM_NB ? n - j0 : PTQ__GEMM_NB;
        for (int64_t i = 0; i < m; i++) {
            int32_t *restrict crow = c + i * n + j0;
            const int32_t *arow = a + i * k;
            for (int64_t p = 0; p < k; p++) {
                const int32_t av = arow[p];
                const int32_t *restrict brow = b + p * n + j0;
                if (av == 0) continue; /* adds exact zeros */
                for (int64_t j = 0; j < nb; j++) crow[j] = ptq__add_wrap32(crow[j], av * brow[j]);
            }
        }
    }
}

/* ---- numpy matmul shapes ------------------------------------------------ */

typedef struct mm_shape {
    int64_t m, n, k;
    int brank;                       /* rank of the broadcast batch */
    int64_t bdims[PTQ_MAX_DIMS];     /* broadcast batch dims */
    int64_t a_bdims[PTQ_MAX_DIMS];   /* A's batch dims, left-padded with 1 to brank */
    int64_t b_bdims[PTQ_MAX_DIMS];
    int64_t batch, a_batch, b_batch; /* element counts of the batches */
    int out_rank;
    int64_t out_dims[PTQ_MAX_DIMS];
} mm_shape;

static ptq_status mm_shape_infer(const ptq__kernel_ctx *ctx, const ptq_tensor *a, const ptq_tensor *b, mm_shape *s)
{
    memset(s, 0, sizeof *s);
    if (a->rank < 1 || b->rank < 1)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "operands must have rank >= 1 (A rank %d, B rank %d)",
                                a->rank, b->rank);
    s->m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    s->k = a->dims[a->rank - 1];
    int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
    s->n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    if (kb != s->k)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                "inner dimensions differ: A has K=%lld, B has K=%lld", (long long)s->k, (long long)kb);
    int ra = a->rank >= 2 ? a->rank - 2 : 0, rb = b->rank >= 2 ? b->rank - 2 : 0;
    s->brank = ra > rb ? ra : rb;
    s->batch = s->a_batch = s->b_batch = 1;
    for (int i = 0; i < s->brank; i++) {
        int ia = i - (s->brank - ra), ib = i - (s->brank - rb);
        s->a_bdims[i] = ia >= 0 ? a->dims[ia] : 1;
        s->b_bdims[i] = ib >= 0 ? b->dims[ib] : 1;
        if (s->a_bdims[i] != s->b_bdims[i] && s->a_bdims[i] != 1 && s->b_bdims[i] != 1)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                                    "batch dimensions cannot broadcast: %lld vs %lld at batch axis %d",
                                    (long long)s->a_bdims[i], (long long)s->b_bdims[i], i);
        s->bdims[i] = s->a_bdims[i] == 1 ? s->b_bdims[i] : s->a_bdims[i];
        s->batch *= s->bdims[i];
        s->a_batch *= s->a_bdims[i];
        s->b_batch *= s->b_bdims[i];
    }
    s->out_rank = 0;
    for (int i = 0; i < s->brank; i++) s->out_dims[s->out_rank++] = s->bdims[i];
    if (a->rank >= 2) s->out_dims[s->out_rank++] = s->m;
    if (b->rank >= 2) s->out_dims[s->out_rank++] = s->n;
    return PTQ_STATUS_OK;
}

/* Matrix index into A (which == 0) or B (which == 1) of output batch ob. */
static int64_t mm_batch_source(const mm_shape *s, int64_t ob, int which)
{
    const int64_t *src = which ? s->b_bdims : s->a_bdims;
    int64_t idx = 0, stride = 1;
    for (int i = s->brank - 1; i >= 0; i--) {
        int64_t coord = ob % s->bdims[i];
        ob /= s->bdims[i];
        if (src[i] != 1) idx += coord * stride;
        stride *= src[i];
    }
    return idx;
}

/* ---- Gemm --------------------------------------------------------------- */

/* Copies the transpose of a rows x cols matrix. */
static float *transpose_copy(const float *src, int64_t rows, int64_t cols)
{
    float *dst = malloc(sizeof(float) * (size_t)(rows * cols > 0 ? rows * cols : 1));
    if (!dst) return NULL;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
    return dst;
}

ptq_status ptq__kernel_gemm(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 2, PTQ_DTYPE_FLOAT32))) return st;
    const ptq_tensor *A = ctx->in[0], *B = ctx->in[1], *C = ptq__kernel_in(ctx, 2);
    int trans_a = (int)ptq__node_attr_int(ctx->node, "transA", 0);
    int trans_b = (int)ptq__node_attr_int(ctx->node, "transB", 0);
    float alpha = ptq__node_attr_float(ctx->node, "alpha", 1.0f);
    float beta = ptq__node_attr_float(ctx->node, "beta", 1.0f);
    if (A->rank != 2 || B->rank != 2)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "A and B must be 2-D (A rank %d, B rank %d)", A->rank, B->rank);
    int64_t m = trans_a ? A->dims[1] : A->dims[0], k = trans_a ? A->dims[0] : A->dims[1];
    int64_t kb = trans_b ? B->dims[1] : B->dims[0], n = trans_b ? B->dims[0] : B->dims[1];
    if (k != kb)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "inner dimensions differ: A' is %lldx%lld, B' is %lldx%lld",
                                (long long)m, (long long)k, (long long)kb, (long long)n);
    /* C: unidirectionally broadcastable to [M, N]. */
    int64_t cm = 1, cn = 1;
    if (C) {
        if (C->dtype != PTQ_DTYPE_FLOAT32)
            return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "C has dtype %s, expected float32", ptq_dtype_name(C->dtype));
        if (C->rank > 2)
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "C has rank %d, at most 2 allowed", C->rank);
        if (C->rank >= 1) cn = C->dims[C->rank - 1];
        if (C->rank == 2) cm = C->dims[0];
        if ((cm != 1 && cm != m) || (cn != 1 && cn != n))
            return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "C of shape [%lld, %lld] does not broadcast to [%lld, %lld]",
                                    (long long)cm, (long long)cn, (long long)m, (long long)n);
    }
    ptq_tensor *Y;
    int64_t ydims[2] = {m, n};
    if ((st = ptq__kernel_output(ctx, 0, PTQ_DTYPE_FLOAT32, 2, ydims, &Y)) || ctx->shape_only || !Y) return st;

    const float *a = A->data, *b = B->data;
    float *at = NULL, *bt = NULL;
    if (trans_a && !(a = at = transpose_copy(A->data, k, m))) return ptq__oom();
    if (trans_b && !(b = bt = transpose_copy(B->data, n, k))) {
        free(at);
        return ptq__oom();
    }
    float *y = Y->data; /* zero-filled */
    ptq__gemm_f32_ref(m, n, k, a, b, y);
    const float *c = C ? C->data : NULL;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float v = alpha * y[i * n + j];
            if (c) v += beta * c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
            y[i * n + j] = v;
        }
    free(at);
    free(bt);
    return PTQ_STATUS_OK;
}

/* ---- MatMul ------------------------------------------------------------- */

ptq_status ptq__kernel_matmul(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 2, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *A = ctx->in[0], *B = ctx->in[1];
    if (A->dtype != PTQ_DTYPE_FLOAT32 || B->dtype != PTQ_DTYPE_FLOAT32)
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "dtypes %s x %s not supported (float32 only)",
                                ptq_dtype_name(A->dtype), ptq_dtype_name(B->dtype));
    mm_shape s;
    if ((st = mm_shape_infer(ctx, A, B, &s))) return st;
    ptq_tensor *Y;
    if ((st = ptq__kernel_output(ctx, 0, PTQ_DTYPE_FLOAT32, s.out_rank, s.out_dims, &Y)) || ctx->shape_only || !Y) return st;
    const float *a = A->data, *b = B->data;
    float *y = Y->data;
    for (int64_t ob = 0; ob < s.batch; ob++)
        ptq__gemm_f32_ref(s.m, s.n, s.k, a + mm_batch_source(&s, ob, 0) * s.m * s.k,
                          b + mm_batch_source(&s, ob, 1) * s.k * s.n, y + ob * s.m * s.n);
    return PTQ_STATUS_OK;
}

/* ---- integer matmuls ---------------------------------------------------- */

/* How a zero point / scale of A (rows) or B (columns) is indexed: by
 * matrix (batch) index `mat` and row/column `rc` -> element mat * per_mat + rc
 * when per_mat > 0, rc when per_mat == 0 and per_rc, else 0. */
typedef struct q_param {
    const ptq_tensor *t; /* NULL: the default (zero point 0) */
    int per_rc;
    int64_t per_mat;
} q_param;

/* Validates a quantization parameter of operand `what` ("a"/"b") whose
 * matrices have `rc` rows (A) or columns (B) and `mats` matrices. */
static ptq_status q_param_check(const ptq__kernel_ctx *ctx, const ptq_tensor *t, const char *name, ptq_dtype want,
                                int64_t rc, int64_t mats, q_param *p)
{
    p->t = t;
    p->per_rc = 0;
    p->per_mat = 0;
    if (!t) return PTQ_STATUS_OK;
    if (want != PTQ_DTYPE_UNDEFINED && t->dtype != want)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "%s has dtype %s, expected %s", name,
                                ptq_dtype_name(t->dtype), ptq_dtype_name(want));
    int64_t cnt = ptq_tensor_numel(t);
    if (cnt == 1) return PTQ_STATUS_OK;
    if (cnt == rc) {
        p->per_rc = 1;
        return PTQ_STATUS_OK;
    }
    if (cnt == rc * mats) {
        p->per_rc = 1;
        p->per_mat = rc;
        return PTQ_STATUS_OK;
    }
    return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT,
                            "%s has %lld elements; expected 1 (per tensor), %lld (per row/column) or %lld", name,
                            (long long)cnt, (long long)rc, (long long)(rc * mats));
}

static int64_t q_param_index(const q_param *p, int64_t mat, int64_t rc)
{
    if (!p->per_rc) return 0;
    return p->per_mat ? mat * p->per_mat + rc : rc;
}

static int32_t q_zp(const q_param *p, int64_t mat, int64_t rc)
{
    return p->t ? (int32_t)ptq__tensor_get_int(p->t, q_param_index(p, mat, rc)) : 0;
}

static float q_scale(const q_param *p, int64_t mat, int64_t rc)
{
    return ((const float *)p->t->data)[q_param_index(p, mat, rc)];
}

/* The shared core of MatMulInteger and QLinearMatMul: acc (batch x m x n
 * int32, zero-filled) = (A - a_zp) * (B - b_zp). */
static ptq_status integer_matmul(const mm_shape *s, const ptq_tensor *A, const q_param *azp, const ptq_tensor *B,
                                 const q_param *bzp, int32_t *acc)
{
    int64_t na = s->a_batch * s->m * s->k, nb = s->b_batch * s->k * s->n;
    int32_t *a = malloc(sizeof(int32_t) * (size_t)(na > 0 ? na : 1));
    int32_t *b = malloc(sizeof(int32_t) * (size_t)(nb > 0 ? nb : 1));
    if (!a || !b) {
        free(a);
        free(b);
        return ptq__oom();
    }
    for (int64_t i = 0; i < na; i++) {
        int64_t mat = i / (s->m * s->k), row = (i / s->k) % s->m;
        a[i] = (int32_t)ptq__tensor_get_int(A, i) - q_zp(azp, mat, row);
    }
    for (int64_t i = 0; i < nb; i++) {
        int64_t mat = i / (s->k * s->n), col = i % s->n;
        b[i] = (int32_t)ptq__tensor_get_int(B, i) - q_zp(bzp, mat, col);
    }
    for (int64_t ob = 0; ob < s->batch; ob++)
        ptq__gemm_s32_ref(s->m, s->n, s->k, a + mm_batch_source(s, ob, 0) * s->m * s->k,
                          b + mm_batch_source(s, ob, 1) * s->k * s->n, acc + ob * s->m * s->n);
    free(a);
    free(b);
    return PTQ_STATUS_OK;
}

ptq_status ptq__kernel_matmul_integer(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 2, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *A = ctx->in[0], *B = ctx->in[1];
    if (!ptq__is_q8(A->dtype) || !ptq__is_q8(B->dtype))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "A and B must be uint8 or int8 (got %s, %s)",
                                ptq_dtype_name(A->dtype), ptq_dtype_name(B->dtype));
    mm_shape s;
    if ((st = mm_shape_infer(ctx, A, B, &s))) return st;
    q_param azp, bzp;
    if ((st = q_param_check(ctx, ptq__kernel_in(ctx, 2), "a_zero_point", A->dtype, s.m, s.a_batch, &azp)) ||
        (st = q_param_check(ctx, ptq__kernel_in(ctx, 3), "b_zero_point", B->dtype, s.n, s.b_batch, &bzp)))
        return st;
    ptq_tensor *Y;
    if ((st = ptq__kernel_output(ctx, 0, PTQ_DTYPE_INT32, s.out_rank, s.out_dims, &Y)) || ctx->shape_only || !Y) return st;
    return integer_matmul(&s, A, &azp, B, &bzp, Y->data);
}

ptq_status ptq__kernel_qlinear_matmul(ptq__kernel_ctx *ctx)
{
    ptq_status st;
    if ((st = ptq__kernel_require_n(ctx, 8, PTQ_DTYPE_UNDEFINED))) return st;
    const ptq_tensor *A = ctx->in[0], *B = ctx->in[3], *YS = ctx->in[6], *YZ = ctx->in[7];
    if (!ptq__is_q8(A->dtype) || !ptq__is_q8(B->dtype))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "a and b must be uint8 or int8 (got %s, %s)",
                                ptq_dtype_name(A->dtype), ptq_dtype_name(B->dtype));
    int32_t qmin, qmax;
    if (!ptq__is_q8(YZ->dtype) || !ptq__qrange(YZ->dtype, &qmin, &qmax))
        return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "y_zero_point must be uint8 or int8 (got %s)", ptq_dtype_name(YZ->dtype));
    mm_shape s;
    if ((st = mm_shape_infer(ctx, A, B, &s))) return st;
    q_param as, azp, bs, bzp;
    if ((st = q_param_check(ctx, ctx->in[1], "a_scale", PTQ_DTYPE_FLOAT32, s.m, s.a_batch, &as)) ||
        (st = q_param_check(ctx, ctx->in[2], "a_zero_point", A->dtype, s.m, s.a_batch, &azp)) ||
        (st = q_param_check(ctx, ctx->in[4], "b_scale", PTQ_DTYPE_FLOAT32, s.n, s.b_batch, &bs)) ||
        (st = q_param_check(ctx, ctx->in[5], "b_zero_point", B->dtype, s.n, s.b_batch, &bzp)))
        return st;
    if (YS->dtype != PTQ_DTYPE_FLOAT32 || ptq_tensor_numel(YS) != 1 || ptq_tensor_numel(YZ) != 1)
        return ptq__kernel_fail(ctx, PTQ_STATUS_INVALID_ARGUMENT, "y_scale (float32) and y_zero_point must be scalars");
    ptq_tensor *Y;
    if ((st = ptq__kernel_output(ctx, 0, YZ->dtype, s.out_rank, s.out_dims, &Y)) || ctx->shape_only || !Y) return st;
    int64_t total = s.batch * s.m * s.n;
    int32_t *acc = calloc((size_t)(total > 0 ? total : 1), sizeof(int32_t));
    if (!acc) return ptq__oom();
    if ((st = integer_matmul(&s, A, &azp, B, &bzp, acc))) {
        free(acc);
        return st;
    }
    float y_scale = *(const float *)YS->data;
    int32_t y_zp = (int32_t)ptq__tensor_get_int(YZ, 0);
    for (int64_t ob = 0; ob < s.batch; ob++) {
        int64_t ma = mm_batch_source(&s, ob, 0), mb = mm_batch_source(&s, ob, 1);
        for (int64_t i = 0; i < s.m; i++)
            for (int64_t j = 0; j < s.n; j++) {
                int64_t o = (ob * s.m + i) * s.n + j;
                float mult = ptq__requant_multiplier(q_scale(&as, ma, i), q_scale(&bs, mb, j), y_scale);
                ptq__qstore(Y->dtype, Y->data, o, ptq__requantize(acc[o], mult, y_zp, qmin, qmax));
            }
    }
    free(acc);
    return PTQ_STATUS_OK;
}
