"""A real gunicorn serving the app over a given index, on a free loopback port."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


@contextmanager
def gunicorn(index_dir: Path, workers: int = 2, log: Path | None = None, env: dict | None = None):
    """Yield the base URL of a gunicorn started with the project's gunicorn.conf.py."""
    port = free_port()
    env = {**os.environ, "SEARCH_INDEX_DIR": str(index_dir), "SEARCH_WORKERS": str(workers),
           **(env or {})}
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "wsgi:app"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code in (200, 503):
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start (exit {proc.poll()})")
            time.sleep(0.2)
        # healthz can be answered by the first worker before the master has forked the others
        while len(_children(proc.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


class Gunicorn:
    """The project's gunicorn over an index in a session of its own, logging to a file: ready
    once /healthz answers 200 and every worker is up (after the committer process, if any).
    Callers give their own settings (env) and options (args)."""

    def __init__(self, index_dir: Path, log: Path, workers: int = 2, env: dict | None = None,
                 args=(), timeout: float = 60):
        port = free_port()
        self.base, self.log = f"http://127.0.0.1:{port}", Path(log)
        env = {**os.environ, "SEARCH_INDEX_DIR": str(index_dir), "SEARCH_WORKERS": str(workers),
               **(env or {})}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                 "--bind", f"127.0.0.1:{port}", *args, "wsgi:app"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            while not self._healthy():
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start (exit {self.proc.poll()}):\n"
                                       + self.log.read_text(errors="replace")[-3000:])
                time.sleep(0.1)
            while len(self.workers()) < workers:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start its workers")
                time.sleep(0.1)
        except BaseException:
            self.kill()
            raise

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.base}/healthz", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    def committers(self) -> list[int]:
        """The pids of the committer processes the master started, in order (its log says)."""
        return [int(p) for p in re.findall(r"(?:Live-ingest committer process|started another)"
                                           r": (\d+)", self.log.read_text(errors="replace"))]

    def workers(self) -> list[int]:
        """The master's children but its committer process."""
        return [int(p) for p in _children(self.proc.pid) if int(p) not in self.committers()]

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the master, which stops the others; TimeoutExpired (after killing them
        all) if it took longer than timeout."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
