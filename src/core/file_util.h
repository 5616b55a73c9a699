/* Whole-file reading, shared by model, list, label and image readers. */
#ifndef PTQ_CORE_FILE_UTIL_H
#define PTQ_CORE_FILE_UTIL_H

#include <stddef.h>
#include "ptq/ptq.h"

/* Reads a whole file into a new malloc'ed buffer (one extra NUL byte is
 * appended and not counted in *size_out). Errors name the file. Files larger
 * than max_size are rejected (protects against /dev/zero and the like). */
ptq_status ptq__read_file(const char *path, size_t max_size, char **bytes_out, size_t *size_out);

#endif
