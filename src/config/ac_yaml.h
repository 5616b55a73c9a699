/* OpenVINO Accuracy Checker YAML configs (the subset ptq evaluates).
 * The public entry points, ptq_ac_config_load/_destroy, are declared in
 * ptq/eval.h; this header holds the helpers the unit tests reach. */
#ifndef PTQ_CONFIG_AC_YAML_H
#define PTQ_CONFIG_AC_YAML_H

#include "ptq/eval.h"

/* Parses "123.675, 116.28, 103.53", "[1, 2, 3]" or "255" (one value is
 * broadcast) into out[3]; returns 0, or -1 for anything else, including
 * values that are not finite floats. */
int ptq__ac_parse_triple(const char *s, float out[3]);

/* Composes a normalization step (x - m2) / s2 after (x - m1) / s1 into one
 * (x - m) / s, per channel, in place on m1/s1. */
void ptq__ac_compose_norm(float m1[3], float s1[3], const float m2[3], const float s2[3]);

#endif
