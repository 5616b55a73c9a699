/* ONNX export: graph IR -> ModelProto, packed with protobuf-c.
 *
 * Layout written (ONNX IR >= 7):
 *   ModelProto { ir_version, opset_import[] (default domain + every custom
 *   domain a node uses), producer_name "ptq", graph }
 *   GraphProto { node[] (live nodes, current order, original names),
 *   initializer[] (every constant a live node or output reads; raw_data in
 *   the tensor's own dtype, little-endian), input[] (non-initializer graph
 *   inputs with type and shape, symbolic dims by dim_param), output[] }
 *
 * The protobuf structures point into the graph (names, tensor data) wherever
 * possible; only the arrays of pointers and the small messages are allocated,
 * all through one tracking list freed after packing. */
#include "onnx/onnx_export.h"
#include "core/atomic_file.h"
#include "core/status.h"
#include "graph/infer.h"
#include "onnx.pb-c.h"

#include <stdlib.h>
#include <string.h>

/* Every allocation of one export, freed together. */
typedef struct arena {
    void **ptrs;
    size_t n, cap;
    bool failed;
} arena;

static void *arena_alloc(arena *a, size_t size)
{
    if (a->failed) return NULL;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        void **p = realloc(a->ptrs, cap * sizeof *p);
        if (!p) {
            a->failed = true;
            return NULL;
        }
        a->ptrs = p;
        a->cap = cap;
    }
    void *m = calloc(1, size ? size : 1);
    if (!m) {
        a->failed = true;
        return NULL;
    }
    a->ptrs[a->n++] = m;
    return m;
}

static void arena_free(arena *a)
{
    for (size_t i = 0; i < a->n; i++) free(a->ptrs[i]);
    free(a->ptrs);
}

#define NEW(a, T, init) ((T *)new_msg((a), sizeof(T), (void (*)(void *))(init)))
static void *new_msg(arena *a, size_t size, void (*init)(void *))
{
    void *m = arena_alloc(a, size);
    if (m) init(m);
    return m;
}

static Onnx__TensorProto *tensor_to_proto(arena *a, const char *name, const ptq_tensor *t)
{
    Onnx__TensorProto *tp = NEW(a, Onnx__TensorProto, onnx__tensor_proto__init);
    if (!tp) return NULL;
    tp->name = (char *)name;
    tp->has_data_type = 1;
    tp->data_type = (int32_t)t->dtype;
    tp->n_dims = (size_t)t->rank;
    tp->dims = arena_alloc(a, sizeof(int64_t) * (size_t)(t->rank + 1));
    if (!tp->dims) return NULL;
    memcpy(tp->dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
    tp->has_raw_data = 1;
    tp->raw_data.len = (size_t)ptq_tensor_numel(t) * ptq_dtype_size(t->dtype);
    tp->raw_data.data = t->data; /* the host is little-endian (x86-64, aarch64) */
    return tp;
}

static ptq_status attr_to_proto(arena *a, const ptq__node *n, const ptq__attr *at, Onnx__AttributeProto **out)
{
    Onnx__AttributeProto *ap = NEW(a, Onnx__AttributeProto, onnx__attribute_proto__init);
    if (!ap) return ptq__oom();
    ap->name = at->name;
    ap->has_type = 1;
    ap->type = (Onnx__AttributeProto__AttributeType)at->type;
    switch (at->type) {
    case PTQ__ATTR_FLOAT: ap->has_f = 1; ap->f = at->f; break;
    case PTQ__ATTR_INT: ap->has_i = 1; ap->i = at->i; break;
    case PTQ__ATTR_STRING:
        ap->has_s = 1;
        ap->s.data = (uint8_t *)at->s;
        ap->s.len = at->s ? strlen(at->s) : 0;
        break;
    case PTQ__ATTR_TENSOR:
        if (!(ap->t = tensor_to_proto(a, "", at->t))) return ptq__oom();
        break;
    case PTQ__ATTR_FLOATS: ap->n_floats = (size_t)at->n; ap->floats = at->floats; break;
    case PTQ__ATTR_INTS: ap->n_ints = (size_t)at->n; ap->ints = at->ints; break;
    case PTQ__ATTR_STRINGS:
        ap->n_strings = (size_t)at->n;
        ap->strings = arena_alloc(a, sizeof(ProtobufCBinaryData) * (size_t)(at->n + 1));
        if (!ap->strings) return ptq__oom();
        for (int i = 0; i < at->n; i++) {
            ap->strings[i].data = (uint8_t *)at->strings[i];
            ap->strings[i].len = strlen(at->strings[i]);
        }
        break;
    default: {
        char buf[256];
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: attribute '%s' of type %d cannot be exported",
                         ptq__node_desc(n, buf, sizeof buf), at->name, (int)at->type);
    }
    }
    *out = ap;
    return PTQ_STATUS_OK;
}

/* ValueInfo with elem type and, when rank >= 0, the shape (unknown dims are
 * written as dimensions without value). */
static Onnx__ValueInfoProto *value_info(arena *a, const ptq__value *v, ptq_dtype dtype, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = NEW(a, Onnx__ValueInfoProto, onnx__value_info_proto__init);
    Onnx__TypeProto *tp = NEW(a, Onnx__TypeProto, onnx__type_proto__init);
    Onnx__TypeProto__Tensor *tt = NEW(a, Onnx__TypeProto__Tensor, onnx__type_proto__tensor__init);
    if (!vi || !tp || !tt) return NULL;
    vi->name = v->name;
    vi->type = tp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = (int32_t)(dtype ? dtype : PTQ_DTYPE_FLOAT32);
    if (rank < 0) return vi;
    Onnx__TensorShapeProto *sh = NEW(a, Onnx__TensorShapeProto, onnx__tensor_shape_proto__init);
    if (!sh) return NULL;
    tt->shape = sh;
    sh->n_dim = (size_t)rank;
    sh->dim = arena_alloc(a, sizeof(*sh->dim) * (size_t)(rank + 1));
    if (!sh->dim) return NULL;
    for (int d = 0; d < rank; d++) {
        Onnx__TensorShapeProto__Dimension *dim =
            NEW(a, Onnx__TensorShapeProto__Dimension, onnx__tensor_shape_proto__dimension__init);
        if (!dim) return NULL;
        if (dims[d] >= 0) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = dims[d];
        } else if (v->dim_param[d]) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim->dim_param = v->dim_param[d];
        }
        sh->dim[d] = dim;
    }
    return vi;
}

/* Output types: when the graph does not know an output's dtype, a shape-only
 * inference on a copy (unknown input dims set to 1) finds it. Output dims are
 * then written as unknown, since they depend on the bound input dims. */
static void infer_output_types(const ptq__graph *g, ptq_dtype *dtypes, int *ranks)
{
    bool need = false;
    for (int i = 0; i < g->n_outputs; i++) {
        const ptq__value *v = &g->values[g->outputs[i]];
        dtypes[i] = v->dtype;
        ranks[i] = v->dtype ? v->rank : -1;
        if (!v->dtype) need = true;
    }
    if (!need) return;
    ptq__graph *c = NULL;
    if (ptq__graph_clone(g, &c)) return;
    for (int i = 0; i < c->n_inputs; i++) {
        ptq__value *v = &c->values[c->inputs[i]];
        for (int d = 0; d < v->rank; d++)
            if (v->dims[d] < 0) v->dims[d] = 1;
    }
    ptq__infer_options opt = {.fold = false, .fold_qdq = false};
    if (!ptq__graph_infer(c, &opt)) {
        for (int i = 0; i < g->n_outputs; i++) {
            const ptq__value *v = &c->values[c->outputs[i]];
            if (!dtypes[i]) {
                dtypes[i] = v->dtype;
                ranks[i] = v->rank;
            }
        }
    }
    ptq__graph_free(c);
    (void)ptq_last_error(); /* a failed best-effort inference is not an error */
}

static const char *opset_domain(const char *d) { return d && strcmp(d, "ai.onnx") != 0 ? d : ""; }

static ptq_status build_model(arena *a, const ptq__graph *g, Onnx__ModelProto **mp_out)
{
    Onnx__ModelProto *mp = NEW(a, Onnx__ModelProto, onnx__model_proto__init);
    Onnx__GraphProto *gp = NEW(a, Onnx__GraphProto, onnx__graph_proto__init);
    if (!mp || !gp) return ptq__oom();
    mp->has_ir_version = 1;
    mp->ir_version = g->ir_version >= 7 ? g->ir_version : 7;
    mp->producer_name = "ptq";
    mp->producer_version = "0.1.0";
    mp->graph = gp;
    gp->name = g->name ? g->name : "ptq_graph";

    /* opset imports: default domain, then each other domain once. */
    mp->opset_import = arena_alloc(a, sizeof(*mp->opset_import) * (size_t)(g->n_nodes + 1));
    if (!mp->opset_import) return ptq__oom();
    Onnx__OperatorSetIdProto *os = NEW(a, Onnx__OperatorSetIdProto, onnx__operator_set_id_proto__init);
    if (!os) return ptq__oom();
    os->domain = "";
    os->has_version = 1;
    os->version = g->opset;
    mp->opset_import[mp->n_opset_import++] = os;
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        const char *dom = opset_domain(n->domain);
        if (n->dead || !dom[0]) continue;
        bool seen = false;
        for (size_t k = 0; k < mp->n_opset_import && !seen; k++) seen = strcmp(mp->opset_import[k]->domain, dom) == 0;
        if (seen) continue;
        if (!(os = NEW(a, Onnx__OperatorSetIdProto, onnx__operator_set_id_proto__init))) return ptq__oom();
        os->domain = (char *)dom;
        os->has_version = 1;
        os->version = n->opset > 0 ? n->opset : 1;
        mp->opset_import[mp->n_opset_import++] = os;
    }

    /* Which values are used (by a live node or as a graph output). */
    char *used = arena_alloc(a, (size_t)g->n_values + 1);
    if (!used) return ptq__oom();
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0) used[n->inputs[j]] = 1;
    }
    for (int i = 0; i < g->n_outputs; i++) used[g->outputs[i]] = 1;

    /* Nodes. */
    gp->node = arena_alloc(a, sizeof(*gp->node) * (size_t)(g->n_nodes + 1));
    if (!gp->node) return ptq__oom();
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead) continue;
        Onnx__NodeProto *np = NEW(a, Onnx__NodeProto, onnx__node_proto__init);
        if (!np) return ptq__oom();
        np->name = n->name;
        np->op_type = n->op_type;
        np->domain = (char *)opset_domain(n->domain);
        np->n_input = (size_t)n->n_inputs;
        np->input = arena_alloc(a, sizeof(char *) * (size_t)(n->n_inputs + 1));
        np->n_output = (size_t)n->n_outputs;
        np->output = arena_alloc(a, sizeof(char *) * (size_t)(n->n_outputs + 1));
        np->attribute = arena_alloc(a, sizeof(*np->attribute) * (size_t)(n->n_attrs + 1));
        if (!np->input || !np->output || !np->attribute) return ptq__oom();
        for (int j = 0; j < n->n_inputs; j++) np->input[j] = n->inputs[j] >= 0 ? g->values[n->inputs[j]].name : "";
        for (int j = 0; j < n->n_outputs; j++) np->output[j] = n->outputs[j] >= 0 ? g->values[n->outputs[j]].name : "";
        for (int k = 0; k < n->n_attrs; k++) {
            ptq_status st = attr_to_proto(a, n, &n->attrs[k], &np->attribute[np->n_attribute]);
            if (st) return st;
            np->n_attribute++;
        }
        gp->node[gp->n_node++] = np;
    }

    /* Initializers: constants that are used and not produced by a node. */
    gp->initializer = arena_alloc(a, sizeof(*gp->initializer) * (size_t)(g->n_values + 1));
    if (!gp->initializer) return ptq__oom();
    for (int v = 0; v < g->n_values; v++) {
        const ptq__value *val = &g->values[v];
        if (!used[v] || !val->data) continue;
        if (val->producer >= 0 && val->producer < g->n_nodes && !g->nodes[val->producer].dead) continue;
        bool is_input = false;
        for (int i = 0; i < g->n_inputs && !is_input; i++) is_input = g->inputs[i] == v;
        if (is_input) continue;
        if (val->data->dtype == PTQ_DTYPE_STRING || !ptq_dtype_size(val->data->dtype))
            return ptq__fail(PTQ_STATUS_UNSUPPORTED, "constant '%s' of type %s cannot be exported", val->name,
                             ptq_dtype_name(val->data->dtype));
        Onnx__TensorProto *tp = tensor_to_proto(a, val->name, val->data);
        if (!tp) return ptq__oom();
        gp->initializer[gp->n_initializer++] = tp;
    }

    /* Inputs and outputs. */
    gp->input = arena_alloc(a, sizeof(*gp->input) * (size_t)(g->n_inputs + 1));
    gp->output = arena_alloc(a, sizeof(*gp->output) * (size_t)(g->n_outputs + 1));
    ptq_dtype *odt = arena_alloc(a, sizeof(ptq_dtype) * (size_t)(g->n_outputs + 1));
    int *orank = arena_alloc(a, sizeof(int) * (size_t)(g->n_outputs + 1));
    if (!gp->input || !gp->output || !odt || !orank) return ptq__oom();
    for (int i = 0; i < g->n_inputs; i++) {
        const ptq__value *v = &g->values[g->inputs[i]];
        if (!(gp->input[gp->n_input++] = value_info(a, v, v->dtype, v->rank, v->dims))) return ptq__oom();
    }
    infer_output_types(g, odt, orank);
    for (int i = 0; i < g->n_outputs; i++) {
        const ptq__value *v = &g->values[g->outputs[i]];
        int64_t unknown[PTQ_MAX_DIMS];
        for (int d = 0; d < PTQ_MAX_DIMS; d++) unknown[d] = -1;
        /* Keep the graph's own dims only when they are known (never the
         * dims of a bound copy). */
        const int64_t *dims = v->dtype && v->rank == orank[i] ? v->dims : unknown;
        if (!(gp->output[gp->n_output++] = value_info(a, v, odt[i], orank[i], dims))) return ptq__oom();
    }
    if (a->failed) return ptq__oom();
    *mp_out = mp;
    return PTQ_STATUS_OK;
}

ptq_status ptq__onnx_serialize(const ptq__graph *g, void **data_out, size_t *size_out)
{
    *data_out = NULL;
    *size_out = 0;
    if (!g) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "graph is NULL");
    arena a = {0};
    Onnx__ModelProto *mp = NULL;
    ptq_status st = build_model(&a, g, &mp);
    if (!st) {
        size_t size = onnx__model_proto__get_packed_size(mp);
        uint8_t *buf = malloc(size ? size : 1);
        if (!buf) st = ptq__oom();
        else if (onnx__model_proto__pack(mp, buf) != size) {
            free(buf);
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "protobuf packing produced an unexpected size");
        } else {
            *data_out = buf;
            *size_out = size;
        }
    }
    arena_free(&a);
    return st;
}

ptq_status ptq__onnx_save(const ptq__graph *g, const char *path)
{
    if (!path) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "output path is NULL");
    void *data;
    size_t size;
    ptq_status st = ptq__onnx_serialize(g, &data, &size);
    if (st) return st;
    st = ptq__write_file_atomic(path, data, size);
    free(data);
    return st;
}
