/* Top-k, accuracy counting, the evaluation report and its JSON form. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "eval/eval_internal.h"

int ptq_eval_top_k(const float *scores, int n, int k, int *idx_out)
{
    if (!scores || !idx_out || n <= 0 || k <= 0) return 0;
    if (k > n) k = n;
    int m = 0; /* idx_out[0..m) sorted best first; ties keep the lower index first */
    for (int i = 0; i < n; i++) {
        float v = scores[i];
        if (v != v) continue; /* NaN never ranks */
        if (m == k && !(v > scores[idx_out[m - 1]])) continue;
        int j = m < k ? m++ : m - 1;
        while (j > 0 && v > scores[idx_out[j - 1]]) {
            idx_out[j] = idx_out[j - 1];
            j--;
        }
        idx_out[j] = i;
    }
    /* All-NaN rows: fill with the lowest indices so callers always get k. */
    for (int i = 0; m < k && i < n; i++) {
        int used = 0;
        for (int j = 0; j < m; j++) used |= idx_out[j] == i;
        if (!used) idx_out[m++] = i;
    }
    return m;
}

void ptq__eval_preds_free(ptq__eval_preds *p)
{
    if (!p) return;
    free(p->top);
    free(p->labels);
    memset(p, 0, sizeof *p);
}

ptq__eval_counts ptq__eval_count(const ptq__eval_preds *p, int label_offset)
{
    ptq__eval_counts c = {0};
    for (int64_t i = 0; i < p->n; i++) {
        int64_t label = (int64_t)p->labels[i] + label_offset;
        c.n++;
        if (label < 0 || label >= p->classes) {
            c.out_of_range++;
            continue;
        }
        if (p->top[i][0] == label) c.correct1++;
        for (int j = 0; j < PTQ__EVAL_K; j++)
            if (p->top[i][j] == label) {
                c.correct5++;
                break;
            }
    }
    return c;
}

void ptq__eval_per_class(const ptq__eval_preds *p, int label_offset, int64_t *images, int64_t *correct)
{
    for (int32_t c = 0; c < p->classes; c++) images[c] = correct[c] = 0;
    for (int64_t i = 0; i < p->n; i++) {
        int64_t label = (int64_t)p->labels[i] + label_offset;
        if (label < 0 || label >= p->classes) continue;
        images[label]++;
        correct[label] += p->top[i][0] == label;
    }
}

int ptq__eval_report_warn(ptq_eval_report *r, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **w = realloc(r->warnings, (size_t)(r->n_warnings + 1) * sizeof *w);
    if (!w) return -1;
    r->warnings = w;
    if (!(w[r->n_warnings] = strdup(buf))) return -1;
    r->n_warnings++;
    return 0;
}

void ptq_eval_report_destroy(ptq_eval_report *r)
{
    if (!r) return;
    free(r->class_images);
    free(r->class_correct);
    for (int i = 0; i < r->n_diag; i++) {
        free(r->diag[i].change);
        free(r->diag[i].reason);
    }
    free(r->diag);
    free(r->summary);
    for (int i = 0; i < r->n_warnings; i++) free(r->warnings[i]);
    free(r->warnings);
    free(r);
}

double ptq_eval_report_top1(const ptq_eval_report *r) { return r ? r->top1 : 0; }
double ptq_eval_report_top5(const ptq_eval_report *r) { return r ? r->top5 : 0; }
int64_t ptq_eval_report_images(const ptq_eval_report *r) { return r ? r->images : 0; }
int64_t ptq_eval_report_skipped(const ptq_eval_report *r) { return r ? r->skipped : 0; }
double ptq_eval_report_seconds(const ptq_eval_report *r) { return r ? r->seconds : 0; }
int32_t ptq_eval_report_class_count(const ptq_eval_report *r) { return r ? r->classes : 0; }

ptq_status ptq_eval_report_class(const ptq_eval_report *r, int32_t c, int64_t *images_out, int64_t *correct_out)
{
    if (images_out) *images_out = 0;
    if (correct_out) *correct_out = 0;
    if (!r || c < 0 || c >= r->classes)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "class %d out of range (the model has %d classes)", (int)c,
                         r ? (int)r->classes : 0);
    if (images_out) *images_out = r->class_images[c];
    if (correct_out) *correct_out = r->class_correct[c];
    return PTQ_STATUS_OK;
}

int ptq_eval_report_diagnosis_count(const ptq_eval_report *r) { return r ? r->n_diag : 0; }

const char *ptq_eval_report_diagnosis_change(const ptq_eval_report *r, int i)
{
    return r && i >= 0 && i < r->n_diag ? r->diag[i].change : NULL;
}

const char *ptq_eval_report_diagnosis_reason(const ptq_eval_report *r, int i)
{
    return r && i >= 0 && i < r->n_diag ? r->diag[i].reason : NULL;
}

double ptq_eval_report_diagnosis_top1(const ptq_eval_report *r, int i)
{
    return r && i >= 0 && i < r->n_diag ? r->diag[i].top1 : 0;
}

const char *ptq_eval_report_diagnosis_summary(const ptq_eval_report *r)
{
    return r && r->summary ? r->summary : (r ? "" : NULL);
}

ptq_status ptq_eval_report_to_json(const ptq_eval_report *r, char **json_out)
{
    if (!json_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "json_out is NULL");
    *json_out = NULL;
    if (!r) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "report is NULL");
    ptq_status st = PTQ_STATUS_OUT_OF_MEMORY;
    char *pp_json = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root) goto done;
    cJSON_AddNumberToObject(root, "top1", r->top1);
    cJSON_AddNumberToObject(root, "top5", r->top5);
    cJSON_AddNumberToObject(root, "images", (double)r->images);
    cJSON_AddNumberToObject(root, "skipped", (double)r->skipped);
    cJSON_AddNumberToObject(root, "seconds", r->seconds);
    cJSON_AddNumberToObject(root, "images_per_second", r->seconds > 0 ? (double)r->images / r->seconds : 0);
    cJSON_AddNumberToObject(root, "classes", r->classes);
    cJSON_AddNumberToObject(root, "label_offset", r->label_offset);
    cJSON *pc = cJSON_AddArrayToObject(root, "per_class");
    for (int32_t c = 0; pc && c < r->classes; c++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) goto done;
        cJSON_AddNumberToObject(o, "class", c);
        cJSON_AddNumberToObject(o, "images", (double)r->class_images[c]);
        cJSON_AddNumberToObject(o, "correct", (double)r->class_correct[c]);
        cJSON_AddNumberToObject(o, "top1", r->class_images[c] ? (double)r->class_correct[c] / (double)r->class_images[c] : 0);
        cJSON_AddItemToArray(pc, o);
    }
    size_t need = ptq_preprocess_to_json(&r->pp, NULL, 0);
    if (!(pp_json = malloc(need + 1))) goto done;
    ptq_preprocess_to_json(&r->pp, pp_json, need + 1);
    cJSON *ppo = cJSON_Parse(pp_json);
    if (ppo) cJSON_AddItemToObject(root, "preprocessing", ppo);
    else cJSON_AddStringToObject(root, "preprocessing", pp_json);
    cJSON *dg = cJSON_AddArrayToObject(root, "diagnosis");
    for (int i = 0; dg && i < r->n_diag; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) goto done;
        cJSON_AddStringToObject(o, "change", r->diag[i].change);
        cJSON_AddStringToObject(o, "reason", r->diag[i].reason);
        cJSON_AddNumberToObject(o, "top1", r->diag[i].top1);
        cJSON_AddItemToArray(dg, o);
    }
    if (r->diagnosis_ran) cJSON_AddNumberToObject(root, "diagnosis_probe_top1", r->probe_top1);
    cJSON_AddStringToObject(root, "diagnosis_summary", r->summary ? r->summary : "");
    cJSON *wa = cJSON_AddArrayToObject(root, "warnings");
    for (int i = 0; wa && i < r->n_warnings; i++) cJSON_AddItemToArray(wa, cJSON_CreateString(r->warnings[i]));
    if (!(*json_out = cJSON_Print(root))) goto done;
    st = PTQ_STATUS_OK;
done:
    if (st) ptq__oom();
    free(pp_json);
    cJSON_Delete(root);
    return st;
}
