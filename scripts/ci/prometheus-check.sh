#!/usr/bin/env bash
# Checks the monitoring for real: promtool validates the repository's Prometheus config and alert
# rules and runs the rules' unit tests; then the packaged service and a real Prometheus (Debian's
# `prometheus`) start on 127.0.0.1 with the repository's scrape config (its target pointed at the
# local service), requests are sent, and Prometheus's HTTP API must show the alexnet series with
# the right values. Stops only the processes it started, by pid.
#
# usage: scripts/ci/prometheus-check.sh   (after ./mvnw package; needs prometheus, promtool, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
api_port=18180
mgmt_port=18181
prom_port=19190
work="$(mktemp -d)"
service_pid=""
prom_pid=""
cleanup() {
  for pid in "$prom_pid" "$service_pid"; do
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/service.log" ]] && tail -20 "$work/service.log" >&2; exit 1; }

echo "== promtool: config, rules and rule unit tests"
cp deploy/prometheus/prometheus.yml deploy/prometheus/alerts.yml deploy/prometheus/alerts.test.yml "$work/"
sed -i "s/alexnet-service:8081/127.0.0.1:$mgmt_port/" "$work/prometheus.yml"
promtool check config "$work/prometheus.yml"
promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml)

echo "== service and Prometheus on 127.0.0.1"
java -jar target/alexnet-service.jar --server.address=127.0.0.1 --server.port=$api_port \
  --management.server.address=127.0.0.1 --management.server.port=$mgmt_port > "$work/service.log" 2>&1 &
service_pid=$!
/usr/bin/prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address=127.0.0.1:$prom_port > "$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 120); do
  curl -sf "127.0.0.1:$mgmt_port/actuator/health/readiness" >/dev/null && break
  kill -0 "$service_pid" 2>/dev/null || fail "the service exited"
  sleep 0.5
done
curl -sf "127.0.0.1:$mgmt_port/actuator/health/readiness" >/dev/null || fail "the service never became ready"
curl -sf "127.0.0.1:$prom_port/-/ready" >/dev/null || sleep 2

echo "== requests: 7 images in 3 requests, and 1 bad image"
python3 - "$work" <<'PY'
import struct, sys, zlib
def png(w, h, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1] + "/a.png", "wb").write(png(64, 48, (200, 30, 30)))
open(sys.argv[1] + "/b.png", "wb").write(png(40, 40, (30, 200, 30)))
PY
code() { curl -s -o /dev/null -w "%{http_code}" "$@"; }
[[ $(code -F "image=@$work/a.png" "127.0.0.1:$api_port/classify") == 200 ]] || fail "1-image request"
[[ $(code -F "image=@$work/a.png" -F "image=@$work/b.png" "127.0.0.1:$api_port/classify") == 200 ]] || fail "2-image request"
[[ $(code -F "image=@$work/a.png" -F "image=@$work/b.png" -F "image=@$work/a.png" -F "image=@$work/b.png" "127.0.0.1:$api_port/classify") == 200 ]] || fail "4-image request"
[[ $(code -H "Content-Type: image/jpeg" --data-binary "not an image" "127.0.0.1:$api_port/classify") == 422 ]] || fail "bad image"

query() {
  curl -sG "127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" \
    | python3 -c "import json,sys; r=json.load(sys.stdin)['data']['result']; print(r[0]['value'][1] if r else 'none')"
}
expect() {
  local q="$1" want="$2" got=""
  for _ in $(seq 1 60); do
    got=$(query "$q")
    if python3 -c "import sys; sys.exit(0 if '$got' != 'none' and abs(float('$got') - $want) < 1e-9 else 1)"; then
      echo "  $q = $got"
      return 0
    fi
    sleep 1
  done
  fail "$q = $got, expected $want"
}
echo "== Prometheus's view (waiting for the next scrape)"
expect 'up{job="alexnet-service"}' 1
expect 'sum(alexnet_images_total{endpoint="classify"})' 7
expect 'sum(alexnet_requests_total{endpoint="classify",outcome="success"})' 3
expect 'sum(alexnet_requests_total{endpoint="classify",outcome="client_error"})' 1
expect 'sum(alexnet_requests_total{endpoint="classify",outcome="success",model="alexnet",version="1"})' 3
expect 'sum(alexnet_models_loaded)' 1
expect 'sum(alexnet_rejected_total{reason="bad_image"})' 1
expect 'sum(alexnet_request_duration_seconds_count{endpoint="classify"})' 4
expect 'sum(alexnet_model_info{weights="random-init",device="cpu"})' 1
expect 'sum(alexnet_queue_capacity)' 256
expect 'sum(alexnet_ready)' 1
expect 'count(alexnet_batch_size_bucket)' 8
p99=$(query 'histogram_quantile(0.99, sum by (le) (alexnet_request_duration_seconds_bucket{endpoint="classify"}))')
echo "  p99 of classify from the histogram: ${p99}s"
[[ "$p99" != "none" && "$p99" != "NaN" ]] || fail "no latency quantile from the histogram"
rules=$(curl -s "127.0.0.1:$prom_port/api/v1/rules" | python3 -c "import json,sys; print(sorted(r['name'] for g in json.load(sys.stdin)['data']['groups'] for r in g['rules'] if r['type']=='alerting'))")
echo "  alert rules loaded: $rules"
for a in AlexNetHighErrorRatio AlexNetLatencyP99OverSLO AlexNetQueueSaturated AlexNetInstanceDown AlexNetReadinessFlapping; do
  [[ "$rules" == *"$a"* ]] || fail "alert $a not loaded"
done
echo "== every query of the Grafana dashboard runs, and the main panels have data"
python3 - deploy/grafana/alexnet-service.json "$prom_port" <<'PY'
import json, sys, time, urllib.parse, urllib.request
dashboard = json.load(open(sys.argv[1]))
must_have_data = {"Images/s", "Throughput", "Request latency (from histograms, all replicas)", "Batch size", "Queue and in-flight", "Memory", "Model"}

def check():
    failures = []
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = (target["expr"].replace("$__rate_interval", "5m").replace('job=~"$job"', 'job=~".+"')
                    .replace('instance=~"$instance"', 'instance=~".+"').replace('model=~"$model"', 'model=~".+"'))
            url = f"http://127.0.0.1:{sys.argv[2]}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            body = json.load(urllib.request.urlopen(url))
            if body["status"] != "success":
                failures.append(f"{panel['title']}: {expr}: {body}")
            elif panel["title"] in must_have_data and target["refId"] == "A" and not body["data"]["result"]:
                failures.append(f"{panel['title']}: {expr}: no data")
    return failures

# rate() needs two samples of a counter, and the counters appear with the first requests: wait for
# the scrape after the one the checks above saw (5 s apart) before calling a panel empty.
for attempt in range(30):
    failures = check()
    if not any(f.endswith(": no data") for f in failures):
        break
    time.sleep(1)
print(f"  {sum(len(p['targets']) for p in dashboard['panels'])} queries in {len(dashboard['panels'])} panels")
if failures:
    print("\n".join(failures)); sys.exit(1)
PY
echo "OK: Prometheus scraped the service and holds the expected alexnet series"
