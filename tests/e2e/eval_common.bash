# Shared set-up of the eval_*.sh end-to-end tests (sourced, not a test).
set -euo pipefail
: "${PTQ:?}" "${PTQ_SOURCE_DIR:?}" "${PTQ_BINARY_DIR:?}"
SHARED=${PTQ_SHARED_DIR:-$PTQ_SOURCE_DIR/../shared}
MODEL=$SHARED/models/resnet50-fashion/model.onnx
DATA=$PTQ_BINARY_DIR/data/fashion-mnist
if [ ! -f "$MODEL" ]; then
    echo "SKIP: $MODEL not found"
    exit 0
fi
if [ ! -f "$DATA/val_list.txt" ] || [ ! -f "$DATA/.complete" ]; then
    mkdir -p "$PTQ_BINARY_DIR/data"
    python3 "$PTQ_SOURCE_DIR/scripts/export_fashion_mnist.py" "$DATA" --split test
fi
# The model README's recipe.
RECIPE=(--resize-exact 72x72 --crop 64 --scale 0.00392156862745098
        --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }
