/* Whole-file reading for models, lists, labels files and encoded images. */
#include "core/file_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/status.h"

ptq_status ptq__read_file(const char *path, size_t max_size, char **bytes_out, size_t *size_out)
{
    ptq_status st = PTQ_STATUS_OK;
    FILE *f = NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    *bytes_out = NULL;
    *size_out = 0;

    f = fopen(path, "rb");
    if (!f) {
        st = ptq__fail(PTQ_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
        goto cleanup;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        st = ptq__fail(PTQ_STATUS_IO, "%s: is a directory", path);
        goto cleanup;
    }
    /* Grow geometrically instead of trusting st_size: pipes and procfs files
     * report 0. */
    cap = (sb.st_size > 0 && (uint64_t)sb.st_size < max_size) ? (size_t)sb.st_size + 1 : 4096;
    buf = malloc(cap + 1);
    if (!buf) {
        st = ptq__oom();
        goto cleanup;
    }
    for (;;) {
        if (len == cap) {
            if (cap > max_size) {
                st = ptq__fail(PTQ_STATUS_IO, "%s: file larger than %zu bytes", path, max_size);
                goto cleanup;
            }
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                st = ptq__oom();
                goto cleanup;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                st = ptq__fail(PTQ_STATUS_IO, "%s: read error: %s", path, strerror(errno));
                goto cleanup;
            }
            break;
        }
    }
    if (len > max_size) {
        st = ptq__fail(PTQ_STATUS_IO, "%s: file larger than %zu bytes", path, max_size);
        goto cleanup;
    }
    buf[len] = '\0';
    *bytes_out = buf;
    *size_out = len;
    buf = NULL;
cleanup:
    free(buf);
    if (f) fclose(f);
    return st;
}
