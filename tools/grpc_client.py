"""A client of the service's gRPC endpoint, as a KServe or Triton user would write one: its stubs
are generated here with grpcio-tools from the service's own src/main/proto, so a mismatch with
the protocol's published definition shows up as a failure. Checks liveness, readiness, metadata,
grpc.health.v1, inference with raw_input_contents (probabilities and the classification
extension), refusals, and a 100 MB message over the server's limit. Exits non-zero on the first failure. CI runs it against the
packaged jar (tools/grpc-client.sh); nothing of it is needed by the build.

usage: python tools/grpc_client.py HOST:PORT
"""
import importlib
import pathlib
import random
import struct
import sys
import tempfile

import grpc
from grpc_tools import protoc

root = pathlib.Path(__file__).resolve().parent.parent
proto_dir = root / "src" / "main" / "proto"
out = tempfile.mkdtemp(prefix="alexnet-grpc-")
code = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out}", f"--grpc_python_out={out}",
                    str(proto_dir / "grpc_predict_v2.proto")])
if code != 0:
    sys.exit(f"protoc failed: {code}")
sys.path.insert(0, out)
pb = importlib.import_module("grpc_predict_v2_pb2")
rpc = importlib.import_module("grpc_predict_v2_pb2_grpc")


def check(condition, what):
    if not condition:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


channel = grpc.insecure_channel(sys.argv[1], options=[("grpc.max_receive_message_length", 64 << 20)])
stub = rpc.GRPCInferenceServiceStub(channel)
check(stub.ServerLive(pb.ServerLiveRequest(), timeout=30).live, "ServerLive")
check(stub.ServerReady(pb.ServerReadyRequest(), timeout=30).ready, "ServerReady")
meta = stub.ModelMetadata(pb.ModelMetadataRequest(name="alexnet"), timeout=30)
check(list(meta.inputs[0].shape) == [-1, 3, 227, 227] and meta.outputs[0].name == "prob", "ModelMetadata")

# grpc.health.v1.Health/Check with an empty request; SERVING is field 1 = 1.
health = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b,
                             response_deserializer=lambda b: b)(b"", timeout=30)
check(health == b"\x08\x01", "grpc.health.v1 says SERVING")

rng = random.Random(1)
values = [rng.uniform(-120, 130) for _ in range(3 * 227 * 227)]
request = pb.ModelInferRequest(model_name="alexnet", id="py-1")
tensor = request.inputs.add(name="data", datatype="FP32", shape=[1, 3, 227, 227])
request.raw_input_contents.append(struct.pack(f"<{len(values)}f", *values))
request.outputs.add(name="prob")
top = request.outputs.add(name="prob")
top.parameters["classification"].int64_param = 3
try:
    stub.ModelInfer(request, timeout=60)
    check(False, "the same output twice is refused")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.INVALID_ARGUMENT and "twice" in e.details(), "the same output twice is INVALID_ARGUMENT")
del request.outputs[:]
request.outputs.add(name="prob")
top = request.outputs.add(name="fc7")
top.parameters["classification"].int64_param = 3
answer = stub.ModelInfer(request, timeout=60)
check(answer.id == "py-1" and list(answer.outputs[0].shape) == [1, 1000], "ModelInfer answers [1, 1000] for its id")
prob = struct.unpack("<1000f", answer.raw_output_contents[0])
check(abs(sum(prob) - 1) < 1e-3, f"probabilities sum to 1 ({sum(prob):.6f})")
raw = answer.raw_output_contents[1]
strings, at = [], 0
while at < len(raw):
    (n,) = struct.unpack_from("<I", raw, at)
    strings.append(raw[at + 4:at + 4 + n].decode())
    at += 4 + n
check(len(strings) == 3 and all(s.count(":") == 1 for s in strings), f"fc7 classification without labels: {strings}")

# A 100 MB message against the service's 64 MB limit (spring.grpc.server.max-inbound-message-size):
# refused with RESOURCE_EXHAUSTED before it is parsed, and the service serves on.
huge = pb.ModelInferRequest(model_name="alexnet", id="py-huge")
huge.inputs.add(name="data", datatype="FP32", shape=[162, 3, 227, 227])
huge.raw_input_contents.append(bytes(100 * 1024 * 1024))
try:
    stub.ModelInfer(huge, timeout=120)
    check(False, "a 100 MB message is refused")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"a 100 MB message is RESOURCE_EXHAUSTED ({e.details()})")
answer = stub.ModelInfer(request, timeout=60)
check(answer.id == "py-1", "the service answers after the 100 MB message")
