/* Hand-computed cases for the Conv, pooling, BatchNormalization, Gemm/MatMul,
 * Softmax and quantization reference kernels: each test builds one node in a
 * tiny graph and calls its kernel through a ptq__kernel_ctx. */
#include "op_test_util.h"
#include "ops/requant.h"

/* x = 0..15 (4x4), w = 3x3 ones, pads 1, stride 2, bias 1: the four windows
 * sum {0,1,4,5}, {1,2,3,5,6,7}, {4,5,8,9,12,13}, {5,6,7,9,10,11,13,14,15}. */
static void test_conv_pads_stride(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "Conv", 13, 3, 1);
    const int64_t pads[] = {1, 1, 1, 1}, strides[] = {2, 2};
    add_ints(&f, "pads", 4, pads);
    add_ints(&f, "strides", 2, strides);
    float x[16], w[9], b[1] = {1};
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    for (int i = 0; i < 9; i++) w[i] = 1;
    const int64_t dx[] = {1, 1, 4, 4}, dw[] = {1, 1, 3, 3}, db[] = {1}, dy[] = {1, 1, 2, 2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 4, dx, x), tw = view(PTQ_DTYPE_FLOAT32, 4, dw, w);
    ptq_tensor tb = view(PTQ_DTYPE_FLOAT32, 1, db, b);
    /* Shape-only mode works without data. */
    ptq_tensor hx = view(PTQ_DTYPE_FLOAT32, 4, dx, NULL);
    const ptq_tensor *hin[] = {&hx, &tw, &tb};
    assert_int_equal(run(&f, 3, hin, 1, true), PTQ_STATUS_OK);
    assert_dims(f.out[0], 4, dy);
    assert_null(f.out[0]->data);
    const ptq_tensor *in[] = {&tx, &tw, &tb};
    assert_int_equal(run(&f, 3, in, 1, false), PTQ_STATUS_OK);
    const float want[] = {11, 25, 52, 91};
    assert_floats(f.out[0], 4, want);
    /* Without bias. */
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    const float want_nb[] = {10, 24, 51, 90};
    assert_floats(f.out[0], 4, want_nb);
    /* A bias of the wrong length and a weight of the wrong rank are rejected. */
    const int64_t db2[] = {2}, dw3[] = {1, 1, 9};
    float b2[2] = {0, 0};
    ptq_tensor tb2 = view(PTQ_DTYPE_FLOAT32, 1, db2, b2), tw3 = view(PTQ_DTYPE_FLOAT32, 3, dw3, w);
    const ptq_tensor *bad1[] = {&tx, &tw, &tb2}, *bad2[] = {&tx, &tw3};
    assert_int_equal(run(&f, 3, bad1, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    assert_int_equal(run(&f, 2, bad2, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);
}

/* Huge kernel, stride, dilation and pad attributes (a malformed model) are
 * rejected with a message instead of overflowing int64 in the window
 * geometry, for Conv and pooling. */
static void test_window_huge_attributes(void **state)
{
    (void)state;
    const int64_t dx[] = {1, 1, 4, 4}, dw[] = {1, 1, 3, 3}, big = INT64_MAX, half = (int64_t)1 << 62;
    ptq_tensor hx = view(PTQ_DTYPE_FLOAT32, 4, dx, NULL), hw = view(PTQ_DTYPE_FLOAT32, 4, dw, NULL);
    const ptq_tensor *conv_in[] = {&hx, &hw}, *pool_in[] = {&hx};
    const struct { const char *op, *attr; int n; int64_t v[4]; } cases[] = {
        {"Conv", "pads", 4, {big, big, big, big}},
        {"Conv", "pads", 4, {half, 0, half, 0}},
        {"Conv", "dilations", 2, {big, 1}},
        {"Conv", "strides", 2, {1, big}},
        {"MaxPool", "kernel_shape", 2, {half, 2}},
        {"MaxPool", "strides", 2, {big, 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture f;
        fixture_init(&f, cases[i].op, 13, strcmp(cases[i].op, "Conv") ? 1 : 2, 1);
        add_ints(&f, cases[i].attr, cases[i].n, cases[i].v);
        if (strcmp(cases[i].op, "MaxPool") == 0 && strcmp(cases[i].attr, "kernel_shape")) {
            const int64_t ks[] = {2, 2};
            add_ints(&f, "kernel_shape", 2, ks);
        }
        if (strcmp(cases[i].attr, "kernel_shape") == 0) {
            const int64_t dil[] = {4, 1};
            add_ints(&f, "dilations", 2, dil);
        }
        ptq_status st = run(&f, strcmp(cases[i].op, "Conv") ? 1 : 2, strcmp(cases[i].op, "Conv") ? pool_in : conv_in, 1, true);
        if (st != PTQ_STATUS_INVALID_ARGUMENT) print_error("case %zu (%s %s): status %d\n", i, cases[i].op, cases[i].attr, st);
        assert_int_equal(st, PTQ_STATUS_INVALID_ARGUMENT);
        assert_non_null(strstr(ptq_last_error(), "n0"));
        fixture_done(&f);
    }
    /* Pads of 10^6 on a 4x4 input: an output of ~4 x 10^12 elements is refused
     * at shape inference already. */
    fixture f;
    fixture_init(&f, "Conv", 13, 2, 1);
    const int64_t pads[] = {1000000, 1000000, 1000000, 1000000};
    add_ints(&f, "pads", 4, pads);
    assert_int_not_equal(run(&f, 2, conv_in, 1, true), PTQ_STATUS_OK);
    fixture_done(&f);
}

/* Depthwise: 2 channels of [[1..9]], group 2; channel 0 sums 2x2 windows,
 * channel 1 computes x[i][j] - x[i+1][j+1] = -4. */
static void test_conv_depthwise(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "Conv", 13, 2, 1);
    add_int(&f, "group", 2);
    float x[18], w[8] = {1, 1, 1, 1, 1, 0, 0, -1};
    for (int i = 0; i < 18; i++) x[i] = (float)(i % 9 + 1);
    const int64_t dx[] = {1, 2, 3, 3}, dw[] = {2, 1, 2, 2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 4, dx, x), tw = view(PTQ_DTYPE_FLOAT32, 4, dw, w);
    const ptq_tensor *in[] = {&tx, &tw};
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    const float want[] = {12, 16, 24, 28, -4, -4, -4, -4};
    assert_floats(f.out[0], 8, want);
    /* group 3 does not divide 2 channels. */
    f.g->nodes[f.node].attrs[0].i = 3;
    assert_int_equal(run(&f, 2, in, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);
}

/* 1-D x = [1,2,3,4], w = [1,10], auto_pad SAME: UPPER pads at the end,
 * LOWER at the beginning. */
static void test_conv_same_pads(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 4}, w[] = {1, 10};
    const int64_t dx[] = {1, 1, 4}, dw[] = {1, 1, 2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 3, dx, x), tw = view(PTQ_DTYPE_FLOAT32, 3, dw, w);
    const ptq_tensor *in[] = {&tx, &tw};
    fixture f;
    fixture_init(&f, "Conv", 11, 2, 1);
    add_string(&f, "auto_pad", "SAME_UPPER");
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    const float upper[] = {21, 32, 43, 4};
    assert_floats(f.out[0], 4, upper);
    fixture_done(&f);
    fixture_init(&f, "Conv", 11, 2, 1);
    add_string(&f, "auto_pad", "SAME_LOWER");
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    const float lower[] = {10, 21, 32, 43};
    assert_floats(f.out[0], 4, lower);
    fixture_done(&f);
}

/* x = 1..9 (3x3), kernel 2, pads 1, stride 2: windows {1}, {2,3}, {4,7},
 * {5,6,8,9}; divided by the valid count or by 4. */
static void test_avgpool_count_include_pad(void **state)
{
    (void)state;
    float x[9];
    for (int i = 0; i < 9; i++) x[i] = (float)(i + 1);
    const int64_t dx[] = {1, 1, 3, 3}, ks[] = {2, 2}, pads[] = {1, 1, 1, 1}, strides[] = {2, 2}, dy[] = {1, 1, 2, 2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 4, dx, x);
    const ptq_tensor *in[] = {&tx};
    for (int include = 0; include < 2; include++) {
        fixture f;
        fixture_init(&f, "AveragePool", 11, 1, 1);
        add_ints(&f, "kernel_shape", 2, ks);
        add_ints(&f, "pads", 4, pads);
        add_ints(&f, "strides", 2, strides);
        add_int(&f, "count_include_pad", include);
        assert_int_equal(run(&f, 1, in, 1, false), PTQ_STATUS_OK);
        assert_dims(f.out[0], 4, dy);
        const float excl[] = {1, 2.5f, 5.5f, 7}, incl[] = {0.25f, 1.25f, 2.75f, 7};
        assert_floats(f.out[0], 4, include ? incl : excl);
        fixture_done(&f);
    }
}

/* x = 0..15 (4x4), kernel 3, stride 2: floor mode gives one window (max 10),
 * ceil mode 2x2 (10, 11, 14, 15) with the flat indices of the maxima. */
static void test_maxpool_ceil_and_indices(void **state)
{
    (void)state;
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    const int64_t dx[] = {1, 1, 4, 4}, ks[] = {3, 3}, strides[] = {2, 2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 4, dx, x);
    const ptq_tensor *in[] = {&tx};
    fixture f;
    fixture_init(&f, "MaxPool", 12, 1, 2);
    add_ints(&f, "kernel_shape", 2, ks);
    add_ints(&f, "strides", 2, strides);
    assert_int_equal(run(&f, 1, in, 2, false), PTQ_STATUS_OK);
    const float floor_want[] = {10};
    assert_floats(f.out[0], 1, floor_want);
    add_int(&f, "ceil_mode", 1);
    assert_int_equal(run(&f, 1, in, 2, false), PTQ_STATUS_OK);
    const float ceil_want[] = {10, 11, 14, 15};
    assert_floats(f.out[0], 4, ceil_want);
    assert_int_equal(f.out[1]->dtype, PTQ_DTYPE_INT64);
    const int64_t idx_want[] = {10, 11, 14, 15};
    assert_memory_equal(f.out[1]->data, idx_want, sizeof idx_want);
    /* storage_order 1: column-major spatial indices (h + w * H). */
    add_int(&f, "storage_order", 1);
    assert_int_equal(run(&f, 1, in, 2, false), PTQ_STATUS_OK);
    const int64_t idx_cm[] = {2 + 2 * 4, 2 + 3 * 4, 3 + 2 * 4, 3 + 3 * 4};
    assert_memory_equal(f.out[1]->data, idx_cm, sizeof idx_cm);
    fixture_done(&f);
    /* int8 MaxPool keeps the dtype; a missing kernel_shape is rejected. */
    const int8_t xi[] = {-5, 3, -128, 7};
    const int64_t dxi[] = {1, 1, 4}, k2[] = {2}, dyi[] = {1, 1, 3};
    ptq_tensor ti = view(PTQ_DTYPE_INT8, 3, dxi, xi);
    const ptq_tensor *ini[] = {&ti};
    fixture_init(&f, "MaxPool", 12, 1, 1);
    assert_int_equal(run(&f, 1, ini, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    add_ints(&f, "kernel_shape", 1, k2);
    assert_int_equal(run(&f, 1, ini, 1, false), PTQ_STATUS_OK);
    assert_dims(f.out[0], 3, dyi);
    assert_int_equal(f.out[0]->dtype, PTQ_DTYPE_INT8);
    const int8_t yi[] = {3, 3, 7};
    assert_memory_equal(f.out[0]->data, yi, sizeof yi);
    fixture_done(&f);
}

static void test_global_pool(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 6, -1, -2, -3, -6};
    const int64_t dx[] = {1, 2, 2, 2}, dy[] = {1, 2, 1, 1};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 4, dx, x);
    const ptq_tensor *in[] = {&tx};
    fixture f;
    fixture_init(&f, "GlobalAveragePool", 13, 1, 1);
    assert_int_equal(run(&f, 1, in, 1, false), PTQ_STATUS_OK);
    assert_dims(f.out[0], 4, dy);
    const float avg[] = {3, -3};
    assert_floats(f.out[0], 2, avg);
    f.g->nodes[f.node].op = PTQ__OP_GLOBAL_MAX_POOL;
    assert_int_equal(run(&f, 1, in, 1, false), PTQ_STATUS_OK);
    const float mx[] = {6, -1};
    assert_floats(f.out[0], 2, mx);
    fixture_done(&f);
}

/* y = (x - mean) / sqrt(var + eps) * scale + B with eps 0. */
static void test_batchnorm(void **state)
{
    (void)state;
    const float x[] = {1, 3, 10, 20}, scale[] = {2, 1}, b[] = {1, 0}, mean[] = {1, 10}, var[] = {4, 25};
    const int64_t dx[] = {1, 2, 2}, dc[] = {2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 3, dx, x), ts = view(PTQ_DTYPE_FLOAT32, 1, dc, scale);
    ptq_tensor tb = view(PTQ_DTYPE_FLOAT32, 1, dc, b), tm = view(PTQ_DTYPE_FLOAT32, 1, dc, mean);
    ptq_tensor tv = view(PTQ_DTYPE_FLOAT32, 1, dc, var);
    const ptq_tensor *in[] = {&tx, &ts, &tb, &tm, &tv};
    fixture f;
    fixture_init(&f, "BatchNormalization", 15, 5, 1);
    add_float(&f, "epsilon", 0.0f);
    assert_int_equal(run(&f, 5, in, 1, false), PTQ_STATUS_OK);
    const float want[] = {1, 3, 0, 2};
    assert_floats(f.out[0], 4, want);
    add_int(&f, "training_mode", 1);
    assert_int_equal(run(&f, 5, in, 1, true), PTQ_STATUS_UNSUPPORTED);
    fixture_done(&f);
}

/* Gemm with transA, alpha, beta and a row-vector C; MatMul with 1-D
 * promotion and batch broadcast. */
static void test_gemm_matmul(void **state)
{
    (void)state;
    const float at[] = {1, 3, 2, 4}; /* A^T of [[1,2],[3,4]] */
    const float b[] = {1, 0, 0, 1}, c[] = {10, 20};
    const int64_t d22[] = {2, 2}, dc[] = {2};
    ptq_tensor ta = view(PTQ_DTYPE_FLOAT32, 2, d22, at), tb = view(PTQ_DTYPE_FLOAT32, 2, d22, b);
    ptq_tensor tc = view(PTQ_DTYPE_FLOAT32, 1, dc, c);
    const ptq_tensor *in[] = {&ta, &tb, &tc};
    fixture f;
    fixture_init(&f, "Gemm", 13, 3, 1);
    add_int(&f, "transA", 1);
    add_float(&f, "alpha", 2.0f);
    add_float(&f, "beta", 0.5f);
    assert_int_equal(run(&f, 3, in, 1, false), PTQ_STATUS_OK);
    const float want[] = {2 + 5, 4 + 10, 6 + 5, 8 + 10};
    assert_floats(f.out[0], 4, want);
    fixture_done(&f);

    /* [2,1,2,3] x [3] -> [2,1,2]; [3] x [2,3,2] -> [2,2]. */
    float a4[12], v[3] = {1, 10, 100}, m3[12];
    for (int i = 0; i < 12; i++) a4[i] = (float)i, m3[i] = (float)i;
    const int64_t da[] = {2, 1, 2, 3}, dv[] = {3}, dm[] = {2, 3, 2}, dy1[] = {2, 1, 2}, dy2[] = {2, 2};
    ptq_tensor tA = view(PTQ_DTYPE_FLOAT32, 4, da, a4), tv = view(PTQ_DTYPE_FLOAT32, 1, dv, v);
    ptq_tensor tm = view(PTQ_DTYPE_FLOAT32, 3, dm, m3);
    fixture_init(&f, "MatMul", 13, 2, 1);
    const ptq_tensor *in1[] = {&tA, &tv}, *in2[] = {&tv, &tm}, *bad[] = {&tA, &tm};
    assert_int_equal(run(&f, 2, in1, 1, false), PTQ_STATUS_OK);
    assert_dims(f.out[0], 3, dy1);
    const float w1[] = {210, 543, 876, 1209};
    assert_floats(f.out[0], 4, w1);
    assert_int_equal(run(&f, 2, in2, 1, false), PTQ_STATUS_OK);
    assert_dims(f.out[0], 2, dy2);
    const float w2[] = {420, 531, 1086, 1197};
    assert_floats(f.out[0], 4, w2);
    /* [2,1,2,3] x [2,3,2] broadcasts to [2,2,2,2]; K mismatch fails. */
    assert_int_equal(run(&f, 2, bad, 1, true), PTQ_STATUS_OK);
    const ptq_tensor *bad2[] = {&tv, &tA};
    assert_int_equal(run(&f, 2, bad2, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);
}

/* Opset 11 normalizes over dims[axis:] flattened, opset 13 over one axis. */
static void test_softmax_opsets(void **state)
{
    (void)state;
    const float x[] = {0, 0, 0, 0};
    const int64_t dx[] = {1, 2, 2};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 3, dx, x);
    const ptq_tensor *in[] = {&tx};
    fixture f;
    fixture_init(&f, "Softmax", 11, 1, 1);
    assert_int_equal(run(&f, 1, in, 1, false), PTQ_STATUS_OK);
    const float quarter[] = {0.25f, 0.25f, 0.25f, 0.25f}, half[] = {0.5f, 0.5f, 0.5f, 0.5f};
    assert_floats(f.out[0], 4, quarter);
    fixture_done(&f);
    fixture_init(&f, "Softmax", 13, 1, 1);
    add_int(&f, "axis", 1);
    assert_int_equal(run(&f, 1, in, 1, false), PTQ_STATUS_OK);
    assert_floats(f.out[0], 4, half);
    fixture_done(&f);
}

/* Round half to even and saturation, uint8 default output, per-axis scale. */
static void test_quantize_dequantize(void **state)
{
    (void)state;
    assert_int_equal(ptq__quantize_f32(2.5f, 1.0f, 0, -128, 127), 2);
    assert_int_equal(ptq__quantize_f32(-2.5f, 1.0f, 0, -128, 127), -2);
    assert_int_equal(ptq__quantize_f32(3.5f, 1.0f, 0, -128, 127), 4);
    assert_int_equal(ptq__requantize(5, 0.5f, 0, -128, 127), 2);

    const float x[] = {2.5f, -2.5f, 3.5f, 0.5f, 1000.0f, -1000.0f};
    const int8_t zp = 0;
    const float one = 1.0f;
    const int64_t dx[] = {6};
    ptq_tensor tx = view(PTQ_DTYPE_FLOAT32, 1, dx, x), ts = view(PTQ_DTYPE_FLOAT32, 0, NULL, &one);
    ptq_tensor tz = view(PTQ_DTYPE_INT8, 0, NULL, &zp);
    const ptq_tensor *in[] = {&tx, &ts, &tz};
    fixture f;
    fixture_init(&f, "QuantizeLinear", 13, 3, 1);
    assert_int_equal(run(&f, 3, in, 1, false), PTQ_STATUS_OK);
    assert_int_equal(f.out[0]->dtype, PTQ_DTYPE_INT8);
    const int8_t want[] = {2, -2, 4, 0, 127, -128};
    assert_memory_equal(f.out[0]->data, want, sizeof want);
    /* No zero point: uint8, saturating at 0 and 255. */
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    assert_int_equal(f.out[0]->dtype, PTQ_DTYPE_UINT8);
    const uint8_t want_u[] = {2, 0, 4, 0, 255, 0};
    assert_memory_equal(f.out[0]->data, want_u, sizeof want_u);
    /* Per-axis (axis 1) scale and zero point on a [2,2] input. */
    const float x2[] = {1, 1, 4, 4}, s2[] = {1, 2};
    const uint8_t z2[] = {10, 20};
    const int64_t d22[] = {2, 2}, d2[] = {2};
    ptq_tensor tx2 = view(PTQ_DTYPE_FLOAT32, 2, d22, x2), ts2 = view(PTQ_DTYPE_FLOAT32, 1, d2, s2);
    ptq_tensor tz2 = view(PTQ_DTYPE_UINT8, 1, d2, z2);
    const ptq_tensor *in2[] = {&tx2, &ts2, &tz2};
    assert_int_equal(run(&f, 3, in2, 1, false), PTQ_STATUS_OK);
    const uint8_t want2[] = {11, 20, 14, 22};
    assert_memory_equal(f.out[0]->data, want2, sizeof want2);
    fixture_done(&f);
    /* Opset 10 requires scalars. */
    fixture_init(&f, "QuantizeLinear", 10, 3, 1);
    assert_int_equal(run(&f, 3, in2, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);

    /* DequantizeLinear back: (q - zp) * scale. */
    fixture_init(&f, "DequantizeLinear", 13, 3, 1);
    const ptq_tensor tq = view(PTQ_DTYPE_UINT8, 2, d22, want2);
    const ptq_tensor *in3[] = {&tq, &ts2, &tz2};
    assert_int_equal(run(&f, 3, in3, 1, false), PTQ_STATUS_OK);
    const float back[] = {1, 0, 4, 4};
    assert_floats(f.out[0], 4, back);
    fixture_done(&f);
}

/* QLinearConv 1x1: acc = (x - 2) * (w - 0) with w = 3, multiplier
 * 0.5 * 1 / 1 = 0.5, y_zp 1: x = {3, 4, 5, 255} -> acc 3, 6, 9, 759
 * -> 1.5 -> 2 (+1 = 3), 3 (4), 4.5 -> 4 (5), 379.5 -> saturated 255. */
static void test_qlinear_conv(void **state)
{
    (void)state;
    const uint8_t x[] = {3, 4, 5, 255}, xz = 2, yz = 1;
    const int8_t w[] = {3}, wz = 0;
    const float xs = 0.5f, ws = 1.0f, ys = 1.0f;
    const int64_t dx[] = {1, 1, 2, 2}, dw[] = {1, 1, 1, 1};
    ptq_tensor tx = view(PTQ_DTYPE_UINT8, 4, dx, x), txs = view(PTQ_DTYPE_FLOAT32, 0, NULL, &xs);
    ptq_tensor txz = view(PTQ_DTYPE_UINT8, 0, NULL, &xz), tw = view(PTQ_DTYPE_INT8, 4, dw, w);
    ptq_tensor tws = view(PTQ_DTYPE_FLOAT32, 0, NULL, &ws), twz = view(PTQ_DTYPE_INT8, 0, NULL, &wz);
    ptq_tensor tys = view(PTQ_DTYPE_FLOAT32, 0, NULL, &ys), tyz = view(PTQ_DTYPE_UINT8, 0, NULL, &yz);
    const ptq_tensor *in[] = {&tx, &txs, &txz, &tw, &tws, &twz, &tys, &tyz};
    fixture f;
    fixture_init(&f, "QLinearConv", 10, 8, 1);
    assert_int_equal(run(&f, 8, in, 1, false), PTQ_STATUS_OK);
    assert_int_equal(f.out[0]->dtype, PTQ_DTYPE_UINT8);
    const uint8_t want[] = {3, 4, 5, 255};
    assert_memory_equal(f.out[0]->data, want, sizeof want);
    /* A w_zero_point of the wrong dtype is rejected. */
    const ptq_tensor *bad[] = {&tx, &txs, &txz, &tw, &tws, &txz, &tys, &tyz};
    assert_int_equal(run(&f, 8, bad, 1, true), PTQ_STATUS_INVALID_ARGUMENT);
    fixture_done(&f);

    /* ConvInteger: padding acts as the zero point (contributes 0). */
    fixture_init(&f, "ConvInteger", 10, 4, 1);
    const int64_t pads[] = {1, 1, 1, 1}, dw2[] = {1, 1, 2, 2};
    const uint8_t ones[] = {1, 1, 1, 1};
    add_ints(&f, "pads", 4, pads);
    ptq_tensor tw2 = view(PTQ_DTYPE_UINT8, 4, dw2, ones);
    const ptq_tensor *in2[] = {&tx, &tw2, &txz};
    assert_int_equal(run(&f, 3, in2, 1, false), PTQ_STATUS_OK);
    assert_int_equal(f.out[0]->dtype, PTQ_DTYPE_INT32);
    const int32_t want2[] = {1, 3, 2, 4, 259, 255, 3, 256, 253};
    assert_memory_equal(f.out[0]->data, want2, sizeof want2);
    fixture_done(&f);
}

/* Long dot products overflow the int32 accumulator: it wraps (two's
 * complement, as ONNX Runtime and oneDNN do) instead of the undefined
 * behaviour of signed overflow in C (UBSan aborted). MatMulInteger with
 * K = 70000 of 255 x -128 sums to -2284800000, which wraps to 2010167296;
 * QLinearConv's acc 1 + bias INT32_MAX wraps to INT32_MIN -> uint8 0. */
static void test_integer_accumulator_wraps(void **state)
{
    (void)state;
    enum { K = 70000 };
    static uint8_t a[K];
    static int8_t b[K];
    memset(a, 255, sizeof a);
    memset(b, -128, sizeof b);
    const int64_t da[] = {1, K}, db[] = {K, 1};
    ptq_tensor ta = view(PTQ_DTYPE_UINT8, 2, da, a), tb = view(PTQ_DTYPE_INT8, 2, db, b);
    const ptq_tensor *in[] = {&ta, &tb};
    fixture f;
    fixture_init(&f, "MatMulInteger", 10, 2, 1);
    assert_int_equal(run(&f, 2, in, 1, false), PTQ_STATUS_OK);
    assert_int_equal(((const int32_t *)f.out[0]->data)[0], 2010167296);
    fixture_done(&f);

    const uint8_t x = 3, xz = 2, yz = 0;
    const int8_t w = 1, wz = 0;
    const int32_t bias = INT32_MAX;
    const float one = 1.0f;
    const int64_t d1[] = {1, 1, 1, 1}, dbias[] = {1};
    ptq_tensor tx = view(PTQ_DTYPE_UINT8, 4, d1, &x), tw = view(PTQ_DTYPE_INT8, 4, d1, &w);
    ptq_tensor ts = view(PTQ_DTYPE_FLOAT32, 0, NULL, &one), txz = view(PTQ_DTYPE_UINT8, 0, NULL, &xz);
    ptq_tensor twz = view(PTQ_DTYPE_INT8, 0, NULL, &wz), tyz = view(PTQ_DTYPE_UINT8, 0, NULL, &yz);
    ptq_tensor tbias = view(PTQ_DTYPE_INT32, 1, dbias, &bias);
    const ptq_tensor *qin[] = {&tx, &ts, &txz, &tw, &ts, &twz, &ts, &tyz, &tbias};
    fixture_init(&f, "QLinearConv", 10, 9, 1);
    assert_int_equal(run(&f, 9, qin, 1, false), PTQ_STATUS_OK);
    assert_int_equal(((const uint8_t *)f.out[0]->data)[0], 0);
    fixture_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_pads_stride),
        cmocka_unit_test(test_window_huge_attributes),
        cmocka_unit_test(test_conv_depthwise),
        cmocka_unit_test(test_conv_same_pads),
        cmocka_unit_test(test_avgpool_count_include_pad),
        cmocka_unit_test(test_maxpool_ceil_and_indices),
        cmocka_unit_test(test_global_pool),
        cmocka_unit_test(test_batchnorm),
        cmocka_unit_test(test_gemm_matmul),
        cmocka_unit_test(test_softmax_opsets),
        cmocka_unit_test(test_quantize_dequantize),
        cmocka_unit_test(test_qlinear_conv),
        cmocka_unit_test(test_integer_accumulator_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
