"""The cluster under faults, timed, on news articles: a fault table (what was killed, when, what
happened) and how long catch-up took, on a loopback cluster of 2 shards × 2 mirrors and 2 heads.

    python bench/cluster_faults.py --shared ../shared [--docs 2000]

Each row kills something (a mirror before a run, a mirror during one, a head, both mirrors of
a shard, the feeder itself), says what the next runs, searches and `/healthz` saw, and checks
that the mirrors of every shard end with the same documents. tests/test_cluster_faults.py
checks the same on tiny data; this measures it at a size where a run takes seconds.
"""

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import ru_articles  # noqa: E402
from bench.report import table  # noqa: E402
from bench.speed import pct  # noqa: E402
from search.cluster import journal, nodes, ops, writer  # noqa: E402
from search.cluster.backend import ClusterEngine  # noqa: E402
from search.cluster.feed import reindex  # noqa: E402
from web import create_app  # noqa: E402

QUERY = "россия"


def write(path: Path, articles: list[dict]) -> int:
    """A JSON-lines file of articles as the reindex command reads them; how many."""
    with path.open("w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps({"id": a["id"], "lang": "ru", "title": a.get("title", ""),
                                "text": a["text"], "url": a.get("url", "")},
                               ensure_ascii=False) + "\n")
    return len(articles)


def mirrors_equal(root) -> str:
    """Each shard's mirrors' document counts, and whether they agree."""
    counts: dict = {}
    for n in ops.status(root)["nodes"]:
        if n["role"] == "mirror" and n["serves"]:
            counts.setdefault(n["shard"], []).append(n["docs"])
    same = all(len(set(c)) == 1 and None not in c for c in counts.values())
    return ("equal " if same else "DIFFER ") + " | ".join(
        "/".join(str(d) for d in c) for _, c in sorted(counts.items()))


def searched(url: str, n: int = 20) -> tuple[int, bool, float]:
    """(results, partial, p50 ms over n searches) of QUERY."""
    eng = ClusterEngine(url)
    try:
        times, res = [], None
        for _ in range(n):
            t0 = time.perf_counter()
            res = eng.search(QUERY, per_page=10)
            times.append((time.perf_counter() - t0) * 1000)
        return res.total, res.partial, pct(sorted(times), 50)
    finally:
        eng.close()


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def kill_when_applied(root, node: str, batches: int, kill, over) -> threading.Thread:
    """A thread that calls kill() once node has applied `batches` more journal entries, or
    gives up when over() is true."""
    start = journal.applied(root, node)

    def watch():
        while not over():
            if journal.applied(root, node) >= start + batches:
                kill()
                return
            time.sleep(0.005)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def restarted(root) -> str:
    """`start` timed: which nodes it restarted, and in how long (mirrors' catch-up included)."""
    took, (_, started) = timed(ops.start, root)
    return f"`start` restarted {sorted(started)} in {took:.1f} s (catch-up included)"


def documents(root) -> int:
    """The documents the cluster's live generation holds, as its first head counts them."""
    return next(n["docs"] for n in ops.status(root)["nodes"] if n["role"] == "head")


def _feed(url: str, src: str, batch_bytes: int) -> None:  # a feeder process, to be killed
    writer.BATCH_BYTES = batch_bytes
    reindex(url, [src])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--docs", type=int, default=2000, help="articles a run writes (4 runs)")
    ap.add_argument("--after", type=int, default=3, help="batches applied before a kill")
    ap.add_argument("--batch-bytes", type=int, default=writer.BATCH_BYTES,
                    help="the feeder's statement size (smaller: more batches to kill between)")
    args = ap.parse_args(argv)
    writer.BATCH_BYTES = args.batch_bytes
    articles = ru_articles(args.shared)
    need = 4 * args.docs
    if len(articles) < need:
        sys.exit(f"{len(articles)} articles in {args.shared}: {need} needed")
    work = Path(tempfile.mkdtemp(prefix="cluster-faults-"))
    root, src = work / "cluster", work / "src"
    src.mkdir()
    rows = []
    layout, _ = ops.start(root, shards=2, mirrors=2, heads=2)
    url = ops.url_of(layout)
    print(f"load average {os.getloadavg()[0]:.1f}; cluster in {root}", file=sys.stderr)
    try:
        chunk = lambda k: articles[k * args.docs:(k + 1) * args.docs]  # noqa: E731
        written = write(src / "a.jsonl", chunk(0))
        took, summary = timed(reindex, url, [src], full=True)
        rows.append(["nothing (a full build)", f"{summary.documents} of {written} written in "
                     f"{took:.1f} s", mirrors_equal(root)])

        nodes.kill_node(root, "shard0m0")
        write(src / "b.jsonl", chunk(1))
        took, summary = timed(reindex, url, [src])
        total, partial, ms = searched(url)
        rows.append(["mirror shard0m0, before a run",
                     f"run wrote {summary.documents} in {took:.1f} s, lagging "
                     f"{summary.lagging}; search {total} results, partial {partial}, p50 "
                     f"{ms:.0f} ms; {restarted(root)}", mirrors_equal(root)])

        write(src / "c.jsonl", chunk(2))
        over = threading.Event()
        killer = kill_when_applied(root, "shard1m1", args.after,
                                   lambda: nodes.kill_node(root, "shard1m1"), over.is_set)
        took, summary = timed(reindex, url, [src])
        over.set()
        killer.join()
        down = nodes.node_pid(root, "shard1m1") is None
        rows.append([f"mirror shard1m1, {args.after} batches into a run",
                     f"killed: {down}; run wrote {summary.documents} in {took:.1f} s, lagging "
                     f"{summary.lagging}; {restarted(root)}", mirrors_equal(root)])

        nodes.kill_node(root, "head")
        total, partial, ms = searched(url)
        rows.append(["the first head",
                     f"search through the second: {total} results, partial {partial}, p50 "
                     f"{ms:.0f} ms; {restarted(root)}", mirrors_equal(root)])

        client = create_app({"SEARCH_BACKEND": url, "TESTING": True}).test_client()
        nodes.kill_node(root, "shard1m0")
        nodes.kill_node(root, "shard1m1")
        health = client.get("/healthz")
        total, partial, ms = searched(url)
        rows.append(["both mirrors of shard 1",
                     f"/healthz {health.status_code} ({health.get_json().get('message')}); "
                     f"search {total} results, partial {partial}, p50 {ms:.0f} ms; "
                     f"{restarted(root)}; /healthz after: "
                     f"{client.get('/healthz').status_code}", mirrors_equal(root)])

        written = write(src / "d.jsonl", chunk(3))
        before = documents(root)
        feeder = multiprocessing.get_context("spawn").Process(
            target=_feed, args=(url, str(src), args.batch_bytes))
        killer = kill_when_applied(root, "shard0m1", args.after, feeder.kill,
                                   lambda: feeder.exitcode is not None)
        feeder.start()
        killer.join()
        feeder.join()
        landed = documents(root) - before
        took, summary = timed(reindex, url, [src])
        rows.append([f"the feeder, {args.after} batches into a run",
                     f"{landed} of {written} had landed; the next run rewrote "
                     f"{summary.updated} file(s), {summary.documents} documents, in "
                     f"{took:.1f} s; {documents(root) - before} more documents",
                     mirrors_equal(root)])
    finally:
        nodes.stop(root)
    print(f"load average {os.getloadavg()[0]:.1f} at the end; {args.docs} articles a run")
    print(table(["killed", "what happened", "mirrors of each shard (documents)"], rows))


if __name__ == "__main__":
    main()
