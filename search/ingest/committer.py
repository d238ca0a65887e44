"""Live ingest: check records, journal them, and commit the journal into the index in batches.

A write is acknowledged once it is in the journal (journal.py). A Committer watches the journal
and applies it in one commit (commit.py) once its oldest write has waited INTERVAL seconds for
others to join it (at once after a commit that took longer): each write is searchable at most
about INTERVAL + two commits after its answer, whatever the load (Elasticsearch's refresh). Under
gunicorn with threaded workers it runs in a process of its own (commitd.py), and the workers'
Committer threads only stand in when the journal has waited FALLBACK_AFTER seconds and that
process is gone (it holds PROCESS_LOCK); elsewhere (sync workers, the test client) each
process's thread commits, whichever takes the writer lock. The CLI's reindex takes that lock
too, so the two never write at once: while a long reindex holds it, writes are still accepted
and become searchable after it. After a commit that leaves a tier of bigger segments to merge,
the Committer starts a background merge (background.py).
"""

import fcntl
import json
import logging
import os
import threading
import time
from pathlib import Path

from search.ingest import background, commit, journal, store
from search.ingest.commit import apply_pending, prepare, write
from search.ingest.records import InvalidRecord, check, clean

__all__ = ["InvalidRecord", "accept", "apply_pending", "delete", "prepare", "status", "write",
           "Committer"]

log = logging.getLogger(__name__)

INTERVAL = 0.2  # seconds the oldest waiting write waits for others to join its commit
POLL = 0.05  # seconds between looks at the journal (other processes' writes: two stat calls)
FALLBACK_AFTER = 2.0  # a standing-in Committer applies only what has waited this long
PROCESS_LOCK = ".ingest.committer"  # flock a committer process holds for its whole life


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
    """Applies the journal once its oldest write has waited INTERVAL seconds: in a daemon
    thread (start) or in the calling one (run).

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
        if not self.standby:
            # Now, not in the first commit, which would keep every write waiting seconds.
            prepare(self.index_dir)
        while not self._stop.is_set():
            if self.parent is not None and os.getppid() != self.parent:
                return  # the server is gone
            self._wake.wait(POLL * (10 if self.standby else 1))
            self._wake.clear()
            if not self.standby:
                self._gather()
            if self._stop.is_set():
                continue
            claimed = self._stand_in() if self.standby else None
            if self.standby and claimed is None:
                continue
            trace: dict = {}
            try:
                if apply_pending(self.index_dir, trace):
                    self.commits += 1
                    self._trace(trace)
                    self._merge_behind()
            except store.IndexBusy:
                pass  # another process or a reindex is writing; try again next turn
            except Exception:
                log.exception("applying the ingest journal failed; retrying")
                self._stop.wait(5)
            finally:
                if claimed is not None:
                    os.close(claimed)

    def _merge_behind(self) -> None:
        """Start a background merge if the commit left a tier of bigger segments to merge."""
        path = store.current_path(self.index_dir)
        try:
            background.start(self.index_dir, commit.sizes_after.get(path))
        except OSError:  # no process to be had now: the next commit tries again
            log.warning("background merge not started", exc_info=True)

    def _gather(self) -> None:
        """Wait until the oldest waiting write has waited INTERVAL, so that writes arriving
        meanwhile join its commit. Paced by the writes' age, not by the last commit's end: a
        slow commit (a loaded machine) is followed at once by the next, with all that came
        during it, instead of adding a pause to every write's wait."""
        oldest = journal.oldest(self.index_dir)
        if oldest is not None:
            self._stop.wait(min(self.interval, max(0.0, oldest + self.interval - time.time())))

    def _trace(self, trace: dict) -> None:
        if self.trace:
            trace.update(committed=time.time(), pid=os.getpid())
            with open(self.trace, "a") as f:
                f.write(json.dumps(trace) + "\n")


def status(index_dir) -> dict:
    """Ingest queue depth (journaled operations not yet searchable) and lag in seconds."""
    return journal.status(index_dir)
