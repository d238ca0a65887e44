"""The engine follows commits reusing the readers of segments a commit left unchanged."""

import time

from search.engine import Engine
from search.ingest import store
from search.ingest.committer import write
from tests.web_helpers import build_index


def _commit(index_dir, ops):
    w = store.open_current(index_dir).writer()
    write(w, ops)
    w.commit(merge=False)


def _leaves(engine):
    return [r for r, _ in engine.searcher().reader().leaf_readers()]


def test_unchanged_segments_are_reused_and_deletions_are_seen(tmp_path):
    index_dir, _ = build_index(tmp_path, 20)
    engine = Engine(index_dir, cache_size=0)
    assert engine.search("вибори").total == 20
    _commit(index_dir, [{"put": {"id": "a", "text": "Перший новий документ про врожай",
                                 "lang": "uk"}}])
    first = _leaves(engine)
    assert len(first) == 2 and engine.search("врожай").total == 1
    _commit(index_dir, [{"put": {"id": "b", "text": "Другий новий документ про врожай",
                                 "lang": "uk"}}])
    second = _leaves(engine)
    assert second[:2] == first and len(second) == 3  # the same reader objects
    assert engine.search("врожай").total == 2
    # A deletion in an old segment: that segment's reader is opened anew, the rest kept.
    _commit(index_dir, [{"delete": "uk-3"}, {"put": {"id": "a", "lang": "uk",
                                                     "text": "Змінений документ про посуху"}}])
    third = _leaves(engine)
    assert third[0] is not first[0] and third[2] is second[2]
    assert engine.search("вибори").total == 19 and engine.document("uk-3") is None
    assert engine.search("врожай").total == 1 and engine.search("посуха").total == 1
    engine.close()


def test_a_slow_refresh_is_paced_but_fresh_reads_see_the_latest_commit(tmp_path, monkeypatch):
    from search.engine import engine as engine_module

    class Clock:  # the engine's monotonic and CPU time, moved by hand
        now = 100.0
        perf_counter = staticmethod(time.perf_counter)

        def monotonic(self):
            return self.now

        thread_time = monotonic

    index_dir, _ = build_index(tmp_path, 5)
    engine = Engine(index_dir, cache_size=0)
    assert engine.search("врожай").total == 0
    clock = Clock()
    monkeypatch.setattr(engine_module, "time", clock)
    opened = engine._open

    def slow_open(path, refresh):  # every refresh takes a CPU second
        opened(path, refresh)
        clock.now += 1.0

    monkeypatch.setattr(engine, "_open", slow_open)
    _commit(index_dir, [{"put": {"id": "a", "text": "Перший документ про врожай", "lang": "uk"}}])
    assert engine.search("врожай").total == 1  # the first commit is followed at once
    assert engine.refresh_seconds == 1.0  # slow: the next refresh waits a second
    _commit(index_dir, [{"put": {"id": "b", "text": "Другий документ про врожай", "lang": "uk"}}])
    clock.now += 0.9
    assert engine.search("врожай").total == 1  # within the wait: the searcher is kept
    clock.now += 0.1
    assert engine.search("врожай").total == 2  # the wait is over
    _commit(index_dir, [{"put": {"id": "c", "text": "Третій документ про врожай", "lang": "uk"}}])
    assert engine.search("врожай").total == 2
    # A write's existence check reads the latest commit whatever the wait.
    assert engine.document("c", fresh=True) is not None
    assert engine.search("врожай").total == 3
    engine.close()


def test_a_quick_refresh_follows_every_commit(tmp_path):
    index_dir, _ = build_index(tmp_path, 5)
    engine = Engine(index_dir, cache_size=0)
    for n in range(3):
        _commit(index_dir, [{"put": {"id": f"d{n}", "lang": "uk",
                                     "text": f"Документ {n} про врожай"}}])
        assert engine.search("врожай").total == n + 1
    engine.close()
