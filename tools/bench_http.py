#!/usr/bin/python3
"""Side-by-side HTTP benchmark: the service and its peers, each alone on the machine, same weights,
same images, same warm-up, `hey` at 1, 4, 16 and 64 clients, in interleaved rounds.

Run it through tools/bench-http.sh, which checks the prerequisites. Servers (--servers):
  service       java -jar target/alexnet-service.jar, weights from the shared .npy
  service-bf16  the same with ALEXNET_PRECISION=bf16 (CPUs with AVX512_BF16 or AMX)
  fastapi       FastAPI + uvicorn (1 worker) + ONNX Runtime + Pillow, no batching
  fastapi-draft the same with Pillow's draft() (DCT-domain JPEG reduction to >= 256 x 256)
  ray           Ray Serve, @serve.batch 32 / 5 ms, PyTorch torch.compile, Pillow
Images: a 500 x 375 photo-like JPEG (src/test/resources/images/load-500x375.jpg) and a 4032 x 3024
one of phone-photo weight (tools/peers/make_photo.py). For each cell: images/s, p50 and p99 (ms),
statuses, and the load generator's CPU use; per server the RSS at the end of its run. Then the
median over rounds, and the service's ratios to the best peer. Traffic stays on 127.0.0.1; every
run is bounded by -z.
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("PEERS_VENV", "/opt/alexnet-peers"))
PY = str(VENV / "bin/python")
PORTS = {"service": 18089, "service-bf16": 18092, "fastapi": 18100, "fastapi-draft": 18101, "ray": 18200}
CLIENTS = [1, 4, 16, 64]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def wait_ready(url, proc, seconds, marker=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"not ready after {seconds} s: {url}")


def start(server, work, env_extra):
    port = PORTS[server]
    env = dict(os.environ, **env_extra)
    logf = open(work / f"{server}.log", "w")
    if server in ("service", "service-bf16"):
        if server == "service-bf16":
            env["ALEXNET_PRECISION"] = "bf16"
        cmd = ["java", *os.environ.get("SERVICE_JAVA_OPTS", "").split(), "-jar", str(ROOT / "target/alexnet-service.jar"),
               "--server.address=127.0.0.1", f"--server.port={port}", "--management.server.address=127.0.0.1",
               f"--management.server.port={port + 1}"]
        env["ALEXNET_WEIGHTS"] = str(work / "alexnet.npy")
        ready = f"http://127.0.0.1:{port}/readyz"
    elif server.startswith("fastapi"):
        cmd = [PY, "-m", "uvicorn", "fastapi_ort:app", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
               "--log-level", "warning"]
        env["ALEXNET_ONNX"] = str(work / "alexnet.onnx")
        env["PEER_DRAFT"] = "1" if server == "fastapi-draft" else "0"
        ready = f"http://127.0.0.1:{port}/healthz"
    else:
        cmd = [PY, "ray_serve_torch.py"]
        env["ALEXNET_NPY"] = str(work / "alexnet.npy")
        env["PEER_PORT"] = str(port)
        ready = None
    proc = subprocess.Popen(cmd, cwd=ROOT / "tools/peers", env=env, stdout=logf, stderr=subprocess.STDOUT,
                            start_new_session=True)
    if ready:
        wait_ready(ready, proc, 300)
    else:
        deadline = time.time() + 600
        while "READY" not in (work / f"{server}.log").read_text():
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("ray did not start: " + (work / f"{server}.log").read_text()[-2000:])
            time.sleep(1)
    return proc


def tree_rss_mib(pid):
    """RSS of the process and all its descendants (Ray runs its replica in a worker process)."""
    children = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    total, todo = 0, [pid]
    while todo:
        q = todo.pop()
        todo.extend(children.get(q, []))
        try:
            for line in Path(f"/proc/{q}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def stop(proc):
    """Stops the server we started, by its process group (uvicorn and Ray fork workers)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
    if (Path("/tmp/ray").exists()):
        subprocess.run([PY, "-m", "ray.scripts.scripts", "stop", "--force"], capture_output=True, timeout=60)


def hey(url, image, clients, seconds):
    """One cell: successful images/s, p50 and p99 in ms (of every answer, from hey's per-request CSV),
    statuses, transport errors, and hey's own CPU use in % of one core."""
    t0 = time.time()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S", "hey", "-z", f"{seconds}s", "-c", str(clients), "-o", "csv",
                        "-m", "POST", "-T", "image/jpeg", "-D", str(image), url], capture_output=True, text=True)
    wall = time.time() - t0
    user, system = (float(x) for x in r.stderr.strip().splitlines()[-1].split())
    times, codes, last = [], {}, 0.0
    for line in r.stdout.splitlines()[1:]:
        f = line.split(",")
        if len(f) < 8:
            continue
        times.append(float(f[0]) * 1000)
        codes[f[6]] = codes.get(f[6], 0) + 1
        last = max(last, float(f[7]) + float(f[0]))
    times.sort()

    def pct(q):
        return times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")

    ok = codes.get("200", 0)
    return {"rps": ok / max(last, 1e-9), "p50": pct(0.50), "p99": pct(0.99), "codes": codes, "answers": len(times),
            "heyCpu": 100 * (user + system) / wall}


def top1(port, image):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/classify", data=Path(image).read_bytes(),
                                 headers={"Content-Type": "image/jpeg"})
    with urllib.request.urlopen(req, timeout=60) as r:
        body = json.load(r)
    return [p["index"] for p in body["results"][0]["predictions"]][:5], body.get("timings")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=30, help="seconds of load at 8 clients before the cells")
    ap.add_argument("--servers", default="service,fastapi,fastapi-draft,ray")
    ap.add_argument("--images", default="small,phone")
    ap.add_argument("--clients", default="1,4,16,64")
    ap.add_argument("--work", default="/tmp/alexnet-bench-http")
    ap.add_argument("--out", default=None, help="write all cells as JSON here")
    args = ap.parse_args()
    servers = args.servers.split(",")
    clients = [int(c) for c in args.clients.split(",")]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "alexnet.onnx").exists():
        subprocess.run([PY, str(ROOT / "tools/peers/weights.py"), str(work)], check=True)
    images = {"small": ROOT / "src/test/resources/images/load-500x375.jpg", "phone": work / "phone-4032x3024.jpg"}
    if not images["phone"].exists():
        subprocess.run([PY, str(ROOT / "tools/peers/make_photo.py"), str(images["phone"]), "4032", "3024"], check=True)
    wanted = args.images.split(",")
    cells = []
    for rnd in range(args.rounds):
        order = servers[rnd % len(servers):] + servers[:rnd % len(servers)]
        if "service" in servers:
            b = subprocess.run(["java", "-jar", str(ROOT / "target/alexnet-service.jar"), "bench", "--batches", "1",
                                "--seconds", "5", "--warmup-seconds", "20", "--weights", str(work / "alexnet.npy"), "--json"],
                               capture_output=True, text=True)
            engine = json.loads(b.stdout.strip().splitlines()[-1])
            cells.append({"round": rnd, "server": "engine-b1", "ms": engine["results"][0]["msPerBatch"],
                          "dense": engine.get("densePath")})
            log(f"round {rnd + 1}: engine batch 1 {engine['results'][0]['msPerBatch']:.2f} ms ({engine.get('densePath')})")
        for server in order:
            log(f"round {rnd + 1}: {server}")
            proc = start(server, work, {})
            url = f"http://127.0.0.1:{PORTS[server]}/classify"
            try:
                for name in wanted:
                    hey(url, images[name], 8, args.warmup if name == "small" else max(5, args.warmup // 3))
                for name in wanted:
                    t5, timings = top1(PORTS[server], images[name])
                    for c in clients:
                        cell = hey(url, images[name], c, args.seconds)
                        cell.update(round=rnd, server=server, image=name, clients=c, top5=t5)
                        cells.append(cell)
                        log(f"  {name} c={c}: {cell['rps']:.1f} img/s p50 {cell['p50']:.1f} p99 {cell['p99']:.1f} "
                            f"{cell['codes']} hey cpu {cell['heyCpu']:.0f}%")
                    if server == "service":
                        decode = []
                        for _ in range(11):
                            decode.append(top1(PORTS[server], images[name])[1]["decodeMs"])
                        cells.append({"round": rnd, "server": "service-decode", "image": name, "ms": statistics.median(decode)})
                    elif server in ("fastapi", "fastapi-draft"):
                        cells.append({"round": rnd, "server": f"{server}-decode", "image": name,
                                      "ms": peer_preprocess_ms(server, work, images[name])})
                cells.append({"round": rnd, "server": server, "rssMiB": tree_rss_mib(proc.pid)})
            finally:
                stop(proc)
    if args.out:
        Path(args.out).write_text(json.dumps(cells, indent=1))
    report(cells, servers, wanted, clients)


def peer_preprocess_ms(server, work, image):
    """The peer's preprocess() alone on the image (Pillow, draft() for fastapi-draft), in the peers' venv."""
    env = dict(os.environ, ALEXNET_ONNX=str(work / "alexnet.onnx"), PEER_DRAFT="1" if server == "fastapi-draft" else "0")
    out = subprocess.run([PY, str(ROOT / "tools/peers/preprocess_time.py"), str(image)], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def report(cells, servers, images, clients):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
    simd = [f for f in flags if f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")]
    rounds = 1 + max(c["round"] for c in cells)
    print(f"machine: {cpu}, {os.cpu_count()} cpus, {' '.join(simd)}; {rounds} interleaved rounds, median over rounds")
    eng = [c["ms"] for c in cells if c["server"] == "engine-b1"]
    if eng:
        print(f"engine batch 1 (bench, same weights): {statistics.median(eng):.2f} ms")
    for name in images:
        for s in ("service", "fastapi", "fastapi-draft"):
            dec = [c["ms"] for c in cells if c["server"] == f"{s}-decode" and c["image"] == name]
            if dec:
                how = "its own decodeMs" if s == "service" else "its preprocess() alone, tools/peers/preprocess_time.py"
                print(f"{s} decode + preprocess, {name}: {statistics.median(dec):.2f} ms (median of 11 after the load, {how})")
    for name in images:
        print(f"\n{name} image: images/s, p50 / p99 ms")
        print("| server | " + " | ".join(f"{c} client{'s' if c > 1 else ''}" for c in clients) + " | RSS MiB |")
        print("|---|" + "---:|" * (len(clients) + 1))
        med = {}
        for s in servers:
            row = []
            for c in clients:
                xs = [x for x in cells if x.get("server") == s and x.get("image") == name and x.get("clients") == c]
                if not xs:
                    row.append("")
                    continue
                m = {k: statistics.median(x[k] for x in xs) for k in ("rps", "p50", "p99", "heyCpu")}
                med[(s, c)] = m
                row.append(f"{m['rps']:.1f}, {m['p50']:.0f} / {m['p99']:.0f}")
            rss = [x["rssMiB"] for x in cells if x.get("server") == s and "rssMiB" in x]
            print(f"| {s} | " + " | ".join(row) + f" | {statistics.median(rss):.0f} |" if rss else " |")
        peers = [s for s in servers if not s.startswith("service")]
        for ours_name in (s for s in servers if s in ("service", "service-bf16")):
            ratios = []
            for c in clients:
                best = max((med[(p, c)] for p in peers if (p, c) in med), key=lambda m: m["rps"], default=None)
                if best and (ours_name, c) in med:
                    ours = med[(ours_name, c)]
                    ratios.append(f"{ours['rps'] / best['rps']:.2f}x img/s, p99 {ours['p99']:.0f} vs {best['p99']:.0f}")
                else:
                    ratios.append("")
            print(f"| {ours_name} / best peer | " + " | ".join(ratios) + " | |")
        hey_cpu = [x["heyCpu"] for x in cells if x.get("image") == name and "heyCpu" in x]
        print(f"load generator (hey) CPU: median {statistics.median(hey_cpu):.0f}%, max {max(hey_cpu):.0f}% of one core")
    t5 = {x["server"]: x["top5"] for x in cells if "top5" in x and x.get("image") == "small"}
    print("\ntop-5 for the 500 x 375 image (same weights, each server's own preprocessing): "
          + "; ".join(f"{s} {v}" for s, v in t5.items()))


if __name__ == "__main__":
    main()
