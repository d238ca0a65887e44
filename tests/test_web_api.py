"""The JSON API through the test client: /api/search, /api/openapi.json, /healthz and the JSON
error envelope."""

from urllib.parse import urlencode

import pytest

from tests.web_helpers import WORD, html


def test_api_pagination(client):
    first = client.get(f"/api/search?q={WORD}&per_page=10").json
    second = client.get(f"/api/search?q={WORD}&per_page=10&page=2").json
    assert first["total"] == second["total"] == 15
    assert len(first["hits"]) == 10 and len(second["hits"]) == 5
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    assert client.get(f"/api/search?q={WORD}&page=3").json["hits"] == []


def test_api_search_shape(client):
    body = client.get(f"/api/search?q={WORD}&per_page=3").json
    assert set(body) == {"query", "total", "total_exact", "all_words", "page", "per_page",
                         "took_ms", "hits", "facets", "corrected", "suggestion", "crosslang",
                         "total_collapsed", "cached"}
    assert body["total_exact"] is True and body["all_words"] == body["total"]
    assert body["query"] == WORD and body["page"] == 1 and body["per_page"] == 3
    assert len(body["hits"]) == 3
    for hit in body["hits"]:
        assert set(hit) == {"id", "title", "title_html", "url", "date", "lang", "source",
                            "score", "snippet", "duplicates"}
        assert "<mark>" in hit["snippet"] and f"<mark>{WORD}</mark>" in hit["title_html"]


def test_totals_do_not_depend_on_the_page(client):
    pages = [client.get(f"/api/search?q={WORD}&per_page={n}&page={p}").json
             for n, p in [(3, 1), (3, 2), (10, 1), (100, 1)]]
    assert {(b["total"], b["all_words"], b["total_exact"]) for b in pages} == {(15, 15, True)}


def test_lang_filter(client):
    both = client.get("/api/search?q=вибори OR голосование&per_page=100").json
    assert both["total"] == 18 and {h["lang"] for h in both["hits"]} == {"uk", "ru"}
    assert client.get("/api/search?q=вибори OR голосование&lang=uk").json["total"] == 15
    ru = client.get("/api/search?q=голосование&lang=ru").json
    assert ru["total"] == 3 and {h["lang"] for h in ru["hits"]} == {"ru"}
    page = html(client.get("/search?q=голосование&lang=ru"))
    assert "Знайдено: 3" in page and '<option value="ru" selected>' in page


def test_date_filter(client):
    body = client.get(f"/api/search?q={WORD}&from=2024-01-03&to=2024-01-05&per_page=100").json
    assert sorted(h["date"] for h in body["hits"]) == ["2024-01-03", "2024-01-04", "2024-01-05"]
    page = html(client.get(f"/search?q={WORD}&from=2024-01-03&to=2024-01-05"))
    assert "Знайдено: 3" in page and 'value="2024-01-03"' in page


def test_sort_by_date(client):
    hits = client.get(f"/api/search?q={WORD}&sort=date&per_page=100").json["hits"]
    dates = [h["date"] for h in hits]
    assert dates == sorted(dates, reverse=True)


def test_empty_form_fields_mean_no_filter(client):
    body = client.get(f"/api/search?q={WORD}&lang=&from=&to=&sort=&page=").json
    assert body["total"] == 15


def test_misspelt_query_is_corrected_unless_exact(client):
    body = client.get("/api/search?q=вибари").json
    assert body["corrected"] == {"query": WORD, "reason": "spelling"} and body["total"] == 15
    page = html(client.get("/search?q=вибари"))
    assert f"Показано результати для «{WORD}»" in page and "exact=1" in page
    exact = client.get("/api/search?q=вибари&exact=1").json
    assert exact["corrected"] is None and exact["total"] == 0
    assert 'name="exact" value="1"' in html(client.get("/search?q=вибари&exact=1"))


def test_api_reports_no_correction_for_a_good_query(client):
    body = client.get(f"/api/search?q={WORD}").json
    assert body["corrected"] is None and body["suggestion"] is None


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json["status"] == "ok" and resp.json["doc_count"] == 18
    assert isinstance(resp.json["generation"], int)


def test_openapi_document(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/api/search", "/healthz"} <= set(spec["paths"])
    assert "Error" in spec["components"]["schemas"]
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {"q", "page", "per_page", "lang", "sort", "from", "to", "exact", "source",
                     "collapse"}


API_ERRORS = [
    ("GET", "/api/search", 400),
    ("GET", "/api/search?q=", 400),
    ("GET", "/api/search?q=%20%20%09", 400),
    ("GET", "/api/search?q=" + "а" * 501, 400),
    ("GET", "/api/search?q=!!!", 400),
    ("GET", "/api/search?q=x&page=0", 400),
    ("GET", "/api/search?q=x&page=abc", 400),
    ("GET", "/api/search?q=x&page=-1", 400),
    ("GET", "/api/search?q=x&page=1001", 400),
    ("GET", "/api/search?q=x&page=%D9%A3", 400),  # an Arabic-Indic digit is not ASCII
    ("GET", "/api/search?q=x&per_page=0", 400),
    ("GET", "/api/search?q=x&per_page=1000", 400),
    ("GET", "/api/search?q=x&lang=xx", 400),
    ("GET", "/api/search?q=x&sort=xx", 400),
    ("GET", "/api/search?q=x&exact=2", 400),
    ("GET", "/api/search?q=x&from=not-a-date", 400),
    ("GET", "/api/search?q=x&to=2024-13-01", 400),
    ("GET", "/api/search?q=x&from=2024-02-01&to=2024-01-01", 400),
    ("GET", "/api/nope", 404),
    ("GET", "/api/", 404),
    ("GET", "/api", 404),
    ("POST", "/api/search?q=x", 400),  # parameters go in a JSON body
    ("GET", "/api/search?q=x&color=red", 400),
    ("GET", "/api/suggest?q=x&color=red", 400),
    ("GET", "/api/doc/uk-1?color=red", 400),
    ("GET", "/api/doc/no-such-doc", 404),
    ("POST", "/api/doc/uk-1", 405),
    ("DELETE", "/api/openapi.json", 405),
    ("PUT", "/healthz", 405),
]


@pytest.mark.parametrize("method, url, status", API_ERRORS)
def test_api_error_envelope(client, method, url, status):
    resp = client.open(url, method=method)
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    assert set(resp.json) == {"error"}
    assert set(resp.json["error"]) == {"code", "message"}
    assert isinstance(resp.json["error"]["code"], str | int)
    assert resp.json["error"]["message"]
    if status == 405:
        assert "GET" in resp.headers["Allow"]


def test_api_500_has_no_traceback(client, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("web.searching.get_engine", boom)
    resp = client.get("/api/search?q=x")
    assert resp.status_code == 500
    assert resp.json == {"error": {"code": "internal_error", "message": "internal server error"}}
    page = client.get("/search?q=x")
    assert page.status_code == 500 and "secret" not in html(page)
    assert "Щось пішло не так" in html(page)


ODD_QUERIES = [urlencode({"q": q}) for q in ["\x00", "title:", '"', "-", "*", "a*", "OR", "-x",
                               '"незакрита', "%", "\u202e", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "x" * 500]]


@pytest.mark.parametrize("query_string", [*ODD_QUERIES, "q=%ED%A0%80", "q=%FF%FE", "q&q=x"])
def test_odd_queries_never_500(client, query_string):
    for url in ("/api/search", "/search"):
        assert client.get(f"{url}?{query_string}").status_code in (200, 302, 400)


def test_results_with_only_some_words_are_counted_apart(sample_client):
    body = sample_client.get("/api/search", query_string={"q": "співпраця машиностроитель"}).json
    assert body["all_words"] == 0 and body["total"] >= 2 and body["hits"]
    body = sample_client.get("/api/search", query_string={"q": "співпраця Запоріжжя"}).json
    assert body["all_words"] >= 1 and body["hits"]
