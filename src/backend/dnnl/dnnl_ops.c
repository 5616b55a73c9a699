/* oneDNN backend, node groups: which patterns of the graph run as one oneDNN
 * primitive (match), and how that primitive is built (emit). Every node not
 * claimed here runs on its reference kernel (dnnl_plan.c).
 *
 * FP32: Conv [+BatchNormalization folded into a private copy of the weights]
 * [+Relu/LeakyRelu/Clip/Sigmoid/HardSwish post-ops] [+Add as a sum post-op,
 * computed in place into the other operand when it is dead afterwards]
 * [+more activations]; Max/Average/Global pooling; Gemm and MatMul as matmul;
 * standalone activations, same-shape or broadcast binary ops, Softmax;
 * Flatten/Reshape/Squeeze/Unsqueeze/Identity/Dropout as views.
 *
 * INT8 (the QDQ form written by ONNX Runtime and NNCF):
 *   DQ(x u8/s8) -> Conv(DQ(w s8 per-channel), DQ(b s32)) -> [Relu] -> Q
 *     becomes one int8 convolution: src zero point, output scales
 *     x_scale * w_scale[c] / y_scale (mask 2), f32 bias in accumulator units, dst zero point;
 *   ... -> Q -> DQ -> Add(DQ(r)) -> [Relu] -> Q folds the residual Add in as a
 *     sum post-op (scale r_scale / y_scale, zero point r_zp);
 *   DQ -> MaxPool -> Q (same quantization) pools the integers;
 *   DQ -> Gemm(DQ w, DQ b) -> [Relu] -> Q becomes an int8 matmul.
 * The arithmetic follows src/ops/requant.h: an exact int32 accumulator, one
 * float multiplier, round half to even, saturation. */
#include "backend/dnnl/dnnl_internal.h"

#include <math.h>
#include <stdlib.h>
#include "ops/requant.h"
#include <string.h>

/* ---- graph helpers ------------------------------------------------------ */

static bool is_constish(ptq__dnnl_plan *p, int v)
{
    const ptq__graph *g = p->g;
    if (v < 0) return true;
    if (g->values[v].data || p->folded[v]) return true;
    int pn = g->values[v].producer;
    if (pn < 0 || g->nodes[pn].dead || g->nodes[pn].op != PTQ__OP_DEQUANTIZE_LINEAR) return false;
    const ptq__node *n = &g->nodes[pn];
    for (int j = 0; j < n->n_inputs; j++)
        if (n->inputs[j] >= 0 && !g->values[n->inputs[j]].data) return false;
    return true;
}

static int in_value(const ptq__node *n, int j) { return j < n->n_inputs ? n->inputs[j] : -1; }

static bool is_graph_input(const ptq__graph *g, int v)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] == v) return true;
    return false;
}

static const ptq__value *val(ptq__dnnl_plan *p, int v) { return &p->g->values[v]; }

static bool same_dims(const ptq__value *a, const ptq__value *b)
{
    if (a->rank != b->rank) return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d]) return false;
    return true;
}

/* Quantization parameters of a QuantizeLinear/DequantizeLinear node. */
typedef struct qparams {
    int q;                 /* the quantized value (DQ input / Q output) */
    int f;                 /* the float value (DQ output / Q input) */
    ptq_dtype dt;
    const ptq_tensor *scale;
    const ptq_tensor *zp;  /* NULL: zero */
    int axis;
} qparams;

static bool node_qparams(const ptq__graph *g, const ptq__node *n, qparams *q)
{
    if (n->dead || (n->op != PTQ__OP_QUANTIZE_LINEAR && n->op != PTQ__OP_DEQUANTIZE_LINEAR)) return false;
    if (n->n_inputs < 2 || n->n_outputs != 1 || n->inputs[1] < 0) return false;
    bool dq = n->op == PTQ__OP_DEQUANTIZE_LINEAR;
    q->q = dq ? n->inputs[0] : n->outputs[0];
    q->f = dq ? n->outputs[0] : n->inputs[0];
    q->dt = g->values[q->q].dtype;
    q->scale = g->values[n->inputs[1]].data;
    q->zp = n->n_inputs > 2 && n->inputs[2] >= 0 ? g->values[n->inputs[2]].data : NULL;
    if (n->n_inputs > 2 && n->inputs[2] >= 0 && !q->zp) return false;
    q->axis = (int)ptq__node_attr_int(n, "axis", 1);
    if (!q->scale || q->scale->dtype != PTQ_DTYPE_FLOAT32) return false;
    if (q->zp && q->zp->dtype != q->dt) return false;
    return true;
}

/* DQ producing v. */
static bool dq_of(ptq__dnnl_plan *p, int v, qparams *q)
{
    if (v < 0) return false;
    int pn = p->g->values[v].producer;
    return pn >= 0 && p->g->nodes[pn].op == PTQ__OP_DEQUANTIZE_LINEAR && node_qparams(p->g, &p->g->nodes[pn], q);
}

static bool qp_scalar(const qparams *q, float *scale, int32_t *zp)
{
    if (ptq_tensor_numel(q->scale) != 1 || (q->zp && ptq_tensor_numel(q->zp) != 1)) return false;
    if (q->dt != PTQ_DTYPE_UINT8 && q->dt != PTQ_DTYPE_INT8) return false;
    *scale = ((const float *)q->scale->data)[0];
    *zp = q->zp ? (int32_t)ptq__tensor_get_int(q->zp, 0) : 0;
    return *scale > 0 && isfinite(*scale);
}

/* An activation DQ: non-constant u8/s8 with a scalar scale and zero point. */
static bool act_dq(ptq__dnnl_plan *p, int v, qparams *q, float *scale, int32_t *zp)
{
    return dq_of(p, v, q) && !is_constish(p, q->q) && qp_scalar(q, scale, zp);
}

/* Activation node that oneDNN can apply as an eltwise (post-op). */
static bool eltwise_of(ptq__dnnl_plan *p, const ptq__node *n, ptq__dnnl_post *e)
{
    e->alpha = e->beta = 0;
    switch (n->op) {
    case PTQ__OP_RELU: e->alg = dnnl_eltwise_relu; return true;
    case PTQ__OP_LEAKY_RELU:
        e->alg = dnnl_eltwise_relu;
        e->alpha = ptq__node_attr_float(n, "alpha", 0.01f);
        return true;
    case PTQ__OP_SIGMOID: e->alg = dnnl_eltwise_logistic; return true;
    case PTQ__OP_HARD_SWISH: e->alg = dnnl_eltwise_hardswish; return true;
    case PTQ__OP_CLIP: {
        float lo = -INFINITY, hi = INFINITY;
        if (n->opset < 11) {
            lo = ptq__node_attr_float(n, "min", -INFINITY);
            hi = ptq__node_attr_float(n, "max", INFINITY);
        } else {
            for (int j = 1; j <= 2; j++) {
                int v = in_value(n, j);
                if (v < 0) continue;
                const ptq_tensor *c = p->g->values[v].data;
                if (!c || c->dtype != PTQ_DTYPE_FLOAT32 || ptq_tensor_numel(c) != 1) return false;
                if (j == 1) lo = ((const float *)c->data)[0];
                else hi = ((const float *)c->data)[0];
            }
        }
        if (!(lo <= hi)) return false;
        e->alg = dnnl_eltwise_clip_v2;
        e->alpha = isinf(lo) ? -3.4e38f : lo;
        e->beta = isinf(hi) ? 3.4e38f : hi;
        return true;
    }
    default: return false;
    }
}

/* ---- geometry of convolution and pooling -------------------------------- */

typedef struct geom {
    int sp;                   /* spatial dims */
    int64_t groups;
    dnnl_dims_t kernel, strides, dil, pl, pr; /* dil: oneDNN's (d - 1) */
    bool extra_pad_r;         /* padding_r grew beyond the ONNX pads (ceil_mode) */
} geom;

/* kernel from k (NULL: from kernel_shape), output dims from y. */
static bool geom_of(const ptq__node *n, const ptq__value *x, const ptq__value *y, const int64_t *k, geom *gm)
{
    int sp = x->rank - 2;
    if (sp < 1 || sp > 3 || y->rank != x->rank) return false;
    gm->sp = sp;
    gm->groups = ptq__node_attr_int(n, "group", 1);
    gm->extra_pad_r = false;
    const int64_t *ks = NULL, *st = NULL, *dl = NULL, *pd = NULL;
    int nks = ptq__node_attr_ints(n, "kernel_shape", &ks);
    int nst = ptq__node_attr_ints(n, "strides", &st);
    int ndl = ptq__node_attr_ints(n, "dilations", &dl);
    int npd = ptq__node_attr_ints(n, "pads", &pd);
    if ((nst && nst != sp) || (ndl && ndl != sp) || (npd && npd != 2 * sp)) return false;
    if (!k) {
        if (nks != sp) return false;
        k = ks;
    }
    const char *ap = ptq__node_attr_string(n, "auto_pad", "NOTSET");
    for (int i = 0; i < sp; i++) {
        int64_t s = nst ? st[i] : 1, d = ndl ? dl[i] : 1;
        if (s < 1 || d < 1 || k[i] < 1) return false;
        int64_t in = x->dims[2 + i], out = y->dims[2 + i], ek = (k[i] - 1) * d + 1;
        int64_t l = npd ? pd[i] : 0, r = npd ? pd[sp + i] : 0;
        if (!strcmp(ap, "VALID")) l = r = 0;
        else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            int64_t total = (out - 1) * s + ek - in;
            if (total < 0) total = 0;
            l = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
            r = total - l;
        } else if (strcmp(ap, "NOTSET") && ap[0]) {
            return false;
        }
        if (l < 0 || r < 0) return false;
        if (in + l + r < ek || (in + l + r - ek) / s + 1 != out) {
            int64_t need = (out - 1) * s + ek - in - l;
            if (need < r) return false;
            gm->extra_pad_r = need > r;
            r = need;
        }
        gm->kernel[i] = k[i];
        gm->strides[i] = s;
        gm->dil[i] = d - 1;
        gm->pl[i] = l;
        gm->pr[i] = r;
    }
    return true;
}

/* ---- groups ------------------------------------------------------------- */

static void group_ref(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__node *n = &p->g->nodes[i];
    memset(grp, 0, sizeof *grp);
    grp->kind = PTQ__DNNL_G_REF;
    grp->anchor = grp->last = i;
    grp->out = -1;
    for (int j = 0; j < n->n_inputs && grp->n_in < PTQ__DNNL_MAX_IO; j++)
        if (!is_constish(p, n->inputs[j])) grp->in[grp->n_in++] = n->inputs[j];
}

static void absorb(ptq__dnnl_plan *p, const int *nodes, int n)
{
    for (int i = 0; i < n; i++) p->group_of[nodes[i]] = p->cur_group;
}

/* Appends the activations that follow `cur` (single consumer each), then,
 * once, an Add whose other operand is ready (FP32). Returns the last value. */
static int fp32_chain(ptq__dnnl_plan *p, ptq__dnnl_group *grp, int cur, int *nodes, int *nn, bool allow_sum,
                      bool allow_bn)
{
    const ptq__graph *g = p->g;
    for (;;) {
        int c = ptq__dnnl_sole_consumer(g, cur);
        if (c < 0) break;
        const ptq__node *n = &g->nodes[c];
        if (n->n_outputs != 1 || n->outputs[0] < 0) break;
        ptq__dnnl_post e;
        if (allow_bn && n->op == PTQ__OP_BATCH_NORMALIZATION && grp->bn_node < 0 && grp->n_post == 0 && n->inputs[0] == cur) {
            bool ok = n->n_inputs == 5 && ptq__node_attr_int(n, "training_mode", 0) == 0;
            for (int j = 1; ok && j < 5; j++) {
                const ptq_tensor *t = g->values[n->inputs[j]].data;
                ok = t && t->dtype == PTQ_DTYPE_FLOAT32 && ptq_tensor_numel(t) == g->values[cur].dims[1];
            }
            if (!ok) break;
            grp->bn_node = c;
        } else if (grp->n_post < PTQ__DNNL_MAX_POST && eltwise_of(p, n, &e)) {
            grp->post[grp->n_post++] = e;
        } else if (allow_sum && n->op == PTQ__OP_ADD && grp->sum_value < 0 && grp->n_post < PTQ__DNNL_MAX_POST &&
                   n->n_inputs == 2) {
            int other = n->inputs[0] == cur ? n->inputs[1] : n->inputs[0];
            if (other == cur || is_constish(p, other)) break;
            const ptq__value *a = val(p, cur), *b = val(p, other);
            if (b->dtype != PTQ_DTYPE_FLOAT32 || !same_dims(a, b)) break;
            if (p->producer_group[other] < 0 && !is_graph_input(g, other)) break;
            grp->sum_value = other;
            grp->sum_scale = 1.f;
            grp->post[grp->n_post++] = (ptq__dnnl_post){0, 0, 0};
        } else {
            break;
        }
        nodes[(*nn)++] = c;
        cur = n->outputs[0];
    }
    return cur;
}

static bool match_conv(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[i];
    int x = in_value(n, 0), w = in_value(n, 1), b = in_value(n, 2);
    if (x < 0 || w < 0 || n->n_outputs != 1 || is_constish(p, x) || !is_constish(p, w) || !is_constish(p, b)) return false;
    if (val(p, x)->dtype != PTQ_DTYPE_FLOAT32 || val(p, w)->rank != val(p, x)->rank) return false;
    geom gm;
    if (!geom_of(n, val(p, x), val(p, n->outputs[0]), val(p, w)->dims + 2, &gm)) return false;
    int nodes[16], nn = 0;
    grp->w_value = w;
    grp->b_value = b;
    grp->data_value = x;
    grp->out = fp32_chain(p, grp, n->outputs[0], nodes, &nn, true, true);
    grp->in[grp->n_in++] = x;
    if (grp->sum_value >= 0) grp->in[grp->n_in++] = grp->sum_value;
    absorb(p, nodes, nn);
    return true;
}

static bool match_qconv_or_gemm(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[i];
    bool gemm = n->op == PTQ__OP_GEMM;
    int x = in_value(n, 0), w = in_value(n, 1), b = in_value(n, 2);
    qparams qx, qw, qb, qy;
    if (n->n_outputs != 1 || !act_dq(p, x, &qx, &grp->x_scale, &grp->x_zp)) return false;
    if (!dq_of(p, w, &qw) || !g->values[qw.q].data || qw.dt != PTQ_DTYPE_INT8) return false;
    const ptq__value *wv = val(p, qw.q);
    int64_t oc;
    if (gemm) {
        if (ptq__node_attr_int(n, "transA", 0) || ptq__node_attr_float(n, "alpha", 1.f) != 1.f ||
            ptq__node_attr_float(n, "beta", 1.f) != 1.f || val(p, x)->rank != 2 || wv->rank != 2)
            return false;
        bool tb = ptq__node_attr_int(n, "transB", 0) != 0;
        oc = wv->dims[tb ? 0 : 1];
        if (ptq_tensor_numel(qw.scale) != 1 && qw.axis != (tb ? 0 : 1)) return false;
    } else {
        oc = wv->dims[0];
        if (ptq_tensor_numel(qw.scale) != 1 && qw.axis != 0) return false;
        geom gm;
        if (!geom_of(n, val(p, x), val(p, n->outputs[0]), wv->dims + 2, &gm)) return false;
    }
    int64_t ns = ptq_tensor_numel(qw.scale);
    if (ns != 1 && ns != oc) return false;
    if (qw.zp)
        for (int64_t c = 0; c < ptq_tensor_numel(qw.zp); c++)
            if (ptq__tensor_get_int(qw.zp, c) != 0) return false;
    if (b >= 0) {
        if (dq_of(p, b, &qb)) {
            if (!g->values[qb.q].data || qb.dt != PTQ_DTYPE_INT32) return false;
        } else if (!g->values[b].data || g->values[b].dtype != PTQ_DTYPE_FLOAT32) {
            return false;
        }
        int64_t nb = g->values[b].rank >= 0 ? 1 : 0;
        for (int d = 0; d < g->values[b].rank; d++) nb *= g->values[b].dims[d];
        if (nb != oc) return false;
    }
    /* output chain: [Relu] -> Q [-> DQ -> Add(DQ r) -> [Relu] -> Q] */
    int nodes[16], nn = 0, cur = n->outputs[0];
    int c = ptq__dnnl_sole_consumer(g, cur);
    bool relu1 = false;
    if (c >= 0 && g->nodes[c].op == PTQ__OP_RELU) {
        grp->post[grp->n_post++] = (ptq__dnnl_post){dnnl_eltwise_relu, 0, 0};
        relu1 = true;
        nodes[nn++] = c;
        cur = g->nodes[c].outputs[0];
        c = ptq__dnnl_sole_consumer(g, cur);
    }
    if (c < 0 || !node_qparams(g, &g->nodes[c], &qy) || g->nodes[c].op != PTQ__OP_QUANTIZE_LINEAR ||
        !qp_scalar(&qy, &grp->y_scale, &grp->y_zp))
        return false;
    nodes[nn++] = c;
    cur = qy.q;
    grp->sum_value = -1;
    if (PTQ__DNNL_INT8_FUSE_SUM && !gemm) {
        /* cur -> DQ -> Add(other DQ) -> [Relu] -> Q */
        int nodes2[8], nn2 = 0, post2 = grp->n_post;
        qparams qa, qr, qz;
        float as, rs, zs;
        int32_t az, rz, zz;
        int d = ptq__dnnl_sole_consumer(g, cur);
        int a = d >= 0 ? ptq__dnnl_sole_consumer(g, g->nodes[d].outputs[0]) : -1;
        bool ok = d >= 0 && g->nodes[d].op == PTQ__OP_DEQUANTIZE_LINEAR && node_qparams(g, &g->nodes[d], &qa) &&
                  qp_scalar(&qa, &as, &az) && as == grp->y_scale && az == grp->y_zp && qa.dt == qy.dt && a >= 0 &&
                  g->nodes[a].op == PTQ__OP_ADD && g->nodes[a].n_inputs == 2;
        int other = -1;
        if (ok) {
            nodes2[nn2++] = d;
            nodes2[nn2++] = a;
            other = g->nodes[a].inputs[0] == qa.f ? g->nodes[a].inputs[1] : g->nodes[a].inputs[0];
            ok = other != qa.f && act_dq(p, other, &qr, &rs, &rz) && qr.dt == qy.dt && same_dims(val(p, qr.q), val(p, qy.q)) &&
                 (p->producer_group[qr.q] >= 0 || is_graph_input(g, qr.q));
        }
        int cur2 = ok ? g->nodes[a].outputs[0] : -1;
        int e = ok ? ptq__dnnl_sole_consumer(g, cur2) : -1;
        bool relu2 = false;
        if (e >= 0 && g->nodes[e].op == PTQ__OP_RELU) {
            relu2 = true;
            nodes2[nn2++] = e;
            cur2 = g->nodes[e].outputs[0];
            e = ptq__dnnl_sole_consumer(g, cur2);
        }
        ok = ok && e >= 0 && g->nodes[e].op == PTQ__OP_QUANTIZE_LINEAR && node_qparams(g, &g->nodes[e], &qz) &&
             qp_scalar(&qz, &zs, &zz) && qz.dt == qy.dt;
        if (ok) {
            /* The conv output stays in units of its own quantization step
             * (output scales x_s * w_s / y_s): clip to the integer range
             * (and at 0 for the Relu), round half to even, then rescale to
             * the Add's output step; the residual joins as the sum post-op
             * and the destination zero point, rounding and saturation of the
             * Add's QuantizeLinear are the primitive's own. */
            int32_t lo, hi;
            ptq__qrange(qy.dt, &lo, &hi);
            float clo = (float)(lo - grp->y_zp), chi = (float)(hi - grp->y_zp);
            if (relu1 && clo < 0) clo = 0;
            nodes2[nn2++] = e;
            grp->n_post = 0;
            grp->post[grp->n_post++] = (ptq__dnnl_post){dnnl_eltwise_clip, clo, chi};
            grp->post[grp->n_post++] = (ptq__dnnl_post){dnnl_eltwise_round, 0, 0};
            grp->post[grp->n_post++] = (ptq__dnnl_post){dnnl_eltwise_linear, grp->y_scale / zs, 0};
            grp->post[grp->n_post++] = (ptq__dnnl_post){0, 0, 0};
            if (relu2) grp->post[grp->n_post++] = (ptq__dnnl_post){dnnl_eltwise_relu, 0, 0};
            grp->mid_scale = grp->y_scale;
            grp->sum_value = qr.q;
            grp->sum_scale = rs / zs;
            grp->sum_zp = rz;
            grp->y_scale = zs;
            grp->y_zp = zz;
            cur = qz.q;
            for (int k = 0; k < nn2; k++) nodes[nn++] = nodes2[k];
        } else {
            grp->n_post = post2;
        }
    }
    grp->kind = gemm ? PTQ__DNNL_G_QGEMM : PTQ__DNNL_G_QCONV;
    grp->w_value = w;
    grp->b_value = b;
    grp->data_value = qx.q;
    grp->out = cur;
    grp->in[grp->n_in++] = qx.q;
    if (grp->sum_value >= 0) grp->in[grp->n_in++] = grp->sum_value;
    absorb(p, nodes, nn);
    return true;
}

/* DQ(a), DQ(b) -> Add -> [Relu] -> Q, all the same integer type and shape. */
static bool match_qadd(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[i];
    qparams qa, qb, qy;
    if (n->n_inputs != 2 || n->n_outputs != 1) return false;
    if (!act_dq(p, n->inputs[0], &qa, &grp->x_scale, &grp->x_zp) || !act_dq(p, n->inputs[1], &qb, &grp->sum_scale, &grp->sum_zp))
        return false;
    if (qa.dt != qb.dt || !same_dims(val(p, qa.q), val(p, qb.q)) || !same_dims(val(p, qa.q), val(p, n->outputs[0]))) return false;
    int nodes[2], nn = 0, cur = n->outputs[0];
    int c = ptq__dnnl_sole_consumer(g, cur);
    if (c >= 0 && g->nodes[c].op == PTQ__OP_RELU) {
        grp->post[grp->n_post++] = (ptq__dnnl_post){dnnl_eltwise_relu, 0, 0};
        nodes[nn++] = c;
        cur = g->nodes[c].outputs[0];
        c = ptq__dnnl_sole_consumer(g, cur);
    }
    if (c < 0 || g->nodes[c].op != PTQ__OP_QUANTIZE_LINEAR || !node_qparams(g, &g->nodes[c], &qy) ||
        !qp_scalar(&qy, &grp->y_scale, &grp->y_zp) || qy.dt != qa.dt)
        return false;
    nodes[nn++] = c;
    grp->kind = PTQ__DNNL_G_QADD;
    grp->data_value = qa.q;
    grp->sum_value = qb.q;
    grp->in[grp->n_in++] = qa.q;
    grp->in[grp->n_in++] = qb.q;
    grp->out = qy.q;
    absorb(p, nodes, nn);
    return true;
}

static bool pool_attrs_ok(const ptq__node *n)
{
    if (n->op == PTQ__OP_MAX_POOL && (ptq__node_attr_int(n, "storage_order", 0) != 0 || (n->n_outputs > 1 && n->outputs[1] >= 0)))
        return false;
    return true;
}

static bool match_pool(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[i];
    int x = in_value(n, 0);
    if (x < 0 || is_constish(p, x) || !pool_attrs_ok(n) || n->outputs[0] < 0) return false;
    bool global = n->op == PTQ__OP_GLOBAL_AVERAGE_POOL || n->op == PTQ__OP_GLOBAL_MAX_POOL;
    const ptq__value *xv = val(p, x), *yv = val(p, n->outputs[0]);
    if (xv->rank < 3 || xv->rank > 5) return false;
    qparams qx, qy;
    float xs, ys;
    int32_t xz, yz;
    /* int8 max pooling: DQ -> MaxPool -> Q with the same quantization */
    if (n->op == PTQ__OP_MAX_POOL && act_dq(p, x, &qx, &xs, &xz)) {
        int c = ptq__dnnl_sole_consumer(g, n->outputs[0]);
        if (c >= 0 && g->nodes[c].op == PTQ__OP_QUANTIZE_LINEAR && node_qparams(g, &g->nodes[c], &qy) &&
            qp_scalar(&qy, &ys, &yz) && ys == xs && yz == xz && qy.dt == qx.dt) {
            geom gm;
            if (!geom_of(n, xv, yv, NULL, &gm)) return false;
            grp->kind = PTQ__DNNL_G_QPOOL;
            grp->data_value = qx.q;
            grp->in[grp->n_in++] = qx.q;
            grp->out = qy.q;
            absorb(p, &c, 1);
            return true;
        }
    }
    /* int8 global average pooling: DQ -> GlobalAveragePool -> Q */
    if (n->op == PTQ__OP_GLOBAL_AVERAGE_POOL && xv->rank == 4 && act_dq(p, x, &qx, &grp->x_scale, &grp->x_zp)) {
        int c = ptq__dnnl_sole_consumer(g, n->outputs[0]);
        if (c >= 0 && g->nodes[c].op == PTQ__OP_QUANTIZE_LINEAR && node_qparams(g, &g->nodes[c], &qy) &&
            qp_scalar(&qy, &grp->y_scale, &grp->y_zp) && xv->dims[2] * xv->dims[3] > 0) {
            grp->kind = PTQ__DNNL_G_QGAP;
            grp->data_value = qx.q;
            grp->in[grp->n_in++] = qx.q;
            grp->out = qy.q;
            absorb(p, &c, 1);
            return true;
        }
    }
    if (xv->dtype != PTQ_DTYPE_FLOAT32) return false;
    if (!global) {
        geom gm;
        if (!geom_of(n, xv, yv, NULL, &gm)) return false;
        if (n->op == PTQ__OP_AVERAGE_POOL && ptq__node_attr_int(n, "count_include_pad", 0) && gm.extra_pad_r) return false;
    }
    grp->kind = PTQ__DNNL_G_POOL;
    grp->data_value = x;
    grp->in[grp->n_in++] = x;
    grp->out = n->outputs[0];
    return true;
}

static bool match_gemm(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[i];
    int a = in_value(n, 0), b = in_value(n, 1), c = in_value(n, 2);
    if (a < 0 || b < 0 || n->n_outputs != 1 || is_constish(p, a) || !is_constish(p, b) || !is_constish(p, c)) return false;
    const ptq__value *av = val(p, a), *bv = val(p, b);
    if (av->dtype != PTQ_DTYPE_FLOAT32 || bv->dtype != PTQ_DTYPE_FLOAT32 || av->rank != 2 || bv->rank != 2) return false;
    if (ptq__node_attr_int(n, "transA", 0)) return false;
    int64_t N = val(p, n->outputs[0])->dims[1];
    if (c >= 0) {
        const ptq__value *cv = val(p, c);
        int64_t nc = 1;
        for (int d = 0; d < cv->rank; d++) nc *= cv->dims[d];
        if (cv->dtype != PTQ_DTYPE_FLOAT32 || (nc != 1 && nc != N) || (cv->rank == 2 && cv->dims[0] != 1)) return false;
    }
    int nodes[16], nn = 0;
    grp->kind = PTQ__DNNL_G_GEMM;
    grp->w_value = b;
    grp->b_value = c;
    grp->data_value = a;
    grp->out = fp32_chain(p, grp, n->outputs[0], nodes, &nn, false, false);
    grp->in[grp->n_in++] = a;
    absorb(p, nodes, nn);
    return true;
}

static bool match_matmul(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__node *n = &p->g->nodes[i];
    int a = in_value(n, 0), b = in_value(n, 1);
    if (a < 0 || b < 0 || n->n_outputs != 1 || is_constish(p, a)) return false;
    const ptq__value *av = val(p, a), *bv = val(p, b);
    if (av->dtype != PTQ_DTYPE_FLOAT32 || bv->dtype != PTQ_DTYPE_FLOAT32) return false;
    bool flat = av->rank > 2 && bv->rank == 2 && av->rank <= 6;
    if (!flat && (av->rank != bv->rank || av->rank < 2 || av->rank > 4)) return false;
    if (!flat)
        for (int d = 0; d < av->rank - 2; d++)
            if (av->dims[d] != bv->dims[d] && av->dims[d] != 1 && bv->dims[d] != 1) return false;
    grp->kind = PTQ__DNNL_G_MATMUL;
    grp->data_value = a;
    grp->w_value = b;
    grp->in[grp->n_in++] = a;
    if (!is_constish(p, b)) grp->in[grp->n_in++] = b;
    grp->out = n->outputs[0];
    return true;
}

static bool match_simple(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[i];
    int x = in_value(n, 0);
    if (x < 0 || n->n_outputs < 1 || n->outputs[0] < 0 || is_constish(p, x)) return false;
    const ptq__value *xv = val(p, x), *yv = val(p, n->outputs[0]);
    grp->data_value = x;
    grp->in[grp->n_in++] = x;
    grp->out = n->outputs[0];
    ptq__dnnl_post e;
    switch (n->op) {
    case PTQ__OP_FLATTEN: case PTQ__OP_RESHAPE: case PTQ__OP_SQUEEZE: case PTQ__OP_UNSQUEEZE: case PTQ__OP_IDENTITY:
    case PTQ__OP_DROPOUT:
        if (n->n_outputs > 1 && n->outputs[1] >= 0) return false;
        if (xv->dtype != yv->dtype || ptq_dtype_size(xv->dtype) == 0) return false;
        grp->kind = PTQ__DNNL_G_VIEW;
        return true;
    case PTQ__OP_SOFTMAX:
        if (xv->dtype != PTQ_DTYPE_FLOAT32 || xv->rank < 1 || xv->rank > 6) return false;
        grp->kind = PTQ__DNNL_G_SOFTMAX;
        return true;
    case PTQ__OP_ADD: case PTQ__OP_SUB: case PTQ__OP_MUL: case PTQ__OP_DIV: {
        int b = in_value(n, 1);
        if (b < 0 || xv->dtype != PTQ_DTYPE_FLOAT32 || val(p, b)->dtype != PTQ_DTYPE_FLOAT32) return false;
        const ptq__value *bv = val(p, b);
        if (!same_dims(xv, yv) || bv->rank > xv->rank || xv->rank > 6 || xv->rank < 1) return false;
        for (int d = 0; d < bv->rank; d++) {
            int64_t bd = bv->dims[d], ad = xv->dims[xv->rank - bv->rank + d];
            if (bd != ad && bd != 1) return false;
        }
        if (n->opset < 7 && ptq__node_attr_int(n, "broadcast", 0)) return false;
        grp->kind = PTQ__DNNL_G_BINARY;
        grp->w_value = b;
        if (!is_constish(p, b)) grp->in[grp->n_in++] = b;
        return true;
    }
    default:
        /* oneDNN memory descriptors stop at rank 6; ptq tensors go to 8. */
        if (!eltwise_of(p, n, &e) || xv->dtype != PTQ_DTYPE_FLOAT32 || xv->rank > 6) return false;
        grp->kind = PTQ__DNNL_G_ELTWISE;
        grp->post[grp->n_post++] = e;
        return true;
    }
}

static bool is_view_op(const ptq__node *n)
{
    switch (n->op) {
    case PTQ__OP_FLATTEN: case PTQ__OP_RESHAPE: case PTQ__OP_SQUEEZE: case PTQ__OP_UNSQUEEZE: case PTQ__OP_IDENTITY:
        return n->n_outputs == 1;
    default: return false;
    }
}

/* QuantizeLinear of a float activation with a scalar scale and zero point. */
static bool match_quant(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__node *n = &p->g->nodes[i];
    qparams q;
    if (!node_qparams(p->g, n, &q) || is_constish(p, q.f) || val(p, q.f)->dtype != PTQ_DTYPE_FLOAT32 ||
        !qp_scalar(&q, &grp->y_scale, &grp->y_zp))
        return false;
    grp->kind = PTQ__DNNL_G_QUANT;
    grp->data_value = q.f;
    grp->in[grp->n_in++] = q.f;
    grp->out = q.q;
    return true;
}

/* DQ -> Flatten/Reshape/... -> Q with the same quantization: a view of the
 * integers (the float round trip is the identity). */
static bool match_qview(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    qparams qa, qb;
    float as, bs;
    int32_t az, bz;
    if (!act_dq(p, g->nodes[i].outputs[0], &qa, &as, &az)) return false;
    int v = ptq__dnnl_sole_consumer(g, qa.f);
    if (v < 0 || !is_view_op(&g->nodes[v]) || g->nodes[v].inputs[0] != qa.f || g->nodes[v].outputs[0] < 0) return false;
    int c = ptq__dnnl_sole_consumer(g, g->nodes[v].outputs[0]);
    if (c < 0 || g->nodes[c].op != PTQ__OP_QUANTIZE_LINEAR || !node_qparams(g, &g->nodes[c], &qb) || !qp_scalar(&qb, &bs, &bz) ||
        bs != as || bz != az || qb.dt != qa.dt)
        return false;
    grp->kind = PTQ__DNNL_G_VIEW;
    grp->data_value = qa.q;
    grp->in[grp->n_in++] = qa.q;
    grp->out = qb.q;
    int nodes[2] = {v, c};
    absorb(p, nodes, 2);
    return true;
}

/* True when an input or output of node i has no elements. oneDNN rejects
 * such tensors or mishandles them (a Gemm with K = 0 raised SIGFPE inside
 * libdnnl); the reference kernels handle them. */
static bool touches_empty_tensor(const ptq__graph *g, int i)
{
    const ptq__node *n = &g->nodes[i];
    for (int side = 0; side < 2; side++)
        for (int j = 0; j < (side ? n->n_outputs : n->n_inputs); j++) {
            int v = side ? n->outputs[j] : n->inputs[j];
            if (v < 0) continue;
            for (int d = 0; d < g->values[v].rank; d++)
                if (g->values[v].dims[d] == 0) return true;
        }
    return false;
}

ptq_status ptq__dnnl_match(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp)
{
    const ptq__node *n = &p->g->nodes[i];
    memset(grp, 0, sizeof *grp);
    grp->anchor = grp->last = i;
    grp->bn_node = grp->sum_value = grp->w_value = grp->b_value = grp->data_value = -1;
    bool ok = false;
    if (n->domain[0] == 0 && !touches_empty_tensor(p->g, i)) switch (n->op) {
        case PTQ__OP_CONV:
            ok = match_qconv_or_gemm(p, i, grp);
            if (!ok) {
                memset(grp, 0, sizeof *grp);
                grp->anchor = i;
                grp->bn_node = grp->sum_value = grp->w_value = grp->b_value = grp->data_value = -1;
                grp->kind = PTQ__DNNL_G_CONV;
                ok = match_conv(p, i, grp);
            }
            break;
        case PTQ__OP_GEMM:
            ok = match_qconv_or_gemm(p, i, grp);
            if (!ok) {
                memset(grp, 0, sizeof *grp);
                grp->anchor = i;
                grp->bn_node = grp->sum_value = grp->w_value = grp->b_value = grp->data_value = -1;
                ok = match_gemm(p, i, grp);
            }
            break;
        case PTQ__OP_MAX_POOL: case PTQ__OP_AVERAGE_POOL: case PTQ__OP_GLOBAL_AVERAGE_POOL: case PTQ__OP_GLOBAL_MAX_POOL:
            ok = match_pool(p, i, grp);
            break;
        case PTQ__OP_MAT_MUL: ok = match_matmul(p, i, grp); break;
        case PTQ__OP_ADD:
            ok = match_qadd(p, i, grp);
            if (!ok) {
                memset(grp, 0, sizeof *grp);
                grp->anchor = i;
                grp->bn_node = grp->sum_value = grp->w_value = grp->b_value = grp->data_value = -1;
                ok = match_simple(p, i, grp);
            }
            break;
        case PTQ__OP_QUANTIZE_LINEAR: ok = match_quant(p, i, grp); break;
        case PTQ__OP_DEQUANTIZE_LINEAR: ok = match_qview(p, i, grp); break;
        default: ok = match_simple(p, i, grp); break;
        }
    if (!ok) group_ref(p, i, grp);
    return PTQ_STATUS_OK;
}

const char *ptq__dnnl_gkind_name(const ptq__dnnl_group *grp, const ptq__graph *g)
{
    switch (grp->kind) {
    case PTQ__DNNL_G_REF: return g->nodes[grp->anchor].op_type;
    case PTQ__DNNL_G_VIEW: return g->nodes[grp->anchor].op == PTQ__OP_DEQUANTIZE_LINEAR ? "view int8" : "view";
    case PTQ__DNNL_G_CONV: return grp->sum_value >= 0 ? "conv+sum" : "conv";
    case PTQ__DNNL_G_POOL: return "pool";
    case PTQ__DNNL_G_GEMM: return "gemm";
    case PTQ__DNNL_G_MATMUL: return "matmul";
    case PTQ__DNNL_G_ELTWISE: return "eltwise";
    case PTQ__DNNL_G_BINARY: return "binary";
    case PTQ__DNNL_G_SOFTMAX: return "softmax";
    case PTQ__DNNL_G_QCONV: return grp->sum_value >= 0 ? "conv+sum int8" : "conv int8";
    case PTQ__DNNL_G_QPOOL: return "pool int8";
    case PTQ__DNNL_G_QGEMM: return "gemm int8";
    case PTQ__DNNL_G_QADD: return "add int8";
    case PTQ__DNNL_G_QGAP: return "global avg pool int8";
    case PTQ__DNNL_G_QUANT: return "quantize";
    }
    return "?";
}

/* ---- emission ----------------------------------------------------------- */

#define TRY(call)                     \
    do {                              \
        if ((st = (call))) goto done; \
    } while (0)
#define TRY_DNNL(call, what) TRY(ptq__dnnl_check((call), (what), n))

static ptq_status make_attr(ptq__dnnl_plan *p, const ptq__dnnl_group *grp, bool int8, int64_t oc, const float *oscales,
                            dnnl_primitive_attr_t *attr_out)
{
    (void)p;
    const ptq__node *n = &p->g->nodes[grp->anchor];
    ptq_status st = PTQ_STATUS_OK;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    TRY_DNNL(dnnl_primitive_attr_create(&attr), "attributes");
    if (grp->n_post) {
        TRY_DNNL(dnnl_post_ops_create(&po), "post-ops");
        for (int k = 0; k < grp->n_post; k++) {
            const ptq__dnnl_post *e = &grp->post[k];
            if (e->alg == 0) {
                if (int8) TRY_DNNL(dnnl_post_ops_append_sum_v3(po, grp->sum_scale, grp->sum_zp, dnnl_data_type_undef), "sum post-op");
                else TRY_DNNL(dnnl_post_ops_append_sum(po, 1.f), "sum post-op");
            } else {
                TRY_DNNL(dnnl_post_ops_append_eltwise(po, 1.f, e->alg, e->alpha, e->beta), "eltwise post-op");
            }
        }
        TRY_DNNL(dnnl_primitive_attr_set_post_ops(attr, po), "post-ops");
    }
    if (int8) {
        TRY_DNNL(dnnl_primitive_attr_set_output_scales(attr, oc, 1 << 1, oscales), "output scales");
        if (grp->x_zp) TRY_DNNL(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &grp->x_zp), "src zero point");
        if (grp->y_zp) TRY_DNNL(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_DST, 1, 0, &grp->y_zp), "dst zero point");
    }
done:
    if (po) dnnl_post_ops_destroy(po);
    if (st && attr) {
        dnnl_primitive_attr_destroy(attr);
        attr = NULL;
    }
    *attr_out = attr;
    return st;
}

/* True when tensor t, which holds value v, may be overwritten by the output
 * of the current group: v dies here, is no graph output, and nothing else
 * living shares t's slot (its root and the root's aliases). keep_t (or -1)
 * is a tensor the group still reads while it writes, whose slot must differ
 * (a convolution reads its whole src window; elementwise steps pass -1). */
static bool slot_reusable(const ptq__dnnl_plan *p, int v, int t, int keep_t)
{
    int k = p->cur_group, root = t, keep_root = keep_t;
    while (p->tensors[root].alias >= 0) root = p->tensors[root].alias;
    while (keep_root >= 0 && p->tensors[keep_root].alias >= 0) keep_root = p->tensors[keep_root].alias;
    if (p->last_use[v] != k || root == keep_root || p->tensors[t].const_data) return false;
    for (int i = 0; i < p->g->n_outputs; i++)
        if (p->g->outputs[i] == v) return false;
    for (int i = 0; i < p->n_tensors; i++) {
        int r = i;
        while (p->tensors[r].alias >= 0) r = p->tensors[r].alias;
        if (r != root || i == t) continue;
        int w = p->tensors[i].value;
        if (p->tensors[i].const_data || (w >= 0 && w != v && p->last_use[w] > k)) return false;
        for (int j = 0; w >= 0 && j < p->g->n_outputs; j++)
            if (p->g->outputs[j] == w) return false;
    }
    return true;
}

/* Destination of a group with a sum post-op: the other operand's buffer in
 * dst_md when it is dead after this group, else a copy of it. */
static ptq_status sum_dst(ptq__dnnl_plan *p, const ptq__dnnl_group *grp, const dnnl_memory_desc_t *dst_md, int src_t,
                          int *dst_t)
{
    ptq_status st;
    int t;
    if ((st = ptq__dnnl_value_as(p, grp->sum_value, dst_md, &t))) return st;
    bool inplace = slot_reusable(p, grp->sum_value, t, src_t);
    const ptq__value *ov = val(p, grp->out);
    if (!inplace) {
        int c;
        if ((st = ptq__dnnl_tensor_new(p, -1, p->tensors[t].dtype, ov->rank, ov->dims, dst_md, &c))) return st;
        dnnl_primitive_desc_t pd;
        if ((st = ptq__dnnl_check(dnnl_reorder_primitive_desc_create(&pd, &p->tensors[t].md, p->engine, dst_md, p->engine, NULL),
                                  "copy", NULL)))
            return st;
        dnnl_primitive_t prim;
        if ((st = ptq__dnnl_prim_create(p, pd, &prim))) return st;
        int ids[2] = {DNNL_ARG_FROM, DNNL_ARG_TO}, ts[2] = {t, c};
        if ((st = ptq__dnnl_step_prim(p, prim, 2, ids, ts, NULL))) return st;
        p->n_reorders++;
        t = c;
    } else {
        p->tensors[t].value = -1; /* its value dies here; the slot now holds the group's output */
    }
    if ((st = ptq__dnnl_tensor_new(p, grp->out, ov->dtype, ov->rank, ov->dims, dst_md, dst_t))) return st;
    p->tensors[*dst_t].alias = t;
    return PTQ_STATUS_OK;
}

/* Output tensor of a group (no sum). */
static ptq_status out_tensor(ptq__dnnl_plan *p, const ptq__dnnl_group *grp, const dnnl_memory_desc_t *md, int *t)
{
    const ptq__value *ov = val(p, grp->out);
    return ptq__dnnl_tensor_new(p, grp->out, ov->dtype, ov->rank, ov->dims, md, t);
}

static dnnl_format_tag_t plain_tag(int r)
{
    static const dnnl_format_tag_t tags[] = {dnnl_a, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde, dnnl_abcdef};
    return tags[r];
}

static const dnnl_format_tag_t w_tags[2][4] = {{dnnl_format_tag_undef, dnnl_oiw, dnnl_oihw, dnnl_oidhw},
                                               {dnnl_format_tag_undef, dnnl_goiw, dnnl_goihw, dnnl_goidhw}};

/* The float bias b of an int8 conv/gemm in accumulator units, b / (x_scale *
 * w_scale), kept in float: oneDNN computes dst = oscale * ((float)acc + bias),
 * which is the reference's (acc * x_scale * w_scale + b) / y_scale. Rounding
 * it to an s32 bias moved outputs near a rounding boundary by up to half an
 * accumulator unit (0.5 * oscale steps) and flipped ResNet-50 elements one
 * step away from the reference. An int32-quantized bias (DQ with scale
 * x_scale * w_scale) comes back as the same integer. */
static float bias_acc(float b, float x_scale, float w_scale)
{
    return (float)((double)b / ((double)x_scale * (double)w_scale));
}

/* The int8 weights of a quantized conv or gemm, the per-channel output scales
 * x_scale * w_scale[c] / out_scale and the float bias in accumulator units
 * (*bias_out stays zero-filled without a bias). The caller frees both arrays. */
static ptq_status int8_weights(ptq__dnnl_plan *p, const ptq__dnnl_group *grp, const ptq__node *n, int64_t channels,
                               float out_scale, const void **wdata_out, float **oscale_out, float **bias_out)
{
    qparams qw;
    dq_of(p, grp->w_value, &qw);
    *wdata_out = p->g->values[qw.q].data->data;
    float *osc = malloc(sizeof(float) * (size_t)channels), *bf = calloc((size_t)channels, sizeof(float));
    *oscale_out = osc;
    *bias_out = bf;
    if (!osc || !bf) return ptq__oom();
    const float *ws = qw.scale->data;
    int64_t nws = ptq_tensor_numel(qw.scale);
    const ptq_tensor *bt = grp->b_value >= 0 ? ptq__dnnl_const(p, grp->b_value) : NULL;
    if (grp->b_value >= 0 && !bt)
        return ptq__fail(PTQ_STATUS_INVALID_STATE, "%s '%s': bias is not constant", n->op_type, n->name);
    for (int64_t c = 0; c < channels; c++) {
        float wsc = ws[nws == 1 ? 0 : c];
        osc[c] = ptq__requant_multiplier(grp->x_scale, wsc, out_scale);
        if (bt) bf[c] = bias_acc(((const float *)bt->data)[c], grp->x_scale, wsc);
    }
    return PTQ_STATUS_OK;
}

static ptq_status emit_conv(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[grp->anchor];
    bool int8 = grp->kind == PTQ__DNNL_G_QCONV;
    ptq_status st = PTQ_STATUS_OK;
    const ptq__value *xv = val(p, n->inputs[0]), *yv = val(p, n->outputs[0]);
    const ptq__value *wv = val(p, n->inputs[1]);
    geom gm;
    geom_of(n, xv, yv, wv->dims + 2, &gm);
    int64_t oc = wv->dims[0], G = gm.groups;
    float *wbuf = NULL, *bf = NULL, *osc = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t wmem = NULL, bmem = NULL;
    dnnl_data_type_t xdt = dnnl_f32, ydt = dnnl_f32;
    if (int8) {
        ptq__dnnl_dt(val(p, grp->data_value)->dtype, &xdt);
        ptq__dnnl_dt(val(p, grp->out)->dtype, &ydt);
    }
    dnnl_dims_t xd, wd, yd, bd = {oc};
    int r = xv->rank, wr = G > 1 ? r + 1 : r;
    for (int d = 0; d < r; d++) {
        xd[d] = xv->dims[d];
        yd[d] = yv->dims[d];
    }
    if (G > 1) {
        wd[0] = G;
        wd[1] = oc / G;
        for (int d = 1; d < r; d++) wd[d + 1] = wv->dims[d];
    } else {
        for (int d = 0; d < r; d++) wd[d] = wv->dims[d];
    }
    if (oc % G || xv->dims[1] != wv->dims[1] * G) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "conv '%s': bad groups", n->name);
    int64_t per_oc = 1;
    for (int d = 1; d < r; d++) per_oc *= wv->dims[d];
    /* weights and bias (plan-private copies) */
    const void *wdata;
    bool has_bias = grp->b_value >= 0 || grp->bn_node >= 0;
    if (int8) {
        TRY(int8_weights(p, grp, n, oc, grp->mid_scale > 0 ? grp->mid_scale : grp->y_scale, &wdata, &osc, &bf));
    } else {
        const ptq_tensor *wt = ptq__dnnl_const(p, grp->w_value);
        const ptq_tensor *bt = grp->b_value >= 0 ? ptq__dnnl_const(p, grp->b_value) : NULL;
        if (!wt || wt->dtype != PTQ_DTYPE_FLOAT32 || (grp->b_value >= 0 && (!bt || bt->dtype != PTQ_DTYPE_FLOAT32)))
            TRY(ptq__fail(PTQ_STATUS_UNSUPPORTED, "conv '%s': weights are not float constants", n->name));
        wdata = wt->data;
        if (has_bias) {
            bf = calloc((size_t)oc, sizeof(float));
            if (!bf) TRY(ptq__oom());
            if (bt) memcpy(bf, bt->data, sizeof(float) * (size_t)oc);
        }
        if (grp->bn_node >= 0) {
            const ptq__node *bn = &g->nodes[grp->bn_node];
            const float *sc = g->values[bn->inputs[1]].data->data, *sh = g->values[bn->inputs[2]].data->data;
            const float *mu = g->values[bn->inputs[3]].data->data, *var = g->values[bn->inputs[4]].data->data;
            float eps = ptq__node_attr_float(bn, "epsilon", 1e-5f);
            wbuf = malloc(sizeof(float) * (size_t)(oc * per_oc));
            if (!wbuf) TRY(ptq__oom());
            for (int64_t c = 0; c < oc; c++) {
                float f = sc[c] / sqrtf(var[c] + eps);
                for (int64_t k = 0; k < per_oc; k++) wbuf[c * per_oc + k] = ((const float *)wdata)[c * per_oc + k] * f;
                bf[c] = (bf[c] - mu[c]) * f + sh[c];
            }
            wdata = wbuf;
        }
    }
    dnnl_memory_desc_t x_md, w_md, b_md, y_md, wplain_md, bplain_md;
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&x_md, r, xd, xdt, dnnl_format_tag_any), "src desc");
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&w_md, wr, wd, int8 ? dnnl_s8 : dnnl_f32, dnnl_format_tag_any), "weights desc");
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&wplain_md, wr, wd, int8 ? dnnl_s8 : dnnl_f32, w_tags[G > 1][r - 2]), "weights desc");
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_a), "bias desc");
    bplain_md = b_md;
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&y_md, r, yd, ydt, dnnl_format_tag_any), "dst desc");
    if (int8) has_bias = true;
    TRY(make_attr(p, grp, int8, oc, osc, &attr));
    dnnl_convolution_desc_t cd;
    TRY_DNNL(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &x_md, &w_md,
                                                        has_bias ? &b_md : NULL, &y_md, gm.strides, gm.dil, gm.pl, gm.pr),
             "convolution desc");
    TRY_DNNL(dnnl_primitive_desc_create(&pd, &cd, attr, p->engine, NULL), "convolution");
    const dnnl_memory_desc_t *src_q = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *wei_q = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dst_q = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    dnnl_memory_desc_t src_md = *src_q, wei_md = *wei_q, dst_md = *dst_q;
    TRY(ptq__dnnl_const_mem(p, &wplain_md, wdata, &wei_md, &wmem));
    if (has_bias) TRY(ptq__dnnl_const_mem(p, &bplain_md, bf, &bplain_md, &bmem));
    int ts, td;
    TRY(ptq__dnnl_value_as(p, grp->data_value, &src_md, &ts));
    if (grp->sum_value >= 0) TRY(sum_dst(p, grp, &dst_md, ts, &td));
    else TRY(out_tensor(p, grp, &dst_md, &td));
    st = ptq__dnnl_prim_create(p, pd, &prim);
    pd = NULL;
    if (st) goto done;
    {
        int ids[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS};
        int tt[4] = {ts, -1, td, -1};
        dnnl_memory_t mems[4] = {NULL, wmem, NULL, bmem};
        st = ptq__dnnl_step_prim(p, prim, has_bias ? 4 : 3, ids, tt, mems);
        prim = NULL;
    }
    if (!st) p->value_tensor[grp->out] = td;
done:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    free(wbuf);
    free(bf);
    free(osc);
    return st;
}

static ptq_status emit_pool(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[grp->anchor];
    ptq_status st = PTQ_STATUS_OK;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    const ptq__value *xv = val(p, n->inputs[0]), *yv = val(p, n->outputs[0]);
    geom gm;
    bool global = n->op == PTQ__OP_GLOBAL_AVERAGE_POOL || n->op == PTQ__OP_GLOBAL_MAX_POOL;
    if (global) {
        gm.sp = xv->rank - 2;
        for (int i = 0; i < gm.sp; i++) {
            gm.kernel[i] = xv->dims[2 + i];
            gm.strides[i] = 1;
            gm.dil[i] = gm.pl[i] = gm.pr[i] = 0;
        }
    } else {
        geom_of(n, xv, yv, NULL, &gm);
    }
    dnnl_alg_kind_t alg = dnnl_pooling_max;
    if (n->op == PTQ__OP_AVERAGE_POOL)
        alg = ptq__node_attr_int(n, "count_include_pad", 0) ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    else if (n->op == PTQ__OP_GLOBAL_AVERAGE_POOL)
        alg = dnnl_pooling_avg_exclude_padding;
    int ts = p->value_tensor[grp->data_value];
    if (ts < 0 || !p->tensors[ts].has_md) TRY(ptq__dnnl_value_as(p, grp->data_value, NULL, &ts));
    dnnl_memory_desc_t src_md = p->tensors[ts].md, y_md;
    dnnl_dims_t yd;
    for (int d = 0; d < yv->rank; d++) yd[d] = yv->dims[d];
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&y_md, yv->rank, yd, src_md.data_type, dnnl_format_tag_any), "dst desc");
    dnnl_pooling_v2_desc_t d;
    TRY_DNNL(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, alg, &src_md, &y_md, gm.strides, gm.kernel, gm.dil,
                                               gm.pl, gm.pr),
             "pooling desc");
    TRY_DNNL(dnnl_primitive_desc_create(&pd, &d, NULL, p->engine, NULL), "pooling");
    dnnl_memory_desc_t dst_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    int td;
    TRY(out_tensor(p, grp, &dst_md, &td));
    st = ptq__dnnl_prim_create(p, pd, &prim);
    pd = NULL;
    if (st) goto done;
    {
        int ids[2] = {DNNL_ARG_SRC, DNNL_ARG_DST}, tt[2] = {ts, td};
        st = ptq__dnnl_step_prim(p, prim, 2, ids, tt, NULL);
    }
    if (!st) p->value_tensor[grp->out] = td;
done:
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st;
}

/* Gemm (FP32 and int8) and MatMul, all as oneDNN matmul. */
static ptq_status emit_matmul(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[grp->anchor];
    bool int8 = grp->kind == PTQ__DNNL_G_QGEMM, gemm = grp->kind != PTQ__DNNL_G_MATMUL;
    ptq_status st = PTQ_STATUS_OK;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t wmem = NULL, bmem = NULL;
    float *wbuf = NULL, *bf = NULL, *osc = NULL;
    const ptq__value *av = val(p, n->inputs[0]), *bv = val(p, n->inputs[1]), *yv = val(p, n->outputs[0]);
    int r = yv->rank;
    dnnl_dims_t ad, bd, yd;
    dnnl_memory_desc_t a_md, w_md, wplain_md, b_md, y_md;
    dnnl_data_type_t adt = dnnl_f32, ydt = dnnl_f32;
    if (int8) {
        ptq__dnnl_dt(val(p, grp->data_value)->dtype, &adt);
        ptq__dnnl_dt(val(p, grp->out)->dtype, &ydt);
    }
    bool has_bias = false;
    int64_t N = yv->dims[r - 1];
    int ta, tb = -1, td;
    if (gemm) {
        /* A (M,K) x W (K,N): transB reads B (N,K) as ba */
        bool trans = ptq__node_attr_int(n, "transB", 0) != 0;
        int64_t M = av->dims[0], K = av->dims[1];
        ad[0] = M, ad[1] = K, bd[0] = K, bd[1] = N, yd[0] = M, yd[1] = N;
        r = 2;
        const void *wdata;
        if (int8) {
            TRY(int8_weights(p, grp, n, N, grp->y_scale, &wdata, &osc, &bf));
            has_bias = true;
        } else {
            const ptq_tensor *wt = ptq__dnnl_const(p, grp->w_value);
            const ptq_tensor *ct = grp->b_value >= 0 ? ptq__dnnl_const(p, grp->b_value) : NULL;
            if (!wt || (grp->b_value >= 0 && !ct)) TRY(ptq__fail(PTQ_STATUS_UNSUPPORTED, "gemm '%s': constants", n->name));
            float alpha = ptq__node_attr_float(n, "alpha", 1.f), beta = ptq__node_attr_float(n, "beta", 1.f);
            wdata = wt->data;
            if (alpha != 1.f) {
                wbuf = malloc(sizeof(float) * (size_t)(K * N));
                if (!wbuf) TRY(ptq__oom());
                for (int64_t k = 0; k < K * N; k++) wbuf[k] = alpha * ((const float *)wt->data)[k];
                wdata = wbuf;
            }
            if (ct) {
                has_bias = true;
                bf = malloc(sizeof(float) * (size_t)N);
                if (!bf) TRY(ptq__oom());
                int64_t nc = ptq_tensor_numel(ct);
                for (int64_t c = 0; c < N; c++) bf[c] = beta * ((const float *)ct->data)[nc == 1 ? 0 : c];
            }
        }
        TRY_DNNL(dnnl_memory_desc_init_by_tag(&a_md, 2, ad, adt, dnnl_ab), "src desc");
        TRY_DNNL(dnnl_memory_desc_init_by_tag(&w_md, 2, bd, int8 ? dnnl_s8 : dnnl_f32, dnnl_format_tag_any), "weights desc");
        TRY_DNNL(dnnl_memory_desc_init_by_tag(&wplain_md, 2, bd, int8 ? dnnl_s8 : dnnl_f32, trans ? dnnl_ba : dnnl_ab), "weights desc");
        dnnl_dims_t bdims = {1, N};
        TRY_DNNL(dnnl_memory_desc_init_by_tag(&b_md, 2, bdims, dnnl_f32, dnnl_ab), "bias desc");
        TRY_DNNL(dnnl_memory_desc_init_by_tag(&y_md, 2, yd, ydt, dnnl_ab), "dst desc");
        TRY(make_attr(p, grp, int8, N, osc, &attr));
        dnnl_matmul_desc_t md;
        TRY_DNNL(dnnl_matmul_desc_init(&md, &a_md, &w_md, has_bias ? &b_md : NULL, &y_md), "matmul desc");
        st = ptq__dnnl_check(dnnl_primitive_desc_create(&pd, &md, attr, p->engine, NULL), "matmul", n);
        if (st == PTQ_STATUS_UNSUPPORTED) {
            /* no implementation for an opaque weights layout: use the plain one */
            TRY_DNNL(dnnl_matmul_desc_init(&md, &a_md, &wplain_md, has_bias ? &b_md : NULL, &y_md), "matmul desc");
            TRY_DNNL(dnnl_primitive_desc_create(&pd, &md, attr, p->engine, NULL), "matmul");
        } else if (st) {
            goto done;
        }
        dnnl_memory_desc_t wei_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        TRY(ptq__dnnl_const_mem(p, &wplain_md, wdata, &wei_md, &wmem));
        if (has_bias) TRY(ptq__dnnl_const_mem(p, &b_md, bf, &b_md, &bmem));
    } else {
        /* MatMul: plain layouts; A flattened to 2-D when B is 2-D */
        bool flat = av->rank > 2 && bv->rank == 2;
        if (flat) {
            int64_t M = 1;
            for (int d = 0; d < av->rank - 1; d++) M *= av->dims[d];
            r = 2;
            ad[0] = M, ad[1] = av->dims[av->rank - 1], bd[0] = bv->dims[0], bd[1] = bv->dims[1], yd[0] = M, yd[1] = N;
        } else {
            for (int d = 0; d < r; d++) ad[d] = av->dims[d], bd[d] = bv->dims[d], yd[d] = yv->dims[d];
        }
        TRY_DNNL(dnnl_memory_desc_init_by_tag(&a_md, r, ad, dnnl_f32, plain_tag(r)), "src desc");
        TRY_DNNL(dnnl_memory_desc_init_by_tag(&w_md, r, bd, dnnl_f32, plain_tag(r)), "weights desc");
        TRY_DNNL(dnnl_memory_desc_init_by_tag(&y_md, r, yd, dnnl_f32, plain_tag(r)), "dst desc");
        dnnl_matmul_desc_t md;
        TRY_DNNL(dnnl_matmul_desc_init(&md, &a_md, &w_md, NULL, &y_md), "matmul desc");
        TRY_DNNL(dnnl_primitive_desc_create(&pd, &md, NULL, p->engine, NULL), "matmul");
        int t0;
        TRY(ptq__dnnl_value_as(p, grp->w_value, NULL, &t0));
        TRY(ptq__dnnl_tensor_new(p, -1, PTQ_DTYPE_FLOAT32, r, (const int64_t *)bd, &w_md, &tb));
        p->tensors[tb].alias = t0;
        if (p->tensors[t0].const_data) {
            p->tensors[tb].const_data = p->tensors[t0].const_data;
            p->tensors[tb].alias = -1;
            p->tensors[tb].def_step = -1;
        }
    }
    /* src: the plain tensor of A viewed with a_md */
    int t0;
    TRY(ptq__dnnl_value_as(p, grp->data_value, NULL, &t0));
    TRY(ptq__dnnl_tensor_new(p, -1, p->tensors[t0].dtype, r, (const int64_t *)ad, &a_md, &ta));
    p->tensors[ta].alias = t0;
    {
        int tout;
        TRY(out_tensor(p, grp, NULL, &tout));
        TRY(ptq__dnnl_tensor_new(p, -1, val(p, grp->out)->dtype, r, (const int64_t *)yd, &y_md, &td));
        p->tensors[td].alias = tout;
        p->value_tensor[grp->out] = tout;
    }
    st = ptq__dnnl_prim_create(p, pd, &prim);
    pd = NULL;
    if (st) goto done;
    {
        int ids[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS};
        int tt[4] = {ta, gemm ? -1 : tb, td, -1};
        dnnl_memory_t mems[4] = {NULL, wmem, NULL, bmem};
        st = ptq__dnnl_step_prim(p, prim, has_bias ? 4 : 3, ids, tt, mems);
    }
done:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    free(wbuf);
    free(bf);
    free(osc);
    return st;
}

static ptq_status emit_view(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    int t0, t;
    ptq_status st = ptq__dnnl_value_as(p, grp->data_value, NULL, &t0);
    if (!st) st = out_tensor(p, grp, NULL, &t);
    if (st) return st;
    ptq__dnnl_tensor *x = &p->tensors[t];
    if (x->bytes != p->tensors[t0].bytes)
        return ptq__fail(PTQ_STATUS_INVALID_STATE, "view '%s': sizes differ", p->g->nodes[grp->anchor].name);
    if (p->tensors[t0].const_data) {
        x->const_data = p->tensors[t0].const_data;
        x->def_step = -1;
    } else {
        x->alias = t0;
    }
    p->value_tensor[grp->out] = t;
    return PTQ_STATUS_OK;
}

/* Eltwise, binary and softmax: one primitive from src (and src1) to dst. */
static ptq_status emit_simple(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[grp->anchor];
    ptq_status st = PTQ_STATUS_OK;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    const ptq__value *xv = val(p, grp->data_value);
    int ts, t1 = -1, td, tout;
    dnnl_memory_desc_t src_md, dst_md;
    int ids[3] = {DNNL_ARG_SRC, DNNL_ARG_DST, 0}, tt[3], nargs = 2;
    if (grp->kind == PTQ__DNNL_G_SOFTMAX) {
        TRY(ptq__dnnl_value_as(p, grp->data_value, NULL, &ts));
        int64_t axis = ptq__node_attr_int(n, "axis", n->opset >= 13 ? -1 : 1);
        if (axis < 0) axis += xv->rank;
        if (axis < 0 || axis >= xv->rank) TRY(ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "softmax '%s': bad axis", n->name));
        int r = xv->rank;
        int64_t dims[PTQ_MAX_DIMS];
        memcpy(dims, xv->dims, sizeof dims);
        if (n->opset < 13) { /* coerced to 2-D at axis */
            int64_t a = 1, b = 1;
            for (int d = 0; d < xv->rank; d++) *(d < axis ? &a : &b) *= xv->dims[d];
            r = 2, dims[0] = a, dims[1] = b, axis = 1;
        }
        TRY(ptq__dnnl_plain_md(PTQ_DTYPE_FLOAT32, r, dims, &src_md));
        int tv;
        TRY(ptq__dnnl_tensor_new(p, -1, PTQ_DTYPE_FLOAT32, r, dims, &src_md, &tv));
        p->tensors[tv].alias = ts;
        ts = tv;
        dnnl_softmax_desc_t d;
        TRY_DNNL(dnnl_softmax_forward_desc_init(&d, dnnl_forward_inference, &src_md, (int)axis), "softmax desc");
        TRY_DNNL(dnnl_primitive_desc_create(&pd, &d, NULL, p->engine, NULL), "softmax");
        TRY(out_tensor(p, grp, NULL, &tout));
        TRY(ptq__dnnl_tensor_new(p, -1, PTQ_DTYPE_FLOAT32, r, dims, &src_md, &td));
        p->tensors[td].alias = tout;
    } else {
        ts = p->value_tensor[grp->data_value];
        if (ts < 0 || !p->tensors[ts].has_md) TRY(ptq__dnnl_value_as(p, grp->data_value, NULL, &ts));
        src_md = p->tensors[ts].md;
        if (grp->kind == PTQ__DNNL_G_ELTWISE) {
            dnnl_eltwise_desc_t d;
            TRY_DNNL(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, grp->post[0].alg, &src_md, grp->post[0].alpha,
                                                    grp->post[0].beta),
                     "eltwise desc");
            TRY_DNNL(dnnl_primitive_desc_create(&pd, &d, NULL, p->engine, NULL), "eltwise");
        } else {
            const ptq__value *bv = val(p, grp->w_value);
            dnnl_alg_kind_t alg = n->op == PTQ__OP_ADD ? dnnl_binary_add : n->op == PTQ__OP_SUB ? dnnl_binary_sub
                                  : n->op == PTQ__OP_MUL ? dnnl_binary_mul : dnnl_binary_div;
            dnnl_memory_desc_t b_md;
            if (same_dims(xv, bv)) {
                TRY(ptq__dnnl_value_as(p, grp->w_value, &src_md, &t1));
                b_md = src_md;
            } else {
                int64_t bd[PTQ_MAX_DIMS];
                int off = xv->rank - bv->rank;
                for (int d = 0; d < xv->rank; d++) bd[d] = d < off ? 1 : bv->dims[d - off];
                int t0;
                TRY(ptq__dnnl_value_as(p, grp->w_value, NULL, &t0));
                TRY(ptq__dnnl_plain_md(PTQ_DTYPE_FLOAT32, xv->rank, bd, &b_md));
                TRY(ptq__dnnl_tensor_new(p, -1, PTQ_DTYPE_FLOAT32, xv->rank, bd, &b_md, &t1));
                if (p->tensors[t0].const_data) {
                    p->tensors[t1].const_data = p->tensors[t0].const_data;
                    p->tensors[t1].def_step = -1;
                } else {
                    p->tensors[t1].alias = t0;
                }
            }
            dnnl_binary_desc_t d;
            TRY_DNNL(dnnl_binary_desc_init(&d, alg, &src_md, &b_md, &src_md), "binary desc");
            TRY_DNNL(dnnl_primitive_desc_create(&pd, &d, NULL, p->engine, NULL), "binary");
            ids[0] = DNNL_ARG_SRC_0;
            ids[2] = DNNL_ARG_SRC_1;
            nargs = 3;
        }
        dst_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
        TRY(out_tensor(p, grp, &dst_md, &tout));
        td = tout;
    }
    st = ptq__dnnl_prim_create(p, pd, &prim);
    pd = NULL;
    if (st) goto done;
    tt[0] = ts, tt[1] = td, tt[2] = t1;
    TRY(ptq__dnnl_step_prim(p, prim, nargs, ids, tt, NULL));
    p->value_tensor[grp->out] = tout;
done:
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st;
}

/* The int8 residual Add, with the reference's float arithmetic:
 * y = Q(relu?((a - za) * sa + (b - zb) * sb)). Layout-agnostic: a, b and y
 * share one memory layout (padding included). The AVX-512 kernel does the
 * same float operations in the same order as the scalar twin below (the
 * graph's multiply, multiply, add, divide, or the folded multiply and FMA
 * proven equal to it), so the two are bit-exact. */
typedef struct qadd_params {
    size_t n;
    ptq_dtype dt;
    float sa, sb, sy;
    int32_t za, zb, zy;
    bool relu;
    /* folded: y = Q'(fmaf(b - zb, kb, (a - za) * ka)), kb ~ sb / sy and
     * ka ~ sa / sy, no division; used only when qadd_pick_folded() found it
     * equal to the graph's arithmetic for every pair of input integers. */
    bool folded;
    float ka, kb;
} qadd_params;

/* One output integer, the graph's way: (a - za) * sa + (b - zb) * sb, Relu,
 * then QuantizeLinear (divide by sy, round half to even, saturate). */
static int32_t qadd_graph_value(const qadd_params *q, int32_t a, int32_t b, int32_t lo, int32_t hi)
{
    float v = (float)(a - q->za) * q->sa + (float)(b - q->zb) * q->sb;
    if (q->relu && v < 0) v = 0;
    return ptq__quantize_f32(v, q->sy, q->zy, lo, hi);
}

/* The folded arithmetic of the same output (scalar twin of the vector kernel's). */
static int32_t qadd_folded_value(const qadd_params *q, int32_t a, int32_t b, int32_t lo, int32_t hi)
{
    float v = fmaf((float)(b - q->zb), q->kb, (float)(a - q->za) * q->ka);
    if (q->relu && v < 0) v = 0;
    return ptq__round_saturate(v, q->zy, lo, hi);
}

static int32_t qadd_value(const qadd_params *q, int32_t a, int32_t b, int32_t lo, int32_t hi)
{
    return q->folded ? qadd_folded_value(q, a, b, lo, hi) : qadd_graph_value(q, a, b, lo, hi);
}

/* x moved by |steps| float steps, up for steps > 0. */
static float nudged(float x, int steps)
{
    for (int k = 0; k < abs(steps); k++) x = nextafterf(x, steps > 0 ? INFINITY : 0);
    return x;
}

/* The inputs are 8-bit, so the folded form can be checked against the
 * graph's arithmetic on all 65536 pairs of input integers: if it matches
 * everywhere (with ka, kb the rounded quotients or up to two float steps
 * away) the step uses it, one multiply and one FMA instead of two
 * multiplies, an add and a division. Otherwise the step divides. On
 * ResNet-50's 16 Adds the plain quotients differ on 0-2 pairs per Add;
 * nudged, 15 of 16 match everywhere. */
static void qadd_pick_folded(qadd_params *q)
{
    int32_t lo, hi;
    ptq__qrange(q->dt, &lo, &hi);
    q->folded = false;
    float ka0 = q->sa / q->sy, kb0 = q->sb / q->sy;
    if (!isfinite(ka0) || !isfinite(kb0) || ka0 == 0 || kb0 == 0) return;
    /* ka and kb nudged by up to two float steps each */
    static const int nudge[5] = {0, 1, -1, 2, -2};
    for (int t = 0; t < 25; t++) {
        qadd_params c = *q;
        c.ka = nudged(ka0, nudge[t / 5]);
        c.kb = nudged(kb0, nudge[t % 5]);
        bool same = true;
        for (int32_t a = lo; a <= hi && same; a++)
            for (int32_t b = lo; b <= hi; b++)
                if (qadd_folded_value(&c, a, b, lo, hi) != qadd_graph_value(&c, a, b, lo, hi)) {
                    same = false;
                    break;
                }
        if (same) {
            q->folded = true;
            q->ka = c.ka;
            q->kb = c.kb;
            return;
        }
    }
}

/* Scalar twin (also the tail of the vector kernel): elements [i0, i1). */
static void qadd_scalar(const qadd_params *q, const void *a_, const void *b_, void *y_, size_t i0, size_t i1)
{
    int32_t lo, hi;
    ptq__qrange(q->dt, &lo, &hi);
    bool u8 = q->dt == PTQ_DTYPE_UINT8;
    for (size_t i = i0; i < i1; i++) {
        int32_t a = u8 ? ((const uint8_t *)a_)[i] : ((const int8_t *)a_)[i];
        int32_t b = u8 ? ((const uint8_t *)b_)[i] : ((const int8_t *)b_)[i];
        int32_t r = qadd_value(q, a, b, lo, hi);
        if (u8) ((uint8_t *)y_)[i] = (uint8_t)r;
        else ((int8_t *)y_)[i] = (int8_t)r;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define QADD_AVX512 1
/* Elements [i0, i0 + 16k) of [i0, i1); returns where it stopped. */
__attribute__((target("avx512f,avx512bw"))) static size_t qadd_avx512(const qadd_params *q, const void *a_, const void *b_,
                                                                      void *y_, size_t i0, size_t i1)
{
    int32_t lo, hi;
    ptq__qrange(q->dt, &lo, &hi);
    bool u8 = q->dt == PTQ_DTYPE_UINT8;
    const __m512i za = _mm512_set1_epi32(q->za), zb = _mm512_set1_epi32(q->zb), zy = _mm512_set1_epi32(q->zy);
    const __m512 sa = _mm512_set1_ps(q->sa), sb = _mm512_set1_ps(q->sb), sy = _mm512_set1_ps(q->sy);
    const __m512 ka = _mm512_set1_ps(q->ka), kb = _mm512_set1_ps(q->kb);
    const bool folded = q->folded;
    /* Relu then the lower saturation bound is one max against the larger bound. */
    float lo_f = (float)(lo - q->zy);
    if (q->relu && lo_f < 0) lo_f = 0;
    const __m512 flo = _mm512_set1_ps(lo_f), fhi = _mm512_set1_ps((float)(hi - q->zy));
    size_t n16 = i0 + (i1 - i0) / 16 * 16;
    for (size_t i = i0; i < n16; i += 16) {
        __m128i a8 = _mm_loadu_si128((const __m128i *)((const uint8_t *)a_ + i));
        __m128i b8 = _mm_loadu_si128((const __m128i *)((const uint8_t *)b_ + i));
        __m512i a = u8 ? _mm512_cvtepu8_epi32(a8) : _mm512_cvtepi8_epi32(a8);
        __m512i b = u8 ? _mm512_cvtepu8_epi32(b8) : _mm512_cvtepi8_epi32(b8);
        __m512 v;
        if (folded) {
            v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(a, za)), ka);
            v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(b, zb)), kb, v);
        } else {
            __m512 fa = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(a, za)), sa);
            __m512 fb = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(b, zb)), sb);
            v = _mm512_div_ps(_mm512_add_ps(fa, fb), sy);
        }
        v = _mm512_min_ps(_mm512_max_ps(v, flo), fhi);
        /* the conversion rounds half to even (the default MXCSR mode), as nearbyintf does */
        __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(v), zy);
        __m128i y8 = u8 ? _mm512_cvtusepi32_epi8(r) : _mm512_cvtsepi32_epi8(r);
        _mm_storeu_si128((__m128i *)((uint8_t *)y_ + i), y8);
    }
    return n16;
}
#endif

/* 0: unknown, 1: AVX-512 (F, BW), -1: scalar. PTQ_DNNL_NO_SIMD=1 forces the scalar twin. */
static int qadd_simd = 0;
/* The same for AVX-512 VBMI (byte permutes). */
static int quant_vbmi = 0;

static void simd_init(void)
{
#ifdef QADD_AVX512
    if (!qadd_simd) {
        const char *e = getenv("PTQ_DNNL_NO_SIMD");
        __builtin_cpu_init();
        qadd_simd = (e && e[0] == '1') || !__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ? -1 : 1;
        quant_vbmi = qadd_simd > 0 && __builtin_cpu_supports("avx512vbmi") ? 1 : -1;
    }
#endif
}

/* Share [0, n) of thread ithr of nthr, boundaries on 64-element multiples. */
static void split_range(size_t n, int ithr, int nthr, size_t *i0, size_t *i1)
{
    size_t blocks = (n + 63) / 64, per = (blocks + (size_t)nthr - 1) / (size_t)nthr;
    size_t b0 = per * (size_t)ithr, b1 = b0 + per;
    *i0 = b0 * 64 < n ? b0 * 64 : n;
    *i1 = b1 * 64 < n ? b1 * 64 : n;
}

/* Below this many elements an elementwise step stays on the calling thread. */
#define PAR_MIN_ELEMS 16384

typedef struct qadd_ctx {
    const qadd_params *q;
    const void *a, *b;
    void *y;
} qadd_ctx;

static void qadd_part(void *ctx_, int ithr, int nthr)
{
    const qadd_ctx *c = ctx_;
    size_t i0, i1, done;
    split_range(c->q->n, ithr, nthr, &i0, &i1);
    done = i0;
#ifdef QADD_AVX512
    if (qadd_simd > 0) done = qadd_avx512(c->q, c->a, c->b, c->y, i0, i1);
#endif
    qadd_scalar(c->q, c->a, c->b, c->y, done, i1);
}

static void qadd_run(const ptq__dnnl_step *s, void *const *in, void *const *out)
{
    const qadd_params *q = s->params;
    simd_init();
    qadd_ctx c = {q, in[0], in[1], out[0]};
    if (q->n >= PAR_MIN_ELEMS) ptq__dnnl_parallel(qadd_part, &c);
    else qadd_part(&c, 0, 1);
}

static ptq_status emit_qadd(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    ptq_status st;
    int ta = p->value_tensor[grp->data_value], tb, ty;
    if (ta < 0 || !p->tensors[ta].has_md) {
        if ((st = ptq__dnnl_value_as(p, grp->data_value, NULL, &ta))) return st;
    }
    dnnl_memory_desc_t md = p->tensors[ta].md;
    if ((st = ptq__dnnl_value_as(p, grp->sum_value, &md, &tb))) return st;
    /* In place over an operand that dies here (the step reads and writes
     * each element at the same offset): one activation buffer fewer, peak
     * activation memory of ResNet-50 at 224x224 2.8 -> 2.0 MB. */
    int slot = slot_reusable(p, grp->data_value, ta, -1) ? ta : slot_reusable(p, grp->sum_value, tb, -1) ? tb : -1;
    if ((st = out_tensor(p, grp, &md, &ty))) return st;
    if (slot >= 0) {
        p->tensors[slot].value = -1;
        p->tensors[ty].alias = slot;
    }
    qadd_params *q = malloc(sizeof *q);
    if (!q) return ptq__oom();
    *q = (qadd_params){.n = p->tensors[ta].bytes, .dt = p->tensors[ta].dtype, .sa = grp->x_scale, .sb = grp->sum_scale,
                       .sy = grp->y_scale, .za = grp->x_zp, .zb = grp->sum_zp, .zy = grp->y_zp, .relu = grp->n_post > 0};
    qadd_pick_folded(q);
    int in[2] = {ta, tb};
    if ((st = ptq__dnnl_step_fn_add(p, qadd_run, q, 2, in, 1, &ty))) return st;
    p->value_tensor[grp->out] = ty;
    return PTQ_STATUS_OK;
}

/* QuantizeLinear of a plain float tensor: q = saturate(round_half_even(x / s) + zp),
 * AVX-512 with the same division, bit-exact with its scalar twin. With
 * nhwc set the (rank-4, plain) input is written transposed to nhwc, the
 * layout the int8 convolution that reads it asks for, which saves the
 * reorder after it. */
typedef struct quant_params {
    size_t n;
    ptq_dtype dt;
    float s;
    int32_t zp;
    bool nhwc;
    int64_t batch, c, hw; /* nhwc only */
} quant_params;

static void quant_scalar(const quant_params *q, const float *x, void *y, size_t i0, size_t i1)
{
    int32_t lo, hi;
    ptq__qrange(q->dt, &lo, &hi);
    for (size_t i = i0; i < i1; i++) {
        int32_t r = ptq__quantize_f32(x[i], q->s, q->zp, lo, hi);
        if (q->dt == PTQ_DTYPE_UINT8) ((uint8_t *)y)[i] = (uint8_t)r;
        else ((int8_t *)y)[i] = (int8_t)r;
    }
}

#ifdef QADD_AVX512
typedef struct quant_consts {
    __m512 s, flo, fhi;
    __m512i zp;
    bool u8;
} quant_consts;

__attribute__((target("avx512f,avx512bw"))) static quant_consts quant_consts_of(const quant_params *q)
{
    int32_t lo, hi;
    ptq__qrange(q->dt, &lo, &hi);
    return (quant_consts){_mm512_set1_ps(q->s), _mm512_set1_ps((float)(lo - q->zp)), _mm512_set1_ps((float)(hi - q->zp)),
                          _mm512_set1_epi32(q->zp), q->dt == PTQ_DTYPE_UINT8};
}

/* 16 floats quantized to 16 bytes, as ptq__quantize_f32 does. */
__attribute__((target("avx512f,avx512bw"))) static inline __m128i quant16(const quant_consts *k, const float *x)
{
    __m512 x16 = _mm512_loadu_ps(x);
    __m512 v = _mm512_div_ps(x16, k->s);
    v = _mm512_min_ps(_mm512_max_ps(v, k->flo), k->fhi);
    __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(v), k->zp); /* rounds half to even, as nearbyintf */
    /* NaN: the zero point, like the reference */
    r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(x16, x16, _CMP_UNORD_Q), k->zp);
    return k->u8 ? _mm512_cvtusepi32_epi8(r) : _mm512_cvtsepi32_epi8(r);
}

/* Elements [i0, i0 + 16k) of [i0, i1); returns where it stopped. */
__attribute__((target("avx512f,avx512bw"))) static size_t quant_avx512(const quant_params *q, const float *x, void *y_, size_t i0,
                                                                       size_t i1)
{
    quant_consts k = quant_consts_of(q);
    size_t n16 = i0 + (i1 - i0) / 16 * 16;
    for (size_t i = i0; i < n16; i += 16) _mm_storeu_si128((__m128i *)((uint8_t *)y_ + i), quant16(&k, x + i));
    return n16;
}

/* Three planes (x, x + hw, x + 2 hw) to interleaved pixels (nhwc, 3
 * channels) for pixels [0, 16k) of [0, len); returns where it stopped.
 * The RGB input of an image network: one byte permute per 16 pixels
 * instead of 48 scalar stores. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static int64_t quant_nhwc3_avx512(const quant_params *q, const float *x,
                                                                                        uint8_t *y, int64_t len)
{
    quant_consts k = quant_consts_of(q);
    /* byte 3p + c of the result is byte 16c + p of [c0 | c1 | c2 | -] */
    static const uint8_t order[64] = {0, 16, 32, 1, 17, 33, 2,  18, 34, 3,  19, 35, 4,  20, 36, 5,
                                      21, 37, 6, 22, 38, 7, 23, 39, 8,  24, 40, 9,  25, 41, 10, 26,
                                      42, 11, 27, 43, 12, 28, 44, 13, 29, 45, 14, 30, 46, 15, 31, 47};
    const __m512i idx = _mm512_loadu_si512(order);
    int64_t n16 = len / 16 * 16;
    for (int64_t j = 0; j < n16; j += 16) {
        __m512i planes = _mm512_castsi128_si512(quant16(&k, x + j));
        planes = _mm512_inserti32x4(planes, quant16(&k, x + q->hw + j), 1);
        planes = _mm512_inserti32x4(planes, quant16(&k, x + 2 * q->hw + j), 2);
        _mm512_mask_storeu_epi8(y + 3 * j, (__mmask64)0xffffffffffffULL, _mm512_permutexvar_epi8(idx, planes));
    }
    return n16;
}
#endif

/* Quantizes x[i0, i1) into y[i0, i1). */
static void quant_range(const quant_params *q, const float *x, void *y, size_t i0, size_t i1)
{
    size_t done = i0;
#ifdef QADD_AVX512
    if (qadd_simd > 0) done = quant_avx512(q, x, y, i0, i1);
#endif
    quant_scalar(q, x, y, done, i1);
}

#define QUANT_NHWC_MAX_C 16
#define QUANT_NHWC_BLOCK 64

typedef struct quant_ctx {
    const quant_params *q;
    const float *x;
    void *y;
} quant_ctx;

static void quant_part(void *ctx_, int ithr, int nthr)
{
    const quant_ctx *c = ctx_;
    const quant_params *q = c->q;
    if (!q->nhwc) {
        size_t i0, i1;
        split_range(q->n, ithr, nthr, &i0, &i1);
        quant_range(q, c->x, c->y, i0, i1);
        return;
    }
    /* blocks of QUANT_NHWC_BLOCK pixels of one image: quantize each channel
     * row into tmp, then interleave the channels */
    int64_t per_img = (q->hw + QUANT_NHWC_BLOCK - 1) / QUANT_NHWC_BLOCK, nb = q->batch * per_img;
    int64_t b0 = nb * ithr / nthr, b1 = nb * (ithr + 1) / nthr;
    uint8_t tmp[QUANT_NHWC_MAX_C * QUANT_NHWC_BLOCK];
    for (int64_t b = b0; b < b1; b++) {
        int64_t n = b / per_img, p0 = (b % per_img) * QUANT_NHWC_BLOCK;
        int64_t len = q->hw - p0 < QUANT_NHWC_BLOCK ? q->hw - p0 : QUANT_NHWC_BLOCK, done = 0;
        const float *x = c->x + n * q->c * q->hw + p0;
        uint8_t *y = (uint8_t *)c->y + (n * q->hw + p0) * q->c;
#ifdef QADD_AVX512
        if (q->c == 3 && quant_vbmi > 0) done = quant_nhwc3_avx512(q, x, y, len);
#endif
        if (done == len) continue;
        for (int64_t ch = 0; ch < q->c; ch++) quant_range(q, x + ch * q->hw + done, tmp + ch * QUANT_NHWC_BLOCK, 0, (size_t)(len - done));
        for (int64_t j = 0; j < len - done; j++)
            for (int64_t ch = 0; ch < q->c; ch++) y[(done + j) * q->c + ch] = tmp[ch * QUANT_NHWC_BLOCK + j];
    }
}

static void quant_run(const ptq__dnnl_step *s, void *const *in, void *const *out)
{
    const quant_params *q = s->params;
    simd_init();
    quant_ctx c = {q, in[0], out[0]};
    if (q->n >= PAR_MIN_ELEMS) ptq__dnnl_parallel(quant_part, &c);
    else quant_part(&c, 0, 1);
}

/* True when every needed group reading value v is an int8 convolution with
 * v as its data (those ask for nhwc on CPUs with int8 support). */
static bool read_by_qconvs_only(ptq__dnnl_plan *p, int v)
{
    const ptq__graph *g = p->g;
    int readers = 0;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == v) return false;
    for (int k = 0; k < p->n_groups; k++) {
        const ptq__dnnl_group *r = &p->groups[k];
        if (!r->needed) continue;
        for (int j = 0; j < r->n_in; j++)
            if (r->in[j] == v) {
                if (r->kind != PTQ__DNNL_G_QCONV || r->data_value != v || r->sum_value == v) return false;
                readers++;
            }
    }
    return readers > 0;
}

static ptq_status emit_quant(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    ptq_status st;
    int tx, ty;
    const ptq__value *yv = val(p, grp->out);
    dnnl_memory_desc_t nhwc_md;
    dnnl_data_type_t ddt;
    bool nhwc = yv->rank == 4 && yv->dims[1] >= 1 && yv->dims[1] <= QUANT_NHWC_MAX_C && ptq__dnnl_dt(yv->dtype, &ddt) &&
                read_by_qconvs_only(p, grp->out);
    if (nhwc) {
        dnnl_dims_t d = {yv->dims[0], yv->dims[1], yv->dims[2], yv->dims[3]};
        nhwc = dnnl_memory_desc_init_by_tag(&nhwc_md, 4, d, ddt, dnnl_acdb) == dnnl_success;
    }
    if ((st = ptq__dnnl_value_as(p, grp->data_value, NULL, &tx))) return st;
    if ((st = out_tensor(p, grp, nhwc ? &nhwc_md : NULL, &ty))) return st;
    quant_params *q = malloc(sizeof *q);
    if (!q) return ptq__oom();
    *q = (quant_params){.n = p->tensors[ty].bytes, .dt = p->tensors[ty].dtype, .s = grp->y_scale, .zp = grp->y_zp, .nhwc = nhwc};
    if (nhwc) {
        q->batch = yv->dims[0];
        q->c = yv->dims[1];
        q->hw = yv->dims[2] * yv->dims[3];
    }
    if ((st = ptq__dnnl_step_fn_add(p, quant_run, q, 1, &tx, 1, &ty))) return st;
    p->value_tensor[grp->out] = ty;
    return PTQ_STATUS_OK;
}

/* DQ -> GlobalAveragePool -> Q with the reference's float arithmetic: per
 * (n, c), sum over h, w in order of (q - zx) * sx, divided by H * W, then
 * quantized. Reads nchw or nhwc (the layout int8 convs produce) in place;
 * the nhwc loop runs channels innermost (same per-channel order). */
typedef struct qgap_params {
    int64_t n, c, hw;
    bool nhwc;
    ptq_dtype xdt, ydt;
    float sx, sy;
    int32_t zx, zy;
} qgap_params;

#ifdef QADD_AVX512
/* nhwc: adds pixel i's channels [c0, c0 + 16k) into sum, 16 channels a vector,
 * with the scalar loop's multiply and add per element (no FMA), so every
 * channel's sum is bit-identical to it. Returns the channels done. */
__attribute__((target("avx512f,avx512bw"))) static int64_t qgap_pixel_avx512(const qgap_params *q, const void *x, float *sum,
                                                                           int64_t cn)
{
    bool u8 = q->xdt == PTQ_DTYPE_UINT8;
    const __m512i zx = _mm512_set1_epi32(q->zx);
    const __m512 sx = _mm512_set1_ps(q->sx);
    int64_t c = 0;
    for (; c + 16 <= cn; c += 16) {
        __m128i x8 = _mm_loadu_si128((const __m128i *)((const uint8_t *)x + c));
        __m512i xi = u8 ? _mm512_cvtepu8_epi32(x8) : _mm512_cvtepi8_epi32(x8);
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(xi, zx)), sx);
        _mm512_storeu_ps(sum + c, _mm512_add_ps(_mm512_loadu_ps(sum + c), v));
    }
    return c;
}
#endif

/* Channels [cb, ce) of every image. */
static void qgap_channels(const qgap_params *q, const void *x_, void *y_, int64_t cb, int64_t ce)
{
    int32_t lo, hi;
    ptq__qrange(q->ydt, &lo, &hi);
    bool xu8 = q->xdt == PTQ_DTYPE_UINT8;
    float sum[512];
    const void *const in[1] = {x_};
    void *const out[1] = {y_};
    for (int64_t n = 0; n < q->n; n++)
        for (int64_t c0 = cb; c0 < ce; c0 += 512) {
            int64_t cn = ce - c0 < 512 ? ce - c0 : 512;
            for (int64_t c = 0; c < cn; c++) sum[c] = 0.0f;
            if (q->nhwc) {
                for (int64_t i = 0; i < q->hw; i++) {
                    size_t base = (size_t)((n * q->hw + i) * q->c + c0);
                    int64_t done = 0;
#ifdef QADD_AVX512
                    if (qadd_simd > 0) done = qgap_pixel_avx512(q, (const uint8_t *)in[0] + base, sum, cn);
#endif
                    if (xu8) {
                        const uint8_t *x = (const uint8_t *)in[0] + base;
                        for (int64_t c = done; c < cn; c++) sum[c] += (float)((int32_t)x[c] - q->zx) * q->sx;
                    } else {
                        const int8_t *x = (const int8_t *)in[0] + base;
                        for (int64_t c = done; c < cn; c++) sum[c] += (float)((int32_t)x[c] - q->zx) * q->sx;
                    }
                }
            } else {
                for (int64_t c = 0; c < cn; c++) {
                    size_t base = (size_t)((n * q->c + c0 + c) * q->hw);
                    for (int64_t i = 0; i < q->hw; i++) {
                        int32_t v = xu8 ? ((const uint8_t *)in[0])[base + i] : ((const int8_t *)in[0])[base + i];
                        sum[c] += (float)(v - q->zx) * q->sx;
                    }
                }
            }
            for (int64_t c = 0; c < cn; c++) {
                int32_t r = ptq__quantize_f32(sum[c] / (float)q->hw, q->sy, q->zy, lo, hi);
                ptq__qstore(q->ydt, out[0], n * q->c + c0 + c, r);
            }
        }
}

typedef struct qgap_ctx {
    const qgap_params *q;
    const void *x;
    void *y;
} qgap_ctx;

/* Channel ranges on multiples of 64: every channel's sum keeps its order. */
static void qgap_part(void *ctx_, int ithr, int nthr)
{
    const qgap_ctx *c = ctx_;
    size_t c0, c1;
    split_range((size_t)c->q->c, ithr, nthr, &c0, &c1);
    if (c0 < c1) qgap_channels(c->q, c->x, c->y, (int64_t)c0, (int64_t)c1);
}

static void qgap_run(const ptq__dnnl_step *s, void *const *in, void *const *out)
{
    const qgap_params *q = s->params;
    simd_init();
    qgap_ctx c = {q, in[0], out[0]};
    if (q->n * q->c * q->hw >= PAR_MIN_ELEMS && q->c >= 128) ptq__dnnl_parallel(qgap_part, &c);
    else qgap_part(&c, 0, 1);
}

static ptq_status emit_qgap(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    ptq_status st;
    const ptq__value *xv = val(p, grp->data_value);
    dnnl_data_type_t ddt;
    if (!ptq__dnnl_dt(xv->dtype, &ddt)) return PTQ_STATUS_UNSUPPORTED;
    dnnl_dims_t d = {xv->dims[0], xv->dims[1], xv->dims[2], xv->dims[3]};
    dnnl_memory_desc_t nhwc;
    if ((st = ptq__dnnl_check(dnnl_memory_desc_init_by_tag(&nhwc, 4, d, ddt, dnnl_acdb), "nhwc desc", NULL))) return st;
    int tx = p->value_tensor[grp->data_value], ty;
    bool is_nhwc = tx >= 0 && p->tensors[tx].has_md && dnnl_memory_desc_equal(&p->tensors[tx].md, &nhwc);
    if (!is_nhwc && (st = ptq__dnnl_value_as(p, grp->data_value, NULL, &tx))) return st;
    if ((st = out_tensor(p, grp, NULL, &ty))) return st;
    qgap_params *q = malloc(sizeof *q);
    if (!q) return ptq__oom();
    *q = (qgap_params){.n = xv->dims[0], .c = xv->dims[1], .hw = xv->dims[2] * xv->dims[3], .nhwc = is_nhwc, .xdt = xv->dtype,
                       .ydt = val(p, grp->out)->dtype, .sx = grp->x_scale, .sy = grp->y_scale, .zx = grp->x_zp, .zy = grp->y_zp};
    if ((st = ptq__dnnl_step_fn_add(p, qgap_run, q, 1, &tx, 1, &ty))) return st;
    p->value_tensor[grp->out] = ty;
    return PTQ_STATUS_OK;
}

ptq_status ptq__dnnl_emit(ptq__dnnl_plan *p, const ptq__dnnl_group *grp)
{
    switch (grp->kind) {
    case PTQ__DNNL_G_CONV: case PTQ__DNNL_G_QCONV: return emit_conv(p, grp);
    case PTQ__DNNL_G_POOL: case PTQ__DNNL_G_QPOOL: return emit_pool(p, grp);
    case PTQ__DNNL_G_GEMM: case PTQ__DNNL_G_QGEMM: case PTQ__DNNL_G_MATMUL: return emit_matmul(p, grp);
    case PTQ__DNNL_G_VIEW: return emit_view(p, grp);
    case PTQ__DNNL_G_ELTWISE: case PTQ__DNNL_G_BINARY: case PTQ__DNNL_G_SOFTMAX: return emit_simple(p, grp);
    case PTQ__DNNL_G_QADD: return emit_qadd(p, grp);
    case PTQ__DNNL_G_QGAP: return emit_qgap(p, grp);
    case PTQ__DNNL_G_QUANT: return emit_quant(p, grp);
    case PTQ__DNNL_G_REF: break;
    }
    return ptq__fail(PTQ_STATUS_INVALID_STATE, "oneDNN plan: group of kind %d cannot be emitted", (int)grp->kind);
}
