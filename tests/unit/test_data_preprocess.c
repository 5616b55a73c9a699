/* Preprocessing: presets against NumPy re-implementations of the torchvision,
 * PaddleClas and Caffe eval pipelines (scripts/make_resize_fixtures.py), the
 * pipeline steps, the CLI option parser, describe and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptq/data.h"

#define FIX PTQ_SOURCE_DIR "/tests/fixtures/data"

static void test_presets_match_frameworks(void **state)
{
    (void)state;
    FILE *f = fopen(FIX "/preprocess/cases.txt", "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char preset[32], image[200], expected[200], path[700];
        int h, w;
        double tol;
        if (line[0] == '#' || sscanf(line, "%31s %199s %d %d %199s %lf", preset, image, &h, &w, expected, &tol) != 6)
            continue;
        ptq_preprocess pp;
        assert_int_equal(ptq_preprocess_preset(preset, h, w, &pp), PTQ_STATUS_OK);
        size_t count = ptq_preprocess_output_size(&pp);
        assert_int_equal(count, (size_t)3 * h * w);
        float *out = malloc(count * sizeof *out);
        snprintf(path, sizeof path, "%s/%s", FIX, image);
        if (ptq_preprocess_file(&pp, path, out) != PTQ_STATUS_OK) fail_msg("%s %s: %s", preset, image, ptq_last_error());
        snprintf(path, sizeof path, "%s/%s", FIX, expected);
        ptq_tensor *want = NULL;
        assert_int_equal(ptq_tensor_load_npy(path, &want), PTQ_STATUS_OK);
        assert_int_equal(ptq_tensor_numel(want), (int64_t)count);
        const float *wv = want->data;
        for (size_t i = 0; i < count; i++) {
            if (fabs((double)out[i] - (double)wv[i]) > tol)
                fail_msg("%s %s: element %zu (c=%zu y=%zu x=%zu) got %.9g want %.9g (tolerance %g)", preset, image, i,
                         i / (size_t)(h * w), i / (size_t)w % (size_t)h, i % (size_t)w, (double)out[i], (double)wv[i],
                         tol);
        }
        ptq_tensor_destroy(want);
        free(out);
        n++;
    }
    fclose(f);
    assert_true(n >= 9);
}

static void test_preset_values(void **state)
{
    (void)state;
    ptq_preprocess pp;
    assert_int_equal(ptq_preprocess_preset("torchvision", 224, 224, &pp), PTQ_STATUS_OK);
    assert_int_equal(pp.resize, PTQ_RESIZE_SHORT);
    assert_int_equal(pp.resize_short, 256);
    assert_int_equal(pp.crop_h, 224);
    assert_int_equal(pp.interp, PTQ_INTERP_PILLOW);
    assert_int_equal(pp.short_rounding, PTQ_SHORT_TRUNC);
    assert_int_equal(pp.crop_rounding, PTQ_CROP_HALF_EVEN);
    assert_int_equal(ptq_preprocess_preset("paddleclas", 299, 299, &pp), PTQ_STATUS_OK);
    assert_int_equal(pp.resize_short, 342); /* round(299 * 256 / 224) = round(341.71) */
    assert_int_equal(pp.interp, PTQ_INTERP_OPENCV);
    assert_int_equal(ptq_preprocess_preset("caffe", 224, 224, &pp), PTQ_STATUS_OK);
    assert_int_equal(pp.bgr, 1);
    assert_true(fabsf(pp.mean[0] - 103.939f) < 1e-4f);
    assert_int_equal(ptq_preprocess_preset("raw", 28, 28, &pp), PTQ_STATUS_OK);
    assert_int_equal(pp.resize, PTQ_RESIZE_EXACT);
    assert_int_equal(pp.resize_h, 28);
    assert_true(pp.scale == 1.0f && pp.mean[1] == 0.0f && pp.std[2] == 1.0f);
    ptq_preprocess before = pp;
    assert_int_equal(ptq_preprocess_preset("imagenet", 224, 224, &pp), PTQ_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(ptq_last_error(), "torchvision, paddleclas, caffe, none, raw"));
    assert_memory_equal(&pp, &before, sizeof pp);
    assert_int_equal(ptq_preprocess_preset("none", 0, 224, &pp), PTQ_STATUS_INVALID_ARGUMENT);
}

/* 2x3 RGB image with distinct values to trace every step. */
static ptq_image *tiny(int h, int w, int c)
{
    ptq_image *im = NULL;
    assert_int_equal(ptq_image_create(h, w, c, &im), PTQ_STATUS_OK);
    for (int i = 0; i < h * w * c; i++) im->data[i] = (uint8_t)(i * 7 + 1);
    return im;
}

static void test_pipeline_steps(void **state)
{
    (void)state;
    ptq_preprocess pp = ptq_preprocess_default();
    pp.model_h = 2;
    pp.model_w = 3;
    pp.resize = PTQ_RESIZE_NONE;
    ptq_image *im = tiny(2, 3, 3);
    float out[18];
    /* NCHW, RGB, identity normalization */
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_OK);
    for (int c = 0; c < 3; c++)
        for (int p = 0; p < 6; p++) assert_true(out[c * 6 + p] == (float)im->data[p * 3 + c]);
    /* BGR + NHWC + scale/mean/std */
    pp.bgr = 1;
    pp.layout = PTQ_LAYOUT_NHWC;
    pp.scale = 0.5f;
    pp.mean[0] = 1.0f, pp.mean[1] = 2.0f, pp.mean[2] = 3.0f;
    pp.std[0] = 2.0f, pp.std[1] = 4.0f, pp.std[2] = 8.0f;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_OK);
    for (int p = 0; p < 6; p++)
        for (int c = 0; c < 3; c++) {
            float v = (float)im->data[p * 3 + (2 - c)];
            assert_true(out[p * 3 + c] == (v * 0.5f - pp.mean[c]) / pp.std[c]);
        }
    /* gray image -> 3 identical channels */
    ptq_image *g = tiny(2, 3, 1);
    pp = ptq_preprocess_default();
    pp.model_h = 2, pp.model_w = 3, pp.resize = PTQ_RESIZE_NONE;
    assert_int_equal(ptq_preprocess_image(&pp, g, out), PTQ_STATUS_OK);
    for (int p = 0; p < 6; p++)
        for (int c = 0; c < 3; c++) assert_true(out[c * 6 + p] == (float)g->data[p]);
    /* RGB image into a 1-channel model: Pillow's L conversion */
    pp.channels = 1;
    assert_int_equal(ptq_preprocess_output_size(&pp), 6);
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_OK);
    const uint8_t *px = im->data + 3;
    assert_true(out[1] == (float)((px[0] * 19595u + px[1] * 38470u + px[2] * 7471u + 0x8000u) >> 16));
    ptq_image_destroy(g);
    ptq_image_destroy(im);
}

static void test_crop_and_short_side(void **state)
{
    (void)state;
    ptq_image *im = tiny(5, 8, 1);
    float out[64];
    ptq_preprocess pp = ptq_preprocess_default();
    pp.resize = PTQ_RESIZE_NONE;
    /* odd margins: floor (PaddleClas) vs half-even (torchvision) */
    pp.model_h = 2, pp.model_w = 3, pp.crop_h = 2, pp.crop_w = 3, pp.channels = 1;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_OK);
    assert_true(out[0] == (float)im->data[1 * 8 + 2]); /* (5-2)//2 = 1, (8-3)//2 = 2 */
    pp.crop_rounding = PTQ_CROP_HALF_EVEN;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_OK);
    assert_true(out[0] == (float)im->data[2 * 8 + 2]); /* round(1.5) = 2, round(2.5) = 2 */

    /* crop larger than the image: clear error */
    pp.model_h = 6, pp.model_w = 6, pp.crop_h = 6, pp.crop_w = 6;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(ptq_last_error(), "center crop 6x6 is larger than the resized image 5x8"));

    /* result size != model size */
    pp.crop_h = pp.crop_w = 0;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(ptq_last_error(), "model input is 6x6"));

    /* shorter side: 5x8 -> N=3: round: 3 x round(4.8)=5; trunc: int(3*8/5)=4 */
    pp.resize = PTQ_RESIZE_SHORT;
    pp.resize_short = 3;
    pp.model_h = 3, pp.model_w = 5;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_OK);
    pp.short_rounding = PTQ_SHORT_TRUNC;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_INVALID_ARGUMENT);
    pp.model_w = 4;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_OK);
    ptq_image_destroy(im);

    /* Python round is half to even: 3x2 image, N=3 -> percent 1.5, w = round(4.5) = 4 */
    im = tiny(2, 3, 1);
    pp.short_rounding = PTQ_SHORT_ROUND;
    pp.model_h = 3, pp.model_w = 4;
    assert_int_equal(ptq_preprocess_image(&pp, im, out), PTQ_STATUS_OK);
    ptq_image_destroy(im);

    /* file errors name the file */
    assert_int_equal(ptq_preprocess_file(&pp, "/nonexistent/img.jpg", out), PTQ_STATUS_IO);
    assert_non_null(strstr(ptq_last_error(), "/nonexistent/img.jpg"));
    pp = ptq_preprocess_default();
    pp.resize = PTQ_RESIZE_NONE;
    pp.model_h = pp.model_w = 24;
    assert_int_equal(ptq_preprocess_file(&pp, FIX "/preprocess/photo.jpg", out), PTQ_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(ptq_last_error(), "photo.jpg"));
}

static void test_option_parser(void **state)
{
    (void)state;
    ptq_preprocess pp = ptq_preprocess_default();
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--preset", "paddleclas"), PTQ_STATUS_OK);
    assert_int_equal(pp.resize_short, 256);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--resize", "320"), PTQ_STATUS_OK);
    assert_int_equal(pp.resize, PTQ_RESIZE_SHORT);
    assert_int_equal(pp.resize_short, 320);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "crop", "288x256"), PTQ_STATUS_OK);
    assert_int_equal(pp.crop_h, 288);
    assert_int_equal(pp.crop_w, 256);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--crop", "224"), PTQ_STATUS_OK);
    assert_int_equal(pp.crop_w, 224);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--resize-exact", "240x320"), PTQ_STATUS_OK);
    assert_int_equal(pp.resize, PTQ_RESIZE_EXACT);
    assert_int_equal(pp.resize_w, 320);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--scale", "1/255"), PTQ_STATUS_OK);
    assert_true(pp.scale == (float)(1.0 / 255.0));
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--scale", "0.017"), PTQ_STATUS_OK);
    assert_true(pp.scale == 0.017f);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--mean", "123.675,116.28,103.53"), PTQ_STATUS_OK);
    assert_true(pp.mean[2] == 103.53f);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--std", "58.395"), PTQ_STATUS_OK);
    assert_true(pp.std[0] == 58.395f && pp.std[2] == 58.395f);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--bgr", NULL), PTQ_STATUS_OK);
    assert_int_equal(pp.bgr, 1);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--rgb", NULL), PTQ_STATUS_OK);
    assert_int_equal(pp.bgr, 0);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--layout", "NHWC"), PTQ_STATUS_OK);
    assert_int_equal(pp.layout, PTQ_LAYOUT_NHWC);
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--interp", "pillow"), PTQ_STATUS_OK);
    assert_int_equal(pp.interp, PTQ_INTERP_PILLOW);
    assert_int_equal(ptq_preprocess_validate(&pp), PTQ_STATUS_OK);

    /* bad values: INVALID_ARGUMENT, readable message, pp unchanged */
    static const struct { const char *opt, *val, *needle; } bad[] = {
        {"--resize", "0", "--resize: '0' is not a size"},
        {"--resize", "12abc", "not a size"},
        {"--resize", NULL, "--resize needs a value"},
        {"--resize-exact", "224x", "not HxW"},
        {"--crop", "x224", "not HxW"},
        {"--crop", "-5", "not a size"},
        {"--scale", "abc", "--scale: 'abc'"},
        {"--scale", "1/0", "fraction"},
        {"--scale", "0", "non-zero"},
        {"--mean", "1,2", "1 or 3 comma-separated"},
        {"--mean", "1,2,3,4", "1 or 3"},
        {"--mean", "1,,3", "1 or 3"},
        {"--mean", "nan", "1 or 3"},
        {"--std", "0.2,0,0.2", "positive"},
        {"--layout", "chw", "not nchw or nhwc"},
        {"--interp", "bicubic", "not opencv or pillow"},
        {"--preset", "keras", "valid: torchvision"},
        {"--bgr", "yes", "takes no value"},
        {"--frobnicate", "1", "unknown preprocessing option '--frobnicate'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ptq_preprocess before = pp;
        ptq_status st = ptq_preprocess_parse_option(&pp, bad[i].opt, bad[i].val);
        if (st != PTQ_STATUS_INVALID_ARGUMENT) fail_msg("%s %s: status %d", bad[i].opt, bad[i].val, (int)st);
        if (!strstr(ptq_last_error(), bad[i].needle))
            fail_msg("%s %s: message '%s' lacks '%s'", bad[i].opt, bad[i].val, ptq_last_error(), bad[i].needle);
        assert_memory_equal(&pp, &before, sizeof pp);
    }
    int takes;
    assert_true(ptq_preprocess_is_option("--crop", &takes) && takes == 1);
    assert_true(ptq_preprocess_is_option("bgr", &takes) && takes == 0);
    assert_false(ptq_preprocess_is_option("--model", NULL));

    /* --preset keeps the model size and channels and scales to them */
    pp.model_h = pp.model_w = 299;
    pp.channels = 1;
    assert_int_equal(ptq_preprocess_parse_option(&pp, "--preset", "torchvision"), PTQ_STATUS_OK);
    assert_int_equal(pp.resize_short, 342);
    assert_int_equal(pp.crop_h, 299);
    assert_int_equal(pp.channels, 1);
}

static void test_describe_json(void **state)
{
    (void)state;
    ptq_preprocess pp;
    assert_int_equal(ptq_preprocess_preset("paddleclas", 224, 224, &pp), PTQ_STATUS_OK);
    char buf[1024];
    size_t n = ptq_preprocess_describe(&pp, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    assert_non_null(strstr(buf, "resize shorter side to 256 (round, opencv bilinear)"));
    assert_non_null(strstr(buf, "center crop 224x224 (floor)"));
    assert_non_null(strstr(buf, "RGB"));
    assert_non_null(strstr(buf, "NCHW 3x224x224"));
    assert_null(strchr(buf, '\n'));
    /* truncation: snprintf semantics */
    char small[16];
    assert_int_equal(ptq_preprocess_describe(&pp, small, sizeof small), n);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(ptq_preprocess_describe(&pp, NULL, 0), n);

    n = ptq_preprocess_to_json(&pp, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf,
                        "{\"model_h\":224,\"model_w\":224,\"channels\":3,"
                        "\"resize\":{\"mode\":\"short\",\"short\":256,\"rounding\":\"round\"},"
                        "\"crop\":{\"h\":224,\"w\":224,\"rounding\":\"floor\"},"
                        "\"interp\":\"opencv\",\"channel_order\":\"RGB\",\"scale\":0.00392156886,"
                        "\"mean\":[0.485000014,0.456,0.405999988],"
                        "\"std\":[0.229000002,0.224000007,0.224999994],"
                        "\"layout\":\"NCHW\",\"exif_orientation\":true}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets_match_frameworks),
        cmocka_unit_test(test_preset_values),
        cmocka_unit_test(test_pipeline_steps),
        cmocka_unit_test(test_crop_and_short_side),
        cmocka_unit_test(test_option_parser),
        cmocka_unit_test(test_describe_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
