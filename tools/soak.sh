#!/usr/bin/env bash
# Soak: 20,000 classifications (bounded in count, on 127.0.0.1) against the packaged jar. After a
# 5,000-request warm-up it records the live heap (class histograms after full GCs), JavaCPP's
# physical bytes (RSS) and open file descriptors, runs the 20,000 requests, and records them again:
# each must grow by less than 5% (file descriptors: not at all beyond a small slack), and every
# request must be answered 200.
# usage: tools/soak.sh [REQUESTS]   (needs hey and curl; ./mvnw -DskipTests package first; .ci/run runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-20000}"
port=18289
work="$(mktemp -d)"
pid=""
cleanup() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT
image=src/test/resources/images/load-500x375.jpg   # made by tools/make_load_image.py
java -jar target/alexnet-service.jar --server.address=127.0.0.1 --server.port=$port --management.server.address=127.0.0.1 --spring.grpc.server.address=127.0.0.1:0 \
  --management.server.port=$((port + 1)) > "$work/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -sf "127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
sample() {
  # After the load generator's connections have closed (they would count as open files).
  sleep 12
  # Live heap: the total of a class histogram, taken right after the full GC it forces, so that
  # garbage and TLAB slack (several MB either way on a 21 MB live set) do not count. The first
  # histogram still counts the ND4J buffers that this very GC found unreachable, until ND4J's
  # deallocator threads have processed their phantom references (0.5 MB, measured); so it takes
  # three, 3 s apart, and keeps the smallest.
  live=$(for _ in 1 2 3; do jcmd "$pid" GC.class_histogram | awk '$1 == "Total" {print $3}'; sleep 3; done | sort -n | head -1)
  curl -s "127.0.0.1:$((port + 1))/actuator/prometheus" | /usr/bin/python3 -c "
import sys
native = fds = 0.0
for line in sys.stdin:
    if line.startswith('alexnet_native_memory_bytes{') and 'kind=\"physical\"' in line: native = float(line.split()[-1])
    if line.startswith('process_files_open_files'): fds = float(line.split()[-1])
print(f'$live {native:.0f} {fds:.0f}')"
}
# Warm-up long enough for the JIT and for G1 to grow the heap to its working size: measured with
# NMT, committed heap grows by ~540 MB over the first 5,000 requests and by <1% over the next 15,000.
hey -n 5000 -c 16 -m POST -T image/jpeg -D "$image" "http://127.0.0.1:$port/classify" > /dev/null
read -r heap0 native0 fds0 < <(sample)
echo "after warm-up: heap ${heap0} B, physical ${native0} B, open files ${fds0}"
start=$(date +%s)
hey -n "$requests" -c 16 -m POST -T image/jpeg -D "$image" "http://127.0.0.1:$port/classify" > "$work/hey.txt"
end=$(date +%s)
read -r heap1 native1 fds1 < <(sample)
echo "after ${requests} requests in $((end - start)) s: heap ${heap1} B, physical ${native1} B, open files ${fds1}"
grep -E "Requests/sec|\[[0-9]+\]|Error distribution" "$work/hey.txt" | sed 's/^ */  /'
if grep -E "^\s+\[[0-9]+\]" "$work/hey.txt" | grep -vq "\[200\]" || grep -q "Error distribution" "$work/hey.txt"; then
  echo "FAIL: not every request was answered 200; the service's warnings and errors:"
  grep -E " (WARN|ERROR) " "$work/service.log" | tail -20 | cut -c1-400
  exit 1
fi
/usr/bin/python3 - "$heap0" "$heap1" "$native0" "$native1" "$fds0" "$fds1" <<'PY'
import sys
h0, h1, n0, n1, f0, f1 = map(float, sys.argv[1:])
print(f"heap growth {100 * (h1 - h0) / h0:+.1f}%, physical growth {100 * (n1 - n0) / n0:+.1f}%, open files {f1 - f0:+.0f}")
ok = (h1 - h0) / h0 < 0.05 and (n1 - n0) / n0 < 0.05 and f1 - f0 <= 5
print("OK" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
