/* Atomic file writing: data goes to "<path>.tmp.<pid>", which is renamed over
 * <path> only when complete, so a failed run never leaves a half-written file. */
#ifndef PTQ_CORE_ATOMIC_FILE_H
#define PTQ_CORE_ATOMIC_FILE_H

#include <stdio.h>
#include "ptq/ptq.h"

typedef struct ptq__atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;
} ptq__atomic_file;

ptq_status ptq__atomic_open(ptq__atomic_file *f, const char *path);
/* Flushes, closes and renames; on any failure removes the temporary file. */
ptq_status ptq__atomic_commit(ptq__atomic_file *f);
/* Closes and removes the temporary file (safe after a failed open). */
void ptq__atomic_abort(ptq__atomic_file *f);
/* Writes a whole buffer atomically. */
ptq_status ptq__write_file_atomic(const char *path, const void *data, size_t size);

#endif
