#!/usr/bin/env bash
# docker-compose for real: builds the images, starts the service and Prometheus, waits for them to
# be healthy, classifies one image through the compose service, checks through the Prometheus API
# that Prometheus in compose scrapes the service, then takes everything down.
# usage: scripts/ci/compose-check.sh   (DOCKER_HOST set, base images made, target/alexnet-service.jar built)
set -euo pipefail
cd "$(dirname "$0")/../.."
export COMPOSE_PROJECT_NAME=alexnetci ALEXNET_PORT=28180 PROMETHEUS_PORT=29190 ALEXNET_TAG=ci ALEXNET_MODELS="$(mktemp -d)"
# The image is built with Debian's docker client and BuildKit (which skips the unused CUDA stage);
# docker-compose 1.29 would call a client without buildx.
docker_cli=/usr/bin/docker
[[ -x "$docker_cli" ]] || docker_cli=docker
cleanup() { docker-compose down -v --remove-orphans >/dev/null 2>&1 || true; rm -rf "$ALEXNET_MODELS"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; docker-compose ps >&2 || true; docker-compose logs --tail 30 >&2 || true; exit 1; }

DOCKER_BUILDKIT=1 "$docker_cli" build -q -t "alexnet-service:$ALEXNET_TAG" . >/dev/null
docker-compose up -d --no-build
for _ in $(seq 1 90); do
  state=$(docker inspect --format '{{.State.Health.Status}}' alexnetci_prometheus_1 2>/dev/null || echo starting)
  [[ "$state" == healthy ]] && break
  sleep 2
done
[[ "$(docker inspect --format '{{.State.Health.Status}}' alexnetci_alexnet-service_1)" == healthy ]] || fail "service not healthy"
[[ "$(docker inspect --format '{{.State.Health.Status}}' alexnetci_prometheus_1)" == healthy ]] || fail "prometheus not healthy"
echo "both services healthy"

python3 -c "
import struct, zlib
raw = b''.join(b'\x00' + bytes((200, 30, 30)) * 64 for _ in range(48))
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open('$ALEXNET_MODELS/../compose-check.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 64, 48, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
"
image="$ALEXNET_MODELS/../compose-check.png"
answer=$(curl -sf -F "image=@$image" "127.0.0.1:$ALEXNET_PORT/classify") || fail "classify through compose"
rm -f "$image"
echo "$answer" | python3 -c "import json,sys; r=json.load(sys.stdin); assert len(r['results'][0]['predictions']) == 5; print('classified through compose:', r['results'][0]['predictions'][0]['label'])"

for _ in $(seq 1 30); do
  got=$(curl -sG "127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode 'query=sum(alexnet_images_total{job="alexnet-service"})' \
    | python3 -c "import json,sys; r=json.load(sys.stdin)['data']['result']; print(r[0]['value'][1] if r else 'none')")
  up=$(curl -sG "127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode 'query=up{job="alexnet-service"}' \
    | python3 -c "import json,sys; r=json.load(sys.stdin)['data']['result']; print(r[0]['value'][1] if r else 'none')")
  [[ "$got" == 1 && "$up" == 1 ]] && break
  sleep 2
done
[[ "$got" == 1 && "$up" == 1 ]] || fail "Prometheus in compose: up=$up, alexnet_images_total=$got (expected 1 and 1)"
echo "Prometheus in compose scrapes the service: up=1, alexnet_images_total=1"
echo "OK: docker-compose"
