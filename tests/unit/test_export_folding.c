/* PyTorch exports at opset 9 and 17 carry the Shape -> Gather -> Unsqueeze ->
 * Concat -> Reshape chain of `x.view(x.size(0), -1)` with a dynamic batch.
 * Binding the batch at session creation folds that chain away (only compute
 * nodes remain) and the outputs match PyTorch's (scripts/make_export_fixtures.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "api/internal.h"

#define FIX PTQ_SOURCE_DIR "/tests/fixtures/exports/"

static void run_export(const char *model_path, ptq_backend backend)
{
    ptq_model *m = NULL;
    ptq_session *s = NULL;
    ptq_tensor *x = NULL, *want = NULL, *y = NULL;
    assert_int_equal(ptq_model_load(model_path, &m), PTQ_STATUS_OK);
    assert_int_equal(ptq_tensor_load_npy(FIX "input.npy", &x), PTQ_STATUS_OK);
    assert_int_equal(ptq_tensor_load_npy(FIX "output.npy", &want), PTQ_STATUS_OK);
    /* The model as loaded has the shape chain ... */
    int shape_ops = 0;
    for (int i = 0; i < ptq_model_node_count(m); i++)
        shape_ops += strcmp(ptq_model_node_op_type(m, i), "Shape") == 0;
    assert_int_equal(shape_ops, 1);
    ptq_input_shape shape = {.name = "x", .rank = 4, .dims = {3, 3, 8, 8}};
    ptq_session_params p = ptq_session_params_default();
    p.backend = backend;
    p.n_input_shapes = 1;
    p.input_shapes = &shape;
    assert_int_equal(ptq_session_create(m, &p, &s), PTQ_STATUS_OK);
    /* ... and the bound session graph has only compute nodes left. */
    for (int i = 0; i < s->graph->n_nodes; i++) {
        ptq__op op = s->graph->nodes[i].op;
        assert_true(op == PTQ__OP_CONV || op == PTQ__OP_RELU || op == PTQ__OP_RESHAPE || op == PTQ__OP_GEMM);
    }
    assert_int_equal(s->graph->n_nodes, 4);
    assert_int_equal(ptq_session_run(s, 1, (const ptq_tensor *const *)&x, 1, &y), PTQ_STATUS_OK);
    assert_int_equal(y->rank, 2);
    assert_int_equal(y->dims[0], 3);
    assert_int_equal(y->dims[1], 5);
    for (int i = 0; i < 15; i++) {
        float w = ((float *)want->data)[i], g = ((float *)y->data)[i];
        assert_true(fabsf(w - g) <= 1e-5f + 1e-4f * fabsf(w));
    }
    ptq_tensor_destroy(x);
    ptq_tensor_destroy(want);
    ptq_tensor_destroy(y);
    ptq_session_destroy(s);
    ptq_model_destroy(m);
}

static void test_opset9_ref(void **state) { (void)state; run_export(FIX "view_opset9.onnx", PTQ_BACKEND_REF); }
static void test_opset17_ref(void **state) { (void)state; run_export(FIX "view_opset17.onnx", PTQ_BACKEND_REF); }
static void test_opset9_dnnl(void **state) { (void)state; run_export(FIX "view_opset9.onnx", PTQ_BACKEND_DNNL); }
static void test_opset17_dnnl(void **state) { (void)state; run_export(FIX "view_opset17.onnx", PTQ_BACKEND_DNNL); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opset9_ref),
        cmocka_unit_test(test_opset17_ref),
        cmocka_unit_test(test_opset9_dnnl),
        cmocka_unit_test(test_opset17_dnnl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
