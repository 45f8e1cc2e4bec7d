#!/usr/bin/env bash
# Downloads the community's bvlc_alexnet.npy (the BVLC Caffe AlexNet converted to a numpy dict by
# Michael Guerzhoy, University of Toronto: http://www.cs.toronto.edu/~guerzhoy/tf_alexnet/) and
# checks it before it is used:
#   - its size must be exactly 243,861,814 bytes;
#   - its SHA-256 must equal --sha256 HEX (or $ALEXNET_WEIGHTS_SHA256) when you give one.
#     The source publishes no checksum, so the script prints the digest it computed: pin it
#     (e.g. in your deployment's values) and every later download is checked against it.
# It downloads to a temporary file and moves it into place only after the checks pass.
# Tests never run this script; they write their own weights files.
#
# usage: scripts/fetch-weights.sh [--out DIR] [--url URL] [--sha256 HEX]
set -euo pipefail

url="http://www.cs.toronto.edu/~guerzhoy/tf_alexnet/bvlc_alexnet.npy"
out="models"
expected_sha256="${ALEXNET_WEIGHTS_SHA256:-}"
expected_size=243861814

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --url) url="$2"; shift 2 ;;
    --sha256) expected_sha256="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

mkdir -p "$out"
target="$out/bvlc_alexnet.npy"
partial="$(mktemp "$out/.bvlc_alexnet.npy.XXXXXX")"
trap 'rm -f "$partial"' EXIT

echo "Downloading $url"
if command -v curl >/dev/null; then
  curl --fail --location --retry 3 --output "$partial" "$url"
else
  wget --tries=3 --output-document="$partial" "$url"
fi

size=$(stat -c %s "$partial")
if [[ "$size" -ne "$expected_size" ]]; then
  echo "error: downloaded $size bytes, expected $expected_size: not the bvlc_alexnet.npy file" >&2
  exit 1
fi
actual_sha256=$(sha256sum "$partial" | cut -d' ' -f1)
if [[ -n "$expected_sha256" && "$actual_sha256" != "$expected_sha256" ]]; then
  echo "error: sha256 $actual_sha256 does not match the expected $expected_sha256" >&2
  exit 1
fi
head -c 6 "$partial" | grep -q "NUMPY" || { echo "error: not an NPY file" >&2; exit 1; }

mv "$partial" "$target"
echo "$actual_sha256  bvlc_alexnet.npy" > "$target.sha256"
echo "OK: $target ($size bytes, sha256 $actual_sha256)"
if [[ -z "$expected_sha256" ]]; then
  echo "No expected sha256 was given: pin the digest above with --sha256 or ALEXNET_WEIGHTS_SHA256."
fi
echo "Run the service with: ALEXNET_WEIGHTS=$target java -jar target/alexnet-service.jar"
