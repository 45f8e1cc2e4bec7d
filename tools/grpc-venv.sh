#!/usr/bin/env bash
# Makes (once) the venv of the gRPC tools, with grpcio-tools from the package index that pip's
# configuration names, and prints its path. GRPC_CLIENT_VENV overrides the place.
set -euo pipefail
venv="${GRPC_CLIENT_VENV:-/opt/alexnet-grpc-client}"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import grpc_tools" 2>/dev/null; then
  python3 -m venv "$venv"
  index="$(pip config get global.extra-index-url 2>/dev/null | awk '{print $1}')"
  args=()
  [[ -n "$index" ]] && args+=(--index-url "$index")
  "$venv/bin/pip" install -q "${args[@]}" grpcio-tools >&2
fi
echo "$venv"
