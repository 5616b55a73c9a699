/* QDQ placement on a small hand-built graph:
 *   x -> Conv(c1) -> Relu -> MaxPool -> Conv(c2) -> Add(+ MaxPool out) -> y
 * Expect: Q/DQ on x, on the Relu output (not the conv output), on the MaxPool
 * output with the Relu's parameters, on both Add inputs; weights int8 with a
 * per-axis DequantizeLinear; biases float; ignored nodes untouched.
 * FastBiasCorrection on conv2 (1x1): b[c] += sum_k (W - DQ(Q(W)))[c][k] * mu[k],
 * computed here by hand from the plan's integer weights; a zero bias element
 * leaves the layer alone (POT's rule). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant_internal.h"

static int constant(ptq__graph *g, const char *name, int rank, const int64_t *dims, float v)
{
    int id = ptq__graph_value(g, name);
    ptq_tensor *t;
    assert_int_equal(ptq_tensor_create(PTQ_DTYPE_FLOAT32, rank, dims, &t), PTQ_STATUS_OK);
    for (int64_t i = 0; i < ptq_tensor_numel(t); i++) ((float *)t->data)[i] = v * (float)((i % 7) - 3);
    g->values[id].data = t;
    g->values[id].is_initializer = true;
    g->values[id].dtype = PTQ_DTYPE_FLOAT32;
    g->values[id].rank = rank;
    memcpy(g->values[id].dims, dims, sizeof(int64_t) * (size_t)rank);
    return id;
}

static ptq__graph *build(void)
{
    ptq__graph *g = ptq__graph_new();
    g->opset = 13;
    int x = ptq__graph_value(g, "x");
    g->values[x].dtype = PTQ_DTYPE_FLOAT32;
    int64_t wd[4] = {4, 3, 3, 3}, bd[1] = {4}, w2d[4] = {4, 4, 1, 1};
    int w1 = constant(g, "w1", 4, wd, 0.1f), b1 = constant(g, "b1", 1, bd, 0.5f);
    int w2 = constant(g, "w2", 4, w2d, 0.2f), b2 = constant(g, "b2", 1, bd, 0.3f);
    int c1 = ptq__graph_value(g, "c1"), r = ptq__graph_value(g, "r"), m = ptq__graph_value(g, "m");
    int c2 = ptq__graph_value(g, "c2"), y = ptq__graph_value(g, "y");
    int in1[3] = {x, w1, b1}, in2[3] = {m, w2, b2}, add[2] = {c2, m};
    ptq__graph_add_node(g, "conv1", "Conv", "", 3, in1, 1, &c1);
    ptq__graph_add_node(g, "relu", "Relu", "", 1, &c1, 1, &r);
    ptq__graph_add_node(g, "pool", "MaxPool", "", 1, &r, 1, &m);
    ptq__graph_add_node(g, "conv2", "Conv", "", 3, in2, 1, &c2);
    ptq__graph_add_node(g, "add", "Add", "", 2, add, 1, &y);
    g->inputs = malloc(sizeof(int));
    g->inputs[0] = x;
    g->n_inputs = 1;
    g->outputs = malloc(sizeof(int));
    g->outputs[0] = y;
    g->n_outputs = 1;
    return g;
}

static int count_op(const ptq__graph *g, const char *op)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !g->nodes[i].dead && strcmp(g->nodes[i].op_type, op) == 0;
    return n;
}

static const ptq__node *node(const ptq__graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0) return &g->nodes[i];
    return NULL;
}

static void test_placement(void **state)
{
    (void)state;
    ptq__graph *g = build();
    ptq__qplan plan;
    assert_int_equal(ptq__qplan_build(g, 0, NULL, false, &plan), PTQ_STATUS_OK);
    assert_int_equal(plan.n_layers, 2);
    /* x, r, m (shares r), c2 (Add input) */
    assert_int_equal(plan.n_points, 4);
    assert_true(ptq__qplan_find_point(&plan, "c1") < 0);
    int pm = ptq__qplan_find_point(&plan, "m"), pr = ptq__qplan_find_point(&plan, "r");
    assert_true(pm >= 0 && pr >= 0);
    assert_int_equal(plan.points[pm].share, pr);
    for (int i = 0; i < plan.n_points; i++) ptq__qparams_from_range(-1.0, 2.0, false, &plan.points[i].q);
    assert_int_equal(ptq__qplan_quantize_weights(&plan, g), PTQ_STATUS_OK);
    ptq__graph *q = NULL;
    assert_int_equal(ptq__qdq_build(g, &plan, true, 0, NULL, &q), PTQ_STATUS_OK);
    assert_int_equal(count_op(q, "QuantizeLinear"), 4);
    assert_int_equal(count_op(q, "DequantizeLinear"), 4 + 2);
    /* conv1 reads DQ(x) and DQ(w1_quantized, axis 0); its bias stays float. */
    const ptq__node *c1 = node(q, "conv1");
    assert_string_equal(q->values[c1->inputs[0]].name, "x_DequantizeLinear_Output");
    const ptq__node *dqw = &q->nodes[q->values[c1->inputs[1]].producer];
    assert_string_equal(dqw->op_type, "DequantizeLinear");
    assert_int_equal(ptq__node_attr_int(dqw, "axis", -1), 0);
    assert_int_equal(q->values[dqw->inputs[0]].data->dtype, PTQ_DTYPE_INT8);
    assert_int_equal(q->values[dqw->inputs[1]].data->dims[0], 4);
    assert_int_equal(q->values[c1->inputs[2]].data->dtype, PTQ_DTYPE_FLOAT32);
    /* Relu reads the raw conv output; MaxPool reads DQ(relu). */
    assert_string_equal(q->values[node(q, "relu")->inputs[0]].name, "c1");
    assert_string_equal(q->values[node(q, "pool")->inputs[0]].name, "r_DequantizeLinear_Output");
    /* Both Add inputs are dequantized tensors. */
    const ptq__node *add = node(q, "add");
    assert_string_equal(q->values[add->inputs[0]].name, "c2_DequantizeLinear_Output");
    assert_string_equal(q->values[add->inputs[1]].name, "m_DequantizeLinear_Output");
    /* The original float weights are gone. */
    assert_true(ptq__graph_find_value(q, "w1") < 0);
    ptq__graph_free(q);

    /* Ignoring the Add (by op type) and conv2 (by name). */
    ptq__qplan_free(&plan);
    char *ign[2] = {(char *)"Add", (char *)"conv2"};
    assert_int_equal(ptq__qplan_build(g, 2, ign, false, &plan), PTQ_STATUS_OK);
    assert_int_equal(plan.n_layers, 1);
    assert_true(ptq__qplan_find_point(&plan, "c2") < 0);
    for (int i = 0; i < plan.n_points; i++) ptq__qparams_from_range(-1.0, 2.0, false, &plan.points[i].q);
    assert_int_equal(ptq__qplan_quantize_weights(&plan, g), PTQ_STATUS_OK);
    assert_int_equal(ptq__qdq_build(g, &plan, true, 2, ign, &q), PTQ_STATUS_OK);
    assert_string_equal(q->values[node(q, "conv2")->inputs[0]].name, "m");
    assert_string_equal(q->values[node(q, "conv2")->inputs[1]].name, "w2");
    ptq__graph_free(q);
    ptq__qplan_free(&plan);
    ptq__graph_free(g);
}

static void test_fast_bias_correction(void **state)
{
    (void)state;
    ptq__graph *g = build();
    ptq__qplan plan;
    assert_int_equal(ptq__qplan_build(g, 0, NULL, false, &plan), PTQ_STATUS_OK);
    assert_int_equal(ptq__qplan_quantize_weights(&plan, g), PTQ_STATUS_OK);
    const float b0[4] = {0.5f, -0.4f, 0.3f, 0.2f}, mu[4] = {1.5f, 0.25f, 3.0f, 0.75f};
    float *b = g->values[ptq__graph_find_value(g, "b2")].data->data;
    const float *w = g->values[ptq__graph_find_value(g, "w2")].data->data;
    memcpy(b, b0, sizeof b0);
    double ch_sum[4];
    for (int k = 0; k < 4; k++) ch_sum[k] = 10.0 * mu[k];
    ptq__tstats ts = {.name = (char *)"m", .samples = 10, .rank = 4, .dims = {1, 4, 2, 2}, .channels = 4, .ch_sum = ch_sum};
    ptq__stats stats = {.n = 1, .t = &ts};
    assert_int_equal(ptq__fast_bias_correction(g, &plan, &stats), PTQ_STATUS_OK);
    const ptq__qlayer *l = NULL;
    for (int i = 0; i < plan.n_layers; i++)
        if (strcmp(plan.layers[i].node_name, "conv2") == 0) l = &plan.layers[i];
    assert_non_null(l);
    assert_int_equal(l->bias_corrected, 1);
    double moved = 0;
    for (int c = 0; c < 4; c++) {
        double shift = 0;
        for (int k = 0; k < 4; k++) shift += ((double)w[c * 4 + k] - (double)l->w_q[c * 4 + k] * l->w_scale[c]) * mu[k];
        assert_true(fabs(b[c] - (b0[c] + shift)) < 1e-6);
        moved += fabs(b[c] - b0[c]);
    }
    assert_true(moved > 1e-5); /* the weights do have quantization error */
    /* A zero bias element: POT leaves the layer as it is. */
    const float bz[4] = {0.5f, 0.0f, 0.3f, 0.2f};
    memcpy(b, bz, sizeof bz);
    assert_int_equal(ptq__fast_bias_correction(g, &plan, &stats), PTQ_STATUS_OK);
    assert_int_equal(l->bias_corrected, -1);
    assert_memory_equal(b, bz, sizeof bz);
    ptq__qplan_free(&plan);
    ptq__graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placement),
        cmocka_unit_test(test_fast_bias_correction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
