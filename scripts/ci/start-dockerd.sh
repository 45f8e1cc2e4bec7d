#!/usr/bin/env bash
# Starts a Docker engine (Debian's docker.io) in DIR and waits for it. There is no systemd on our
# build machines. Prints the DOCKER_HOST to use; the daemon's pid is in DIR/dockerd.pid.
# usage: scripts/ci/start-dockerd.sh DIR
set -euo pipefail
dir="$1"
mkdir -p "$dir/data" "$dir/exec"
dockerd --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$dir/docker.sock" \
  --pidfile "$dir/dockerd.pid" > "$dir/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  if DOCKER_HOST="unix://$dir/docker.sock" docker info >/dev/null 2>&1; then
    echo "unix://$dir/docker.sock"
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not start:" >&2
tail -20 "$dir/dockerd.log" >&2
exit 1
