#!/usr/bin/env bash
# Side-by-side engine benchmark: the service's own engine (java -jar target/alexnet-service.jar
# bench, on its default pass, oneDNN's primitives directly, and on ND4J's ops), ONNX Runtime and PyTorch torch.compile (tools/peers/bench_engine.py, from the peers' venv),
# on the same network and the same weights (tools/peers/weights.py), 2 threads each, in ROUNDS
# interleaved rounds (default 3), each engine in its own process. Prints each engine's median per
# batch size over the rounds, and the ratios. Needs target/alexnet-service.jar (./mvnw package)
# and the peers' venv (tools/peers/setup.sh).
#
# usage: tools/bench-engines.sh [ROUNDS] [SECONDS_PER_CELL] [BATCHES]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
seconds="${2:-5}"
batches="${3:-1,8,32,64}"
work="${BENCH_WORK:-/tmp/alexnet-bench-http}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export PEERS_VENV="${PEERS_VENV:-/opt/alexnet-peers}"
[[ -f target/alexnet-service.jar ]] || { echo "build the jar first: ./mvnw -DskipTests package" >&2; exit 1; }
[[ -x "$PEERS_VENV/bin/python" ]] || tools/peers/setup.sh
[[ -f "$work/alexnet.onnx" ]] || "$PEERS_VENV/bin/python" tools/peers/weights.py "$work" >/dev/null 2>&1

# bf16 rows (alexnet.precision=bf16 and PyTorch under bf16 autocast) where the CPU has bfloat16 instructions.
bf16=0
grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo && bf16=1

for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds" >&2
  java -jar target/alexnet-service.jar bench --pass onednn --weights "$work/alexnet.npy" --batches "$batches" --seconds "$seconds" --json 2>/dev/null | tail -1 > "$out/svc-$r.json"
  java -jar target/alexnet-service.jar bench --pass nd4j --weights "$work/alexnet.npy" --batches "$batches" --seconds "$seconds" --json 2>/dev/null | tail -1 > "$out/nd4j-$r.json"
  "$PEERS_VENV/bin/python" tools/peers/bench_engine.py ort "$work" --batches "$batches" --seconds "$seconds" 2>/dev/null | tail -1 > "$out/ort-$r.json"
  "$PEERS_VENV/bin/python" tools/peers/bench_engine.py torch-compile "$work" --batches "$batches" --seconds "$seconds" 2>/dev/null | tail -1 > "$out/torch-$r.json"
  if (( bf16 )); then
    java -jar target/alexnet-service.jar bench --pass onednn --precision bf16 --weights "$work/alexnet.npy" --batches "$batches" --seconds "$seconds" --json 2>/dev/null | tail -1 > "$out/svcbf16-$r.json"
    "$PEERS_VENV/bin/python" tools/peers/bench_engine.py torch-compile-bf16 "$work" --batches "$batches" --seconds "$seconds" 2>/dev/null | tail -1 > "$out/torchbf16-$r.json"
  fi
done

/usr/bin/python3 - "$out" "$rounds" "$bf16" <<'PY'
import json, statistics, sys, platform
work, rounds, bf16 = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
engines = {"svc": "alexnet-service", "nd4j": "alexnet-service (ND4J)", "ort": "ONNX Runtime", "torch": "PyTorch"}
if bf16:
    engines.update({"svcbf16": "alexnet-service bf16", "torchbf16": "PyTorch bf16"})
data = {}
for key in engines:
    runs = [json.load(open(f"{work}/{key}-{r}.json")) for r in range(1, rounds + 1)]
    if key == "svc":
        engines[key] = "alexnet-service, oneDNN primitives directly (default)"
    elif key == "svcbf16":
        engines[key] = "alexnet-service, oneDNN primitives, alexnet.precision=bf16"
    elif key == "nd4j":
        engines[key] = f"alexnet-service, ND4J ops, {runs[0]['nativeBuild']}"
    else:
        engines[key] = runs[0]["engine"]
    cells = {}
    for run in runs:
        for c in run["results"]:
            cells.setdefault(c["batch"], []).append(c["msPerBatch"])
    data[key] = {b: statistics.median(v) for b, v in cells.items()}
batches = sorted(data["svc"])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
cpu += " (" + " ".join(f for f in flags if f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")) + ")"
print(f"machine: {cpu}, {len(open('/proc/cpuinfo').read().split('processor')) - 1} cpus; {rounds} interleaved rounds, median of medians")
first = json.load(open(f"{work}/nd4j-1.json"))
print(f"service engine: OpenMP idle spin {first.get('openMpSpin')}; batch-1 dense layers: {first.get('densePath')}")
print()
print("| engine | " + " | ".join(f"b={b}" for b in batches) + " |")
print("|---|" + "---:|" * len(batches))
for key, name in engines.items():
    cells = []
    for b in batches:
        ms = data[key][b]
        cells.append(f"{ms:.1f} ms" if b == 1 else f"{b * 1000 / ms:.1f} img/s")
    print(f"| {name} | " + " | ".join(cells) + " |")
for key in ("nd4j", "ort", "torch"):
    print(f"| speed-up over {engines[key]} | " + " | ".join(f"{data[key][b] / data['svc'][b]:.2f}x" for b in batches) + " |")
if bf16:
    for key in ("svc", "torchbf16"):
        print(f"| bf16 speed-up over {engines[key]} | " + " | ".join(f"{data[key][b] / data['svcbf16'][b]:.2f}x" for b in batches) + " |")
print()
print("GFLOP/s of alexnet-service: " + ", ".join(f"b={b}: {1.4488 * b * 1000 / data['svc'][b]:.0f}" for b in batches))
PY
