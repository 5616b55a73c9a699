#!/usr/bin/env python3
"""Train and export the small bundled demo model examples/fashion-cnn/.

A small ResNet-style CNN (every op supported by ptq) trained with Debian's
PyTorch on the 60,000 Fashion-MNIST training images (Debian package
`dataset-fashion-mnist`, idx files read directly with numpy), seed 0.

Writes
    examples/fashion-cnn/model.onnx       FP32, input `input` Nx3x32x32, output `logits` Nx10
    examples/fashion-cnn/labels.txt       class names, index = line number
    examples/fashion-cnn/meta.json        recipe + measured FP32 accuracy
    examples/fashion-cnn/README.md
    examples/fashion-cnn/images/          first 500 test images, images/test_00000.png ...
    examples/fashion-cnn/val_list.txt     "images/test_00000.png 9" per line
    examples/fashion-cnn/calib/           300 train images (first 300 of a seed-0 permutation)
    examples/fashion-cnn/calib_list.txt   "calib/train_01234.png 3" per line
    tests/fixtures/fashion_cnn/input.npy  first 8 bundled images preprocessed, float32 8x3x32x32
    tests/fixtures/fashion_cnn/logits.npy their logits, float32 8x10

Preprocessing (training and evaluation): 28x28 uint8 gray -> cv2.resize to
32x32 INTER_LINEAR (uint8 result) -> 3 equal channels -> x * (1/255) ->
(x - 0.5) / 0.5 -> NCHW float32.  All accuracies are measured by running the
exported model.onnx through the float32 ONNX interpreter in
make_resnet50_fixtures.py (PyTorch ops), so they describe the committed file.

Run (Debian's python3 with python3-torch, -onnx, -numpy, -opencv; ~2-5 min on 2 cores):
    /usr/bin/python3 scripts/train_demo_model.py [--epochs N]
"""
import argparse
import gzip
import json
import os
import sys
import time

import cv2
import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_fashion_mnist import CLASSES, encode_png_gray8  # noqa: E402
from make_resnet50_fixtures import OnnxTorch  # noqa: E402

DATA_DIR = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "examples", "fashion-cnn")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "fashion_cnn")
N_BUNDLED, N_CALIB, N_FIXTURE = 500, 300, 8


README = """# fashion-cnn — small demo model with real trained weights

A small ResNet-style CNN for Fashion-MNIST, bundled so the ptq README demo can
evaluate and quantize a real model on real images in seconds on a fresh
machine. Made by `scripts/train_demo_model.py`.

## Model
- `model.onnx` — FP32, ONNX opset 13, input `input` of shape `N x 3 x 32 x 32`
  (dynamic batch), output `logits` `N x 10` (no softmax). {params} parameters.
  Ops: {ops}.
- Architecture: conv3x3 3->16 + BN + ReLU; conv3x3 stride 2 16->32 + BN + ReLU;
  one residual block (conv3x3 32->32 + BN + ReLU, conv3x3 32->32 + BN, Add with
  the skip, ReLU); conv3x3 stride 2 32->64 + BN + ReLU; GlobalAveragePool;
  Flatten; Linear 64->10. BatchNormalization is folded into the convolutions
  by the exporter (`torch.onnx.export`, eval mode, `do_constant_folding=True`).

## How it was made
Debian's PyTorch {torch_version}, the 60,000 Fashion-MNIST training images
(Debian package `dataset-fashion-mnist`, `/usr/share/datasets/fashion-mnist/`),
{epochs} epochs, batch {batch}, {optimizer}, cross-entropy, no augmentation,
seed {seed}, 2 CPU threads ({train_seconds} s wall clock for this run; about
9 minutes on 2 idle cores).

## Preprocessing (exactly what training and the measured accuracy used)
1. Decode the 28x28 grayscale PNG (uint8).
2. Resize exactly to 32x32 (no crop), OpenCV `cv2.resize(..., (32, 32),
   interpolation=cv2.INTER_LINEAR)` on the uint8 image; the result is uint8
   (rounded by OpenCV).
3. Replicate the gray channel to 3 channels (RGB order; all equal).
4. Multiply by 1/255, subtract mean (0.5, 0.5, 0.5), divide by std (0.5, 0.5, 0.5).
5. NCHW float32.

Labels are 0-based, one class name per line in `labels.txt`: 0 T-shirt/top,
1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag,
9 Ankle boot.

## Data bundled here
- `images/test_00000.png` ... — the first {bundled_images} Fashion-MNIST test
  images (28x28 8-bit grayscale PNG); `val_list.txt` lists them with their
  labels (`images/test_00000.png 9`).
- `calib/train_NNNNN.png` — {calib_images} training images (NNNNN = index in
  the training set), chosen as {calib_selection}; `calib_list.txt` lists them
  with their labels. For calibration; disjoint from the test images.

## Measured accuracy (FP32 `model.onnx`, PyTorch float32 ops)
| images | top-1 | top-5 |
|---|---|---|
| 10,000 test images | {fp32_top1_torch:.4f} | {fp32_top5_torch:.4f} |
| the {bundled_images} bundled images (`val_list.txt`) | {top1_bundled:.4f} ({top1_bundled_correct}/{bundled_images}) | {top5_bundled:.4f} |

The same numbers are in `meta.json` (`fp32_top1_torch`, `fp32_top5_torch`,
`top1_bundled`, `top5_bundled`).

## Regenerate
    /usr/bin/python3 scripts/train_demo_model.py --epochs {epochs}

(needs Debian's python3-torch, python3-onnx, python3-numpy, python3-opencv and
the `dataset-fashion-mnist` package). It rewrites this directory and
`tests/fixtures/fashion_cnn/{{input,logits}}.npy` (the first 8 bundled images
preprocessed as above, and their logits).
Retraining may give slightly different weights on another machine or
PyTorch build; the committed `model.onnx` and `meta.json` are the reference.
"""


def load_split(prefix):
    with gzip.open(f"{DATA_DIR}/{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 28, 28)
    with gzip.open(f"{DATA_DIR}/{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read()[8:], np.uint8).astype(np.int64)
    return images, labels


def preprocess(images28):
    """uint8 Nx28x28 -> float32 Nx3x32x32, exactly as documented."""
    small = np.stack([cv2.resize(im, (32, 32), interpolation=cv2.INTER_LINEAR)
                      for im in images28])  # uint8, rounded by OpenCV
    x = small.astype(np.float32) * np.float32(1.0 / 255.0)
    x = (x - np.float32(0.5)) / np.float32(0.5)
    return np.ascontiguousarray(np.repeat(x[:, None], 3, axis=1))


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout))


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 16), nn.ReLU(), conv_bn(16, 32, 2), nn.ReLU())
        self.res_a = nn.Sequential(conv_bn(32, 32), nn.ReLU())
        self.res_b = conv_bn(32, 32)
        self.down = nn.Sequential(conv_bn(32, 64, 2), nn.ReLU())
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(self.res_b(self.res_a(x)) + x)
        x = self.down(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def train(model, x, y, epochs, batch=128):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * ((len(x) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    g = torch.Generator().manual_seed(0)
    model.train()
    for ep in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        total, correct, t0 = 0.0, 0, time.time()
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            xb, yb = x[idx], y[idx]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
        print(f"epoch {ep + 1}/{epochs}: loss {total / len(x):.4f} "
              f"train acc {correct / len(x):.4f} ({time.time() - t0:.0f}s)", flush=True)


def topk(logits, labels):
    order = np.argsort(-logits, axis=1)
    return (float((order[:, 0] == labels).mean()),
            float((order[:, :5] == labels[:, None]).any(1).mean()))


def write_pngs(images, names, labels, list_path):
    lines = []
    for im, name, lab in zip(images, names, labels):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(encode_png_gray8(im.tobytes(), 28, 28))
        lines.append(f"{name} {lab}\n")
    with open(list_path, "w") as f:
        f.writelines(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)

    train_img, train_lab = load_split("train")
    test_img, test_lab = load_split("t10k")
    x_train = torch.from_numpy(preprocess(train_img))
    x_test = preprocess(test_img)

    model = FashionCNN()
    t0 = time.time()
    train(model, x_train, torch.from_numpy(train_lab), args.epochs)
    train_seconds = round(time.time() - t0)
    model.eval()

    os.makedirs(OUT, exist_ok=True)
    onnx_path = os.path.join(OUT, "model.onnx")
    torch.onnx.export(model, torch.from_numpy(x_test[:1]), onnx_path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    onnx.checker.check_model(onnx.load(onnx_path))
    ops = sorted({n.op_type for n in onnx.load(onnx_path).graph.node})
    print("ONNX ops:", ops)

    # Measure the exported file (deterministic float32 PyTorch ops).
    torch.backends.mkldnn.enabled = False
    net = OnnxTorch(onnx_path)
    logits = np.concatenate([net(x_test[i:i + 500]) for i in range(0, len(x_test), 500)])
    with torch.no_grad():
        ref = model(torch.from_numpy(x_test[:N_BUNDLED])).numpy()
    print("max |onnx - torch module| on bundled:", float(np.abs(logits[:N_BUNDLED] - ref).max()))
    top1, top5 = topk(logits, test_lab)
    b_top1, b_top5 = topk(logits[:N_BUNDLED], test_lab[:N_BUNDLED])
    print(f"test top-1 {top1:.4f} top-5 {top5:.4f} | bundled {N_BUNDLED}: top-1 {b_top1:.4f} top-5 {b_top5:.4f}")

    # Bundled images, calibration images, lists, labels.
    os.makedirs(os.path.join(OUT, "images"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "calib"), exist_ok=True)
    write_pngs(test_img[:N_BUNDLED], [f"images/test_{i:05d}.png" for i in range(N_BUNDLED)],
               test_lab[:N_BUNDLED], os.path.join(OUT, "val_list.txt"))
    calib_idx = np.random.default_rng(0).permutation(len(train_img))[:N_CALIB]
    write_pngs(train_img[calib_idx], [f"calib/train_{i:05d}.png" for i in calib_idx],
               train_lab[calib_idx], os.path.join(OUT, "calib_list.txt"))
    with open(os.path.join(OUT, "labels.txt"), "w") as f:
        f.writelines(c + "\n" for c in CLASSES)

    meta = {
        "arch": "fashion-cnn (conv16, conv32/s2, residual block 32, conv64/s2, GAP, fc10)",
        "dataset": "Fashion-MNIST (Debian package dataset-fashion-mnist)",
        "input": "Nx3x32x32", "input_name": "input", "output_name": "logits",
        "preprocessing": {
            "resize": "28x28 -> 32x32, cv2.INTER_LINEAR on uint8, result uint8",
            "channels": "gray replicated to 3 (RGB)",
            "scale": "x * (1/255)", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
            "layout": "NCHW float32"},
        "epochs": args.epochs, "batch": 128, "seed": 0,
        "optimizer": "Adam, one-cycle lr (max 3e-3), weight decay 1e-4",
        "onnx_opset": 13, "onnx_ops": ops,
        "params": sum(p.numel() for p in model.parameters()),
        "torch_version": torch.__version__, "train_seconds": train_seconds,
        "fp32_top1_torch": round(top1, 4), "fp32_top5_torch": round(top5, 4),
        "bundled_images": N_BUNDLED,
        "top1_bundled": round(b_top1, 4), "top5_bundled": round(b_top5, 4),
        "top1_bundled_correct": int((logits[:N_BUNDLED].argmax(1) == test_lab[:N_BUNDLED]).sum()),
        "calib_images": N_CALIB,
        "calib_selection": "numpy.random.default_rng(0).permutation(60000)[:300] of the train split",
    }
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(README.format(ops=", ".join(ops), **meta))

    os.makedirs(FIXTURES, exist_ok=True)
    np.save(os.path.join(FIXTURES, "input.npy"), x_test[:N_FIXTURE])
    np.save(os.path.join(FIXTURES, "logits.npy"), logits[:N_FIXTURE].astype(np.float32))
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
