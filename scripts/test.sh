#!/bin/sh
# Builds ptq twice (normal, and with AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs the whole test suite on both builds.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
for variant in build build-asan; do
    if [ "$variant" = build-asan ]; then flags="-DPTQ_SANITIZE=ON"; else flags=""; fi
    # shellcheck disable=SC2086
    cmake -S . -B "$variant" -DCMAKE_BUILD_TYPE=RelWithDebInfo $flags >/dev/null
    cmake --build "$variant" -j "$jobs"
    echo "== tests: $variant =="
    (cd "$variant" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs")
done
