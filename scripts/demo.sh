#!/bin/sh
# Builds ptq and runs the main job on the bundled example (examples/fashion-cnn):
# describe the model, measure FP32 accuracy on the bundled test images,
# quantize to INT8 with POT's DefaultQuantization on the bundled calibration
# images, and print FP32 vs INT8 accuracy, model sizes and speed.
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
ex=examples/fashion-cnn
pre="--resize-exact 32x32 --scale 0.00392156862745098 --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5"
echo "== ptq info $ex/model.onnx"
build/ptq info "$ex/model.onnx"
mkdir -p build/demo
echo "== ptq quantize (POT DefaultQuantization, preset mixed) with FP32/INT8 evaluation"
# shellcheck disable=SC2086
build/ptq quantize "$ex/model.onnx" --data "$ex/calib_list.txt" $pre \
    --eval --eval-data "$ex/val_list.txt" --labels "$ex/labels.txt" \
    --json build/demo/quantize.json -o build/demo/model-int8.onnx
echo "== model sizes"
ls -l "$ex/model.onnx" build/demo/model-int8.onnx | awk '{printf "  %-32s %9d bytes\n", $9, $5}'
echo "== speed (batch 1, 2 s each)"
build/ptq bench "$ex/model.onnx" --seconds 2 | grep -E "latency|throughput" | sed 's/^/  FP32 /'
build/ptq bench build/demo/model-int8.onnx --seconds 2 | grep -E "latency|throughput" | sed 's/^/  INT8 /'
