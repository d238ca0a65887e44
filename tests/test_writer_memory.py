"""A reindex run's bounded memory: the ids it has seen, early spills, a merge's mapped pages."""

import gzip
import json

import pytest

from search.ingest import heap, seen_ids
from search.ingest.indexer import reindex
from search.ingest.seen_ids import SeenIds


@pytest.mark.parametrize("merge_at", [1, 3, 1 << 16])
def test_seen_ids_across_merges(monkeypatch, merge_at):
    monkeypatch.setattr(seen_ids, "MERGE_AT", merge_at)
    seen = SeenIds()
    ids = [f"rt-{i}~{k}" for i in range(40) for k in range(3)] + ["", "a", "ї", "a\ufffd"]
    for doc_id in ids:
        assert doc_id not in seen
        seen.add(doc_id)
        assert doc_id in seen
    assert all(doc_id in seen for doc_id in ids)
    assert len(seen) == len(ids)
    assert "rt-40~0" not in seen and "rt-0" not in seen and "b" not in seen


def test_duplicate_ids_past_a_merge_are_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(seen_ids, "MERGE_AT", 4)
    src = tmp_path / "src"
    src.mkdir()
    recs = [{"id": f"n{i}", "lang": "uk", "text": f"Бюджет міста номер {i}."} for i in range(10)]
    recs.append({"id": "n1", "lang": "uk", "text": "Дубль першого запису."})
    with gzip.open(src / "a.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
    s = reindex(tmp_path / "ix", [src])
    assert s.documents == 10
    assert [r for _, r in s.skipped] == ["duplicate id 'n1': first one kept"]


@pytest.mark.parametrize(("budget", "segments"), [(0, 4), (1 << 50, 1)])
def test_a_builder_spills_early_when_its_write_would_pass_the_budget(tmp_path, monkeypatch,
                                                                     budget, segments):
    from search.ingest import bulk, store
    from search.ingest.indexer import document_fields
    from tests.test_bulk_writer import _docs

    monkeypatch.setattr(bulk, "MEMORY_BUDGET", budget)
    monkeypatch.setattr(bulk, "CHECK_EVERY", 1)
    docs = _docs(60)
    ix = store.open_current(tmp_path / "ix")
    with bulk.BulkWriter(ix, max_entries=10**9, merge=False) as w:
        counted = bulk.SegmentBuilder(w.schema, w.storage, w.codec, w.indexname)
        for doc in docs:
            counted.add(document_fields(doc, "src", "sig"))
        counted.discard()  # its positions: a quarter of them (and one more) make a spill
        monkeypatch.setattr(bulk, "MIN_ENTRIES", counted.entries // 4 + 1)
        for doc in docs:
            w.add_document(**document_fields(doc, "src", "sig"))
    assert len(store.open_current(tmp_path / "ix")._segments()) == segments
    assert store.open_current(tmp_path / "ix").doc_count() == 60


def test_dropped_pages_of_a_mapped_file_leave_rss_and_read_back(tmp_path):
    import mmap

    path = tmp_path / "seg"
    path.write_bytes(bytes(range(256)) * (64 << 12))  # 64 MiB
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    before = heap.rss()
    assert sum(m[i] for i in range(0, len(m), 4096)) == 0  # every page read
    touched = heap.rss()
    heap.drop_pages([m])
    dropped = heap.rss()
    assert touched - before > 48 << 20 and touched - dropped > 48 << 20
    assert m[4097] == 1 and m[-1] == 255
    m.close()
    heap.drop_pages([m])  # closed: nothing to do


def test_a_merge_finds_its_sources_maps(tmp_path):
    from whoosh.reading import SegmentReader

    from search.ingest import store

    src = tmp_path / "a.jsonl"
    src.write_text(json.dumps({"id": "a", "lang": "uk", "text": "Бюджет міста."}) + "\n")
    reindex(tmp_path / "ix", [src])
    ix = store.open_current(tmp_path / "ix")
    (segment,) = ix._segments()
    reader = SegmentReader(ix.storage, ix.schema, segment)
    try:
        (m,) = heap.mapped([reader])
        assert len(m) == ix.storage.file_length(segment.make_filename(".seg"))
    finally:
        reader.close()
