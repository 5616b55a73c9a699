/* Accuracy Checker YAML configs: fields, path resolution, reader channel
 * order, composed normalization, unknown-key warnings, the imagenet
 * converter's file-name rule, and unsupported steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/ac_yaml.h"

#define FIX PTQ_SOURCE_DIR "/tests/fixtures/ac/"

static int has_warning(const ptq_ac_config *c, const char *needle)
{
    for (int i = 0; i < c->n_warnings; i++)
        if (strstr(c->warnings[i], needle)) return 1;
    return 0;
}

static void test_resnet50_pytorch(void **state)
{
    (void)state;
    ptq_ac_config *c = NULL;
    assert_int_equal(ptq_ac_config_load(FIX "resnet50.yml", &c), PTQ_STATUS_OK);
    assert_string_equal(c->name, "resnet-50-pytorch");
    assert_string_equal(c->dataset, "imagenet_1000_classes");
    assert_string_equal(c->framework, "onnx_runtime");
    assert_string_equal(c->model, FIX "models/resnet50.onnx");
    assert_string_equal(c->data_source, FIX "images");
    assert_string_equal(c->annotation_file, FIX "val.txt");
    assert_string_equal(c->labels_file, FIX "labels.txt");
    assert_int_equal(c->has_background, 0);
    /* pillow reader: RGB, no EXIF; resize greater -> shorter side, truncated */
    assert_int_equal(c->pp.bgr, 0);
    assert_int_equal(c->pp.ignore_orientation, 1);
    assert_int_equal(c->pp.resize, PTQ_RESIZE_SHORT);
    assert_int_equal(c->pp.resize_short, 256);
    assert_int_equal(c->pp.short_rounding, PTQ_SHORT_TRUNC);
    assert_int_equal(c->pp.interp, PTQ_INTERP_PILLOW);
    assert_int_equal(c->pp.crop_h, 224);
    assert_int_equal(c->pp.crop_w, 224);
    assert_int_equal(c->pp.model_h, 224);
    /* std 255 then mean/std on 0..1 == mean*255, std*255 on 0..255 */
    assert_true(fabsf(c->pp.scale - 1.0f) < 1e-7f);
    assert_true(fabsf(c->pp.mean[0] - 123.675f) < 1e-3f);
    assert_true(fabsf(c->pp.mean[2] - 103.53f) < 1e-3f);
    assert_true(fabsf(c->pp.std[0] - 58.395f) < 1e-3f);
    assert_true(fabsf(c->pp.std[2] - 57.375f) < 1e-3f);
    assert_int_equal(c->n_top_k, 2);
    assert_int_equal(c->top_k[0], 1);
    assert_int_equal(c->top_k[1], 5);
    /* unknown keys warn (with file:line), known-but-ignored ones too */
    assert_true(has_warning(c, "unknown key 'inputs_mystery'"));
    assert_true(has_warning(c, "unknown key 'colour_space'"));
    assert_true(has_warning(c, "resnet50.yml:8: launcher: unknown key"));
    assert_true(has_warning(c, "key 'adapter' is ignored"));
    ptq_ac_config_destroy(c);
}

static void test_opencv_bgr_background(void **state)
{
    (void)state;
    ptq_ac_config *c = NULL;
    assert_int_equal(ptq_ac_config_load(FIX "opencv_bgr.yml", &c), PTQ_STATUS_OK);
    assert_int_equal(c->has_background, 1);
    assert_null(c->labels_file);
    /* opencv reader is BGR; bgr_to_rgb makes the model input RGB */
    assert_int_equal(c->pp.bgr, 0);
    assert_int_equal(c->pp.resize, PTQ_RESIZE_EXACT);
    assert_int_equal(c->pp.resize_w, 40);
    assert_int_equal(c->pp.resize_h, 30);
    assert_int_equal(c->pp.model_w, 40);
    assert_int_equal(c->pp.model_h, 30);
    assert_int_equal(c->pp.interp, PTQ_INTERP_OPENCV);
    /* mean given in BGR order (before the swap) ends up in RGB order */
    assert_true(fabsf(c->pp.mean[0] - 123.675f) < 1e-3f);
    assert_true(fabsf(c->pp.mean[2] - 103.53f) < 1e-3f);
    assert_true(fabsf(c->pp.std[0] - 58.395f) < 1e-3f);
    assert_int_equal(c->n_warnings, 0);
    ptq_ac_config_destroy(c);
}

static void test_path_rule(void **state)
{
    (void)state;
    ptq_ac_config *c = NULL;
    assert_int_equal(ptq_ac_config_load(FIX "resnet50.yml", &c), PTQ_STATUS_OK);
    ptq_dataset_params dp = ptq_dataset_params_default();
    dp.list_path = c->annotation_file;
    dp.root = c->data_source;
    dp.labels_path = c->labels_file;
    dp.basename_lookup = 1;
    ptq_dataset *ds = NULL;
    assert_int_equal(ptq_dataset_open(&dp, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 3);
    /* jpg/img_a.png -> images/img_a.png (directory stripped, like AC) */
    assert_string_equal(ptq_dataset_image_path(ds, 0), FIX "images/img_a.png");
    assert_string_equal(ptq_dataset_image_path(ds, 1), FIX "images/img_b.png");
    /* nested/img_c.png is not directly under images/: fall back to the relative path */
    assert_string_equal(ptq_dataset_image_path(ds, 2), FIX "images/nested/img_c.png");
    assert_string_equal(ptq_dataset_class_name(ds, 2), "bird");
    ptq_dataset_destroy(ds);
    ptq_ac_config_destroy(c);
}

static void test_errors(void **state)
{
    (void)state;
    ptq_ac_config *c = (ptq_ac_config *)1;
    assert_int_equal(ptq_ac_config_load(FIX "bad_step.yml", &c), PTQ_STATUS_UNSUPPORTED);
    assert_null(c);
    assert_non_null(strstr(ptq_last_error(), "'flip'"));
    assert_non_null(strstr(ptq_last_error(), "bad_step.yml:7"));
    assert_int_equal(ptq_ac_config_load(FIX "missing.yml", &c), PTQ_STATUS_IO);
    assert_non_null(strstr(ptq_last_error(), "missing.yml: cannot open: No such file"));
    /* a directory is named as one (was libyaml's "input error") */
    assert_int_equal(ptq_ac_config_load(FIX "images", &c), PTQ_STATUS_IO);
    assert_non_null(strstr(ptq_last_error(), "images: is a directory"));
    assert_int_equal(ptq_ac_config_load(FIX "val.txt", &c), PTQ_STATUS_BAD_FORMAT);
    ptq_ac_config_destroy(NULL);
}

/* Writes text to a new temporary file; returns its path (static buffer). */
static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/ptq-test-ac-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void expect_load_error(const char *text, ptq_status want, const char *needle)
{
    ptq_ac_config *c = (ptq_ac_config *)1;
    const char *path = write_tmp(text);
    ptq_status st = ptq_ac_config_load(path, &c);
    remove(path);
    if (st != want || !strstr(ptq_last_error(), needle))
        fail_msg("status %s, message \"%s\"; wanted %s with \"%s\"", ptq_status_string(st), ptq_last_error(),
                 ptq_status_string(want), needle);
    assert_null(c);
}

static void test_limits(void **state)
{
    (void)state;
    /* libyaml is quadratic in these: 100k nested '[' took half a minute */
    char *t = malloc((2 << 20) + 1);
    assert_non_null(t);
    memset(t, '[', 65);
    memset(t + 65, ']', 65);
    t[130] = 0;
    expect_load_error(t, PTQ_STATUS_BAD_FORMAT, ":1: nested more than 64 levels deep");
    size_t n = (size_t)sprintf(t, "a: &a 1\nb: [");
    for (int i = 0; i < 1000; i++) n += (size_t)sprintf(t + n, "*a, ");
    sprintf(t + n, "*a]\n");
    expect_load_error(t, PTQ_STATUS_BAD_FORMAT, ":2: more than 1000 anchors and aliases");
    /* 2 MB: more than any config (was read whole, parse tree and all) */
    memset(t, ' ', 2 << 20);
    t[2 << 20] = 0;
    expect_load_error(t, PTQ_STATUS_IO, "larger than");
    free(t);
}

static void test_empty(void **state)
{
    (void)state;
    /* was "file:0: expected a mapping" */
    expect_load_error("# only a comment\n", PTQ_STATUS_BAD_FORMAT, ": empty; expected a mapping with 'models'");
    expect_load_error("", PTQ_STATUS_BAD_FORMAT, ": empty; expected a mapping with 'models'");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    /* AC (PyYAML) keeps the last of a repeated key, ptq read the first: refused */
    expect_load_error("models:\n  - name: a\n    datasets:\n      - name: d\n        preprocessing:\n"
                      "          - type: resize\n            size: 224\n            size: 256\n",
                      PTQ_STATUS_BAD_FORMAT, ":8: preprocessing 'resize': duplicate key 'size'");
    expect_load_error("models: [{datasets: [{name: d}]}]\nmodels: [{datasets: [{name: e}]}]\n", PTQ_STATUS_BAD_FORMAT,
                      ":2: config: duplicate key 'models'");
}

static void test_metrics_shapes(void **state)
{
    (void)state;
    /* a mapping instead of a list was ignored without a word (no top-k at all) */
    expect_load_error("models: [{datasets: [{name: d, metrics: {type: accuracy, top_k: 5}}]}]\n", PTQ_STATUS_BAD_FORMAT,
                      ":1: metrics must be a list");
    /* a ninth accuracy metric was dropped silently; now it is a warning */
    const char *path = write_tmp("models: [{datasets: [{name: d, metrics: [{type: accuracy, top_k: 1}, {type: accuracy, top_k: 2},"
                                 " {type: accuracy, top_k: 3}, {type: accuracy, top_k: 4}, {type: accuracy, top_k: 5},"
                                 " {type: accuracy, top_k: 6}, {type: accuracy, top_k: 7}, {type: accuracy, top_k: 8},"
                                 " {type: accuracy, top_k: 9}]}]}]\n");
    ptq_ac_config *c = NULL;
    ptq_status st = ptq_ac_config_load(path, &c);
    remove(path);
    assert_int_equal(st, PTQ_STATUS_OK);
    assert_int_equal(c->n_top_k, 8);
    assert_int_equal(c->top_k[7], 8);
    assert_true(has_warning(c, "more than 8 accuracy metrics"));
    ptq_ac_config_destroy(c);
}

static void test_normalization_values(void **state)
{
    (void)state;
    char t[1024], one[130];
    memset(one, '0', 126);
    memcpy(one, "1.", 2);
    one[126] = 0;
    /* four numbers whose text overflowed a 256-byte buffer were cut to three */
    snprintf(t, sizeof t,
             "models:\n  - datasets:\n      - name: d\n        preprocessing:\n          - type: normalization\n"
             "            mean: [%s, %s, 3, 4]\n",
             one, one);
    expect_load_error(t, PTQ_STATUS_BAD_FORMAT, ":6: list of numbers too long");
    expect_load_error("models: [{datasets: [{name: d, preprocessing: [{type: normalization, mean: nan}]}]}]\n",
                      PTQ_STATUS_BAD_FORMAT, ":1: expected 1 or 3 numbers");
}

static void test_helpers(void **state)
{
    (void)state;
    float v[3];
    assert_int_equal(ptq__ac_parse_triple("123.675, 116.28, 103.53", v), 0);
    assert_true(fabsf(v[1] - 116.28f) < 1e-4f);
    assert_int_equal(ptq__ac_parse_triple("[1, 2, 3]", v), 0);
    assert_true(v[2] == 3.0f);
    assert_int_equal(ptq__ac_parse_triple("255", v), 0);
    assert_true(v[0] == 255.0f && v[2] == 255.0f);
    assert_int_equal(ptq__ac_parse_triple("1, 2", v), -1);
    assert_int_equal(ptq__ac_parse_triple("x", v), -1);
    /* values that made every input NaN, and trailing garbage, were accepted */
    assert_int_equal(ptq__ac_parse_triple("nan", v), -1);
    assert_int_equal(ptq__ac_parse_triple("1, inf, 3", v), -1);
    assert_int_equal(ptq__ac_parse_triple("1e39", v), -1);
    assert_int_equal(ptq__ac_parse_triple("[1, 2, 3] 4", v), -1);
    assert_int_equal(ptq__ac_parse_triple(" [1, 2, 3] ", v), 0);
    float m[3] = {0, 0, 0}, s[3] = {255, 255, 255};
    const float m2[3] = {0.5f, 0.5f, 0.5f}, s2[3] = {0.5f, 0.5f, 0.5f};
    ptq__ac_compose_norm(m, s, m2, s2);
    assert_true(fabsf(m[0] - 127.5f) < 1e-4f && fabsf(s[0] - 127.5f) < 1e-4f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resnet50_pytorch), cmocka_unit_test(test_opencv_bgr_background),
        cmocka_unit_test(test_path_rule),        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_helpers),          cmocka_unit_test(test_limits),
        cmocka_unit_test(test_empty),            cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_metrics_shapes), cmocka_unit_test(test_normalization_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
