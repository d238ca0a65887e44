"""Live ingest through a real gunicorn: visibility lag, first suggest after a commit, memory.

    python bench/ingest.py --index /path/to/index [--seconds 30] [--commits 100]

Works on a copy of the given index (or, without --index, on --docs generated short documents
cut from ../shared corpora). Three phases, each on its own fresh gunicorn over the copy:
  lag:     a steady --rate docs/s POSTed while --clients clients search; for every document the
           time from its 200 answer to the first search that finds it; the searches' latency
           beside a phase without ingest;
  suggest: one document POSTed, the journal drained, then the first /api/suggest timed (1
           worker, so it is that worker's first after the commit); repeated;
  memory:  --commits commits, each followed by searches and suggests in every worker; the
           workers' private memory (Private_Clean + Private_Dirty) along the way.
"""

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import QUERIES  # noqa: E402
from bench.procmem import cpu_seconds  # noqa: E402
from search.ingest import journal  # noqa: E402
from tests.servers import Gunicorn  # noqa: E402

TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MARK = "ingestbenchmark"  # a word no corpus has: every benchmark document carries it
INTERVAL = None  # SEARCH_COMMIT_INTERVAL (--interval); None: the server's default
COLLAPSE = "1"  # searches' collapse (--collapse 0: no near-duplicate groups computed)
PREFIXES = ["пре", "вибо", "укр", "мос", "зак", "эконо", "бюдж", "війн", "спор", "ком"]


def pct(values, p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def private_mib(pid: int) -> float:
    """A process's private memory in MiB (pages no other process shares)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    except OSError:
        return 0.0
    return total / 1024


class Server(Gunicorn):
    """gunicorn with the project's config over an index, writes enabled, no worker recycling,
    every commit's stages traced."""

    def __init__(self, index_dir: Path, workers: int, cache_size: int = 512):
        self.trace = index_dir.parent / f"commits-{index_dir.name}.jsonl"
        env = {"SEARCH_WRITE_TOKEN": TOKEN, "SEARCH_CACHE_SIZE": str(cache_size),
               "SEARCH_INGEST_TRACE": str(self.trace),
               **({"SEARCH_COMMIT_INTERVAL": str(INTERVAL)} if INTERVAL is not None else {})}
        super().__init__(index_dir, index_dir.parent / f"gunicorn-{index_dir.name}.log",
                         workers, env, args=("--max-requests", "0",
                                             "--access-logfile", "/dev/null"), timeout=600)

    def committer(self) -> int | None:
        """The pid of the server's committer process (None: commits in the workers)."""
        found = self.committers()
        return found[-1] if found else None

    def commits(self) -> dict | None:
        """Each commit's stages (the committer's trace), or None if it keeps none."""
        try:
            rows = [json.loads(line) for line in self.trace.read_text().splitlines()]
        except OSError:
            return None
        rows = [r for r in rows if r.get("first")]
        ms = lambda xs: [x * 1000 for x in xs]  # noqa: E731
        stage = lambda xs: {"p50": round(pct(ms(xs), 50)), "p95": round(pct(ms(xs), 95))}  # noqa: E731
        return {"n": len(rows), "ops_p50": pct([r["ops"] for r in rows], 50),
                # the oldest document of a batch: journaled -> taken -> committed
                "wait_ms": stage([r["taken"] - r["first"] for r in rows]),
                "commit_ms": stage([r["committed"] - r["taken"] for r in rows]),
                "journal_to_committed_ms": stage([r["committed"] - r["first"] for r in rows]),
                # of the commit: Whoosh's commit (segment, merges, tables), then the fsyncs
                "write_ms": stage([r["written"] - r["taken"] for r in rows if "written" in r]),
                "sync_ms": stage([r["committed"] - r["written"] for r in rows if "written" in r]),
                "cpu_ms": stage([r["cpu"] for r in rows if "cpu" in r]),
                # the three slowest: (seconds after the first commit, ms, operations)
                "slowest": sorted(([round(r["taken"] - rows[0]["taken"], 1),
                                    round(1000 * (r["committed"] - r["taken"])), r["ops"]]
                                   for r in rows), key=lambda x: -x[1])[:3]}


POST_MS: list[float] = []


def post(base: str, n: int) -> float:
    """POST benchmark document n; the time of its answer."""
    t0 = time.monotonic()
    doc = {"id": f"bench-{n}", "lang": "uk", "title": f"Оперативно {MARK} {n}",
           "text": f"Новина {MARK} номер {n}: депутати обговорили бюджет і вибори."}
    resp = requests.post(f"{base}/api/documents", json=doc, headers=AUTH, timeout=60)
    resp.raise_for_status()
    POST_MS.append((time.monotonic() - t0) * 1000)
    return time.monotonic()


def visible(base: str) -> int:
    resp = requests.get(f"{base}/api/search", params={"q": MARK, "exact": 1, "per_page": 1,
                                                      "collapse": COLLAPSE}, timeout=60)
    return resp.json()["total"]


def searchers(base: str, clients: int, stop: threading.Event, took: list):
    def client(k: int):
        rng = random.Random(k)
        while not stop.is_set():
            t0 = time.monotonic()
            # A connection per search, closed at once, as a proxy in front of gunicorn does: a
            # sync worker answers with "Connection: close" and then waits (gunicorn 27's
            # close_graceful, up to 2 s) for the client to close its side, which a kept-alive
            # session in this busy process did only when its thread next got the interpreter:
            # the workers sat idle for 40 % of their time (py-spy).
            resp = requests.get(f"{base}/api/search",
                                params={"q": rng.choice(QUERIES), "collapse": COLLAPSE},
                                timeout=60)
            took.append((time.monotonic() - t0, resp.status_code))

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    return threads


def lag_phase(index_dir: Path, args) -> dict:
    # Results cache off: with it, the searches without ingest would be cache hits, and every
    # commit empties it, so the two phases would not compare searching.
    server = Server(index_dir, args.workers, cache_size=0)
    try:
        stop, idle = threading.Event(), []
        threads = searchers(server.base, args.clients, stop, idle)
        time.sleep(args.seconds / 3)
        stop.set()
        for t in threads:
            t.join()
        stop, busy = threading.Event(), []
        threads = searchers(server.base, args.clients, stop, busy)
        acked: list[float] = []
        answered_ids: list[str] = []  # the documents' ids in the order of their answers
        seen: list[float] = []  # when the k-th answered document was first found
        lags: list[float] = []
        sent: list[float] = []  # each document's lag to the sending of the search that found it
        polls: list[float] = []  # each poll's own time (its wait behind the clients, its search)
        done = threading.Event()

        def poll():
            while not done.is_set() or len(lags) < len(acked):
                t0 = time.monotonic()
                n = visible(server.base)
                now = time.monotonic()
                polls.append(now - t0)
                while len(lags) < min(n, len(acked)):
                    seen.append(now)
                    lags.append(now - acked[len(lags)])
                    sent.append(t0 - acked[len(sent)])
                time.sleep(0.02)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        cpu0 = (cpu_seconds(server.committer()), sum(map(cpu_seconds, server.workers())))
        start = time.monotonic()
        n, posters = 0, []
        order = threading.Lock()

        def send(k: int):
            answered = post(server.base, k)
            # The poll counts the documents visible, which are the first ones in journal order:
            # the order of the answers (a POST is answered right after its journal fsync). Not
            # the order of their numbers: one slow answer would hold back the lags of all the
            # documents after it until it came.
            with order:
                acked.append(answered)
                answered_ids.append(f"bench-{k}")

        while time.monotonic() - start < args.seconds:
            # On time whatever the server's queue: each POST from its own thread.
            posters.append(threading.Thread(target=send, args=(n,), daemon=True))
            posters[-1].start()
            n += 1
            time.sleep(max(0.0, start + n / args.rate - time.monotonic()))
        for t in posters:
            t.join()
        cpu = [round(cpu_seconds(server.committer()) - cpu0[0], 1),
               round(sum(map(cpu_seconds, server.workers())) - cpu0[1], 1)]
        done.set()
        poller.join(timeout=60)
        stop.set()
        for t in threads:
            t.join()
    finally:
        server.stop()
    ms = lambda xs: [x * 1000 for x in xs]  # noqa: E731
    return {
        "docs": len(acked), "rate": round(len(acked) / args.seconds, 1),
        "lag_ms": {"p50": round(pct(ms(lags), 50)), "p95": round(pct(ms(lags), 95)),
                   "max": round(max(ms(lags), default=0))},
        # Of the lag: until the poll that found the document was sent, and the polls' own time.
        "lag_to_sent_ms": {"p50": round(pct(ms(sent), 50)), "p95": round(pct(ms(sent), 95))},
        "poll_ms": {"p50": round(pct(ms(polls), 50)), "p95": round(pct(ms(polls), 95))},
        "search_ms_idle": {"p50": round(pct(ms([t for t, _ in idle]), 50), 1),
                           "p95": round(pct(ms([t for t, _ in idle]), 95), 1), "n": len(idle)},
        "search_ms_ingest": {"p50": round(pct(ms([t for t, _ in busy]), 50), 1),
                             "p95": round(pct(ms([t for t, _ in busy]), 95), 1),
                             "n": len(busy)},
        "post_ms": {"p50": round(pct(POST_MS, 50), 1), "p95": round(pct(POST_MS, 95), 1)},
        # The worst lag of the documents answered in each 5 s of the phase: a slow start (the
        # first commits, merges) or spread over the run.
        "lag_max_per_5s_ms": [round(1000 * max((lag for a, lag in zip(acked, lags, strict=False)
                                                 if start + w <= a < start + w + 5),
                                                default=0))
                              for w in range(0, int(args.seconds), 5)],
        "commits": server.commits(),
        "lag_parts_ms": lag_parts(server.trace, answered_ids, acked, seen, lags),
        # CPU seconds used while documents were POSTed: the committer process, the workers
        "cpu_s": {"committer": cpu[0], "workers": cpu[1]},
        "errors": sorted(s for _, s in idle + busy if s != 200),
        "server_errors": [line for line in server.log.read_text(errors="replace").splitlines()
                          if "Error" in line or "WORKER TIMEOUT" in line][:5],
    }


def lag_parts(trace: Path, ids: list[str], acked: list[float], seen: list[float],
              lags: list[float]) -> dict | None:
    """Each document's lag cut at its commit (the committer's trace): answered -> the batch
    taken -> committed -> found by a poll; p50/p95 of each part over all documents, and their
    means over the slowest tenth."""
    try:
        rows = [json.loads(line) for line in trace.read_text().splitlines()]
    except OSError:
        return None
    commit = {i: r for r in rows for i in r.get("ids", ())}
    wall = time.time() - time.monotonic()  # monotonic -> Unix time
    parts = []
    for i, a, s, lag in zip(ids, acked, seen, lags, strict=False):
        if i in commit:
            r = commit[i]
            parts.append((lag, r["taken"] - (a + wall), r["committed"] - r["taken"],
                          s + wall - r["committed"]))
    if not parts:
        return None
    names = ("wait", "commit", "found")
    tail = sorted(parts)[-max(1, len(parts) // 10):]
    return {**{n: {"p50": round(1000 * pct([p[k + 1] for p in parts], 50)),
                   "p95": round(1000 * pct([p[k + 1] for p in parts], 95))}
               for k, n in enumerate(names)},
            "slowest_tenth_mean": {n: round(1000 * sum(p[k + 1] for p in tail) / len(tail))
                                   for k, n in enumerate(names)},
            "n": len(parts)}


def suggest_phase(index_dir: Path, args) -> dict:
    server = Server(index_dir, 1)
    try:
        for p in PREFIXES:  # warm: this worker's tables and dictionaries in use
            requests.get(f"{server.base}/api/suggest", params={"q": p}, timeout=600)
        times = []
        for k in range(args.suggests):
            post(server.base, 10_000_000 + k)
            while journal.pending(index_dir):
                time.sleep(0.01)
            time.sleep(0.2)  # the committer's commit is on disk once the journal is gone
            t0 = time.monotonic()
            resp = requests.get(f"{server.base}/api/suggest",
                                params={"q": PREFIXES[k % len(PREFIXES)]}, timeout=600)
            times.append(time.monotonic() - t0)
            resp.raise_for_status()
    finally:
        server.stop()
    ms = [t * 1000 for t in times]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 1), "max_ms": round(max(ms), 1)}


def memory_phase(index_dir: Path, args) -> dict:
    server = Server(index_dir, args.workers)
    warm = 10  # commits before the first sample: workers first touch what they use
    marks, samples, committer = {0, 10, 25, 50, 75, 100, args.commits}, {}, {}
    try:
        with requests.Session() as s:
            for k in range(-warm + 1, args.commits + 1):
                post(server.base, 20_000_000 + k)
                while journal.pending(index_dir):
                    time.sleep(0.01)
                for q in random.Random(k).sample(QUERIES, 6):  # reaches every worker
                    s.get(f"{server.base}/api/search", params={"q": q}, timeout=600)
                    s.get(f"{server.base}/api/suggest", params={"q": q[:4]}, timeout=600)
                if k in marks:
                    samples[k] = [round(private_mib(p)) for p in server.workers()]
                    if server.committer():
                        committer[k] = round(private_mib(server.committer()))
    finally:
        server.stop()
    first, last = samples[min(samples)], samples[max(samples)]
    change = [round(100 * (b - a) / a, 1) for a, b in zip(first, last, strict=False) if a]
    return {"private_mib": samples, "change_pct": change, "committer_private_mib": committer}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", help="an index folder to copy (default: build --docs)")
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--rate", type=float, default=20.0, help="documents per second")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--suggests", type=int, default=10)
    ap.add_argument("--commits", type=int, default=100)
    ap.add_argument("--phases", default="lag,suggest,memory")
    ap.add_argument("--interval", type=float, help="least seconds between commits")
    ap.add_argument("--collapse", choices=("0", "1"), default="1",
                    help="0: searches show near-duplicates, so no copy groups are computed")
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args(argv)
    global INTERVAL, COLLAPSE
    INTERVAL, COLLAPSE = args.interval, args.collapse
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        if args.index:
            base = Path(args.index)
        else:
            from bench.engines import Ours
            from bench.latency import documents

            base = work / "base"
            Ours(2).build(documents(args.shared, args.docs)[0], base)
        out = {"index": str(base)}
        for phase in args.phases.split(","):
            copy = work / f"copy-{phase}"
            shutil.copytree(base, copy, symlinks=True)
            out[phase] = {"lag": lag_phase, "suggest": suggest_phase,
                          "memory": memory_phase}[phase](copy, args)
            print(phase, json.dumps(out[phase], ensure_ascii=False), flush=True)
            shutil.rmtree(copy, ignore_errors=True)
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
