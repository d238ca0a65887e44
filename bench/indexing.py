"""Indexing: ours (the reindex command) beside plain Whoosh, SQLite FTS5 and tantivy.

    python bench/indexing.py --sizes 2000,20000 --skip whoosh-std@20000

Every engine reads the same .jsonl.gz (the ru_news_articles, repeated with new ids "id~k"
past its 8,719 articles) in a fresh process, so parsing the file is counted for all of them,
and the engines take turns at each size (interleaved, on a shared and noisy machine). Ours is
`reindex` itself: streamed, analysed by the bulk writer in --procs processes. CPU seconds
include the child processes; peak RSS is the largest process's, also given apart for ours: the
writer (the process running the reindex) and the largest other one (merges, copy links, writer
processes), each sampled from /proc (bench/procmem.py). Ours reads the dictionaries' lemma
tables in --tables (built first if missing, by `search lemma-tables`, timed apart);
"ours-no-tables" is the same reindex without them.
"""

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import corpora_dir  # noqa: E402
from bench.engines import Fts5, Tantivy, WhooshBaseline, dir_size  # noqa: E402
from bench.procmem import PeakWatch  # noqa: E402
from bench.report import WORK, table, write_json  # noqa: E402
from bench.speed import cpu_seconds, peak_rss_mb, run_child  # noqa: E402
from search.cli_cache import cache_dir  # noqa: E402

ENGINES = ("ours", "whoosh-std", "sqlite-fts5", "tantivy-default")
OURS = ("ours", "ours-no-tables")


def corpus(shared, n: int, work: Path) -> Path:
    """A .jsonl.gz of n ru news articles (repeated with new ids past the corpus), made once."""
    path = work / "indexing" / f"ru-{n}.jsonl.gz"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    src = corpora_dir(shared) / "ru_news_articles.jsonl.gz"
    tmp = path.with_suffix(".tmp")
    written, k = 0, 0
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as out:
        while written < n:
            with gzip.open(src, "rt", encoding="utf-8") as f:
                for line in f:
                    if written >= n:
                        break
                    rec = json.loads(line)
                    rec["lang"] = "ru"
                    if k:
                        rec["id"] = f"{rec['id']}~{k}"
                    out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    written += 1
            k += 1
    tmp.rename(path)
    return path


def stream(path: Path):
    """The file's records as Documents, one at a time."""
    from search.ingest.documents import load_jsonl

    return load_jsonl(path, [])


def child(args) -> None:
    """In a fresh process: index the file with one engine, print what it took as JSON."""
    from search.morph import warm

    warm()  # the dictionaries load before the clock starts, as in a server
    path, out = Path(args.file), Path(args.path)
    t0, c0 = time.perf_counter(), cpu_seconds()
    procs = {}
    if args.engine in OURS:
        from search.ingest.indexer import reindex
        from search.lemma_table import use

        with PeakWatch() as watch:
            use(Path(args.tables) if args.engine == "ours" else None)  # as the CLI does
            s = reindex(out, [path], procs=args.procs_n)
        docs = s.documents
        procs = {"writer_mb": watch.own_mib, "other_mb": watch.other_mib}
    else:
        engine = {"whoosh-std": lambda: WhooshBaseline(procs=1), "sqlite-fts5": Fts5,
                  "tantivy-default": lambda: Tantivy(1, pre_analysed=False)}[args.engine]()
        counted = []

        def counting():
            for doc in stream(path):
                counted.append(1)
                yield doc

        engine.build(counting(), out)
        docs = len(counted)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    rss = max(procs.get("writer_mb", 0), procs.get("other_mb", 0)) or peak_rss_mb()
    print(json.dumps({"docs": docs, "seconds": seconds, "cpu_s": cpu, "rss_mb": rss,
                      "bytes": dir_size(out), **procs}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mode", nargs="?", default="bench", choices=["bench", "_child"])
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--sizes", default="2000,20000")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--procs", default="1,2", help="our reindex's processes (each measured)")
    ap.add_argument("--rounds", type=int, default=1, help="runs of each engine per size")
    ap.add_argument("--skip", default="", help="engine@size pairs not to run, e.g. "
                    "whoosh-std@200000 (hours)")
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--no-json", action="store_true")
    ap.add_argument("--engine")
    ap.add_argument("--file")
    ap.add_argument("--child-procs", dest="procs_n", type=int, default=1)
    ap.add_argument("--path")
    ap.add_argument("--tables", default=str(cache_dir()),
                    help="where ours' lemma tables are (built first if missing, timed apart)")
    args = ap.parse_args(argv)
    if args.mode == "_child":
        return child(args)
    work = Path(args.work)
    skip = set(filter(None, args.skip.split(",")))
    rows = []
    if "ours" in args.engines.split(","):  # as `make install` builds them (said if it does)
        subprocess.run([sys.executable, "-m", "search", "lemma-tables"], check=True,
                       stdout=sys.stderr, env={**os.environ, "SEARCH_CACHE_DIR": args.tables})
    for n in [int(x) for x in args.sizes.split(",")]:
        path = corpus(Path(args.shared).resolve(), n, work)
        for rnd in range(args.rounds):
            runs = [(e, int(p)) for e in args.engines.split(",")
                    for p in (args.procs.split(",") if e in OURS else ["1"])]
            for engine, procs in runs:
                if f"{engine}@{n}" in skip:
                    continue
                out = work / "indexing" / f"idx-{engine}-{n}"
                if engine == "sqlite-fts5":
                    out = out.with_suffix(".sqlite")
                shutil.rmtree(out, ignore_errors=True)
                if out.is_file():
                    out.unlink()
                r = run_child("_child", "--engine", engine, "--file", path, "--path", out,
                              "--child-procs", procs, "--tables", args.tables, script=__file__)
                row = {"size": n, "round": rnd, "engine": engine, "procs": procs, **r}
                rows.append(row)
                rate = r["docs"] / r["seconds"]
                apart = (f" (writer {r['writer_mb']}, largest other {r['other_mb']})"
                         if "writer_mb" in r else "")
                print(f"{n} {engine} procs={procs}: {r['cpu_s']:.1f} CPU s, {rate:.0f} docs/s, "
                      f"{r['rss_mb']} MiB{apart}", file=sys.stderr, flush=True)
    text = render(rows)
    print(text)
    if not args.no_json:
        print(f"wrote {write_json('indexing', {'rows': rows, 'table': text})}", file=sys.stderr)
    return rows


def render(rows) -> str:
    """CPU s, docs/s, peak RSS per engine and size, with ours' CPU / each engine's CPU."""
    ours = {}
    for r in rows:
        if r["engine"] == "ours":
            ours.setdefault(r["size"], []).append(r["cpu_s"])
    out = []
    for r in rows:
        mine = ours.get(r["size"])
        ratio = round(min(mine) / r["cpu_s"], 2) if mine and r["engine"] != "ours" else None
        apart = f"{r['writer_mb']:.0f} / {r['other_mb']:.0f}" if "writer_mb" in r else ""
        out.append([r["size"], r["engine"], r["procs"], r["docs"], round(r["cpu_s"], 1),
                    round(r["seconds"], 1), round(r["docs"] / r["seconds"]), r["rss_mb"], apart,
                    round(r["bytes"] / 2**20, 1), ratio])
    return ("Indexing a .jsonl.gz of ru news articles (parsing included for every engine)\n"
            + table(["docs", "engine", "procs", "indexed", "CPU s", "wall s", "docs/s",
                     "peak RSS MiB", "writer / other MiB", "disk MiB", "ours CPU / its CPU"],
                    out))


if __name__ == "__main__":
    main()
