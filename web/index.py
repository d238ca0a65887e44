"""One Engine per app per process, created lazily, and the index health report."""

import threading
from dataclasses import replace

from flask import current_app
from whoosh.index import EmptyIndexError

from search.engine import Engine
from search.engine.policy import DEFAULT


class FifoLock:
    """A lock granted in the order it was asked for. threading.Lock is not: with gthread
    workers, a request thread that just released it often took it again at once while others
    waited, so a few searches (and the poll that would see a new document) waited many turns."""

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._next = 0  # the ticket the next caller gets
        self._serving = 0  # the ticket that holds the lock

    def __enter__(self):
        with self._cond:
            ticket = self._next
            self._next += 1
            self._cond.wait_for(lambda: self._serving == ticket)
        return self

    def __exit__(self, *exc):
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


_lock = FifoLock()


class IndexUnavailable(RuntimeError):
    """There is no readable index yet (HTTP 503)."""


def _engine() -> Engine:
    # Created on first use, after gunicorn forked: each worker gets its own open files.
    ext = current_app.extensions
    if "search_engine" not in ext:
        with _lock:
            config = current_app.config
            if config.get("SEARCH_BACKEND", "whoosh").startswith("sphinxql://"):
                from search.cluster.backend import ClusterEngine

                ext.setdefault("search_engine", ClusterEngine(config["SEARCH_BACKEND"]))
            else:
                # Arrays the gunicorn master mapped before forking (wsgi.py) are shared, not
                # re-read.
                policy = replace(DEFAULT, recent_half_life_days=float(
                    config["SEARCH_RECENT_HALF_LIFE_DAYS"]))
                ext.setdefault("search_engine", Engine(
                    config["SEARCH_INDEX_DIR"], config["SEARCH_CACHE_SIZE"],
                    array_bytes=config["SEARCH_ARRAY_CACHE_MB"] * 2**20,
                    arrays=ext.get("search_arrays"), policy=policy))
    return ext["search_engine"]


class _GuardedEngine:
    """Engine calls that turn a missing index into IndexUnavailable and are serialised."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def __getattr__(self, name):
        method = getattr(self._engine, name)

        def call(*args, **kwargs):
            return _guarded(method, *args, **kwargs)
        return call

    def with_reader(self, fn, *args, **kwargs):
        """fn(reader, *args, **kwargs) on the latest index reader, under the same guard."""
        return _guarded(lambda: fn(self._engine.searcher().reader(), *args, **kwargs))


def _guarded(fn, *args, **kwargs):
    # Whoosh searchers are not safe to refresh from two threads at once.
    with _lock:
        try:
            return fn(*args, **kwargs)
        except ConnectionError as e:  # a cluster backend that does not answer: say why
            raise IndexUnavailable(str(e)) from e
        except (OSError, EmptyIndexError) as e:
            if isinstance(e, EmptyIndexError) or str(e).startswith("no index in"):
                raise IndexUnavailable(
                    "the search index has not been built yet; run `search reindex`"
                ) from e
            raise IndexUnavailable(f"the search index cannot be opened: {e}") from e


def get_engine() -> _GuardedEngine:
    """This app's engine."""
    return _GuardedEngine(_engine())


def doc_count() -> int:
    """Documents in the index, 0 when there is no index yet."""
    try:
        return get_engine().doc_count()
    except IndexUnavailable:
        return 0


def health() -> tuple[dict, int]:
    """Health report and HTTP status: 200 if the index is readable, else 503 with the reason."""
    try:
        engine = get_engine()
        body = {"status": "ok", "index_readable": True, "doc_count": engine.doc_count(),
                "generation": engine.generation()}
        problem = getattr(_engine(), "health_problem", None)  # a cluster: every shard answers?
        reason = _guarded(problem) if problem else None
        if reason:
            return {**body, "status": "degraded", "message": reason}, 503
        return body, 200
    except IndexUnavailable as e:
        message = str(e)
    except Exception as e:  # noqa: BLE001 (a damaged index raises whatever its reader hits)
        current_app.logger.exception("the index cannot be opened")
        message = f"the index cannot be opened: {type(e).__name__}: {e}"
    return {"status": "unavailable", "index_readable": False, "doc_count": 0,
            "generation": None, "message": message}, 503
