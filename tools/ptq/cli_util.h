#ifndef PTQ_TOOLS_CLI_UTIL_H
#define PTQ_TOOLS_CLI_UTIL_H

#include <cjson/cJSON.h>
#include "cli.h"
#include "ptq/eval.h"

/* Writes JSON atomically (temporary file, then rename); returns 0 or 1. */
int cli_write_json(cJSON *root, const char *path);
/* Reads a labels file (one name per line); NULL if unreadable. */
char **cli_read_labels(const char *path, int *count_out);
void cli_free_labels(char **labels, int n);
/* Indices of the k largest scores, best first. */
void cli_top_k(const float *scores, int n, int k, int *idx_out);
/* Prints the top-5 classes of a [N, C] or [C] float output. */
void cli_print_top5(const ptq_tensor *t, char **labels, int n_labels);
/* Evaluates m (no diagnosis) with ep's limit, batch and label offset, saying
 * "evaluating WHAT..." on stderr; 0, or 1 after printing the error. */
int cli_evaluate(const ptq_model *m, const ptq_session_params *sp, const ptq_dataset *ds, const ptq_preprocess *pp,
                 ptq_eval_params ep, const char *what, double *top1, double *top5, int64_t *images, double *seconds);
/* "1x3xheightxwidth" */
void cli_format_dims(const ptq_value_info *info, char *buf, size_t size);

#endif
