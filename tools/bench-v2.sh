#!/usr/bin/env bash
# v2 inference with N images per request, JSON against binary tensors, side by side on one running
# jar: hey at 1 and 4 clients, interleaved rounds, the same images in both bodies
# (tools/bench_v2_bodies.py). Traffic stays on 127.0.0.1; every run is bounded by SECONDS.
#
# usage: tools/bench-v2.sh [SECONDS=20] [ROUNDS=2] [N=32]
# Needs: target/alexnet-service.jar and Debian's hey.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"; ROUNDS="${2:-2}"; N="${3:-32}"
WORK=/tmp/alexnet-bench-v2; PORT=18091
mkdir -p "$WORK"
[[ -f "$WORK/v2-$N.bin" ]] || python3 tools/bench_v2_bodies.py "$WORK" "$N"
ls -l "$WORK/v2-$N.json" "$WORK/v2-$N.bin" | awk '{print $5, $9}'
java -jar target/alexnet-service.jar --server.port=$PORT > "$WORK/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf "127.0.0.1:$PORT/actuator/health/readiness" >/dev/null && break; sleep 1; done
URL="http://127.0.0.1:$PORT/v2/models/alexnet/infer"
HL=$(cat "$WORK/v2-$N.header-length")
json() { hey "$@" -m POST -T application/json -D "$WORK/v2-$N.json" "$URL"; }
binary() { hey "$@" -m POST -T application/octet-stream -H "Inference-Header-Content-Length: $HL" -D "$WORK/v2-$N.bin" "$URL"; }
# Warm-up: both paths, a few requests each.
json -n 3 -c 1 >/dev/null; binary -n 3 -c 1 >/dev/null
for round in $(seq "$ROUNDS"); do
  for clients in 1 4; do
    for kind in json binary; do
      out=$($kind -z "${SECONDS_PER_RUN}s" -c "$clients")
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      p50=$(echo "$out" | awk '/50% in/ {print $3}')
      codes=$(echo "$out" | sed -n '/Status code distribution/,/^$/p' | tail -n +2 | tr -s ' \n' ' ')
      echo "round $round, $clients client(s), $kind: $rps req/s ($(python3 -c "print(round($rps*$N,1))") img/s), p50 ${p50}s, $codes"
    done
  done
done
