"""The other peer: Ray Serve with dynamic batching (@serve.batch, 32 images or 5 ms, as the service
batches) in front of PyTorch's torch.compile'd AlexNet, Pillow preprocessing, 2 intra-op threads.

    ALEXNET_NPY=alexnet.npy PEER_PORT=18200 python ray_serve_torch.py

serves POST /classify (raw image body) on 127.0.0.1:PEER_PORT until killed, and prints READY once
a warm-up request has gone through the compiled model.
"""
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import ray
import torch
from PIL import Image
from ray import serve
from starlette.requests import Request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from weights import load, torch_model  # noqa: E402

MEAN_BGR = np.array([104.007, 116.669, 122.679], dtype=np.float32).reshape(3, 1, 1)


def preprocess(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data)).convert("RGB").resize((256, 256), Image.BILINEAR)
    rgb = np.asarray(image, dtype=np.float32)[14:241, 14:241]
    return rgb[:, :, ::-1].transpose(2, 0, 1) - MEAN_BGR


@serve.deployment(max_ongoing_requests=256)
class Classifier:
    def __init__(self, npy: str):
        torch.set_num_threads(2)
        self.model = torch.compile(torch_model(load(npy)))
        with torch.inference_mode():
            for n in (1, 8, 32):
                self.model(torch.zeros(n, 3, 227, 227))

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.005)
    async def infer(self, tensors):
        with torch.inference_mode():
            prob = self.model(torch.from_numpy(np.stack(tensors))).numpy()
        out = []
        for p in prob:
            top = np.argsort(p)[::-1][:5]
            out.append({"predictions": [{"rank": i + 1, "index": int(k), "probability": float(p[k])}
                                        for i, k in enumerate(top)]})
        return out

    async def __call__(self, request: Request):
        return {"results": [await self.infer(preprocess(await request.body()))]}


def main():
    port = int(os.environ.get("PEER_PORT", "18200"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(Classifier.bind(os.environ["ALEXNET_NPY"]), route_prefix="/classify")
    print("READY", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
