/* The ptq command-line tool: one file per subcommand, a table in main.c. */
#ifndef PTQ_TOOLS_CLI_H
#define PTQ_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include "ptq/ptq.h"

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_quantize_pot(int argc, char **argv); /* ptq quantize -c CONFIG.json (POT configs) */
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Prints "ptq: <context>: <last error>" to stderr and returns exit code 1. */
int cli_fail(const char *context);
/* Prints a usage error and returns exit code 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses "1x3x224x224" into dims; returns rank or -1. */
int cli_parse_shape(const char *s, int64_t *dims);
/* Parses --backend ref|dnnl; returns false on a bad value. */
bool cli_parse_backend(const char *s, ptq_backend *out);
/* Matches "--name value" or "--name=value"; advances *i; NULL if no match. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name);

#endif
