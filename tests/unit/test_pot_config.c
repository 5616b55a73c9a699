/* POT JSON configs: comment stripping, every key's mapping onto
 * ptq_quant_params, path resolution, unknown-key warnings with their paths,
 * errors for what ptq cannot do, the datasets and preprocessing a config
 * yields (the bundled fashion-cnn fixture and a simplified engine). */
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

#include "config/pot_json.h"

#define FIX PTQ_SOURCE_DIR "/tests/fixtures/pot/"
#define EXAMPLE PTQ_SOURCE_DIR "/examples/fashion-cnn/"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ptq-test-pot-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to <tmpdir>/name and returns the path (static buffer). */
static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int has_warning(const ptq_pot_config *c, const char *needle)
{
    for (int i = 0; i < c->n_warnings; i++)
        if (strstr(c->warnings[i], needle)) return 1;
    return 0;
}

static int has_ignored(const ptq_pot_config *c, const char *name)
{
    for (int i = 0; i < c->params.n_ignored; i++)
        if (strcmp(c->params.ignored[i], name) == 0) return 1;
    return 0;
}

/* A config around `params` (a JSON object body) using the fixture's AC YAML. */
static ptq_status load_params(const char *params, ptq_pot_config **cfg)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"model\": {\"model_name\": \"m\", \"model\": \"%smodel.onnx\"},\n"
             " \"engine\": {\"config\": \"%sfashion_cnn.yml\"},\n"
             " \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\", \"params\": %s}]}}\n",
             EXAMPLE, FIX, params);
    return ptq_pot_config_load(write_tmp("p.json", text), cfg);
}

static void test_strip_comments(void **state)
{
    (void)state;
    char s[] = "{ // line\n \"a\": \"x//y /* z */\", /* block\n over lines */ \"b\": [1, 2, ], }\n";
    int line = 0;
    assert_int_equal(ptq__pot_strip_json_comments(s, strlen(s), &line), 0);
    assert_non_null(strstr(s, "\"x//y /* z */\""));
    assert_null(strstr(s, "line"));
    assert_null(strstr(s, "block"));
    assert_null(strstr(s, ", ]"));
    assert_int_equal(s[strlen(s) - 1], '\n');
    /* newlines kept: three lines, as in the input */
    int nl = 0;
    for (char *p = s; *p; p++) nl += *p == '\n';
    assert_int_equal(nl, 3);
    char u[] = "{\n\"a\": 1 /* never closed\n}";
    assert_int_equal(ptq__pot_strip_json_comments(u, strlen(u), &line), -1);
    assert_int_equal(line, 2);
    /* an escaped quote does not end the string */
    char e[] = "{\"a\": \"q\\\" // not a comment\"}";
    assert_int_equal(ptq__pot_strip_json_comments(e, strlen(e), &line), 0);
    assert_non_null(strstr(e, "// not a comment"));
}

static void test_fixture(void **state)
{
    (void)state;
    ptq_pot_config *c = NULL;
    assert_int_equal(ptq_pot_config_load(FIX "fashion_cnn.json", &c), PTQ_STATUS_OK);
    assert_string_equal(c->model_name, "fashion-cnn");
    assert_string_equal(c->model, FIX "../../../examples/fashion-cnn/model.onnx");
    assert_string_equal(c->weights, FIX "../../../examples/fashion-cnn/model.bin");
    assert_int_equal(c->engine, PTQ_POT_ENGINE_ACCURACY_CHECKER);
    assert_string_equal(c->ac_config, FIX "fashion_cnn.yml");
    assert_non_null(c->ac);
    assert_string_equal(c->target_device, "ANY");
    assert_string_equal(c->algorithm, "DefaultQuantization");
    assert_int_equal(c->params.preset, PTQ_QUANT_PRESET_MIXED);
    assert_int_equal(c->params.subset_size, 300);
    assert_int_equal(c->params.seed, 0);
    assert_int_equal(c->shuffle_data, 0);
    assert_int_equal(c->params.bias_correction, PTQ_QUANT_BIAS_CORRECTION_FAST);
    assert_int_equal(c->params.estimator, PTQ_QUANT_ESTIMATOR_MEAN_MINMAX);
    assert_int_equal(c->params.channel_alignment, 1);
    assert_int_equal(c->params.n_ignored, 0);
    assert_int_equal(c->label_offset, 0);
    /* the unknown key and the .bin weights are named, nothing else warns */
    assert_true(has_warning(c, "fashion_cnn.json: unknown key 'compression.algorithms[0].params.sparkle'"));
    assert_true(has_warning(c, "model.weights"));
    assert_int_equal(c->n_warnings, 2);

    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(c->model, &m), PTQ_STATUS_OK);
    ptq_preprocess pp;
    assert_int_equal(ptq_pot_config_preprocess(c, m, &pp), PTQ_STATUS_OK);
    assert_int_equal(pp.model_h, 32);
    assert_int_equal(pp.model_w, 32);
    assert_int_equal(pp.channels, 3);
    assert_int_equal(pp.layout, PTQ_LAYOUT_NCHW);
    assert_int_equal(pp.resize, PTQ_RESIZE_EXACT);
    assert_true(fabsf(pp.mean[0] - 127.5f) < 1e-4f && fabsf(pp.std[2] - 127.5f) < 1e-4f);
    ptq_model_destroy(m);

    /* shuffle_data false: calibration is the first 300 samples */
    ptq_dataset *cal = NULL, *ev = NULL;
    assert_int_equal(ptq_pot_config_open_dataset(c, 1, &cal), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(cal), 300);
    assert_int_equal(ptq_pot_config_open_dataset(c, 0, &ev), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ev), 500);
    assert_string_equal(ptq_dataset_image_path(ev, 0), ptq_dataset_image_path(cal, 0));
    ptq_dataset_destroy(cal);
    ptq_dataset_destroy(ev);
    ptq_pot_config_destroy(c);
}

static void test_defaults(void **state)
{
    (void)state;
    ptq_pot_config *c = NULL;
    /* POT's defaults: performance preset, whole dataset, fast bias correction */
    assert_int_equal(load_params("{}", &c), PTQ_STATUS_OK);
    assert_int_equal(c->params.preset, PTQ_QUANT_PRESET_PERFORMANCE);
    assert_int_equal(c->params.subset_size, 0);
    assert_int_equal(c->params.bias_correction, PTQ_QUANT_BIAS_CORRECTION_FAST);
    assert_int_equal(c->params.estimator, PTQ_QUANT_ESTIMATOR_MEAN_MINMAX);
    assert_int_equal(c->shuffle_data, 0);
    assert_int_equal(c->n_warnings, 0);
    ptq_dataset *cal = NULL;
    assert_int_equal(ptq_pot_config_open_dataset(c, 1, &cal), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(cal), 500);
    ptq_dataset_destroy(cal);
    ptq_pot_config_destroy(c);
    /* no params at all, and a model_name taken from the file */
    char text[1024];
    snprintf(text, sizeof text,
             "{\"model\": {\"model\": \"%smodel.onnx\", \"weights\": \"%smodel.onnx\"}, \"engine\": {\"config\": "
             "\"%sfashion_cnn.yml\"}, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\"}]}}",
             EXAMPLE, EXAMPLE, FIX);
    assert_int_equal(ptq_pot_config_load(write_tmp("d.json", text), &c), PTQ_STATUS_OK);
    assert_string_equal(c->model_name, "model");
    assert_int_equal(c->n_warnings, 0); /* weights == model: nothing to say */
    ptq_pot_config_destroy(c);
}

static void test_mapping(void **state)
{
    (void)state;
    ptq_pot_config *c = NULL;
    assert_int_equal(load_params("{\"preset\": \"performance\", \"stat_subset_size\": 64, \"stat_batch_size\": 4,"
                                 " \"shuffle_data\": true, \"seed\": 7, \"use_fast_bias\": false,"
                                 " \"target_device\": \"CPU\","
                                 " \"weights\": {\"bits\": 8, \"mode\": \"symmetric\", \"granularity\": \"pertensor\","
                                 "   \"level_low\": -127, \"level_high\": 127},"
                                 " \"activations\": {\"range_estimator\": {\"max\": {\"type\": \"max\","
                                 "   \"aggregator\": \"max\"}, \"min\": {\"type\": \"min\", \"aggregator\": \"min\"}}},"
                                 " \"ignored\": {\"scope\": [\"conv1\", \"/layer2/Add\"],"
                                 "   \"operations\": [{\"type\": \"Convolution\"}, {\"type\": \"Gemm\"}]}}",
                                 &c),
                     PTQ_STATUS_OK);
    assert_int_equal(c->params.preset, PTQ_QUANT_PRESET_PERFORMANCE);
    assert_int_equal(c->params.subset_size, 64);
    assert_int_equal(c->params.batch, 4);
    assert_int_equal(c->shuffle_data, 1);
    assert_int_equal(c->params.seed, 7);
    assert_int_equal(c->params.bias_correction, PTQ_QUANT_BIAS_CORRECTION_FULL);
    assert_int_equal(c->params.per_tensor_weights, 1);
    assert_int_equal(c->params.estimator, PTQ_QUANT_ESTIMATOR_MINMAX);
    assert_int_equal(c->params.n_ignored, 4);
    assert_true(has_ignored(c, "conv1") && has_ignored(c, "/layer2/Add"));
    assert_true(has_ignored(c, "Conv") && has_ignored(c, "Gemm")); /* OpenVINO Convolution -> ONNX Conv */
    assert_true(has_warning(c, "OpenVINO type 'Convolution' is taken as ONNX op type 'Conv'"));
    assert_int_equal(c->n_warnings, 1);
    /* shuffled: the random subset is drawn from the whole dataset */
    ptq_dataset *cal = NULL;
    assert_int_equal(ptq_pot_config_open_dataset(c, 1, &cal), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(cal), 500);
    ptq_dataset_destroy(cal);
    ptq_pot_config_destroy(c);

    /* quantile -> percentile 100 * (1 - outlier_prob); activations.mode
     * asymmetric overrides preset performance */
    assert_int_equal(load_params("{\"preset\": \"performance\", \"activations\": {\"mode\": \"asymmetric\","
                                 " \"range_estimator\": {\"max\": {\"type\": \"quantile\", \"outlier_prob\": 0.001}}}}",
                                 &c),
                     PTQ_STATUS_OK);
    assert_int_equal(c->params.estimator, PTQ_QUANT_ESTIMATOR_PERCENTILE);
    assert_true(fabs(c->params.percentile - 99.9) < 1e-9);
    assert_int_equal(c->params.preset, PTQ_QUANT_PRESET_MIXED);
    assert_int_equal(c->n_warnings, 0);
    ptq_pot_config_destroy(c);

    /* range_estimator preset quantile (POT: outlier_prob 1e-4), global */
    assert_int_equal(load_params("{\"range_estimator\": {\"preset\": \"quantile\"}}", &c), PTQ_STATUS_OK);
    assert_int_equal(c->params.estimator, PTQ_QUANT_ESTIMATOR_PERCENTILE);
    assert_true(fabs(c->params.percentile - 99.99) < 1e-9);
    ptq_pot_config_destroy(c);

    /* max+mean -> mean-minmax, explicitly */
    assert_int_equal(load_params("{\"activations\": {\"range_estimator\": {\"max\": {\"type\": \"abs_max\","
                                 " \"aggregator\": \"mean\"}}}}",
                                 &c),
                     PTQ_STATUS_OK);
    assert_int_equal(c->params.estimator, PTQ_QUANT_ESTIMATOR_MEAN_MINMAX);
    ptq_pot_config_destroy(c);
}

static void test_warnings(void **state)
{
    (void)state;
    ptq_pot_config *c = NULL;
    assert_int_equal(load_params("{\"target_device\": \"GPU\", \"preset\": \"accuracy\", \"saturation_fix\": \"all\","
                                 " \"model_type\": \"transformer\","
                                 " \"activations\": {\"granularity\": \"perchannel\", \"range_estimator\": {"
                                 "   \"max\": {\"type\": \"max\", \"aggregator\": \"median\", \"clipping_value\": 6,"
                                 "     \"colour\": 1}}},"
                                 " \"weights\": {\"mode\": \"asymmetric\", \"range_estimator\": {\"max\": "
                                 "   {\"type\": \"quantile\", \"outlier_prob\": 0.0001}}},"
                                 " \"ignored\": {\"operations\": [{\"type\": \"Multiply\", \"attributes\": {\"a\": 1}}]},"
                                 " \"foo\": 1}",
                                 &c),
                     PTQ_STATUS_OK);
    const char *want[] = {
        "params.target_device 'GPU'",
        "params.preset 'accuracy'",
        "params.saturation_fix 'all'",
        "params.model_type 'transformer'",
        "activations.granularity 'perchannel'",
        "activations.range_estimator.max.aggregator 'median'",
        "activations.range_estimator.max.clipping_value",
        "unknown key 'compression.algorithms[0].params.activations.range_estimator.max.colour'",
        "weights.mode 'asymmetric'",
        "weights.range_estimator.max.type 'quantile'",
        "ignored.operations[0].attributes",
        "unknown key 'compression.algorithms[0].params.foo'",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!has_warning(c, want[i])) fail_msg("no warning containing \"%s\"", want[i]);
    }
    assert_true(has_ignored(c, "Mul"));
    assert_int_equal(c->params.preset, PTQ_QUANT_PRESET_MIXED);
    ptq_pot_config_destroy(c);

    /* unknown keys in every section, engine knobs ptq ignores */
    char text[2048];
    snprintf(text, sizeof text,
             "{\"model\": {\"model_name\": \"m\", \"model\": \"%smodel.onnx\", \"extra\": 1},\n"
             " \"engine\": {\"config\": \"%sfashion_cnn.yml\", \"stat_requests_number\": 8},\n"
             " \"compression\": {\"target_device\": \"VPU\", \"dump_intermediate_model\": false,\n"
             "   \"algorithms\": [{\"name\": \"DefaultQuantization\", \"parms\": {}}]},\n"
             " \"extra_top\": true}",
             EXAMPLE, FIX);
    assert_int_equal(ptq_pot_config_load(write_tmp("w.json", text), &c), PTQ_STATUS_OK);
    assert_true(has_warning(c, "unknown key 'model.extra'"));
    assert_true(has_warning(c, "unknown key 'extra_top'"));
    assert_true(has_warning(c, "unknown key 'compression.algorithms[0].parms'"));
    assert_true(has_warning(c, "engine.stat_requests_number is ignored"));
    assert_true(has_warning(c, "compression.target_device 'VPU'"));
    assert_string_equal(c->target_device, "VPU");
    assert_int_equal(c->n_warnings, 5);
    ptq_pot_config_destroy(c);
}

static void expect_error(const char *json, ptq_status want, const char *needle)
{
    ptq_pot_config *c = (ptq_pot_config *)1;
    ptq_status st = ptq_pot_config_load(write_tmp("e.json", json), &c);
    if (st != want || !strstr(ptq_last_error(), needle))
        fail_msg("status %s, message \"%s\"; wanted %s with \"%s\"", ptq_status_string(st), ptq_last_error(),
                 ptq_status_string(want), needle);
    assert_null(c);
}

static void test_errors(void **state)
{
    (void)state;
    char t[2048];
    const char *eng = "\"engine\": {\"config\": \"" FIX "fashion_cnn.yml\"}";
    const char *mod = "\"model\": {\"model_name\": \"m\", \"model\": \"" EXAMPLE "model.onnx\"}";
    ptq_pot_config *c = NULL;
    assert_int_equal(ptq_pot_config_load("/nonexistent/pot.json", &c), PTQ_STATUS_IO);
    assert_non_null(strstr(ptq_last_error(), "/nonexistent/pot.json: cannot open: No such file"));
    /* a directory is named as one (was "cannot read DIR") */
    assert_int_equal(ptq_pot_config_load(tmpdir, &c), PTQ_STATUS_IO);
    assert_non_null(strstr(ptq_last_error(), "is a directory"));
    /* 2 MB is more than any config (60 MB took 2.5 GB of parse tree) */
    char *big = malloc((2 << 20) + 1);
    assert_non_null(big);
    memset(big, ' ', 2 << 20);
    big[2 << 20] = 0;
    expect_error(big, PTQ_STATUS_IO, "larger than");
    free(big);
    expect_error("{\n  \"model\": {\n    \"model\": \"a.onnx\" \"x\"\n  }\n}", PTQ_STATUS_BAD_FORMAT, "e.json:3:");
    expect_error("{\n/* open\n", PTQ_STATUS_BAD_FORMAT, "e.json:2: unterminated");
    expect_error("[1]", PTQ_STATUS_BAD_FORMAT, "expected a JSON object");
    snprintf(t, sizeof t, "{\"model\": {\"model\": \"m.xml\", \"weights\": \"m.bin\"}, %s, \"compression\": {}}", eng);
    expect_error(t, PTQ_STATUS_UNSUPPORTED, "OpenVINO IR");
    snprintf(t, sizeof t, "{%s, %s}", mod, eng);
    expect_error(t, PTQ_STATUS_BAD_FORMAT, "compression: missing");
    snprintf(t, sizeof t, "{%s, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\"}]}}", mod);
    expect_error(t, PTQ_STATUS_BAD_FORMAT, "engine: missing");
    snprintf(t, sizeof t, "{%s, %s, \"compression\": {\"algorithms\": [{\"name\": \"AccuracyAwareQuantization\"}]}}",
             mod, eng);
    expect_error(t, PTQ_STATUS_UNSUPPORTED, "compression.algorithms[0].name: algorithm 'AccuracyAwareQuantization'");
    snprintf(t, sizeof t,
             "{%s, %s, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\", \"params\": "
             "{\"stat_subset_size\": \"300\"}}]}}",
             mod, eng);
    expect_error(t, PTQ_STATUS_BAD_FORMAT, "compression.algorithms[0].params.stat_subset_size: expected a number");
    snprintf(t, sizeof t,
             "{%s, %s, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\", \"params\": "
             "{\"use_fast_bias\": \"yes\"}}]}}",
             mod, eng);
    expect_error(t, PTQ_STATUS_BAD_FORMAT, "params.use_fast_bias: expected true or false");
    snprintf(t, sizeof t,
             "{%s, %s, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\", \"params\": "
             "{\"weights\": {\"bits\": 4}}}]}}",
             mod, eng);
    expect_error(t, PTQ_STATUS_UNSUPPORTED, "4-bit");
    snprintf(t, sizeof t,
             "{%s, %s, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\", \"params\": "
             "{\"preset\": \"fast\"}}]}}",
             mod, eng);
    expect_error(t, PTQ_STATUS_BAD_FORMAT, "params.preset: expected 'performance' or 'mixed'");
    snprintf(t, sizeof t,
             "{%s, \"engine\": {\"launchers\": [], \"datasets\": []}, \"compression\": {\"algorithms\": "
             "[{\"name\": \"DefaultQuantization\"}]}}",
             mod);
    expect_error(t, PTQ_STATUS_UNSUPPORTED, "inline Accuracy Checker");
    snprintf(t, sizeof t,
             "{%s, \"engine\": {\"config\": \"missing.yml\"}, \"compression\": {\"algorithms\": "
             "[{\"name\": \"DefaultQuantization\"}]}}",
             mod);
    expect_error(t, PTQ_STATUS_IO, "engine.config");
    snprintf(t, sizeof t,
             "{\"model\": {\"model_name\": \"a/b\", \"model\": \"x.onnx\"}, %s, \"compression\": {\"algorithms\": "
             "[{\"name\": \"DefaultQuantization\"}]}}",
             eng);
    expect_error(t, PTQ_STATUS_BAD_FORMAT, "model.model_name");
    /* POT keeps the last of a repeated key, cJSON lookups the first: refused */
    snprintf(t, sizeof t, "{%s, %s, \"model\": {}, \"compression\": {}}", mod, eng);
    expect_error(t, PTQ_STATUS_BAD_FORMAT, "e.json: model: duplicate key");
    snprintf(t, sizeof t,
             "{%s, %s, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\", \"params\": "
             "{\"preset\": \"mixed\", \"preset\": \"performance\"}}]}}",
             mod, eng);
    expect_error(t, PTQ_STATUS_BAD_FORMAT, "compression.algorithms[0].params.preset: duplicate key");
}

/* The calibration set size of a simplified engine on data_source. */
static int64_t simplified_size(const char *data_source)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"model\": {\"model\": \"%smodel.onnx\"}, \"engine\": {\"type\": \"simplified\", \"data_source\": "
             "\"%s\"}, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\"}]}}",
             EXAMPLE, data_source);
    ptq_pot_config *c = NULL;
    ptq_dataset *ds = NULL;
    assert_int_equal(ptq_pot_config_load(write_tmp("s2.json", text), &c), PTQ_STATUS_OK);
    assert_int_equal(ptq_pot_config_open_dataset(c, 1, &ds), PTQ_STATUS_OK);
    int64_t n = ptq_dataset_size(ds);
    ptq_dataset_destroy(ds);
    ptq_pot_config_destroy(c);
    return n;
}

static void test_simplified(void **state)
{
    (void)state;
    /* relative data_source, resolved against the JSON's directory; a
     * template pattern too */
    char link[512];
    snprintf(link, sizeof link, "%s/imgs", tmpdir);
    assert_int_equal(symlink(EXAMPLE "calib", link), 0);
    char text[1024];
    snprintf(text, sizeof text,
             "{\"model\": {\"model_name\": \"m\", \"model\": \"%smodel.onnx\"},\n"
             " \"engine\": {\"type\": \"simplified\", \"data_source\": \"imgs\", \"layout\": \"NCHW\"},\n"
             " \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\","
             " \"params\": {\"stat_subset_size\": 50}}]}}",
             EXAMPLE);
    ptq_pot_config *c = NULL;
    assert_int_equal(ptq_pot_config_load(write_tmp("s.json", text), &c), PTQ_STATUS_OK);
    assert_int_equal(c->engine, PTQ_POT_ENGINE_SIMPLIFIED);
    assert_null(c->ac);
    assert_int_equal(c->has_layout, 1);
    ptq_dataset *ds = NULL;
    assert_int_equal(ptq_pot_config_open_dataset(c, 1, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 50);
    assert_int_equal(ptq_dataset_label(ds, 0), 0);
    ptq_dataset_destroy(ds);
    assert_int_equal(ptq_pot_config_open_dataset(c, 0, &ds), PTQ_STATUS_UNSUPPORTED);
    assert_null(ds);
    ptq_model *m = NULL;
    assert_int_equal(ptq_model_load(c->model, &m), PTQ_STATUS_OK);
    ptq_preprocess pp;
    assert_int_equal(ptq_pot_config_preprocess(c, m, &pp), PTQ_STATUS_OK);
    assert_int_equal(pp.resize, PTQ_RESIZE_EXACT);
    assert_int_equal(pp.resize_h, 32);
    assert_int_equal(pp.bgr, 1);
    assert_true(pp.scale == 1.0f && pp.mean[0] == 0.0f && pp.std[0] == 1.0f);
    ptq_model_destroy(m);
    ptq_pot_config_destroy(c);

    int64_t n = simplified_size("imgs/train_0*.png");
    assert_true(n > 0 && n < 300);

    /* symlinks back to the folder: each directory is scanned once (two such
     * links listed the one image 131071 times) */
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/loop", tmpdir);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(p, sizeof p, "%s/a.png", dir);
    assert_int_equal(symlink(EXAMPLE "calib/train_00095.png", p), 0);
    snprintf(p, sizeof p, "%s/l1", dir);
    assert_int_equal(symlink(".", p), 0);
    snprintf(p, sizeof p, "%s/l2", dir);
    assert_int_equal(symlink(".", p), 0);
    assert_int_equal(simplified_size("loop"), 1);

    /* file names with line ends and edge blanks (went through a temporary
     * 'path label' list, which split and trimmed them) */
    snprintf(dir, sizeof dir, "%s/odd", tmpdir);
    assert_int_equal(mkdir(dir, 0777), 0);
    static const char *const odd[3] = {" a\nb .png", " e.png", "c\rd.png"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, odd[i]);
        assert_int_equal(symlink(EXAMPLE "calib/train_00095.png", p), 0);
    }
    snprintf(text, sizeof text,
             "{\"model\": {\"model\": \"%smodel.onnx\"}, \"engine\": {\"type\": \"simplified\", \"data_source\": "
             "\"odd\"}, \"compression\": {\"algorithms\": [{\"name\": \"DefaultQuantization\"}]}}",
             EXAMPLE);
    assert_int_equal(ptq_pot_config_load(write_tmp("s3.json", text), &c), PTQ_STATUS_OK);
    assert_int_equal(ptq_pot_config_open_dataset(c, 1, &ds), PTQ_STATUS_OK);
    assert_int_equal(ptq_dataset_size(ds), 3);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, odd[i]); /* sorted */
        assert_string_equal(ptq_dataset_image_path(ds, i), p);
    }
    ptq_dataset_destroy(ds);
    ptq_pot_config_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_comments), cmocka_unit_test(test_fixture), cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_mapping),        cmocka_unit_test(test_warnings), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_simplified),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
