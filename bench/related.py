"""Related articles (more like this) and near-duplicate clustering, timed on a built index.

    python bench/related.py --index bench/work/latency/ours-200000   # built by bench/latency.py

Related articles are timed interleaved with an ordinary two-word search on the same engine
(both uncached), so the ratio holds on a noisy machine. Clustering is what the first search
after a commit pays: labels for every document from their MinHash signatures (random ones
here, 1% of them copies, so the cost does not depend on the corpus).
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.report import WORK  # noqa: E402
from search.engine import Engine  # noqa: E402
from search.ingest import dedup  # noqa: E402


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(p * len(values)))]


def time_related(index: Path, n: int, seed: int) -> dict:
    engine = Engine(index, cache_size=0)
    s = engine.searcher()
    size = s.doc_count_all()
    rng = random.Random(seed)
    docnums = [d for d in rng.sample(range(size), min(size, n * 2)) if not s.reader().is_deleted(d)]
    ids = [s.stored_fields(d)["id"] for d in docnums[:n]]
    queries = []
    for doc_id in ids:  # an ordinary query: two of the document's words
        words = [w for w in engine.document(doc_id)["body"].split() if w.isalpha()]
        queries.append(" ".join(words[:2]) or "новини")
    for doc_id in ids[:10]:  # warm: arrays mapped, dictionaries loaded
        engine.related(doc_id)
    related, search = [], []
    for doc_id, q in zip(ids, queries, strict=True):
        related.append(_ms(lambda d=doc_id: engine.related(d, 5)))
        search.append(_ms(lambda q=q: engine.search(q)))
    return {"documents": size, "runs": len(ids),
            "related_p50": statistics.median(related), "related_p95": pct(related, .95),
            "search_p50": statistics.median(search), "search_p95": pct(search, .95)}


def time_clusters(n: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 2**32, (n, dedup.PERMS), dtype=np.uint32)
    copies = n // 100
    sigs[n // 2:n // 2 + copies] = sigs[:copies]
    has = np.ones(n, bool)
    dedup.clusters(sigs, has)
    return statistics.median(_ms(lambda: dedup.clusters(sigs, has)) for _ in range(3))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--index", default=str(WORK / "latency" / "ours-200000"))
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args(argv)
    r = time_related(Path(args.index), args.runs, args.seed)
    print(f"{r['documents']:,} documents, {r['runs']} documents' related articles, uncached")
    print(f"  related (5):        p50 {r['related_p50']:6.1f} ms   p95 {r['related_p95']:6.1f} ms")
    print(f"  two-word search:    p50 {r['search_p50']:6.1f} ms   p95 {r['search_p95']:6.1f} ms")
    print(f"  ratio related/search at p50: {r['related_p50'] / r['search_p50']:.2f}")
    ms = time_clusters(r["documents"], args.seed)
    print(f"  near-duplicate labels for {r['documents']:,} documents: {ms:.0f} ms")


if __name__ == "__main__":
    main()
