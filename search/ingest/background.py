"""Bigger segments merged in a background process, swapped in under the writer lock for the TOC.

Live commits merge only segments below commit.LIVE_MAX documents (commit.py). Above that,
as Lucene's TieredMergePolicy does in Elasticsearch's merge threads: FACTOR segments of one
size tier, up to MAX_DOCS documents in all (the bulk merges' bound: a merge process stays under
600 MB), are merged by a process of their own (one per index at a time: MERGING's flock), while
commits go on. It reads the sources as one commit (TOC) left them and writes the merged segment
into a hidden folder of the generation, where no commit's clean-up sees it. Then, holding the
writer lock only for that: moves its files in, marks deleted in it what was deleted from the
sources meanwhile (a deletion or an update; nothing deleted comes back), and commits a TOC with
the sources replaced. A source that is gone by then (merged by a commit, a reindex switched the
generation) drops the merge. Killed at any point, it leaves the index as the last TOC says: its
folder is removed by the next merge, files moved in without their TOC by the next commit
(Whoosh's clean-up of unlisted segments).
"""

import fcntl
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from whoosh.filedb.filestore import FileStorage

from search import lemma_table
from search.ingest import commit, copies, merge, store

log = logging.getLogger(__name__)

MERGING = ".ingest.merging"  # flock held by the one background merge of an index
HIDDEN = ".merging-"  # the generation's folder a merge writes into (dot: Whoosh skips it)
MAX_DOCS = merge.MAX_DOCS  # documents one merge writes at most
WAIT = 60.0  # seconds a finished merge waits for the writer lock before it gives up

_child: subprocess.Popen | None = None  # the merge this process started, until reaped


def group(sizes: list[int]) -> list[int]:
    """Indexes of the segments (of sizes live documents) a background merge takes; [] when
    none: a tier of commit.LIVE_MAX or more documents, of segments below MAX_DOCS / 2."""
    return commit.tier_group(sizes, commit.LIVE_MAX, MAX_DOCS // 2, MAX_DOCS)


def start(index_dir, sizes: list[int] | None) -> bool:
    """Start a background merge if sizes (the live sizes of the last commit's segments) have
    a group to merge and none runs; whether one was started."""
    global _child
    if _child is not None and _child.poll() is None:
        return False  # ours still runs
    _child = None
    if not sizes or not group(sizes) or _held(index_dir):
        return False
    _child = subprocess.Popen(  # noqa: S603 (our own module, our own index)
        [sys.executable, "-m", "search.ingest.background", str(index_dir), str(os.getpid()),
         *([str(tables)] if (tables := lemma_table.in_use()) is not None else [])],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, close_fds=True)
    return True


def _held(index_dir) -> bool:
    fd = _claim(index_dir)
    if fd is None:
        return True
    os.close(fd)
    return False


def _claim(index_dir) -> int | None:
    fd = os.open(Path(index_dir) / MERGING, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def run(index_dir, limit: int = 0) -> int:
    """Merge groups until none is left (or limit merges, if given), unless another merge
    holds MERGING; the merges swapped in."""
    fd = _claim(index_dir)
    if fd is None:
        return 0
    done = 0
    try:
        while not limit or done < limit:
            path = store.current_path(index_dir)
            if path is None:
                break
            for old in path.glob(HIDDEN + "*"):  # a killed merge's (MERGING is ours now)
                shutil.rmtree(old, ignore_errors=True)
            if not merge_once(index_dir, path):
                break
            done += 1
    finally:
        os.close(fd)
    return done


def merge_once(index_dir, path: Path) -> bool:
    """One group of path's latest commit merged and swapped in; False if none was (nothing
    to merge, or a source went meanwhile)."""
    ix = store.open_dir(path)
    toc = ix._read_toc()
    picked = group([s.doc_count() for s in toc.segments])
    if not picked:
        return False
    sources = [toc.segments[i] for i in sorted(picked)]
    hidden = path / f"{HIDDEN}{os.getpid()}"
    hidden.mkdir()
    t0 = time.monotonic()
    try:
        out = FileStorage(str(hidden))
        merged = merge.merge(ix.storage, toc.schema, store.codec(), ix.indexname, sources, out)
        copies.table(out, toc.schema, merged)  # its signature table, outside the lock too
        names = [f.name for f in hidden.iterdir()
                 if f.is_file() and f.name.startswith(merged.segment_id())]
        for name in names:
            store.fsync_path(hidden / name)
        t1 = time.monotonic()
        swapped = _swap(index_dir, path, hidden, names, sources, merged)
        log.info("%d segments of %d documents merged in %.1f s, %s in %.2f s", len(sources),
                 merged.doc_count_all(), t1 - t0, "swapped" if swapped else "dropped",
                 time.monotonic() - t1)
        return swapped
    finally:
        shutil.rmtree(hidden, ignore_errors=True)


class _Gone(Exception):
    """A source of the merge is no longer in the index."""


def _swap(index_dir, path: Path, hidden: Path, names: list[str], sources: list,
          merged) -> bool:
    """Replace sources by merged in a commit of its own, under the writer lock."""
    seen = {s.segment_id(): set(s.deleted_docs()) for s in sources}
    maps = _numbered(sources, seen)
    deadline = time.monotonic() + WAIT
    while True:
        try:
            with store.lock(index_dir, brief=True):
                if store.current_path(index_dir) != path:
                    return False  # a full reindex switched generations
                t0 = time.monotonic()
                try:
                    return _commit(path, hidden, names, sources, seen, maps, merged)
                finally:
                    log.info("the writer lock held %.3f s", time.monotonic() - t0)
        except store.IndexBusy:
            if time.monotonic() > deadline:
                log.warning("background merge dropped: the index stayed busy %.0f s", WAIT)
                return False
            time.sleep(0.05)


def _numbered(sources: list, seen: dict) -> list[np.ndarray]:
    """Each source document's number in the merged segment (-1: deleted before the merge),
    as merge.merge numbers them: live documents in order, source after source."""
    maps, total = [], 0
    for s in sources:
        live = np.ones(s.doc_count_all(), bool)
        live[list(seen[s.segment_id()])] = False
        m = np.full(len(live), -1, np.int64)
        m[live] = total + np.arange(int(live.sum()))
        total += int(live.sum())
        maps.append(m)
    return maps


def _commit(path: Path, hidden: Path, names: list[str], sources: list, seen: dict,
            maps: list, merged) -> bool:
    ix = store.open_dir(path)
    ids = [s.segment_id() for s in sources]

    def swap(writer, segments: list) -> list:
        now = {s.segment_id(): s for s in segments}
        if any(i not in now for i in ids):
            raise _Gone
        for i, m in zip(ids, maps, strict=True):
            for d in set(now[i].deleted_docs()) - seen[i]:  # deleted while merging
                merged.delete_document(int(m[d]))
        at = min(k for k, s in enumerate(segments) if s.segment_id() in ids)
        kept = [s for s in segments if s.segment_id() not in ids]
        return [s for s in kept[:at] + [merged] + kept[at:] if s.doc_count() > 0]

    writer = ix.writer()
    moved = []
    try:
        for name in names:  # in place before the TOC that names them
            os.replace(hidden / name, path / name)
            moved.append(path / name)
        store.fsync_path(path)
        before = commit._files(path)
        writer.commit(mergetype=swap)
    except _Gone:
        writer.cancel()
        for p in moved:
            p.unlink(missing_ok=True)
        return False
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    commit._fsync_changed(path, before)
    return True


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="background merge: %(message)s")
    if len(sys.argv) > 2:  # a server stopped stops its merge (it is redone); its lemma tables
        merge.child_start(int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    try:
        os.nice(5)  # behind the searches and the commits
    except OSError:
        pass
    sys.exit(0 if run(sys.argv[1]) >= 0 else 1)
