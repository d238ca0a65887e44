"""gunicorn settings: preloaded app, a few sync workers, recycled now and then."""

import os
import tempfile

wsgi_app = "wsgi:app"
bind = os.environ.get("SEARCH_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or os.environ.get("SEARCH_WORKERS") or 2)
# SEARCH_THREADS > 1: gunicorn's gthread workers, so that a write waiting for its journal fsync
# does not hold a whole worker (searches in one worker still run one at a time).
threads = int(os.environ.get("SEARCH_THREADS") or 1)
# Import the app (and its dictionaries) once in the master; workers fork with it loaded.
preload_app = True
# Recycle workers now and then so slow leaks cannot grow;
# jitter keeps them from all restarting together.
max_requests = 1000
max_requests_jitter = 100
timeout = 30
reload = False
loglevel = "info"
accesslog = "-"
# No 4 KB cap on the request line: gunicorn would answer a long search URL with its own HTML
# 414, where the API owes its JSON error (the app caps q at 500 characters). 0 lets gunicorn 23+
# read up to 1 MB.
limit_request_line = 0

# Workers' Prometheus metrics are added up through files in this folder (prometheus_client's
# multiprocess mode); it must be set before the app, and so prometheus_client, is imported.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="search-metrics-"))


def on_starting(server):
    """Start the counts from zero: files of an earlier run would be added in."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):  # only prometheus_client's own files
            os.unlink(os.path.join(folder, name))


def when_ready(server):
    """Before the first threaded workers: fork the one live-ingest committer, kept alive by the
    loop. Sync workers commit in their own committer threads, as a process of its own beside
    them lengthened the lag and cost searches (bench/README.md, "Live ingest lag, issue 16h")."""
    if threads <= 1:
        return
    from web.ingest import start_committer_process

    keeper = start_committer_process(server.app.wsgi(),
                                     close_fds=[s.fileno() for s in server.LISTENERS])
    if keeper is None:
        return
    server.search_committer = keeper
    manage_workers = server.manage_workers

    def manage():  # the master's loop calls this every second and after every signal
        keeper.check()
        manage_workers()

    server.manage_workers = manage
    server.log.info("Live-ingest committer process: %s", keeper.pid)


def on_exit(server):
    """The committer finishes the commit under way and exits."""
    keeper = getattr(server, "search_committer", None)
    if keeper is not None:
        keeper.stop()


def child_exit(server, worker):
    """A worker's live gauges go with it (its counters stay counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
