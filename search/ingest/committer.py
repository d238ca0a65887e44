"""Live ingest: check records, journal them, and commit the journal into the index in batches.

A write is acknowledged once it is in the journal (journal.py). A Committer polls the journal
and applies it in one Whoosh commit, as often as every INTERVAL seconds while there is work
(Elasticsearch's refresh). Under gunicorn with threaded workers it runs in a process of its own
(commitd.py), and the workers' Committer threads only stand in when the journal has waited
FALLBACK_AFTER seconds and that process is gone (it holds PROCESS_LOCK); elsewhere (sync
workers, the test client) each process's thread commits, whichever takes the lock. Whoever
commits holds the index's writer lock, which the CLI's reindex takes too, so the two never
write at once: while a long reindex holds it, writes are still accepted and become searchable
after it.
"""

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path

from whoosh import index as whoosh_index

from search.ingest import journal, store
from search.ingest.documents import Document, Skip, from_record
from search.ingest.indexer import document_fields
from search.ingest.pages import first_sentence
from search.ingest.readers import reopen
from search.ingest.records import InvalidRecord, check, clean

__all__ = ["InvalidRecord", "accept", "apply_pending", "delete", "status", "Committer"]

log = logging.getLogger(__name__)

INTERVAL = 0.3  # least seconds between commits while writes keep coming
POLL = 0.05  # seconds between looks at the journal (other processes' writes: two stat calls)
FALLBACK_AFTER = 2.0  # a standing-in Committer applies only what has waited this long
PROCESS_LOCK = ".ingest.committer"  # flock a committer process holds for its whole life
API_SOURCE = "<api>"  # the `source` of documents written over HTTP (never a file's path)
CARRIED = "ingest.carried"  # the generation whose API documents the current one has


def accept(index_dir, records: list) -> list[str]:
    """Check every record, then journal them all (durably); their ids. Nothing is journaled if
    any record is invalid (InvalidRecord)."""
    records = [clean(r) for r in records]
    docs = [check(r, n) for n, r in enumerate(records, 1)]
    journal.append(index_dir, [{"put": r} for r in records])
    return [d.id for d in docs]


def delete(index_dir, doc_id: str, exists: bool) -> bool:
    """Journal the deletion of doc_id; whether there was such a document (exists: in the
    index as searched now; the journal's pending writes decide over it)."""
    last = pending_op(index_dir, doc_id)
    found = exists if last is None else last == "put"
    if found:
        journal.append(index_dir, [{"delete": doc_id}])
    return found


def pending_op(index_dir, doc_id: str) -> str | None:
    """"put" or "delete": the last journaled, not yet searchable, operation on doc_id."""
    last = None
    for name in (journal.APPLYING, journal.JOURNAL):
        try:
            ops = journal.read(Path(index_dir) / name)
        except FileNotFoundError:
            continue
        for op in ops:
            if "put" in op and str(op["put"].get("id", "")).strip() == doc_id:
                last = "put"
            elif op.get("delete") == doc_id:
                last = "delete"
    return last


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
                         last=max(times, default=None))
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
        writer.commit()
        _fsync_changed(path, before)
        _unsynced.discard(path)
        _mark_carried(index_dir, path)
        if batch:
            journal.done(batch)
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


def claim(index_dir, block: bool = True) -> int | None:
    """Take the committer-process lock (PROCESS_LOCK): its file descriptor, held until closed
    (or the process dies); None if another holds it and block is False."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(index_dir) / PROCESS_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class Committer:
    """Applies the journal every INTERVAL seconds while there is work: in a daemon thread
    (start) or in the calling one (run).

    standby: only what has waited FALLBACK_AFTER seconds, and only while no committer process
    holds PROCESS_LOCK (it is dead, or being replaced); parent: stop once this process's parent
    is gone; trace: a file to which each commit appends a JSON line of its times
    (bench/ingest.py reads them)."""

    def __init__(self, index_dir, interval: float = INTERVAL, standby: bool = False,
                 parent: int | None = None, trace: str | None = None):
        self.index_dir = Path(index_dir)
        self.interval = interval
        self.standby = standby
        self.parent = parent
        self.trace = trace
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="committer", daemon=True)
        self.commits = 0

    def start(self) -> "Committer":
        self._thread.start()
        return self

    def wake(self) -> None:
        """Something was journaled: apply it at the next turn."""
        if not self.standby:
            self._wake.set()

    def request_stop(self) -> None:
        """Stop after the commit under way, if any (safe in a signal handler)."""
        self._stop.set()
        self._wake.set()

    def stop(self) -> None:
        self.request_stop()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _stand_in(self) -> int | None:
        """For a standing-by Committer: the committer-process lock, if the journal has waited
        FALLBACK_AFTER and no committer process holds it (None: nothing to do)."""
        oldest = journal.oldest(self.index_dir)
        if oldest is None or time.time() - oldest < FALLBACK_AFTER:
            return None
        # A slow commit under load is no reason: a worker committing beside the process
        # would open a searcher of every segment of its own.
        return claim(self.index_dir, block=False)

    def run(self) -> None:
        last = 0.0
        while not self._stop.is_set():
            if self.parent is not None and os.getppid() != self.parent:
                return  # the server is gone
            self._wake.wait(POLL * (10 if self.standby else 1))
            self._wake.clear()
            # Batch what arrives meanwhile into the next commit.
            self._stop.wait(max(0.0, last + self.interval - time.monotonic()))
            if self._stop.is_set():
                continue
            claimed = self._stand_in() if self.standby else None
            if self.standby and claimed is None:
                continue
            trace: dict = {}
            try:
                if apply_pending(self.index_dir, trace):
                    self.commits += 1
                    # From the end of one to the start of the next (paced from their starts,
                    # commits slower than the interval followed each other without a pause).
                    last = time.monotonic()
                    self._trace(trace)
            except store.IndexBusy:
                pass  # another process or a reindex is writing; try again next turn
            except Exception:
                log.exception("applying the ingest journal failed; retrying")
                self._stop.wait(5)
            finally:
                if claimed is not None:
                    os.close(claimed)

    def _trace(self, trace: dict) -> None:
        if self.trace:
            trace.update(committed=time.time(), pid=os.getpid())
            with open(self.trace, "a") as f:
                f.write(json.dumps(trace) + "\n")


def status(index_dir) -> dict:
    """Ingest queue depth (journaled operations not yet searchable) and lag in seconds."""
    return journal.status(index_dir)
