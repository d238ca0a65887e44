"""Live commits: small segments merged by size tiers, never a large one (search/ingest/commit.py);
a write waits for others to join its commit."""

import json
import time

import pytest

from search.engine import Engine
from search.ingest import commit, committer, store
from tests.web_helpers import build_index

F = commit.FACTOR
BIG = commit.LIVE_MAX


@pytest.mark.parametrize(("sizes", "merged"), [
    ([], []),
    ([5] * (F - 1), []),  # not yet FACTOR of one tier
    ([5] * F, list(range(F))),
    ([BIG * 40] * 10 + [5] * F, list(range(10, 10 + F))),  # a bulk import's segments: never
    ([BIG] * (2 * F), []),  # LIVE_MAX documents and more: a background merge's (background.py)
    ([F * 5] * F + [1] * 3, list(range(F))),  # the lowest tier with FACTOR segments
    ([1] * F + [F * 5] * F, list(range(F))),  # lowest tier first
    ([3, 1, 2] + [2] * (F - 1), list(range(1, F + 1))),  # the smallest of the tier
    ([0] * F, []),  # every document deleted: dropped by merge_live, not merged
])
def test_live_groups(sizes, merged):
    assert sorted(commit.live_groups(sizes)) == sorted(merged)


def test_no_group_reaches_live_max_times_factor():
    # Whatever the sizes, one live merge writes fewer than FACTOR * LIVE_MAX documents.
    for n in range(1, BIG + 5, 7):
        group = commit.live_groups([n] * (F + 2))
        assert sum([n] * len(group)) < F * BIG


def _segments(index_dir) -> dict[str, int]:
    toc = store.open_current(index_dir, create=False)._read_toc()
    return {s.segment_id(): s.doc_count() for s in toc.segments}


def _put(index_dir, ids):
    committer.accept(index_dir, [{"id": i, "lang": "uk", "title": f"Новина {i}",
                                  "text": f"Депутати обговорили бюджет громади {i}."}
                                 for i in ids])
    assert committer.apply_pending(index_dir) == len(ids)


def test_live_commits_merge_small_segments_and_leave_large_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(commit, "FACTOR", 2)
    monkeypatch.setattr(commit, "LIVE_MAX", 4)
    index_dir, _ = build_index(tmp_path, 6)
    [(bulk, n)] = _segments(index_dir).items()
    assert n == 6
    for k in range(12):  # one document a commit
        _put(index_dir, [f"live-{k}"])
        segments = _segments(index_dir)
        assert segments[bulk] == 6  # the reindex's segment is never rewritten
        # Tiers 1 and 2-3 merge by twos, and a segment of 4 or more stays: at most one
        # segment waits in each tier, beside the commit's own.
        assert sum(1 for n in segments.values() if n < 4) <= 3
    assert sorted(segments.values()) == [1, 1, 2, 4, 4, 6]
    # Replacing a document deletes it from a merged segment; the counts follow.
    _put(index_dir, ["live-3"])
    assert sum(_segments(index_dir).values()) == 18
    engine = Engine(index_dir, cache_size=0)
    try:
        for k in range(12):
            assert engine.document(f"live-{k}") is not None
        assert engine.search("бюджет громади", per_page=50).total == 12
    finally:
        engine.close()


def test_a_segment_whose_documents_are_all_deleted_is_dropped(tmp_path):
    index_dir, _ = build_index(tmp_path, 3)
    _put(index_dir, ["gone-1", "gone-2"])
    assert len(_segments(index_dir)) == 2
    for doc_id in ("gone-1", "gone-2"):
        assert committer.delete(index_dir, doc_id, exists=True)
    assert committer.apply_pending(index_dir) == 2
    assert list(_segments(index_dir).values()) == [3]


def test_a_write_waits_for_others_to_join_its_commit(tmp_path):
    index_dir, _ = build_index(tmp_path, 3)
    trace = tmp_path / "trace"
    committer.accept(index_dir, [{"id": "first", "text": "Перший документ."}])
    worker = committer.Committer(index_dir, interval=3.0, trace=str(trace)).start()
    try:
        worker.wake()
        time.sleep(0.3)  # without the wait for company, "first" is committed meanwhile
        committer.accept(index_dir, [{"id": "second", "text": "Другий документ."}])
        worker.wake()
        while committer.status(index_dir)["depth"]:
            time.sleep(0.05)
    finally:
        worker.stop()
    # Both in one commit: the first waited for company (a commit at once would have taken it
    # alone, and the second in a commit of its own).
    [line] = trace.read_text().splitlines()
    assert json.loads(line)["ids"] == ["first", "second"]
