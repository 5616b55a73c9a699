/* Internals of the quantization pipeline (src/quant). */
#ifndef PTQ_QUANT_QUANT_INTERNAL_H
#define PTQ_QUANT_QUANT_INTERNAL_H

#include "ptq/quantize.h"
#include "graph/graph.h"

/* ---- statistics (stats.c) --------------------------------------------- */

/* Signed histogram of one tensor over [-range, range]: PTQ__HIST_HALF bins
 * for each sign (bin j of a side covers [j, j+1) * range / PTQ__HIST_HALF of
 * |x|), so folding the two sides gives the 2048-bin |x| histogram that
 * TensorRT and ONNX Runtime calibrate on. When new data exceeds the range,
 * the range doubles (as often as needed) and pairs of bins merge: exact, and
 * no second pass over the data. */
#define PTQ__HIST_HALF 2048

enum {
    PTQ__OBS_MINMAX = 1,   /* per-tensor and per-sample min/max (always) */
    PTQ__OBS_CHANNEL = 2,  /* per-channel mean (axis 1), summed over samples */
    PTQ__OBS_HIST = 4,     /* histogram */
    PTQ__OBS_QUANTILE = 8, /* per-sample per-channel 1e-4 / 1-1e-4 quantiles (alignment) */
};

typedef struct ptq__tstats {
    char *name;
    int flags;
    int64_t samples;
    double min, max;                  /* over all samples */
    double sum_smin, sum_smax, sum_sabs; /* sums of per-sample min, max, max|x| */
    int rank;                         /* per-sample shape (dim 0 = 1) */
    int64_t dims[PTQ_MAX_DIMS];
    int channels;
    double *ch_sum;                   /* [channels]: sum over samples of channel means */
    double hist_range;                /* 0 until the first non-zero value */
    double *hist;                     /* [2 * PTQ__HIST_HALF]: negative side reversed, then positive */
    float *q_lo, *q_hi;               /* [samples * channels] */
    int64_t q_cap;
} ptq__tstats;

typedef struct ptq__stats {
    int n;
    ptq__tstats *t;
} ptq__stats;

/* Where calibration data comes from. */
typedef struct ptq__calib {
    const ptq_dataset *ds;
    const ptq_preprocess *pp;
    const int64_t *indices;
    int64_t count;
    int batch;
    int64_t fixed_batch; /* the batch the model fixes, or 0 */
    ptq_backend backend;
    int threads, loader_threads;
    ptq_quant_progress_fn progress;
    void *progress_user;
} ptq__calib;

/* Called with each batch: outs[g][k] is the k-th requested value of graph g
 * (batch x ...). */
typedef ptq_status (*ptq__batch_fn)(void *user, int n, ptq_tensor **const *outs);

/* Runs n_graphs graphs (1 or 2) on the calibration images; graph g exposes
 * the values names[g][0..n_names) as extra outputs (on a copy). `stage` names
 * the progress. Works on any backend. */
ptq_status ptq__calib_run(const ptq__calib *c, const char *stage, int n_graphs, const ptq__graph *const *graphs,
                          const char *const *const *names, int n_names, ptq__batch_fn fn, void *user);

/* Collects statistics of the named values of g (flags per value). */
ptq_status ptq__stats_collect(const ptq__calib *c, const char *stage, const ptq__graph *g, int n,
                              const char *const *names, const int *flags, ptq__stats *out);
void ptq__stats_free(ptq__stats *s);
ptq__tstats *ptq__stats_find(ptq__stats *s, const char *name);
/* Adds one batch of a tensor to st (exposed for tests). */
ptq_status ptq__tstats_add(ptq__tstats *st, const ptq_tensor *t);
/* |x| histogram (PTQ__HIST_HALF bins of width hist_range / PTQ__HIST_HALF). */
void ptq__tstats_abs_hist(const ptq__tstats *st, double *out);

/* ---- estimators and quantization parameters (estimators.c) ------------- */

typedef struct ptq__qparams {
    double lo, hi;    /* range chosen by the estimator (before widening) */
    float scale;
    int32_t zero_point;
    ptq_dtype dtype;  /* UINT8 or INT8 */
} ptq__qparams;

/* Range [lo, hi] of an activation from its statistics. symmetric: returns
 * [-M, M] or [0, M] when the tensor is never negative. */
void ptq__estimate_range(const ptq__tstats *st, ptq_quant_estimator e, double percentile, bool symmetric, double *lo,
                         double *hi);
/* Histogram estimators on a |x| histogram of nbins bins of width `width`:
 * threshold T. levels: quantization levels of the target (255 or 127). */
double ptq__kl_threshold(const double *hist, int nbins, double width, int n_quant_bins);
double ptq__mse_threshold(const double *hist, int nbins, double width, int levels);
double ptq__percentile_threshold(const double *hist, int nbins, double width, double percentile);

/* Range -> scale/zero point.
 * asymmetric (uint8): POT fix_zero_filters_asymmetric + tune_range, so that
 *   0.0 is exactly representable: scale = (hi - lo) / 255, zp = -lo / scale.
 * symmetric: uint8 zp 0 (scale M/255) when lo >= 0, else int8 zp 0 (scale M/127). */
void ptq__qparams_from_range(double lo, double hi, bool symmetric, ptq__qparams *q);
/* POT's asymmetric range widening (tune_range): returns the widened [lo, hi]. */
void ptq__tune_range(double *lo, double *hi);

/* Symmetric int8 weight quantization with 255 levels: per output channel
 * (axis) M_c = max|W_c| (raised to max(8e-5, 0.01 * max_c M_c)), scale_c =
 * M_c / 127, q = clamp(round(w / scale_c), -127, 127). per_tensor: one M.
 * q_out (int8, same shape) and scales (channels floats, or 1) are caller
 * allocated. */
void ptq__quantize_weights(const ptq_tensor *w, int axis, bool per_tensor, int8_t *q_out, float *scales);

/* Fake quantization of one value. */
static inline float ptq__fake_quant(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax)
{
    float q = __builtin_nearbyintf(x / scale) + (float)zp;
    if (q < (float)qmin) q = (float)qmin;
    if (q > (float)qmax) q = (float)qmax;
    return (q - (float)zp) * scale;
}

/* ---- placement (placement.c) ------------------------------------------ */

/* A layer with quantized weights. */
typedef struct ptq__qlayer {
    char *node_name;
    char *op_type;
    char *input;       /* activation input value */
    char *weight;      /* weight initializer */
    char *bias;        /* bias initializer, or NULL */
    char *output;
    int axis;          /* channel axis of the weight */
    int channels;
    float *w_scale;    /* [channels] (or 1 when per tensor) */
    int8_t *w_q;       /* quantized weight, shape of the weight */
    bool per_tensor;
    int bias_corrected; /* 1 corrected, 0 not tried, -1 skipped by the threshold */
    double bias_shift_max;
    double sqnr_db;    /* NAN until measured */
} ptq__qlayer;

/* A quantized activation tensor (gets QuantizeLinear -> DequantizeLinear). */
typedef struct ptq__qpoint {
    char *value;
    int share;         /* qpoint whose parameters it reuses (MaxPool output), or -1 */
    int group;         /* unified-scale group (Concat inputs), or -1 */
    ptq__qparams q;
    double obs_min, obs_max;
} ptq__qpoint;

typedef struct ptq__qplan {
    ptq__qlayer *layers;
    int n_layers;
    ptq__qpoint *points;
    int n_points;
    int n_groups;
} ptq__qplan;

/* Finds the layers and activation tensors to quantize in g (ORT QDQ / NNCF
 * rules for CNNs); nodes whose name or op type is in ignored stay FP32. */
ptq_status ptq__qplan_build(const ptq__graph *g, int n_ignored, char *const *ignored, bool per_tensor_weights,
                            ptq__qplan *plan);
void ptq__qplan_free(ptq__qplan *plan);
int ptq__qplan_find_point(const ptq__qplan *plan, const char *value);
/* Quantizes the weights of every layer (fills w_scale, w_q) from g. */
ptq_status ptq__qplan_quantize_weights(ptq__qplan *plan, const ptq__graph *g);
/* Writes the QDQ graph: weights as int8 initializers + DequantizeLinear
 * (axis = channel axis, zero point 0), and, when `activations`, a
 * QuantizeLinear -> DequantizeLinear pair after every quantized tensor,
 * read by all consumers that are not ignored. Bias stays float. */
ptq_status ptq__qdq_build(const ptq__graph *g, const ptq__qplan *plan, bool activations, int n_ignored,
                          char *const *ignored, ptq__graph **out);
bool ptq__node_is_ignored(const ptq__node *n, int n_ignored, char *const *ignored);

/* ---- algorithms --------------------------------------------------------- */

/* ActivationChannelAlignment (alignment.c). Finds qualifying Conv -> Conv
 * pairs of g; when there are some, collects their statistics and rewrites
 * the weights/biases of g in place. *pairs_out: number of aligned pairs. */
ptq_status ptq__align_channels(const ptq__calib *c, ptq__graph *g, int n_ignored, char *const *ignored,
                               int *pairs_out, char ***pair_names_out);

/* FastBiasCorrection (bias_correction.c): updates the float biases of g. */
ptq_status ptq__fast_bias_correction(ptq__graph *g, ptq__qplan *plan, ptq__stats *stats);
/* BiasCorrection: n_samples images from the subset (c->indices). */
ptq_status ptq__full_bias_correction(const ptq__calib *c, ptq__graph *g, ptq__qplan *plan,
                                     int n_ignored, char *const *ignored);

/* Helpers. */
double ptq__now(void);
ptq_status ptq__graph_set_const(ptq__graph *g, const char *name, ptq_tensor *t, int *value_out);

#endif
