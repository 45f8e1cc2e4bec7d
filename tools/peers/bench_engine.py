"""Times the forward pass of a peer engine on the benchmark's shared weights, for
tools/bench-engines.sh: ONNX Runtime (CPU provider, all graph optimisations), PyTorch with
torch.compile (inductor), or the same under bf16 autocast (torch-compile-bf16: the bf16 peer of
alexnet.precision=bf16), 2 threads, warm-up then the median per batch size, as one JSON line.

usage: python bench_engine.py ort|torch-compile|torch-compile-bf16 WEIGHTS_DIR [--batches 1,8,32,64] [--seconds 5] [--threads 2]
WEIGHTS_DIR holds alexnet.npy and alexnet.onnx (tools/peers/weights.py).
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

GFLOP_PER_IMAGE = 1.4488


def timed(run, seconds, warmup_seconds):
    end = time.perf_counter() + warmup_seconds
    while time.perf_counter() < end:
        run()
    times = []
    end = time.perf_counter() + seconds
    while len(times) < 3 or time.perf_counter() < end:
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), len(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("engine", choices=["ort", "torch-compile", "torch-compile-bf16"])
    p.add_argument("weights")
    p.add_argument("--batches", default="1,8,32,64")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    rng = np.random.default_rng(7)
    results = []
    if a.engine == "ort":
        import onnxruntime as ort
        o = ort.SessionOptions()
        o.intra_op_num_threads = a.threads
        o.inter_op_num_threads = 1
        o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        s = ort.InferenceSession(str(Path(a.weights) / "alexnet.onnx"), o, providers=["CPUExecutionProvider"])
        name = f"ONNX Runtime {ort.__version__} (Python, CPU provider)"
        make = lambda x: (lambda: s.run(None, {"data": x}))  # noqa: E731
    else:
        import torch
        from weights import load, torch_model
        torch.set_num_threads(a.threads)
        model = torch.compile(torch_model(load(Path(a.weights) / "alexnet.npy")))
        bf16 = a.engine == "torch-compile-bf16"
        name = f"PyTorch {torch.__version__} torch.compile" + (", bf16 autocast" if bf16 else "")

        def make(x):
            t = torch.from_numpy(x)

            def run():
                with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    model(t)
            return run
    for b in [int(s) for s in a.batches.split(",")]:
        x = (rng.uniform(0, 255, (b, 3, 227, 227)) - 120).astype(np.float32)
        ms, passes = timed(make(x), a.seconds, 10 if not results else 2)
        results.append({"batch": b, "passes": passes, "msPerBatch": ms, "imagesPerSecond": b * 1000 / ms,
                        "gflops": GFLOP_PER_IMAGE * b * 1000 / ms})
    print(json.dumps({"engine": name, "threads": a.threads, "results": results}))


if __name__ == "__main__":
    main()
