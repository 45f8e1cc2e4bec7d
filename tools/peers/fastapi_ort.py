"""The peer a Python team writes in an afternoon: FastAPI + uvicorn (1 worker) + ONNX Runtime + Pillow.

    ALEXNET_ONNX=alexnet.onnx [PEER_DRAFT=1] uvicorn fastapi_ort:app --host 127.0.0.1 --port 18100 --workers 1

POST /classify takes the image as the raw body (as hey sends it) or as a multipart part named
`image`, and answers the top-5 like the service: Pillow decodes, converts to RGB, resizes to 256 x
256 (BILINEAR, antialiased), crops the central 227 x 227, BGR minus the ImageNet mean, NCHW; ONNX
Runtime runs it with 2 intra-op threads, no batching. PEER_DRAFT=1 lets Pillow's draft() decode
JPEGs in the DCT domain at the smallest size still >= 256 x 256, as the service's scaled decoding.
Inference runs in Starlette's thread pool (ONNX Runtime releases the GIL while it runs).
"""
import io
import os

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from PIL import Image

MEAN_BGR = np.array([104.007, 116.669, 122.679], dtype=np.float32).reshape(3, 1, 1)
DRAFT = os.environ.get("PEER_DRAFT") == "1"

options = ort.SessionOptions()
options.intra_op_num_threads = 2
options.inter_op_num_threads = 1
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(os.environ["ALEXNET_ONNX"], options, providers=["CPUExecutionProvider"])
app = FastAPI()


def preprocess(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    if DRAFT and image.format == "JPEG":
        image.draft("RGB", (256, 256))
    image = image.convert("RGB").resize((256, 256), Image.BILINEAR)
    rgb = np.asarray(image, dtype=np.float32)[14:241, 14:241]
    return (rgb[:, :, ::-1].transpose(2, 0, 1) - MEAN_BGR)[np.newaxis]


def classify(data: bytes) -> dict:
    x = preprocess(data)
    prob = session.run(None, {"data": np.ascontiguousarray(x)})[0][0]
    top = np.argsort(prob)[::-1][:5]
    return {"predictions": [{"rank": i + 1, "index": int(k), "probability": float(prob[k])} for i, k in enumerate(top)]}


@app.post("/classify")
async def classify_endpoint(request: Request):
    if request.headers.get("content-type", "").startswith("multipart/"):
        form = await request.form()
        data = await form["image"].read()
    else:
        data = await request.body()
    return {"results": [await run_in_threadpool(classify, data)]}


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}
