/* Shared internals of the oneDNN backend (dnnl_plan.c: tensors, memory
 * planning, run; dnnl_ops.c: matching node groups and emitting primitives).
 *
 * Compilation runs in three passes over the topologically sorted graph:
 *   1. match: every live node joins one group. A group is a fused pattern
 *      (Conv+BN+activations+Add, DQ->Conv->Q int8, ...) anchored at its
 *      first node, a single node run by one oneDNN primitive, or a single
 *      node run by its reference kernel. A group lists its real inputs
 *      (activation values it reads; constants and DQ-of-constant are folded
 *      at compile time) and the values it produces.
 *   2. need: walking backwards, a group is needed when a graph output or a
 *      needed group reads what it produces (so DQ nodes absorbed by int8
 *      primitives never run). This also gives each value its last reader.
 *   3. emit: needed groups, in order, append steps (primitive executions,
 *      reorders, reference calls) that read and write plan tensors. A plan
 *      tensor is one value in one memory layout; tensors get offsets in one
 *      activation arena by a greedy first-fit over their lifetimes. */
#ifndef PTQ_BACKEND_DNNL_DNNL_INTERNAL_H
#define PTQ_BACKEND_DNNL_DNNL_INTERNAL_H

#include <dnnl.h>
#include "backend/dnnl/dnnl_plan.h"
#include "core/status.h"
#include "ops/kernel.h"

#define PTQ__DNNL_MAX_POST 6
#define PTQ__DNNL_MAX_ARGS 8
#define PTQ__DNNL_MAX_IO 16

/* 1: fuse the residual Add of an int8 block
 *   conv -> [Relu] -> Q -> DQ -> Add(DQ r) -> [Relu] -> Q
 * into the conv: output scales to the conv's own quantization step, post-ops
 * clip + round (the intermediate QuantizeLinear, emulated instead of skipped:
 * skipping it drifted ResNet-50 logits up to 3 steps) + linear (to the Add's
 * output step) + sum (the residual, with its zero point) [+ relu]. Only
 * float association differs from the reference, yet ResNet-50 at 64x64 still
 * ends 2 output steps away, so it stays off. The exact order (rescale to the
 * conv's step, sum, then divide by the Add's step) needs a post-op after the
 * sum, and oneDNN 2.6's int8 brgconv computes wrong results for any post-op
 * after a sum (measured: an identity linear after it moved logits by 0.5).
 * Measured gain of the fusion: 0.3 ms of 7.2 at batch 1, 224x224.
 * 0 (default): the conv requantizes its output as the graph says and the Add
 * runs as a vectorized int8 elementwise step (bit-exact with the reference
 * arithmetic of src/ops/requant.h). */
#define PTQ__DNNL_INT8_FUSE_SUM 0

typedef enum ptq__dnnl_gkind {
    PTQ__DNNL_G_REF = 0, /* one node, reference kernel */
    PTQ__DNNL_G_VIEW,    /* Flatten/Reshape/Squeeze/Unsqueeze/Identity: alias of a plain buffer */
    PTQ__DNNL_G_CONV,    /* Conv [+BN] [+eltwise...] [+Add [+eltwise...]] */
    PTQ__DNNL_G_POOL,    /* MaxPool/AveragePool/Global*Pool */
    PTQ__DNNL_G_GEMM,    /* Gemm as inner product */
    PTQ__DNNL_G_MATMUL,
    PTQ__DNNL_G_ELTWISE,
    PTQ__DNNL_G_BINARY,
    PTQ__DNNL_G_SOFTMAX,
    PTQ__DNNL_G_QCONV,   /* DQ -> Conv(DQ w, DQ b) -> [Relu] -> Q [-> DQ -> Add(DQ) -> [Relu] -> Q] */
    PTQ__DNNL_G_QPOOL,   /* DQ -> MaxPool -> Q with the same quantization */
    PTQ__DNNL_G_QGEMM,   /* DQ -> Gemm(DQ w, DQ b) -> [Relu] -> Q */
    PTQ__DNNL_G_QADD,    /* DQ, DQ -> Add -> [Relu] -> Q, elementwise on the integers */
    PTQ__DNNL_G_QGAP,    /* DQ -> GlobalAveragePool -> Q (rank 4, plain or nhwc input) */
    PTQ__DNNL_G_QUANT,   /* QuantizeLinear of a float activation (scalar scale/zero point) */
} ptq__dnnl_gkind;

typedef struct ptq__dnnl_post {
    dnnl_alg_kind_t alg; /* eltwise algorithm, or 0 for the sum */
    float alpha, beta;
} ptq__dnnl_post;

typedef struct ptq__dnnl_group {
    ptq__dnnl_gkind kind;
    int anchor;            /* node index (first node of the group) */
    int last;              /* node index of the last absorbed node */
    bool needed;
    int n_in;              /* real (activation) inputs read */
    int in[PTQ__DNNL_MAX_IO];
    int out;               /* value produced (fused groups); REF: the node's outputs */
    /* CONV / QCONV / GEMM / QGEMM */
    int bn_node;           /* -1 if none */
    int n_post;
    ptq__dnnl_post post[PTQ__DNNL_MAX_POST];
    int sum_value;         /* other Add operand (real value), -1 if none */
    float sum_scale;
    int32_t sum_zp;
    /* int8 quantization (QCONV, QPOOL, QGEMM) */
    float x_scale, y_scale;
    int32_t x_zp, y_zp;
    float mid_scale;       /* QCONV+sum: step of the conv's own output (0: none) */
    int w_value, b_value;  /* DQ-output values of weights / bias (or float constants) */
    int data_value;        /* POOL/ELTWISE/...: the activation input (also QPOOL: u8 value) */
} ptq__dnnl_group;

/* A plan tensor: one value in one layout, with its own arena slot or an
 * alias of another tensor's slot, or a constant outside the arena. */
typedef struct ptq__dnnl_tensor {
    int value;                 /* graph value, -1 for a scratch tensor */
    ptq_dtype dtype;
    int rank;
    int64_t dims[PTQ_MAX_DIMS];
    bool has_md;               /* false for dtypes oneDNN lacks (int64, bool...) */
    bool plain;                /* row-major layout */
    dnnl_memory_desc_t md;
    size_t bytes;
    int alias;                 /* tensor whose slot this one shares, -1 */
    const void *const_data;    /* constant (not in the arena) */
    int def_step, last_step;   /* lifetime in steps (slot owner: over all aliases) */
    size_t offset;
    void *ptr;                 /* resolved after planning */
    dnnl_memory_t mem;         /* created after planning (has_md only) */
} ptq__dnnl_tensor;

typedef enum ptq__dnnl_skind { PTQ__DNNL_S_PRIM, PTQ__DNNL_S_REF, PTQ__DNNL_S_FN } ptq__dnnl_skind;

struct ptq__dnnl_step;
typedef void (*ptq__dnnl_step_fn)(const struct ptq__dnnl_step *s, void *const *in, void *const *out);

typedef struct ptq__dnnl_step {
    ptq__dnnl_skind kind;
    int group;                 /* profile row */
    dnnl_primitive_t prim;
    int nargs;
    dnnl_exec_arg_t args[PTQ__DNNL_MAX_ARGS];
    int arg_tensor[PTQ__DNNL_MAX_ARGS]; /* plan tensor bound to args[i], or -1 (constant memory) */
    /* REF */
    int node;
    int n_in, n_out;
    int in_tensor[PTQ__DNNL_MAX_IO];       /* -1 with in_const set or for an omitted input */
    const ptq_tensor *in_const[PTQ__DNNL_MAX_IO];
    int out_tensor[PTQ__DNNL_MAX_IO];      /* -1 for an unused output */
    /* FN: a small kernel of this backend over in_tensor/out_tensor buffers */
    ptq__dnnl_step_fn fn;
    void *params;                          /* owned, freed with the plan */
} ptq__dnnl_step;

typedef struct ptq__dnnl_prow {
    int group;
    const char *name;
    const char *kind;
    double total_ms;
    int64_t runs;
} ptq__dnnl_prow;

struct ptq__dnnl_plan {
    const ptq__graph *g;
    int threads;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    /* compile-time state */
    ptq__dnnl_group *groups;
    int n_groups;
    int *group_of;             /* per node: group index, -1 */
    int *last_use;             /* per value: last group reading it (n_groups for graph outputs) */
    int *producer_group;       /* per value: group producing it, -1 */
    ptq_tensor **folded;       /* per value: DQ-of-constant evaluated at compile time (owned) */
    int *value_tensor;         /* per value: tensor as produced, -1 */
    int *output_tensor;        /* per graph output: the plain tensor returned by run (alive to the end) */
    int cur_group;
    /* tensors and steps */
    ptq__dnnl_tensor *tensors;
    int n_tensors, cap_tensors;
    ptq__dnnl_step *steps;
    int n_steps, cap_steps;
    dnnl_memory_t *const_mems; /* weights/biases owned by the plan */
    int n_const_mems, cap_const_mems;
    size_t weight_bytes;
    unsigned char *arena;
    size_t arena_bytes;
    /* stats and profile */
    int n_dnnl_groups, n_int8_groups, n_ref_nodes, n_reorders;
    bool profiling;
    ptq__dnnl_prow *prows;
    int n_prows;
    int *group_prow;           /* per group: profile row, -1 */
};

/* ---- dnnl_plan.c ---- */
ptq_status ptq__dnnl_check(dnnl_status_t s, const char *what, const ptq__node *n);
bool ptq__dnnl_dt(ptq_dtype dt, dnnl_data_type_t *out);
/* Plain (row-major) descriptor of a value-like shape. */
ptq_status ptq__dnnl_plain_md(ptq_dtype dt, int rank, const int64_t *dims, dnnl_memory_desc_t *md_out);
/* The constant tensor behind value v (initializer, folded or DQ of
 * constants evaluated once), or NULL if v is an activation. */
const ptq_tensor *ptq__dnnl_const(ptq__dnnl_plan *p, int v);
/* Tensor holding value v in layout md (md NULL: plain), adding a reorder
 * step when the value's tensor has another layout. */
ptq_status ptq__dnnl_value_as(ptq__dnnl_plan *p, int v, const dnnl_memory_desc_t *md, int *tensor_out);
/* New arena tensor for value v (-1 for scratch) with layout md (NULL: plain). */
ptq_status ptq__dnnl_tensor_new(ptq__dnnl_plan *p, int v, ptq_dtype dt, int rank, const int64_t *dims,
                                const dnnl_memory_desc_t *md, int *tensor_out);
/* Appends a primitive step; arg_tensor[i] -1 means args[i].memory is set. */
ptq_status ptq__dnnl_step_prim(ptq__dnnl_plan *p, dnnl_primitive_t prim, int nargs, const int *arg_ids,
                               const int *arg_tensor, const dnnl_memory_t *arg_mems);
/* Memory owned by the plan holding `data` (layout src_md) reordered to dst_md. */
ptq_status ptq__dnnl_const_mem(ptq__dnnl_plan *p, const dnnl_memory_desc_t *src_md, const void *data,
                               const dnnl_memory_desc_t *dst_md, dnnl_memory_t *mem_out);
/* Appends a FN step (takes ownership of params, even on failure). */
ptq_status ptq__dnnl_step_fn_add(ptq__dnnl_plan *p, ptq__dnnl_step_fn fn, void *params, int n_in, const int *in_t, int n_out,
                                 const int *out_t);
/* Runs fn(ctx, ithr, nthr) on the OpenMP team of the calling thread (the
 * team oneDNN uses: libgomp's GOMP_parallel, looked up at run time), or
 * once as fn(ctx, 0, 1) when that runtime is absent. */
typedef void (*ptq__dnnl_par_fn)(void *ctx, int ithr, int nthr);
void ptq__dnnl_parallel(ptq__dnnl_par_fn fn, void *ctx);
/* Creates a primitive from a primitive descriptor (destroys the pd). */
ptq_status ptq__dnnl_prim_create(ptq__dnnl_plan *p, dnnl_primitive_desc_t pd, dnnl_primitive_t *prim_out);

/* ---- dnnl_ops.c ---- */
/* Pass 1 for node i (not yet grouped): fills *grp and marks group_of. */
ptq_status ptq__dnnl_match(ptq__dnnl_plan *p, int i, ptq__dnnl_group *grp);
/* Pass 3: emits the steps of a needed group. */
ptq_status ptq__dnnl_emit(ptq__dnnl_plan *p, const ptq__dnnl_group *grp);
/* Single consumer node of value v (-1 if none, several, or a graph output). */
int ptq__dnnl_sole_consumer(const ptq__graph *g, int v);
const char *ptq__dnnl_gkind_name(const ptq__dnnl_group *grp, const ptq__graph *g);

#endif
