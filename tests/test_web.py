"""The Flask app through its test client: every route, every error, headers, i18n, reindex."""

import re
import runpy
from pathlib import Path
from urllib.parse import urlencode

import pytest

import search.morph
import web.searching
from search.indexer import reindex
from tests.web_helpers import WORD, build_index, write_news
from web import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def news_index(tmp_path_factory):
    """An index of 15 generated Ukrainian docs plus 3 Russian ones: enough for 2 pages."""
    tmp = tmp_path_factory.mktemp("web_news")
    index_dir, src = build_index(tmp, 15)
    write_news(src / "ru.jsonl", 3, word="выборы", lang="ru")
    reindex(index_dir, [src])
    return index_dir


@pytest.fixture
def client(news_index):
    return create_app({"SEARCH_INDEX_DIR": str(news_index), "TESTING": True}).test_client()


@pytest.fixture
def sample_client(sample_index):
    return create_app({"SEARCH_INDEX_DIR": str(sample_index), "TESTING": True}).test_client()


@pytest.fixture
def empty_client(tmp_path):
    return create_app({"SEARCH_INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()


def html(resp) -> str:
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def test_config_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path))
    assert create_app().config["SEARCH_INDEX_DIR"] == str(tmp_path)
    assert create_app({"SEARCH_INDEX_DIR": "x"}).config["SEARCH_INDEX_DIR"] == "x"
    assert create_app().config["SEARCH_CACHE_SIZE"] == 512
    monkeypatch.setenv("SEARCH_CACHE_SIZE", "0")
    assert create_app().config["SEARCH_CACHE_SIZE"] == 0


def test_gunicorn_config(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("SEARCH_WORKERS", "3")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["preload_app"] is True and conf["workers"] == 3
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    assert not conf.get("reload")


def test_wsgi_warms_dictionaries_and_builds_app(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path))
    search.morph.analyzer.cache_clear()
    module = runpy.run_path(str(ROOT / "wsgi.py"))
    assert search.morph.analyzer.cache_info().currsize == 2  # uk and ru loaded at import
    assert module["app"].config["SEARCH_INDEX_DIR"] == str(tmp_path)


def test_home_page(client):
    page = html(client.get("/"))
    assert '<html lang="uk">' in page
    assert "autofocus" in page and '<label for="q">' in page
    assert "Документів у індексі: 18" in page
    assert 'name="viewport"' in page
    assert 'rel="search" type="application/opensearchdescription+xml"' in page
    for landmark in ("<header", "<main", "<footer"):
        assert landmark in page


@pytest.mark.parametrize("url, headers, expected", [
    ("/", {}, "Пошук новин"),
    ("/?ui=ru", {}, "Поиск новостей"),
    ("/", {"Accept-Language": "ru-RU,ru;q=0.9"}, "Поиск новостей"),
    ("/", {"Accept-Language": "uk,ru;q=0.5"}, "Пошук новин"),
    ("/?ui=uk", {"Accept-Language": "ru"}, "Пошук новин"),
    ("/?ui=xx", {"Accept-Language": "en"}, "Пошук новин"),
])
def test_interface_language(client, url, headers, expected):
    resp = client.get(url, headers=headers)
    assert expected in html(resp)
    assert "Accept-Language" in resp.headers["Vary"]


def test_ui_choice_kept_in_forms(client):
    page = html(client.get(f"/search?q={WORD}&ui=ru"))
    assert '<input type="hidden" name="ui" value="ru">' in page
    assert "Найдено: 15" in page


def test_results_page(client):
    page = html(client.get(f"/search?q={WORD}"))
    assert f'value="{WORD}"' in page  # the query stays in the box
    assert "Знайдено: 15" in page and " мс" in page
    assert page.count('<li class="hit">') == 10
    assert f"<mark>{WORD}</mark>" in page
    assert 'href="https://example.org/news/' in page
    assert "2024-01-" in page and "українська" in page
    assert 'rel="next"' in page and "Сторінка 1 з 2" in page
    assert 'aria-label="Сторінки результатів"' in page


def test_pagination(client):
    page = html(client.get(f"/search?q={WORD}&page=2"))
    assert page.count('<li class="hit">') == 5
    assert 'rel="prev"' in page and 'rel="next"' not in page
    assert "Сторінка 2 з 2" in page
    ids_1 = set(re.findall(r"/doc/(uk-\d+)", html(client.get(f"/search?q={WORD}"))))
    ids_2 = set(re.findall(r"/doc/(uk-\d+)", page))
    assert ids_1 and ids_2 and not ids_1 & ids_2


def test_api_pagination(client):
    first = client.get(f"/api/search?q={WORD}&per_page=10").json
    second = client.get(f"/api/search?q={WORD}&per_page=10&page=2").json
    assert first["total"] == second["total"] == 15
    assert len(first["hits"]) == 10 and len(second["hits"]) == 5
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    assert client.get(f"/api/search?q={WORD}&page=3").json["hits"] == []


def test_api_search_shape(client):
    body = client.get(f"/api/search?q={WORD}&per_page=3").json
    assert set(body) == {"query", "total", "total_exact", "page", "per_page", "took_ms", "hits",
                         "corrected", "suggestion"}
    assert body["total_exact"] is True
    assert body["query"] == WORD and body["page"] == 1 and body["per_page"] == 3
    assert len(body["hits"]) == 3
    for hit in body["hits"]:
        assert set(hit) == {"id", "title", "url", "date", "lang", "score", "snippet"}
        assert "<mark>" in hit["snippet"]


def test_estimated_total_is_said_to_be_about(news_index, monkeypatch):
    import search.engine

    monkeypatch.setattr(search.engine, "COUNT_CAP", 5)
    app = create_app({"SEARCH_INDEX_DIR": str(news_index), "TESTING": True}).test_client()
    body = app.get(f"/api/search?q={WORD}").json
    assert body["total_exact"] is False and body["total"] >= 5
    assert "Знайдено: близько" in html(app.get(f"/search?q={WORD}"))


def test_lang_filter(client):
    both = client.get("/api/search?q=вибори OR выборы&per_page=100").json
    assert both["total"] == 18 and {h["lang"] for h in both["hits"]} == {"uk", "ru"}
    assert client.get("/api/search?q=вибори OR выборы&lang=uk").json["total"] == 15
    ru = client.get("/api/search?q=выборы&lang=ru").json
    assert ru["total"] == 3 and {h["lang"] for h in ru["hits"]} == {"ru"}
    page = html(client.get("/search?q=выборы&lang=ru"))
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


def test_did_you_mean_link(client, monkeypatch):
    real = web.searching.execute

    def with_suggestion(params):
        res = real(params)
        res.suggestion = "вибори у Києві"
        return res

    monkeypatch.setattr(web.searching, "execute", with_suggestion)
    page = html(client.get(f"/search?q={WORD}&page=2"))
    assert "Можливо, ви мали на увазі:" in page
    assert "q=%D0%B2%D0%B8%D0%B1%D0%BE%D1%80%D0%B8+%D1%83+%D0%9A%D0%B8%D1%94%D0%B2%D1%96" in page
    assert client.get(f"/api/search?q={WORD}").json["suggestion"] == "вибори у Києві"


def test_api_reports_no_correction_for_a_good_query(client):
    body = client.get(f"/api/search?q={WORD}").json
    assert body["corrected"] is None and body["suggestion"] is None


def test_no_results_page(client):
    page = html(client.get("/search?q=космонавтика"))
    assert "Нічого не знайдено" in page
    assert "перевірити написання" in page and "прибрати фільтри" in page


def test_search_without_query_goes_home(client):
    resp = client.get("/search?q=+")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_document_page_highlights(sample_client):
    page = html(sample_client.get("/doc/uk-war?q=війна"))
    assert "<mark>" in page and "Наслідки" in page
    assert 'href="https://example.org/uk-war"' in page
    plain = html(sample_client.get("/doc/uk-war"))
    assert "<mark>" not in plain
    assert sample_client.get("/doc/uk-war?q=!!!").status_code == 200


def test_xss_query_is_escaped(sample_client):
    payload = "<script>alert(1)</script>"
    for url in ("/search", "/doc/ru-xss"):
        page = html(sample_client.get(url, query_string={"q": payload}))
        assert payload not in page
    page = html(sample_client.get("/search", query_string={"q": payload}))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    doc = html(sample_client.get("/doc/ru-xss"))
    assert "<script>alert" not in doc and "&lt;script&gt;" in doc


def test_only_web_links_are_followed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "x.jsonl").write_text(
        '{"id": "bad", "title": "вибори", "text": "вибори", "url": "javascript:alert(1)"}\n',
        encoding="utf-8")
    reindex(tmp_path / "ix", [src])
    c = create_app({"SEARCH_INDEX_DIR": str(tmp_path / "ix")}).test_client()
    page = html(c.get(f"/search?q={WORD}"))
    assert "javascript:" not in page and 'href="/doc/bad"' in page
    assert "javascript:" not in html(c.get("/doc/bad"))


SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@pytest.mark.parametrize("url", ["/", f"/search?q={WORD}", "/doc/uk-1", "/api/search?q=x",
                                 "/api/search", "/healthz", "/nope", "/api/openapi.json",
                                 "/opensearch.xml", "/static/style.css"])
def test_security_headers(client, url):
    resp = client.get(url)
    for name, value in SECURITY.items():
        assert resp.headers[name] == value
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    resp.close()  # static files are streamed from an open file


def test_no_inline_scripts(client):
    for url in ("/", f"/search?q={WORD}"):
        page = html(client.get(url))
        assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
        assert " style=" not in page and "<style" not in page


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json["status"] == "ok" and resp.json["doc_count"] == 18
    assert isinstance(resp.json["generation"], int)


def test_opensearch(client):
    resp = client.get("/opensearch.xml")
    assert resp.mimetype == "application/opensearchdescription+xml"
    assert "/search?q={searchTerms}" in resp.get_data(as_text=True)


def test_openapi_document(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/api/search", "/healthz"} <= set(spec["paths"])
    assert "Error" in spec["components"]["schemas"]
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {"q", "page", "per_page", "lang", "sort", "from", "to", "exact"}


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
    ("POST", "/api/search?q=x", 405),
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


@pytest.mark.parametrize("method, url, status", [
    ("GET", "/nope", 404),
    ("GET", "/doc/no-such-doc", 404),
    ("POST", "/search?q=x", 405),
    ("POST", "/", 405),
    ("GET", "/search?q=x&page=0", 400),
    ("GET", "/search?q=x&lang=xx", 400),
    ("GET", "/search?q=!!!", 400),
    ("GET", "/search?q=" + "а" * 501, 400),
])
def test_html_errors(client, method, url, status):
    resp = client.open(url, method=method)
    assert resp.status_code == status
    page = html(resp)
    assert "<main" in page and "Пошук новин" in page  # same layout
    assert "Traceback" not in page


def test_html_error_keeps_query(client):
    page = html(client.get("/search?q=вибори&page=0"))
    assert 'value="вибори"' in page and 'role="alert"' in page
    assert "Некоректне значення параметра «page»" in page
    assert "Запрос должен содержать" in html(client.get("/search?q=!!!&ui=ru"))


def test_missing_index(empty_client):
    assert "Документів у індексі: 0" in html(empty_client.get("/"))
    resp = empty_client.get("/api/search?q=x")
    assert resp.status_code == 503
    assert resp.json["error"]["code"] == "index_unavailable"
    assert "reindex" in resp.json["error"]["message"]
    health = empty_client.get("/healthz")
    assert health.status_code == 503 and health.json["index_readable"] is False
    assert empty_client.get("/search?q=x").status_code == 503
    assert empty_client.get("/doc/x").status_code == 503


def test_index_built_after_start_is_picked_up(tmp_path):
    c = create_app({"SEARCH_INDEX_DIR": str(tmp_path / "index")}).test_client()
    assert c.get("/healthz").status_code == 503
    build_index(tmp_path, 3)
    assert c.get(f"/api/search?q={WORD}").json["total"] == 3


def test_reindex_is_picked_up_without_restart(tmp_path):
    index_dir, src = build_index(tmp_path, 3)
    c = create_app({"SEARCH_INDEX_DIR": str(index_dir)}).test_client()
    assert c.get(f"/api/search?q={WORD}").json["total"] == 3
    generation = c.get("/healthz").json["generation"]
    write_news(src / "more.jsonl", 2, start=100)
    reindex(index_dir, [src])
    assert c.get(f"/api/search?q={WORD}").json["total"] == 5
    assert c.get("/doc/uk-100").status_code == 200
    health = c.get("/healthz").json
    assert health["doc_count"] == 5 and health["generation"] > generation


ODD_QUERIES = [urlencode({"q": q}) for q in ["\x00", "title:", '"', "-", "*", "a*", "OR", "-x",
                               '"незакрита', "%", "\u202e", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "x" * 500]]


@pytest.mark.parametrize("query_string", [*ODD_QUERIES, "q=%ED%A0%80", "q=%FF%FE", "q&q=x"])
def test_odd_queries_never_500(client, query_string):
    for url in ("/api/search", "/search"):
        assert client.get(f"{url}?{query_string}").status_code in (200, 302, 400)
