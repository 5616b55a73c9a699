/* Status strings and the thread-local last-error message. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

static _Thread_local char last_error[2048];

const char *ptq_status_string(ptq_status status)
{
    switch (status) {
    case PTQ_STATUS_OK: return "ok";
    case PTQ_STATUS_INVALID_ARGUMENT: return "invalid argument";
    case PTQ_STATUS_UNSUPPORTED: return "unsupported";
    case PTQ_STATUS_BAD_FORMAT: return "bad format";
    case PTQ_STATUS_IO: return "i/o error";
    case PTQ_STATUS_OUT_OF_MEMORY: return "out of memory";
    case PTQ_STATUS_BACKEND: return "backend error";
    case PTQ_STATUS_INVALID_STATE: return "invalid state";
    }
    return "unknown status";
}

const char *ptq_last_error(void) { return last_error; }

ptq_status ptq__fail(ptq_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

ptq_status ptq__fail_context(ptq_status code, const char *fmt, ...)
{
    char prefix[1024], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    snprintf(last_error, sizeof last_error, "%s: %s", prefix, old);
    return code;
}

ptq_status ptq__oom(void) { return ptq__fail(PTQ_STATUS_OUT_OF_MEMORY, "out of memory"); }

ptq_status ptq__check_fits_memory(size_t bytes, const char *what)
{
    /* Tensors are created for every node and batch; ask the system (a
     * syscall in glibc) only for sizes that could matter. */
    if (bytes < ((size_t)256 << 20)) return PTQ_STATUS_OK;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return PTQ_STATUS_OK; /* unknown: let the allocation decide */
    double have = (double)pages * (double)page;
    if ((double)bytes <= have) return PTQ_STATUS_OK;
    return ptq__fail(PTQ_STATUS_OUT_OF_MEMORY, "%s needs %.1f GiB, more than this machine's memory (%.1f GiB)", what,
                     (double)bytes / (1 << 30), have / (1 << 30));
}

int ptq__mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > (size_t)-1 / a) return 0;
    *out = a * b;
    return 1;
}
