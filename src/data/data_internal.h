/* Helpers shared by the data-layer sources (src/data/). Not public API. */
#ifndef PTQ_DATA_INTERNAL_H
#define PTQ_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ptq/data.h"
#include "core/file_util.h"

/* Resizes with OpenCV INTER_LINEAR arithmetic (resize.c). dst is preallocated
 * with the target size and the same channel count as src. */
ptq_status ptq__resize_opencv(const ptq_image *src, ptq_image *dst);
/* Resizes with Pillow BILINEAR arithmetic (resize.c). */
ptq_status ptq__resize_pillow(const ptq_image *src, ptq_image *dst);

#endif
