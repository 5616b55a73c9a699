/* dnnl_q1x1.h: an int8 1x1 convolution (any stride), with the residual Add
 * of its block fused into the same pass, exact.
 *
 * The QDQ residual block ends  conv1x1 -> [Relu] -> Q -> DQ -> Add(DQ r) ->
 * [Relu] -> Q. oneDNN 2.6 can fuse the Add only as a sum post-op, which
 * skips the graph's rounding order (ResNet-50 ends 2 output steps from the
 * reference, see PTQ__DNNL_INT8_FUSE_SUM). This kernel computes the conv's
 * quantized output tile in registers with oneDNN's requantization arithmetic
 * and applies the Add to it with the arithmetic of the int8 Add step, so the
 * result is bit-identical to conv + Add run one after the other, without
 * writing and re-reading the conv's output.
 *
 * The conv is a GEMM: y[m][n] over pixels m (nhwc rows, K = input channels
 * contiguous) and output channels n. Weights are packed once for AVX-512
 * VNNI (vpdpbusd: 4 u8 x s8 products per int32 lane): 64 output channels a
 * panel, [K/4][64][4] bytes. A scalar twin computes the same arithmetic one
 * element at a time; tests compare the two bit for bit. */
#ifndef PTQ_BACKEND_DNNL_DNNL_Q1X1_H
#define PTQ_BACKEND_DNNL_DNNL_Q1X1_H

#include <stdbool.h>
#include <stdint.h>
#include "core/status.h"

#define PTQ__Q1X1_NR 64 /* output channels a weight panel */

typedef struct ptq__q1x1 {
    int64_t M, K, N;        /* output pixels, input channels (multiple of 4), output channels (multiple of 64) */
    int64_t ih, iw, oh, ow, sh, sw; /* strided conv: input/output plane and strides (create: 1 x M, stride 1) */
    size_t bytes;           /* of the whole allocation (weights and per-channel arrays) */
    int8_t *wpack;          /* [N/64][K/4][64][4] */
    float *oscale, *bias;   /* conv requantization: ((float)acc + bias[n]) * oscale[n] */
    int32_t *xzp_wsum;      /* x_zp * sum_k w[n][k] (the input zero point), subtracted from acc */
    bool has_add;           /* false: y is the conv's quantized output (r unused) */
    bool out_signed;        /* conv output, residual and result are int8 (else uint8) */
    bool c_relu;            /* Relu between the conv and its QuantizeLinear */
    int32_t c_zp, r_zp, y_zp;
    float c_scale, r_scale, y_scale; /* conv output, residual, Add output steps */
    bool y_relu;            /* Relu between the Add and its QuantizeLinear */
} ptq__q1x1;

/* Packs weights w[N][K] (s8) and copies the per-channel arrays into one
 * allocation (release it with free()); the caller then sets the
 * quantization fields. Fails (UNSUPPORTED) when K % 4 or N % 64 is not zero. */
ptq_status ptq__q1x1_create(int64_t M, int64_t K, int64_t N, const int8_t *w, const float *oscale, const float *bias,
                            int32_t x_zp, ptq__q1x1 **out);

/* y = Add(conv(x), r) (or conv(x)) by the scalar twin; x is the nhwc uint8
 * input (rows of K), r and y [M][N]. */
void ptq__q1x1_scalar(const ptq__q1x1 *k, const uint8_t *x, const void *r, void *y);
/* The share of thread ithr of nthr (tiles of 6 rows x 64 channels), by the
 * AVX-512 VNNI kernel when the CPU has it, else by the scalar twin. */
void ptq__q1x1_part(const ptq__q1x1 *k, const uint8_t *x, const void *r, void *y, int ithr, int nthr);
/* True when the AVX-512 VNNI kernel runs on this CPU (PTQ_DNNL_NO_SIMD=1: never). */
bool ptq__q1x1_have_vnni(void);

#endif
