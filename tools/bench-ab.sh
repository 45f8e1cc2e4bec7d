#!/usr/bin/env bash
# A/B of two builds of the service on this machine: each jar alone, the same random-init weights
# and the same 500x375 photo-like JPEG, hey at the given client counts for the given seconds, rounds
# interleaved (A, B, A, B) so that drift on a noisy machine hits both. For a change that touches the
# request path, against the commit before it. All traffic stays on 127.0.0.1; each run is bounded.
#
# Each cell also counts the garbage collections (any pause in -Xlog:gc) during its window: at 1 client
# a young collection under G1 took 17 to 43 ms, so how often they come decides the p99.
#
# usage: tools/bench-ab.sh OLD.jar NEW.jar [rounds=2] [seconds=15] [clients="1 16"]
# IMAGE=FILE sends that JPEG instead (e.g. the phone photo of tools/peers/make_photo.py). req/s counts
# every answer, 503s too: the last column gives the non-200s, and ok/s the 200s per second.
# JAVA_FLAGS replaces the JVM flags (default -Xmx1g; JAVA_FLAGS= runs plain java -jar, as a new user would).
# e.g.:  git worktree add /tmp/old HEAD~3 && (cd /tmp/old && ./mvnw -q -DskipTests package)
#        tools/bench-ab.sh /tmp/old/target/alexnet-service.jar target/alexnet-service.jar
set -euo pipefail
cd "$(dirname "$0")/.."
old="$1"; new="$2"; rounds="${3:-2}"; seconds="${4:-15}"; clients="${5:-1 16}"
command -v hey >/dev/null || { echo "install hey: apt-get install -y hey" >&2; exit 1; }
work="$(mktemp -d /tmp/alexnet-ab.XXXXXX)"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
py="${PEERS_VENV:-/opt/alexnet-peers}/bin/python"; [[ -x "$py" ]] || py=python3   # numpy and Pillow (tools/peers/setup.sh)
if [[ -n "${IMAGE:-}" ]]; then cp "$IMAGE" "$work/photo.jpg"; else "$py" tools/make_load_image.py "$work/photo.jpg"; fi
port=18389; mgmt=18390
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs"
printf "%-4s %-6s %7s %10s %8s %10s %10s %6s\n" jar clients round "req/s" "ok/s" "p50 ms" "p99 ms" "GCs"
read -r -a flags <<<"${JAVA_FLAGS--Xmx1g}"
for round in $(seq 1 "$rounds"); do
  for side in A B; do
    jar="$old"; [[ "$side" == B ]] && jar="$new"
    java "${flags[@]}" "-Xlog:gc:file=$work/$side-$round-gc.log" -jar "$jar" --server.address=127.0.0.1 --server.port=$port --management.server.address=127.0.0.1 \
      --management.server.port=$mgmt --spring.grpc.server.enabled=false > "$work/$side.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 180); do curl -sf "127.0.0.1:$mgmt/actuator/health/readiness" >/dev/null && break; sleep 1; done
    hey -z 10s -c 8 -m POST -T image/jpeg -D "$work/photo.jpg" "http://127.0.0.1:$port/classify" >/dev/null
    for c in $clients; do
      gc0="$(grep -c Pause "$work/$side-$round-gc.log" || true)"
      out="$(hey -z "${seconds}s" -c "$c" -m POST -T image/jpeg -D "$work/photo.jpg" "http://127.0.0.1:$port/classify")"
      rps="$(sed -n 's/^ *Requests\/sec: *//p' <<<"$out")"
      p50="$(sed -n 's/^ *50% in \([0-9.]*\) secs.*/\1/p' <<<"$out")"
      p99="$(sed -n 's/^ *99% in \([0-9.]*\) secs.*/\1/p' <<<"$out")"
      non200="$(grep -E '^\s+\[[0-9]{3}\]\s+[0-9]+ responses' <<<"$out" | grep -v '\[200\]' | tr -s ' \t\n' ' ' || true)"
      errors="$(grep -cE '^\s+\[[0-9]+\]\s+(Post|Get)' <<<"$out" || true)"
      [[ "$errors" != 0 ]] && non200="$non200 (+ $errors kinds of transport error)"
      ok="$(grep -E '^\s+\[200\]' <<<"$out" | awk -v s="$seconds" '{print $2 / s}')"
      gcs=$(( $(grep -c Pause "$work/$side-$round-gc.log" || true) - gc0 ))
      printf "%-4s %-6s %7s %10.1f %8.1f %10.1f %10.1f %6s %s\n" "$side" "$c" "$round" "$rps" "${ok:-0}" "$(echo "$p50*1000" | bc -l)" \
        "$(echo "$p99*1000" | bc -l)" "$gcs" "${non200:+non-200: $non200}"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
done
