#!/usr/bin/python3
"""Times the spec's AlexNet in PyTorch (Debian's python3-torch) on the CPU, for side-by-side
comparison with `java -jar target/alexnet-service.jar bench`. For each batch size it tries eager
NCHW, eager channels_last and TorchScript, and reports the best median, as one JSON line.

usage: tools/bench_pytorch.py [--batches 1,8,32,64] [--seconds 5] [--threads 2]
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alexnet_torch import AlexNet, he_init  # noqa: E402

GFLOP_PER_IMAGE = 1.4488


def median_ms(fn, x, seconds, warmup=2):
    with torch.no_grad():
        for _ in range(warmup):
            fn(x)
        times = []
        deadline = time.perf_counter() + seconds
        while len(times) < 3 or time.perf_counter() < deadline:
            t0 = time.perf_counter()
            fn(x)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), len(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batches", default="1,8,32,64")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model = he_init(AlexNet()).eval()
    cl = he_init(AlexNet()).eval().to(memory_format=torch.channels_last)
    results = []
    for b in [int(s) for s in a.batches.split(",")]:
        x = torch.rand(b, 3, 227, 227) * 255 - 120
        with torch.no_grad():
            jit = torch.jit.freeze(torch.jit.trace(model, x))
        variants = {
            "eager": (model, x),
            "channels_last": (cl, x.contiguous(memory_format=torch.channels_last)),
            "jit": (jit, x),
        }
        best = None
        for name, (fn, inp) in variants.items():
            ms, passes = median_ms(fn, inp, a.seconds / len(variants))
            if best is None or ms < best["msPerBatch"]:
                best = {"batch": b, "variant": name, "passes": passes, "msPerBatch": ms,
                        "imagesPerSecond": b * 1000 / ms, "gflops": GFLOP_PER_IMAGE * b * 1000 / ms}
        results.append(best)
    print(json.dumps({"engine": f"PyTorch {torch.__version__}", "threads": a.threads, "results": results}))


if __name__ == "__main__":
    main()
