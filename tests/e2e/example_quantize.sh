#!/bin/bash
# examples/quantize_resnet50.c: the POT-style C program quantizes the bundled
# fashion-cnn example with no arguments (finding it next to its build tree)
# and with explicit arguments; it prints the FP32 and INT8 accuracy (INT8
# top-1 within 2 points of FP32) and writes a model `ptq info` loads.
set -euo pipefail
: "${PTQ:?}" "${PTQ_SOURCE_DIR:?}" "${PTQ_BINARY_DIR:?}"
EXE=$PTQ_BINARY_DIR/examples/quantize_resnet50
EX=$PTQ_SOURCE_DIR/examples/fashion-cnn
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

check() { # log model
    python3 - "$1" <<'PY'
import re, sys
log = open(sys.argv[1]).read()
f = float(re.search(r"FP32 accuracy: top-1 ([0-9.]+)", log).group(1))
i = float(re.search(r"INT8 accuracy: top-1 ([0-9.]+)", log).group(1))
print("fp32", f, "int8", i)
assert abs(f - 0.92) < 1e-9, f   # examples/fashion-cnn/README.md: 460/500
assert abs(f - i) <= 0.02, (f, i)
PY
    "$PTQ" info "$2" | tee "$TMP/info"
    grep -q "DequantizeLinear" "$TMP/info"
}

# No arguments: the bundled example, output in the current directory. When
# the build tree is outside the source tree, point the program at it.
case "$PTQ_BINARY_DIR" in
    "$PTQ_SOURCE_DIR"/*) ;;
    *) export PTQ_EXAMPLE_DIR=$EX ;;
esac
(cd "$TMP" && "$EXE") | tee "$TMP/log1"
check "$TMP/log1" "$TMP/fashion-cnn-int8.onnx"

# Explicit arguments with the example's preprocessing as options.
"$EXE" "$EX/model.onnx" "$EX/calib_list.txt" "$EX/val_list.txt" "$TMP/out.onnx" \
    --resize-exact 32x32 --scale 1/255 --mean 0.5,0.5,0.5 --std 0.5 | tee "$TMP/log2"
check "$TMP/log2" "$TMP/out.onnx"

# A bad option is a usage error (exit 2) naming it.
set +e
"$EXE" "$EX/model.onnx" "$EX/calib_list.txt" "$EX/val_list.txt" "$TMP/x.onnx" --sharpen 2> "$TMP/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "'--sharpen'" "$TMP/err"
echo ok
