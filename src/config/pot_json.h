/* OpenVINO POT JSON configs. The public entry points are declared in
 * ptq/pot_config.h; this header holds the helpers the unit tests reach. */
#ifndef PTQ_CONFIG_POT_JSON_H
#define PTQ_CONFIG_POT_JSON_H

#include <stddef.h>

#include "ptq/pot_config.h"

/* Blanks out `//` line comments and block comments outside strings (newlines
 * are kept so that line numbers still match the file) and drops trailing
 * commas before '}' or ']' (jstyleson's rules), in place. Returns 0, or -1
 * for an unterminated block comment, whose 1-based line goes to *line_out. */
int ptq__pot_strip_json_comments(char *text, size_t len, int *line_out);

/* OpenVINO operation type -> ONNX op type ("Convolution" -> "Conv"), or NULL
 * when the name is not an OpenVINO type ptq translates. */
const char *ptq__pot_onnx_op_type(const char *openvino_type);

#endif
