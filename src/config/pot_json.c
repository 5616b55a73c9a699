/* OpenVINO POT JSON configs (tools/pot/configs in openvinotoolkit/openvino),
 * read with cJSON after the comments jstyleson allows are blanked out.
 *
 * Format: a JSON object {"model": {model_name, model, weights}, "engine":
 * {config} | {type: simplified, data_source, layout}, "compression":
 * {target_device, algorithms: [{name: DefaultQuantization, params}]}}. The
 * mapping of every key onto ptq_quant_params is written down in
 * ptq/pot_config.h. Unknown keys and keys ptq cannot honour become warnings
 * that name the key's path; wrong value kinds are errors. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/pot_json.h"
#include "core/file_util.h"
#include "core/status.h"

/* ---- comments ------------------------------------------------------------ */

int ptq__pot_strip_json_comments(char *s, size_t len, int *line_out)
{
    int line = 1;
    size_t last_comma = (size_t)-1; /* a ',' seen with only blanks after it */
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '\n') line++;
        if (ch == '"') {
            last_comma = (size_t)-1;
            for (i++; i < len && s[i] != '"'; i++) {
                if (s[i] == '\\' && i + 1 < len) i++;
                else if (s[i] == '\n') line++;
            }
            continue;
        }
        if (ch == '/' && i + 1 < len && s[i + 1] == '/') {
            while (i < len && s[i] != '\n') s[i++] = ' ';
            if (i < len) line++;
            continue;
        }
        if (ch == '/' && i + 1 < len && s[i + 1] == '*') {
            int start = line;
            s[i] = s[i + 1] = ' ';
            for (i += 2; i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/'); i++) {
                if (s[i] == '\n') line++;
                else s[i] = ' ';
            }
            if (i >= len) {
                if (line_out) *line_out = start;
                return -1;
            }
            s[i] = s[i + 1] = ' ';
            i++;
            continue;
        }
        if (ch == ',') {
            last_comma = i;
        } else if (ch == '}' || ch == ']') {
            if (last_comma != (size_t)-1) s[last_comma] = ' ';
            last_comma = (size_t)-1;
        } else if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
            last_comma = (size_t)-1;
        }
    }
    return 0;
}

static const char *const ov_to_onnx[][2] = {
    {"Convolution", "Conv"},       {"GroupConvolution", "Conv"}, {"MatMul", "MatMul"},
    {"FullyConnected", "Gemm"},    {"Add", "Add"},               {"Multiply", "Mul"},
    {"Subtract", "Sub"},           {"Divide", "Div"},            {"AvgPool", "AveragePool"},
    {"MaxPool", "MaxPool"},        {"ReduceMean", "ReduceMean"}, {"Concat", "Concat"},
    {"Relu", "Relu"},              {"Clamp", "Clip"},            {"Interpolate", "Resize"},
    {"ConvolutionBackpropData", "ConvTranspose"},
};

const char *ptq__pot_onnx_op_type(const char *t)
{
    for (size_t i = 0; i < sizeof ov_to_onnx / sizeof ov_to_onnx[0]; i++)
        if (strcmp(ov_to_onnx[i][0], t) == 0) return ov_to_onnx[i][1];
    return NULL;
}

/* ---- parse context --------------------------------------------------------- */

typedef struct ctx {
    ptq_pot_config *cfg;
    const char *path;
    char *dir; /* the JSON file's directory with a trailing '/', or "" */
} ctx;

static ptq_status warn(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ptq_status warn(ctx *c, const char *fmt, ...)
{
    char msg[512], buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(buf, sizeof buf, "%s: %s", c->path, msg);
    char **w = realloc(c->cfg->warnings, (size_t)(c->cfg->n_warnings + 1) * sizeof *w);
    if (!w) return ptq__oom();
    c->cfg->warnings = w;
    if (!(w[c->cfg->n_warnings] = strdup(buf))) return ptq__oom();
    c->cfg->n_warnings++;
    return PTQ_STATUS_OK;
}

static ptq_status bad(ctx *c, const char *key, const char *what)
{
    return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: %s: %s", c->path, key, what);
}

/* Warns about every key of obj that is not in known[] (at most 64 keys);
 * a known key given twice is an error: POT (Python's json) takes the last
 * value, cJSON lookups the first. */
static ptq_status check_keys(ctx *c, const cJSON *obj, const char *prefix, const char *const *known)
{
    uint64_t seen = 0;
    for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next) {
        int k = 0;
        while (known[k] && strcmp(known[k], it->string) != 0) k++;
        ptq_status st = PTQ_STATUS_OK;
        if (!known[k]) st = warn(c, "unknown key '%s%s%s'", prefix, *prefix ? "." : "", it->string);
        else if (seen >> k & 1)
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: %s%s%s: duplicate key", c->path, prefix, *prefix ? "." : "",
                           it->string);
        else seen |= (uint64_t)1 << k;
        if (st) return st;
    }
    return PTQ_STATUS_OK;
}

static ptq_status want_object(ctx *c, const cJSON *v, const char *key)
{
    return !v || cJSON_IsObject(v) ? PTQ_STATUS_OK : bad(c, key, "expected an object");
}

static ptq_status get_string(ctx *c, const cJSON *obj, const char *name, const char *key, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return PTQ_STATUS_OK;
    if (!cJSON_IsString(v)) return bad(c, key, "expected a string");
    *out = v->valuestring;
    return PTQ_STATUS_OK;
}

static ptq_status get_bool(ctx *c, const cJSON *obj, const char *name, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v) return PTQ_STATUS_OK;
    if (!cJSON_IsBool(v)) return bad(c, key, "expected true or false");
    *out = cJSON_IsTrue(v);
    return PTQ_STATUS_OK;
}

static ptq_status get_number(ctx *c, const cJSON *obj, const char *name, const char *key, double *out, int *found)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (found) *found = 0;
    if (!v) return PTQ_STATUS_OK;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return bad(c, key, "expected a number");
    *out = v->valuedouble;
    if (found) *found = 1;
    return PTQ_STATUS_OK;
}

static ptq_status get_int(ctx *c, const cJSON *obj, const char *name, const char *key, int64_t lo, int64_t hi,
                          int64_t *out, int *found)
{
    double d = 0;
    int f = 0;
    ptq_status st = get_number(c, obj, name, key, &d, &f);
    if (found) *found = f;
    if (st || !f) return st;
    if (d != floor(d) || d < (double)lo || d > (double)hi) {
        char msg[128];
        snprintf(msg, sizeof msg, "expected an integer in %lld..%lld, got %g", (long long)lo, (long long)hi, d);
        return bad(c, key, msg);
    }
    *out = (int64_t)d;
    return PTQ_STATUS_OK;
}

/* Resolves a path of the file against the JSON's directory, else (POT's
 * rule) against the current directory when only that one exists. */
static ptq_status resolve(ctx *c, const char *p, char **out)
{
    if (p[0] == '/' || !c->dir[0]) return (*out = strdup(p)) ? PTQ_STATUS_OK : ptq__oom();
    size_t n = strlen(c->dir) + strlen(p) + 1;
    char *r = malloc(n);
    if (!r) return ptq__oom();
    snprintf(r, n, "%s%s", c->dir, p);
    if (access(r, F_OK) != 0 && access(p, F_OK) == 0) {
        free(r);
        return (*out = strdup(p)) ? PTQ_STATUS_OK : ptq__oom();
    }
    *out = r;
    return PTQ_STATUS_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* ---- sections ---------------------------------------------------------------- */

static ptq_status parse_model(ctx *c, const cJSON *m)
{
    static const char *const known[] = {"model_name", "model", "weights", NULL};
    ptq_status st;
    const char *name, *model, *weights;
    if (!m) return bad(c, "model", "missing (the section naming the model to quantize)");
    if ((st = want_object(c, m, "model")) || (st = check_keys(c, m, "model", known))) return st;
    if ((st = get_string(c, m, "model_name", "model.model_name", &name)) ||
        (st = get_string(c, m, "model", "model.model", &model)) ||
        (st = get_string(c, m, "weights", "model.weights", &weights)))
        return st;
    if (!model || !*model) return bad(c, "model.model", "missing (path of the ONNX model)");
    if (ends_with(model, ".xml"))
        return ptq__fail(PTQ_STATUS_UNSUPPORTED,
                         "%s: model.model: '%s' is an OpenVINO IR; ptq quantizes ONNX models (give the .onnx the IR "
                         "was converted from)",
                         c->path, model);
    if ((st = resolve(c, model, &c->cfg->model))) return st;
    if (weights && *weights) {
        if ((st = resolve(c, weights, &c->cfg->weights))) return st;
        if (strcmp(c->cfg->weights, c->cfg->model) != 0 &&
            (st = warn(c, "model.weights '%s' is ignored: an ONNX model holds its weights (external data is read "
                          "next to the model)",
                       weights)))
            return st;
    }
    if (name && *name) {
        if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            return bad(c, "model.model_name", "must not contain '/' (it names the results directory)");
        c->cfg->model_name = strdup(name);
    } else {
        const char *base = strrchr(c->cfg->model, '/');
        base = base ? base + 1 : c->cfg->model;
        size_t n = strlen(base);
        if (ends_with(base, ".onnx")) n -= 5;
        c->cfg->model_name = strndup(base, n);
    }
    return c->cfg->model_name ? PTQ_STATUS_OK : ptq__oom();
}

static ptq_status parse_engine(ctx *c, const cJSON *e)
{
    static const char *const known[] = {"type", "config", "data_source", "layout", "stat_requests_number",
                                        "eval_requests_number", NULL};
    ptq_status st;
    const char *type, *config, *source, *layout;
    if (!e) return bad(c, "engine", "missing (an Accuracy Checker 'config' or 'type': 'simplified')");
    if ((st = want_object(c, e, "engine"))) return st;
    if (cJSON_GetObjectItemCaseSensitive(e, "launchers") || cJSON_GetObjectItemCaseSensitive(e, "datasets"))
        return ptq__fail(PTQ_STATUS_UNSUPPORTED,
                         "%s: engine: inline Accuracy Checker settings (launchers/datasets) are not supported; put "
                         "them in a YAML file and name it in engine.config",
                         c->path);
    if ((st = check_keys(c, e, "engine", known))) return st;
    for (const char *const *k = (const char *const[]){"stat_requests_number", "eval_requests_number", NULL}; *k; k++)
        if (cJSON_GetObjectItemCaseSensitive(e, *k) &&
            (st = warn(c, "engine.%s is ignored by ptq (use --threads)", *k)))
            return st;
    if ((st = get_string(c, e, "type", "engine.type", &type)) ||
        (st = get_string(c, e, "config", "engine.config", &config)) ||
        (st = get_string(c, e, "data_source", "engine.data_source", &source)) ||
        (st = get_string(c, e, "layout", "engine.layout", &layout)))
        return st;
    if (!type || strcmp(type, "accuracy_checker") == 0) {
        c->cfg->engine = PTQ_POT_ENGINE_ACCURACY_CHECKER;
        if (!config) return bad(c, "engine.config", "missing (path of the Accuracy Checker YAML)");
        if (source && (st = warn(c, "engine.data_source is ignored without 'type': 'simplified'"))) return st;
        if (layout && (st = warn(c, "engine.layout is ignored without 'type': 'simplified'"))) return st;
        if ((st = resolve(c, config, &c->cfg->ac_config))) return st;
        if ((st = ptq_ac_config_load(c->cfg->ac_config, &c->cfg->ac)))
            return ptq__fail_context(st, "%s: engine.config", c->path);
        c->cfg->label_offset = c->cfg->ac->has_background ? 1 : 0;
        for (int i = 0; i < c->cfg->ac->n_warnings; i++)
            if ((st = warn(c, "engine.config: %s", c->cfg->ac->warnings[i]))) return st;
    } else if (strcmp(type, "simplified") == 0) {
        c->cfg->engine = PTQ_POT_ENGINE_SIMPLIFIED;
        if (!source || !*source) return bad(c, "engine.data_source", "missing (the calibration images)");
        if (config && (st = warn(c, "engine.config is ignored with 'type': 'simplified'"))) return st;
        if ((st = resolve(c, source, &c->cfg->data_source))) return st;
        if (layout) {
            if (strcasecmp(layout, "NCHW") == 0 || strcasecmp(layout, "CHW") == 0) c->cfg->layout = PTQ_LAYOUT_NCHW;
            else if (strcasecmp(layout, "NHWC") == 0 || strcasecmp(layout, "HWC") == 0) c->cfg->layout = PTQ_LAYOUT_NHWC;
            else return bad(c, "engine.layout", "expected NCHW, NHWC, CHW or HWC");
            c->cfg->has_layout = 1;
        }
    } else {
        return bad(c, "engine.type", "expected 'accuracy_checker' or 'simplified'");
    }
    return PTQ_STATUS_OK;
}

static ptq_status check_device(ctx *c, const char *dev, const char *key)
{
    if (strcasecmp(dev, "ANY") == 0 || strcasecmp(dev, "CPU") == 0) return PTQ_STATUS_OK;
    return warn(c, "%s '%s': ptq quantizes for CPU (ANY/CPU); the %s hardware config is not applied", key, dev, dev);
}

/* One estimator description {type, aggregator, outlier_prob, clipping_value}
 * -> a ptq estimator. Returns -1 (after warning) when it has no counterpart. */
static ptq_status map_bound(ctx *c, const cJSON *b, const char *key, int weights, ptq_quant_estimator *est,
                            double *percentile, int *mapped)
{
    static const char *const known[] = {"type", "aggregator", "outlier_prob", "clipping_value", NULL};
    ptq_status st;
    const char *type, *agg;
    char k[256];
    double outlier = 1e-4;
    int has_outlier = 0;
    *mapped = 0;
    if ((st = want_object(c, b, key)) || (st = check_keys(c, b, key, known))) return st;
    snprintf(k, sizeof k, "%s.type", key);
    if ((st = get_string(c, b, "type", k, &type))) return st;
    snprintf(k, sizeof k, "%s.aggregator", key);
    if ((st = get_string(c, b, "aggregator", k, &agg))) return st;
    snprintf(k, sizeof k, "%s.outlier_prob", key);
    if ((st = get_number(c, b, "outlier_prob", k, &outlier, &has_outlier))) return st;
    if (has_outlier && !(outlier >= 0 && outlier < 0.5)) return bad(c, k, "expected 0 <= outlier_prob < 0.5");
    if (cJSON_GetObjectItemCaseSensitive(b, "clipping_value") &&
        (st = warn(c, "%s.clipping_value is not supported by ptq and is ignored", key)))
        return st;
    int quantile = type && (strcmp(type, "quantile") == 0 || strcmp(type, "abs_quantile") == 0);
    int extreme = !type || strcmp(type, "max") == 0 || strcmp(type, "min") == 0 || strcmp(type, "abs_max") == 0;
    if (!quantile && !extreme) {
        snprintf(k, sizeof k, "%s.type", key);
        return bad(c, k, "expected min, max, abs_max, quantile or abs_quantile");
    }
    if (weights) {
        /* ptq's weight ranges are the exact per-channel max |w| (POT's
         * default weight estimator). */
        if (quantile) return warn(c, "%s.type '%s': ptq uses the exact max of the weights; ignored", key, type);
        return PTQ_STATUS_OK;
    }
    if (quantile) {
        *est = PTQ_QUANT_ESTIMATOR_PERCENTILE;
        *percentile = 100.0 * (1.0 - outlier);
        *mapped = 1;
        if (agg && strcmp(agg, "mean") != 0)
            return warn(c, "%s.aggregator '%s': ptq's percentile estimator pools all samples; ignored", key, agg);
        return PTQ_STATUS_OK;
    }
    if (has_outlier && (st = warn(c, "%s.outlier_prob only applies to quantile estimators; ignored", key))) return st;
    if (!agg || strcmp(agg, "mean") == 0) *est = PTQ_QUANT_ESTIMATOR_MEAN_MINMAX;
    else if (strcmp(agg, "max") == 0 || strcmp(agg, "min") == 0) *est = PTQ_QUANT_ESTIMATOR_MINMAX;
    else if (!strcmp(agg, "median") || !strcmp(agg, "mean_no_outliers") || !strcmp(agg, "median_no_outliers") ||
             !strcmp(agg, "hl_estimator"))
        return warn(c, "%s.aggregator '%s' is not supported by ptq; using mean", key, agg);
    else {
        snprintf(k, sizeof k, "%s.aggregator", key);
        return bad(c, k, "expected mean, max, min, median, mean_no_outliers, median_no_outliers or hl_estimator");
    }
    *mapped = 1;
    return PTQ_STATUS_OK;
}

static ptq_status parse_range_estimator(ctx *c, const cJSON *r, const char *key, int weights)
{
    static const char *const known[] = {"preset", "min", "max", NULL};
    ptq_status st;
    const char *preset;
    char k[256];
    ptq_quant_params *p = &c->cfg->params;
    if (!r) return PTQ_STATUS_OK;
    if ((st = want_object(c, r, key)) || (st = check_keys(c, r, key, known))) return st;
    snprintf(k, sizeof k, "%s.preset", key);
    if ((st = get_string(c, r, "preset", k, &preset))) return st;
    if (preset) {
        if (strcmp(preset, "default") == 0) {
            if (!weights) p->estimator = PTQ_QUANT_ESTIMATOR_MEAN_MINMAX;
        } else if (strcmp(preset, "quantile") == 0) {
            if (weights) {
                if ((st = warn(c, "%s 'quantile': ptq uses the exact max of the weights; ignored", k))) return st;
            } else {
                p->estimator = PTQ_QUANT_ESTIMATOR_PERCENTILE;
                p->percentile = 99.99;
            }
        } else {
            return bad(c, k, "expected 'default' or 'quantile'");
        }
    }
    ptq_quant_estimator emin = p->estimator, emax = p->estimator;
    double pmin = p->percentile, pmax = p->percentile;
    int has_min = 0, has_max = 0;
    const cJSON *mn = cJSON_GetObjectItemCaseSensitive(r, "min"), *mx = cJSON_GetObjectItemCaseSensitive(r, "max");
    snprintf(k, sizeof k, "%s.min", key);
    if (mn && (st = map_bound(c, mn, k, weights, &emin, &pmin, &has_min))) return st;
    snprintf(k, sizeof k, "%s.max", key);
    if (mx && (st = map_bound(c, mx, k, weights, &emax, &pmax, &has_max))) return st;
    if (has_min && has_max && (emin != emax || pmin != pmax) &&
        (st = warn(c, "%s: min and max map to different estimators (%s, %s); ptq uses one for both: %s", key,
                   ptq_quant_estimator_name(emin), ptq_quant_estimator_name(emax), ptq_quant_estimator_name(emax))))
        return st;
    if (has_max) p->estimator = emax, p->percentile = pmax;
    else if (has_min) p->estimator = emin, p->percentile = pmin;
    return PTQ_STATUS_OK;
}

/* activations / weights: {bits, mode, granularity, level_low, level_high,
 * range_estimator}. */
static ptq_status parse_scheme(ctx *c, const cJSON *s, const char *key, int weights, int *mode_set)
{
    static const char *const known[] = {"bits", "mode", "granularity", "level_low", "level_high", "range_estimator",
                                        NULL};
    ptq_status st;
    char k[256];
    const char *mode, *gran;
    int64_t bits = 8, lo = 0, hi = 0;
    int has_lo = 0, has_hi = 0;
    if (!s) return PTQ_STATUS_OK;
    if ((st = want_object(c, s, key)) || (st = check_keys(c, s, key, known))) return st;
    snprintf(k, sizeof k, "%s.bits", key);
    if ((st = get_int(c, s, "bits", k, 1, 32, &bits, NULL))) return st;
    if (bits != 8)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: %s: %lld-bit quantization is not supported (8 only)", c->path, k,
                         (long long)bits);
    snprintf(k, sizeof k, "%s.level_low", key);
    if ((st = get_int(c, s, "level_low", k, -65536, 65536, &lo, &has_lo))) return st;
    snprintf(k, sizeof k, "%s.level_high", key);
    if ((st = get_int(c, s, "level_high", k, -65536, 65536, &hi, &has_hi))) return st;
    /* POT's CPU levels: weights -127..127 (int8, narrow), activations 0..255
     * (uint8) or -128..127 (int8). */
    int lo_ok = !has_lo || (weights ? lo == -127 : (lo == 0 || lo == -128));
    int hi_ok = !has_hi || (weights ? hi == 127 : (hi == 255 || hi == 127));
    if (!lo_ok || !hi_ok)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: %s: levels %lld..%lld are not supported (ptq uses %s)", c->path,
                         key, (long long)lo, (long long)hi, weights ? "-127..127" : "0..255 or -128..127");
    snprintf(k, sizeof k, "%s.mode", key);
    if ((st = get_string(c, s, "mode", k, &mode))) return st;
    if (mode) {
        if (strcmp(mode, "symmetric") != 0 && strcmp(mode, "asymmetric") != 0)
            return bad(c, k, "expected 'symmetric' or 'asymmetric'");
        int sym = strcmp(mode, "symmetric") == 0;
        if (weights) {
            if (!sym && (st = warn(c, "%s 'asymmetric' is not supported (weights are symmetric); ignored", k)))
                return st;
        } else {
            c->cfg->params.preset = sym ? PTQ_QUANT_PRESET_PERFORMANCE : PTQ_QUANT_PRESET_MIXED;
            *mode_set = 1;
        }
    }
    snprintf(k, sizeof k, "%s.granularity", key);
    if ((st = get_string(c, s, "granularity", k, &gran))) return st;
    if (gran) {
        if (strcmp(gran, "perchannel") != 0 && strcmp(gran, "pertensor") != 0)
            return bad(c, k, "expected 'perchannel' or 'pertensor'");
        if (weights) c->cfg->params.per_tensor_weights = strcmp(gran, "pertensor") == 0;
        else if (strcmp(gran, "perchannel") == 0 &&
                 (st = warn(c, "%s 'perchannel' is not supported for activations; per tensor is used", k)))
            return st;
    }
    snprintf(k, sizeof k, "%s.range_estimator", key);
    return parse_range_estimator(c, cJSON_GetObjectItemCaseSensitive(s, "range_estimator"), k, weights);
}

static ptq_status add_ignored(ctx *c, const char *name)
{
    for (int i = 0; i < c->cfg->n_ignored; i++)
        if (strcmp(c->cfg->ignored[i], name) == 0) return PTQ_STATUS_OK;
    char **v = realloc(c->cfg->ignored, (size_t)(c->cfg->n_ignored + 1) * sizeof *v);
    if (!v) return ptq__oom();
    c->cfg->ignored = v;
    if (!(v[c->cfg->n_ignored] = strdup(name))) return ptq__oom();
    c->cfg->n_ignored++;
    return PTQ_STATUS_OK;
}

static ptq_status parse_ignored(ctx *c, const cJSON *ig, const char *key)
{
    static const char *const known[] = {"scope", "operations", "skip_model", NULL};
    ptq_status st;
    char k[256];
    if (!ig) return PTQ_STATUS_OK;
    if ((st = want_object(c, ig, key)) || (st = check_keys(c, ig, key, known))) return st;
    if (cJSON_GetObjectItemCaseSensitive(ig, "skip_model") &&
        (st = warn(c, "%s.skip_model (cascaded models) is ignored", key)))
        return st;
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(ig, "scope");
    snprintf(k, sizeof k, "%s.scope", key);
    if (scope && !cJSON_IsArray(scope)) return bad(c, k, "expected a list of node names");
    int i = 0;
    for (const cJSON *it = scope ? scope->child : NULL; it; it = it->next, i++) {
        snprintf(k, sizeof k, "%s.scope[%d]", key, i);
        if (!cJSON_IsString(it)) return bad(c, k, "expected a node name");
        if ((st = add_ignored(c, it->valuestring))) return st;
    }
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(ig, "operations");
    snprintf(k, sizeof k, "%s.operations", key);
    if (ops && !cJSON_IsArray(ops)) return bad(c, k, "expected a list of {\"type\": ...}");
    i = 0;
    for (const cJSON *it = ops ? ops->child : NULL; it; it = it->next, i++) {
        static const char *const op_known[] = {"type", "attributes", NULL};
        const char *type;
        snprintf(k, sizeof k, "%s.operations[%d]", key, i);
        if (!cJSON_IsObject(it)) return bad(c, k, "expected {\"type\": ...}");
        if ((st = check_keys(c, it, k, op_known))) return st;
        char tk[300];
        snprintf(tk, sizeof tk, "%s.type", k);
        if ((st = get_string(c, it, "type", tk, &type))) return st;
        if (!type || !*type) return bad(c, tk, "missing (an operation type)");
        const char *onnx = ptq__pot_onnx_op_type(type);
        if (onnx && strcmp(onnx, type) != 0 &&
            (st = warn(c, "%s: OpenVINO type '%s' is taken as ONNX op type '%s'", tk, type, onnx)))
            return st;
        if (cJSON_GetObjectItemCaseSensitive(it, "attributes") &&
            (st = warn(c, "%s.attributes: matching by attributes is not supported; every '%s' node is ignored", k,
                       onnx ? onnx : type)))
            return st;
        if ((st = add_ignored(c, onnx ? onnx : type))) return st;
    }
    return PTQ_STATUS_OK;
}

static ptq_status parse_params(ctx *c, const cJSON *p, const char *key)
{
    static const char *const known[] = {
        "preset", "stat_subset_size", "stat_batch_size", "target_device", "shuffle_data", "seed", "use_fast_bias",
        "range_estimator", "activations", "weights", "ignored", "model_type", "inplace_statistics",
        "use_layerwise_tuning", "saturation_fix", "threshold", "apply_for_all_nodes", "dump_intermediate_model",
        NULL};
    ptq_status st;
    char k[256];
    const char *preset, *dev, *s;
    ptq_quant_params *q = &c->cfg->params;
    int64_t n;
    int f, b;
    if (!p) return PTQ_STATUS_OK;
    if ((st = want_object(c, p, key)) || (st = check_keys(c, p, key, known))) return st;
    snprintf(k, sizeof k, "%s.preset", key);
    if ((st = get_string(c, p, "preset", k, &preset))) return st;
    if (preset) {
        if (strcmp(preset, "performance") == 0) q->preset = PTQ_QUANT_PRESET_PERFORMANCE;
        else if (strcmp(preset, "mixed") == 0) q->preset = PTQ_QUANT_PRESET_MIXED;
        else if (strcmp(preset, "accuracy") == 0) {
            q->preset = PTQ_QUANT_PRESET_MIXED;
            if ((st = warn(c, "%s 'accuracy' (asymmetric weights) is not supported; using 'mixed'", k))) return st;
        } else {
            return bad(c, k, "expected 'performance' or 'mixed'");
        }
    }
    snprintf(k, sizeof k, "%s.stat_subset_size", key);
    if ((st = get_int(c, p, "stat_subset_size", k, 1, INT64_MAX / 2, &n, &f))) return st;
    if (f) q->subset_size = n;
    snprintf(k, sizeof k, "%s.stat_batch_size", key);
    if ((st = get_int(c, p, "stat_batch_size", k, 1, 4096, &n, &f))) return st;
    if (f) q->batch = (int)n;
    snprintf(k, sizeof k, "%s.seed", key);
    if ((st = get_int(c, p, "seed", k, 0, 9007199254740992LL, &n, &f))) return st;
    if (f) q->seed = (uint64_t)n;
    snprintf(k, sizeof k, "%s.shuffle_data", key);
    if ((st = get_bool(c, p, "shuffle_data", k, &c->cfg->shuffle_data))) return st;
    b = 1;
    snprintf(k, sizeof k, "%s.use_fast_bias", key);
    if ((st = get_bool(c, p, "use_fast_bias", k, &b))) return st;
    q->bias_correction = b ? PTQ_QUANT_BIAS_CORRECTION_FAST : PTQ_QUANT_BIAS_CORRECTION_FULL;
    snprintf(k, sizeof k, "%s.target_device", key);
    if ((st = get_string(c, p, "target_device", k, &dev))) return st;
    if (dev && (st = check_device(c, dev, k))) return st;
    snprintf(k, sizeof k, "%s.range_estimator", key);
    if ((st = parse_range_estimator(c, cJSON_GetObjectItemCaseSensitive(p, "range_estimator"), k, 0))) return st;
    int mode_set = 0;
    snprintf(k, sizeof k, "%s.weights", key);
    if ((st = parse_scheme(c, cJSON_GetObjectItemCaseSensitive(p, "weights"), k, 1, &mode_set))) return st;
    snprintf(k, sizeof k, "%s.activations", key);
    if ((st = parse_scheme(c, cJSON_GetObjectItemCaseSensitive(p, "activations"), k, 0, &mode_set))) return st;
    snprintf(k, sizeof k, "%s.ignored", key);
    if ((st = parse_ignored(c, cJSON_GetObjectItemCaseSensitive(p, "ignored"), k))) return st;

    /* Accepted keys whose non-default values ptq cannot honour. */
    snprintf(k, sizeof k, "%s.model_type", key);
    if ((st = get_string(c, p, "model_type", k, &s))) return st;
    if (s && strcasecmp(s, "None") != 0 && (st = warn(c, "%s '%s' is not supported (no extra patterns); ignored", k, s)))
        return st;
    snprintf(k, sizeof k, "%s.saturation_fix", key);
    if ((st = get_string(c, p, "saturation_fix", k, &s))) return st;
    if (s && strcmp(s, "no") != 0 &&
        (st = warn(c, "%s '%s' is not implemented (ptq keeps full 8-bit weights, for VNNI/AMX CPUs)", k, s)))
        return st;
    b = 0;
    snprintf(k, sizeof k, "%s.use_layerwise_tuning", key);
    if ((st = get_bool(c, p, "use_layerwise_tuning", k, &b))) return st;
    if (b && (st = warn(c, "%s is not implemented; ignored", k))) return st;
    b = 0;
    snprintf(k, sizeof k, "%s.apply_for_all_nodes", key);
    if ((st = get_bool(c, p, "apply_for_all_nodes", k, &b))) return st;
    if (b && (st = warn(c, "%s is not implemented; ignored", k))) return st;
    b = 0;
    snprintf(k, sizeof k, "%s.dump_intermediate_model", key);
    if ((st = get_bool(c, p, "dump_intermediate_model", k, &b))) return st;
    if (b && (st = warn(c, "%s is not implemented; ignored", k))) return st;
    if (cJSON_GetObjectItemCaseSensitive(p, "threshold") && (st = warn(c, "%s.threshold is ignored by ptq", key)))
        return st;
    /* inplace_statistics only trades memory for time in POT. */
    return PTQ_STATUS_OK;
}

static ptq_status parse_compression(ctx *c, const cJSON *comp)
{
    static const char *const known[] = {"target_device", "algorithms", "model_type", "inplace_statistics",
                                        "dump_intermediate_model", NULL};
    ptq_status st;
    const char *dev, *s;
    if (!comp) return bad(c, "compression", "missing (the 'algorithms' to apply)");
    if ((st = want_object(c, comp, "compression")) || (st = check_keys(c, comp, "compression", known))) return st;
    if ((st = get_string(c, comp, "target_device", "compression.target_device", &dev))) return st;
    if (dev) {
        free(c->cfg->target_device);
        if (!(c->cfg->target_device = strdup(dev))) return ptq__oom();
        if ((st = check_device(c, dev, "compression.target_device"))) return st;
    }
    if ((st = get_string(c, comp, "model_type", "compression.model_type", &s))) return st;
    if (s && strcasecmp(s, "None") != 0 &&
        (st = warn(c, "compression.model_type '%s' is not supported (no extra patterns); ignored", s)))
        return st;
    int b = 0;
    if ((st = get_bool(c, comp, "dump_intermediate_model", "compression.dump_intermediate_model", &b))) return st;
    if (b && (st = warn(c, "compression.dump_intermediate_model is not implemented; ignored"))) return st;
    const cJSON *algs = cJSON_GetObjectItemCaseSensitive(comp, "algorithms");
    if (!algs) return bad(c, "compression.algorithms", "missing");
    if (!cJSON_IsArray(algs) || !algs->child)
        return bad(c, "compression.algorithms", "expected a non-empty list of {\"name\", \"params\"}");
    int i = 0, found = 0;
    for (const cJSON *a = algs->child; a; a = a->next, i++) {
        static const char *const a_known[] = {"name", "params", NULL};
        char k[128], nk[160];
        const char *name;
        snprintf(k, sizeof k, "compression.algorithms[%d]", i);
        if (!cJSON_IsObject(a)) return bad(c, k, "expected {\"name\", \"params\"}");
        if ((st = check_keys(c, a, k, a_known))) return st;
        snprintf(nk, sizeof nk, "%s.name", k);
        if ((st = get_string(c, a, "name", nk, &name))) return st;
        if (!name) return bad(c, nk, "missing");
        if (strcmp(name, "DefaultQuantization") != 0 && strcmp(name, "MinMaxQuantization") != 0)
            return ptq__fail(PTQ_STATUS_UNSUPPORTED,
                             "%s: %s: algorithm '%s' is not supported (ptq implements DefaultQuantization)", c->path,
                             nk, name);
        if (found) return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: %s: only one quantization algorithm is supported",
                                    c->path, k);
        found = 1;
        free(c->cfg->algorithm);
        if (!(c->cfg->algorithm = strdup(name))) return ptq__oom();
        snprintf(nk, sizeof nk, "%s.params", k);
        if ((st = parse_params(c, cJSON_GetObjectItemCaseSensitive(a, "params"), nk))) return st;
        if (strcmp(name, "MinMaxQuantization") == 0) {
            /* DefaultQuantization without alignment and bias correction. */
            c->cfg->params.channel_alignment = 0;
            c->cfg->params.bias_correction = PTQ_QUANT_BIAS_CORRECTION_NONE;
        }
    }
    return PTQ_STATUS_OK;
}

/* ---- load / destroy -------------------------------------------------------- */

void ptq_pot_config_destroy(ptq_pot_config *cfg)
{
    if (!cfg) return;
    free(cfg->path);
    free(cfg->model_name);
    free(cfg->model);
    free(cfg->weights);
    free(cfg->ac_config);
    ptq_ac_config_destroy(cfg->ac);
    free(cfg->data_source);
    free(cfg->target_device);
    free(cfg->algorithm);
    for (int i = 0; i < cfg->n_ignored; i++) free(cfg->ignored[i]);
    free(cfg->ignored);
    for (int i = 0; i < cfg->n_warnings; i++) free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg);
}

ptq_status ptq_pot_config_load(const char *path, ptq_pot_config **config_out)
{
    if (!config_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "config_out is NULL");
    *config_out = NULL;
    if (!path) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "path is NULL");
    char *text = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    ctx c;
    memset(&c, 0, sizeof c);
    c.path = path;
    /* Configs are kilobytes; a 64 MB one took 18 s and 2.5 GB of parse tree. */
    ptq_status st = ptq__read_file(path, (size_t)1 << 20, &text, &len);
    if (st) return st;
    c.cfg = calloc(1, sizeof *c.cfg);
    const char *slash = strrchr(path, '/');
    c.dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup("");
    if (!c.cfg || !c.dir) {
        st = ptq__oom();
        goto done;
    }
    c.cfg->params = ptq_quant_params_default();
    c.cfg->params.preset = PTQ_QUANT_PRESET_PERFORMANCE; /* POT's default preset */
    c.cfg->params.subset_size = 0;                       /* POT: the whole dataset */
    if (!(c.cfg->path = strdup(path)) || !(c.cfg->target_device = strdup("ANY")) ||
        !(c.cfg->algorithm = strdup("DefaultQuantization"))) {
        st = ptq__oom();
        goto done;
    }
    int line = 0;
    if (ptq__pot_strip_json_comments(text, len, &line)) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: unterminated /* comment", path, line);
        goto done;
    }
    if (strlen(text) != len) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: contains a NUL byte; not a JSON file", path);
        goto done;
    }
    const char *err = NULL;
    root = cJSON_ParseWithOpts(text, &err, 1);
    if (!root) {
        int ln = 1, col = 1;
        for (const char *p = text; err && p < err; p++) {
            if (*p == '\n') ln++, col = 1;
            else col++;
        }
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d:%d: malformed JSON", path, ln, col);
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: expected a JSON object with model, engine and compression", path);
        goto done;
    }
    static const char *const known[] = {"model", "engine", "compression", NULL};
    if ((st = check_keys(&c, root, "", known)) ||
        (st = parse_model(&c, cJSON_GetObjectItemCaseSensitive(root, "model"))) ||
        (st = parse_engine(&c, cJSON_GetObjectItemCaseSensitive(root, "engine"))) ||
        (st = parse_compression(&c, cJSON_GetObjectItemCaseSensitive(root, "compression"))))
        goto done;
    c.cfg->params.n_ignored = c.cfg->n_ignored;
    c.cfg->params.ignored = (const char *const *)c.cfg->ignored;
done:
    cJSON_Delete(root);
    free(text);
    free(c.dir);
    if (st) {
        ptq_pot_config_destroy(c.cfg);
        return st;
    }
    *config_out = c.cfg;
    return PTQ_STATUS_OK;
}

/* ---- preprocessing and datasets ---------------------------------------------- */

ptq_status ptq_pot_config_preprocess(const ptq_pot_config *cfg, const ptq_model *model, ptq_preprocess *pp_out)
{
    if (!cfg || !model || !pp_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "config, model and pp_out are required");
    ptq_preprocess pp = cfg->ac ? cfg->ac->pp : ptq_preprocess_default();
    if (!cfg->ac) pp.bgr = 1; /* POT's simplified loader reads with cv2.imread */
    ptq_value_info info;
    if (ptq_model_input_count(model) >= 1 && ptq_model_input_info(model, 0, &info) == PTQ_STATUS_OK &&
        info.rank == 4) {
        int nhwc = cfg->has_layout ? cfg->layout == PTQ_LAYOUT_NHWC
                                   : (info.dims[3] == 1 || info.dims[3] == 3) && !(info.dims[1] == 1 || info.dims[1] == 3);
        int64_t ch = nhwc ? info.dims[3] : info.dims[1], h = nhwc ? info.dims[1] : info.dims[2],
                w = nhwc ? info.dims[2] : info.dims[3];
        if (ch == 1 || ch == 3) pp.channels = (int)ch;
        pp.layout = nhwc ? PTQ_LAYOUT_NHWC : PTQ_LAYOUT_NCHW;
        if (h > 0 && w > 0 && h <= 16384 && w <= 16384) {
            pp.model_h = (int)h;
            pp.model_w = (int)w;
            if (!cfg->ac) {
                pp.resize = PTQ_RESIZE_EXACT;
                pp.resize_h = (int)h;
                pp.resize_w = (int)w;
            }
        }
    }
    ptq_status st = ptq_preprocess_validate(&pp);
    if (st) return ptq__fail_context(st, "%s: preprocessing", cfg->path);
    *pp_out = pp;
    return PTQ_STATUS_OK;
}

static int is_image_name(const char *name)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".webp", ".tif", ".tiff", NULL};
    for (int i = 0; ext[i]; i++)
        if (ends_with(name, ext[i])) return 1;
    return 0;
}

typedef struct path_list {
    char **v;
    size_t n, cap;
} path_list;

static int list_add(path_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(p))) return -1;
    l->n++;
    return 0;
}

typedef struct dir_ids {
    struct { dev_t dev; ino_t ino; } *v;
    size_t n, cap;
} dir_ids;

/* seen: the directories scanned so far. One reached again through a
 * symlink is skipped: links to an ancestor made the scan list every image
 * 2^16 times, or run for hours with three of them. */
static int scan_dir(const char *dir, path_list *l, dir_ids *seen, int depth)
{
    struct stat ds;
    if (stat(dir, &ds) != 0) return -1;
    for (size_t i = 0; i < seen->n; i++)
        if (seen->v[i].dev == ds.st_dev && seen->v[i].ino == ds.st_ino) return 0;
    if (seen->n == seen->cap) {
        size_t cap = seen->cap ? seen->cap * 2 : 16;
        void *v = realloc(seen->v, cap * sizeof *seen->v);
        if (!v) return -1;
        seen->v = v;
        seen->cap = cap;
    }
    seen->v[seen->n].dev = ds.st_dev;
    seen->v[seen->n++].ino = ds.st_ino;
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth < 16) rc = scan_dir(p, l, seen, depth + 1);
        } else if (is_image_name(e->d_name)) {
            rc = list_add(l, p);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Simplified engine: every image under data_source (or matching it as a
 * pattern), sorted, as a dataset with label 0. */
static ptq_status open_simplified(const ptq_pot_config *cfg, int64_t limit, ptq_dataset **out)
{
    path_list l = {0};
    ptq_status st = PTQ_STATUS_OK;
    struct stat sb;
    if (stat(cfg->data_source, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        dir_ids seen = {0};
        if (scan_dir(cfg->data_source, &l, &seen, 0)) st = ptq__fail(PTQ_STATUS_IO, "cannot scan %s", cfg->data_source);
        free(seen.v);
    } else {
        glob_t g;
        int r = glob(cfg->data_source, 0, NULL, &g);
        if (r == 0)
            for (size_t i = 0; i < g.gl_pathc && !st; i++)
                if (list_add(&l, g.gl_pathv[i])) st = ptq__oom();
        if (r == 0 || r == GLOB_NOMATCH) globfree(&g);
    }
    if (!st && l.n == 0)
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: engine.data_source '%s' holds no images", cfg->path,
                       cfg->data_source);
    if (!st) {
        /* the paths as they are (a list file would need names free of line ends and edge blanks) */
        qsort(l.v, l.n, sizeof *l.v, cmp_str);
        st = ptq_dataset_from_paths((const char *const *)l.v, NULL, (int64_t)l.n, limit, out);
    }
    for (size_t i = 0; i < l.n; i++) free(l.v[i]);
    free(l.v);
    return st;
}

ptq_status ptq_pot_config_open_dataset(const ptq_pot_config *cfg, int calibration, ptq_dataset **dataset_out)
{
    if (!dataset_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "dataset_out is NULL");
    *dataset_out = NULL;
    if (!cfg) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "config is NULL");
    int64_t limit = calibration && !cfg->shuffle_data ? cfg->params.subset_size : 0;
    if (cfg->engine == PTQ_POT_ENGINE_SIMPLIFIED) {
        if (!calibration)
            return ptq__fail(PTQ_STATUS_UNSUPPORTED,
                             "%s: the simplified engine has no annotations, so it cannot evaluate (POT neither); use "
                             "an Accuracy Checker engine.config",
                             cfg->path);
        return open_simplified(cfg, limit, dataset_out);
    }
    const ptq_ac_config *ac = cfg->ac;
    ptq_dataset_params dp = ptq_dataset_params_default();
    if (ac->annotation_file) {
        dp.list_path = ac->annotation_file;
        dp.root = ac->data_source;
        dp.basename_lookup = 1; /* AC's imagenet converter keeps only the file name */
    } else if (ac->data_source) {
        dp.root = ac->data_source;
    } else {
        return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: the Accuracy Checker config %s names no data", cfg->path,
                         cfg->ac_config);
    }
    dp.labels_path = ac->labels_file;
    dp.limit = limit;
    ptq_status st = ptq_dataset_open(&dp, dataset_out);
    return st ? ptq__fail_context(st, "%s: engine.config %s", cfg->path, cfg->ac_config) : st;
}
