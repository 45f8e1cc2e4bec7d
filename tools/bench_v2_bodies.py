"""Writes the two bodies of tools/bench-v2.sh: the same N preprocessed images as a v2 JSON request
and as a binary-tensor request (JSON header, then little-endian FP32). Values look like real
preprocessed pixels (0-255 minus the channel mean, three decimals), so the JSON is as long as a
client's would be.

usage: python3 tools/bench_v2_bodies.py OUT_DIR [N=32]
"""
import json
import random
import struct
import sys

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 32
size = 3 * 227 * 227
rng = random.Random(7)
mean = (104.007, 116.669, 122.679)
values = [round(rng.randrange(256) - mean[(i // (227 * 227)) % 3], 3) for i in range(n * size)]
request = {"id": "bench", "inputs": [{"name": "data", "datatype": "FP32", "shape": [n, 3, 227, 227], "data": values}],
           "outputs": [{"name": "prob", "parameters": {"classification": 5}}]}
with open(f"{out}/v2-{n}.json", "w") as f:
    json.dump(request, f, separators=(",", ":"))
header = json.dumps({"id": "bench", "inputs": [{"name": "data", "datatype": "FP32", "shape": [n, 3, 227, 227],
                                                 "parameters": {"binary_data_size": 4 * n * size}}],
                     "outputs": [{"name": "prob", "parameters": {"classification": 5}}]}, separators=(",", ":")).encode()
with open(f"{out}/v2-{n}.bin", "wb") as f:
    f.write(header)
    f.write(struct.pack(f"<{n * size}f", *values))
with open(f"{out}/v2-{n}.header-length", "w") as f:
    f.write(str(len(header)))
