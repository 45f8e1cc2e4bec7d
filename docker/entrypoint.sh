#!/bin/sh
# Serves /models/bvlc_alexnet.npy when it is mounted and ALEXNET_WEIGHTS is not set; otherwise the
# service starts on random-init (and says so).
if [ -z "${ALEXNET_WEIGHTS:-}" ] && [ -f "${ALEXNET_MODELS_DIR:-/models}/bvlc_alexnet.npy" ]; then
  export ALEXNET_WEIGHTS="${ALEXNET_MODELS_DIR:-/models}/bvlc_alexnet.npy"
fi
exec java org.springframework.boot.loader.launch.JarLauncher "$@"
