#!/usr/bin/env bash
# What a load's refusals are: one build of the service alone, hey for 15 s at each client count,
# then the service's own count of refusals by reason (alexnet_rejected_total: queue_full is refused
# at admission, before the body is read; timeout was admitted and waited past its bound). hey's
# count of 503s can be lower: a refusal that closes the connection mid-upload is a transport error
# to hey. All traffic stays on 127.0.0.1; each run is bounded.
#
# usage: tools/bench-refusals.sh JAR IMAGE.jpg ["16 64"] [service args...]
# e.g.:  /opt/alexnet-peers/bin/python tools/peers/make_photo.py /tmp/phone.jpg 4032 3024
#        tools/bench-refusals.sh target/alexnet-service.jar /tmp/phone.jpg "16 64"
set -euo pipefail
jar="$1"; image="$2"; clients="${3:-16 64}"; shift 2; [[ $# -gt 0 ]] && shift
command -v hey >/dev/null || { echo "install hey: apt-get install -y hey" >&2; exit 1; }
port=18489; mgmt=18490
log="$(mktemp /tmp/alexnet-refusals.XXXXXX.log)"
java -jar "$jar" --server.address=127.0.0.1 --server.port=$port --management.server.address=127.0.0.1 \
  --management.server.port=$mgmt --spring.grpc.server.enabled=false "$@" > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do curl -sf "127.0.0.1:$mgmt/actuator/health/readiness" >/dev/null && break; sleep 1; done
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; service log: $log"
hey -z 10s -c 8 -m POST -T image/jpeg -D "$image" "http://127.0.0.1:$port/classify" >/dev/null
refused() {
  local v; v="$(curl -s "127.0.0.1:$mgmt/actuator/prometheus" | sed -n "s/^alexnet_rejected_total{.*reason=\"$1\".*} \([0-9.]*\)$/\1/p")"
  echo "${v:-0}"
}
for c in $clients; do
  q0="$(refused queue_full)"; t0="$(refused timeout)"
  out="$(hey -z 15s -c "$c" -m POST -T image/jpeg -D "$image" "http://127.0.0.1:$port/classify")"
  ok="$(sed -n 's/^[[:space:]]*\[200\][[:space:]]*\([0-9]*\) responses/\1/p' <<<"$out")"
  r503="$(sed -n 's/^[[:space:]]*\[503\][[:space:]]*\([0-9]*\) responses/\1/p' <<<"$out")"
  errors="$(grep -cE '^\s+\[[0-9]+\]\s+(Post|Get)' <<<"$out" || true)"
  printf "%3s clients: %5s answered, %5s 503s (hey; +%s kinds of transport error), service: queue_full %s, timeout %s; p50 %s s, p99 %s s\n" \
    "$c" "${ok:-0}" "${r503:-0}" "$errors" "$(echo "$(refused queue_full) - $q0" | bc)" "$(echo "$(refused timeout) - $t0" | bc)" \
    "$(sed -n 's/^ *50% in \([0-9.]*\) secs.*/\1/p' <<<"$out")" "$(sed -n 's/^ *99% in \([0-9.]*\) secs.*/\1/p' <<<"$out")"
done
