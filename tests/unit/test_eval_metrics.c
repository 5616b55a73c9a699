/* Evaluation metrics: top-k ordering and ties, accuracy under label
 * offsets, per-class counts, report JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "eval/eval_internal.h"

static void test_top_k_order_and_ties(void **state)
{
    (void)state;
    const float s[] = {0.1f, 0.9f, 0.5f, 0.9f, -1.0f, 0.5f};
    int idx[6];
    assert_int_equal(ptq_eval_top_k(s, 6, 4, idx), 4);
    /* ties go to the lower index */
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 3);
    assert_int_equal(idx[2], 2);
    assert_int_equal(idx[3], 5);
    assert_int_equal(ptq_eval_top_k(s, 6, 1, idx), 1);
    assert_int_equal(idx[0], 1);
}

static void test_top_k_clamps_and_nan(void **state)
{
    (void)state;
    const float s[] = {NAN, 2.0f, 3.0f};
    int idx[5] = {-7, -7, -7, -7, -7};
    assert_int_equal(ptq_eval_top_k(s, 3, 5, idx), 3);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 1);
    assert_int_equal(idx[2], 0); /* NaN ranks last */
    assert_int_equal(idx[3], -7);
    const float eq[] = {1, 1, 1, 1};
    assert_int_equal(ptq_eval_top_k(eq, 4, 3, idx), 3);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 1);
    assert_int_equal(idx[2], 2);
    assert_int_equal(ptq_eval_top_k(s, 0, 1, idx), 0);
    assert_int_equal(ptq_eval_top_k(NULL, 3, 1, idx), 0);
}

/* Six images, four classes; predictions are top-5 lists. */
static void make_preds(ptq__eval_preds *p)
{
    static int32_t top[6][PTQ__EVAL_K] = {
        {0, 1, 2, 3, -1}, {1, 0, 2, 3, -1}, {2, 3, 1, 0, -1}, {3, 2, 1, 0, -1}, {0, 1, 2, 3, -1}, {1, 2, 3, 0, -1},
    };
    static int32_t labels[6] = {0, 1, 3, 0, 1, 1};
    memset(p, 0, sizeof *p);
    p->n = 6;
    p->classes = 4;
    p->top = top;
    p->labels = labels;
}

static void test_count_offsets(void **state)
{
    (void)state;
    ptq__eval_preds p;
    make_preds(&p);
    ptq__eval_counts c = ptq__eval_count(&p, 0);
    assert_int_equal(c.n, 6);
    assert_int_equal(c.correct1, 3); /* images 0, 1, 5 */
    assert_int_equal(c.correct5, 6);
    assert_int_equal(c.out_of_range, 0);
    c = ptq__eval_count(&p, 1); /* labels 1,2,4,1,2,2: label 4 out of range */
    assert_int_equal(c.out_of_range, 1);
    assert_int_equal(c.correct1, 0);
    assert_int_equal(c.correct5, 5);
    c = ptq__eval_count(&p, -1); /* labels -1,0,2,-1,0,0 */
    assert_int_equal(c.out_of_range, 2);
    assert_int_equal(c.correct1, 2); /* images 2 and 4 */
}

static void test_per_class(void **state)
{
    (void)state;
    ptq__eval_preds p;
    make_preds(&p);
    int64_t images[4], correct[4];
    ptq__eval_per_class(&p, 0, images, correct);
    assert_int_equal(images[0], 2);
    assert_int_equal(correct[0], 1);
    assert_int_equal(images[1], 3);
    assert_int_equal(correct[1], 2);
    assert_int_equal(images[2], 0);
    assert_int_equal(correct[2], 0);
    assert_int_equal(images[3], 1);
    assert_int_equal(correct[3], 0);
}

static void test_report_json(void **state)
{
    (void)state;
    ptq_eval_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->top1 = 0.5;
    r->top5 = 1.0;
    r->images = 6;
    r->seconds = 2;
    r->classes = 2;
    r->pp = ptq_preprocess_default();
    r->class_images = calloc(2, sizeof(int64_t));
    r->class_correct = calloc(2, sizeof(int64_t));
    r->class_images[0] = 4;
    r->class_correct[0] = 3;
    r->diag = calloc(1, sizeof *r->diag);
    r->diag[0].change = strdup("--label-offset -1");
    r->diag[0].reason = strdup("labels are 1-based");
    r->diag[0].top1 = 0.87;
    r->n_diag = 1;
    assert_int_equal(ptq__eval_report_warn(r, "w %d", 1), 0);
    char *json = NULL;
    assert_int_equal(ptq_eval_report_to_json(r, &json), PTQ_STATUS_OK);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    assert_true(fabs(cJSON_GetObjectItem(root, "top1")->valuedouble - 0.5) < 1e-12);
    assert_true(fabs(cJSON_GetObjectItem(root, "top5")->valuedouble - 1.0) < 1e-12);
    assert_int_equal(cJSON_GetObjectItem(root, "images")->valueint, 6);
    assert_true(fabs(cJSON_GetObjectItem(root, "images_per_second")->valuedouble - 3.0) < 1e-12);
    cJSON *pc = cJSON_GetObjectItem(root, "per_class");
    assert_int_equal(cJSON_GetArraySize(pc), 2);
    assert_true(fabs(cJSON_GetObjectItem(cJSON_GetArrayItem(pc, 0), "top1")->valuedouble - 0.75) < 1e-12);
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(root, "preprocessing")));
    cJSON *dg = cJSON_GetObjectItem(root, "diagnosis");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(dg, 0), "change")->valuestring, "--label-offset -1");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "warnings")), 1);
    int64_t im, co;
    assert_int_equal(ptq_eval_report_class(r, 0, &im, &co), PTQ_STATUS_OK);
    assert_int_equal(im, 4);
    assert_int_equal(co, 3);
    assert_int_equal(ptq_eval_report_class(r, 2, &im, &co), PTQ_STATUS_INVALID_ARGUMENT);
    assert_string_equal(ptq_eval_report_diagnosis_change(r, 0), "--label-offset -1");
    assert_null(ptq_eval_report_diagnosis_change(r, 1));
    cJSON_Delete(root);
    free(json);
    ptq_eval_report_destroy(r);
    ptq_eval_report_destroy(NULL);
}

static void test_params_and_shape(void **state)
{
    (void)state;
    ptq_eval_params ep = ptq_eval_params_default();
    assert_int_equal(ep.batch, 8);
    assert_true(ep.expect_top1 < 0);
    assert_int_equal(ep.diagnosis_images, 200);
    ptq_preprocess pp = ptq_preprocess_default();
    pp.model_h = 64;
    pp.model_w = 48;
    ptq_input_shape s = ptq_eval_input_shape(&pp, 4);
    assert_int_equal(s.rank, 4);
    assert_int_equal(s.dims[0], 4);
    assert_int_equal(s.dims[1], 3);
    assert_int_equal(s.dims[2], 64);
    assert_int_equal(s.dims[3], 48);
    pp.layout = PTQ_LAYOUT_NHWC;
    s = ptq_eval_input_shape(&pp, 2);
    assert_int_equal(s.dims[3], 3);
    assert_int_equal(s.dims[1], 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_k_order_and_ties), cmocka_unit_test(test_top_k_clamps_and_nan),
        cmocka_unit_test(test_count_offsets),        cmocka_unit_test(test_per_class),
        cmocka_unit_test(test_report_json),          cmocka_unit_test(test_params_and_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
