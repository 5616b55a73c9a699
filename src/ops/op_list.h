/* The operator table. One X-macro row per ONNX operator ptq knows:
 *   PTQ_OP(ENUM_SUFFIX, "OnnxOpType", kernel_function)
 * It generates the op enum, the op-type -> enum map and the reference-kernel
 * table (src/ops/op_table.c). Several rows may share one kernel function. */
#ifndef PTQ_OPS_OP_LIST_H
#define PTQ_OPS_OP_LIST_H

#define PTQ_OP_LIST(PTQ_OP) \
    PTQ_OP(CONV, "Conv", ptq__kernel_conv) \
    PTQ_OP(BATCH_NORMALIZATION, "BatchNormalization", ptq__kernel_batchnorm) \
    PTQ_OP(RELU, "Relu", ptq__kernel_unary) \
    PTQ_OP(LEAKY_RELU, "LeakyRelu", ptq__kernel_unary) \
    PTQ_OP(CLIP, "Clip", ptq__kernel_clip) \
    PTQ_OP(SIGMOID, "Sigmoid", ptq__kernel_unary) \
    PTQ_OP(HARD_SIGMOID, "HardSigmoid", ptq__kernel_unary) \
    PTQ_OP(HARD_SWISH, "HardSwish", ptq__kernel_unary) \
    PTQ_OP(ADD, "Add", ptq__kernel_binary) \
    PTQ_OP(SUB, "Sub", ptq__kernel_binary) \
    PTQ_OP(MUL, "Mul", ptq__kernel_binary) \
    PTQ_OP(DIV, "Div", ptq__kernel_binary) \
    PTQ_OP(MAX_POOL, "MaxPool", ptq__kernel_pool) \
    PTQ_OP(AVERAGE_POOL, "AveragePool", ptq__kernel_pool) \
    PTQ_OP(GLOBAL_AVERAGE_POOL, "GlobalAveragePool", ptq__kernel_global_pool) \
    PTQ_OP(GLOBAL_MAX_POOL, "GlobalMaxPool", ptq__kernel_global_pool) \
    PTQ_OP(GEMM, "Gemm", ptq__kernel_gemm) \
    PTQ_OP(MAT_MUL, "MatMul", ptq__kernel_matmul) \
    PTQ_OP(FLATTEN, "Flatten", ptq__kernel_flatten) \
    PTQ_OP(RESHAPE, "Reshape", ptq__kernel_reshape) \
    PTQ_OP(SQUEEZE, "Squeeze", ptq__kernel_squeeze) \
    PTQ_OP(UNSQUEEZE, "Unsqueeze", ptq__kernel_unsqueeze) \
    PTQ_OP(CONCAT, "Concat", ptq__kernel_concat) \
    PTQ_OP(SOFTMAX, "Softmax", ptq__kernel_softmax) \
    PTQ_OP(TRANSPOSE, "Transpose", ptq__kernel_transpose) \
    PTQ_OP(PAD, "Pad", ptq__kernel_pad) \
    PTQ_OP(REDUCE_MEAN, "ReduceMean", ptq__kernel_reduce_mean) \
    PTQ_OP(IDENTITY, "Identity", ptq__kernel_identity) \
    PTQ_OP(DROPOUT, "Dropout", ptq__kernel_dropout) \
    PTQ_OP(CONSTANT, "Constant", ptq__kernel_constant) \
    PTQ_OP(SHAPE, "Shape", ptq__kernel_shape) \
    PTQ_OP(GATHER, "Gather", ptq__kernel_gather) \
    PTQ_OP(CAST, "Cast", ptq__kernel_cast) \
    PTQ_OP(QUANTIZE_LINEAR, "QuantizeLinear", ptq__kernel_quantize_linear) \
    PTQ_OP(DEQUANTIZE_LINEAR, "DequantizeLinear", ptq__kernel_dequantize_linear) \
    PTQ_OP(QLINEAR_CONV, "QLinearConv", ptq__kernel_qlinear_conv) \
    PTQ_OP(QLINEAR_MAT_MUL, "QLinearMatMul", ptq__kernel_qlinear_matmul) \
    PTQ_OP(CONV_INTEGER, "ConvInteger", ptq__kernel_conv_integer) \
    PTQ_OP(MAT_MUL_INTEGER, "MatMulInteger", ptq__kernel_matmul_integer)

typedef enum ptq__op {
    PTQ__OP_UNKNOWN = 0,
#define PTQ__OP_ENUM(e, name, fn) PTQ__OP_##e,
    PTQ_OP_LIST(PTQ__OP_ENUM)
#undef PTQ__OP_ENUM
    PTQ__OP_COUNT
} ptq__op;

/* Enum of an ONNX op type in the default domain (UNKNOWN if not known). */
ptq__op ptq__op_from_name(const char *op_type);
const char *ptq__op_name(ptq__op op);

#endif
