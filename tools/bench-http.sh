#!/usr/bin/env bash
# Side-by-side HTTP benchmark of the service and its peers (tools/bench_http.py says what runs):
# every server alone on the machine, the same weights and images, hey at 1, 4, 16 and 64 clients,
# interleaved rounds. All traffic stays on 127.0.0.1 and every run is bounded in time.
#
# usage: tools/bench-http.sh [--rounds 2] [--seconds 15] [--servers service,fastapi,fastapi-draft,ray] [--images small,phone]
# Needs: target/alexnet-service.jar (./mvnw -DskipTests package), Debian's hey, and the peers' venv
# (tools/peers/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hey >/dev/null || { echo "install hey: apt-get install -y hey" >&2; exit 1; }
[[ -f target/alexnet-service.jar ]] || { echo "build the jar first: ./mvnw -DskipTests package" >&2; exit 1; }
export PEERS_VENV="${PEERS_VENV:-/opt/alexnet-peers}"
[[ -x "$PEERS_VENV/bin/python" ]] || tools/peers/setup.sh
exec /usr/bin/python3 tools/bench_http.py "$@"
