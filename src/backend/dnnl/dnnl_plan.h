/* The oneDNN backend: compiles an inferred graph into a plan of oneDNN
 * primitives (FP32 and INT8) with reference-kernel fallback for every node
 * oneDNN does not speed up.
 *
 * The plan is created by ptq__dnnl_plan_create (called by
 * src/api/session.c) and lives behind ptq__backend_plan.impl; a session whose
 * backend is PTQ_BACKEND_DNNL holds a ptq__dnnl_plan there. The accessors
 * below read statistics and the optional per-layer profile. Not thread-safe
 * for one plan (like ptq_session_run). */
#ifndef PTQ_BACKEND_DNNL_DNNL_PLAN_H
#define PTQ_BACKEND_DNNL_DNNL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "api/internal.h"

typedef struct ptq__dnnl_plan ptq__dnnl_plan;

/* Compiles g (already bound, inferred and folded; QDQ kept) for `threads`
 * OpenMP threads. The graph must outlive the plan; it is never modified. */
ptq_status ptq__dnnl_plan_create(const ptq__graph *g, int threads, ptq__backend_plan *plan_out);

typedef struct ptq__dnnl_plan_stats {
    size_t peak_activation_bytes; /* size of the activation arena (liveness-reused buffers) */
    size_t weight_bytes;          /* weights and biases held by the plan in oneDNN layouts */
    int n_steps;                  /* executed steps (primitives, reorders, reference nodes) */
    int n_dnnl_groups;            /* graph node groups run by oneDNN primitives */
    int n_int8_groups;            /* of which int8 */
    int n_ref_nodes;              /* graph nodes run by reference kernels */
    int n_reorders;               /* layout/type reorders executed per run */
} ptq__dnnl_plan_stats;

void ptq__dnnl_plan_get_stats(const ptq__dnnl_plan *p, ptq__dnnl_plan_stats *stats_out);

/* Turns per-layer timing on (accumulators reset) or off. */
void ptq__dnnl_plan_profile(ptq__dnnl_plan *p, bool enable);

/* One row of the profile: a layer is a group of graph nodes compiled
 * together (e.g. Conv+BN+Add+Relu), named after its first node; the
 * reorders it needs are counted in it. */
typedef struct ptq__dnnl_profile_entry {
    const char *name;  /* node name, owned by the graph */
    const char *kind;  /* "conv", "conv int8", "pool", "ref:Flatten", ... (static string) */
    double total_ms;   /* accumulated over runs since profiling was enabled */
    int64_t runs;
} ptq__dnnl_profile_entry;

int ptq__dnnl_plan_profile_count(const ptq__dnnl_plan *p);
/* Entry i (0 <= i < count), in execution order. */
void ptq__dnnl_plan_profile_entry(const ptq__dnnl_plan *p, int i, ptq__dnnl_profile_entry *entry_out);

#endif
