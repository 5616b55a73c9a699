/* Image decoding (JPEG/PNG, EXIF, CMYK, 16-bit, palettes, corrupt input) and
 * bilinear resizing, against fixtures written by the real libraries with
 * scripts/make_resize_fixtures.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptq/data.h"

#define FIX PTQ_SOURCE_DIR "/tests/fixtures/data"

/* Loads an HxWxC uint8 .npy as an image. */
static ptq_image *load_npy_image(const char *path)
{
    ptq_tensor *t = NULL;
    if (ptq_tensor_load_npy(path, &t) != PTQ_STATUS_OK) fail_msg("%s: %s", path, ptq_last_error());
    assert_int_equal(t->dtype, PTQ_DTYPE_UINT8);
    assert_int_equal(t->rank, 3);
    ptq_image *im = NULL;
    assert_int_equal(ptq_image_create((int)t->dims[0], (int)t->dims[1], (int)t->dims[2], &im), PTQ_STATUS_OK);
    memcpy(im->data, t->data, (size_t)ptq_tensor_numel(t));
    ptq_tensor_destroy(t);
    return im;
}

static char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* Prints the first differing pixel so a failure is a one-line repro. */
static void assert_images_equal(const ptq_image *got, const ptq_image *want, int tolerance, const char *what)
{
    if (got->height != want->height || got->width != want->width || got->channels != want->channels)
        fail_msg("%s: got %dx%dx%d, want %dx%dx%d", what, got->height, got->width, got->channels, want->height,
                 want->width, want->channels);
    size_t n = (size_t)got->height * got->width * got->channels;
    int worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)got->data[i] - (int)want->data[i]);
        if (d > worst) worst = d, at = i;
    }
    if (worst > tolerance) {
        size_t c = at % (size_t)got->channels, p = at / (size_t)got->channels;
        fail_msg("%s: pixel (y=%zu, x=%zu, c=%zu) got %d want %d (max diff %d > %d)", what, p / (size_t)got->width,
                 p % (size_t)got->width, c, got->data[at], want->data[at], worst, tolerance);
    }
}

static void test_decode_fixtures(void **state)
{
    (void)state;
    FILE *f = fopen(FIX "/decode/cases.txt", "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char file[200], expected[200], path[700];
        if (line[0] == '#' || sscanf(line, "%199s %199s", file, expected) != 2) continue;
        snprintf(path, sizeof path, "%s/decode/%s", FIX, file);
        ptq_image *got = NULL;
        if (ptq_image_load(path, 0, &got) != PTQ_STATUS_OK) fail_msg("%s: %s", file, ptq_last_error());
        snprintf(path, sizeof path, "%s/decode/%s", FIX, expected);
        ptq_image *want = load_npy_image(path);
        assert_images_equal(got, want, 0, file);
        ptq_image_destroy(got);
        ptq_image_destroy(want);
        n++;
    }
    fclose(f);
    assert_true(n >= 20);
}

static void test_orientation_ignored(void **state)
{
    (void)state;
    ptq_image *a = NULL, *b = NULL;
    assert_int_equal(ptq_image_load(FIX "/decode/orient6.jpg", PTQ_IMAGE_IGNORE_ORIENTATION, &a), PTQ_STATUS_OK);
    assert_int_equal(ptq_image_load(FIX "/decode/orient1.jpg", 0, &b), PTQ_STATUS_OK);
    assert_int_equal(a->height, 8);
    assert_int_equal(a->width, 16);
    assert_images_equal(a, b, 0, "orient6 ignored == orient1");
    ptq_image_destroy(a);
    ptq_image_destroy(b);
}

/* Every prefix of a valid file must fail cleanly (or decode), never crash;
 * the suite runs under ASan+UBSan. */
static void check_truncations(const char *path, int step)
{
    size_t size;
    char *bytes = read_all(path, &size);
    for (size_t n = 0; n < size; n += (size_t)step) {
        char *copy = malloc(n ? n : 1); /* exact-size copy so ASan sees over-reads */
        memcpy(copy, bytes, n);
        ptq_image *im = NULL;
        ptq_status st = ptq_image_decode(copy, n, path, 0, &im);
        if (st == PTQ_STATUS_OK) {
            assert_non_null(im);
        } else {
            assert_null(im);
            assert_non_null(strstr(ptq_last_error(), path));
        }
        ptq_image_destroy(im);
        free(copy);
    }
    /* A clearly truncated file is an error, not a gray-padded image. */
    ptq_image *im = NULL;
    assert_int_not_equal(ptq_image_decode(bytes, size * 2 / 3, path, 0, &im), PTQ_STATUS_OK);
    assert_null(im);
    free(bytes);
}

static void test_truncated(void **state)
{
    (void)state;
    check_truncations(FIX "/decode/rgb.jpg", 7);
    check_truncations(FIX "/decode/cmyk.jpg", 13);
    check_truncations(FIX "/decode/orient6.jpg", 11);
    check_truncations(FIX "/decode/rgb8.png", 3);
    check_truncations(FIX "/decode/palette.png", 5);
    check_truncations(FIX "/decode/rgb16.png", 5);
}

static void test_garbage(void **state)
{
    (void)state;
    uint64_t s = 12345;
    uint8_t buf[600];
    for (int round = 0; round < 300; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            buf[i] = (uint8_t)(s >> 56);
        }
        size_t n = 1 + (size_t)(s >> 20) % sizeof buf;
        /* keep valid magic on some rounds so the real decoders see garbage */
        if (round % 3 == 0) memcpy(buf, "\xFF\xD8\xFF", 3);
        if (round % 3 == 1) memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
        uint8_t *copy = malloc(n);
        memcpy(copy, buf, n);
        ptq_image *im = NULL;
        ptq_status st = ptq_image_decode(copy, n, "garbage", 0, &im);
        if (st != PTQ_STATUS_OK) assert_null(im);
        ptq_image_destroy(im);
        free(copy);
    }
    /* corrupt the entropy-coded data of a real JPEG: must not crash */
    size_t size;
    char *bytes = read_all(FIX "/decode/rgb.jpg", &size);
    for (size_t i = size / 2; i < size - 2; i += 3) bytes[i] = (char)(bytes[i] ^ 0x5A);
    ptq_image *im = NULL;
    ptq_status st = ptq_image_decode(bytes, size, "flipped.jpg", 0, &im);
    if (st != PTQ_STATUS_OK) assert_null(im);
    ptq_image_destroy(im);
    free(bytes);
}

static void test_decode_errors(void **state)
{
    (void)state;
    ptq_image *im = NULL;
    assert_int_equal(ptq_image_load("/nonexistent/x.jpg", 0, &im), PTQ_STATUS_IO);
    assert_non_null(strstr(ptq_last_error(), "/nonexistent/x.jpg"));
    assert_int_equal(ptq_image_decode("BM\0\0\0\0", 6, "a.bmp", 0, &im), PTQ_STATUS_UNSUPPORTED);
    assert_non_null(strstr(ptq_last_error(), "a.bmp: BMP"));
    assert_int_equal(ptq_image_decode("hello world", 11, "a.jpg", 0, &im), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "a.jpg"));
    assert_int_equal(ptq_image_decode("", 0, "empty.png", 0, &im), PTQ_STATUS_BAD_FORMAT);
    assert_int_equal(ptq_image_load(FIX "/decode", 0, &im), PTQ_STATUS_IO);
    /* a PNG renamed .jpg decodes: magic bytes decide */
    size_t size;
    char *bytes = read_all(FIX "/decode/rgb8.png", &size);
    assert_int_equal(ptq_image_decode(bytes, size, "really_a_png.jpg", 0, &im), PTQ_STATUS_OK);
    assert_int_equal(im->channels, 3);
    ptq_image_destroy(im);
    free(bytes);
    assert_int_equal(ptq_image_create(0, 3, 3, &im), PTQ_STATUS_INVALID_ARGUMENT);
    assert_int_equal(ptq_image_create(3, 3, 2, &im), PTQ_STATUS_INVALID_ARGUMENT);
    ptq_image_destroy(NULL);
}

static void test_resize_fixtures(void **state)
{
    (void)state;
    FILE *f = fopen(FIX "/resize/cases.txt", "r");
    assert_non_null(f);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64], path[700], what[160];
        int h, w;
        if (line[0] == '#' || sscanf(line, "%63s %d %d", name, &h, &w) != 3) continue;
        snprintf(path, sizeof path, "%s/resize/in_%s.npy", FIX, name);
        ptq_image *src = load_npy_image(path);
        static const struct { ptq_interp interp; const char *tag; } libs[] = {
            {PTQ_INTERP_OPENCV, "cv2"}, {PTQ_INTERP_PILLOW, "pil"}};
        for (int l = 0; l < 2; l++) {
            snprintf(path, sizeof path, "%s/resize/%s_%dx%d_%s.npy", FIX, name, h, w, libs[l].tag);
            ptq_image *want = load_npy_image(path);
            ptq_image *got = NULL;
            assert_int_equal(ptq_image_resize(src, h, w, libs[l].interp, &got), PTQ_STATUS_OK);
            snprintf(what, sizeof what, "%s %dx%d -> %dx%d %s", name, src->height, src->width, h, w, libs[l].tag);
            assert_images_equal(got, want, 0, what); /* bit-exact for both libraries */
            ptq_image_destroy(got);
            ptq_image_destroy(want);
        }
        ptq_image_destroy(src);
        n++;
    }
    fclose(f);
    assert_true(n >= 15);
}

static void test_resize_errors(void **state)
{
    (void)state;
    ptq_image *src = NULL, *out = NULL;
    assert_int_equal(ptq_image_create(4, 4, 3, &src), PTQ_STATUS_OK);
    assert_int_equal(ptq_image_resize(src, 0, 4, PTQ_INTERP_OPENCV, &out), PTQ_STATUS_INVALID_ARGUMENT);
    assert_null(out);
    assert_int_equal(ptq_image_resize(src, 4, 4, (ptq_interp)7, &out), PTQ_STATUS_INVALID_ARGUMENT);
    assert_int_equal(ptq_image_resize(NULL, 4, 4, PTQ_INTERP_OPENCV, &out), PTQ_STATUS_INVALID_ARGUMENT);
    ptq_image_destroy(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_fixtures),
        cmocka_unit_test(test_orientation_ignored),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_resize_fixtures),
        cmocka_unit_test(test_resize_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
