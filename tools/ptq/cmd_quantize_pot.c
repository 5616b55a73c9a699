/* ptq quantize -c CONFIG.json: OpenVINO POT's command line (`pot -c config
 * -e`) on a POT JSON config; the model is saved where POT saves it:
 * <output-dir>/<model_name>_DefaultQuantization/<timestamp>/optimized/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_util.h"
#include "ptq/eval.h"
#include "ptq/pot_config.h"
#include "ptq/quantize.h"

static const char *usage_text =
    "usage: ptq quantize -c CONFIG.json [-e] [--output-dir DIR] [options]\n"
    "\n"
    "Quantizes the model of an OpenVINO POT config (model, engine, compression\n"
    "sections; comments allowed) with DefaultQuantization. The engine is an\n"
    "Accuracy Checker YAML (engine.config) or a folder of images (type\n"
    "simplified). Unknown or unsupported keys are reported as warnings.\n"
    "\n"
    "  -c, --config FILE     the POT JSON config\n"
    "  -e, --evaluate        evaluate the FP32 and INT8 models (top-1/top-5)\n"
    "  --output-dir DIR      results directory (default ./results); the model goes to\n"
    "                        DIR/<model_name>_<algorithm>/<YYYY-MM-DD_HH-MM-SS>/optimized/\n"
    "  -d, --direct-dump     save to DIR/optimized/ without the name/time subfolders\n"
    "  --threads N           inference threads (default: all cores)\n"
    "  --backend ref|dnnl    backend of the statistics (default ref) and evaluation runs\n"
    "  --limit N             evaluate only the first N images\n";

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* Evaluates and prints one model's accuracy, in POT's words. */
static int eval_model(const ptq_model *m, const ptq_session_params *sp, const ptq_dataset *ds, const ptq_preprocess *pp,
                      int label_offset, int64_t limit, const char *what, double *t1, double *t5, int64_t *images)
{
    ptq_eval_params ep = ptq_eval_params_default();
    ep.limit = limit;
    ep.label_offset = label_offset;
    if (cli_evaluate(m, sp, ds, pp, ep, what, t1, t5, images, NULL)) return 1;
    printf("%-5s accuracy@top1: %.4f  accuracy@top5: %.4f  (%lld images)\n", what, *t1, *t5, (long long)*images);
    return 0;
}

int cmd_quantize_pot(int argc, char **argv)
{
    const char *config_path = NULL, *out_root = "results", *v;
    int evaluate = 0, direct = 0;
    int64_t limit = 0;
    ptq_session_params sp = ptq_session_params_default();
    int threads = 0;
    ptq_backend stat_backend = PTQ_BACKEND_REF;
    int have_backend = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if ((v = cli_option_value(argc, argv, &i, "-c")) || (v = cli_option_value(argc, argv, &i, "--config"))) {
            config_path = v;
        } else if (strcmp(argv[i], "-e") == 0 || strcmp(argv[i], "--evaluate") == 0) {
            evaluate = 1;
        } else if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--direct-dump") == 0) {
            direct = 1;
        } else if ((v = cli_option_value(argc, argv, &i, "--output-dir"))) {
            out_root = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--threads"))) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1024) return cli_usage_error("quantize", "bad --threads '%s'", v);
            threads = (int)n;
        } else if ((v = cli_option_value(argc, argv, &i, "--limit"))) {
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*end || n < 1) return cli_usage_error("quantize", "bad --limit '%s'", v);
            limit = n;
        } else if ((v = cli_option_value(argc, argv, &i, "--backend"))) {
            if (!cli_parse_backend(v, &sp.backend)) return cli_usage_error("quantize", "bad --backend '%s' (ref or dnnl)", v);
            stat_backend = sp.backend;
            have_backend = 1;
        } else {
            return cli_usage_error("quantize", "'%s' is not an option of `ptq quantize -c` (see --help)", argv[i]);
        }
    }
    if (!config_path) return cli_usage_error("quantize", "missing -c CONFIG.json");

    int rc = 1;
    ptq_pot_config *cfg = NULL;
    ptq_model *model = NULL;
    ptq_dataset *calib = NULL, *eval_ds = NULL;
    ptq_quantizer *q = NULL;
    char *json = NULL;
    cJSON *rep = NULL;
    if (ptq_pot_config_load(config_path, &cfg)) return cli_fail(NULL);
    for (int w = 0; w < cfg->n_warnings; w++) fprintf(stderr, "ptq quantize: warning: %s\n", cfg->warnings[w]);
    ptq_quant_params qp = cfg->params;
    qp.threads = sp.threads = threads;
    if (have_backend) qp.backend = stat_backend;
    if (ptq_model_load(cfg->model, &model)) {
        rc = cli_fail(NULL);
        goto done;
    }
    ptq_preprocess pp;
    if (ptq_pot_config_preprocess(cfg, model, &pp) || ptq_pot_config_open_dataset(cfg, 1, &calib)) {
        rc = cli_fail(NULL);
        goto done;
    }
    if (evaluate && ptq_pot_config_open_dataset(cfg, 0, &eval_ds)) {
        rc = cli_fail(NULL);
        goto done;
    }

    /* POT's layout: <root>/<name>_<algo>/<timestamp>/optimized/<name>.onnx */
    char dir[4096], out_path[4096], rep_path[4096], stamp[32];
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    strftime(stamp, sizeof stamp, "%Y-%m-%d_%H-%M-%S", &tmv);
    if (direct) snprintf(dir, sizeof dir, "%s/optimized", out_root);
    else snprintf(dir, sizeof dir, "%s/%s_%s/%s/optimized", out_root, cfg->model_name, cfg->algorithm, stamp);
    snprintf(out_path, sizeof out_path, "%s/%s.onnx", dir, cfg->model_name);
    snprintf(rep_path, sizeof rep_path, "%s/report.json", dir);

    char desc[1024];
    ptq_preprocess_describe(&pp, desc, sizeof desc);
    int64_t size = ptq_dataset_size(calib);
    int64_t subset = qp.subset_size && qp.subset_size < size ? qp.subset_size : size;
    fprintf(stderr, "ptq quantize: %s (%s): %s, preset %s, estimator %s, bias correction %s, target %s\n",
            cfg->model_name, cfg->model, cfg->algorithm, ptq_quant_preset_name(qp.preset),
            ptq_quant_estimator_name(qp.estimator), ptq_quant_bias_correction_name(qp.bias_correction),
            cfg->target_device);
    fprintf(stderr, "  calibration: %lld images (%s), preprocessing: %s\n", (long long)subset,
            cfg->shuffle_data ? "random subset" : "the first ones", desc);
    if (ptq_quantizer_create(model, calib, &pp, &qp, &q) || ptq_quantizer_run(q)) {
        rc = cli_fail(NULL);
        goto done;
    }
    if (evaluate) {
        double f1, f5, i1, i5;
        int64_t n;
        if (eval_model(model, &sp, eval_ds, &pp, cfg->label_offset, limit, "FP32", &f1, &f5, &n) ||
            eval_model(ptq_quantizer_model(q), &sp, eval_ds, &pp, cfg->label_offset, limit, "INT8", &i1, &i5, &n))
            goto done;
        printf("accuracy drop: top-1 %.4f (%.2f points), top-5 %.4f\n", f1 - i1, 100.0 * (f1 - i1), f5 - i5);
        ptq_quantizer_set_accuracy(q, f1, f5, i1, i5, n);
    }
    if (mkdir_p(dir)) {
        fprintf(stderr, "ptq quantize: cannot create %s: %s\n", dir, strerror(errno));
        goto done;
    }
    if (ptq_quantizer_save(q, out_path)) {
        rc = cli_fail(out_path);
        goto done;
    }
    if (ptq_quantizer_report_json(q, &json)) {
        rc = cli_fail(NULL);
        goto done;
    }
    if (!(rep = cJSON_Parse(json))) goto done;
    cJSON_AddItemToObject(rep, "config", cJSON_CreateString(config_path));
    cJSON_AddItemToObject(rep, "model", cJSON_CreateString(cfg->model));
    cJSON_AddItemToObject(rep, "output", cJSON_CreateString(out_path));
    cJSON *warnings = cJSON_AddArrayToObject(rep, "config_warnings");
    for (int w = 0; warnings && w < cfg->n_warnings; w++)
        cJSON_AddItemToArray(warnings, cJSON_CreateString(cfg->warnings[w]));
    if (cli_write_json(rep, rep_path)) goto done;
    printf("saved %s\n", out_path);
    printf("report %s\n", rep_path);
    rc = 0;
done:
    cJSON_Delete(rep);
    free(json);
    ptq_quantizer_destroy(q);
    ptq_dataset_destroy(eval_ds);
    ptq_dataset_destroy(calib);
    ptq_model_destroy(model);
    ptq_pot_config_destroy(cfg);
    return rc;
}
