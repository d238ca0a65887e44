"""The machine's cache folder, and `search lemma-tables`, which builds the lemma tables in it."""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from search import lemma_table, morph


def cache_dir() -> Path:
    """Where tables kept between runs live: the cross-language tables built from CLDR
    (search/query/crosslang.py) and the dictionaries' lemma tables (search/lemma_table.py)."""
    if os.environ.get("SEARCH_CACHE_DIR"):
        return Path(os.environ["SEARCH_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsearch"


def add_parser(sub) -> None:
    t = sub.add_parser("lemma-tables", help="build the dictionaries' lemma tables, which make "
                       "indexing faster (once per machine; `make install` runs it)",
                       description="Work every dictionary word's lemmas out once and keep them "
                       "in $SEARCH_CACHE_DIR (else ~/.cache/newsearch), where reindex and the "
                       "server read them; tables already built are left alone. About 40 CPU s "
                       "per language, the two languages in two processes at once.")
    t.add_argument("--lang", choices=morph.LANGS, help="build only this language's, in this "
                   "process (default: each missing one in a process of its own)")
    t.set_defaults(func=cmd_lemma_tables)


def cmd_lemma_tables(args) -> int:
    folder = cache_dir()
    missing = []
    for lang in [args.lang] if args.lang else morph.LANGS:
        where = lemma_table.table_path(folder, lang)
        if where.is_file():
            print(f"{lang}: already built: {where}")
        else:
            missing.append(lang)
    if not missing:
        return 0
    try:  # said before a minute's work, not after
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as e:
        print(f"error: cannot write {folder}: {e.strerror or e}", file=sys.stderr)
        return 1
    if args.lang:
        return _build(args.lang, folder)
    # A process per language: each holds one dictionary, and the two run on two cores.
    children = [subprocess.Popen([sys.executable, "-m", "search", "lemma-tables", "--lang", lang])
                for lang in missing]
    return max(child.wait() for child in children)


def _build(lang: str, folder: Path) -> int:
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        built = lemma_table.build(lang, folder)
    except OSError as e:
        print(f"error: cannot write {folder}: {e.strerror or e}", file=sys.stderr)
        return 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{lang}: " + (f"built in {time.process_time() - c0:.0f} CPU s "
                         f"({time.perf_counter() - t0:.0f} s, peak {peak:.0f} MiB)"
                         if built else "already built")
          + f": {lemma_table.table_path(folder, lang)}", flush=True)
    return 0
