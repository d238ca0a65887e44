"""The feed, related articles, copies shown once, fresh first, metrics and health, over HTTP."""

import re
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import index_records
from tests.test_newsroom import _records
from tests.web_helpers import html
from web import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def newsroom_index(tmp_path_factory):
    src = tmp_path_factory.mktemp("web_newsroom_src")
    long_title = {"id": "long", "lang": "uk", "title": "", "date": "2024-02-02",
                  "text": "Мости " + "дуже " * 40 + "довге перше речення без крапки. Далі."}
    sites = [{"id": f"site-{i}", "lang": "uk", "title": f"Переправа {i}",
              "text": f"Нову переправу номер {i} відкрили біля села.", "site": site}
             for i, site in enumerate(["Крим. Реалії", "Крим.Реалії", "крим реалії"])]
    return index_records(_records() + [long_title] + sites, src,
                         tmp_path_factory.mktemp("web_newsroom_index"))


@pytest.fixture
def client(newsroom_index):
    return create_app({"SEARCH_INDEX_DIR": str(newsroom_index), "TESTING": True}).test_client()


def test_api_shows_copies_once_and_counts_both_totals(client):
    body = client.get("/api/search?q=мости&per_page=50").json
    every = client.get("/api/search?q=мости&per_page=50&collapse=0").json
    assert body["total"] == every["total"] == every["total_collapsed"]
    assert body["total_collapsed"] == body["total"] - 2 == len(body["hits"])
    assert sorted(h["duplicates"] for h in body["hits"])[-1] == 2
    assert len(every["hits"]) == every["total"]
    assert client.get("/api/search?q=мости&collapse=2").status_code == 400


def test_document_lists_its_copies_and_related_articles(client):
    doc = client.get("/api/doc/agency").json
    assert sorted(c["id"] for c in doc["copies"]) == ["reprint-1", "reprint-2"]
    related = client.get("/api/doc/agency/related?per_page=2").json
    assert 0 < len(related["hits"]) <= 2
    assert not {"agency", "reprint-1", "reprint-2"} & {h["id"] for h in related["hits"]}
    assert set(related["hits"][0]) >= {"id", "title", "snippet", "score", "duplicates"}
    assert client.get("/api/doc/nothing/related").status_code == 404
    assert client.get("/api/doc/agency/related?per_page=0").json["error"]["code"]
    assert client.get("/api/doc/agency/related?x=1").status_code == 400
    page = html(client.get("/doc/agency"))
    assert 'id="copies"' in page and "/doc/reprint-1" in page and "Схожі статті" in page


def test_results_page_links_copies_feed_and_sorts(client):
    page = html(client.get("/search?q=мости"))
    assert "Копії: 2" in page and "#copies" in page
    assert 'rel="alternate" type="application/atom+xml"' in page
    assert 'class="subscribe" href="/search.atom?q=' in page
    assert "Спершу свіжі" in page and "sort=recent" in page
    assert "<details class=\"filters-panel\">" in page  # folded: no open attribute
    again = html(client.get("/search?q=мости"))
    assert "з кешу" in again and " мс" not in again.split("class=\"summary\"")[1][:80]


def test_made_up_title_is_cut(client):
    hit = next(h for h in client.get("/api/search?q=мости&per_page=50").json["hits"]
               if h["id"] == "long")
    assert len(hit["title"]) <= 101 and hit["title"].endswith("…")


def test_source_names_merge_across_case_spacing_and_punctuation(client):
    body = client.get("/api/search?q=переправа&per_page=50").json
    crimea = [f for f in body["facets"]["source"] if "рим" in f["value"]]
    assert len(crimea) == 1 and crimea[0]["count"] == 3
    narrowed = client.get("/api/search?q=переправа&source=КРИМ РЕАЛІЇ").json
    assert narrowed["total"] == 3


def test_atom_feed(client):
    resp = client.get("/search.atom?q=мости&collapse=0&page=3&sort=relevance")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    root = ET.fromstring(resp.data)
    entries = root.findall(f"{ATOM}entry")
    assert root.find(f"{ATOM}title").text == "Пошук «мости»"
    dates = [e.find(f"{ATOM}updated").text for e in entries]
    dated = [d for d in dates if not d.startswith("1970")]
    assert dated == sorted(dated, reverse=True) and dates[:len(dated)] == dated  # undated last
    first = entries[0]
    links = {link.get("rel"): link.get("href") for link in first.findall(f"{ATOM}link")}
    assert links["alternate"].startswith("http://localhost/doc/")
    assert first.find(f"{ATOM}author/{ATOM}name").text
    assert "<" not in first.find(f"{ATOM}summary").text
    etag = resp.headers["ETag"]
    again = client.get("/search.atom?q=мости&collapse=0&page=3&sort=relevance",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert client.get("/search.atom").status_code == 400  # q is required, as for /search
    assert client.get("/search.atom?q=a&bogus=1").json["error"]["code"] == "unknown_parameter"


def test_recent_sort_over_http(client):
    body = client.get("/api/search?q=міст ремонт&sort=recent&collapse=0&per_page=20").json
    ids = [h["id"] for h in body["hits"]]
    assert ids.index("bridge-new") < ids.index("bridge-old")


def test_metrics(client):
    client.get("/api/search?q=мости")
    client.get("/api/search?q=мости")
    client.get("/api/doc/nothing")
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    assert 'search_http_requests_total{endpoint="/api/search",status="200"}' in text
    assert 'status="404"' in text
    assert "search_http_request_duration_seconds_bucket" in text
    assert "search_results_cache_hit_ratio" in text
    assert "search_index_documents 11.0" in text and "search_index_segments" in text
    assert "search_index_last_commit_timestamp_seconds" in text


def test_metrics_show_the_live_ingest_queue(tmp_path, newsroom_index):
    import shutil

    from search.ingest import committer

    index_dir = tmp_path / "index"
    shutil.copytree(newsroom_index, index_dir, symlinks=True)
    # A committer that would wait an hour: what is journaled stays queued while we look.
    app = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True,
                      "SEARCH_COMMIT_INTERVAL": 3600})
    assert "search_ingest_queue_depth 0.0" in app.test_client().get("/metrics").text
    # Journaled, as POST /api/documents does, with no committer running to apply them yet.
    committer.accept(index_dir, [{"id": f"q{n}", "text": "Черга документів."} for n in range(3)])
    text = app.test_client().get("/metrics").text
    assert "search_ingest_queue_depth 3.0" in text
    lag = float(re.search(r"^search_ingest_lag_seconds (\S+)$", text, re.M).group(1))
    assert 0 <= lag < 60


def test_healthz_says_why_a_damaged_index_cannot_be_opened(tmp_path, newsroom_index):
    import shutil

    broken = tmp_path / "index"
    shutil.copytree(newsroom_index, broken, symlinks=True)
    for segment in broken.rglob("*.seg"):
        segment.unlink()  # lost, say, to a disk error
    resp = create_app({"SEARCH_INDEX_DIR": str(broken), "TESTING": True}).test_client().get(
        "/healthz")
    assert resp.status_code == 503
    assert resp.json["status"] == "unavailable"
    assert "cannot be opened" in resp.json["message"] and ".seg" in resp.json["message"]
    missing = create_app({"SEARCH_INDEX_DIR": str(tmp_path / "none"), "TESTING": True})
    resp = missing.test_client().get("/healthz")
    assert resp.status_code == 503 and "not been built" in resp.json["message"]


def test_half_life_setting_is_checked(monkeypatch):
    monkeypatch.setenv("SEARCH_RECENT_HALF_LIFE_DAYS", "soon")
    with pytest.raises(ValueError, match="HALF_LIFE"):
        create_app()
    monkeypatch.setenv("SEARCH_RECENT_HALF_LIFE_DAYS", "7")
    assert create_app().config["SEARCH_RECENT_HALF_LIFE_DAYS"] == 7.0
