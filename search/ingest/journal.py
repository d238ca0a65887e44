"""The ingest journal: documents accepted over HTTP, on disk before they are acknowledged.

    index/ingest.journal    (JSON lines appended and fsync'd by whichever worker took the write)
    index/ingest.applying   (the batch the committer is applying; deleted once Whoosh committed)
    index/.ingest.lock      (flock: one appender or rotation at a time, held for microseconds)
    index/.ingest.sync      (flock: one fsync at a time; holds how far the journal is on disk)

A killed committer leaves ingest.applying behind; the next one applies it again before the
journal (replaying puts and deletes in order is idempotent), so nothing acknowledged is lost.

Appends commit as a group: each writer appends under the short lock, then waits for the sync
lock; the one that gets it fsyncs everything appended so far and records how far that reached,
so writers queued behind it (other threads, other workers) find their bytes on disk already and
return without an fsync of their own.
"""

import fcntl
import json
import os
import struct
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

from search.ingest.store import fsync_path

JOURNAL = "ingest.journal"
APPLYING = "ingest.applying"
LOCK = ".ingest.lock"
SYNC = ".ingest.sync"
_SYNCED = struct.Struct("<16sQQI")  # (boot, inode, bytes on disk, crc32 of the rest)
_POLL = 0.001  # seconds between looks at the record while another writer fsyncs


def _boot_id() -> bytes:
    # A record from before a crash (or a reboot) speaks of a page cache that is gone.
    try:
        return bytes.fromhex(Path("/proc/sys/kernel/random/boot_id").read_text()
                             .strip().replace("-", ""))[:16]
    except (OSError, ValueError):
        return b""  # unknown: every writer fsyncs its own bytes


_BOOT = _boot_id()


@contextmanager
def _locked(root: Path, name: str = LOCK):
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def _record(inode: int, size: int) -> bytes:
    head = struct.pack("<16sQQ", _BOOT, inode, size)
    return head + struct.pack("<I", zlib.crc32(head))


def _synced(fd: int) -> tuple[int, int]:
    """(inode, bytes) the last fsync covered, in this boot; (0, 0) if unknown."""
    # Read without the lock, so a torn read is possible: the checksum tells.
    record = os.pread(fd, _SYNCED.size, 0)
    if not _BOOT or len(record) != _SYNCED.size:
        return 0, 0
    boot, inode, size, crc = _SYNCED.unpack(record)
    if boot != _BOOT or crc != zlib.crc32(record[:-4]):
        return 0, 0
    return inode, size


def _forget_synced(root: Path) -> None:
    # A new journal file may reuse a removed one's inode: none of its bytes are fsync'd yet.
    with _locked(root, SYNC) as sync:
        os.pwrite(sync, _record(0, 0), 0)


def _sync(root: Path, fd: int, end: int) -> None:
    """Return once the journal open at fd is on disk up to byte end (group commit)."""
    inode = os.fstat(fd).st_ino
    sync = os.open(root / SYNC, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            synced_inode, synced = _synced(sync)
            if synced_inode == inode and synced >= end:
                return  # another writer's fsync covered these bytes
            try:
                fcntl.flock(sync, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                # Another writer is fsyncing: its fsync may take these bytes too. Waiting in
                # flock instead would queue behind writers that came later.
                time.sleep(_POLL)
                continue
            synced_inode, synced = _synced(sync)
            if synced_inode == inode and synced >= end:
                return
            size = os.fstat(fd).st_size  # everything appended so far goes with this fsync
            os.fsync(fd)
            # The record lives in the page cache, which every process here shares; it need
            # not survive a crash (after one, the boot differs and every writer fsyncs again).
            os.pwrite(sync, _record(inode, size), 0)
            return
    finally:
        os.close(sync)  # and with it the lock


def append(root, ops: list[dict]) -> None:
    """Append operations ({"put": record} or {"delete": id}) durably: on disk when this returns."""
    root = Path(root)
    now = time.time()
    data = "".join(json.dumps({**op, "t": now}, ensure_ascii=True) + "\n" for op in ops).encode()
    path = root / JOURNAL
    fd = -1
    try:
        with _locked(root):
            new = not path.exists()
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            if new:
                _forget_synced(root)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a line torn by a crash stays a line of its own
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            end = size + len(data)
            if new:  # its name must be on disk too before anyone is told it is
                fsync_path(root)
        # Outside the append lock: writers arriving meanwhile append, and one fsync takes all.
        _sync(root, fd, end)
    finally:
        if fd >= 0:
            os.close(fd)


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
    """Forget an applied batch (call only after its commit is on disk). Not fsync'd: should
    the removal be lost in a crash, the batch is applied again, which changes nothing (after a
    left-over batch, every file of the index is fsync'd)."""
    path.unlink(missing_ok=True)


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


def oldest(root) -> float | None:
    """When the oldest operation waiting to be applied was journaled (Unix time), or None."""
    root = Path(root)
    for name in (APPLYING, JOURNAL):
        try:
            with open(root / name, "rb") as f:
                for line in f:  # the first whole line; a torn one was never acknowledged
                    try:
                        t = json.loads(line).get("t")
                    except (ValueError, AttributeError):
                        continue
                    if isinstance(t, (int, float)):
                        return t
        except FileNotFoundError:
            continue
    return None


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
