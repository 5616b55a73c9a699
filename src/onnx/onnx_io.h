/* ONNX import: ModelProto -> graph IR, TensorProto -> tensor. */
#ifndef PTQ_ONNX_ONNX_IO_H
#define PTQ_ONNX_ONNX_IO_H

#include "graph/graph.h"

struct Onnx__TensorProto;

/* Loads an ONNX model file into a new graph. External data files are read
 * relative to the model's directory. */
ptq_status ptq__onnx_load(const char *path, ptq__graph **graph_out);
/* Parses an ONNX model from memory (base_dir for external data, may be NULL). */
ptq_status ptq__onnx_parse(const void *data, size_t size, const char *path, const char *base_dir,
                           ptq__graph **graph_out);
/* Converts a TensorProto (every storage form: raw_data, typed fields,
 * external data under base_dir). `what` names it in messages. */
ptq_status ptq__onnx_tensor_from_proto(const struct Onnx__TensorProto *tp, const char *base_dir, const char *what,
                                       ptq_tensor **tensor_out);
/* Reads a serialized TensorProto file (ONNX test data *.pb). */
ptq_status ptq__onnx_read_tensor_file(const char *path, ptq_tensor **tensor_out, char **name_out);
/* Largest model or tensor file read into memory. */
#define PTQ__ONNX_MAX_FILE_BYTES ((size_t)1 << 40)

#endif
