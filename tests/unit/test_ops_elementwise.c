/* Hand-computed cases for the elementwise, shape, Pad and ReduceMean
 * reference kernels: each test builds one node in a tiny graph and calls its
 * kernel through a ptq__kernel_ctx, in both shape-only and compute mode. */
#include "op_test_util.h"

/* [[1,2,3],[4,5,6]] + [10,20,30], Sub and integer Div truncating toward 0. */
static void test_binary_broadcast(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "Add", 13, 2, 1);
    const float a[] = {1, 2, 3, 4, 5, 6}, b[] = {10, 20, 30};
    const int64_t da[] = {2, 3}, db[] = {3};
    ptq_tensor ta = view(PTQ_DTYPE_FLOAT32, 2, da, a), tb = view(PTQ_DTYPE_FLOAT32, 1, db, b);
    const ptq_tensor *in[] = {&ta, &tb};
    assert_int_equal(run(&f, 2, in, 1, true), PTQ_STATUS_OK);
    assert_dims(f.out[0], 2, da);
    assert_null(f.out[0]->data);
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    const float want[] = {11, 22, 33, 14, 25, 36};
    assert_memory_equal(f.out[0]->data, want, sizeof want);
    /* b - a broadcast the other way: shape [2,3]. */
    const ptq_tensor *in2[] = {&tb, &ta};
    f.g->nodes[f.node].op = PTQ__OP_SUB;
    assert_int_equal(run(&f, 2, in2, 1, false), PTQ_STATUS_OK);
    const float want2[] = {9, 18, 27, 6, 15, 24};
    assert_memory_equal(f.out[0]->data, want2, sizeof want2);
    /* int32 Div: -7 / 2 = -3 (truncation), 7 / -2 = -3. */
    f.g->nodes[f.node].op = PTQ__OP_DIV;
    const int32_t ia[] = {-7, 7, 9}, ib[] = {2, -2, 3};
    ptq_tensor tia = view(PTQ_DTYPE_INT32, 1, db, ia), tib = view(PTQ_DTYPE_INT32, 1, db, ib);
    const ptq_tensor *in3[] = {&tia, &tib};
    assert_int_equal(run(&f, 2, in3, 1, false), PTQ_STATUS_OK);
    const int32_t want3[] = {-3, -3, 3};
    assert_memory_equal(f.out[0]->data, want3, sizeof want3);
    /* Incompatible shapes fail. */
    const int64_t dc[] = {4};
    ptq_tensor tc = view(PTQ_DTYPE_FLOAT32, 1, dc, a);
    const ptq_tensor *in4[] = {&ta, &tc};
    assert_int_equal(run(&f, 2, in4, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);
}

/* Reshape [2,3,4] with shape [0,-1] -> [2,12]; a runtime shape in
 * shape-only mode is UNSUPPORTED. */
static void test_reshape_zero_and_infer(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "Reshape", 14, 2, 1);
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = (float)i;
    const int64_t dx[] = {2, 3, 4}, shape[] = {0, -1}, ds[] = {2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 3, dx, x), ts = view(PTQ_DTYPE_INT64, 1, ds, shape);
    const ptq_tensor *in[] = {&tx, &ts};
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    const int64_t want[] = {2, 12};
    assert_dims(f.out[0], 2, want);
    assert_memory_equal(f.out[0]->data, x, sizeof x);
    ptq_tensor runtime = view(PTQ_DTYPE_INT64, 1, ds, NULL);
    const ptq_tensor *in2[] = {&tx, &runtime};
    assert_int_equal(run(&f, 2, in2, 1, true), PTQ_STATUS_UNSUPPORTED);
    /* Two -1 entries are invalid. */
    const int64_t bad[] = {-1, -1};
    ptq_tensor tb = view(PTQ_DTYPE_INT64, 1, ds, bad);
    const ptq_tensor *in3[] = {&tx, &tb};
    assert_int_equal(run(&f, 2, in3, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    /* A shape whose element count overflows int64 is an error (was UB). */
    const int64_t huge[] = {(int64_t)1 << 62, 8}, dh[] = {2};
    ptq_tensor th = view(PTQ_DTYPE_INT64, 1, dh, huge);
    const ptq_tensor *in4[] = {&tx, &th};
    assert_int_equal(run(&f, 2, in4, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);
}

/* Gather axis 1 of [[1,2,3],[4,5,6]] with indices [-1, 0] -> [[3,1],[6,4]]. */
static void test_gather_negative_index(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "Gather", 13, 2, 1);
    add_int(&f, "axis", 1);
    const int32_t x[] = {1, 2, 3, 4, 5, 6};
    const int64_t dx[] = {2, 3}, idx[] = {-1, 0}, di[] = {2};
    ptq_tensor tx = view(PTQ_DTYPE_INT32, 2, dx, x), ti = view(PTQ_DTYPE_INT64, 1, di, idx);
    const ptq_tensor *in[] = {&tx, &ti};
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    const int64_t want_dims[] = {2, 2};
    assert_dims(f.out[0], 2, want_dims);
    const int32_t want[] = {3, 1, 6, 4};
    assert_memory_equal(f.out[0]->data, want, sizeof want);
    const int64_t oob[] = {3, 0};
    ptq_tensor to = view(PTQ_DTYPE_INT64, 1, di, oob);
    const ptq_tensor *in2[] = {&tx, &to};
    assert_int_equal(run(&f, 2, in2, 1, false), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);
}

/* Pad [[1,2],[3,4]] by one column left and one row below with 9 (opset 2
 * attributes), then reflect and a cropping pad with the opset 11 input. */
static void test_pad_modes(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "Pad", 2, 1, 1);
    const int64_t pads[] = {0, 1, 1, 0};
    add_ints(&f, "pads", 4, pads);
    add_float(&f, "value", 9.f);
    const float x[] = {1, 2, 3, 4};
    const int64_t dx[] = {2, 2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 2, dx, x);
    const ptq_tensor *in[] = {&tx};
    assert_int_equal(run(&f, 1, in, 1, false), PTQ_STATUS_OK);
    const int64_t want_dims[] = {3, 3};
    assert_dims(f.out[0], 2, want_dims);
    const float want[] = {9, 1, 2, 9, 3, 4, 9, 9, 9};
    assert_memory_equal(f.out[0]->data, want, sizeof want);
    fixture_done(&f);

    /* Opset 11: reflect [1,2,3] by 2 on the left -> [3,2,1,2,3]. */
    fixture_init(&f, "Pad", 11, 2, 1);
    add_string(&f, "mode", "reflect");
    const float y[] = {1, 2, 3};
    const int64_t dy[] = {3}, p2[] = {2, 0}, dp[] = {2};
    ptq_tensor ty = view(PTQ_DTYPE_FLOAT32, 1, dy, y), tp = view(PTQ_DTYPE_INT64, 1, dp, p2);
    const ptq_tensor *in2[] = {&ty, &tp};
    assert_int_equal(run(&f, 2, in2, 1, false), PTQ_STATUS_OK);
    const float want2[] = {3, 2, 1, 2, 3};
    assert_memory_equal(f.out[0]->data, want2, sizeof want2);
    /* Negative pads crop: [-1, 0] on [1,2,3] -> [2,3]. */
    const int64_t p3[] = {-1, 0};
    ptq_tensor tp3 = view(PTQ_DTYPE_INT64, 1, dp, p3);
    const ptq_tensor *in3[] = {&ty, &tp3};
    assert_int_equal(run(&f, 2, in3, 1, false), PTQ_STATUS_OK);
    const float want3[] = {2, 3};
    assert_memory_equal(f.out[0]->data, want3, sizeof want3);
    /* Pads that overflow int64 are errors, not UB; so is an output beyond the
     * tensor size limit, in shape-only mode too. */
    const int64_t p4[] = {INT64_MAX, INT64_MAX}, p5[] = {(int64_t)1 << 50, 0};
    ptq_tensor tp4 = view(PTQ_DTYPE_INT64, 1, dp, p4), tp5 = view(PTQ_DTYPE_INT64, 1, dp, p5);
    const ptq_tensor *in4[] = {&ty, &tp4}, *in5[] = {&ty, &tp5};
    assert_int_equal(run(&f, 2, in4, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    assert_int_equal(run(&f, 2, in5, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);
}

/* Shape produces data even in shape-only mode; ReduceMean over axis 1. */
static void test_shape_and_reduce_mean(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "Shape", 15, 1, 1);
    add_int(&f, "start", -2);
    const int64_t dx[] = {2, 3, 4};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 3, dx, NULL);
    const ptq_tensor *in[] = {&tx};
    assert_int_equal(run(&f, 1, in, 1, true), PTQ_STATUS_OK);
    assert_non_null(f.out[0]->data);
    const int64_t want[] = {3, 4};
    assert_memory_equal(f.out[0]->data, want, sizeof want);
    fixture_done(&f);

    fixture_init(&f, "ReduceMean", 13, 1, 1);
    const int64_t axes[] = {-1};
    add_ints(&f, "axes", 1, axes);
    add_int(&f, "keepdims", 0);
    const float x[] = {1, 2, 3, 4, 5, 9};
    const int64_t d2[] = {2, 3};
    ptq_tensor t2 = view(PTQ_DTYPE_FLOAT32, 2, d2, x);
    const ptq_tensor *in2[] = {&t2};
    assert_int_equal(run(&f, 1, in2, 1, false), PTQ_STATUS_OK);
    const int64_t want_dims[] = {2};
    assert_dims(f.out[0], 1, want_dims);
    const float want2[] = {2, 6};
    assert_memory_equal(f.out[0]->data, want2, sizeof want2);
    fixture_done(&f);
}

/* Cast float -> int8 truncates toward zero; HardSwish at a few points. */
static void test_cast_and_unary(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "Cast", 13, 1, 1);
    add_int(&f, "to", PTQ_DTYPE_INT8);
    const float x[] = {-2.7f, -0.5f, 0.5f, 3.9f};
    const int64_t dx[] = {4};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 1, dx, x);
    const ptq_tensor *in[] = {&tx};
    assert_int_equal(run(&f, 1, in, 1, false), PTQ_STATUS_OK);
    const int8_t want[] = {-2, 0, 0, 3};
    assert_memory_equal(f.out[0]->data, want, sizeof want);
    fixture_done(&f);

    fixture_init(&f, "HardSwish", 14, 1, 1);
    const float h[] = {-4.f, 0.f, 1.5f, 4.f};
    ptq_tensor th = view(PTQ_DTYPE_FLOAT32, 1, dx, h);
    const ptq_tensor *in2[] = {&th};
    assert_int_equal(run(&f, 1, in2, 1, false), PTQ_STATUS_OK);
    const float *got = f.out[0]->data;
    assert_float_equal(got[0], 0.f, 1e-6);
    assert_float_equal(got[1], 0.f, 1e-6);
    assert_float_equal(got[2], 1.5f * (1.5f / 6.f + 0.5f), 1e-6);
    assert_float_equal(got[3], 4.f, 1e-6);
    fixture_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_broadcast),
        cmocka_unit_test(test_reshape_zero_and_infer),
        cmocka_unit_test(test_gather_negative_index),
        cmocka_unit_test(test_pad_modes),
        cmocka_unit_test(test_shape_and_reduce_mean),
        cmocka_unit_test(test_cast_and_unary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
