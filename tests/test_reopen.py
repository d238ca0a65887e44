"""The engine follows commits reusing the readers of segments a commit left unchanged."""

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
