"""The index folder on disk: generations of Whoosh indexes, a `current` pointer and a lock.

    index/current -> gen-000002   (a symlink, switched atomically by a full reindex)
    index/gen-000002/             (a Whoosh index; incremental runs commit into it)
    index/.lock                   (flock: one reindex at a time; released when its process dies)
"""

import fcntl
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from search.schema import make_schema

CURRENT = "current"
_GEN = re.compile(r"^gen-(\d{6,})$")
KEEP_OLD = 1  # generations kept behind the current one, for workers still reading them
# Live ingest commits hold the lock for a moment (committer.py): every other writer waits at
# least this long before it calls the index busy.
BRIEF_HOLD = 3.0


class IndexBusy(RuntimeError):
    """Another reindex holds the lock."""


def current_path(root) -> Path | None:
    """The generation folder `current` points to, or None if there is no index yet."""
    link = Path(root) / CURRENT
    try:
        return Path(root) / os.readlink(link)
    except OSError:
        return None


def generation_number(path: Path) -> int:
    m = _GEN.match(path.name)
    return int(m.group(1)) if m else 0


def _generations(root: Path) -> list[Path]:
    return sorted((p for p in root.iterdir() if _GEN.match(p.name)), key=generation_number)


def new_generation(root) -> Path:
    """Create an empty Whoosh index in a new generation folder (not yet current)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    last = max((generation_number(p) for p in _generations(root)), default=0)
    path = root / f"gen-{last + 1:06d}"
    path.mkdir()
    whoosh_index.create_in(path, make_schema())
    return path


def switch(root, path: Path) -> None:
    """Atomically point `current` at path (rename over the old symlink)."""
    tmp = Path(root) / f".{CURRENT}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(path.name, tmp)
    os.replace(tmp, Path(root) / CURRENT)
    fsync_path(root)


def fsync_path(path) -> None:
    """Flush a file, or a folder's entries (a rename or a new file in it), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean(root) -> list[Path]:
    """Remove unfinished generations and all but KEEP_OLD finished ones behind current."""
    root = Path(root)
    current = current_path(root)
    if current is None:
        return []
    removed = []
    older = [p for p in _generations(root) if generation_number(p) < generation_number(current)]
    newer = [p for p in _generations(root) if generation_number(p) > generation_number(current)]
    # Newer ones were left by a killed full reindex (only called while holding the lock).
    for path in older[: max(0, len(older) - KEEP_OLD)] + newer:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def ensure_current(root) -> Path:
    """The current generation, created empty if there is none (call while holding the lock)."""
    path = current_path(root)
    if path is None or not whoosh_index.exists_in(path):
        path = new_generation(root)
        switch(root, path)
    return path


class Index(whoosh_index.FileIndex):
    """A Whoosh index whose writers also write each new segment's postings as arrays, and
    each commit's near-duplicate groups (search/ingest/copies.py)."""

    def writer(self, procs=1, **kwargs):
        from search.ingest import copies

        kwargs.setdefault("codec", codec())
        writer = super().writer(procs, **kwargs)
        if hasattr(writer, "_commit_toc"):
            copies.hook(writer)  # each commit stores its near-duplicate groups
        return writer


def codec():
    """The codec every writer of ours uses: Whoosh's, plus postings arrays per segment."""
    from search.ingest.codec import ArraysCodec  # imports the engine's arrays, which import this

    return ArraysCodec()


def open_dir(path) -> Index:
    """The Whoosh index in a generation folder (every writer of ours opens it this way)."""
    return Index(FileStorage(str(path)), indexname=whoosh_index._DEF_INDEX_NAME)


def open_current(root, create: bool = True):
    """The Whoosh index that `current` points to, creating a first generation if allowed."""
    path = current_path(root)
    if path is None or not whoosh_index.exists_in(path):
        if not create:
            raise FileNotFoundError(f"no index in {root}")
        with lock(root, timeout=60):
            path = ensure_current(root)
    return open_dir(path)


@contextmanager
def lock(root, timeout: float = 0.0, brief: bool = False):
    """Hold the index's writer lock; raise IndexBusy after timeout seconds (at least
    BRIEF_HOLD), or at once for a brief holder (a live-ingest commit, which retries)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + (0.0 if brief else max(timeout, BRIEF_HOLD))
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(f"another reindex is writing to {root}") from None
                time.sleep(0.2)
        # The lock dies with its process (flock), so a killed reindex never leaves a stale one;
        # the pid is only there to tell a person who holds it.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)
