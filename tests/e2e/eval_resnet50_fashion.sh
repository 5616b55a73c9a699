#!/bin/bash
# ptq eval of the real ResNet-50 (Fashion-MNIST) with the README recipe must
# reproduce PyTorch's top-1: on the full 10,000-image test set (PyTorch 0.8781,
# meta.json) in a normal build; in a sanitizer build (slow) on the first 300
# test images, where PyTorch (scripts/torch_fashion_subset_top1.py 300) measures
# top-1 0.9033, top-5 0.9967. PTQ_EVAL_FULL=0|1 overrides.
source "$(dirname "$0")/eval_common.bash"
full=1
if grep -q "PTQ_SANITIZE:BOOL=ON" "$PTQ_BINARY_DIR/CMakeCache.txt"; then full=0; fi
if [ "${PTQ_EVAL_FULL:-$full}" = 1 ]; then
    LIMIT=(); WANT1=0.8781; WANT5=0.9970
else
    LIMIT=(--limit 300); WANT1=0.9033; WANT5=0.9967
fi
"$PTQ" eval "$MODEL" --data "$DATA/val_list.txt" "${RECIPE[@]}" "${LIMIT[@]}" --json "$TMP/r.json"
json_get "$TMP/r.json" "d['top1'], d['top5'], d['images'], len(d['per_class']), d['diagnosis']"
python3 - "$TMP/r.json" "$WANT1" "$WANT5" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); w1, w5 = float(sys.argv[2]), float(sys.argv[3])
assert abs(d["top1"] - w1) <= 0.001, f"top1 {d['top1']} != PyTorch {w1}"
assert abs(d["top5"] - w5) <= 0.001, f"top5 {d['top5']} != PyTorch {w5}"
assert d["diagnosis"] == [], d["diagnosis"]
assert len(d["per_class"]) == 10 and sum(c["images"] for c in d["per_class"]) == d["images"]
assert d["preprocessing"]["model_h"] == 64
print("ok")
PY
