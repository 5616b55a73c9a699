#include "graph/infer.h"
#include "ops/kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ptq_status ptq__graph_bind_inputs(ptq__graph *g, int n_shapes, const ptq_input_shape *shapes)
{
    if (n_shapes > 0 && !shapes) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "%d input shapes given, but input_shapes is NULL", n_shapes);
    for (int s = 0; s < n_shapes; s++) {
        const ptq_input_shape *sh = &shapes[s];
        if (sh->rank < 0 || sh->rank > PTQ_MAX_DIMS)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input shape %d ('%s') has rank %d, expected 0..%d", s,
                             sh->name ? sh->name : "(first)", sh->rank, PTQ_MAX_DIMS);
        int idx = -1;
        if (!sh->name) idx = s < g->n_inputs ? s : -1;
        else
            for (int i = 0; i < g->n_inputs; i++)
                if (strcmp(g->values[g->inputs[i]].name, sh->name) == 0) idx = i;
        if (idx < 0)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "%s: no graph input named '%s'", g->path ? g->path : "model",
                             sh->name ? sh->name : "(first)");
        ptq__value *v = &g->values[g->inputs[idx]];
        if (v->rank >= 0 && v->rank != sh->rank)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input '%s' has rank %d, the given shape has rank %d", v->name,
                             v->rank, sh->rank);
        for (int d = 0; d < sh->rank; d++) {
            if (v->rank >= 0 && v->dims[d] >= 0 && v->dims[d] != sh->dims[d])
                return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input '%s' dimension %d is fixed to %lld, cannot bind %lld",
                                 v->name, d, (long long)v->dims[d], (long long)sh->dims[d]);
            if (sh->dims[d] < 0)
                return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input '%s' dimension %d must not be negative", v->name, d);
        }
        v->rank = sh->rank;
        for (int d = 0; d < sh->rank; d++) v->dims[d] = sh->dims[d];
    }
    return PTQ_STATUS_OK;
}

static bool is_qdq(ptq__op op) { return op == PTQ__OP_QUANTIZE_LINEAR || op == PTQ__OP_DEQUANTIZE_LINEAR; }

ptq_status ptq__graph_infer(ptq__graph *g, const ptq__infer_options *opt)
{
    ptq_status st = PTQ_STATUS_OK;
    for (int i = 0; i < g->n_inputs; i++) {
        const ptq__value *v = &g->values[g->inputs[i]];
        if (v->rank < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input '%s' has no known shape; give one", v->name);
        for (int d = 0; d < v->rank; d++)
            if (v->dims[d] < 0)
                return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input '%s' dimension %d ('%s') is dynamic; give a shape (e.g. --shape)",
                                 v->name, d, v->dim_param[d] ? v->dim_param[d] : "?");
        if (ptq_dtype_size(v->dtype) == 0)
            return ptq__fail(PTQ_STATUS_UNSUPPORTED, "input '%s' has unsupported dtype %s", v->name, ptq_dtype_name(v->dtype));
        size_t bytes;
        if ((st = ptq__tensor_check_shape(v->dtype, v->rank, v->dims, &bytes)))
            return ptq__fail_context(st, "input '%s'", v->name);
    }
    ptq_tensor headers[64];
    const ptq_tensor *ins[64];
    ptq_tensor *outs[64];
    for (int i = 0; i < g->n_nodes; i++) {
        ptq__node *n = &g->nodes[i];
        char desc[300];
        if (n->dead) continue;
        ptq__kernel_fn fn = ptq__op_kernel(n->op);
        if (!fn)
            return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: unknown operator '%s%s%s'", ptq__node_desc(n, desc, sizeof desc),
                             n->domain[0] ? n->domain : "", n->domain[0] ? "." : "", n->op_type);
        if (n->n_inputs > 64 || n->n_outputs > 64)
            return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: more than 64 inputs or outputs", ptq__node_desc(n, desc, sizeof desc));
        bool all_const = true;
        for (int j = 0; j < n->n_inputs; j++) {
            int v = n->inputs[j];
            if (v < 0) {
                ins[j] = NULL;
                continue;
            }
            const ptq__value *val = &g->values[v];
            if (val->data) {
                ins[j] = val->data;
                continue;
            }
            all_const = false;
            if (val->rank < 0 || ptq_dtype_size(val->dtype) == 0)
                return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: input '%s' has no known type or shape (produced by no node?)",
                                 ptq__node_desc(n, desc, sizeof desc), val->name);
            memset(&headers[j], 0, sizeof headers[j]);
            ptq__tensor_set_shape(&headers[j], val->dtype, val->rank, val->dims);
            ins[j] = &headers[j];
        }
        bool fold = opt->fold && (all_const || n->op == PTQ__OP_SHAPE) && (opt->fold_qdq || !is_qdq(n->op));
        memset(outs, 0, sizeof outs);
        ptq__kernel_ctx ctx = {.node = n, .opset = n->opset, .n_in = n->n_inputs, .in = ins,
                               .n_out = n->n_outputs, .out = outs, .shape_only = !fold};
        st = fn(&ctx);
        if (!st)
            for (int j = 0; j < n->n_outputs; j++)
                if (n->outputs[j] >= 0 && !outs[j])
                    st = ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: output %d is not produced", ptq__node_desc(n, desc, sizeof desc), j);
        if (!st && fold)
            for (int j = 0; j < n->n_outputs; j++)
                if (outs[j] && !outs[j]->data)
                    st = ptq__fail(PTQ_STATUS_BACKEND, "%s: folding produced no data", ptq__node_desc(n, desc, sizeof desc));
        if (st) {
            for (int j = 0; j < n->n_outputs; j++) ptq_tensor_destroy(outs[j]);
            return st;
        }
        for (int j = 0; j < n->n_outputs; j++) {
            int v = n->outputs[j];
            if (v < 0) {
                ptq_tensor_destroy(outs[j]);
                continue;
            }
            ptq__value *val = &g->values[v];
            val->dtype = outs[j]->dtype;
            val->rank = outs[j]->rank;
            memcpy(val->dims, outs[j]->dims, sizeof val->dims);
            if (fold) {
                ptq_tensor_destroy(val->data);
                val->data = outs[j];
            } else {
                ptq_tensor_destroy(outs[j]);
            }
        }
        if (fold) n->dead = true;
    }
    return ptq__graph_compact(g);
}

static int64_t value_numel(const ptq__graph *g, int v)
{
    if (v < 0 || g->values[v].rank < 0) return 0;
    int64_t n = 1;
    for (int d = 0; d < g->values[v].rank; d++) n *= g->values[v].dims[d];
    return n;
}

/* MACs follow the common convention (ptflops): convolutions and matrix
 * products count multiply-accumulates; pooling counts one per window element
 * and output (MaxPool 3x3 on ResNet-50 adds 1.8 M); global pooling one per
 * input element. ResNet-50 at 224x224 is 4.089 GMACs this way. */
int64_t ptq__graph_macs(const ptq__graph *g)
{
    int64_t macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead) continue;
        int w = -1, out = n->n_outputs ? n->outputs[0] : -1, in = n->n_inputs ? n->inputs[0] : -1;
        switch (n->op) {
        case PTQ__OP_CONV: case PTQ__OP_CONV_INTEGER: case PTQ__OP_QLINEAR_CONV:
            w = n->op == PTQ__OP_QLINEAR_CONV ? (n->n_inputs > 3 ? n->inputs[3] : -1) : (n->n_inputs > 1 ? n->inputs[1] : -1);
            if (w >= 0 && out >= 0 && g->values[w].rank >= 2 && g->values[w].dims[0] > 0)
                macs += value_numel(g, out) * (value_numel(g, w) / g->values[w].dims[0]); /* x Cin/group x kernel */
            break;
        case PTQ__OP_GEMM: case PTQ__OP_MAT_MUL: case PTQ__OP_MAT_MUL_INTEGER: case PTQ__OP_QLINEAR_MAT_MUL:
            if (in >= 0 && out >= 0 && g->values[in].rank >= 1) {
                int64_t k = g->values[in].dims[g->values[in].rank - 1];
                if (n->op == PTQ__OP_GEMM && ptq__node_attr_int(n, "transA", 0) && g->values[in].rank == 2) k = g->values[in].dims[0];
                macs += value_numel(g, out) * k;
            }
            break;
        case PTQ__OP_MAX_POOL: case PTQ__OP_AVERAGE_POOL: {
            const int64_t *ks;
            int nk = ptq__node_attr_ints(n, "kernel_shape", &ks);
            int64_t window = 1;
            for (int d = 0; d < nk; d++) window *= ks[d];
            if (out >= 0) macs += value_numel(g, out) * window;
            break;
        }
        case PTQ__OP_GLOBAL_AVERAGE_POOL: case PTQ__OP_GLOBAL_MAX_POOL:
            macs += value_numel(g, in);
            break;
        default: break;
        }
    }
    return macs;
}

/* Parameters: elements of the initializers that compute nodes read (weights,
 * biases, BatchNormalization statistics), directly or through a
 * DequantizeLinear; scales, zero points and shape constants are not counted. */
int64_t ptq__graph_params(const ptq__graph *g)
{
    int64_t params = 0;
    char *counted = calloc((size_t)g->n_values + 1, 1);
    if (!counted) return 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead || n->op == PTQ__OP_RESHAPE || n->op == PTQ__OP_CONSTANT) continue;
        bool qdq = n->op == PTQ__OP_QUANTIZE_LINEAR || n->op == PTQ__OP_DEQUANTIZE_LINEAR;
        for (int j = 0; j < n->n_inputs; j++) {
            int v = n->inputs[j];
            if (v < 0 || counted[v] || !g->values[v].is_initializer || (qdq && j > 0)) continue;
            ptq_dtype dt = g->values[v].dtype;
            if (dt != PTQ_DTYPE_FLOAT32 && dt != PTQ_DTYPE_INT8 && dt != PTQ_DTYPE_UINT8 && dt != PTQ_DTYPE_INT32) continue;
            counted[v] = 1;
            params += value_numel(g, v);
        }
    }
    free(counted);
    return params;
}
