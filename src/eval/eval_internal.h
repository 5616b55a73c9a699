/* Internals of the evaluation module (src/eval/). Not public API. */
#ifndef PTQ_EVAL_INTERNAL_H
#define PTQ_EVAL_INTERNAL_H

#include <stdint.h>

#include "ptq/eval.h"

#define PTQ__EVAL_K 5 /* top-k kept per image */

/* Predictions of one pass: the top-5 classes of every scored image, best
 * first (-1 where the model has fewer classes), and its dataset label. */
typedef struct ptq__eval_preds {
    int64_t n;          /* images scored */
    int64_t skipped;    /* unreadable images skipped */
    int32_t classes;    /* C of the first output */
    int32_t (*top)[PTQ__EVAL_K];
    int32_t *labels;    /* dataset labels (before any offset) */
    double seconds;
} ptq__eval_preds;

void ptq__eval_preds_free(ptq__eval_preds *p);

/* Counts of predictions under a label offset. */
typedef struct ptq__eval_counts {
    int64_t n, correct1, correct5, out_of_range;
} ptq__eval_counts;

ptq__eval_counts ptq__eval_count(const ptq__eval_preds *p, int label_offset);

/* Per-class images and top-1 hits (arrays of p->classes entries) under a
 * label offset; out-of-range labels are not counted. */
void ptq__eval_per_class(const ptq__eval_preds *p, int label_offset, int64_t *images, int64_t *correct);

/* Runs session over samples indices[0..count) of ds and fills *out. */
ptq_status ptq__eval_pass(ptq_session *session, const ptq_dataset *ds, const int64_t *indices, int64_t count,
                          const ptq_preprocess *pp, int batch, int threads, int skip_bad_images,
                          ptq_eval_progress_fn progress, void *progress_user, ptq__eval_preds *out);

typedef struct ptq__eval_suggestion {
    char *change;
    char *reason;
    double top1;
    int n_changes;
} ptq__eval_suggestion;

struct ptq_eval_report {
    double top1, top5, seconds;
    int64_t images, skipped;
    int32_t classes;
    int label_offset;
    int64_t *class_images, *class_correct; /* [classes] */
    ptq_preprocess pp;
    int diagnosis_ran;
    double probe_top1; /* baseline top-1 on the probe subset */
    int n_diag;
    ptq__eval_suggestion *diag;
    char *summary;
    int n_warnings;
    char **warnings;
};

/* Appends a formatted warning; returns 0 or -1 on allocation failure. */
int ptq__eval_report_warn(ptq_eval_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs the probes on a subset and fills r->diag / r->summary.
 * `label_problem` is non-zero when some labels are outside 0..C-1. */
ptq_status ptq__eval_diagnose(ptq_session *session, const ptq_dataset *ds, const int64_t *indices, int64_t count,
                              const ptq_preprocess *pp, const ptq_eval_params *ep, int64_t label_problem,
                              ptq_eval_report *r);

#endif
