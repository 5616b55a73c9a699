/* Real models run and their logits match PyTorch's, saved as fixtures:
 * - the torchvision ResNet-50 (../shared/models/resnet50-fashion/model.onnx)
 *   at 64x64 and 224x224 (scripts/make_resnet50_fixtures.py);
 * - the bundled example examples/fashion-cnn/model.onnx
 *   (scripts/train_demo_model.py);
 * - the channel-alignment model tests/fixtures/align/conv_conv.onnx
 *   (scripts/make_align_fixture.py).
 * Tolerance: max |ptq - torch| at most 1e-4 of the largest |logit| of the
 * batch (relative error of the output), on the ref and default backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ptq/ptq.h"

#define MODEL PTQ_SHARED_DIR "/models/resnet50-fashion/model.onnx"
#define FIX PTQ_SOURCE_DIR "/tests/fixtures/resnet50/"
#define DEMO PTQ_SOURCE_DIR "/examples/fashion-cnn/model.onnx"
#define DEMO_FIX PTQ_SOURCE_DIR "/tests/fixtures/fashion_cnn/"
#define ALIGN_FIX PTQ_SOURCE_DIR "/tests/fixtures/align/"

static void check_against_torch(const char *model, const char *input_npy, const char *logits_npy, ptq_backend backend)
{
    ptq_model *m = NULL;
    ptq_tensor *x = NULL, *want = NULL, *y = NULL;
    ptq_session *s = NULL;
    assert_int_equal(ptq_model_load(model, &m), PTQ_STATUS_OK);
    assert_int_equal(ptq_tensor_load_npy(input_npy, &x), PTQ_STATUS_OK);
    assert_int_equal(ptq_tensor_load_npy(logits_npy, &want), PTQ_STATUS_OK);
    ptq_input_shape shape = {.name = NULL, .rank = x->rank};
    memcpy(shape.dims, x->dims, sizeof shape.dims);
    ptq_session_params p = ptq_session_params_default();
    p.backend = backend;
    p.n_input_shapes = 1;
    p.input_shapes = &shape;
    ptq_status st = ptq_session_create(m, &p, &s);
    if (st) fprintf(stderr, "session: %s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    st = ptq_session_run(s, 1, (const ptq_tensor *const *)&x, 1, &y);
    if (st) fprintf(stderr, "run: %s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    assert_int_equal(y->rank, 2);
    assert_int_equal(y->dims[0], want->dims[0]);
    assert_int_equal(y->dims[1], want->dims[1]);
    int64_t n = ptq_tensor_numel(want);
    double max_ref = 0, max_diff = 0;
    for (int64_t i = 0; i < n; i++) {
        double w = ((float *)want->data)[i], g = ((float *)y->data)[i];
        max_ref = fmax(max_ref, fabs(w));
        max_diff = fmax(max_diff, fabs(w - g));
    }
    printf("%s (%s): max |diff| %.3g, max |logit| %.3g, relative %.3g\n", input_npy,
           backend == PTQ_BACKEND_REF ? "ref" : "default", max_diff, max_ref, max_diff / max_ref);
    assert_true(max_diff <= 1e-4 * max_ref);
    ptq_tensor_destroy(x);
    ptq_tensor_destroy(want);
    ptq_tensor_destroy(y);
    ptq_session_destroy(s);
    ptq_model_destroy(m);
}

static void test_ref_64(void **state)
{
    (void)state;
    check_against_torch(MODEL, FIX "input_64.npy", FIX "logits_64.npy", PTQ_BACKEND_REF);
}

static void test_ref_224(void **state)
{
    (void)state;
    check_against_torch(MODEL, FIX "input_224.npy", FIX "logits_224.npy", PTQ_BACKEND_REF);
}

static void test_default_backend_64(void **state)
{
    (void)state;
    check_against_torch(MODEL, FIX "input_64.npy", FIX "logits_64.npy", PTQ_BACKEND_DEFAULT);
}

static void test_default_backend_224(void **state)
{
    (void)state;
    check_against_torch(MODEL, FIX "input_224.npy", FIX "logits_224.npy", PTQ_BACKEND_DEFAULT);
}

static void test_demo_ref(void **state)
{
    (void)state;
    check_against_torch(DEMO, DEMO_FIX "input.npy", DEMO_FIX "logits.npy", PTQ_BACKEND_REF);
}

static void test_demo_default_backend(void **state)
{
    (void)state;
    check_against_torch(DEMO, DEMO_FIX "input.npy", DEMO_FIX "logits.npy", PTQ_BACKEND_DEFAULT);
}

/* The same model with its large initializers in a side file (ONNX external
 * data, as big PyTorch exports write them) gives the same logits. */
static void test_external_data(void **state)
{
    (void)state;
    check_against_torch(PTQ_SOURCE_DIR "/tests/fixtures/external_data/model.onnx", DEMO_FIX "input.npy",
                        DEMO_FIX "logits.npy", PTQ_BACKEND_REF);
}

static void test_align_fixture(void **state)
{
    (void)state;
    check_against_torch(ALIGN_FIX "conv_conv.onnx", ALIGN_FIX "input.npy", ALIGN_FIX "logits.npy", PTQ_BACKEND_REF);
    check_against_torch(ALIGN_FIX "conv_conv.onnx", ALIGN_FIX "input.npy", ALIGN_FIX "logits.npy", PTQ_BACKEND_DEFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_64),
        cmocka_unit_test(test_ref_224),
        cmocka_unit_test(test_default_backend_64),
        cmocka_unit_test(test_default_backend_224),
        cmocka_unit_test(test_demo_ref),
        cmocka_unit_test(test_demo_default_backend),
        cmocka_unit_test(test_external_data),
        cmocka_unit_test(test_align_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
