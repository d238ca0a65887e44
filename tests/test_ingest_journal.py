"""The ingest journal: appends from many threads and processes, fsync'd as groups."""

import multiprocessing
import os
import struct
import threading
import time
import zlib

from search.ingest import journal


def _put(name: str) -> dict:
    return {"put": {"id": name, "title": name, "text": "текст"}}


def _ids(path) -> list[str]:
    return [op["put"]["id"] for op in journal.read(path)]


class _SlowFsync:
    """os.fsync that takes a while (as a busy disk's does) and counts its calls."""

    def __init__(self, seconds: float):
        self.seconds, self.calls = seconds, 0
        self._fsync = os.fsync

    def __call__(self, fd):
        self.calls += 1
        time.sleep(self.seconds)
        self._fsync(fd)


def test_concurrent_appends_share_fsyncs_and_keep_every_line(tmp_path, monkeypatch):
    slow = _SlowFsync(0.02)
    monkeypatch.setattr(journal.os, "fsync", slow)
    names = [f"t{k}-{n}" for k in range(8) for n in range(10)]

    def writer(k: int):
        for n in range(10):
            journal.append(tmp_path, [_put(f"t{k}-{n}")])

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(_ids(tmp_path / journal.JOURNAL)) == sorted(names)
    # Writers waiting behind one fsync are covered by the next one, not one each.
    assert slow.calls < len(names) / 2, slow.calls


def test_every_append_is_on_disk_when_it_returns(tmp_path, monkeypatch):
    slow = _SlowFsync(0.0)
    monkeypatch.setattr(journal.os, "fsync", slow)
    for n in range(3):  # one at a time: nobody else's fsync covers them
        journal.append(tmp_path, [_put(f"d{n}")])
    # The journal's name once (its folder), then each append's bytes.
    assert slow.calls == 1 + 3
    inode, size = journal._synced(os.open(tmp_path / journal.SYNC, os.O_RDONLY))
    stat = os.stat(tmp_path / journal.JOURNAL)
    assert (inode, size) == (stat.st_ino, stat.st_size)


def test_a_record_from_another_boot_or_file_is_not_trusted(tmp_path, monkeypatch):
    journal.append(tmp_path, [_put("first")])
    stat = os.stat(tmp_path / journal.JOURNAL)
    sync = os.open(tmp_path / journal.SYNC, os.O_RDWR)
    slow = _SlowFsync(0.0)
    monkeypatch.setattr(journal.os, "fsync", slow)
    # Before a crash, the record said far more than the journal holds now.
    head = struct.pack("<16sQQ", b"\xff" * 16, stat.st_ino, 10**9)
    os.pwrite(sync, head + struct.pack("<I", zlib.crc32(head)), 0)
    journal.append(tmp_path, [_put("after-reboot")])
    assert slow.calls == 1
    # A journal taken and applied, then a new one (which may get the old one's inode).
    batch = journal.take(tmp_path)
    journal.done(batch)
    os.pwrite(sync, journal._record(stat.st_ino, 10**9), 0)
    journal.append(tmp_path, [_put("new-file")])
    assert slow.calls >= 2
    assert journal._synced(sync)[1] == os.stat(tmp_path / journal.JOURNAL).st_size
    # A torn record (checksum wrong) is not trusted either.
    record = journal._record(os.stat(tmp_path / journal.JOURNAL).st_ino, 10**9)
    os.pwrite(sync, record[:-1] + bytes([record[-1] ^ 0xFF]), 0)
    calls = slow.calls
    journal.append(tmp_path, [_put("torn")])
    assert slow.calls == calls + 1
    os.close(sync)


def _append_many(root, prefix: str, n: int) -> None:
    for k in range(n):
        journal.append(root, [_put(f"{prefix}-{k}")])


def test_processes_and_a_committer_taking_batches_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(tmp_path, f"p{k}", 40)) for k in range(3)]
    for p in procs:
        p.start()
    taken: list[str] = []
    while any(p.is_alive() for p in procs) or journal.pending(tmp_path):
        batch = journal.take(tmp_path)
        if batch is not None:
            taken += _ids(batch)
            journal.done(batch)
        time.sleep(0.005)
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert sorted(taken) == sorted(f"p{k}-{n}" for k in range(3) for n in range(40))
