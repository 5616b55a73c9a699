/* Diagnosis of a chance-level or disappointing accuracy: re-run a small,
 * evenly spaced subset with the usual preprocessing and label mistakes
 * corrected one axis at a time (normalization, channel order, resize/crop,
 * label base), then combine the axes that helped, and report the changes
 * that raise top-1, best first, as the exact command-line options. Label
 * offsets cost no inference: every probe keeps its top-5 predictions and
 * is scored under offsets 0, -1 and +1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "eval/eval_internal.h"

enum { AXIS_NORM = 1, AXIS_CHANNEL = 2, AXIS_RESIZE = 4 };

typedef struct variant {
    ptq_preprocess pp;
    char opts[384];   /* command-line options that produce pp from the user's recipe */
    char reason[256]; /* why */
    int axes;         /* AXIS_* bits changed */
    double best_top1; /* best over the label offsets */
} variant;

typedef struct norm_choice {
    const char *reason;
    float scale;
    float mean[3], std[3]; /* RGB order */
} norm_choice;

static const norm_choice norms[] = {
    {"the input needs ImageNet normalization ((x/255 - mean) / std)", 1.0f / 255.0f, {0.485f, 0.456f, 0.406f},
     {0.229f, 0.224f, 0.225f}},
    {"the input needs normalization to -1..1 ((x/255 - 0.5) / 0.5)", 1.0f / 255.0f, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}},
    {"the input needs scaling to 0..1 (x/255, no mean/std)", 1.0f / 255.0f, {0, 0, 0}, {1, 1, 1}},
    {"the model expects raw 0..255 pixels (no normalization)", 1.0f, {0, 0, 0}, {1, 1, 1}},
    {"the model expects Caffe-style mean subtraction on 0..255 pixels", 1.0f, {123.68f, 116.78f, 103.94f}, {1, 1, 1}},
};

static int close_f(float a, float b) { return fabsf(a - b) <= 1e-6f * (fabsf(a) + fabsf(b) + 1e-12f) + 1e-9f; }

static int same_norm(const ptq_preprocess *a, const ptq_preprocess *b)
{
    if (!close_f(a->scale, b->scale)) return 0;
    for (int c = 0; c < 3; c++)
        if (!close_f(a->mean[c], b->mean[c]) || !close_f(a->std[c], b->std[c])) return 0;
    return 1;
}

static int same_geometry(const ptq_preprocess *a, const ptq_preprocess *b)
{
    if (a->resize != b->resize || a->crop_h != b->crop_h || a->crop_w != b->crop_w) return 0;
    if (a->resize == PTQ_RESIZE_SHORT) return a->resize_short == b->resize_short;
    if (a->resize == PTQ_RESIZE_EXACT) return a->resize_h == b->resize_h && a->resize_w == b->resize_w;
    return 1;
}

static void fmt_triple(char *buf, size_t size, const float *v)
{
    snprintf(buf, size, "%g,%g,%g", v[0], v[1], v[2]);
}

static void apply_norm(variant *v, const norm_choice *n)
{
    float mean[3], std[3];
    for (int c = 0; c < 3; c++) { /* given in the output channel order */
        int src = v->pp.bgr ? 2 - c : c;
        mean[c] = n->mean[src];
        std[c] = n->std[src];
    }
    v->pp.scale = n->scale;
    memcpy(v->pp.mean, mean, sizeof mean);
    memcpy(v->pp.std, std, sizeof std);
    char m[96], s[96];
    fmt_triple(m, sizeof m, mean);
    fmt_triple(s, sizeof s, std);
    size_t len = strlen(v->opts);
    snprintf(v->opts + len, sizeof v->opts - len, "%s--scale %s --mean %s --std %s", len ? " " : "",
             n->scale == 1.0f ? "1" : "1/255", m, s);
    len = strlen(v->reason);
    snprintf(v->reason + len, sizeof v->reason - len, "%s%s", len ? "; " : "", n->reason);
    v->axes |= AXIS_NORM;
}

/* Toggles the channel order, keeping each mean/std attached to its color
 * (unless a normalization change follows and rewrites them). */
static void apply_channel(variant *v, int norm_follows)
{
    v->pp.bgr = !v->pp.bgr;
    float m0 = v->pp.mean[0], s0 = v->pp.std[0];
    v->pp.mean[0] = v->pp.mean[2];
    v->pp.mean[2] = m0;
    v->pp.std[0] = v->pp.std[2];
    v->pp.std[2] = s0;
    int norm_matters = !norm_follows && !(close_f(v->pp.mean[0], v->pp.mean[2]) && close_f(v->pp.std[0], v->pp.std[2]));
    size_t len = strlen(v->opts);
    if (norm_matters) {
        char m[96], s[96];
        fmt_triple(m, sizeof m, v->pp.mean);
        fmt_triple(s, sizeof s, v->pp.std);
        snprintf(v->opts + len, sizeof v->opts - len, "%s%s --mean %s --std %s", len ? " " : "",
                 v->pp.bgr ? "--bgr" : "--rgb", m, s);
    } else {
        snprintf(v->opts + len, sizeof v->opts - len, "%s%s", len ? " " : "", v->pp.bgr ? "--bgr" : "--rgb");
    }
    len = strlen(v->reason);
    snprintf(v->reason + len, sizeof v->reason - len, "%sthe model expects %s channel order", len ? "; " : "",
             v->pp.bgr ? "BGR" : "RGB");
    v->axes |= AXIS_CHANNEL;
}

static void apply_geometry(variant *v, int exact)
{
    ptq_preprocess *p = &v->pp;
    size_t len = strlen(v->opts), rlen = strlen(v->reason);
    if (exact) {
        p->resize = PTQ_RESIZE_EXACT;
        p->resize_h = p->model_h;
        p->resize_w = p->model_w;
        p->crop_h = p->model_h;
        p->crop_w = p->model_w;
        snprintf(v->opts + len, sizeof v->opts - len, "%s--resize-exact %dx%d --crop %dx%d", len ? " " : "", p->model_h,
                 p->model_w, p->model_h, p->model_w);
        snprintf(v->reason + rlen, sizeof v->reason - rlen, "%sresize the whole image to %dx%d without cropping",
                 rlen ? "; " : "", p->model_h, p->model_w);
    } else {
        int s = (int)nearbyint((double)(p->model_h < p->model_w ? p->model_h : p->model_w) * 256.0 / 224.0);
        p->resize = PTQ_RESIZE_SHORT;
        p->resize_short = s;
        p->crop_h = p->model_h;
        p->crop_w = p->model_w;
        snprintf(v->opts + len, sizeof v->opts - len, "%s--resize %d --crop %dx%d", len ? " " : "", s, p->model_h,
                 p->model_w);
        snprintf(v->reason + rlen, sizeof v->reason - rlen,
                 "%sresize the shorter side to %d and center-crop %dx%d", rlen ? "; " : "", s, p->model_h, p->model_w);
    }
    v->axes |= AXIS_RESIZE;
}

typedef struct diag_state {
    ptq_session *session;
    const ptq_dataset *ds;
    const int64_t *sub;
    int64_t n_sub;
    const ptq_eval_params *ep;
    int32_t ds_classes;
    int32_t classes;
    ptq__eval_suggestion *cand;
    int n_cand, cap_cand;
    double base_top1;
    int64_t images_probed;
} diag_state;

static ptq_status add_candidate(diag_state *d, const char *change, const char *reason, double top1, int n_changes)
{
    for (int i = 0; i < d->n_cand; i++)
        if (strcmp(d->cand[i].change, change) == 0) return PTQ_STATUS_OK;
    if (d->n_cand == d->cap_cand) {
        int cap = d->cap_cand ? d->cap_cand * 2 : 16;
        ptq__eval_suggestion *c = realloc(d->cand, (size_t)cap * sizeof *c);
        if (!c) return ptq__oom();
        d->cand = c;
        d->cap_cand = cap;
    }
    ptq__eval_suggestion *s = &d->cand[d->n_cand];
    s->change = strdup(change);
    s->reason = strdup(reason);
    s->top1 = top1;
    s->n_changes = n_changes;
    if (!s->change || !s->reason) {
        free(s->change);
        free(s->reason);
        return ptq__oom();
    }
    d->n_cand++;
    return PTQ_STATUS_OK;
}

/* Runs one variant on the subset and records the candidates it yields
 * under label offsets 0, -1, +1 (relative to the user's). */
static ptq_status probe(diag_state *d, variant *v, int is_base)
{
    ptq__eval_preds p;
    ptq_status st = ptq__eval_pass(d->session, d->ds, d->sub, d->n_sub, &v->pp, d->ep->batch, d->ep->threads, 1,
                                   d->ep->progress, d->ep->progress_user, &p);
    if (st) return ptq__fail_context(st, "diagnosis probe '%s'", v->opts[0] ? v->opts : "as given");
    d->images_probed += p.n;
    if (p.n == 0) {
        ptq__eval_preds_free(&p);
        return PTQ_STATUS_OK;
    }
    d->classes = p.classes;
    static const int deltas[] = {0, -1, 1};
    v->best_top1 = -1;
    for (int k = 0; k < 3; k++) {
        ptq__eval_counts c = ptq__eval_count(&p, d->ep->label_offset + deltas[k]);
        double top1 = (double)c.correct1 / (double)c.n;
        if (top1 > v->best_top1) v->best_top1 = top1;
        if (is_base && deltas[k] == 0) {
            d->base_top1 = top1;
            continue;
        }
        char change[512], reason[512];
        snprintf(change, sizeof change, "%s", v->opts);
        snprintf(reason, sizeof reason, "%s", v->reason);
        int n_changes = __builtin_popcount((unsigned)v->axes);
        if (deltas[k]) {
            size_t len = strlen(change), rlen = strlen(reason);
            snprintf(change + len, sizeof change - len, "%s--label-offset %d", len ? " " : "",
                     d->ep->label_offset + deltas[k]);
            const char *why = deltas[k] < 0 ? "labels are 1-based"
                              : p.classes == d->ds_classes + 1
                                  ? "the model has a background class 0 (outputs = classes + 1)"
                                  : "labels are off by one (the model counts from 1)";
            snprintf(reason + rlen, sizeof reason - rlen, "%s%s", rlen ? "; " : "", why);
            n_changes++;
        }
        if ((st = add_candidate(d, change, reason, top1, n_changes))) break;
    }
    ptq__eval_preds_free(&p);
    return st;
}

static int by_top1(const void *a, const void *b)
{
    const ptq__eval_suggestion *x = a, *y = b;
    if (x->top1 != y->top1) return x->top1 < y->top1 ? 1 : -1;
    return x->n_changes - y->n_changes;
}

ptq_status ptq__eval_diagnose(ptq_session *session, const ptq_dataset *ds, const int64_t *indices, int64_t count,
                              const ptq_preprocess *pp, const ptq_eval_params *ep, int64_t label_problem,
                              ptq_eval_report *r)
{
    ptq_status st = PTQ_STATUS_OK;
    diag_state d;
    memset(&d, 0, sizeof d);
    int64_t n = ep->diagnosis_images > 0 ? ep->diagnosis_images : 200;
    if (n > count) n = count;
    int64_t *sub = malloc((size_t)n * sizeof *sub);
    variant *vars = calloc(16, sizeof *vars);
    if (!sub || !vars) {
        st = ptq__oom();
        goto done;
    }
    for (int64_t i = 0; i < n; i++) { /* evenly spaced: lists are often sorted by class */
        int64_t k = (int64_t)((double)i * (double)count / (double)n);
        sub[i] = indices ? indices[k] : k;
    }
    d.session = session;
    d.ds = ds;
    d.sub = sub;
    d.n_sub = n;
    d.ep = ep;
    d.ds_classes = ptq_dataset_class_count(ds);

    int nv = 0;
    vars[nv].pp = *pp; /* the baseline, as given */
    if ((st = probe(&d, &vars[nv++], 1))) goto done;
    int first_single = nv;
    for (size_t i = 0; i < sizeof norms / sizeof norms[0]; i++) {
        variant v = {.pp = *pp};
        apply_norm(&v, &norms[i]);
        if (same_norm(&v.pp, pp)) continue;
        vars[nv] = v;
        if ((st = probe(&d, &vars[nv++], 0))) goto done;
    }
    if (pp->channels == 3) {
        variant v = {.pp = *pp};
        apply_channel(&v, 0);
        vars[nv] = v;
        if ((st = probe(&d, &vars[nv++], 0))) goto done;
    }
    for (int exact = 1; exact >= 0; exact--) {
        variant v = {.pp = *pp};
        apply_geometry(&v, exact);
        if (same_geometry(&v.pp, pp)) continue;
        vars[nv] = v;
        if ((st = probe(&d, &vars[nv++], 0))) goto done;
    }
    /* Combine the best helpful variant of each axis. */
    double margin = 0.02;
    int best[3] = {-1, -1, -1};
    for (int i = first_single; i < nv; i++) {
        int axis = vars[i].axes == AXIS_NORM ? 0 : vars[i].axes == AXIS_CHANNEL ? 1 : 2;
        if (vars[i].best_top1 > vars[0].best_top1 + margin &&
            (best[axis] < 0 || vars[i].best_top1 > vars[best[axis]].best_top1))
            best[axis] = i;
    }
    for (int mask = 3; mask < 8; mask++) {
        if (__builtin_popcount((unsigned)mask) < 2) continue;
        int ok = 1;
        for (int a = 0; a < 3; a++)
            if ((mask >> a & 1) && best[a] < 0) ok = 0;
        if (!ok || nv >= 16) continue;
        variant v = {.pp = *pp};
        /* Apply in a fixed order: geometry, channel order, normalization. */
        if (mask & 4) apply_geometry(&v, vars[best[2]].pp.resize == PTQ_RESIZE_EXACT);
        if (mask & 2) apply_channel(&v, mask & 1);
        if (mask & 1) {
            for (size_t k = 0; k < sizeof norms / sizeof norms[0]; k++) {
                variant t = {.pp = *pp};
                apply_norm(&t, &norms[k]);
                if (strcmp(t.opts, vars[best[0]].opts) == 0) {
                    apply_norm(&v, &norms[k]);
                    break;
                }
            }
        }
        vars[nv] = v;
        if ((st = probe(&d, &vars[nv++], 0))) goto done;
    }

    /* Keep what clearly beats the baseline, best first. */
    double threshold = d.base_top1 + (0.05 > 3.0 / (double)n ? 0.05 : 3.0 / (double)n);
    qsort(d.cand, (size_t)d.n_cand, sizeof *d.cand, by_top1);
    int keep = 0;
    for (int i = 0; i < d.n_cand; i++) {
        if (d.cand[i].top1 >= threshold && keep < 8) {
            d.cand[keep++] = d.cand[i];
        } else {
            free(d.cand[i].change);
            free(d.cand[i].reason);
        }
    }
    r->diag = d.cand;
    r->n_diag = keep;
    d.cand = NULL;
    d.n_cand = 0;
    r->diagnosis_ran = 1;
    r->probe_top1 = d.base_top1;

    char head[512], tail[1024];
    int32_t c = r->classes;
    if (r->top1 <= 2.0 / c)
        snprintf(head, sizeof head, "top-1 %.4f is chance level for %d classes.", r->top1, (int)c);
    else if (ep->expect_top1 >= 0 && r->top1 < ep->expect_top1 - 0.05)
        snprintf(head, sizeof head, "top-1 %.4f is far below the expected %.4f.", r->top1, ep->expect_top1);
    else if (label_problem)
        snprintf(head, sizeof head, "%lld label(s) are outside 0..%d.", (long long)label_problem, (int)c - 1);
    else
        snprintf(head, sizeof head, "top-1 %.4f.", r->top1);
    if (keep > 0)
        snprintf(tail, sizeof tail, " Probable cause: %s: %s reaches top-1 %.4f (on %lld probe images; as given: %.4f)",
                 r->diag[0].reason, r->diag[0].change, r->diag[0].top1, (long long)n, d.base_top1);
    else
        snprintf(tail, sizeof tail,
                 " No change of normalization, channel order, resize/crop or label base helps on %lld probe images "
                 "(as given: %.4f); check the model, the label list and the class order.",
                 (long long)n, d.base_top1);
    size_t len = strlen(head) + strlen(tail) + 1;
    if (!(r->summary = malloc(len))) {
        st = ptq__oom();
        goto done;
    }
    snprintf(r->summary, len, "%s%s", head, tail);
    if (label_problem == 0 && d.ds_classes > 0 && d.ds_classes != c && d.ds_classes != c - 1)
        ptq__eval_report_warn(r, "the labels span %d classes but the model outputs %d", (int)d.ds_classes, (int)c);
done:
    for (int i = 0; i < d.n_cand; i++) {
        free(d.cand[i].change);
        free(d.cand[i].reason);
    }
    free(d.cand);
    free(sub);
    free(vars);
    return st;
}
