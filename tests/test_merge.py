"""Merged segments (search/ingest/merge.py) hold exactly what a one-segment build of the same
documents holds: terms, postings, lengths, stored fields, columns, sidecar and word table."""

import numpy as np
import pytest

from search import segfile
from search.engine import Engine
from search.engine.sidecar import open_sidecar
from search.ingest import store
from search.ingest.bulk import BulkWriter
from search.ingest.indexer import document_fields
from search.ingest.merge import choose, merge_index
from search.query import segment_words
from tests.conftest import fresh_index
from tests.test_bulk_writer import _docs, _postings

TEXT = ("title_uk", "body_uk", "title_ru", "body_ru")


def _index(root, batches, bulk=True, delete=()):
    """An index with one commit per batch of documents (bulk: spilled every ~5k positions)."""
    store.switch(root, store.new_generation(root))
    ix = store.open_current(root)
    for i, docs in enumerate(batches):
        w = BulkWriter(ix, max_entries=5000, merge=False) if bulk else ix.writer()
        for d in docs:
            w.add_document(**document_fields(d, "src", "sig"))
        if i == len(batches) - 1:
            for doc_id in delete:
                w.delete_by_term("id", doc_id)
        w.commit(**({} if isinstance(w, BulkWriter) else {"merge": False}))
    return store.open_current(root)


def _lexicon(leaf):
    path, offset, length = segment_words._segment_path(leaf)
    buf = np.memmap(path, np.uint8, "r", offset=offset, shape=(length,))
    return segfile.read(buf, segment_words.MAGIC)[1]


def _same(a, b):
    """Index a (one segment) and b hold the same documents, in the same order, identically."""
    with a.reader() as ra, b.reader() as rb:
        assert ra.doc_count_all() == rb.doc_count_all() == rb.doc_count()
        terms = list(ra.all_terms())
        assert terms == list(rb.all_terms())
        ids = {d: ra.stored_fields(d)["id"] for d in ra.all_doc_ids()}
        for field, term in terms:
            assert _postings(ra, field, term, ids) == _postings(rb, field, term, ids), term
            assert ra.doc_frequency(field, term) == rb.doc_frequency(field, term)
            assert ra.frequency(field, term) == pytest.approx(rb.frequency(field, term))
        for d in ra.all_doc_ids():
            assert ra.stored_fields(d) == rb.stored_fields(d)
            for field in TEXT:
                assert ra.doc_field_length(d, field) == rb.doc_field_length(d, field)
        for field in TEXT:
            assert ra.field_length(field) == rb.field_length(field)
            assert ra.max_field_length(field) == rb.max_field_length(field)
        for col in ("source", "lang", "site", "signature", "date", "near", "period"):
            assert (list(ra.column_reader(col, translate=False))
                    == list(rb.column_reader(col, translate=False))), col
        (la, _), = ra.leaf_readers()
        (lb, _), = rb.leaf_readers()
        sa, sb = open_sidecar(la), open_sidecar(lb)
        assert sa.terms == sb.terms
        for name in ("ids", "weights", "positions", "starts"):
            assert np.array_equal(sa.columns[name], sb.columns[name]), name
        xa, xb = _lexicon(la), _lexicon(lb)
        assert xa.keys() == xb.keys()
        for name in xa:
            assert np.array_equal(xa[name], xb[name]), name


def test_merged_segments_equal_a_one_segment_build(tmp_path):
    docs = _docs(150)
    spilled = _index(tmp_path / "spilled", [docs])
    assert len(spilled.reader().leaf_readers()) > 5
    assert merge_index(spilled, factor=2) == 1
    _same(_index(tmp_path / "one", [docs], bulk=False), spilled)


def test_deleted_documents_are_dropped(tmp_path):
    docs = _docs(120, seed=9)
    gone = {f"d{i}" for i in range(0, 60, 7)}  # committed before the deletions
    spilled = _index(tmp_path / "spilled", [docs[:60], docs[60:]], delete=gone)
    assert spilled.reader().doc_count() < spilled.reader().doc_count_all()
    merge_index(spilled, factor=2)
    kept = [d for d in docs if d.id not in gone]
    _same(_index(tmp_path / "one", [kept], bulk=False), spilled)
    eng = Engine(tmp_path / "spilled", cache_size=0)
    try:
        found = {h.id for h in eng.search("бюджет OR бюджета", per_page=200).hits}
        assert found and not found & gone
    finally:
        eng.close()


def test_whoosh_written_segments_merge_too(tmp_path):
    """Segments of Whoosh's own writer (inlined postings, its own pickles) merge alike."""
    docs = _docs(90, seed=4)
    mixed = _index(tmp_path / "mixed", [docs[:30], docs[30:60], docs[60:]], bulk=False)
    assert len(mixed.reader().leaf_readers()) > 2
    merge_index(mixed, factor=2)
    _same(_index(tmp_path / "one", [docs], bulk=False), mixed)


@pytest.mark.parametrize(("sizes", "factor", "max_docs", "want"), [
    ([1300] * 9, 10, 25_000, []),  # too few to merge
    ([1300] * 10, 10, 25_000, list(range(10))),
    ([1300] * 30, 10, 25_000, list(range(19))),  # up to max_docs at a time
    ([20_000, 13_000, 1300, 1300], 2, 25_000, [2, 3]),  # the smallest first; big ones stay
    ([12_000, 12_000, 12_000], 2, 25_000, [0, 1]),  # two below half the cap always fit
])
def test_policy(sizes, factor, max_docs, want):
    assert sorted(choose(sizes, factor, max_docs)) == want


def test_a_bulk_run_leaves_few_segments(tmp_path, monkeypatch):
    """The bulk writer merges the segments it spilled at commit, by the policy."""
    from search.ingest import merge

    monkeypatch.setattr(merge, "MAX_DOCS", 60)
    monkeypatch.setattr(merge, "MERGE_FACTOR", 3)
    ix = fresh_index(tmp_path)
    w = BulkWriter(ix, max_entries=2000)
    for d in _docs(200, seed=2):
        w.add_document(**document_fields(d, "src", "sig"))
    w.commit()
    sizes = [r.doc_count_all() for r, _ in store.open_current(tmp_path).reader().leaf_readers()]
    assert sum(sizes) == 200
    assert len([n for n in sizes if n < 30]) < 3 and len(sizes) < 10


def test_a_failed_merge_commits_the_segments_unmerged(tmp_path, monkeypatch):
    """Documents written are never lost to a merge that fails (a full disk, say)."""
    from search.ingest import merge

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(merge, "_in_child", fail)
    monkeypatch.setattr(merge, "MERGE_FACTOR", 2)
    ix = fresh_index(tmp_path)
    w = BulkWriter(ix, max_entries=5000)
    for d in _docs(60, seed=3):
        w.add_document(**document_fields(d, "src", "sig"))
    w.commit()
    reader = store.open_current(tmp_path).reader()
    assert reader.doc_count() == 60 and len(reader.leaf_readers()) > 2
    leftovers = [p for p in (tmp_path / store.current_path(tmp_path).name).iterdir()
                 if p.name.endswith(".tmp")]
    assert not leftovers
