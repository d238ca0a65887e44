"""Relevance evaluation: MRR@10, Recall@10, nDCG@10 of ours and baselines on frozen query sets."""

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import querysets  # noqa: E402
from bench.engines import Fts5, Ours, Tantivy, WhooshBaseline, snowball_lang  # noqa: E402
from bench.metrics import summarize  # noqa: E402
from bench.pg import Cluster, Postgres  # noqa: E402
from bench.report import RESULTS, WORK, git_commit, table, today, write_json  # noqa: E402
from search.engine.policy import DEFAULT, Policy  # noqa: E402
from search.query import parse as query_module  # noqa: E402

ENGINES = ("ours", "whoosh-std", "whoosh-stem", "sqlite-fts5", "postgres", "tantivy-lemmas")
METRICS = ("MRR@10", "R@10", "nDCG@10")
TUNE, TEST = querysets.HALVES
# Query-side weights that live in search/query/parse.py, not in the Policy: settable the same way.
QUERY_KNOBS = {k: getattr(query_module, k) for k in ("READING_BOOST", "VARIANT_BOOST")}


def parse_values(spec: str) -> dict:
    """'k1=1.5,pair_weight=1' as typed values of Policy fields (or of QUERY_KNOBS)."""
    types = {f: type(getattr(DEFAULT, f)) for f in Policy.__dataclass_fields__}
    types.update({k: float for k in QUERY_KNOBS})
    out = {}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        if key.strip() not in types:
            raise SystemExit(f"unknown policy knob {key!r}: one of {', '.join(types)}")
        out[key.strip()] = types[key.strip()](value)
    return out


def grid(spec: str) -> list[dict]:
    """'k1=1.2|1.5;b=0.5|0.75' as every combination of the values."""
    combos = [{}]
    for item in filter(None, spec.split(";")):
        key, _, values = item.partition("=")
        combos = [{**c, **parse_values(f"{key}={v}")} for c in combos for v in values.split("|")]
    return combos


def use_policy(values: dict) -> Policy:
    """The Policy with these values; query-side knobs are set on search.query.parse (else reset)."""
    for k, default in QUERY_KNOBS.items():
        setattr(query_module, k, values.get(k, default))
    return replace(DEFAULT, **{k: v for k, v in values.items() if k not in QUERY_KNOBS})


def make_engine(name, cluster):
    return {"ours": Ours, "ours-notitle": Ours, "whoosh-std": WhooshBaseline,
            "whoosh-stem": lambda: WhooshBaseline(stem=True), "sqlite-fts5": Fts5,
            "tantivy-lemmas": Tantivy, "postgres": lambda: Postgres(cluster)}[name]()


def prepare(engine, path, digest, load_docs, rebuild=False) -> tuple[float, bool]:
    """Build engine's index at path, or reuse the one built for the same set and code.

    Returns (seconds spent, True if reused). The stamp beside the index names the set's hash
    and the engine's cache key; it is removed before a build so a killed build is never reused.
    """
    stamp = path.with_name(path.name + ".stamp")
    want = {"sha256": digest, "key": engine.cache_key()}
    t0 = time.perf_counter()
    if not rebuild and stamp.exists() and json.loads(stamp.read_text()) == want \
            and engine.reuse(path):
        return time.perf_counter() - t0, True
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    engine.build(load_docs(), path)
    stamp.write_text(json.dumps(want))
    return time.perf_counter() - t0, False


def run_queries(engine, queries, mode, k=10) -> list[dict]:
    """Every query's ranked ids under one mode, with its judgments and half."""
    return [{"qid": q["qid"], "half": querysets.half(q["qid"]), "query": q["query"],
             "ranked": engine.search(q["query"], q["lang"], k, mode=mode),
             "relevant": q["relevant"]} for q in queries]


def by_half(runs, k=10) -> dict[str, dict]:
    """Metrics of the tuning half, the test half and all queries."""
    out = {}
    for name in (TUNE, TEST, "all"):
        part = [r for r in runs if name in ("all", r["half"])]
        out[name] = {m: round(v, 4) for m, v in
                     summarize([(r["ranked"], set(r["relevant"])) for r in part], k).items()}
        out[name]["n"] = len(part)
    return out


def evaluate(engine, queries, save) -> dict:
    """Every mode of an engine on one set; the best mode is chosen on the tuning half only."""
    modes, t0 = {}, time.perf_counter()
    for mode in engine.modes:
        runs = run_queries(engine, queries, mode)
        save(mode, runs)
        modes[mode] = by_half(runs)
    best = max(engine.modes, key=lambda m: (modes[m][TUNE]["MRR@10"], modes[m][TUNE]["nDCG@10"]))
    return {"modes": modes, "best_mode": best, **modes[best][TEST],
            "query_s": round(time.perf_counter() - t0, 2)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default="../shared", help="folder holding corpora/")
    ap.add_argument("--sets", default=",".join(querysets.SETS))
    ap.add_argument("--engines", default=",".join(ENGINES), help=f"comma list of {ENGINES}"
                    " and ours-notitle (ours given the text alone, as the baselines are)")
    ap.add_argument("--quick", action="store_true", help="small sets (bench/work/querysets-quick)")
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--rebuild", action="store_true", help="rebuild indexes even if cached")
    ap.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    ap.add_argument("--out-name", default="relevance", help="results file: <name>-<date>.json")
    ap.add_argument("--policy", default="", help="ours with these values, e.g. k1=1.5,b=0.6"
                    f" (Policy fields, {', '.join(QUERY_KNOBS)})")
    ap.add_argument("--grid", default="", help="ours alone on the tuning halves, every "
                    "combination of e.g. 'pair_weight=0|1|2;coord_power=0|1' on top of --policy")
    args = ap.parse_args(argv)
    commit = git_commit()  # the code this run imported, not whatever is checked out at the end
    size = "quick" if args.quick else "full"
    work = Path(args.work)
    qdir = work / ("querysets-quick" if args.quick else "querysets")
    sets = [s for s in args.sets.split(",") if s]
    engines = [e for e in args.engines.split(",") if e]

    # Freeze every query set before any engine runs.
    frozen = {name: querysets.frozen(name, args.shared, qdir, size) for name in sets}

    base = parse_values(args.policy)
    if args.grid:
        return tune(args, frozen, work / "relevance" / size, base, grid(args.grid), commit)
    cluster, pg_error = None, None
    if "postgres" in engines:
        cluster = Cluster(work / "pg")
        pg_error = cluster.start()
        if pg_error:
            print(f"postgres: n/a ({pg_error})", file=sys.stderr)
    policy = use_policy(base)
    results, started = {}, time.perf_counter()
    try:
        for name in sets:
            ids, queries, digest = frozen[name]
            lang, docs = name.split("/")[1], []

            def load(product=True, name=name, ids=ids, docs=docs):
                if not docs:
                    docs.extend(querysets.documents(name, args.shared, ids))
                return docs if product else querysets.baseline_documents(name, docs)

            results[name] = {"docs": len(ids), "queries": len(queries), "sha256": digest,
                             "test_queries": sum(querysets.half(q["qid"]) == TEST
                                                 for q in queries), "engines": {}}
            print(f"{name}: {len(ids)} docs, {len(queries)} queries", file=sys.stderr)
            for ename in engines:
                if ename == "postgres" and pg_error:
                    results[name]["engines"][ename] = {"n/a": pg_error}
                    continue
                engine = make_engine(ename, cluster)
                if ename.startswith("ours"):
                    engine.policy = policy
                path = work / "relevance" / size / ename / name.replace("/", "-")
                t_index, cached = prepare(engine, path, digest,
                                          lambda e=ename: load(e == "ours"), args.rebuild)
                stem = work / "runs" / size / f"{name.replace('/', '-')}.{ename}"
                res = evaluate(engine, queries, lambda mode, runs, stem=stem: save_runs(
                    stem.with_name(f"{stem.name}.{mode}.jsonl"), runs))
                engine.close()
                res.update(index_s=round(t_index, 2), cached=cached, note=note(ename, lang))
                results[name]["engines"][ename] = res
                print(f"  {ename:15} {res['best_mode']:7} test "
                      + " ".join(f"{m}={res[m]:.3f}" for m in METRICS)
                      + f"  (index {'cached' if cached else f'{t_index:.1f}s'},"
                      f" queries {res['query_s']:.1f}s)", file=sys.stderr)
    finally:
        if cluster is not None:
            cluster.stop()

    text = render(results, engines)
    print(text)
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)
    if not args.no_json:
        path = write_json(args.out_name + ("-quick" if args.quick else ""),
                          {"size": size, "k": 10, "policy": base, "sets": results,
                           "table": text},
                          commit=commit)
        print(f"\nwrote {path}", file=sys.stderr)
    return results


def tune(args, frozen, folder, base, combos, commit) -> list[dict]:
    """Ours under every combination, on the tuning halves only; logged to a results file."""
    engines, rows, log = {}, [], []
    for name, (ids, _, digest) in frozen.items():
        engines[name] = engine = Ours()
        # Text alone where the record has no title: what the product indexes (a made-up title
        # is display only), whichever version of search/ this checkout has.
        prepare(engine, folder / "ours-notitle" / name.replace("/", "-"), digest,
                lambda n=name, i=ids: querysets.baseline_documents(
                    n, querysets.documents(n, args.shared, i)), args.rebuild)
    for values in combos:
        values = {**base, **values}
        entry = {"policy": values, "effective": {**asdict(use_policy(values)), **{
            k: getattr(query_module, k) for k in QUERY_KNOBS}}, "tune": {}}
        for name, (_, queries, _) in frozen.items():
            engines[name].policy = use_policy(values)
            runs = run_queries(engines[name], [q for q in queries
                                               if querysets.half(q["qid"]) == TUNE], "product")
            entry["tune"][name] = by_half(runs)[TUNE]
        mean = sum(m["MRR@10"] for m in entry["tune"].values()) / len(frozen)
        log.append({**entry, "mean_MRR@10": round(mean, 4)})
        rows.append([",".join(f"{k}={v}" for k, v in values.items()) or "default"]
                    + [entry["tune"][n]["MRR@10"] for n in frozen] + [mean])
        print(" ".join(str(c) for c in rows[-1]), file=sys.stderr)
    use_policy({})
    for engine in engines.values():
        engine.close()
    print(table(["policy (tuning halves, MRR@10)", *frozen, "mean"], rows))
    if not args.no_json:  # one log a day: every grid tried is kept
        old = RESULTS / f"{args.out_name}-grid-{today()}.json"
        before = json.loads(old.read_text())["runs"] if old.exists() else []
        path = write_json(f"{args.out_name}-grid", {"runs": before + [
            {"grid": args.grid, "base": base, "commit": commit, "results": log}]}, commit=commit)
        print(f"\nwrote {path}", file=sys.stderr)
    return log


def note(ename, lang) -> str | None:
    if ename == "whoosh-stem" and not snowball_lang(lang):
        return "no Snowball stemmer for this language: unstemmed"
    if ename == "postgres":
        return f"'{'russian' if lang == 'ru' else 'simple'}' configuration"
    return None


def save_runs(path: Path, runs: list[dict]):
    """Per-query rankings, for failure analysis."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in runs),
                    encoding="utf-8")


def render(results, engines) -> str:
    """The test-half tables: every engine in its best mode, then each mode's MRR@10, then gaps."""
    baselines = [e for e in engines if not e.startswith("ours")]
    ours_cols = [e for e in engines if e.startswith("ours")]
    main_rows, mode_rows, gap_rows = [], [], []
    for name, res in results.items():
        cells = {e: res["engines"].get(e, {}) for e in engines}
        main_rows.append([name, res["docs"], res["test_queries"]] + [
            " / ".join(f"{r[m]:.3f}" for m in METRICS) + ("" if e in ours_cols else
                                                          f" {r['best_mode']}")
            if METRICS[0] in r else "n/a" for e, r in cells.items()])
        mode_rows.append([name] + [
            " / ".join(f"{r['modes'][m][TEST]['MRR@10']:.3f}" for m in r["modes"])
            if "modes" in r else "n/a" for e, r in cells.items() if e in baselines])
        ranked = [(r["MRR@10"], e) for e, r in cells.items() if e in baselines and "modes" in r]
        for e in ours_cols:
            if "modes" not in cells[e] or not ranked:
                continue
            best, who = max(ranked)
            ours = cells[e]["MRR@10"]
            gap_rows.append([name, e, f"{ours:.3f}", f"{best:.3f} {who} {cells[who]['best_mode']}",
                             f"{ours - best:+.3f}", "yes" if ours >= best + 0.03 else "no"])
    return ("Test halves. Cells: MRR@10 / Recall@10 / nDCG@10 and, for a baseline, the mode chosen"
            " on the tuning half\n(and = every word required, or = any word, BM25 ranks)\n"
            + table(["set", "docs", "test queries"] + list(engines), main_rows)
            + "\n\nMRR@10 of every baseline mode (test half): and / or\n"
            + table(["set"] + baselines, mode_rows)
            + "\n\nOurs vs the best baseline in its best mode (MRR@10, test half; target +0.03)\n"
            + table(["set", "engine", "MRR@10", "best baseline", "gap", "target met"], gap_rows))


if __name__ == "__main__":
    main()
