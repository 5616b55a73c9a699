/* Helpers shared by the data-layer sources (src/data/). Not public API. */
#ifndef PTQ_DATA_INTERNAL_H
#define PTQ_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ptq/data.h"

/* Reads a whole file into a new malloc'ed buffer (one extra NUL byte is
 * appended and not counted in *size_out). Errors name the file. Files larger
 * than max_size are rejected (protects against /dev/zero and the like). */
ptq_status ptq__read_file(const char *path, size_t max_size, char **bytes_out, size_t *size_out);

/* Resizes with OpenCV INTER_LINEAR arithmetic (resize.c). dst is preallocated
 * with the target size and the same channel count as src. */
ptq_status ptq__resize_opencv(const ptq_image *src, ptq_image *dst);
/* Resizes with Pillow BILINEAR arithmetic (resize.c). */
ptq_status ptq__resize_pillow(const ptq_image *src, ptq_image *dst);

#endif
