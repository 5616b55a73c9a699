/* Conformance runner over ONNX's own operator tests (Debian libonnx-testdata).
 * Each test is a folder with model.onnx and test_data_set_N/input_K.pb, output_K.pb
 * (serialized TensorProtos). A test is run when every operator of its model
 * is in ptq's op table; tests listed in SKIPPED.md (lines "- `test_name`: why")
 * are reported as skipped with their reason. Prints one line per failure and a
 * summary "N passed, M failed"; exit status 1 if anything failed.
 *
 * usage: ptq_conformance [--backend ref|dnnl] [--data DIR] [--skip FILE] [-v] [NAME_PREFIX...] */
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "ops/kernel.h"
#include "onnx/onnx_io.h"
#include "api/internal.h"

#define MAX_IO 16

typedef struct skip_entry {
    char name[256];
    char reason[512];
} skip_entry;

static skip_entry *skips;
static int n_skips;

static void load_skips(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return;
    char line[1024];
    while (fgets(line, sizeof line, fp)) {
        char *a = strstr(line, "- `");
        if (a != line) continue;
        char *b = strchr(a + 3, '`');
        if (!b) continue;
        skips = realloc(skips, sizeof *skips * (size_t)(n_skips + 1));
        skip_entry *e = &skips[n_skips++];
        snprintf(e->name, sizeof e->name, "%.*s", (int)(b - a - 3), a + 3);
        char *r = strchr(b, ':');
        snprintf(e->reason, sizeof e->reason, "%s", r ? r + 1 : "");
        e->reason[strcspn(e->reason, "\n")] = 0;
    }
    fclose(fp);
}

static const char *skip_reason(const char *name)
{
    for (int i = 0; i < n_skips; i++)
        if (strcmp(skips[i].name, name) == 0) return skips[i].reason;
    return NULL;
}

static bool all_ops_known(const ptq_model *m)
{
    const ptq__graph *g = m->graph;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == PTQ__OP_UNKNOWN) return false;
    return g->n_nodes > 0;
}

static bool compare(const ptq_tensor *got, const ptq_tensor *want, char *why, size_t n)
{
    if (got->dtype != want->dtype) {
        snprintf(why, n, "dtype %s, expected %s", ptq_dtype_name(got->dtype), ptq_dtype_name(want->dtype));
        return false;
    }
    if (got->rank != want->rank || memcmp(got->dims, want->dims, sizeof(int64_t) * (size_t)got->rank) != 0) {
        char a[128] = "", b[128] = "";
        for (int d = 0; d < got->rank; d++) snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", d ? "x" : "", (long long)got->dims[d]);
        for (int d = 0; d < want->rank; d++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", d ? "x" : "", (long long)want->dims[d]);
        snprintf(why, n, "shape [%s], expected [%s]", a, b);
        return false;
    }
    int64_t count = ptq_tensor_numel(want);
    if (want->dtype == PTQ_DTYPE_FLOAT32 || want->dtype == PTQ_DTYPE_FLOAT64) {
        for (int64_t i = 0; i < count; i++) {
            double g = want->dtype == PTQ_DTYPE_FLOAT32 ? ((float *)got->data)[i] : ((double *)got->data)[i];
            double w = want->dtype == PTQ_DTYPE_FLOAT32 ? ((float *)want->data)[i] : ((double *)want->data)[i];
            if (isnan(w) && isnan(g)) continue;
            if (isinf(w) && g == w) continue;
            if (!(fabs(g - w) <= 1e-5 + 1e-4 * fabs(w))) {
                snprintf(why, n, "element %lld is %.9g, expected %.9g", (long long)i, g, w);
                return false;
            }
        }
        return true;
    }
    size_t bytes = (size_t)count * ptq_dtype_size(want->dtype);
    if (memcmp(got->data, want->data, bytes) != 0) {
        for (int64_t i = 0; i < count; i++) {
            double g = ptq__tensor_get_double(got, i), w = ptq__tensor_get_double(want, i);
            if (g != w) {
                snprintf(why, n, "element %lld is %g, expected %g", (long long)i, g, w);
                return false;
            }
        }
        snprintf(why, n, "bytes differ");
        return false;
    }
    return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs one test folder; returns 1 pass, 0 fail, -1 not applicable. */
static int run_test(const char *dir, const char *name, ptq_backend backend, char *why, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/model.onnx", dir, name);
    ptq_model *m = NULL;
    if (ptq_model_load(path, &m) != PTQ_STATUS_OK) {
        snprintf(why, n, "load: %s", ptq_last_error());
        return 0;
    }
    if (!all_ops_known(m)) {
        ptq_model_destroy(m);
        return -1;
    }
    int result = 1;
    for (int set = 0; result == 1; set++) {
        char setdir[4096];
        snprintf(setdir, sizeof setdir, "%s/%s/test_data_set_%d", dir, name, set);
        DIR *d = opendir(setdir);
        if (!d) break;
        closedir(d);
        int n_in = ptq_model_input_count(m), n_out = ptq_model_output_count(m);
        ptq_tensor *in[MAX_IO] = {0}, *want[MAX_IO] = {0}, *got[MAX_IO] = {0};
        ptq_input_shape shapes[MAX_IO];
        ptq_session *s = NULL;
        ptq_model *own = NULL;
        if (n_in > MAX_IO || n_out > MAX_IO) {
            snprintf(why, n, "too many inputs/outputs");
            result = 0;
            goto next;
        }
        for (int i = 0; i < n_in; i++) {
            snprintf(path, sizeof path, "%s/input_%d.pb", setdir, i);
            if (ptq__onnx_read_tensor_file(path, &in[i], NULL)) {
                snprintf(why, n, "input %d: %s", i, ptq_last_error());
                result = 0;
                goto next;
            }
            shapes[i].name = NULL;
            ptq_value_info info;
            ptq_model_input_info(m, i, &info);
            shapes[i].name = info.name;
            shapes[i].rank = in[i]->rank;
            memcpy(shapes[i].dims, in[i]->dims, sizeof shapes[i].dims);
        }
        for (int i = 0; i < n_out; i++) {
            snprintf(path, sizeof path, "%s/output_%d.pb", setdir, i);
            if (ptq__onnx_read_tensor_file(path, &want[i], NULL)) {
                snprintf(why, n, "expected output %d: %s", i, ptq_last_error());
                result = 0;
                goto next;
            }
        }
        /* ptq binds shape-like inputs (int64: Reshape shapes, axes, pads) at
         * session creation, like initializers: on a fresh copy of the model,
         * such inputs become constants and leave the input list. */
        ptq_model *rm = m;
        const ptq_tensor *run_in[MAX_IO];
        int n_run = 0;
        for (int i = 0; i < n_in; i++)
            if (in[i]->dtype == PTQ_DTYPE_INT64 && !own) {
                snprintf(path, sizeof path, "%s/%s/model.onnx", dir, name);
                if (ptq_model_load(path, &own)) {
                    snprintf(why, n, "reload: %s", ptq_last_error());
                    result = 0;
                    goto next;
                }
            }
        if (own) {
            ptq__graph *g = own->graph;
            int k = 0;
            for (int i = 0; i < n_in; i++) {
                if (in[i]->dtype == PTQ_DTYPE_INT64) {
                    g->values[g->inputs[i]].data = in[i];
                    in[i] = NULL;
                } else {
                    g->inputs[k++] = g->inputs[i];
                }
            }
            g->n_inputs = k;
            rm = own;
        }
        for (int i = 0; i < n_in; i++)
            if (in[i]) {
                shapes[n_run] = shapes[i];
                run_in[n_run++] = in[i];
            }
        ptq_session_params params = ptq_session_params_default();
        params.backend = backend;
        params.threads = 1;
        params.n_input_shapes = n_run;
        params.input_shapes = shapes;
        if (ptq_session_create(rm, &params, &s) || ptq_session_run(s, n_run, run_in, n_out, got)) {
            snprintf(why, n, "%s", ptq_last_error());
            result = 0;
            goto next;
        }
        for (int i = 0; i < n_out && result; i++) {
            char w[512];
            if (!compare(got[i], want[i], w, sizeof w)) {
                snprintf(why, n, "data set %d output %d: %s", set, i, w);
                result = 0;
            }
        }
    next:
        ptq_session_destroy(s);
        ptq_model_destroy(own);
        for (int i = 0; i < MAX_IO; i++) {
            ptq_tensor_destroy(in[i]);
            ptq_tensor_destroy(want[i]);
            ptq_tensor_destroy(got[i]);
        }
    }
    ptq_model_destroy(m);
    return result;
}

int main(int argc, char **argv)
{
    const char *data = "/usr/share/libonnx-testdata/data/node";
    const char *skip_file = NULL;
    ptq_backend backend = PTQ_BACKEND_REF;
    bool verbose = false;
    char **prefixes = calloc((size_t)argc + 1, sizeof(char *));
    int n_prefixes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            i++;
            backend = strcmp(argv[i], "dnnl") == 0 ? PTQ_BACKEND_DNNL : PTQ_BACKEND_REF;
        } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) skip_file = argv[++i];
        else if (strcmp(argv[i], "-v") == 0) verbose = true;
        else prefixes[n_prefixes++] = argv[i];
    }
    if (skip_file) load_skips(skip_file);
    DIR *d = opendir(data);
    if (!d) {
        fprintf(stderr, "ptq_conformance: cannot open %s (install libonnx-testdata)\n", data);
        return 1;
    }
    char **names = NULL;
    int n_names = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0) continue;
        bool want = n_prefixes == 0;
        for (int i = 0; i < n_prefixes && !want; i++) want = strncmp(e->d_name, prefixes[i], strlen(prefixes[i])) == 0;
        if (!want) continue;
        names = realloc(names, sizeof(char *) * (size_t)(n_names + 1));
        names[n_names++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n_names, sizeof(char *), cmp_str);
    int passed = 0, failed = 0, skipped = 0, not_applicable = 0;
    for (int i = 0; i < n_names; i++) {
        const char *reason = skip_reason(names[i]);
        char why[1024] = "";
        int r = run_test(data, names[i], backend, why, sizeof why);
        if (r < 0) {
            not_applicable++;
        } else if (reason) {
            skipped++;
            if (verbose) printf("SKIP %s:%s%s\n", names[i], reason, r == 1 ? " (but it passes now)" : "");
        } else if (r == 1) {
            passed++;
            if (verbose) printf("PASS %s\n", names[i]);
        } else {
            failed++;
            printf("FAIL %s: %s\n", names[i], why);
        }
        free(names[i]);
    }
    free(names);
    free(prefixes);
    free(skips);
    printf("%d passed, %d failed, %d skipped (listed with reasons), %d not applicable (operators outside ptq's table); backend %s\n",
           passed, failed, skipped, not_applicable, backend == PTQ_BACKEND_DNNL ? "dnnl" : "ref");
    return failed ? 1 : 0;
}
