"""Query latency, ours against SQLite FTS5, interleaved query by query in one process.

    python bench/latency.py --sizes 10000,200000,1000000   # warm: after 100 other queries
    python bench/latency.py --sizes 200000 --cold          # the first 100 queries of a process

Both engines return a page of 10 with snippets: ours `Engine(cache_size=0).search`, FTS5 its
`snippet()` and `bm25()` with the same title weight. Above the paragraphs the corpora have
(about 265k), documents are the same paragraphs again under other ids (said in the output).
"""

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import WORK, git_commit, table, write_json  # noqa: E402
from bench.speed import QUERY_KINDS, latency_queries, paragraphs, pct  # noqa: E402
from search.ingest.documents import Document  # noqa: E402
from search.schema import TITLE_BOOST  # noqa: E402
from search.text import tokenize  # noqa: E402

WARM = 100  # queries run before timing, none of them timed


def documents(shared: str, n: int) -> tuple[list[Document], int]:
    """n paragraph documents and how many times the corpora had to be repeated for them."""
    base = paragraphs(shared, None)
    docs, rounds = list(base[:n]), 1
    while len(docs) < n:
        docs += [Document(id=f"{d.id}~{rounds}", title=d.title, body=d.body, lang=d.lang)
                 for d in base[:n - len(docs)]]
        rounds += 1
    return docs, rounds


def build(shared: str, n: int, work: Path, procs: int) -> tuple[Path, Path, int]:
    """Our index and an FTS5 database of the same n documents (reused when present)."""
    from bench.engines import Fts5 as Fts5Index
    from bench.engines import Ours

    ours, fts = work / "latency" / f"ours-{n}", work / "latency" / f"fts5-{n}.db"
    meta = work / "latency" / f"docs-{n}.json"
    docs, rounds = (None, 1) if ours.exists() and fts.exists() else documents(shared, n)
    if not ours.exists():
        t0 = time.perf_counter()
        Ours(procs).build(docs, ours)
        meta.write_text(json.dumps({"rounds": rounds, "build_s": time.perf_counter() - t0,
                                    "procs": procs}))
    if not fts.exists():
        Fts5Index().build(docs, fts)  # the relevance baseline's own table
    if not meta.exists():
        meta.write_text(json.dumps({"rounds": rounds}))
    return ours, fts, json.loads(meta.read_text())["rounds"]


class Fts5:
    """SQLite FTS5 answering as a search page would: a page of 10 with snippets."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)

    def search(self, text: str) -> list:
        words = [w for w, _, _ in tokenize(text.replace('"', " "))]
        if not words:
            return []
        if text.startswith('"'):
            match = '"' + " ".join(words) + '"'
        else:
            match = (" AND " if len(words) <= 4 else " OR ").join(f'"{w}"' for w in words)
        return self.db.execute(
            "SELECT id, title, snippet(d, 3, '<mark>', '</mark>', '…', 40) FROM d WHERE d MATCH ?"
            f" ORDER BY bm25(d, 0, 0, {TITLE_BOOST}, 1.0) LIMIT 10", (match,)).fetchall()


def rss_mb() -> dict[str, float]:
    """This process's resident memory, MiB: all, private (anonymous) and mapped files (the
    postings arrays beside each segment are mapped: the kernel can drop and reread them)."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        for key, name in (("VmRSS:", "rss"), ("RssAnon:", "anon"), ("RssFile:", "file")):
            if line.startswith(key):
                out[name] = round(int(line.split()[1]) / 1024, 1)
    return out


def warm_up_queries(shared: str, timed: set[str], path: Path) -> list[str]:
    """WARM queries of every kind, none of them among the timed ones (frozen in path)."""
    if path.exists():
        return json.loads(path.read_text("utf-8"))
    rng = random.Random(11)
    docs = paragraphs(shared, None)[20_000:40_000]
    out = []
    while len(out) < WARM:
        words = [w for w, _, _ in tokenize(rng.choice(docs).body)]
        n = rng.choice([1, 2, 3, 2])
        i = rng.randrange(max(1, len(words) - n))
        q = " ".join(words[i:i + n])
        if q and q not in timed:
            out.append(q if rng.random() > 0.2 else f'"{q}"')
    path.write_text(json.dumps(out, ensure_ascii=False), "utf-8")
    return out


def measure(ours_path: Path, fts_path: Path, queries: list[dict], warm: list[str]) -> dict:
    """p50/p95 per kind for both engines, alternating which goes first."""
    from search.engine import Engine

    eng = Engine(ours_path, cache_size=0)
    t0 = time.perf_counter()
    eng.warm()  # what a worker does when it starts
    start_ms = (time.perf_counter() - t0) * 1000
    fts = Fts5(fts_path)
    for q in warm:
        eng.search(q), fts.search(q)
    times: dict = {k: {"ours": [], "fts5": []} for k in QUERY_KINDS}
    for i, q in enumerate(queries):
        order = [("ours", eng.search), ("fts5", fts.search)]
        for name, run in order if i % 2 else order[::-1]:
            t = time.perf_counter()
            run(q["query"])
            times[q["kind"]][name].append((time.perf_counter() - t) * 1000)
    out = {"start_ms": round(start_ms, 1), "rss_mb": rss_mb(),
           "array_cache_mb": round(eng.arrays.bytes / 2**20, 1), "kinds": {}}
    times["all"] = {name: [t for kind in QUERY_KINDS for t in times[kind][name]]
                    for name in ("ours", "fts5")}
    for kind, per in times.items():
        if per["ours"]:
            out["kinds"][kind] = {name: {"n": len(v), "p50": pct(sorted(v), 50),
                                         "p95": pct(sorted(v), 95)} for name, v in per.items()}
    return out


def _in_child(ours: Path, fts: Path, timed: list, warm: list) -> dict:
    """measure() in a fresh process, so its RSS is a serving process's, not the builder's."""
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.json"
        job.write_text(json.dumps({"ours": str(ours), "fts": str(fts), "timed": timed,
                                   "warm": warm}, ensure_ascii=False), "utf-8")
        r = subprocess.run([sys.executable, __file__, "--measure", str(job)], check=True,
                           capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--sizes", default="10000,200000")
    ap.add_argument("--cold", action="store_true",
                    help="no warm-up: the first 100 queries (all kinds, mixed) of a fresh engine")
    ap.add_argument("--procs", type=int, default=2, help="writer processes for the builds")
    ap.add_argument("--preload", action="store_true",
                    help="read both engines' files once first, so neither starts from disk")
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--no-json", action="store_true")
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # child: a job file from _in_child
    args = ap.parse_args(argv)
    if args.measure:
        job = json.loads(Path(args.measure).read_text("utf-8"))
        print(json.dumps(measure(Path(job["ours"]), Path(job["fts"]), job["timed"], job["warm"])))
        return
    work = Path(args.work)
    queries = [json.loads(line) for line in latency_queries(
        args.shared, work / "querysets" / "speed-full.jsonl", 100).read_text("utf-8").splitlines()]
    rows, result = [], {"cold": args.cold, "preload": args.preload, "sizes": []}
    for n in [int(x) for x in args.sizes.split(",")]:
        ours, fts, rounds = build(args.shared, n, work, args.procs)
        if args.cold:
            timed, warm = random.Random(2).sample(queries, 100), []
        else:
            timed = queries
            warm = warm_up_queries(args.shared, {q["query"] for q in queries},
                                   work / "querysets" / "latency-warm-up.json")
        if args.preload:
            for f in [fts, *Path(ours).resolve().rglob("*")]:
                if f.is_file():
                    with open(f, "rb") as fh:
                        while fh.read(1 << 24):
                            pass
        r = _in_child(ours, fts, timed, warm)
        result["sizes"].append({"docs": n, "corpus_rounds": rounds, **r})
        for kind, per in r["kinds"].items():
            o, f = per["ours"], per["fts5"]
            rows.append([n, kind, o["n"], o["p50"], o["p95"], f["p50"], f["p95"],
                         round(o["p95"] / f["p95"], 2) if f["p95"] else None,
                         r["rss_mb"]["rss"], r["rss_mb"]["anon"], r["array_cache_mb"]])
        print(f"{n} docs (corpora x{rounds}): start {r['start_ms']} ms, memory {r['rss_mb']} MiB",
              file=sys.stderr)
    text = ("Query latency, ms, " + ("cold: the first 100 queries of a new engine" if args.cold
                                      else f"warm: after {WARM} other queries")
            + (", files read into the page cache first" if args.preload else "")
            + "; ours and FTS5 interleaved query by query, both with snippets\n"
            + table(["docs", "kind", "n", "ours p50", "ours p95", "fts5 p50", "fts5 p95",
                     "p95 ours/fts5", "RSS MiB", "private MiB", "cached arrays MiB"], rows))
    print(text)
    if not args.no_json:
        name = "latency-cold" if args.cold else "latency"
        write_json(name + ("-preloaded" if args.preload else ""), {**result, "tables": text},
                   commit=git_commit())


if __name__ == "__main__":
    main()
