/* Accuracy Checker YAML configs, read with libyaml's document API.
 *
 * Format (OpenVINO open_model_zoo tools/accuracy_checker): a mapping with
 * `models`, a list of entries {name, launchers: [{framework, model, adapter,
 * ...}], datasets: [{name, data_source, annotation_conversion: {converter:
 * imagenet, annotation_file, labels_file, has_background}, reader,
 * preprocessing: [{type: resize|crop|normalization|bgr_to_rgb|rgb_to_bgr,
 * ...}], metrics: [{type: accuracy, top_k}]}]}; older files put `launchers`
 * and `datasets` at the top level. AC reads images with OpenCV (BGR) unless
 * `reader: pillow_imread` (RGB); normalization works on 0..255 pixels in the
 * channel order current at that step. ptq takes the first model, launcher
 * and dataset; unknown keys produce warnings, never silence. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "config/ac_yaml.h"
#include "core/file_util.h"
#include "core/status.h"

typedef struct parse_ctx {
    yaml_document_t doc;
    const char *path;
    char *dir; /* directory of the YAML file, with a trailing '/' or "" */
    ptq_ac_config *cfg;
} parse_ctx;

static int warn(parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int warn(parse_ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **w = realloc(c->cfg->warnings, (size_t)(c->cfg->n_warnings + 1) * sizeof *w);
    if (!w) return -1;
    c->cfg->warnings = w;
    if (!(w[c->cfg->n_warnings] = strdup(buf))) return -1;
    c->cfg->n_warnings++;
    return 0;
}

static int line_of(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

static ptq_status bad(parse_ctx *c, const yaml_node_t *n, const char *what)
{
    return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: %s", c->path, line_of(n), what);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *node(parse_ctx *c, int id) { return yaml_document_get_node(&c->doc, id); }

/* Iterates the pairs of a mapping. */
#define FOR_PAIRS(c, map, k, v)                                                                            \
    for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start; p_ < (map)->data.mapping.pairs.top; p_++) \
        for (yaml_node_t *k = node(c, p_->key), *v = node(c, p_->value); k; k = NULL)

static yaml_node_t *get(parse_ctx *c, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    FOR_PAIRS(c, map, k, v)
    if (scalar(k) && strcmp(scalar(k), key) == 0) return v;
    return NULL;
}

static yaml_node_t *first_item(parse_ctx *c, yaml_node_t *seq)
{
    if (!seq || seq->type != YAML_SEQUENCE_NODE || seq->data.sequence.items.start == seq->data.sequence.items.top)
        return NULL;
    return node(c, *seq->data.sequence.items.start);
}

/* Warns about keys of `map` not in `known` (NULL-terminated, at most 64)
 * and about the ones in `ignored` (read but without effect in ptq). A known
 * key given twice is an error: AC (PyYAML) takes the last value, get() the
 * first. */
static ptq_status check_keys(parse_ctx *c, yaml_node_t *map, const char *where, const char *const *known,
                             const char *const *ignored)
{
    uint64_t seen = 0;
    if (!map || map->type != YAML_MAPPING_NODE) return PTQ_STATUS_OK;
    FOR_PAIRS(c, map, k, v)
    {
        (void)v;
        const char *key = scalar(k);
        if (!key) continue;
        int i = 0, found = 0;
        while (known && known[i] && strcmp(key, known[i]) != 0) i++;
        if (known && known[i]) {
            if (seen >> i & 1)
                return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: %s: duplicate key '%s'", c->path, line_of(k), where,
                                 key);
            seen |= (uint64_t)1 << i;
            continue;
        }
        for (i = 0; ignored && ignored[i]; i++) found |= strcmp(key, ignored[i]) == 0;
        if (warn(c, found ? "%s:%d: %s: key '%s' is ignored by ptq" : "%s:%d: %s: unknown key '%s'", c->path,
                 line_of(k), where, key))
            return ptq__oom();
    }
    return PTQ_STATUS_OK;
}

static char *resolve(parse_ctx *c, const char *p)
{
    if (!p) return NULL;
    if (p[0] == '/' || !c->dir[0]) return strdup(p);
    size_t n = strlen(c->dir) + strlen(p) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s", c->dir, p);
    return s;
}

static int truthy(const char *s)
{
    return s && (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0);
}

int ptq__ac_parse_triple(const char *s, float out[3])
{
    if (!s) return -1;
    float v[3];
    int n = 0;
    const char *p = s;
    while (*p == ' ' || *p == '[' || *p == '(') p++;
    while (*p && *p != ']' && *p != ')') {
        char *end;
        double x = strtod(p, &end);
        /* nan/inf (and float overflow) would make every input NaN */
        if (end == p || n >= 3 || !isfinite((float)x)) return -1;
        v[n++] = (float)x;
        p = end;
        while (*p == ' ' || *p == ',' || *p == '\t') p++;
    }
    if (*p) p++;
    while (*p == ' ' || *p == '\t') p++;
    if (*p || (n != 1 && n != 3)) return -1;
    for (int i = 0; i < 3; i++) out[i] = v[n == 1 ? 0 : i];
    return 0;
}

void ptq__ac_compose_norm(float m1[3], float s1[3], const float m2[3], const float s2[3])
{
    /* ((x - m1)/s1 - m2)/s2 = (x - (m1 + m2 s1)) / (s1 s2) */
    for (int i = 0; i < 3; i++) {
        m1[i] = m1[i] + m2[i] * s1[i];
        s1[i] = s1[i] * s2[i];
    }
}

/* A value that is a scalar string or a sequence of scalars, into out[3]. */
static ptq_status get_triple(parse_ctx *c, yaml_node_t *n, float out[3])
{
    if (n && n->type == YAML_SEQUENCE_NODE) {
        char buf[256] = "";
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            const char *s = scalar(node(c, *it));
            if (!s) return bad(c, n, "expected a list of numbers");
            size_t len = strlen(buf);
            /* a cut-off list would silently lose digits or numbers */
            if ((size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? "," : "", s) >= sizeof buf - len)
                return bad(c, n, "list of numbers too long");
        }
        if (ptq__ac_parse_triple(buf, out)) return bad(c, n, "expected 1 or 3 numbers");
        return PTQ_STATUS_OK;
    }
    if (ptq__ac_parse_triple(scalar(n), out))
        return bad(c, n, "expected 1 or 3 numbers (e.g. \"123.675, 116.28, 103.53\")");
    return PTQ_STATUS_OK;
}

static ptq_status get_int(parse_ctx *c, yaml_node_t *n, int *out)
{
    const char *s = scalar(n);
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || end == s || *end || v <= 0 || v > 16384) return bad(c, n, "expected a positive integer size");
    *out = (int)v;
    return PTQ_STATUS_OK;
}

static ptq_status parse_preprocessing(parse_ctx *c, yaml_node_t *seq, int reader_bgr)
{
    ptq_ac_config *cfg = c->cfg;
    ptq_preprocess *pp = &cfg->pp;
    int bgr = reader_bgr; /* channel order at the current step */
    float mean[3] = {0, 0, 0}, std[3] = {1, 1, 1};
    int norm_bgr = -1; /* order the accumulated mean/std refer to */
    int have_size = 0;
    ptq_status st;
    if (!seq) goto finish;
    if (seq->type != YAML_SEQUENCE_NODE) return bad(c, seq, "preprocessing must be a list");
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        yaml_node_t *step = node(c, *it);
        const char *type = scalar(get(c, step, "type"));
        if (!type) return bad(c, step, "preprocessing step without 'type'");
        char where[96];
        snprintf(where, sizeof where, "preprocessing '%s'", type);
        if (strcmp(type, "resize") == 0) {
            static const char *const known[] = {"type", "size", "dst_width", "dst_height", "aspect_ratio_scale",
                                                "use_pillow", "resize_realization", "interpolation", NULL};
            if ((st = check_keys(c, step, where, known, NULL))) return st;
            int w = 0, h = 0;
            yaml_node_t *n;
            if ((n = get(c, step, "size")) && (st = get_int(c, n, &w))) return st;
            h = w;
            if ((n = get(c, step, "dst_width")) && (st = get_int(c, n, &w))) return st;
            if ((n = get(c, step, "dst_height")) && (st = get_int(c, n, &h))) return st;
            if (!w || !h) return bad(c, step, "resize needs 'size' or 'dst_width' and 'dst_height'");
            const char *ars = scalar(get(c, step, "aspect_ratio_scale"));
            const char *real = scalar(get(c, step, "resize_realization"));
            int pil = truthy(scalar(get(c, step, "use_pillow"))) || (real && strcmp(real, "pillow") == 0);
            if (real && strcmp(real, "pillow") != 0 && strcmp(real, "opencv") != 0)
                return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s:%d: resize_realization '%s' is not supported (opencv, pillow)",
                                 c->path, line_of(step), real);
            const char *interp = scalar(get(c, step, "interpolation"));
            if (interp && strcasecmp(interp, "linear") != 0 && strcasecmp(interp, "bilinear") != 0)
                return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s:%d: interpolation '%s' is not supported (only bilinear)",
                                 c->path, line_of(step), interp);
            pp->interp = pil ? PTQ_INTERP_PILLOW : PTQ_INTERP_OPENCV;
            if (!ars) {
                pp->resize = PTQ_RESIZE_EXACT;
                pp->resize_h = h;
                pp->resize_w = w;
                if (!pp->crop_h) {
                    pp->model_h = h;
                    pp->model_w = w;
                    have_size = 1;
                }
            } else if (strcmp(ars, "greater") == 0) {
                /* AC scale_greater: the shorter side becomes `size`, the other int(size * ratio) */
                if (w != h) return bad(c, step, "aspect_ratio_scale: greater needs a square size");
                pp->resize = PTQ_RESIZE_SHORT;
                pp->resize_short = w;
                pp->short_rounding = PTQ_SHORT_TRUNC;
            } else {
                return ptq__fail(PTQ_STATUS_UNSUPPORTED,
                                 "%s:%d: aspect_ratio_scale '%s' is not supported (only 'greater' or none)", c->path,
                                 line_of(step), ars);
            }
        } else if (strcmp(type, "crop") == 0) {
            static const char *const known[] = {"type", "size", "dst_width", "dst_height", "use_pillow", NULL};
            if ((st = check_keys(c, step, where, known, NULL))) return st;
            int w = 0, h = 0;
            yaml_node_t *n;
            if ((n = get(c, step, "size")) && (st = get_int(c, n, &w))) return st;
            h = w;
            if ((n = get(c, step, "dst_width")) && (st = get_int(c, n, &w))) return st;
            if ((n = get(c, step, "dst_height")) && (st = get_int(c, n, &h))) return st;
            if (!w || !h) return bad(c, step, "crop needs 'size' or 'dst_width' and 'dst_height'");
            pp->crop_h = h;
            pp->crop_w = w;
            pp->crop_rounding = truthy(scalar(get(c, step, "use_pillow"))) ? PTQ_CROP_HALF_EVEN : PTQ_CROP_FLOOR;
            pp->model_h = h;
            pp->model_w = w;
            have_size = 1;
        } else if (strcmp(type, "normalization") == 0) {
            static const char *const known[] = {"type", "mean", "std", NULL};
            if ((st = check_keys(c, step, where, known, NULL))) return st;
            float m[3] = {0, 0, 0}, s[3] = {1, 1, 1};
            yaml_node_t *n;
            if ((n = get(c, step, "mean")) && (st = get_triple(c, n, m))) return st;
            if ((n = get(c, step, "std")) && (st = get_triple(c, n, s))) return st;
            for (int i = 0; i < 3; i++)
                if (!(s[i] > 0)) return bad(c, step, "std must be positive");
            if (norm_bgr >= 0 && norm_bgr != bgr) { /* bring the accumulated step to this order */
                float t = mean[0];
                mean[0] = mean[2], mean[2] = t;
                t = std[0];
                std[0] = std[2], std[2] = t;
            }
            ptq__ac_compose_norm(mean, std, m, s);
            norm_bgr = bgr;
        } else if (strcmp(type, "bgr_to_rgb") == 0 || strcmp(type, "rgb_to_bgr") == 0) {
            static const char *const known[] = {"type", NULL};
            if ((st = check_keys(c, step, where, known, NULL))) return st;
            int to_bgr = type[0] == 'r';
            if (bgr == to_bgr &&
                warn(c, "%s:%d: %s on an image that is already %s: AC swaps the channels anyway", c->path,
                     line_of(step), type, to_bgr ? "BGR" : "RGB"))
                return ptq__oom();
            bgr = !bgr; /* AC swaps unconditionally */
        } else {
            return ptq__fail(PTQ_STATUS_UNSUPPORTED,
                             "%s:%d: preprocessing type '%s' is not supported (resize, crop, normalization, "
                             "bgr_to_rgb, rgb_to_bgr)",
                             c->path, line_of(step), type);
        }
    }
finish:
    pp->bgr = bgr;
    if (norm_bgr >= 0 && norm_bgr != bgr) {
        float t = mean[0];
        mean[0] = mean[2], mean[2] = t;
        t = std[0];
        std[0] = std[2], std[2] = t;
    }
    pp->scale = 1.0f;
    memcpy(pp->mean, mean, sizeof mean);
    memcpy(pp->std, std, sizeof std);
    if (!have_size && pp->resize == PTQ_RESIZE_EXACT) {
        pp->model_h = pp->resize_h;
        pp->model_w = pp->resize_w;
    }
    return PTQ_STATUS_OK;
}

static ptq_status dup_into(char **dst, const char *s)
{
    if (!s) return PTQ_STATUS_OK;
    free(*dst);
    if (!(*dst = strdup(s))) return ptq__oom();
    return PTQ_STATUS_OK;
}

static ptq_status parse_dataset(parse_ctx *c, yaml_node_t *d)
{
    static const char *const known[] = {"name", "data_source", "annotation_conversion", "reader", "preprocessing",
                                        "metrics", NULL};
    static const char *const ignored[] = {"annotation", "dataset_meta", "subsample_size", "postprocessing", NULL};
    ptq_ac_config *cfg = c->cfg;
    if (d->type != YAML_MAPPING_NODE) return bad(c, d, "a dataset must be a mapping");
    ptq_status st;
    if ((st = check_keys(c, d, "dataset", known, ignored))) return st;
    if ((st = dup_into(&cfg->dataset, scalar(get(c, d, "name"))))) return st;
    const char *src = scalar(get(c, d, "data_source"));
    if (src && !(cfg->data_source = resolve(c, src))) return ptq__oom();
    yaml_node_t *ac = get(c, d, "annotation_conversion");
    if (ac) {
        static const char *const akn[] = {"converter", "annotation_file", "labels_file", "has_background", NULL};
        if ((st = check_keys(c, ac, "annotation_conversion", akn, NULL))) return st;
        const char *conv = scalar(get(c, ac, "converter"));
        if (!conv || strcmp(conv, "imagenet") != 0)
            return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s:%d: annotation converter '%s' is not supported (imagenet)",
                             c->path, line_of(ac), conv ? conv : "(none)");
        const char *af = scalar(get(c, ac, "annotation_file"));
        if (!af) return bad(c, ac, "the imagenet converter needs 'annotation_file'");
        if (!(cfg->annotation_file = resolve(c, af))) return ptq__oom();
        const char *lf = scalar(get(c, ac, "labels_file"));
        if (lf && !(cfg->labels_file = resolve(c, lf))) return ptq__oom();
        cfg->has_background = truthy(scalar(get(c, ac, "has_background")));
    }
    yaml_node_t *rd = get(c, d, "reader");
    const char *reader = scalar(rd);
    if (rd && rd->type == YAML_MAPPING_NODE) reader = scalar(get(c, rd, "type"));
    int reader_bgr = 1;
    if (reader && strcmp(reader, "pillow_imread") == 0) {
        reader_bgr = 0;
        cfg->pp.ignore_orientation = 1; /* PIL.Image.open does not apply EXIF orientation */
    } else if (reader && strcmp(reader, "opencv_imread") != 0) {
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s:%d: reader '%s' is not supported (opencv_imread, pillow_imread)",
                         c->path, line_of(rd), reader);
    }
    if ((st = parse_preprocessing(c, get(c, d, "preprocessing"), reader_bgr))) return st;
    yaml_node_t *metrics = get(c, d, "metrics");
    if (metrics && metrics->type != YAML_SEQUENCE_NODE) return bad(c, metrics, "metrics must be a list of {type, top_k} entries");
    if (metrics) {
        for (yaml_node_item_t *it = metrics->data.sequence.items.start; it < metrics->data.sequence.items.top; it++) {
            yaml_node_t *m = node(c, *it);
            static const char *const mkn[] = {"type", "top_k", NULL};
            static const char *const mig[] = {"name", "reference", "threshold", "presenter", NULL};
            if ((st = check_keys(c, m, "metric", mkn, mig))) return st;
            const char *type = scalar(get(c, m, "type"));
            if (!type || strcmp(type, "accuracy") != 0) {
                if (warn(c, "%s:%d: metric type '%s' is not computed by ptq (accuracy only)", c->path, line_of(m),
                         type ? type : "(none)"))
                    return ptq__oom();
                continue;
            }
            int k = 1;
            yaml_node_t *kn = get(c, m, "top_k");
            if (kn && (st = get_int(c, kn, &k))) return st;
            if (cfg->n_top_k == 8) {
                if (warn(c, "%s:%d: more than 8 accuracy metrics; this one is ignored", c->path, line_of(m))) return ptq__oom();
                continue;
            }
            cfg->top_k[cfg->n_top_k++] = k;
        }
    }
    return PTQ_STATUS_OK;
}

static ptq_status parse_launcher(parse_ctx *c, yaml_node_t *l)
{
    static const char *const known[] = {"framework", "model", NULL};
    static const char *const ignored[] = {"adapter", "inputs", "device", "batch", "weights", "outputs", NULL};
    if (l->type != YAML_MAPPING_NODE) return bad(c, l, "a launcher must be a mapping");
    ptq_status st;
    if ((st = check_keys(c, l, "launcher", known, ignored))) return st;
    if ((st = dup_into(&c->cfg->framework, scalar(get(c, l, "framework"))))) return st;
    const char *m = scalar(get(c, l, "model"));
    if (m && !(c->cfg->model = resolve(c, m))) return ptq__oom();
    return PTQ_STATUS_OK;
}

static ptq_status parse_model_entry(parse_ctx *c, yaml_node_t *e, int top_level)
{
    static const char *const known[] = {"name", "launchers", "datasets", "models", NULL};
    static const char *const ignored[] = {"global_definitions", "evaluations", NULL};
    ptq_status st;
    if ((st = check_keys(c, e, top_level ? "config" : "model", known, ignored))) return st;
    if ((st = dup_into(&c->cfg->name, scalar(get(c, e, "name"))))) return st;
    yaml_node_t *ls = get(c, e, "launchers"), *ds = get(c, e, "datasets");
    if (ls && ls->type != YAML_SEQUENCE_NODE) return bad(c, ls, "'launchers' must be a list");
    if (ds && ds->type != YAML_SEQUENCE_NODE) return bad(c, ds, "'datasets' must be a list");
    yaml_node_t *l = first_item(c, ls), *d = first_item(c, ds);
    if (ls && ls->data.sequence.items.top - ls->data.sequence.items.start > 1 &&
        warn(c, "%s:%d: only the first launcher is used", c->path, line_of(ls)))
        return ptq__oom();
    if (ds && ds->data.sequence.items.top - ds->data.sequence.items.start > 1 &&
        warn(c, "%s:%d: only the first dataset is used", c->path, line_of(ds)))
        return ptq__oom();
    if (l && (st = parse_launcher(c, l))) return st;
    if (!d) return bad(c, e, "no dataset ('datasets' list) found");
    return parse_dataset(c, d);
}

void ptq_ac_config_destroy(ptq_ac_config *cfg)
{
    if (!cfg) return;
    free(cfg->name);
    free(cfg->model);
    free(cfg->framework);
    free(cfg->dataset);
    free(cfg->data_source);
    free(cfg->annotation_file);
    free(cfg->labels_file);
    for (int i = 0; i < cfg->n_warnings; i++) free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg);
}

/* libyaml's scanner is quadratic in the flow nesting depth (100k nested '['
 * take half a minute, a 2 MB file hours) and its loader in the number of
 * anchors times aliases; a first pass over the events turns such files
 * away before yaml_parser_load sees them. AC configs nest about 8 deep. */
#define YAML_MAX_DEPTH 64
#define YAML_MAX_ANCHORS 1000

static ptq_status check_limits(const char *path, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t e;
    ptq_status st = PTQ_STATUS_OK;
    int depth = 0, anchors = 0, end = 0;
    if (!yaml_parser_initialize(&p)) return ptq__oom();
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    /* Only the first document is loaded; syntax errors are the loader's to report. */
    while (!st && !end && yaml_parser_parse(&p, &e)) {
        int line = (int)e.start_mark.line + 1;
        if (e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT) depth++;
        else if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) depth--;
        else if (e.type == YAML_DOCUMENT_END_EVENT || e.type == YAML_STREAM_END_EVENT) end = 1;
        if (e.type == YAML_ALIAS_EVENT || (e.type == YAML_SCALAR_EVENT && e.data.scalar.anchor) ||
            (e.type == YAML_SEQUENCE_START_EVENT && e.data.sequence_start.anchor) ||
            (e.type == YAML_MAPPING_START_EVENT && e.data.mapping_start.anchor))
            anchors++;
        yaml_event_delete(&e);
        if (depth > YAML_MAX_DEPTH)
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: nested more than %d levels deep", path, line,
                           YAML_MAX_DEPTH);
        else if (anchors > YAML_MAX_ANCHORS)
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: more than %d anchors and aliases", path, line,
                           YAML_MAX_ANCHORS);
    }
    yaml_parser_delete(&p);
    return st;
}

ptq_status ptq_ac_config_load(const char *path, ptq_ac_config **config_out)
{
    if (!config_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "config_out is NULL");
    *config_out = NULL;
    if (!path) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "path is NULL");
    char *text = NULL;
    size_t len = 0;
    /* Configs are kilobytes; 4 MB of YAML took 3 s and 350 MB of nodes. */
    ptq_status st = ptq__read_file(path, (size_t)1 << 20, &text, &len);
    if (!st) st = check_limits(path, text, len);
    if (st) {
        free(text);
        return st;
    }
    parse_ctx c;
    memset(&c, 0, sizeof c);
    c.path = path;
    yaml_parser_t parser;
    int have_doc = 0;
    c.cfg = calloc(1, sizeof *c.cfg);
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    c.dir = malloc(dlen + 1);
    if (!c.cfg || !c.dir || !yaml_parser_initialize(&parser)) {
        free(text);
        free(c.dir);
        free(c.cfg);
        return ptq__oom();
    }
    memcpy(c.dir, path, dlen);
    c.dir[dlen] = 0;
    c.cfg->pp = ptq_preprocess_default();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &c.doc)) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: %s", path, (int)parser.problem_mark.line + 1,
                       parser.problem ? parser.problem : "malformed YAML");
        goto done;
    }
    have_doc = 1;
    yaml_node_t *root = yaml_document_get_root_node(&c.doc);
    if (!root) { /* no node has no line ("file:0:") */
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: empty; expected a mapping with 'models' (Accuracy Checker config)",
                       path);
        goto done;
    }
    if (root->type != YAML_MAPPING_NODE) {
        st = bad(&c, root, "expected a mapping with 'models' (Accuracy Checker config)");
        goto done;
    }
    yaml_node_t *models = get(&c, root, "models");
    if (models) {
        if (models->type != YAML_SEQUENCE_NODE || !first_item(&c, models)) {
            st = bad(&c, models, "'models' must be a non-empty list");
            goto done;
        }
        static const char *const known[] = {"models", NULL};
        static const char *const ignored[] = {"global_definitions", "evaluations", NULL};
        if ((st = check_keys(&c, root, "config", known, ignored))) goto done;
        if (models->data.sequence.items.top - models->data.sequence.items.start > 1 &&
            warn(&c, "%s:%d: only the first model entry is used", path, line_of(models))) {
            st = ptq__oom();
            goto done;
        }
        st = parse_model_entry(&c, first_item(&c, models), 0);
    } else {
        st = parse_model_entry(&c, root, 1);
    }
    if (!st) {
        if (!c.cfg->name && !(c.cfg->name = strdup(""))) st = ptq__oom();
        if (!c.cfg->dataset && !(c.cfg->dataset = strdup(""))) st = ptq__oom();
    }
done:
    if (have_doc) yaml_document_delete(&c.doc);
    yaml_parser_delete(&parser);
    free(text);
    free(c.dir);
    if (st) {
        ptq_ac_config_destroy(c.cfg);
        return st;
    }
    *config_out = c.cfg;
    return PTQ_STATUS_OK;
}
