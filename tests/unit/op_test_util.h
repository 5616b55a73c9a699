/* op_test_util.h: scaffolding of the reference-kernel unit tests
 * (test_ops_*.c): one node in a fresh graph, its attributes, and a call of
 * its kernel through a ptq__kernel_ctx. Not a test itself (only test_*.c
 * files become test executables). */
#ifndef PTQ_TESTS_OP_TEST_UTIL_H
#define PTQ_TESTS_OP_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ops/kernel.h"

/* One node with n_in inputs and n_out outputs in a fresh graph; out[] holds
 * the outputs of the last run. */
typedef struct fixture {
    ptq__graph *g;
    int node;
    ptq_tensor *out[4];
} fixture;

static inline void fixture_init(fixture *f, const char *op, int opset, int n_in, int n_out)
{
    memset(f, 0, sizeof *f);
    f->g = ptq__graph_new();
    assert_non_null(f->g);
    f->g->opset = opset;
    int ins[16], outs[4];
    char name[16];
    for (int i = 0; i < n_in; i++) {
        snprintf(name, sizeof name, "in%d", i);
        ins[i] = ptq__graph_value(f->g, name);
    }
    for (int i = 0; i < n_out; i++) {
        snprintf(name, sizeof name, "out%d", i);
        outs[i] = ptq__graph_value(f->g, name);
    }
    f->node = ptq__graph_add_node(f->g, "n0", op, "", n_in, ins, n_out, outs);
    assert_true(f->node >= 0);
}

static inline void fixture_done(fixture *f)
{
    for (int i = 0; i < 4; i++) ptq_tensor_destroy(f->out[i]);
    ptq__graph_free(f->g);
}

static inline void add_ints(fixture *f, const char *name, int n, const int64_t *v)
{
    ptq__attr a = {.name = (char *)name, .type = PTQ__ATTR_INTS, .n = n, .ints = (int64_t *)v};
    assert_int_equal(ptq__node_add_attr(&f->g->nodes[f->node], &a), PTQ_STATUS_OK);
}

static inline void add_int(fixture *f, const char *name, int64_t v)
{
    ptq__attr a = {.name = (char *)name, .type = PTQ__ATTR_INT, .i = v};
    assert_int_equal(ptq__node_add_attr(&f->g->nodes[f->node], &a), PTQ_STATUS_OK);
}

static inline void add_float(fixture *f, const char *name, float v)
{
    ptq__attr a = {.name = (char *)name, .type = PTQ__ATTR_FLOAT, .f = v};
    assert_int_equal(ptq__node_add_attr(&f->g->nodes[f->node], &a), PTQ_STATUS_OK);
}

static inline void add_string(fixture *f, const char *name, const char *v)
{
    ptq__attr a = {.name = (char *)name, .type = PTQ__ATTR_STRING, .s = (char *)v};
    assert_int_equal(ptq__node_add_attr(&f->g->nodes[f->node], &a), PTQ_STATUS_OK);
}

/* Runs the node's kernel; frees outputs of a previous run first. */
static inline ptq_status run(fixture *f, int n_in, const ptq_tensor *const *in, int n_out, bool shape_only)
{
    for (int i = 0; i < 4; i++) {
        ptq_tensor_destroy(f->out[i]);
        f->out[i] = NULL;
    }
    const ptq__node *n = &f->g->nodes[f->node];
    ptq__kernel_ctx ctx = {.node = n, .opset = n->opset, .n_in = n_in, .in = in, .n_out = n_out, .out = f->out,
                           .shape_only = shape_only};
    return ptq__op_kernel(n->op)(&ctx);
}

/* A tensor around caller memory (never destroyed). */
static inline ptq_tensor view(ptq_dtype dt, int rank, const int64_t *dims, const void *data)
{
    ptq_tensor t = {.dtype = dt, .rank = rank, .data = (void *)data};
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}

static inline void assert_dims(const ptq_tensor *t, int rank, const int64_t *dims)
{
    assert_non_null(t);
    assert_int_equal(t->rank, rank);
    for (int i = 0; i < rank; i++) assert_int_equal(t->dims[i], dims[i]);
}

/* n float32 elements equal to want within 1e-5. */
static inline void assert_floats(const ptq_tensor *t, int n, const float *want)
{
    assert_non_null(t);
    assert_int_equal(ptq_tensor_numel(t), n);
    const float *got = t->data;
    for (int i = 0; i < n; i++) {
        if (got[i] < want[i] - 1e-5f || got[i] > want[i] + 1e-5f) {
            print_error("element %d: got %g, want %g\n", i, (double)got[i], (double)want[i]);
            fail();
        }
    }
}

#endif
