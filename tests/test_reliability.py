"""Reliability: writer lock, SIGKILL at random moments, zero-downtime full reindex."""

import json
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from search.engine import Engine
from search.ingest import store
from search.ingest.indexer import reindex
from tests.servers import gunicorn

DOCS = 1500


def write_corpus(path, version: str, count: int = DOCS):
    """count docs that all say which version they belong to (альфа or бета)."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            f.write(json.dumps({
                "id": f"d{i}", "lang": "uk", "title": f"Новина {i} {version}",
                "text": f"Звіт номер {i}: {version} громада обговорила бюджет, дороги, школи "
                        f"та лікарні. Депутати ухвалили рішення щодо ремонту мосту {version}.",
            }, ensure_ascii=False) + "\n")


def run_cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "search", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def totals(index_dir):
    eng = Engine(index_dir)
    try:
        return eng.doc_count(), eng.search("альфа").total, eng.search("бета").total
    finally:
        eng.close()


def test_second_reindex_refuses_cleanly_then_waits(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    write_corpus(src / "a.jsonl", "альфа", 20)
    with store.lock(ix):
        out = run_cli("reindex", str(src), "--index", str(ix))
        _, err = out.communicate(timeout=60)
        assert out.returncode == 3
        assert "another reindex is writing" in err and "Traceback" not in err
        waiting = run_cli("reindex", str(src), "--index", str(ix), "--wait", "30")
        time.sleep(1.5)
    stdout, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert totals(ix) == (20, 20, 0)


def test_lock_of_a_killed_process_is_released(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from search.ingest import store\n"
                               f"with store.lock({str(tmp_path)!r}):\n"
                               "    print('locked', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(store.IndexBusy):
        with store.lock(tmp_path):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    with store.lock(tmp_path, timeout=5):
        pass


@pytest.mark.slow
def test_sigkill_at_random_moments_keeps_previous_content(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    write_corpus(src / "a.jsonl", "альфа")
    reindex(ix, [src])
    assert totals(ix) == (DOCS, DOCS, 0)
    # How long a whole run takes here, so that kills land across all of it.
    # (The shorter of a full and an incremental run: the bulk writer makes them differ.)
    durations = []
    for extra in ([], ["--full"]):  # ends with альфа, as the loop below expects
        write_corpus(src / "a.jsonl", "альфа" if extra else "бета")
        started = time.monotonic()
        timed = run_cli("reindex", str(src), "--index", str(ix), *extra)
        timed.communicate(timeout=300)
        durations.append(time.monotonic() - started)
    duration = min(durations)
    rng = random.Random(20261122)
    kills = 0
    for i in range(20):
        version = "бета" if i % 2 == 0 else "альфа"
        write_corpus(src / "a.jsonl", version)
        full = ["--full"] if i % 3 == 0 else []
        proc = run_cli("reindex", str(src), "--index", str(ix), *full)
        time.sleep(rng.uniform(0.1, 0.9) * duration)
        if proc.poll() is None:
            proc.kill()
            kills += 1
        proc.communicate()
        count, alpha, beta = totals(ix)
        # Either the old or the new content, whole: never a mix, never empty.
        assert count == DOCS and sorted([alpha, beta]) == [0, DOCS], (i, count, alpha, beta)
    assert kills >= 15, f"only {kills} of 20 runs were killed mid-way"
    write_corpus(src / "a.jsonl", "бета")
    done = run_cli("reindex", str(src), "--index", str(ix))
    done.communicate(timeout=300)
    assert done.returncode == 0
    assert totals(ix) == (DOCS, 0, DOCS)
    gens = [p for p in ix.iterdir() if p.name.startswith("gen-")]
    assert len(gens) <= 1 + store.KEEP_OLD


@pytest.mark.slow
def test_full_reindex_under_load_has_no_errors_and_no_empty_results(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    write_corpus(src / "a.jsonl", "альфа", 400)
    reindex(ix, [src])
    failures, answers, stop = [], [], threading.Event()
    with gunicorn(ix, workers=2) as base:
        def client():
            with requests.Session() as http:
                while not stop.is_set():
                    r = http.get(f"{base}/api/search", params={"q": "бюджет"}, timeout=10)
                    if r.status_code != 200 or r.json()["total"] == 0:
                        failures.append((r.status_code, r.text[:200]))
                    answers.append(r.json().get("total"))

        threads = [threading.Thread(target=client) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            for version in ("бета", "альфа", "бета"):
                write_corpus(src / "a.jsonl", version, 400)
                full = run_cli("reindex", str(src), "--index", str(ix), "--full")
                full.communicate(timeout=120)
                assert full.returncode == 0
                time.sleep(0.5)
            newest = requests.get(f"{base}/api/search", params={"q": "бета"}, timeout=10).json()
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
    assert not failures, failures[:3]
    assert len(answers) > 50
    assert newest["total"] == 400  # the workers serve the new generation without a restart


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_killed_parallel_reindex_leaves_no_orphan_holding_the_lock(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    write_corpus(src / "a.jsonl", "альфа", 6000)
    proc = run_cli("reindex", str(src), "--index", str(ix), "--full", "--procs", "2")
    deadline = time.monotonic() + 60
    while not _children(proc.pid) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    children = _children(proc.pid)
    assert children, "the writer processes never started"
    proc.kill()
    proc.communicate(timeout=30)  # returns only once no orphan holds its output pipes
    time.sleep(1)
    assert not [c for c in children if _alive(c)]
    with store.lock(ix, timeout=5):
        pass
