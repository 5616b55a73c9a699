/* Graph IR storage, attribute access and topological ordering. */
#include "graph/graph.h"
#include "core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ptq__graph *ptq__graph_new(void) { return calloc(1, sizeof(ptq__graph)); }

void ptq__attr_clear(ptq__attr *a)
{
    free(a->name);
    free(a->s);
    free(a->floats);
    free(a->ints);
    for (int i = 0; a->strings && i < a->n; i++) free(a->strings[i]);
    free(a->strings);
    ptq_tensor_destroy(a->t);
    memset(a, 0, sizeof *a);
}

static void node_clear(ptq__node *n)
{
    free(n->name);
    free(n->op_type);
    free(n->domain);
    free(n->inputs);
    free(n->outputs);
    for (int i = 0; i < n->n_attrs; i++) ptq__attr_clear(&n->attrs[i]);
    free(n->attrs);
    memset(n, 0, sizeof *n);
}

static void value_clear(ptq__value *v)
{
    free(v->name);
    for (int i = 0; i < PTQ_MAX_DIMS; i++) free(v->dim_param[i]);
    ptq_tensor_destroy(v->data);
    memset(v, 0, sizeof *v);
}

void ptq__graph_free(ptq__graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_values; i++) value_clear(&g->values[i]);
    for (int i = 0; i < g->n_nodes; i++) node_clear(&g->nodes[i]);
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->name);
    free(g->producer_name);
    free(g->path);
    free(g);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static ptq_tensor *tensor_copy(const ptq_tensor *t)
{
    if (!t) return NULL;
    ptq_tensor *c;
    if (!t->data) {
        c = calloc(1, sizeof *c);
        if (c) ptq__tensor_set_shape_only(c, t);
        return c;
    }
    if (ptq_tensor_create(t->dtype, t->rank, t->dims, &c)) return NULL;
    memcpy(c->data, t->data, (size_t)ptq_tensor_numel(t) * ptq_dtype_size(t->dtype));
    return c;
}

void ptq__tensor_set_shape_only(ptq_tensor *dst, const ptq_tensor *src)
{
    dst->dtype = src->dtype;
    dst->rank = src->rank;
    memcpy(dst->dims, src->dims, sizeof dst->dims);
    dst->data = NULL;
}

static ptq_status attr_copy(ptq__attr *dst, const ptq__attr *src)
{
    memset(dst, 0, sizeof *dst);
    dst->name = strdup(src->name);
    dst->type = src->type;
    dst->f = src->f;
    dst->i = src->i;
    dst->n = src->n;
    if (!dst->name) goto oom;
    if (src->s && !(dst->s = strdup(src->s))) goto oom;
    if (src->floats) {
        if (!(dst->floats = malloc(sizeof(float) * (size_t)(src->n ? src->n : 1)))) goto oom;
        memcpy(dst->floats, src->floats, sizeof(float) * (size_t)src->n);
    }
    if (src->ints) {
        if (!(dst->ints = malloc(sizeof(int64_t) * (size_t)(src->n ? src->n : 1)))) goto oom;
        memcpy(dst->ints, src->ints, sizeof(int64_t) * (size_t)src->n);
    }
    if (src->strings) {
        if (!(dst->strings = calloc((size_t)(src->n ? src->n : 1), sizeof(char *)))) goto oom;
        for (int i = 0; i < src->n; i++)
            if (!(dst->strings[i] = strdup(src->strings[i]))) goto oom;
    }
    if (src->t && !(dst->t = tensor_copy(src->t))) goto oom;
    return PTQ_STATUS_OK;
oom:
    ptq__attr_clear(dst);
    return ptq__oom();
}

ptq_status ptq__node_add_attr(ptq__node *n, const ptq__attr *attr)
{
    ptq__attr *a = realloc(n->attrs, sizeof *a * (size_t)(n->n_attrs + 1));
    if (!a) return ptq__oom();
    n->attrs = a;
    ptq_status st = attr_copy(&a[n->n_attrs], attr);
    if (st) return st;
    n->n_attrs++;
    return PTQ_STATUS_OK;
}

int ptq__graph_find_value(const ptq__graph *g, const char *name)
{
    /* Linear scan from the end: recent values are looked up most. Graphs
     * here have a few thousand values at most. */
    for (int i = g->n_values - 1; i >= 0; i--)
        if (strcmp(g->values[i].name, name) == 0) return i;
    return -1;
}

int ptq__graph_value(ptq__graph *g, const char *name)
{
    int v = ptq__graph_find_value(g, name);
    if (v >= 0) return v;
    if (g->n_values == g->cap_values) {
        int cap = g->cap_values ? g->cap_values * 2 : 64;
        ptq__value *nv = realloc(g->values, sizeof *nv * (size_t)cap);
        if (!nv) return -1;
        g->values = nv;
        g->cap_values = cap;
    }
    ptq__value *val = &g->values[g->n_values];
    memset(val, 0, sizeof *val);
    val->name = strdup(name);
    if (!val->name) return -1;
    val->rank = -1;
    val->producer = -1;
    for (int i = 0; i < PTQ_MAX_DIMS; i++) val->dims[i] = -1;
    return g->n_values++;
}

int ptq__graph_add_node(ptq__graph *g, const char *name, const char *op_type, const char *domain,
                        int n_inputs, const int *inputs, int n_outputs, const int *outputs)
{
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        ptq__node *nn = realloc(g->nodes, sizeof *nn * (size_t)cap);
        if (!nn) return -1;
        g->nodes = nn;
        g->cap_nodes = cap;
    }
    ptq__node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = strdup(name ? name : "");
    n->op_type = strdup(op_type);
    n->domain = strdup(domain ? domain : "");
    n->inputs = malloc(sizeof(int) * (size_t)(n_inputs + 1));
    n->outputs = malloc(sizeof(int) * (size_t)(n_outputs + 1));
    if (!n->name || !n->op_type || !n->domain || !n->inputs || !n->outputs) {
        node_clear(n);
        return -1;
    }
    if (n_inputs) memcpy(n->inputs, inputs, sizeof(int) * (size_t)n_inputs);
    if (n_outputs) memcpy(n->outputs, outputs, sizeof(int) * (size_t)n_outputs);
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    n->op = (n->domain[0] == 0 || strcmp(n->domain, "ai.onnx") == 0) ? ptq__op_from_name(op_type) : PTQ__OP_UNKNOWN;
    n->opset = (int)g->opset;
    for (int i = 0; i < n_outputs; i++)
        if (outputs[i] >= 0) g->values[outputs[i]].producer = g->n_nodes;
    return g->n_nodes++;
}

const ptq__attr *ptq__node_attr(const ptq__node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

int64_t ptq__node_attr_int(const ptq__node *n, const char *name, int64_t dflt)
{
    const ptq__attr *a = ptq__node_attr(n, name);
    return a && a->type == PTQ__ATTR_INT ? a->i : dflt;
}

float ptq__node_attr_float(const ptq__node *n, const char *name, float dflt)
{
    const ptq__attr *a = ptq__node_attr(n, name);
    if (!a) return dflt;
    if (a->type == PTQ__ATTR_FLOAT) return a->f;
    if (a->type == PTQ__ATTR_INT) return (float)a->i;
    return dflt;
}

const char *ptq__node_attr_string(const ptq__node *n, const char *name, const char *dflt)
{
    const ptq__attr *a = ptq__node_attr(n, name);
    return a && a->type == PTQ__ATTR_STRING && a->s ? a->s : dflt;
}

int ptq__node_attr_ints(const ptq__node *n, const char *name, const int64_t **ints_out)
{
    const ptq__attr *a = ptq__node_attr(n, name);
    *ints_out = NULL;
    if (!a || a->type != PTQ__ATTR_INTS) return 0;
    *ints_out = a->ints;
    return a->n;
}

int ptq__node_attr_floats(const ptq__node *n, const char *name, const float **floats_out)
{
    const ptq__attr *a = ptq__node_attr(n, name);
    *floats_out = NULL;
    if (!a || a->type != PTQ__ATTR_FLOATS) return 0;
    *floats_out = a->floats;
    return a->n;
}

const char *ptq__node_desc(const ptq__node *n, char *buf, size_t size)
{
    snprintf(buf, size, "node '%s' (%s%s%s, opset %d)", n->name, n->domain[0] ? n->domain : "",
             n->domain[0] ? "." : "", n->op_type, n->opset);
    return buf;
}

int ptq__graph_consumers(const ptq__graph *g, int v)
{
    int count = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] == v) count++;
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == v) count++;
    return count;
}

ptq_status ptq__graph_toposort(ptq__graph *g)
{
    ptq_status st = PTQ_STATUS_OK;
    int n = g->n_nodes;
    char *ready = calloc((size_t)g->n_values + 1, 1);
    char *placed = calloc((size_t)n + 1, 1);
    ptq__node *sorted = malloc(sizeof *sorted * (size_t)(n + 1));
    if (!ready || !placed || !sorted) {
        st = ptq__oom();
        goto done;
    }
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].data) ready[v] = 1;
    for (int i = 0; i < g->n_inputs; i++) ready[g->inputs[i]] = 1;
    int count = 0, live = 0;
    for (int i = 0; i < n; i++)
        if (!g->nodes[i].dead) live++;
    /* Kahn-style repeated sweeps keep the original order where possible;
     * ONNX requires topological order already, so one sweep is typical. */
    for (int progress = 1; progress && count < live;) {
        progress = 0;
        for (int i = 0; i < n; i++) {
            ptq__node *nd = &g->nodes[i];
            if (nd->dead || placed[i]) continue;
            int ok = 1;
            for (int j = 0; j < nd->n_inputs && ok; j++)
                if (nd->inputs[j] >= 0 && !ready[nd->inputs[j]]) ok = 0;
            if (!ok) continue;
            placed[i] = 1;
            for (int j = 0; j < nd->n_outputs; j++)
                if (nd->outputs[j] >= 0) ready[nd->outputs[j]] = 1;
            sorted[count++] = *nd;
            progress = 1;
        }
    }
    if (count < live) {
        for (int i = 0; i < n; i++) {
            ptq__node *nd = &g->nodes[i];
            if (nd->dead || placed[i]) continue;
            for (int j = 0; j < nd->n_inputs; j++)
                if (nd->inputs[j] >= 0 && !ready[nd->inputs[j]]) {
                    char d[300];
                    int pv = g->values[nd->inputs[j]].producer;
                    st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: %s: input '%s' is %s", g->path ? g->path : "model",
                                   ptq__node_desc(nd, d, sizeof d),
                                   g->values[nd->inputs[j]].name,
                                   pv >= 0 ? "part of a cycle" : "not produced by any node, initializer or graph input");
                    goto done;
                }
        }
    }
    /* Move the sorted nodes in; free dead ones. */
    for (int i = 0; i < n; i++)
        if (g->nodes[i].dead) node_clear(&g->nodes[i]);
    if (count) memcpy(g->nodes, sorted, sizeof *sorted * (size_t)count); /* g->nodes is NULL in a graph without nodes */
    g->n_nodes = count;
    for (int v = 0; v < g->n_values; v++) g->values[v].producer = -1;
    for (int i = 0; i < count; i++)
        for (int j = 0; j < g->nodes[i].n_outputs; j++)
            if (g->nodes[i].outputs[j] >= 0) g->values[g->nodes[i].outputs[j]].producer = i;
done:
    free(ready);
    free(placed);
    free(sorted);
    return st;
}

ptq_status ptq__graph_compact(ptq__graph *g)
{
    ptq_status st = ptq__graph_toposort(g);
    if (st) return st;
    int *used = calloc((size_t)g->n_values + 1, sizeof(int));
    int *remap = malloc(sizeof(int) * ((size_t)g->n_values + 1));
    if (!used || !remap) {
        free(used);
        free(remap);
        return ptq__oom();
    }
    for (int i = 0; i < g->n_nodes; i++) {
        for (int j = 0; j < g->nodes[i].n_inputs; j++)
            if (g->nodes[i].inputs[j] >= 0) used[g->nodes[i].inputs[j]] = 1;
        for (int j = 0; j < g->nodes[i].n_outputs; j++)
            if (g->nodes[i].outputs[j] >= 0) used[g->nodes[i].outputs[j]] = 1;
    }
    for (int i = 0; i < g->n_inputs; i++) used[g->inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++) used[g->outputs[i]] = 1;
    int k = 0;
    for (int v = 0; v < g->n_values; v++) {
        if (used[v]) {
            remap[v] = k;
            if (k != v) g->values[k] = g->values[v];
            k++;
        } else {
            remap[v] = -1;
            value_clear(&g->values[v]);
        }
    }
    g->n_values = k;
    for (int i = 0; i < g->n_nodes; i++) {
        for (int j = 0; j < g->nodes[i].n_inputs; j++)
            if (g->nodes[i].inputs[j] >= 0) g->nodes[i].inputs[j] = remap[g->nodes[i].inputs[j]];
        for (int j = 0; j < g->nodes[i].n_outputs; j++)
            if (g->nodes[i].outputs[j] >= 0) g->nodes[i].outputs[j] = remap[g->nodes[i].outputs[j]];
    }
    for (int i = 0; i < g->n_inputs; i++) g->inputs[i] = remap[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++) g->outputs[i] = remap[g->outputs[i]];
    free(used);
    free(remap);
    return PTQ_STATUS_OK;
}

ptq_status ptq__graph_clone(const ptq__graph *src, ptq__graph **out)
{
    *out = NULL;
    ptq__graph *g = ptq__graph_new();
    if (!g) return ptq__oom();
    g->opset = src->opset;
    g->ir_version = src->ir_version;
    g->name = dup_or_null(src->name);
    g->producer_name = dup_or_null(src->producer_name);
    g->path = dup_or_null(src->path);
    for (int v = 0; v < src->n_values; v++) {
        const ptq__value *sv = &src->values[v];
        if (ptq__graph_value(g, sv->name) != v) goto oom; /* names are unique */
        ptq__value *dv = &g->values[v];
        dv->dtype = sv->dtype;
        dv->rank = sv->rank;
        memcpy(dv->dims, sv->dims, sizeof dv->dims);
        for (int i = 0; i < PTQ_MAX_DIMS; i++)
            if (sv->dim_param[i] && !(dv->dim_param[i] = strdup(sv->dim_param[i]))) goto oom;
        if (sv->data && !(dv->data = tensor_copy(sv->data))) goto oom;
        dv->is_initializer = sv->is_initializer;
    }
    for (int i = 0; i < src->n_nodes; i++) {
        const ptq__node *sn = &src->nodes[i];
        if (sn->dead) continue;
        int k = ptq__graph_add_node(g, sn->name, sn->op_type, sn->domain, sn->n_inputs, sn->inputs, sn->n_outputs, sn->outputs);
        if (k < 0) goto oom;
        g->nodes[k].opset = sn->opset;
        for (int a = 0; a < sn->n_attrs; a++)
            if (ptq__node_add_attr(&g->nodes[k], &sn->attrs[a])) goto oom;
    }
    g->inputs = malloc(sizeof(int) * (size_t)(src->n_inputs + 1));
    g->outputs = malloc(sizeof(int) * (size_t)(src->n_outputs + 1));
    if (!g->inputs || !g->outputs) goto oom;
    memcpy(g->inputs, src->inputs, sizeof(int) * (size_t)src->n_inputs);
    memcpy(g->outputs, src->outputs, sizeof(int) * (size_t)src->n_outputs);
    g->n_inputs = src->n_inputs;
    g->n_outputs = src->n_outputs;
    *out = g;
    return PTQ_STATUS_OK;
oom:
    ptq__graph_free(g);
    return ptq__oom();
}
