/* Range estimators, scale/zero-point rules and weight quantization
 * (src/quant/estimators.c, stats.c), on hand-made data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant_internal.h"

static ptq_tensor *make(int n, int c, int hw, const float *vals)
{
    int64_t dims[4] = {n, c, hw, 1};
    ptq_tensor *t;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 4, dims, &t), PTQ_STATUS_OK);
    if (vals) memcpy(t->data, vals, sizeof(float) * (size_t)(n * c * hw));
    return t;
}

/* Asymmetric ranges are widened so that 0.0 is an exact uint8 code, and never
 * narrowed (POT tune_range). */
static void test_zero_exact(void **state)
{
    (void)state;
    const double los[] = {-1.0, -0.3, -5.7, -0.001, -2.5, 0.0, 0.5};
    const double his[] = {3.0, 7.1, 0.2, 9.0, 2.5, 4.0, 2.0};
    for (size_t i = 0; i < sizeof los / sizeof los[0]; i++) {
        ptq__qparams q;
        ptq__qparams_from_range(los[i], his[i], false, &q);
        assert_int_equal(q.dtype, PTQ_DTYPE_UINT8);
        assert_true(q.zero_point >= 0 && q.zero_point <= 255);
        /* 0 maps to zp exactly; the range covers [min(lo,0), max(hi,0)] to
         * within half a step (POT moves an end that is within half a step
         * of 0 onto 0 when only that candidate is valid). */
        double lo = -q.zero_point * (double)q.scale, hi = (255 - q.zero_point) * (double)q.scale;
        assert_true(lo <= fmin(los[i], 0.0) + 0.5 * q.scale);
        assert_true(hi >= fmax(his[i], 0.0) - 0.5 * q.scale);
        float z = ptq__fake_quant(0.0f, q.scale, q.zero_point, 0, 255);
        assert_true(z == 0.0f);
    }
    /* performance preset: symmetric, zero point 0, int8 unless never negative */
    ptq__qparams q;
    ptq__qparams_from_range(-2.0, 1.0, true, &q);
    assert_int_equal(q.dtype, PTQ_DTYPE_INT8);
    assert_int_equal(q.zero_point, 0);
    assert_float_equal(q.scale, 2.0 / 127, 1e-7);
    ptq__qparams_from_range(0.0, 3.0, true, &q);
    assert_int_equal(q.dtype, PTQ_DTYPE_UINT8);
    assert_float_equal(q.scale, 3.0 / 255, 1e-7);
}

/* Per-channel symmetric int8 with 255 levels: codes in [-127, 127], the
 * largest |w| of each channel maps to +-127; a dead channel gets 1 % of the
 * largest range (POT fix_zero_filters_symmetric). */
static void test_weights(void **state)
{
    (void)state;
    int64_t dims[4] = {3, 2, 1, 2};
    ptq_tensor *w;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 4, dims, &w), PTQ_STATUS_OK);
    float v[12] = {0.5f, -1.0f, 0.25f, 0.0f, /* ch0: max 1 */
                   4.0f, 2.0f, -3.0f, 1.0f,  /* ch1: max 4 */
                   0, 0, 0, 0};              /* ch2: dead */
    memcpy(w->data, v, sizeof v);
    int8_t q[12];
    float s[3];
    ptq__quantize_weights(w, 0, false, q, s);
    assert_float_equal(s[0], 1.0 / 127, 1e-9);
    assert_float_equal(s[1], 4.0 / 127, 1e-9);
    assert_float_equal(s[2], 0.04 / 127, 1e-9);
    assert_int_equal(q[1], -127);
    assert_int_equal(q[4], 127);
    assert_int_equal(q[0], 64); /* round(63.5) half to even */
    for (int i = 0; i < 12; i++) assert_true(q[i] >= -127 && q[i] <= 127);
    ptq__quantize_weights(w, 0, true, q, s);
    assert_float_equal(s[0], 4.0 / 127, 1e-9);
    ptq_tensor_destroy(w);
}

/* Per-sample min/max over lengths around the 16-lane blocks of the vector
 * loop, with the extremes in the tail and a NaN (never taken), against a
 * plain scan. */
static void test_sample_min_max(void **state)
{
    (void)state;
    static const int lens[] = {1, 15, 16, 17, 33, 100};
    for (int li = 0; li < 6; li++) {
        int n = lens[li];
        float *v = malloc(sizeof(float) * (size_t)(2 * n));
        assert_non_null(v);
        for (int s = 0; s < 2; s++)
            for (int i = 0; i < n; i++) v[s * n + i] = (float)((i * 37 + s * 11) % 23) - 11.0f;
        v[n - 1] = 50.0f;         /* sample 0: max in the tail */
        v[n + n - 1] = -60.0f;    /* sample 1: min in the tail */
        if (n > 2) v[n + 1] = NAN; /* never a minimum or maximum */
        double want_smin = 0, want_smax = 0;
        for (int s = 0; s < 2; s++) {
            float mn = INFINITY, mx = -INFINITY;
            for (int i = 0; i < n; i++) {
                if (v[s * n + i] < mn) mn = v[s * n + i];
                if (v[s * n + i] > mx) mx = v[s * n + i];
            }
            want_smin += mn;
            want_smax += mx;
        }
        ptq_tensor *t = make(2, 1, n, v);
        ptq__tstats st = {.flags = PTQ__OBS_MINMAX};
        assert_int_equal(ptq__tstats_add(&st, t), PTQ_STATUS_OK);
        assert_true(st.sum_smin == want_smin && st.sum_smax == want_smax);
        assert_true(st.max == 50.0 && st.min == -60.0);
        ptq_tensor_destroy(t);
        free(v);
    }
}

/* One sample with a huge outlier: global min/max stretches to it, the mean
 * of per-sample ranges does not. */
static void test_mean_minmax_vs_minmax(void **state)
{
    (void)state;
    ptq__tstats st = {.flags = PTQ__OBS_MINMAX | PTQ__OBS_HIST};
    float vals[10 * 4];
    for (int s = 0; s < 10; s++)
        for (int i = 0; i < 4; i++) vals[s * 4 + i] = (float)(i - 1); /* -1..2 */
    vals[7 * 4 + 3] = 100.0f;
    ptq_tensor *t = make(10, 1, 4, vals);
    assert_int_equal(ptq__tstats_add(&st, t), PTQ_STATUS_OK);
    double lo, hi;
    ptq__estimate_range(&st, PTQ_QUANT_ESTIMATOR_MINMAX, 99.999, false, &lo, &hi);
    assert_float_equal(lo, -1, 1e-9);
    assert_float_equal(hi, 100, 1e-9);
    ptq__estimate_range(&st, PTQ_QUANT_ESTIMATOR_MEAN_MINMAX, 99.999, false, &lo, &hi);
    assert_float_equal(lo, -1, 1e-9);
    assert_float_equal(hi, (9 * 2 + 100) / 10.0, 1e-9);
    ptq__estimate_range(&st, PTQ_QUANT_ESTIMATOR_MEAN_MINMAX, 99.999, true, &lo, &hi);
    assert_float_equal(lo, -11.8, 1e-9);
    assert_float_equal(hi, 11.8, 1e-9);
    /* 1 of 40 values is the outlier: a 95 % percentile drops it. */
    ptq__estimate_range(&st, PTQ_QUANT_ESTIMATOR_PERCENTILE, 95.0, true, &lo, &hi);
    assert_true(hi < 3.0 && hi >= 2.0);
    free(st.hist);
    ptq_tensor_destroy(t);
}

/* Growing the histogram range merges bins exactly: data added in two
 * batches (the second 10x wider, so the range doubles 4 times) lands in
 * the same bins as when the final range is known up front. */
static void test_histogram_growth(void **state)
{
    (void)state;
    float a[64], b[64];
    for (int i = 0; i < 64; i++) {
        a[i] = (float)(i - 32) * 0.01f;
        b[i] = (float)(i - 32) * 0.1f;
    }
    ptq__tstats s1 = {.flags = PTQ__OBS_HIST}, s2 = {.flags = PTQ__OBS_HIST};
    ptq_tensor *ta = make(1, 1, 64, a), *tb = make(1, 1, 64, b);
    assert_int_equal(ptq__tstats_add(&s1, ta), PTQ_STATUS_OK);
    assert_int_equal(ptq__tstats_add(&s1, tb), PTQ_STATUS_OK);
    double total = 0;
    for (int i = 0; i < 2 * PTQ__HIST_HALF; i++) total += s1.hist[i];
    assert_float_equal(total, 128, 1e-9);
    assert_true(s1.hist_range >= 3.2 - 1e-6);
    /* Same counts as a histogram built directly at the final range. */
    s2.hist_range = s1.hist_range;
    s2.hist = calloc(2 * PTQ__HIST_HALF, sizeof(double));
    s2.samples = 1;
    s2.channels = 1;
    s2.min = -3.2;
    s2.max = 3.1;
    assert_int_equal(ptq__tstats_add(&s2, ta), PTQ_STATUS_OK);
    assert_int_equal(ptq__tstats_add(&s2, tb), PTQ_STATUS_OK);
    assert_memory_equal(s1.hist, s2.hist, sizeof(double) * 2 * PTQ__HIST_HALF);
    free(s2.hist);
    double h[PTQ__HIST_HALF];
    ptq__tstats_abs_hist(&s1, h);
    double pos = 0;
    for (int i = 0; i < PTQ__HIST_HALF; i++) pos += h[i];
    assert_float_equal(pos, 128, 1e-9);
    free(s1.hist);
    ptq_tensor_destroy(ta);
    ptq_tensor_destroy(tb);
}

/* KL and MSE thresholds on a Laplacian-like |x| histogram with a long thin
 * tail: both clip well inside the tail, and never below the bulk. */
static void test_kl_mse(void **state)
{
    (void)state;
    double h[PTQ__HIST_HALF];
    for (int i = 0; i < PTQ__HIST_HALF; i++) h[i] = 1e6 * exp(-(double)i / 40.0);
    for (int i = 1000; i < PTQ__HIST_HALF; i += 50) h[i] += 1;
    double w = 1.0 / PTQ__HIST_HALF;
    double tk = ptq__kl_threshold(h, PTQ__HIST_HALF, w, 128);
    double tm = ptq__mse_threshold(h, PTQ__HIST_HALF, w, 127);
    double tp = ptq__percentile_threshold(h, PTQ__HIST_HALF, w, 99.999);
    printf("KL %.4f MSE %.4f P99.999 %.4f\n", tk, tm, tp);
    assert_true(tk > 0.06 && tk < 0.9);
    assert_true(tm > 0.06 && tm < 0.9);
    assert_true(tp > 0.1 && tp < 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_exact),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_mean_minmax_vs_minmax),
        cmocka_unit_test(test_sample_min_max),
        cmocka_unit_test(test_histogram_growth),
        cmocka_unit_test(test_kl_mse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
