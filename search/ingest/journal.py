"""The ingest journal: documents accepted over HTTP, on disk before they are acknowledged.

    index/ingest.journal    (JSON lines appended and fsync'd by whichever worker took the write)
    index/ingest.applying   (the batch the committer is applying; deleted once Whoosh committed)
    index/.ingest.lock      (flock: one appender or rotation at a time, held for microseconds)

A killed committer leaves ingest.applying behind; the next one applies it again before the
journal (replaying puts and deletes in order is idempotent), so nothing acknowledged is lost.
"""

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from search.ingest.store import fsync_path

JOURNAL = "ingest.journal"
APPLYING = "ingest.applying"
LOCK = ".ingest.lock"


@contextmanager
def _locked(root: Path):
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def append(root, ops: list[dict]) -> None:
    """Append operations ({"put": record} or {"delete": id}) durably: on disk when this returns."""
    root = Path(root)
    now = time.time()
    data = "".join(json.dumps({**op, "t": now}, ensure_ascii=True) + "\n" for op in ops).encode()
    path = root / JOURNAL
    with _locked(root):
        new = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a line torn by a crash stays a line of its own
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            fsync_path(root)


def take(root) -> Path | None:
    """The batch to apply: a left-over ingest.applying, else the journal renamed to it."""
    root = Path(root)
    applying = root / APPLYING
    if applying.exists():
        return applying
    with _locked(root):
        journal = root / JOURNAL
        if not journal.exists() or journal.stat().st_size == 0:
            return None
        os.replace(journal, applying)
        fsync_path(root)
    return applying


def read(path: Path) -> list[dict]:
    """The operations of a batch file; a torn (unacknowledged) line is skipped."""
    ops = []
    with open(path, "rb") as f:
        for line in f:
            try:
                op = json.loads(line)
            except ValueError:
                continue  # torn by a crash mid-append: never acknowledged
            if isinstance(op, dict):
                ops.append(op)
    return ops


def done(path: Path) -> None:
    """Forget an applied batch (call only after its commit is on disk)."""
    path.unlink(missing_ok=True)
    fsync_path(path.parent)


def pending(root) -> bool:
    """Whether anything waits to be applied (two stat calls)."""
    root = Path(root)
    for name in (APPLYING, JOURNAL):
        try:
            if (root / name).stat().st_size:
                return True
        except FileNotFoundError:
            pass  # not there, or renamed or applied meanwhile
    return False


def status(root) -> dict:
    """Queue depth (operations not yet searchable) and the age of the oldest, in seconds."""
    root = Path(root)
    depth, oldest = 0, None
    for name in (APPLYING, JOURNAL):
        try:
            ops = read(root / name)
        except FileNotFoundError:
            continue
        depth += len(ops)
        if ops and oldest is None:
            oldest = ops[0].get("t")
    lag = max(0.0, time.time() - oldest) if oldest else 0.0
    return {"depth": depth, "lag_seconds": round(lag, 3)}
