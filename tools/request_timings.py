#!/usr/bin/env python3
"""One client, requests back to back on one keep-alive connection: the distribution of the whole
request as the client sees it and of the service's own timings (decodeMs, queueMs, inferenceMs),
and what is left (HTTP, JSON, the client), and how many passes took over 1.4 times the median (the
1-client tail: a pass one of its two OpenMP threads lost its CPU in). For taking a 1-client cell
apart; traffic stays on 127.0.0.1.

usage: tools/request_timings.py IMAGE.jpg [--port 8080] [--requests 1000] [--warmup 100]
"""
import argparse
import http.client
import json
import statistics
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    args = ap.parse_args()
    body = open(args.image, "rb").read()
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)

    def post():
        start = time.perf_counter()
        conn.request("POST", "/classify", body=body, headers={"Content-Type": "image/jpeg"})
        response = conn.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {answer}")
        return (time.perf_counter() - start) * 1000, answer["timings"]

    for _ in range(args.warmup):
        post()
    rows = []
    began = time.perf_counter()
    for _ in range(args.requests):
        total, t = post()
        rows.append((total, t["decodeMs"], t["queueMs"], t["inferenceMs"]))
    seconds = time.perf_counter() - began

    def pct(values, p):
        values = sorted(values)
        return values[min(len(values) - 1, int(p * len(values)))]

    print(f"{args.requests / seconds:.1f} requests/s, {args.requests} requests after {args.warmup} untimed")
    columns = [("total", [r[0] for r in rows]), ("decode", [r[1] for r in rows]), ("queue", [r[2] for r in rows]),
               ("inference", [r[3] for r in rows]), ("rest", [r[0] - r[1] - r[2] - r[3] for r in rows])]
    for name, values in columns:
        print(f"{name:9s} mean {statistics.mean(values):6.2f}  p50 {pct(values, .5):6.2f}  p90 {pct(values, .9):6.2f}  "
              f"p99 {pct(values, .99):6.2f}  max {max(values):6.2f} ms")
    inference = [r[3] for r in rows]
    slow = sum(1 for v in inference if v > 1.4 * pct(inference, .5))
    print(f"passes over 1.4x the median inference: {slow} of {len(rows)}")


if __name__ == "__main__":
    main()
