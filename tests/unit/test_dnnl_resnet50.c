/* ResNet-50 (shared/models/resnet50-fashion) on the oneDNN backend against
 * the reference backend, through the public session API:
 *   - FP32 model.onnx at 4x3x64x64 and 1x3x224x224 (fixture inputs):
 *     max |dnnl - ref| <= 1e-4 * max |ref| (and checked against PyTorch's
 *     logits fixtures with the same bound);
 *   - INT8 model-qdq.onnx at 4x3x64x64 and 1x3x224x224: every logit within
 *     one step of the output quantization (scale of the last QuantizeLinear,
 *     read from the graph) of the reference QDQ execution, same top-1.
 * Skipped when the shared model or the fixtures are absent. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/internal.h"
#include "backend/dnnl/dnnl_plan.h"

#define MODEL_DIR PTQ_SHARED_DIR "/models/resnet50-fashion/"
#define FIX PTQ_SOURCE_DIR "/tests/fixtures/resnet50/"

static ptq_tensor *run_backend(const ptq_model *m, const ptq_tensor *x, ptq_backend backend, ptq__dnnl_plan_stats *stats)
{
    ptq_input_shape sh = {.name = NULL, .rank = x->rank};
    memcpy(sh.dims, x->dims, sizeof sh.dims);
    ptq_session_params p = ptq_session_params_default();
    p.backend = backend;
    p.threads = 2;
    p.n_input_shapes = 1;
    p.input_shapes = &sh;
    ptq_session *s;
    ptq_status st = ptq_session_create(m, &p, &s);
    if (st) print_error("session: %s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    if (stats) {
        assert_int_equal(s->backend, PTQ_BACKEND_DNNL);
        ptq__dnnl_plan_get_stats(s->fast.impl, stats);
    }
    ptq_tensor *y;
    st = ptq_session_run(s, 1, &x, 1, &y);
    if (st) print_error("run: %s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    ptq_session_destroy(s);
    return y;
}

static bool have(const char *path)
{
    if (access(path, R_OK) == 0) return true;
    print_message("skipping: %s not found\n", path);
    return false;
}

static double max_abs(const ptq_tensor *t)
{
    double m = 0;
    for (int64_t i = 0; i < ptq_tensor_numel(t); i++) m = fmax(m, fabs(((const float *)t->data)[i]));
    return m;
}

static void compare(const char *what, const ptq_tensor *got, const ptq_tensor *want, double lim)
{
    assert_int_equal(ptq_tensor_numel(got), ptq_tensor_numel(want));
    double worst = 0;
    for (int64_t i = 0; i < ptq_tensor_numel(want); i++) {
        double d = fabs(((const float *)got->data)[i] - ((const float *)want->data)[i]);
        if (d > worst) worst = d;
        if (!(d <= lim)) {
            print_error("%s: logit %lld is %.7g, expected %.7g (limit %.3g)\n", what, (long long)i, ((const float *)got->data)[i],
                        ((const float *)want->data)[i], lim);
            fail();
        }
    }
    print_message("%s: max |diff| %.3g (limit %.3g)\n", what, worst, lim);
}

static void top1_equal(const char *what, const ptq_tensor *a, const ptq_tensor *b)
{
    int64_t n = a->dims[0], c = a->dims[1];
    for (int64_t i = 0; i < n; i++) {
        int ia = 0, ib = 0;
        const float *pa = (const float *)a->data + i * c, *pb = (const float *)b->data + i * c;
        for (int k = 1; k < c; k++) {
            if (pa[k] > pa[ia]) ia = k;
            if (pb[k] > pb[ib]) ib = k;
        }
        if (ia != ib) {
            print_error("%s: image %lld top-1 %d, reference %d\n", what, (long long)i, ia, ib);
            fail();
        }
    }
}

static void fp32_case(const char *size)
{
    char in_path[512], logit_path[512];
    snprintf(in_path, sizeof in_path, FIX "input_%s.npy", size);
    snprintf(logit_path, sizeof logit_path, FIX "logits_%s.npy", size);
    if (!have(MODEL_DIR "model.onnx") || !have(in_path)) return;
    ptq_model *m;
    ptq_tensor *x, *torch = NULL;
    assert_int_equal(ptq_model_load(MODEL_DIR "model.onnx", &m), PTQ_STATUS_OK);
    assert_int_equal(ptq_tensor_load_npy(in_path, &x), PTQ_STATUS_OK);
    ptq__dnnl_plan_stats stats;
    ptq_tensor *fast = run_backend(m, x, PTQ_BACKEND_DNNL, &stats);
    print_message("fp32 %s: %d oneDNN groups, %d reference nodes, %d reorders, activations %zu bytes, weights %zu bytes\n", size,
                  stats.n_dnnl_groups, stats.n_ref_nodes, stats.n_reorders, stats.peak_activation_bytes, stats.weight_bytes);
    assert_int_equal(stats.n_ref_nodes, 0);
    ptq_tensor *ref = run_backend(m, x, PTQ_BACKEND_REF, NULL);
    char what[64];
    snprintf(what, sizeof what, "fp32 %s dnnl vs ref", size);
    compare(what, fast, ref, 1e-4 * max_abs(ref));
    if (access(logit_path, R_OK) == 0 && ptq_tensor_load_npy(logit_path, &torch) == PTQ_STATUS_OK) {
        snprintf(what, sizeof what, "fp32 %s dnnl vs pytorch", size);
        compare(what, fast, torch, 1e-4 * max_abs(torch));
    }
    ptq_tensor_destroy(torch);
    ptq_tensor_destroy(ref);
    ptq_tensor_destroy(fast);
    ptq_tensor_destroy(x);
    ptq_model_destroy(m);
}

/* Scale of the QuantizeLinear that feeds the graph output's DequantizeLinear. */
static float output_step(const ptq_model *m)
{
    const ptq__graph *g = m->graph;
    int v = g->outputs[0];
    for (int hop = 0; hop < 2 && v >= 0; hop++) {
        int pn = g->values[v].producer;
        if (pn < 0) break;
        const ptq__node *n = &g->nodes[pn];
        if (n->op == PTQ__OP_QUANTIZE_LINEAR || n->op == PTQ__OP_DEQUANTIZE_LINEAR) {
            const ptq_tensor *s = g->values[n->inputs[1]].data;
            if (s && s->dtype == PTQ_DTYPE_FLOAT32) return ((const float *)s->data)[0];
        }
        v = n->inputs[0];
    }
    return 0.f;
}

static void int8_case(const char *size)
{
    char in_path[512];
    snprintf(in_path, sizeof in_path, FIX "input_%s.npy", size);
    if (!have(MODEL_DIR "model-qdq.onnx") || !have(in_path)) return;
    ptq_model *m;
    ptq_tensor *x;
    assert_int_equal(ptq_model_load(MODEL_DIR "model-qdq.onnx", &m), PTQ_STATUS_OK);
    assert_int_equal(ptq_tensor_load_npy(in_path, &x), PTQ_STATUS_OK);
    float step = output_step(m);
    assert_true(step > 0);
    ptq__dnnl_plan_stats stats;
    ptq_tensor *fast = run_backend(m, x, PTQ_BACKEND_DNNL, &stats);
    print_message("int8 %s: %d oneDNN groups (%d int8), %d reference nodes, %d reorders, activations %zu bytes, weights %zu bytes\n",
                  size, stats.n_dnnl_groups, stats.n_int8_groups, stats.n_ref_nodes, stats.n_reorders,
                  stats.peak_activation_bytes, stats.weight_bytes);
    assert_true(stats.n_int8_groups >= 53 + 16); /* every conv and residual add */
    ptq_tensor *ref = run_backend(m, x, PTQ_BACKEND_REF, NULL);
    char what[64];
    snprintf(what, sizeof what, "int8 %s dnnl vs ref", size);
    compare(what, fast, ref, step * 1.0001);
    top1_equal(what, fast, ref);
    ptq_tensor_destroy(ref);
    ptq_tensor_destroy(fast);
    ptq_tensor_destroy(x);
    ptq_model_destroy(m);
}

static void test_fp32_64(void **state)
{
    (void)state;
    fp32_case("64");
}

static void test_fp32_224(void **state)
{
    (void)state;
    fp32_case("224");
}

static void test_int8_64(void **state)
{
    (void)state;
    int8_case("64");
}

static void test_int8_224(void **state)
{
    (void)state;
    int8_case("224");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp32_64),
        cmocka_unit_test(test_fp32_224),
        cmocka_unit_test(test_int8_64),
        cmocka_unit_test(test_int8_224),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
