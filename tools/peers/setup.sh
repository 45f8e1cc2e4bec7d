#!/usr/bin/env bash
# Makes the venv of the benchmark peers (PEERS_VENV, default /opt/alexnet-peers): PyTorch, ONNX
# Runtime, FastAPI, uvicorn, Pillow and Ray, from the package index and wheel folder that pip's
# configuration names (`pip config list`). Nothing of it is needed by the build or the tests.
set -euo pipefail
venv="${PEERS_VENV:-/opt/alexnet-peers}"
index="$(pip config get global.extra-index-url 2>/dev/null | awk '{print $1}')"
extra="$(pip config get global.extra-index-url 2>/dev/null | awk '{print $2}')"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
args=()
[[ -n "$index" ]] && args+=(--index-url "$index")
[[ -n "$extra" ]] && args+=(--extra-index-url "$extra")
"$venv/bin/pip" install -q "${args[@]}" torch onnxruntime onnx onnxscript fastapi uvicorn pillow python-multipart \
  numpy ray grpcio starlette aiohttp requests
"$venv/bin/python" -c "import torch, onnxruntime, fastapi, uvicorn, PIL, ray; print('peers:', 'torch', torch.__version__, \
'onnxruntime', onnxruntime.__version__, 'fastapi', fastapi.__version__, 'uvicorn', uvicorn.__version__, 'pillow', PIL.__version__, 'ray', ray.__version__)"
