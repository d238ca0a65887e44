"""Facets and the source filter on the API and the page, over a real index of documents with
sources and dates of every precision."""

import html as htmlmod
import re
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from search.ingest.documents import Document
from search.ingest.indexer import document_fields, open_index
from tests.web_helpers import html
from web import create_app

# (id, lang, site, date, precision): every document says "бюджет" / "бюджет".
DOCS = [
    ("uk-a1", "uk", "Наші гроші", "2011-07-26", ""),
    ("uk-a2", "uk", "Наші гроші", "2011-07-01", "month"),
    ("uk-a3", "uk", "Наші гроші", "2011-03-15", ""),
    ("uk-b1", "uk", "Дзеркало тижня", "2012-01-01", "year"),
    ("uk-b2", "uk", "Дзеркало тижня", "2011-11-02", ""),
    ("uk-c1", "uk", "", "", ""),  # no source, no date
    ("ru-a1", "ru", "Коммерсантъ", "2011-07-05", ""),
    ("ru-a2", "ru", "Коммерсантъ", "2010-02-02", ""),
]
TEXT = {"uk": ("Бюджет міста", "Депутати ухвалили бюджет міста на рік."),
        "ru": ("Бюджет города", "Депутаты приняли бюджет города на год.")}


@pytest.fixture(scope="module")
def facet_client(tmp_path_factory):
    """The documents written with the indexer's own fields plus their site and precision."""
    index_dir = tmp_path_factory.mktemp("facets_index")
    ix = open_index(index_dir)
    with ix.writer() as writer:
        for doc_id, lang, site, date, precision in DOCS:
            title, body = TEXT[lang]
            doc = Document(id=doc_id, title=title, body=body, lang=lang,
                           date=datetime.fromisoformat(date) if date else None)
            fields = document_fields(doc, "test.jsonl", "1:1")
            fields["site"] = site
            if precision:
                fields["date_precision"] = precision
            writer.add_document(**fields)
    ix.close()
    return create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True}).test_client()


def api(client, **args):
    resp = client.get("/api/search", query_string={"q": "бюджет OR бюджет", **args})
    assert resp.status_code == 200, resp.json
    return resp.json


def counts(body, name):
    return {f["value"]: f["count"] for f in body["facets"][name]}


def test_facets_count_every_match(facet_client):
    body = api(facet_client, per_page=1)
    assert body["total"] == 8 and len(body["hits"]) == 1
    assert counts(body, "lang") == {"uk": 6, "ru": 2}
    # "" counts the undated ("без дати" on the page).
    assert counts(body, "year") == {"2012": 1, "2011": 5, "2010": 1, "": 1}
    assert [f["value"] for f in body["facets"]["year"]] == ["2012", "2011", "2010", ""]
    assert counts(body, "source") == {"Наші гроші": 3, "Дзеркало тижня": 2, "Коммерсантъ": 2}
    assert body["facets"]["month"] == []  # no date range within one year


def test_months_within_a_year(facet_client):
    body = api(facet_client, **{"from": "2011-01-01", "to": "2011-12-31"})
    assert body["total"] == 5
    assert counts(body, "month") == {"2011-07": 3, "2011-03": 1, "2011-11": 1}


@pytest.mark.parametrize("sources, total, ids", [
    (["Наші гроші"], 3, {"uk-a1", "uk-a2", "uk-a3"}),
    (["Коммерсантъ"], 2, {"ru-a1", "ru-a2"}),
    (["Наші гроші", "Коммерсантъ"], 5, {"uk-a1", "uk-a2", "uk-a3", "ru-a1", "ru-a2"}),
    (["Нема такого"], 0, set()),
])
def test_source_filter(facet_client, sources, total, ids):
    body = api(facet_client, source=sources, per_page=100)
    assert body["total"] == total and {h["id"] for h in body["hits"]} == ids
    posted = facet_client.post("/api/search", json={"q": "бюджет OR бюджет", "source": sources,
                                                    "per_page": 100}).json
    assert posted["total"] == total
    if sources == ["Наші гроші"]:
        assert counts(body, "source") == {"Наші гроші": 3}


def test_hits_show_source_and_date_to_its_precision(facet_client):
    hits = {h["id"]: h for h in api(facet_client, per_page=100)["hits"]}
    assert hits["uk-a1"]["source"] == "Наші гроші" and hits["uk-a1"]["date"] == "2011-07-26"
    assert hits["uk-a2"]["date"] == "2011-07" and hits["uk-b1"]["date"] == "2012"
    assert hits["uk-c1"]["source"] is None and hits["uk-c1"]["date"] is None
    doc = facet_client.get("/api/doc/uk-b1").json
    assert doc["source"] == "Дзеркало тижня" and doc["date"] == "2012"


def _facet_links(page: str) -> dict[str, str]:
    return {htmlmod.unescape(text): htmlmod.unescape(href) for href, text in
            re.findall(r'<li><a href="([^"]+)"(?: aria-current="true")?>([^<]+)</a> '
                       r'<span class="count">', page)}


@pytest.mark.parametrize("ui, lang_label", [("uk", "українська"), ("ru", "украинский")])
def test_page_facets_link_to_narrower_searches(facet_client, ui, lang_label):
    page = html(facet_client.get("/search", query_string={"q": "бюджет OR бюджет", "ui": ui}))
    links = _facet_links(page)
    assert {lang_label, "2011", "Наші гроші", "Коммерсантъ"} <= set(links)
    assert re.search(r">Наші гроші</a> <span class=\"count\">3</span>", page)
    assert '<span class="source">Наші гроші</span>' in page  # each hit shows its source
    year = dict(parse_qsl(urlsplit(links["2011"]).query))
    assert year["from"] == "2011-01-01" and year["to"] == "2011-12-31" and year["ui"] == ui
    narrowed = html(facet_client.get(links["2011"]))
    assert ">2011-07</a>" in narrowed  # months appear within the year
    month = dict(parse_qsl(urlsplit(_facet_links(narrowed)["2011-07"]).query))
    assert month["from"] == "2011-07-01" and month["to"] == "2011-07-31"
    assert re.search(r'aria-current="true">2011</a>', narrowed)  # the year in force is marked
    assert not re.search(r'aria-current="true">2011-07</a>', narrowed)  # no month chosen yet
    source = html(facet_client.get(links["Наші гроші"]))
    assert source.count('<li class="hit"') == 3
    assert re.search(r'aria-current="true">Наші гроші</a>', source)
    # The source filter is kept by the form and counted as an active filter.
    assert '<input type="hidden" name="source" value="Наші гроші">' in source
    assert 'class="clear-filters"' in source
