/* pad.c: reference kernels (stub — being written). */
#include "ops/kernel.h"

ptq_status ptq__kernel_pad(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
