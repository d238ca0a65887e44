"""The API as an integrating developer uses it: CORS, caching with ETag, POST with a JSON body,
unknown parameters, one document, OpenSearch suggestions, long URLs through a real gunicorn."""

import json
from urllib.parse import quote

import pytest
import requests

from tests.conftest import index_records
from tests.servers import gunicorn
from tests.web_helpers import WORD
from web import create_app
from web.cors import parse_origins


def test_cors_any_origin_by_default(client):
    resp = client.get(f"/api/search?q={WORD}", headers={"Origin": "https://news.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]
    # Errors too, so that a page on another origin can read the envelope.
    error = client.get("/api/search?q=", headers={"Origin": "https://news.example"})
    assert error.status_code == 400 and error.headers["Access-Control-Allow-Origin"] == "*"
    # Pages are not part of the API: no CORS there.
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


@pytest.mark.parametrize("path, methods", [("/api/search", {"GET", "POST"}),
                                           ("/api/doc/uk-1", {"GET"}),
                                           ("/api/suggest", {"GET"})])
def test_preflight(client, path, methods):
    resp = client.options(path, headers={
        "Origin": "https://news.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert resp.status_code == 204 and resp.get_data() == b""
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {m.strip() for m in resp.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods <= allowed and "DELETE" not in allowed
    assert "content-type" in resp.headers["Access-Control-Allow-Headers"].lower()
    assert int(resp.headers["Access-Control-Max-Age"]) > 0


def test_preflight_of_an_unknown_path_is_404(client):
    resp = client.options("/api/nope", headers={"Origin": "https://a.example",
                                                "Access-Control-Request-Method": "GET"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("origin, allowed", [("https://a.example", True),
                                             ("https://b.example", True),
                                             ("https://evil.example", False),
                                             (None, False)])
def test_cors_listed_origins_only(news_index, origin, allowed):
    app = create_app({"SEARCH_INDEX_DIR": str(news_index), "TESTING": True,
                      "SEARCH_CORS_ORIGINS": "https://a.example, https://b.example/"})
    headers = {"Origin": origin} if origin else {}
    for resp in (app.test_client().get(f"/api/search?q={WORD}", headers=headers),
                 app.test_client().options("/api/search", headers={
                     **headers, "Access-Control-Request-Method": "GET"})):
        assert resp.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
        assert "Origin" in resp.headers["Vary"]


def test_cors_setting_from_environment(monkeypatch):
    monkeypatch.setenv("SEARCH_CORS_ORIGINS", "https://a.example https://b.example")
    setting = create_app().config["SEARCH_CORS_ORIGINS"]
    assert parse_origins(setting) == ("https://a.example", "https://b.example")


def test_etag_and_conditional_get(client):
    first = client.get(f"/api/search?q={WORD}")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and "max-age=" in first.headers["Cache-Control"]
    again = client.get(f"/api/search?q={WORD}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    other = client.get(f"/api/search?q={WORD}&page=2", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    head = client.head(f"/api/search?q={WORD}", headers={"If-None-Match": etag})
    assert head.status_code == 304
    assert "ETag" not in client.post("/api/search", json={"q": WORD}).headers
    stale = client.get(f"/api/search?q={WORD}", headers={"If-None-Match": 'W/"old"'})
    assert stale.status_code == 200 and stale.json["total"] == 15


def test_post_search_takes_the_get_parameters(client):
    get = client.get(f"/api/search?q={WORD}&per_page=3&page=2&lang=uk&sort=date&exact=1"
                     "&from=2024-01-02&to=2024-01-20").json
    post = client.post("/api/search", json={
        "q": WORD, "per_page": 3, "page": "2", "lang": "uk", "sort": "date", "exact": True,
        "from": "2024-01-02", "to": "2024-01-20", "source": []})
    assert post.status_code == 200 and post.headers["Cache-Control"] == "no-store"
    posted = post.json
    for body in (get, posted):
        body.pop("took_ms"), body.pop("cached")
    assert posted == get and len(get["hits"]) == 3


@pytest.mark.parametrize("data, content_type, code", [
    ("{not json", "application/json", "invalid_json"),
    ("", "application/json", "invalid_parameter"),
    ('["вибори"]', "application/json", "invalid_parameter"),
    ('{"q": {"nested": 1}}', "application/json", "invalid_parameter"),
    ('{"q": 1.5}', "application/json", "invalid_parameter"),
    ('{"q": "вибори", "color": "red"}', "application/json", "unknown_parameter"),
    ('{"q": "вибори", "page": 0}', "application/json", "invalid_parameter"),
    ("q=вибори", "application/x-www-form-urlencoded", "invalid_json"),
])
def test_post_bad_body_is_a_400_envelope(client, data, content_type, code):
    resp = client.post("/api/search", data=data.encode(), content_type=content_type)
    assert resp.status_code == 400 and resp.mimetype == "application/json"
    assert resp.json["error"]["code"] == code and resp.json["error"]["message"]


@pytest.mark.parametrize("url, name", [
    (f"/api/search?q={WORD}&color=red", "color"),
    (f"/api/search?q={WORD}&Q=x", "Q"),
    (f"/api/search?q={WORD}&ui=ru", "ui"),
    ("/api/suggest?q=ви&lim=3", "lim"),
    ("/api/doc/uk-1?query=x", "query"),
])
def test_unknown_parameter_is_named(client, url, name):
    resp = client.get(url)
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "unknown_parameter"
    assert f"'{name}'" in resp.json["error"]["message"]


def test_empty_values_are_null(tmp_path):
    (tmp_path / "src").mkdir()
    index_dir = index_records([{"id": "bare", "title": "Вибори", "text": "Вибори у місті."}],
                              tmp_path / "src", tmp_path / "ix")
    c = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True}).test_client()
    hit = c.get(f"/api/search?q={WORD}").json["hits"][0]
    assert hit["url"] is None and hit["date"] is None and hit["source"] is None
    doc = c.get("/api/doc/bare").json
    assert doc["url"] is None and doc["date"] is None and doc["source"] is None


def test_document_api(client):
    doc = client.get("/api/doc/uk-3", query_string={"q": WORD}).json
    assert doc["id"] == "uk-3" and doc["lang"] == "uk" and doc["date"] == "2024-01-04"
    assert doc["url"] == "https://example.org/news/3"
    assert doc["body"].startswith("Сьогодні у місті вибори номер 3.")
    assert f'<mark id="first-match">{WORD}</mark>' in doc["body_html"]
    assert f"<mark>{WORD}</mark>" in doc["title_html"] and doc["matches"] == 2
    plain = client.get("/api/doc/uk-3").json
    assert "<mark" not in plain["body_html"] + plain["title_html"] and plain["matches"] == 0
    resp = client.get("/api/doc/uk-999")
    assert resp.status_code == 404 and "uk-999" in resp.json["error"]["message"]


def test_opensearch_suggestions(client):
    resp = client.get("/api/opensearch-suggest?q=голо")
    assert resp.mimetype == "application/x-suggestions+json"
    query, completions = json.loads(resp.get_data())
    assert query == "голо" and completions[0] == "голосувати"
    assert completions == client.get("/api/suggest?q=голо").json["suggestions"]
    xml = client.get("/opensearch.xml").get_data(as_text=True)
    assert ('type="application/x-suggestions+json" method="get" '
            'template="/api/opensearch-suggest?q={searchTerms}"') in xml


@pytest.mark.parametrize("chars", [501, 3000, 9000, 40000])
def test_long_query_gets_the_json_envelope_from_gunicorn(news_index, tmp_path, chars):
    with gunicorn(news_index, workers=1, log=tmp_path / "gunicorn.log") as base:
        # Cyrillic is 6 URL bytes per letter: 9000 letters is a 54 KB request line.
        resp = requests.get(f"{base}/api/search?q={quote('а' * chars)}", timeout=30)
        assert resp.status_code == 400 and resp.headers["Content-Type"] == "application/json"
        assert resp.json()["error"]["code"] == "invalid_parameter"
        page = requests.get(f"{base}/search?q={quote('а' * chars)}", timeout=30)
        assert page.status_code == 400 and "Пошук новин" in page.text
