/* Graph IR -> ONNX ModelProto (the inverse of onnx_import.c). */
#ifndef PTQ_ONNX_ONNX_EXPORT_H
#define PTQ_ONNX_ONNX_EXPORT_H

#include "graph/graph.h"

/* Serializes g into a new buffer (*data_out, caller frees). Live nodes are
 * written in their current order with their original names; every constant
 * value a live node or graph output uses becomes an initializer stored as
 * raw_data in its own dtype (int8 weights stay int8); other values only keep
 * their names. Graph inputs/outputs carry dtype and shape when known
 * (symbolic dims by name). Graph-valued attributes are UNSUPPORTED. */
ptq_status ptq__onnx_serialize(const ptq__graph *g, void **data_out, size_t *size_out);
/* ptq__onnx_serialize, then written atomically to path. */
ptq_status ptq__onnx_save(const ptq__graph *g, const char *path);

#endif
