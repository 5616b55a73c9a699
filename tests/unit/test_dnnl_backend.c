/* The oneDNN backend against the reference backend on small graphs built in
 * memory: convolutions (pads, strides, dilations, groups, depthwise),
 * Conv+BN+Relu and Conv+Add+Relu fusion (in place and copied), pooling
 * (ceil_mode, include/exclude padding, global), Gemm/MatMul, standalone
 * activations/binary/softmax, and QDQ int8 patterns (conv, residual add,
 * max pool, gemm). FP32 outputs must agree within 1e-4 of the largest
 * reference magnitude; int8 outputs within one quantization step. A failure
 * prints the case name, element and both values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/internal.h"
#include "backend/dnnl/dnnl_plan.h"
#include "graph/infer.h"
#include "ops/kernel.h"

/* ---- a tiny graph builder ---------------------------------------------- */

typedef struct builder {
    ptq__graph *g;
    uint32_t seed;
    int node;
} builder;

static float frand(builder *b)
{
    b->seed = b->seed * 1664525u + 1013904223u;
    return (float)((b->seed >> 8) & 0xffff) / 65536.f * 2.f - 1.f;
}

static void b_init(builder *b, int64_t opset)
{
    memset(b, 0, sizeof *b);
    b->g = ptq__graph_new();
    assert_non_null(b->g);
    b->g->opset = opset;
    b->seed = 12345;
}

static int b_value(builder *b, const char *name, ptq_dtype dt, int rank, const int64_t *dims)
{
    int v = ptq__graph_value(b->g, name);
    assert_true(v >= 0);
    ptq__value *x = &b->g->values[v];
    x->dtype = dt;
    x->rank = rank;
    for (int d = 0; d < rank; d++) x->dims[d] = dims[d];
    return v;
}

static int b_input(builder *b, const char *name, int rank, const int64_t *dims)
{
    int v = b_value(b, name, PTQ_DTYPE_FLOAT32, rank, dims);
    b->g->inputs = realloc(b->g->inputs, sizeof(int) * (size_t)(b->g->n_inputs + 1));
    b->g->inputs[b->g->n_inputs++] = v;
    return v;
}

/* Graph input of an integer type: check() fills 8-bit input i with byte
 * (k >> 8i) & 255 at element k, so two 65536-element inputs meet in every
 * pair of values. */
static int b_input_typed(builder *b, const char *name, ptq_dtype dt, int rank, const int64_t *dims)
{
    int v = b_input(b, name, rank, dims);
    b->g->values[v].dtype = dt;
    return v;
}

static void b_output(builder *b, int v)
{
    b->g->outputs = realloc(b->g->outputs, sizeof(int) * (size_t)(b->g->n_outputs + 1));
    b->g->outputs[b->g->n_outputs++] = v;
}

/* Constant with random values in [lo, hi] (float) or given data (n values). */
static int b_const(builder *b, const char *name, ptq_dtype dt, int rank, const int64_t *dims, float lo, float hi)
{
    int v = b_value(b, name, dt, rank, dims);
    ptq_tensor *t;
    assert_int_equal(ptq_tensor_create(dt, rank, dims, &t), PTQ_STATUS_OK);
    int64_t n = ptq_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        float r = lo + (hi - lo) * (frand(b) + 1.f) / 2.f;
        switch (dt) {
        case PTQ_DTYPE_FLOAT32: ((float *)t->data)[i] = r; break;
        case PTQ_DTYPE_INT8: ((int8_t *)t->data)[i] = (int8_t)lrintf(r); break;
        case PTQ_DTYPE_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)lrintf(r); break;
        case PTQ_DTYPE_INT32: ((int32_t *)t->data)[i] = (int32_t)lrintf(r); break;
        default: fail();
        }
    }
    b->g->values[v].data = t;
    b->g->values[v].is_initializer = true;
    return v;
}

static int b_scalar(builder *b, const char *name, ptq_dtype dt, float x)
{
    return b_const(b, name, dt, 0, NULL, x, x);
}

static int b_node(builder *b, const char *op, int n_in, const int *ins, const char *out_name)
{
    int out = ptq__graph_value(b->g, out_name);
    b->node = ptq__graph_add_node(b->g, out_name, op, "", n_in, ins, 1, &out);
    assert_true(b->node >= 0);
    return out;
}

static void b_ints(builder *b, const char *name, int n, const int64_t *v)
{
    ptq__attr a = {.name = (char *)name, .type = PTQ__ATTR_INTS, .n = n, .ints = (int64_t *)v};
    assert_int_equal(ptq__node_add_attr(&b->g->nodes[b->node], &a), PTQ_STATUS_OK);
}

static void b_int(builder *b, const char *name, int64_t v)
{
    ptq__attr a = {.name = (char *)name, .type = PTQ__ATTR_INT, .i = v};
    assert_int_equal(ptq__node_add_attr(&b->g->nodes[b->node], &a), PTQ_STATUS_OK);
}

static void b_float(builder *b, const char *name, float v)
{
    ptq__attr a = {.name = (char *)name, .type = PTQ__ATTR_FLOAT, .f = v};
    assert_int_equal(ptq__node_add_attr(&b->g->nodes[b->node], &a), PTQ_STATUS_OK);
}

/* Runs the graph on ref and dnnl with random inputs in [-1, 1] and compares
 * every output: |dnnl - ref| <= tol * max|ref| (tol < 0: -tol absolute). */
static void check(builder *b, const char *name, double tol, int min_dnnl_groups)
{
    ptq__infer_options opt = {.fold = true, .fold_qdq = false};
    assert_int_equal(ptq__graph_toposort(b->g), PTQ_STATUS_OK);
    ptq_status st = ptq__graph_infer(b->g, &opt);
    if (st) print_error("%s: infer: %s\n", name, ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    ptq__ref_plan *ref;
    assert_int_equal(ptq__ref_plan_create(b->g, &ref), PTQ_STATUS_OK);
    ptq__backend_plan fast;
    st = ptq__dnnl_plan_create(b->g, 2, &fast);
    if (st) print_error("%s: dnnl plan: %s\n", name, ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    ptq__dnnl_plan_stats stats;
    ptq__dnnl_plan_get_stats(fast.impl, &stats);
    if (stats.n_dnnl_groups < min_dnnl_groups)
        print_error("%s: %d oneDNN groups, expected at least %d\n", name, stats.n_dnnl_groups, min_dnnl_groups);
    assert_true(stats.n_dnnl_groups >= min_dnnl_groups);
    ptq_tensor *ins[8];
    for (int i = 0; i < b->g->n_inputs; i++) {
        const ptq__value *v = &b->g->values[b->g->inputs[i]];
        assert_int_equal(ptq_tensor_create(v->dtype, v->rank, v->dims, &ins[i]), PTQ_STATUS_OK);
        if (v->dtype == PTQ_DTYPE_UINT8 || v->dtype == PTQ_DTYPE_INT8)
            for (int64_t k = 0; k < ptq_tensor_numel(ins[i]); k++) ((uint8_t *)ins[i]->data)[k] = (uint8_t)(k >> (8 * i));
        else
            for (int64_t k = 0; k < ptq_tensor_numel(ins[i]); k++) ((float *)ins[i]->data)[k] = frand(b);
    }
    ptq_tensor *want[16], *got[16];
    assert_true(b->g->n_outputs <= 16);
    assert_int_equal(ptq__ref_plan_run(ref, (const ptq_tensor *const *)ins, want, NULL, NULL), PTQ_STATUS_OK);
    bool bad = false;
    for (int rep = 0; rep < 2; rep++) { /* twice: buffers are reused between runs */
        st = fast.run(fast.impl, (const ptq_tensor *const *)ins, got);
        if (st) print_error("%s: dnnl run: %s\n", name, ptq_last_error());
        assert_int_equal(st, PTQ_STATUS_OK);
        for (int o = 0; o < b->g->n_outputs; o++) {
            assert_int_equal(got[o]->dtype, want[o]->dtype);
            int64_t n = ptq_tensor_numel(want[o]);
            assert_int_equal(n, ptq_tensor_numel(got[o]));
            double mx = 0;
            for (int64_t k = 0; k < n; k++) mx = fmax(mx, fabs(ptq__tensor_get_double(want[o], k)));
            double lim = tol < 0 ? -tol : tol * fmax(mx, 1e-6);
            for (int64_t k = 0; k < n; k++) {
                double w = ptq__tensor_get_double(want[o], k), g = ptq__tensor_get_double(got[o], k);
                if (!(fabs(w - g) <= lim)) {
                    print_error("%s: output %d ('%s') element %lld: dnnl %.9g, ref %.9g (limit %.3g)\n", name, o,
                                b->g->values[b->g->outputs[o]].name, (long long)k, g, w, lim);
                    bad = true;
                    break;
                }
            }
            ptq_tensor_destroy(got[o]);
        }
        if (bad) fail(); /* after every output is reported */
    }
    for (int o = 0; o < b->g->n_outputs; o++) ptq_tensor_destroy(want[o]);
    for (int i = 0; i < b->g->n_inputs; i++) ptq_tensor_destroy(ins[i]);
    fast.destroy(fast.impl);
    ptq__ref_plan_destroy(ref);
    ptq__graph_free(b->g);
}

#define TOL 1e-4

/* ---- FP32 --------------------------------------------------------------- */

static int conv(builder *b, int x, const char *name, int64_t oc, int64_t ic_per_group, int64_t k, int64_t group,
                const int64_t *strides, const int64_t *pads, const int64_t *dil, bool bias)
{
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s_w", name);
    snprintf(bn, sizeof bn, "%s_b", name);
    int64_t wd[4] = {oc, ic_per_group, k, k}, bd[1] = {oc};
    int ins[3] = {x, b_const(b, wn, PTQ_DTYPE_FLOAT32, 4, wd, -0.5f, 0.5f), bias ? b_const(b, bn, PTQ_DTYPE_FLOAT32, 1, bd, -1, 1) : -1};
    int y = b_node(b, "Conv", bias ? 3 : 2, ins, name);
    if (group != 1) b_int(b, "group", group);
    if (strides) b_ints(b, "strides", 2, strides);
    if (pads) b_ints(b, "pads", 4, pads);
    if (dil) b_ints(b, "dilations", 2, dil);
    return y;
}

static void test_conv_variants(void **state)
{
    (void)state;
    builder b;
    int64_t xd[4] = {2, 8, 11, 13}, s21[2] = {2, 1}, p[4] = {1, 0, 2, 1}, d12[2] = {1, 2};
    b_init(&b, 13);
    int x = b_input(&b, "x", 4, xd);
    b_output(&b, conv(&b, x, "grouped", 8, 2, 3, 4, s21, p, d12, true));
    check(&b, "conv groups/strides/asymmetric pads/dilations", TOL, 1);

    int64_t xd2[4] = {1, 16, 10, 10}, p1[4] = {1, 1, 1, 1}, s2[2] = {2, 2};
    b_init(&b, 13);
    x = b_input(&b, "x", 4, xd2);
    b_output(&b, conv(&b, x, "depthwise", 16, 1, 3, 16, s2, p1, NULL, false));
    check(&b, "depthwise conv", TOL, 1);

    int64_t xd3[3] = {1, 4, 20}, wd[3] = {6, 4, 5};
    b_init(&b, 13);
    x = b_input(&b, "x", 3, xd3);
    int ins[2] = {x, b_const(&b, "w", PTQ_DTYPE_FLOAT32, 3, wd, -1, 1)};
    b_output(&b, b_node(&b, "Conv", 2, ins, "conv1d"));
    int64_t pp[2] = {2, 1};
    b_ints(&b, "pads", 2, pp);
    check(&b, "conv1d", TOL, 1);
}

static void test_conv_bn_relu(void **state)
{
    (void)state;
    builder b;
    int64_t xd[4] = {1, 3, 16, 16}, p[4] = {1, 1, 1, 1}, cd[1] = {8};
    b_init(&b, 13);
    int x = b_input(&b, "x", 4, xd);
    int y = conv(&b, x, "c", 8, 3, 3, 1, NULL, p, NULL, true);
    int bn[5] = {y, b_const(&b, "g", PTQ_DTYPE_FLOAT32, 1, cd, 0.5f, 2), b_const(&b, "be", PTQ_DTYPE_FLOAT32, 1, cd, -1, 1),
                 b_const(&b, "m", PTQ_DTYPE_FLOAT32, 1, cd, -1, 1), b_const(&b, "v", PTQ_DTYPE_FLOAT32, 1, cd, 0.2f, 2)};
    y = b_node(&b, "BatchNormalization", 5, bn, "bn");
    y = b_node(&b, "Relu", 1, &y, "relu");
    b_output(&b, y);
    check(&b, "conv+bn+relu", TOL, 1);

    /* Clip(0,6) and LeakyRelu post-ops */
    b_init(&b, 13);
    x = b_input(&b, "x", 4, xd);
    y = conv(&b, x, "c", 8, 3, 3, 1, NULL, p, NULL, true);
    int cl[3] = {y, b_scalar(&b, "lo", PTQ_DTYPE_FLOAT32, 0.f), b_scalar(&b, "hi", PTQ_DTYPE_FLOAT32, 0.3f)};
    y = b_node(&b, "Clip", 3, cl, "clip");
    y = b_node(&b, "LeakyRelu", 1, &y, "leaky");
    b_float(&b, "alpha", 0.1f);
    b_output(&b, y);
    check(&b, "conv+clip+leakyrelu", TOL, 1);
}

static void test_conv_add_relu(void **state)
{
    (void)state;
    builder b;
    int64_t xd[4] = {1, 16, 9, 9}, p[4] = {1, 1, 1, 1};
    for (int keep = 0; keep < 2; keep++) {
        b_init(&b, 13);
        int x = b_input(&b, "x", 4, xd);
        int y1 = conv(&b, x, "c1", 16, 16, 1, 1, NULL, NULL, NULL, true);
        int y2 = conv(&b, x, "c2", 16, 16, 3, 1, NULL, p, NULL, true);
        int a[2] = {y2, y1};
        int y = b_node(&b, "Add", 2, a, "add");
        y = b_node(&b, "Relu", 1, &y, "relu");
        b_output(&b, y);
        if (keep) b_output(&b, y1); /* the other operand stays alive: no in-place sum */
        check(&b, keep ? "conv+add+relu (operand kept)" : "conv+add+relu (in place)", TOL, 2);
    }
    /* residual of the input itself */
    b_init(&b, 13);
    int x = b_input(&b, "x", 4, xd);
    int y1 = conv(&b, x, "c1", 16, 16, 3, 1, NULL, p, NULL, true);
    int a[2] = {x, y1};
    b_output(&b, b_node(&b, "Add", 2, a, "add"));
    check(&b, "conv+add of the graph input", TOL, 1);
}

static void test_pooling(void **state)
{
    (void)state;
    builder b;
    int64_t xd[4] = {1, 5, 10, 11}, k3[2] = {3, 3}, s2[2] = {2, 2}, p1[4] = {1, 1, 0, 1};
    const char *ops[2] = {"MaxPool", "AveragePool"};
    for (int op = 0; op < 2; op++)
        for (int ceil = 0; ceil < 2; ceil++)
            for (int incl = 0; incl < (op ? 2 : 1); incl++) {
                b_init(&b, 13);
                int x = b_input(&b, "x", 4, xd);
                int y = b_node(&b, ops[op], 1, &x, "pool");
                b_ints(&b, "kernel_shape", 2, k3);
                b_ints(&b, "strides", 2, s2);
                b_ints(&b, "pads", 4, p1);
                b_int(&b, "ceil_mode", ceil);
                if (op) b_int(&b, "count_include_pad", incl);
                b_output(&b, y);
                char name[64];
                snprintf(name, sizeof name, "%s ceil_mode=%d count_include_pad=%d", ops[op], ceil, incl);
                check(&b, name, TOL, (op && ceil && incl) ? 0 : 1);
            }
    const char *gops[2] = {"GlobalAveragePool", "GlobalMaxPool"};
    for (int op = 0; op < 2; op++) {
        b_init(&b, 13);
        int x = b_input(&b, "x", 4, xd);
        b_output(&b, b_node(&b, gops[op], 1, &x, "gpool"));
        check(&b, gops[op], TOL, 1);
    }
}

static void test_gemm_matmul_misc(void **state)
{
    (void)state;
    builder b;
    int64_t xd[2] = {3, 20}, wd[2] = {7, 20}, bd[1] = {7};
    b_init(&b, 13);
    int x = b_input(&b, "x", 2, xd);
    int in[3] = {x, b_const(&b, "w", PTQ_DTYPE_FLOAT32, 2, wd, -1, 1), b_const(&b, "b", PTQ_DTYPE_FLOAT32, 1, bd, -1, 1)};
    int y = b_node(&b, "Gemm", 3, in, "gemm");
    b_int(&b, "transB", 1);
    b_float(&b, "alpha", 0.5f);
    b_float(&b, "beta", 2.f);
    y = b_node(&b, "Softmax", 1, &y, "softmax");
    b_output(&b, y);
    check(&b, "gemm(transB, alpha, beta)+softmax", TOL, 2);

    int64_t ad[3] = {2, 4, 6}, md[2] = {6, 5};
    b_init(&b, 13);
    x = b_input(&b, "x", 3, ad);
    int m[2] = {x, b_const(&b, "w", PTQ_DTYPE_FLOAT32, 2, md, -1, 1)};
    y = b_node(&b, "MatMul", 2, m, "matmul");
    y = b_node(&b, "Sigmoid", 1, &y, "sig");
    b_output(&b, y);
    check(&b, "matmul 3-D x 2-D + sigmoid", TOL, 2);

    /* flatten view feeding a gemm, broadcast Mul */
    int64_t xd4[4] = {2, 3, 2, 2}, cd[3] = {3, 1, 1}, wd2[2] = {12, 4};
    b_init(&b, 13);
    x = b_input(&b, "x", 4, xd4);
    int mm[2] = {x, b_const(&b, "c", PTQ_DTYPE_FLOAT32, 3, cd, -1, 1)};
    y = b_node(&b, "Mul", 2, mm, "mul");
    y = b_node(&b, "Flatten", 1, &y, "flat");
    int g2[2] = {y, b_const(&b, "w", PTQ_DTYPE_FLOAT32, 2, wd2, -1, 1)};
    y = b_node(&b, "Gemm", 2, g2, "gemm");
    b_output(&b, y);
    check(&b, "broadcast mul + flatten + gemm", TOL, 3);
}

/* Tensors with a zero dimension or a rank above 6 run on the reference
 * kernels: a Gemm with K = 0 (output = bias) raised SIGFPE inside libdnnl; a
 * zero batch, an empty softmax axis and a rank-7 activation failed to plan. */
static void test_empty_tensors(void **state)
{
    (void)state;
    builder b;
    int64_t xd[2] = {3, 0}, wd[2] = {0, 7}, bd[1] = {7};
    b_init(&b, 13);
    int x = b_input(&b, "x", 2, xd);
    int in[3] = {x, b_const(&b, "w", PTQ_DTYPE_FLOAT32, 2, wd, -1, 1), b_const(&b, "b", PTQ_DTYPE_FLOAT32, 1, bd, -1, 1)};
    int y = b_node(&b, "Gemm", 3, in, "gemm");
    b_output(&b, y);
    check(&b, "gemm with K = 0", TOL, 0);

    int64_t cd[4] = {0, 3, 5, 5}, sd[2] = {2, 0};
    b_init(&b, 13);
    x = b_input(&b, "x", 4, cd);
    y = conv(&b, x, "conv", 4, 3, 3, 1, NULL, NULL, NULL, true);
    y = b_node(&b, "Relu", 1, &y, "relu");
    b_output(&b, y);
    x = b_input(&b, "s", 2, sd);
    y = b_node(&b, "Softmax", 1, &x, "softmax");
    b_output(&b, y);
    check(&b, "conv+relu on batch 0, softmax over an empty axis", TOL, 0);

    /* Rank 7 (oneDNN stops at 6): an activation failed to plan. */
    int64_t r7[7] = {2, 1, 3, 1, 2, 1, 2};
    b_init(&b, 13);
    x = b_input(&b, "x", 7, r7);
    y = b_node(&b, "Sigmoid", 1, &x, "sig");
    b_output(&b, y);
    check(&b, "sigmoid on rank 7", TOL, 0);
}

/* ---- INT8 (QDQ) ------------------------------------------------------------ */

static int qdq(builder *b, int x, const char *name, float scale, int zp)
{
    char n1[64], n2[64], n3[64], n4[64];
    snprintf(n1, sizeof n1, "%s_s", name);
    snprintf(n2, sizeof n2, "%s_z", name);
    snprintf(n3, sizeof n3, "%s_q", name);
    snprintf(n4, sizeof n4, "%s_dq", name);
    int in[3] = {x, b_scalar(b, n1, PTQ_DTYPE_FLOAT32, scale), b_scalar(b, n2, PTQ_DTYPE_UINT8, (float)zp)};
    int q = b_node(b, "QuantizeLinear", 3, in, n3);
    in[0] = q;
    return b_node(b, "DequantizeLinear", 3, in, n4);
}

static int qconv(builder *b, int x, const char *name, int64_t oc, int64_t ic, int64_t k, const int64_t *pads, float xs)
{
    char n[5][64];
    for (int i = 0; i < 5; i++) snprintf(n[i], sizeof n[i], "%s_%d", name, i);
    int64_t wd[4] = {oc, ic, k, k}, cd[1] = {oc};
    int w = b_const(b, n[0], PTQ_DTYPE_INT8, 4, wd, -127, 127);
    int ws = b_const(b, n[1], PTQ_DTYPE_FLOAT32, 1, cd, 0.001f, 0.004f);
    int bq = b_const(b, n[2], PTQ_DTYPE_INT32, 1, cd, -2000, 2000);
    int bs = b_value(b, n[3], PTQ_DTYPE_FLOAT32, 1, cd);
    ptq_tensor *t;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 1, cd, &t), PTQ_STATUS_OK);
    for (int64_t c = 0; c < oc; c++) ((float *)t->data)[c] = xs * ((float *)b->g->values[ws].data->data)[c];
    b->g->values[bs].data = t;
    int in[3] = {w, ws, -1};
    int wdq = b_node(b, "DequantizeLinear", 2, in, n[4]);
    b_int(b, "axis", 0);
    char bn[64];
    snprintf(bn, sizeof bn, "%s_bdq", name);
    int in2[2] = {bq, bs};
    int bdq = b_node(b, "DequantizeLinear", 2, in2, bn);
    b_int(b, "axis", 0);
    int ci[3] = {x, wdq, bdq};
    int y = b_node(b, "Conv", 3, ci, name);
    if (pads) b_ints(b, "pads", 4, pads);
    return y;
}

static void test_int8(void **state)
{
    (void)state;
    builder b;
    int64_t xd[4] = {1, 8, 12, 12}, p1[4] = {1, 1, 1, 1}, k3[2] = {3, 3}, s2[2] = {2, 2};
    b_init(&b, 13);
    int x = b_input(&b, "x", 4, xd);
    float xs = 2.f / 255.f, ys = 0.05f, rs = 0.06f;
    int xq = qdq(&b, x, "xin", xs, 128);
    int y1 = qconv(&b, xq, "c1", 8, 8, 3, p1, xs);
    y1 = b_node(&b, "Relu", 1, &y1, "relu1");
    int y1q = qdq(&b, y1, "y1", ys, 0);
    int y2 = qconv(&b, y1q, "c2", 8, 8, 1, NULL, ys);
    int y2q = qdq(&b, y2, "y2", rs, 120);
    int a[2] = {y2q, xq};
    int s = b_node(&b, "Add", 2, a, "add");
    s = b_node(&b, "Relu", 1, &s, "relu2");
    int sq = qdq(&b, s, "sum", rs, 0);
    int pool = b_node(&b, "MaxPool", 1, &sq, "pool");
    b_ints(&b, "kernel_shape", 2, k3);
    b_ints(&b, "strides", 2, s2);
    b_ints(&b, "pads", 4, p1);
    int pq = qdq(&b, pool, "pool", rs, 0);
    b_output(&b, pq);
    /* one step of the output quantization */
    check(&b, "int8 conv+relu, conv, residual add+relu, max pool", -(rs * 1.0001), 4);
}

static int qdq_t(builder *b, int x, const char *name, float scale, int zp, ptq_dtype dt)
{
    char n1[64], n2[64], n3[64], n4[64];
    snprintf(n1, sizeof n1, "%s_s", name);
    snprintf(n2, sizeof n2, "%s_z", name);
    snprintf(n3, sizeof n3, "%s_q", name);
    snprintf(n4, sizeof n4, "%s_dq", name);
    int in[3] = {x, b_scalar(b, n1, PTQ_DTYPE_FLOAT32, scale), b_scalar(b, n2, dt, (float)zp)};
    int q = b_node(b, "QuantizeLinear", 3, in, n3);
    in[0] = q;
    return b_node(b, "DequantizeLinear", 3, in, n4);
}

/* The vectorized int8 residual Add (16 lanes + scalar tail) against the
 * reference DQ/Add/Relu/Q kernels: bit-exact, uint8 and int8, with and
 * without Relu, sizes that are and are not multiples of 16. */
static void test_int8_add_exact(void **state)
{
    (void)state;
    /* the last one is split over the OpenMP team (blocks of 64, tail) */
    static const int64_t sizes[3][4] = {{1, 5, 7, 9}, {2, 16, 6, 6}, {1, 40, 23, 19}};
    for (int si = 0; si < 3; si++)
        for (int k = 0; k < 4; k++) {
            builder b;
            bool relu = k & 1;
            ptq_dtype dt = (k & 2) ? PTQ_DTYPE_INT8 : PTQ_DTYPE_UINT8;
            int z0 = dt == PTQ_DTYPE_UINT8 ? 128 : 3, z1 = dt == PTQ_DTYPE_UINT8 ? 100 : -7, z2 = dt == PTQ_DTYPE_UINT8 ? 30 : -2;
            b_init(&b, 13);
            int x = b_input(&b, "x", 4, sizes[si]);
            int y = b_input(&b, "y", 4, sizes[si]);
            int xq = qdq_t(&b, x, "xa", 1.f / 130.f, z0, dt);
            int yq = qdq_t(&b, y, "ya", 0.0123f, z1, dt);
            int a[2] = {xq, yq};
            int s = b_node(&b, "Add", 2, a, "add");
            if (relu) s = b_node(&b, "Relu", 1, &s, "relu");
            int sq = qdq_t(&b, s, "sum", 0.0171f, z2, dt);
            b_output(&b, sq);
            /* the Add writes over an operand that dies there; here the first
             * one is still read after it, by a second Add */
            bool keep = si == 1;
            if (keep) {
                int a2[2] = {sq, xq};
                int s2 = b_node(&b, "Add", 2, a2, "add2");
                b_output(&b, qdq_t(&b, s2, "sum2", 0.0213f, z2, dt));
            }
            char name[96];
            snprintf(name, sizeof name, "int8 add %s%s %lld elements%s", dt == PTQ_DTYPE_UINT8 ? "u8" : "s8", relu ? "+relu" : "",
                     (long long)(sizes[si][0] * sizes[si][1] * sizes[si][2] * sizes[si][3]), keep ? ", operand kept" : "");
            check(&b, name, -1e-30, 1);
        }
}

/* The int8 Add on every pair of input integers (65536), bit-exact with the
 * reference, for ResNet-50's 16 sets of scales and zero points (most run
 * the folded multiply-FMA form, nudged or not; one must divide) and for
 * random ones, uint8 and int8, with and without Relu. */
static void test_int8_add_all_pairs(void **state)
{
    (void)state;
    static const float resnet50[16][6] = {
        {0.022512102499604225f, 129, 0.031840499490499496f, 127, 0.01898328773677349f, 0},
        {0.025538209825754166f, 123, 0.01898328773677349f, 0, 0.025968994945287704f, 0},
        {0.0271817147731781f, 122, 0.025968994945287704f, 0, 0.031850479543209076f, 0},
        {0.03195944055914879f, 122, 0.02926148660480976f, 119, 0.02908753603696823f, 0},
        {0.03068399988114834f, 128, 0.02908753603696823f, 0, 0.03515405207872391f, 0},
        {0.03132765740156174f, 130, 0.03515405207872391f, 0, 0.0407257117331028f, 0},
        {0.029725827276706696f, 128, 0.0407257117331028f, 0, 0.04419868811964989f, 0},
        {0.02835099771618843f, 122, 0.030749265104532242f, 120, 0.024123987182974815f, 0},
        {0.02861959859728813f, 123, 0.024123987182974815f, 0, 0.028278693556785583f, 0},
        {0.02769935503602028f, 122, 0.028278693556785583f, 0, 0.03237578645348549f, 0},
        {0.025348611176013947f, 130, 0.03237578645348549f, 0, 0.036032535135746f, 0},
        {0.027724668383598328f, 130, 0.036032535135746f, 0, 0.0407889299094677f, 0},
        {0.03150558099150658f, 121, 0.0407889299094677f, 0, 0.04612579196691513f, 0},
        {0.014295164495706558f, 115, 0.015227069146931171f, 116, 0.01361018419265747f, 0},
        {0.017176717519760132f, 125, 0.01361018419265747f, 0, 0.013346079736948013f, 0},
        {0.014383938163518906f, 152, 0.013346079736948013f, 0, 0.010011239908635616f, 0},
    };
    static const int64_t dims[4] = {1, 256, 16, 16};
    builder rnd;
    b_init(&rnd, 13);
    for (int t = 0; t < 16 + 12; t++) {
        float q[6];
        ptq_dtype dt = PTQ_DTYPE_UINT8;
        bool relu = false;
        if (t < 16) {
            memcpy(q, resnet50[t], sizeof q);
        } else {
            bool s8 = t & 1;
            dt = s8 ? PTQ_DTYPE_INT8 : PTQ_DTYPE_UINT8;
            relu = t & 2;
            for (int k = 0; k < 3; k++) {
                q[2 * k] = 0.002f + 0.06f * fabsf(frand(&rnd));
                q[2 * k + 1] = (float)((int)(frand(&rnd) * 100.f) + (s8 ? 0 : 128));
            }
        }
        builder b;
        b_init(&b, 13);
        int x = b_input_typed(&b, "x", dt, 4, dims), y = b_input_typed(&b, "y", dt, 4, dims);
        int in[3] = {x, b_scalar(&b, "xs", PTQ_DTYPE_FLOAT32, q[0]), b_scalar(&b, "xz", dt, q[1])};
        int xd = b_node(&b, "DequantizeLinear", 3, in, "xd");
        in[0] = y;
        in[1] = b_scalar(&b, "ys", PTQ_DTYPE_FLOAT32, q[2]);
        in[2] = b_scalar(&b, "yz", dt, q[3]);
        int yd = b_node(&b, "DequantizeLinear", 3, in, "yd");
        int a[2] = {xd, yd};
        int s = b_node(&b, "Add", 2, a, "add");
        if (relu) s = b_node(&b, "Relu", 1, &s, "relu");
        in[0] = s;
        in[1] = b_scalar(&b, "ss", PTQ_DTYPE_FLOAT32, q[4]);
        in[2] = b_scalar(&b, "sz", dt, q[5]);
        b_output(&b, b_node(&b, "QuantizeLinear", 3, in, "sq"));
        char name[96];
        snprintf(name, sizeof name, "int8 add, all pairs, %s %d (%s%s)", t < 16 ? "ResNet-50 Add" : "random", t < 16 ? t : t - 16,
                 dt == PTQ_DTYPE_UINT8 ? "u8" : "s8", relu ? "+relu" : "");
        check(&b, name, -1e-30, 1);
    }
    ptq__graph_free(rnd.g);
}

/* QuantizeLinear of a float input (AVX-512 + tail), DQ -> GlobalAveragePool
 * -> Q on a plain int8 tensor and on an int8 conv's nhwc output, and
 * DQ -> Flatten -> Q as a view of the integers, against the reference. */
static void test_int8_quant_gap(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        builder b;
        ptq_dtype dt = k & 1 ? PTQ_DTYPE_INT8 : PTQ_DTYPE_UINT8;
        /* k >= 2: large enough to be split over the OpenMP team (GAP: by channels) */
        int64_t xd[4] = {2, 19, 5, 3};
        if (k >= 2) xd[0] = 1, xd[1] = 200, xd[2] = 9, xd[3] = 10;
        b_init(&b, 13);
        int x = b_input(&b, "x", 4, xd);
        int xq = qdq_t(&b, x, "xin", 1.f / 127.f, k ? -3 : 128, dt);
        int gp = b_node(&b, "GlobalAveragePool", 1, &xq, "gap");
        gp = qdq_t(&b, gp, "gapq", 0.0021f, k ? 5 : 120, dt);
        int f = b_node(&b, "Flatten", 1, &gp, "flat");
        f = qdq_t(&b, f, "flatq", 0.0021f, k ? 5 : 120, dt);
        b_output(&b, f);
        check(&b, k & 1 ? "int8 quantize, gap, flatten (s8)" : "int8 quantize, gap, flatten (u8)", -1e-30, 3);
    }
    /* QuantizeLinear written straight into the nhwc layout of the int8 conv
     * reading it: batch 2, 3 channels, pixel counts with a tail of the 64
     * pixel blocks, small and split over the team; then the same with the
     * quantized input also a graph output (stays plain) */
    for (int k = 0; k < 3; k++) {
        builder b;
        int64_t xd[4] = {2, 3, 11, 13}, p1[4] = {1, 1, 1, 1};
        if (k == 1) xd[2] = 61, xd[3] = 67;
        b_init(&b, 13);
        int x = b_input(&b, "x", 4, xd);
        float xs = 2.f / 255.f, ys = 0.05f;
        int xq = qdq(&b, x, "xin", xs, 128);
        int y = qconv(&b, xq, "c1", 8, 3, 3, p1, xs);
        y = qdq(&b, y, "y", ys, 7);
        b_output(&b, y);
        if (k == 2) b_output(&b, xq);
        check(&b, k == 2 ? "int8 quantize (plain, also an output) -> conv" : "int8 quantize (nhwc) -> conv", -(ys * 1.0001), 2);
    }
    /* GAP reading an int8 conv's output in the conv's layout */
    builder b;
    int64_t xd[4] = {1, 32, 9, 9}, p1[4] = {1, 1, 1, 1};
    b_init(&b, 13);
    int x = b_input(&b, "x", 4, xd);
    float xs = 2.f / 255.f, ys = 0.05f, gs = 0.01f;
    int xq = qdq(&b, x, "xin", xs, 128);
    int y = qconv(&b, xq, "c1", 32, 32, 3, p1, xs);
    y = b_node(&b, "Relu", 1, &y, "relu");
    y = qdq(&b, y, "y", ys, 0);
    int gp = b_node(&b, "GlobalAveragePool", 1, &y, "gap");
    gp = qdq(&b, gp, "gapq", gs, 3);
    b_output(&b, gp);
    /* the conv may move an element by one step (ys); the mean by ys / gs steps at most */
    check(&b, "int8 conv -> gap", -(ys * 1.0001), 3);
}

/* ---- intermediate tensors as extra graph outputs --------------------------- */

/* The quantizer observes activations by adding them as extra graph outputs:
 * every output (the graph input itself included) must come back in plain
 * NCHW with the values the reference computes, never a blocked layout or a
 * slot reused by a later value. */
static void extra_outputs_case(int64_t batch, bool input_first, bool bn)
{
    builder b;
    int64_t xd[4] = {batch, 8, 9, 9}, p1[4] = {1, 1, 1, 1}, wd[2] = {10, 16}, bd[1] = {10};
    b_init(&b, 13);
    int x = b_input(&b, "input", 4, xd);
    int c1 = conv(&b, x, "c1", 16, 8, 3, 1, NULL, p1, NULL, true);
    int r1 = b_node(&b, "Relu", 1, &c1, "r1");
    int c2 = conv(&b, r1, "c2", 16, 16, 3, 1, NULL, p1, NULL, true);
    int t2 = c2;
    if (bn) {
        int64_t cd[1] = {16};
        int in[5] = {c2, b_const(&b, "bn_s", PTQ_DTYPE_FLOAT32, 1, cd, 0.5f, 1.5f),
                     b_const(&b, "bn_b", PTQ_DTYPE_FLOAT32, 1, cd, -1, 1), b_const(&b, "bn_m", PTQ_DTYPE_FLOAT32, 1, cd, -1, 1),
                     b_const(&b, "bn_v", PTQ_DTYPE_FLOAT32, 1, cd, 0.5f, 2)};
        t2 = b_node(&b, "BatchNormalization", 5, in, "bn");
    }
    int a[2] = {t2, r1};
    int add = b_node(&b, "Add", 2, a, "add");
    int r2 = b_node(&b, "Relu", 1, &add, "r2");
    int gap = b_node(&b, "GlobalAveragePool", 1, &r2, "gap");
    int fl = b_node(&b, "Flatten", 1, &gap, "flat");
    int gi[3] = {fl, b_const(&b, "fc_w", PTQ_DTYPE_FLOAT32, 2, wd, -1, 1), b_const(&b, "fc_b", PTQ_DTYPE_FLOAT32, 1, bd, -1, 1)};
    int y = b_node(&b, "Gemm", 3, gi, "logits");
    b_int(&b, "transB", 1);
    if (input_first) b_output(&b, x);
    b_output(&b, y);
    if (!input_first) b_output(&b, x);
    b_output(&b, c1);
    b_output(&b, r1);
    b_output(&b, c2);
    if (bn) b_output(&b, t2);
    b_output(&b, add);
    b_output(&b, r2);
    b_output(&b, gap);
    b_output(&b, fl);
    char name[96];
    snprintf(name, sizeof name, "extra outputs (batch %lld%s%s)", (long long)batch, input_first ? ", input first" : "",
             bn ? ", bn" : "");
    check(&b, name, TOL, 4);
}

static void test_extra_outputs(void **state)
{
    (void)state;
    extra_outputs_case(1, false, false);
    extra_outputs_case(2, true, false);
    extra_outputs_case(3, false, true);
    extra_outputs_case(8, true, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_variants),    cmocka_unit_test(test_conv_bn_relu),
        cmocka_unit_test(test_conv_add_relu),    cmocka_unit_test(test_pooling),
        cmocka_unit_test(test_gemm_matmul_misc), cmocka_unit_test(test_int8),
        cmocka_unit_test(test_int8_add_exact),
        cmocka_unit_test(test_int8_add_all_pairs),   cmocka_unit_test(test_int8_quant_gap),
        cmocka_unit_test(test_extra_outputs),    cmocka_unit_test(test_empty_tensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
