/* Small helpers shared by the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"

int cli_write_json(cJSON *root, const char *path)
{
    char *text = cJSON_Print(root);
    if (!text) {
        fprintf(stderr, "ptq: out of memory writing %s\n", path);
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "w");
    int rc = 0;
    if (!fp || fputs(text, fp) < 0 || fputc('\n', fp) == EOF) rc = 1;
    if (fp && fclose(fp) != 0) rc = 1;
    if (!rc && rename(tmp, path) != 0) rc = 1;
    if (rc) {
        fprintf(stderr, "ptq: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
    }
    free(text);
    return rc;
}

char **cli_read_labels(const char *path, int *count_out)
{
    *count_out = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    bool ok = true;
    for (;;) {
        if (len == cap) {
            char *t = cap < (1u << 30) ? realloc(text, cap = cap ? 2 * cap : 4096) : NULL;
            if (!t) {
                ok = false;
                break;
            }
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, fp);
        len += got;
        if (got == 0) break;
    }
    ok = ok && !ferror(fp);
    fclose(fp);
    /* one name a line; lines end with LF, CR LF or a lone CR (old Mac files) */
    char **labels = NULL;
    int n = 0;
    for (size_t a = 0; ok && a < len;) {
        size_t b = a;
        while (b < len && text[b] != '\n' && text[b] != '\r') b++;
        char **nl = realloc(labels, sizeof(char *) * (size_t)(n + 1));
        char *copy = strndup(text + a, b - a);
        if (nl) labels = nl;
        ok = nl && copy;
        if (ok) labels[n++] = copy;
        else free(copy);
        a = b < len && text[b] == '\r' && b + 1 < len && text[b + 1] == '\n' ? b + 2 : b + 1;
    }
    free(text);
    if (!ok) {
        cli_free_labels(labels, n);
        return NULL;
    }
    *count_out = n;
    return labels;
}

void cli_free_labels(char **labels, int n)
{
    for (int i = 0; i < n; i++) free(labels[i]);
    free(labels);
}

void cli_top_k(const float *scores, int n, int k, int *idx_out)
{
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            int taken = 0;
            for (int t = 0; t < j; t++) taken |= idx_out[t] == i;
            if (!taken && (best < 0 || scores[i] > scores[best])) best = i;
        }
        idx_out[j] = best;
    }
}

void cli_print_top5(const ptq_tensor *t, char **labels, int n_labels)
{
    if (t->dtype != PTQ_DTYPE_FLOAT32 || t->rank < 1 || t->rank > 2) return;
    int64_t batch = t->rank == 2 ? t->dims[0] : 1, classes = t->dims[t->rank - 1];
    if (classes < 2) return;
    int k = classes < 5 ? (int)classes : 5;
    for (int64_t b = 0; b < batch; b++) {
        const float *s = (const float *)t->data + b * classes;
        /* Probabilities by softmax (the output may be logits or already probabilities). */
        double mx = s[0], sum = 0;
        for (int64_t i = 1; i < classes; i++) mx = s[i] > mx ? s[i] : mx;
        for (int64_t i = 0; i < classes; i++) sum += exp(s[i] - mx);
        int idx[5];
        cli_top_k(s, (int)classes, k, idx);
        if (batch > 1) printf("item %lld:\n", (long long)b);
        printf("  rank  class  score        softmax  label\n");
        for (int j = 0; j < k; j++)
            printf("  %4d  %5d  %11.5f  %7.4f  %s\n", j + 1, idx[j], s[idx[j]], exp(s[idx[j]] - mx) / sum,
                   labels && idx[j] < n_labels ? labels[idx[j]] : "");
    }
}

void cli_format_dims(const ptq_value_info *info, char *buf, size_t size)
{
    buf[0] = 0;
    if (info->rank < 0) {
        snprintf(buf, size, "?");
        return;
    }
    for (int d = 0; d < info->rank; d++) {
        size_t len = strlen(buf);
        if (info->dims[d] >= 0) snprintf(buf + len, size - len, "%s%lld", d ? "x" : "", (long long)info->dims[d]);
        else snprintf(buf + len, size - len, "%s%s", d ? "x" : "", info->dim_names[d] ? info->dim_names[d] : "?");
    }
}

int cli_evaluate(const ptq_model *m, const ptq_session_params *sp, const ptq_dataset *ds, const ptq_preprocess *pp,
                 ptq_eval_params ep, const char *what, double *top1, double *top5, int64_t *images, double *seconds)
{
    ep.diagnose = PTQ_EVAL_DIAGNOSE_NEVER;
    ptq_eval_report *r = NULL;
    fprintf(stderr, "  evaluating %s...\n", what);
    if (ptq_evaluate(m, sp, ds, NULL, 0, pp, &ep, &r)) return cli_fail(what);
    *top1 = ptq_eval_report_top1(r);
    *top5 = ptq_eval_report_top5(r);
    *images = ptq_eval_report_images(r);
    if (seconds) *seconds = ptq_eval_report_seconds(r);
    ptq_eval_report_destroy(r);
    return 0;
}
