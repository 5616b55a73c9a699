/* ptq quantize: POT DefaultQuantization of an FP32 ONNX model into a QDQ
 * ONNX model, with an optional FP32-vs-INT8 accuracy check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_preprocess.h"
#include "cli_util.h"
#include "ptq/eval.h"
#include "ptq/quantize.h"

static const char *usage_text =
    "usage: ptq quantize MODEL --data LIST_OR_FOLDER -o OUT.onnx [options]\n"
    "       ptq quantize -c CONFIG.json [-e] [--output-dir DIR] [-d]   (OpenVINO POT config)\n"
    "\n"
    "Post-training INT8 quantization in the way of OpenVINO POT's\n"
    "DefaultQuantization: ActivationChannelAlignment, MinMaxQuantization\n"
    "(per-channel symmetric int8 weights, per-tensor activations) and\n"
    "FastBiasCorrection, calibrated on a random subset of the data. The result\n"
    "is a standard QDQ ONNX model (QuantizeLinear/DequantizeLinear) that ptq,\n"
    "ONNX Runtime and OpenVINO load.\n"
    "\n"
    "  --data LIST|DIR        calibration images: annotation list or class folders\n"
    "  --root DIR             image root for the list (default: the list's directory)\n"
    "  -o, --output OUT.onnx  the quantized model\n"
    "  --preset mixed|performance   asymmetric uint8 (default) or symmetric activations\n"
    "  --estimator NAME       mean-minmax (default), minmax, percentile, kl, mse\n"
    "  --percentile P         for --estimator percentile (default 99.999)\n"
    "  --subset N             calibration images (default 300; 0: all)\n"
    "  --seed S               subset choice (default 0)\n"
    "  --bias-correction fast|full|none   (default fast)\n"
    "                         fast: removes the mean shift quantizing the weights\n"
    "                         causes, (W - Wq) E[x] (POT's FastBiasCorrection sub-model);\n"
    "                         full: POT's BiasCorrection on 20% of the subset\n"
    "  --no-alignment         skip ActivationChannelAlignment\n"
    "  --per-tensor-weights   one weight scale per layer instead of per channel\n"
    "  --ignored A,B,...      node names or op types kept in FP32\n"
    "  --sqnr-samples N       images for the per-layer SQNR report (default 16, 0: skip)\n"
    "  --eval                 evaluate FP32 and INT8 top-1/top-5 afterwards\n"
    "  --eval-data LIST|DIR   evaluation images (default: --data)\n"
    "  --eval-root DIR        image root of the evaluation list\n"
    "  --limit N              evaluate only the first N images\n"
    "  --json FILE            write the quantization report as JSON\n"
    "  --sweep                also write OUT-<preset>-<estimator>.onnx for every preset x\n"
    "                         estimator from the same statistics (evaluated with --eval)\n"
    "  --batch N              images per batch (default 8)\n"
    "  --threads N            inference threads (default: all cores)\n"
    "  --loader-threads N     decoding threads (default: one per core)\n"
    "  --backend ref|dnnl     backend of the statistics and evaluation runs\n"
    "                         (default: dnnl, the fastest)\n"
    "\n"
    "Preprocessing (as in `ptq eval`, applied in order; --preset is the\n"
    "quantization preset here, so a preprocessing preset is --pp-preset NAME):\n"
    "  --pp-preset torchvision|paddleclas|caffe|none\n"
    "  --resize N | --resize-exact HxW  --crop N|HxW\n"
    "  --interp opencv|pillow  --scale S (or 1/255)  --mean a,b,c  --std a,b,c\n"
    "  --bgr | --rgb  --layout nchw|nhwc\n";

typedef struct prog {
    int tty;
    char stage[32];
    int64_t last;
} prog;

static void on_progress(void *user, const char *stage, int64_t done, int64_t total)
{
    prog *p = user;
    bool new_stage = strcmp(p->stage, stage) != 0;
    if (new_stage) {
        if (p->stage[0] && p->tty) fputc('\n', stderr);
        snprintf(p->stage, sizeof p->stage, "%s", stage);
        p->last = -1;
    }
    int64_t step = total >= 10 ? total / 10 : 1;
    if (p->tty) {
        fprintf(stderr, "\r  %-16s %lld/%lld", stage, (long long)done, (long long)total);
        if (done == total) fputc('\n', stderr), p->stage[0] = 0;
    } else if (new_stage || done == total || done / step != p->last / step) {
        fprintf(stderr, "  %-16s %lld/%lld\n", stage, (long long)done, (long long)total);
    }
    p->last = done;
    fflush(stderr);
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int open_data(const char *data, const char *root, const char *labels, ptq_dataset **ds)
{
    ptq_dataset_params dp = ptq_dataset_params_default();
    if (is_dir(data)) dp.root = data;
    else {
        dp.list_path = data;
        dp.root = root;
    }
    dp.labels_path = labels;
    return ptq_dataset_open(&dp, ds) ? cli_fail(NULL) : 0;
}

static int parse_i64(const char *s, int64_t lo, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo) return -1;
    *out = v;
    return 0;
}

/* Evaluates and prints one model's accuracy. */
static int evaluate(const ptq_model *m, const ptq_session_params *sp, const ptq_dataset *ds, const ptq_preprocess *pp,
                    int64_t limit, int batch, const char *what, double *top1, double *top5, int64_t *images)
{
    ptq_eval_params ep = ptq_eval_params_default();
    ep.limit = limit;
    ep.batch = batch;
    double secs = 0;
    if (cli_evaluate(m, sp, ds, pp, ep, what, top1, top5, images, &secs)) return 1;
    printf("%-5s top-1 %.4f  top-5 %.4f  (%lld images, %.1f s)\n", what, *top1, *top5, (long long)*images, secs);
    return 0;
}

#define MAX_IGNORED 256

int cmd_quantize(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL, *root = NULL, *labels = NULL, *out_path = NULL, *json_path = NULL,
               *eval_data = NULL, *eval_root = NULL, *v;
    char *ignored_buf = NULL;
    const char *ignored[MAX_IGNORED];
    int do_eval = 0, sweep = 0, rc = 2, have_acc = 0;
    double acc[4] = {0};
    int64_t acc_images = 0;
    int64_t limit = 0, n;
    cli_pp_opts ppo;
    memset(&ppo, 0, sizeof ppo);
    ptq_quant_params qp = ptq_quant_params_default();
    /* A POT JSON config selects the POT-compatible front end. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0 || strncmp(argv[i], "-c=", 3) == 0 ||
            strncmp(argv[i], "--config=", 9) == 0)
            return cmd_quantize_pot(argc, argv);
    ptq_session_params sp = ptq_session_params_default();
    ptq_model *model = NULL;
    ptq_dataset *ds = NULL, *eds = NULL;
    ptq_quantizer *q = NULL;
    char *json = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            rc = 0;
            goto done;
        } else if ((v = cli_option_value(argc, argv, &i, "--preset"))) {
            /* --preset is the quantization preset here; preprocessing presets
             * are given as --pp-preset. */
            if (ptq_quant_preset_parse(v, &qp.preset)) {
                rc = cli_usage_error("quantize", "%s", ptq_last_error());
                goto done;
            }
        } else if ((v = cli_option_value(argc, argv, &i, "--pp-preset"))) {
            if (ppo.n >= CLI_PP_MAX) {
                rc = cli_usage_error("quantize", "too many preprocessing options");
                goto done;
            }
            ppo.opt[ppo.n] = "--preset";
            ppo.val[ppo.n++] = v;
        } else if ((r = cli_pp_collect(&ppo, argc, argv, &i, "quantize"))) {
            if (r < 0) goto done;
        } else if ((v = cli_option_value(argc, argv, &i, "--data"))) {
            data = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--root"))) {
            root = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--labels"))) {
            labels = v;
        } else if ((v = cli_option_value(argc, argv, &i, "-o")) || (v = cli_option_value(argc, argv, &i, "--output"))) {
            out_path = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--estimator"))) {
            if (ptq_quant_estimator_parse(v, &qp.estimator)) {
                rc = cli_usage_error("quantize", "%s", ptq_last_error());
                goto done;
            }
        } else if ((v = cli_option_value(argc, argv, &i, "--percentile"))) {
            char *end;
            qp.percentile = strtod(v, &end);
            if (*end || !(qp.percentile > 50 && qp.percentile <= 100)) {
                rc = cli_usage_error("quantize", "bad --percentile '%s' (50 < P <= 100)", v);
                goto done;
            }
        } else if ((v = cli_option_value(argc, argv, &i, "--subset"))) {
            if (parse_i64(v, 0, &qp.subset_size)) {
                rc = cli_usage_error("quantize", "bad --subset '%s'", v);
                goto done;
            }
        } else if ((v = cli_option_value(argc, argv, &i, "--seed"))) {
            char *end;
            qp.seed = strtoull(v, &end, 0);
            if (!*v || *end) {
                rc = cli_usage_error("quantize", "bad --seed '%s'", v);
                goto done;
            }
        } else if ((v = cli_option_value(argc, argv, &i, "--bias-correction"))) {
            if (ptq_quant_bias_correction_parse(v, &qp.bias_correction)) {
                rc = cli_usage_error("quantize", "%s", ptq_last_error());
                goto done;
            }
        } else if (strcmp(argv[i], "--no-alignment") == 0) {
            qp.channel_alignment = 0;
        } else if (strcmp(argv[i], "--per-tensor-weights") == 0) {
            qp.per_tensor_weights = 1;
        } else if ((v = cli_option_value(argc, argv, &i, "--ignored"))) {
            free(ignored_buf);
            if (!(ignored_buf = strdup(v))) goto done;
            qp.n_ignored = 0;
            for (char *tok = strtok(ignored_buf, ","); tok && qp.n_ignored < MAX_IGNORED; tok = strtok(NULL, ","))
                if (*tok) ignored[qp.n_ignored++] = tok;
            qp.ignored = ignored;
        } else if ((v = cli_option_value(argc, argv, &i, "--sqnr-samples"))) {
            if (parse_i64(v, 0, &qp.sqnr_samples)) {
                rc = cli_usage_error("quantize", "bad --sqnr-samples '%s'", v);
                goto done;
            }
        } else if (strcmp(argv[i], "--sweep") == 0) {
            sweep = 1;
        } else if (strcmp(argv[i], "--eval") == 0) {
            do_eval = 1;
        } else if ((v = cli_option_value(argc, argv, &i, "--eval-data"))) {
            eval_data = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--eval-root"))) {
            eval_root = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--limit"))) {
            if (parse_i64(v, 0, &limit)) {
                rc = cli_usage_error("quantize", "bad --limit '%s'", v);
                goto done;
            }
        } else if ((v = cli_option_value(argc, argv, &i, "--json"))) {
            json_path = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--batch"))) {
            if (parse_i64(v, 1, &n) || n > 4096) {
                rc = cli_usage_error("quantize", "bad --batch '%s'", v);
                goto done;
            }
            qp.batch = (int)n;
        } else if ((v = cli_option_value(argc, argv, &i, "--threads"))) {
            if (parse_i64(v, 1, &n) || n > 1024) {
                rc = cli_usage_error("quantize", "bad --threads '%s'", v);
                goto done;
            }
            qp.threads = sp.threads = (int)n;
        } else if ((v = cli_option_value(argc, argv, &i, "--loader-threads"))) {
            if (parse_i64(v, 1, &n) || n > 1024) {
                rc = cli_usage_error("quantize", "bad --loader-threads '%s'", v);
                goto done;
            }
            qp.loader_threads = (int)n;
        } else if ((v = cli_option_value(argc, argv, &i, "--backend"))) {
            if (!cli_parse_backend(v, &sp.backend)) {
                rc = cli_usage_error("quantize", "bad --backend '%s' (ref or dnnl)", v);
                goto done;
            }
            qp.backend = sp.backend;
        } else if (argv[i][0] == '-') {
            rc = cli_usage_error("quantize", "unknown option '%s' (or missing value)", argv[i]);
            goto done;
        } else if (!model_path) {
            model_path = argv[i];
        } else {
            rc = cli_usage_error("quantize", "unexpected argument '%s'", argv[i]);
            goto done;
        }
    }
    if (!model_path) {
        rc = cli_usage_error("quantize", "missing MODEL");
        goto done;
    }
    if (!data) {
        rc = cli_usage_error("quantize", "missing --data LIST_OR_FOLDER");
        goto done;
    }
    if (!out_path) {
        rc = cli_usage_error("quantize", "missing -o OUT.onnx");
        goto done;
    }
    rc = 1;
    if (ptq_model_load(model_path, &model)) {
        rc = cli_fail(NULL); /* the message names the file */
        goto done;
    }
    ptq_preprocess pp;
    if ((rc = cli_pp_build(model, &ppo, &pp, "quantize"))) goto done;
    rc = 1;
    if (open_data(data, root, labels, &ds)) goto done;
    char desc[1024];
    ptq_preprocess_describe(&pp, desc, sizeof desc);
    int64_t subset = qp.subset_size && qp.subset_size < ptq_dataset_size(ds) ? qp.subset_size : ptq_dataset_size(ds);
    fprintf(stderr, "ptq quantize: %s, preset %s, estimator %s, bias correction %s, alignment %s\n", model_path,
            ptq_quant_preset_name(qp.preset), ptq_quant_estimator_name(qp.estimator),
            ptq_quant_bias_correction_name(qp.bias_correction), qp.channel_alignment ? "on" : "off");
    fprintf(stderr, "  calibration: %lld of %lld images (seed %llu), preprocessing: %s\n", (long long)subset,
            (long long)ptq_dataset_size(ds), (unsigned long long)qp.seed, desc);
    prog pr;
    memset(&pr, 0, sizeof pr);
    pr.tty = isatty(2);
    qp.progress = on_progress;
    qp.progress_user = &pr;
    if (ptq_quantizer_create(model, ds, &pp, &qp, &q) || ptq_quantizer_run(q)) {
        rc = cli_fail(NULL);
        goto done;
    }
    if (ptq_quantizer_save(q, out_path)) {
        rc = cli_fail(out_path);
        goto done;
    }
    printf("saved %s\n", out_path);
    static const char *stages[] = {"alignment", "statistics", "algorithms", "bias correction", "sqnr", "saving"};
    printf("seconds:");
    for (size_t k = 0; k < sizeof stages / sizeof stages[0]; k++)
        printf(" %s %.1f%s", stages[k], ptq_quantizer_stage_seconds(q, stages[k]), k + 1 < sizeof stages / sizeof stages[0] ? "," : "\n");

    if (do_eval) {
        if (eval_data && open_data(eval_data, eval_root, labels, &eds)) goto done;
        const ptq_dataset *e = eds ? eds : ds;
        double f1, f5, i1, i5;
        int64_t imgs;
        if (evaluate(model, &sp, e, &pp, limit, qp.batch, "FP32", &f1, &f5, &imgs)) goto done;
        if (evaluate(ptq_quantizer_model(q), &sp, e, &pp, limit, qp.batch, "INT8", &i1, &i5, &imgs)) goto done;
        printf("top-1 drop %.4f (%.2f points), top-5 drop %.4f\n", f1 - i1, 100.0 * (f1 - i1), f5 - i5);
        ptq_quantizer_set_accuracy(q, f1, f5, i1, i5, imgs);
        have_acc = 1;
        acc[0] = f1, acc[1] = f5, acc[2] = i1, acc[3] = i5, acc_images = imgs;
    }
    if (sweep) {
        const ptq_dataset *e = eds ? eds : ds;
        size_t len = strlen(out_path);
        const char *ext = len > 5 && strcmp(out_path + len - 5, ".onnx") == 0 ? out_path + len - 5 : out_path + len;
        printf("sweep (same statistics):\n");
        for (int pr_i = 0; pr_i < 2; pr_i++)
            for (int e_i = 0; e_i < 5; e_i++) {
                ptq_quant_params p2 = qp;
                p2.preset = (ptq_quant_preset)pr_i;
                p2.estimator = (ptq_quant_estimator)e_i;
                char path[4096];
                snprintf(path, sizeof path, "%.*s-%s-%s.onnx", (int)(ext - out_path), out_path,
                         ptq_quant_preset_name(p2.preset), ptq_quant_estimator_name(p2.estimator));
                if (ptq_quantizer_rerun(q, &p2) || ptq_quantizer_save(q, path)) {
                    rc = cli_fail(path);
                    goto done;
                }
                char *js = NULL;
                double osq = NAN;
                if (!ptq_quantizer_report_json(q, &js)) {
                    cJSON *r = cJSON_Parse(js);
                    cJSON *o = r ? cJSON_GetObjectItem(r, "output_sqnr_db") : NULL;
                    if (cJSON_IsNumber(o)) osq = o->valuedouble;
                    cJSON_Delete(r);
                }
                free(js);
                printf("  %-11s %-11s output SQNR %5.1f dB  %s\n", ptq_quant_preset_name(p2.preset),
                       ptq_quant_estimator_name(p2.estimator), osq, path);
                if (do_eval) {
                    double s1, s5;
                    int64_t imgs;
                    if (evaluate(ptq_quantizer_model(q), &sp, e, &pp, limit, qp.batch, "INT8", &s1, &s5, &imgs)) goto done;
                }
            }
        /* The report below describes the last sweep point; rerun the
         * requested settings so it describes the main model. */
        if (ptq_quantizer_rerun(q, &qp)) {
            rc = cli_fail(NULL);
            goto done;
        }
        if (have_acc) ptq_quantizer_set_accuracy(q, acc[0], acc[1], acc[2], acc[3], acc_images);
    }
    if (ptq_quantizer_report_json(q, &json)) {
        rc = cli_fail(NULL);
        goto done;
    }
    cJSON *rep = cJSON_Parse(json);
    if (rep) {
        cJSON *sq = cJSON_GetObjectItem(rep, "output_sqnr_db");
        cJSON *layers = cJSON_GetObjectItem(rep, "layers");
        double worst = INFINITY;
        const char *worst_name = "";
        int corrected = 0, nl = cJSON_GetArraySize(layers);
        for (int k = 0; k < nl; k++) {
            cJSON *l = cJSON_GetArrayItem(layers, k);
            cJSON *db = cJSON_GetObjectItem(l, "sqnr_db");
            if (cJSON_IsNumber(db) && db->valuedouble < worst) {
                worst = db->valuedouble;
                worst_name = cJSON_GetObjectItem(l, "name")->valuestring;
            }
            cJSON *bc = cJSON_GetObjectItem(l, "bias_correction");
            if (bc && bc->valuestring && strcmp(bc->valuestring, "applied") == 0) corrected++;
        }
        printf("quantized: %d layers (%d bias-corrected), %d activation tensors\n", nl, corrected,
               cJSON_GetArraySize(cJSON_GetObjectItem(rep, "tensors")));
        if (cJSON_IsNumber(sq)) printf("output SQNR %.1f dB; lowest layer SQNR %.1f dB (%s)\n", sq->valuedouble, worst, worst_name);
        if (json_path) {
            cJSON_AddItemToObject(rep, "model", cJSON_CreateString(model_path));
            cJSON_AddItemToObject(rep, "output", cJSON_CreateString(out_path));
            if (cli_write_json(rep, json_path)) {
                cJSON_Delete(rep);
                goto done;
            }
        }
        cJSON_Delete(rep);
    }
    rc = 0;
done:
    free(json);
    free(ignored_buf);
    ptq_quantizer_destroy(q);
    ptq_dataset_destroy(eds);
    ptq_dataset_destroy(ds);
    ptq_model_destroy(model);
    return rc;
}
