/* Preprocessing options shared by `ptq eval` and `ptq run`: collected while
 * parsing argv, applied once the model (and so its input size) is known. */
#ifndef PTQ_TOOLS_CLI_PREPROCESS_H
#define PTQ_TOOLS_CLI_PREPROCESS_H

#include "cli.h"
#include "ptq/data.h"

#define CLI_PP_MAX 64

typedef struct cli_pp_opts {
    int n;
    const char *opt[CLI_PP_MAX]; /* "--crop" (argv strings, not copied) */
    const char *val[CLI_PP_MAX]; /* value or NULL for flags */
    char eq_buf[CLI_PP_MAX][64]; /* option names split off "--opt=value" */
} cli_pp_opts;

/* If argv[*i] is a preprocessing option (ptq_preprocess_is_option), records
 * it, advances *i over its value and returns 1; returns 0 when it is not one
 * and -1 (after printing a usage error for `cmd`) when its value is missing. */
int cli_pp_collect(cli_pp_opts *o, int argc, char **argv, int *i, const char *cmd);

/* Starts from the default recipe with channels, layout and (if static) the
 * H x W of the model's first input, applies the options in order, and takes a
 * dynamic H x W from the crop, else the exact resize, else keeps 224x224.
 * Returns 0, or prints the error and returns the exit code. */
int cli_pp_build(const ptq_model *model, const cli_pp_opts *o, ptq_preprocess *pp, const char *cmd);

#endif
