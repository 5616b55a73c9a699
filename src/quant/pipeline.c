/* ptq_quantizer: the DefaultQuantization pipeline behind include/ptq/quantize.h,
 * its report, and ptq_model_save. */
#include "quant/quant_internal.h"
#include "api/internal.h"
#include "core/status.h"
#include "onnx/onnx_export.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ST_ALIGN, ST_STATS, ST_ALGO, ST_BC, ST_SQNR, ST_SAVE, ST_TOTAL, ST_COUNT };
static const char *const stage_names[ST_COUNT] = {"alignment", "statistics", "algorithms", "bias correction",
                                                  "sqnr", "saving", "total"};

struct ptq_quantizer {
    const ptq_model *model;
    const ptq_dataset *ds;
    ptq_preprocess pp;
    ptq_quant_params params;
    char **ignored;
    int n_ignored;
    int64_t *indices;
    int64_t count;
    bool ran;
    ptq__graph *aligned;  /* FP32 graph after channel alignment */
    ptq__stats stats;     /* kept, so ptq_quantizer_rerun needs no images */
    ptq__graph *work;     /* FP32 graph after alignment and bias correction */
    ptq__qplan plan;
    ptq_model *qmodel;    /* the QDQ result */
    int n_pairs;
    char **pairs;
    double seconds[ST_COUNT];
    double output_sqnr;
    bool has_accuracy;
    double acc[4];
    int64_t acc_images;
};

ptq_status ptq_model_save(const ptq_model *model, const char *path)
{
    if (!model || !path) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "model or path is NULL");
    return ptq__onnx_save(model->graph, path);
}

ptq_quant_params ptq_quant_params_default(void)
{
    ptq_quant_params p;
    memset(&p, 0, sizeof p);
    p.preset = PTQ_QUANT_PRESET_MIXED;
    p.estimator = PTQ_QUANT_ESTIMATOR_MEAN_MINMAX;
    p.percentile = 99.999;
    p.subset_size = 300;
    p.batch = 8;
    p.bias_correction = PTQ_QUANT_BIAS_CORRECTION_FAST;
    p.channel_alignment = 1;
    p.backend = PTQ_BACKEND_DNNL;
    p.sqnr_samples = 16;
    return p;
}

static const char *const preset_names[] = {"mixed", "performance"};
static const char *const estimator_names[] = {"mean-minmax", "minmax", "percentile", "kl", "mse"};
static const char *const bc_names[] = {"fast", "full", "none"};

static ptq_status parse_name(const char *what, const char *s, const char *const *names, int n, int *out)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return PTQ_STATUS_OK;
        }
    char list[256] = "";
    for (int i = 0; i < n; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, names[i], sizeof list - strlen(list) - 1);
    }
    return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "unknown %s '%s' (valid: %s)", what, s ? s : "(null)", list);
}

ptq_status ptq_quant_preset_parse(const char *s, ptq_quant_preset *out)
{
    int i = 0;
    ptq_status st = parse_name("preset", s, preset_names, 2, &i);
    if (!st) *out = (ptq_quant_preset)i;
    return st;
}

ptq_status ptq_quant_estimator_parse(const char *s, ptq_quant_estimator *out)
{
    int i = 0;
    ptq_status st = parse_name("estimator", s, estimator_names, 5, &i);
    if (!st) *out = (ptq_quant_estimator)i;
    return st;
}

ptq_status ptq_quant_bias_correction_parse(const char *s, ptq_quant_bias_correction *out)
{
    int i = 0;
    ptq_status st = parse_name("bias correction", s, bc_names, 3, &i);
    if (!st) *out = (ptq_quant_bias_correction)i;
    return st;
}

const char *ptq_quant_preset_name(ptq_quant_preset p) { return (unsigned)p < 2 ? preset_names[p] : "?"; }
const char *ptq_quant_estimator_name(ptq_quant_estimator e) { return (unsigned)e < 5 ? estimator_names[e] : "?"; }
const char *ptq_quant_bias_correction_name(ptq_quant_bias_correction b) { return (unsigned)b < 3 ? bc_names[b] : "?"; }

void ptq_quantizer_destroy(ptq_quantizer *q)
{
    if (!q) return;
    for (int i = 0; i < q->n_ignored; i++) free(q->ignored[i]);
    free(q->ignored);
    for (int i = 0; i < q->n_pairs; i++) free(q->pairs[i]);
    free(q->pairs);
    free(q->indices);
    ptq__graph_free(q->work);
    ptq__graph_free(q->aligned);
    ptq__stats_free(&q->stats);
    ptq__qplan_free(&q->plan);
    ptq_model_destroy(q->qmodel);
    free(q);
}

ptq_status ptq_quantizer_create(const ptq_model *model, const ptq_dataset *ds, const ptq_preprocess *pp,
                                const ptq_quant_params *params, ptq_quantizer **out)
{
    if (!out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "quantizer_out is NULL");
    *out = NULL;
    if (!model || !ds || !pp) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "model, dataset and preprocessing are required");
    ptq_quant_params dflt = ptq_quant_params_default();
    if (!params) params = &dflt;
    if ((unsigned)params->preset > 1 || (unsigned)params->estimator > 4 || (unsigned)params->bias_correction > 2)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "bad preset, estimator or bias-correction value");
    if (params->percentile <= 50 || params->percentile > 100)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "percentile must be in (50, 100], got %g", params->percentile);
    if (params->batch < 1 || params->subset_size < 0 || params->sqnr_samples < 0 || params->n_ignored < 0)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "batch must be >= 1; subset, sqnr_samples and n_ignored >= 0");
    ptq_status st = ptq_preprocess_validate(pp);
    if (st) return st;
    if (model->graph->n_inputs != 1)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "calibration needs a model with exactly one input (this one has %d)",
                         model->graph->n_inputs);
    int64_t size = ptq_dataset_size(ds);
    if (size < 1) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "the calibration dataset is empty");
    ptq_quantizer *q = calloc(1, sizeof *q);
    if (!q) return ptq__oom();
    q->model = model;
    q->ds = ds;
    q->pp = *pp;
    q->params = *params;
    q->params.ignored = NULL;
    q->output_sqnr = NAN;
    q->count = params->subset_size == 0 || params->subset_size > size ? size : params->subset_size;
    q->indices = malloc(sizeof(int64_t) * (size_t)q->count);
    q->ignored = calloc((size_t)params->n_ignored + 1, sizeof(char *));
    if (!q->indices || !q->ignored) goto oom;
    for (int i = 0; i < params->n_ignored; i++) {
        if (!params->ignored || !params->ignored[i]) {
            ptq_quantizer_destroy(q);
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ignored[%d] is NULL", i);
        }
        if (!(q->ignored[i] = strdup(params->ignored[i]))) goto oom;
        q->n_ignored++;
    }
    if ((st = ptq_dataset_subset(ds, q->count, params->seed, q->indices))) {
        ptq_quantizer_destroy(q);
        return st;
    }
    *out = q;
    return PTQ_STATUS_OK;
oom:
    ptq_quantizer_destroy(q);
    return ptq__oom();
}

static ptq__calib make_calib(const ptq_quantizer *q, int64_t count)
{
    /* A model that fixes its batch (exported with batch 1, say) runs with it. */
    int64_t fixed = ptq__model_fixed_batch(q->model);
    int batch = fixed > 0 && fixed <= INT32_MAX ? (int)fixed : q->params.batch;
    ptq__calib c = {.ds = q->ds, .pp = &q->pp, .indices = q->indices, .count = count, .batch = batch, .fixed_batch = fixed,
                    .backend = q->params.backend, .threads = q->params.threads,
                    .loader_threads = q->params.loader_threads, .progress = q->params.progress,
                    .progress_user = q->params.progress_user};
    return c;
}

/* Statistics of every quantized activation and of every layer's input and
 * output (per-channel means, for bias correction). */
static ptq_status collect(ptq_quantizer *q, ptq__stats *stats)
{
    ptq__qplan *plan = &q->plan;
    int cap = plan->n_points + 2 * plan->n_layers + 1, n = 0;
    const char **names = malloc(sizeof(char *) * (size_t)cap);
    int *flags = malloc(sizeof(int) * (size_t)cap);
    if (!names || !flags) {
        free(names);
        free(flags);
        return ptq__oom();
    }
    /* Histograms and channel means are always collected (cheap next to the
     * inference) so that ptq_quantizer_rerun can switch estimators and bias
     * correction without another pass over the images. */
    bool hist = true, chan = true;
    for (int i = 0; i < plan->n_points; i++) {
        if (plan->points[i].share >= 0) continue;
        names[n] = plan->points[i].value;
        flags[n++] = hist ? PTQ__OBS_HIST : 0;
    }
    /* FastBiasCorrection needs the per-channel means of the layer inputs. */
    for (int i = 0; i < plan->n_layers && chan; i++) {
        const char *in = plan->layers[i].input;
        int found = -1;
        for (int j = 0; j < n && found < 0; j++)
            if (strcmp(names[j], in) == 0) found = j;
        if (found >= 0) flags[found] |= PTQ__OBS_CHANNEL;
        else {
            names[n] = in;
            flags[n++] = PTQ__OBS_CHANNEL;
        }
    }
    ptq__calib c = make_calib(q, q->count);
    ptq_status st = ptq__stats_collect(&c, "statistics", q->aligned, n, names, flags, stats);
    free(names);
    free(flags);
    return st;
}

static void compute_ranges(ptq_quantizer *q, ptq__stats *stats)
{
    ptq__qplan *plan = &q->plan;
    bool sym = q->params.preset == PTQ_QUANT_PRESET_PERFORMANCE;
    for (int i = 0; i < plan->n_points; i++) {
        ptq__qpoint *p = &plan->points[i];
        if (p->share >= 0) continue;
        ptq__tstats *st = ptq__stats_find(stats, p->value);
        if (!st) continue;
        p->obs_min = st->min;
        p->obs_max = st->max;
        ptq__estimate_range(st, q->params.estimator, q->params.percentile, sym, &p->q.lo, &p->q.hi);
    }
    /* Unified groups (Concat): one range, the union. */
    for (int gidx = 0; gidx < plan->n_groups; gidx++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < plan->n_points; i++)
            if (plan->points[i].group == gidx) {
                lo = fmin(lo, plan->points[i].q.lo);
                hi = fmax(hi, plan->points[i].q.hi);
            }
        for (int i = 0; i < plan->n_points; i++)
            if (plan->points[i].group == gidx) {
                plan->points[i].q.lo = lo;
                plan->points[i].q.hi = hi;
            }
    }
    for (int i = 0; i < plan->n_points; i++) {
        ptq__qpoint *p = &plan->points[i];
        if (p->share >= 0) continue;
        ptq__qparams_from_range(p->q.lo, p->q.hi, sym, &p->q);
    }
    for (int i = 0; i < plan->n_points; i++) {
        ptq__qpoint *p = &plan->points[i];
        int s = i;
        for (int hops = 0; plan->points[s].share >= 0 && hops < plan->n_points; hops++) s = plan->points[s].share;
        if (s != i) {
            p->q = plan->points[s].q;
            p->obs_min = plan->points[s].obs_min;
            p->obs_max = plan->points[s].obs_max;
        }
    }
}

/* Per-layer SQNR of each quantized layer's output (and of the model output),
 * FP32 graph vs QDQ graph, on the first sqnr_samples calibration images:
 * the mean over images of 10 log10(sum y^2 / sum (y - y_q)^2). Per image, so
 * that one image with rare huge activations (clipped by design) does not
 * dominate the energy sums of all the others. */
typedef struct sqnr_ctx {
    int n;
    double *db;
    int64_t images;
} sqnr_ctx;

static ptq_status sqnr_batch(void *user, int n, ptq_tensor **const *outs)
{
    sqnr_ctx *sc = user;
    for (int k = 0; k < sc->n; k++) {
        const ptq_tensor *a = outs[0][k], *b = outs[1][k];
        int64_t m = ptq_tensor_numel(a);
        if (ptq_tensor_numel(b) != m) return ptq__fail(PTQ_STATUS_INVALID_STATE, "sqnr: FP32 and INT8 outputs differ in size");
        int64_t per = m / n;
        const float *x = a->data, *y = b->data;
        for (int s = 0; s < n; s++) {
            double sig = 0, noise = 0;
            for (int64_t i = s * per; i < (s + 1) * per; i++) {
                double d = (double)x[i] - (double)y[i];
                sig += (double)x[i] * x[i];
                noise += d * d;
            }
            sc->db[k] += noise > 0 && sig > 0 ? 10.0 * log10(sig / noise) : 100.0;
        }
    }
    sc->images += n;
    return PTQ_STATUS_OK;
}

static ptq_status measure_sqnr(ptq_quantizer *q)
{
    int64_t count = q->params.sqnr_samples < q->count ? q->params.sqnr_samples : q->count;
    if (count <= 0) return PTQ_STATUS_OK;
    const ptq__graph *qg = q->qmodel->graph;
    int n = q->plan.n_layers + 1;
    const char **names = malloc(sizeof(char *) * (size_t)n);
    sqnr_ctx sc = {.n = n, .db = calloc((size_t)n, sizeof(double))};
    ptq_status st = PTQ_STATUS_OK;
    if (!names || !sc.db) st = ptq__oom();
    for (int i = 0; !st && i < q->plan.n_layers; i++) names[i] = q->plan.layers[i].output;
    if (!st) names[n - 1] = q->work->values[q->work->outputs[0]].name;
    if (!st) {
        ptq__calib c = make_calib(q, count);
        const ptq__graph *graphs[2] = {q->work, qg};
        const char *const *nm[2] = {names, names};
        st = ptq__calib_run(&c, "sqnr", 2, graphs, nm, n, sqnr_batch, &sc);
    }
    for (int i = 0; !st && i < n; i++) {
        double db = sc.images > 0 ? sc.db[i] / (double)sc.images : NAN;
        if (i < q->plan.n_layers) q->plan.layers[i].sqnr_db = db;
        else q->output_sqnr = db;
    }
    free(names);
    free(sc.db);
    return st;
}

/* Steps 3-5 on a fresh copy of the aligned graph and the kept statistics. */
static ptq_status algorithms(ptq_quantizer *q)
{
    double t = ptq__now();
    ptq__graph_free(q->work);
    q->work = NULL;
    ptq__qplan_free(&q->plan);
    ptq_model_destroy(q->qmodel);
    q->qmodel = NULL;
    ptq_status st = ptq__graph_clone(q->aligned, &q->work);
    if (!st) st = ptq__qplan_build(q->work, q->n_ignored, q->ignored, q->params.per_tensor_weights != 0, &q->plan);
    if (!st) {
        compute_ranges(q, &q->stats);
        st = ptq__qplan_quantize_weights(&q->plan, q->work);
    }
    double t_bc = ptq__now();
    if (!st && q->params.bias_correction == PTQ_QUANT_BIAS_CORRECTION_FAST)
        st = ptq__fast_bias_correction(q->work, &q->plan, &q->stats);
    else if (!st && q->params.bias_correction == PTQ_QUANT_BIAS_CORRECTION_FULL) {
        ptq__calib c = make_calib(q, q->count);
        st = ptq__full_bias_correction(&c, q->work, &q->plan, q->n_ignored, q->ignored);
    }
    q->seconds[ST_BC] = ptq__now() - t_bc;
    if (!st && !(q->qmodel = calloc(1, sizeof *q->qmodel))) st = ptq__oom();
    if (!st) st = ptq__qdq_build(q->work, &q->plan, true, q->n_ignored, q->ignored, &q->qmodel->graph);
    q->seconds[ST_ALGO] = ptq__now() - t;

    t = ptq__now();
    q->output_sqnr = NAN;
    if (!st) st = measure_sqnr(q);
    q->seconds[ST_SQNR] = ptq__now() - t;
    if (st) {
        ptq_model_destroy(q->qmodel);
        q->qmodel = NULL;
    }
    return st;
}

ptq_status ptq_quantizer_run(ptq_quantizer *q)
{
    if (!q) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "quantizer is NULL");
    if (q->ran) return ptq__fail(PTQ_STATUS_INVALID_STATE, "the quantizer already ran");
    q->ran = true;
    double t_start = ptq__now(), t;
    ptq_status st = ptq__graph_clone(q->model->graph, &q->aligned);

    /* 1. ActivationChannelAlignment */
    t = ptq__now();
    if (!st && q->params.channel_alignment) {
        ptq__calib c = make_calib(q, q->count);
        st = ptq__align_channels(&c, q->aligned, q->n_ignored, q->ignored, &q->n_pairs, &q->pairs);
    }
    q->seconds[ST_ALIGN] = ptq__now() - t;

    /* 2. placement + statistics on the aligned FP32 graph */
    if (!st) st = ptq__qplan_build(q->aligned, q->n_ignored, q->ignored, q->params.per_tensor_weights != 0, &q->plan);
    if (!st && q->plan.n_layers == 0 && q->plan.n_points == 0) {
        /* A QDQ model's Conv reads DequantizeLinear outputs, which placement skips. */
        bool qdq = false;
        const char *path = q->aligned->path ? q->aligned->path : "model";
        for (int i = 0; i < q->aligned->n_nodes; i++)
            qdq |= q->aligned->nodes[i].op == PTQ__OP_QUANTIZE_LINEAR || q->aligned->nodes[i].op == PTQ__OP_DEQUANTIZE_LINEAR;
        st = qdq ? ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: nothing to quantize: the model is already quantized "
                                                     "(it has QuantizeLinear/DequantizeLinear nodes)", path)
                 : ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: nothing to quantize: the model has no Conv, Gemm, MatMul, Add or "
                                                     "pooling node outside the ignored list", path);
    }
    t = ptq__now();
    if (!st) st = collect(q, &q->stats);
    q->seconds[ST_STATS] = ptq__now() - t;

    /* 3. MinMaxQuantization, 4. bias correction, 5. SQNR */
    if (!st) st = algorithms(q);
    q->seconds[ST_TOTAL] = ptq__now() - t_start;
    return st;
}

ptq_status ptq_quantizer_rerun(ptq_quantizer *q, const ptq_quant_params *params)
{
    if (!q || !params) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "quantizer or params is NULL");
    if (!q->ran || !q->stats.n) return ptq__fail(PTQ_STATUS_INVALID_STATE, "ptq_quantizer_run has not completed yet");
    if ((unsigned)params->preset > 1 || (unsigned)params->estimator > 4 || (unsigned)params->bias_correction > 2 ||
        params->percentile <= 50 || params->percentile > 100 || params->sqnr_samples < 0)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "bad preset, estimator, bias correction, percentile or sqnr_samples");
    q->params.preset = params->preset;
    q->params.estimator = params->estimator;
    q->params.percentile = params->percentile;
    q->params.bias_correction = params->bias_correction;
    q->params.per_tensor_weights = params->per_tensor_weights;
    q->params.sqnr_samples = params->sqnr_samples;
    q->params.progress = params->progress;
    q->params.progress_user = params->progress_user;
    q->has_accuracy = false;
    q->seconds[ST_SAVE] = 0;
    double t = ptq__now();
    ptq_status st = algorithms(q);
    q->seconds[ST_TOTAL] = q->seconds[ST_ALIGN] + q->seconds[ST_STATS] + (ptq__now() - t);
    return st;
}

const ptq_model *ptq_quantizer_model(const ptq_quantizer *q) { return q ? q->qmodel : NULL; }

ptq_status ptq_quantizer_save(ptq_quantizer *q, const char *path)
{
    if (!q || !path) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "quantizer or path is NULL");
    if (!q->qmodel) return ptq__fail(PTQ_STATUS_INVALID_STATE, "the quantizer has not run successfully yet");
    double t = ptq__now();
    if (q->params.progress) q->params.progress(q->params.progress_user, "saving", 0, 1);
    ptq_status st = ptq__onnx_save(q->qmodel->graph, path);
    q->seconds[ST_SAVE] += ptq__now() - t;
    if (!st && q->params.progress) q->params.progress(q->params.progress_user, "saving", 1, 1);
    return st;
}

ptq_status ptq_quantizer_set_accuracy(ptq_quantizer *q, double fp32_top1, double fp32_top5, double int8_top1,
                                      double int8_top5, int64_t images)
{
    if (!q) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "quantizer is NULL");
    q->has_accuracy = true;
    q->acc[0] = fp32_top1;
    q->acc[1] = fp32_top5;
    q->acc[2] = int8_top1;
    q->acc[3] = int8_top5;
    q->acc_images = images;
    return PTQ_STATUS_OK;
}

double ptq_quantizer_stage_seconds(const ptq_quantizer *q, const char *stage)
{
    for (int i = 0; q && stage && i < ST_COUNT; i++)
        if (strcmp(stage, stage_names[i]) == 0) return q->seconds[i];
    return 0;
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

ptq_status ptq_quantizer_report_json(const ptq_quantizer *q, char **json_out)
{
    if (!json_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "json_out is NULL");
    *json_out = NULL;
    if (!q) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "quantizer is NULL");
    cJSON *root = cJSON_CreateObject();
    if (!root) return ptq__oom();
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    cJSON_AddStringToObject(set, "algorithm", "DefaultQuantization");
    cJSON_AddStringToObject(set, "preset", ptq_quant_preset_name(q->params.preset));
    cJSON_AddStringToObject(set, "estimator", ptq_quant_estimator_name(q->params.estimator));
    if (q->params.estimator == PTQ_QUANT_ESTIMATOR_PERCENTILE) cJSON_AddNumberToObject(set, "percentile", q->params.percentile);
    cJSON_AddNumberToObject(set, "subset_size", (double)q->count);
    cJSON_AddNumberToObject(set, "seed", (double)q->params.seed);
    cJSON_AddNumberToObject(set, "batch", q->params.batch);
    cJSON_AddStringToObject(set, "weights", q->params.per_tensor_weights ? "per-tensor symmetric int8, 255 levels"
                                                                         : "per-channel symmetric int8, 255 levels");
    cJSON_AddStringToObject(set, "activations", q->params.preset == PTQ_QUANT_PRESET_MIXED
                                                    ? "per-tensor asymmetric uint8"
                                                    : "per-tensor symmetric (int8, uint8 when never negative)");
    cJSON_AddStringToObject(set, "bias_correction", ptq_quant_bias_correction_name(q->params.bias_correction));
    cJSON_AddBoolToObject(set, "channel_alignment", q->params.channel_alignment != 0);
    cJSON *ign = cJSON_AddArrayToObject(set, "ignored");
    for (int i = 0; i < q->n_ignored; i++) cJSON_AddItemToArray(ign, cJSON_CreateString(q->ignored[i]));
    char ppbuf[2048];
    ptq_preprocess_to_json(&q->pp, ppbuf, sizeof ppbuf);
    cJSON *ppj = cJSON_Parse(ppbuf);
    if (ppj) cJSON_AddItemToObject(set, "preprocessing", ppj);

    cJSON *secs = cJSON_AddObjectToObject(root, "seconds");
    for (int i = 0; i < ST_COUNT; i++) cJSON_AddNumberToObject(secs, stage_names[i], q->seconds[i]);

    cJSON *pairs = cJSON_AddArrayToObject(root, "alignment_pairs");
    for (int i = 0; i < q->n_pairs; i++)
        if (q->pairs[i]) cJSON_AddItemToArray(pairs, cJSON_CreateString(q->pairs[i]));

    cJSON *tensors = cJSON_AddArrayToObject(root, "tensors");
    for (int i = 0; i < q->plan.n_points; i++) {
        const ptq__qpoint *p = &q->plan.points[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", p->value);
        cJSON_AddStringToObject(o, "dtype", ptq_dtype_name(p->q.dtype));
        cJSON_AddItemToObject(o, "min", num_or_null(p->obs_min));
        cJSON_AddItemToObject(o, "max", num_or_null(p->obs_max));
        cJSON_AddItemToObject(o, "range_min", num_or_null(p->q.lo));
        cJSON_AddItemToObject(o, "range_max", num_or_null(p->q.hi));
        cJSON_AddItemToObject(o, "scale", num_or_null(p->q.scale));
        cJSON_AddNumberToObject(o, "zero_point", p->q.zero_point);
        if (p->share >= 0) cJSON_AddStringToObject(o, "shares_with", q->plan.points[p->share].value);
        cJSON_AddItemToArray(tensors, o);
    }
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (int i = 0; i < q->plan.n_layers; i++) {
        const ptq__qlayer *l = &q->plan.layers[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", l->node_name);
        cJSON_AddStringToObject(o, "op", l->op_type);
        cJSON_AddStringToObject(o, "weight", l->weight);
        cJSON_AddNumberToObject(o, "channels", l->per_tensor ? 1 : l->channels);
        float smin = INFINITY, smax = 0;
        for (int c = 0; l->w_scale && c < (l->per_tensor ? 1 : l->channels); c++) {
            smin = fminf(smin, l->w_scale[c]);
            smax = fmaxf(smax, l->w_scale[c]);
        }
        cJSON_AddItemToObject(o, "weight_scale_min", num_or_null(smin));
        cJSON_AddItemToObject(o, "weight_scale_max", num_or_null(smax));
        cJSON_AddItemToObject(o, "sqnr_db", num_or_null(l->sqnr_db));
        cJSON_AddStringToObject(o, "bias_correction", l->bias_corrected > 0 ? "applied" : l->bias_corrected < 0 ? "skipped (threshold)" : "none");
        cJSON_AddItemToArray(layers, o);
    }
    cJSON_AddItemToObject(root, "output_sqnr_db", num_or_null(q->output_sqnr));
    if (q->has_accuracy) {
        cJSON *acc = cJSON_AddObjectToObject(root, "accuracy");
        cJSON_AddNumberToObject(acc, "images", (double)q->acc_images);
        cJSON_AddNumberToObject(acc, "fp32_top1", q->acc[0]);
        cJSON_AddNumberToObject(acc, "fp32_top5", q->acc[1]);
        cJSON_AddNumberToObject(acc, "int8_top1", q->acc[2]);
        cJSON_AddNumberToObject(acc, "int8_top5", q->acc[3]);
        cJSON_AddNumberToObject(acc, "top1_drop", q->acc[0] - q->acc[2]);
        /* the same, shaped as {"fp32": {"top1", "top5"}, "int8": {...}} */
        for (int k = 0; k < 2; k++) {
            cJSON *m = cJSON_AddObjectToObject(root, k ? "int8" : "fp32");
            cJSON_AddNumberToObject(m, "top1", q->acc[2 * k]);
            cJSON_AddNumberToObject(m, "top5", q->acc[2 * k + 1]);
        }
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s) return ptq__oom();
    *json_out = s;
    return PTQ_STATUS_OK;
}
