"""The SphinxQL cluster against the embedded engine, in one run, on the same documents.

    python bench/cluster.py --shared ../shared                  # 200k paragraphs, 100 q/kind
    python bench/cluster.py --shared ../shared --quick          # 5k paragraphs, 20 q/kind

Indexing docs/s (our analysis included, 2 processes, both engines), query latency p50/p95 by
kind (the frozen queries of bench/speed.py, interleaved query by query, a page of 10 with
snippets), MRR@10 on the relevance sets (bench/relevance.py), and whether the 2-shard cluster
ranks the relevance queries' top 10 exactly as a 1-shard cluster does (global IDF). Ranking
parity with the embedded engine: the top-10 overlap and identical top-10 lists (against its
collapsed ranking, as both answer, and its uncollapsed one), and how deep in searchd's
candidate order the embedded top 10 stand (--probe), which says how many candidates the
rescoring needs.
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import querysets  # noqa: E402
from bench.engines import Ours  # noqa: E402
from bench.metrics import summarize  # noqa: E402
from bench.relevance import run_queries  # noqa: E402
from bench.report import WORK, git_commit, table, write_json  # noqa: E402
from bench.speed import QUERY_KINDS, WARM_UP, latency_queries, paragraphs, pct, run_child  # noqa: E402
from search.cluster import nodes, ops  # noqa: E402
from search.cluster.backend import ClusterEngine  # noqa: E402
from search.cluster.bulk import load_documents  # noqa: E402
from search.cluster.rescore import CANDIDATES  # noqa: E402
from search.cluster.rows import row_id  # noqa: E402
from search.query.parse import QueryError  # noqa: E402


class Cluster:
    """bench/relevance.py's engine interface over a running cluster (rebuilt per set).

    With probe, each query is asked again with that many candidates, to record searchd's
    candidate order (row ids) deep enough to see where the embedded engine's top 10 stand.
    """

    def __init__(self, url: str, procs: int = 2, candidates: int = CANDIDATES,
                 probe: int = 0, disk_chunks: bool = True):
        self.url, self.procs, self.probe, self.disk_chunks = url, procs, probe, disk_chunks
        self.engine = ClusterEngine(url)
        self.engine.candidates = candidates
        self.probed: dict = {}

    def build(self, docs, path):
        # (as a full rebuild leaves them: a disk chunk per shard, unless kept in RAM chunks)
        self.stats = load_documents(self.url, docs, procs=self.procs,
                                    disk_chunks=self.disk_chunks)

    def search(self, text, lang, k=10, mode=None):
        try:
            ids = [h.id for h in self.engine.search(text, per_page=k, langs=(lang,)).hits]
            if self.probe:
                wanted = self.engine.candidates
                self.engine.candidates = self.probe
                try:
                    self.engine.search(text, per_page=k, langs=(lang,))
                    self.probed[text, lang] = list(self.engine.last_candidates)
                finally:
                    self.engine.candidates = wanted
            return ids
        except QueryError:
            return []

    def close(self):
        pass


class OursAsIs(Ours):
    """The embedded engine without collapsing near-duplicates (the cluster collapses them as
    the embedded engine does: "ours" is the like-for-like comparison)."""

    def search(self, text, lang, k=10, mode="product"):
        if self.engine is None:
            self.open(self.path)
        try:
            return [h.id for h in self.engine.search(text, per_page=k, langs=(lang,),
                                                     collapse=False).hits]
        except QueryError:
            return []


def reused(root: Path, n: int) -> str | None:
    """The URL of the cluster running under root if it holds n documents."""
    if not nodes.running(root):
        return None
    layout = nodes.load_layout(root)
    url = f"sphinxql://{layout.head[0]}:{layout.head[1]}"
    return url if ClusterEngine(url).doc_count() == n else None


def start(root: Path, shards: int, mirrors: int) -> str:
    if (root / nodes.LAYOUT_FILE).exists():
        nodes.stop(root)
    shutil.rmtree(root, ignore_errors=True)
    layout = ops.create(nodes.local_layout(root, shards, mirrors))
    return f"sphinxql://{layout.head[0]}:{layout.head[1]}"


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1000, out


def latency(cluster: ClusterEngine, ours, queries: list[dict]) -> dict:
    """p50/p95 ms per kind for both engines, the two asked the same query one after the other."""
    for q in WARM_UP:
        cluster.search(q), ours.search(q)
    out = {}
    for kind in QUERY_KINDS:
        times = {"cluster": [], "ours": []}
        same = 0
        for q in [q for q in queries if q["kind"] == kind]:
            try:
                tc, rc = timed(cluster.search, q["query"])
                to, ro = timed(ours.search, q["query"])
            except QueryError:
                continue
            times["cluster"].append(tc)
            times["ours"].append(to)
            same += (rc.total, rc.total_collapsed) == (ro.total, ro.total_collapsed)
        out[kind] = {e: {"n": len(t), "p50": pct(sorted(t), 50), "p95": pct(sorted(t), 95)}
                     for e, t in times.items()}
        out[kind]["same_total"] = same
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=100, help="latency queries per kind")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-relevance", action="store_true")
    ap.add_argument("--only-relevance", action="store_true",
                    help="MRR@10 and the 1-shard agreement only (no indexing or latency)")
    ap.add_argument("--reuse-cluster", action="store_true",
                    help="keep the running 2x2 cluster if it holds --docs documents (its load "
                         "figures are read from the file its load wrote)")
    ap.add_argument("--candidates", type=int, default=CANDIDATES,
                    help="searchd's best rescored per query")
    ap.add_argument("--probe", type=int, default=2000,
                    help="candidates asked for to see how deep the embedded top 10 stand "
                         "(0: not measured)")
    ap.add_argument("--ram-chunks", action="store_true",
                    help="relevance: each set's rows kept in the shards' RAM chunks (a full "
                         "rebuild writes them out as disk chunks)")
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--no-json", action="store_true")
    ap.add_argument("--out-name", default="cluster", help="results file name before the date")
    args = ap.parse_args(argv)
    commit = git_commit()
    args.shared = str(Path(args.shared).resolve())
    if args.quick:
        args.docs, args.queries = min(args.docs, 5000), min(args.queries, 20)
    work = Path(args.work) / "cluster"
    result = {"docs": args.docs, "procs": args.procs}
    if args.only_relevance:
        url = start(work / "c2x2", 2, 2)
        try:
            result["relevance"] = relevance(args, work, url)
        finally:
            nodes.stop(work / "c2x2")
        text = render(result)
        print(text)
        if not args.no_json:
            write_json("cluster-relevance", {**result, "table": text}, commit=commit)
        return result

    # Indexing: the cluster in this process, the embedded engine in a child (bench/speed.py).
    loaded = work / f"c2x2-load-{args.docs}.json"
    url = reused(work / "c2x2", args.docs) if args.reuse_cluster and loaded.exists() else None
    if url:
        result["cluster_index"] = {**json.loads(loaded.read_text()), "reused": True}
    else:
        docs = paragraphs(args.shared, args.docs)
        url = start(work / "c2x2", 2, 2)
        stats = load_documents(url, docs, procs=args.procs)
        result["cluster_index"] = {**stats, "docs_s": stats["docs"] / stats["seconds"],
                                   "feed_docs_s": stats["docs"] / stats["feed_seconds"],
                                   "commit": commit}
        loaded.write_text(json.dumps(result["cluster_index"]))
        del docs
    print(f"cluster: {result['cluster_index']}", file=sys.stderr)
    ours_path = work / f"ours-para-{args.docs}"
    shutil.rmtree(ours_path, ignore_errors=True)  # a build killed half-way leaves it behind
    built = run_child("_build", "--dataset", f"para-{args.docs}", "--engine", "ours", "--procs",
                      args.procs, "--path", ours_path, "--shared", args.shared)
    result["ours_index"] = {**built, "docs_s": built["docs"] / built["seconds"]}
    print(f"ours: {result['ours_index']['docs_s']:.0f} docs/s", file=sys.stderr)

    # Latency, interleaved.
    from search.engine import Engine

    qfile = latency_queries(args.shared, Path(args.work) / "querysets" /
                            f"speed-{'quick' if args.quick else 'full'}.jsonl", args.queries)
    queries = [json.loads(x) for x in qfile.read_text("utf-8").splitlines()]
    queries = [q for kind in QUERY_KINDS for q in [q for q in queries
                                                   if q["kind"] == kind][:args.queries]]
    cluster, ours = ClusterEngine(url), Engine(ours_path, cache_size=0)
    result["latency_ms"] = latency(cluster, ours, queries)
    print(f"latency: {result['latency_ms']}", file=sys.stderr)
    ours.close()

    try:
        if not args.skip_relevance:
            result["relevance"] = relevance(args, work, url)
    finally:
        nodes.stop(work / "c2x2")
    text = render(result)
    print(text)
    if not args.no_json:
        path = write_json(f"{args.out_name}-quick" if args.quick else args.out_name,
                          {**result, "table": text}, commit=commit)
        print(f"\nwrote {path}", file=sys.stderr)
    return result


def evaluate(engine, docs, queries, path) -> tuple[dict, list[dict]]:
    """(metrics over every query, the runs) of an engine built from docs."""
    engine.build(docs, path)
    runs = run_queries(engine, queries, "product")
    return summarize([(r["ranked"], set(r["relevant"])) for r in runs], 10), runs


def relevance(args, work: Path, url: str) -> dict:
    """MRR@10 per set for the cluster and ours, and top-10 agreement with a 1-shard cluster."""
    size = "quick" if args.quick else "full"
    qdir = Path(args.work) / ("querysets-quick" if args.quick else "querysets")
    one_url = start(work / "c1x1", 1, 1)
    out = {}
    try:
        for name in querysets.SETS:
            ids, queries, _ = querysets.frozen(name, args.shared, qdir, size)
            docs = querysets.documents(name, args.shared, ids)
            row = {"docs": len(docs), "queries": len(queries)}
            two = Cluster(url, args.procs, args.candidates, args.probe, not args.ram_chunks)
            one = Cluster(one_url, args.procs, args.candidates, 0, not args.ram_chunks)
            metrics, runs = evaluate(two, docs, queries, None)
            row["cluster"] = metrics
            _, runs_one = evaluate(one, docs, queries, None)
            row["same_top10_as_1_shard"] = sum(
                a["ranked"] == b["ranked"] for a, b in zip(runs, runs_one, strict=True))
            row["ours"], runs_ours = evaluate(Ours(), docs, queries,
                                              work / "rel" / name.replace("/", "-"))
            # Top-10 overlap with the embedded engine: documents both put in their first 10.
            common = [len(set(a["ranked"][:10]) & set(b["ranked"][:10]))
                      for a, b in zip(runs, runs_ours, strict=True)]
            row["overlap_top10"] = sum(common) / max(1, len(common))
            # The same as a share of what could be common (a query with 3 results: 3 of 3).
            row["overlap_share"] = sum(common) / max(1, sum(
                min(10, len(b["ranked"])) for b in runs_ours))
            row["same_top10"] = sum(a["ranked"][:10] == b["ranked"][:10]
                                    for a, b in zip(runs, runs_ours, strict=True))
            # The same, against the embedded engine's ranking without collapsing copies.
            as_is = OursAsIs()
            as_is.reuse(work / "rel" / name.replace("/", "-"))
            runs_as_is = run_queries(as_is, queries, "product")
            as_is.close()
            row["ours_as_is"] = summarize([(r["ranked"], set(r["relevant"]))
                                           for r in runs_as_is], 10)
            row["overlap_as_is_share"] = sum(
                len(set(a["ranked"][:10]) & set(b["ranked"][:10]))
                for a, b in zip(runs, runs_as_is, strict=True)) / max(1, sum(
                min(10, len(b["ranked"])) for b in runs_as_is))
            row["overlap_as_is"] = sum(
                len(set(a["ranked"][:10]) & set(b["ranked"][:10]))
                for a, b in zip(runs, runs_as_is, strict=True)) / max(1, len(runs))
            row["same_as_is"] = sum(a["ranked"][:10] == b["ranked"][:10]
                                    for a, b in zip(runs, runs_as_is, strict=True))
            if args.probe:
                row["depth"] = depths(two.probed, queries, runs_ours)
            out[name] = row
            print(f"{name}: cluster MRR {row['cluster']['MRR@10']:.3f}, ours "
                  f"{row['ours']['MRR@10']:.3f}, top-10 overlap {row['overlap_top10']:.1f}/10, "
                  f"same top 10 as 1 shard {row['same_top10_as_1_shard']}/{len(queries)}",
                  file=sys.stderr)
    finally:
        nodes.stop(work / "c1x1")
    return out


DEPTHS = (50, 100, 200, 300, 400, 600, 1000, 2000)


def depths(probed: dict, queries, runs_ours) -> dict:
    """Where the embedded engine's top 10 stand in searchd's candidate order: per depth C,
    the share of those documents within the first C, and the queries with all 10 there."""
    within = dict.fromkeys(DEPTHS, 0)
    whole = dict.fromkeys(DEPTHS, 0)
    docs = 0
    for q, run in zip(queries, runs_ours, strict=True):
        order = probed.get((q["query"], q["lang"]), [])
        at = {rid: i for i, rid in enumerate(order)}
        deepest = [at.get(row_id(d), 10**9) for d in run["ranked"][:10]]
        docs += len(deepest)
        for c in DEPTHS:
            inside = sum(p < c for p in deepest)
            within[c] += inside
            whole[c] += inside == len(deepest)
    return {"docs": docs, "queries": len(queries),
            "recall": {c: within[c] / max(1, docs) for c in DEPTHS},
            "whole_top10": whole}


def render(r) -> str:
    parts = index_tables(r) if "cluster_index" in r else []
    if "relevance" in r:
        parts.append(table(["set", "docs", "queries", "cluster MRR@10", "ours MRR@10",
                            "diff", "top-10 overlap", "same top 10 as ours",
                            "ours uncollapsed MRR@10", "overlap", "same top 10",
                            "same top 10, 1 shard"],
                           [[n, v["docs"], v["queries"], round(v["cluster"]["MRR@10"], 3),
                             round(v["ours"]["MRR@10"], 3),
                             round(v["cluster"]["MRR@10"] - v["ours"]["MRR@10"], 3),
                             f"{v.get('overlap_top10', 0):.1f} ({v.get('overlap_share', 0):.0%})",
                             f"{v.get('same_top10', '-')}/{v['queries']}",
                             round(v["ours_as_is"]["MRR@10"], 3) if "ours_as_is" in v else "-",
                             f"{v.get('overlap_as_is', 0):.1f} "
                             f"({v.get('overlap_as_is_share', 0):.0%})",
                             f"{v.get('same_as_is', '-')}/{v['queries']}",
                             f"{v['same_top10_as_1_shard']}/{v['queries']}"]
                            for n, v in r["relevance"].items()]))
        if any("depth" in v for v in r["relevance"].values()):
            parts.append(table(["set", *(f"top 10 within {c}" for c in DEPTHS)],
                               [[n, *(f"{v['depth']['recall'][c]:.3f} "
                                      f"({v['depth']['whole_top10'][c]}/{v['queries']})"
                                      for c in DEPTHS)]
                                for n, v in r["relevance"].items() if "depth" in v]))
    return "\n\n".join(parts)


def index_tables(r) -> list[str]:
    ci, oi = r["cluster_index"], r["ours_index"]
    parts = [table(["engine", "docs", "wall s", "docs/s"], [
        ["cluster 2x2", ci["docs"], round(ci["seconds"], 1), round(ci["docs_s"])],
        ["  of which feeding", ci["docs"], round(ci["feed_seconds"], 1), round(ci["feed_docs_s"])],
        ["ours (Whoosh)", oi["docs"], round(oi["seconds"], 1), round(oi["docs_s"])],
    ])]
    lat = r["latency_ms"]
    parts.append(table(["kind", "cluster p50", "cluster p95", "ours p50", "ours p95",
                        "same totals (with copies shown once)"],
                       [[k, v["cluster"]["p50"], v["cluster"]["p95"], v["ours"]["p50"],
                         v["ours"]["p95"], f"{v['same_total']}/{v['cluster']['n']}"]
                        for k, v in lat.items()]))
    return parts


if __name__ == "__main__":
    main()
