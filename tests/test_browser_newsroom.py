"""The results page at 1280 and 390 px, the feed and metrics, through a real gunicorn."""

import json
import os
import re
from pathlib import Path

import pytest
import requests

from tests.conftest import index_records
from tests.servers import gunicorn
from tests.test_browser import AXE, _axe_violations, browser  # noqa: F401 (a fixture)
from tests.test_newsroom import _records

pytestmark = pytest.mark.browser

SOURCES = [f"Видання {i}" for i in range(14)] + ["Крим. Реалії", "Крим.Реалії"]


def _many():
    """64 short dated articles about bridges from 16 sources, two spelt alike, 4 undated."""
    out = []
    for i in range(64):
        out.append({"id": f"m-{i}", "lang": "uk", "site": SOURCES[i % len(SOURCES)],
                    "title": f"Міст номер {i} відремонтували",
                    "text": f"Міст номер {i} через річку відремонтували за {i + 3} тижнів.",
                    **({"date": f"2023-{i % 12 + 1:02d}-10"} if i % 16 else {})})
    long = "Міст " + " ".join(["через", "широку", "повноводну", "річку"] * 12)
    out.append({"id": "long", "lang": "uk", "title": "", "text": long + ". Кінець."})
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    src = tmp_path_factory.mktemp("page_src")
    index_dir = index_records(_records() + _many(), src, tmp_path_factory.mktemp("page_idx"))
    tmp = tmp_path_factory.mktemp("page_log")
    with gunicorn(index_dir, workers=2, log=tmp / "gunicorn.log") as base:
        yield base


def _no_axe_violations(page) -> bool:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing (make system-deps)")
        return True  # checked where axe-core is installed (CI)
    return _axe_violations(page) == []


def _shots(tmp_path) -> Path:
    # SEARCH_SCREENSHOTS keeps the pictures for a person to look at; tmp otherwise.
    return Path(os.environ.get("SEARCH_SCREENSHOTS") or tmp_path)


def test_results_first_at_1280(site, browser, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="uk-UA")
    page.goto(f"{site}/search?q=міст")
    assert page.locator("details.filters-panel").get_attribute("open") is None
    assert page.locator("li.hit").first.bounding_box()["y"] < 320
    page.screenshot(path=str(_shots(tmp_path) / "results-1280.png"), full_page=True)
    page.click("details.filters-panel > summary")
    sources = page.locator(".facet").filter(has=page.locator("#facet-source"))
    assert sources.locator(":scope > ul > li").count() == 10
    assert sources.locator("details.more-facets > summary").is_visible()
    assert page.locator(".facet a", has_text=re.compile(r"^Крим\.")).count() == 1  # merged
    assert page.locator(".facet li", has_text="без дати").count() == 1
    page.screenshot(path=str(_shots(tmp_path) / "results-1280-filters.png"), full_page=True)
    assert page.locator("a.subscribe").is_visible()
    assert _no_axe_violations(page)


def test_pagination_and_titles_at_390(site, browser, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="uk-UA")
    page.goto(f"{site}/search?q=міст&page=4")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    nav = page.locator("nav.pagination")
    boxes = [nav.locator(sel).bounding_box() for sel in
             ("a[rel=prev]", "a[rel=next]", "a[aria-current=page]")]
    tops = {round(b["y"]) for b in boxes}
    assert max(tops) - min(tops) < 8  # previous, the numbers and next share one row
    numbers = nav.locator(".page-numbers li:visible")
    rows = {round(numbers.nth(i).bounding_box()["y"]) for i in range(numbers.count())}
    assert len(rows) == 1  # no number alone on a row
    shown = [numbers.nth(i).inner_text() for i in range(numbers.count())]
    assert shown[:5] == ["1", "…", "3", "4", "5"]  # hidden numbers leave an ellipsis
    page.screenshot(path=str(_shots(tmp_path) / "results-390-page4.png"), full_page=True)
    assert _no_axe_violations(page)
    page.goto(f"{site}/search?q=повноводну")
    title = page.locator("li.hit h2").first.inner_text()
    assert len(title) <= 101 and title.endswith("…")
    page.goto(f"{site}/search?q=космонавтика")
    assert page.locator("details.filters-panel").count() == 0
    assert "фільтри" not in page.inner_text("main").lower()
    page.screenshot(path=str(_shots(tmp_path) / "no-results-390.png"), full_page=True)


def test_copies_and_related_on_the_page(site, browser, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="uk-UA")
    page.goto(f"{site}/search?q=уряд мости")
    page.locator("a.copies").first.click()
    page.wait_for_url("**/doc/**#copies")
    assert page.locator("#copies li").count() == 2
    assert page.locator("section.related li").count() >= 1
    page.screenshot(path=str(_shots(tmp_path) / "doc-copies-390.png"), full_page=True)
    assert _no_axe_violations(page)


def test_feed_and_metrics_through_gunicorn(site):
    feed = requests.get(f"{site}/search.atom?q=міст", timeout=30)
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith(
        "application/atom+xml")
    assert feed.text.count("<entry>") == 50 or feed.text.count("<ns0:entry>") == 50 or \
        feed.text.count("<entry") == 50
    again = requests.get(f"{site}/search.atom?q=міст", timeout=30,
                         headers={"If-None-Match": feed.headers["ETag"]})
    assert again.status_code == 304
    for _ in range(12):
        assert requests.get(f"{site}/api/search?q=міст&per_page=3", timeout=30).ok
    text = requests.get(f"{site}/metrics", timeout=30).text
    # Both workers answered some of the twelve: multiprocess mode adds them up.
    count = re.search(r'search_http_requests_total\{endpoint="/api/search",status="200"\} '
                      r"([0-9.]+)", text)
    assert count and float(count.group(1)) == 12.0, text[:2000]
    assert "search_results_cache_hit_ratio" in text
    assert re.search(r"search_index_documents \d+", text)
    health = requests.get(f"{site}/healthz", timeout=30).json()
    assert health["status"] == "ok", json.dumps(health)
