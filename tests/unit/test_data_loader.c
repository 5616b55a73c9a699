/* Batch loader: order and content identical to sequential preprocessing for
 * any thread count and batch size, subsets, bad images (fail vs skip), early
 * destroy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptq/data.h"

#define FIX PTQ_SOURCE_DIR "/tests/fixtures/data"
#define N_IMAGES 23

static const char *const IMAGES[] = {
    FIX "/decode/rgb.jpg",     FIX "/decode/gray.jpg",   FIX "/decode/cmyk.jpg",      FIX "/decode/orient6.jpg",
    FIX "/decode/rgb8.png",    FIX "/decode/palette.png", FIX "/decode/gray16.png",   FIX "/decode/rgba8.png",
    FIX "/preprocess/photo.jpg", FIX "/preprocess/gray.png",
};

typedef struct fixture {
    char dir[512];
    char list[600];
    char bad_list[600];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "%s/tests/tmp_data_loader_XXXXXX", PTQ_BINARY_DIR);
    if (!mkdtemp(fx->dir)) return -1;
    snprintf(fx->list, sizeof fx->list, "%s/list.txt", fx->dir);
    snprintf(fx->bad_list, sizeof fx->bad_list, "%s/bad.txt", fx->dir);
    FILE *f = fopen(fx->list, "w"), *g = fopen(fx->bad_list, "w");
    const size_t n_img = sizeof IMAGES / sizeof IMAGES[0];
    for (int i = 0; i < N_IMAGES; i++) {
        fprintf(f, "%s %d\n", IMAGES[(size_t)i % n_img], 100 + i);
        /* positions 5 and 6 are bad (missing, truncated); 12..15 all bad */
        if (i == 5) fprintf(g, "/nonexistent/missing.jpg %d\n", 100 + i);
        else if (i == 6 || (i >= 12 && i <= 15)) fprintf(g, "%s/trunc.png %d\n", fx->dir, 100 + i);
        else fprintf(g, "%s %d\n", IMAGES[(size_t)i % n_img], 100 + i);
    }
    fclose(f);
    fclose(g);
    /* truncated PNG */
    FILE *src = fopen(FIX "/decode/rgb8.png", "rb");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, src);
    fclose(src);
    char path[700];
    snprintf(path, sizeof path, "%s/trunc.png", fx->dir);
    FILE *t = fopen(path, "wb");
    fwrite(buf, 1, n / 2, t);
    fclose(t);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0) return -1;
    free(fx);
    return 0;
}

static ptq_dataset *open_ds(const char *list)
{
    ptq_dataset_params p = ptq_dataset_params_default();
    p.list_path = list;
    ptq_dataset *ds = NULL;
    if (ptq_dataset_open(&p, &ds) != PTQ_STATUS_OK) fail_msg("%s", ptq_last_error());
    return ds;
}

static ptq_preprocess recipe(void)
{
    ptq_preprocess pp;
    assert_int_equal(ptq_preprocess_preset("none", 12, 10, &pp), PTQ_STATUS_OK);
    pp.scale = 1.0f / 255.0f;
    return pp;
}

/* Runs a loader to the end and checks every sample against sequential
 * ptq_preprocess_file output. */
static void run_and_compare(const ptq_dataset *ds, const int64_t *idx, int64_t count, int batch, int threads)
{
    ptq_preprocess pp = recipe();
    size_t sample = ptq_preprocess_output_size(&pp);
    float *ref = malloc(sample * sizeof *ref);
    int32_t *labels = malloc((size_t)batch * sizeof *labels);
    ptq_loader *l = NULL;
    assert_int_equal(ptq_loader_create(ds, idx, count, &pp, batch, threads, 0, &l), PTQ_STATUS_OK);
    int64_t total = idx ? count : ptq_dataset_size(ds);
    assert_int_equal(ptq_loader_count(l), total);
    int64_t pos = 0;
    for (;;) {
        ptq_tensor *t = NULL;
        int n = -1;
        if (ptq_loader_next(l, &t, labels, &n) != PTQ_STATUS_OK) fail_msg("%s", ptq_last_error());
        if (!t) {
            assert_int_equal(n, 0);
            break;
        }
        int expect_n = (int)(total - pos < batch ? total - pos : batch);
        assert_int_equal(n, expect_n);
        assert_int_equal(t->rank, 4);
        assert_int_equal(t->dims[0], n);
        assert_int_equal(t->dims[1], 3);
        assert_int_equal(t->dims[2], 12);
        assert_int_equal(t->dims[3], 10);
        for (int i = 0; i < n; i++, pos++) {
            int64_t di = idx ? idx[pos] : pos;
            assert_int_equal(labels[i], ptq_dataset_label(ds, di));
            assert_int_equal(ptq_preprocess_file(&pp, ptq_dataset_image_path(ds, di), ref), PTQ_STATUS_OK);
            if (memcmp(ref, (float *)t->data + (size_t)i * sample, sample * sizeof *ref) != 0)
                fail_msg("batch %d threads %d: sample at position %lld differs", batch, threads, (long long)pos);
        }
        ptq_tensor_destroy(t);
    }
    assert_int_equal(pos, total);
    assert_int_equal(ptq_loader_skipped(l), 0);
    /* after the end: still OK, still empty */
    ptq_tensor *t = (ptq_tensor *)1;
    int n = 5;
    assert_int_equal(ptq_loader_next(l, &t, labels, &n), PTQ_STATUS_OK);
    assert_null(t);
    assert_int_equal(n, 0);
    ptq_loader_destroy(l);
    free(labels);
    free(ref);
}

static void test_order_and_content(void **state)
{
    fixture *fx = *state;
    ptq_dataset *ds = open_ds(fx->list);
    run_and_compare(ds, NULL, 0, 4, 1);
    run_and_compare(ds, NULL, 0, 5, 3);
    run_and_compare(ds, NULL, 0, 1, 8);
    run_and_compare(ds, NULL, 0, 64, 2);
    run_and_compare(ds, NULL, 0, 3, 0); /* 0: one per CPU */
    int64_t idx[9];
    assert_int_equal(ptq_dataset_subset(ds, 9, 7, idx), PTQ_STATUS_OK);
    run_and_compare(ds, idx, 9, 2, 4);
    run_and_compare(ds, idx, 0, 2, 4); /* empty selection */
    ptq_dataset_destroy(ds);
}

static void test_bad_images_fail(void **state)
{
    fixture *fx = *state;
    ptq_dataset *ds = open_ds(fx->bad_list);
    ptq_preprocess pp = recipe();
    ptq_loader *l = NULL;
    int32_t labels[4];
    assert_int_equal(ptq_loader_create(ds, NULL, 0, &pp, 4, 3, 0, &l), PTQ_STATUS_OK);
    ptq_tensor *t = NULL;
    int n;
    assert_int_equal(ptq_loader_next(l, &t, labels, &n), PTQ_STATUS_OK); /* positions 0..3 */
    assert_int_equal(n, 4);
    ptq_tensor_destroy(t);
    ptq_status st = ptq_loader_next(l, &t, labels, &n); /* 4..7 holds the missing file */
    assert_int_equal(st, PTQ_STATUS_IO);
    assert_null(t);
    assert_int_equal(n, 0);
    assert_non_null(strstr(ptq_last_error(), "/nonexistent/missing.jpg"));
    assert_int_equal(ptq_loader_next(l, &t, labels, &n), PTQ_STATUS_INVALID_STATE);
    ptq_loader_destroy(l);
    ptq_dataset_destroy(ds);
}

static void test_bad_images_skipped(void **state)
{
    fixture *fx = *state;
    ptq_dataset *ds = open_ds(fx->bad_list);
    ptq_preprocess pp = recipe();
    size_t sample = ptq_preprocess_output_size(&pp);
    float *ref = malloc(sample * sizeof *ref);
    for (int threads = 1; threads <= 4; threads += 3) {
        ptq_loader *l = NULL;
        int32_t labels[4];
        assert_int_equal(ptq_loader_create(ds, NULL, 0, &pp, 4, threads, 1, &l), PTQ_STATUS_OK);
        int sizes[8], nb = 0, seen = 0;
        for (;;) {
            ptq_tensor *t = NULL;
            int n;
            if (ptq_loader_next(l, &t, labels, &n) != PTQ_STATUS_OK) fail_msg("%s", ptq_last_error());
            if (!t) break;
            assert_true(nb < 8);
            sizes[nb++] = n;
            for (int i = 0; i < n; i++) {
                int64_t di = labels[i] - 100; /* labels encode the position */
                assert_int_equal(ptq_preprocess_file(&pp, ptq_dataset_image_path(ds, di), ref), PTQ_STATUS_OK);
                assert_memory_equal(ref, (float *)t->data + (size_t)i * sample, sample * sizeof *ref);
                seen++;
            }
            ptq_tensor_destroy(t);
        }
        /* 23 images, batches of 4: [0-3] [4-7 minus 5,6] [8-11] ([12-15] all bad) [16-19] [20-22] */
        assert_int_equal(nb, 5);
        assert_int_equal(sizes[0], 4);
        assert_int_equal(sizes[1], 2);
        assert_int_equal(sizes[4], 3);
        assert_int_equal(seen, N_IMAGES - 6);
        assert_int_equal(ptq_loader_skipped(l), 6);
        ptq_loader_destroy(l);
    }
    free(ref);
    ptq_dataset_destroy(ds);
}

static void test_early_destroy_and_args(void **state)
{
    fixture *fx = *state;
    ptq_dataset *ds = open_ds(fx->list);
    ptq_preprocess pp = recipe();
    ptq_loader *l = NULL;
    /* destroy while workers are blocked on a full queue */
    assert_int_equal(ptq_loader_create(ds, NULL, 0, &pp, 2, 4, 0, &l), PTQ_STATUS_OK);
    usleep(20000);
    ptq_loader_destroy(l);
    assert_int_equal(ptq_loader_create(ds, NULL, 0, &pp, 2, 4, 0, &l), PTQ_STATUS_OK);
    ptq_tensor *t = NULL;
    int n;
    assert_int_equal(ptq_loader_next(l, &t, NULL, &n), PTQ_STATUS_OK); /* labels may be NULL */
    ptq_tensor_destroy(t);
    ptq_loader_destroy(l);
    ptq_loader_destroy(NULL);

    int64_t bad_idx[2] = {0, 23};
    assert_int_equal(ptq_loader_create(ds, bad_idx, 2, &pp, 2, 1, 0, &l), PTQ_STATUS_INVALID_ARGUMENT);
    assert_null(l);
    assert_int_equal(ptq_loader_create(ds, NULL, 0, &pp, 0, 1, 0, &l), PTQ_STATUS_INVALID_ARGUMENT);
    pp.std[1] = 0.0f;
    assert_int_equal(ptq_loader_create(ds, NULL, 0, &pp, 2, 1, 0, &l), PTQ_STATUS_INVALID_ARGUMENT);
    ptq_dataset_destroy(ds);
}

static void test_nhwc_layout(void **state)
{
    fixture *fx = *state;
    ptq_dataset *ds = open_ds(fx->list);
    ptq_preprocess pp = recipe();
    pp.layout = PTQ_LAYOUT_NHWC;
    ptq_loader *l = NULL;
    assert_int_equal(ptq_loader_create(ds, NULL, 0, &pp, 3, 2, 0, &l), PTQ_STATUS_OK);
    ptq_tensor *t = NULL;
    int n;
    assert_int_equal(ptq_loader_next(l, &t, NULL, &n), PTQ_STATUS_OK);
    assert_int_equal(t->dims[1], 12);
    assert_int_equal(t->dims[2], 10);
    assert_int_equal(t->dims[3], 3);
    ptq_tensor_destroy(t);
    ptq_loader_destroy(l);
    ptq_dataset_destroy(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_and_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_images_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_images_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_early_destroy_and_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nhwc_layout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
