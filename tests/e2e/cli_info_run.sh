#!/bin/bash
# The CLI forms other tools script against: `ptq info` (text + JSON keys,
# ResNet-50 at 224x224 = 4.089 GMACs) and `ptq run` on .npy inputs (-o,
# --output-dir, NAME=FILE, labels), and clear errors with a non-zero status.
set -euo pipefail
: "${PTQ:?}" "${PTQ_SOURCE_DIR:?}"
SHARED=${PTQ_SHARED_DIR:-$PTQ_SOURCE_DIR/../shared}
R50=$SHARED/models/resnet50-fashion/model.onnx
EX=$PTQ_SOURCE_DIR/examples/fashion-cnn
FIX=$PTQ_SOURCE_DIR/tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# info: text and JSON
"$PTQ" info "$R50" --shape 1x3x224x224 --json "$tmp/info.json" >"$tmp/info.txt"
grep -q "4.089 GMACs" "$tmp/info.txt" || fail "ResNet-50 MACs: $(grep macs "$tmp/info.txt")"
grep -q "Conv *53" "$tmp/info.txt" || fail "Conv histogram"
python3 - "$tmp/info.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("inputs", "outputs", "opset", "ops", "params", "macs"):
    assert k in d, k
assert d["opset"] == 13 and d["ops"]["Conv"] == 53 and d["ops"]["Relu"] == 49 and d["ops"]["Add"] == 16
assert d["params"] == 23501962, d["params"]
assert round(d["macs"] / 1e9, 3) == 4.089, d["macs"]
assert d["inputs"][0]["name"] == "input" and d["inputs"][0]["shape"] == ["N", 3, "H", "W"]
assert d["outputs"][0]["name"] == "logits"
PY
# Without --shape the dynamic H/W leaves MACs unknown, but info still succeeds.
"$PTQ" info "$R50" >/dev/null

# run: positional and NAME=FILE inputs, -o, --output-dir, labels
"$PTQ" run "$EX/model.onnx" "$FIX/fashion_cnn/input.npy" -o "$tmp/out.npy" --labels "$EX/labels.txt" >"$tmp/run.txt"
grep -q "Ankle boot" "$tmp/run.txt" || fail "top-5 with label names"
# the same labels with old-Mac line ends (CR only) name the same classes
tr '\n' '\r' < "$EX/labels.txt" > "$tmp/labels_cr.txt"
"$PTQ" run "$EX/model.onnx" "$FIX/fashion_cnn/input.npy" --labels "$tmp/labels_cr.txt" >"$tmp/run_cr.txt"
cmp -s "$tmp/run.txt" "$tmp/run_cr.txt" || fail "labels file with CR line ends"
python3 - "$tmp/out.npy" "$FIX/fashion_cnn/logits.npy" <<'PY'
import struct, sys
def load(p):
    b = open(p, "rb").read(); h = struct.unpack("<H", b[8:10])[0]; d = b[10 + h:]
    return struct.unpack("<%df" % (len(d) // 4), d)
a, b = load(sys.argv[1]), load(sys.argv[2])
assert len(a) == len(b) == 80
m = max(abs(x) for x in b)
assert max(abs(x - y) for x, y in zip(a, b)) <= 1e-4 * m
PY
"$PTQ" run "$EX/model.onnx" "input=$FIX/fashion_cnn/input.npy" --output-dir "$tmp/outs" --backend ref >/dev/null
test -s "$tmp/outs/logits.npy" || fail "--output-dir did not write logits.npy"

# errors: non-zero status, message naming the problem, no output file left behind
expect_error() { # pattern, command...
    local pattern=$1; shift
    if "$@" >"$tmp/err.out" 2>&1; then fail "expected failure: $*"; fi
    grep -q -- "$pattern" "$tmp/err.out" || { cat "$tmp/err.out"; fail "message lacks '$pattern'"; }
}
expect_error "no/such.onnx" "$PTQ" info no/such.onnx
head -c 1000 "$EX/model.onnx" >"$tmp/truncated.onnx"
expect_error "truncated.onnx" "$PTQ" run "$tmp/truncated.onnx" "$FIX/fashion_cnn/input.npy"
# Load errors name the file once (quantize printed it twice).
expect_error "^ptq: $tmp/truncated.onnx: not a valid ONNX model" "$PTQ" quantize "$tmp/truncated.onnx" --data "$EX/calib_list.txt" -o "$tmp/never.onnx"
test ! -e "$tmp/never.onnx" || fail "quantize wrote an output despite the error"
# Errors while calibrating name the model and the stage.
expect_error "model.onnx: statistics: input 'input' dimension 1 is fixed to 3" "$PTQ" quantize "$EX/model.onnx" \
    --data "$EX/calib_list.txt" --subset 3 --layout nhwc -o "$tmp/never.onnx"
# An already-quantized model (QDQ Conv, fixtures/qdq) says so instead of "no Conv".
expect_error "conv_qdq.onnx: nothing to quantize: the model is already quantized" "$PTQ" quantize "$FIX/qdq/conv_qdq.onnx" \
    --data "$EX/calib_list.txt" --subset 3 --resize-exact 8x8 -o "$tmp/never.onnx"
expect_error "missing.npy" "$PTQ" run "$EX/model.onnx" missing.npy
expect_error "fixed to 32, cannot bind 64" "$PTQ" run "$EX/model.onnx" "$FIX/resnet50/input_64.npy" -o "$tmp/never.npy"
test ! -e "$tmp/never.npy" || fail "output written despite the error"
expect_error "bad --shape" "$PTQ" info "$R50" --shape 1xfoo
expect_error "no input named" "$PTQ" run "$EX/model.onnx" "nope=$FIX/fashion_cnn/input.npy"
# A forged .npy header declaring a huge array: an error, not a huge allocation.
printf "\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 100), }       \n" >"$tmp/forged.npy"
expect_error "too large" "$PTQ" run "$EX/model.onnx" "$tmp/forged.npy"
printf "\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (8, 3, 32, 32), }        \n" >"$tmp/short.npy"
expect_error "truncated" "$PTQ" run "$EX/model.onnx" "$tmp/short.npy"
# An input the model gives no shape (fixtures/errors): bench asks for --shape ("rank -1" before).
expect_error "input 'X' has no shape in the model: give --shape" "$PTQ" bench "$FIX/errors/no_input_shape.onnx"
expect_error "unknown command" "$PTQ" frobnicate
echo "cli info/run: ok"
