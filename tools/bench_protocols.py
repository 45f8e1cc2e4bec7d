"""The three ways into the v2 protocol side by side, same tensors, same client: HTTP with a JSON
body, HTTP with binary tensors, and gRPC with raw_input_contents. Bodies are encoded once before
the runs, so the client measures the server, not its own encoding. For each protocol and client
count: requests/s, p50 and p99 over SECONDS, interleaved rounds.

usage: python tools/bench_protocols.py HTTP_PORT GRPC_PORT [SECONDS=15] [ROUNDS=2] [IMAGES=1]
(tools/bench-protocols.sh starts the jar and a venv with grpcio-tools, then runs this.)
"""
import http.client
import importlib
import json
import pathlib
import random
import statistics
import struct
import sys
import tempfile
import threading
import time

import grpc
from grpc_tools import protoc

http_port, grpc_port = int(sys.argv[1]), int(sys.argv[2])
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
n = int(sys.argv[5]) if len(sys.argv) > 5 else 1

root = pathlib.Path(__file__).resolve().parent.parent
out = tempfile.mkdtemp(prefix="alexnet-grpc-")
protoc.main(["protoc", f"-I{root / 'src/main/proto'}", f"--python_out={out}", f"--grpc_python_out={out}",
             str(root / "src/main/proto/grpc_predict_v2.proto")])
sys.path.insert(0, out)
pb = importlib.import_module("grpc_predict_v2_pb2")
rpc = importlib.import_module("grpc_predict_v2_pb2_grpc")

rng = random.Random(7)
mean = (104.007, 116.669, 122.679)
size = 3 * 227 * 227
values = [round(rng.randrange(256) - mean[(i // (227 * 227)) % 3], 3) for i in range(n * size)]
raw = struct.pack(f"<{len(values)}f", *values)
outputs = [{"name": "prob", "parameters": {"classification": 5}}]
json_body = json.dumps({"inputs": [{"name": "data", "datatype": "FP32", "shape": [n, 3, 227, 227], "data": values}],
                        "outputs": outputs}, separators=(",", ":")).encode()
header = json.dumps({"inputs": [{"name": "data", "datatype": "FP32", "shape": [n, 3, 227, 227],
                                 "parameters": {"binary_data_size": len(raw)}}], "outputs": outputs},
                    separators=(",", ":")).encode()
binary_body = header + raw
grpc_request = pb.ModelInferRequest(model_name="alexnet")
grpc_request.inputs.add(name="data", datatype="FP32", shape=[n, 3, 227, 227])
grpc_request.raw_input_contents.append(raw)
top = grpc_request.outputs.add(name="prob")
top.parameters["classification"].int64_param = 5


def http_client(body, headers):
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)

    def call():
        connection.request("POST", "/v2/models/alexnet/infer", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status == 200
    return call


def grpc_client():
    stub = rpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{grpc_port}"))

    def call():
        try:
            stub.ModelInfer(grpc_request, timeout=60)
            return True
        except grpc.RpcError:
            return False
    return call


protocols = {
    "http-json": lambda: http_client(json_body, {"Content-Type": "application/json"}),
    "http-binary": lambda: http_client(binary_body, {"Content-Type": "application/octet-stream",
                                                     "Inference-Header-Content-Length": str(len(header))}),
    "grpc": grpc_client,
}


def run(make, clients, duration):
    latencies, failures, stop = [], [0], time.monotonic() + duration
    lock = threading.Lock()

    def worker():
        call = make()
        while time.monotonic() < stop:
            t = time.monotonic()
            ok = call()
            with lock:
                if ok:
                    latencies.append(time.monotonic() - t)
                else:
                    failures[0] += 1
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")
    return len(latencies) / elapsed, p(0.5), p(0.99), failures[0]


print(f"bodies: JSON {len(json_body):,} B, binary {len(binary_body):,} B, gRPC {grpc_request.ByteSize():,} B; {n} image(s) per request")
for name, make in protocols.items():
    run(make, 1, 3)  # warm-up of each path
for r in range(1, rounds + 1):
    for clients in (1, 16):
        for name, make in protocols.items():
            rps, p50, p99, failed = run(make, clients, seconds)
            print(f"round {r}, {clients:2d} client(s), {name:11s}: {rps:6.1f} req/s ({rps * n:6.1f} img/s), "
                  f"p50 {p50:7.1f} ms, p99 {p99:7.1f} ms, failed {failed}", flush=True)
