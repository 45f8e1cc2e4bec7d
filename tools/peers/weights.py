"""Full-size AlexNet weights shared by the service and its peers in the HTTP benchmark.

    python weights.py OUT_DIR [SEED]

writes OUT_DIR/alexnet.npy (random He-normal weights in the bvlc_alexnet.npy layout: conv HWIO per
group, fc [in, out], fc6 rows in (h, w, c) order; np.save of the dict, which the service's loader
reads) and OUT_DIR/alexnet.onnx (the same weights in PyTorch's NCHW AlexNet, softmax output, a
dynamic batch axis), so that every server of the benchmark runs the same network on the same
weights. Needs the venv of tools/peers/setup.sh (numpy, torch, onnx).
"""
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from alexnet_torch import AlexNet  # noqa: E402
from make_reference_fixtures import random_weights  # noqa: E402

FULL = (96, 256, 384, 384, 256, 4096, 4096, 1000)


def torch_model(weights):
    """PyTorch's AlexNet holding the bvlc-layout weights."""
    model = AlexNet(weights["fc8"][0].shape[1]).eval()
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    fcs = [m for m in model.classifier if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for name, conv in zip(["conv1", "conv2", "conv3", "conv4", "conv5"], convs):
            w, b = weights[name]
            # bvlc HWIO with the groups' output channels side by side -> OIHW; I is per group.
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1))))
            conv.bias.copy_(torch.from_numpy(b))
        w6, b6 = weights["fc6"]
        # The file's fc6 rows are in (h, w, c) order; PyTorch flattens (c, h, w).
        w6 = w6.reshape(6, 6, 256, -1).transpose(2, 0, 1, 3).reshape(9216, -1)
        for fc, (w, b) in zip(fcs, [(w6, b6), weights["fc7"], weights["fc8"]]):
            fc.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
            fc.bias.copy_(torch.from_numpy(b))
    return model


def load(path):
    """The bvlc-layout dict from an .npy file (either np.save's or Caffe converters' dialect)."""
    return np.load(path, allow_pickle=True, encoding="latin1").item()


def main():
    out = Path(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 2012
    out.mkdir(parents=True, exist_ok=True)
    weights = random_weights(FULL, seed)
    np.save(out / "alexnet.npy", {k: [v[0], v[1]] for k, v in weights.items()})
    model = torch_model(load(out / "alexnet.npy"))
    torch.onnx.export(model, torch.zeros(1, 3, 227, 227), str(out / "alexnet.onnx"), input_names=["data"],
                      output_names=["prob"], dynamic_axes={"data": {0: "n"}, "prob": {0: "n"}}, opset_version=13,
                      dynamo=False)
    print(f"wrote {out / 'alexnet.npy'} and {out / 'alexnet.onnx'} (seed {seed})")


if __name__ == "__main__":
    main()
