/* quantize_resnet50 — post-training INT8 quantization with the ptq C API,
 * step by step, the way a POT user writes it in Python.
 *
 *   usage: quantize_resnet50 [MODEL CALIB_LIST EVAL_LIST OUT.onnx [preprocessing options]]
 *
 * Without arguments it quantizes the bundled example, examples/fashion-cnn
 * (found through $PTQ_EXAMPLE_DIR, else next to the executable's build tree or
 * the current directory), and writes fashion-cnn-int8.onnx in the current
 * directory. With arguments the lists are annotation lists ("relative/path
 * label" per line, paths relative to the list's directory) and the
 * preprocessing options are those of `ptq eval` (--preset torchvision,
 * --resize 256 --crop 224, --scale 1/255, --mean, --std, --bgr, ...), e.g.
 *
 *   quantize_resnet50 resnet50.onnx calib.txt val.txt resnet50-int8.onnx --preset torchvision
 *
 * The POT Python script this mirrors (tools/pot/docs/DefaultQuantizationUsage.md):
 *
 *   model = load_model({"model_name": "resnet50", "model": xml, "weights": bin})
 *   data_loader = MyDataLoader(dataset_config)          # DataLoader subclass
 *   metric = Accuracy(top_k=1)                          # Metric subclass
 *   engine = IEEngine(config={"device": "CPU"}, data_loader=data_loader, metric=metric)
 *   pipeline = create_pipeline([{"name": "DefaultQuantization",
 *                                "params": {"preset": "mixed", "stat_subset_size": 300}}], engine)
 *   compressed_model = pipeline.run(model)
 *   compress_model_weights(compressed_model)
 *   save_model(compressed_model, save_path="optimized", model_name="resnet50_int8")
 *   print(pipeline.evaluate(model), pipeline.evaluate(compressed_model))
 *
 * Every ptq call returns a ptq_status; on failure ptq_last_error() says what
 * went wrong (file, line, value) and this program stops. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptq/data.h"
#include "ptq/eval.h"
#include "ptq/ptq.h"
#include "ptq/quantize.h"

/* Stops with the library's message; `what` says which step failed. */
#define CHECK(call, what)                                                                        \
    do {                                                                                         \
        if ((call) != PTQ_STATUS_OK) {                                                           \
            fprintf(stderr, "quantize_resnet50: %s: %s\n", (what), ptq_last_error());            \
            goto done;                                                                           \
        }                                                                                        \
    } while (0)

/* The bundled example: $PTQ_EXAMPLE_DIR, else examples/fashion-cnn in a parent
 * of the executable's directory (build/examples/quantize_resnet50 lives in the
 * source tree's build directory), else below the current directory. */
static int find_example(char *dir, size_t size)
{
    const char *env = getenv("PTQ_EXAMPLE_DIR");
    char probe[PATH_MAX + 64];
    if (env && *env) {
        snprintf(dir, size, "%s", env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        for (char *slash = strrchr(exe, '/'); slash; slash = strrchr(exe, '/')) {
            *slash = 0; /* one directory up */
            snprintf(probe, sizeof probe, "%s/examples/fashion-cnn/model.onnx", exe);
            if (access(probe, R_OK) == 0) {
                snprintf(dir, size, "%s/examples/fashion-cnn", exe);
                return 0;
            }
        }
    }
    if (access("examples/fashion-cnn/model.onnx", R_OK) == 0) {
        snprintf(dir, size, "examples/fashion-cnn");
        return 0;
    }
    return -1;
}

/* Step 2's metric: top-1 (and top-5) of `model` on the evaluation set — what
 * POT's engine does with the Metric in pipeline.evaluate(model). */
static ptq_status evaluate(const ptq_model *model, const ptq_dataset *ds, const ptq_preprocess *pp, double *top1,
                           double *top5)
{
    ptq_eval_params ep = ptq_eval_params_default();
    ep.diagnose = PTQ_EVAL_DIAGNOSE_NEVER; /* a quantized model is not a preprocessing mistake */
    ptq_eval_report *report = NULL;
    ptq_status st = ptq_evaluate(model, NULL, ds, NULL, 0, pp, &ep, &report);
    if (st == PTQ_STATUS_OK) {
        *top1 = ptq_eval_report_top1(report);
        *top5 = ptq_eval_report_top5(report);
    }
    ptq_eval_report_destroy(report);
    return st;
}

int main(int argc, char **argv)
{
    char example[PATH_MAX], model_path[PATH_MAX + 32], calib_list[PATH_MAX + 32], eval_list[PATH_MAX + 32];
    const char *out_path;
    int rc = 1, first_option;
    ptq_model *model = NULL;
    ptq_dataset *calib = NULL, *eval = NULL;
    ptq_quantizer *quantizer = NULL;

    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: %s [MODEL CALIB_LIST EVAL_LIST OUT.onnx [preprocessing options]]\n", argv[0]);
        return 0;
    }
    if (argc == 1) {
        if (find_example(example, sizeof example)) {
            fprintf(stderr, "quantize_resnet50: examples/fashion-cnn not found; set PTQ_EXAMPLE_DIR or give "
                            "MODEL CALIB_LIST EVAL_LIST OUT.onnx\n");
            return 2;
        }
        snprintf(model_path, sizeof model_path, "%s/model.onnx", example);
        snprintf(calib_list, sizeof calib_list, "%s/calib_list.txt", example);
        snprintf(eval_list, sizeof eval_list, "%s/val_list.txt", example);
        out_path = "fashion-cnn-int8.onnx";
        first_option = argc;
    } else if (argc >= 5) {
        snprintf(model_path, sizeof model_path, "%s", argv[1]);
        snprintf(calib_list, sizeof calib_list, "%s", argv[2]);
        snprintf(eval_list, sizeof eval_list, "%s", argv[3]);
        out_path = argv[4];
        first_option = 5;
    } else {
        fprintf(stderr, "usage: %s [MODEL CALIB_LIST EVAL_LIST OUT.onnx [preprocessing options]]\n", argv[0]);
        return 2;
    }

    /* ---- Step 1: load the model (POT: load_model(model_config)) ----------
     * An ONNX file; ptq needs no separate weights file. The model is
     * immutable: quantization builds a new one. */
    CHECK(ptq_model_load(model_path, &model), model_path);

    /* ---- Step 2: the data loader (POT: a DataLoader subclass) -------------
     * A DataLoader's __getitem__ reads image i and preprocesses it. In ptq
     * the dataset (ptq_dataset_open) lists the samples and the preprocessing
     * recipe (ptq_preprocess) says how an image becomes the model's input;
     * the library decodes and preprocesses on worker threads. Start from the
     * model's input size and channels, then apply the options. */
    ptq_preprocess pp = ptq_preprocess_default();
    ptq_value_info input;
    CHECK(ptq_model_input_info(model, 0, &input), "model input");
    if (input.rank == 4 && input.dims[2] > 0 && input.dims[3] > 0) { /* NCHW, static H x W */
        pp.model_h = pp.resize_h = (int)input.dims[2];
        pp.model_w = pp.resize_w = (int)input.dims[3];
        if (input.dims[1] == 1 || input.dims[1] == 3) pp.channels = (int)input.dims[1];
    }
    if (argc == 1) {
        /* examples/fashion-cnn/README.md: exact resize to 32x32 (OpenCV),
         * gray replicated to 3 channels, x / 255, mean 0.5, std 0.5. */
        CHECK(ptq_preprocess_parse_option(&pp, "--scale", "1/255"), "preprocessing");
        CHECK(ptq_preprocess_parse_option(&pp, "--mean", "0.5"), "preprocessing");
        CHECK(ptq_preprocess_parse_option(&pp, "--std", "0.5"), "preprocessing");
    }
    for (int i = first_option; i < argc; i++) {
        int takes_value = 0;
        if (!ptq_preprocess_is_option(argv[i], &takes_value) || (takes_value && i + 1 >= argc)) {
            fprintf(stderr, "quantize_resnet50: unknown preprocessing option '%s' (or missing value)\n", argv[i]);
            rc = 2;
            goto done;
        }
        const char *value = takes_value ? argv[++i] : NULL;
        CHECK(ptq_preprocess_parse_option(&pp, argv[i - (takes_value ? 1 : 0)], value), "preprocessing");
    }
    CHECK(ptq_preprocess_validate(&pp), "preprocessing");

    ptq_dataset_params dp = ptq_dataset_params_default();
    dp.list_path = calib_list; /* image paths relative to the list's directory */
    CHECK(ptq_dataset_open(&dp, &calib), calib_list);
    dp.list_path = eval_list;
    CHECK(ptq_dataset_open(&dp, &eval), eval_list);

    /* ---- Step 3: the metric and the engine (POT: Metric, IEEngine) --------
     * POT's IEEngine runs the model through OpenVINO and feeds the Metric.
     * In ptq, ptq_evaluate creates an inference session (the engine; oneDNN
     * by default) and computes top-1/top-5 (the metric), see evaluate()
     * above. The accuracy of the original model, first: a quantized model
     * cannot be better than its preprocessing (POT FAQ: check the FP32
     * accuracy before quantizing). */
    double fp32_top1 = 0, fp32_top5 = 0, int8_top1 = 0, int8_top5 = 0;
    char desc[512];
    ptq_preprocess_describe(&pp, desc, sizeof desc);
    printf("model: %s\npreprocessing: %s\ncalibration images: %lld, evaluation images: %lld\n", model_path, desc,
           (long long)ptq_dataset_size(calib), (long long)ptq_dataset_size(eval));
    CHECK(evaluate(model, eval, &pp, &fp32_top1, &fp32_top5), "evaluating the FP32 model");
    printf("FP32 accuracy: top-1 %.4f, top-5 %.4f\n", fp32_top1, fp32_top5);

    /* ---- Step 4: the pipeline (POT: create_pipeline(algorithms, engine)) --
     * DefaultQuantization with preset "mixed" (symmetric int8 weights per
     * channel, asymmetric uint8 activations) and stat_subset_size 300:
     * ptq_quant_params_default() is exactly that, plus POT's defaults for
     * the rest (ActivationChannelAlignment, mean-of-min/max activation
     * ranges, FastBiasCorrection). */
    ptq_quant_params params = ptq_quant_params_default();
    params.preset = PTQ_QUANT_PRESET_MIXED;
    params.subset_size = 300;
    CHECK(ptq_quantizer_create(model, calib, &pp, &params, &quantizer), "creating the pipeline");

    /* ---- Step 5: run it (POT: compressed_model = pipeline.run(model)) -----
     * Statistics on the calibration subset, ranges -> scales and zero
     * points, Quantize/Dequantize placement, bias correction. */
    CHECK(ptq_quantizer_run(quantizer), "quantizing");

    /* ---- Step 6: compress the weights and save (POT:
     * compress_model_weights(compressed_model); save_model(...)) -----------
     * The quantized model already holds its weights as int8 initializers
     * followed by one DequantizeLinear each (ONNX QDQ), so "compressing" is
     * part of saving: the file is about a quarter of the FP32 one. */
    CHECK(ptq_quantizer_save(quantizer, out_path), out_path);
    printf("saved %s\n", out_path);

    /* ---- Step 7: evaluate the result (POT: pipeline.evaluate(compressed_model)) */
    CHECK(evaluate(ptq_quantizer_model(quantizer), eval, &pp, &int8_top1, &int8_top5), "evaluating the INT8 model");
    printf("INT8 accuracy: top-1 %.4f, top-5 %.4f\n", int8_top1, int8_top5);
    printf("top-1 drop: %.2f points\n", 100.0 * (fp32_top1 - int8_top1));
    rc = 0;

done:
    /* Everything in reverse order; every destroy accepts NULL. */
    ptq_quantizer_destroy(quantizer);
    ptq_dataset_destroy(eval);
    ptq_dataset_destroy(calib);
    ptq_model_destroy(model);
    return rc;
}
