#ifndef PTQ_TOOLS_CLI_UTIL_H
#define PTQ_TOOLS_CLI_UTIL_H

#include <cjson/cJSON.h>
#include "cli.h"

/* Writes JSON atomically (temporary file, then rename); returns 0 or 1. */
int cli_write_json(cJSON *root, const char *path);
/* Reads a labels file (one name per line); NULL if unreadable. */
char **cli_read_labels(const char *path, int *count_out);
void cli_free_labels(char **labels, int n);
/* Indices of the k largest scores, best first. */
void cli_top_k(const float *scores, int n, int k, int *idx_out);
/* Prints the top-5 classes of a [N, C] or [C] float output. */
void cli_print_top5(const ptq_tensor *t, char **labels, int n_labels);
/* "1x3xheightxwidth" */
void cli_format_dims(const ptq_value_info *info, char *buf, size_t size);

#endif
