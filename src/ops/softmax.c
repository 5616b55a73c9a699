/* softmax.c: reference kernels (stub — being written). */
#include "ops/kernel.h"

ptq_status ptq__kernel_softmax(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
