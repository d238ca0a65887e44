"""Live ingest through a real gunicorn: many writers and readers, and SIGKILLs of the server."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from whoosh import index as whoosh_index

from search.ingest import committer, journal, store
from tests.servers import ROOT, free_port, gunicorn
from tests.web_helpers import build_index

TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ENV = {"SEARCH_WRITE_TOKEN": TOKEN, "SEARCH_COMMIT_INTERVAL": "0.1"}


def doc(name: str) -> dict:
    return {"id": name, "title": f"Новина {name}", "lang": "uk",
            "text": f"Сьогодні у місті вибори, бюлетень {name}. Люди прийшли голосувати."}


class Writer(threading.Thread):
    """POSTs batches of 1-3 documents until stopped; keeps the ids acknowledged with 200."""

    def __init__(self, base: str, prefix: str):
        super().__init__(daemon=True)
        self.base, self.prefix = base, prefix
        self.acked: list[str] = []
        self.stop = threading.Event()
        self.errors: list[str] = []

    def run(self):
        n = 0
        while not self.stop.is_set():
            batch = [doc(f"{self.prefix}-{n + i}") for i in range(random.randint(1, 3))]
            n += len(batch)
            try:
                resp = requests.post(f"{self.base}/api/documents", json=batch, headers=AUTH,
                                     timeout=30)
            except requests.RequestException:
                continue  # the server is being killed: not acknowledged
            if resp.status_code == 200:
                assert resp.json()["ids"] == [d["id"] for d in batch]
                self.acked += resp.json()["ids"]
            else:
                self.errors.append(f"{resp.status_code} {resp.text[:200]}")


def indexed_ids(index_dir: Path) -> set[str]:
    ix = store.open_current(index_dir, create=False)
    with ix.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


def test_concurrent_writers_and_readers(tmp_path):
    index_dir, _ = build_index(tmp_path, 20)
    with gunicorn(index_dir, workers=3, env=ENV) as base:
        writers = [Writer(base, f"w{k}") for k in range(4)]
        read_errors, reads = [], [0]
        stop = threading.Event()

        def reader():
            while not stop.is_set():
                resp = requests.get(f"{base}/api/search", params={"q": "вибори"}, timeout=30)
                reads[0] += 1
                if resp.status_code != 200 or resp.json()["total"] < 20:
                    read_errors.append(resp.status_code)

        readers = [threading.Thread(target=reader, daemon=True) for _ in range(4)]
        for t in writers + readers:
            t.start()
        time.sleep(6)
        for w in writers:
            w.stop.set()
            w.join(timeout=60)
        acked = {i for w in writers for i in w.acked}
        # Every acknowledged document becomes searchable through any worker.
        deadline = time.monotonic() + 30
        while True:
            total = requests.get(f"{base}/api/search", params={"q": "бюлетень", "per_page": 1},
                                 timeout=30).json()["total"]
            if total == len(acked) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        stop.set()
        for t in readers:
            t.join(timeout=60)
    assert not read_errors and reads[0] > 20
    assert not [e for w in writers for e in w.errors]
    assert len(acked) > 50 and total == len(acked)
    assert acked <= indexed_ids(index_dir)


def _start(index_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, **ENV, "SEARCH_INDEX_DIR": str(index_dir), "SEARCH_WORKERS": "2"}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: killed whole, master and workers
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except requests.ConnectionError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.1)


@pytest.mark.slow
def test_sigkill_of_the_server_loses_nothing_acknowledged(tmp_path):
    index_dir, _ = build_index(tmp_path, 5)
    acked: list[str] = []
    rng = random.Random(16)
    for kill in range(22):
        proc, base = _start(index_dir)
        writers = [Writer(base, f"k{kill}w{k}") for k in range(2)]
        for w in writers:
            w.start()
        time.sleep(rng.uniform(0.2, 1.2))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for w in writers:
            w.stop.set()
            w.join(timeout=60)
            acked += w.acked
            assert not w.errors
    # What the last server left in the journal is applied by the next one (here, directly).
    assert whoosh_index.exists_in(store.current_path(index_dir))
    while journal.pending(index_dir):
        committer.apply_pending(index_dir)
    ids = indexed_ids(index_dir)
    assert len(acked) > 100
    assert set(acked) <= ids, sorted(set(acked) - ids)[:10]


@pytest.mark.slow
def test_restarted_server_applies_what_a_killed_one_journaled(tmp_path):
    index_dir, _ = build_index(tmp_path, 5)
    journal.append(index_dir, [{"put": doc("left-behind")}])  # acknowledged, then killed
    with gunicorn(index_dir, workers=2, env={"SEARCH_WRITE_TOKEN": ""}) as base:
        deadline = time.monotonic() + 20
        while requests.get(f"{base}/api/doc/left-behind", timeout=10).status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
