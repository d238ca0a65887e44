"""Segment merging and stored near-duplicate groups, measured on an existing index.

    python bench/merge.py merge --index DIR    # segments and search latency before/after a
                                               # merge by the policy; the merge's CPU and RSS
    python bench/merge.py copies --index DIR   # the first search after a commit, with the
                                               # groups stored by the commit or computed
    python bench/merge.py synthetic --docs 200000 --out DIR   # short documents with random
                                               # signatures, 1 % copies, for `copies`

DIR is a generation folder's parent (an index folder); it is copied, never changed. Build one
with many segments by indexing with the policy off (MERGE_FACTOR huge), e.g. ru-20000.jsonl.gz
from bench/indexing.py. Variants run interleaved, on a shared and noisy machine.
"""

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import WORK  # noqa: E402
from bench.speed import cpu_seconds, pct, peak_rss_mb, run_child  # noqa: E402

QUERIES = ["путин", "выборы президента", "экономика России", "нефть", "санкции против России",
           "Сирия", "футбол", "Москва", "Украина", "переговоры", "курс рубля", "Трамп",
           "министр обороны", "газ", "суд", "коронавирус", "Китай", "бюджет", "полиция", "НАТО"]


def _copy(index: Path, to: Path) -> Path:
    if to.exists():
        shutil.rmtree(to)
    shutil.copytree(index, to, symlinks=True)
    return to


def child_merge(path: str) -> None:
    """In a fresh process: merge the index by the policy; print what it took."""
    from search.ingest import merge, store

    ix = store.open_current(path, create=False)
    before = len(ix._read_toc().segments)
    t0, c0 = time.perf_counter(), cpu_seconds()
    after = merge.merge_index(ix)
    print(json.dumps({"segments_before": before, "segments_after": after,
                      "cpu_s": round(cpu_seconds() - c0, 1),
                      "seconds": round(time.perf_counter() - t0, 1), "rss_mb": peak_rss_mb()}))


def _latency(engines: dict, rounds: int) -> dict:
    times = {name: [] for name in engines}
    for _ in range(rounds):
        for q in QUERIES:
            for name, eng in engines.items():  # interleaved
                t0 = time.perf_counter()
                eng.search(q, per_page=10)
                times[name].append((time.perf_counter() - t0) * 1000)
    return {name: {"p50_ms": round(statistics.median(t), 1), "p95_ms": round(pct(sorted(t), 95), 1),
                   "mean_ms": round(statistics.fmean(t), 1)} for name, t in times.items()}


def bench_merge(args) -> dict:
    from search.engine import Engine

    work = Path(args.work) / "merge"
    before = _copy(Path(args.index), work / "before")
    after = _copy(Path(args.index), work / "after")
    merged = run_child("_merge", str(after), script=__file__)
    engines = {"before": Engine(before, cache_size=0), "after": Engine(after, cache_size=0)}
    for eng in engines.values():  # opened and warmed outside the clock
        eng.warm()
        for q in QUERIES:
            eng.search(q)
    out = {"merge": merged, "docs": engines["after"].doc_count(),
           "segments": {k: e.stats()["segments"] for k, e in engines.items()},
           "latency": _latency(engines, args.rounds)}
    for eng in engines.values():
        eng.close()
    return out


def bench_copies(args) -> dict:
    """Commit one document at a time; time the commit and the first search after it, with the
    groups stored by the commit, or (every other commit) its file removed, as before."""
    from search.engine import Engine
    from search.ingest import store
    from search.ingest.documents import Document
    from search.ingest.indexer import document_fields

    root = _copy(Path(args.index), Path(args.work) / "copies")
    eng = Engine(root, cache_size=0)
    eng.warm()
    eng.search("путин")
    out = {"stored": {"commit_ms": [], "first_ms": []}, "computed": {"commit_ms": [],
                                                                     "first_ms": []},
           "prime": {"commit_ms": [], "first_ms": []}}
    # The first commit on an index without stored groups links every segment (once).
    for i in range(args.commits * 2 + 1):
        variant = "prime" if i == 0 else "stored" if i % 2 else "computed"
        ix = store.open_current(root, create=False)
        t0 = time.perf_counter()
        w = ix.writer()
        w.add_document(**document_fields(Document(
            id=f"bench-{i}", title="Новость", body="Путин и выборы президента. " * 20,
            lang="ru"), "bench", "sig"))
        w.commit(merge=False)
        out[variant]["commit_ms"].append((time.perf_counter() - t0) * 1000)
        stored = store.current_path(root) / f".copies-{ix.latest_generation()}"
        held = stored.with_name(".held")
        if variant == "computed":  # as before: the first search groups the copies itself
            stored.rename(held)
        t0 = time.perf_counter()
        eng.search(f"путин {i}")
        out[variant]["first_ms"].append((time.perf_counter() - t0) * 1000)
        if variant == "computed":  # back, for the next commit to start from
            held.rename(stored)
    out["docs"] = eng.doc_count()
    eng.close()
    return {k: ({m: {"p50": round(statistics.median(v), 1), "max": round(max(v), 1)}
                 for m, v in d.items()} if isinstance(d, dict) else d) for k, d in out.items()}


def build_synthetic(args) -> dict:
    """An index of short documents with MinHash signatures drawn at random, 1 % of them
    lightly edited copies of another (as issue 18 measured the groups at 200,000)."""
    import numpy as np

    from search.ingest import dedup, store
    from search.ingest.bulk import BulkWriter
    from search.ingest.documents import Document
    from search.ingest.indexer import document_fields

    rng = np.random.default_rng(16)
    vocab = [w for q in QUERIES for w in q.split()] + [f"новость{k}" for k in range(2000)]
    root = Path(args.out)
    store.switch(root, store.new_generation(root))
    t0 = time.perf_counter()
    sigs = rng.integers(0, 2**32, (args.docs, dedup.PERMS), dtype=np.uint64).astype("<u4")
    copies = rng.choice(args.docs, args.docs // 100, replace=False)
    for c in copies.tolist():
        sigs[c] = sigs[rng.integers(args.docs)]
        sigs[c, rng.choice(dedup.PERMS, dedup.PERMS // 10, replace=False)] = rng.integers(0, 2**32)
    with BulkWriter(store.open_current(root)) as w:
        for i in range(args.docs):
            body = " ".join(vocab[k] for k in rng.integers(0, len(vocab), 15).tolist())
            fields = document_fields(Document(id=f"s{i}", title="", body=body, lang="ru"),
                                     "synthetic", "sig")
            fields[dedup.FIELD] = sigs[i].tobytes()
            w.add_document(**fields)
    return {"docs": args.docs, "seconds": round(time.perf_counter() - t0, 1)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mode", choices=["merge", "copies", "synthetic", "_merge"])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--out")
    ap.add_argument("index", nargs="?")
    ap.add_argument("--index", dest="index_opt")
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--commits", type=int, default=10)
    args = ap.parse_args(argv)
    args.index = args.index_opt or args.index
    if args.mode == "_merge":
        child_merge(args.index)
        return
    run = {"merge": bench_merge, "copies": bench_copies, "synthetic": build_synthetic}
    result = run[args.mode](args)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
