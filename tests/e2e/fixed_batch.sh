#!/bin/bash
# A model exported with its batch fixed to 1 or 3 (tests/fixtures/align/
# conv_conv_batch{1,3}.onnx, the dynamic-batch conv_conv.onnx with dimension
# 0 fixed, made by scripts/make_align_fixture.py) evaluates and quantizes
# with the default --batch 8: ptq runs it with its own batch and gets what
# the dynamic model gets; with batch 3, the last of the 100 evaluation, 40
# calibration and 8 SQNR images are a partial batch (padded, then ignored).
# Full bias correction, which needs its images as one batch, says so.
set -euo pipefail
: "${PTQ:?}" "${PTQ_SOURCE_DIR:?}" "${PTQ_BINARY_DIR:?}"
FIX=$PTQ_SOURCE_DIR/tests/fixtures/align
EX=$PTQ_SOURCE_DIR/examples/fashion-cnn
PRE=(--resize-exact 32x32 --scale 0.00392156862745098 --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for m in conv_conv conv_conv_batch1 conv_conv_batch3; do
    "$PTQ" eval "$FIX/$m.onnx" --data "$EX/val_list.txt" "${PRE[@]}" --limit 100 --no-diagnose --json "$TMP/eval-$m.json" > /dev/null
    "$PTQ" quantize "$FIX/$m.onnx" --data "$EX/calib_list.txt" "${PRE[@]}" --subset 40 --sqnr-samples 8 \
        -o "$TMP/$m-int8.onnx" --json "$TMP/quant-$m.json" > /dev/null
done
python3 - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
for b in (1, 3):
    e = [json.load(open("%s/eval-%s.json" % (d, m))) for m in ("conv_conv", "conv_conv_batch%d" % b)]
    q = [json.load(open("%s/quant-%s.json" % (d, m))) for m in ("conv_conv", "conv_conv_batch%d" % b)]
    assert e[0]["images"] == e[1]["images"] == 100, (e[0]["images"], e[1]["images"])
    assert e[0]["top1"] == e[1]["top1"] and e[0]["top5"] == e[1]["top5"], (e[0]["top1"], e[1]["top1"])
    sa = [t["scale"] for t in q[0]["tensors"]]
    sb = [t["scale"] for t in q[1]["tensors"]]
    assert sa == sb, (sa, sb)
    assert q[0]["output_sqnr_db"] == q[1]["output_sqnr_db"], (q[0]["output_sqnr_db"], q[1]["output_sqnr_db"])
    print("fixed batch %d: same top-1 (%.2f), quantization scales and SQNR as the dynamic model" % (b, e[1]["top1"]))
PY
"$PTQ" info "$TMP/conv_conv_batch1-int8.onnx" | grep -q QuantizeLinear

set +e
"$PTQ" quantize "$FIX/conv_conv_batch1.onnx" --data "$EX/calib_list.txt" "${PRE[@]}" --subset 40 \
    --bias-correction full -o "$TMP/full.onnx" > /dev/null 2> "$TMP/err"; rc=$?
set -e
cat "$TMP/err"
[ "$rc" = 1 ] && grep -q "fixes the batch to 1" "$TMP/err" && [ ! -e "$TMP/full.onnx" ]
echo ok
