"""The live-ingest committer process: one per server, forked by gunicorn's master."""

import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests

from search.ingest import commitd, committer, journal
from tests.servers import Gunicorn
from tests.web_helpers import build_index

TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def doc(name: str) -> dict:
    return {"id": name, "title": f"Новина {name}", "lang": "uk",
            "text": f"Сьогодні у місті вибори, бюлетень {name}."}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def children(pid: int) -> set[int]:
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def traced(trace: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in trace.read_text().splitlines()]
    except FileNotFoundError:
        return []


class Server(Gunicorn):
    """A writable gunicorn (the project's config) with threaded workers, whose log tells its
    committer's pid."""

    def __init__(self, index_dir: Path, log: Path, workers: int = 2, env: dict | None = None):
        super().__init__(index_dir, log, workers, {
            "SEARCH_WRITE_TOKEN": TOKEN, "SEARCH_COMMIT_INTERVAL": "0.1", "SEARCH_THREADS": "2",
            **(env or {})})

    def post(self, name: str):
        resp = requests.post(f"{self.base}/api/documents", json=doc(name), headers=AUTH,
                             timeout=30)
        assert resp.status_code == 200, resp.text

    def wait_found(self, name: str, timeout: float = 20.0) -> float:
        started = time.monotonic()
        while requests.get(f"{self.base}/api/doc/{name}", timeout=10).status_code != 200:
            assert time.monotonic() - started < timeout, f"{name} never became searchable"
            time.sleep(0.05)
        return time.monotonic() - started


@pytest.mark.slow
def test_one_committer_process_commits_for_every_worker(tmp_path):
    index_dir, _ = build_index(tmp_path, 5)
    trace = tmp_path / "trace"
    server = Server(index_dir, tmp_path / "log", workers=3,
                    env={"SEARCH_INGEST_TRACE": str(trace), "SEARCH_COMMITTER_NICE": "-5"})
    try:
        [pid] = server.committers()
        assert pid in children(server.proc.pid)
        if os.geteuid() == 0:  # ahead of the workers (SEARCH_COMMITTER_NICE=-5)
            assert niceness(pid) == niceness(server.proc.pid) - 5
        for k in range(12):
            server.post(f"d{k}")
        server.wait_found("d11")
        # Every commit came from that process: the workers' threads only stand in. (A commit's
        # line is written just after its documents are searchable.)
        deadline = time.monotonic() + 10
        commits = traced(trace)
        while sum(c["ops"] for c in commits) < 12:
            assert time.monotonic() < deadline, commits
            time.sleep(0.05)
            commits = traced(trace)
        assert {c["pid"] for c in commits} == {pid}
        assert sum(c["ops"] for c in commits) == 12
        assert all(c["first"] <= c["taken"] <= c["committed"] for c in commits)
    finally:
        server.stop()
    assert not alive(pid)  # stopped with the server


@pytest.mark.slow
def test_killed_committer_is_replaced_and_nothing_is_lost(tmp_path):
    index_dir, _ = build_index(tmp_path, 5)
    server = Server(index_dir, tmp_path / "log")
    try:
        [first] = server.committers()
        os.kill(first, signal.SIGKILL)
        server.post("while-dead")  # the workers stand in, or the next process commits it
        server.wait_found("while-dead")
        deadline = time.monotonic() + 10
        while len(server.committers()) < 2:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        second = server.committers()[-1]
        assert second != first and alive(second)
        server.post("after")
        server.wait_found("after")
    finally:
        server.stop()
    assert not alive(second)


@pytest.mark.slow
def test_committer_dies_with_a_killed_master(tmp_path):
    index_dir, _ = build_index(tmp_path, 5)
    server = Server(index_dir, tmp_path / "log")
    [pid] = server.committers()
    os.kill(server.proc.pid, signal.SIGKILL)  # the master alone: no process group kill
    server.proc.wait()
    deadline = time.monotonic() + 15
    while alive(pid):
        assert time.monotonic() < deadline, "the committer outlived its master"
        time.sleep(0.1)
    os.killpg(server.proc.pid, signal.SIGKILL)  # the workers, which notice a bit later


def test_read_only_server_forks_no_committer(tmp_path):
    from web import create_app
    from web.ingest import start_committer_process

    index_dir, _ = build_index(tmp_path, 3)
    app = create_app({"SEARCH_INDEX_DIR": str(index_dir), "SEARCH_WRITE_TOKEN": ""})
    assert start_committer_process(app) is None
    assert not app.config.get("SEARCH_COMMITTER_PROCESS")


def test_keeper_starts_stops_and_replaces_its_process(tmp_path):
    index_dir, _ = build_index(tmp_path, 3)
    keeper = commitd.Keeper(index_dir, 0.05)
    pid = keeper.start()
    try:
        journal.append(index_dir, [{"put": doc("kept")}])
        deadline = time.monotonic() + 20
        while journal.pending(index_dir):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        while keeper.alive():
            time.sleep(0.01)
        keeper.check()
        assert keeper.pid != pid and keeper.alive() and keeper.respawns == 1
    finally:
        keeper.stop()
    assert not keeper.alive()


def test_standby_committer_applies_only_what_has_waited(tmp_path, monkeypatch):
    index_dir, _ = build_index(tmp_path, 3)
    monkeypatch.setattr(committer, "FALLBACK_AFTER", 1.0)
    worker = committer.Committer(index_dir, 0.05, standby=True).start()
    try:
        journal.append(index_dir, [{"put": doc("late")}])
        appended = time.monotonic()
        while journal.pending(index_dir):
            assert time.monotonic() - appended < 20
            time.sleep(0.02)
        assert time.monotonic() - appended >= 1.0
        while not worker.commits:  # counted just after the journal is dropped
            assert time.monotonic() - appended < 20
            time.sleep(0.01)
    finally:
        worker.stop()


def test_oldest_is_the_first_waiting_operation(tmp_path):
    assert journal.oldest(tmp_path) is None
    before = time.time()
    journal.append(tmp_path, [{"put": doc("a")}])
    journal.append(tmp_path, [{"put": doc("b")}])
    first = journal.oldest(tmp_path)
    assert before <= first <= time.time()
    journal.take(tmp_path)  # applying: still the oldest
    journal.append(tmp_path, [{"delete": "a"}])
    assert journal.oldest(tmp_path) == first


def test_a_commit_fsyncs_the_files_it_wrote_and_after_a_cut_one_every_file(tmp_path,
                                                                          monkeypatch):
    from search.ingest import store

    index_dir, _ = build_index(tmp_path, 3)
    synced: list[Path] = []
    real = store.fsync_path
    monkeypatch.setattr(store, "fsync_path", lambda p: (synced.append(Path(p)), real(p)))
    gen = store.current_path(index_dir)

    def commit(name: str, cut: bool = False) -> set[str]:
        synced.clear()
        journal.append(index_dir, [{"put": doc(name)}])
        if cut:  # a committer killed mid-commit leaves its batch behind
            journal.take(index_dir)
        assert committer.apply_pending(index_dir) == 1
        return {p.name for p in synced if p.parent == gen}

    before = {p.name for p in gen.iterdir()}
    first = commit("one")
    written = {p.name for p in gen.iterdir()} - before
    assert written and written <= first
    assert any(name.endswith(".toc") for name in first)
    assert not first & before - {"MAIN_WRITELOCK"}  # not the files of earlier commits
    after_cut = commit("two", cut=True)
    assert after_cut == {p.name for p in gen.iterdir() if p.is_file()}


def test_standby_committer_leaves_a_live_committer_process_alone(tmp_path, monkeypatch):
    index_dir, _ = build_index(tmp_path, 3)
    monkeypatch.setattr(committer, "FALLBACK_AFTER", 0.2)
    held = committer.claim(index_dir)  # as a committer process holds it, however slow it is
    worker = committer.Committer(index_dir, 0.05, standby=True).start()
    try:
        journal.append(index_dir, [{"put": doc("slow")}])
        time.sleep(1.5)
        assert journal.pending(index_dir) and worker.commits == 0
        os.close(held)  # the process died: the worker stands in
        deadline = time.monotonic() + 20
        while not worker.commits:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        free = committer.claim(index_dir, block=False)  # released after its commit
        assert free is not None
        os.close(free)
    finally:
        worker.stop()
