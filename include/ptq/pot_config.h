/* ptq POT configurations: the JSON file OpenVINO's Post-training Optimization
 * Tool reads with `pot -c CONFIG.json`, mapped onto ptq's DefaultQuantization.
 *
 * Format (openvinotoolkit/openvino tools/pot/configs/README): a JSON object
 * with comments (`//` and C-style block comments, as the jstyleson package
 * allows; trailing commas are accepted too) and three sections:
 *   "model":       {"model_name", "model" (path), "weights" (path)}
 *   "engine":      {"config": Accuracy Checker YAML}  (type accuracy_checker,
 *                  the default) or {"type": "simplified", "data_source": DIR
 *                  or a file-name pattern, "layout"}
 *   "compression": {"target_device", "algorithms": [{"name":
 *                  "DefaultQuantization", "params": {...}}]}
 * DefaultQuantization params: preset (performance|mixed), stat_subset_size,
 * stat_batch_size, target_device, shuffle_data, seed, use_fast_bias,
 * range_estimator / activations / weights ({bits, mode, granularity,
 * level_low, level_high, range_estimator: {preset, min, max: {type,
 * aggregator, outlier_prob, clipping_value}}}), ignored {scope: [node names],
 * operations: [{type, attributes}]}.
 *
 * Mapping onto ptq_quant_params:
 *   preset           performance -> PTQ_QUANT_PRESET_PERFORMANCE, mixed ->
 *                    MIXED; activations.mode symmetric/asymmetric overrides it;
 *                    accuracy (asymmetric weights) -> MIXED with a warning.
 *                    POT's default when absent is performance.
 *   stat_subset_size subset_size (absent: the whole dataset, 0)
 *   shuffle_data     false (POT default): calibrate on the FIRST
 *                    stat_subset_size samples (calib dataset opened with
 *                    limit); true: a random subset chosen with `seed`
 *   use_fast_bias    true (default) -> FAST, false -> FULL bias correction
 *   range estimator  max {type max|abs_max, aggregator mean} -> MEAN_MINMAX
 *                    (POT's default), aggregator max -> MINMAX, type
 *                    quantile|abs_quantile -> PERCENTILE with percentile =
 *                    100 * (1 - outlier_prob) (outlier_prob default 1e-4;
 *                    ptq pools a histogram over the subset where POT
 *                    averages per-sample quantiles); preset quantile ->
 *                    PERCENTILE 99.99. Other aggregators, clipping_value and
 *                    weight estimators other than max warn and are ignored.
 *   weights.granularity pertensor -> per_tensor_weights
 *   bits other than 8, level ranges other than POT's CPU ones: UNSUPPORTED.
 *   ignored          scope names and operation types (OpenVINO type names
 *                    such as Convolution or Multiply are translated to ONNX
 *                    op types) go to params.ignored.
 * Every key ptq does not know, or knows but cannot honour, produces one
 * warning naming its path ("compression.algorithms[0].params.foo"). Paths in
 * the file are resolved against the JSON file's directory (POT resolves them
 * against the current directory; that is tried when the former does not
 * exist). Conventions follow ptq.h. */
#ifndef PTQ_POT_CONFIG_H
#define PTQ_POT_CONFIG_H

#include "ptq/data.h"
#include "ptq/eval.h"
#include "ptq/ptq.h"
#include "ptq/quantize.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ptq_pot_engine_type {
    PTQ_POT_ENGINE_ACCURACY_CHECKER = 0, /* engine.config: an AC YAML file */
    PTQ_POT_ENGINE_SIMPLIFIED = 1,       /* engine.data_source: unlabelled images */
} ptq_pot_engine_type;

/* A parsed POT config. Everything is owned by the config and valid until
 * ptq_pot_config_destroy. */
typedef struct ptq_pot_config {
    char *path;        /* the JSON file as given to ptq_pot_config_load */
    char *model_name;  /* model.model_name (default: the model file's stem) */
    char *model;       /* model.model, resolved: an ONNX file */
    char *weights;     /* model.weights, resolved, or NULL; never read (ONNX holds its weights) */
    ptq_pot_engine_type engine;
    char *ac_config;   /* engine.config, resolved, or NULL */
    ptq_ac_config *ac; /* that file, loaded with ptq_ac_config_load, or NULL */
    char *data_source; /* simplified: engine.data_source, resolved, or NULL */
    int has_layout;    /* simplified: engine.layout was given ... */
    ptq_layout layout; /* ... and maps to this */
    char *target_device;  /* "ANY" unless given */
    char *algorithm;      /* "DefaultQuantization" */
    /* The quantization settings. params.ignored points into `ignored` below
     * (valid while the config lives); progress, threads and backend are the
     * defaults for the caller to set. */
    ptq_quant_params params;
    int shuffle_data;     /* 0: calibrate on the first params.subset_size samples */
    int label_offset;     /* added to dataset labels (AC has_background: 1) */
    int n_ignored;
    char **ignored;
    int n_warnings;       /* unknown or ignored keys, one message each */
    char **warnings;
} ptq_pot_config;

/* Parses a POT JSON config and the Accuracy Checker YAML it names. Errors:
 * IO (unreadable file, or larger than 1 MiB), BAD_FORMAT ("file:line:col:
 * message" for malformed JSON, "file: key.path: message" for a value of the
 * wrong kind, a repeated key or a missing required key), UNSUPPORTED (an
 * algorithm other than DefaultQuantization, an OpenVINO IR model, bit widths
 * other than 8, an inline AC engine), plus whatever ptq_ac_config_load
 * returns. Thread-safe. */
PTQ_API ptq_status ptq_pot_config_load(const char *path, ptq_pot_config **config_out);
PTQ_API void ptq_pot_config_destroy(ptq_pot_config *config);

/* The preprocessing for `model`: the AC config's recipe (simplified engine:
 * POT's image loader, i.e. OpenCV BGR, resize to the model size, no
 * normalization, engine.layout), fitted to the model's first input
 * (channels, layout and static height x width). */
PTQ_API ptq_status ptq_pot_config_preprocess(const ptq_pot_config *config, const ptq_model *model,
                                             ptq_preprocess *pp_out);

/* Opens the dataset the config describes. calibration = 1: the calibration
 * set (with shuffle_data false limited to the first params.subset_size
 * samples); 0: the evaluation set (the whole AC dataset). AC engine: the
 * annotation list with AC's imagenet rule (file names looked up under
 * data_source, ptq_dataset_params.basename_lookup), or data_source as class
 * folders. Simplified engine: every image under data_source (recursively,
 * sorted) or matching its pattern, all labelled 0; evaluation is then
 * UNSUPPORTED (POT cannot evaluate in simplified mode either). The dataset
 * is the caller's (ptq_dataset_destroy). */
PTQ_API ptq_status ptq_pot_config_open_dataset(const ptq_pot_config *config, int calibration,
                                               ptq_dataset **dataset_out);

#ifdef __cplusplus
}
#endif

#endif
