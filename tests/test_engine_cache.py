"""The array cache: a commit loads only new segments, deletions are masked, memory is bounded."""

from search.engine import Engine
from tests.conftest import add_segment, fresh_index


def _index(tmp_path):
    root = tmp_path / "ix"
    return root, fresh_index(root)


def _segment_keys(eng) -> set:
    """The segments whose postings the engine has read (sidecars opened)."""
    return set(eng.arrays._sidecars)


def test_a_commit_loads_only_its_new_segment(tmp_path):
    root, ix = _index(tmp_path)
    add_segment(ix, [(f"a{i}", "uk", f"Море і туризм {i}.") for i in range(20)])
    eng = Engine(root, cache_size=0)
    assert eng.search("море туризм").total == 20
    first = _segment_keys(eng)
    opened = dict(eng.arrays._sidecars)
    loaded, items = eng.arrays.misses, len(eng.arrays._items)
    add_segment(ix, [("b1", "uk", "Море взимку туризм."), ("b2", "ru", "Море зимой.")])
    res = eng.search("море туризм")
    assert res.total == 21 and res.all_words == 21
    # Every array read is a new one (nothing of the old segment was read again), and the new
    # postings are the new segment's.
    assert eng.arrays.misses - loaded == len(eng.arrays._items) - items > 0
    assert first < _segment_keys(eng) and len(_segment_keys(eng) - first) == 1
    assert all(eng.arrays._sidecars[seg] is opened[seg] for seg in first)  # not reopened
    assert eng.search("море").total == 22
    eng.close()


def test_deleted_documents_are_masked_without_reloading_postings(tmp_path):
    root, ix = _index(tmp_path)
    add_segment(ix, [(f"a{i}", "uk", f"Співпраця регіонів {i}.") for i in range(10)])
    eng = Engine(root, cache_size=0)
    assert eng.search("співпраця").total == 10
    opened = dict(eng.arrays._sidecars)
    add_segment(ix, [], delete=["a3", "a7"])
    res = eng.search("співпраця", per_page=20)
    assert res.total == 8 and {"a3", "a7"}.isdisjoint(h.id for h in res.hits)
    assert eng.arrays._sidecars == opened  # the same postings arrays, a new live mask
    assert len([k for k in eng.arrays._items if k[0] == "live"]) == 2
    eng.close()


def test_the_cache_stays_within_its_byte_bound(tmp_path):
    from whoosh.codec.whoosh3 import W3Codec

    root, ix = _index(tmp_path)
    words = ["море", "сонце", "пляж", "туризм", "гори", "ліс", "річка", "місто", "село", "поле"]
    add_segment(ix, [(f"d{i}", "uk", " ".join(w for j, w in enumerate(words) if (i >> (j % 5)) & 1
                                       or j == i % 10)) for i in range(64)],
         codec=W3Codec())  # no sidecar: postings are read from Whoosh's blocks into the cache
    eng = Engine(root, cache_size=0, array_bytes=4096)
    for w in words:
        assert eng.search(w).total > 0
    assert 0 < eng.arrays.bytes <= 4096 and eng.arrays.misses > len(eng.arrays._items)
    assert [h.id for h in eng.search("море").hits] == [
        h.id for h in Engine(root, cache_size=0).search("море").hits]
    eng.close()


def test_a_running_engine_sees_a_replaced_document_only_as_it_is_now(tmp_path):
    import json
    import os

    from search.ingest.indexer import reindex

    src = tmp_path / "src"
    src.mkdir()
    news = src / "news.jsonl"
    news.write_text(json.dumps({"id": "n1", "text": "Старий текст про море.", "lang": "uk"},
                               ensure_ascii=False), "utf-8")
    (src / "other.jsonl").write_text(json.dumps(
        {"id": "n2", "text": "Інша новина про море.", "lang": "uk"}, ensure_ascii=False), "utf-8")
    reindex(tmp_path / "ix", [src])
    eng = Engine(tmp_path / "ix", cache_size=0)
    assert eng.search("старий").total == 1 and eng.search("море").total == 2
    news.write_text(json.dumps({"id": "n1", "text": "Новий текст про гори.", "lang": "uk"},
                               ensure_ascii=False), "utf-8")
    os.utime(news, ns=(1, 1))  # a new signature even within the same clock tick
    reindex(tmp_path / "ix", [src])
    # Whoosh's refresh() would keep the unchanged segment's old deletions: the old text found.
    assert eng.search("старий").total == 0 and eng.search("гори").total == 1
    assert eng.search("море").total == 1
    eng.close()
