/* ptq info: inputs, outputs, opset, operator histogram, parameters, MACs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"

static const char *usage_text =
    "usage: ptq info MODEL [--shape 1x3x224x224] [--json FILE]\n"
    "\n"
    "Prints the model's inputs and outputs with shapes, the opset, an operator\n"
    "histogram, the parameter count and the multiply-accumulates (MACs) of one\n"
    "inference. Dynamic dimensions are bound by --shape (first input); without it\n"
    "a dynamic batch is taken as 1 and MACs need the other dimensions to be fixed.\n";

typedef struct op_count {
    const char *op;
    int count;
} op_count;

static int by_count(const void *a, const void *b)
{
    const op_count *x = a, *y = b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->op, y->op);
}

int cmd_info(int argc, char **argv)
{
    const char *model_path = NULL, *json_path = NULL, *v;
    ptq_input_shape shape = {0};
    bool have_shape = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if ((v = cli_option_value(argc, argv, &i, "--shape"))) {
            shape.rank = cli_parse_shape(v, shape.dims);
            if (shape.rank < 0) return cli_usage_error("info", "bad --shape '%s' (expected e.g. 1x3x224x224)", v);
            have_shape = true;
        } else if ((v = cli_option_value(argc, argv, &i, "--json"))) {
            json_path = v;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("info", "unknown option '%s'", argv[i]);
        } else if (!model_path) {
            model_path = argv[i];
        } else {
            return cli_usage_error("info", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!model_path) return cli_usage_error("info", "missing MODEL");

    ptq_model *model = NULL;
    if (ptq_model_load(model_path, &model)) return cli_fail(NULL);
    int rc = 0;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model_path);
    cJSON_AddNumberToObject(root, "opset", (double)ptq_model_opset(model));
    cJSON_AddStringToObject(root, "producer", ptq_model_producer(model));
    printf("model:    %s\nproducer: %s\nopset:    %lld\n", model_path, ptq_model_producer(model),
           (long long)ptq_model_opset(model));

    for (int io = 0; io < 2; io++) {
        int n = io == 0 ? ptq_model_input_count(model) : ptq_model_output_count(model);
        cJSON *arr = cJSON_AddArrayToObject(root, io == 0 ? "inputs" : "outputs");
        printf("%s:\n", io == 0 ? "inputs" : "outputs");
        for (int i = 0; i < n; i++) {
            ptq_value_info info;
            if (io == 0) ptq_model_input_info(model, i, &info);
            else ptq_model_output_info(model, i, &info);
            char dims[256];
            cli_format_dims(&info, dims, sizeof dims);
            printf("  %-20s %-8s %s\n", info.name, ptq_dtype_name(info.dtype), dims);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", info.name);
            cJSON_AddStringToObject(o, "dtype", ptq_dtype_name(info.dtype));
            cJSON *shp = cJSON_AddArrayToObject(o, "shape");
            for (int d = 0; d < info.rank; d++) {
                if (info.dims[d] >= 0) cJSON_AddItemToArray(shp, cJSON_CreateNumber((double)info.dims[d]));
                else cJSON_AddItemToArray(shp, cJSON_CreateString(info.dim_names[d] ? info.dim_names[d] : "?"));
            }
            cJSON_AddItemToArray(arr, o);
        }
    }

    int n_nodes = ptq_model_node_count(model), n_ops = 0;
    op_count *ops = calloc((size_t)n_nodes + 1, sizeof *ops);
    for (int i = 0; ops && i < n_nodes; i++) {
        const char *op = ptq_model_node_op_type(model, i);
        int k = 0;
        while (k < n_ops && strcmp(ops[k].op, op) != 0) k++;
        if (k == n_ops) ops[n_ops++].op = op;
        ops[k].count++;
    }
    if (ops) qsort(ops, (size_t)n_ops, sizeof *ops, by_count);
    cJSON *jops = cJSON_AddObjectToObject(root, "ops");
    printf("operators (%d nodes):\n", n_nodes);
    for (int k = 0; k < n_ops; k++) {
        printf("  %-24s %d\n", ops[k].op, ops[k].count);
        cJSON_AddNumberToObject(jops, ops[k].op, ops[k].count);
    }
    free(ops);

    ptq_session_params params = ptq_session_params_default();
    params.backend = PTQ_BACKEND_REF; /* shapes only: no need to compile a fast plan */
    params.n_input_shapes = have_shape ? 1 : 0;
    params.input_shapes = &shape;
    ptq_session *session = NULL;
    if (ptq_session_create(model, &params, &session) == PTQ_STATUS_OK) {
        ptq_model_stats stats;
        ptq_session_stats(session, &stats);
        printf("params:   %lld (%.2f M)\n", (long long)stats.params, stats.params / 1e6);
        printf("macs:     %lld (%.3f GMACs per inference)\n", (long long)stats.macs, stats.macs / 1e9);
        cJSON_AddNumberToObject(root, "params", (double)stats.params);
        cJSON_AddNumberToObject(root, "macs", (double)stats.macs);
        ptq_session_destroy(session);
    } else if (have_shape) {
        rc = cli_fail(model_path);
    } else {
        printf("params/macs: not computed (%s)\n", ptq_last_error());
        cJSON_AddNullToObject(root, "params");
        cJSON_AddNullToObject(root, "macs");
    }
    if (!rc && json_path) rc = cli_write_json(root, json_path);
    cJSON_Delete(root);
    ptq_model_destroy(model);
    return rc;
}
