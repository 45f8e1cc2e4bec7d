#!/usr/bin/python3
"""Generates the committed test fixtures under src/test/resources/fixtures.

Needs Debian's python3-torch and python3-numpy (apt-get install python3-torch python3-numpy).
The Java build never runs this; the tests read the files it wrote.

1. reduced.npy: a reduced-width AlexNet (conv 8/16/24/24/16, fc 32/32/10, the spec's geometry)
   with random weights, written in the bvlc_alexnet.npy dialect: NPY v1.0, 0-d object array,
   Python 2 pickle protocol 2 of that 0-d array (as np.save pickles it), with SHORT_BINSTRING/BINSTRING str data.
   reduced-input.npy: two 227x227 input tensors [2,3,227,227] (BGR, mean-subtracted scale).
   reduced-prob.npy, reduced-fc7.npy: PyTorch's outputs for them, computed in NCHW with
   PyTorch's own conv (groups=2), F.local_response_norm (size 5, alpha 1e-4 = 2e-5 per element),
   max_pool2d and linear: an implementation independent of the Java engine.
2. tiny-*.npy: a tiny AlexNet (conv 2/2/2/2/2, fc 4/4/3) in every dialect the loader accepts:
   the Python 2 one, and Python 3 re-saves with pickle protocols 2 to 5 with numpy 1's
   (numpy.core) and numpy 2's (numpy._core) module names.
"""
import io
import pickle
import struct
import sys
import types
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent.parent / "src/test/resources/fixtures"
LAYERS = ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"]
GROUPS = {"conv2": 2, "conv4": 2, "conv5": 2}


def shapes(c1, c2, c3, c4, c5, f6, f7, classes):
    """bvlc layout: conv HWIO per group, fc [in, out]."""
    return {
        "conv1": (11, 11, 3, c1), "conv2": (5, 5, c1 // 2, c2), "conv3": (3, 3, c2, c3),
        "conv4": (3, 3, c3 // 2, c4), "conv5": (3, 3, c4 // 2, c5),
        "fc6": (c5 * 36, f6), "fc7": (f6, f7), "fc8": (f7, classes),
    }


def random_weights(widths, seed):
    """He-normal weights; fc8 scaled down so that the softmax is not saturated on 0-255 inputs."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in shapes(*widths).items():
        fan_in = int(np.prod(shape[:-1]))
        scale = 0.003 if name == "fc8" else 1.0
        w = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in) * scale).astype("<f4")
        b = (rng.standard_normal(shape[-1]) * 0.05).astype("<f4")
        weights[name] = [w, b]
    return weights


class Py2Pickler(pickle._Pickler):
    """Pickles as Python 2 did: every str and bytes becomes a Python 2 str (SHORT_BINSTRING/BINSTRING)."""
    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        data = obj.encode("latin-1") if isinstance(obj, str) else bytes(obj)
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[str] = save_py2_str
    dispatch[bytes] = save_py2_str


def numpy2_names(pickler_class):
    """A pickler that names numpy 2's private modules (numpy._core...) for the array globals."""
    core = types.ModuleType("numpy._core")
    multiarray = types.ModuleType("numpy._core.multiarray")
    numeric = types.ModuleType("numpy._core.numeric")

    def _reconstruct(*args):
        raise AssertionError("only pickled, never called")

    def _frombuffer(*args):
        raise AssertionError("only pickled, never called")

    _reconstruct.__module__, _reconstruct.__qualname__ = "numpy._core.multiarray", "_reconstruct"
    _frombuffer.__module__, _frombuffer.__qualname__ = "numpy._core.numeric", "_frombuffer"
    multiarray._reconstruct, numeric._frombuffer = _reconstruct, _frombuffer
    sys.modules.update({"numpy._core": core, "numpy._core.multiarray": multiarray,
                        "numpy._core.numeric": numeric})
    originals = {np.core.multiarray._reconstruct: _reconstruct}

    class Renaming(pickler_class):
        def __init__(self, file, protocol):
            super().__init__(file, protocol=protocol)
            self.protocol_number = protocol

        def reducer_override(self, obj):
            if isinstance(obj, np.ndarray):
                fn, args, *rest = obj.__reduce_ex__(self.protocol_number)
                fn = originals.get(fn, _frombuffer if getattr(fn, "__name__", "") == "_frombuffer" else fn)
                return (fn, args, *rest)
            return NotImplemented

    return Renaming


def npy_object_file(path, payload):
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (), }"
    pad = (16 - (10 + len(header) + 1) % 16) % 16
    header = (header + " " * pad + "\n").encode("latin-1")
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload)


def as_object_array(weights):
    """What np.save(path, dict) pickles: a 0-d object array whose one element is the dict."""
    return np.asanyarray({k: weights[k] for k in LAYERS}, dtype=object)


def py2_payload(weights):
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(as_object_array(weights))
    return buf.getvalue()


def py3_payload(weights, protocol, numpy2=False):
    buf = io.BytesIO()
    cls = numpy2_names(pickle.Pickler) if numpy2 else pickle.Pickler
    cls(buf, protocol=protocol).dump(as_object_array(weights))
    return buf.getvalue()


def torch_forward(weights, x):
    """The spec's AlexNet in PyTorch, NCHW, from bvlc-layout weights."""
    def conv_w(name):
        return torch.from_numpy(weights[name][0]).permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW

    def b(name):
        return torch.from_numpy(weights[name][1])

    def lrn(t):
        return F.local_response_norm(t, size=5, alpha=1e-4, beta=0.75, k=1.0)

    h = torch.from_numpy(x)
    h = F.max_pool2d(lrn(F.relu(F.conv2d(h, conv_w("conv1"), b("conv1"), stride=4))), 3, 2)
    h = F.max_pool2d(lrn(F.relu(F.conv2d(h, conv_w("conv2"), b("conv2"), padding=2, groups=2))), 3, 2)
    h = F.relu(F.conv2d(h, conv_w("conv3"), b("conv3"), padding=1))
    h = F.relu(F.conv2d(h, conv_w("conv4"), b("conv4"), padding=1, groups=2))
    h = F.max_pool2d(F.relu(F.conv2d(h, conv_w("conv5"), b("conv5"), padding=1, groups=2)), 3, 2)
    n, c, hh, ww = h.shape
    # The file's fc6 rows are in (h, w, c) order; PyTorch flattens (c, h, w).
    w6 = torch.from_numpy(weights["fc6"][0]).reshape(hh, ww, c, -1).permute(2, 0, 1, 3).reshape(c * hh * ww, -1)
    h = F.relu(h.reshape(n, -1) @ w6 + b("fc6"))
    fc7 = F.relu(h @ torch.from_numpy(weights["fc7"][0]) + b("fc7"))
    logits = fc7 @ torch.from_numpy(weights["fc8"][0]) + b("fc8")
    return torch.softmax(logits, dim=1).numpy(), fc7.numpy()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    reduced = random_weights((8, 16, 24, 24, 16, 32, 32, 10), seed=2012)
    npy_object_file(OUT / "reduced.npy", py2_payload(reduced))
    rng = np.random.default_rng(7)
    x = (rng.uniform(0, 255, (2, 3, 227, 227)) - np.array([104.007, 116.669, 122.679]).reshape(1, 3, 1, 1))
    x = x.astype("<f4")
    with torch.no_grad():
        torch.set_default_dtype(torch.float64)
        w64 = {k: [v[0].astype(np.float64), v[1].astype(np.float64)] for k, v in reduced.items()}
        prob, fc7 = torch_forward(w64, x.astype(np.float64))
    np.save(OUT / "reduced-input.npy", x)
    np.save(OUT / "reduced-prob.npy", prob.astype("<f4"))
    np.save(OUT / "reduced-fc7.npy", fc7.astype("<f4"))

    tiny = random_weights((2, 2, 2, 2, 2, 4, 4, 3), seed=1)
    npy_object_file(OUT / "tiny-py2.npy", py2_payload(tiny))
    for protocol in (2, 3, 4, 5):
        npy_object_file(OUT / f"tiny-py3-p{protocol}.npy", py3_payload(tiny, protocol))
        npy_object_file(OUT / f"tiny-np2-p{protocol}.npy", py3_payload(tiny, protocol, numpy2=True))
    np.save(OUT / "tiny-values.npy", np.concatenate([np.concatenate([w.ravel(), b]) for w, b in (tiny[k] for k in LAYERS)]))
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>10} {p.name}")


if __name__ == "__main__":
    main()
