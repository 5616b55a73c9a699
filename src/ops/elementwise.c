/* elementwise.c: reference kernels (stub — being written). */
#include "ops/kernel.h"

ptq_status ptq__kernel_unary(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_clip(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_binary(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
