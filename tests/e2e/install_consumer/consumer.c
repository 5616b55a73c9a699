/* A program outside the project that builds against an installed ptq with
 * `pkg-config --cflags --libs ptq`: it loads a model and prints its opset. */
#include <stdio.h>
#include <ptq/ptq.h>

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    ptq_model *m = NULL;
    if (ptq_model_load(argv[1], &m) != PTQ_STATUS_OK) {
        fprintf(stderr, "load failed: %s\n", ptq_last_error());
        return 1;
    }
    printf("opset %lld, %d input(s)\n", (long long)ptq_model_opset(m), ptq_model_input_count(m));
    ptq_model_destroy(m);
    return 0;
}
