#!/bin/bash
# ActivationChannelAlignment on a model that needs it
# (tests/fixtures/align/conv_conv.onnx, scripts/make_align_fixture.py): conv_a
# feeds the 1x1 conv_b directly and its output channels span ranges 1000x
# apart. Calibrated on the bundled example's 300 images, without bias
# correction so that only the alignment differs:
#   - with alignment the report names the pair and the INT8 model follows
#     FP32 closely (measured: output SQNR 42 dB, conv_b 49 dB);
#   - with --no-alignment one per-tensor scale crushes the small channels
#     (measured: output SQNR 8 dB, conv_b 4 dB).
# The aligned model's SQNR is measured against the original FP32 model, so
# it also shows that alignment left the network's function unchanged.
set -euo pipefail
: "${PTQ:?}" "${PTQ_SOURCE_DIR:?}" "${PTQ_BINARY_DIR:?}"
MODEL=$PTQ_SOURCE_DIR/tests/fixtures/align/conv_conv.onnx
EX=$PTQ_SOURCE_DIR/examples/fashion-cnn
PRE=(--resize-exact 32x32 --scale 0.00392156862745098 --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$PTQ" quantize "$MODEL" --data "$EX/calib_list.txt" "${PRE[@]}" --bias-correction none --sqnr-samples 16 \
    -o "$TMP/aligned.onnx" --json "$TMP/aligned.json" > /dev/null
"$PTQ" quantize "$MODEL" --data "$EX/calib_list.txt" "${PRE[@]}" --bias-correction none --sqnr-samples 16 \
    --no-alignment -o "$TMP/plain.onnx" --json "$TMP/plain.json" > /dev/null

python3 - "$TMP/aligned.json" "$TMP/plain.json" <<'PY'
import json, sys
a, p = (json.load(open(f)) for f in sys.argv[1:3])
assert a["settings"]["channel_alignment"] is True and p["settings"]["channel_alignment"] is False
assert a["alignment_pairs"] == ["/conv_a/Conv -> /conv_b/Conv"], a["alignment_pairs"]
assert p["alignment_pairs"] == [], p["alignment_pairs"]
sq = lambda r, name: [l["sqnr_db"] for l in r["layers"] if l["name"] == name][0]
print("output SQNR: aligned %.1f dB, not aligned %.1f dB" % (a["output_sqnr_db"], p["output_sqnr_db"]))
print("conv_b SQNR: aligned %.1f dB, not aligned %.1f dB" % (sq(a, "/conv_b/Conv"), sq(p, "/conv_b/Conv")))
assert a["output_sqnr_db"] >= 30, a["output_sqnr_db"]
assert a["output_sqnr_db"] >= p["output_sqnr_db"] + 20
assert sq(a, "/conv_b/Conv") >= sq(p, "/conv_b/Conv") + 20
PY
echo ok
