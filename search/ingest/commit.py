"""One live-ingest commit: the journal's batch applied to the index in one Whoosh commit.

Whoever commits holds the index's writer lock (store.lock), which the CLI's reindex takes too.
The commit is on disk (its files fsync'd) before the batch is dropped from the journal. Small
segments are merged in the commit only up to a bounded size (merge_live), so no commit ever
rewrites a large part of the index: Whoosh's own policy (MERGE_SMALL) would, after a few
thousand live commits, merge the whole index in one of them. Bigger segments are merged by a
background process (background.py), which holds the lock only to swap its result in.
"""

import hashlib
import json
import logging
import math
import os
import threading
import time
from pathlib import Path

from whoosh import index as whoosh_index

from search.ingest import journal, merge, store
from search.ingest.documents import Document, Skip, from_record
from search.ingest.indexer import document_fields
from search.ingest.pages import first_sentence
from search.ingest.readers import reopen

log = logging.getLogger(__name__)

API_SOURCE = "<api>"  # the `source` of documents written over HTTP (never a file's path)
CARRIED = "ingest.carried"  # the generation whose API documents the current one has
# Live merges: FACTOR segments of one size tier (live documents < FACTOR**k) become one, so a
# document is rewritten about log_FACTOR(its segment's size) times. Only segments of fewer than
# LIVE_MAX documents are merged in a commit, in its process (a few ms); bigger tiers in a
# background process (background.py), so no commit waits on a big merge.
FACTOR = 8
LIVE_MAX = 64
# Each generation's live sizes after its last commit here: whether a background merge is due.
sizes_after: dict[Path, list[int]] = {}


def live_groups(sizes: list[int]) -> list[int]:
    """Indexes of the segments (of sizes live documents) to merge next; [] when none: the
    FACTOR smallest of the lowest size tier below LIVE_MAX that has FACTOR of them."""
    return tier_group(sizes, 1, LIVE_MAX)


def tier_group(sizes: list[int], low: int, high: int, most: int | None = None) -> list[int]:
    """The FACTOR smallest segments of the lowest size tier (live documents in [FACTOR**k,
    FACTOR**(k+1))) that has FACTOR of them, among those of low to high-1 documents; at most
    most documents in all (then fewer segments, but two or more); [] when none."""
    tiers: dict[int, list[tuple[int, int]]] = {}
    for i, n in enumerate(sizes):
        if low <= n < high and n > 0:
            tiers.setdefault(int(math.log(n, FACTOR) + 1e-9), []).append((n, i))
    for tier in sorted(tiers):
        if len(tiers[tier]) >= FACTOR:
            group, total = [], 0
            for n, i in sorted(tiers[tier])[:FACTOR]:
                if most is not None and len(group) >= 2 and total + n > most:
                    break
                group.append(i)
                total += n
            return group
    return []


def merge_live(writer, segments: list) -> list:
    """A commit's merge policy (Whoosh's mergetype): the segments to keep, with live_groups'
    groups merged in process; segments whose every document is deleted are dropped."""
    kept = merge.merge_picked(writer, segments, live_groups, merge.merge)
    sizes_after[Path(writer.storage.folder)] = [s.doc_count() for s in kept]
    return kept


def _signature(record: dict) -> str:
    text = json.dumps(record, ensure_ascii=True, sort_keys=True).encode()
    return "api:" + hashlib.sha256(text).hexdigest()[:32]


def _fields(doc: Document, signature: str) -> dict:
    # The one place the API's documents become index fields (the indexer's function).
    return document_fields(doc, API_SOURCE, signature)


def write(writer, ops: list[dict], searcher=None) -> int:
    """Apply operations to an open Whoosh writer, the last one per id winning; changes made.

    searcher, if given, reads the same commit as the writer: documents are found in it, not
    through the writer's own searcher, which opens every segment anew (a quarter of a second
    at 200k documents)."""
    final: dict[str, tuple[str, object]] = {}
    for op in ops:
        if "put" in op:
            try:
                doc = from_record(op["put"])
            except Skip as e:  # checked when accepted; only a changed parser gets here
                log.warning("journaled record skipped: %s", e)
                continue
            final.pop(doc.id, None)
            final[doc.id] = ("put", (doc, op["put"]))
        elif isinstance(op.get("delete"), str):
            final.pop(op["delete"], None)
            final[op["delete"]] = ("delete", None)
    for doc_id, (kind, value) in final.items():
        if searcher is None:
            writer.delete_by_term("id", doc_id)
        else:
            for docnum in searcher.document_numbers(id=doc_id):
                writer.delete_document(docnum)
        if kind == "put":
            doc, record = value
            writer.add_document(**_fields(doc, _signature(record)))
    return len(final)


_unsynced: set[Path] = set()  # generation folders where this process's fsync failed


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file's (mtime in ns, size): what a commit changed is what differs afterwards."""
    found = {}
    with os.scandir(folder) as entries:
        for e in entries:
            try:
                if e.is_file():
                    st = e.stat()
                    found[e.name] = (st.st_mtime_ns, st.st_size)
            except FileNotFoundError:
                pass  # a merged-away segment removed meanwhile
    return found


def _fsync_changed(folder: Path, before: dict[str, tuple[int, int]]) -> None:
    # Whoosh does not fsync; the journal is dropped only once the commit would survive a crash.
    # Only the files this commit wrote (new names: segments, their tables, the TOC), not every
    # file touched in the last second, as before: each fsync is a disk flush.
    for name, state in _files(folder).items():
        if before.get(name) != state:
            try:
                store.fsync_path(folder / name)
            except FileNotFoundError:
                pass
    store.fsync_path(folder)


def apply_pending(index_dir, trace: dict | None = None) -> int:
    """Commit what the journal holds, if the writer lock is free now; changes made. Raises
    store.IndexBusy when another writer (a reindex, another worker) holds it. trace, if given,
    gets the batch's size, its oldest and newest journal times and when it was taken."""
    moved = _switched(index_dir)
    if not moved and not journal.pending(index_dir):
        return 0
    with store.lock(index_dir, brief=True):
        path = store.ensure_current(index_dir)
        old = _switched(index_dir)
        # A batch left over: its commit may have been cut between Whoosh's commit and the fsync.
        cut = (Path(index_dir) / journal.APPLYING).exists() or old is not None
        batch = journal.take(index_dir)
        if batch is None and not old:
            return 0
        ops = journal.read(batch) if batch else []
        if trace is not None:
            times = [op["t"] for op in ops if isinstance(op.get("t"), (int, float))]
            trace.update(ops=len(ops), taken=time.time(), first=min(times, default=None),
                         last=max(times, default=None), cpu=time.thread_time(),
                         ids=[str(op["put"].get("id")) for op in ops if "put" in op])
        ix = store.open_dir(path)
        searcher = _searcher(ix, path)
        # After a cut commit, every file: its files, which this commit's TOC may still name,
        # might not be on disk.
        before = {} if cut or path in _unsynced else _files(path)
        writer = ix.writer(limitmb=64)
        try:
            # First what a full reindex left behind, then what was written since.
            changed = _carry(old, ix, writer) if old else 0
            changed += write(writer, ops, searcher)
        except BaseException:
            writer.cancel()
            raise
        _unsynced.add(path)  # until this commit's files are on disk (an fsync may fail)
        writer.commit(mergetype=merge_live)
        if trace is not None:
            trace["written"] = time.time()
        _fsync_changed(path, before)
        _unsynced.discard(path)
        if old is not None:
            _mark_carried(index_dir, path)
        if batch:
            journal.done(batch)
        if trace is not None and "cpu" in trace:
            trace["cpu"] = round(time.thread_time() - trace.get("cpu", 0.0), 4)
        return changed


_searchers: dict[Path, object] = {}  # generation folder → a searcher kept across commits


def _searcher(ix, path: Path):
    """A searcher on ix's latest commit, reusing the last one's unchanged segments (call under
    the writer lock, so that it reads what the writer about to open reads)."""
    old = _searchers.pop(path, None)
    for other in list(_searchers):  # generations switched away from
        _searchers.pop(other).close()
    _searchers[path] = ix.searcher() if old is None else reopen(ix, old)
    return _searchers[path]


def prepare(index_dir) -> None:
    """Open the committer's searcher now, not at the first commit (every segment's terms are
    read into memory: seconds at 200k documents, which the first writes would wait for)."""
    path = store.current_path(index_dir)
    if path is None:
        return
    try:
        _searcher(store.open_dir(path), path)
    except (OSError, whoosh_index.EmptyIndexError):
        pass  # no index yet, or switched meanwhile: the first commit opens it


def _switched(index_dir) -> Path | None:
    """The previous generation, if a full reindex switched `current` since API documents were
    last carried over (a first look just records the current one)."""
    current = store.current_path(index_dir)
    if current is None:
        return None
    try:
        carried = (Path(index_dir) / CARRIED).read_text().strip()
    except FileNotFoundError:
        _mark_carried(index_dir, current)
        return None
    return None if carried == current.name else Path(index_dir) / carried


def _mark_carried(index_dir, path: Path) -> None:
    tmp = Path(index_dir) / f".{CARRIED}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text(path.name + "\n")
    os.replace(tmp, Path(index_dir) / CARRIED)


def _carry(old: Path, ix, writer) -> int:
    """Copy the API's documents of an older generation that the current one lacks (a full
    reindex builds from files only); stored fields hold all they need."""
    try:
        old_ix = store.open_dir(old)
    except (OSError, whoosh_index.EmptyIndexError):  # cleaned away: nothing left to carry
        log.warning("API documents of %s could not be carried over", old)
        return 0
    n = 0
    with old_ix.searcher() as s, ix.searcher() as now:
        for docnum in s.document_numbers(source=API_SOURCE):
            f = s.stored_fields(docnum)
            if ("id", f["id"]) in now.reader():
                continue  # the reindex has it from a file, or the API wrote it again
            doc = Document(id=f["id"], title=f.get("title") or "", body=f.get("body") or "",
                           date=f.get("date"), url=f.get("url") or "", lang=f.get("lang") or "",
                           site=f.get("site") or "", date_precision=f.get("date_precision") or "",
                           made_up_title=f.get("title") == first_sentence(f.get("body") or ""))
            writer.add_document(**_fields(doc, f.get("signature") or ""))
            n += 1
    return n


