#!/bin/bash
# ptq eval -c: an Accuracy Checker YAML (pillow reader, exact resize, crop,
# normalization in two steps on 0..255, imagenet converter with directories in
# the list that AC strips) gives the same top-1 as the equivalent options;
# -m takes the model's directory; unknown keys warn.
source "$(dirname "$0")/eval_common.bash"
mkdir -p "$TMP/cfg"
head -n 40 "$DATA/val_list.txt" | sed 's|^test/|some/where/|' > "$TMP/cfg/val.txt"
ln -s "$DATA/test" "$TMP/cfg/images"
cat > "$TMP/cfg/fashion.yml" <<YML
models:
  - name: resnet50-fashion
    launchers:
      - framework: onnx_runtime
        model: model.onnx
        adapter: classification
    datasets:
      - name: fashion-mnist
        data_source: images
        annotation_conversion:
          converter: imagenet
          annotation_file: val.txt
        reader: pillow_imread
        preprocessing:
          - type: resize
            size: 72
          - type: crop
            size: 64
          - type: normalization
            std: 255
          - type: normalization
            mean: 0.485, 0.456, 0.406
            std: [0.229, 0.224, 0.225]
        metrics:
          - type: accuracy
            top_k: 1
        sparkle: 1
YML
"$PTQ" eval -c "$TMP/cfg/fashion.yml" -m "$(dirname "$MODEL")" --json "$TMP/ac.json" 2> "$TMP/ac.err"
cat "$TMP/ac.err"
grep -q "unknown key 'sparkle'" "$TMP/ac.err"
"$PTQ" eval "$MODEL" --data "$DATA/val_list.txt" "${RECIPE[@]}" --limit 40 --json "$TMP/cli.json"
python3 - "$TMP/ac.json" "$TMP/cli.json" <<'PY'
import json, sys
a, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("ac", a["top1"], a["images"], "cli", c["top1"], c["images"])
assert a["images"] == c["images"] == 40
assert abs(a["top1"] - c["top1"]) < 1e-9 and a["top1"] >= 0.8
PY
echo ok
