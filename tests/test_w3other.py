"""Terms of fields Whoosh analyses (ids, dates, numbers) in bulk: the bytes write_block writes."""

from datetime import datetime
from io import BytesIO

import pytest
from whoosh.analysis import IDAnalyzer
from whoosh.fields import DATETIME, ID, NUMERIC
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Existence

from search.ingest import w3other


def _term(docs, weight=1.0):
    return [(d, weight, b"") for d in docs]


# term → its (document, weight, value) rows, in term order.
CASES = {
    "ids": {f"id{i:03}".encode(): _term([i * 977]) for i in range(60)},
    "wide ids": {b"a": _term([300]), b"b": _term([70_000]), b"c": _term([2**31 - 1])},
    "few postings": {f"t{k}".encode(): _term(range(3, 3 + 5 * k, 5)) for k in range(1, 7)},
    "long terms between short ones": {
        b"a": _term([1]), b"b": _term(range(130)), b"c": _term([5, 6]),
        b"d": _term(range(0, 60_000, 1000)), b"e": _term([7]), b"f": _term(range(128))},
    "boosted": {b"x": _term([1, 2], 2.5), b"y": _term([4], 2.5), b"z": _term([1, 9, 20, 33], 2.5)},
    "uneven weights": {b"p": [(1, 1.0, b""), (2, 0.5, b"")],
                       b"q": [(1, 0.5, b""), (4, 1.0, b""), (9, 1.0, b"")],
                       b"r": [(2, 1.0, b""), (3, 0.25, b""), (5, 1.0, b""), (8, 1.0, b"")]},
    "one term": {b"only": _term([0])},
}


def _length(d):
    return (d * 37) % 500  # lengths over 255 too: their length bytes


def _write(terms, rows_of, bulk):
    f = StructFile(BytesIO())
    f.write(b"head")  # offsets are from the file's start
    if bulk:
        infos = w3other.write_terms(f, terms, rows_of, _length, Existence(), None, "id")
    else:
        infos = [w3other.write_term(f, rows_of[t], _length, Existence()).to_bytes()
                 for t in terms]
    return f.file.getvalue(), infos


@pytest.mark.parametrize("case", list(CASES))
def test_bulk_terms_are_the_bytes_written_a_term_at_a_time(case):
    rows_of = CASES[case]
    terms = list(rows_of)
    assert _write(terms, rows_of, bulk=True) == _write(terms, rows_of, bulk=False)
    laid = w3other._short(terms, rows_of, _length, Existence())[1]
    assert len(laid)  # (laid out in bulk, not all a term at a time)


@pytest.mark.parametrize("field", [ID(stored=True), NUMERIC(stored=True), DATETIME()],
                         ids=["ID", "NUMERIC", "DATETIME"])
def test_the_schemas_fields_go_in_bulk(field):
    """The formats of the schema's Whoosh-analysed fields have empty fixed-size values."""
    assert field.format.fixed_value_size() == 0
    info, laid, buf = w3other._short([b"a"], {b"a": _term([1])}, _length, field.format)
    assert laid.tolist() == [0] and len(buf) == int(info["length"][0])


# (field, values): the schema's kinds of Whoosh-analysed fields, and others that keep field.index
INDEXED = [
    (ID(stored=True), ["rt-17", "", "Київ/новини 1", "ß"]),
    (ID(analyzer=IDAnalyzer(lowercase=True)), ["Rt-17"]),
    (ID(field_boost=2.0), ["x"]),
    (NUMERIC(stored=True), [0, 1, 7_345, -12, 2**31 - 1, [3, 4]]),
    (NUMERIC(int, bits=64, signed=False), [0, 2**63 + 5]),
    (NUMERIC(float), [0.0, -2.5, 1e10]),
    (NUMERIC(decimal_places=2), ["12.25", 3]),
    (NUMERIC(shift_step=0), [42]),
    (DATETIME(stored=True), [datetime(2024, 2, 29, 13, 5), datetime(1900, 1, 1)]),
]


@pytest.mark.parametrize(("field", "values"), INDEXED,
                         ids=["id", "lowercase id", "boosted id", "int", "long", "float", "decimal",
                              "no tiers", "date"])
def test_indexer_gives_field_index_terms(field, values):
    index = w3other.indexer(field)
    for value in values:
        assert list(index(value)) == list(field.index(value)), value
