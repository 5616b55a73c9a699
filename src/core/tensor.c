/* Tensor allocation and dtype facts. */
#include "core/status.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

size_t ptq_dtype_size(ptq_dtype dtype)
{
    switch (dtype) {
    case PTQ_DTYPE_FLOAT32: case PTQ_DTYPE_INT32: case PTQ_DTYPE_UINT32: return 4;
    case PTQ_DTYPE_UINT8: case PTQ_DTYPE_INT8: case PTQ_DTYPE_BOOL: return 1;
    case PTQ_DTYPE_UINT16: case PTQ_DTYPE_INT16: case PTQ_DTYPE_FLOAT16: return 2;
    case PTQ_DTYPE_INT64: case PTQ_DTYPE_FLOAT64: case PTQ_DTYPE_UINT64: return 8;
    default: return 0;
    }
}

const char *ptq_dtype_name(ptq_dtype dtype)
{
    switch (dtype) {
    case PTQ_DTYPE_FLOAT32: return "float32";
    case PTQ_DTYPE_UINT8: return "uint8";
    case PTQ_DTYPE_INT8: return "int8";
    case PTQ_DTYPE_UINT16: return "uint16";
    case PTQ_DTYPE_INT16: return "int16";
    case PTQ_DTYPE_INT32: return "int32";
    case PTQ_DTYPE_INT64: return "int64";
    case PTQ_DTYPE_STRING: return "string";
    case PTQ_DTYPE_BOOL: return "bool";
    case PTQ_DTYPE_FLOAT16: return "float16";
    case PTQ_DTYPE_FLOAT64: return "float64";
    case PTQ_DTYPE_UINT32: return "uint32";
    case PTQ_DTYPE_UINT64: return "uint64";
    default: return "undefined";
    }
}

int64_t ptq_tensor_numel(const ptq_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

ptq_status ptq__tensor_check_shape(ptq_dtype dtype, int rank, const int64_t *dims, size_t *bytes_out)
{
    size_t esize = ptq_dtype_size(dtype);
    if (esize == 0) return ptq__fail(PTQ_STATUS_UNSUPPORTED, "tensor of dtype %s is not supported", ptq_dtype_name(dtype));
    if (rank < 0 || rank > PTQ_MAX_DIMS)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "tensor rank %d outside 0..%d", rank, PTQ_MAX_DIMS);
    /* The limit applies to the product of the nonzero dimensions too: an
     * empty tensor such as 0 x 2^40 x 2^40 would otherwise pass, and the
     * kernels' partial products of its dimensions overflow int64. */
    size_t n = 1, nonzero = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "tensor dimension %d is negative (%lld)", i, (long long)dims[i]);
        if (dims[i] == 0) n = 0;
        else if (!ptq__mul_size(nonzero, (size_t)dims[i], &nonzero))
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "tensor size overflows");
    }
    size_t bytes;
    if (!ptq__mul_size(nonzero, esize, &bytes) || bytes > ((size_t)1 << 40))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "tensor of %zu elements%s is too large", nonzero,
                         n ? "" : " (not counting its zero dimensions)");
    *bytes_out = n ? bytes : 0;
    return PTQ_STATUS_OK;
}

static ptq_status tensor_create(ptq_dtype dtype, int rank, const int64_t *dims, bool zero, ptq_tensor **tensor_out)
{
    *tensor_out = NULL;
    size_t bytes;
    ptq_status st = ptq__tensor_check_shape(dtype, rank, dims, &bytes);
    if (!st) st = ptq__check_fits_memory(bytes, "a tensor");
    if (st) return st;
    ptq_tensor *t = calloc(1, sizeof *t);
    if (!t) return ptq__oom();
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
    /* 64-byte alignment suits AVX-512 and oneDNN; never allocate 0 bytes. */
    size_t alloc = (bytes + 63) / 64 * 64;
    if (alloc == 0) alloc = 64;
    t->data = aligned_alloc(64, alloc);
    if (!t->data) {
        free(t);
        return ptq__oom();
    }
    if (zero) memset(t->data, 0, alloc);
    *tensor_out = t;
    return PTQ_STATUS_OK;
}

ptq_status ptq_tensor_create(ptq_dtype dtype, int rank, const int64_t *dims, ptq_tensor **tensor_out)
{
    return tensor_create(dtype, rank, dims, true, tensor_out);
}

ptq_status ptq__tensor_create_uninit(ptq_dtype dtype, int rank, const int64_t *dims, ptq_tensor **tensor_out)
{
    return tensor_create(dtype, rank, dims, false, tensor_out);
}

void ptq_tensor_destroy(ptq_tensor *t)
{
    if (!t) return;
    free(t->data);
    free(t);
}
