#!/bin/bash
# `ptq bench` runs the bundled demo model briefly and writes a JSON report with
# the documented keys and sane values. No timing assertions: CI machines vary.
set -euo pipefail
model="$PTQ_SOURCE_DIR/examples/fashion-cnn/model.onnx"
test -f "$model" || { echo "missing $model"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PTQ" bench "$model" --seconds 0.2 --warmup 1 --threads 1 --json "$tmp/bench.json" --profile | tee "$tmp/out.txt"
grep -q "latency ms: min" "$tmp/out.txt"
grep -Eq "^profile|%" "$tmp/out.txt" || { echo "--profile printed nothing"; exit 1; }
# Python's json module reads the report (python3 is in scripts/setup.sh; jq is not).
check() { # FILE PYTHON-EXPRESSION-OVER-r
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" \
        || { echo "bad JSON ($2):"; cat "$1"; exit 1; }
}
check "$tmp/bench.json" '0 < r["latency_ms"]["min"] <= r["latency_ms"]["median"] <= r["latency_ms"]["p90"]'
check "$tmp/bench.json" 'r["images_per_second"] > 0 and 1 < r["peak_rss_mib"] < 65536'
check "$tmp/bench.json" 'r["precision"] == "fp32" and r["threads"] == 1 and r["batch"] == 1 and r["runs"] >= 1'
check "$tmp/bench.json" 'isinstance(r["backend"], str) and r["model"].endswith("model.onnx") and r["shape"].startswith("1x")'

# --batch overrides the first dimension; --json - writes JSON to stdout.
"$PTQ" bench "$model" --seconds 0 --warmup 0 --batch 3 --backend ref --json - 2>/dev/null >"$tmp/b3.json"
check "$tmp/b3.json" 'r["batch"] == 3 and r["shape"].startswith("3x") and r["backend"] == "ref" and r["runs"] == 1'

# Usage errors exit with 2.
set +e
"$PTQ" bench "$model" --seconds -1 2>/dev/null; [ $? -eq 2 ] || { echo "--seconds -1 not rejected"; exit 1; }
"$PTQ" bench "$model" --bogus 2>/dev/null; [ $? -eq 2 ] || { echo "unknown option not rejected"; exit 1; }
"$PTQ" bench 2>/dev/null; [ $? -eq 2 ] || { echo "missing MODEL not rejected"; exit 1; }
echo "bench smoke OK"
