#!/usr/bin/env python3
"""Make PyTorch reference fixtures for /work/shared/models/resnet50-fashion/model.onnx.

PyTorch cannot load ONNX, so this script contains a tiny ONNX -> torch
interpreter for exactly the ops that graph uses (Conv, Relu, Add, MaxPool,
GlobalAveragePool, Flatten, Gemm), running in float32 with
torch.nn.functional.  As a sanity check it measures top-1 on the first 200
Fashion-MNIST test images (should be ~0.88, the model's full-test accuracy is
0.8781), then writes to tests/fixtures/resnet50/:

    input_64.npy    float32 4x3x64x64   test images 0..3, preprocessed per the model README
    logits_64.npy   float32 4x10        PyTorch output for input_64
    labels_64.npy   int64   4           true labels of those images
    input_224.npy   float32 1x3x224x224 test image 0: resize 28->252, center crop 224
    logits_224.npy  float32 1x10        PyTorch output for input_224

Preprocessing (model README): uint8 28x28 gray -> cv2.resize INTER_LINEAR to
72x72 (uint8 result) -> center crop 64 (offset 4) -> gray to 3 channels ->
x/255 -> (x - ImageNet mean) / ImageNet std -> NCHW float32.

Run (needs Debian's python3 with python3-torch, -onnx, -numpy, -opencv):
    /usr/bin/python3 scripts/make_resnet50_fixtures.py [--model PATH] [--out DIR]
"""
import argparse
import gzip
import os

import cv2
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

DATA_DIR = "/usr/share/datasets/fashion-mnist"
MODEL = "/work/shared/models/resnet50-fashion/model.onnx"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "resnet50")
MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(3, 1, 1)


def load_test_set():
    with gzip.open(f"{DATA_DIR}/t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 28, 28)
    with gzip.open(f"{DATA_DIR}/t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read()[8:], np.uint8).astype(np.int64)
    return images, labels


def preprocess(img28, resize, crop):
    """uint8 28x28 gray -> float32 3 x crop x crop, per the model README."""
    big = cv2.resize(img28, (resize, resize), interpolation=cv2.INTER_LINEAR)  # uint8, rounded
    o = (resize - crop) // 2
    x = big[o:o + crop, o:o + crop].astype(np.float32) / np.float32(255.0)
    x = np.repeat(x[None], 3, axis=0)
    return ((x - MEAN) / STD).astype(np.float32)


# ---------------------------------------------------------------- interpreter
def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pad_nchw(x, pads, value=0.0):
    """ONNX pads [top, left, bottom, right] -> F.pad (symmetric handled by caller)."""
    t, l, b, r = pads
    return F.pad(x, (l, r, t, b), value=value)


def op_conv(x, w, b=None, dilations=(1, 1), group=1, kernel_shape=None,
            pads=(0, 0, 0, 0), strides=(1, 1), auto_pad=b"NOTSET"):
    assert auto_pad in (b"NOTSET", "NOTSET"), "auto_pad not supported"
    assert kernel_shape is None or list(kernel_shape) == list(w.shape[2:])
    if pads[0] == pads[2] and pads[1] == pads[3]:
        padding = (pads[0], pads[1])
    else:
        x, padding = pad_nchw(x, pads), (0, 0)
    return F.conv2d(x, w, b, stride=tuple(strides), padding=padding,
                    dilation=tuple(dilations), groups=group)


def op_maxpool(x, kernel_shape, pads=(0, 0, 0, 0), strides=(1, 1), ceil_mode=0,
               dilations=(1, 1), auto_pad=b"NOTSET", storage_order=0):
    assert auto_pad in (b"NOTSET", "NOTSET"), "auto_pad not supported"
    x = pad_nchw(x, pads, value=float("-inf"))
    return F.max_pool2d(x, tuple(kernel_shape), tuple(strides), 0,
                        tuple(dilations), ceil_mode=bool(ceil_mode))


def op_gemm(a, b, c=None, alpha=1.0, beta=1.0, transA=0, transB=0):
    if transA:
        a = a.t()
    if transB:
        b = b.t()
    y = alpha * (a @ b)
    return y if c is None else y + beta * c


OPS = {
    "Conv": op_conv,
    "Relu": lambda x: F.relu(x),
    "Add": lambda a, b: a + b,
    "MaxPool": op_maxpool,
    "GlobalAveragePool": lambda x: x.mean(dim=(2, 3), keepdim=True),
    "Flatten": lambda x, axis=1: x.reshape(int(np.prod(x.shape[:axis])), -1),
    "Gemm": op_gemm,
}


class OnnxTorch:
    def __init__(self, path):
        self.graph = onnx.load(path).graph
        self.weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
                        for t in self.graph.initializer}
        unknown = {n.op_type for n in self.graph.node} - OPS.keys()
        assert not unknown, f"unsupported ops: {unknown}"

    @torch.no_grad()
    def __call__(self, x):
        env = dict(self.weights)
        env[self.graph.input[0].name] = torch.as_tensor(x, dtype=torch.float32)
        for node in self.graph.node:  # ONNX nodes are topologically sorted
            args = [env[name] if name else None for name in node.input]
            env[node.output[0]] = OPS[node.op_type](*args, **attrs_of(node))
        return env[self.graph.output[0].name].numpy()


# ---------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=MODEL)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.backends.mkldnn.enabled = False

    net = OnnxTorch(args.model)
    images, labels = load_test_set()

    n = 200
    x = np.stack([preprocess(im, 72, 64) for im in images[:n]])
    logits = np.concatenate([net(x[i:i + 50]) for i in range(0, n, 50)])
    top1 = float((logits.argmax(1) == labels[:n]).mean())
    print(f"sanity: top-1 on first {n} test images = {top1:.4f} (model README: 0.8781 on 10,000)")
    assert 0.83 <= top1 <= 0.93, "interpreter or preprocessing is wrong"

    os.makedirs(args.out, exist_ok=True)
    x64 = x[:4]
    y64 = net(x64)
    assert np.allclose(y64, logits[:4], atol=1e-4)  # batch-size independence
    x224 = preprocess(images[0], 252, 224)[None]
    y224 = net(x224)
    fixtures = {"input_64": x64, "logits_64": y64.astype(np.float32),
                "labels_64": labels[:4].astype(np.int64),
                "input_224": x224, "logits_224": y224.astype(np.float32)}
    for name, arr in fixtures.items():
        path = os.path.join(args.out, name + ".npy")
        np.save(path, arr)
        print(f"{path}: {arr.dtype} {arr.shape}")
    print("labels_64", labels[:4].tolist(), "argmax_64", y64.argmax(1).tolist(),
          "| label_224", int(labels[0]), "argmax_224", int(y224.argmax()))


if __name__ == "__main__":
    main()
