/* Image decoding: JPEG (TurboJPEG API) and PNG (libspng) into 8-bit HWC.
 *
 * JPEG layout used here: SOI (FF D8), then marker segments FF xx with a
 * big-endian 16-bit length that counts itself, up to SOS (FF DA). APP1
 * segments starting "Exif\0\0" hold a TIFF structure (byte order "II"/"MM",
 * 42, offset of IFD0; IFD = u16 count + 12-byte entries tag/type/count/value)
 * whose tag 0x0112 is the orientation. An APP14 segment starting "Adobe"
 * marks Photoshop-style inverted CMYK. */
#include <limits.h>
#include <spng.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "core/status.h"
#include "data/data_internal.h"

/* Larger images are rejected before allocating (a forged header must not make
 * us allocate gigabytes): 2^28 pixels is far beyond any classification input. */
#define MAX_PIXELS ((uint64_t)1 << 28)
#define MAX_FILE_BYTES ((size_t)1 << 30)

ptq_status ptq_image_create(int height, int width, int channels, ptq_image **image_out)
{
    if (!image_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_image_create: image_out is NULL");
    *image_out = NULL;
    if (height <= 0 || width <= 0 || (channels != 1 && channels != 3))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "image %dx%dx%d: sizes must be positive and channels 1 or 3",
                         height, width, channels);
    if ((uint64_t)height * (uint64_t)width > MAX_PIXELS)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "image %dx%d is too large (limit %llu pixels)", height, width,
                         (unsigned long long)MAX_PIXELS);
    ptq_image *im = calloc(1, sizeof *im);
    if (!im) return ptq__oom();
    im->data = calloc((size_t)height * (size_t)width, (size_t)channels);
    if (!im->data) {
        free(im);
        return ptq__oom();
    }
    im->height = height;
    im->width = width;
    im->channels = channels;
    *image_out = im;
    return PTQ_STATUS_OK;
}

void ptq_image_destroy(ptq_image *image)
{
    if (!image) return;
    free(image->data);
    free(image);
}

/* ---- JPEG marker scan ---------------------------------------------------- */

static unsigned rd16(const uint8_t *p, int le) { return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | p[1]; }
static uint32_t rd32(const uint8_t *p, int le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Orientation from a TIFF block (APP1 payload after "Exif\0\0"); 1 when
 * absent or invalid. Every offset is bounds-checked against len. */
static int exif_orientation(const uint8_t *t, size_t len)
{
    if (len < 8) return 1;
    int le;
    if (t[0] == 'I' && t[1] == 'I') le = 1;
    else if (t[0] == 'M' && t[1] == 'M') le = 0;
    else return 1;
    if (rd16(t + 2, le) != 42) return 1;
    uint32_t ifd = rd32(t + 4, le);
    if (ifd > len || len - ifd < 2) return 1;
    unsigned n = rd16(t + ifd, le);
    for (unsigned i = 0; i < n; i++) {
        size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        if (e + 12 > len) return 1;
        if (rd16(t + e, le) != 0x0112) continue;
        unsigned type = rd16(t + e + 2, le);
        unsigned v = type == 3 ? rd16(t + e + 8, le) : type == 4 ? (unsigned)rd32(t + e + 8, le) : 0;
        return (v >= 1 && v <= 8) ? (int)v : 1;
    }
    return 1;
}

/* Walks the JPEG header segments up to SOS. */
static void jpeg_scan_markers(const uint8_t *b, size_t size, int *orientation, int *adobe)
{
    *orientation = 1;
    *adobe = 0;
    size_t pos = 2;
    int seen_exif = 0;
    while (pos + 4 <= size) {
        if (b[pos] != 0xFF) return;
        while (pos < size && b[pos] == 0xFF) pos++; /* fill bytes */
        if (pos + 3 > size) return;
        uint8_t m = b[pos++];
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue; /* no payload */
        if (m == 0xDA || m == 0xD9) return;
        size_t seg = rd16(b + pos, 0);
        if (seg < 2 || seg > size - pos) return;
        const uint8_t *p = b + pos + 2;
        size_t plen = seg - 2;
        if (m == 0xE1 && !seen_exif && plen >= 6 && memcmp(p, "Exif\0\0", 6) == 0) {
            *orientation = exif_orientation(p + 6, plen - 6);
            seen_exif = 1; /* the first Exif block wins, as in libexif/OpenCV */
        } else if (m == 0xEE && plen >= 5 && memcmp(p, "Adobe", 5) == 0) {
            *adobe = 1;
        }
        pos += seg;
    }
}

/* ---- orientation --------------------------------------------------------- */

/* Returns a new image displaying `src` upright for EXIF orientation o. */
static ptq_status apply_orientation(const ptq_image *src, int o, ptq_image **out)
{
    int H = src->height, W = src->width, C = src->channels;
    int transposed = o >= 5;
    ptq_image *dst = NULL;
    ptq_status st = ptq_image_create(transposed ? W : H, transposed ? H : W, C, &dst);
    if (st) return st;
    for (int y = 0; y < dst->height; y++) {
        for (int x = 0; x < dst->width; x++) {
            int sy, sx;
            switch (o) {
            case 2: sy = y; sx = W - 1 - x; break;         /* mirror horizontal */
            case 3: sy = H - 1 - y; sx = W - 1 - x; break; /* rotate 180 */
            case 4: sy = H - 1 - y; sx = x; break;         /* mirror vertical */
            case 5: sy = x; sx = y; break;                 /* transpose */
            case 6: sy = H - 1 - x; sx = y; break;         /* rotate 90 clockwise */
            case 7: sy = H - 1 - x; sx = W - 1 - y; break; /* transverse */
            case 8: sy = x; sx = W - 1 - y; break;         /* rotate 90 counter-clockwise */
            default: sy = y; sx = x; break;
            }
            memcpy(dst->data + ((size_t)y * dst->width + x) * C, src->data + ((size_t)sy * W + sx) * C, (size_t)C);
        }
    }
    *out = dst;
    return PTQ_STATUS_OK;
}

/* ---- JPEG ---------------------------------------------------------------- */

/* round(a * b / 255) for a, b in 0..255, exact in integers. */
static unsigned muldiv255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

static ptq_status decode_jpeg(const uint8_t *bytes, size_t size, const char *name, int flags, ptq_image **out)
{
    ptq_status st = PTQ_STATUS_OK;
    tjhandle tj = NULL;
    ptq_image *im = NULL, *rot = NULL;
    uint8_t *cmyk = NULL;
    int w = 0, h = 0, subsamp = 0, cs = 0;
    int orientation, adobe;

    if (size > ULONG_MAX) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: JPEG too large", name);
    jpeg_scan_markers(bytes, size, &orientation, &adobe);
    tj = tjInitDecompress();
    if (!tj) return ptq__fail(PTQ_STATUS_OUT_OF_MEMORY, "%s: cannot create JPEG decoder", name);
    if (tjDecompressHeader3(tj, bytes, (unsigned long)size, &w, &h, &subsamp, &cs) != 0) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: corrupt JPEG header: %s", name, tjGetErrorStr2(tj));
        goto cleanup;
    }
    if (w <= 0 || h <= 0 || (uint64_t)w * (uint64_t)h > MAX_PIXELS) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: JPEG size %dx%d is invalid or too large", name, w, h);
        goto cleanup;
    }
    int is_cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;
    int channels = cs == TJCS_GRAY ? 1 : 3;
    if ((st = ptq_image_create(h, w, channels, &im))) goto cleanup;
    int pf = cs == TJCS_GRAY ? TJPF_GRAY : is_cmyk ? TJPF_CMYK : TJPF_RGB;
    uint8_t *dst = im->data;
    if (is_cmyk) {
        cmyk = malloc((size_t)w * (size_t)h * 4);
        if (!cmyk) {
            st = ptq__oom();
            goto cleanup;
        }
        dst = cmyk;
    }
    /* Default flags = accurate integer IDCT + fancy upsampling, the libjpeg
     * defaults OpenCV and Pillow use, so pixels match them exactly.
     * LIMITSCANS rejects pathological progressive files (decode DoS). */
    if (tjDecompress2(tj, bytes, (unsigned long)size, dst, w, 0, h, pf, TJFLAG_LIMITSCANS) != 0) {
        const char *msg = tjGetErrorStr2(tj);
        /* Warnings (e.g. extraneous bytes before a marker, seen in real
         * ImageNet files) leave a complete image; OpenCV accepts them.
         * A premature end means the file is truncated: reject it. */
        if (tjGetErrorCode(tj) == TJERR_FATAL || strstr(msg, "Premature end") != NULL) {
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: corrupt or truncated JPEG: %s", name, msg);
            goto cleanup;
        }
    }
    if (is_cmyk) {
        size_t n = (size_t)w * (size_t)h;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *p = cmyk + i * 4;
            /* Adobe files store inverted CMYK; normalize to true ink values. */
            unsigned c = p[0], m = p[1], y = p[2], k = p[3];
            if (adobe) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
            unsigned nk = 255 - k;
            im->data[i * 3 + 0] = (uint8_t)(nk - muldiv255(c, nk));
            im->data[i * 3 + 1] = (uint8_t)(nk - muldiv255(m, nk));
            im->data[i * 3 + 2] = (uint8_t)(nk - muldiv255(y, nk));
        }
    }
    if (orientation != 1 && !(flags & PTQ_IMAGE_IGNORE_ORIENTATION)) {
        if ((st = apply_orientation(im, orientation, &rot))) goto cleanup;
        ptq_image_destroy(im);
        im = rot;
        rot = NULL;
    }
    *out = im;
    im = NULL;
cleanup:
    free(cmyk);
    ptq_image_destroy(rot);
    ptq_image_destroy(im);
    if (tj) tjDestroy(tj);
    return st;
}

/* ---- PNG ----------------------------------------------------------------- */

static ptq_status decode_png(const uint8_t *bytes, size_t size, const char *name, ptq_image **out)
{
    ptq_status st = PTQ_STATUS_OK;
    spng_ctx *ctx = NULL;
    uint8_t *buf = NULL;
    ptq_image *im = NULL;
    struct spng_ihdr ihdr;
    int rc;

    ctx = spng_ctx_new(0);
    if (!ctx) return ptq__fail(PTQ_STATUS_OUT_OF_MEMORY, "%s: cannot create PNG decoder", name);
    /* Bound ancillary chunk memory; image size is bounded below. */
    spng_set_chunk_limits(ctx, 1u << 26, 1u << 26);
    if ((rc = spng_set_png_buffer(ctx, bytes, size)) != 0 || (rc = spng_get_ihdr(ctx, &ihdr)) != 0) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: corrupt PNG header: %s", name, spng_strerror(rc));
        goto cleanup;
    }
    if (ihdr.width == 0 || ihdr.height == 0 || (uint64_t)ihdr.width * ihdr.height > MAX_PIXELS) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: PNG size %ux%u is invalid or too large", name, ihdr.width, ihdr.height);
        goto cleanup;
    }
    int gray = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE || ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA;
    int deep = ihdr.bit_depth == 16;
    int fmt, src_c; /* decoded format and its channel count */
    /* spng's G8/GA8/GA16 only accept color type 0; gray+alpha (8 or 16 bit)
     * is taken in its native layout (SPNG_FMT_PNG, host-endian). */
    if (ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA) fmt = SPNG_FMT_PNG, src_c = 2;
    else if (gray && deep) fmt = SPNG_FMT_GA16, src_c = 2;
    else if (gray) fmt = SPNG_FMT_G8, src_c = 1;
    else if (deep) fmt = SPNG_FMT_RGBA16, src_c = 4;
    else fmt = SPNG_FMT_RGB8, src_c = 3;
    size_t len;
    if ((rc = spng_decoded_image_size(ctx, fmt, &len)) != 0) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: unsupported PNG (color type %u, depth %u): %s", name,
                       ihdr.color_type, ihdr.bit_depth, spng_strerror(rc));
        goto cleanup;
    }
    size_t npix = (size_t)ihdr.width * ihdr.height;
    if (len != npix * (size_t)src_c * (deep ? 2 : 1)) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: unexpected PNG decode size", name);
        goto cleanup;
    }
    buf = malloc(len);
    if (!buf) {
        st = ptq__oom();
        goto cleanup;
    }
    /* flags 0: no tRNS keying, no gamma: raw samples, like cv2/Pillow. */
    if ((rc = spng_decode_image(ctx, buf, len, fmt, 0)) != 0) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: corrupt or truncated PNG: %s", name, spng_strerror(rc));
        goto cleanup;
    }
    int channels = gray ? 1 : 3;
    if ((st = ptq_image_create((int)ihdr.height, (int)ihdr.width, channels, &im))) goto cleanup;
    for (size_t i = 0; i < npix; i++) {
        for (int c = 0; c < channels; c++) {
            size_t s = i * (size_t)src_c + (size_t)c;
            if (deep) {
                uint16_t v;
                memcpy(&v, buf + s * 2, 2); /* host-endian */
                im->data[i * channels + c] = (uint8_t)(v >> 8);
            } else {
                im->data[i * channels + c] = buf[s];
            }
        }
    }
    *out = im;
    im = NULL;
cleanup:
    ptq_image_destroy(im);
    free(buf);
    spng_ctx_free(ctx);
    return st;
}

/* ---- entry points -------------------------------------------------------- */

ptq_status ptq_image_decode(const void *bytes, size_t size, const char *name, int flags, ptq_image **image_out)
{
    if (!image_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_image_decode: image_out is NULL");
    *image_out = NULL;
    if (!name) name = "<memory>";
    if (!bytes && size) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "%s: NULL image bytes", name);
    const uint8_t *b = bytes;
    if (size >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return decode_jpeg(b, size, name, flags, image_out);
    if (size >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return decode_png(b, size, name, image_out);
    const char *other = NULL;
    if (size >= 2 && b[0] == 'B' && b[1] == 'M') other = "BMP";
    else if (size >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0)) other = "GIF";
    else if (size >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) other = "WebP";
    else if (size >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0)) other = "TIFF";
    if (other) return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: %s images are not supported (JPEG and PNG are)", name, other);
    if (size == 0) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: empty file", name);
    return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: not a JPEG or PNG image (unknown magic bytes)", name);
}

ptq_status ptq_image_load(const char *path, int flags, ptq_image **image_out)
{
    if (!image_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_image_load: image_out is NULL");
    *image_out = NULL;
    if (!path) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_image_load: path is NULL");
    char *bytes = NULL;
    size_t size = 0;
    ptq_status st = ptq__read_file(path, MAX_FILE_BYTES, &bytes, &size);
    if (st) return st;
    st = ptq_image_decode(bytes, size, path, flags, image_out);
    free(bytes);
    return st;
}
