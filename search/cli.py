"""Command line: `search reindex` and `search query`."""

import argparse
import html
import json
import os
import re
import sys
from pathlib import Path

from search.engine import Engine
from search.indexer import reindex
from search.query import QueryError
from search.store import IndexBusy

DEFAULT_INDEX = "index"
_MARK = re.compile(r"</?mark>")


def plain(snippet_html: str) -> str:
    """A snippet for a terminal: entities decoded, matches in **double asterisks**."""
    return html.unescape(_MARK.sub("**", snippet_html))


def _index_dir(args) -> Path:
    return Path(args.index or os.environ.get("SEARCH_INDEX_DIR") or DEFAULT_INDEX)


def _progress(files):
    if not sys.stderr.isatty():
        return files
    from tqdm import tqdm

    return tqdm(files, unit="file", file=sys.stderr, desc="indexing")


def cmd_reindex(args) -> int:
    try:
        summary = reindex(_index_dir(args), args.sources, full=args.full, progress=_progress,
                          lock_timeout=args.wait, procs=args.procs)
    except IndexBusy as e:
        print(f"error: {e}; try again later or pass --wait SECONDS", file=sys.stderr)
        return 3
    print(f"added {summary.added}, updated {summary.updated}, deleted {summary.deleted}, "
          f"unchanged {summary.unchanged}, skipped {len(summary.skipped)} "
          f"({summary.documents} documents in {summary.seconds:.1f} s)")
    for path, reason in summary.skipped:
        print(f"  skipped {path}: {reason}")
    nothing = summary.indexed_files == 0 and summary.unchanged == 0 and summary.deleted == 0
    return 1 if nothing else 0


def _run_query(engine, text, args) -> dict:
    langs = (args.lang,) if args.lang else ("uk", "ru")
    return engine.search(text, per_page=args.limit, langs=langs).to_dict()


def cmd_query(args) -> int:
    engine = Engine(_index_dir(args))
    try:
        engine.searcher()
    except FileNotFoundError as e:
        print(f"error: {e}; run `search reindex` first", file=sys.stderr)
        return 2
    if args.queries:
        with open(args.queries, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    try:
                        out = _run_query(engine, line.strip(), args)
                    except QueryError as e:
                        out = {"query": line.strip(), "error": str(e), "total": 0, "hits": []}
                    print(json.dumps(out, ensure_ascii=False))
        return 0
    try:
        res = _run_query(engine, args.text or "", args)
    except QueryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
        return 0
    print(f"{res['total']} results ({res['took_ms']} ms)")
    for n, hit in enumerate(res["hits"], 1):
        print(f"{n}. [{hit['lang']}] {hit['title']} ({hit['id']}, {hit['date'] or '-'}, "
              f"score {hit['score']})")
        print(f"   {plain(hit['snippet'])}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="search", description="Ukrainian/Russian news search.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reindex", help="build or update the index from files and folders")
    r.add_argument("sources", nargs="+", help="folders (walked recursively) or files")
    r.add_argument("--index", help=f"index folder (default $SEARCH_INDEX_DIR or {DEFAULT_INDEX})")
    r.add_argument("--full", action="store_true", help="rebuild from scratch")
    r.add_argument("--procs", type=int, default=os.cpu_count() or 1,
                   help="processes analysing documents in a --full run (default: all cores)")
    r.add_argument("--wait", type=float, default=0.0,
                   help="seconds to wait for another reindex to finish (default 0)")
    r.set_defaults(func=cmd_reindex)
    q = sub.add_parser("query", help="search the index")
    q.add_argument("text", nargs="?", help="the query")
    q.add_argument("--queries", help="file with one query per line (prints JSON lines)")
    q.add_argument("--index", help=f"index folder (default $SEARCH_INDEX_DIR or {DEFAULT_INDEX})")
    q.add_argument("--limit", type=int, default=10)
    q.add_argument("--lang", choices=("uk", "ru"))
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_query)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0
