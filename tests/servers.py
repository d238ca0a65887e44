"""A real gunicorn serving the app over a given index, on a free loopback port."""

import os
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
