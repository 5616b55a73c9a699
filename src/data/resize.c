/* Bilinear resizing of 8-bit images, reproducing two reference libraries.
 *
 * OpenCV INTER_LINEAR (uint8): for output column d the source coordinate is
 * f = (float)((d + 0.5) * scale - 0.5) with scale = 1 / (dst / src) in double,
 * s = floor(f), weights (1 - f', f') for f' = f - s, rounded with lrintf to
 * 11 fractional bits (2048 = 1.0). Columns left of 0 / right of src-1 clamp to
 * the edge pixel with weight 1; rows instead clamp the two row indices but
 * keep their weights. The horizontal pass keeps 8.11 integers; the vertical
 * pass is ((b0*(r0>>4))>>16) + ((b1*(r1>>4))>>16) rounded by (+2)>>2 —
 * OpenCV's exact 22-bit fixed-point sequence, whose intermediate truncations
 * are why a float formula would differ by one.
 *
 * Pillow BILINEAR: per output pixel a triangle filter centred at
 * (d + 0.5) * scale whose support is max(scale, 1) (so downscaling averages:
 * antialiasing), weights normalised to sum 1 in double then converted to
 * 22-bit integers (round half away from zero). The horizontal pass writes
 * uint8 (rounded and clipped), then the vertical pass runs on that, so two
 * roundings happen — reproduced here. A pass is skipped when its size does
 * not change, as Pillow does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "data/data_internal.h"

/* ---- OpenCV -------------------------------------------------------------- */

#define CV_COEF_BITS 11
#define CV_COEF_ONE (1 << CV_COEF_BITS)

typedef struct cv_tap {
    int s0, s1;     /* source indices (already clamped) */
    int w0, w1;     /* 11-bit weights */
} cv_tap;

/* clamp_weights: 1 for the x axis (edge pixel with weight 1), 0 for y. */
static void cv_taps(int src, int dst, int clamp_weights, cv_tap *taps)
{
    double scale = 1.0 / ((double)dst / (double)src);
    for (int d = 0; d < dst; d++) {
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        if (clamp_weights) {
            if (s < 0) f = 0.f, s = 0;
            if (s >= src - 1) f = 0.f, s = src - 1;
        }
        cv_tap *t = &taps[d];
        t->w0 = (int)lrintf((1.f - f) * (float)CV_COEF_ONE);
        t->w1 = (int)lrintf(f * (float)CV_COEF_ONE);
        t->s0 = s < 0 ? 0 : s > src - 1 ? src - 1 : s;
        t->s1 = s + 1 < 0 ? 0 : s + 1 > src - 1 ? src - 1 : s + 1;
    }
}

ptq_status ptq__resize_opencv(const ptq_image *src, ptq_image *dst)
{
    ptq_status st = PTQ_STATUS_OK;
    const int C = src->channels, SW = src->width, SH = src->height, DW = dst->width, DH = dst->height;
    cv_tap *xt = NULL, *yt = NULL;
    int32_t *rows = NULL; /* the two horizontally resized source rows */
    const size_t rowlen = (size_t)DW * (size_t)C;

    if (SW == DW && SH == DH) { /* cv::resize copies when the size is unchanged */
        memcpy(dst->data, src->data, (size_t)SH * rowlen);
        return PTQ_STATUS_OK;
    }
    xt = malloc((size_t)DW * sizeof *xt);
    yt = malloc((size_t)DH * sizeof *yt);
    rows = malloc(2 * rowlen * sizeof *rows);
    if (!xt || !yt || !rows) {
        st = ptq__oom();
        goto cleanup;
    }
    cv_taps(SW, DW, 1, xt);
    cv_taps(SH, DH, 0, yt);
    for (int dy = 0; dy < DH; dy++) {
        /* Recomputing the two source rows per output row costs < 2x the
         * horizontal work and keeps the code obviously correct. */
        const int need[2] = {yt[dy].s0, yt[dy].s1};
        int32_t *r[2] = {rows, rows + rowlen};
        for (int k = 0; k < 2; k++) {
            const uint8_t *S = src->data + (size_t)need[k] * (size_t)SW * (size_t)C;
            int32_t *D = r[k];
            for (int dx = 0; dx < DW; dx++) {
                const cv_tap *t = &xt[dx];
                for (int c = 0; c < C; c++) {
                    int32_t v = (int32_t)S[(size_t)t->s0 * C + c] * t->w0;
                    if (t->w1) v += (int32_t)S[(size_t)t->s1 * C + c] * t->w1;
                    D[(size_t)dx * C + c] = v;
                }
            }
        }
        const int b0 = yt[dy].w0, b1 = yt[dy].w1;
        uint8_t *out = dst->data + (size_t)dy * rowlen;
        for (size_t i = 0; i < rowlen; i++) {
            int v = (((b0 * (r[0][i] >> 4)) >> 16) + ((b1 * (r[1][i] >> 4)) >> 16) + 2) >> 2;
            out[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
cleanup:
    free(rows);
    free(yt);
    free(xt);
    return st;
}

/* ---- Pillow -------------------------------------------------------------- */

#define PIL_PRECISION_BITS (32 - 8 - 2)

typedef struct pil_coeffs {
    int ksize;
    int *bounds; /* per output: first source index, tap count */
    int32_t *k;  /* per output: ksize fixed-point weights */
} pil_coeffs;

static double triangle(double x)
{
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static ptq_status pil_precompute(int in_size, int out_size, pil_coeffs *pc)
{
    double scale = (double)in_size / (double)out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale; /* bilinear support is 1 */
    int ksize = (int)ceil(support) * 2 + 1;
    double *w = NULL;
    pc->ksize = ksize;
    pc->bounds = malloc((size_t)out_size * 2 * sizeof *pc->bounds);
    pc->k = calloc((size_t)out_size * (size_t)ksize, sizeof *pc->k);
    w = malloc((size_t)ksize * sizeof *w);
    if (!pc->bounds || !pc->k || !w) {
        free(w);
        return ptq__oom();
    }
    double ss = 1.0 / filterscale;
    for (int o = 0; o < out_size; o++) {
        double center = (o + 0.5) * scale;
        int lo = (int)(center - support + 0.5); /* truncation, as Pillow */
        if (lo < 0) lo = 0;
        int hi = (int)(center + support + 0.5);
        if (hi > in_size) hi = in_size;
        int n = hi - lo;
        if (n > ksize) n = ksize;
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            w[i] = triangle(((double)(i + lo) - center + 0.5) * ss);
            sum += w[i];
        }
        for (int i = 0; i < n; i++) {
            double v = sum != 0.0 ? w[i] / sum : w[i];
            double f = v * (double)(1 << PIL_PRECISION_BITS);
            pc->k[(size_t)o * ksize + i] = (int32_t)(v < 0 ? -0.5 + f : 0.5 + f);
        }
        pc->bounds[o * 2] = lo;
        pc->bounds[o * 2 + 1] = n;
    }
    free(w);
    return PTQ_STATUS_OK;
}

static uint8_t pil_clip8(int64_t v)
{
    if (v <= 0) return 0;
    v >>= PIL_PRECISION_BITS;
    return (uint8_t)(v > 255 ? 255 : v);
}

/* One separable pass. horizontal: along x for every row; else along y. */
static void pil_pass(const ptq_image *in, ptq_image *out, const pil_coeffs *pc, int horizontal)
{
    const int C = in->channels;
    const int64_t half = (int64_t)1 << (PIL_PRECISION_BITS - 1);
    for (int y = 0; y < out->height; y++) {
        for (int x = 0; x < out->width; x++) {
            int o = horizontal ? x : y;
            int lo = pc->bounds[o * 2], n = pc->bounds[o * 2 + 1];
            const int32_t *k = pc->k + (size_t)o * pc->ksize;
            for (int c = 0; c < C; c++) {
                int64_t acc = half;
                for (int i = 0; i < n; i++) {
                    size_t sy = horizontal ? (size_t)y : (size_t)(lo + i);
                    size_t sx = horizontal ? (size_t)(lo + i) : (size_t)x;
                    acc += (int64_t)in->data[(sy * (size_t)in->width + sx) * C + c] * k[i];
                }
                out->data[((size_t)y * out->width + x) * C + c] = pil_clip8(acc);
            }
        }
    }
}

ptq_status ptq__resize_pillow(const ptq_image *src, ptq_image *dst)
{
    ptq_status st = PTQ_STATUS_OK;
    pil_coeffs hc = {0}, vc = {0};
    ptq_image *tmp = NULL;
    const int need_h = src->width != dst->width, need_v = src->height != dst->height;

    if (!need_h && !need_v) {
        memcpy(dst->data, src->data, (size_t)src->height * src->width * src->channels);
        goto cleanup;
    }
    if (need_h && (st = pil_precompute(src->width, dst->width, &hc))) goto cleanup;
    if (need_v && (st = pil_precompute(src->height, dst->height, &vc))) goto cleanup;
    if (need_h && need_v) {
        if ((st = ptq_image_create(src->height, dst->width, src->channels, &tmp))) goto cleanup;
        pil_pass(src, tmp, &hc, 1);
        pil_pass(tmp, dst, &vc, 0);
    } else if (need_h) {
        pil_pass(src, dst, &hc, 1);
    } else {
        pil_pass(src, dst, &vc, 0);
    }
cleanup:
    ptq_image_destroy(tmp);
    free(hc.bounds);
    free(hc.k);
    free(vc.bounds);
    free(vc.k);
    return st;
}

ptq_status ptq_image_resize(const ptq_image *src, int height, int width, ptq_interp interp, ptq_image **image_out)
{
    if (!image_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_image_resize: image_out is NULL");
    *image_out = NULL;
    if (!src || !src->data || src->height <= 0 || src->width <= 0 || (src->channels != 1 && src->channels != 3))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_image_resize: invalid source image");
    if (interp != PTQ_INTERP_OPENCV && interp != PTQ_INTERP_PILLOW)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_image_resize: unknown interpolation %d", (int)interp);
    ptq_image *dst = NULL;
    ptq_status st = ptq_image_create(height, width, src->channels, &dst);
    if (st) return st;
    st = interp == PTQ_INTERP_OPENCV ? ptq__resize_opencv(src, dst) : ptq__resize_pillow(src, dst);
    if (st) {
        ptq_image_destroy(dst);
        return st;
    }
    *image_out = dst;
    return PTQ_STATUS_OK;
}
