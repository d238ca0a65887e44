"""Command line: `search reindex`, `search query` (and `search lemma-tables`, cli_cache.py)."""

import argparse
import contextlib
import html
import json
import os
import re
import sys
from datetime import date, datetime
from datetime import time as day_time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from search import lemma_table
from search.cli_cache import add_parser, cache_dir
from search.cli_progress import ProgressLine, counted
from search.engine import MAX_PAGE, SORTS, Engine
from search.engine.results import Results
from search.ingest.indexer import DiskFull, doc_count, reindex
from search.ingest.store import IndexBusy
from search.query import crosslang
from search.query.parse import QueryError

DEFAULT_INDEX = "index"
MAX_LIMIT = 1000  # results on one page of `search query`
_MARK = re.compile(r"</?mark>")


def plain(snippet_html: str) -> str:
    """A snippet for a terminal: entities decoded, matches in **double asterisks**."""
    return html.unescape(_MARK.sub("**", snippet_html))


def _version() -> str:
    try:
        return version("newsearch")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _index_dir(args) -> Path:
    return Path(args.index or os.environ.get("SEARCH_INDEX_DIR") or DEFAULT_INDEX)


def _backend(args) -> str:
    backend = args.backend or os.environ.get("SEARCH_BACKEND") or "whoosh"
    if backend != "whoosh" and not backend.startswith("sphinxql://"):
        raise SystemExit(f"error: --backend must be whoosh or sphinxql://host:port: {backend}")
    return backend


def _cluster_reindex(url: str, args) -> int:
    """`search reindex --backend sphinxql://...`: the same run into a SphinxQL cluster."""
    from search.cluster.feed import reindex as cluster_reindex

    try:
        summary = cluster_reindex(url, args.sources, full=args.full, lock_timeout=args.wait,
                                  procs=args.procs)
    except ConnectionError as e:  # the cluster does not answer
        print(f"error: {e}", file=sys.stderr)
        return 2
    except IndexBusy as e:
        print(f"error: {e}; try again later or pass --wait SECONDS", file=sys.stderr)
        return 3
    lagging = getattr(summary, "lagging", [])
    if lagging:  # written to the journal: `python -m search.cluster repair` catches them up
        print(f"warning: mirrors that missed this run: {', '.join(lagging)} "
              "(`python -m search.cluster repair` catches them up)", file=sys.stderr)
    return _report(summary, f" into {url}")


def cmd_reindex(args) -> int:
    missing = [s for s in args.sources if not os.path.exists(s)]
    if missing:
        # Checked before the index is opened: a typo must not leave an empty index behind.
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    backend = _backend(args)
    if backend != "whoosh":
        return _cluster_reindex(backend, args)
    lemma_table.use(cache_dir())  # the dictionaries' lemmas, if `lemma-tables` built them
    show = sys.stderr.isatty() if args.progress is None else args.progress
    progress = ProgressLine(sys.stderr, sys.stderr.isatty()) if show else None
    try:
        summary = reindex(_index_dir(args), args.sources, full=args.full, progress=progress,
                          lock_timeout=args.wait, procs=args.procs,
                          max_record_chars=int(args.max_record_mb * 2**20))
    except IndexBusy as e:
        print(f"error: {e}; try again later or pass --wait SECONDS", file=sys.stderr)
        return 3
    except DiskFull as e:
        print(f"error: {e.strerror}; free some space and run again (nothing was lost)",
              file=sys.stderr)
        return 4
    if args.full:
        from search.ingest.committer import apply_pending

        with contextlib.suppress(IndexBusy):  # a server's committer is doing it
            apply_pending(_index_dir(args))  # documents written over HTTP, into the new generation
    return _report(summary, f"; the index holds {counted(doc_count(_index_dir(args)), 'document')}")


def _report(summary, where: str) -> int:
    """Print a reindex summary (where follows its time); exit code 1 if nothing was indexed."""
    print(f"{counted(summary.documents, 'document')} indexed from "
          f"{counted(summary.indexed_files, 'file')} in {summary.seconds:.1f} s{where}")
    print(f"files: {summary.added} added, {summary.updated} updated, {summary.deleted} deleted, "
          f"{summary.unchanged} unchanged, {len(summary.skipped)} skipped")
    records = [getattr(summary, f"records_{k}", 0) for k in
               ("added", "updated", "deleted", "unchanged")]
    if any(records):
        print("records of .jsonl collections: {} added, {} updated, {} deleted, "
              "{} unchanged".format(*records))
    for path, reason in summary.skipped:
        print(f"  skipped {path}: {reason}")
    nothing = summary.indexed_files == 0 and summary.unchanged == 0 and summary.deleted == 0
    return 1 if nothing else 0


def _search(engine, text, args):
    langs = (args.lang,) if args.lang else ("uk", "ru")
    return engine.search(text, page=args.page, per_page=args.limit, langs=langs, sort=args.sort,
                         date_from=args.date_from, date_to=args.date_to,
                         forgiving=not args.exact, sites=tuple(args.source or ()))


def _print_results(res) -> None:
    if res.corrected:
        print(f"showing results for «{res.corrected['query']}»; searched instead of "
              f"«{res.query}»")
    elif res.suggestion:
        print(f"did you mean «{res.suggestion}»?")
    for c in res.crosslang:
        print(f"also found in {c['lang']}: «{c['word']}» as {', '.join(c['terms'])}")
    pages = max(1, -(-res.total // res.per_page))
    first = (res.page - 1) * res.per_page
    if res.hits:
        print(f"showing {len(res.hits)} of {res.total:,} results ({first + 1}–"
              f"{first + len(res.hits)}, page {res.page} of {pages}; {res.took_ms} ms)")
    elif res.total:
        print(f"no results on page {res.page}: {res.total:,} results make {pages} pages")
    else:
        print(f"no results ({res.took_ms} ms)")
    if res.hits and res.all_words < res.total:
        print(f"{res.all_words:,} have every word; the rest have some of them")
    for n, hit in enumerate(res.hits, first + 1):
        about = ", ".join(x for x in (hit.source, hit.date or "no date", hit.id) if x)
        print(f"{n}. [{hit.lang}] {hit.title} ({about}; score {hit.score})")
        print(f"   {plain(hit.snippet)}")


def cmd_query(args) -> int:
    crosslang.CACHE_DIR = cache_dir()
    backend = _backend(args)
    if backend == "whoosh":
        engine = Engine(_index_dir(args))
    else:
        from search.cluster.backend import ClusterEngine

        engine = ClusterEngine(backend)
    try:
        engine.searcher()
    except (FileNotFoundError, ConnectionError) as e:
        print(f"error: {e}; run `search reindex` first", file=sys.stderr)
        return 2
    if args.queries:
        try:
            with open(args.queries, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeError) as e:
            print(f"error: cannot read {args.queries}: {e}", file=sys.stderr)
            return 2
        for line in lines:  # one object out for every line in
            try:
                out = (_search(engine, line.strip(), args).to_dict() if line.strip() else
                       Results(query="", total=0, page=args.page, per_page=args.limit,
                               took_ms=0.0).to_dict())
            except QueryError as e:
                out = {"query": line.strip(), "error": str(e), "total": 0, "hits": []}
            print(json.dumps(out, ensure_ascii=False))
        return 0
    try:
        res = _search(engine, args.text or "", args)
    except QueryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_results(res)
    return 0


def _count(low: int, high: int, what: str):
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number, not {text!r}") from None
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"{what} must be from {low} to {high}, not {n}")
        return n
    return parse


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a date is YYYY-MM-DD, not {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="search", description="Ukrainian/Russian news search.")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           help="reindex, query or lemma-tables (each has its own --help)")
    index_help = f"index folder (default $SEARCH_INDEX_DIR or {DEFAULT_INDEX})"
    r = sub.add_parser("reindex", help="build or update the index from files and folders",
                       description="Index .txt pages, .jsonl(.gz) collections and .html files. "
                       "A document's id is its path under the folder given (a .jsonl "
                       "record's own id). Unchanged files are skipped, deleted ones removed.")
    r.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="folders (walked recursively) or files")
    r.add_argument("--index", metavar="DIR", help=index_help)
    r.add_argument("--full", action="store_true",
                   help="rebuild from scratch beside the live index, then switch to it")
    r.add_argument("--procs", type=_count(1, 64, "--procs"), default=os.cpu_count() or 1,
                   metavar="N",
                   help="processes analysing documents, once a run has a few hundred "
                   "(default: all cores)")
    r.add_argument("--max-record-mb", type=float, default=5.0, metavar="MB",
                   help="skip a .jsonl record with more text than this (default 5, "
                   "in millions of characters)")
    r.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="seconds to wait for another reindex to finish (default 0)")
    r.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show documents indexed so far on stderr (default: on a terminal)")
    r.add_argument("--backend", help="whoosh or sphinxql://host:port, a cluster head "
                   "(default $SEARCH_BACKEND or whoosh)")
    r.set_defaults(func=cmd_reindex)
    q = sub.add_parser("query", help="search the index",
                       description="Search the index: ranked results with snippets.")
    q.add_argument("text", nargs="?", help="the query (words, \"a phrase\", -word, OR, "
                   "title:word, prefix*)")
    q.add_argument("--queries", metavar="FILE",
                   help="file with one query per line (prints JSON lines)")
    q.add_argument("--index", metavar="DIR", help=index_help)
    q.add_argument("--limit", type=_count(1, MAX_LIMIT, "--limit"), default=10, metavar="N",
                   help=f"results per page, 1 to {MAX_LIMIT} (default 10)")
    q.add_argument("--page", type=_count(1, MAX_PAGE, "--page"), default=1, metavar="N",
                   help=f"which page of results, 1 to {MAX_PAGE} (default 1)")
    q.add_argument("--lang", choices=("uk", "ru"), help="only documents in this language")
    q.add_argument("--sort", choices=SORTS, default="relevance",
                   help="relevance (default) or date (newest first, undated last)")
    q.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD",
                   help="only documents dated on or after this day")
    q.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD",
                   help="only documents dated on or before this day")
    q.add_argument("--source", action="append", metavar="SITE",
                   help="only documents from this site or publication, as the results name "
                   "it (repeat for several)")
    q.add_argument("--exact", action="store_true",
                   help="search exactly what was typed: no layout or spelling correction")
    q.add_argument("--json", action="store_true", help="print the results as JSON")
    q.add_argument("--version", action="version", version=f"search {_version()}",
                   help="print the version and exit")
    q.add_argument("--backend", help="whoosh or sphinxql://host:port, a cluster head "
                   "(default $SEARCH_BACKEND or whoosh)")
    q.set_defaults(func=cmd_query)
    add_parser(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "query":
        if args.date_from and args.date_to and args.date_from > args.date_to:
            parser.error("--from is after --to")
        # A day given to --to includes that whole day.
        args.date_from = args.date_from and datetime.combine(args.date_from, day_time.min)
        args.date_to = args.date_to and datetime.combine(args.date_to, day_time.max)
    try:
        return args.func(args)
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0
