"""Near-duplicate groups are stored by each commit (search/ingest/copies.py) and read, never
rebuilt, by searches: the same groups the engine used to compute, kept through deletions,
live-ingest commits and merges."""

import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from search.engine import Engine
from search.ingest import copies, dedup
from search.ingest.documents import Document
from search.ingest.merge import merge_index
from search.ingest.readback import read_near
from tests.conftest import add_segment, fresh_index
from tests.test_ranking_oracle import RU, UK


def _docs(start, n, seed):
    """n documents; every third is a lightly edited copy of one a few before it."""
    rng = random.Random(seed)
    out = []
    for i in range(start, start + n):
        lang = "uk" if i % 2 else "ru"
        words = UK if lang == "uk" else RU
        if i % 3 == 2 and out:
            src = rng.choice(out[-3:])
            body = src.body + " " + rng.choice(words)  # a syndicated copy, one word added
            lang = src.lang
        else:
            body = " ".join(rng.choice(words) for _ in range(rng.randint(30, 80)))
        out.append(Document(id=f"c{i}", title="", body=body, lang=lang, site=f"s{i % 5}"))
    return out


def _computed(view):
    """The groups as the engine computed them before they were stored."""
    parts = [read_near(r) for r, _ in view.leaves]
    sigs = np.concatenate([p[0] for p in parts])
    has = np.concatenate([p[1] for p in parts])
    label = dedup.clusters(sigs, has & view.live())
    return label, np.bincount(label, minlength=len(label))[label] > 1


def _check(root, monkeypatch):
    eng = Engine(root, cache_size=0)
    try:
        view = eng.view()
        want = _computed(view)
        with monkeypatch.context() as m:  # a search reads the stored groups, computes nothing
            m.setattr(dedup, "clusters", lambda *a, **k: pytest.fail("groups rebuilt"))
            label, has = view.copies()
            res = eng.search("бюджет OR бюджета OR школа", per_page=50)
        assert np.array_equal(label, want[0]) and np.array_equal(has, want[1])
        assert has.sum() > 0
        assert res.total_collapsed <= res.total
        return view.size
    finally:
        eng.close()


@pytest.mark.parametrize("bulk", [False, True], ids=["whoosh", "bulk"])
def test_groups_are_stored_at_each_commit(tmp_path, monkeypatch, bulk):
    ix = fresh_index(tmp_path)
    add_segment(ix, _docs(0, 60, 1), bulk=bulk)
    _check(tmp_path, monkeypatch)
    # Copies of documents in the first segment arrive in a later commit (live ingest's way).
    later = [Document(id=f"x{d.id}", title="", body=d.body + " новини", lang=d.lang)
             for d in _docs(0, 60, 1)[:12]]
    add_segment(ix, later, bulk=bulk)
    _check(tmp_path, monkeypatch)
    # Deleting copies breaks their groups up; no document bridges a group once deleted.
    add_segment(ix, _docs(60, 30, 2), delete=["c2", "c5", "xc0", "xc1"], bulk=bulk)
    _check(tmp_path, monkeypatch)
    assert merge_index(ix, factor=2) == 1
    assert _check(tmp_path, monkeypatch) == 60 + 12 + 30 - 4


def test_a_big_link_runs_in_a_spawned_process(tmp_path, monkeypatch):
    """Past CHILD_AFTER unlinked documents a child process links them: the same groups."""
    linked = []

    class Counting(ProcessPoolExecutor):
        def submit(self, fn, *args):
            linked.append(fn.__name__)
            return super().submit(fn, *args)

    monkeypatch.setattr(copies, "ProcessPoolExecutor", Counting)
    monkeypatch.setattr(copies, "CHILD_AFTER", 50)
    ix = fresh_index(tmp_path)
    add_segment(ix, _docs(0, 60, 1), bulk=True)
    assert linked == ["_write"]
    _check(tmp_path, monkeypatch)
    later = [Document(id=f"x{d.id}", title="", body=d.body + " новини", lang=d.lang)
             for d in _docs(0, 60, 1)[:12]]
    add_segment(ix, later, bulk=True)  # 12 new documents: linked in the writer's process
    assert linked == ["_write"]
    assert _check(tmp_path, monkeypatch) == 72


def test_collapse_is_unchanged(tmp_path, monkeypatch):
    """Results, duplicates and totals equal those computed from the signatures."""
    ix = fresh_index(tmp_path)
    add_segment(ix, _docs(0, 45, 3), bulk=True)
    add_segment(ix, _docs(45, 45, 4), delete=["c8"])
    eng = Engine(tmp_path, cache_size=0)
    try:
        stored = eng.search("бюджет OR бюджета", per_page=100)
        view = eng.view()
        view._whole["copies"] = _computed(view)
        computed = eng.search("бюджет OR бюджета", per_page=100)
        assert stored.total_collapsed < stored.total
        assert [(h.id, h.duplicates) for h in stored.hits] == \
            [(h.id, h.duplicates) for h in computed.hits]
        assert (stored.total, stored.total_collapsed) == \
            (computed.total, computed.total_collapsed)
    finally:
        eng.close()


def test_an_index_without_stored_groups_still_collapses(tmp_path):
    ix = fresh_index(tmp_path)
    add_segment(ix, _docs(0, 30, 5))
    for p in Path(ix.storage.folder).glob(".copies-*"):  # as an index written before them
        p.unlink()
    eng = Engine(tmp_path, cache_size=0)
    try:
        label, has = eng.view().copies()
        assert has.sum() > 0
    finally:
        eng.close()
