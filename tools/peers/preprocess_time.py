"""The peer's own decoding and preprocessing, timed alone: fastapi_ort.preprocess (Pillow, with
draft() when PEER_DRAFT=1) on one image, 3 untimed calls then the median of 11, printed in ms.
tools/bench_http.py runs it beside the service's own decodeMs, so that the request path's largest
step is compared without HTTP or the pass in the way.

    ALEXNET_ONNX=alexnet.onnx [PEER_DRAFT=1] python preprocess_time.py IMAGE
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fastapi_ort  # noqa: E402  (its module reads PEER_DRAFT and ALEXNET_ONNX)

data = Path(sys.argv[1]).read_bytes()
for _ in range(3):
    fastapi_ort.preprocess(data)
times = []
for _ in range(11):
    start = time.perf_counter()
    fastapi_ort.preprocess(data)
    times.append((time.perf_counter() - start) * 1000)
print(f"{statistics.median(times):.2f}")
