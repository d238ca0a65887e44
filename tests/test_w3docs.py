"""The bulk builder's stored fields, lengths and columns: the bytes Whoosh's own writer writes."""

from array import array
from datetime import datetime

import pytest
from whoosh.columns import (
    BitColumn,
    FixedBytesColumn,
    NumericColumn,
    RefBytesColumn,
    VarBytesColumn,
)
from whoosh.filedb.filestore import FileStorage

from search.ingest.codec import ArraysCodec
from search.ingest.w3docs import DocColumns

DATE = NumericColumn("Q", default=2**64 - 1)  # as the schema's DATETIME column
VAR, REF = VarBytesColumn(), RefBytesColumn()


def _articles(n):
    """Russian and Ukrainian articles as document_fields gives them, some without a date."""
    docs = []
    for i in range(n):
        lang = "uk" if i % 3 else "ru"
        stored = {"body": f"Текст статті {i} " * (i % 7 + 1), "id": f"d{i}", "lang": lang,
                  "site": f"site{i % 4}", "title": f"Заголовок {i}"}
        cols = {"lang": (VAR, lang.encode()), "site": (VAR, f"site{i % 4}".encode()),
                "near": (VAR, bytes(range(i % 9)))}
        if i % 5:
            stored["date"] = datetime(2024, 1 + i % 12, 1 + i % 28)
            cols["date"] = (DATE, int(stored["date"].timestamp()) * 10**6)
        if i % 10 == 3:
            cols["period"] = (REF, b"month" if i % 20 == 3 else b"year")
        lengths = {f"body_{lang}": 3 * (i % 7 + 1), f"title_{lang}": 0 if i % 4 == 0 else 2}
        docs.append((stored, cols, lengths))
    return docs


def _gaps(n):
    """Documents without stored fields, without columns, default values, the last ones bare."""
    docs = []
    for i in range(n):
        stored = {"id": f"g{i}", "none": None} if i % 4 else {}
        cols = {}
        if i % 3 == 1 and i < n - 3:
            cols["date"] = (DATE, DATE._default if i % 2 else 10**15 + i)
            cols["period"] = (REF, b"" if i % 5 else b"year")
            cols["source"] = (VAR, b"" if i % 2 else f"/data/{i}.jsonl".encode())
        lengths = {"body_ru": [0, 1, 255, 108116, 10**7][i % 5]} if i < n - 2 else {}
        docs.append((stored, cols, lengths))
    return docs


def _many_refs(n):
    """A RefBytes column with more than 255 distinct values (Whoosh's own writer)."""
    return [({"id": str(i)}, {"period": (REF, f"v{i % 300}".encode())}, {}) for i in range(n)]


def _other_columns(n):
    """Columns of other types: signed numbers, fixed bytes, bits, offsets past a cutoff."""
    signed, fixed, bits = NumericColumn("i", default=0), FixedBytesColumn(2), BitColumn()
    offs, no_offs = VarBytesColumn(write_offsets_cutoff=3), VarBytesColumn(False, 3)
    return [({"id": str(i)}, {"signed": (signed, (i - 4) * 70_000 * (i % 2)),
                               "fixed": (fixed, bytes([i % 256, 7])), "bits": (bits, i % 3 == 0),
                               "offs": (offs, b"x" * (i * 40)), "no_offs": (no_offs, b"y" * i)},
             {}) for i in range(n)]


def _many_stored(n):
    """More documents than VarBytes' offsets cutoff (2**15): the stored column has offsets."""
    return [({"id": f"n{i}", "length": i * 301}, {}, {}) for i in range(n)]


CASES = [("articles", _articles, 40), ("gaps", _gaps, 23), ("many refs", _many_refs, 400),
         ("other columns", _other_columns, 12), ("many stored", _many_stored, 33_000),
         ("one document", _articles, 1)]


def _whoosh(storage, docs):
    """The segment's files as Whoosh's per-document writer (the codec's) writes them."""
    seg = ArraysCodec().new_segment(storage, "MAIN")
    w = ArraysCodec().per_document_writer(storage, seg)
    for docnum, (stored, cols, lengths) in enumerate(docs):
        w.start_doc(docnum)
        for name in sorted(stored.keys() | cols.keys() | lengths.keys()):
            w.add_field(name, None, stored.get(name), lengths.get(name, 0))
            if name in cols:
                w.add_column_value(name, *cols[name])
        w.finish_doc()
    w.close()
    return seg


def _bulk(storage, docs):
    """The same through DocColumns, with lengths kept as the builder keeps them."""
    seg = ArraysCodec().new_segment(storage, "MAIN")
    d = DocColumns(storage, seg)
    lengths: dict[str, array] = {}
    for docnum, (stored, cols, lens) in enumerate(docs):
        d.add(docnum, {k: v for k, v in sorted(stored.items()) if v is not None}, cols)
        for name in sorted(lens):
            if lens[name]:
                col = lengths.setdefault(name, array("I"))
                col.extend([0] * (docnum - len(col)))
                col.append(lens[name])
    seg._fieldlengths = d.close(len(docs), lengths)
    return seg


def _files(storage, seg):
    prefix = seg.segment_id()
    out = {}
    for name in storage.list():
        if name.startswith(prefix):
            with storage.open_file(name) as f:
                out[name[len(prefix):]] = bytes(f.read())
    return out


@pytest.mark.filterwarnings("ignore:RefBytesColumn dropped")
@pytest.mark.parametrize(("case", "make", "n"), CASES, ids=[c[0] for c in CASES])
def test_columns_are_the_bytes_whoosh_writes(tmp_path, case, make, n):
    docs = make(n)
    a, b = FileStorage(str(tmp_path / "a")).create(), FileStorage(str(tmp_path / "b")).create()
    sa, sb = _whoosh(a, docs), _bulk(b, docs)
    fa, fb = _files(a, sa), _files(b, sb)
    assert sorted(fa) == sorted(fb)
    assert fa, case
    for name in fa:
        assert fa[name] == fb[name], name
    assert sb._fieldlengths == sa._fieldlengths
    assert list(sb._fieldlengths.items()) == list(sa._fieldlengths.items())
    assert type(sb._fieldlengths) is type(sa._fieldlengths)


def test_discard_closes_the_stored_file(tmp_path):
    storage = FileStorage(str(tmp_path)).create()
    seg = ArraysCodec().new_segment(storage, "MAIN")
    d = DocColumns(storage, seg)
    d.add(0, {"id": "x"}, {})
    d.discard()
    d.discard()
    for name in list(storage.list()):
        storage.delete_file(name)
    assert not list(storage.list())


def test_a_bulk_index_with_dates_reads_as_whooshs(tmp_path):
    """Dates (a column, and terms in tiers), their precision (a RefBytes column), sites, lengths
    and near-duplicate hashes: a bulk segment holds what Whoosh's own writer writes."""
    from dataclasses import replace

    from tests.test_bulk_writer import _build, _docs, _postings

    docs = [replace(d, date=datetime(2020 + i % 5, 1 + i % 12, 1 + i % 27, i % 24) if i % 4
                    else None, date_precision=("", "year", "month", "")[i % 4],
                    url=f"https://example.org/{i}" if i % 3 else "")
            for i, d in enumerate(_docs(90, seed=3))]
    a = _build(tmp_path / "whoosh", docs, bulk=False)
    b = _build(tmp_path / "bulk", docs, bulk=True)
    with a.reader() as ra, b.reader() as rb:
        ida = {d: ra.stored_fields(d)["id"] for d in ra.all_doc_ids()}
        idb = {d: rb.stored_fields(d)["id"] for d in rb.all_doc_ids()}
        by_id = {v: k for k, v in idb.items()}
        terms = list(ra.all_terms())
        assert terms == list(rb.all_terms())
        assert {f for f, _ in terms} >= {"date", "length", "id", "source", "lang", "site"}
        for field, term in terms:
            assert _postings(ra, field, term, ida) == _postings(rb, field, term, idb)
        for d, doc_id in ida.items():
            assert ra.stored_fields(d) == rb.stored_fields(by_id[doc_id])
        for col in ("date", "period", "near", "lang", "site", "source", "signature"):
            # (raw values: Whoosh cannot turn a missing date's default into a datetime)
            ca, cb = ra.column_reader(col, translate=False), rb.column_reader(col, translate=False)
            assert [ca[d] for d in ida] == [cb[by_id[i]] for i in ida.values()], col
        for field in ("title_uk", "body_uk", "title_ru", "body_ru"):
            assert ra.field_length(field) == rb.field_length(field)
