/* ptq: post-training INT8 quantization toolkit — command-line entry point. */
#include <stdarg.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cli_command commands[] = {
    {"info", cmd_info, "describe a model: inputs, outputs, opset, operators, parameters, MACs"},
    {"eval", cmd_eval, "measure top-1/top-5 accuracy on a labelled image set (diagnoses preprocessing mistakes)"},
    {"run", cmd_run, "run a model on .npy inputs and print the top-5 classes"},
    {"quantize", cmd_quantize, "post-training INT8 quantization (POT DefaultQuantization) to a QDQ ONNX model"},
    {"bench", cmd_bench, "measure latency, throughput and peak memory of a model"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: ptq <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\nRun 'ptq <command> --help' for the options of a command.\n");
}

int cli_fail(const char *context)
{
    fprintf(stderr, "ptq: %s%s%s\n", context ? context : "", context ? ": " : "", ptq_last_error());
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ptq %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nRun 'ptq %s --help' for usage.\n", cmd);
    return 2;
}

int cli_parse_shape(const char *s, int64_t *dims)
{
    int rank = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || rank >= PTQ_MAX_DIMS) return -1;
        dims[rank++] = v;
        if (*end == 'x' || *end == 'X' || *end == ',') end++;
        else if (*end) return -1;
        p = end;
    }
    return rank > 0 ? rank : -1;
}

bool cli_parse_backend(const char *s, ptq_backend *out)
{
    if (strcmp(s, "ref") == 0) *out = PTQ_BACKEND_REF;
    else if (strcmp(s, "dnnl") == 0) *out = PTQ_BACKEND_DNNL;
    else return false;
    return true;
}

const char *cli_option_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != 0) return NULL;
    if (*i + 1 >= argc) return NULL;
    return argv[++*i];
}

/* oneDNN runs on OpenMP (libgomp), whose idle threads spin for a long time
 * (300,000 rounds) before sleeping. When another process takes a core, every
 * layer's barrier then stalls: on a busy 2-core machine ResNet-50 INT8 went
 * from 14 ms to 270 ms median. A short spin keeps the idle-machine latency
 * (measured, ResNet-50 INT8 224x224 batch 1, 2 threads: default 7.5 ms,
 * 3000 rounds 7.7 ms, passive 8.4 ms) and behaves well under load (two busy
 * processes: 3000 rounds 20 ms, passive 34 ms, default 10x worse). libgomp
 * reads its settings once, when it is loaded, so unless the user chose,
 * set the spin count and re-execute this program once. */
static void prefer_short_openmp_spin(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    if (setenv("GOMP_SPINCOUNT", "3000", 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* Re-execution failed: carry on with the default policy. */
}

/* Evaluation and calibration create and free tensors of up to tens of MB
 * per batch (the statistics pass copies out ~100 activations). glibc serves
 * blocks above 128 KB-32 MB with fresh mmaps and trims its heap after
 * frees, so every batch paid page faults and zero-filling again: half of the
 * statistics time of ResNet-50 at 224x224 (100 images: 33.5 s, with the
 * settings below 14.1 s). Unless the user tunes malloc, keep blocks up to
 * 32 MB (glibc's maximum) on the heap and up to 1 GB of freed heap. */
static void keep_freed_buffers(void)
{
    if (getenv("GLIBC_TUNABLES") || getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_")) return;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

int main(int argc, char **argv)
{
    prefer_short_openmp_spin(argv);
    keep_freed_buffers();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ptq: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
