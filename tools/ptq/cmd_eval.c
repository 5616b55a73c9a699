/* ptq eval: top-1/top-5 accuracy of a classifier on a labelled image set,
 * with a diagnosis of preprocessing and label mistakes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_preprocess.h"
#include "cli_util.h"
#include "ptq/eval.h"

static const char *usage_text =
    "usage: ptq eval MODEL --data LIST_OR_FOLDER [options]\n"
    "       ptq eval -c CONFIG.yml [-m MODEL_OR_DIR] [options]\n"
    "\n"
    "Measures top-1 and top-5 accuracy of an image classifier. The data is an\n"
    "annotation list ('relative/path label' per line, paths relative to --root or\n"
    "the list's directory) or a folder with one subfolder per class. When top-1 is\n"
    "at chance level (or below --expect) the usual mistakes are probed on a small\n"
    "subset and the option that fixes them is printed.\n"
    "\n"
    "  --data LIST|DIR      annotation list or class-folder root\n"
    "  --root DIR           image root for the list (default: the list's directory)\n"
    "  --labels FILE        class names, one per line (index = line)\n"
    "  --label-offset K     add K to every label (-1 for 1-based lists)\n"
    "  --limit N            only the first N images\n"
    "  --batch N            images per inference (default 8; a model whose input\n"
    "                       fixes the batch runs with that batch)\n"
    "  --threads N          inference threads (default: all cores)\n"
    "  --loader-threads N   decoding threads (default: one per core)\n"
    "  --backend ref|dnnl   reference kernels or oneDNN (default: the fastest)\n"
    "  --skip-bad-images    count and skip unreadable images instead of failing\n"
    "  --expect TOP1        expected top-1 (0..1 or a percentage); diagnose when far below\n"
    "  --diagnose           always run the diagnosis;  --no-diagnose: never\n"
    "  --probe-images N     images of the diagnosis subset (default 200)\n"
    "  --json FILE          write the report as JSON\n"
    "  -c, --config FILE    Accuracy Checker YAML (models/datasets/launchers)\n"
    "  -m, --model PATH     model file or a directory holding it (with -c)\n"
    "\n"
    "Preprocessing (applied in order, after the config's or the default recipe):\n"
    "  --preset torchvision|paddleclas|caffe|none   a whole recipe for the model's size\n"
    "  --resize N | --resize-exact HxW   --crop N|HxW   --interp opencv|pillow\n"
    "  --scale S (or 1/255)   --mean a,b,c   --std a,b,c   --bgr | --rgb\n"
    "  --layout nchw|nhwc\n"
    "Default: resize exactly to the model's input size, RGB, no normalization.\n"
    "A model with a dynamic input size takes it from --crop (else --resize-exact).\n";

typedef struct progress_state {
    int tty;
    double start, last;
    int64_t last_done;
    int pass;
} progress_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_progress(void *user, int64_t done, int64_t total)
{
    progress_state *p = user;
    double t = now_s();
    if (p->last_done < 0 || done < p->last_done || p->pass == 0) { /* a new pass (the diagnosis probes run their own) */
        p->pass++;
        p->start = t;
        p->last = 0;
        if (p->pass == 2) fprintf(stderr, "ptq eval: accuracy looks wrong; probing the usual mistakes...\n");
    }
    p->last_done = done;
    double el = t - p->start, rate = el > 0 ? (double)done / el : 0;
    if (p->tty) {
        int width = 30, fill = total > 0 ? (int)(width * done / total) : 0;
        char bar[64];
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        fprintf(stderr, "\r[%s] %lld/%lld images  %5.1f img/s", bar, (long long)done, (long long)total, rate);
        if (done >= total) fputc('\n', stderr), p->last_done = -1;
        fflush(stderr);
    } else if (t - p->last >= 10.0 || done >= total) {
        if (p->last > 0 || done >= total)
            fprintf(stderr, "ptq eval: %s%.0d%s%lld/%lld images, %.1f s, %.1f img/s\n", p->pass > 1 ? "probe " : "",
                    p->pass > 1 ? p->pass - 1 : 0, p->pass > 1 ? ": " : "", (long long)done, (long long)total, el, rate);
        if (p->last == 0) p->last = t;
        else p->last = t;
        if (done >= total) p->last_done = -1;
    }
}

static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* -m DIR: the launcher's model file name inside DIR, else the only .onnx. */
static char *resolve_model(const char *m, const char *config_model)
{
    if (!is_dir(m)) return strdup(m);
    char path[4096];
    if (config_model) {
        const char *base = strrchr(config_model, '/');
        snprintf(path, sizeof path, "%s/%s", m, base ? base + 1 : config_model);
        if (access(path, R_OK) == 0) return strdup(path);
    }
    DIR *d = opendir(m);
    char *found = NULL;
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".onnx") == 0) {
            n++;
            free(found);
            snprintf(path, sizeof path, "%s/%s", m, e->d_name);
            found = strdup(path);
        }
    }
    if (d) closedir(d);
    if (n != 1) {
        fprintf(stderr, "ptq eval: %s holds %d .onnx files; give the model file with -m\n", m, n);
        free(found);
        return NULL;
    }
    return found;
}

int cmd_eval(int argc, char **argv)
{
    const char *model_arg = NULL, *data = NULL, *root = NULL, *labels = NULL, *json_path = NULL, *config_path = NULL,
               *v;
    cli_pp_opts ppo;
    memset(&ppo, 0, sizeof ppo);
    ptq_session_params sp = ptq_session_params_default();
    ptq_eval_params ep = ptq_eval_params_default();
    int64_t n;
    int have_offset = 0, user_offset = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if ((r = cli_pp_collect(&ppo, argc, argv, &i, "eval"))) {
            if (r < 0) return 2;
        } else if ((v = cli_option_value(argc, argv, &i, "--data"))) {
            data = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--root"))) {
            root = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--labels"))) {
            labels = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--label-offset"))) {
            if (parse_i64(v, -1000000, 1000000, &n)) return cli_usage_error("eval", "bad --label-offset '%s'", v);
            user_offset = (int)n;
            have_offset = 1;
        } else if ((v = cli_option_value(argc, argv, &i, "--limit"))) {
            if (parse_i64(v, 1, INT64_MAX, &n)) return cli_usage_error("eval", "bad --limit '%s'", v);
            ep.limit = n;
        } else if ((v = cli_option_value(argc, argv, &i, "--batch"))) {
            if (parse_i64(v, 1, 4096, &n)) return cli_usage_error("eval", "bad --batch '%s' (1..4096)", v);
            ep.batch = (int)n;
        } else if ((v = cli_option_value(argc, argv, &i, "--threads"))) {
            if (parse_i64(v, 1, 1024, &n)) return cli_usage_error("eval", "bad --threads '%s'", v);
            sp.threads = (int)n;
        } else if ((v = cli_option_value(argc, argv, &i, "--loader-threads"))) {
            if (parse_i64(v, 1, 1024, &n)) return cli_usage_error("eval", "bad --loader-threads '%s'", v);
            ep.threads = (int)n;
        } else if ((v = cli_option_value(argc, argv, &i, "--backend"))) {
            if (!cli_parse_backend(v, &sp.backend)) return cli_usage_error("eval", "bad --backend '%s' (ref or dnnl)", v);
        } else if (strcmp(argv[i], "--skip-bad-images") == 0) {
            ep.skip_bad_images = 1;
        } else if ((v = cli_option_value(argc, argv, &i, "--expect"))) {
            char *end;
            double e = strtod(v, &end);
            if (end == v || (*end && strcmp(end, "%") != 0) || e < 0 || e > 100)
                return cli_usage_error("eval", "bad --expect '%s' (e.g. 0.76 or 76%%)", v);
            ep.expect_top1 = (*end == '%' || e > 1) ? e / 100 : e;
        } else if ((v = cli_option_value(argc, argv, &i, "--probe-images"))) {
            if (parse_i64(v, 10, 100000, &n)) return cli_usage_error("eval", "bad --probe-images '%s' (10..100000)", v);
            ep.diagnosis_images = n;
        } else if (strcmp(argv[i], "--diagnose") == 0) {
            ep.diagnose = PTQ_EVAL_DIAGNOSE_ALWAYS;
        } else if (strcmp(argv[i], "--no-diagnose") == 0) {
            ep.diagnose = PTQ_EVAL_DIAGNOSE_NEVER;
        } else if ((v = cli_option_value(argc, argv, &i, "--json"))) {
            json_path = v;
        } else if ((v = cli_option_value(argc, argv, &i, "-c")) || (v = cli_option_value(argc, argv, &i, "--config"))) {
            config_path = v;
        } else if ((v = cli_option_value(argc, argv, &i, "-m")) || (v = cli_option_value(argc, argv, &i, "--model"))) {
            model_arg = v;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("eval", "unknown option '%s' (or missing value)", argv[i]);
        } else if (!model_arg) {
            model_arg = argv[i];
        } else {
            return cli_usage_error("eval", "unexpected argument '%s'", argv[i]);
        }
    }

    int rc = 1;
    ptq_ac_config *cfg = NULL;
    ptq_model *model = NULL;
    ptq_dataset *ds = NULL;
    ptq_eval_report *report = NULL;
    char *model_path = NULL, *json = NULL;
    cJSON *root_json = NULL;
    ptq_dataset_params dp = ptq_dataset_params_default();
    ptq_preprocess pp;
    int base_offset = 0;

    if (config_path) {
        if (ptq_ac_config_load(config_path, &cfg)) return cli_fail(NULL);
        for (int w = 0; w < cfg->n_warnings; w++) fprintf(stderr, "ptq eval: warning: %s\n", cfg->warnings[w]);
        if (!model_arg && !cfg->model) {
            rc = cli_usage_error("eval", "%s names no launcher model; give one with -m", config_path);
            goto done;
        }
        if (!data) {
            if (cfg->annotation_file) {
                dp.list_path = cfg->annotation_file;
                dp.root = root ? root : cfg->data_source;
                dp.basename_lookup = 1; /* AC's imagenet converter keeps only the file name */
            } else if (cfg->data_source) {
                dp.root = cfg->data_source;
            } else {
                rc = cli_usage_error("eval", "%s names no data; give --data", config_path);
                goto done;
            }
        }
        if (!labels) labels = cfg->labels_file;
        base_offset = cfg->has_background ? 1 : 0;
    }
    if (!model_arg && !config_path) {
        rc = cli_usage_error("eval", "missing MODEL");
        goto done;
    }
    if (!data && !config_path) {
        rc = cli_usage_error("eval", "missing --data LIST_OR_FOLDER");
        goto done;
    }
    if (data) {
        if (is_dir(data)) {
            dp.root = data;
        } else {
            dp.list_path = data;
            dp.root = root;
        }
    }
    dp.labels_path = labels;
    ep.label_offset = have_offset ? user_offset : base_offset;
    ep.annotation_path = dp.list_path;

    if (!(model_path = resolve_model(model_arg ? model_arg : cfg->model, cfg ? cfg->model : NULL))) goto done;
    if (ptq_model_load(model_path, &model)) {
        rc = cli_fail(NULL);
        goto done;
    }
    if (cfg) {
        /* The config's recipe first, then the command line's options on top. */
        cli_pp_opts none;
        memset(&none, 0, sizeof none);
        if ((rc = cli_pp_build(model, &none, &pp, "eval"))) goto done;
        ptq_preprocess c = cfg->pp;
        c.channels = pp.channels;
        c.layout = pp.layout;
        ptq_value_info info;
        if (ptq_model_input_info(model, 0, &info) == PTQ_STATUS_OK && info.rank == 4) {
            int nhwc = pp.layout == PTQ_LAYOUT_NHWC;
            int64_t h = nhwc ? info.dims[1] : info.dims[2], w = nhwc ? info.dims[2] : info.dims[3];
            if (h > 0 && w > 0) {
                c.model_h = (int)h;
                c.model_w = (int)w;
            }
        }
        pp = c;
        for (int k = 0; k < ppo.n; k++)
            if (ptq_preprocess_parse_option(&pp, ppo.opt[k], ppo.val[k])) {
                rc = cli_usage_error("eval", "%s", ptq_last_error());
                goto done;
            }
        if (ptq_preprocess_validate(&pp)) {
            rc = cli_usage_error("eval", "%s", ptq_last_error());
            goto done;
        }
    } else if ((rc = cli_pp_build(model, &ppo, &pp, "eval"))) {
        goto done;
    }
    rc = 1;
    if (ptq_dataset_open(&dp, &ds)) {
        rc = cli_fail(NULL);
        goto done;
    }
    char desc[1024];
    ptq_preprocess_describe(&pp, desc, sizeof desc);
    fprintf(stderr, "ptq eval: %s, %lld images, preprocessing: %s\n", model_path,
            (long long)(ep.limit > 0 && ep.limit < ptq_dataset_size(ds) ? ep.limit : ptq_dataset_size(ds)), desc);
    progress_state prog;
    memset(&prog, 0, sizeof prog);
    prog.tty = isatty(2);
    ep.progress = on_progress;
    ep.progress_user = &prog;
    if (ptq_evaluate(model, &sp, ds, NULL, 0, &pp, &ep, &report)) {
        if (prog.tty && prog.last_done > 0) fputc('\n', stderr);
        rc = cli_fail(NULL);
        goto done;
    }
    double secs = ptq_eval_report_seconds(report);
    int64_t images = ptq_eval_report_images(report);
    printf("accuracy@top1: %.2f%%\n", 100.0 * ptq_eval_report_top1(report));
    printf("accuracy@top5: %.2f%%\n", 100.0 * ptq_eval_report_top5(report));
    printf("images: %lld", (long long)images);
    if (ptq_eval_report_skipped(report)) printf(" (%lld skipped)", (long long)ptq_eval_report_skipped(report));
    printf("\ntime: %.2f s, %.1f images/s\n", secs, secs > 0 ? (double)images / secs : 0.0);
    int nd = ptq_eval_report_diagnosis_count(report);
    const char *summary = ptq_eval_report_diagnosis_summary(report);
    if (summary && *summary) {
        fprintf(stderr, "\n!!! %s\n", summary);
        if (nd > 0) fprintf(stderr, "    changes that help (top-1 on the probe subset, best first):\n");
        for (int i = 0; i < nd && i < 5; i++)
            fprintf(stderr, "      %.4f  %s\n              (%s)\n", ptq_eval_report_diagnosis_top1(report, i),
                    ptq_eval_report_diagnosis_change(report, i), ptq_eval_report_diagnosis_reason(report, i));
    }
    if (json_path) {
        if (ptq_eval_report_to_json(report, &json)) {
            rc = cli_fail(NULL);
            goto done;
        }
        root_json = cJSON_Parse(json);
        if (!root_json) goto done;
        cJSON_AddItemToObject(root_json, "model", cJSON_CreateString(model_path));
        cJSON_AddItemToObject(root_json, "data", cJSON_CreateString(dp.list_path ? dp.list_path : dp.root));
        if (cfg) cJSON_AddItemToObject(root_json, "config", cJSON_CreateString(config_path));
        if (cli_write_json(root_json, json_path)) goto done;
    }
    rc = 0;
done:
    cJSON_Delete(root_json);
    free(json);
    ptq_eval_report_destroy(report);
    ptq_dataset_destroy(ds);
    ptq_model_destroy(model);
    free(model_path);
    ptq_ac_config_destroy(cfg);
    return rc;
}
