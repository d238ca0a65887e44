"""Filters, facets, date sort and date display of the array engine, on a real index."""

from datetime import datetime

import pytest

from search.engine import Engine
from search.ingest.documents import Document
from search.ingest.indexer import document_fields
from tests.conftest import fresh_index

# (id, lang, site, date, precision, body): "вибори"/"выборы" in every one
DOCS = [
    ("uk1", "uk", "Наші гроші", datetime(2011, 7, 26), None, "Вибори у місті Київ."),
    ("uk2", "uk", "Наші гроші", datetime(2011, 3, 2), None, "Вибори та бюджет міста."),
    ("uk3", "uk", "День", datetime(2012, 1, 1), "year", "Вибори до ради."),
    ("uk4", "uk", "", None, None, "Вибори без дати."),
    ("ru1", "ru", "Росбалт", datetime(2011, 7, 1), "month", "Выборы в городе."),
    ("ru2", "ru", "", None, None, "Выборы без даты."),
    ("ru3", "ru", "Росбалт", datetime(2010, 5, 5), None, "Выборы и бюджет."),
]


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    root = tmp_path_factory.mktemp("filters")
    ix = fresh_index(root)
    for half in (DOCS[:4], DOCS[4:]):  # two segments
        w = ix.writer()
        for doc_id, lang, site, date, precision, body in half:
            fields = document_fields(Document(id=doc_id, title="", body=body, lang=lang, date=date),
                                     "src", "sig")
            fields.update(site=site, **({"date_precision": precision} if precision else {}))
            w.add_document(**fields)
        w.commit(merge=False)
    engine = Engine(root, cache_size=0)
    yield engine
    engine.close()


QUERY = "вибори OR выборы"


def ids(res):
    return [h.id for h in res.hits]


def test_sort_by_date_puts_undated_documents_last(eng):
    res = eng.search(QUERY, sort="date")
    assert ids(res)[:5] == ["uk3", "uk1", "ru1", "uk2", "ru3"]
    assert sorted(ids(res)[5:]) == ["ru2", "uk4"] and res.total == 7


@pytest.mark.parametrize("doc_id, shown", [("uk1", "2011-07-26"), ("uk3", "2012"),
                                           ("ru1", "2011-07"), ("uk4", None)])
def test_dates_are_shown_to_their_precision(eng, doc_id, shown):
    hit = next(h for h in eng.search(QUERY, per_page=10).hits if h.id == doc_id)
    assert hit.date == shown


@pytest.mark.parametrize("kwargs, expected", [
    ({"langs": ("uk",)}, {"uk1", "uk2", "uk3", "uk4"}),
    ({"langs": ("ru",)}, {"ru1", "ru2", "ru3"}),
    ({"sites": ("Росбалт",)}, {"ru1", "ru3"}),
    ({"sites": ("Наші гроші", "День")}, {"uk1", "uk2", "uk3"}),
    ({"sites": ("Немає такого",)}, set()),
    ({"date_from": datetime(2011, 1, 1), "date_to": datetime(2011, 12, 31, 23, 59)},
     {"uk1", "uk2", "ru1"}),
    ({"date_from": datetime(2011, 7, 2)}, {"uk1", "uk3"}),
    ({"date_to": datetime(2010, 12, 31)}, {"ru3"}),
])
def test_filters(eng, kwargs, expected):
    res = eng.search(QUERY, **kwargs)
    assert set(ids(res)) == expected and res.total == len(expected)


def test_facets_count_every_result(eng):
    res = eng.search(QUERY, per_page=2)
    assert res.facets["lang"] == [{"value": "uk", "count": 4}, {"value": "ru", "count": 3}]
    # "" counts the undated results ("без дати" on the page).
    assert res.facets["year"] == [{"value": "2012", "count": 1}, {"value": "2011", "count": 3},
                                  {"value": "2010", "count": 1}, {"value": "", "count": 2}]
    assert res.facets["source"] == [{"value": "Наші гроші", "count": 2},
                                    {"value": "Росбалт", "count": 2}, {"value": "День", "count": 1}]
    assert res.facets["month"] == []  # months only within one year
    one_year = eng.search(QUERY, date_from=datetime(2011, 1, 1), date_to=datetime(2011, 12, 31))
    assert one_year.facets["month"] == [{"value": "2011-03", "count": 1},
                                        {"value": "2011-07", "count": 2}]
    assert eng.search("бюджет").facets["lang"] == [{"value": "uk", "count": 1},
                                                   {"value": "ru", "count": 1}]


def test_hits_name_their_source_and_have_null_for_empty_values(eng):
    hits = {h.id: h for h in eng.search(QUERY, per_page=10).hits}
    assert hits["uk1"].source == "Наші гроші" and hits["uk4"].source is None
    assert hits["uk1"].url is None
