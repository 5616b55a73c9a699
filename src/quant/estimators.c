/* Range estimators and scale / zero-point computation.
 *
 * Activation range [lo, hi] per estimator (N calibration samples, x_i the
 * tensor of sample i):
 *   minmax       lo = min_i min(x_i), hi = max_i max(x_i)          (ORT MinMax)
 *   mean-minmax  lo = mean_i min(x_i), hi = mean_i max(x_i)        (POT/NNCF default);
 *                symmetric: M = mean_i max|x_i|
 *   percentile   ORT: |x| histogram, T = value below which p % of the mass
 *                lies (symmetric); asymmetric: (100 - p) / 2 % cut from each tail
 *   kl           TensorRT entropy calibration on the |x| histogram
 *   mse          pytorch-quantization: amax minimizing the histogram's
 *                quantization MSE
 * Histogram estimators clip the threshold to the observed range.
 *
 * Range -> parameters follows POT's fake_quantize.py (see quant_internal.h). */
#include "quant/quant_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double ptq__percentile_threshold(const double *hist, int nbins, double width, double percentile)
{
    double total = 0;
    for (int i = 0; i < nbins; i++) total += hist[i];
    if (total <= 0) return 0;
    double target = percentile / 100.0 * total, cum = 0;
    for (int i = 0; i < nbins; i++) {
        cum += hist[i];
        if (cum >= target) return (double)(i + 1) * width;
    }
    return (double)nbins * width;
}

/* ORT smooth_distribution: moves eps of mass onto the empty bins. Returns
 * false when p has no mass. p is normalized first. */
static bool smooth(double *p, int n, double eps)
{
    double sum = 0;
    int zeros = 0;
    for (int i = 0; i < n; i++) {
        sum += p[i];
        zeros += p[i] == 0;
    }
    if (sum <= 0 || zeros == n) return false;
    double eps1 = eps * (double)zeros / (double)(n - zeros);
    for (int i = 0; i < n; i++) p[i] = p[i] / sum + (p[i] == 0 ? eps : -eps1);
    return true;
}

/* TensorRT entropy calibration (GTC'17): for each candidate i >= nq bins,
 * P = hist[0:i] with the outliers hist[i:] folded into P[i-1]; Q = hist[0:i]
 * merged into nq bins and spread back uniformly over the non-empty source
 * bins; threshold T = i * width (the upper edge) of argmin_i KL(P || Q).
 * Both distributions are smoothed
 * (ORT, eps 1e-4) so KL stays finite. */
double ptq__kl_threshold(const double *hist, int nbins, double width, int nq)
{
    if (nbins <= nq) return (double)nbins * width;
    double *p = malloc(sizeof(double) * (size_t)nbins), *q = malloc(sizeof(double) * (size_t)nbins);
    double *suffix = malloc(sizeof(double) * (size_t)(nbins + 1));
    if (!p || !q || !suffix) {
        free(p);
        free(q);
        free(suffix);
        return (double)nbins * width;
    }
    suffix[nbins] = 0;
    for (int i = nbins - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + hist[i];
    double best = INFINITY;
    int best_i = nbins;
    for (int i = nq; i <= nbins; i++) {
        memcpy(p, hist, sizeof(double) * (size_t)i);
        p[i - 1] += suffix[i];
        /* merge hist[0:i] into nq bins: bin b covers [b*i/nq, (b+1)*i/nq) */
        for (int b = 0; b < nq; b++) {
            int s = (int)((int64_t)b * i / nq), e = (int)((int64_t)(b + 1) * i / nq);
            double sum = 0;
            int nonzero = 0;
            for (int j = s; j < e; j++) {
                sum += hist[j];
                nonzero += hist[j] != 0;
            }
            for (int j = s; j < e; j++) q[j] = hist[j] != 0 ? sum / nonzero : 0;
        }
        if (!smooth(p, i, 1e-4) || !smooth(q, i, 1e-4)) continue;
        double kl = 0;
        for (int j = 0; j < i; j++)
            if (p[j] > 0 && q[j] > 0) kl += p[j] * log(p[j] / q[j]);
        if (kl < best) {
            best = kl;
            best_i = i;
        }
    }
    free(p);
    free(q);
    free(suffix);
    return (double)best_i * width;
}

/* pytorch-quantization _compute_amax_mse: for candidate amax = center of bin
 * i (i >= 128), fake-quantize every bin center c with step amax / levels and
 * weight (q(c) - c)^2 by the bin count; keep the amax with the least MSE. */
double ptq__mse_threshold(const double *hist, int nbins, double width, int levels)
{
    double total = 0;
    for (int i = 0; i < nbins; i++) total += hist[i];
    if (total <= 0) return (double)nbins * width;
    int start = nbins > 128 ? 128 : 0;
    double best = INFINITY, best_amax = (double)nbins * width;
    for (int i = start; i < nbins; i++) {
        double amax = ((double)i + 0.5) * width;
        double step = amax / levels, err = 0;
        for (int j = 0; j < nbins; j++) {
            if (hist[j] == 0) continue;
            double c = ((double)j + 0.5) * width;
            double qc = nearbyint(c / step);
            if (qc > levels) qc = levels;
            double d = qc * step - c;
            err += hist[j] * d * d;
        }
        if (err < best) {
            best = err;
            best_amax = amax;
        }
    }
    return best_amax;
}

/* Asymmetric percentile on the signed histogram: cut `tail` of the mass from
 * each side. */
static void percentile_asym(const ptq__tstats *st, double percentile, double *lo, double *hi)
{
    const int nb = 2 * PTQ__HIST_HALF;
    double total = 0;
    for (int i = 0; i < nb; i++) total += st->hist[i];
    double tail = (100.0 - percentile) / 200.0 * total;
    double w = st->hist_range / PTQ__HIST_HALF, cum = 0;
    int i;
    for (i = 0; i < nb - 1; i++) {
        cum += st->hist[i];
        if (cum > tail) break;
    }
    *lo = -st->hist_range + (double)i * w;
    cum = 0;
    for (i = nb - 1; i > 0; i--) {
        cum += st->hist[i];
        if (cum > tail) break;
    }
    *hi = -st->hist_range + (double)(i + 1) * w;
}

void ptq__estimate_range(const ptq__tstats *st, ptq_quant_estimator e, double percentile, bool symmetric, double *lo,
                         double *hi)
{
    double n = st->samples > 0 ? (double)st->samples : 1.0;
    bool nonneg = st->min >= 0;
    double amax = fmax(fabs(st->min), fabs(st->max));
    double T = 0;
    *lo = st->min;
    *hi = st->max;
    switch (e) {
    case PTQ_QUANT_ESTIMATOR_MINMAX:
        T = amax;
        break;
    case PTQ_QUANT_ESTIMATOR_MEAN_MINMAX:
        *lo = st->sum_smin / n;
        *hi = st->sum_smax / n;
        T = st->sum_sabs / n;
        break;
    case PTQ_QUANT_ESTIMATOR_PERCENTILE:
    case PTQ_QUANT_ESTIMATOR_KL:
    case PTQ_QUANT_ESTIMATOR_MSE: {
        if (!st->hist || st->hist_range <= 0) {
            T = amax;
            break;
        }
        double h[PTQ__HIST_HALF];
        ptq__tstats_abs_hist(st, h);
        double w = st->hist_range / PTQ__HIST_HALF;
        if (e == PTQ_QUANT_ESTIMATOR_PERCENTILE) {
            T = ptq__percentile_threshold(h, PTQ__HIST_HALF, w, percentile);
            if (!symmetric && !nonneg) percentile_asym(st, percentile, lo, hi);
        } else if (e == PTQ_QUANT_ESTIMATOR_KL) {
            T = ptq__kl_threshold(h, PTQ__HIST_HALF, w, nonneg ? 255 : 128);
        } else {
            T = ptq__mse_threshold(h, PTQ__HIST_HALF, w, nonneg ? 255 : 127);
        }
        T = fmin(T, amax);
        if (e != PTQ_QUANT_ESTIMATOR_PERCENTILE || symmetric || nonneg) {
            *lo = fmax(st->min, -T);
            *hi = fmin(st->max, T);
        } else {
            *lo = fmax(*lo, st->min);
            *hi = fmin(*hi, st->max);
        }
        break;
    }
    }
    if (symmetric) {
        *lo = nonneg ? 0.0 : -T;
        *hi = T;
    }
}

void ptq__tune_range(double *lo, double *hi)
{
    /* POT tune_range(a, b, 8): L = 255, s = L / (b - a), z = round(-a * s);
     * candidate A moves a to z / (z - L) * b (if z < L), candidate B moves b
     * to (z - L) / z * a (if z > 0). Of the two, POT keeps the one giving the
     * larger range (one of them widens, the other narrows), so the range only
     * grows, and real 0 maps to the integer z exactly. */
    const double L = 255.0;
    double a = *lo, b = *hi;
    if (a >= 0 || b <= 0) return; /* 0 is an end point: already exact */
    double s = L / (b - a);
    double z = nearbyint(-a * s);
    double a1 = a, b1 = b;
    bool ok_a = z < L, ok_b = z > 0;
    if (ok_a) a1 = z / (z - L) * b;
    if (ok_b) b1 = (z - L) / z * a;
    if (ok_a && ok_b) {
        if (b - a1 > b1 - a) *lo = a1;
        else *hi = b1;
    } else if (ok_a) {
        *lo = a1;
    } else if (ok_b) {
        *hi = b1;
    }
}

void ptq__qparams_from_range(double lo, double hi, bool symmetric, ptq__qparams *q)
{
    q->lo = lo;
    q->hi = hi;
    if (symmetric) {
        double M = fmax(fabs(lo), fabs(hi));
        M = fmax(M, fmax(8e-5, 0.01 * M)); /* POT fix_zero_filters_symmetric */
        if (lo >= 0) {
            q->dtype = PTQ_DTYPE_UINT8;
            q->scale = (float)(M / 255.0);
        } else {
            q->dtype = PTQ_DTYPE_INT8;
            q->scale = (float)(M / 127.0);
        }
        q->zero_point = 0;
        return;
    }
    /* POT fix_zero_filters_asymmetric, then include 0, then tune_range. */
    if (hi - lo <= 8e-4) {
        lo -= 8e-4;
        hi += 8e-4;
    }
    lo = fmin(lo, 0.0);
    hi = fmax(hi, 0.0);
    ptq__tune_range(&lo, &hi);
    q->dtype = PTQ_DTYPE_UINT8;
    q->scale = (float)((hi - lo) / 255.0);
    double zp = nearbyint(-lo / (double)q->scale);
    q->zero_point = (int32_t)(zp < 0 ? 0 : zp > 255 ? 255 : zp);
}

void ptq__quantize_weights(const ptq_tensor *w, int axis, bool per_tensor, int8_t *q_out, float *scales)
{
    const float *x = w->data;
    int64_t numel = ptq_tensor_numel(w);
    int64_t C = per_tensor ? 1 : w->dims[axis];
    int64_t inner = 1;
    for (int d = axis + 1; d < w->rank; d++) inner *= w->dims[d];
    double *M = calloc((size_t)C, sizeof(double));
    if (!M) return;
    double gmax = 0;
    for (int64_t i = 0; i < numel; i++) {
        int64_t c = per_tensor ? 0 : (i / inner) % C;
        double a = fabs((double)x[i]);
        if (a > M[c]) M[c] = a;
        if (a > gmax) gmax = a;
    }
    /* POT fix_zero_filters_symmetric: no channel below 1 % of the largest. */
    double floor_m = fmax(8e-5, 0.01 * gmax);
    for (int64_t c = 0; c < C; c++) scales[c] = (float)(fmax(M[c], floor_m) / 127.0);
    for (int64_t i = 0; i < numel; i++) {
        int64_t c = per_tensor ? 0 : (i / inner) % C;
        float q = nearbyintf(x[i] / scales[c]);
        q_out[i] = (int8_t)(q < -127.f ? -127 : q > 127.f ? 127 : q);
    }
    free(M);
}
