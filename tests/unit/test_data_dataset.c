/* Datasets: annotation lists, folder-per-class trees, labels files, the
 * Accuracy Checker basename rule, limit and the seeded subset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ptq/data.h"

typedef struct fixture {
    char dir[512];
} fixture;

static void write_text(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    /* create parent directories */
    for (char *p = path + strlen(dir) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "%s/tests/tmp_data_dataset_XXXXXX", PTQ_BINARY_DIR);
    if (!mkdtemp(fx->dir)) return -1;
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

static ptq_status open_list(const char *list, const char *root, const char *labels, int basename, int64_t limit,
                            ptq_dataset **ds)
{
    ptq_dataset_params p = ptq_dataset_params_default();
    p.list_path = list;
    p.root = root;
    p.labels_path = labels;
    p.basename_lookup = basename;
    p.limit = limit;
    return ptq_dataset_open(&p, ds);
}

static void test_list_basic(void **state)
{
    fixture *fx = *state;
    write_text(fx->dir, "val_list.txt",
               "# ImageNet val\r\n"
               "val/a.JPEG 65\r\n"
               "\r\n"
               "   val/dir with spaces/b c.jpg   3  \r\n"
               "val/c.png\t0\n"
               "/abs/d.jpg 7"); /* no trailing newline */
    char list[600];
    snprintf(list, sizeof list, "%s/val_list.txt", fx->dir);
    ptq_dataset *ds = NULL;
    assert_int_equal(open_list(list, NULL, NULL, 0, 0, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 4);
    char want[700];
    snprintf(want, sizeof want, "%s/val/a.JPEG", fx->dir);
    assert_string_equal(ptq_dataset_image_path(ds, 0), want);
    snprintf(want, sizeof want, "%s/val/dir with spaces/b c.jpg", fx->dir);
    assert_string_equal(ptq_dataset_image_path(ds, 1), want);
    assert_string_equal(ptq_dataset_image_path(ds, 3), "/abs/d.jpg");
    assert_int_equal(ptq_dataset_label(ds, 0), 65);
    assert_int_equal(ptq_dataset_label(ds, 1), 3);
    assert_int_equal(ptq_dataset_label(ds, 2), 0);
    assert_int_equal(ptq_dataset_label(ds, 4), -1);
    assert_null(ptq_dataset_image_path(ds, -1));
    assert_int_equal(ptq_dataset_class_count(ds), 66);
    assert_null(ptq_dataset_class_name(ds, 0));
    ptq_dataset_destroy(ds);

    /* old Mac line ends (CR only) were one long line: 'a.jpg 1\rb.jpg' ... */
    write_text(fx->dir, "cr_list.txt", "# old\ra.jpg 1\r\rb c.jpg 2\r");
    write_text(fx->dir, "cr_labels.txt", "zero\rone\rtwo\r");
    char crl[600], crn[600];
    snprintf(crl, sizeof crl, "%s/cr_list.txt", fx->dir);
    snprintf(crn, sizeof crn, "%s/cr_labels.txt", fx->dir);
    assert_int_equal(open_list(crl, NULL, crn, 0, 0, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 2);
    assert_int_equal(ptq_dataset_label(ds, 1), 2);
    snprintf(want, sizeof want, "%s/b c.jpg", fx->dir);
    assert_string_equal(ptq_dataset_image_path(ds, 1), want);
    assert_int_equal(ptq_dataset_class_count(ds), 3);
    assert_string_equal(ptq_dataset_class_name(ds, 2), "two");
    ptq_dataset_destroy(ds);

    /* explicit root and limit */
    assert_int_equal(open_list(list, "/data/imagenet/", NULL, 0, 2, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 2);
    assert_string_equal(ptq_dataset_image_path(ds, 0), "/data/imagenet/val/a.JPEG");
    ptq_dataset_destroy(ds);
}

static void expect_list_error(fixture *fx, const char *text, ptq_status code, const char *needle)
{
    write_text(fx->dir, "bad.txt", text);
    char list[600];
    snprintf(list, sizeof list, "%s/bad.txt", fx->dir);
    ptq_dataset *ds = (ptq_dataset *)1;
    assert_int_equal(open_list(list, NULL, NULL, 0, 0, &ds), code);
    assert_null(ds);
    const char *msg = ptq_last_error();
    if (!strstr(msg, needle)) fail_msg("error '%s' lacks '%s'", msg, needle);
}

static void test_list_errors(void **state)
{
    fixture *fx = *state;
    expect_list_error(fx, "a.jpg 1\nb.jpg -3\n", PTQ_STATUS_BAD_FORMAT, "bad.txt:2: label -3 is negative");
    expect_list_error(fx, "a.jpg 1\n\n# c\nlonely.jpg\n", PTQ_STATUS_BAD_FORMAT, "bad.txt:4: expected 'path label'");
    expect_list_error(fx, "a.jpg one\n", PTQ_STATUS_BAD_FORMAT, "bad.txt:1: label 'one' is not an integer");
    expect_list_error(fx, "a.jpg 1.5\n", PTQ_STATUS_BAD_FORMAT, "bad.txt:1:");
    expect_list_error(fx, "a.jpg 99999999999\n", PTQ_STATUS_BAD_FORMAT, "too large");
    /* INT32_MAX overflowed the class count (label + 1) */
    expect_list_error(fx, "a.jpg 2147483647\n", PTQ_STATUS_BAD_FORMAT, "bad.txt:1: label '2147483647' is too large");
    expect_list_error(fx, "a.jpg 1073741824\n", PTQ_STATUS_BAD_FORMAT, "too large");
    expect_list_error(fx, "# only comments\n\n", PTQ_STATUS_BAD_FORMAT, "no samples");
    /* line numbers count CR, CR LF and LF line ends alike */
    expect_list_error(fx, "a.jpg 1\r\nb.jpg 2\rc.jpg 3\n\rd.jpg x\n", PTQ_STATUS_BAD_FORMAT, "bad.txt:5: label 'x'");
    ptq_dataset *ds = NULL;
    assert_int_equal(open_list("/nonexistent/list.txt", NULL, NULL, 0, 0, &ds), PTQ_STATUS_IO);
    assert_non_null(strstr(ptq_last_error(), "/nonexistent/list.txt"));
    ptq_dataset_params p = ptq_dataset_params_default();
    assert_int_equal(ptq_dataset_open(&p, &ds), PTQ_STATUS_INVALID_ARGUMENT);
    assert_int_equal(ptq_dataset_open(NULL, &ds), PTQ_STATUS_INVALID_ARGUMENT);
}

static void test_labels_file(void **state)
{
    fixture *fx = *state;
    write_text(fx->dir, "labels.txt", "tench\r\ngoldfish\ngreat white shark\n\n\n");
    write_text(fx->dir, "l.txt", "x.jpg 2\ny.jpg 0\n");
    write_text(fx->dir, "l2.txt", "x.jpg 3\n");
    char list[600], labels[600], list2[600];
    snprintf(list, sizeof list, "%s/l.txt", fx->dir);
    snprintf(list2, sizeof list2, "%s/l2.txt", fx->dir);
    snprintf(labels, sizeof labels, "%s/labels.txt", fx->dir);
    ptq_dataset *ds = NULL;
    assert_int_equal(open_list(list, NULL, labels, 0, 0, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_class_count(ds), 3);
    assert_string_equal(ptq_dataset_class_name(ds, 2), "great white shark");
    assert_string_equal(ptq_dataset_class_name(ds, 0), "tench");
    assert_null(ptq_dataset_class_name(ds, 3));
    ptq_dataset_destroy(ds);
    assert_int_equal(open_list(list2, NULL, labels, 0, 0, &ds), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "l2.txt:1: label 3"));
}

/* A dataset from paths in memory: copied as they are, labels checked. */
static void test_from_paths(void **state)
{
    (void)state;
    const char *paths[3] = {"x/a b.png ", "y\nz.jpg", "w.png"};
    int32_t labels[3] = {4, 0, 2};
    ptq_dataset *ds = NULL;
    assert_int_equal(ptq_dataset_from_paths(paths, labels, 3, 0, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 3);
    assert_string_equal(ptq_dataset_image_path(ds, 0), "x/a b.png ");
    assert_string_equal(ptq_dataset_image_path(ds, 1), "y\nz.jpg");
    assert_int_equal(ptq_dataset_label(ds, 0), 4);
    assert_int_equal(ptq_dataset_class_count(ds), 5);
    ptq_dataset_destroy(ds);
    assert_int_equal(ptq_dataset_from_paths(paths, NULL, 3, 2, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 2);
    assert_int_equal(ptq_dataset_label(ds, 1), 0);
    assert_int_equal(ptq_dataset_class_count(ds), 1);
    ptq_dataset_destroy(ds);
    labels[2] = -1;
    assert_int_equal(ptq_dataset_from_paths(paths, labels, 3, 0, &ds), PTQ_STATUS_INVALID_ARGUMENT);
    assert_null(ds);
    assert_non_null(strstr(ptq_last_error(), "label -1 of 'w.png'"));
    const char *with_null[2] = {"a.png", NULL};
    assert_int_equal(ptq_dataset_from_paths(with_null, NULL, 2, 0, &ds), PTQ_STATUS_INVALID_ARGUMENT);
    assert_int_equal(ptq_dataset_from_paths(paths, NULL, 0, 0, &ds), PTQ_STATUS_INVALID_ARGUMENT);
}

static void test_basename_lookup(void **state)
{
    fixture *fx = *state;
    /* Accuracy Checker imagenet rule: listed "val/ILSVRC..._1.JPEG" is found
     * as <root>/ILSVRC..._1.JPEG; a missing flat file falls back. */
    write_text(fx->dir, "flat/ILSVRC2012_val_00000001.JPEG", "x");
    write_text(fx->dir, "flat/val/ILSVRC2012_val_00000002.JPEG", "x");
    write_text(fx->dir, "ac.txt", "val/ILSVRC2012_val_00000001.JPEG 65\nval/ILSVRC2012_val_00000002.JPEG 970\n");
    char list[600], root[600], want[700];
    snprintf(list, sizeof list, "%s/ac.txt", fx->dir);
    snprintf(root, sizeof root, "%s/flat", fx->dir);
    ptq_dataset *ds = NULL;
    assert_int_equal(open_list(list, root, NULL, 1, 0, &ds), PTQ_STATUS_OK);
    snprintf(want, sizeof want, "%s/flat/ILSVRC2012_val_00000001.JPEG", fx->dir);
    assert_string_equal(ptq_dataset_image_path(ds, 0), want);
    snprintf(want, sizeof want, "%s/flat/val/ILSVRC2012_val_00000002.JPEG", fx->dir);
    assert_string_equal(ptq_dataset_image_path(ds, 1), want);
    ptq_dataset_destroy(ds);
    /* without the rule the relative path is kept */
    assert_int_equal(open_list(list, root, NULL, 0, 0, &ds), PTQ_STATUS_OK);
    snprintf(want, sizeof want, "%s/flat/val/ILSVRC2012_val_00000001.JPEG", fx->dir);
    assert_string_equal(ptq_dataset_image_path(ds, 0), want);
    ptq_dataset_destroy(ds);
}

static void test_folder(void **state)
{
    fixture *fx = *state;
    write_text(fx->dir, "tree/dog/b.png", "x");
    write_text(fx->dir, "tree/dog/a.JPG", "x");
    write_text(fx->dir, "tree/dog/notes.txt", "x");
    write_text(fx->dir, "tree/dog/.hidden.jpg", "x");
    write_text(fx->dir, "tree/cat/sub/z.jpeg", "x");
    write_text(fx->dir, "tree/cat/y.jpg", "x");
    write_text(fx->dir, "tree/ant/q.png", "x");
    write_text(fx->dir, "tree/README", "x");
    char root[600], want[700];
    snprintf(root, sizeof root, "%s/tree", fx->dir);
    ptq_dataset_params p = ptq_dataset_params_default();
    p.root = root;
    ptq_dataset *ds = NULL;
    assert_int_equal(ptq_dataset_open(&p, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 5);
    assert_int_equal(ptq_dataset_class_count(ds), 3);
    assert_string_equal(ptq_dataset_class_name(ds, 0), "ant");
    assert_string_equal(ptq_dataset_class_name(ds, 1), "cat");
    assert_string_equal(ptq_dataset_class_name(ds, 2), "dog");
    const int32_t want_labels[] = {0, 1, 1, 2, 2};
    const char *rel[] = {"ant/q.png", "cat/sub/z.jpeg", "cat/y.jpg", "dog/a.JPG", "dog/b.png"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ptq_dataset_label(ds, i), want_labels[i]);
        snprintf(want, sizeof want, "%s/%s", root, rel[i]);
        assert_string_equal(ptq_dataset_image_path(ds, i), want);
    }
    ptq_dataset_destroy(ds);

    /* labels file fixes the indices */
    write_text(fx->dir, "tree_labels.txt", "zebra\ndog\nant\ncat\n");
    char labels[600];
    snprintf(labels, sizeof labels, "%s/tree_labels.txt", fx->dir);
    p.labels_path = labels;
    assert_int_equal(ptq_dataset_open(&p, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_class_count(ds), 4);
    assert_int_equal(ptq_dataset_label(ds, 0), 2); /* ant */
    assert_int_equal(ptq_dataset_label(ds, 1), 3); /* cat */
    assert_int_equal(ptq_dataset_label(ds, 4), 1); /* dog */
    assert_string_equal(ptq_dataset_class_name(ds, 0), "zebra");
    ptq_dataset_destroy(ds);

    /* a folder missing from the labels file is an error */
    write_text(fx->dir, "tree_labels2.txt", "dog\nant\n");
    snprintf(labels, sizeof labels, "%s/tree_labels2.txt", fx->dir);
    assert_int_equal(ptq_dataset_open(&p, &ds), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "'cat'"));

    p.labels_path = NULL;
    p.limit = 2;
    assert_int_equal(ptq_dataset_open(&p, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 2);
    ptq_dataset_destroy(ds);

    p.root = "/nonexistent/tree";
    p.limit = 0;
    assert_int_equal(ptq_dataset_open(&p, &ds), PTQ_STATUS_IO);
}

static void test_subset(void **state)
{
    fixture *fx = *state;
    char text[8192] = "";
    for (int i = 0; i < 100; i++) {
        char line[64];
        snprintf(line, sizeof line, "img%03d.jpg %d\n", i, i % 10);
        strcat(text, line);
    }
    write_text(fx->dir, "hundred.txt", text);
    char list[600];
    snprintf(list, sizeof list, "%s/hundred.txt", fx->dir);
    ptq_dataset *ds = NULL;
    assert_int_equal(open_list(list, NULL, NULL, 0, 0, &ds), PTQ_STATUS_OK);
    int64_t a[30], b[30], c[30], all[100];
    assert_int_equal(ptq_dataset_subset(ds, 30, 42, a), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_subset(ds, 30, 42, b), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_subset(ds, 30, 43, c), PTQ_STATUS_OK);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    int seen[100] = {0};
    for (int i = 0; i < 30; i++) {
        assert_true(a[i] >= 0 && a[i] < 100);
        assert_int_equal(seen[a[i]]++, 0);
    }
    /* pinned values: the generator is part of the reproducibility contract,
     * a change here silently changes every calibration set */
    const int64_t pinned[5] = {13, 83, 86, 9, 2};
    assert_memory_equal(a, pinned, sizeof pinned);
    assert_int_equal(ptq_dataset_subset(ds, 100, 0, all), PTQ_STATUS_OK);
    int seen_all[100] = {0};
    for (int i = 0; i < 100; i++) seen_all[all[i]]++;
    for (int i = 0; i < 100; i++) assert_int_equal(seen_all[i], 1);
    /* prefix property: a smaller subset with the same seed is a prefix */
    int64_t small[10];
    assert_int_equal(ptq_dataset_subset(ds, 10, 42, small), PTQ_STATUS_OK);
    assert_memory_equal(small, a, sizeof small);
    assert_int_equal(ptq_dataset_subset(ds, 101, 42, all), PTQ_STATUS_INVALID_ARGUMENT);
    assert_int_equal(ptq_dataset_subset(ds, -1, 42, all), PTQ_STATUS_INVALID_ARGUMENT);
    ptq_dataset_destroy(ds);
    ptq_dataset_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels_file, setup, teardown),
        cmocka_unit_test(test_from_paths), cmocka_unit_test_setup_teardown(test_basename_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
