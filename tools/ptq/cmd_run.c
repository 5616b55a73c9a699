/* ptq run: run a model on NumPy inputs, write outputs, print top-5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_preprocess.h"
#include "cli_util.h"

static const char *usage_text =
    "usage: ptq run MODEL [NAME=]INPUT.npy ... [-o OUT.npy | --output-dir DIR]\n"
    "               [--labels FILE] [--backend ref|dnnl] [--threads N]\n"
    "       ptq run MODEL IMAGE.png|IMAGE.jpg ... [preprocessing options] [...]\n"
    "\n"
    "Runs MODEL on NumPy .npy inputs (float32, uint8, int8, int32, int64, ...).\n"
    "Inputs are given in graph-input order, or by name as NAME=FILE. The shapes of\n"
    "the inputs bind the model's dynamic dimensions.\n"
    "Image files (PNG, JPEG; anything that is not .npy) are preprocessed for the\n"
    "model's single input and run as one batch, like `ptq eval` does:\n"
    "  --preset NAME  --resize N  --resize-exact HxW  --crop N|HxW  --scale S\n"
    "  --mean a,b,c  --std a,b,c  --bgr  --rgb  --layout nchw|nhwc  --interp opencv|pillow\n"
    "  -o OUT.npy          write the first output\n"
    "  --output-dir DIR    write every output as DIR/<output name>.npy\n"
    "  --labels FILE       class names, one per line, for the top-5 listing\n"
    "  --backend ref|dnnl  reference kernels or oneDNN (default: the fastest)\n"
    "  --threads N         threads (default: all cores)\n";

#define MAX_INPUTS 16

/* .npy files start with "\x93NUMPY"; everything else is tried as an image. */
static int is_npy(const char *spec)
{
    const char *eq = strchr(spec, '=');
    FILE *f = fopen(spec, "rb");
    if (!f && eq) f = fopen(eq + 1, "rb");
    if (!f) { /* let the loader report the missing file */
        size_t n = strlen(spec);
        return n >= 4 && strcmp(spec + n - 4, ".npy") == 0;
    }
    unsigned char magic[6] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return got == 6 && memcmp(magic, "\x93NUMPY", 6) == 0;
}

/* Preprocesses image files into one N x C x H x W (or NHWC) batch. */
static int load_images(const ptq_model *model, const cli_pp_opts *ppo, const char *const *paths, int n,
                       ptq_tensor **batch_out)
{
    ptq_preprocess pp;
    int rc = cli_pp_build(model, ppo, &pp, "run");
    if (rc) return rc;
    ptq_input_shape shape = {0};
    shape.rank = 4;
    shape.dims[0] = n;
    if (pp.layout == PTQ_LAYOUT_NHWC) {
        shape.dims[1] = pp.model_h, shape.dims[2] = pp.model_w, shape.dims[3] = pp.channels;
    } else {
        shape.dims[1] = pp.channels, shape.dims[2] = pp.model_h, shape.dims[3] = pp.model_w;
    }
    if (ptq_tensor_create(PTQ_DTYPE_FLOAT32, 4, shape.dims, batch_out)) return cli_fail(NULL);
    size_t one = ptq_preprocess_output_size(&pp);
    char desc[512];
    ptq_preprocess_describe(&pp, desc, sizeof desc);
    fprintf(stderr, "preprocessing: %s\n", desc);
    for (int i = 0; i < n; i++) {
        if (ptq_preprocess_file(&pp, paths[i], (float *)(*batch_out)->data + (size_t)i * one)) return cli_fail(NULL);
        if (n > 1) fprintf(stderr, "item %d: %s\n", i, paths[i]);
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    const char *model_path = NULL, *out_path = NULL, *out_dir = NULL, *labels_path = NULL, *v;
    const char *in_spec[MAX_INPUTS];
    int n_specs = 0;
    cli_pp_opts ppo;
    memset(&ppo, 0, sizeof ppo);
    ptq_session_params params = ptq_session_params_default();
    for (int i = 1; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if ((r = cli_pp_collect(&ppo, argc, argv, &i, "run"))) {
            if (r < 0) return 2;
        } else if ((v = cli_option_value(argc, argv, &i, "-o")) || (v = cli_option_value(argc, argv, &i, "--output"))) {
            out_path = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--output-dir"))) {
            out_dir = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--labels"))) {
            labels_path = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--backend"))) {
            if (!cli_parse_backend(v, &params.backend)) return cli_usage_error("run", "bad --backend '%s' (ref or dnnl)", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--threads"))) {
            char *end;
            long t = strtol(v, &end, 10);
            if (*end || t < 1 || t > 1024) return cli_usage_error("run", "bad --threads '%s'", v);
            params.threads = (int)t;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("run", "unknown option '%s' (or missing value)", argv[i]);
        } else if (!model_path) {
            model_path = argv[i];
        } else if (n_specs < MAX_INPUTS) {
            in_spec[n_specs++] = argv[i];
        } else {
            return cli_usage_error("run", "too many inputs");
        }
    }
    if (!model_path) return cli_usage_error("run", "missing MODEL");
    if (n_specs == 0) return cli_usage_error("run", "missing INPUT.npy or IMAGE");
    if (out_path && out_dir) return cli_usage_error("run", "give either -o or --output-dir, not both");

    int rc = 1, n_in = 0, n_out = 0, n_labels = 0;
    ptq_model *model = NULL;
    ptq_session *session = NULL;
    ptq_tensor *inputs[MAX_INPUTS] = {0}, **outputs = NULL;
    char **labels = NULL;
    ptq_input_shape shapes[MAX_INPUTS];
    if (ptq_model_load(model_path, &model)) {
        rc = cli_fail(NULL);
        goto done;
    }
    n_in = ptq_model_input_count(model);
    n_out = ptq_model_output_count(model);
    int n_images = 0;
    for (int s = 0; s < n_specs; s++) n_images += !is_npy(in_spec[s]);
    if (n_images > 0) {
        if (n_images != n_specs || n_in != 1) {
            rc = cli_usage_error("run", "image files need a model with one input and no .npy inputs beside them");
            goto done;
        }
        if ((rc = load_images(model, &ppo, in_spec, n_specs, &inputs[0]))) goto done;
        rc = 1;
    } else if (ppo.n > 0) {
        rc = cli_usage_error("run", "preprocessing options apply to image inputs only");
        goto done;
    } else if (n_specs != n_in) {
        rc = cli_usage_error("run", "%s takes %d input(s), %d given", model_path, n_in, n_specs);
        goto done;
    }
    for (int s = 0; s < n_specs && n_images == 0; s++) {
        /* NAME=FILE binds by name; otherwise by position. */
        const char *eq = strchr(in_spec[s], '=');
        int slot = s;
        const char *file = in_spec[s];
        if (eq) {
            slot = -1;
            for (int i = 0; i < n_in; i++) {
                ptq_value_info info;
                ptq_model_input_info(model, i, &info);
                if (strlen(info.name) == (size_t)(eq - in_spec[s]) && strncmp(info.name, in_spec[s], (size_t)(eq - in_spec[s])) == 0)
                    slot = i;
            }
            if (slot < 0) {
                rc = cli_usage_error("run", "model has no input named '%.*s'", (int)(eq - in_spec[s]), in_spec[s]);
                goto done;
            }
            file = eq + 1;
        }
        if (inputs[slot]) {
            rc = cli_usage_error("run", "input %d given twice", slot);
            goto done;
        }
        if (ptq_tensor_load_npy(file, &inputs[slot])) {
            rc = cli_fail(NULL);
            goto done;
        }
    }
    for (int i = 0; i < n_in; i++) {
        ptq_value_info info;
        ptq_model_input_info(model, i, &info);
        if (!inputs[i]) {
            rc = cli_usage_error("run", "input '%s' not given", info.name);
            goto done;
        }
        shapes[i].name = info.name;
        shapes[i].rank = inputs[i]->rank;
        memcpy(shapes[i].dims, inputs[i]->dims, sizeof shapes[i].dims);
    }
    params.n_input_shapes = n_in;
    params.input_shapes = shapes;
    if (ptq_session_create(model, &params, &session)) {
        rc = cli_fail(model_path);
        goto done;
    }
    outputs = calloc((size_t)n_out + 1, sizeof *outputs);
    if (!outputs || ptq_session_run(session, n_in, (const ptq_tensor *const *)inputs, n_out, outputs)) {
        rc = cli_fail(model_path);
        goto done;
    }
    if (labels_path && !(labels = cli_read_labels(labels_path, &n_labels))) {
        fprintf(stderr, "ptq: cannot read labels file %s (missing, unreadable or empty)\n", labels_path);
        rc = 1;
        goto done;
    }
    for (int i = 0; i < n_out; i++) {
        ptq_value_info info;
        ptq_model_output_info(model, i, &info);
        printf("output '%s': %s [", info.name, ptq_dtype_name(outputs[i]->dtype));
        for (int d = 0; d < outputs[i]->rank; d++) printf("%s%lld", d ? "x" : "", (long long)outputs[i]->dims[d]);
        printf("]\n");
        if (i == 0) cli_print_top5(outputs[i], labels, n_labels);
    }
    if (out_path && ptq_tensor_save_npy(outputs[0], out_path)) {
        rc = cli_fail(NULL);
        goto done;
    }
    if (out_dir) {
        mkdir(out_dir, 0777);
        for (int i = 0; i < n_out; i++) {
            ptq_value_info info;
            ptq_model_output_info(model, i, &info);
            char path[4096];
            /* Output names may contain '/', which cannot be part of a file name. */
            char safe[1024];
            snprintf(safe, sizeof safe, "%s", info.name);
            for (char *c = safe; *c; c++)
                if (*c == '/') *c = '_';
            snprintf(path, sizeof path, "%s/%s.npy", out_dir, safe);
            if (ptq_tensor_save_npy(outputs[i], path)) {
                rc = cli_fail(NULL);
                goto done;
            }
        }
    }
    rc = 0;
done:
    for (int i = 0; outputs && i < n_out; i++) ptq_tensor_destroy(outputs[i]);
    free(outputs);
    for (int i = 0; i < MAX_INPUTS; i++) ptq_tensor_destroy(inputs[i]);
    cli_free_labels(labels, n_labels);
    ptq_session_destroy(session);
    ptq_model_destroy(model);
    return rc;
}
