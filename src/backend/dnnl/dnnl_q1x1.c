/* The fused int8 1x1 convolution + residual Add of dnnl_q1x1.h: weight
 * packing, the scalar twin and the AVX-512 VNNI kernel. */
#include "backend/dnnl/dnnl_q1x1.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops/requant.h"

#define MR 6 /* pixel rows a tile: 6 x 4 accumulators + 4 weight vectors + 1 broadcast of the 32 registers */
/* Up to this many weight bytes (K x N) threads split the rows and sweep all
 * panels of a row tile, above it they split panels (measured on ResNet-50:
 * 16-64 KB row tiles first 0.16 / 0.13 ms vs 0.20-0.35 / 0.21 panel first,
 * 1 MB panel first 0.12 vs 0.16 ms). */
#define ROW_MAJOR_MAX_WEIGHTS (256 * 1024)

ptq_status ptq__q1x1_create(int64_t M, int64_t K, int64_t N, const int8_t *w, const float *oscale, const float *bias,
                            int32_t x_zp, ptq__q1x1 **out)
{
    *out = NULL;
    if (M <= 0 || K <= 0 || N <= 0 || K % 4 || N % PTQ__Q1X1_NR || K * N > ((int64_t)1 << 31))
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "fused 1x1 conv: K %lld, N %lld", (long long)K, (long long)N);
    /* one block: the struct, then the packed weights (64-byte aligned) and
     * the per-channel arrays, so that free() releases it */
    size_t head = (sizeof(ptq__q1x1) + 63) / 64 * 64, kn = (size_t)(K * N);
    size_t bytes = head + kn + (sizeof(float) * 2 + sizeof(int32_t)) * (size_t)N;
    uint8_t *blk = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!blk) return ptq__oom();
    ptq__q1x1 *k = (ptq__q1x1 *)blk;
    memset(k, 0, sizeof *k);
    k->M = M;
    k->K = K;
    k->N = N;
    k->bytes = bytes;
    k->ih = k->oh = 1;
    k->iw = k->ow = M;
    k->sh = k->sw = 1;
    k->wpack = (int8_t *)(blk + head);
    k->oscale = (float *)(void *)(k->wpack + kn);
    k->bias = k->oscale + N;
    k->xzp_wsum = (int32_t *)(void *)(k->bias + N);
    memcpy(k->oscale, oscale, sizeof(float) * (size_t)N);
    memcpy(k->bias, bias, sizeof(float) * (size_t)N);
    for (int64_t n = 0; n < N; n++) {
        int32_t s = 0;
        for (int64_t c = 0; c < K; c++) s += w[n * K + c];
        k->xzp_wsum[n] = (int32_t)((uint32_t)x_zp * (uint32_t)s); /* wraps like the accumulator */
    }
    /* panel p, group g of 4 input channels, column j, byte b */
    for (int64_t p = 0; p < N / PTQ__Q1X1_NR; p++)
        for (int64_t g = 0; g < K / 4; g++)
            for (int64_t j = 0; j < PTQ__Q1X1_NR; j++)
                for (int b = 0; b < 4; b++)
                    k->wpack[((p * (K / 4) + g) * PTQ__Q1X1_NR + j) * 4 + b] = w[(p * PTQ__Q1X1_NR + j) * K + g * 4 + b];
    *out = k;
    return PTQ_STATUS_OK;
}

/* The conv's quantized output, as oneDNN's int8 convolution computes it:
 * scale, [Relu], add the zero point in float, saturate, round half to even. */
static inline int32_t conv_q(const ptq__q1x1 *k, int32_t acc, int64_t n, float lo, float hi)
{
    float f = ((float)acc + k->bias[n]) * k->oscale[n];
    if (k->c_relu && f < 0) f = 0;
    f += (float)k->c_zp;
    if (f < lo) f = lo;
    if (f > hi) f = hi;
    return (int32_t)nearbyintf(f);
}

/* The int8 Add step's arithmetic (qadd in dnnl_ops.c): multiply, multiply, add, [Relu], divide. */
static inline int32_t add_q(const ptq__q1x1 *k, int32_t q, int32_t r, int32_t lo, int32_t hi)
{
    float v = (float)(q - k->c_zp) * k->c_scale + (float)(r - k->r_zp) * k->r_scale;
    if (k->y_relu && v < 0) v = 0;
    return ptq__quantize_f32(v, k->y_scale, k->y_zp, lo, hi);
}

/* Input row (pixel) of output row m: the same pixel for stride 1, else
 * (b, oh * sh, ow * sw) of the nhwc input. */
static inline const uint8_t *x_row(const ptq__q1x1 *k, const uint8_t *x, int64_t m)
{
    if (k->sh == 1 && k->sw == 1) return x + m * k->K;
    int64_t plane = k->oh * k->ow, b = m / plane, rem = m % plane, oy = rem / k->ow, ox = rem % k->ow;
    return x + ((b * k->ih + oy * k->sh) * k->iw + ox * k->sw) * k->K;
}

static void rows_scalar(const ptq__q1x1 *k, const uint8_t *x, const void *r_, void *y_, int64_t m0, int64_t m1, int64_t n0,
                        int64_t n1)
{
    int32_t lo, hi;
    ptq__qrange(k->out_signed ? PTQ_DTYPE_INT8 : PTQ_DTYPE_UINT8, &lo, &hi);
    for (int64_t m = m0; m < m1; m++)
        for (int64_t n = n0; n < n1; n++) {
            const uint8_t *xr = x_row(k, x, m);
            const int8_t *wp = k->wpack + (n / PTQ__Q1X1_NR) * k->K * PTQ__Q1X1_NR + (n % PTQ__Q1X1_NR) * 4;
            int32_t acc = 0;
            for (int64_t c = 0; c < k->K; c++) acc = ptq__add_wrap32(acc, (int32_t)xr[c] * wp[(c / 4) * 4 * PTQ__Q1X1_NR + c % 4]);
            acc = (int32_t)((uint32_t)acc - (uint32_t)k->xzp_wsum[n]);
            int64_t i = m * k->N + n;
            int32_t v = conv_q(k, acc, n, (float)lo, (float)hi);
            if (k->has_add) v = add_q(k, v, k->out_signed ? ((const int8_t *)r_)[i] : ((const uint8_t *)r_)[i], lo, hi);
            if (k->out_signed) ((int8_t *)y_)[i] = (int8_t)v;
            else ((uint8_t *)y_)[i] = (uint8_t)v;
        }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define Q1X1_VNNI 1
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* vpdpbusd as inline asm: GCC 12 keeps the intrinsic's accumulators in
 * memory between iterations (measured 240 vs 430-720 GMAC/s). */
#define DPBUSD(c, a, b) __asm__("vpdpbusd %2, %1, %0" : "+v"(c) : "v"(a), "v"(b))

/* One tile: rows m (mr <= MR, constant after inlining) x 64 channels of panel p. */
static inline __attribute__((always_inline)) TARGET void tile(const ptq__q1x1 *k, int mr, const uint8_t *x, const void *r_,
                                                                void *y_, int64_t m, int64_t p)
{
    const int64_t K = k->K, N = k->N;
    const uint8_t *a[MR];
    for (int i = 0; i < mr; i++) a[i] = x_row(k, x, m + i);
    const int8_t *bp = k->wpack + p * K * PTQ__Q1X1_NR;
#define DECL(i) __m512i c##i##0 = _mm512_setzero_si512(), c##i##1 = c##i##0, c##i##2 = c##i##0, c##i##3 = c##i##0;
    DECL(0) DECL(1) DECL(2) DECL(3) DECL(4) DECL(5)
#undef DECL
#define ROW(i)                                                                         \
    if (mr > i) {                                                                      \
        __m512i ai = _mm512_set1_epi32(*(const int32_t *)(a[i] + g * 4));             \
        DPBUSD(c##i##0, ai, b0);                                                       \
        DPBUSD(c##i##1, ai, b1);                                                       \
        DPBUSD(c##i##2, ai, b2);                                                       \
        DPBUSD(c##i##3, ai, b3);                                                       \
    }
    for (int64_t g = 0; g < K / 4; g++, bp += 4 * PTQ__Q1X1_NR) {
        __m512i b0 = _mm512_load_si512(bp), b1 = _mm512_load_si512(bp + 64);
        __m512i b2 = _mm512_load_si512(bp + 128), b3 = _mm512_load_si512(bp + 192);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
    }
#undef ROW
    __m512i acc[MR][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23},
                          {c30, c31, c32, c33}, {c40, c41, c42, c43}, {c50, c51, c52, c53}};
    int32_t lo, hi;
    ptq__qrange(k->out_signed ? PTQ_DTYPE_INT8 : PTQ_DTYPE_UINT8, &lo, &hi);
    const __m512 clo = _mm512_set1_ps((float)lo), chi = _mm512_set1_ps((float)hi), zero = _mm512_setzero_ps();
    const __m512 czp = _mm512_set1_ps((float)k->c_zp);
    const __m512 cs = _mm512_set1_ps(k->c_scale), rs = _mm512_set1_ps(k->r_scale), ys = _mm512_set1_ps(k->y_scale);
    const __m512i czi = _mm512_set1_epi32(k->c_zp), rzi = _mm512_set1_epi32(k->r_zp), yzi = _mm512_set1_epi32(k->y_zp);
    /* Relu then the lower saturation bound of the Add is one max against the larger bound. */
    float ylo_f = (float)(lo - k->y_zp);
    if (k->y_relu && ylo_f < 0) ylo_f = 0;
    const __m512 ylo = _mm512_set1_ps(ylo_f), yhi = _mm512_set1_ps((float)(hi - k->y_zp));
    const int64_t n0 = p * PTQ__Q1X1_NR;
    for (int v = 0; v < 4; v++) {
        const __m512 os = _mm512_loadu_ps(k->oscale + n0 + 16 * v), bi = _mm512_loadu_ps(k->bias + n0 + 16 * v);
        const __m512i comp = _mm512_loadu_si512(k->xzp_wsum + n0 + 16 * v);
        for (int i = 0; i < mr; i++) {
            int64_t off = (m + i) * N + n0 + 16 * v;
            __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][v], comp));
            f = _mm512_mul_ps(_mm512_add_ps(f, bi), os);
            if (k->c_relu) f = _mm512_max_ps(f, zero);
            f = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(f, czp), clo), chi);
            __m512i q = _mm512_cvtps_epi32(f); /* rounds half to even (default MXCSR), as nearbyintf */
            if (!k->has_add) {
                __m128i q8 = k->out_signed ? _mm512_cvtsepi32_epi8(q) : _mm512_cvtusepi32_epi8(q);
                _mm_storeu_si128((__m128i *)((uint8_t *)y_ + off), q8);
                continue;
            }
            __m128i r8 = _mm_loadu_si128((const __m128i *)((const uint8_t *)r_ + off));
            __m512i r = k->out_signed ? _mm512_cvtepi8_epi32(r8) : _mm512_cvtepu8_epi32(r8);
            __m512 fa = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q, czi)), cs);
            __m512 fb = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(r, rzi)), rs);
            __m512 t = _mm512_div_ps(_mm512_add_ps(fa, fb), ys);
            t = _mm512_min_ps(_mm512_max_ps(t, ylo), yhi);
            __m512i yq = _mm512_add_epi32(_mm512_cvtps_epi32(t), yzi);
            __m128i y8 = k->out_signed ? _mm512_cvtsepi32_epi8(yq) : _mm512_cvtusepi32_epi8(yq);
            _mm_storeu_si128((__m128i *)((uint8_t *)y_ + off), y8);
        }
    }
}

/* Tiles t0..t1 of the panel-major order (panel p = t / row_tiles): a
 * thread keeps one weight panel in cache while it walks the rows. */
static TARGET void tiles_vnni(const ptq__q1x1 *k, const uint8_t *x, const void *r, void *y, int64_t t0, int64_t t1)
{
    int64_t row_tiles = (k->M + MR - 1) / MR;
    for (int64_t t = t0; t < t1; t++) {
        int64_t p = t / row_tiles, m = (t % row_tiles) * MR;
        switch (k->M - m < MR ? (int)(k->M - m) : MR) {
        case 6: tile(k, 6, x, r, y, m, p); break;
        case 5: tile(k, 5, x, r, y, m, p); break;
        case 4: tile(k, 4, x, r, y, m, p); break;
        case 3: tile(k, 3, x, r, y, m, p); break;
        case 2: tile(k, 2, x, r, y, m, p); break;
        default: tile(k, 1, x, r, y, m, p); break;
        }
    }
}
#endif

bool ptq__q1x1_have_vnni(void)
{
#ifdef Q1X1_VNNI
    static int have = 0; /* 0: unknown, 1: yes, -1: no */
    if (!have) {
        const char *e = getenv("PTQ_DNNL_NO_SIMD");
        __builtin_cpu_init();
        have = (e && e[0] == '1') || !__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
                       !__builtin_cpu_supports("avx512vnni")
                   ? -1
                   : 1;
    }
    return have > 0;
#else
    return false;
#endif
}

void ptq__q1x1_scalar(const ptq__q1x1 *k, const uint8_t *x, const void *r, void *y)
{
    rows_scalar(k, x, r, y, 0, k->M, 0, k->N);
}

void ptq__q1x1_part(const ptq__q1x1 *k, const uint8_t *x, const void *r, void *y, int ithr, int nthr)
{
#ifdef Q1X1_VNNI
    if (ptq__q1x1_have_vnni()) {
        int64_t row_tiles = (k->M + MR - 1) / MR, panels = k->N / PTQ__Q1X1_NR;
        if (k->K * k->N <= ROW_MAJOR_MAX_WEIGHTS) {
            /* all panels of a row tile: r and y are walked line by line */
            int64_t t0 = row_tiles * ithr / nthr, t1 = row_tiles * (ithr + 1) / nthr;
            for (int64_t t = t0; t < t1; t++)
                for (int64_t p = 0; p < panels; p++) tiles_vnni(k, x, r, y, p * row_tiles + t, p * row_tiles + t + 1);
            return;
        }
        /* panel by panel: a thread keeps one weight panel in cache */
        int64_t total = row_tiles * panels;
        tiles_vnni(k, x, r, y, total * ithr / nthr, total * (ithr + 1) / nthr);
        return;
    }
#endif
    int64_t m0 = k->M * ithr / nthr, m1 = k->M * (ithr + 1) / nthr;
    rows_scalar(k, x, r, y, m0, m1, 0, k->N);
}
