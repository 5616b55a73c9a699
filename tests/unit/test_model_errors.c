/* Bad models give one clear error naming the file or node, never a crash:
 * truncated and corrupt files, unknown operators, missing inputs, shape
 * mismatches, dynamic dimensions left unbound. Models are built in memory with
 * the protobuf-c generated ONNX code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "onnx/onnx_io.h"
#include "ptq/ptq.h"

/* A one- or two-node model: X[1,2,4,4] -> op -> Y, with an optional weight. */
typedef struct tiny_model {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    Onnx__NodeProto node;
    Onnx__NodeProto *nodes[1];
    char *node_inputs[2];
    char *node_outputs[1];
    Onnx__ValueInfoProto in, out;
    Onnx__ValueInfoProto *ins[1], *outs[1];
    Onnx__TypeProto in_type, out_type;
    Onnx__TypeProto__Tensor in_tt, out_tt;
    Onnx__TensorShapeProto in_shape;
    Onnx__TensorShapeProto__Dimension dims[4];
    Onnx__TensorShapeProto__Dimension *dimp[4];
    Onnx__TensorProto weight;
    Onnx__TensorProto *inits[1];
    int64_t wdims[4];
    float wdata[3 * 3 * 3 * 3];
} tiny_model;

static void tiny_init(tiny_model *t, const char *op_type, const char *input_name, int with_weight, int64_t w_cin)
{
    memset(t, 0, sizeof *t);
    onnx__model_proto__init(&t->model);
    onnx__graph_proto__init(&t->graph);
    onnx__operator_set_id_proto__init(&t->opset);
    onnx__node_proto__init(&t->node);
    onnx__value_info_proto__init(&t->in);
    onnx__value_info_proto__init(&t->out);
    onnx__type_proto__init(&t->in_type);
    onnx__type_proto__init(&t->out_type);
    onnx__type_proto__tensor__init(&t->in_tt);
    onnx__type_proto__tensor__init(&t->out_tt);
    onnx__tensor_shape_proto__init(&t->in_shape);
    t->model.has_ir_version = 1;
    t->model.ir_version = 8;
    t->opset.domain = "";
    t->opset.has_version = 1;
    t->opset.version = 13;
    t->opsets[0] = &t->opset;
    t->model.n_opset_import = 1;
    t->model.opset_import = t->opsets;
    t->model.graph = &t->graph;
    t->graph.name = "tiny";
    int64_t shape[4] = {-1, 2, 4, 4};
    for (int i = 0; i < 4; i++) {
        onnx__tensor_shape_proto__dimension__init(&t->dims[i]);
        if (shape[i] < 0) {
            t->dims[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            t->dims[i].dim_param = "batch";
        } else {
            t->dims[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            t->dims[i].dim_value = shape[i];
        }
        t->dimp[i] = &t->dims[i];
    }
    t->in_shape.n_dim = 4;
    t->in_shape.dim = t->dimp;
    t->in_tt.has_elem_type = 1;
    t->in_tt.elem_type = 1;
    t->in_tt.shape = &t->in_shape;
    t->in_type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->in_type.tensor_type = &t->in_tt;
    t->in.name = "X";
    t->in.type = &t->in_type;
    t->out_tt.has_elem_type = 1;
    t->out_tt.elem_type = 1;
    t->out_type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->out_type.tensor_type = &t->out_tt;
    t->out.name = "Y";
    t->out.type = &t->out_type;
    t->ins[0] = &t->in;
    t->outs[0] = &t->out;
    t->graph.n_input = 1;
    t->graph.input = t->ins;
    t->graph.n_output = 1;
    t->graph.output = t->outs;
    t->node_inputs[0] = (char *)input_name;
    t->node_inputs[1] = "W";
    t->node_outputs[0] = "Y";
    t->node.name = "the_node";
    t->node.op_type = (char *)op_type;
    t->node.n_input = with_weight ? 2 : 1;
    t->node.input = t->node_inputs;
    t->node.n_output = 1;
    t->node.output = t->node_outputs;
    t->nodes[0] = &t->node;
    t->graph.n_node = 1;
    t->graph.node = t->nodes;
    if (with_weight) {
        onnx__tensor_proto__init(&t->weight);
        t->weight.name = "W";
        t->weight.has_data_type = 1;
        t->weight.data_type = 1;
        t->wdims[0] = 3;
        t->wdims[1] = w_cin;
        t->wdims[2] = 3;
        t->wdims[3] = 3;
        t->weight.n_dims = 4;
        t->weight.dims = t->wdims;
        t->weight.n_float_data = (size_t)(3 * w_cin * 9);
        t->weight.float_data = t->wdata;
        t->inits[0] = &t->weight;
        t->graph.n_initializer = 1;
        t->graph.initializer = t->inits;
    }
}

/* Packs the model to a temp file; returns the path (static buffer). */
static const char *tiny_write(tiny_model *t, size_t truncate_to)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/tests/tiny_%d.onnx", PTQ_BINARY_DIR, (int)truncate_to);
    size_t n = onnx__model_proto__get_packed_size(&t->model);
    uint8_t *buf = malloc(n);
    onnx__model_proto__pack(&t->model, buf);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite(buf, 1, truncate_to && truncate_to < n ? truncate_to : n, fp);
    fclose(fp);
    free(buf);
    return path;
}

static ptq_status session_for(const char *path, int bind, ptq_model **m, ptq_session **s)
{
    *s = NULL;
    ptq_status st = ptq_model_load(path, m);
    if (st) return st;
    ptq_input_shape shape = {.name = "X", .rank = 4, .dims = {1, 2, 4, 4}};
    ptq_session_params p = ptq_session_params_default();
    p.backend = PTQ_BACKEND_REF;
    p.n_input_shapes = bind;
    p.input_shapes = &shape;
    return ptq_session_create(*m, &p, s);
}

static void test_valid_tiny_model_runs(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Relu", "X", 0, 0);
    ptq_model *m = NULL;
    ptq_session *s = NULL;
    assert_int_equal(session_for(tiny_write(&t, 0), 1, &m, &s), PTQ_STATUS_OK);
    ptq_tensor *x, *y = NULL;
    int64_t dims[4] = {1, 2, 4, 4};
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 4, dims, &x), PTQ_STATUS_OK);
    for (int i = 0; i < 32; i++) ((float *)x->data)[i] = (float)(i - 16);
    assert_int_equal(ptq_session_run(s, 1, (const ptq_tensor *const *)&x, 1, &y), PTQ_STATUS_OK);
    assert_float_equal(((float *)y->data)[0], 0.0f, 0);
    assert_float_equal(((float *)y->data)[31], 15.0f, 0);
    ptq_tensor_destroy(x);
    ptq_tensor_destroy(y);
    ptq_session_destroy(s);
    ptq_model_destroy(m);
}

static void test_truncated_file_is_an_error(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Conv", "X", 1, 2);
    size_t n = onnx__model_proto__get_packed_size(&t.model);
    /* Every truncation point: an error or (rarely, at a field boundary) a
     * smaller valid model — never a crash. */
    for (size_t cut = 1; cut < n; cut += 7) {
        ptq_model *m = NULL;
        ptq_status st = ptq_model_load(tiny_write(&t, cut), &m);
        if (st) {
            assert_null(m);
            assert_non_null(strstr(ptq_last_error(), "tiny_"));
        }
        ptq_model_destroy(m);
    }
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(PTQ_BINARY_DIR "/no/such/model.onnx", &m), PTQ_STATUS_IO);
    assert_non_null(strstr(ptq_last_error(), "no/such/model.onnx"));
}

static void test_unknown_operator_names_node(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "FancyOp", "X", 0, 0);
    ptq_model *m = NULL;
    ptq_session *s = NULL;
    assert_int_equal(session_for(tiny_write(&t, 0), 1, &m, &s), PTQ_STATUS_UNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(ptq_last_error(), "the_node"));
    assert_non_null(strstr(ptq_last_error(), "FancyOp"));
    assert_non_null(strstr(ptq_last_error(), "opset 13"));
    ptq_model_destroy(m);
    /* An opset version outside 1..INT32_MAX (2^32 + 13 acted as opset 13). */
    int64_t bad[2] = {((int64_t)1 << 32) + 13, -5};
    for (int i = 0; i < 2; i++) {
        tiny_init(&t, "Relu", "X", 0, 0);
        t.opset.version = bad[i];
        m = NULL;
        assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_BAD_FORMAT);
        assert_null(m);
        assert_non_null(strstr(ptq_last_error(), "opset_import of domain '' has version"));
    }
}

static void test_missing_input_names_it(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Relu", "nowhere", 0, 0);
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "nowhere"));
    assert_non_null(strstr(ptq_last_error(), "the_node"));
    assert_non_null(strstr(ptq_last_error(), "tiny_")); /* and the file */
}

/* A value has one definition: a second node writing it, or a node writing a
 * graph input or an initializer, is an error naming both (it was accepted,
 * and the ref backend leaked the first producer's output). */
static void test_value_written_twice(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Relu", "X", 0, 0);
    Onnx__NodeProto second = t.node;
    second.name = "second_node";
    Onnx__NodeProto *nodes[2] = {&t.node, &second};
    t.graph.n_node = 2;
    t.graph.node = nodes;
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_BAD_FORMAT);
    assert_null(m);
    assert_non_null(strstr(ptq_last_error(), "node 'second_node' writes 'Y'"));
    assert_non_null(strstr(ptq_last_error(), "tiny_"));
    tiny_init(&t, "Relu", "X", 0, 0);
    t.node_outputs[0] = "X";
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "'X', which is already a graph input"));
    tiny_init(&t, "Conv", "X", 1, 2);
    t.node_outputs[0] = "W";
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "'W', which is already an initializer"));
}

/* A graph without outputs is an error (ptq run wrote a NULL output), and so
 * is an output nothing defines; one without nodes (its output is its input)
 * loads (toposort passed NULL to memcpy). */
static void test_graph_without_outputs_or_nodes(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Relu", "X", 0, 0);
    t.graph.n_output = 0;
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "no outputs"));
    tiny_init(&t, "Relu", "X", 0, 0);
    t.out.name = "Z";
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "graph output 'Z' is not produced"));
    tiny_init(&t, "Relu", "X", 0, 0);
    t.graph.n_node = 0;
    t.out.name = "X";
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_OK);
    ptq_model_destroy(m);
}

static void test_shape_mismatch_names_node(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Conv", "X", 1, 3); /* weight expects 3 input channels, X has 2 */
    ptq_model *m = NULL;
    ptq_session *s = NULL;
    ptq_status st = session_for(tiny_write(&t, 0), 1, &m, &s);
    assert_int_not_equal(st, PTQ_STATUS_OK);
    assert_non_null(strstr(ptq_last_error(), "the_node"));
    assert_non_null(strstr(ptq_last_error(), "Conv"));
    ptq_model_destroy(m);
}

static void test_wrong_input_shape_at_run(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Relu", "X", 0, 0);
    ptq_model *m = NULL;
    ptq_session *s = NULL;
    assert_int_equal(session_for(tiny_write(&t, 0), 1, &m, &s), PTQ_STATUS_OK);
    ptq_tensor *x, *y = NULL;
    int64_t dims[4] = {1, 2, 4, 5};
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 4, dims, &x), PTQ_STATUS_OK);
    assert_int_equal(ptq_session_run(s, 1, (const ptq_tensor *const *)&x, 1, &y), PTQ_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(ptq_last_error(), "1x2x4x5"));
    ptq_tensor_destroy(x);
    ptq_session_destroy(s);
    ptq_model_destroy(m);
}

/* Bound input shapes are validated: a rank outside 0..PTQ_MAX_DIMS (was read
 * past the dims array) and a size beyond the tensor limit (overflowed the
 * size arithmetic of the memory plans) are errors naming the input. */
static void test_bad_bound_shape(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Flatten", "X", 0, 0);
    t.in_tt.shape = NULL; /* any shape binds */
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_OK);
    ptq_input_shape shape = {.name = "X", .rank = PTQ_MAX_DIMS + 1};
    ptq_session_params p = ptq_session_params_default();
    p.n_input_shapes = 1;
    p.input_shapes = &shape;
    ptq_session *s = NULL;
    assert_int_equal(ptq_session_create(m, &p, &s), PTQ_STATUS_INVALID_ARGUMENT);
    assert_null(s);
    assert_non_null(strstr(ptq_last_error(), "rank 9"));
    ptq_input_shape huge[2] = {{.name = "X", .rank = 4, .dims = {(int64_t)1 << 62, 2, 4, 4}},
                               {.name = "X", .rank = 4, .dims = {0, 2, (int64_t)1 << 40, (int64_t)1 << 40}}};
    for (int b = 0; b < 4; b++) {
        p.input_shapes = &huge[b / 2];
        p.backend = b % 2 ? PTQ_BACKEND_DNNL : PTQ_BACKEND_REF;
        assert_int_equal(ptq_session_create(m, &p, &s), PTQ_STATUS_INVALID_ARGUMENT);
        assert_null(s);
        assert_non_null(strstr(ptq_last_error(), "input 'X'"));
    }
    p.input_shapes = NULL;
    assert_int_equal(ptq_session_create(m, &p, &s), PTQ_STATUS_INVALID_ARGUMENT);
    ptq_model_destroy(m);
}

/* An empty tensor's other dimensions obey the size limit too: 0 x 2 x 2^40 x
 * 2^40 passed, and kernels multiplying its dimensions (Flatten, Transpose,
 * Softmax, QuantizeLinear per axis...) overflowed int64 (test_bad_bound_shape
 * binds it to a Flatten). */
static void test_empty_tensor_with_huge_dims(void **state)
{
    (void)state;
    int64_t dims[4] = {0, 2, (int64_t)1 << 40, (int64_t)1 << 40};
    ptq_tensor *x = NULL;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 4, dims, &x), PTQ_STATUS_INVALID_ARGUMENT);
    assert_null(x);
    int64_t ok[4] = {0, 2, 4, 4};
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 4, ok, &x), PTQ_STATUS_OK);
    ptq_tensor_destroy(x);
}

/* Below the 1 TB limit but beyond the machine's memory (512 GiB): an error
 * naming the sizes, not an allocation that Linux grants and the process
 * dies touching (a tiny model could ask for tens of GB). */
static void test_tensor_beyond_memory(void **state)
{
    (void)state;
    int64_t dims[2] = {(int64_t)1 << 17, (int64_t)1 << 20};
    ptq_tensor *x = NULL;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 2, dims, &x), PTQ_STATUS_OUT_OF_MEMORY);
    assert_null(x);
    assert_non_null(strstr(ptq_last_error(), "needs 512.0 GiB, more than this machine's memory"));
    /* the oneDNN plan's activation buffers, at session creation */
    tiny_model t;
    tiny_init(&t, "Flatten", "X", 0, 0);
    t.in_tt.shape = NULL;
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_OK);
    ptq_input_shape shape = {.name = "X", .rank = 4, .dims = {1, 1 << 17, 1 << 10, 1 << 10}};
    ptq_session_params p = ptq_session_params_default();
    p.n_input_shapes = 1;
    p.input_shapes = &shape;
    p.backend = PTQ_BACKEND_DNNL;
    ptq_session *s = NULL;
    assert_int_equal(ptq_session_create(m, &p, &s), PTQ_STATUS_OUT_OF_MEMORY);
    assert_null(s);
    assert_non_null(strstr(ptq_last_error(), "more than this machine's memory"));
    ptq_model_destroy(m);
}

static void test_bad_tensor_data_names_initializer(void **state)
{
    (void)state;
    tiny_model t;
    tiny_init(&t, "Conv", "X", 1, 2);
    t.weight.n_float_data = 5; /* shape needs 54 */
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "initializer 'W'"));
    /* A tiny file declaring a huge tensor fails before allocating it. */
    tiny_init(&t, "Conv", "X", 1, 2);
    t.wdims[1] = (int64_t)1 << 30; /* 3 x 2^30 x 3 x 3 floats = 108 GB */
    ptq_model *m2 = NULL;
    assert_int_equal(ptq_model_load(tiny_write(&t, 0), &m2), PTQ_STATUS_BAD_FORMAT);
    assert_non_null(strstr(ptq_last_error(), "shape needs"));
}

/* External data whose side file is missing: an I/O error naming the file. */
static void test_missing_external_data_file(void **state)
{
    (void)state;
    char dir[256], cmd[1024];
    snprintf(dir, sizeof dir, "%s/tests/external_missing", PTQ_BINARY_DIR);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/tests/fixtures/external_data/model.onnx %s/", dir, PTQ_SOURCE_DIR, dir);
    assert_int_equal(system(cmd), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(path, &m), PTQ_STATUS_IO);
    assert_null(m);
    assert_non_null(strstr(ptq_last_error(), "weights.data"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_tiny_model_runs),
        cmocka_unit_test(test_truncated_file_is_an_error),
        cmocka_unit_test(test_unknown_operator_names_node),
        cmocka_unit_test(test_missing_input_names_it),
        cmocka_unit_test(test_value_written_twice),
        cmocka_unit_test(test_graph_without_outputs_or_nodes),
        cmocka_unit_test(test_shape_mismatch_names_node),
        cmocka_unit_test(test_wrong_input_shape_at_run),
        cmocka_unit_test(test_bad_bound_shape),
        cmocka_unit_test(test_empty_tensor_with_huge_dims),
        cmocka_unit_test(test_tensor_beyond_memory),
        cmocka_unit_test(test_bad_tensor_data_names_initializer),
        cmocka_unit_test(test_missing_external_data_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
