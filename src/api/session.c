/* ptq_session: a model bound to input shapes and compiled for a backend. */
#include "api/internal.h"
#include "core/status.h"
#include "graph/infer.h"
#include "backend/dnnl/dnnl_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


ptq_session_params ptq_session_params_default(void)
{
    ptq_session_params p;
    memset(&p, 0, sizeof p);
    p.backend = PTQ_BACKEND_DEFAULT;
    return p;
}

void ptq_session_destroy(ptq_session *s)
{
    if (!s) return;
    if (s->fast.impl && s->fast.destroy) s->fast.destroy(s->fast.impl);
    ptq__ref_plan_destroy(s->ref);
    ptq__graph_free(s->graph);
    free(s);
}

ptq_status ptq_session_create(const ptq_model *model, const ptq_session_params *params, ptq_session **session_out)
{
    if (!session_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "session_out is NULL");
    *session_out = NULL;
    if (!model) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "model is NULL");
    ptq_session_params dflt = ptq_session_params_default();
    if (!params) params = &dflt;
    if (params->threads < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "threads must be >= 0 (got %d)", params->threads);
    ptq_session *s = calloc(1, sizeof *s);
    if (!s) return ptq__oom();
    s->model = model;
    s->threads = params->threads ? params->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (s->threads < 1) s->threads = 1;
    bool want_dnnl = params->backend == PTQ_BACKEND_DNNL || params->backend == PTQ_BACKEND_DEFAULT;
    ptq__infer_options opt = {.fold = true, .fold_qdq = !want_dnnl};
    ptq_status st = ptq__graph_clone(model->graph, &s->graph);
    if (!st) st = ptq__graph_bind_inputs(s->graph, params->n_input_shapes, params->input_shapes);
    /* Unbound leading (batch) dimensions default to 1. */
    for (int i = 0; !st && i < s->graph->n_inputs; i++) {
        ptq__value *v = &s->graph->values[s->graph->inputs[i]];
        if (v->rank > 0 && v->dims[0] < 0) v->dims[0] = 1;
    }
    if (!st) st = ptq__graph_infer(s->graph, &opt);
    if (!st) st = ptq__ref_plan_create(s->graph, &s->ref);
    s->backend = PTQ_BACKEND_REF;
    if (!st && want_dnnl) {
        st = ptq__dnnl_plan_create(s->graph, s->threads, &s->fast);
        if (!st) s->backend = PTQ_BACKEND_DNNL;
    }
    if (st) {
        ptq_session_destroy(s);
        return st;
    }
    *session_out = s;
    return PTQ_STATUS_OK;
}

ptq_status ptq_session_run(ptq_session *s, int n_inputs, const ptq_tensor *const *inputs, int n_outputs,
                           ptq_tensor **outputs_out)
{
    if (!s || !outputs_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "session or outputs_out is NULL");
    const ptq__graph *g = s->graph;
    if (n_inputs != g->n_inputs)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "model takes %d inputs, %d given", g->n_inputs, n_inputs);
    if (n_outputs != g->n_outputs)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "model has %d outputs, room for %d given", g->n_outputs, n_outputs);
    for (int i = 0; i < n_inputs; i++) {
        const ptq__value *v = &g->values[g->inputs[i]];
        const ptq_tensor *t = inputs[i];
        if (!t || !t->data) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input '%s' is missing", v->name);
        if (t->dtype != v->dtype)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input '%s' must be %s, got %s", v->name, ptq_dtype_name(v->dtype),
                             ptq_dtype_name(t->dtype));
        bool same = t->rank == v->rank;
        for (int d = 0; same && d < t->rank; d++) same = t->dims[d] == v->dims[d];
        if (!same) {
            char want[128] = "", got[128] = "";
            for (int d = 0; d < v->rank; d++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", d ? "x" : "", (long long)v->dims[d]);
            for (int d = 0; d < t->rank; d++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "x" : "", (long long)t->dims[d]);
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input '%s' has shape %s; the session was created for %s", v->name,
                             got, want);
        }
    }
    if (s->fast.impl) return s->fast.run(s->fast.impl, inputs, outputs_out);
    return ptq__ref_plan_run(s->ref, inputs, outputs_out, NULL, NULL);
}

ptq_status ptq_session_stats(const ptq_session *s, ptq_model_stats *stats_out)
{
    stats_out->macs = ptq__graph_macs(s->graph);
    stats_out->params = ptq__graph_params(s->model->graph);
    return PTQ_STATUS_OK;
}
