/* ptq evaluation: top-1/top-5 accuracy of an image classifier over a dataset,
 * per-class accuracy, and a diagnosis of the usual preprocessing and label
 * mistakes when the accuracy is at chance level or below expectation.
 *
 * Conventions follow ptq.h: fallible calls return ptq_status, results go to
 * trailing *_out parameters (NULL on failure), the failure message is in
 * ptq_last_error(), every *_destroy accepts NULL. */
#ifndef PTQ_EVAL_H
#define PTQ_EVAL_H

#include "ptq/data.h"
#include "ptq/ptq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* When to run the diagnosis probes. */
typedef enum ptq_eval_diagnose {
    PTQ_EVAL_DIAGNOSE_AUTO = 0,  /* when top-1 <= 2 / classes, below expect_top1 - 0.05, or labels out of range */
    PTQ_EVAL_DIAGNOSE_NEVER = 1,
    PTQ_EVAL_DIAGNOSE_ALWAYS = 2,
} ptq_eval_diagnose;

/* Progress callback: `done` of `total` images processed. Called on the
 * thread that called ptq_evaluate*, after every batch (also during the
 * diagnosis probes, with their own totals). */
typedef void (*ptq_eval_progress_fn)(void *user, int64_t done, int64_t total);

typedef struct ptq_eval_params {
    int batch;               /* images per inference (default 8); the last batch is zero-padded;
                                * ptq_evaluate uses the batch the model fixes, ptq_evaluate_session the session's */
    int threads;             /* decoding threads of the loader; 0: one per online CPU */
    int64_t limit;           /* evaluate only the first `limit` of the indices (0: all) */
    int skip_bad_images;     /* 1: count and skip unreadable images instead of failing */
    int label_offset;        /* added to every dataset label before comparison (e.g. -1 for 1-based lists) */
    ptq_eval_diagnose diagnose;
    double expect_top1;      /* expected top-1 (0..1), or < 0 for none (default -1) */
    int64_t diagnosis_images; /* images of the probe subset (default 200, evenly spaced over the indices) */
    const char *annotation_path; /* optional: the list file, only to name it in error messages */
    ptq_eval_progress_fn progress; /* optional */
    void *progress_user;
} ptq_eval_params;

/* batch 8, threads 0, limit 0, skip_bad_images 0, label_offset 0, diagnose
 * AUTO, expect_top1 -1, diagnosis_images 200, everything else NULL. */
PTQ_API ptq_eval_params ptq_eval_params_default(void);

typedef struct ptq_eval_report ptq_eval_report;

/* The input binding a session needs for ptq_evaluate_session: the first graph
 * input as batch x channels x model_h x model_w (NCHW) or batch x model_h x
 * model_w x channels (NHWC) per pp. name is NULL (the first input). */
PTQ_API ptq_input_shape ptq_eval_input_shape(const ptq_preprocess *pp, int batch);

/* Evaluates `model` on the samples indices[0..count) of ds (indices NULL: all
 * samples, count ignored), preprocessed with pp. Creates a session from sp
 * (backend, threads; its input shapes are replaced by ptq_eval_input_shape(pp,
 * ep->batch)) and then does what ptq_evaluate_session does. sp and ep may be
 * NULL for the defaults. The model, dataset and pp must outlive the call only.
 * The report is new and owned by the caller (ptq_eval_report_destroy). */
PTQ_API ptq_status ptq_evaluate(const ptq_model *model, const ptq_session_params *sp, const ptq_dataset *ds,
                                const int64_t *indices, int64_t count, const ptq_preprocess *pp,
                                const ptq_eval_params *ep, ptq_eval_report **report_out);

/* Same on an existing session (e.g. a quantized model's) whose first input is
 * bound to ptq_eval_input_shape(pp, ep->batch) and whose model has exactly
 * one input. Decoding runs on the loader threads while the session infers.
 * Scores are the first output, [N, C] (any trailing dims of size 1 are
 * accepted; float32, or any integer type, compared as values); top-k ties
 * go to the lower class index.
 *
 * A label + label_offset outside 0..C-1 is an error (INVALID_ARGUMENT naming
 * the list file, its line and the image) unless the diagnosis runs and finds
 * a change that explains it; then the sample counts as wrong and the report
 * carries the diagnosis. Unreadable images fail the call (naming the file)
 * unless skip_bad_images. Not thread-safe for one session. */
PTQ_API ptq_status ptq_evaluate_session(ptq_session *session, const ptq_dataset *ds, const int64_t *indices,
                                        int64_t count, const ptq_preprocess *pp, const ptq_eval_params *ep,
                                        ptq_eval_report **report_out);

PTQ_API void ptq_eval_report_destroy(ptq_eval_report *report);

/* Accessors; all accept a NULL report (returning 0 / NULL). */
PTQ_API double ptq_eval_report_top1(const ptq_eval_report *report);  /* fraction 0..1 */
PTQ_API double ptq_eval_report_top5(const ptq_eval_report *report);  /* fraction 0..1 */
PTQ_API int64_t ptq_eval_report_images(const ptq_eval_report *report);  /* images scored */
PTQ_API int64_t ptq_eval_report_skipped(const ptq_eval_report *report); /* unreadable images skipped */
PTQ_API double ptq_eval_report_seconds(const ptq_eval_report *report);  /* wall time of the main pass */
PTQ_API int32_t ptq_eval_report_class_count(const ptq_eval_report *report); /* model output classes */
/* Per-class figures of class c (by label after label_offset): images with
 * that label and how many of them were top-1 correct. INVALID_ARGUMENT when
 * c is out of range. Either output may be NULL. */
PTQ_API ptq_status ptq_eval_report_class(const ptq_eval_report *report, int32_t c, int64_t *images_out,
                                         int64_t *correct_out);

/* Diagnosis: suggested changes sorted best first. change is the exact
 * command-line option(s) that apply it ("--label-offset -1"), reason a short
 * explanation ("labels are 1-based"), top1 what the change reached on the
 * probe subset. Strings are owned by the report. */
PTQ_API int ptq_eval_report_diagnosis_count(const ptq_eval_report *report);
PTQ_API const char *ptq_eval_report_diagnosis_change(const ptq_eval_report *report, int i);
PTQ_API const char *ptq_eval_report_diagnosis_reason(const ptq_eval_report *report, int i);
PTQ_API double ptq_eval_report_diagnosis_top1(const ptq_eval_report *report, int i);
/* A one- or two-line human summary of the diagnosis ("top-1 0.0100 is chance
 * level for 10 classes. Probable cause: ..."), or "" when the diagnosis did
 * not run or found nothing. Owned by the report. */
PTQ_API const char *ptq_eval_report_diagnosis_summary(const ptq_eval_report *report);

/* The report as JSON (keys: top1, top5 (fractions), images, skipped, seconds,
 * images_per_second, classes, label_offset, per_class [{class, images,
 * correct, top1}], preprocessing (ptq_preprocess_to_json), diagnosis [{change,
 * reason, top1}], diagnosis_summary, warnings [strings]). *json_out is a new
 * NUL-terminated string the caller frees with free(). */
PTQ_API ptq_status ptq_eval_report_to_json(const ptq_eval_report *report, char **json_out);

/* ---- Accuracy Checker configurations -------------------------------------- */

/* The part of an OpenVINO Accuracy Checker YAML config that ptq evaluates:
 * the first entry of `models` (or the top-level `datasets`/`launchers`), its
 * first launcher and its first dataset. Paths are resolved against the YAML
 * file's directory. Everything is owned by the config. */
typedef struct ptq_ac_config {
    char *name;            /* models[0].name, or "" */
    char *model;           /* launchers[0].model (resolved), or NULL */
    char *framework;       /* launchers[0].framework, or NULL */
    char *dataset;         /* datasets[0].name, or "" */
    char *data_source;     /* images directory (resolved), or NULL */
    char *annotation_file; /* annotation_conversion.annotation_file (resolved), or NULL */
    char *labels_file;     /* annotation_conversion.labels_file (resolved), or NULL */
    int has_background;    /* imagenet converter has_background: labels + 1 */
    /* preprocessing: reader (opencv_imread BGR default, pillow_imread RGB),
     * resize, crop, normalization (on 0..255 pixels), bgr_to_rgb/rgb_to_bgr;
     * model_h/model_w are the last crop (or exact resize) size, else 224. */
    ptq_preprocess pp;
    int n_top_k;           /* accuracy metrics found */
    int top_k[8];
    int n_warnings;        /* unknown or ignored keys, one message each */
    char **warnings;
} ptq_ac_config;

/* Parses an Accuracy Checker YAML file (libyaml). Errors: IO (unreadable,
 * or larger than 1 MiB), BAD_FORMAT ("file:line: message" for malformed
 * YAML, a value of the wrong kind, a repeated key, nesting deeper than 64
 * levels or more than 1000 anchors and aliases), UNSUPPORTED (a converter,
 * reader or preprocessing step ptq cannot reproduce, named in the message).
 * Unknown keys are not errors; they are listed in warnings. */
PTQ_API ptq_status ptq_ac_config_load(const char *path, ptq_ac_config **config_out);
PTQ_API void ptq_ac_config_destroy(ptq_ac_config *config);

/* Indices of the k largest of scores[0..n), best first, ties to the lower
 * index; k is clamped to n. Returns the number written. Thread-safe. */
PTQ_API int ptq_eval_top_k(const float *scores, int n, int k, int *idx_out);

#ifdef __cplusplus
}
#endif

#endif
