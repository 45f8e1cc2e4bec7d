#!/usr/bin/python3
"""Exports the spec's AlexNet (random He weights) to ONNX with a dynamic batch axis, for the ONNX
Runtime side of the benchmark (tools/ort-bench). PyTorch exports LRN decomposed into elementwise
ops and an AveragePool, as ONNX Runtime runs it fastest.

usage: tools/export_onnx.py OUT.onnx
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alexnet_torch import AlexNet, he_init  # noqa: E402

model = he_init(AlexNet()).eval()
torch.onnx.export(model, torch.zeros(1, 3, 227, 227), sys.argv[1], input_names=["data"], output_names=["prob"],
                  dynamic_axes={"data": {0: "n"}, "prob": {0: "n"}}, opset_version=13)
print("wrote", sys.argv[1])
