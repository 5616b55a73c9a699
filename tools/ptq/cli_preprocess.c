/* Preprocessing options shared by `ptq eval` and `ptq run`. */
#include <stdio.h>
#include <string.h>

#include "cli_preprocess.h"

int cli_pp_collect(cli_pp_opts *o, int argc, char **argv, int *i, const char *cmd)
{
    const char *arg = argv[*i];
    if (strncmp(arg, "--", 2) != 0) return 0;
    const char *eq = strchr(arg, '=');
    char name[64];
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len >= sizeof name) return 0;
    memcpy(name, arg, len);
    name[len] = 0;
    int takes_value = 0;
    if (!ptq_preprocess_is_option(name, &takes_value)) return 0;
    if (o->n >= CLI_PP_MAX) return cli_usage_error(cmd, "too many preprocessing options"), -1;
    memcpy(o->eq_buf[o->n], name, len + 1);
    o->opt[o->n] = o->eq_buf[o->n];
    o->val[o->n] = NULL;
    if (takes_value) {
        if (eq) o->val[o->n] = eq + 1;
        else if (*i + 1 < argc) o->val[o->n] = argv[++*i];
        else return cli_usage_error(cmd, "%s needs a value", name), -1;
    }
    o->n++;
    return 1;
}

int cli_pp_build(const ptq_model *model, const cli_pp_opts *o, ptq_preprocess *pp, const char *cmd)
{
    *pp = ptq_preprocess_default();
    ptq_value_info info;
    int dynamic = 1;
    if (ptq_model_input_count(model) >= 1 && ptq_model_input_info(model, 0, &info) == PTQ_STATUS_OK && info.rank == 4) {
        /* NHWC when the last dim looks like channels and the second does not */
        int nhwc = (info.dims[3] == 1 || info.dims[3] == 3) && !(info.dims[1] == 1 || info.dims[1] == 3);
        int64_t c = nhwc ? info.dims[3] : info.dims[1], h = nhwc ? info.dims[1] : info.dims[2],
                w = nhwc ? info.dims[2] : info.dims[3];
        if (c == 1 || c == 3) pp->channels = (int)c;
        pp->layout = nhwc ? PTQ_LAYOUT_NHWC : PTQ_LAYOUT_NCHW;
        if (h > 0 && w > 0 && h <= 16384 && w <= 16384) {
            pp->model_h = (int)h;
            pp->model_w = (int)w;
            pp->resize_h = (int)h; /* the default recipe resizes to the model size */
            pp->resize_w = (int)w;
            dynamic = 0;
        }
    }
    for (int k = 0; k < o->n; k++) {
        if (ptq_preprocess_parse_option(pp, o->opt[k], o->val[k])) {
            fprintf(stderr, "ptq %s: %s\n", cmd, ptq_last_error());
            return 2;
        }
    }
    if (dynamic) {
        if (pp->crop_h > 0 && pp->crop_w > 0) {
            pp->model_h = pp->crop_h;
            pp->model_w = pp->crop_w;
        } else if (pp->resize == PTQ_RESIZE_EXACT) {
            pp->model_h = pp->resize_h;
            pp->model_w = pp->resize_w;
        }
    }
    if (ptq_preprocess_validate(pp)) {
        fprintf(stderr, "ptq %s: %s\n", cmd, ptq_last_error());
        return 2;
    }
    return 0;
}
