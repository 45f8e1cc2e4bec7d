#!/usr/bin/env bash
# HTTP load benchmark: starts the packaged service on 127.0.0.1, measures the raw engine with
# `bench` in the same run, then drives POST /classify with hey (Debian's `hey`) at concurrency
# 1, 4, 16 and 64, and reports images/s, p50/p95/p99 and HTTP/engine throughput ratios.
# Finally an overload run offers 4 x the measured capacity (256 clients, each capped at a fixed
# rate) and checks that every request is answered with 200 or 503. All traffic stays on 127.0.0.1
# and every run is bounded in time.
#
# usage: tools/bench-http.sh [IMAGE] [SECONDS_PER_LEVEL]
#   IMAGE defaults to src/test/resources/images/load-500x375.jpg, a 500x375 JPEG (ImageNet's typical
#   size) made by tools/make_load_image.py.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${2:-15}"
port=18089
work="$(mktemp -d)"
pid=""
cleanup() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT
command -v hey >/dev/null || { echo "install hey: apt-get install -y hey" >&2; exit 1; }
[[ -f target/alexnet-service.jar ]] || { echo "build the jar first: ./mvnw -DskipTests package" >&2; exit 1; }
image="${1:-}"
[[ -n "$image" ]] || image=src/test/resources/images/load-500x375.jpg
case "$image" in *.png) type=image/png ;; *) type=image/jpeg ;; esac

start_service() {
  java -jar target/alexnet-service.jar --server.address=127.0.0.1 --server.port=$port --management.server.address=127.0.0.1 --management.server.port=$((port + 1)) "$@" > "$work/service.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    curl -sf "127.0.0.1:$port/readyz" >/dev/null && return 0
    sleep 0.5
  done
  echo "service did not become ready" >&2; cat "$work/service.log" >&2; exit 1
}
stop_service() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

echo "== raw engine (bench, same machine, same run)"
java -jar target/alexnet-service.jar bench --batches 1,32 --seconds 5 --json 2>/dev/null | tail -1 > "$work/engine.json"
engine_b1_ms=$(/usr/bin/python3 -c "import json; r=json.load(open('$work/engine.json'))['results']; print(r[0]['msPerBatch'])")
engine_best=$(/usr/bin/python3 -c "import json; r=json.load(open('$work/engine.json'))['results']; print(max(c['imagesPerSecond'] for c in r))")
echo "engine: batch 1 ${engine_b1_ms} ms; best ${engine_best} images/s"

start_service
hey -z 5s -c 8 -m POST -T "$type" -D "$image" "http://127.0.0.1:$port/classify" > /dev/null
decode_ms=$(for _ in 1 2 3 4 5 6 7 8 9 10 11; do curl -s -H "Content-Type: $type" --data-binary "@$image" "127.0.0.1:$port/classify"; echo; done \
  | /usr/bin/python3 -c "import sys, json, statistics; print(statistics.median(json.loads(l)['timings']['decodeMs'] for l in sys.stdin if l.strip()))")
echo "decode + preprocess per image: ${decode_ms} ms (median of 11, after warm-up)"

printf "\n| clients | images/s | p50 ms | p95 ms | p99 ms | HTTP / engine | statuses |\n|---:|---:|---:|---:|---:|---:|---|\n"
for c in 1 4 16 64; do
  hey -z "${seconds}s" -c "$c" -m POST -T "$type" -D "$image" "http://127.0.0.1:$port/classify" > "$work/hey-$c.txt"
  /usr/bin/python3 - "$work/hey-$c.txt" "$c" "$engine_best" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = {p: float(v) * 1000 for p, v in re.findall(r"(\d+)% in ([\d.]+) secs", text)}
codes = " ".join(f"{c}x{n}" for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text))
print(f"| {sys.argv[2]} | {rps:.1f} | {pct['50']:.1f} | {pct['95']:.1f} | {pct['99']:.1f} | {rps / float(sys.argv[3]):.2f} | {codes} |")
PY
done
p99_1=$(grep -oE "99% in [0-9.]+" "$work/hey-1.txt" | awk '{print $3 * 1000}')
echo
echo "1 client: p99 ${p99_1} ms vs 1.3 x (engine batch-1 ${engine_b1_ms} ms + decode ${decode_ms} ms) = $(/usr/bin/python3 -c "print(round(1.3 * ($engine_b1_ms + $decode_ms), 1))") ms"
stop_service

capacity=$(grep -oE "Requests/sec:\s+[0-9.]+" "$work/hey-64.txt" | awk '{print $2}')
per_client=$(/usr/bin/python3 -c "print(max(1, round(4 * $capacity / 256)))")
echo
echo "== overload: 4 x capacity (${capacity} images/s measured at 64 clients) = 256 clients x ${per_client} requests/s, ${seconds}s"
start_service
hey -z "${seconds}s" -c 256 -q "$per_client" -m POST -T "$type" -D "$image" "http://127.0.0.1:$port/classify" > "$work/overload.txt"
grep -E "Requests/sec|\[[0-9]+\]|Error distribution|50% in|99% in" "$work/overload.txt" | sed 's/^ */  /'
if grep -E "^\s+\[[0-9]+\]" "$work/overload.txt" | grep -vqE "\[(200|503)\]"; then
  echo "FAIL: a status other than 200 or 503"; exit 1
fi
if grep -q "Error distribution" "$work/overload.txt"; then
  echo "FAIL: requests without a response"; exit 1
fi
echo "OK: every request was answered, with 200 or 503 only"
