#include "backend/ref/ref_exec.h"
#include "ops/kernel.h"

#include <stdlib.h>
#include <string.h>

struct ptq__ref_plan {
    const ptq__graph *g;
    int *last_use;       /* per value: index of the last node reading it */
    ptq_tensor **live;   /* per value: tensor computed during a run (owned) */
};

void ptq__ref_plan_destroy(ptq__ref_plan *p)
{
    if (!p) return;
    free(p->last_use);
    free(p->live);
    free(p);
}

ptq_status ptq__ref_plan_create(const ptq__graph *g, ptq__ref_plan **out)
{
    *out = NULL;
    ptq__ref_plan *p = calloc(1, sizeof *p);
    if (!p) return ptq__oom();
    p->g = g;
    p->last_use = malloc(sizeof(int) * ((size_t)g->n_values + 1));
    p->live = calloc((size_t)g->n_values + 1, sizeof(ptq_tensor *));
    if (!p->last_use || !p->live) {
        ptq__ref_plan_destroy(p);
        return ptq__oom();
    }
    for (int v = 0; v < g->n_values; v++) p->last_use[v] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++)
            if (g->nodes[i].inputs[j] >= 0) p->last_use[g->nodes[i].inputs[j]] = i;
    /* Graph outputs live to the end. */
    for (int i = 0; i < g->n_outputs; i++) p->last_use[g->outputs[i]] = g->n_nodes;
    *out = p;
    return PTQ_STATUS_OK;
}

static ptq_status copy_tensor(const ptq_tensor *src, ptq_tensor **out)
{
    ptq_status st = ptq__tensor_create_uninit(src->dtype, src->rank, src->dims, out);
    if (st) return st;
    memcpy((*out)->data, src->data, (size_t)ptq_tensor_numel(src) * ptq_dtype_size(src->dtype));
    return PTQ_STATUS_OK;
}

ptq_status ptq__ref_plan_run(ptq__ref_plan *p, const ptq_tensor *const *inputs, ptq_tensor **outputs_out,
                             ptq__value_observer observer, void *user)
{
    const ptq__graph *g = p->g;
    ptq_status st = PTQ_STATUS_OK;
    const ptq_tensor **vals = calloc((size_t)g->n_values + 1, sizeof *vals);
    if (!vals) return ptq__oom();
    for (int i = 0; i < g->n_outputs; i++) outputs_out[i] = NULL;
    for (int v = 0; v < g->n_values; v++) vals[v] = g->values[v].data;
    for (int i = 0; i < g->n_inputs; i++) {
        vals[g->inputs[i]] = inputs[i];
        if (observer && (st = observer(user, g->inputs[i], inputs[i]))) goto done;
    }
    const ptq_tensor *ins[64];
    ptq_tensor *outs[64];
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        for (int j = 0; j < n->n_inputs; j++) ins[j] = n->inputs[j] >= 0 ? vals[n->inputs[j]] : NULL;
        memset(outs, 0, sizeof(ptq_tensor *) * (size_t)n->n_outputs);
        ptq__kernel_ctx ctx = {.node = n, .opset = n->opset, .n_in = n->n_inputs, .in = ins,
                               .n_out = n->n_outputs, .out = outs, .shape_only = false};
        st = ptq__op_kernel(n->op)(&ctx);
        for (int j = 0; j < n->n_outputs; j++) {
            int v = n->outputs[j];
            if (v < 0 || st) {
                ptq_tensor_destroy(outs[j]);
                continue;
            }
            p->live[v] = outs[j];
            vals[v] = outs[j];
            if (observer && outs[j] && (st = observer(user, v, outs[j]))) break;
        }
        if (st) goto done;
        /* Free what no later node reads. */
        for (int j = 0; j < n->n_inputs; j++) {
            int v = n->inputs[j];
            if (v >= 0 && p->last_use[v] == i && p->live[v]) {
                ptq_tensor_destroy(p->live[v]);
                p->live[v] = NULL;
                vals[v] = NULL;
            }
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int v = g->outputs[i];
        if (p->live[v]) {
            outputs_out[i] = p->live[v];
            p->live[v] = NULL;
        } else if (vals[v]) {
            /* A constant or an input that is also an output. */
            if ((st = copy_tensor(vals[v], &outputs_out[i]))) goto done;
        } else {
            st = ptq__fail(PTQ_STATUS_INVALID_STATE, "graph output '%s' was not computed", g->values[v].name);
            goto done;
        }
    }
done:
    for (int v = 0; v < g->n_values; v++) {
        ptq_tensor_destroy(p->live[v]);
        p->live[v] = NULL;
    }
    if (st)
        for (int i = 0; i < g->n_outputs; i++) {
            ptq_tensor_destroy(outputs_out[i]);
            outputs_out[i] = NULL;
        }
    free(vals);
    return st;
}
