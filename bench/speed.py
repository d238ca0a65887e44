"""Speed: indexing throughput, query latency with snippets, memory and index size."""

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import ru_articles, uk_docs  # noqa: E402
from bench.engines import Fts5, Ours, Tantivy, WhooshBaseline, dir_size  # noqa: E402
from bench.report import ROOT, WORK, git_commit, table, write_json  # noqa: E402
from search.ingest.documents import Document, from_record  # noqa: E402
from search.text import tokenize  # noqa: E402

WINDOW = 45  # words per paragraph-sized document for the latency corpus
QUERY_KINDS = ("1-word", "2-word", "3-word", "phrase", "headline")
INDEX_ENGINES = ("ours", "whoosh-std", "tantivy-default", "tantivy-lemmas", "sqlite-fts5")
WARM_UP = ("новости", "новини регіону", "президент України", '"в мире"', "курс валют сегодня")
PARALLEL = ("ours", "whoosh-std", "tantivy-default")  # engines measured with procs > 1 too


def dataset(name, shared) -> list[Document]:
    """'ru' = the 8,719 news articles ('ru:N' the first N); 'uk' = all Ukrainian; 'para-N'."""
    if name == "ru" or name.startswith("ru:"):  # "ru:1000": the first 1,000 articles
        limit = int(name[3:]) if name.startswith("ru:") else None
        return [from_record({**r, "lang": "ru"}) for r in ru_articles(shared)[:limit]]
    if name == "uk":
        return [from_record({"id": f"{r['corpus']}:{r['id']}", "title": r.get("title") or "",
                             "text": r["text"], "lang": "uk"}) for r in uk_docs(shared)]
    if name.startswith("para-"):
        return paragraphs(shared, int(name[5:]))
    raise ValueError(name)


def paragraphs(shared, n: int | None) -> list[Document]:
    """n (None: all) WINDOW-word documents cut from all Russian and Ukrainian texts."""
    sources = [(r["title"], r["text"], "ru", r["id"]) for r in ru_articles(shared)]
    sources += [(r.get("title") or "", r["text"], "uk", f"{r['corpus']}:{r['id']}")
                for r in uk_docs(shared)]
    docs = []
    for title, text, lang, sid in sources:
        words = text.split()
        for i in range(0, len(words), WINDOW):
            chunk = words[i:i + WINDOW]
            if len(chunk) < 10:
                continue
            t = title if i == 0 and title else " ".join(chunk[:8])
            docs.append(Document(id=f"{sid}#{i // WINDOW}", title=t, body=" ".join(chunk),
                                 lang=lang))
    random.Random(7).shuffle(docs)
    if n is None:
        return docs
    if len(docs) < n:
        raise SystemExit(f"only {len(docs)} paragraph documents available, asked for {n}")
    return docs[:n]


def tokens(docs) -> int:
    return sum(sum(1 for _ in tokenize(d.title)) + sum(1 for _ in tokenize(d.body))
               for d in docs)


def make_engine(name, procs):
    from search.morph import clear_cache

    clear_cache()  # every run starts with a cold lemma cache
    return {"ours": lambda: Ours(procs), "whoosh-std": lambda: WhooshBaseline(procs=procs),
            "tantivy-default": lambda: Tantivy(procs, pre_analysed=False),
            "tantivy-lemmas": lambda: Tantivy(procs), "sqlite-fts5": Fts5}[name]()


def peak_rss_mb() -> float:
    """Peak RSS (VmHWM) of this process, or of its largest waited-for child if larger, MiB.

    ru_maxrss of RUSAGE_SELF survives exec (it would report the parent's peak), so this
    process's own peak comes from /proc; forked writer processes are counted by getrusage.
    """
    own = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            own = int(line.split()[1])
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024, 1)


def cpu_seconds() -> float:
    """User + system CPU time of this process and its waited-for children (writer processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def child_build(args):
    """In a fresh process: load a dataset, index it, print what it took as JSON."""
    docs = dataset(args.dataset, args.shared)
    rss_loaded = peak_rss_mb()
    engine = make_engine(args.engine, args.procs)
    t0, c0 = time.perf_counter(), cpu_seconds()
    engine.build(docs, args.path)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    size = dir_size(args.path)
    print(json.dumps({"docs": len(docs), "tokens": tokens(docs), "seconds": seconds, "cpu_s": cpu,
                      "bytes": size, "rss_mb": peak_rss_mb(), "rss_loaded_mb": rss_loaded}))


def child_serve(args):
    """In a fresh process: open our index and time Engine.search on each query kind."""
    from search.engine import Engine

    queries = [json.loads(line) for line in Path(args.queries).read_text("utf-8").splitlines()]
    rss_before = peak_rss_mb()
    engine = Engine(args.path)
    engine.searcher()
    for q in WARM_UP:  # dictionaries and file pages; not the timed queries (results may be cached)
        engine.search(q)
    out = {}
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    for kind in QUERY_KINDS:
        times, totals = [], []
        for q in [q for q in queries if q["kind"] == kind][:args.per_kind or None]:
            t0 = time.perf_counter()
            res = engine.search(q["query"])
            times.append((time.perf_counter() - t0) * 1000)
            totals.append(res.total)
        times.sort()
        out[kind] = {"n": len(times), "p50": pct(times, 50), "p95": pct(times, 95),
                     "p99": pct(times, 99), "mean_hits": sum(totals) / max(len(totals), 1)}
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    print(json.dumps({"latency_ms": out, "serve_rss_mb": peak_rss_mb(),
                      "rss_before_open_mb": rss_before}))


def pct(sorted_values, p) -> float | None:
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))
    return round(sorted_values[i], 2)


def run_child(*argv, timeout=7200, script=None) -> dict:
    """Run this file (or script) in a child process and return the JSON it prints."""
    r = subprocess.run([sys.executable, script or __file__, *map(str, argv)], capture_output=True,
                       text=True, timeout=timeout, cwd=ROOT)
    if r.returncode:
        raise RuntimeError(f"child {argv} failed:\n{r.stderr[-3000:]}")
    if r.stderr.strip():
        sys.stderr.write(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def latency_queries(shared, path: Path, per_kind: int) -> Path:
    """Freeze the latency queries (words from the corpus, article titles) in a file."""
    if path.exists():
        return path
    rng = random.Random(5)
    docs = paragraphs(shared, None)[:20_000]
    titles = [r["title"] for r in ru_articles(shared) if r.get("title")]
    titles += [r["title"] for r in uk_docs(shared, ("uk_bruk_docs",)) if r.get("title")]
    out = []
    for kind in QUERY_KINDS:
        while sum(1 for q in out if q["kind"] == kind) < per_kind:
            if kind == "headline":
                out.append({"kind": kind, "query": rng.choice(titles)})
                continue
            words = [w for w, _, _ in tokenize(rng.choice(docs).body)]
            n = {"1-word": 1, "2-word": 2, "3-word": 3, "phrase": 2}[kind]
            if len(words) <= n:
                continue
            i = rng.randrange(len(words) - n)
            chosen = words[i:i + n]
            if kind == "1-word" and (len(chosen[0]) < 4 or not chosen[0].isalpha()):
                continue
            text = " ".join(chosen)
            out.append({"kind": kind, "query": f'"{text}"' if kind == "phrase" else text})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in out), "utf-8")
    return path


def sized_index(work: Path, n: int, procs: int) -> tuple[Path, dict]:
    """Our index of n paragraph documents, reused if built at this commit with these parameters."""
    path = work / "speed" / f"ours-para-{n}"
    meta_path = path.parent / f"ours-para-{n}.json"
    params = {"commit": git_commit(), "docs": n, "window": WINDOW, "procs": procs}
    if meta_path.exists() and path.exists():
        meta = json.loads(meta_path.read_text())
        same = {k: v for k, v in meta.get("params", {}).items() if k != "commit"} == \
            {k: v for k, v in params.items() if k != "commit"}
        if meta.get("params") == params or (same and ARGS.reuse_stale):
            return path, {**meta["build"], "reused": True, "built_at": meta["params"]["commit"]}
    build = run_child("_build", "--dataset", f"para-{n}", "--engine", "ours", "--procs", procs,
                      "--path", path, "--shared", ARGS.shared)
    meta_path.write_text(json.dumps({"params": params, "build": build}))
    return path, {**build, "reused": False}


def main(argv=None):
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mode", nargs="?", default="bench", choices=["bench", "_build", "_serve"])
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--sizes", default="10000,50000,200000")
    ap.add_argument("--quick", action="store_true", help="small sizes, fewer runs (development)")
    ap.add_argument("--skip-indexing", action="store_true", help="only the latency part")
    ap.add_argument("--skip-latency", action="store_true", help="only the indexing part")
    ap.add_argument("--index-engines", default=",".join(INDEX_ENGINES))
    ap.add_argument("--procs", default="1,2", help="writer processes to measure indexing with")
    ap.add_argument("--build-procs", type=int, default=1, help="procs for the latency indexes")
    ap.add_argument("--queries", type=int, default=100, help="queries per kind")
    ap.add_argument("--reuse-stale", action="store_true",
                    help="reuse a latency index built at another commit (same parameters)")
    ap.add_argument("--per-kind", type=int, default=0,
                    help="time only the first N frozen queries of each kind (default: all)")
    ap.add_argument("--profile", action="store_true", help="cProfile the largest size's queries")
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--no-json", action="store_true")
    ap.add_argument("--out-name", default="speed", help="results file name before the date")
    # child-process arguments
    ap.add_argument("--dataset")
    ap.add_argument("--engine")
    ap.add_argument("--path")
    ap.add_argument("--queries-file", dest="queries_file")
    args = ap.parse_args(argv)
    commit = git_commit()  # the code this run imported, not whatever is checked out at the end
    ARGS = args
    if args.mode == "_build":
        args.procs = int(args.procs)
        return child_build(args)
    if args.mode == "_serve":
        args.queries = args.queries_file
        return child_serve(args)
    work = Path(args.work)
    args.shared = str(Path(args.shared).resolve())
    if args.quick:
        sizes = [1000, 3000] if args.sizes == ap.get_default("sizes") else _ints(args.sizes)
        datasets = ["para-2000"]
        args.queries = min(args.queries, 20)
    else:
        sizes, datasets = _ints(args.sizes), ["ru", "uk"]
    result = {"window_words": WINDOW, "indexing": [], "latency": [], "quick": args.quick}
    if not args.skip_indexing:
        for ds in datasets:
            for engine in args.index_engines.split(","):
                for procs in _ints(args.procs):
                    if procs > 1 and engine not in PARALLEL:
                        continue
                    r = run_child("_build", "--dataset", ds, "--engine", engine, "--procs", procs,
                                  "--path", work / "speed" / f"idx-{engine}-{ds}-{procs}",
                                  "--shared", args.shared)
                    row = {"dataset": ds, "engine": engine, "procs": procs, **r,
                           "docs_s": r["docs"] / r["seconds"],
                           "tokens_s": r["tokens"] / r["seconds"]}
                    result["indexing"].append(row)
                    print(f"index {ds} {engine} procs={procs}: {row['docs_s']:.0f} docs/s "
                          f"{row['tokens_s']:.0f} tokens/s, {r['rss_mb']} MiB peak, "
                          f"{r['bytes'] / 2**20:.1f} MiB on disk", file=sys.stderr)
    if not args.skip_latency:
        qfile = latency_queries(args.shared, work / "querysets" /
                                f"speed-{'quick' if args.quick else 'full'}.jsonl",
                                args.queries)
        for i, n in enumerate(sizes):
            path, build = sized_index(work, n, args.build_procs)
            profile = ["--profile"] if args.profile and i == len(sizes) - 1 else []
            serve = run_child("_serve", "--path", path, "--queries-file", qfile,
                              "--per-kind", args.per_kind or args.queries, *profile)
            row = {"docs": n, "build": build, "bytes": dir_size(path), **serve}
            result["latency"].append(row)
            print(f"latency at {n}: " + ", ".join(
                f"{k} p50={v['p50']} p95={v['p95']}" for k, v in serve["latency_ms"].items())
                + f"; build {build['seconds']:.0f}s, serve RSS {serve['serve_rss_mb']} MiB",
                file=sys.stderr)
    text = render(result)
    print(text)
    if not args.no_json:
        name = f"{args.out_name}-quick" if args.quick else args.out_name
        path = write_json(name, {**result, "sizes": sizes, "tables": text}, commit=commit)
        print(f"\nwrote {path}", file=sys.stderr)
    return result


def _ints(text) -> list[int]:
    return [int(x) for x in str(text).split(",") if x.strip()]


def render(result) -> str:
    """The indexing table (with ours/plain-Whoosh ratios) and the latency table."""
    parts = []
    if result["indexing"]:
        base = {(r["dataset"], r["procs"]): r for r in result["indexing"]
                if r["engine"] == "whoosh-std"}
        rows = []
        for r in result["indexing"]:
            b = base.get((r["dataset"], r["procs"]))
            ratio = r["seconds"] / b["seconds"] if b else None
            cpu_ratio = r["cpu_s"] / b["cpu_s"] if b and "cpu_s" in b and "cpu_s" in r else None
            rows.append([r["dataset"], r["engine"], r["procs"], r["docs"], r["tokens"],
                         round(r["seconds"], 1), round(r["docs_s"]), round(r["tokens_s"]),
                         ratio, r.get("cpu_s") and round(r["cpu_s"], 1), cpu_ratio,
                         r["rss_mb"], round(r["bytes"] / 2**20, 1)])
        parts.append("Indexing (x whoosh-std = our time / plain Whoosh StandardAnalyzer's, same "
                     "procs, wall and CPU; peak RSS includes the loaded documents)\n" + table(
                         ["dataset", "engine", "procs", "docs", "tokens", "wall s", "docs/s",
                          "tokens/s", "x whoosh-std", "CPU s", "x whoosh-std CPU",
                          "peak RSS MiB", "disk MiB"], rows))
    if result["latency"]:
        rows = []
        for r in result["latency"]:
            for kind, v in r["latency_ms"].items():
                rows.append([r["docs"], kind, v["n"], v["p50"], v["p95"], v["p99"],
                             round(v["mean_hits"]), r["serve_rss_mb"],
                             r["build"].get("rss_mb"), round(r["bytes"] / 2**20, 1),
                             round(r["build"]["seconds"])])
        parts.append(f"Query latency, Engine.search with snippets, ms (documents: "
                     f"{result['window_words']}-word paragraphs of the ru+uk corpora)\n" + table(
                         ["docs", "query", "n", "p50", "p95", "p99", "mean hits",
                          "serve RSS MiB", "build RSS MiB", "index MiB", "build s"], rows))
    return "\n\n".join(parts)


ARGS = None

if __name__ == "__main__":
    main()
