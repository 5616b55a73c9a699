#!/usr/bin/env python3
"""Small PyTorch exports that exercise ONNX import paths, with PyTorch outputs.

Writes tests/fixtures/exports/:
  view_opset9.onnx   conv -> relu -> x.view(x.size(0), -1) -> linear, exported at
                     opset 9 without constant folding, dynamic batch: the graph holds the
                     Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain exporters emit.
  view_opset17.onnx  the same at opset 17 (the newest Debian's PyTorch 1.13 writes).
  input.npy / output.npy  a batch of 3 inputs and PyTorch's outputs.

Run with Debian's Python: /usr/bin/python3 scripts/make_export_fixtures.py
"""
import os

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "exports")


class ViewNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = x.view(x.size(0), -1)
        return self.fc(x)


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    net = ViewNet().eval()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
    x = torch.randn(3, 3, 8, 8)
    with torch.no_grad():
        y = net(x)
    np.save(os.path.join(OUT, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(OUT, "output.npy"), y.numpy().astype(np.float32))
    for opset in (9, 17):
        torch.onnx.export(net, x, os.path.join(OUT, "view_opset%d.onnx" % opset), opset_version=opset,
                          do_constant_folding=False, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, training=torch.onnx.TrainingMode.EVAL)


if __name__ == "__main__":
    main()
