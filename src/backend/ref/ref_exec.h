/* Runs an inferred graph node by node on the reference kernels. */
#ifndef PTQ_BACKEND_REF_REF_EXEC_H
#define PTQ_BACKEND_REF_REF_EXEC_H

#include "graph/graph.h"

/* Called after a node produced value `v` (tensor valid during the call). */
typedef ptq_status (*ptq__value_observer)(void *user, int v, const ptq_tensor *t);

typedef struct ptq__ref_plan ptq__ref_plan;

ptq_status ptq__ref_plan_create(const ptq__graph *g, ptq__ref_plan **out);
void ptq__ref_plan_destroy(ptq__ref_plan *p);
/* inputs in graph-input order (shapes must match the graph's); outputs_out
 * gets n_outputs new tensors. observer may be NULL. */
ptq_status ptq__ref_plan_run(ptq__ref_plan *p, const ptq_tensor *const *inputs, ptq_tensor **outputs_out,
                             ptq__value_observer observer, void *user);

#endif
