"""Cluster search latency, interleaved query by query: the embedded engine, another git
revision's cluster code (default: main) and this checkout's, in one process, on the same
documents (a running cluster and an embedded index of them, as bench/cluster.py builds).

    python bench/cluster_ab.py --url sphinxql://127.0.0.1:9306 --index DIR/ours-para-50000
    python bench/cluster_ab.py --build 50000 --work DIR   # builds the clusters and index first

With --build, each cluster code reads a cluster its own loader filled (--ref-url: the other
one's), as each would lay its data out.

Each query is asked of every engine in turn, the order rotated from one query to the next;
p50/p95 per kind (the frozen queries of bench/speed.py, a page of 10 with snippets), each
cluster's p95 over the embedded engine's, on how many queries the two clusters' pages
(ids and scores), totals and facets agree, and each cluster's top-10 overlap with the
embedded engine's (documents both show on the page, of what could be common). Prints the
load average at the start and end.
"""

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import ROOT, WORK, table  # noqa: E402
from bench.speed import QUERY_KINDS, WARM_UP, latency_queries, pct  # noqa: E402
from search.query.parse import QueryError  # noqa: E402


def other_cluster(ref: str, into: Path):
    """The ClusterEngine class of git revision ref's search/cluster, loaded as a package of
    its own (its imports of search.cluster pointed at it); the rest of search/ is this one's."""
    name = "cluster_" + re.sub(r"\W", "_", ref)
    pkg = into / name
    pkg.mkdir(parents=True, exist_ok=True)
    files = subprocess.run(["git", "ls-tree", "--name-only", ref, "search/cluster/"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if not f.endswith(".py"):
            continue
        text = subprocess.run(["git", "show", f"{ref}:{f}"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout
        (pkg / Path(f).name).write_text(text.replace("search.cluster", name), "utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module(f"{name}.backend").ClusterEngine


def build(args, Other) -> None:
    """Two 2x2 clusters of the same paragraphs, each filled by its own code's loader (this
    checkout's, and the other revision's for --ref-url), and an embedded index of them."""
    from bench.cluster import start
    from bench.speed import paragraphs, run_child
    from search.cluster.bulk import load_documents

    work = Path(args.work)
    docs = paragraphs(args.shared, args.build)
    other_bulk = importlib.import_module(Other.__module__.replace(".backend", ".bulk"))
    for name, load in (("c2x2", load_documents), ("c2x2-ref", other_bulk.load_documents)):
        url = start(work / name, 2, 2)
        print(f"{name} {url}: {load(url, docs, procs=2)}", file=sys.stderr)
        if name == "c2x2":
            args.url = url
        else:
            args.ref_url = url
    del docs
    args.index = str(work / f"ours-para-{args.build}")
    if not Path(args.index).exists():
        run_child("_build", "--dataset", f"para-{args.build}", "--engine", "ours", "--procs",
                  2, "--path", args.index, "--shared", args.shared,
                  script=str(ROOT / "bench" / "speed.py"))


def answer(res) -> tuple:
    """What two clusters must agree on: the page (ids, scores to 1e-4), totals, facets."""
    return ([(h.id, round(h.score, 4)) for h in res.hits], res.total, res.all_words,
            res.total_collapsed, json.dumps(getattr(res, "facets", None), sort_keys=True))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", help="the running cluster's head")
    ap.add_argument("--ref-url", help="the other revision's cluster (default: --url)")
    ap.add_argument("--index", help="the embedded index of the same documents")
    ap.add_argument("--build", type=int, default=0, help="build both with this many first")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--work", default=str(WORK / "cluster"))
    ap.add_argument("--ref", default="main", help="the other cluster code's git revision")
    ap.add_argument("--queries", type=int, default=100, help="per kind")
    ap.add_argument("--rounds", type=int, default=1, help="times each query is asked")
    ap.add_argument("--no-direct", action="store_true",
                    help="also this checkout with its statements through the head only")
    ap.add_argument("--candidates", type=int, default=0,
                    help="also this checkout with this many candidates rescored")
    ap.add_argument("--rich-work", type=int, default=None,
                    help="also this checkout with this many JSON cells at most read with the "
                         "candidates (reads.RICH_WORK)")
    args = ap.parse_args(argv)
    Other = other_cluster(args.ref, Path(tempfile.mkdtemp(prefix="cluster-ab-")))
    if args.build:
        build(args, Other)
    from search.cluster.backend import ClusterEngine
    from search.engine import Engine

    qfile = latency_queries(args.shared, Path(args.work) / "speed-full.jsonl", 100)
    queries = [json.loads(x) for x in qfile.read_text("utf-8").splitlines()]
    queries = [q for kind in QUERY_KINDS
               for q in [q for q in queries if q["kind"] == kind][:args.queries]]
    engines = {"embedded": Engine(args.index, cache_size=0),
               args.ref: Other(args.ref_url or args.url),
               "branch": ClusterEngine(args.url)}
    if args.no_direct:
        engines["branch, head only"] = ClusterEngine(args.url)
        engines["branch, head only"].routes.direct = False
    if args.candidates:
        engines[f"branch, {args.candidates}"] = ClusterEngine(args.url)
        engines[f"branch, {args.candidates}"].candidates = args.candidates
    if args.rich_work is not None:
        engines[f"branch, rich {args.rich_work}"] = ClusterEngine(args.url)
        engines[f"branch, rich {args.rich_work}"].rich_work = args.rich_work
    for q in WARM_UP:
        for e in engines.values():
            e.search(q)
    load = [os.getloadavg()[0]]
    times = {(k, e): [] for k in QUERY_KINDS for e in engines}
    same = dict.fromkeys(QUERY_KINDS, 0)
    asked = dict.fromkeys(QUERY_KINDS, 0)
    common = {(k, e): [0, 0] for k in QUERY_KINDS for e in engines}  # (both show, could)
    names = list(engines)
    turn = 0
    for _ in range(args.rounds):
        for q in queries:
            turn += 1
            order = names[turn % len(names):] + names[:turn % len(names)]
            got = {}
            try:
                for name in order:
                    t0 = time.perf_counter()
                    got[name] = engines[name].search(q["query"])
                    times[q["kind"], name].append((time.perf_counter() - t0) * 1000)
            except QueryError:
                continue
            asked[q["kind"]] += 1
            same[q["kind"]] += answer(got[args.ref]) == answer(got["branch"])
            theirs = {h.id for h in got["embedded"].hits}
            for name in names[1:]:
                common[q["kind"], name][0] += len(theirs & {h.id for h in got[name].hits})
                common[q["kind"], name][1] += len(theirs)
    load.append(os.getloadavg()[0])
    for e in engines.values():
        e.close() if hasattr(e, "close") else None
    rows = []
    for k in QUERY_KINDS:
        p = {e: (pct(sorted(times[k, e]), 50), pct(sorted(times[k, e]), 95)) for e in names}
        emb = p["embedded"][1] or 1
        rows.append([k, *(f"{p[e][0]:.1f} / {p[e][1]:.1f}" for e in names),
                     *(f"{p[e][1] / emb:.1f}x" for e in names[1:]),
                     f"{p['branch'][1] / (p[args.ref][1] or 1):.2f}",
                     f"{same[k]}/{asked[k]}",
                     *(f"{common[k, e][0] / max(1, common[k, e][1]):.1%}" for e in names[1:])])
    print(f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end; "
          f"{args.rounds} round(s) of {args.queries} queries per kind; ms")
    print(table(["kind", *(f"{e} p50 / p95" for e in names),
                 *(f"p95 {e} / embedded" for e in names[1:]), f"p95 branch / {args.ref}",
                 f"same answers as {args.ref}",
                 *(f"top 10 of embedded, {e}" for e in names[1:])], rows))
    return times


if __name__ == "__main__":
    main()
