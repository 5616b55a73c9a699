/* Preprocessing pipeline (resize -> crop -> channels -> normalize -> layout),
 * named presets matching the training frameworks, and the one parser of the
 * preprocessing command-line options shared by every CLI subcommand. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/status.h"
#include "data/data_internal.h"

#define MAX_SIDE 65535 /* sizes beyond this are typos, not images */

static const float IMAGENET_MEAN[3] = {0.485f, 0.456f, 0.406f};
static const float IMAGENET_STD[3] = {0.229f, 0.224f, 0.225f};

ptq_preprocess ptq_preprocess_default(void)
{
    ptq_preprocess p;
    memset(&p, 0, sizeof p);
    p.model_h = 224;
    p.model_w = 224;
    p.channels = 3;
    p.resize = PTQ_RESIZE_EXACT;
    p.resize_h = 224;
    p.resize_w = 224;
    p.interp = PTQ_INTERP_OPENCV;
    p.scale = 1.0f;
    for (int c = 0; c < 3; c++) p.std[c] = 1.0f;
    p.layout = PTQ_LAYOUT_NCHW;
    return p;
}

/* ---- presets ------------------------------------------------------------- */

static const char *const PRESET_NAMES = "torchvision, paddleclas, caffe, none, raw";

ptq_status ptq_preprocess_preset(const char *name, int model_h, int model_w, ptq_preprocess *out)
{
    if (!name || !out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_preprocess_preset: NULL argument");
    if (model_h <= 0 || model_w <= 0 || model_h > MAX_SIDE || model_w > MAX_SIDE)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preset '%s': model input size %dx%d is invalid", name, model_h,
                         model_w);
    ptq_preprocess p = ptq_preprocess_default();
    p.model_h = model_h;
    p.model_w = model_w;
    p.resize_h = model_h;
    p.resize_w = model_w;
    /* The 256/224 ImageNet eval ratio, scaled; the longer model side is used
     * so that the crop always fits a square image on non-square models. */
    int big = model_h > model_w ? model_h : model_w;
    int s = (int)rint((double)big * 256.0 / 224.0);
    if (strcmp(name, "torchvision") == 0) {
        p.resize = PTQ_RESIZE_SHORT;
        p.resize_short = s;
        p.short_rounding = PTQ_SHORT_TRUNC;
        p.crop_h = model_h;
        p.crop_w = model_w;
        p.crop_rounding = PTQ_CROP_HALF_EVEN;
        p.interp = PTQ_INTERP_PILLOW;
        p.scale = 1.0f / 255.0f;
        memcpy(p.mean, IMAGENET_MEAN, sizeof p.mean);
        memcpy(p.std, IMAGENET_STD, sizeof p.std);
        p.ignore_orientation = 1; /* PIL.Image.open does not apply EXIF */
    } else if (strcmp(name, "paddleclas") == 0) {
        p.resize = PTQ_RESIZE_SHORT;
        p.resize_short = s;
        p.short_rounding = PTQ_SHORT_ROUND;
        p.crop_h = model_h;
        p.crop_w = model_w;
        p.crop_rounding = PTQ_CROP_FLOOR;
        p.interp = PTQ_INTERP_OPENCV;
        p.scale = 1.0f / 255.0f;
        memcpy(p.mean, IMAGENET_MEAN, sizeof p.mean);
        memcpy(p.std, IMAGENET_STD, sizeof p.std);
    } else if (strcmp(name, "caffe") == 0) {
        p.resize = PTQ_RESIZE_SHORT;
        p.resize_short = s;
        p.crop_h = model_h;
        p.crop_w = model_w;
        p.bgr = 1;
        p.mean[0] = 103.939f;
        p.mean[1] = 116.779f;
        p.mean[2] = 123.68f;
    } else if (strcmp(name, "none") == 0 || strcmp(name, "raw") == 0) {
        /* the defaults: exact resize to the model size, no normalization */
    } else {
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "unknown preprocessing preset '%s' (valid: %s)", name,
                         PRESET_NAMES);
    }
    *out = p;
    return PTQ_STATUS_OK;
}

/* ---- option parsing ------------------------------------------------------ */

static ptq_status parse_int(const char *opt, const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno || v <= 0 || v > MAX_SIDE || isspace((unsigned char)*s))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--%s: '%s' is not a size in 1..%d", opt, s, MAX_SIDE);
    *out = (int)v;
    return PTQ_STATUS_OK;
}

/* "HxW" or "N" (square). */
static ptq_status parse_hw(const char *opt, const char *s, int *h, int *w)
{
    const char *x = strpbrk(s, "xX");
    if (!x) {
        ptq_status st = parse_int(opt, s, h);
        if (!st) *w = *h;
        return st;
    }
    char buf[32];
    size_t n = (size_t)(x - s);
    if (n == 0 || n >= sizeof buf)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--%s: '%s' is not HxW (e.g. 224x224)", opt, s);
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (parse_int(opt, buf, h) || parse_int(opt, x + 1, w))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--%s: '%s' is not HxW (e.g. 224x224)", opt, s);
    return PTQ_STATUS_OK;
}

static int parse_finite(const char *s, float *out)
{
    char *end;
    errno = 0;
    if (*s == '\0' || isspace((unsigned char)*s)) return 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || fabs(v) > 3.0e38) return 0;
    while (isspace((unsigned char)*end)) end++;
    if (*end != '\0') return 0;
    *out = (float)v;
    return 1;
}

/* "S" or "a/b". */
static ptq_status parse_scale(const char *s, float *out)
{
    const char *slash = strchr(s, '/');
    float v, num, den;
    char buf[64];
    if (!slash) {
        if (!parse_finite(s, &v) || v == 0.0f) goto bad;
        *out = v;
        return PTQ_STATUS_OK;
    }
    if ((size_t)(slash - s) >= sizeof buf) goto bad;
    memcpy(buf, s, (size_t)(slash - s));
    buf[slash - s] = '\0';
    if (!parse_finite(buf, &num) || !parse_finite(slash + 1, &den) || den == 0.0f || num == 0.0f) goto bad;
    *out = (float)((double)num / (double)den);
    return PTQ_STATUS_OK;
bad:
    return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--scale: '%s' is not a non-zero number or fraction (e.g. 1/255)", s);
}

/* "a,b,c" or a single value broadcast to 3. */
static ptq_status parse_triple(const char *opt, const char *s, int positive, float out[3])
{
    float v[3];
    int n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char buf[64];
        if (n == 3 || len == 0 || len >= sizeof buf) goto bad;
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (!parse_finite(buf, &v[n])) goto bad;
        if (positive && !(v[n] > 0.0f)) goto bad;
        n++;
        if (!comma) break;
        p = comma + 1;
    }
    if (n != 1 && n != 3) goto bad;
    for (int c = 0; c < 3; c++) out[c] = v[n == 1 ? 0 : c];
    return PTQ_STATUS_OK;
bad:
    return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--%s: '%s' is not 1 or 3 comma-separated %snumbers (e.g. %s)", opt, s,
                     positive ? "positive " : "", positive ? "0.229,0.224,0.225" : "0.485,0.456,0.406");
}

static const struct {
    const char *name;
    int takes_value;
} OPTIONS[] = {
    {"resize", 1}, {"resize-exact", 1}, {"crop", 1}, {"scale", 1}, {"mean", 1}, {"std", 1},
    {"bgr", 0},    {"rgb", 0},          {"layout", 1}, {"interp", 1}, {"preset", 1},
};

static const char *strip_dashes(const char *o) { return strncmp(o, "--", 2) == 0 ? o + 2 : o; }

int ptq_preprocess_is_option(const char *option, int *takes_value_out)
{
    if (!option) return 0;
    const char *o = strip_dashes(option);
    for (size_t i = 0; i < sizeof OPTIONS / sizeof OPTIONS[0]; i++) {
        if (strcmp(o, OPTIONS[i].name) == 0) {
            if (takes_value_out) *takes_value_out = OPTIONS[i].takes_value;
            return 1;
        }
    }
    return 0;
}

ptq_status ptq_preprocess_parse_option(ptq_preprocess *pp, const char *option, const char *value)
{
    if (!pp || !option) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_preprocess_parse_option: NULL argument");
    const char *o = strip_dashes(option);
    int takes_value;
    if (!ptq_preprocess_is_option(o, &takes_value))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT,
                         "unknown preprocessing option '--%s' (valid: --resize N, --resize-exact HxW, --crop N|HxW, "
                         "--scale S, --mean a,b,c, --std a,b,c, --bgr, --rgb, --layout nchw|nhwc, "
                         "--interp opencv|pillow, --preset NAME)", o);
    if (takes_value && (!value || !*value))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--%s needs a value", o);
    if (!takes_value && value && *value)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--%s takes no value (got '%s')", o, value);

    ptq_preprocess p = *pp; /* work on a copy: *pp stays unchanged on error */
    ptq_status st = PTQ_STATUS_OK;
    if (strcmp(o, "resize") == 0) {
        if (!(st = parse_int(o, value, &p.resize_short))) p.resize = PTQ_RESIZE_SHORT;
    } else if (strcmp(o, "resize-exact") == 0) {
        if (!(st = parse_hw(o, value, &p.resize_h, &p.resize_w))) p.resize = PTQ_RESIZE_EXACT;
    } else if (strcmp(o, "crop") == 0) {
        st = parse_hw(o, value, &p.crop_h, &p.crop_w);
    } else if (strcmp(o, "scale") == 0) {
        st = parse_scale(value, &p.scale);
    } else if (strcmp(o, "mean") == 0) {
        st = parse_triple(o, value, 0, p.mean);
    } else if (strcmp(o, "std") == 0) {
        st = parse_triple(o, value, 1, p.std);
    } else if (strcmp(o, "bgr") == 0 || strcmp(o, "rgb") == 0) {
        p.bgr = o[0] == 'b';
    } else if (strcmp(o, "layout") == 0) {
        if (strcasecmp(value, "nchw") == 0) p.layout = PTQ_LAYOUT_NCHW;
        else if (strcasecmp(value, "nhwc") == 0) p.layout = PTQ_LAYOUT_NHWC;
        else st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--layout: '%s' is not nchw or nhwc", value);
    } else if (strcmp(o, "interp") == 0) {
        if (strcasecmp(value, "opencv") == 0 || strcasecmp(value, "cv2") == 0) p.interp = PTQ_INTERP_OPENCV;
        else if (strcasecmp(value, "pillow") == 0 || strcasecmp(value, "pil") == 0) p.interp = PTQ_INTERP_PILLOW;
        else st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "--interp: '%s' is not opencv or pillow", value);
    } else { /* preset */
        int ch = p.channels;
        st = ptq_preprocess_preset(value, p.model_h, p.model_w, &p);
        p.channels = ch; /* the model decides, not the preset */
    }
    if (st) return st;
    *pp = p;
    return PTQ_STATUS_OK;
}

/* ---- validation, description -------------------------------------------- */

ptq_status ptq_preprocess_validate(const ptq_preprocess *pp)
{
    if (!pp) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: NULL recipe");
    if (pp->model_h <= 0 || pp->model_w <= 0 || pp->model_h > MAX_SIDE || pp->model_w > MAX_SIDE)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: model input size %dx%d is invalid", pp->model_h,
                         pp->model_w);
    if (pp->channels != 1 && pp->channels != 3)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "preprocess: model input has %d channels (1 or 3 supported)",
                         pp->channels);
    switch (pp->resize) {
    case PTQ_RESIZE_NONE: break;
    case PTQ_RESIZE_SHORT:
        if (pp->resize_short <= 0 || pp->resize_short > MAX_SIDE)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: resize %d is invalid", pp->resize_short);
        if (pp->short_rounding != PTQ_SHORT_ROUND && pp->short_rounding != PTQ_SHORT_TRUNC)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: unknown resize rounding");
        break;
    case PTQ_RESIZE_EXACT:
        if (pp->resize_h <= 0 || pp->resize_w <= 0 || pp->resize_h > MAX_SIDE || pp->resize_w > MAX_SIDE)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: resize %dx%d is invalid", pp->resize_h,
                             pp->resize_w);
        break;
    default: return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: unknown resize mode %d", (int)pp->resize);
    }
    if (pp->crop_h < 0 || pp->crop_w < 0 || (pp->crop_h == 0) != (pp->crop_w == 0) || pp->crop_h > MAX_SIDE ||
        pp->crop_w > MAX_SIDE)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: crop %dx%d is invalid", pp->crop_h, pp->crop_w);
    if (pp->crop_rounding != PTQ_CROP_FLOOR && pp->crop_rounding != PTQ_CROP_HALF_EVEN)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: unknown crop rounding");
    if (pp->interp != PTQ_INTERP_OPENCV && pp->interp != PTQ_INTERP_PILLOW)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: unknown interpolation %d", (int)pp->interp);
    if (pp->layout != PTQ_LAYOUT_NCHW && pp->layout != PTQ_LAYOUT_NHWC)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: unknown layout %d", (int)pp->layout);
    if (!isfinite(pp->scale) || pp->scale == 0.0f)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: scale %g is invalid", (double)pp->scale);
    for (int c = 0; c < 3; c++) {
        if (!isfinite(pp->mean[c]) || !isfinite(pp->std[c]) || !(pp->std[c] > 0.0f))
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "preprocess: mean %g / std %g of channel %d is invalid",
                             (double)pp->mean[c], (double)pp->std[c], c);
    }
    return PTQ_STATUS_OK;
}

static const char *interp_name(ptq_interp i) { return i == PTQ_INTERP_PILLOW ? "pillow" : "opencv"; }
static const char *layout_name(ptq_layout l) { return l == PTQ_LAYOUT_NHWC ? "NHWC" : "NCHW"; }
static const char *short_rounding_name(ptq_short_rounding r) { return r == PTQ_SHORT_TRUNC ? "trunc" : "round"; }
static const char *crop_rounding_name(ptq_crop_rounding r) { return r == PTQ_CROP_HALF_EVEN ? "half_even" : "floor"; }

/* snprintf-style appender that tracks the needed length past a full buffer. */
typedef struct sbuf {
    char *buf;
    size_t size, len;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->len < b->size ? b->size - b->len : 0;
    int n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) b->len += (size_t)n;
}

size_t ptq_preprocess_describe(const ptq_preprocess *pp, char *buf, size_t size)
{
    sbuf b = {buf, buf ? size : 0, 0};
    if (b.size) buf[0] = '\0';
    if (!pp) return 0;
    switch (pp->resize) {
    case PTQ_RESIZE_SHORT:
        sb_printf(&b, "resize shorter side to %d (%s, %s bilinear)", pp->resize_short,
                  short_rounding_name(pp->short_rounding), interp_name(pp->interp));
        break;
    case PTQ_RESIZE_EXACT:
        sb_printf(&b, "resize to %dx%d (%s bilinear)", pp->resize_h, pp->resize_w, interp_name(pp->interp));
        break;
    default: sb_printf(&b, "no resize"); break;
    }
    if (pp->crop_h > 0)
        sb_printf(&b, ", center crop %dx%d (%s)", pp->crop_h, pp->crop_w, crop_rounding_name(pp->crop_rounding));
    sb_printf(&b, ", %s, x*%.6g", pp->channels == 1 ? "gray" : pp->bgr ? "BGR" : "RGB", (double)pp->scale);
    sb_printf(&b, ", mean [%.6g,%.6g,%.6g], std [%.6g,%.6g,%.6g]", (double)pp->mean[0], (double)pp->mean[1],
              (double)pp->mean[2], (double)pp->std[0], (double)pp->std[1], (double)pp->std[2]);
    sb_printf(&b, ", %s %dx%dx%d%s", layout_name(pp->layout), pp->channels, pp->model_h, pp->model_w,
              pp->ignore_orientation ? ", EXIF orientation ignored" : "");
    return b.len;
}

size_t ptq_preprocess_to_json(const ptq_preprocess *pp, char *buf, size_t size)
{
    sbuf b = {buf, buf ? size : 0, 0};
    if (b.size) buf[0] = '\0';
    if (!pp) return 0;
    sb_printf(&b, "{\"model_h\":%d,\"model_w\":%d,\"channels\":%d,", pp->model_h, pp->model_w, pp->channels);
    switch (pp->resize) {
    case PTQ_RESIZE_SHORT:
        sb_printf(&b, "\"resize\":{\"mode\":\"short\",\"short\":%d,\"rounding\":\"%s\"},", pp->resize_short,
                  short_rounding_name(pp->short_rounding));
        break;
    case PTQ_RESIZE_EXACT:
        sb_printf(&b, "\"resize\":{\"mode\":\"exact\",\"h\":%d,\"w\":%d},", pp->resize_h, pp->resize_w);
        break;
    default: sb_printf(&b, "\"resize\":{\"mode\":\"none\"},"); break;
    }
    if (pp->crop_h > 0)
        sb_printf(&b, "\"crop\":{\"h\":%d,\"w\":%d,\"rounding\":\"%s\"},", pp->crop_h, pp->crop_w,
                  crop_rounding_name(pp->crop_rounding));
    else
        sb_printf(&b, "\"crop\":null,");
    /* %.9g round-trips a float; validated recipes hold no NaN/Inf */
    sb_printf(&b, "\"interp\":\"%s\",\"channel_order\":\"%s\",\"scale\":%.9g,", interp_name(pp->interp),
              pp->bgr ? "BGR" : "RGB", (double)pp->scale);
    sb_printf(&b, "\"mean\":[%.9g,%.9g,%.9g],\"std\":[%.9g,%.9g,%.9g],", (double)pp->mean[0], (double)pp->mean[1],
              (double)pp->mean[2], (double)pp->std[0], (double)pp->std[1], (double)pp->std[2]);
    sb_printf(&b, "\"layout\":\"%s\",\"exif_orientation\":%s}", layout_name(pp->layout),
              pp->ignore_orientation ? "false" : "true");
    return b.len;
}

size_t ptq_preprocess_output_size(const ptq_preprocess *pp)
{
    if (!pp || pp->model_h <= 0 || pp->model_w <= 0 || pp->channels <= 0) return 0;
    return (size_t)pp->channels * (size_t)pp->model_h * (size_t)pp->model_w;
}

/* ---- the pipeline -------------------------------------------------------- */

/* Target size of the resize step for an h x w image. */
static void resized_size(const ptq_preprocess *pp, int h, int w, int *rh, int *rw)
{
    *rh = h;
    *rw = w;
    if (pp->resize == PTQ_RESIZE_EXACT) {
        *rh = pp->resize_h;
        *rw = pp->resize_w;
    } else if (pp->resize == PTQ_RESIZE_SHORT) {
        const int n = pp->resize_short;
        if (pp->short_rounding == PTQ_SHORT_ROUND) {
            /* PaddleClas: percent = N / min(w, h); round(w * percent) with
             * Python's round (half to even) == rint in the default mode. */
            double percent = (double)n / (double)(w < h ? w : h);
            *rw = (int)rint((double)w * percent);
            *rh = (int)rint((double)h * percent);
        } else if (w <= h) {
            /* torchvision: int(N * long / short) */
            *rw = n;
            *rh = (int)((double)n * (double)h / (double)w);
        } else {
            *rh = n;
            *rw = (int)((double)n * (double)w / (double)h);
        }
        if (*rh < 1) *rh = 1;
        if (*rw < 1) *rw = 1;
    }
}

static int crop_offset(ptq_crop_rounding r, int outer, int inner)
{
    if (r == PTQ_CROP_HALF_EVEN) return (int)rint((double)(outer - inner) / 2.0); /* Python round() */
    return (outer - inner) / 2;
}

ptq_status ptq_preprocess_image(const ptq_preprocess *pp, const ptq_image *image, float *out)
{
    ptq_status st = PTQ_STATUS_OK;
    ptq_image *resized = NULL;
    if (!image || !out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_preprocess_image: NULL argument");
    if ((st = ptq_preprocess_validate(pp))) return st;
    if (!image->data || image->height <= 0 || image->width <= 0 || (image->channels != 1 && image->channels != 3))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_preprocess_image: invalid image");

    int rh, rw;
    resized_size(pp, image->height, image->width, &rh, &rw);
    const ptq_image *im = image;
    if (rh != image->height || rw != image->width) {
        if ((st = ptq_image_resize(image, rh, rw, pp->interp, &resized))) goto cleanup;
        im = resized;
    }
    int y0 = 0, x0 = 0, oh = im->height, ow = im->width;
    if (pp->crop_h > 0) {
        if (pp->crop_h > im->height || pp->crop_w > im->width) {
            st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT,
                           "center crop %dx%d is larger than the resized image %dx%d (image %dx%d); "
                           "resize to at least the crop size",
                           pp->crop_h, pp->crop_w, im->height, im->width, image->height, image->width);
            goto cleanup;
        }
        y0 = crop_offset(pp->crop_rounding, im->height, pp->crop_h);
        x0 = crop_offset(pp->crop_rounding, im->width, pp->crop_w);
        oh = pp->crop_h;
        ow = pp->crop_w;
    }
    if (oh != pp->model_h || ow != pp->model_w) {
        st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT,
                       "preprocessed image is %dx%d but the model input is %dx%d (image %dx%d); "
                       "set --crop %dx%d or --resize-exact %dx%d",
                       oh, ow, pp->model_h, pp->model_w, image->height, image->width, pp->model_h, pp->model_w,
                       pp->model_h, pp->model_w);
        goto cleanup;
    }

    /* Per output channel: source channel and affine constants. Computing
     * (v * scale - mean) / std in float32 in that order matches the NumPy
     * float32 code of PaddleClas exactly (torchvision divides by 255 instead
     * of multiplying by 1/255: at most 1 ulp apart). */
    const int C = pp->channels, SC = im->channels;
    int src_c[3];
    for (int c = 0; c < C; c++) src_c[c] = SC == 1 ? 0 : (pp->bgr ? 2 - c : c);
    const size_t plane = (size_t)oh * (size_t)ow;
    for (int y = 0; y < oh; y++) {
        const uint8_t *row = im->data + ((size_t)(y + y0) * im->width + (size_t)x0) * SC;
        for (int x = 0; x < ow; x++) {
            const uint8_t *px = row + (size_t)x * SC;
            size_t pix = (size_t)y * ow + (size_t)x;
            for (int c = 0; c < C; c++) {
                float v;
                if (C == 1 && SC == 3) /* Pillow's ITU-R 601-2 luma, L mode */
                    v = (float)(((unsigned)px[0] * 19595u + (unsigned)px[1] * 38470u + (unsigned)px[2] * 7471u +
                                 0x8000u) >> 16);
                else
                    v = (float)px[src_c[c]];
                v = (v * pp->scale - pp->mean[c]) / pp->std[c];
                if (pp->layout == PTQ_LAYOUT_NCHW) out[(size_t)c * plane + pix] = v;
                else out[pix * (size_t)C + (size_t)c] = v;
            }
        }
    }
cleanup:
    ptq_image_destroy(resized);
    return st;
}

ptq_status ptq_preprocess_file(const ptq_preprocess *pp, const char *path, float *out)
{
    if (!pp || !path || !out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_preprocess_file: NULL argument");
    ptq_image *im = NULL;
    ptq_status st = ptq_image_load(path, pp->ignore_orientation ? PTQ_IMAGE_IGNORE_ORIENTATION : 0, &im);
    if (st) return st;
    st = ptq_preprocess_image(pp, im, out);
    ptq_image_destroy(im);
    if (st && !strstr(ptq_last_error(), path)) ptq__fail_context(st, "%s", path);
    return st;
}
