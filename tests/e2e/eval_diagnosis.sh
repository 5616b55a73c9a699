#!/bin/bash
# Deliberately wrong settings land near chance and the diagnosis names the fix:
# (1) no normalization + a 1-based label list -> ImageNet normalization and
#     --label-offset -1; (2) correct labels, no normalization -> normalization only.
source "$(dirname "$0")/eval_common.bash"
awk '{ print $1, $2 + 1 }' "$DATA/val_list.txt" > "$DATA/val_list_1based.txt"
"$PTQ" eval "$MODEL" --data "$DATA/val_list_1based.txt" --resize-exact 72x72 --crop 64 \
    --limit 100 --probe-images 100 --json "$TMP/wrong.json" 2> "$TMP/wrong.err"
cat "$TMP/wrong.err"
grep -q "chance level for 10 classes. Probable cause" "$TMP/wrong.err"
python3 - "$TMP/wrong.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(d["top1"], d["diagnosis"][:2])
assert d["top1"] <= 0.2, d["top1"]
fix = "--scale 1/255 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --label-offset -1"
assert d["diagnosis"][0]["change"] == fix, d["diagnosis"][0]
assert d["diagnosis"][0]["top1"] >= 0.8, d["diagnosis"][0]
PY
# The suggested change, appended to the wrong command line, fixes it.
"$PTQ" eval "$MODEL" --data "$DATA/val_list_1based.txt" --resize-exact 72x72 --crop 64 --limit 100 \
    --scale 1/255 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --label-offset -1 --json "$TMP/fixed.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['top1'] >= 0.8 and d['diagnosis'] == [], d" "$TMP/fixed.json"
# Without diagnosis, out-of-range labels are an error naming the list file and line.
if "$PTQ" eval "$MODEL" --data "$DATA/val_list_1based.txt" --resize-exact 72x72 --crop 64 --limit 20 \
    --no-diagnose 2> "$TMP/err.txt"; then
    echo "expected a failure"; exit 1
fi
cat "$TMP/err.txt"
grep -q "val_list_1based.txt:1: image '.*00000.png' has label 10 but the model outputs 10 classes" "$TMP/err.txt"
echo ok
