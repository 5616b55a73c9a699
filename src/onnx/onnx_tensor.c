/* TensorProto decoding. A tensor's elements live in exactly one of:
 * raw_data (little-endian bytes), a typed repeated field (float_data,
 * int32_data for all <=32-bit integer types, bool and float16 bits,
 * int64_data, double_data, uint64_data for uint32/uint64), or an external
 * file given by external_data {location, offset, length}. */
#include "onnx/onnx_io.h"
#include "core/file_util.h"
#include "core/status.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ptq_status read_external(const Onnx__TensorProto *tp, const char *base_dir, const char *what, void *dst,
                                size_t bytes)
{
    const char *location = NULL;
    long long offset = 0, length = -1;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e->key || !e->value) continue;
        if (strcmp(e->key, "location") == 0) location = e->value;
        else if (strcmp(e->key, "offset") == 0) offset = strtoll(e->value, NULL, 10);
        else if (strcmp(e->key, "length") == 0) length = strtoll(e->value, NULL, 10);
    }
    if (!location) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: external data without a location", what);
    if (location[0] == '/' || strstr(location, ".."))
        return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: external data location '%s' must be relative to the model folder", what, location);
    if (length >= 0 && (size_t)length != bytes)
        return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: external data length %lld, expected %zu bytes", what, length, bytes);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", base_dir ? base_dir : ".", location);
    FILE *fp = fopen(path, "rb");
    if (!fp) return ptq__fail(PTQ_STATUS_IO, "%s: external data file %s: %s", what, path, strerror(errno));
    ptq_status st = PTQ_STATUS_OK;
    if (offset < 0 || fseek(fp, (long)offset, SEEK_SET) != 0 || fread(dst, 1, bytes, fp) != bytes)
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: external data file %s is shorter than offset %lld + %zu bytes", what,
                       path, offset, bytes);
    fclose(fp);
    return st;
}

ptq_status ptq__onnx_tensor_from_proto(const Onnx__TensorProto *tp, const char *base_dir, const char *what,
                                       ptq_tensor **tensor_out)
{
    *tensor_out = NULL;
    ptq_dtype dt = (ptq_dtype)tp->data_type;
    if (dt == PTQ_DTYPE_STRING || ptq_dtype_size(dt) == 0)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: tensor data type %d is not supported", what, (int)tp->data_type);
    if (tp->n_dims > PTQ_MAX_DIMS)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: tensor rank %zu above %d", what, tp->n_dims, PTQ_MAX_DIMS);
    for (size_t i = 0; i < tp->n_dims; i++)
        if (tp->dims[i] < 0) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: negative tensor dimension", what);
    /* Check that the stored data can fill the declared shape before
     * allocating it: a few-byte file may declare a huge tensor. */
    size_t want_bytes;
    ptq_status st = ptq__tensor_check_shape(dt, (int)tp->n_dims, tp->dims, &want_bytes);
    if (st) return ptq__fail_context(st, "%s", what);
    size_t want_n = want_bytes / ptq_dtype_size(dt), stored = 0;
    bool external = tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    if (external) stored = want_n; /* read_external checks the file */
    else if (tp->has_raw_data) stored = tp->raw_data.len / ptq_dtype_size(dt);
    else
        switch (dt) {
        case PTQ_DTYPE_FLOAT32: stored = tp->n_float_data; break;
        case PTQ_DTYPE_INT64: stored = tp->n_int64_data; break;
        case PTQ_DTYPE_FLOAT64: stored = tp->n_double_data; break;
        case PTQ_DTYPE_UINT32: case PTQ_DTYPE_UINT64: stored = tp->n_uint64_data; break;
        default: stored = tp->n_int32_data; break;
        }
    if (stored < want_n)
        return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: tensor holds %zu values, shape needs %zu", what, stored, want_n);
    ptq_tensor *t;
    st = ptq_tensor_create(dt, (int)tp->n_dims, tp->dims, &t);
    if (st) return ptq__fail_context(st, "%s", what);
    size_t n = (size_t)ptq_tensor_numel(t), esize = ptq_dtype_size(dt), bytes = n * esize;
    size_t have = 0;
    if (external) {
        st = read_external(tp, base_dir, what, t->data, bytes);
        have = n;
    } else if (tp->has_raw_data) {
        if (tp->raw_data.len != bytes) {
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: raw_data has %zu bytes, shape needs %zu", what, tp->raw_data.len, bytes);
        } else if (bytes) {
            memcpy(t->data, tp->raw_data.data, bytes);
        }
        have = n;
    } else {
        switch (dt) {
        case PTQ_DTYPE_FLOAT32:
            have = tp->n_float_data;
            if (have == n && n) memcpy(t->data, tp->float_data, bytes);
            break;
        case PTQ_DTYPE_INT64:
            have = tp->n_int64_data;
            if (have == n && n) memcpy(t->data, tp->int64_data, bytes);
            break;
        case PTQ_DTYPE_FLOAT64:
            have = tp->n_double_data;
            if (have == n && n) memcpy(t->data, tp->double_data, bytes);
            break;
        case PTQ_DTYPE_UINT32: case PTQ_DTYPE_UINT64:
            have = tp->n_uint64_data;
            for (size_t i = 0; have == n && i < n; i++) {
                if (dt == PTQ_DTYPE_UINT32) ((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i];
                else ((uint64_t *)t->data)[i] = tp->uint64_data[i];
            }
            break;
        default: /* every other type is carried in int32_data */
            have = tp->n_int32_data;
            for (size_t i = 0; have == n && i < n; i++) {
                int32_t v = tp->int32_data[i];
                switch (esize) {
                case 1: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
                case 2: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
                default: ((int32_t *)t->data)[i] = v; break;
                }
            }
            break;
        }
        if (have != n)
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: tensor holds %zu values, shape needs %zu", what, have, n);
    }
    if (st) {
        ptq_tensor_destroy(t);
        return st;
    }
    *tensor_out = t;
    return PTQ_STATUS_OK;
}

ptq_status ptq__onnx_read_tensor_file(const char *path, ptq_tensor **tensor_out, char **name_out)
{
    *tensor_out = NULL;
    if (name_out) *name_out = NULL;
    char *data;
    size_t size;
    ptq_status st = ptq__read_file(path, PTQ__ONNX_MAX_FILE_BYTES, &data, &size);
    if (st) return st;
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, (const uint8_t *)data);
    free(data);
    if (!tp) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: not a serialized ONNX TensorProto", path);
    st = ptq__onnx_tensor_from_proto(tp, NULL, path, tensor_out);
    if (!st && name_out && tp->name) *name_out = strdup(tp->name);
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return st;
}
