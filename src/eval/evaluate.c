/* The evaluation loop: threaded loading overlapped with batched inference,
 * top-k bookkeeping, per-class accuracy and the label checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "core/status.h"
#include "eval/eval_internal.h"

ptq_eval_params ptq_eval_params_default(void)
{
    ptq_eval_params p;
    memset(&p, 0, sizeof p);
    p.batch = 8;
    p.diagnose = PTQ_EVAL_DIAGNOSE_AUTO;
    p.expect_top1 = -1;
    p.diagnosis_images = 200;
    return p;
}

ptq_input_shape ptq_eval_input_shape(const ptq_preprocess *pp, int batch)
{
    ptq_input_shape s;
    memset(&s, 0, sizeof s);
    s.rank = 4;
    s.dims[0] = batch;
    if (pp->layout == PTQ_LAYOUT_NHWC) {
        s.dims[1] = pp->model_h;
        s.dims[2] = pp->model_w;
        s.dims[3] = pp->channels;
    } else {
        s.dims[1] = pp->channels;
        s.dims[2] = pp->model_h;
        s.dims[3] = pp->model_w;
    }
    return s;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Top-k of one row of any numeric dtype. */
static void row_top_k(const ptq_tensor *t, int64_t row, int64_t c, float *tmp, int32_t *top)
{
    const char *base = t->data;
    for (int64_t j = 0; j < c; j++) {
        int64_t k = row * c + j;
        switch (t->dtype) {
        case PTQ_DTYPE_FLOAT32: tmp[j] = ((const float *)base)[k]; break;
        case PTQ_DTYPE_FLOAT64: tmp[j] = (float)((const double *)base)[k]; break;
        case PTQ_DTYPE_UINT8: tmp[j] = ((const uint8_t *)base)[k]; break;
        case PTQ_DTYPE_INT8: tmp[j] = ((const int8_t *)base)[k]; break;
        case PTQ_DTYPE_INT32: tmp[j] = (float)((const int32_t *)base)[k]; break;
        case PTQ_DTYPE_INT64: tmp[j] = (float)((const int64_t *)base)[k]; break;
        default: tmp[j] = 0; break;
        }
    }
    int idx[PTQ__EVAL_K];
    int m = ptq_eval_top_k(tmp, (int)c, PTQ__EVAL_K, idx);
    for (int j = 0; j < PTQ__EVAL_K; j++) top[j] = j < m ? idx[j] : -1;
}

static int score_dtype_ok(ptq_dtype d)
{
    return d == PTQ_DTYPE_FLOAT32 || d == PTQ_DTYPE_FLOAT64 || d == PTQ_DTYPE_UINT8 || d == PTQ_DTYPE_INT8 ||
           d == PTQ_DTYPE_INT32 || d == PTQ_DTYPE_INT64;
}

ptq_status ptq__eval_pass(ptq_session *session, const ptq_dataset *ds, const int64_t *indices, int64_t count,
                          const ptq_preprocess *pp, int batch, int threads, int skip_bad_images,
                          ptq_eval_progress_fn progress, void *progress_user, ptq__eval_preds *out)
{
    memset(out, 0, sizeof *out);
    const ptq__graph *g = session->graph;
    int n_out = g->n_outputs;
    ptq_status st;
    ptq_loader *loader = NULL;
    ptq_tensor *padded = NULL, *batch_t = NULL;
    ptq_tensor **outputs = calloc((size_t)n_out, sizeof *outputs);
    int32_t *blabels = malloc((size_t)batch * sizeof *blabels);
    float *tmp = NULL;
    if (!outputs || !blabels) {
        st = ptq__oom();
        goto done;
    }
    if ((st = ptq_loader_create(ds, indices, count, pp, batch, threads, skip_bad_images, &loader))) goto done;
    int64_t total = ptq_loader_count(loader);
    if (total > 0) {
        out->top = malloc((size_t)total * sizeof *out->top);
        out->labels = malloc((size_t)total * sizeof *out->labels);
        if (!out->top || !out->labels) {
            st = ptq__oom();
            goto done;
        }
    }
    ptq_input_shape shape = ptq_eval_input_shape(pp, batch);
    double t0 = now_seconds();
    int64_t visited = 0;
    for (;;) {
        int n = 0;
        if ((st = ptq_loader_next(loader, &batch_t, blabels, &n))) goto done;
        if (!batch_t) break;
        const ptq_tensor *in = batch_t;
        if (n < batch) {
            if (!padded && (st = ptq_tensor_create(PTQ_DTYPE_FLOAT32, shape.rank, shape.dims, &padded))) goto done;
            size_t bytes = (size_t)ptq_tensor_numel(batch_t) * sizeof(float);
            size_t all = (size_t)ptq_tensor_numel(padded) * sizeof(float);
            if (bytes > all) bytes = all;
            memcpy(padded->data, batch_t->data, bytes);
            memset((char *)padded->data + bytes, 0, all - bytes);
            in = padded;
        }
        if ((st = ptq_session_run(session, 1, &in, n_out, outputs))) goto done;
        const ptq_tensor *o = outputs[0];
        if (o->rank < 1 || o->dims[0] != batch || !score_dtype_ok(o->dtype)) {
            st = ptq__fail(PTQ_STATUS_UNSUPPORTED,
                           "the first output must be numeric scores of shape [%d, classes], got %s with rank %d", batch,
                           ptq_dtype_name(o->dtype), o->rank);
            goto done;
        }
        int64_t c = ptq_tensor_numel(o) / batch;
        if (c < 1 || c > (1 << 24)) {
            st = ptq__fail(PTQ_STATUS_UNSUPPORTED, "the first output has %lld scores per image", (long long)c);
            goto done;
        }
        if (!tmp) {
            out->classes = (int32_t)c;
            if (!(tmp = malloc((size_t)c * sizeof *tmp))) {
                st = ptq__oom();
                goto done;
            }
        }
        for (int i = 0; i < n && out->n < total; i++) {
            row_top_k(o, i, c, tmp, out->top[out->n]);
            out->labels[out->n] = blabels[i];
            out->n++;
        }
        for (int i = 0; i < n_out; i++) {
            ptq_tensor_destroy(outputs[i]);
            outputs[i] = NULL;
        }
        ptq_tensor_destroy(batch_t);
        batch_t = NULL;
        out->skipped = ptq_loader_skipped(loader);
        visited = out->n + out->skipped;
        if (progress) progress(progress_user, visited, total);
    }
    out->skipped = ptq_loader_skipped(loader);
    out->seconds = now_seconds() - t0;
done:
    for (int i = 0; outputs && i < n_out; i++) ptq_tensor_destroy(outputs[i]);
    free(outputs);
    free(blabels);
    free(tmp);
    ptq_tensor_destroy(batch_t);
    ptq_tensor_destroy(padded);
    ptq_loader_destroy(loader);
    if (st) ptq__eval_preds_free(out);
    return st;
}

/* 1-based line number of the `sample`-th data line of an annotation list
 * (blank and '#' lines do not count), or 0 when unknown. */
static int64_t list_line_of(const char *path, int64_t sample)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return 0;
    char buf[8192];
    int64_t line = 0, data = -1, found = 0;
    int at_start = 1;
    while (fgets(buf, sizeof buf, f)) {
        if (at_start) {
            line++;
            const char *p = buf;
            while (*p == ' ' || *p == '\t') p++;
            if (*p != '#' && *p != '\n' && *p != '\r' && *p != 0 && ++data == sample) {
                found = line;
                break;
            }
        }
        at_start = strchr(buf, '\n') != NULL;
    }
    fclose(f);
    return found;
}

/* First sample among the indices whose label + offset is outside 0..c-1;
 * -1 when all are in range. *n_bad_out gets how many are. */
static int64_t first_bad_label(const ptq_dataset *ds, const int64_t *indices, int64_t count, int offset, int32_t c,
                               int64_t *n_bad_out)
{
    int64_t first = -1, n_bad = 0;
    for (int64_t k = 0; k < count; k++) {
        int64_t i = indices ? indices[k] : k;
        int64_t label = (int64_t)ptq_dataset_label(ds, i) + offset;
        if (label < 0 || label >= c) {
            if (first < 0) first = i;
            n_bad++;
        }
    }
    *n_bad_out = n_bad;
    return first;
}

static ptq_status label_error(const ptq_dataset *ds, const ptq_eval_params *ep, int64_t sample, int64_t n_bad,
                              int32_t c)
{
    int32_t label = ptq_dataset_label(ds, sample);
    int64_t line = list_line_of(ep->annotation_path, sample);
    char where[1200] = "";
    if (ep->annotation_path && line > 0)
        snprintf(where, sizeof where, "%s:%lld: ", ep->annotation_path, (long long)line);
    else if (ep->annotation_path)
        snprintf(where, sizeof where, "%s: ", ep->annotation_path);
    char off[64] = "";
    if (ep->label_offset) snprintf(off, sizeof off, " (%+d with --label-offset)", ep->label_offset);
    return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT,
                     "%simage '%s' has label %d%s but the model outputs %d classes (labels must be 0..%d); "
                     "%lld label(s) are out of range. Labels 1-based? try --label-offset -1",
                     where, ptq_dataset_image_path(ds, sample), (int)label, off, (int)c, (int)c - 1, (long long)n_bad);
}

static ptq_status check_session_input(const ptq_session *s, const ptq_preprocess *pp, int batch)
{
    const ptq__graph *g = s->graph;
    if (g->n_inputs != 1)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "evaluation needs a model with one image input; this one has %d inputs",
                         g->n_inputs);
    const ptq__value *v = &g->values[g->inputs[0]];
    ptq_input_shape want = ptq_eval_input_shape(pp, batch);
    int same = v->rank == want.rank && v->dtype == PTQ_DTYPE_FLOAT32;
    for (int d = 0; same && d < v->rank; d++) same = v->dims[d] == want.dims[d];
    if (!same) {
        char a[128] = "", b[128] = "";
        for (int d = 0; d < v->rank; d++)
            snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", d ? "x" : "", (long long)v->dims[d]);
        for (int d = 0; d < want.rank; d++)
            snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", d ? "x" : "", (long long)want.dims[d]);
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT,
                         "the session's input '%s' is %s %s, but batch %d and the preprocessing give float32 %s", v->name,
                         ptq_dtype_name(v->dtype), a, batch, b);
    }
    return PTQ_STATUS_OK;
}

ptq_status ptq_evaluate_session(ptq_session *session, const ptq_dataset *ds, const int64_t *indices, int64_t count,
                                const ptq_preprocess *pp, const ptq_eval_params *ep_in, ptq_eval_report **report_out)
{
    if (!report_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "report_out is NULL");
    *report_out = NULL;
    if (!session || !ds || !pp) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "session, dataset or preprocessing is NULL");
    ptq_eval_params ep = ep_in ? *ep_in : ptq_eval_params_default();
    if (ep.batch < 1 || ep.batch > 4096) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "batch %d out of range 1..4096", ep.batch);
    if (ep.threads < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "threads must be >= 0");
    if (ep.limit < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "limit must be >= 0");
    if (!indices) count = ptq_dataset_size(ds);
    if (count < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "count must be >= 0");
    if (ep.limit > 0 && ep.limit < count) count = ep.limit;
    if (count == 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "no images to evaluate");
    for (int64_t k = 0; indices && k < count; k++)
        if (indices[k] < 0 || indices[k] >= ptq_dataset_size(ds))
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "index %lld out of range (dataset has %lld samples)",
                             (long long)indices[k], (long long)ptq_dataset_size(ds));
    ptq_status st;
    if ((st = ptq_preprocess_validate(pp))) return st;
    /* The session decides the batch (a model may fix it, to 1 say). */
    const ptq__value *in0 = session->graph->n_inputs == 1 ? &session->graph->values[session->graph->inputs[0]] : NULL;
    if (in0 && in0->rank >= 1 && in0->dims[0] >= 1 && in0->dims[0] <= 4096) ep.batch = (int)in0->dims[0];
    if ((st = check_session_input(session, pp, ep.batch))) return st;
    int64_t *own = NULL; /* the loader visits all samples when given no indices */
    if (!indices && count < ptq_dataset_size(ds)) {
        if (!(own = malloc((size_t)count * sizeof *own))) return ptq__oom();
        for (int64_t k = 0; k < count; k++) own[k] = k;
        indices = own;
    }

    if (ep.diagnose == PTQ_EVAL_DIAGNOSE_NEVER) { /* fail before the pass when the class count is static */
        const ptq__graph *g = session->graph;
        const ptq__value *ov = &g->values[g->outputs[0]];
        int64_t numel = 1;
        for (int d = 0; d < ov->rank && numel > 0; d++) numel = ov->dims[d] > 0 && ov->dims[d] < (1 << 24) ? numel * ov->dims[d] : -1;
        if (ov->rank >= 1 && numel > 0 && numel % ep.batch == 0 && numel / ep.batch <= INT32_MAX) {
            int64_t n_bad = 0, bad = first_bad_label(ds, indices, count, ep.label_offset, (int32_t)(numel / ep.batch), &n_bad);
            if (bad >= 0) {
                free(own);
                return label_error(ds, &ep, bad, n_bad, (int32_t)(numel / ep.batch));
            }
        }
    }
    ptq__eval_preds preds;
    ptq_eval_report *r = calloc(1, sizeof *r);
    if (!r) {
        free(own);
        return ptq__oom();
    }
    memset(&preds, 0, sizeof preds);
    r->pp = *pp;
    r->label_offset = ep.label_offset;
    if ((st = ptq__eval_pass(session, ds, indices, count, pp, ep.batch, ep.threads, ep.skip_bad_images, ep.progress,
                             ep.progress_user, &preds)))
        goto fail;
    if (preds.n == 0) {
        st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "no image could be evaluated (%lld skipped)", (long long)preds.skipped);
        goto fail;
    }
    int32_t c = preds.classes;
    r->classes = c;
    r->images = preds.n;
    r->skipped = preds.skipped;
    r->seconds = preds.seconds;
    ptq__eval_counts cnt = ptq__eval_count(&preds, ep.label_offset);
    r->top1 = (double)cnt.correct1 / (double)cnt.n;
    r->top5 = (double)cnt.correct5 / (double)cnt.n;
    r->class_images = calloc((size_t)c, sizeof *r->class_images);
    r->class_correct = calloc((size_t)c, sizeof *r->class_correct);
    if (!r->class_images || !r->class_correct) {
        st = ptq__oom();
        goto fail;
    }
    ptq__eval_per_class(&preds, ep.label_offset, r->class_images, r->class_correct);
    int64_t n_bad = 0, first_bad = first_bad_label(ds, indices, count, ep.label_offset, c, &n_bad);
    int32_t ds_classes = ptq_dataset_class_count(ds);
    if (ds_classes > c && first_bad < 0)
        ptq__eval_report_warn(r, "the dataset names %d classes but the model outputs %d", (int)ds_classes, (int)c);

    int want_diag = ep.diagnose == PTQ_EVAL_DIAGNOSE_ALWAYS;
    if (ep.diagnose == PTQ_EVAL_DIAGNOSE_AUTO)
        want_diag = r->top1 <= 2.0 / c || (ep.expect_top1 >= 0 && r->top1 < ep.expect_top1 - 0.05) || n_bad > 0;
    if (n_bad > 0 && !want_diag) {
        st = label_error(ds, &ep, first_bad, n_bad, c);
        goto fail;
    }
    if (want_diag) {
        if ((st = ptq__eval_diagnose(session, ds, indices, count, pp, &ep, n_bad, r))) goto fail;
        if (n_bad > 0) {
            if (r->n_diag == 0) {
                st = label_error(ds, &ep, first_bad, n_bad, c);
                goto fail;
            }
            ptq__eval_report_warn(r, "%lld label(s) are outside 0..%d and were counted as wrong (e.g. '%s' label %d)",
                                  (long long)n_bad, (int)c - 1, ptq_dataset_image_path(ds, first_bad),
                                  (int)ptq_dataset_label(ds, first_bad));
        }
    }
    ptq__eval_preds_free(&preds);
    free(own);
    *report_out = r;
    return PTQ_STATUS_OK;
fail:
    ptq__eval_preds_free(&preds);
    free(own);
    ptq_eval_report_destroy(r);
    return st;
}

ptq_status ptq_evaluate(const ptq_model *model, const ptq_session_params *sp, const ptq_dataset *ds,
                        const int64_t *indices, int64_t count, const ptq_preprocess *pp, const ptq_eval_params *ep,
                        ptq_eval_report **report_out)
{
    if (!report_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "report_out is NULL");
    *report_out = NULL;
    if (!model || !pp) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "model or preprocessing is NULL");
    ptq_session_params params = sp ? *sp : ptq_session_params_default();
    int batch = ep ? ep->batch : ptq_eval_params_default().batch;
    if (batch < 1 || batch > 4096) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "batch %d out of range 1..4096", batch);
    int64_t fixed = ptq__model_fixed_batch(model);
    if (fixed > 0 && fixed <= 4096) batch = (int)fixed;
    ptq_input_shape shape = ptq_eval_input_shape(pp, batch);
    params.n_input_shapes = 1;
    params.input_shapes = &shape;
    ptq_session *session = NULL;
    ptq_status st = ptq_session_create(model, &params, &session);
    if (st) return st;
    st = ptq_evaluate_session(session, ds, indices, count, pp, ep, report_out);
    ptq_session_destroy(session);
    return st;
}
