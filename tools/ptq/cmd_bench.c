/* ptq bench: latency, throughput and peak memory of one model on one backend.
 *
 * Method: one session, one seeded random input, --warmup untimed runs, then
 * timed runs (CLOCK_MONOTONIC around each ptq_session_run, output tensors
 * freed outside the timed region) until --seconds have elapsed (at least one
 * run). Latency statistics are over the timed runs; throughput is total
 * images / total timed time (runs are sequential, so this is batch / mean
 * latency). Peak RSS is the process high-water mark (VmHWM), which includes
 * the loaded model and the compiled plan. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"

static const char *usage_text =
    "usage: ptq bench MODEL [--shape 1x3x224x224] [--batch N] [--threads N]\n"
    "                 [--seconds S] [--warmup N] [--seed N] [--backend ref|dnnl]\n"
    "                 [--profile] [--json FILE|-]\n"
    "\n"
    "Measures inference latency, throughput and peak memory of MODEL on a seeded\n"
    "random input.\n"
    "  --shape DIMS        shape of the first input (default: the model's; a dynamic\n"
    "                      batch is 1 and dynamic spatial dims of a rank-4 input 224)\n"
    "  --batch N           override the first dimension of the shape\n"
    "  --threads N         threads (default: all cores)\n"
    "  --seconds S         timed duration, at least one run (default 5)\n"
    "  --warmup N          untimed runs first (default 3)\n"
    "  --seed N            seed of the random input (default 1)\n"
    "  --backend ref|dnnl  reference kernels or oneDNN (default: the fastest)\n"
    "  --profile           then time each layer (up to 20 more runs, oneDNN backend)\n"
    "                      and print its share of the summed layer time\n"
    "  --json FILE         also write the results as JSON ('-': standard output)\n"
    "\n"
    "Latency: min / median / p90 of the timed runs, in ms. Throughput (images/s):\n"
    "total images / total timed time. Peak RSS: the process high-water mark.\n"
    "Precision: int8 when the model has QuantizeLinear/DequantizeLinear (or other\n"
    "integer) nodes, else fp32.\n";

#define MAX_INPUTS 16

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform values: floats in [-1, 1), integers over a small non-negative range
 * (valid as indices and as quantized data). */
static void fill_random(ptq_tensor *t, uint64_t *state)
{
    int64_t n = ptq_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = splitmix64(state);
        double u = (double)(r >> 11) * (1.0 / 9007199254740992.0);
        switch (t->dtype) {
        case PTQ_DTYPE_FLOAT32: ((float *)t->data)[i] = (float)(2.0 * u - 1.0); break;
        case PTQ_DTYPE_FLOAT64: ((double *)t->data)[i] = 2.0 * u - 1.0; break;
        case PTQ_DTYPE_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)(r & 0xff); break;
        case PTQ_DTYPE_INT8: ((int8_t *)t->data)[i] = (int8_t)(r & 0x7f); break;
        case PTQ_DTYPE_INT32: ((int32_t *)t->data)[i] = (int32_t)(r & 0x7); break;
        case PTQ_DTYPE_INT64: ((int64_t *)t->data)[i] = (int64_t)(r & 0x7); break;
        case PTQ_DTYPE_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)(r & 1); break;
        default: break; /* left zero-filled */
        }
    }
}

static const char *model_precision(const ptq_model *model)
{
    static const char *const int_ops[] = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul",
                                          "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"};
    for (int i = 0; i < ptq_model_node_count(model); i++) {
        const char *op = ptq_model_node_op_type(model, i);
        for (size_t k = 0; op && k < sizeof int_ops / sizeof int_ops[0]; k++)
            if (strcmp(op, int_ops[k]) == 0) return "int8";
    }
    return "fp32";
}

/* Peak resident set size in MiB: VmHWM, else ru_maxrss (KiB on Linux). */
static double peak_rss_mib(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (fp && fgets(line, sizeof line, fp))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    if (fp) fclose(fp);
    if (kib < 0) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0) kib = ru.ru_maxrss;
    }
    return kib < 0 ? 0.0 : (double)kib / 1024.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values, p in [0, 100]. */
static double percentile(const double *sorted, int n, double p)
{
    int k = (int)ceil(p / 100.0 * n) - 1;
    if (k < 0) k = 0;
    if (k > n - 1) k = n - 1;
    return sorted[k];
}

static double median(const double *sorted, int n)
{
    return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

static const char *backend_name(ptq_backend b)
{
    return b == PTQ_BACKEND_REF ? "ref" : b == PTQ_BACKEND_DNNL ? "dnnl" : "default";
}

/* Per-layer profile: separate runs after the timed ones (timing every layer
 * synchronizes after it, which would bias the latency figures). Prints the
 * layers in execution order with their share of the summed layer time. */
static int run_profile(FILE *out, ptq_session *session, int n_in, ptq_tensor **inputs, int n_out, ptq_tensor **outputs,
                       int runs, cJSON *root)
{
    if (ptq_session_set_profiling(session, 1) != PTQ_STATUS_OK) {
        fprintf(out, "profile not available for this backend\n");
        if (root) cJSON_AddNullToObject(root, "profile");
        return 0;
    }
    for (int r = 0; r < runs; r++) {
        if (ptq_session_run(session, n_in, (const ptq_tensor *const *)inputs, n_out, outputs)) return 1;
        for (int o = 0; o < n_out; o++) {
            ptq_tensor_destroy(outputs[o]);
            outputs[o] = NULL;
        }
    }
    int n = ptq_session_get_profile_count(session);
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        ptq_profile_entry e;
        if (ptq_session_get_profile_entry(session, i, &e) == PTQ_STATUS_OK && e.runs > 0) total += e.total_ms / e.runs;
    }
    fprintf(out, "\nper-layer profile (%d runs, ms per run, share of the %.3f ms summed over layers):\n", runs, total);
    fprintf(out, "  %4s  %-36s %-14s %9s %7s %7s\n", "#", "layer", "kind", "ms", "share", "cumul");
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "profile") : NULL;
    double cumul = 0.0;
    for (int i = 0; i < n; i++) {
        ptq_profile_entry e;
        if (ptq_session_get_profile_entry(session, i, &e) != PTQ_STATUS_OK) continue;
        double ms = e.runs > 0 ? e.total_ms / e.runs : 0.0, share = total > 0 ? 100.0 * ms / total : 0.0;
        cumul += share;
        fprintf(out, "  %4d  %-36.36s %-14.14s %9.3f %6.2f%% %6.1f%%\n", i, e.name, e.kind, ms, share, cumul);
        if (arr) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", e.name);
            cJSON_AddStringToObject(o, "kind", e.kind);
            cJSON_AddNumberToObject(o, "ms", ms);
            cJSON_AddNumberToObject(o, "share", share / 100.0);
            cJSON_AddItemToArray(arr, o);
        }
    }
    ptq_session_set_profiling(session, 0); /* also resets the accumulators */
    return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    const char *model_path = NULL, *json_path = NULL, *v;
    ptq_session_params params = ptq_session_params_default();
    ptq_input_shape shape = {0};
    bool have_shape = false, profile = false;
    long batch = 0, threads = 0, warmup = 3, seed = 1;
    double seconds = 5.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if ((v = cli_option_value(argc, argv, &i, "--shape"))) {
            shape.rank = cli_parse_shape(v, shape.dims);
            if (shape.rank < 0) return cli_usage_error("bench", "bad --shape '%s' (expected e.g. 1x3x224x224)", v);
            have_shape = true;
        } else if ((v = cli_option_value(argc, argv, &i, "--batch"))) {
            if (parse_long(v, 1, 1 << 20, &batch)) return cli_usage_error("bench", "bad --batch '%s'", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--threads"))) {
            if (parse_long(v, 1, 1024, &threads)) return cli_usage_error("bench", "bad --threads '%s'", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--warmup"))) {
            if (parse_long(v, 0, 1 << 20, &warmup)) return cli_usage_error("bench", "bad --warmup '%s'", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--seed"))) {
            if (parse_long(v, 0, 0x7fffffffL, &seed)) return cli_usage_error("bench", "bad --seed '%s'", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--seconds"))) {
            char *end;
            seconds = strtod(v, &end);
            if (end == v || *end || !(seconds >= 0.0) || seconds > 86400.0)
                return cli_usage_error("bench", "bad --seconds '%s'", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--backend"))) {
            if (!cli_parse_backend(v, &params.backend)) return cli_usage_error("bench", "bad --backend '%s' (ref or dnnl)", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--json"))) {
            json_path = v;
        } else if (strcmp(argv[i], "--profile") == 0) {
            profile = true;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("bench", "unknown option '%s' (or missing value)", argv[i]);
        } else if (!model_path) {
            model_path = argv[i];
        } else {
            return cli_usage_error("bench", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!model_path) return cli_usage_error("bench", "missing MODEL");
    params.threads = (int)threads;
    if (threads == 0) threads = sysconf(_SC_NPROCESSORS_ONLN); /* what the session uses */
    /* With --json - the report goes to stdout; the human summary to stderr. */
    FILE *out = json_path && strcmp(json_path, "-") == 0 ? stderr : stdout;

    int rc = 1, n_in = 0, n_out = 0, n_runs = 0, cap = 0;
    ptq_model *model = NULL;
    ptq_session *session = NULL;
    ptq_tensor *inputs[MAX_INPUTS] = {0}, **outputs = NULL;
    ptq_input_shape shapes[MAX_INPUTS];
    double *lat = NULL;
    cJSON *root = NULL;
    char shape_text[256] = "";

    if (ptq_model_load(model_path, &model)) {
        rc = cli_fail(NULL);
        goto done;
    }
    n_in = ptq_model_input_count(model);
    n_out = ptq_model_output_count(model);
    if (n_in < 1 || n_in > MAX_INPUTS) {
        fprintf(stderr, "ptq bench: %s has %d inputs (1 to %d supported)\n", model_path, n_in, MAX_INPUTS);
        goto done;
    }
    /* Bind every input: the first from --shape/--batch, the others must be static. */
    for (int i = 0; i < n_in; i++) {
        ptq_value_info info;
        if (ptq_model_input_info(model, i, &info)) {
            rc = cli_fail(model_path);
            goto done;
        }
        shapes[i].name = info.name;
        if (i == 0 && have_shape) {
            if (info.rank >= 0 && info.rank != shape.rank) { /* rank -1: the model gives no shape */
                rc = cli_usage_error("bench", "--shape has rank %d, input '%s' has rank %d", shape.rank, info.name, info.rank);
                goto done;
            }
            shapes[i].rank = shape.rank;
            memcpy(shapes[i].dims, shape.dims, sizeof shapes[i].dims);
        } else {
            if (info.rank < 0) {
                rc = cli_usage_error("bench", "input '%s' has no shape in the model: give --shape", info.name);
                goto done;
            }
            shapes[i].rank = info.rank;
            for (int d = 0; d < info.rank; d++) {
                int64_t dim = info.dims[d];
                if (dim < 0 && i == 0 && d == 0) dim = 1;
                else if (dim < 0 && i == 0 && info.rank == 4 && d >= 2) dim = 224;
                if (dim < 0) {
                    rc = cli_usage_error("bench", "input '%s' has dynamic dimension %d: give --shape", info.name, d);
                    goto done;
                }
                shapes[i].dims[d] = dim;
            }
        }
        if (i == 0 && batch > 0) {
            if (shapes[i].rank < 1) {
                rc = cli_usage_error("bench", "--batch needs an input of rank >= 1");
                goto done;
            }
            shapes[i].dims[0] = batch;
        }
        if (ptq_tensor_create(info.dtype, shapes[i].rank, shapes[i].dims, &inputs[i])) {
            rc = cli_fail(model_path);
            goto done;
        }
    }
    for (int d = 0; d < shapes[0].rank; d++) {
        size_t len = strlen(shape_text);
        snprintf(shape_text + len, sizeof shape_text - len, "%s%lld", d ? "x" : "", (long long)shapes[0].dims[d]);
    }
    uint64_t state = (uint64_t)seed;
    for (int i = 0; i < n_in; i++) fill_random(inputs[i], &state);

    params.n_input_shapes = n_in;
    params.input_shapes = shapes;
    double t_create = now_seconds();
    if (ptq_session_create(model, &params, &session)) {
        rc = cli_fail(model_path);
        goto done;
    }
    t_create = now_seconds() - t_create;
    outputs = calloc((size_t)n_out + 1, sizeof *outputs);
    if (!outputs) {
        fprintf(stderr, "ptq bench: out of memory\n");
        goto done;
    }

    const int64_t images_per_run = shapes[0].rank > 0 ? shapes[0].dims[0] : 1;
    double timed_total = 0.0;
    for (long w = 0;; w++) {
        bool timed = w >= warmup;
        if (timed && n_runs > 0 && (timed_total >= seconds || n_runs == (1 << 30))) break;
        double t0 = now_seconds();
        ptq_status st = ptq_session_run(session, n_in, (const ptq_tensor *const *)inputs, n_out, outputs);
        double dt = now_seconds() - t0;
        if (st) {
            rc = cli_fail(model_path);
            goto done;
        }
        for (int o = 0; o < n_out; o++) {
            ptq_tensor_destroy(outputs[o]);
            outputs[o] = NULL;
        }
        if (!timed) continue;
        if (n_runs == cap) {
            int ncap = cap ? 2 * cap : 256;
            double *nl = realloc(lat, (size_t)ncap * sizeof *nl);
            if (!nl) {
                fprintf(stderr, "ptq bench: out of memory\n");
                goto done;
            }
            lat = nl;
            cap = ncap;
        }
        lat[n_runs++] = dt * 1e3;
        timed_total += dt;
    }

    qsort(lat, (size_t)n_runs, sizeof *lat, cmp_double);
    double sum = 0.0;
    for (int i = 0; i < n_runs; i++) sum += lat[i];
    const double l_min = lat[0], l_med = median(lat, n_runs), l_p90 = percentile(lat, n_runs, 90.0);
    const double l_max = lat[n_runs - 1], l_mean = sum / n_runs;
    const double ips = (double)images_per_run * n_runs / timed_total;
    const double rss = peak_rss_mib();
    const char *precision = model_precision(model);
    ptq_model_stats stats;
    bool have_stats = ptq_session_stats(session, &stats) == PTQ_STATUS_OK && stats.macs > 0;

    fprintf(out, "model:      %s\n", model_path);
    fprintf(out, "shape:      %s (batch %lld), %s, backend %s, threads %ld\n", shape_text, (long long)images_per_run,
            precision, backend_name(params.backend), threads);
    fprintf(out, "runs:       %d timed in %.3f s after %ld warm-up (session create %.3f s)\n", n_runs, timed_total,
            warmup, t_create);
    fprintf(out, "latency ms: min %.3f  median %.3f  p90 %.3f  (mean %.3f, max %.3f)\n", l_min, l_med, l_p90, l_mean,
            l_max);
    fprintf(out, "throughput: %.2f images/s (total images / total time)\n", ips);
    if (have_stats)
        fprintf(out, "compute:    %.4g GMAC per run, %.3g GMAC/s at the median\n", stats.macs / 1e9,
                stats.macs / 1e9 / (l_med / 1e3));
    fprintf(out, "peak RSS:   %.1f MiB\n", rss);

    if (json_path) {
        root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "model", model_path);
        cJSON_AddStringToObject(root, "shape", shape_text);
        cJSON_AddNumberToObject(root, "batch", (double)images_per_run);
        cJSON_AddNumberToObject(root, "threads", (double)threads);
        cJSON_AddStringToObject(root, "backend", backend_name(params.backend));
        cJSON_AddStringToObject(root, "precision", precision);
        cJSON *l = cJSON_AddObjectToObject(root, "latency_ms");
        cJSON_AddNumberToObject(l, "min", l_min);
        cJSON_AddNumberToObject(l, "median", l_med);
        cJSON_AddNumberToObject(l, "p90", l_p90);
        cJSON_AddNumberToObject(l, "mean", l_mean);
        cJSON_AddNumberToObject(l, "max", l_max);
        cJSON_AddNumberToObject(root, "images_per_second", ips);
        cJSON_AddStringToObject(root, "throughput_basis", "total_images/total_time");
        cJSON_AddNumberToObject(root, "runs", n_runs);
        cJSON_AddNumberToObject(root, "warmup", (double)warmup);
        cJSON_AddNumberToObject(root, "seconds", timed_total);
        cJSON_AddNumberToObject(root, "session_create_seconds", t_create);
        cJSON_AddNumberToObject(root, "peak_rss_mib", rss);
        if (have_stats) {
            cJSON_AddNumberToObject(root, "macs", (double)stats.macs);
            cJSON_AddNumberToObject(root, "gmacs_per_second", stats.macs / 1e9 / (l_med / 1e3));
        } else {
            cJSON_AddNullToObject(root, "macs");
            cJSON_AddNullToObject(root, "gmacs_per_second");
        }
    }
    if (profile && run_profile(out, session, n_in, inputs, n_out, outputs, n_runs < 20 ? n_runs : 20, root)) {
        rc = cli_fail(model_path);
        goto done;
    }

    rc = 0;
    if (root && strcmp(json_path, "-") == 0) {
        char *text = cJSON_Print(root);
        if (!text || printf("%s\n", text) < 0) rc = 1;
        free(text);
    } else if (root) {
        rc = cli_write_json(root, json_path);
    }
done:
    cJSON_Delete(root);
    free(lat);
    for (int o = 0; outputs && o < n_out; o++) ptq_tensor_destroy(outputs[o]);
    free(outputs);
    for (int i = 0; i < MAX_INPUTS; i++) ptq_tensor_destroy(inputs[i]);
    ptq_session_destroy(session);
    ptq_model_destroy(model);
    return rc;
}
