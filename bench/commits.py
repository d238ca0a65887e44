"""Live-ingest commits in one process over a copy of an index: their CPU and wall, the copy
groups' share, and the segment count over many commits.

    python bench/commits.py --index ix200k --commits 1000 --per-commit 10 [--src ../main]

Each commit is what the committer does: a batch journaled (committer.accept), then applied
(committer.apply_pending); with the code's background merges (search/ingest/background.py, if
--src has it) started after each commit as the committer starts them. --src imports `search`
from another checkout, so two versions run the same bench (interleave them). The documents are
paragraphs of ../shared corpora past the first --skip (those a latency.py index holds), under
new ids. --gc raised: the collector's bulk thresholds (collector.BULK) during the commits.
--warm N: the words of N paragraphs learnt first, as a server's committer has learnt them.
"""

import argparse
import gc
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pct(values, p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0.0


def link_copy(src: Path, dst: Path) -> None:
    """A copy of an index whose big files are hard links (segment files are never rewritten);
    files under a MB are copied (the lock, pointers)."""
    def copy(a, b):
        if os.path.getsize(a) >= 1 << 20:
            os.link(a, b)
        else:
            shutil.copy2(a, b)
    shutil.copytree(src, dst, symlinks=True, copy_function=copy)


def run(args) -> dict:
    sys.path.insert(0, str(Path(args.src).resolve()))
    from bench.speed import paragraphs
    from search.ingest import collector, committer, copies, store

    try:
        from search.ingest import background, commit
    except ImportError:  # a checkout before background merges
        background = commit = None
    docs = paragraphs(args.shared, None)[args.skip:]
    spent = {"wall": 0.0, "cpu": 0.0}
    real_write = copies.write

    def timed_write(*a, **k):
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return real_write(*a, **k)
        finally:
            spent["wall"] += time.perf_counter() - t0
            spent["cpu"] += time.thread_time() - c0

    copies.write = timed_write
    gc_time = [0.0, 0]
    started: list[float] = []

    def on_gc(phase, info):
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            gc_time[0] += time.perf_counter() - started.pop()
            gc_time[1] += 1

    gc.callbacks.append(on_gc)
    if args.warm:  # a server's committer after that many documents: a grown vocabulary
        from search.ingest import termids
        from search.text import WORD_RE

        for d in paragraphs(args.shared, None)[:args.warm]:
            vocab = termids.vocabulary(d.lang)
            for word in WORD_RE.findall(f"{d.title} {d.body}"):
                vocab[word]
    root = Path(args.work) / "index"
    committer.prepare(root)  # the committer's searcher, opened before the first commit
    if args.gc == "raised":
        collector.start()
    rows, counts, bg, busy = [], {}, 0, 0
    marks = {1, 10, 50, 100, 250, 500, 750, 1000, 1500, 2000, args.commits}
    for k in range(args.commits):
        batch = docs[k * args.per_commit:(k + 1) * args.per_commit]
        committer.accept(root, [{"id": f"live-{k}-{i}", "title": d.title, "text": d.body,
                                 "lang": d.lang} for i, d in enumerate(batch)])
        spent.update(wall=0.0, cpu=0.0)
        t0, c0 = time.perf_counter(), time.thread_time()  # a wait for the lock counts
        while True:  # as the committer does: again next turn while a merge swaps in
            try:
                committer.apply_pending(root)
                break
            except store.IndexBusy:
                busy += 1
                time.sleep(0.05)
        rows.append((time.perf_counter() - t0, time.thread_time() - c0, spent["wall"],
                     spent["cpu"]))
        path = store.current_path(root)
        if background is not None and args.background:
            bg += background.start(root, commit.sizes_after.get(path))
        if k + 1 in marks:
            toc = store.open_dir(path)._read_toc()
            counts[k + 1] = len(toc.segments)
    if args.gc == "raised":
        collector.end()
    if background is not None and background._child is not None:
        background._child.wait()
    toc = store.open_dir(store.current_path(root))._read_toc()
    ms = lambda i: [r[i] * 1000 for r in rows]  # noqa: E731
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "src": str(args.src), "commits": len(rows), "per_commit": args.per_commit,
        "gc": args.gc,
        **{name: {"p50": round(pct(ms(i), 50), 1), "p95": round(pct(ms(i), 95), 1),
                  "mean": round(sum(ms(i)) / len(rows), 1)}
           for i, name in enumerate(("commit_wall_ms", "commit_cpu_ms", "copies_wall_ms",
                                     "copies_cpu_ms"))},
        "gc_ms_per_commit": round(1000 * gc_time[0] / len(rows), 2), "gc_collections": gc_time[1],
        "segments": counts, "segments_after_background": len(toc.segments),
        "sizes_after": sorted((s.doc_count() for s in toc.segments), reverse=True),
        "background_merges_started": bg, "commits_waited_for_a_swap": busy,
        "children_cpu_s": round(children.ru_utime + children.ru_stime, 1),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, help="an index folder (copied, big files linked)")
    ap.add_argument("--src", default=str(ROOT), help="the checkout whose code commits")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--skip", type=int, default=200_000, help="paragraphs the index holds")
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--per-commit", type=int, default=5)
    ap.add_argument("--background", type=int, default=1, help="0: no background merges")
    ap.add_argument("--gc", choices=("default", "raised"), default="default")
    ap.add_argument("--warm", type=int, default=0, help="paragraphs whose words the committing "
                    "thread learns first, as a long-running server's has")
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args(argv)
    args.work = tempfile.mkdtemp(prefix="bench-commits-", dir=os.environ.get("TMPDIR"))
    try:
        link_copy(Path(args.index), Path(args.work) / "index")
        out = run(args)
        out["load"] = os.getloadavg()
        print(json.dumps(out, ensure_ascii=False), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
