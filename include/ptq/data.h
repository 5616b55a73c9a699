/* ptq data layer: datasets, image decoding, resizing, preprocessing and
 * threaded batch loading for image-classification evaluation/calibration.
 *
 * Conventions follow ptq.h: fallible calls return ptq_status, results go to
 * trailing *_out parameters (NULL/0 on failure), the failure message is in
 * ptq_last_error(), and every *_destroy accepts NULL.
 *
 * Thread-safety: objects are not internally synchronized unless stated.
 * A ptq_dataset is immutable after ptq_dataset_open and may be read from any
 * number of threads at once. ptq_preprocess is a plain value. */
#ifndef PTQ_DATA_H
#define PTQ_DATA_H

#include "ptq/ptq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Datasets                                                                 */
/* ======================================================================== */

typedef struct ptq_dataset ptq_dataset;

/* How the dataset is described on disk.
 *
 * Annotation list (list_path != NULL): one `relative/path label` per line
 * (ImageNet / PaddleClas val_list.txt style). The label is the last
 * whitespace-separated token, so paths may contain spaces. `#` starts a
 * comment line, blank lines are skipped, CRLF is accepted. Paths are
 * resolved against `root` (default: the directory of the list file);
 * absolute paths are kept as they are.
 *
 * Folder per class (list_path == NULL, root != NULL): every subfolder of
 * root is a class (ImageFolder style). Class indices are the sorted (byte
 * order) subfolder names, or the line numbers of labels_path when given
 * (then every subfolder must be named in it). Files with the extensions
 * .jpg .jpeg .png .bmp .ppm .webp .tif .tiff (any case) found recursively
 * inside a class folder are samples, sorted by path; hidden entries
 * (starting with '.') are skipped. */
typedef struct ptq_dataset_params {
    const char *list_path;   /* annotation list, or NULL for folder-per-class */
    const char *root;        /* data root; NULL: directory of list_path */
    const char *labels_path; /* optional class names, one per line (index = line, 0-based) */
    /* Accuracy Checker `imagenet` converter rule: keep only the file name of
     * each listed path and look it up directly under root; when that file
     * does not exist, fall back to the relative path. List mode only. */
    int basename_lookup;
    int64_t limit; /* keep only the first `limit` samples (0: all) */
} ptq_dataset_params;

/* All fields NULL/0. */
PTQ_API ptq_dataset_params ptq_dataset_params_default(void);

/* Reads the list or scans the folder. Image files are not opened (missing
 * images are reported when loaded). Errors: INVALID_ARGUMENT (bad params),
 * IO (unreadable list/folder), BAD_FORMAT ("file:line: message" for a
 * malformed line, a negative, non-integer or too large (>= 2^30) label, or a
 * label not covered by the labels file; also a dataset without samples). The
 * params strings are not kept: the dataset owns all its strings.
 * Thread-safe (no shared state). */
PTQ_API ptq_status ptq_dataset_open(const ptq_dataset_params *params, ptq_dataset **dataset_out);
/* A dataset of the n image paths given (copied as they are: any bytes but
 * NUL, no list syntax to escape) with labels (NULL: all 0; each in
 * 0..2^30-1), keeping the first `limit` (0: all). Errors: INVALID_ARGUMENT
 * (n < 1, a NULL path, a label out of range). */
PTQ_API ptq_status ptq_dataset_from_paths(const char *const *paths, const int32_t *labels, int64_t n, int64_t limit,
                                          ptq_dataset **dataset_out);
PTQ_API void ptq_dataset_destroy(ptq_dataset *ds);

/* Number of samples (after `limit`). */
PTQ_API int64_t ptq_dataset_size(const ptq_dataset *ds);
/* Resolved path of sample i (owned by the dataset), NULL when out of range. */
PTQ_API const char *ptq_dataset_image_path(const ptq_dataset *ds, int64_t i);
/* Label of sample i, -1 when out of range. */
PTQ_API int32_t ptq_dataset_label(const ptq_dataset *ds, int64_t i);
/* Labels-file line count when a labels file was given, else max label + 1
 * (folder mode: number of class folders). */
PTQ_API int32_t ptq_dataset_class_count(const ptq_dataset *ds);
/* Name of class i (owned by the dataset), or NULL when unknown (list mode
 * without labels file, or out of range). */
PTQ_API const char *ptq_dataset_class_name(const ptq_dataset *ds, int32_t i);

/* Deterministic random subset, e.g. for calibration: writes n distinct sample
 * indices into indices_out (caller-owned array of n entries), the first n
 * positions of a Fisher-Yates shuffle driven by a splitmix64 generator seeded
 * with `seed`. Same (size, n, seed) => same indices on every platform. The
 * order is the shuffled order (not sorted). n must be 0..size. */
PTQ_API ptq_status ptq_dataset_subset(const ptq_dataset *ds, int64_t n, uint64_t seed, int64_t *indices_out);

/* ======================================================================== */
/* Images                                                                   */
/* ======================================================================== */

/* An 8-bit interleaved image: height x width x channels (HWC), channels is 1
 * (gray) or 3 (RGB order). `data` is owned by the image. */
typedef struct ptq_image {
    int height;
    int width;
    int channels;
    uint8_t *data;
} ptq_image;

/* Decode flags. */
enum {
    /* Do not apply the JPEG EXIF orientation (Pillow's Image.open behaviour;
     * cv2.imread applies it, and so does ptq by default). */
    PTQ_IMAGE_IGNORE_ORIENTATION = 1,
};

/* Allocates a zero-filled image. channels must be 1 or 3. */
PTQ_API ptq_status ptq_image_create(int height, int width, int channels, ptq_image **image_out);
PTQ_API void ptq_image_destroy(ptq_image *image);

/* Decodes an in-memory JPEG or PNG; the format is detected from the magic
 * bytes, never from a name. `name` only labels error messages (may be NULL).
 *
 * JPEG (libjpeg-turbo, accurate integer DCT, fancy upsampling, like OpenCV
 * and Pillow): gray -> 1 channel; YCbCr/RGB -> 3; CMYK/YCCK -> RGB as
 * Pillow converts it: R = (255-K) - round(C*(255-K)/255), same for G/M and
 * B/Y, where an Adobe APP14 marker means the stored values are inverted
 * (Photoshop style) and are inverted back first. EXIF orientation (APP1 "Exif", tag 0x0112, values
 * 1..8) is applied unless PTQ_IMAGE_IGNORE_ORIENTATION. libjpeg warnings on
 * slightly damaged data are tolerated (as OpenCV does), but a truncated file
 * ("premature end") is an error.
 *
 * PNG (libspng): gray, gray+alpha -> 1 channel; RGB, RGBA, palette -> 3
 * channels. Alpha and tRNS are dropped, not composited (Pillow convert("RGB"),
 * cv2 IMREAD_COLOR). 1/2/4-bit gray is scaled to 0..255. 16-bit samples keep
 * their high byte (v >> 8), which is what OpenCV (png_set_strip_16) and
 * Pillow (RGB;16B raw mode) do for 16-bit color; note that Pillow opens
 * 16-bit gray as mode "I" and clamps instead.
 *
 * Errors: BAD_FORMAT for unknown/corrupt/truncated data, UNSUPPORTED for a
 * recognised but unsupported format (BMP, WebP, ...), never a crash.
 * Thread-safe. */
PTQ_API ptq_status ptq_image_decode(const void *bytes, size_t size, const char *name, int flags,
                                    ptq_image **image_out);
/* Reads and decodes a file (IO error names the file). Thread-safe. */
PTQ_API ptq_status ptq_image_load(const char *path, int flags, ptq_image **image_out);

/* Bilinear interpolation flavour. */
typedef enum ptq_interp {
    /* Default. Bit-exact cv2.resize(..., interpolation=cv2.INTER_LINEAR) on
     * uint8: half-pixel centers, 11-bit fixed-point weights, no antialiasing. */
    PTQ_INTERP_OPENCV = 0,
    /* Bit-exact PIL Image.resize(..., Image.BILINEAR): triangle filter whose
     * support grows with the downscale factor (antialiased), 22-bit
     * fixed-point weights, horizontal pass then vertical pass with uint8
     * rounding/clipping in between (as torchvision does on PIL images). */
    PTQ_INTERP_PILLOW = 1,
} ptq_interp;

/* Resizes src to height x width (same channel count) into a new image.
 * Thread-safe. */
PTQ_API ptq_status ptq_image_resize(const ptq_image *src, int height, int width, ptq_interp interp,
                                    ptq_image **image_out);

/* ======================================================================== */
/* Preprocessing                                                            */
/* ======================================================================== */

typedef enum ptq_resize_mode {
    PTQ_RESIZE_NONE = 0,  /* keep the decoded size */
    PTQ_RESIZE_SHORT = 1, /* shorter side to resize_short, keep aspect */
    PTQ_RESIZE_EXACT = 2, /* to resize_h x resize_w */
} ptq_resize_mode;

/* How the longer side is computed for PTQ_RESIZE_SHORT. */
typedef enum ptq_short_rounding {
    /* PaddleClas ResizeImage(resize_short): w = round(w * N / min(w, h)) with
     * Python's round (half to even) on doubles, for both sides. Default. */
    PTQ_SHORT_ROUND = 0,
    /* torchvision Resize(int): long = int(N * long / short) (truncation). */
    PTQ_SHORT_TRUNC = 1,
} ptq_short_rounding;

/* How the center-crop offset is computed for an odd margin. */
typedef enum ptq_crop_rounding {
    PTQ_CROP_FLOOR = 0,     /* (H - h) // 2: PaddleClas CropImage. Default. */
    PTQ_CROP_HALF_EVEN = 1, /* int(round((H - h) / 2.0)): torchvision CenterCrop */
} ptq_crop_rounding;

typedef enum ptq_layout {
    PTQ_LAYOUT_NCHW = 0,
    PTQ_LAYOUT_NHWC = 1,
} ptq_layout;

/* Preprocessing recipe, applied in this order:
 *   decode (8-bit, gray or RGB; EXIF orientation unless ignore_orientation)
 *   -> resize (uint8 result, like cv2/PIL) -> center crop (uint8)
 *   -> gray to `channels` / RGB to gray (Pillow's L = (19595R + 38470G +
 *      7471B + 32768) >> 16) -> channel order (RGB or BGR)
 *   -> x = (pixel * scale - mean[c]) / std[c]   (float32, mean/std given in
 *      the output channel order) -> layout.
 * The result must be model_h x model_w, otherwise preprocessing fails with a
 * message explaining the size mismatch. */
typedef struct ptq_preprocess {
    int model_h, model_w;  /* model input size; presets scale to it (default 224x224) */
    int channels;          /* model input channels: 3 (default) or 1 */
    ptq_resize_mode resize;
    int resize_short;      /* PTQ_RESIZE_SHORT target */
    ptq_short_rounding short_rounding;
    int resize_h, resize_w; /* PTQ_RESIZE_EXACT target */
    int crop_h, crop_w;    /* center crop; 0x0: no crop */
    ptq_crop_rounding crop_rounding;
    ptq_interp interp;
    int bgr;               /* 1: output channel order BGR, 0: RGB */
    float scale;           /* pixel (0..255) multiplier applied first */
    float mean[3];
    float std[3];
    ptq_layout layout;
    int ignore_orientation; /* 1: do not apply JPEG EXIF orientation */
} ptq_preprocess;

/* The `none` recipe at 224x224: resize exactly to the model size with OpenCV
 * bilinear, RGB, scale 1, mean 0, std 1, NCHW. */
PTQ_API ptq_preprocess ptq_preprocess_default(void);

/* Fills *out with a named preset for a model_h x model_w input, where
 * s = round(max(H, W) * 256 / 224) (half to even; 256 for 224, 342 for 299;
 * the longer model side so that the HxW crop always fits a square image):
 *   torchvision: RGB, resize shorter side to s (Pillow bilinear, truncating
 *                long side), center crop HxW (half-even offset), scale 1/255,
 *                mean 0.485,0.456,0.406, std 0.229,0.224,0.225, EXIF ignored
 *                (PIL.Image.open does not apply it), NCHW.
 *   paddleclas:  ResNet50_vd eval: cv2 decode -> RGB, resize_short s (OpenCV
 *                bilinear, rounded), crop HxW (floor offset), scale 1/255,
 *                ImageNet mean/std, NCHW.
 *   caffe:       BGR, resize shorter side to s (OpenCV), crop HxW, scale 1,
 *                mean 103.939,116.779,123.68 (BGR), std 1, NCHW.
 *   none / raw:  resize exactly to HxW (OpenCV), RGB, scale 1, no
 *                normalization, NCHW.
 * The whole struct is overwritten (channels 3, NCHW, EXIF applied unless
 * stated). Unknown name or bad size: INVALID_ARGUMENT listing the valid
 * names; *out is unchanged then. */
PTQ_API ptq_status ptq_preprocess_preset(const char *name, int model_h, int model_w, ptq_preprocess *out);

/* Applies one command-line option to *pp, so that every CLI subcommand
 * parses them identically. `option` may be given with or without the leading
 * "--". Options (value in brackets; flags take value NULL):
 *   --resize N             shorter side to N (keeps short_rounding)
 *   --resize-exact HxW     exact size (also "N" for NxN)
 *   --crop N | HxW         center crop
 *   --scale S              S or a/b (e.g. 1/255)
 *   --mean a,b,c  --std a,b,c   (one value is broadcast; std must be > 0)
 *   --bgr  --rgb           output channel order
 *   --layout nchw|nhwc
 *   --interp opencv|pillow
 *   --preset NAME          replaces the whole recipe (except model_h,
 *                          model_w and channels, which the model decides),
 *                          scaled to pp->model_h x pp->model_w: apply it
 *                          first, then the overriding options
 * Errors: INVALID_ARGUMENT with a readable message; *pp is unchanged then. */
PTQ_API ptq_status ptq_preprocess_parse_option(ptq_preprocess *pp, const char *option, const char *value);
/* 1 when `option` (with or without "--") is one of the above, and then
 * *takes_value_out (may be NULL) says whether it needs a value. */
PTQ_API int ptq_preprocess_is_option(const char *option, int *takes_value_out);

/* Checks the recipe for impossible values (sizes, std == 0, channels). */
PTQ_API ptq_status ptq_preprocess_validate(const ptq_preprocess *pp);

/* One-line human description into buf (always NUL-terminated when size > 0).
 * Returns the length it needed (snprintf semantics). */
PTQ_API size_t ptq_preprocess_describe(const ptq_preprocess *pp, char *buf, size_t size);
/* The same recipe as a compact JSON object (keys: model_h, model_w, channels,
 * resize {mode, short, rounding, h, w}, crop {h, w, rounding}, interp,
 * channel_order, scale, mean, std, layout, exif_orientation), for reports.
 * snprintf semantics. */
PTQ_API size_t ptq_preprocess_to_json(const ptq_preprocess *pp, char *buf, size_t size);

/* Number of floats of one preprocessed image (channels * model_h * model_w). */
PTQ_API size_t ptq_preprocess_output_size(const ptq_preprocess *pp);

/* Preprocesses a decoded image into out (caller-owned, exactly
 * ptq_preprocess_output_size(pp) floats, CHW or HWC per pp->layout).
 * Errors: INVALID_ARGUMENT (crop larger than the resized image, result not
 * the model size, bad recipe). Thread-safe. */
PTQ_API ptq_status ptq_preprocess_image(const ptq_preprocess *pp, const ptq_image *image, float *out);
/* Loads a file and preprocesses it; errors name the file. Thread-safe. */
PTQ_API ptq_status ptq_preprocess_file(const ptq_preprocess *pp, const char *path, float *out);

/* ======================================================================== */
/* Batch loader                                                             */
/* ======================================================================== */

typedef struct ptq_loader ptq_loader;

/* Starts n_threads worker threads (0: one per online CPU) that decode and
 * preprocess the samples `indices[0..count)` of ds (indices NULL: all
 * samples, count ignored) ahead of the consumer into a bounded queue of
 * batches. ds must outlive the loader; indices and pp are copied.
 * skip_bad_images: an unreadable image is dropped from its batch and counted
 * instead of failing the batch. */
PTQ_API ptq_status ptq_loader_create(const ptq_dataset *ds, const int64_t *indices, int64_t count,
                                     const ptq_preprocess *pp, int batch, int n_threads,
                                     int skip_bad_images, ptq_loader **loader_out);
/* Stops and joins the workers. */
PTQ_API void ptq_loader_destroy(ptq_loader *loader);

/* Returns the next batch in the order of the indices: a new float32 tensor
 * N x C x H x W (NCHW) or N x H x W x C (NHWC) that the caller destroys, the
 * N labels in labels_out (caller array of at least `batch` entries, may be
 * NULL) and N in *n_out. Every batch has `batch` samples except the last one
 * and, with skip_bad_images, batches that lost bad images (they are
 * compacted, never padded). At the end: OK with *batch_out NULL, *n_out 0.
 * Without skip_bad_images a bad image fails the call with a message naming
 * the file; later calls return INVALID_STATE. Output is deterministic for
 * any n_threads. Not thread-safe: one consumer thread. */
PTQ_API ptq_status ptq_loader_next(ptq_loader *loader, ptq_tensor **batch_out, int32_t *labels_out,
                                   int *n_out);
/* Number of images skipped so far among the batches already returned. */
PTQ_API int64_t ptq_loader_skipped(const ptq_loader *loader);
/* Total number of samples the loader will visit. */
PTQ_API int64_t ptq_loader_count(const ptq_loader *loader);

#ifdef __cplusplus
}
#endif

#endif
