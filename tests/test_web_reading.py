"""Reading results on the page: links that keep the search, ids with folders, the document
page, numbered pagination, filters, snippets, the query help and accessibility hooks."""

import html as htmlmod
import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest

from tests.conftest import index_records
from tests.web_helpers import WORD, html
from web import create_app
from web.hits import drop_title
from web.pages import page_links, page_numbers

DOCS = [
    {"id": "sub/news1.txt", "lang": "uk", "title": "Уряд ухвалив бюджет лікарні",
     "text": "Уряд ухвалив бюджет лікарні. Міністр сказав, що лікарня отримає нове обладнання.",
     "date": "2024-03-01", "url": "https://example.org/a"},
    {"id": "news1.txt", "lang": "uk", "title": "Лікарня у Запоріжжі",
     "text": "У Запоріжжі відкрили нову лікарню для дітей.", "date": "2024-03-02"},
    {"id": "odd/a?b#c%20&d.txt", "lang": "uk", "title": "Лікарня і запитання",
     "text": "Лікарня відповіла на запитання.", "date": "2024-03-04"},
    {"id": "ru/deep/новость 1.html", "lang": "ru", "title": "Правительство и больница",
     "text": "Правительство выделило деньги больнице в Запорожье.", "date": "2024-03-03"},
]


@pytest.fixture(scope="module")
def reading(tmp_path_factory):
    index_dir = index_records(DOCS, tmp_path_factory.mktemp("reading_src"),
                              tmp_path_factory.mktemp("reading_index"))
    return create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True}).test_client()


def _links(page: str, pattern: str) -> list[str]:
    return [htmlmod.unescape(h) for h in re.findall(r'href="([^"]+)"', page) if pattern in h]


@pytest.mark.parametrize("ui, back", [("uk", "← До пошуку"), ("ru", "← К поиску")])
def test_opening_a_result_keeps_the_search(reading, ui, back):
    args = {"q": "лікарня", "lang": "uk", "sort": "date", "from": "2024-01-01", "page": "1",
            "ui": ui}
    page = html(reading.get("/search", query_string=args))
    doc_links = _links(page, "/doc/")
    assert doc_links, page
    for link in doc_links:
        assert dict(parse_qsl(urlsplit(link).query)) == args  # the whole search goes along
    link = next(u for u in doc_links if urlsplit(u).path == "/doc/news1.txt")
    doc = html(reading.get(link))
    assert f'<html lang="{ui}">' in doc and back in doc
    assert "<mark" in doc  # the words are highlighted
    back_link = _links(doc, "/search?")[0]
    assert urlsplit(back_link).path == "/search"
    assert dict(parse_qsl(urlsplit(back_link).query)) == args
    # Back on the results page, the interface is still in the same language.
    assert f'<html lang="{ui}">' in html(reading.get(back_link))


@pytest.mark.parametrize("doc_id", ["sub/news1.txt", "news1.txt", "ru/deep/новость 1.html",
                                    "odd/a?b#c%20&d.txt"])
def test_ids_with_folders(reading, doc_id):
    results = html(reading.get("/search", query_string={"q": "лікарня OR больница"}))
    link = next(u for u in _links(results, "/doc/") if unquote(urlsplit(u).path) ==
                f"/doc/{doc_id}")
    page = html(reading.get(link))
    assert "<mark" in page
    # The interface switch leads to the same document in the other language.
    switch = htmlmod.unescape(re.search(r'class="ui-switch"[^>]*href="([^"]+)"', page)[1])
    assert unquote(urlsplit(switch).path) == f"/doc/{doc_id}"
    assert 'lang="ru"' in html(reading.get(switch)).split(">")[1]
    api = reading.get(f"/api/doc/{quote(doc_id)}").json
    assert api["id"] == doc_id


def test_doc_without_search_goes_home(reading):
    assert 'href="/"' in html(reading.get("/doc/news1.txt"))
    assert 'href="/?ui=ru"' in html(reading.get("/doc/news1.txt?ui=ru"))


def test_jump_to_first_match(reading):
    page = html(reading.get("/doc/sub/news1.txt?q=обладнання"))
    assert 'href="#first-match"' in page and '<mark id="first-match">обладнання</mark>' in page
    assert 'href="#first-match"' not in html(reading.get("/doc/sub/news1.txt"))


def test_misspelt_query_still_highlights_the_document(reading):
    page = html(reading.get("/doc/news1.txt?q=лікарнья"))
    assert "<mark" in page


@pytest.mark.parametrize("ui, texts", [
    ("uk", ["Як шукати", "уряд AND лікарня", "title:угода", "без слова «лікарня»"]),
    ("ru", ["Как искать", "правительство AND больница", "title:угода"]),
])
def test_query_help_on_home_page(reading, ui, texts):
    page = html(reading.get(f"/?ui={ui}"))
    for text in texts:
        assert htmlmod.escape(text, quote=False) in page


@pytest.mark.parametrize("url", ["/", "/search?q=лікарня", "/doc/news1.txt?q=лікарня"])
def test_skip_link_and_hit_languages(reading, url):
    page = html(reading.get(url))
    assert re.search(r'<body[^>]*>\s*<a class="skip-link" href="#main">', page)
    assert '<main id="main"' in page


def test_each_hit_has_its_language(reading):
    page = html(reading.get("/search?q=лікарня OR больница"))
    assert sorted(re.findall(r'<li class="hit" lang="(\w+)"', page)) == ["ru", "uk", "uk", "uk"]
    # The interface's own words about a hit are in the interface language.
    assert page.count('<p class="meta" lang="uk">') == 4


@pytest.mark.parametrize("page, pages, expected", [
    (1, 1, [1]),
    (1, 3, [1, 2, 3]),
    (1, 14, [1, 2, 3, None, 14]),
    (3, 14, [1, 2, 3, 4, 5, None, 14]),
    (7, 14, [1, None, 5, 6, 7, 8, 9, None, 14]),
    (14, 14, [1, None, 12, 13, 14]),
    (5, 9, [1, 2, 3, 4, 5, 6, 7, 8, 9]),  # a gap of one page shows that page
])
def test_page_numbers(page, pages, expected):
    assert page_numbers(page, pages) == expected


@pytest.mark.parametrize("page, pages, expected", [
    (1, 3, [(1, ""), (2, ""), (3, "")]),
    # Far numbers hide on a phone: an ellipsis shows in their place unless one is beside them.
    (4, 14, [(1, ""), (None, "gap narrow"), (2, "far"), (3, ""), (4, ""), (5, ""),
             (6, "far"), (None, "gap"), (14, "")]),
    (7, 14, [(1, ""), (None, "gap"), (5, "far"), (6, ""), (7, ""), (8, ""), (9, "far"),
             (None, "gap"), (14, "")]),
    (5, 7, [(1, ""), (None, "gap narrow"), (2, "far"), (3, "far"), (4, ""), (5, ""), (6, ""),
            (7, "")]),
])
def test_page_links(page, pages, expected):
    assert page_links(page, pages) == expected


def test_numbered_pagination(client):
    page = html(client.get(f"/search?q={WORD}&per_page=2&page=3&ui=ru"))
    numbers = re.findall(r'<a (?:aria-current="page" )?aria-label="Страница (\d+)"', page)
    assert numbers == ["1", "2", "3", "4", "5", "8"]  # an ellipsis between 5 and 8
    assert re.search(r'<a aria-current="page" aria-label="Страница 3" href="[^"]*page=3', page)
    assert "Страница 3 из 8" in page and 'rel="prev"' in page and 'rel="next"' in page
    link = htmlmod.unescape(re.search(r'aria-label="Страница 5" href="([^"]+)"', page)[1])
    assert dict(parse_qsl(urlsplit(link).query)) == {"q": WORD, "per_page": "2", "page": "5",
                                                     "ui": "ru"}


def test_filters_fold_and_clear(client):
    page = html(client.get(f"/search?q={WORD}&lang=uk&from=2024-01-03&page=2&ui=ru"))
    assert '<details class="filters-panel">' in page  # folded until app.js opens it
    assert "Фильтры (включено: 2)" in page
    clear = htmlmod.unescape(re.search(r'<a class="clear-filters" href="([^"]+)"', page)[1])
    assert dict(parse_qsl(urlsplit(clear).query)) == {"q": WORD, "ui": "ru"}
    assert "clear-filters" not in html(client.get(f"/search?q={WORD}"))


@pytest.mark.parametrize("snippet, title, expected", [
    ("<mark>Вибори</mark> у місті. Сьогодні у місті <mark>вибори</mark>.", "Вибори у місті",
     "Сьогодні у місті <mark>вибори</mark>."),
    ("Уряд ухвалив <mark>бюджет</mark> лікарні. Міністр сказав", "Уряд ухвалив бюджет лікарні",
     "Міністр сказав"),
    ("<mark>Лікарня</mark> — нова будівля", "Лікарня", "нова будівля"),
    ("Уряд  &amp; лікарні: план", "Уряд & лікарні", "план"),  # escaped text, any spaces
    ("… Уряд ухвалив бюджет", "Уряд", "… Уряд ухвалив бюджет"),  # from the middle: kept
    ("Інша новина про уряд", "Уряд ухвалив", "Інша новина про уряд"),
    ("<mark>Вибори</mark>", "Вибори", "<mark>Вибори</mark>"),  # only the title: kept
    ("Вибори … ", "Вибори", "Вибори … "),
])
def test_snippet_does_not_repeat_the_title(snippet, title, expected):
    assert drop_title(snippet, title) == expected


def test_results_snippets_leave_out_the_title(reading):
    page = html(reading.get("/search?q=бюджет"))
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S)[1]
    assert snippet.startswith("Міністр сказав")
    hit = reading.get("/api/search?q=бюджет").json["hits"][0]
    assert hit["snippet"].startswith("Міністр сказав")
