/* Where quantization goes, and the QDQ graph that carries it.
 *
 * Placement (ONNX Runtime QDQ / NNCF rules for CNNs):
 *   Conv, Gemm, MatMul   activation input quantized; constant weight -> int8
 *                        per output channel (Conv axis 0, Gemm axis 0 when
 *                        transB else 1, MatMul axis 1); bias stays float
 *   Add                  both inputs, when both are activations (residual)
 *   MaxPool              input, and output with the input's parameters
 *                        (max commutes with a monotonic quantizer)
 *   AveragePool,
 *   GlobalAveragePool    input and output, each with its own range
 *   Concat               inputs and output share one range (min of mins,
 *                        max of maxes)
 * Relu needs nothing: the tensor a quantized op reads is the Relu output, so
 * the range after the activation is what gets quantized (conv -> relu ->
 * Q/DQ), never the conv output. Ignored nodes (by name or op type) neither
 * request quantization nor read dequantized tensors.
 *
 * QDQ form (what ONNX Runtime's quantize_static writes and ptq's oneDNN
 * backend pattern-matches):
 *   weight:     W_quantized (int8 initializer) -> DequantizeLinear(W_scale [C],
 *               W_zero_point int8 [C] = 0, axis) -> op
 *   activation: t -> QuantizeLinear(t_scale, t_zero_point) ->
 *               DequantizeLinear(same) -> consumers */
#include "quant/quant_internal.h"
#include "core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ptq__node_is_ignored(const ptq__node *n, int n_ignored, char *const *ignored)
{
    for (int i = 0; i < n_ignored; i++)
        if (strcmp(n->name, ignored[i]) == 0 || strcmp(n->op_type, ignored[i]) == 0) return true;
    return false;
}

void ptq__qplan_free(ptq__qplan *plan)
{
    if (!plan) return;
    for (int i = 0; i < plan->n_layers; i++) {
        ptq__qlayer *l = &plan->layers[i];
        free(l->node_name);
        free(l->op_type);
        free(l->input);
        free(l->weight);
        free(l->bias);
        free(l->output);
        free(l->w_scale);
        free(l->w_q);
    }
    for (int i = 0; i < plan->n_points; i++) free(plan->points[i].value);
    free(plan->layers);
    free(plan->points);
    memset(plan, 0, sizeof *plan);
}

int ptq__qplan_find_point(const ptq__qplan *plan, const char *value)
{
    for (int i = 0; i < plan->n_points; i++)
        if (strcmp(plan->points[i].value, value) == 0) return i;
    return -1;
}

static bool is_activation(const ptq__graph *g, int v)
{
    if (v < 0) return false;
    const ptq__value *val = &g->values[v];
    if (val->data) return false;
    return val->dtype == PTQ_DTYPE_UNDEFINED || val->dtype == PTQ_DTYPE_FLOAT32;
}

static int add_point(ptq__qplan *plan, const ptq__graph *g, int v, int share, int group)
{
    int i = ptq__qplan_find_point(plan, g->values[v].name);
    if (i >= 0) {
        ptq__qpoint *p = &plan->points[i];
        if (group >= 0) {
            if (p->group < 0) p->group = group;
            else if (p->group != group) /* merge the two groups */
                for (int k = 0; k < plan->n_points; k++)
                    if (plan->points[k].group == group) plan->points[k].group = p->group;
        }
        if (share >= 0 && p->share < 0) p->share = share;
        return i;
    }
    ptq__qpoint *np = realloc(plan->points, sizeof *np * (size_t)(plan->n_points + 1));
    if (!np) return -1;
    plan->points = np;
    ptq__qpoint *p = &plan->points[plan->n_points];
    memset(p, 0, sizeof *p);
    if (!(p->value = strdup(g->values[v].name))) return -1;
    p->share = share;
    p->group = group;
    return plan->n_points++;
}

static char *dup_name(const ptq__graph *g, int v) { return v >= 0 ? strdup(g->values[v].name) : NULL; }

static ptq_status add_layer(ptq__qplan *plan, const ptq__graph *g, const ptq__node *n, int axis, bool per_tensor)
{
    ptq__qlayer *nl = realloc(plan->layers, sizeof *nl * (size_t)(plan->n_layers + 1));
    if (!nl) return ptq__oom();
    plan->layers = nl;
    ptq__qlayer *l = &plan->layers[plan->n_layers];
    memset(l, 0, sizeof *l);
    const ptq_tensor *w = g->values[n->inputs[1]].data;
    l->node_name = strdup(n->name);
    l->op_type = strdup(n->op_type);
    l->input = dup_name(g, n->inputs[0]);
    l->weight = dup_name(g, n->inputs[1]);
    int b = n->n_inputs > 2 ? n->inputs[2] : -1;
    if (b >= 0 && g->values[b].data && g->values[b].data->dtype == PTQ_DTYPE_FLOAT32) l->bias = dup_name(g, b);
    l->output = dup_name(g, n->outputs[0]);
    l->axis = axis;
    l->per_tensor = per_tensor;
    l->channels = (int)w->dims[axis];
    l->sqnr_db = __builtin_nan("");
    plan->n_layers++;
    if (!l->node_name || !l->op_type || !l->input || !l->weight || !l->output || (b >= 0 && l->bias == NULL && g->values[b].data && g->values[b].data->dtype == PTQ_DTYPE_FLOAT32))
        return ptq__oom();
    return PTQ_STATUS_OK;
}

static bool const_float(const ptq__graph *g, int v, int min_rank, int max_rank)
{
    if (v < 0 || !g->values[v].data) return false;
    const ptq_tensor *t = g->values[v].data;
    return t->dtype == PTQ_DTYPE_FLOAT32 && t->rank >= min_rank && t->rank <= max_rank;
}

ptq_status ptq__qplan_build(const ptq__graph *g, int n_ignored, char *const *ignored, bool per_tensor_weights,
                            ptq__qplan *plan)
{
    memset(plan, 0, sizeof *plan);
    ptq_status st = PTQ_STATUS_OK;
    for (int i = 0; i < g->n_nodes && !st; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead || ptq__node_is_ignored(n, n_ignored, ignored)) continue;
        int in0 = n->n_inputs > 0 ? n->inputs[0] : -1;
        int out0 = n->n_outputs > 0 ? n->outputs[0] : -1;
        int p;
        switch (n->op) {
        case PTQ__OP_CONV:
            if (!is_activation(g, in0)) break;
            if (n->n_inputs >= 2 && const_float(g, n->inputs[1], 3, PTQ_MAX_DIMS)) {
                if (add_point(plan, g, in0, -1, -1) < 0) return ptq__oom();
                st = add_layer(plan, g, n, 0, per_tensor_weights);
            }
            break;
        case PTQ__OP_GEMM:
            if (!is_activation(g, in0) || ptq__node_attr_int(n, "transA", 0)) break;
            if (n->n_inputs >= 2 && const_float(g, n->inputs[1], 2, 2)) {
                if (add_point(plan, g, in0, -1, -1) < 0) return ptq__oom();
                st = add_layer(plan, g, n, ptq__node_attr_int(n, "transB", 0) ? 0 : 1, per_tensor_weights);
            }
            break;
        case PTQ__OP_MAT_MUL:
            if (!is_activation(g, in0) || n->n_inputs < 2) break;
            if (const_float(g, n->inputs[1], 2, 2)) {
                if (add_point(plan, g, in0, -1, -1) < 0) return ptq__oom();
                st = add_layer(plan, g, n, 1, per_tensor_weights);
            } else if (is_activation(g, n->inputs[1])) {
                if (add_point(plan, g, in0, -1, -1) < 0 || add_point(plan, g, n->inputs[1], -1, -1) < 0) return ptq__oom();
            }
            break;
        case PTQ__OP_ADD:
            if (n->n_inputs == 2 && is_activation(g, n->inputs[0]) && is_activation(g, n->inputs[1]))
                if (add_point(plan, g, n->inputs[0], -1, -1) < 0 || add_point(plan, g, n->inputs[1], -1, -1) < 0)
                    return ptq__oom();
            break;
        case PTQ__OP_MAX_POOL:
            if (!is_activation(g, in0) || n->n_outputs != 1) break; /* Indices output: leave it */
            if ((p = add_point(plan, g, in0, -1, -1)) < 0 || add_point(plan, g, out0, p, -1) < 0) return ptq__oom();
            break;
        case PTQ__OP_AVERAGE_POOL:
        case PTQ__OP_GLOBAL_AVERAGE_POOL:
            if (!is_activation(g, in0)) break;
            if (add_point(plan, g, in0, -1, -1) < 0 || add_point(plan, g, out0, -1, -1) < 0) return ptq__oom();
            break;
        case PTQ__OP_CONCAT: {
            int group = plan->n_groups++;
            bool all = true;
            for (int j = 0; j < n->n_inputs; j++) all = all && is_activation(g, n->inputs[j]);
            if (!all) break;
            for (int j = 0; j < n->n_inputs; j++)
                if (add_point(plan, g, n->inputs[j], -1, group) < 0) return ptq__oom();
            if (add_point(plan, g, out0, -1, group) < 0) return ptq__oom();
            break;
        }
        default: break;
        }
    }
    if (st) ptq__qplan_free(plan);
    return st;
}

ptq_status ptq__qplan_quantize_weights(ptq__qplan *plan, const ptq__graph *g)
{
    for (int i = 0; i < plan->n_layers; i++) {
        ptq__qlayer *l = &plan->layers[i];
        int v = ptq__graph_find_value(g, l->weight);
        if (v < 0 || !g->values[v].data)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "layer '%s': weight '%s' is not a constant", l->node_name, l->weight);
        const ptq_tensor *w = g->values[v].data;
        free(l->w_q);
        free(l->w_scale);
        l->w_q = malloc((size_t)ptq_tensor_numel(w) + 1);
        l->w_scale = malloc(sizeof(float) * (size_t)(l->channels + 1));
        if (!l->w_q || !l->w_scale) return ptq__oom();
        ptq__quantize_weights(w, l->axis, l->per_tensor, l->w_q, l->w_scale);
    }
    return PTQ_STATUS_OK;
}

/* A new value named base (or base_1, base_2, ... if taken). */
static int new_value(ptq__graph *g, const char *base)
{
    char name[1024];
    snprintf(name, sizeof name, "%s", base);
    for (int k = 1; ptq__graph_find_value(g, name) >= 0; k++) snprintf(name, sizeof name, "%s_%d", base, k);
    return ptq__graph_value(g, name);
}

ptq_status ptq__graph_set_const(ptq__graph *g, const char *name, ptq_tensor *t, int *value_out)
{
    int v = new_value(g, name);
    if (v < 0) {
        ptq_tensor_destroy(t);
        return ptq__oom();
    }
    ptq__value *val = &g->values[v];
    val->data = t;
    val->is_initializer = true;
    val->dtype = t->dtype;
    val->rank = t->rank;
    memcpy(val->dims, t->dims, sizeof val->dims);
    if (value_out) *value_out = v;
    return PTQ_STATUS_OK;
}

static bool node_name_taken(const ptq__graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && strcmp(g->nodes[i].name, name) == 0) return true;
    return false;
}

static int add_node_unique(ptq__graph *g, const char *base, const char *op, int n_in, const int *in, int out)
{
    char name[1024];
    snprintf(name, sizeof name, "%s", base);
    for (int k = 1; node_name_taken(g, name); k++) snprintf(name, sizeof name, "%s_%d", base, k);
    return ptq__graph_add_node(g, name, op, "", n_in, in, 1, &out);
}

static ptq_status scalar_const(ptq__graph *g, const char *name, ptq_dtype dt, double value, int *v_out)
{
    ptq_tensor *t;
    ptq_status st = ptq_tensor_create(dt, 0, NULL, &t);
    if (st) return st;
    if (dt == PTQ_DTYPE_FLOAT32) *(float *)t->data = (float)value;
    else if (dt == PTQ_DTYPE_UINT8) *(uint8_t *)t->data = (uint8_t)value;
    else *(int8_t *)t->data = (int8_t)value;
    return ptq__graph_set_const(g, name, t, v_out);
}

/* Opset 13 is where DequantizeLinear gained `axis` (per-channel weights).
 * Models at 11/12 are lifted when none of their ops changed meaning at 13. */
static ptq_status require_opset13(ptq__graph *g)
{
    if (g->opset >= 13) return PTQ_STATUS_OK;
    if (g->opset < 11)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "the model uses opset %lld; QDQ export needs opset >= 13 (convert the model to opset 13 first)",
                         (long long)g->opset);
    static const char *changed[] = {"Squeeze", "Unsqueeze", "Split", "ReduceSum"};
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead || n->domain[0]) continue;
        for (size_t k = 0; k < sizeof changed / sizeof changed[0]; k++)
            if (strcmp(n->op_type, changed[k]) == 0)
                return ptq__fail(PTQ_STATUS_UNSUPPORTED,
                                 "the model uses opset %lld and node '%s' (%s) changed at opset 13; convert the model to opset 13 first",
                                 (long long)g->opset, n->name, n->op_type);
    }
    g->opset = 13;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].domain[0]) g->nodes[i].opset = 13;
    return PTQ_STATUS_OK;
}

static ptq_status add_weight_dq(ptq__graph *g, const ptq__qlayer *l, int node)
{
    char name[1024];
    int w = ptq__graph_find_value(g, l->weight);
    if (w < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "weight '%s' not found", l->weight);
    const ptq_tensor *wt = g->values[w].data;
    ptq_tensor *q = NULL, *s = NULL, *z = NULL;
    int64_t C = l->per_tensor ? 1 : l->channels;
    int64_t cdims[1] = {C};
    int srank = l->per_tensor ? 0 : 1;
    ptq_status st = ptq_tensor_create(PTQ_DTYPE_INT8, wt->rank, wt->dims, &q);
    if (!st) st = ptq_tensor_create(PTQ_DTYPE_FLOAT32, srank, cdims, &s);
    if (!st) st = ptq_tensor_create(PTQ_DTYPE_INT8, srank, cdims, &z);
    if (st) {
        ptq_tensor_destroy(q);
        ptq_tensor_destroy(s);
        ptq_tensor_destroy(z);
        return st;
    }
    memcpy(q->data, l->w_q, (size_t)ptq_tensor_numel(wt));
    memcpy(s->data, l->w_scale, sizeof(float) * (size_t)C);
    int vq = -1, vs = -1, vz = -1, vo;
    snprintf(name, sizeof name, "%s_quantized", l->weight);
    if ((st = ptq__graph_set_const(g, name, q, &vq))) {
        ptq_tensor_destroy(s);
        ptq_tensor_destroy(z);
        return st;
    }
    snprintf(name, sizeof name, "%s_scale", l->weight);
    if ((st = ptq__graph_set_const(g, name, s, &vs))) {
        ptq_tensor_destroy(z);
        return st;
    }
    snprintf(name, sizeof name, "%s_zero_point", l->weight);
    if ((st = ptq__graph_set_const(g, name, z, &vz))) return st;
    snprintf(name, sizeof name, "%s_DequantizeLinear_Output", l->weight);
    if ((vo = new_value(g, name)) < 0) return ptq__oom();
    snprintf(name, sizeof name, "%s_DequantizeLinear", l->weight);
    int in[3] = {vq, vs, vz};
    int k = add_node_unique(g, name, "DequantizeLinear", 3, in, vo);
    if (k < 0) return ptq__oom();
    if (!l->per_tensor) {
        ptq__attr a;
        memset(&a, 0, sizeof a);
        a.name = (char *)"axis";
        a.type = PTQ__ATTR_INT;
        a.i = l->axis;
        if ((st = ptq__node_add_attr(&g->nodes[k], &a))) return st;
    }
    g->nodes[node].inputs[1] = vo;
    return PTQ_STATUS_OK;
}

static const ptq__qparams *resolve(const ptq__qplan *plan, int p)
{
    for (int hops = 0; plan->points[p].share >= 0 && hops < plan->n_points; hops++) p = plan->points[p].share;
    return &plan->points[p].q;
}

static ptq_status add_activation_qdq(ptq__graph *g, const ptq__qplan *plan, int p, int n_ignored, char *const *ignored)
{
    const char *t = plan->points[p].value;
    int v = ptq__graph_find_value(g, t);
    if (v < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "tensor '%s' not found", t);
    const ptq__qparams *qp = resolve(plan, p);
    char name[1024];
    int vs = -1, vz = -1, vq, vd;
    snprintf(name, sizeof name, "%s_scale", t);
    ptq_status st = scalar_const(g, name, PTQ_DTYPE_FLOAT32, qp->scale, &vs);
    snprintf(name, sizeof name, "%s_zero_point", t);
    if (!st) st = scalar_const(g, name, qp->dtype, qp->zero_point, &vz);
    if (st) return st;
    snprintf(name, sizeof name, "%s_QuantizeLinear_Output", t);
    if ((vq = new_value(g, name)) < 0) return ptq__oom();
    snprintf(name, sizeof name, "%s_DequantizeLinear_Output", t);
    if ((vd = new_value(g, name)) < 0) return ptq__oom();
    /* Consumers read the dequantized tensor (before the pair exists). */
    for (int i = 0; i < g->n_nodes; i++) {
        ptq__node *n = &g->nodes[i];
        if (n->dead || ptq__node_is_ignored(n, n_ignored, ignored)) continue;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] == v) n->inputs[j] = vd;
    }
    int qin[3] = {v, vs, vz}, din[3] = {vq, vs, vz};
    snprintf(name, sizeof name, "%s_QuantizeLinear", t);
    if (add_node_unique(g, name, "QuantizeLinear", 3, qin, vq) < 0) return ptq__oom();
    snprintf(name, sizeof name, "%s_DequantizeLinear", t);
    if (add_node_unique(g, name, "DequantizeLinear", 3, din, vd) < 0) return ptq__oom();
    return PTQ_STATUS_OK;
}

ptq_status ptq__qdq_build(const ptq__graph *src, const ptq__qplan *plan, bool activations, int n_ignored,
                          char *const *ignored, ptq__graph **out)
{
    *out = NULL;
    ptq__graph *g = NULL;
    ptq_status st = ptq__graph_clone(src, &g);
    if (!st) st = require_opset13(g);
    for (int i = 0; !st && i < plan->n_layers; i++) {
        const ptq__qlayer *l = &plan->layers[i];
        int node = -1;
        for (int k = 0; k < g->n_nodes && node < 0; k++)
            if (!g->nodes[k].dead && strcmp(g->nodes[k].name, l->node_name) == 0) node = k;
        if (node < 0) st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "layer '%s' not found", l->node_name);
        else st = add_weight_dq(g, l, node);
    }
    for (int p = 0; !st && activations && p < plan->n_points; p++) st = add_activation_qdq(g, plan, p, n_ignored, ignored);
    if (!st) st = ptq__graph_compact(g);
    if (st) {
        ptq__graph_free(g);
        return st;
    }
    *out = g;
    return PTQ_STATUS_OK;
}
