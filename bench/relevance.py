"""Relevance evaluation: MRR@10, Recall@10, nDCG@10 of ours and baselines on frozen query sets."""

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import querysets  # noqa: E402
from bench.engines import (  # noqa: E402
    Fts5,
    Ours,
    Tantivy,
    WhooshBaseline,
    ours_variant,
    snowball_lang,
)
from bench.metrics import summarize  # noqa: E402
from bench.pg import Cluster, Postgres  # noqa: E402
from bench.report import WORK, git_commit, table, write_json  # noqa: E402

ENGINES = ("ours", "whoosh-std", "whoosh-stem", "sqlite-fts5", "postgres", "tantivy-lemmas")
METRICS = ("MRR@10", "R@10", "nDCG@10")


def make_engine(name, cluster):
    if name.startswith("ours+"):
        return ours_variant(name)
    return {"ours": Ours, "whoosh-std": WhooshBaseline,
            "whoosh-stem": lambda: WhooshBaseline(stem=True), "sqlite-fts5": Fts5,
            "tantivy-lemmas": Tantivy, "postgres": lambda: Postgres(cluster)}[name]()


def evaluate(engine, docs, queries, path, k=10):
    """Index docs, run queries; (metrics, per-query runs, seconds to index, seconds to query)."""
    t0 = time.perf_counter()
    engine.build(docs, path)
    t1 = time.perf_counter()
    runs = []
    for q in queries:
        runs.append({"qid": q["qid"], "query": q["query"],
                     "ranked": engine.search(q["query"], q["lang"], k),
                     "relevant": q["relevant"]})
    t2 = time.perf_counter()
    engine.close()
    metrics = summarize([(r["ranked"], set(r["relevant"])) for r in runs], k)
    return metrics, runs, t1 - t0, t2 - t1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default="../shared", help="folder holding corpora/")
    ap.add_argument("--sets", default=",".join(querysets.SETS))
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help=f"comma list of {', '.join(ENGINES)} and experiments: "
                    "ours+or-fill, ours+idf-fts5, ours+idf-lucene and their combinations")
    ap.add_argument("--quick", action="store_true", help="small sets (bench/work/querysets-quick)")
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = ap.parse_args(argv)
    commit = git_commit()  # the code this run imported, not whatever is checked out at the end
    size = "quick" if args.quick else "full"
    work = Path(args.work)
    qdir = work / ("querysets-quick" if args.quick else "querysets")
    sets = [s for s in args.sets.split(",") if s]
    engines = [e for e in args.engines.split(",") if e]

    # Freeze every query set before any engine runs.
    frozen = {name: querysets.frozen(name, args.shared, qdir, size) for name in sets}

    cluster, pg_error = None, None
    if "postgres" in engines:
        cluster = Cluster(work / "pg")
        pg_error = cluster.start()
        if pg_error:
            print(f"postgres: n/a ({pg_error})", file=sys.stderr)
    results, built = {}, {}
    try:
        for name in sets:
            ids, queries, digest = frozen[name]
            docs = querysets.documents(name, args.shared, ids)
            lang = name.split("/")[1]
            results[name] = {"docs": len(docs), "queries": len(queries), "sha256": digest,
                             "engines": {}}
            print(f"{name}: {len(docs)} docs, {len(queries)} queries", file=sys.stderr)
            for ename in engines:
                if ename == "postgres" and pg_error:
                    results[name]["engines"][ename] = {"n/a": pg_error}
                    continue
                engine = make_engine(ename, cluster)
                path = work / "relevance" / size / ename / name.replace("/", "-")
                if ename.startswith("ours+") and "ours" in built.get(name, ()):
                    path = built[name]["ours"]  # experiments search the product's own index
                    engine.build = lambda docs, p: None
                    engine.path = path
                metrics, runs, t_index, t_query = evaluate(engine, docs, queries, path)
                if ename == "ours":
                    built.setdefault(name, {})["ours"] = path
                note = None
                if ename == "whoosh-stem" and not snowball_lang(lang):
                    note = "no Snowball stemmer for this language: unstemmed"
                if ename == "postgres":
                    note = f"'{ 'russian' if lang == 'ru' else 'simple'}' configuration"
                results[name]["engines"][ename] = {**metrics, "index_s": round(t_index, 2),
                                                   "query_s": round(t_query, 2), "note": note}
                runs_path = work / "runs" / size / f"{name.replace('/', '-')}.{ename}.jsonl"
                runs_path.parent.mkdir(parents=True, exist_ok=True)
                runs_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                             for r in runs), encoding="utf-8")
                print(f"  {ename:15} " + " ".join(f"{m}={metrics[m]:.3f}" for m in METRICS)
                      + f"  (index {t_index:.1f}s, queries {t_query:.1f}s)", file=sys.stderr)
    finally:
        if cluster is not None:
            cluster.stop()

    text = render(results, engines)
    print(text)
    if not args.no_json:
        path = write_json("relevance-quick" if args.quick else "relevance",
                          {"size": size, "k": 10, "sets": results, "table": text},
                          commit=commit)
        print(f"\nwrote {path}", file=sys.stderr)
    return results


def render(results, engines) -> str:
    """One table: rows set/lang, one column per engine holding MRR@10 / Recall@10 / nDCG@10."""
    header = ["set", "docs", "queries"] + list(engines)
    rows = []
    for name, res in results.items():
        row = [name, res["docs"], res["queries"]]
        for e in engines:
            r = res["engines"].get(e, {})
            row.append(" / ".join(f"{r[m]:.3f}" for m in METRICS) if METRICS[0] in r else "n/a")
        rows.append(row)
    return "cells: MRR@10 / Recall@10 / nDCG@10\n" + table(header, rows)


if __name__ == "__main__":
    main()
