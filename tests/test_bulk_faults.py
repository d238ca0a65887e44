"""Faults during bulk writes: SIGKILL mid-run, and a disk that fills up (a small tmpfs)."""

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search.engine import Engine
from search.ingest import store
from search.ingest.indexer import DiskFull, doc_count, reindex
from tests.test_ranking_oracle import RU

ROOT = Path(__file__).resolve().parent.parent


def _feed(path: Path, prefix: str, n: int, words: int = 120, seed: int = 0) -> set[str]:
    rng = random.Random(seed)
    ids = set()
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i in range(n):
            ids.add(f"{prefix}{i}")
            f.write(json.dumps({"id": f"{prefix}{i}", "lang": "ru", "title": rng.choice(RU),
                                "text": " ".join(rng.choice(RU) for _ in range(words))})
                    + "\n")
    return ids


def _all_ids(index_dir) -> list[str]:
    ix = store.open_current(index_dir, create=False)
    with ix.reader() as r:
        return [r.stored_fields(d)["id"] for d in r.all_doc_ids()]


def _searchable(index_dir) -> int:
    eng = Engine(index_dir)
    try:
        return eng.search("бюджет", per_page=1).total
    finally:
        eng.close()


@pytest.mark.slow
def test_sigkill_during_bulk_writes_loses_nothing_committed(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    committed = _feed(src / "base.jsonl.gz", "base", 50)
    assert reindex(ix, [src]).documents == 50
    rng = random.Random(7)
    kills = 0
    files = [set(committed)]  # each file's ids
    for round_ in range(6):
        files.append(_feed(src / f"more{round_}.jsonl.gz", f"m{round_}-", 400, seed=round_))
        proc = subprocess.Popen(
            [sys.executable, "-m", "search", "reindex", str(src), "--index", str(ix),
             "--procs", "2", "--wait", "30"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        time.sleep(rng.uniform(0.3, 2.5))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        ids = _all_ids(ix)
        assert len(ids) == len(set(ids))  # never a document twice
        assert committed <= set(ids)  # nothing committed is lost
        for f in files:  # a run commits whole: each file's records all there, or none
            assert set(ids) & f in (set(), f)
        committed = set(ids)
        assert _searchable(ix) > 0
    assert kills >= 2, "the runs finished before they could be killed: a faster machine?"
    s = reindex(ix, [src])  # the run after the kills: everything, once
    ids = _all_ids(ix)
    assert s.skipped == [] and len(ids) == len(set(ids)) == 50 + 6 * 400


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True)
    return r.returncode == 0


def _fill(folder: Path, leave: int) -> Path:
    """A file taking all the space of folder's file system but `leave` bytes."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    filler = folder / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - leave))
    return filler


def test_disk_full_keeps_the_live_generation_and_the_next_run_succeeds(tmp_path):
    mnt = tmp_path / "mnt"
    if not _mount_tmpfs(mnt, "24m"):
        pytest.skip("needs root and tmpfs mounts to fill a small disk")
    try:
        src, ix = tmp_path / "src", mnt / "ix"
        src.mkdir()
        _feed(src / "a.jsonl.gz", "a", 30)
        assert reindex(ix, [src]).documents == 30
        live = store.current_path(ix)
        before = sorted(p.name for p in live.iterdir())
        _feed(src / "b.jsonl.gz", "b", 1500, words=300, seed=2)
        filler = _fill(mnt, leave=600_000)
        with pytest.raises(DiskFull) as e:
            reindex(ix, [src])
        assert str(live) in e.value.strerror
        assert sorted(p.name for p in live.iterdir()) == before  # nothing left behind
        assert doc_count(ix) == 30 and _searchable(ix) > 0
        r = subprocess.run([sys.executable, "-m", "search", "reindex", str(src), "--index",
                            str(ix), "--procs", "1"], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 4
        (line,) = r.stderr.strip().splitlines()
        assert line.startswith("error: disk full while writing the index in ") and \
            str(live) in line
        assert sorted(p.name for p in live.iterdir()) == before
        filler.unlink()  # space returns
        s = reindex(ix, [src])
        assert s.skipped == [] and doc_count(ix) == 1530
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
