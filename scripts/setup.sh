#!/bin/sh
# Installs every Debian package ptq needs to build, test and run (Debian 12,
# as root, no prompts; safe to run again). Python/PyTorch packages used only
# by the fixture and demo-model generators are in scripts/setup-dev.sh.
set -eu
if [ "$(id -u)" != 0 ]; then
    echo "scripts/setup.sh: run as root (it installs Debian packages)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
PACKAGES="build-essential cmake pkg-config git python3
  libdnnl-dev protobuf-c-compiler libprotobuf-c-dev libonnx-dev
  libturbojpeg0-dev libspng-dev libpng-dev libyaml-dev libcjson-dev libcmocka-dev
  libonnx-testdata dataset-fashion-mnist"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi
