/* ptq post-training quantization: OpenVINO POT's DefaultQuantization in C.
 *
 * Pipeline (what ptq_quantizer_run does, in this order):
 *   1. ActivationChannelAlignment (when enabled and the graph has a
 *      Conv -> Conv pair that qualifies; a statistics pass of its own).
 *   2. Statistics: the FP32 model runs on the calibration subset, batch by
 *      batch, and every tensor that will be quantized is summarized
 *      (min/max, mean of per-sample min/max, per-channel means, a histogram
 *      for the histogram estimators). Activations are never kept.
 *   3. MinMaxQuantization: ranges -> scales/zero points, QDQ placement in the
 *      layout ONNX Runtime's quantize_static writes (activations Q -> DQ,
 *      weights int8 initializer -> one DequantizeLinear, bias float).
 *   4. FastBiasCorrection (default) or BiasCorrection.
 *   5. Report: per-tensor ranges, per-layer SQNR vs FP32 on calibration data.
 * The result is a standard QDQ ONNX model (ptq_quantizer_save).
 *
 * Conventions follow ptq.h: fallible calls return ptq_status, results go to
 * trailing *_out parameters (NULL on failure), the failure message is in
 * ptq_last_error(), every *_destroy accepts NULL. Nothing here is thread-safe
 * for one quantizer. */
#ifndef PTQ_QUANTIZE_H
#define PTQ_QUANTIZE_H

#include "ptq/data.h"
#include "ptq/ptq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes a model (e.g. a quantized one) as an ONNX file, atomically
 * (temporary file, then rename). Initializers are stored as raw data in their
 * own type, so int8 weights take one byte each. */
PTQ_API ptq_status ptq_model_save(const ptq_model *model, const char *path);

typedef enum ptq_quant_preset {
    /* POT "mixed": symmetric per-channel int8 weights, asymmetric uint8
     * activations (zero point chosen so 0.0 is exact). Default. */
    PTQ_QUANT_PRESET_MIXED = 0,
    /* POT "performance": symmetric activations too: int8 with zero point 0,
     * or uint8 with zero point 0 for tensors that are never negative (POT's
     * unsigned rule, e.g. Relu outputs). */
    PTQ_QUANT_PRESET_PERFORMANCE = 1,
} ptq_quant_preset;

/* Activation range estimators. */
typedef enum ptq_quant_estimator {
    /* Mean over samples of each sample's min and max (POT/NNCF default for
     * activations). Symmetric: mean of per-sample max|x|. Default. */
    PTQ_QUANT_ESTIMATOR_MEAN_MINMAX = 0,
    PTQ_QUANT_ESTIMATOR_MINMAX = 1,     /* global min / max (ORT default) */
    PTQ_QUANT_ESTIMATOR_PERCENTILE = 2, /* ORT Percentile (2048 bins of |x|, or both tails) */
    PTQ_QUANT_ESTIMATOR_KL = 3,         /* TensorRT / ORT entropy calibration */
    PTQ_QUANT_ESTIMATOR_MSE = 4,        /* pytorch-quantization MSE amax search */
} ptq_quant_estimator;

typedef enum ptq_quant_bias_correction {
    PTQ_QUANT_BIAS_CORRECTION_FAST = 0, /* FastBiasCorrection, (W - Wq) E[x] (default) */
    PTQ_QUANT_BIAS_CORRECTION_FULL = 1, /* POT BiasCorrection (20 % of the subset) */
    PTQ_QUANT_BIAS_CORRECTION_NONE = 2,
} ptq_quant_bias_correction;

/* Progress callback: `stage` ("alignment", "statistics", "bias correction",
 * "sqnr", "saving"), `done` of `total` units (images, or layers). Called on
 * the thread running the quantizer. */
typedef void (*ptq_quant_progress_fn)(void *user, const char *stage, int64_t done, int64_t total);

typedef struct ptq_quant_params {
    ptq_quant_preset preset;
    ptq_quant_estimator estimator;
    double percentile;        /* PERCENTILE: kept mass in percent (default 99.999) */
    int64_t subset_size;      /* calibration images (default 300; 0 or > dataset: all) */
    uint64_t seed;            /* subset choice (ptq_dataset_subset), default 0 */
    int batch;                /* images per statistics batch (default 8; a model that fixes its batch runs with it) */
    int per_tensor_weights;   /* 1: one weight scale per layer instead of per output channel */
    ptq_quant_bias_correction bias_correction;
    int channel_alignment;    /* ActivationChannelAlignment (default 1) */
    int n_ignored;            /* node names or op types kept in FP32 */
    const char *const *ignored; /* copied at create */
    /* Backend of the statistics runs (default DNNL; statistics read every
     * observed tensor as an extra graph output, in plain layout). Full
     * BiasCorrection always runs on the reference executor. */
    ptq_backend backend;
    int threads;              /* inference threads (0: all cores) */
    int loader_threads;       /* decoding threads (0: one per core) */
    int64_t sqnr_samples;     /* calibration images used for the per-layer SQNR (default 16, 0: skip) */
    ptq_quant_progress_fn progress; /* optional */
    void *progress_user;
} ptq_quant_params;

/* mixed, mean-minmax, 99.999, 300, seed 0, batch 8, per-channel weights,
 * fast bias correction, alignment on, nothing ignored, DNNL backend,
 * sqnr_samples 16. */
PTQ_API ptq_quant_params ptq_quant_params_default(void);

/* Parses "mixed"/"performance", "minmax"/"mean-minmax"/"percentile"/"kl"/
 * "mse", "fast"/"full"/"none". INVALID_ARGUMENT listing the valid names. */
PTQ_API ptq_status ptq_quant_preset_parse(const char *s, ptq_quant_preset *out);
PTQ_API ptq_status ptq_quant_estimator_parse(const char *s, ptq_quant_estimator *out);
PTQ_API ptq_status ptq_quant_bias_correction_parse(const char *s, ptq_quant_bias_correction *out);
PTQ_API const char *ptq_quant_preset_name(ptq_quant_preset p);
PTQ_API const char *ptq_quant_estimator_name(ptq_quant_estimator e);
PTQ_API const char *ptq_quant_bias_correction_name(ptq_quant_bias_correction b);

typedef struct ptq_quantizer ptq_quantizer;

/* A quantization pipeline for `model` calibrated on ds (preprocessed with
 * pp). The model and dataset must outlive the quantizer; pp and params are
 * copied. The model's first input must take the preprocessed image batch. */
PTQ_API ptq_status ptq_quantizer_create(const ptq_model *model, const ptq_dataset *ds, const ptq_preprocess *pp,
                                        const ptq_quant_params *params, ptq_quantizer **quantizer_out);
PTQ_API void ptq_quantizer_destroy(ptq_quantizer *q);

/* Runs the whole pipeline (slow: statistics run the FP32 model on the
 * subset). INVALID_STATE when called twice. */
PTQ_API ptq_status ptq_quantizer_run(ptq_quantizer *q);

/* Re-derives the quantized model from the statistics of the last run, with
 * another preset, estimator, percentile, bias correction, weight granularity
 * or sqnr_samples (the other fields of params are ignored): no pass over the
 * calibration images except for FULL bias correction and the SQNR. The
 * previous quantized model is destroyed. INVALID_STATE before a successful
 * ptq_quantizer_run. */
PTQ_API ptq_status ptq_quantizer_rerun(ptq_quantizer *q, const ptq_quant_params *params);

/* The quantized model (owned by the quantizer, valid until it is destroyed),
 * NULL before a successful run. Sessions can be created on it directly. */
PTQ_API const ptq_model *ptq_quantizer_model(const ptq_quantizer *q);

/* Writes the quantized model as ONNX (atomically). */
PTQ_API ptq_status ptq_quantizer_save(ptq_quantizer *q, const char *path);

/* Records accuracy measured outside (e.g. with ptq_evaluate) so the report
 * carries it: top-1/top-5 fractions of the FP32 and the quantized model on
 * `images` images. */
PTQ_API ptq_status ptq_quantizer_set_accuracy(ptq_quantizer *q, double fp32_top1, double fp32_top5,
                                              double int8_top1, double int8_top5, int64_t images);

/* Seconds spent in a stage so far ("alignment", "statistics", "algorithms",
 * "bias correction", "sqnr", "saving", "total"); 0 for unknown names. */
PTQ_API double ptq_quantizer_stage_seconds(const ptq_quantizer *q, const char *stage);

/* The report as JSON: settings, stage seconds, tensors [{name, dtype, min,
 * max, range_min, range_max, scale, zero_point}], weights [{name, layer,
 * channels, scale_min, scale_max}], layers [{name, op, sqnr_db,
 * bias_corrected}], alignment pairs; when the accuracy is set, fp32 and int8
 * {top1, top5} and accuracy {images, fp32_top1, ..., top1_drop}.
 * *json_out is a new NUL-terminated string the caller frees with free(). */
PTQ_API ptq_status ptq_quantizer_report_json(const ptq_quantizer *q, char **json_out);

#ifdef __cplusplus
}
#endif

#endif
