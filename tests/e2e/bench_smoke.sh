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
jq -e '
  (.latency_ms.min > 0) and (.latency_ms.min <= .latency_ms.median) and (.latency_ms.median <= .latency_ms.p90)
  and (.images_per_second > 0) and (.peak_rss_mib > 1) and (.peak_rss_mib < 65536)
  and (.precision == "fp32") and (.threads == 1) and (.batch == 1) and (.runs >= 1)
  and (.backend | type == "string") and (.model | endswith("model.onnx")) and (.shape | startswith("1x"))
' "$tmp/bench.json" >/dev/null || { echo "bad JSON:"; cat "$tmp/bench.json"; exit 1; }

# --batch overrides the first dimension; --json - writes JSON to stdout.
"$PTQ" bench "$model" --seconds 0 --warmup 0 --batch 3 --backend ref --json - 2>/dev/null >"$tmp/b3.json"
jq -e '(.batch == 3) and (.shape | startswith("3x")) and (.backend == "ref") and (.runs == 1)' "$tmp/b3.json" >/dev/null \
    || { echo "bad --batch JSON:"; cat "$tmp/b3.json"; exit 1; }

# Usage errors exit with 2.
set +e
"$PTQ" bench "$model" --seconds -1 2>/dev/null; [ $? -eq 2 ] || { echo "--seconds -1 not rejected"; exit 1; }
"$PTQ" bench "$model" --bogus 2>/dev/null; [ $? -eq 2 ] || { echo "unknown option not rejected"; exit 1; }
"$PTQ" bench 2>/dev/null; [ $? -eq 2 ] || { echo "missing MODEL not rejected"; exit 1; }
echo "bench smoke OK"
