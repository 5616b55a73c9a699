/* ONNX ModelProto -> graph IR.
 * The model is a protobuf ModelProto: opset_import lists the opset of each
 * domain; graph holds nodes (in topological order), initializers (constant
 * tensors, possibly with external data), inputs (which in IR < 4 also list
 * the initializers) and outputs, each typed by a ValueInfoProto. */
#include "onnx/onnx_io.h"
#include "core/file_util.h"
#include "core/status.h"
#include "onnx.pb-c.h"

#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ptq_status convert_attr(const Onnx__AttributeProto *ap, const char *base_dir, const char *what, ptq__attr *a)
{
    memset(a, 0, sizeof *a);
    a->name = strdup(ap->name ? ap->name : "");
    if (!a->name) return ptq__oom();
    a->type = (ptq__attr_type)ap->type;
    /* Old exporters may leave `type` unset; infer it from the filled field. */
    if (!ap->has_type || ap->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) {
        if (ap->has_f) a->type = PTQ__ATTR_FLOAT;
        else if (ap->has_i) a->type = PTQ__ATTR_INT;
        else if (ap->has_s) a->type = PTQ__ATTR_STRING;
        else if (ap->t) a->type = PTQ__ATTR_TENSOR;
        else if (ap->n_floats) a->type = PTQ__ATTR_FLOATS;
        else if (ap->n_ints) a->type = PTQ__ATTR_INTS;
        else if (ap->n_strings) a->type = PTQ__ATTR_STRINGS;
    }
    switch (a->type) {
    case PTQ__ATTR_FLOAT: a->f = ap->f; break;
    case PTQ__ATTR_INT: a->i = ap->i; break;
    case PTQ__ATTR_STRING:
        a->s = malloc(ap->s.len + 1);
        if (!a->s) return ptq__oom();
        if (ap->s.len) memcpy(a->s, ap->s.data, ap->s.len);
        a->s[ap->s.len] = 0;
        break;
    case PTQ__ATTR_TENSOR:
        if (!ap->t) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: attribute '%s' has no tensor", what, a->name);
        {
            char w[512];
            snprintf(w, sizeof w, "%s: attribute '%s'", what, a->name);
            ptq_status st = ptq__onnx_tensor_from_proto(ap->t, base_dir, w, &a->t);
            if (st) return st;
        }
        break;
    case PTQ__ATTR_FLOATS:
        a->n = (int)ap->n_floats;
        a->floats = malloc(sizeof(float) * (ap->n_floats + 1));
        if (!a->floats) return ptq__oom();
        if (ap->n_floats) memcpy(a->floats, ap->floats, sizeof(float) * ap->n_floats);
        break;
    case PTQ__ATTR_INTS:
        a->n = (int)ap->n_ints;
        a->ints = malloc(sizeof(int64_t) * (ap->n_ints + 1));
        if (!a->ints) return ptq__oom();
        if (ap->n_ints) memcpy(a->ints, ap->ints, sizeof(int64_t) * ap->n_ints);
        break;
    case PTQ__ATTR_STRINGS:
        a->n = (int)ap->n_strings;
        a->strings = calloc(ap->n_strings + 1, sizeof(char *));
        if (!a->strings) return ptq__oom();
        for (size_t i = 0; i < ap->n_strings; i++) {
            a->strings[i] = malloc(ap->strings[i].len + 1);
            if (!a->strings[i]) return ptq__oom();
            if (ap->strings[i].len) memcpy(a->strings[i], ap->strings[i].data, ap->strings[i].len);
            a->strings[i][ap->strings[i].len] = 0;
        }
        break;
    default: break; /* graphs, sparse tensors: kept as a typed placeholder */
    }
    return PTQ_STATUS_OK;
}

static ptq_status set_value_info(ptq__graph *g, int v, const Onnx__ValueInfoProto *vi)
{
    ptq__value *val = &g->values[v];
    if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type)
        return PTQ_STATUS_OK;
    const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
    if (tt->has_elem_type) val->dtype = (ptq_dtype)tt->elem_type;
    if (!tt->shape) return PTQ_STATUS_OK;
    if (tt->shape->n_dim > PTQ_MAX_DIMS)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: value '%s': rank %zu above %d", g->path, val->name, tt->shape->n_dim,
                         PTQ_MAX_DIMS);
    val->rank = (int)tt->shape->n_dim;
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        val->dims[i] = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value >= 0)
            val->dims[i] = d->dim_value;
        else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param) {
            free(val->dim_param[i]);
            val->dim_param[i] = strdup(d->dim_param);
            if (!val->dim_param[i]) return ptq__oom();
        }
    }
    return PTQ_STATUS_OK;
}

/* ONNX values have a single definition: a node output must not also be
 * another node's output, an initializer or a graph input (which one the
 * backends would read would depend on the execution order). */
static ptq_status check_single_definition(const ptq__graph *g, const char *path, const char *node, const int *outs,
                                          size_t n_outs)
{
    for (size_t j = 0; j < n_outs; j++) {
        if (outs[j] < 0) continue;
        const ptq__value *v = &g->values[outs[j]];
        const char *what = v->producer >= 0 ? "the output of another node" : v->is_initializer ? "an initializer" : NULL;
        for (int i = 0; i < g->n_inputs && !what; i++)
            if (g->inputs[i] == outs[j]) what = "a graph input";
        for (size_t k = 0; k < j && !what; k++)
            if (outs[k] == outs[j]) what = "an output of this node";
        if (what) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: node '%s' writes '%s', which is already %s", path, node, v->name, what);
    }
    return PTQ_STATUS_OK;
}

static ptq_status convert_graph(const Onnx__ModelProto *mp, const char *path, const char *base_dir, ptq__graph *g)
{
    const Onnx__GraphProto *gp = mp->graph;
    ptq_status st;
    g->ir_version = mp->has_ir_version ? mp->ir_version : 0;
    g->opset = 0;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = mp->opset_import[i];
        /* Node opsets are ints: a version of 2^32 + 13 would act as 13. */
        if (os->has_version && (os->version < 1 || os->version > INT32_MAX))
            return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: opset_import of domain '%s' has version %lld (expected 1 to %d)", path,
                             os->domain ? os->domain : "", (long long)os->version, INT32_MAX);
        if (!os->domain || !os->domain[0] || strcmp(os->domain, "ai.onnx") == 0) g->opset = os->version;
    }
    if (g->opset == 0) g->opset = 1; /* no opset_import: ONNX says opset 1 */
    if (gp->name && !(g->name = strdup(gp->name))) return ptq__oom();
    if (mp->producer_name && !(g->producer_name = strdup(mp->producer_name))) return ptq__oom();

    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        if (!tp->name || !tp->name[0]) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: initializer %zu has no name", path, i);
        int v = ptq__graph_value(g, tp->name);
        if (v < 0) return ptq__oom();
        char what[512];
        snprintf(what, sizeof what, "%s: initializer '%s'", path, tp->name);
        ptq_tensor_destroy(g->values[v].data);
        g->values[v].data = NULL;
        st = ptq__onnx_tensor_from_proto(tp, base_dir, what, &g->values[v].data);
        if (st) return st;
        g->values[v].is_initializer = true;
        g->values[v].dtype = g->values[v].data->dtype;
        g->values[v].rank = g->values[v].data->rank;
        memcpy(g->values[v].dims, g->values[v].data->dims, sizeof g->values[v].dims);
    }
    g->inputs = malloc(sizeof(int) * (gp->n_input + 1));
    g->outputs = malloc(sizeof(int) * (gp->n_output + 1));
    if (!g->inputs || !g->outputs) return ptq__oom();
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: graph input %zu has no name", path, i);
        int v = ptq__graph_value(g, vi->name);
        if (v < 0) return ptq__oom();
        if (g->values[v].is_initializer) continue; /* IR < 4 lists initializers as inputs */
        if ((st = set_value_info(g, v, vi))) return st;
        g->inputs[g->n_inputs++] = v;
    }
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        if (!vi->name) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: graph output %zu has no name", path, i);
        int v = ptq__graph_value(g, vi->name);
        if (v < 0) return ptq__oom();
        if (!g->values[v].data && (st = set_value_info(g, v, vi))) return st;
        g->outputs[g->n_outputs++] = v;
    }
    if (g->n_outputs == 0) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: the graph has no outputs", path);
    int *ins = NULL, *outs = NULL;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        if (!np->op_type) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: node %zu has no op_type", path, i);
        ins = malloc(sizeof(int) * (np->n_input + 1));
        outs = malloc(sizeof(int) * (np->n_output + 1));
        if (!ins || !outs) goto oom;
        for (size_t j = 0; j < np->n_input; j++)
            if (!np->input[j] || !np->input[j][0]) ins[j] = -1;
            else if ((ins[j] = ptq__graph_value(g, np->input[j])) < 0) goto oom;
        for (size_t j = 0; j < np->n_output; j++)
            if (!np->output[j] || !np->output[j][0]) outs[j] = -1;
            else if ((outs[j] = ptq__graph_value(g, np->output[j])) < 0) goto oom;
        char autoname[64];
        const char *name = np->name;
        if (!name || !name[0]) {
            snprintf(autoname, sizeof autoname, "%s_%zu", np->op_type, i);
            name = autoname;
        }
        if ((st = check_single_definition(g, path, name, outs, np->n_output))) {
            free(ins);
            free(outs);
            return st;
        }
        int k = ptq__graph_add_node(g, name, np->op_type, np->domain, (int)np->n_input, ins, (int)np->n_output, outs);
        free(ins);
        free(outs);
        ins = outs = NULL;
        if (k < 0) goto oom;
        ptq__node *node = &g->nodes[k];
        if (node->domain[0] && strcmp(node->domain, "ai.onnx") != 0) {
            node->opset = 1;
            for (size_t d = 0; d < mp->n_opset_import; d++)
                if (mp->opset_import[d]->domain && strcmp(mp->opset_import[d]->domain, node->domain) == 0)
                    node->opset = (int)mp->opset_import[d]->version;
        }
        for (size_t a = 0; a < np->n_attribute; a++) {
            ptq__attr attr;
            char what[512];
            snprintf(what, sizeof what, "%s: node '%s'", path, name);
            st = convert_attr(np->attribute[a], base_dir, what, &attr);
            if (!st) st = ptq__node_add_attr(node, &attr);
            ptq__attr_clear(&attr);
            if (st) return st;
        }
    }
    /* An output nothing defines failed only when run ("not computed"). */
    for (int i = 0; i < g->n_outputs; i++) {
        const ptq__value *v = &g->values[g->outputs[i]];
        bool is_input = false;
        for (int j = 0; j < g->n_inputs; j++) is_input |= g->inputs[j] == g->outputs[i];
        if (v->producer < 0 && !v->data && !is_input)
            return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: graph output '%s' is not produced by any node, initializer or graph input",
                             path, v->name);
    }
    /* Types recorded for intermediate values help the checks of later passes. */
    for (size_t i = 0; i < gp->n_value_info; i++) {
        int v = gp->value_info[i]->name ? ptq__graph_find_value(g, gp->value_info[i]->name) : -1;
        if (v >= 0 && !g->values[v].data && (st = set_value_info(g, v, gp->value_info[i]))) return st;
    }
    return PTQ_STATUS_OK;
oom:
    free(ins);
    free(outs);
    return ptq__oom();
}

ptq_status ptq__onnx_parse(const void *data, size_t size, const char *path, const char *base_dir,
                           ptq__graph **graph_out)
{
    *graph_out = NULL;
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, size, data);
    if (!mp) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: not a valid ONNX model (protobuf parse failed: truncated or corrupt file?)", path);
    ptq_status st = PTQ_STATUS_OK;
    ptq__graph *g = NULL;
    if (!mp->graph) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: ONNX model has no graph", path);
        goto done;
    }
    if (!(g = ptq__graph_new()) || !(g->path = strdup(path))) {
        st = ptq__oom();
        goto done;
    }
    st = convert_graph(mp, path, base_dir, g);
    if (!st) st = ptq__graph_toposort(g);
done:
    onnx__model_proto__free_unpacked(mp, NULL);
    if (st) {
        ptq__graph_free(g);
        return st;
    }
    *graph_out = g;
    return PTQ_STATUS_OK;
}

ptq_status ptq__onnx_load(const char *path, ptq__graph **graph_out)
{
    *graph_out = NULL;
    char *data;
    size_t size;
    ptq_status st = ptq__read_file(path, PTQ__ONNX_MAX_FILE_BYTES, &data, &size);
    if (st) return st;
    char *copy = strdup(path);
    if (!copy) {
        free(data);
        return ptq__oom();
    }
    st = ptq__onnx_parse(data, size, path, dirname(copy), graph_out);
    free(copy);
    free(data);
    return st;
}
