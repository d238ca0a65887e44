"""Python's cyclic garbage collector run less often while segments are built in bulk.

Analysing and writing 2,000 articles keeps about a million containers alive long enough for a
collection of the youngest generation to see them (pymorphy3's parses, the lemma tables, the
builder's own tables), so the default thresholds (700, 10, 10) make about 150 collections of
the middle generation and 4 full ones, which walk the long-lived lemma tables again and again:
0.5 CPU s of a 2k run, 0.2 s with the thresholds below (bench/README.md, issue16p). The
run makes next to no cyclic garbage (under a thousand objects), so collecting later costs
no memory worth counting. Each builder raises the thresholds while it lives; the last one
written, discarded or dropped puts back what was there.
"""

import gc
import threading

BULK = (50_000, 20, 100)  # the youngest generation every 50,000 new objects, not 700

_lock = threading.Lock()
_builders = 0
_saved: tuple[int, int, int] | None = None


def start() -> None:
    """A builder starts: the collector runs less often until every builder has ended."""
    global _builders, _saved
    with _lock:
        if not _builders:
            _saved = gc.get_threshold()
            gc.set_threshold(*BULK)
        _builders += 1


def end() -> None:
    """A builder is done with: the last one restores the thresholds."""
    global _builders, _saved
    with _lock:
        if not _builders:
            return
        _builders -= 1
        if not _builders and _saved is not None:
            gc.set_threshold(*_saved)
            _saved = None
