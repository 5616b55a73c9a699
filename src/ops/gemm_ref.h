/* gemm_ref.h: the plain row-major matrix products shared by the reference
 * Conv (after im2col), Gemm and MatMul kernels (defined in matmul.c).
 *
 *   c[i][j] += sum_{p = 0 .. k-1} a[i][p] * b[p][j]     (p in increasing order)
 *
 * a is m x k, b is k x n, c is m x n, all contiguous row-major and not
 * overlapping. The float version accumulates in float, the integer version
 * in int32, wrapping on overflow (ptq__add_wrap32 of requant.h). */
#ifndef PTQ_OPS_GEMM_REF_H
#define PTQ_OPS_GEMM_REF_H

#include <stdint.h>

void ptq__gemm_f32_ref(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c);
void ptq__gemm_s32_ref(int64_t m, int64_t n, int64_t k, const int32_t *a, const int32_t *b, int32_t *c);

#endif
