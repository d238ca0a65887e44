"""The HTML pages through the test client: /, /search, /doc/<id>, i18n, opensearch, HTML errors,
security headers."""

import re
from urllib.parse import urlencode

import pytest

import web.searching
from search.ingest.indexer import reindex
from tests.web_helpers import WORD, html
from web import create_app


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
    assert page.count('<li class="hit" lang="uk">') == 10
    assert f"<mark>{WORD}</mark>" in page
    assert 'href="https://example.org/news/' in page
    assert "2024-01-" in page and "українська" in page
    assert 'rel="next"' in page and "Сторінка 1 з 2" in page
    assert 'aria-label="Сторінки результатів"' in page


def test_pagination(client):
    page = html(client.get(f"/search?q={WORD}&page=2"))
    assert page.count('<li class="hit" lang="uk">') == 5
    assert 'rel="prev"' in page and 'rel="next"' not in page
    assert "Сторінка 2 з 2" in page
    ids_1 = set(re.findall(r"/doc/(uk-\d+)", html(client.get(f"/search?q={WORD}"))))
    ids_2 = set(re.findall(r"/doc/(uk-\d+)", page))
    assert ids_1 and ids_2 and not ids_1 & ids_2


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


def test_no_results_page(client):
    page = html(client.get("/search?q=космонавтика"))
    assert "Нічого не знайдено" in page
    assert "перевірити написання" in page
    # No filters are set: no tip to remove them, and no empty filter panel.
    assert "прибрати фільтри" not in page and "filters-panel" not in page
    filtered = html(client.get("/search?q=космонавтика&lang=ru"))
    assert "прибрати фільтри" in filtered and "filters-panel" in filtered


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
    assert "javascript:" not in page and f'href="/doc/bad?{urlencode({"q": WORD})}"' in page
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


def test_opensearch(client):
    resp = client.get("/opensearch.xml")
    assert resp.mimetype == "application/opensearchdescription+xml"
    assert "/search?q={searchTerms}" in resp.get_data(as_text=True)


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


@pytest.mark.parametrize("ui, says", [("uk", "Жоден документ не містить усіх слів"),
                                       ("ru", "Ни один документ не содержит всех слов")])
def test_page_says_when_results_have_only_some_words(sample_client, ui, says):
    partial = sample_client.get("/search", query_string={"q": "співпраця машиностроитель",
                                                         "ui": ui})
    assert says in html(partial)
    full = sample_client.get("/search", query_string={"q": "співпраця", "ui": ui})
    assert 'class="notice partial"' not in html(full)
