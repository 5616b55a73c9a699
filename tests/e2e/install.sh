#!/bin/bash
# `cmake --install` places the library, headers, CLI and ptq.pc so that another
# C program builds with `pkg-config --cflags --libs ptq` and runs.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$PTQ_BINARY_DIR" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name ptq.pc | head -1)
test -n "$pc" || { echo "ptq.pc not installed"; exit 1; }
test -x "$tmp/prefix/bin/ptq" || { echo "CLI not installed"; exit 1; }
test -f "$tmp/prefix/include/ptq/ptq.h" || { echo "headers not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
extra=""
if grep -q "PTQ_SANITIZE:BOOL=ON" "$PTQ_BINARY_DIR/CMakeCache.txt"; then extra="-fsanitize=address,undefined"; fi
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror $extra "$PTQ_SOURCE_DIR/tests/e2e/install_consumer/consumer.c" -o "$tmp/consumer" \
    $(pkg-config --cflags --libs ptq)
out=$(LD_LIBRARY_PATH=$(dirname "$(find "$tmp/prefix" -name 'libptq.so' | head -1)") "$tmp/consumer" \
    "$PTQ_SOURCE_DIR/examples/fashion-cnn/model.onnx")
echo "$out"
[[ "$out" == "opset 13, 1 input(s)" ]]
