/* ptq_model: a loaded ONNX graph. */
#include "api/internal.h"
#include "core/status.h"
#include "onnx/onnx_io.h"

#include <stdlib.h>
#include <string.h>

ptq_status ptq_model_load(const char *path, ptq_model **model_out)
{
    if (!model_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "model_out is NULL");
    *model_out = NULL;
    if (!path) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "model path is NULL");
    ptq_model *m = calloc(1, sizeof *m);
    if (!m) return ptq__oom();
    ptq_status st = ptq__onnx_load(path, &m->graph);
    if (st) {
        free(m);
        return st;
    }
    *model_out = m;
    return PTQ_STATUS_OK;
}

void ptq_model_destroy(ptq_model *model)
{
    if (!model) return;
    ptq__graph_free(model->graph);
    free(model);
}

int ptq_model_input_count(const ptq_model *model) { return model->graph->n_inputs; }
int ptq_model_output_count(const ptq_model *model) { return model->graph->n_outputs; }
int64_t ptq_model_opset(const ptq_model *model) { return model->graph->opset; }

static void fill_info(const ptq__value *v, ptq_value_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = v->name;
    info->dtype = v->dtype;
    info->rank = v->rank;
    for (int d = 0; d < v->rank && d < PTQ_MAX_DIMS; d++) {
        info->dims[d] = v->dims[d];
        info->dim_names[d] = v->dim_param[d];
    }
}

ptq_status ptq_model_input_info(const ptq_model *model, int index, ptq_value_info *info_out)
{
    if (index < 0 || index >= model->graph->n_inputs)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "input index %d out of range 0..%d", index, model->graph->n_inputs - 1);
    fill_info(&model->graph->values[model->graph->inputs[index]], info_out);
    return PTQ_STATUS_OK;
}

ptq_status ptq_model_output_info(const ptq_model *model, int index, ptq_value_info *info_out)
{
    if (index < 0 || index >= model->graph->n_outputs)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "output index %d out of range 0..%d", index, model->graph->n_outputs - 1);
    fill_info(&model->graph->values[model->graph->outputs[index]], info_out);
    return PTQ_STATUS_OK;
}

int64_t ptq__model_fixed_batch(const ptq_model *model)
{
    const ptq__graph *g = model->graph;
    if (g->n_inputs != 1) return 0;
    const ptq__value *v = &g->values[g->inputs[0]];
    return v->rank >= 1 && v->dims[0] > 0 ? v->dims[0] : 0;
}

const char *ptq_model_producer(const ptq_model *model)
{
    return model->graph->producer_name ? model->graph->producer_name : "";
}

int ptq_model_node_count(const ptq_model *model) { return model->graph->n_nodes; }

const char *ptq_model_node_op_type(const ptq_model *model, int index)
{
    return index >= 0 && index < model->graph->n_nodes ? model->graph->nodes[index].op_type : NULL;
}

const char *ptq_model_node_name(const ptq_model *model, int index)
{
    return index >= 0 && index < model->graph->n_nodes ? model->graph->nodes[index].name : NULL;
}
