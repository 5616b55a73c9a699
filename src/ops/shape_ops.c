/* shape_ops.c: reference kernels (stub — being written). */
#include "ops/kernel.h"

ptq_status ptq__kernel_flatten(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_reshape(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_squeeze(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_unsqueeze(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_concat(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_transpose(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_identity(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_dropout(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_constant(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_shape(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_gather(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
ptq_status ptq__kernel_cast(ptq__kernel_ctx *ctx) { return ptq__kernel_fail(ctx, PTQ_STATUS_UNSUPPORTED, "not implemented yet"); }
