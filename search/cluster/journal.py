"""Per-shard write journals and each mirror's last applied sequence number.

Every statement for a shard is appended to its journal (fsync'd) before any mirror sees it,
under the next sequence number. A mirror records the last number it applied; a mirror that
missed statements (dead, restarting) is caught up by replaying the rest in order. REPLACE,
DELETE and TRUNCATE are idempotent, so replaying a statement twice does no harm.

A journal is a folder of segments `<first seq>.log` of `<seq> <length>\n<sql>\n` records; a
run starts a new segment, and segments every mirror has applied are removed.
"""

import os
from pathlib import Path

from search.ingest.store import fsync_path

JOURNAL_DIR = "journal"


class Journal:
    """The journal of one shard under root/journal/shard<N>/."""

    def __init__(self, root, shard: int):
        self.dir = Path(root) / JOURNAL_DIR / f"shard{shard}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._file = None
        self.last = self._scan_last()

    def segments(self) -> list[tuple[int, Path]]:
        out = []
        for p in self.dir.glob("*.log"):
            try:
                out.append((int(p.stem), p))
            except ValueError:
                continue
        return sorted(out)

    def first(self) -> int:
        """The lowest sequence number still kept (last + 1 when the journal is empty)."""
        segs = self.segments()
        return segs[0][0] if segs else self.last + 1

    def _scan_last(self) -> int:
        segs = self.segments()
        if not segs:
            return _read_int(self.dir / "base")
        last = segs[-1][0] - 1
        for seq, _ in _records(segs[-1][1]):
            last = seq
        return last

    def append(self, sql: str) -> int:
        """Write one statement, durably; its sequence number."""
        return self.append_many([sql])[0]

    def append_many(self, statements: list[str]) -> list[int]:
        """Write statements in order, durably with one fsync; their sequence numbers."""
        if self._file is None:
            path = self.dir / f"{self.last + 1:012d}.log"
            self._file = open(path, "ab")
            fsync_path(self.dir)
        seqs = []
        for sql in statements:
            data = sql.encode()
            seq = self.last + 1 + len(seqs)
            self._file.write(b"%d %d\n" % (seq, len(data)) + data + b"\n")
            seqs.append(seq)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.last += len(seqs)
        return seqs

    def after(self, seq: int):
        """(seq, sql) of every statement after seq, in order."""
        segs = self.segments()
        for i, (_, path) in enumerate(segs):
            if i + 1 < len(segs) and segs[i + 1][0] - 1 <= seq:
                continue  # every record of this segment was applied
            for n, data in _records(path):
                if n > seq:
                    yield n, data.decode()

    def compact(self, applied: int) -> None:
        """Remove the segments every mirror has applied (all of them up to `applied`)."""
        self.close()
        segs = self.segments()
        for i, (_, path) in enumerate(segs):
            end = segs[i + 1][0] - 1 if i + 1 < len(segs) else self.last
            if end <= applied:
                path.unlink()
        _write_int(self.dir / "base", self.last)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _records(path: Path):
    """(seq, bytes) of a segment's complete records (a torn last record is left out)."""
    with open(path, "rb") as f:
        while True:
            head = f.readline()
            if not head.endswith(b"\n"):
                return
            try:
                seq, size = (int(x) for x in head.split())
            except ValueError:
                return
            data = f.read(size + 1)
            if len(data) != size + 1:
                return
            yield seq, data[:-1]


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def _write_int(path: Path, value: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(str(value))
    os.replace(tmp, path)


def applied(root, node: str) -> int:
    """The last journal sequence number node (`shard0m1`) applied."""
    return _read_int(Path(root) / node / "applied")


def set_applied(root, node: str, seq: int) -> None:
    (Path(root) / node).mkdir(parents=True, exist_ok=True)
    _write_int(Path(root) / node / "applied", seq)
