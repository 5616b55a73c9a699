/* Per-layer profiling of a session: a thin public face over the backend's
 * profiler. Only the oneDNN plan has one; the reference backend answers
 * UNSUPPORTED rather than inventing numbers. */
#include "api/internal.h"
#include "backend/dnnl/dnnl_plan.h"
#include "core/status.h"

static ptq__dnnl_plan *dnnl_plan(const ptq_session *s)
{
    return s && s->backend == PTQ_BACKEND_DNNL && s->fast.impl ? (ptq__dnnl_plan *)s->fast.impl : NULL;
}

ptq_status ptq_session_set_profiling(ptq_session *s, int enable)
{
    if (!s) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "session is NULL");
    ptq__dnnl_plan *p = dnnl_plan(s);
    if (!p) return ptq__fail(PTQ_STATUS_UNSUPPORTED, "per-layer profiling is available on the oneDNN backend only");
    ptq__dnnl_plan_profile(p, enable != 0);
    return PTQ_STATUS_OK;
}

int ptq_session_get_profile_count(const ptq_session *s)
{
    const ptq__dnnl_plan *p = dnnl_plan(s);
    return p ? ptq__dnnl_plan_profile_count(p) : 0;
}

ptq_status ptq_session_get_profile_entry(const ptq_session *s, int index, ptq_profile_entry *entry_out)
{
    if (!entry_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "entry_out is NULL");
    const ptq__dnnl_plan *p = dnnl_plan(s);
    int n = p ? ptq__dnnl_plan_profile_count(p) : 0;
    if (index < 0 || index >= n)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "profile entry %d out of range (%d entries)", index, n);
    ptq__dnnl_profile_entry e;
    ptq__dnnl_plan_profile_entry(p, index, &e);
    entry_out->name = e.name ? e.name : "";
    entry_out->kind = e.kind ? e.kind : "";
    entry_out->total_ms = e.total_ms;
    entry_out->runs = e.runs;
    return PTQ_STATUS_OK;
}
