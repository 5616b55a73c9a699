/* Internal layout of the public handles. */
#ifndef PTQ_API_INTERNAL_H
#define PTQ_API_INTERNAL_H

#include "graph/graph.h"
#include "backend/ref/ref_exec.h"

struct ptq_model {
    ptq__graph *graph;
};

/* A compiled backend plan behind a session. */
typedef struct ptq__backend_plan {
    void *impl;
    ptq_status (*run)(void *impl, const ptq_tensor *const *inputs, ptq_tensor **outputs_out);
    void (*destroy)(void *impl);
} ptq__backend_plan;

struct ptq_session {
    const ptq_model *model;
    ptq__graph *graph;     /* bound, inferred and folded copy */
    ptq_backend backend;   /* resolved: REF or DNNL */
    int threads;
    ptq__ref_plan *ref;    /* always available (also the fallback) */
    ptq__backend_plan fast; /* impl NULL when the session runs on ref */
};

/* The batch a single-input model fixes in its input's first dimension
 * (exported with batch 1, say), or 0 when that dimension is dynamic:
 * evaluation and calibration then run with that batch instead of their own. */
int64_t ptq__model_fixed_batch(const ptq_model *model);

#endif
