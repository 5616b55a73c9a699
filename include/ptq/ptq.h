/* ptq — post-training INT8 quantization toolkit and CPU inference engine.
 *
 * Public C API: status codes, tensors, models and sessions.
 * Conventions: every fallible call returns ptq_status and writes results
 * through trailing *_out parameters (set to NULL on failure). The message of
 * the last failure on the calling thread is returned by ptq_last_error().
 * Every *_destroy accepts NULL. */
#ifndef PTQ_PTQ_H
#define PTQ_PTQ_H

#include <stddef.h>
#include <stdint.h>

#if defined(PTQ_BUILDING_LIBRARY)
#define PTQ_API __attribute__((visibility("default")))
#else
#define PTQ_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ------------------------------------------------------------ */

typedef enum ptq_status {
    PTQ_STATUS_OK = 0,
    PTQ_STATUS_INVALID_ARGUMENT, /* caller passed something impossible */
    PTQ_STATUS_UNSUPPORTED,      /* valid, but ptq does not implement it */
    PTQ_STATUS_BAD_FORMAT,       /* a file or value is malformed */
    PTQ_STATUS_IO,               /* a file could not be read or written */
    PTQ_STATUS_OUT_OF_MEMORY,
    PTQ_STATUS_BACKEND,          /* the compute backend (oneDNN) failed */
    PTQ_STATUS_INVALID_STATE,    /* call not allowed in the object's state */
} ptq_status;

/* Short constant name of a status ("bad format"). Never NULL. */
PTQ_API const char *ptq_status_string(ptq_status status);

/* Detailed message of the last failure on this thread ("" if none). The
 * string is owned by the library and valid until the next failing call on the
 * same thread. */
PTQ_API const char *ptq_last_error(void);

/* ---- tensors ----------------------------------------------------------- */

/* Values follow ONNX TensorProto.DataType. */
typedef enum ptq_dtype {
    PTQ_DTYPE_UNDEFINED = 0,
    PTQ_DTYPE_FLOAT32 = 1,
    PTQ_DTYPE_UINT8 = 2,
    PTQ_DTYPE_INT8 = 3,
    PTQ_DTYPE_UINT16 = 4,
    PTQ_DTYPE_INT16 = 5,
    PTQ_DTYPE_INT32 = 6,
    PTQ_DTYPE_INT64 = 7,
    PTQ_DTYPE_STRING = 8,
    PTQ_DTYPE_BOOL = 9,
    PTQ_DTYPE_FLOAT16 = 10,
    PTQ_DTYPE_FLOAT64 = 11,
    PTQ_DTYPE_UINT32 = 12,
    PTQ_DTYPE_UINT64 = 13,
} ptq_dtype;

#define PTQ_MAX_DIMS 8

/* A dense row-major tensor. Created by ptq_tensor_create (which owns `data`)
 * or filled by the caller around caller-owned memory (then never passed to
 * ptq_tensor_destroy). */
typedef struct ptq_tensor {
    ptq_dtype dtype;
    int rank;
    int64_t dims[PTQ_MAX_DIMS];
    void *data;
} ptq_tensor;

/* Size in bytes of one element of `dtype` (0 for undefined/string). */
PTQ_API size_t ptq_dtype_size(ptq_dtype dtype);
/* Lower-case ONNX-style name ("float32", "uint8"). Never NULL. */
PTQ_API const char *ptq_dtype_name(ptq_dtype dtype);
/* Number of elements (product of dims; 1 for rank 0). */
PTQ_API int64_t ptq_tensor_numel(const ptq_tensor *t);
/* Allocates a zero-filled tensor. dims may be NULL when rank is 0. */
PTQ_API ptq_status ptq_tensor_create(ptq_dtype dtype, int rank, const int64_t *dims,
                                     ptq_tensor **tensor_out);
PTQ_API void ptq_tensor_destroy(ptq_tensor *t);

/* Reads a NumPy .npy file (little-endian, C order). */
PTQ_API ptq_status ptq_tensor_load_npy(const char *path, ptq_tensor **tensor_out);
/* Writes a NumPy .npy file atomically (temporary file, then rename). */
PTQ_API ptq_status ptq_tensor_save_npy(const ptq_tensor *t, const char *path);

/* ---- models ------------------------------------------------------------ */

typedef struct ptq_model ptq_model;

/* Loads an ONNX model (external data files are resolved next to it). */
PTQ_API ptq_status ptq_model_load(const char *path, ptq_model **model_out);
PTQ_API void ptq_model_destroy(ptq_model *model);

/* Description of a graph input or output. dims[i] is -1 for a dynamic
 * dimension (its symbolic name, if any, is in dim_names[i]). */
typedef struct ptq_value_info {
    const char *name;
    ptq_dtype dtype;
    int rank;
    int64_t dims[PTQ_MAX_DIMS];
    const char *dim_names[PTQ_MAX_DIMS];
} ptq_value_info;

PTQ_API int ptq_model_input_count(const ptq_model *model);
PTQ_API int ptq_model_output_count(const ptq_model *model);
/* The returned strings are owned by the model. */
PTQ_API ptq_status ptq_model_input_info(const ptq_model *model, int index, ptq_value_info *info_out);
PTQ_API ptq_status ptq_model_output_info(const ptq_model *model, int index, ptq_value_info *info_out);
/* Opset of the default ONNX domain. */
PTQ_API int64_t ptq_model_opset(const ptq_model *model);
/* Producer recorded in the file ("pytorch"), or "" if none. Owned by the model. */
PTQ_API const char *ptq_model_producer(const ptq_model *model);
/* Nodes of the model as loaded (before any folding), in topological order.
 * The strings are owned by the model. */
PTQ_API int ptq_model_node_count(const ptq_model *model);
PTQ_API const char *ptq_model_node_op_type(const ptq_model *model, int index);
PTQ_API const char *ptq_model_node_name(const ptq_model *model, int index);

/* ---- sessions ---------------------------------------------------------- */

typedef enum ptq_backend {
    PTQ_BACKEND_DEFAULT = 0, /* the fastest available (oneDNN) */
    PTQ_BACKEND_REF,         /* plain reference kernels: the truth */
    PTQ_BACKEND_DNNL,        /* oneDNN primitives */
} ptq_backend;

/* Binding of one input's dimensions at session creation. */
typedef struct ptq_input_shape {
    const char *name; /* NULL: the first graph input */
    int rank;
    int64_t dims[PTQ_MAX_DIMS];
} ptq_input_shape;

typedef struct ptq_session_params {
    ptq_backend backend;
    int threads;                       /* 0: all cores */
    int n_input_shapes;
    const ptq_input_shape *input_shapes; /* not owned; read during create */
} ptq_session_params;

PTQ_API ptq_session_params ptq_session_params_default(void);

typedef struct ptq_session ptq_session;

/* Binds input shapes, folds constants, infers shapes and checks that every
 * node can run. The model must outlive the session. */
PTQ_API ptq_status ptq_session_create(const ptq_model *model, const ptq_session_params *params,
                                      ptq_session **session_out);
PTQ_API void ptq_session_destroy(ptq_session *session);

/* Runs the model. inputs are in graph-input order; outputs_out receives
 * n_outputs newly created tensors (graph-output order) that the caller
 * destroys. Not thread-safe for one session. */
PTQ_API ptq_status ptq_session_run(ptq_session *session, int n_inputs, const ptq_tensor *const *inputs,
                                   int n_outputs, ptq_tensor **outputs_out);

/* Statistics of a model after shape inference with the session's shapes. */
typedef struct ptq_model_stats {
    int64_t params; /* elements of float/int initializers used as weights */
    int64_t macs;   /* multiply-accumulates of one inference */
} ptq_model_stats;
PTQ_API ptq_status ptq_session_stats(const ptq_session *session, ptq_model_stats *stats_out);

/* ---- per-layer profiling ----------------------------------------------- */

/* One layer of a profile: a group of graph nodes the backend runs as one step
 * (e.g. Conv+Add+Relu), named after its first node. */
typedef struct ptq_profile_entry {
    const char *name; /* node name, owned by the session */
    const char *kind; /* "conv", "conv int8", "pool", "ref:Flatten", ... (static) */
    double total_ms;  /* time accumulated since profiling was enabled */
    int64_t runs;     /* runs accumulated since profiling was enabled */
} ptq_profile_entry;

/* Turns per-layer timing on or off; both reset the accumulators, so read the
 * entries before turning it off. Timing waits for every layer to finish, so
 * profiled runs are slightly slower. UNSUPPORTED when the session's backend
 * has no profiler (the reference backend). */
PTQ_API ptq_status ptq_session_set_profiling(ptq_session *session, int enable);
/* Number of profiled layers; 0 without a profiler. Accepts NULL. */
PTQ_API int ptq_session_get_profile_count(const ptq_session *session);
/* Layer `index` (0 <= index < count), in execution order. */
PTQ_API ptq_status ptq_session_get_profile_entry(const ptq_session *session, int index, ptq_profile_entry *entry_out);

#ifdef __cplusplus
}
#endif

#endif
