/* requant.h: the integer quantization arithmetic of ptq, written down once.
 *
 * Every quantized kernel (QuantizeLinear, DequantizeLinear, ConvInteger,
 * QLinearConv, MatMulInteger, QLinearMatMul) and every fast backend that is
 * tested against them uses exactly these formulas:
 *
 *   quantize     q = saturate(round_half_even(x / scale) + zp, qmin, qmax)
 *   dequantize   x = (float)(q - zp) * scale
 *   requantize   q = saturate(round_half_even((float)acc * multiplier) + zp, qmin, qmax)
 *                with multiplier = (float)(in_scale * w_scale) / out_scale
 *                computed in float, left to right, and acc the exact int32
 *                sum of (x - x_zp) * (w - w_zp) (+ the int32 bias).
 *
 * round_half_even is nearbyintf() in the default rounding mode
 * (FE_TONEAREST): 2.5 -> 2, 3.5 -> 4, -2.5 -> -2. This is what ONNX
 * QuantizeLinear specifies and what ONNX Runtime's MLAS does.
 * saturate clamps to [qmin, qmax] of the integer type: [0, 255] for uint8,
 * [-128, 127] for int8 (also int16/uint16 when used).
 *
 * The clamp is applied in float before rounding, against the integer bounds
 * qmin - zp and qmax - zp; since those bounds are integers this gives the
 * same result as rounding first, and it keeps huge or infinite values away
 * from float-to-int conversion. NaN maps to the zero point. */
#ifndef PTQ_OPS_REQUANT_H
#define PTQ_OPS_REQUANT_H

#include <math.h>
#include <stdint.h>
#include "ptq/ptq.h"

/* Range of an integer quantized type; false if dtype is not one. */
static inline int ptq__qrange(ptq_dtype dtype, int32_t *qmin, int32_t *qmax)
{
    switch (dtype) {
    case PTQ_DTYPE_UINT8: *qmin = 0; *qmax = 255; return 1;
    case PTQ_DTYPE_INT8: *qmin = -128; *qmax = 127; return 1;
    case PTQ_DTYPE_UINT16: *qmin = 0; *qmax = 65535; return 1;
    case PTQ_DTYPE_INT16: *qmin = -32768; *qmax = 32767; return 1;
    default: *qmin = 0; *qmax = 0; return 0;
    }
}

/* True for the 8-bit quantized types (uint8, int8). */
static inline int ptq__is_q8(ptq_dtype t) { return t == PTQ_DTYPE_UINT8 || t == PTQ_DTYPE_INT8; }

/* saturate(round_half_even(v) + zp, qmin, qmax) */
static inline int32_t ptq__round_saturate(float v, int32_t zp, int32_t qmin, int32_t qmax)
{
    float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
    if (v != v) return zp; /* NaN */
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return (int32_t)nearbyintf(v) + zp;
}

/* QuantizeLinear: saturate(round_half_even(x / scale) + zp). */
static inline int32_t ptq__quantize_f32(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax)
{
    return ptq__round_saturate(x / scale, zp, qmin, qmax);
}

/* DequantizeLinear: (q - zp) * scale. */
static inline float ptq__dequantize(int32_t q, float scale, int32_t zp)
{
    return (float)(q - zp) * scale;
}

/* Requantization multiplier of a quantized conv/matmul output channel. */
static inline float ptq__requant_multiplier(float in_scale, float w_scale, float out_scale)
{
    return in_scale * w_scale / out_scale;
}

/* Requantizes an exact int32 accumulator: saturate(round_half_even(acc * m) + zp). */
static inline int32_t ptq__requantize(int32_t acc, float multiplier, int32_t zp, int32_t qmin, int32_t qmax)
{
    return ptq__round_saturate((float)acc * multiplier, zp, qmin, qmax);
}

/* a + b in int32 with two's-complement wraparound, as the int32 accumulators
 * of ONNX Runtime and oneDNN do: a model with a long enough dot product
 * (e.g. K = 70000 uint8 x int8) overflows int32, which in C is undefined. */
static inline int32_t ptq__add_wrap32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* Stores an in-range quantized value into element i of a uint8/int8/uint16/int16 buffer. */
static inline void ptq__qstore(ptq_dtype dtype, void *data, int64_t i, int32_t q)
{
    switch (dtype) {
    case PTQ_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)q; break;
    case PTQ_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)q; break;
    case PTQ_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)q; break;
    case PTQ_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)q; break;
    default: break;
    }
}

#endif
