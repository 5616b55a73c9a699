/* ActivationChannelAlignment (POT channel_alignment/algorithm.py).
 *
 * Pairs producer -> consumer where the consumer is a Conv with group 1, no
 * padding, stride 1 and dilation 1 whose input is the output of a Conv
 * producer used by nothing else, both with constant weights. Statistics on
 * the producer's output (bias included), per sample and channel: the 1e-4
 * and 1 - 1e-4 quantiles, aggregated over samples with the median, giving
 * amin[c], amax[c]. Then
 *   mean = (amin + amax) / 2, scale = amax - amin
 *   align means (both biases present):
 *     b_in  <- b_in - mean
 *     b_out <- b_out + sum_{i, kh, kw} W_out[o, i, kh, kw] * mean[i]
 *     (exact because the consumer has no padding)
 *   align scales:
 *     f = scale / median(scale[scale > 0]), f[scale <= 0] = 1,
 *     f = clip(f, 1e-2, 1e2)
 *     W_in[o] /= f[o], b_in[o] /= f[o], W_out[:, i] *= f[i]
 * so the producer's output channels span similar ranges and one per-tensor
 * activation scale fits them all. The function of the network is unchanged. */
#include "quant/quant_internal.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pair {
    int prod, cons;
} pair;

static bool all_equal(const ptq__node *n, const char *attr, int64_t v)
{
    const int64_t *x;
    int k = ptq__node_attr_ints(n, attr, &x);
    for (int i = 0; i < k; i++)
        if (x[i] != v) return false;
    return true;
}

static bool const_f32(const ptq__graph *g, const ptq__node *n, int i)
{
    return i < n->n_inputs && n->inputs[i] >= 0 && g->values[n->inputs[i]].data &&
           g->values[n->inputs[i]].data->dtype == PTQ_DTYPE_FLOAT32;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int64_t n)
{
    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void align_pair(ptq__graph *g, const ptq__node *prod, const ptq__node *cons, const ptq__tstats *st)
{
    int C = st->channels;
    ptq_tensor *w_in = g->values[prod->inputs[1]].data, *w_out = g->values[cons->inputs[1]].data;
    ptq_tensor *b_in = const_f32(g, prod, 2) ? g->values[prod->inputs[2]].data : NULL;
    ptq_tensor *b_out = const_f32(g, cons, 2) ? g->values[cons->inputs[2]].data : NULL;
    if (w_in->dims[0] != C || w_out->dims[1] != C) return;
    double *buf = malloc(sizeof(double) * (size_t)(st->samples + 1));
    double *mean = malloc(sizeof(double) * (size_t)C), *scale = malloc(sizeof(double) * (size_t)C);
    double *pos = malloc(sizeof(double) * (size_t)C);
    if (!buf || !mean || !scale || !pos) goto done;
    for (int c = 0; c < C; c++) {
        for (int64_t s = 0; s < st->samples; s++) buf[s] = st->q_lo[s * C + c];
        double amin = median(buf, st->samples);
        for (int64_t s = 0; s < st->samples; s++) buf[s] = st->q_hi[s * C + c];
        double amax = median(buf, st->samples);
        mean[c] = 0.5 * (amin + amax);
        scale[c] = amax - amin;
    }
    int64_t O = w_out->dims[0], k_out = ptq_tensor_numel(w_out) / (O * C), k_in = ptq_tensor_numel(w_in) / C;
    float *wo = w_out->data, *wi = w_in->data;
    if (b_in && b_out && ptq_tensor_numel(b_in) == C && ptq_tensor_numel(b_out) == O) {
        float *bi = b_in->data, *bo = b_out->data;
        for (int64_t o = 0; o < O; o++) {
            double add = 0;
            for (int i = 0; i < C; i++) {
                double sum = 0;
                for (int64_t k = 0; k < k_out; k++) sum += wo[(o * C + i) * k_out + k];
                add += sum * mean[i];
            }
            bo[o] += (float)add;
        }
        for (int c = 0; c < C; c++) bi[c] -= (float)mean[c];
    }
    int npos = 0;
    for (int c = 0; c < C; c++)
        if (scale[c] > 0) pos[npos++] = scale[c];
    double med = median(pos, npos);
    if (med <= 0) goto done;
    for (int c = 0; c < C; c++) {
        double f = scale[c] > 0 ? scale[c] / med : 1.0;
        f = fmin(fmax(f, 1e-2), 1e2);
        for (int64_t k = 0; k < k_in; k++) wi[c * k_in + k] /= (float)f;
        if (b_in && ptq_tensor_numel(b_in) == C) ((float *)b_in->data)[c] /= (float)f;
        for (int64_t o = 0; o < O; o++)
            for (int64_t k = 0; k < k_out; k++) wo[(o * C + c) * k_out + k] *= (float)f;
    }
done:
    free(buf);
    free(mean);
    free(scale);
    free(pos);
}

ptq_status ptq__align_channels(const ptq__calib *c, ptq__graph *g, int n_ignored, char *const *ignored,
                               int *pairs_out, char ***pair_names_out)
{
    *pairs_out = 0;
    *pair_names_out = NULL;
    pair *pairs = malloc(sizeof(pair) * (size_t)(g->n_nodes + 1));
    if (!pairs) return ptq__oom();
    int np = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead || n->op != PTQ__OP_CONV || ptq__node_is_ignored(n, n_ignored, ignored)) continue;
        if (ptq__node_attr_int(n, "group", 1) != 1 || !all_equal(n, "pads", 0) || !all_equal(n, "strides", 1) ||
            !all_equal(n, "dilations", 1))
            continue;
        const char *ap = ptq__node_attr_string(n, "auto_pad", "NOTSET");
        if (ap && strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) continue;
        if (!const_f32(g, n, 1) || n->inputs[0] < 0) continue;
        int p = g->values[n->inputs[0]].producer;
        if (p < 0 || p >= g->n_nodes) continue;
        const ptq__node *pn = &g->nodes[p];
        if (pn->dead || pn->op != PTQ__OP_CONV || ptq__node_is_ignored(pn, n_ignored, ignored) || !const_f32(g, pn, 1))
            continue;
        if (ptq__graph_consumers(g, n->inputs[0]) != 1) continue;
        pairs[np].prod = p;
        pairs[np].cons = i;
        np++;
    }
    ptq_status st = PTQ_STATUS_OK;
    if (np == 0) goto done;
    const char **names = malloc(sizeof(char *) * (size_t)np);
    int *flags = malloc(sizeof(int) * (size_t)np);
    char **pn = calloc((size_t)np + 1, sizeof(char *));
    if (!names || !flags || !pn) {
        free(names);
        free(flags);
        free(pn);
        st = ptq__oom();
        goto done;
    }
    for (int k = 0; k < np; k++) {
        names[k] = g->values[g->nodes[pairs[k].prod].outputs[0]].name;
        flags[k] = PTQ__OBS_QUANTILE;
    }
    ptq__stats stats;
    st = ptq__stats_collect(c, "alignment", g, np, names, flags, &stats);
    free(names);
    free(flags);
    if (!st) {
        for (int k = 0; k < np; k++) {
            const ptq__node *prod = &g->nodes[pairs[k].prod], *cons = &g->nodes[pairs[k].cons];
            align_pair(g, prod, cons, &stats.t[k]);
            size_t len = strlen(prod->name) + strlen(cons->name) + 5;
            if ((pn[k] = malloc(len))) snprintf(pn[k], len, "%s -> %s", prod->name, cons->name);
        }
        ptq__stats_free(&stats);
        *pairs_out = np;
        *pair_names_out = pn;
    } else {
        free(pn);
    }
done:
    free(pairs);
    return st;
}
