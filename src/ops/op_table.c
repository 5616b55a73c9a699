/* Tables generated from the op list (src/ops/op_list.h). */
#include <string.h>
#include "ops/kernel.h"

static const char *const op_names[PTQ__OP_COUNT] = {
    [PTQ__OP_UNKNOWN] = "?",
#define PTQ__OP_NAME(e, name, fn) [PTQ__OP_##e] = name,
    PTQ_OP_LIST(PTQ__OP_NAME)
#undef PTQ__OP_NAME
};

static const ptq__kernel_fn op_kernels[PTQ__OP_COUNT] = {
    [PTQ__OP_UNKNOWN] = NULL,
#define PTQ__OP_FN(e, name, fn) [PTQ__OP_##e] = fn,
    PTQ_OP_LIST(PTQ__OP_FN)
#undef PTQ__OP_FN
};

ptq__op ptq__op_from_name(const char *op_type)
{
    for (int i = 1; i < PTQ__OP_COUNT; i++)
        if (strcmp(op_names[i], op_type) == 0) return (ptq__op)i;
    return PTQ__OP_UNKNOWN;
}

const char *ptq__op_name(ptq__op op) { return op > 0 && op < PTQ__OP_COUNT ? op_names[op] : "?"; }

ptq__kernel_fn ptq__op_kernel(ptq__op op) { return op > 0 && op < PTQ__OP_COUNT ? op_kernels[op] : NULL; }
