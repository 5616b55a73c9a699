#!/bin/bash
# The bundled example evaluates to exactly the top-1 PyTorch measured on its
# 500 bundled images (examples/fashion-cnn/meta.json: top1_bundled_correct),
# on the reference and the oneDNN backends.
set -euo pipefail
: "${PTQ:?}" "${PTQ_SOURCE_DIR:?}"
ex=$PTQ_SOURCE_DIR/examples/fashion-cnn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want=$(grep -o '"top1_bundled_correct": *[0-9]*' "$ex/meta.json" | grep -o '[0-9]*$')
for backend in ref dnnl; do
    "$PTQ" eval "$ex/model.onnx" --data "$ex/val_list.txt" --labels "$ex/labels.txt" \
        --resize-exact 32x32 --scale 0.00392156862745098 --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 \
        --backend "$backend" --json "$tmp/$backend.json" >"$tmp/$backend.out"
    got=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(round(d['top1']*d['images']), d['images'])" "$tmp/$backend.json")
    echo "$backend: correct/images = $got (PyTorch: $want/500)"
    [ "$got" = "$want 500" ]
done
