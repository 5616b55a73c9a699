#include "core/atomic_file.h"
#include "core/status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ptq_status ptq__atomic_open(ptq__atomic_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    size_t n = strlen(path) + 32;
    f->path = strdup(path);
    f->tmp_path = malloc(n);
    if (!f->path || !f->tmp_path) {
        ptq__atomic_abort(f);
        return ptq__oom();
    }
    snprintf(f->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp_path, "wb");
    if (!f->fp) {
        ptq_status st = ptq__fail(PTQ_STATUS_IO, "%s: cannot write: %s", path, strerror(errno));
        ptq__atomic_abort(f);
        return st;
    }
    return PTQ_STATUS_OK;
}

void ptq__atomic_abort(ptq__atomic_file *f)
{
    if (f->fp) fclose(f->fp);
    if (f->tmp_path && f->fp) remove(f->tmp_path);
    free(f->path);
    free(f->tmp_path);
    memset(f, 0, sizeof *f);
}

ptq_status ptq__atomic_commit(ptq__atomic_file *f)
{
    ptq_status st = PTQ_STATUS_OK;
    int bad = ferror(f->fp);
    if (fclose(f->fp) != 0) bad = 1;
    f->fp = NULL;
    if (bad) {
        st = ptq__fail(PTQ_STATUS_IO, "%s: write failed: %s", f->path, strerror(errno));
        remove(f->tmp_path);
    } else if (rename(f->tmp_path, f->path) != 0) {
        st = ptq__fail(PTQ_STATUS_IO, "%s: cannot rename temporary file: %s", f->path, strerror(errno));
        remove(f->tmp_path);
    }
    free(f->path);
    free(f->tmp_path);
    memset(f, 0, sizeof *f);
    return st;
}

ptq_status ptq__write_file_atomic(const char *path, const void *data, size_t size)
{
    ptq__atomic_file f;
    ptq_status st = ptq__atomic_open(&f, path);
    if (st) return st;
    if (size && fwrite(data, 1, size, f.fp) != size) {
        st = ptq__fail(PTQ_STATUS_IO, "%s: write failed: %s", path, strerror(errno));
        ptq__atomic_abort(&f);
        return st;
    }
    return ptq__atomic_commit(&f);
}
