#!/usr/bin/env python3
"""A model on which ActivationChannelAlignment has work to do.

Writes tests/fixtures/align/conv_conv.onnx: input N x 3 x 32 x 32 -> conv_a
(3 -> 8, 3x3, pad 1) -> conv_b (8 -> 16, 1x1, no padding: the pair POT aligns)
-> ReLU -> global average pool -> fc (16 -> 10). conv_a's output channels span
ranges 1000x apart (its weights and bias are scaled per output channel by
10^-1.5 ... 10^1.5, conv_b's input channels by the inverse), so one
per-tensor activation scale on conv_a's output crushes the small channels
unless the channels are aligned first. The function is an ordinary network.

Also writes conv_conv_batch1.onnx and conv_conv_batch3.onnx, the same model
with its batch fixed (tests/e2e/fixed_batch.sh).

Run with Debian's Python: /usr/bin/python3 scripts/make_align_fixture.py
"""
import os

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "align")


class ConvConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(3, 8, 3, padding=1)
        self.conv_b = nn.Conv2d(8, 16, 1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.conv_b(self.conv_a(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def main():
    torch.manual_seed(0)
    m = ConvConv().eval()
    f = torch.tensor(10.0 ** np.linspace(-1.5, 1.5, 8), dtype=torch.float32)
    with torch.no_grad():
        m.conv_a.weight.mul_(f.view(8, 1, 1, 1))
        m.conv_a.bias.copy_((torch.rand(8) + 0.5) * f)
        m.conv_b.weight.div_(f.view(1, 8, 1, 1))
    os.makedirs(OUT, exist_ok=True)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    torch.onnx.export(m, x, os.path.join(OUT, "conv_conv.onnx"), opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    np.save(os.path.join(OUT, "input.npy"), x.numpy())
    np.save(os.path.join(OUT, "logits.npy"), m(x).detach().numpy())
    for n in (1, 3):
        fixed_batch(n)


def fixed_batch(n):
    """conv_conv_batch<n>.onnx: the same model exported with its batch fixed to n."""
    import onnx

    model = onnx.load(os.path.join(OUT, "conv_conv.onnx"))
    for v in list(model.graph.input) + list(model.graph.output):
        d = v.type.tensor_type.shape.dim[0]
        d.ClearField("dim_param")
        d.dim_value = n
    onnx.save(model, os.path.join(OUT, "conv_conv_batch%d.onnx" % n))


if __name__ == "__main__":
    main()
