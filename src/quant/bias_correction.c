/* Bias correction: FastBiasCorrection and POT's BiasCorrection.
 *
 * FastBiasCorrection removes the expected output shift that quantizing the
 * weights causes (Nagel et al. 2019, "Data-Free Quantization", analytic bias
 * correction: E[(W - Wq) x] = (W - Wq) E[x]), with POT's one-layer sub-model
 * (POT fast_bias_correction/algorithm.py), per layer with quantized weights
 * and a constant float bias b:
 *   mu_in[k] = mean over the calibration samples of the per-channel mean
 *              (over N, H, W) of the layer's FP32 input
 *   X        = a constant tensor of the input's per-sample shape whose
 *              channel k is mu_in[k]
 *   shift[c] = per-channel mean of op(X, W - DQ(Q(W))) without bias
 *   b_new    = b + shift
 * applied only when no b[c] is 0 and max_c |shift[c] / b[c]| < 2 (POT's
 * threshold); otherwise the layer keeps its bias.
 * Two deliberate differences from POT, which takes shift = mu_out - q with
 * q = op(FQ(X), DQ(Q(W))) + b and mu_out the FP32 layer output's measured
 * per-channel mean:
 *   - X is not passed through the input's activation quantizer: rounding a
 *     channel's *mean* to the grid is a systematic error the real inputs do
 *     not have (a sparse post-ReLU channel with mean 0.3 steps becomes 0 or
 *     1 step), and the correction "fixes" that phantom error into the bias;
 *   - the FP32 target is op(X, W) on the same X, not mu_out: a constant X
 *     does not reproduce the spatial structure of the real inputs (borders,
 *     images whose rare huge activations sit in one place), and POT's
 *     difference adds that FP32 mismatch to the bias as well.
 * On ResNet-50 (Fashion-MNIST, 300 calibration images) POT's formula made
 * the INT8 model disagree with FP32 on 4.0-4.5% of the test images, against
 * 1.2-1.4% here and 1.25% without any correction.
 *
 * BiasCorrection (POT bias_correction/algorithm.py): n = max(0.2 * N, 1)
 * images run through the model with quantized weights and FP32 activations
 * (activation quantizers removed). Layers are corrected in topological
 * order, each on the outputs of the already-corrected layers before it:
 *   mu[c] = per-channel mean of the FP32 model's layer output over the same
 *           n images (not over all N: a model with rare huge activations
 *           has very different means on different image sets, and the
 *           difference would be "corrected" into the bias)
 *   q[c]  = per-channel mean of the layer output over the n images
 *   shift = mu - q,   b <- b + shift   when max |shift / b| < 1000.
 * POT reruns a sub-graph per layer on stored inputs; here the n images run
 * once, as one batch, on the reference executor and the shift is added to
 * the layer's output tensor as soon as it is produced, so every later layer
 * sees corrected inputs: the same result in one pass (memory: the n images'
 * activations of the live tensors). */
#include "quant/quant_internal.h"
#include "api/internal.h"
#include "core/status.h"
#include "ops/kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const ptq__node *find_node(const ptq__graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && strcmp(g->nodes[i].name, name) == 0) return &g->nodes[i];
    return NULL;
}

/* Per-channel (axis 1) mean of a tensor over all other axes. */
static void channel_means(const ptq_tensor *t, double *out, int C)
{
    int64_t n = t->dims[0], inner = 1;
    for (int d = 2; d < t->rank; d++) inner *= t->dims[d];
    const float *x = t->data;
    for (int c = 0; c < C; c++) out[c] = 0;
    for (int64_t s = 0; s < n; s++)
        for (int c = 0; c < C; c++) {
            const float *p = x + (s * C + c) * inner;
            double sum = 0;
            for (int64_t i = 0; i < inner; i++) sum += p[i];
            out[c] += sum;
        }
    for (int c = 0; c < C; c++) out[c] /= (double)(n * inner);
}

/* W - DQ(Q(W)): the weight quantization error, in W's shape. */
static ptq_status weight_error(const ptq__graph *g, const ptq__qlayer *l, ptq_tensor **out)
{
    int v = ptq__graph_find_value(g, l->weight);
    const ptq_tensor *w = g->values[v].data;
    ptq_status st = ptq_tensor_create(PTQ_DTYPE_FLOAT32, w->rank, w->dims, out);
    if (st) return st;
    int64_t numel = ptq_tensor_numel(w), inner = 1;
    for (int d = l->axis + 1; d < w->rank; d++) inner *= w->dims[d];
    const float *wd = w->data;
    float *y = (*out)->data;
    for (int64_t i = 0; i < numel; i++) {
        int64_t c = l->per_tensor ? 0 : (i / inner) % l->channels;
        y[i] = wd[i] - (float)l->w_q[i] * l->w_scale[c];
    }
    return PTQ_STATUS_OK;
}

ptq_status ptq__fast_bias_correction(ptq__graph *g, ptq__qplan *plan, ptq__stats *stats)
{
    ptq_status st = PTQ_STATUS_OK;
    for (int i = 0; i < plan->n_layers && !st; i++) {
        ptq__qlayer *l = &plan->layers[i];
        if (!l->bias) continue;
        ptq__tstats *si = ptq__stats_find(stats, l->input);
        const ptq__node *node = find_node(g, l->node_name);
        int bv = ptq__graph_find_value(g, l->bias);
        if (!si || !si->ch_sum || !node || bv < 0 || si->samples == 0) continue;
        ptq_tensor *b = g->values[bv].data;
        int C = (int)ptq_tensor_numel(b);
        ptq_tensor *x = NULL, *dw = NULL, *outs[1] = {NULL};
        double *shift = calloc((size_t)C + 1, sizeof(double));
        if (!shift) return ptq__oom();
        st = ptq_tensor_create(PTQ_DTYPE_FLOAT32, si->rank, si->dims, &x);
        if (!st) st = weight_error(g, l, &dw);
        if (!st) {
            int64_t inner = ptq_tensor_numel(x) / si->channels;
            float *xd = x->data;
            for (int k = 0; k < si->channels; k++) {
                float m = (float)(si->ch_sum[k] / (double)si->samples);
                for (int64_t j = 0; j < inner; j++) xd[k * inner + j] = m;
            }
            const ptq_tensor *ins[2] = {x, dw};
            ptq__kernel_ctx ctx = {.node = node, .opset = node->opset, .n_in = 2, .in = ins, .n_out = 1, .out = outs,
                                   .shape_only = false};
            st = ptq__op_kernel(node->op)(&ctx);
        }
        if (!st && outs[0] && outs[0]->rank >= 2 && outs[0]->dims[1] == C) {
            channel_means(outs[0], shift, C);
            float *bd = b->data;
            bool zero = false;
            double worst = 0;
            for (int c = 0; c < C; c++) {
                if (bd[c] == 0) zero = true;
                else worst = fmax(worst, fabs(shift[c] / bd[c]));
            }
            l->bias_shift_max = worst;
            if (!zero && worst < 2.0) {
                for (int c = 0; c < C; c++) bd[c] = (float)(bd[c] + shift[c]);
                l->bias_corrected = 1;
            } else {
                l->bias_corrected = -1;
            }
        }
        free(shift);
        ptq_tensor_destroy(x);
        ptq_tensor_destroy(dw);
        ptq_tensor_destroy(outs[0]);
    }
    return st;
}

/* ---- full BiasCorrection ------------------------------------------------ */

typedef struct bc_ctx {
    ptq__graph *g;          /* work graph: biases updated here */
    ptq__qplan *plan;
    const ptq__graph *sg;   /* session graph: value indices of the observer */
    int *layer_of_value;    /* sg value -> layer, or -1 */
    double **mu;            /* per layer: FP32 per-channel output means on the n images */
    int *mu_channels;       /* per layer: their count */
    const ptq__calib *c;
    int done;
} bc_ctx;

/* FP32 pass: records the per-channel output means of every biased layer. */
static ptq_status bc_observe_fp32(void *user, int v, const ptq_tensor *t)
{
    bc_ctx *bc = user;
    int li = bc->layer_of_value[v];
    if (li < 0 || t->dtype != PTQ_DTYPE_FLOAT32 || t->rank < 2) return PTQ_STATUS_OK;
    int C = (int)t->dims[1];
    free(bc->mu[li]);
    bc->mu[li] = calloc((size_t)C, sizeof(double));
    if (!bc->mu[li]) return ptq__oom();
    bc->mu_channels[li] = C;
    channel_means(t, bc->mu[li], C);
    return PTQ_STATUS_OK;
}

static ptq_status bc_observe(void *user, int v, const ptq_tensor *t)
{
    bc_ctx *bc = user;
    int li = bc->layer_of_value[v];
    if (li < 0) return PTQ_STATUS_OK;
    ptq__qlayer *l = &bc->plan->layers[li];
    int bv = ptq__graph_find_value(bc->g, l->bias);
    if (!bc->mu[li] || bv < 0 || t->dtype != PTQ_DTYPE_FLOAT32 || t->rank < 2) return PTQ_STATUS_OK;
    ptq_tensor *b = bc->g->values[bv].data;
    int C = (int)t->dims[1];
    if (ptq_tensor_numel(b) != C || bc->mu_channels[li] != C) return PTQ_STATUS_OK;
    double *q = calloc((size_t)C, sizeof(double));
    if (!q) return ptq__oom();
    channel_means(t, q, C);
    float *bd = b->data;
    double worst = 0;
    bool zero = false;
    for (int c = 0; c < C; c++) {
        q[c] = bc->mu[li][c] - q[c]; /* shift */
        if (bd[c] == 0) zero = true;
        else worst = fmax(worst, fabs(q[c] / bd[c]));
    }
    l->bias_shift_max = worst;
    if (!zero && worst < 1000.0) {
        /* The executor's output buffer: later layers read the corrected value. */
        float *y = (float *)t->data;
        int64_t n = t->dims[0], inner = ptq_tensor_numel(t) / (n * C);
        for (int64_t s = 0; s < n; s++)
            for (int c = 0; c < C; c++)
                for (int64_t i = 0; i < inner; i++) y[(s * C + c) * inner + i] += (float)q[c];
        for (int c = 0; c < C; c++) bd[c] += (float)q[c];
        l->bias_corrected = 1;
    } else {
        l->bias_corrected = -1;
    }
    free(q);
    bc->done++;
    if (bc->c->progress) bc->c->progress(bc->c->progress_user, "bias correction", bc->done, bc->plan->n_layers);
    return PTQ_STATUS_OK;
}

ptq_status ptq__full_bias_correction(const ptq__calib *c, ptq__graph *g, ptq__qplan *plan,
                                     int n_ignored, char *const *ignored)
{
    int64_t n_bc = (int64_t)(0.2 * (double)c->count);
    if (n_bc < 1) n_bc = 1;
    /* The n_bc images run as one batch; a model that fixes its batch to
     * another size cannot take them (make_calib passes that batch on). */
    if (c->fixed_batch > 0 && c->fixed_batch != n_bc)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED,
                         "full bias correction runs its %lld images as one batch, but the model fixes the batch to %lld; "
                         "use --bias-correction fast",
                         (long long)n_bc, (long long)c->fixed_batch);
    ptq_model *m = calloc(1, sizeof *m), *fm = calloc(1, sizeof *fm);
    double **mu = calloc((size_t)plan->n_layers + 1, sizeof(double *));
    int *mu_channels = calloc((size_t)plan->n_layers + 1, sizeof(int));
    if (!m || !fm || !mu || !mu_channels) {
        free(m);
        free(fm);
        free(mu);
        free(mu_channels);
        return ptq__oom();
    }
    ptq_status st = ptq__qdq_build(g, plan, false, n_ignored, ignored, &m->graph);
    if (!st) st = ptq__graph_clone(g, &fm->graph);
    ptq_session *s = NULL, *fs = NULL;
    ptq_tensor **fouts = NULL;
    int *fp32_layer_of_value = NULL;
    ptq_loader *loader = NULL;
    ptq_tensor *batch = NULL, **outs = NULL;
    bc_ctx bc = {.g = g, .plan = plan, .c = c, .mu = mu, .mu_channels = mu_channels};
    if (st) goto done;
    ptq_input_shape shape;
    memset(&shape, 0, sizeof shape);
    shape.rank = 4;
    shape.dims[0] = n_bc;
    bool nhwc = c->pp->layout == PTQ_LAYOUT_NHWC;
    shape.dims[1] = nhwc ? c->pp->model_h : c->pp->channels;
    shape.dims[2] = nhwc ? c->pp->model_w : c->pp->model_h;
    shape.dims[3] = nhwc ? c->pp->channels : c->pp->model_w;
    ptq_session_params sp = ptq_session_params_default();
    sp.backend = PTQ_BACKEND_REF; /* the observer hook is the reference executor's */
    sp.threads = c->threads;
    sp.n_input_shapes = 1;
    sp.input_shapes = &shape;
    if ((st = ptq_session_create(m, &sp, &s))) goto done;
    bc.sg = s->graph;
    bc.layer_of_value = malloc(sizeof(int) * (size_t)(s->graph->n_values + 1));
    outs = calloc((size_t)s->graph->n_outputs + 1, sizeof *outs);
    if (!bc.layer_of_value || !outs) {
        st = ptq__oom();
        goto done;
    }
    for (int v = 0; v < s->graph->n_values; v++) bc.layer_of_value[v] = -1;
    for (int i = 0; i < plan->n_layers; i++) {
        if (!plan->layers[i].bias) continue;
        int v = ptq__graph_find_value(s->graph, plan->layers[i].output);
        if (v >= 0) bc.layer_of_value[v] = i;
    }
    if ((st = ptq_loader_create(c->ds, c->indices, n_bc, c->pp, (int)n_bc, c->loader_threads, 0, &loader))) goto done;
    int n = 0;
    if ((st = ptq_loader_next(loader, &batch, NULL, &n))) goto done;
    if (!batch || n != n_bc) {
        st = ptq__fail(PTQ_STATUS_INVALID_STATE, "bias correction: expected one batch of %lld images", (long long)n_bc);
        goto done;
    }
    const ptq_tensor *in[1] = {batch};
    /* FP32 targets on the same images, then the corrected quantized run. */
    if ((st = ptq_session_create(fm, &sp, &fs))) goto done;
    fp32_layer_of_value = malloc(sizeof(int) * (size_t)(fs->graph->n_values + 1));
    fouts = calloc((size_t)fs->graph->n_outputs + 1, sizeof *fouts);
    if (!fp32_layer_of_value || !fouts) {
        st = ptq__oom();
        goto done;
    }
    for (int v = 0; v < fs->graph->n_values; v++) fp32_layer_of_value[v] = -1;
    for (int i = 0; i < plan->n_layers; i++) {
        int v = plan->layers[i].bias ? ptq__graph_find_value(fs->graph, plan->layers[i].output) : -1;
        if (v >= 0) fp32_layer_of_value[v] = i;
    }
    int *q_layer_of_value = bc.layer_of_value;
    bc.layer_of_value = fp32_layer_of_value;
    st = ptq__ref_plan_run(fs->ref, in, fouts, bc_observe_fp32, &bc);
    bc.layer_of_value = q_layer_of_value;
    for (int i = 0; i < fs->graph->n_outputs; i++) ptq_tensor_destroy(fouts[i]);
    if (st) goto done;
    st = ptq__ref_plan_run(s->ref, in, outs, bc_observe, &bc);
    for (int i = 0; i < s->graph->n_outputs; i++) ptq_tensor_destroy(outs[i]);
done:
    for (int i = 0; i < plan->n_layers; i++) free(mu[i]);
    free(mu);
    free(mu_channels);
    free(fouts);
    free(fp32_layer_of_value);
    ptq_session_destroy(fs);
    ptq_model_destroy(fm);
    free(outs);
    free(bc.layer_of_value);
    ptq_tensor_destroy(batch);
    ptq_loader_destroy(loader);
    ptq_session_destroy(s);
    ptq_model_destroy(m);
    if (st) return ptq__fail_context(st, "bias correction");
    return PTQ_STATUS_OK;
}
