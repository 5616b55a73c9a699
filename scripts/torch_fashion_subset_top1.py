#!/usr/bin/python3
"""PyTorch top-1/top-5 of resnet50-fashion on the first N Fashion-MNIST test
images, with the model README's preprocessing: the reference figure that
tests/e2e/eval_resnet50_fashion.sh compares `ptq eval --limit N` against.

Reuses the ONNX-on-PyTorch interpreter and preprocessing of
make_resnet50_fixtures.py. Needs Debian's python3 with torch, onnx, numpy, cv2.
    /usr/bin/python3 scripts/torch_fashion_subset_top1.py [N]
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_resnet50_fixtures import MODEL, OnnxTorch, load_test_set, preprocess  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(2)
    torch.backends.mkldnn.enabled = False
    net = OnnxTorch(MODEL)
    images, labels = load_test_set()
    x = np.stack([preprocess(im, 72, 64) for im in images[:n]])
    logits = np.concatenate([net(x[i:i + 50]) for i in range(0, n, 50)])
    top5 = np.argsort(-logits, axis=1, kind="stable")[:, :5]
    top1 = float((top5[:, 0] == labels[:n]).mean())
    in5 = float((top5 == labels[:n, None]).any(axis=1).mean())
    print(f"n={n} top1={top1:.4f} top5={in5:.4f}")


if __name__ == "__main__":
    main()
