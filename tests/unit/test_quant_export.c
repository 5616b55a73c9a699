/* ONNX export: a model written by ptq_model_save loads back with the same
 * graph (node names, ops, attributes) and gives bit-identical outputs on the
 * reference backend; int8 initializers stay one byte per element; a failed
 * save leaves no file behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ptq/ptq.h"
#include "ptq/quantize.h"
#include "api/internal.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_io.h"

#define MODEL PTQ_SHARED_DIR "/models/resnet50-fashion/model.onnx"
#define FIX PTQ_SOURCE_DIR "/tests/fixtures/resnet50/"

static ptq_tensor *run_ref(const ptq_model *m, const ptq_tensor *x)
{
    ptq_input_shape shape = {.name = NULL, .rank = x->rank};
    memcpy(shape.dims, x->dims, sizeof shape.dims);
    ptq_session_params p = ptq_session_params_default();
    p.backend = PTQ_BACKEND_REF;
    p.n_input_shapes = 1;
    p.input_shapes = &shape;
    ptq_session *s = NULL;
    ptq_tensor *y = NULL;
    ptq_status st = ptq_session_create(m, &p, &s);
    if (st) fprintf(stderr, "session: %s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    st = ptq_session_run(s, 1, &x, 1, &y);
    if (st) fprintf(stderr, "run: %s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    ptq_session_destroy(s);
    return y;
}

static void test_resnet50_roundtrip(void **state)
{
    (void)state;
    ptq_model *m = NULL, *m2 = NULL;
    ptq_tensor *x = NULL;
    assert_int_equal(ptq_model_load(MODEL, &m), PTQ_STATUS_OK);
    assert_int_equal(ptq_tensor_load_npy(FIX "input_64.npy", &x), PTQ_STATUS_OK);
    char path[256];
    snprintf(path, sizeof path, "%s/export_roundtrip_%d.onnx", PTQ_BINARY_DIR, (int)getpid());
    ptq_status st = ptq_model_save(m, path);
    if (st) fprintf(stderr, "save: %s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    st = ptq_model_load(path, &m2);
    if (st) fprintf(stderr, "reload: %s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);

    /* Same nodes, names and ops, same opset and inputs. */
    assert_int_equal(ptq_model_node_count(m), ptq_model_node_count(m2));
    for (int i = 0; i < ptq_model_node_count(m); i++) {
        assert_string_equal(ptq_model_node_name(m, i), ptq_model_node_name(m2, i));
        assert_string_equal(ptq_model_node_op_type(m, i), ptq_model_node_op_type(m2, i));
    }
    assert_int_equal(ptq_model_opset(m), ptq_model_opset(m2));
    ptq_value_info a, b;
    assert_int_equal(ptq_model_input_info(m, 0, &a), PTQ_STATUS_OK);
    assert_int_equal(ptq_model_input_info(m2, 0, &b), PTQ_STATUS_OK);
    assert_string_equal(a.name, b.name);
    assert_int_equal(a.rank, b.rank);
    for (int d = 0; d < a.rank; d++) assert_int_equal(a.dims[d], b.dims[d]);

    ptq_tensor *y1 = run_ref(m, x), *y2 = run_ref(m2, x);
    assert_int_equal(ptq_tensor_numel(y1), ptq_tensor_numel(y2));
    assert_memory_equal(y1->data, y2->data, sizeof(float) * (size_t)ptq_tensor_numel(y1));
    ptq_tensor_destroy(y1);
    ptq_tensor_destroy(y2);
    ptq_tensor_destroy(x);
    ptq_model_destroy(m);
    ptq_model_destroy(m2);
    unlink(path);
}

/* A small graph with an int8 initializer, a per-axis DequantizeLinear and
 * every attribute type the exporter writes. */
static void test_int8_initializer_and_attrs(void **state)
{
    (void)state;
    ptq__graph *g = ptq__graph_new();
    assert_non_null(g);
    g->opset = 13;
    g->ir_version = 7;
    int x = ptq__graph_value(g, "x"), wq = ptq__graph_value(g, "w_q"), ws = ptq__graph_value(g, "w_s"),
        wz = ptq__graph_value(g, "w_z"), w = ptq__graph_value(g, "w"), y = ptq__graph_value(g, "y");
    g->values[x].dtype = PTQ_DTYPE_FLOAT32;
    g->values[x].rank = 4;
    int64_t xd[4] = {-1, 4, 3, 3};
    memcpy(g->values[x].dims, xd, sizeof xd);
    g->values[x].dim_param[0] = strdup("N");
    int64_t wd[4] = {2, 4, 1, 1}, cd[1] = {2};
    ptq_tensor *t;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_INT8, 4, wd, &t), PTQ_STATUS_OK);
    for (int i = 0; i < 8; i++) ((int8_t *)t->data)[i] = (int8_t)(i * 30 - 120);
    g->values[wq].data = t;
    g->values[wq].is_initializer = true;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, 1, cd, &t), PTQ_STATUS_OK);
    ((float *)t->data)[0] = 0.01f;
    ((float *)t->data)[1] = 0.02f;
    g->values[ws].data = t;
    g->values[ws].is_initializer = true;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_INT8, 1, cd, &t), PTQ_STATUS_OK);
    g->values[wz].data = t;
    g->values[wz].is_initializer = true;
    g->inputs = malloc(sizeof(int));
    g->inputs[0] = x;
    g->n_inputs = 1;
    g->outputs = malloc(sizeof(int));
    g->outputs[0] = y;
    g->n_outputs = 1;
    int dq_in[3] = {wq, ws, wz}, conv_in[2] = {x, w};
    int k = ptq__graph_add_node(g, "dq", "DequantizeLinear", "", 3, dq_in, 1, &w);
    ptq__attr at = {.name = (char *)"axis", .type = PTQ__ATTR_INT, .i = 0};
    assert_int_equal(ptq__node_add_attr(&g->nodes[k], &at), PTQ_STATUS_OK);
    k = ptq__graph_add_node(g, "conv", "Conv", "", 2, conv_in, 1, &y);
    int64_t ks[2] = {1, 1};
    ptq__attr a2 = {.name = (char *)"kernel_shape", .type = PTQ__ATTR_INTS, .n = 2, .ints = ks};
    assert_int_equal(ptq__node_add_attr(&g->nodes[k], &a2), PTQ_STATUS_OK);
    ptq__attr a3 = {.name = (char *)"auto_pad", .type = PTQ__ATTR_STRING, .s = (char *)"NOTSET"};
    assert_int_equal(ptq__node_add_attr(&g->nodes[k], &a3), PTQ_STATUS_OK);

    void *data;
    size_t size;
    ptq_status st = ptq__onnx_serialize(g, &data, &size);
    if (st) fprintf(stderr, "%s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    assert_true(size < 400); /* 8 int8 weights: bytes, not 4-byte floats */
    ptq__graph *g2 = NULL;
    st = ptq__onnx_parse(data, size, "mem", NULL, &g2);
    if (st) fprintf(stderr, "%s\n", ptq_last_error());
    assert_int_equal(st, PTQ_STATUS_OK);
    int v = ptq__graph_find_value(g2, "w_q");
    assert_true(v >= 0);
    assert_int_equal(g2->values[v].data->dtype, PTQ_DTYPE_INT8);
    assert_memory_equal(g2->values[v].data->data, g->values[wq].data->data, 8);
    assert_int_equal(g2->n_nodes, 2);
    assert_string_equal(g2->nodes[0].name, "dq");
    assert_int_equal(ptq__node_attr_int(&g2->nodes[0], "axis", -1), 0);
    assert_string_equal(ptq__node_attr_string(&g2->nodes[1], "auto_pad", ""), "NOTSET");
    const int64_t *ks2;
    assert_int_equal(ptq__node_attr_ints(&g2->nodes[1], "kernel_shape", &ks2), 2);
    int xi = g2->inputs[0];
    assert_string_equal(g2->values[xi].dim_param[0], "N");
    assert_int_equal(g2->values[xi].dims[1], 4);
    free(data);
    ptq__graph_free(g2);

    /* A save into a missing directory fails and leaves nothing behind. */
    st = ptq__onnx_save(g, PTQ_BINARY_DIR "/no/such/dir/model.onnx");
    assert_int_equal(st, PTQ_STATUS_IO);
    struct stat sb;
    assert_int_not_equal(stat(PTQ_BINARY_DIR "/no/such/dir/model.onnx", &sb), 0);
    ptq__graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int8_initializer_and_attrs),
        cmocka_unit_test(test_resnet50_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
