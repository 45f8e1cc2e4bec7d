#!/usr/bin/env bash
# HTTP JSON, HTTP binary tensors and gRPC side by side on one running jar (tools/bench_protocols.py).
# usage: tools/bench-protocols.sh [SECONDS=15] [ROUNDS=2] [IMAGES=1]
# Needs target/alexnet-service.jar; makes the venv of tools/grpc-client.sh if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(tools/grpc-venv.sh)"
java -jar target/alexnet-service.jar --server.address=127.0.0.1 --server.port=18280 --management.server.address=127.0.0.1 \
  --management.server.port=18281 --spring.grpc.server.address=127.0.0.1:18282 > /tmp/alexnet-bench-protocols.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf 127.0.0.1:18280/v2/health/ready >/dev/null && break; sleep 1; done
"$venv/bin/python" tools/bench_protocols.py 18280 18282 "${1:-15}" "${2:-2}" "${3:-1}"
