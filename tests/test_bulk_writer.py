"""The bulk writer: the same index Whoosh's writer makes, streamed collections, bad input."""

import gzip
import json
import random

import numpy as np
import pytest

from search.engine import Engine
from search.engine.sidecar import open_sidecar
from search.ingest import documents, store
from search.ingest.bulk import BulkWriter
from search.ingest.documents import Document
from search.ingest.indexer import document_fields, reindex
from tests.test_ranking_oracle import RU, UK


def _docs(n, seed=5):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lang = "uk" if i % 2 else "ru"
        words = UK if lang == "uk" else RU
        body = " ".join(rng.choice(words) for _ in range(rng.randint(3, 300)))
        if i % 7 == 0:  # a stress mark and a soft hyphen: the tokenizer's slower path
            body += " Бюдже\u0301т шко\u00adла д'Артаньян"
        if i % 11 == 5:  # junk longer than text.MAX_WORD, and a letter past the first plane
            body += f" {'ab' * 40} {words[i % len(words)]} \U0001d400бв {words[0]}"
        title = " ".join(rng.choice(words) for _ in range(3)) if i % 3 else ""
        out.append(Document(id=f"d{i}", title=title, body=body, lang=lang, site=f"s{i % 4}",
                            made_up_title=not title))
    return out


def _build(root, docs, bulk):
    store.switch(root, store.new_generation(root))
    ix = store.open_current(root)
    # The spilled segments as written, unmerged (test_merge checks merged ones).
    w = BulkWriter(ix, max_entries=5000, merge=False) if bulk else ix.writer()
    for d in docs:
        w.add_document(**document_fields(d, "src", "sig"))
    w.commit()
    return store.open_current(root)


def _postings(reader, field, term, ids):
    m = reader.postings(field, term)
    fmt = reader.schema[field].format
    out = []
    while m.is_active():
        v = m.value()
        v = fmt.decode_position_boosts(v) if hasattr(fmt, "decode_position_boosts") else v
        out.append((ids[m.id()], round(m.weight(), 4), v))
        m.next()
    return sorted(out)


def test_frequent_terms_blocks_and_term_infos_as_whoosh_writes(tmp_path):
    """One segment of 300 documents: terms of several 128-posting blocks, deflated blocks."""
    docs = _docs(300, seed=11)
    a = _build(tmp_path / "whoosh", docs, bulk=False)
    store.switch(tmp_path / "bulk", store.new_generation(tmp_path / "bulk"))
    with BulkWriter(store.open_current(tmp_path / "bulk")) as w:  # no spill: one segment
        for d in docs:
            w.add_document(**document_fields(d, "src", "sig"))
    b = store.open_current(tmp_path / "bulk")
    with a.reader() as ra, b.reader() as rb:
        assert len(rb.leaf_readers()) == 1
        ida = {d: ra.stored_fields(d)["id"] for d in ra.all_doc_ids()}
        idb = {d: rb.stored_fields(d)["id"] for d in rb.all_doc_ids()}
        assert list(ra.all_terms()) == list(rb.all_terms())
        many = 0
        for field, term in ra.all_terms():
            ia, ib = ra.term_info(field, term), rb.term_info(field, term)
            assert (ia.doc_frequency(), ia.min_length(), ia.max_length()) == \
                (ib.doc_frequency(), ib.min_length(), ib.max_length())
            assert ia.weight() == pytest.approx(ib.weight())
            assert ia.max_weight() == pytest.approx(ib.max_weight())
            assert _postings(ra, field, term, ida) == _postings(rb, field, term, idb)
            many += ia.doc_frequency() > 128
        assert many >= 5  # terms of several blocks were written and read back


def test_bulk_segments_hold_what_whoosh_writes(tmp_path):
    """Terms, postings (weights, positions, boosts), lengths, stored fields and columns."""
    docs = _docs(120)
    a = _build(tmp_path / "whoosh", docs, bulk=False)
    b = _build(tmp_path / "bulk", docs, bulk=True)
    with a.reader() as ra, b.reader() as rb:
        assert len(rb.leaf_readers()) > 1  # max_entries made it spill segments
        ida = {d: ra.stored_fields(d)["id"] for d in ra.all_doc_ids()}
        idb = {d: rb.stored_fields(d)["id"] for d in rb.all_doc_ids()}
        terms = list(ra.all_terms())
        assert terms == list(rb.all_terms())
        for field, term in terms:
            assert _postings(ra, field, term, ida) == _postings(rb, field, term, idb)
        by_id = {v: k for k, v in idb.items()}
        for d, doc_id in ida.items():
            e = by_id[doc_id]
            assert ra.stored_fields(d) == rb.stored_fields(e)
            for field in ("title_uk", "body_uk", "title_ru", "body_ru"):
                assert ra.doc_field_length(d, field) == rb.doc_field_length(e, field)
        for field in ("body_uk", "title_ru"):
            assert ra.field_length(field) == rb.field_length(field)
        for col in ("source", "lang", "site", "signature"):
            ca, cb = ra.column_reader(col), rb.column_reader(col)
            assert all(ca[d] == cb[by_id[i]] for d, i in ida.items())


def test_bulk_sidecar_matches_the_codecs(tmp_path):
    """The sidecar arrays made from the bulk buffers equal what ArraysCodec writes."""
    docs = _docs(40)
    a = _build(tmp_path / "whoosh", docs, bulk=False)
    b = _build(tmp_path / "bulk", docs, bulk=True)
    with a.reader() as ra, b.reader() as rb:
        (la,), lbs = ra.leaf_readers(), rb.leaf_readers()
        sa = open_sidecar(la[0])
        ida = {d: ra.stored_fields(d)["id"] for d in ra.all_doc_ids()}
        for field, term in sa.terms:
            want = _arrays(sa, field, term, lambda d: ida[d])
            got = []
            for leaf, base in lbs:
                sb = open_sidecar(leaf)
                got += _arrays(sb, field, term, lambda d, base=base: rb.stored_fields(base + d)
                               ["id"])
            assert sorted(got) == sorted(want), (field, term)


def _arrays(side, field, term, name):
    p = side.postings(field, term)
    if p is None:
        return []
    ids, weights, positions, starts = p
    return [(name(int(d)), round(float(w), 4), positions[starts[i]:starts[i + 1]].tolist())
            for i, (d, w) in enumerate(zip(ids, weights, strict=False))]


def test_engine_searches_a_bulk_index(tmp_path):
    _build(tmp_path, _docs(60), bulk=True)
    eng = Engine(tmp_path)
    try:
        res = eng.search("бюджету", per_page=100)
        assert res.total > 0
        assert {h.id for h in res.hits} == {h.id for h in eng.search("бюджет",
                                                                      per_page=100).hits}
    finally:
        eng.close()


def _jsonl(path, records):
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=True) + "\n")


def _search_ids(index_dir, query):
    eng = Engine(index_dir)
    try:
        return {h.id for h in eng.search(query, per_page=100).hits}
    finally:
        eng.close()


def test_records_are_compared_one_by_one(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    feed = src / "feed.jsonl.gz"
    recs = [{"id": f"r{i}", "title": f"Новина {i}", "text": f"Бюджет області номер{i}.",
             "lang": "uk"} for i in range(4)]
    _jsonl(feed, recs)
    s = reindex(ix, [src])
    assert (s.records_added, s.documents) == (4, 4)
    recs[1]["text"] = "Лікарня отримала нове обладнання."  # changed
    del recs[2]  # gone
    recs.append({"id": "r9", "text": "Школа відкрилася після ремонту.", "lang": "uk"})
    _jsonl(feed, recs)
    s = reindex(ix, [src])
    assert (s.records_added, s.records_updated, s.records_deleted, s.records_unchanged) == \
        (1, 1, 1, 2)
    assert s.documents == 2  # only the new and the changed record were analysed
    assert _search_ids(ix, "бюджет") == {"r0", "r3"}
    assert _search_ids(ix, "лікарня") == {"r1"}
    assert _search_ids(ix, "школа") == {"r9"}
    s = reindex(ix, [src])  # nothing changed: the file is not even read
    assert (s.unchanged, s.documents, s.records_unchanged) == (1, 0, 0)
    feed.touch()  # same records, new mtime: compared, none analysed
    s = reindex(ix, [src])
    assert (s.documents, s.records_unchanged) == (0, 4)


def test_lone_surrogates_are_cleaned(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "a.jsonl").write_text(
        '{"id": "s\\ud800", "title": "Бюджет \\udfff міста", "text": "Бюджет \\ud800 міста '
        'ухвалено.", "site": "x\\ud801"}\n', encoding="utf-8")
    s = reindex(ix, [src])
    assert s.skipped == [] and s.documents == 1
    eng = Engine(ix)
    try:
        res = eng.search("бюджет")
        (hit,) = res.hits
        stored = eng.searcher().stored_fields(0)
        for value in stored.values():  # every stored string encodes as UTF-8
            if isinstance(value, str):
                value.encode("utf-8")
        assert hit.id == "s\ufffd" and "\ufffd" in stored["body"]
    finally:
        eng.close()


def test_huge_records_and_gz_bombs_are_skipped_others_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "BOMB_MIN_BYTES", 2**20)
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    good = {"id": "g1", "text": "Бюджет міста ухвалено.", "lang": "uk"}
    big = {"id": "big", "text": "слово " * 2000, "lang": "uk"}  # 12,000 characters
    huge = {"id": "huge", "text": "ю" * 3_000_000, "lang": "uk"}  # a line past the limit
    _jsonl(src / "a.jsonl", [good, big, huge, {"id": "g2", "text": "Бюджет села.",
                                                "lang": "uk"}])
    with gzip.open(src / "bomb.jsonl.gz", "wb") as f:
        f.write(json.dumps({"id": "b0", "text": "Бюджет бомби.", "lang": "uk"}).encode()
                + b"\n")
        for _ in range(40):  # 40 MiB of one line, from a few tens of KiB
            f.write(b" " * 2**20)
    _jsonl(src / "z.jsonl", [{"id": "z1", "text": "Бюджет району.", "lang": "uk"}])
    s = reindex(ix, [src], max_record_chars=10_000)
    reasons = "\n".join(f"{p}: {r}" for p, r in s.skipped)
    assert "line 2: record too large (12,000 characters" in reasons
    assert "line 3: record too large" in reasons
    assert "bomb.jsonl.gz: not read past line 2: the gzip inflates more than" in reasons
    assert _search_ids(ix, "бюджет") == {"g1", "g2", "b0", "z1"}


def test_a_bomb_member_after_ordinary_ones_is_stopped(tmp_path, monkeypatch):
    """The ratio is judged per window, not over the file: 6 MiB of ordinary (hardly
    compressible) members keep the whole file's ratio near 8x, and the bomb member after
    them is still stopped; the records before it are indexed."""
    monkeypatch.setattr(documents, "BOMB_MIN_BYTES", 2**20)
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    path = src / "feed.jsonl.gz"
    rng = random.Random(7)
    with gzip.open(path, "wb") as f:
        f.write(json.dumps({"id": "a1", "text": "Бюджет міста ухвалено.", "lang": "uk"})
                .encode() + b"\n")
        for i in range(60):  # skipped as too large, but read: ~3 MiB compressed
            noise = "".join(rng.choices("0123456789abcdef", k=100_000))
            f.write(json.dumps({"id": f"n{i}", "text": noise}).encode() + b"\n")
    with gzip.open(path, "ab") as f:  # a second member: the bomb
        f.write(json.dumps({"id": "b0", "text": "Бюджет бомби.", "lang": "uk"}).encode()
                + b"\n")
        for _ in range(40):
            f.write(b" " * 2**20)
        f.write(b"\n" + json.dumps({"id": "b1", "text": "Бюджет після.", "lang": "uk"})
                .encode() + b"\n")
    s = reindex(ix, [src], max_record_chars=10_000)
    reasons = "\n".join(f"{p}: {r}" for p, r in s.skipped)
    assert "feed.jsonl.gz: not read past line 63: the gzip inflates more than" in reasons
    assert _search_ids(ix, "бюджет") == {"a1", "b0"}


@pytest.mark.parametrize("damage", ["deflate", "truncated", "crc"])
def test_a_damaged_gz_is_skipped_others_kept(tmp_path, damage):
    """Damaged deflate data (zlib's or ISA-L's error), a cut file or a bad CRC: that file is
    skipped with a reason, the records before the damage and the other files are indexed."""
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    recs = [{"id": f"r{i}", "text": f"Бюджет міста {i}. " * 40, "lang": "uk"} for i in range(300)]
    data = gzip.compress(("\n".join(json.dumps(r) for r in recs) + "\n").encode(), 9)
    data = {"deflate": data[:40] + b"\xff\xff\xff" + data[43:], "truncated": data[:len(data) // 2],
            "crc": data[:-8] + bytes(4) + data[-4:]}[damage]
    (src / "bad.jsonl.gz").write_bytes(data)
    _jsonl(src / "z.jsonl", [{"id": "z1", "text": "Кошторис району.", "lang": "uk"}])
    s = reindex(ix, [src])
    assert [p.rsplit("/", 1)[-1] for p, _ in s.skipped] == ["bad.jsonl.gz"]
    assert _search_ids(ix, "кошторис") == {"z1"}


def test_a_big_collection_is_streamed_in_processes(tmp_path):
    """More documents than the processes' threshold, spilled: all there, once each."""
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    rng = random.Random(1)
    recs = [{"id": f"n{i}", "lang": "ru", "text": " ".join(rng.choice(RU) for _ in range(50))}
            for i in range(700)]
    _jsonl(src / "big.jsonl.gz", recs)
    s = reindex(ix, [src], procs=2)
    assert (s.documents, s.skipped) == (700, [])
    ixr = store.open_current(ix)
    with ixr.reader() as r:
        ids = [r.stored_fields(d)["id"] for d in r.all_doc_ids()]
    assert sorted(ids) == sorted(r["id"] for r in recs)
    assert np.unique(ids).size == 700


@pytest.mark.parametrize("bad", ["\ud800", "\udbff\udfff\udc00"])
def test_valid_text_replaces_only_lone_surrogates(bad):
    out = documents.valid_text(f"a{bad}b")
    out.encode("utf-8")
    assert out.startswith("a") and out.endswith("b") and "\ufffd" in out


def test_an_existing_whoosh_written_index_takes_bulk_segments(tmp_path):
    """Segments of Whoosh's writer (an index from before) beside ours, deletions across them."""
    from tests.conftest import add_segment, fresh_index

    ix = fresh_index(tmp_path)
    docs = _docs(90)
    add_segment(ix, docs[:30])
    add_segment(ix, docs[30:60])
    replaced = Document(id="d3", title="", body="Школа отримала новий бюджет.", lang="uk")
    add_segment(ix, [*docs[60:], replaced], delete=["d1", "d3"], bulk=True)
    with store.open_current(tmp_path).reader() as r:
        assert len(r.leaf_readers()) == 3
        ids = sorted(r.stored_fields(d)["id"] for d in r.all_doc_ids())
    assert ids == sorted({d.id for d in docs} - {"d1"})
    whole = _build(tmp_path / "whole", [d for d in docs[:60] if d.id not in ("d1", "d3")]
                   + docs[60:] + [replaced], bulk=False)
    with whole.searcher() as s:
        want = {s.stored_fields(d)["id"] for f in ("title_uk", "body_uk")
                for d in s.document_numbers(**{f: "школа"})}
    eng = Engine(tmp_path)
    try:
        got = {h.id for h in eng.search("школа", per_page=200, langs=("uk",)).hits}
    finally:
        eng.close()
    assert got == want and "d3" in got
