/* NumPy .npy reader and writer.
 * Format: magic "\x93NUMPY", major, minor, header length (u16 for v1, u32 for
 * v2/v3), then an ASCII dict {'descr': '<f4', 'fortran_order': False,
 * 'shape': (1, 3), } padded with spaces to a 64-byte boundary, then raw data. */
#include "core/atomic_file.h"
#include "core/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *descr; ptq_dtype dtype; } npy_types[] = {
    {"<f4", PTQ_DTYPE_FLOAT32}, {"|u1", PTQ_DTYPE_UINT8}, {"|i1", PTQ_DTYPE_INT8},
    {"<i4", PTQ_DTYPE_INT32},   {"<i8", PTQ_DTYPE_INT64}, {"<f8", PTQ_DTYPE_FLOAT64},
    {"<u2", PTQ_DTYPE_UINT16},  {"<i2", PTQ_DTYPE_INT16}, {"|b1", PTQ_DTYPE_BOOL},
    {"<u4", PTQ_DTYPE_UINT32},  {"<u8", PTQ_DTYPE_UINT64}, {"<f2", PTQ_DTYPE_FLOAT16},
    {"<u1", PTQ_DTYPE_UINT8},   {"<i1", PTQ_DTYPE_INT8},
};

static ptq_status parse_header(const char *path, const char *h, ptq_dtype *dtype, int *rank, int64_t *dims)
{
    const char *d = strstr(h, "'descr'");
    const char *f = strstr(h, "'fortran_order'");
    const char *s = strstr(h, "'shape'");
    if (!d || !f || !s) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: not a .npy header", path);
    d = strchr(d + 7, '\'');
    if (!d) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: bad descr in .npy header", path);
    d++;
    *dtype = PTQ_DTYPE_UNDEFINED;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
        size_t n = strlen(npy_types[i].descr);
        if (strncmp(d, npy_types[i].descr, n) == 0 && d[n] == '\'') *dtype = npy_types[i].dtype;
    }
    if (*dtype == PTQ_DTYPE_UNDEFINED) {
        char buf[16] = {0};
        for (int i = 0; i < 15 && d[i] && d[i] != '\''; i++) buf[i] = d[i];
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: .npy dtype '%s' is not supported", path, buf);
    }
    const char *fv = f + strlen("'fortran_order'");
    while (*fv == ' ' || *fv == ':') fv++;
    if (strncmp(fv, "False", 5) != 0) return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: Fortran-order .npy is not supported", path);
    const char *p = strchr(s, '(');
    if (!p) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: bad shape in .npy header", path);
    p++;
    *rank = 0;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: bad shape in .npy header", path);
        if (*rank >= PTQ_MAX_DIMS) return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: .npy rank above %d", path, PTQ_MAX_DIMS);
        dims[(*rank)++] = v;
        p = end;
    }
    return PTQ_STATUS_OK;
}

ptq_status ptq_tensor_load_npy(const char *path, ptq_tensor **tensor_out)
{
    *tensor_out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ptq__fail(PTQ_STATUS_IO, "%s: %s", path, strerror(errno));
    ptq_status st = PTQ_STATUS_OK;
    char *header = NULL;
    ptq_tensor *t = NULL;
    unsigned char pre[10];
    if (fread(pre, 1, 10, fp) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: not a NumPy .npy file", path);
        goto done;
    }
    size_t hlen;
    if (pre[6] == 1) {
        hlen = pre[8] | (size_t)pre[9] << 8;
    } else {
        unsigned char b[2];
        if (fread(b, 1, 2, fp) != 2) {
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: truncated .npy header", path);
            goto done;
        }
        hlen = pre[8] | (size_t)pre[9] << 8 | (size_t)b[0] << 16 | (size_t)b[1] << 24;
    }
    if (hlen > (1 << 20)) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: .npy header too long", path);
        goto done;
    }
    header = malloc(hlen + 1);
    if (!header) {
        st = ptq__oom();
        goto done;
    }
    if (fread(header, 1, hlen, fp) != hlen) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: truncated .npy header", path);
        goto done;
    }
    header[hlen] = 0;
    ptq_dtype dtype = PTQ_DTYPE_UNDEFINED;
    int rank = 0;
    int64_t dims[PTQ_MAX_DIMS];
    st = parse_header(path, header, &dtype, &rank, dims);
    if (st) goto done;
    /* Compare the declared size with the file before allocating: a forged
     * header may declare a huge array. */
    size_t bytes;
    if ((st = ptq__tensor_check_shape(dtype, rank, dims, &bytes))) {
        st = ptq__fail_context(st, "%s", path);
        goto done;
    }
    long here = ftell(fp);
    if (here < 0 || fseek(fp, 0, SEEK_END) != 0 || ftell(fp) - here < (long)bytes || fseek(fp, here, SEEK_SET) != 0) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: truncated .npy data (expected %zu bytes)", path, bytes);
        goto done;
    }
    st = ptq_tensor_create(dtype, rank, dims, &t);
    if (st) goto done;
    if (fread(t->data, 1, bytes, fp) != bytes) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: truncated .npy data (expected %zu bytes)", path, bytes);
        goto done;
    }
    *tensor_out = t;
    t = NULL;
done:
    ptq_tensor_destroy(t);
    free(header);
    fclose(fp);
    return st;
}

ptq_status ptq_tensor_save_npy(const ptq_tensor *t, const char *path)
{
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dtype == t->dtype) {
            descr = npy_types[i].descr;
            break;
        }
    if (!descr) return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: cannot write dtype %s to .npy", path, ptq_dtype_name(t->dtype));
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < t->rank; i++)
        n += snprintf(dict + n, sizeof dict - n, "%lld,%s", (long long)t->dims[i], i + 1 < t->rank ? " " : "");
    n += snprintf(dict + n, sizeof dict - n, "), }");
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    ptq__atomic_file f;
    ptq_status st = ptq__atomic_open(&f, path);
    if (st) return st;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    fwrite(pre, 1, 10, f.fp);
    fwrite(dict, 1, (size_t)n, f.fp);
    for (size_t i = 0; i < pad; i++) fputc(' ', f.fp);
    fputc('\n', f.fp);
    size_t bytes = (size_t)ptq_tensor_numel(t) * ptq_dtype_size(t->dtype);
    if (bytes) fwrite(t->data, 1, bytes, f.fp);
    return ptq__atomic_commit(&f);
}
