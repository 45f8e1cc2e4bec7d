#!/usr/bin/env bash
# Runs tools/grpc_client.py (stubs generated with grpcio-tools from src/main/proto) against the
# packaged jar on loopback, then stops the jar by its pid. The venv comes from the package index and
# wheel folder that pip's configuration names. Needs target/alexnet-service.jar.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(tools/grpc-venv.sh)"
port=18182
java -jar target/alexnet-service.jar --server.address=127.0.0.1 --server.port=18180 --management.server.address=127.0.0.1 \
  --management.server.port=18181 --spring.grpc.server.address=127.0.0.1:$port > /tmp/alexnet-grpc-client-service.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf 127.0.0.1:18180/v2/health/ready >/dev/null && break; sleep 1; done
"$venv/bin/python" tools/grpc_client.py "127.0.0.1:$port"
