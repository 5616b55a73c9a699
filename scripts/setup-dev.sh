#!/bin/sh
# Extra Debian packages for the generator scripts (fixtures, demo model):
# PyTorch, ONNX, OpenCV and Pillow for Debian's /usr/bin/python3. Not needed
# to build, test or run ptq.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3-torch python3-torchvision python3-onnx \
    python3-numpy python3-opencv python3-pil
