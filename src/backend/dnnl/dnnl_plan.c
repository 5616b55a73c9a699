/* oneDNN backend, core: plan tensors, steps, memory planning, run, profile.
 * The node patterns and primitives are in dnnl_ops.c; the passes are
 * described in dnnl_internal.h. */
#include "backend/dnnl/dnnl_internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARENA_ALIGN 64

/* ---- small helpers ------------------------------------------------------ */

ptq_status ptq__dnnl_check(dnnl_status_t s, const char *what, const ptq__node *n)
{
    if (s == dnnl_success) return PTQ_STATUS_OK;
    char desc[300] = "plan";
    if (n) ptq__node_desc(n, desc, sizeof desc);
    if (s == dnnl_unimplemented)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: oneDNN has no implementation of %s", desc, what);
    if (s == dnnl_out_of_memory) return ptq__fail(PTQ_STATUS_OUT_OF_MEMORY, "%s: oneDNN out of memory in %s", desc, what);
    return ptq__fail(PTQ_STATUS_BACKEND, "%s: oneDNN %s failed (status %d)", desc, what, (int)s);
}

bool ptq__dnnl_dt(ptq_dtype dt, dnnl_data_type_t *out)
{
    switch (dt) {
    case PTQ_DTYPE_FLOAT32: *out = dnnl_f32; return true;
    case PTQ_DTYPE_UINT8: *out = dnnl_u8; return true;
    case PTQ_DTYPE_INT8: *out = dnnl_s8; return true;
    case PTQ_DTYPE_INT32: *out = dnnl_s32; return true;
    default: return false;
    }
}

static const dnnl_format_tag_t plain_tags[] = {dnnl_a, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde, dnnl_abcdef};

ptq_status ptq__dnnl_plain_md(ptq_dtype dt, int rank, const int64_t *dims, dnnl_memory_desc_t *md_out)
{
    dnnl_data_type_t ddt;
    if (!ptq__dnnl_dt(dt, &ddt) || rank > 6) return PTQ_STATUS_UNSUPPORTED;
    dnnl_dims_t d;
    int r = rank;
    if (rank == 0) {
        d[0] = 1;
        r = 1;
    }
    for (int i = 0; i < rank; i++) d[i] = dims[i];
    for (int i = 0; i < r; i++)
        if (d[i] <= 0) return PTQ_STATUS_UNSUPPORTED;
    if (dnnl_memory_desc_init_by_tag(md_out, r, d, ddt, plain_tags[r]) != dnnl_success) return PTQ_STATUS_UNSUPPORTED;
    return PTQ_STATUS_OK;
}

static size_t tensor_bytes(ptq_dtype dt, int rank, const int64_t *dims)
{
    size_t n = ptq_dtype_size(dt);
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return n;
}

/* ---- constants ---------------------------------------------------------- */

const ptq_tensor *ptq__dnnl_const(ptq__dnnl_plan *p, int v)
{
    const ptq__graph *g = p->g;
    if (v < 0) return NULL;
    if (g->values[v].data) return g->values[v].data;
    if (p->folded[v]) return p->folded[v];
    int pn = g->values[v].producer;
    if (pn < 0 || g->nodes[pn].dead || g->nodes[pn].op != PTQ__OP_DEQUANTIZE_LINEAR) return NULL;
    const ptq__node *n = &g->nodes[pn];
    const ptq_tensor *ins[3] = {NULL, NULL, NULL};
    if (n->n_inputs > 3 || n->n_outputs != 1) return NULL;
    for (int j = 0; j < n->n_inputs; j++) {
        if (n->inputs[j] < 0) continue;
        if (!(ins[j] = g->values[n->inputs[j]].data)) return NULL;
    }
    ptq_tensor *outs[1] = {NULL};
    ptq__kernel_ctx ctx = {.node = n, .opset = n->opset, .n_in = n->n_inputs, .in = ins, .n_out = 1, .out = outs,
                           .shape_only = false};
    if (ptq__op_kernel(n->op)(&ctx) != PTQ_STATUS_OK) {
        ptq_tensor_destroy(outs[0]);
        return NULL;
    }
    p->folded[v] = outs[0];
    return outs[0];
}

/* ---- tensors and steps -------------------------------------------------- */

ptq_status ptq__dnnl_tensor_new(ptq__dnnl_plan *p, int v, ptq_dtype dt, int rank, const int64_t *dims,
                                const dnnl_memory_desc_t *md, int *tensor_out)
{
    if (p->n_tensors == p->cap_tensors) {
        int cap = p->cap_tensors ? 2 * p->cap_tensors : 256;
        ptq__dnnl_tensor *t = realloc(p->tensors, sizeof *t * (size_t)cap);
        if (!t) return ptq__oom();
        p->tensors = t;
        p->cap_tensors = cap;
    }
    ptq__dnnl_tensor *t = &p->tensors[p->n_tensors];
    memset(t, 0, sizeof *t);
    t->value = v;
    t->dtype = dt;
    t->rank = rank;
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
    t->alias = -1;
    t->def_step = -2;
    t->last_step = -1;
    if (md) {
        t->md = *md;
        t->has_md = true;
        t->bytes = dnnl_memory_desc_get_size(md);
        dnnl_memory_desc_t plain;
        t->plain = ptq__dnnl_plain_md(dt, rank, dims, &plain) == PTQ_STATUS_OK && dnnl_memory_desc_equal(&plain, md);
    } else {
        t->plain = true;
        t->has_md = ptq__dnnl_plain_md(dt, rank, dims, &t->md) == PTQ_STATUS_OK;
        t->bytes = tensor_bytes(dt, rank, dims);
    }
    *tensor_out = p->n_tensors++;
    return PTQ_STATUS_OK;
}

static ptq_status grow_steps(ptq__dnnl_plan *p)
{
    if (p->n_steps < p->cap_steps) return PTQ_STATUS_OK;
    int cap = p->cap_steps ? 2 * p->cap_steps : 256;
    ptq__dnnl_step *s = realloc(p->steps, sizeof *s * (size_t)cap);
    if (!s) return ptq__oom();
    p->steps = s;
    p->cap_steps = cap;
    return PTQ_STATUS_OK;
}

static void touch(ptq__dnnl_plan *p, int t, int step)
{
    if (t < 0) return;
    ptq__dnnl_tensor *x = &p->tensors[t];
    if (x->def_step == -2) x->def_step = step;
    if (step > x->last_step) x->last_step = step;
}

ptq_status ptq__dnnl_step_prim(ptq__dnnl_plan *p, dnnl_primitive_t prim, int nargs, const int *arg_ids,
                               const int *arg_tensor, const dnnl_memory_t *arg_mems)
{
    ptq_status st = grow_steps(p);
    if (st) {
        dnnl_primitive_destroy(prim);
        return st;
    }
    ptq__dnnl_step *s = &p->steps[p->n_steps];
    memset(s, 0, sizeof *s);
    s->kind = PTQ__DNNL_S_PRIM;
    s->group = p->cur_group;
    s->prim = prim;
    s->nargs = nargs;
    for (int i = 0; i < nargs; i++) {
        s->args[i].arg = arg_ids[i];
        s->args[i].memory = arg_tensor[i] < 0 ? arg_mems[i] : NULL;
        s->arg_tensor[i] = arg_tensor[i];
        touch(p, arg_tensor[i], p->n_steps);
    }
    p->n_steps++;
    return PTQ_STATUS_OK;
}

ptq_status ptq__dnnl_step_fn_add(ptq__dnnl_plan *p, ptq__dnnl_step_fn fn, void *params, int n_in, const int *in_t, int n_out,
                                 const int *out_t)
{
    ptq_status st = grow_steps(p);
    if (st) {
        free(params);
        return st;
    }
    ptq__dnnl_step *s = &p->steps[p->n_steps];
    memset(s, 0, sizeof *s);
    s->kind = PTQ__DNNL_S_FN;
    s->group = p->cur_group;
    s->fn = fn;
    s->params = params;
    s->n_in = n_in;
    s->n_out = n_out;
    for (int i = 0; i < n_in; i++) touch(p, s->in_tensor[i] = in_t[i], p->n_steps);
    for (int i = 0; i < n_out; i++) touch(p, s->out_tensor[i] = out_t[i], p->n_steps);
    p->n_steps++;
    return PTQ_STATUS_OK;
}

ptq_status ptq__dnnl_prim_create(ptq__dnnl_plan *p, dnnl_primitive_desc_t pd, dnnl_primitive_t *prim_out)
{
    (void)p;
    dnnl_status_t s = dnnl_primitive_create(prim_out, pd);
    dnnl_primitive_desc_destroy(pd);
    return ptq__dnnl_check(s, "primitive creation", NULL);
}

static ptq_status add_reorder(ptq__dnnl_plan *p, int from, int to, const ptq__node *n)
{
    dnnl_primitive_desc_t pd;
    ptq_status st = ptq__dnnl_check(dnnl_reorder_primitive_desc_create(&pd, &p->tensors[from].md, p->engine,
                                                                       &p->tensors[to].md, p->engine, NULL),
                                    "reorder", n);
    if (st) return st;
    dnnl_primitive_t prim;
    if ((st = ptq__dnnl_prim_create(p, pd, &prim))) return st;
    int ids[2] = {DNNL_ARG_FROM, DNNL_ARG_TO}, ts[2] = {from, to};
    p->n_reorders++;
    return ptq__dnnl_step_prim(p, prim, 2, ids, ts, NULL);
}

static ptq_status const_tensor(ptq__dnnl_plan *p, int v, const ptq_tensor *c, int *tensor_out)
{
    for (int t = 0; t < p->n_tensors; t++)
        if (p->tensors[t].value == v && p->tensors[t].const_data) {
            *tensor_out = t;
            return PTQ_STATUS_OK;
        }
    ptq_status st = ptq__dnnl_tensor_new(p, v, c->dtype, c->rank, c->dims, NULL, tensor_out);
    if (st) return st;
    p->tensors[*tensor_out].const_data = c->data;
    p->tensors[*tensor_out].def_step = -1;
    return PTQ_STATUS_OK;
}

ptq_status ptq__dnnl_value_as(ptq__dnnl_plan *p, int v, const dnnl_memory_desc_t *md, int *tensor_out)
{
    const ptq__graph *g = p->g;
    const ptq__value *val = &g->values[v];
    ptq_status st;
    int t = p->value_tensor[v];
    if (t < 0) {
        const ptq_tensor *c = ptq__dnnl_const(p, v);
        if (!c) return ptq__fail(PTQ_STATUS_INVALID_STATE, "oneDNN plan: value '%s' is read before it is computed", val->name);
        if ((st = const_tensor(p, v, c, &t))) return st;
        p->value_tensor[v] = t;
    }
    ptq__dnnl_tensor *x = &p->tensors[t];
    if (!md ? x->plain : (x->has_md && dnnl_memory_desc_equal(&x->md, md))) {
        *tensor_out = t;
        return PTQ_STATUS_OK;
    }
    for (int i = 0; i < p->n_tensors; i++) {
        const ptq__dnnl_tensor *y = &p->tensors[i];
        if (y->value != v || i == t) continue;
        if (!md ? y->plain : (y->has_md && dnnl_memory_desc_equal(&y->md, md))) {
            *tensor_out = i;
            return PTQ_STATUS_OK;
        }
    }
    if (!x->has_md)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "oneDNN plan: value '%s' (%s) cannot change layout", val->name,
                         ptq_dtype_name(x->dtype));
    int nt;
    if ((st = ptq__dnnl_tensor_new(p, v, x->dtype, x->rank, x->dims, md, &nt))) return st;
    if ((st = add_reorder(p, t, nt, NULL))) return st;
    *tensor_out = nt;
    return PTQ_STATUS_OK;
}

ptq_status ptq__dnnl_const_mem(ptq__dnnl_plan *p, const dnnl_memory_desc_t *src_md, const void *data,
                               const dnnl_memory_desc_t *dst_md, dnnl_memory_t *mem_out)
{
    *mem_out = NULL;
    if (p->n_const_mems == p->cap_const_mems) {
        int cap = p->cap_const_mems ? 2 * p->cap_const_mems : 64;
        dnnl_memory_t *m = realloc(p->const_mems, sizeof *m * (size_t)cap);
        if (!m) return ptq__oom();
        p->const_mems = m;
        p->cap_const_mems = cap;
    }
    dnnl_memory_t src = NULL, dst = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    ptq_status st = ptq__dnnl_check(dnnl_memory_create(&src, src_md, p->engine, (void *)data), "memory", NULL);
    if (!st) st = ptq__dnnl_check(dnnl_memory_create(&dst, dst_md, p->engine, DNNL_MEMORY_ALLOCATE), "memory", NULL);
    if (!st)
        st = ptq__dnnl_check(dnnl_reorder_primitive_desc_create(&pd, src_md, p->engine, dst_md, p->engine, NULL),
                             "weights reorder", NULL);
    if (!st) {
        st = ptq__dnnl_check(dnnl_primitive_create(&prim, pd), "weights reorder", NULL);
        dnnl_primitive_desc_destroy(pd);
    }
    if (!st) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
        st = ptq__dnnl_check(dnnl_primitive_execute(prim, p->stream, 2, args), "weights reorder", NULL);
        if (!st) st = ptq__dnnl_check(dnnl_stream_wait(p->stream), "weights reorder", NULL);
    }
    if (prim) dnnl_primitive_destroy(prim);
    if (src) dnnl_memory_destroy(src);
    if (st) {
        if (dst) dnnl_memory_destroy(dst);
        return st;
    }
    p->const_mems[p->n_const_mems++] = dst;
    p->weight_bytes += dnnl_memory_desc_get_size(dst_md);
    *mem_out = dst;
    return PTQ_STATUS_OK;
}

/* ---- reference steps ---------------------------------------------------- */

static ptq_status emit_ref(ptq__dnnl_plan *p, int ni)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[ni];
    char desc[300];
    if (n->n_inputs > PTQ__DNNL_MAX_IO || n->n_outputs > PTQ__DNNL_MAX_IO)
        return ptq__fail(PTQ_STATUS_UNSUPPORTED, "%s: too many inputs or outputs", ptq__node_desc(n, desc, sizeof desc));
    ptq_status st = grow_steps(p);
    if (st) return st;
    int in_t[PTQ__DNNL_MAX_IO], out_t[PTQ__DNNL_MAX_IO];
    const ptq_tensor *in_c[PTQ__DNNL_MAX_IO];
    for (int j = 0; j < n->n_inputs; j++) {
        int v = n->inputs[j];
        in_t[j] = -1;
        in_c[j] = NULL;
        if (v < 0) continue;
        if (p->value_tensor[v] < 0 && (in_c[j] = ptq__dnnl_const(p, v))) continue;
        if ((st = ptq__dnnl_value_as(p, v, NULL, &in_t[j]))) return st;
    }
    for (int j = 0; j < n->n_outputs; j++) {
        int v = n->outputs[j];
        out_t[j] = -1;
        if (v < 0) continue;
        const ptq__value *val = &g->values[v];
        if ((st = ptq__dnnl_tensor_new(p, v, val->dtype, val->rank, val->dims, NULL, &out_t[j]))) return st;
        p->value_tensor[v] = out_t[j];
    }
    if ((st = grow_steps(p))) return st;
    ptq__dnnl_step *s = &p->steps[p->n_steps];
    memset(s, 0, sizeof *s);
    s->kind = PTQ__DNNL_S_REF;
    s->group = p->cur_group;
    s->node = ni;
    s->n_in = n->n_inputs;
    s->n_out = n->n_outputs;
    for (int j = 0; j < n->n_inputs; j++) {
        s->in_tensor[j] = in_t[j];
        s->in_const[j] = in_c[j];
        touch(p, in_t[j], p->n_steps);
    }
    for (int j = 0; j < n->n_outputs; j++) {
        s->out_tensor[j] = out_t[j];
        touch(p, out_t[j], p->n_steps);
    }
    p->n_steps++;
    p->n_ref_nodes++;
    return PTQ_STATUS_OK;
}

/* ---- the plan ----------------------------------------------------------- */

static void plan_destroy(void *impl)
{
    ptq__dnnl_plan *p = impl;
    if (!p) return;
    for (int i = 0; i < p->n_steps; i++)
    {
        if (p->steps[i].prim) dnnl_primitive_destroy(p->steps[i].prim);
        free(p->steps[i].params);
    }
    for (int i = 0; i < p->n_tensors; i++)
        if (p->tensors[i].mem) dnnl_memory_destroy(p->tensors[i].mem);
    for (int i = 0; i < p->n_const_mems; i++) dnnl_memory_destroy(p->const_mems[i]);
    if (p->folded)
        for (int v = 0; v < p->g->n_values; v++) ptq_tensor_destroy(p->folded[v]);
    free(p->folded);
    free(p->steps);
    free(p->tensors);
    free(p->const_mems);
    free(p->groups);
    free(p->group_of);
    free(p->last_use);
    free(p->producer_group);
    free(p->value_tensor);
    free(p->output_tensor);
    free(p->prows);
    free(p->group_prow);
    free(p->arena);
    if (p->stream) dnnl_stream_destroy(p->stream);
    if (p->engine) dnnl_engine_destroy(p->engine);
    free(p);
}

/* libdnnl uses the OpenMP runtime (libgomp, loaded with it); look the
 * setter up at run time so ptq itself does not link OpenMP. The setting
 * applies to the calling thread, so run sets it again. */
static void set_threads(int threads)
{
    typedef void (*set_fn)(int);
    set_fn f;
    *(void **)&f = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (f && threads > 0) f(threads);
}

typedef struct par_call {
    ptq__dnnl_par_fn fn;
    void *ctx;
} par_call;

static void (*gomp_parallel)(void (*)(void *), void *, unsigned, unsigned);
static int (*omp_thread_num)(void);
static int (*omp_num_threads)(void);
static int par_state; /* 0: not looked up, 1: OpenMP present, -1: absent */

static void par_trampoline(void *data)
{
    const par_call *c = data;
    c->fn(c->ctx, omp_thread_num(), omp_num_threads());
}

void ptq__dnnl_parallel(ptq__dnnl_par_fn fn, void *ctx)
{
    if (!par_state) {
        *(void **)&gomp_parallel = dlsym(RTLD_DEFAULT, "GOMP_parallel");
        *(void **)&omp_thread_num = dlsym(RTLD_DEFAULT, "omp_get_thread_num");
        *(void **)&omp_num_threads = dlsym(RTLD_DEFAULT, "omp_get_num_threads");
        par_state = gomp_parallel && omp_thread_num && omp_num_threads ? 1 : -1;
    }
    if (par_state < 0) {
        fn(ctx, 0, 1);
        return;
    }
    par_call c = {fn, ctx};
    gomp_parallel(par_trampoline, &c, 0, 0); /* 0 threads: the team size set by omp_set_num_threads */
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static ptq_status run_ref_step(ptq__dnnl_plan *p, const ptq__dnnl_step *s)
{
    const ptq__graph *g = p->g;
    const ptq__node *n = &g->nodes[s->node];
    ptq_tensor hdr[PTQ__DNNL_MAX_IO];
    const ptq_tensor *ins[PTQ__DNNL_MAX_IO];
    ptq_tensor *outs[PTQ__DNNL_MAX_IO];
    for (int j = 0; j < s->n_in; j++) {
        ins[j] = s->in_const[j];
        if (s->in_tensor[j] >= 0) {
            const ptq__dnnl_tensor *t = &p->tensors[s->in_tensor[j]];
            memset(&hdr[j], 0, sizeof hdr[j]);
            ptq__tensor_set_shape(&hdr[j], t->dtype, t->rank, t->dims);
            hdr[j].data = t->ptr;
            ins[j] = &hdr[j];
        }
    }
    memset(outs, 0, sizeof outs);
    ptq__kernel_ctx ctx = {.node = n, .opset = n->opset, .n_in = s->n_in, .in = ins, .n_out = s->n_out, .out = outs,
                           .shape_only = false};
    ptq_status st = ptq__op_kernel(n->op)(&ctx);
    for (int j = 0; j < s->n_out; j++) {
        if (!st && s->out_tensor[j] >= 0) {
            const ptq__dnnl_tensor *t = &p->tensors[s->out_tensor[j]];
            if (!outs[j] || outs[j]->dtype != t->dtype || tensor_bytes(outs[j]->dtype, outs[j]->rank, outs[j]->dims) != t->bytes) {
                char desc[300];
                st = ptq__fail(PTQ_STATUS_INVALID_STATE, "%s: output %d differs from its inferred type or shape",
                               ptq__node_desc(n, desc, sizeof desc), j);
            } else {
                memcpy(t->ptr, outs[j]->data, t->bytes);
            }
        }
        ptq_tensor_destroy(outs[j]);
    }
    return st;
}

static ptq_status plan_run(void *impl, const ptq_tensor *const *inputs, ptq_tensor **outputs_out)
{
    ptq__dnnl_plan *p = impl;
    const ptq__graph *g = p->g;
    ptq_status st = PTQ_STATUS_OK;
    set_threads(p->threads);
    for (int i = 0; i < g->n_outputs; i++) outputs_out[i] = NULL;
    for (int i = 0; i < g->n_inputs; i++) {
        const ptq__dnnl_tensor *t = &p->tensors[p->value_tensor[g->inputs[i]]];
        memcpy(t->ptr, inputs[i]->data, t->bytes);
    }
    for (int i = 0; i < p->n_steps && !st; i++) {
        const ptq__dnnl_step *s = &p->steps[i];
        double t0 = p->profiling ? now_ms() : 0;
        if (s->kind == PTQ__DNNL_S_PRIM) {
            st = ptq__dnnl_check(dnnl_primitive_execute(s->prim, p->stream, s->nargs, s->args), "execution",
                                 s->group >= 0 ? &g->nodes[p->groups[s->group].anchor] : NULL);
        } else {
            st = ptq__dnnl_check(dnnl_stream_wait(p->stream), "stream wait", NULL);
            if (!st && s->kind == PTQ__DNNL_S_REF) st = run_ref_step(p, s);
            if (!st && s->kind == PTQ__DNNL_S_FN) {
                void *in[PTQ__DNNL_MAX_IO], *out[PTQ__DNNL_MAX_IO];
                for (int j = 0; j < s->n_in; j++) in[j] = p->tensors[s->in_tensor[j]].ptr;
                for (int j = 0; j < s->n_out; j++) out[j] = p->tensors[s->out_tensor[j]].ptr;
                s->fn(s, in, out);
            }
        }
        if (p->profiling) {
            dnnl_stream_wait(p->stream);
            int r = s->group >= 0 ? p->group_prow[s->group] : -1;
            if (r >= 0) p->prows[r].total_ms += now_ms() - t0;
        }
    }
    if (!st) st = ptq__dnnl_check(dnnl_stream_wait(p->stream), "stream wait", NULL);
    if (p->profiling && !st)
        for (int r = 0; r < p->n_prows; r++) p->prows[r].runs++;
    for (int i = 0; i < g->n_outputs && !st; i++) {
        const ptq__dnnl_tensor *t = &p->tensors[p->output_tensor[i]];
        if (!t->const_data && !t->ptr) {
            st = ptq__fail(PTQ_STATUS_INVALID_STATE, "graph output '%s' was not computed", g->values[g->outputs[i]].name);
            break;
        }
        if ((st = ptq__tensor_create_uninit(t->dtype, t->rank, t->dims, &outputs_out[i]))) break;
        memcpy(outputs_out[i]->data, t->const_data ? t->const_data : t->ptr, t->bytes);
    }
    if (st)
        for (int i = 0; i < g->n_outputs; i++) {
            ptq_tensor_destroy(outputs_out[i]);
            outputs_out[i] = NULL;
        }
    return st;
}

/* Greedy first-fit of the arena slots over their step lifetimes. */
static ptq_status plan_memory(ptq__dnnl_plan *p)
{
    int nt = p->n_tensors;
    int *order = malloc(sizeof(int) * (size_t)(nt + 1));
    int *active = malloc(sizeof(int) * (size_t)(nt + 1));
    if (!order || !active) {
        free(order);
        free(active);
        return ptq__oom();
    }
    /* Slot owners cover the lifetimes of their aliases. */
    for (int t = 0; t < nt; t++) {
        ptq__dnnl_tensor *x = &p->tensors[t];
        int r = t;
        while (p->tensors[r].alias >= 0) r = p->tensors[r].alias;
        if (r == t) continue;
        ptq__dnnl_tensor *o = &p->tensors[r];
        if (x->def_step != -2 && (o->def_step == -2 || x->def_step < o->def_step)) o->def_step = x->def_step;
        if (x->last_step > o->last_step) o->last_step = x->last_step;
        if (x->bytes > o->bytes) o->bytes = x->bytes;
    }
    int n = 0;
    for (int t = 0; t < nt; t++) {
        ptq__dnnl_tensor *x = &p->tensors[t];
        if (x->alias >= 0 || x->const_data || x->def_step == -2) continue;
        order[n++] = t;
    }
    /* insertion sort by definition step (stable) */
    for (int i = 1; i < n; i++) {
        int k = order[i], j = i - 1;
        while (j >= 0 && p->tensors[order[j]].def_step > p->tensors[k].def_step) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = k;
    }
    int n_active = 0;
    size_t peak = 0;
    for (int i = 0; i < n; i++) {
        ptq__dnnl_tensor *x = &p->tensors[order[i]];
        int keep = 0;
        for (int a = 0; a < n_active; a++)
            if (p->tensors[active[a]].last_step >= x->def_step) active[keep++] = active[a];
        n_active = keep;
        size_t size = (x->bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
        if (size == 0) size = ARENA_ALIGN;
        /* candidate offsets: 0 and the end of every active slot */
        size_t best = (size_t)-1;
        for (int c = -1; c < n_active; c++) {
            size_t off = 0;
            if (c >= 0) {
                const ptq__dnnl_tensor *y = &p->tensors[active[c]];
                off = y->offset + (y->bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
            }
            if (off >= best) continue;
            bool fits = true;
            for (int a = 0; a < n_active && fits; a++) {
                const ptq__dnnl_tensor *y = &p->tensors[active[a]];
                size_t yend = y->offset + (y->bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
                if (off < yend && y->offset < off + size) fits = false;
            }
            if (fits) best = off;
        }
        x->offset = best;
        if (best + size > peak) peak = best + size;
        active[n_active++] = order[i];
    }
    free(order);
    free(active);
    p->arena_bytes = peak;
    if (peak) {
        ptq_status fits = ptq__check_fits_memory(peak, "the activation buffers");
        if (fits) return fits;
        p->arena = aligned_alloc(ARENA_ALIGN, peak);
        if (!p->arena) return ptq__oom();
        memset(p->arena, 0, peak);
    }
    ptq_status st = PTQ_STATUS_OK;
    for (int t = 0; t < nt && !st; t++) {
        ptq__dnnl_tensor *x = &p->tensors[t];
        int r = t;
        while (p->tensors[r].alias >= 0) r = p->tensors[r].alias;
        if (x->const_data) x->ptr = (void *)x->const_data;
        else if (p->tensors[r].def_step == -2) x->ptr = NULL; /* never used */
        else x->ptr = p->arena + p->tensors[r].offset;
        if (x->has_md && x->ptr) st = ptq__dnnl_check(dnnl_memory_create(&x->mem, &x->md, p->engine, x->ptr), "memory", NULL);
    }
    for (int i = 0; i < p->n_steps && !st; i++) {
        ptq__dnnl_step *s = &p->steps[i];
        if (s->kind != PTQ__DNNL_S_PRIM) continue;
        for (int a = 0; a < s->nargs; a++)
            if (s->arg_tensor[a] >= 0) s->args[a].memory = p->tensors[s->arg_tensor[a]].mem;
    }
    return st;
}

int ptq__dnnl_sole_consumer(const ptq__graph *g, int v)
{
    int found = -1;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == v) return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const ptq__node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] == v) {
                if (found >= 0 && found != i) return -1;
                found = i;
            }
    }
    return found;
}

static ptq_status compile(ptq__dnnl_plan *p)
{
    const ptq__graph *g = p->g;
    ptq_status st = PTQ_STATUS_OK;
    int nv = g->n_values, nn = g->n_nodes;
    p->groups = calloc((size_t)nn + 1, sizeof *p->groups);
    p->group_of = malloc(sizeof(int) * ((size_t)nn + 1));
    p->last_use = malloc(sizeof(int) * ((size_t)nv + 1));
    p->producer_group = malloc(sizeof(int) * ((size_t)nv + 1));
    p->value_tensor = malloc(sizeof(int) * ((size_t)nv + 1));
    p->folded = calloc((size_t)nv + 1, sizeof *p->folded);
    bool *need = calloc((size_t)nv + 1, sizeof *need);
    if (!p->groups || !p->group_of || !p->last_use || !p->producer_group || !p->value_tensor || !p->folded || !need) {
        free(need);
        return ptq__oom();
    }
    for (int i = 0; i < nn; i++) p->group_of[i] = -1;
    for (int v = 0; v < nv; v++) p->last_use[v] = p->producer_group[v] = p->value_tensor[v] = -1;

    /* 1. match */
    for (int i = 0; i < nn && !st; i++) {
        if (g->nodes[i].dead || p->group_of[i] >= 0) continue;
        ptq__dnnl_group *grp = &p->groups[p->n_groups];
        memset(grp, 0, sizeof *grp);
        p->cur_group = p->n_groups;
        if ((st = ptq__dnnl_match(p, i, grp))) break;
        p->group_of[i] = p->n_groups;
        if (grp->kind == PTQ__DNNL_G_REF) {
            for (int j = 0; j < g->nodes[i].n_outputs; j++)
                if (g->nodes[i].outputs[j] >= 0) p->producer_group[g->nodes[i].outputs[j]] = p->n_groups;
        } else {
            p->producer_group[grp->out] = p->n_groups;
        }
        p->n_groups++;
    }
    /* 2. need (backwards) */
    for (int i = 0; i < g->n_outputs; i++) {
        need[g->outputs[i]] = true;
        p->last_use[g->outputs[i]] = p->n_groups;
    }
    for (int k = p->n_groups - 1; k >= 0 && !st; k--) {
        ptq__dnnl_group *grp = &p->groups[k];
        const ptq__node *n = &g->nodes[grp->anchor];
        if (grp->kind == PTQ__DNNL_G_REF) {
            for (int j = 0; j < n->n_outputs; j++)
                if (n->outputs[j] >= 0 && need[n->outputs[j]]) grp->needed = true;
        } else {
            grp->needed = need[grp->out];
        }
        if (!grp->needed) continue;
        for (int j = 0; j < grp->n_in; j++) {
            int v = grp->in[j];
            if (v < 0) continue;
            need[v] = true;
            if (p->last_use[v] < k) p->last_use[v] = k;
        }
    }
    free(need);
    if (st) return st;
    /* 3. emit */
    p->group_prow = malloc(sizeof(int) * ((size_t)p->n_groups + 1));
    p->prows = calloc((size_t)p->n_groups + 1, sizeof *p->prows);
    if (!p->group_prow || !p->prows) return ptq__oom();
    for (int i = 0; i < g->n_inputs && !st; i++) {
        int v = g->inputs[i], t;
        const ptq__value *val = &g->values[v];
        st = ptq__dnnl_tensor_new(p, v, val->dtype, val->rank, val->dims, NULL, &t);
        if (!st) {
            p->tensors[t].def_step = -1;
            p->value_tensor[v] = t;
        }
    }
    for (int k = 0; k < p->n_groups && !st; k++) {
        ptq__dnnl_group *grp = &p->groups[k];
        p->group_prow[k] = -1;
        if (!grp->needed) continue;
        p->cur_group = k;
        p->group_prow[k] = p->n_prows;
        ptq__dnnl_prow *r = &p->prows[p->n_prows++];
        r->group = k;
        r->name = g->nodes[grp->anchor].name;
        r->kind = ptq__dnnl_gkind_name(grp, g);
        if (grp->kind == PTQ__DNNL_G_REF) st = emit_ref(p, grp->anchor);
        else {
            st = ptq__dnnl_emit(p, grp);
            if (!st) {
                p->n_dnnl_groups++;
                if (grp->kind >= PTQ__DNNL_G_QCONV) p->n_int8_groups++;
            }
        }
    }
    p->cur_group = -1;
    /* Every graph output is read back in plain layout after the last step:
     * reorder those held in another layout, then keep all of them (and the
     * slots they alias) alive to the end of the run. The lifetimes are set
     * only once every reorder is appended, so no output's slot is handed to
     * a later output's reorder. */
    p->output_tensor = malloc(sizeof(int) * ((size_t)g->n_outputs + 1));
    if (!st && !p->output_tensor) st = ptq__oom();
    for (int i = 0; i < g->n_outputs && !st; i++) st = ptq__dnnl_value_as(p, g->outputs[i], NULL, &p->output_tensor[i]);
    for (int i = 0; i < g->n_outputs && !st; i++) {
        p->tensors[p->output_tensor[i]].last_step = p->n_steps;
    }
    if (!st) st = plan_memory(p);
    return st;
}

ptq_status ptq__dnnl_plan_create(const ptq__graph *g, int threads, ptq__backend_plan *plan_out)
{
    memset(plan_out, 0, sizeof *plan_out);
    ptq__dnnl_plan *p = calloc(1, sizeof *p);
    if (!p) return ptq__oom();
    p->g = g;
    p->threads = threads;
    set_threads(threads);
    ptq_status st = ptq__dnnl_check(dnnl_engine_create(&p->engine, dnnl_cpu, 0), "engine creation", NULL);
    if (!st) st = ptq__dnnl_check(dnnl_stream_create(&p->stream, p->engine, dnnl_stream_default_flags), "stream creation", NULL);
    if (!st) st = compile(p);
    if (st) {
        plan_destroy(p);
        return st;
    }
    plan_out->impl = p;
    plan_out->run = plan_run;
    plan_out->destroy = plan_destroy;
    return PTQ_STATUS_OK;
}

/* ---- accessors ---------------------------------------------------------- */

void ptq__dnnl_plan_get_stats(const ptq__dnnl_plan *p, ptq__dnnl_plan_stats *out)
{
    memset(out, 0, sizeof *out);
    out->peak_activation_bytes = p->arena_bytes;
    out->weight_bytes = p->weight_bytes;
    out->n_steps = p->n_steps;
    out->n_dnnl_groups = p->n_dnnl_groups;
    out->n_int8_groups = p->n_int8_groups;
    out->n_ref_nodes = p->n_ref_nodes;
    out->n_reorders = p->n_reorders;
}

void ptq__dnnl_plan_profile(ptq__dnnl_plan *p, bool enable)
{
    p->profiling = enable;
    for (int r = 0; r < p->n_prows; r++) {
        p->prows[r].total_ms = 0;
        p->prows[r].runs = 0;
    }
}

int ptq__dnnl_plan_profile_count(const ptq__dnnl_plan *p) { return p->n_prows; }

void ptq__dnnl_plan_profile_entry(const ptq__dnnl_plan *p, int i, ptq__dnnl_profile_entry *out)
{
    const ptq__dnnl_prow *r = &p->prows[i];
    out->name = r->name;
    out->kind = r->kind;
    out->total_ms = r->total_ms;
    out->runs = r->runs;
}
