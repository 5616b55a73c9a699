#!/bin/bash
# ptq quantize, default recipe (mixed preset, mean-minmax activations,
# per-channel weights, channel alignment, FastBiasCorrection) on the real
# ResNet-50 (Fashion-MNIST), calibrated on training images, evaluated on test
# images with --eval.
#
# Normal builds run the full proof: 300 calibration images (seed 0) of the
# training split, all 10,000 test images (FP32 top-1 0.8781). Measured: the
# default recipe loses 0.06 points with seed 0, asserted <= 0.15 (the issue's
# target); full BiasCorrection loses 0.00, asserted <= 0.15. Sanitizer builds
# (slow) run a short version: 64 calibration images, the first 300 test
# images (FP32 0.9033), drop <= 2 points. PTQ_QUANT_FULL=0|1 overrides.
set -euo pipefail
: "${PTQ:?}" "${PTQ_SOURCE_DIR:?}" "${PTQ_BINARY_DIR:?}"
SHARED=${PTQ_SHARED_DIR:-$PTQ_SOURCE_DIR/../shared}
MODEL=$SHARED/models/resnet50-fashion/model.onnx
if [ ! -f "$MODEL" ]; then
    echo "SKIP: $MODEL not found"
    exit 0
fi
full=1
if grep -q "PTQ_SANITIZE:BOOL=ON" "$PTQ_BINARY_DIR/CMakeCache.txt"; then full=0; fi
if [ "${PTQ_QUANT_FULL:-$full}" = 1 ]; then
    DATA=$PTQ_BINARY_DIR/data/fashion-mnist-full
    EXPORT=(--split both); SUBSET=300; LIMIT=(); MAXDROP=0.0015
else
    DATA=$PTQ_BINARY_DIR/data/fashion-mnist-quant
    EXPORT=(--split both --limit 300); SUBSET=64; LIMIT=(--limit 300); MAXDROP=0.02
fi
if [ ! -f "$DATA/.complete" ]; then
    mkdir -p "$DATA"
    python3 "$PTQ_SOURCE_DIR/scripts/export_fashion_mnist.py" "$DATA" "${EXPORT[@]}"
fi
RECIPE=(--resize-exact 72x72 --crop 64 --scale 0.00392156862745098
        --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Usage errors are exit code 2 and name the problem.
set +e
"$PTQ" quantize "$MODEL" --data "$DATA/train_list.txt" 2> "$TMP/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "missing -o" "$TMP/err"
set +e
"$PTQ" quantize "$MODEL" --data "$DATA/train_list.txt" -o "$TMP/x.onnx" --estimator foo 2> "$TMP/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "mean-minmax" "$TMP/err"

"$PTQ" quantize "$MODEL" --data "$DATA/train_list.txt" "${RECIPE[@]}" --subset "$SUBSET" --seed 0 \
    --sqnr-samples 4 --eval --eval-data "$DATA/val_list.txt" "${LIMIT[@]}" \
    -o "$TMP/int8.onnx" --json "$TMP/report.json" | tee "$TMP/out.txt"

python3 - "$TMP/report.json" "$TMP/int8.onnx" "$MAXDROP" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1])); maxdrop = float(sys.argv[3])
s = r["settings"]
assert s["preset"] == "mixed" and s["estimator"] == "mean-minmax" and s["bias_correction"] == "fast", s
assert len(r["layers"]) == 54, len(r["layers"])            # 53 Conv + 1 Gemm
assert len(r["tensors"]) == 73, len(r["tensors"])
for t in r["tensors"]:
    assert t["dtype"] == "uint8" and 0 <= t["zero_point"] <= 255 and t["scale"] > 0, t
    # 0.0 is exactly representable: range_min <= 0 <= range_max
    assert t["range_min"] <= 0 <= t["range_max"], t
mp = [t for t in r["tensors"] if t["name"] == "/maxpool/MaxPool_output_0"][0]
assert mp.get("shares_with") == "/relu/Relu_output_0", mp
assert sum(l["bias_correction"] == "applied" for l in r["layers"]) > 0
assert all(l["sqnr_db"] is not None and l["sqnr_db"] > 0 for l in r["layers"]), \
    [(l["name"], l["sqnr_db"]) for l in r["layers"] if not (l["sqnr_db"] and l["sqnr_db"] > 0)]
a = r["accuracy"]
assert r["fp32"] == {"top1": a["fp32_top1"], "top5": a["fp32_top5"]}, r["fp32"]
assert r["int8"] == {"top1": a["int8_top1"], "top5": a["int8_top5"]}, r["int8"]
print("FP32 %.4f INT8 %.4f drop %.4f on %d images" % (a["fp32_top1"], a["int8_top1"], a["top1_drop"], a["images"]))
assert a["top1_drop"] <= maxdrop, a
size = os.path.getsize(sys.argv[2])
assert size < 30e6, size                                     # FP32 model: 94 MB
print("ok")
PY

# Full BiasCorrection (POT's use_fast_bias: false) on the same subset.
"$PTQ" quantize "$MODEL" --data "$DATA/train_list.txt" "${RECIPE[@]}" --subset "$SUBSET" --seed 0 \
    --bias-correction full --sqnr-samples 0 -o "$TMP/int8-bc.onnx" >/dev/null
"$PTQ" eval "$TMP/int8-bc.onnx" --data "$DATA/val_list.txt" "${RECIPE[@]}" "${LIMIT[@]}" --json "$TMP/bc.json" >/dev/null
python3 - "$TMP/report.json" "$TMP/bc.json" "$full" <<'PY'
import json, sys
fp32 = json.load(open(sys.argv[1]))["accuracy"]["fp32_top1"]
bc = json.load(open(sys.argv[2]))["top1"]
limit = 0.0015 if sys.argv[3] == "1" else 0.02
print("full BiasCorrection: INT8 %.4f, drop %.4f (limit %.4f)" % (bc, fp32 - bc, limit))
assert fp32 - bc <= limit
PY

# The saved model is a QDQ model ptq loads back.
"$PTQ" info "$TMP/int8.onnx" > "$TMP/info.txt"
grep -q QuantizeLinear "$TMP/info.txt"
grep -q DequantizeLinear "$TMP/info.txt"
# ONNX's own checker, when Debian's python3-onnx is there (not a dependency).
if /usr/bin/python3 -c "import onnx" 2>/dev/null; then
    /usr/bin/python3 -c "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('onnx.checker: ok')" "$TMP/int8.onnx"
fi
echo "ok"
