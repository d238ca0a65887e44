"""Load test of /api/search under gunicorn: throughput, latency percentiles, errors, worker RSS.

    python bench/load.py --index index --clients 8,32,64 --seconds 60

Starts gunicorn (the project's gunicorn.conf.py) on a free loopback port over the given index,
runs each concurrency level for a bounded time, and stops everything by itself.
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import gunicorn  # noqa: E402

QUERIES = [
    "бюджет", "президент", "співпраця", "війна", "економіка україни", "державний бюджет",
    '"верховна рада"', "закупівля тендер", "освіта", "машиностроитель", "соглашение",
    "москва", "выборы президента", "нефть газ", "санкции против россии", "город",
    "пром*", "Запорожье", "Київ", "школа OR лікарня", "декоративно-прикладное искусство",
    "міський голова підписав розпорядження про ремонт доріг у місті",
]


def _pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_level(host: str, port: int, clients: int, seconds: float, max_requests: int) -> dict:
    """clients threads with keep-alive connections, each looping queries until time is up."""
    latencies, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    def client(n: int):
        rng = random.Random(n)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            path = "/api/search?" + urlencode({"q": rng.choice(QUERIES)})
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                ok = resp.status == 200 and "hits" in json.loads(body)
            except (OSError, http.client.HTTPException, ValueError) as e:
                ok, body = False, repr(e).encode()
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            took = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(took)
                if not ok:
                    errors.append(body[:200])
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"clients": clients, "requests": len(latencies), "errors": len(errors),
            "rps": round(len(latencies) / elapsed, 1), "p50_ms": round(q[49], 1),
            "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1),
            "first_errors": [e.decode(errors="replace") for e in errors[:3]]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index", default=str(ROOT / "index"))
    p.add_argument("--clients", default="8,32,64")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--max-requests", type=int, default=200_000, help="cap per level")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-cache", action="store_true",
                   help="turn the workers' results cache off (every request searches)")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)
    rows = []
    env = {"SEARCH_CACHE_SIZE": "0"} if args.no_cache else {}
    with gunicorn(Path(args.index), workers=args.workers, env=env) as base:
        host, port = base.rsplit("/", 1)[-1].split(":")
        master = _gunicorn_master(int(port))
        for clients in map(int, args.clients.split(",")):
            before = {pid: rss_mib(pid) for pid in _pids(master)}
            row = run_level(host, int(port), clients, args.seconds, args.max_requests)
            after = {pid: rss_mib(pid) for pid in _pids(master)}
            row["worker_rss_mib_before"] = [round(v) for v in before.values()]
            row["worker_rss_mib_after"] = [round(v) for v in after.values()]
            rows.append(row)
            print(f"{clients:4d} clients: {row['rps']:7.1f} req/s  p50 {row['p50_ms']:6.1f} ms  "
                  f"p95 {row['p95_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms  "
                  f"errors {row['errors']}  requests {row['requests']}  worker RSS MiB "
                  f"{row['worker_rss_mib_before']} -> {row['worker_rss_mib_after']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 1 if any(r["errors"] for r in rows) else 0


def _gunicorn_master(port: int) -> int:
    """The pid of the gunicorn master listening on port (found through /proc)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(b"gunicorn" in c for c in cmd[:2]) and f"127.0.0.1:{port}".encode() in cmd:
                return int(proc.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
