"""A real gunicorn over a tmp index, driven by headless Chromium through Playwright."""

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.servers import gunicorn
from tests.web_helpers import WORD, build_index

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent.parent / ".venv/node/node_modules/axe-core/axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def server(tmp_path):
    """Base URL of a gunicorn serving 15 docs that all contain WORD."""
    index_dir, _ = build_index(tmp_path, 15)
    with gunicorn(index_dir, workers=2, log=tmp_path / "gunicorn.log") as base:
        yield base


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """The same as server, started once for the read-only checks of this module."""
    tmp = tmp_path_factory.mktemp("browser_shared")
    index_dir, _ = build_index(tmp, 15)
    with gunicorn(index_dir, workers=2, log=tmp / "gunicorn.log") as base:
        yield base


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def test_search_and_paginate(server, browser, tmp_path):
    page = browser.new_page(locale="uk-UA", viewport={"width": 1000, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "/")
    box = page.locator("#q")
    assert box.evaluate("el => el === document.activeElement")  # autofocus
    assert "Документів у індексі: 15" in page.inner_text("main")

    box.fill(WORD)
    box.press("Enter")
    page.wait_for_url("**/search?*")
    assert page.locator("li.hit").count() == 10
    assert page.locator("li.hit mark").count() >= 10
    assert page.input_value("#q") == WORD
    assert "Знайдено: 15" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "results-page-1.png"), full_page=True)

    page.click("a[rel=next]")
    page.wait_for_url("**page=2*")
    assert page.locator("li.hit").count() == 5
    assert "Сторінка 2 з 2" in page.inner_text("nav.pagination")
    page.screenshot(path=str(tmp_path / "results-page-2.png"), full_page=True)
    assert (tmp_path / "results-page-2.png").stat().st_size > 0
    assert errors == []  # no CSP violations or script errors


def test_mobile_layout_and_filters(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(f"{server}/search?q={WORD}&ui=ru")
    assert "Найдено: 15" in page.inner_text("main")
    # Nothing wider than the phone screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("details.filters-panel > summary")
    # Filters apply as soon as they change: no button to press.
    with page.expect_navigation():
        page.select_option("select[name=sort]", "date")
    assert parse_qs(urlsplit(page.url).query)["sort"] == ["date"]
    page.click("details.filters-panel > summary")
    with page.expect_navigation():
        page.fill("input[name=from]", "2024-01-10")
    assert "from=2024-01-10" in page.url
    assert "Найдено: 6" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "mobile.png"), full_page=True)
    page.click("details.filters-panel > summary")
    page.click("a.clear-filters")
    page.wait_for_url(lambda url: "from=" not in url)
    assert "Найдено: 15" in page.inner_text("main")


def test_phone_width_first_result_above_the_fold(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="uk-UA")
    page.goto(f"{server}/search?q={WORD}&lang=uk")
    panel = page.locator("details.filters-panel")
    assert panel.get_attribute("open") is None  # folded on a phone
    assert page.locator("select[name=sort]").is_hidden()
    first = page.locator("li.hit").first.bounding_box()
    assert first["y"] + 60 < 844  # the first result's title and meta are on the first screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "phone-results.png"))
    # Opening a result and coming back keeps the search.
    page.locator("li.hit h2 a").first.click()  # the title opens our copy
    page.wait_for_url("**/doc/**")
    assert page.locator("article mark").count() >= 1
    page.click("a.jump")
    assert page.evaluate("location.hash") == "#first-match"
    page.click("a.back")
    page.wait_for_url("**/search?*")
    args = parse_qs(urlsplit(page.url).query)
    assert args["q"] == [WORD] and args["lang"] == ["uk"]


def test_wide_screen_puts_results_first(shared_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{shared_server}/search?q={WORD}")
    # The filter panel is folded here too: the first result is near the top.
    assert page.locator("details.filters-panel").get_attribute("open") is None
    assert page.locator("li.hit").first.bounding_box()["y"] < 320
    page.click("details.filters-panel > summary")
    assert page.locator("select[name=sort]").is_visible()


def _axe_violations(page) -> list:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document)")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]])
            for v in result["violations"]]


AXE_PATHS = ["/", "/?ui=ru", f"/search?q={WORD}&per_page=3",
             f"/search?q={WORD}&ui=ru&lang=uk&page=2&per_page=3",
             f"/search?q={WORD}&from=2024-01-01&to=2024-12-31",
             "/search?q=космонавтика", f"/doc/uk-3?q={WORD}", "/doc/nope"]


@pytest.mark.parametrize("width, height", [(1200, 900), (390, 844)])
def test_axe_finds_no_accessibility_violations(shared_server, browser, width, height):
    """Home, results (with facets, filters, pages), no results, a document, an error page."""
    if not AXE.exists():
        message = f"{AXE} is missing (make system-deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = _console_errors(page)
    found = {}
    for path in AXE_PATHS:
        page.goto(shared_server + path)
        if "from=" in path:
            assert page.locator(".facet a", has_text="2024-01").count() == 1  # months shown
        found[path] = _axe_violations(page)
    assert found == dict.fromkeys(AXE_PATHS, [])
    assert [e for e in errors if "404" not in e] == []


def test_focus_ring_contrast(shared_server, browser):
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.goto(f"{shared_server}/search?q={WORD}")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("el => el === document.activeElement") and skip.is_visible()
    page.locator("a[rel=next]").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus: :focus-visible applies
    style = page.locator("a[rel=next]").evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, "
        "s.outlineColor, getComputedStyle(document.body).backgroundColor]; }")
    outline_style, width, color, background = style
    assert outline_style == "solid" and float(width.rstrip("px")) >= 2
    assert _contrast(color, background) >= 3


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _console_errors(page) -> list:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_suggest_as_you_type(server, browser, tmp_path):
    page = browser.new_page(locale="uk-UA", viewport={"width": 1000, "height": 700})
    errors = _console_errors(page)
    page.goto(server + "/")
    box = page.locator("#q")
    assert box.evaluate("el => el === document.activeElement")  # still autofocused
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-autocomplete") == "list"
    assert box.get_attribute("aria-expanded") == "false"
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    assert listbox.get_attribute("role") == "listbox" and listbox.is_hidden()

    box.press_sequentially("голо", delay=120)  # a person typing
    options = listbox.locator("li[role=option]")
    options.first.wait_for()
    assert listbox.is_visible() and box.get_attribute("aria-expanded") == "true"
    assert options.first.inner_text() == "голосувати"
    assert box.get_attribute("aria-activedescendant") is None
    page.screenshot(path=str(tmp_path / "suggest-open.png"))

    box.press("ArrowDown")
    first = options.first
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("Enter")
    page.wait_for_url("**/search?*")
    assert parse_qs(urlsplit(page.url).query)["q"] == ["голосувати"]
    assert page.input_value("#q") == "голосувати"
    assert "Знайдено: 15" in page.inner_text("main")
    assert page.locator("li.hit").count() == 10
    assert errors == []  # no CSP violations or script errors


def test_suggestions_escape_and_click_on_results_page(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    errors = _console_errors(page)
    page.goto(f"{server}/search?q={WORD}&ui=ru")
    box = page.locator("#q")
    listbox = page.locator("[role=listbox]")
    assert listbox.is_hidden()  # nothing suggested until something is typed
    box.fill("")
    box.press_sequentially("нов", delay=100)
    listbox.locator("[role=option]").first.wait_for()
    # The list fits the phone screen and lies over the page, not beside it.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(tmp_path / "suggest-mobile.png"))
    box.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "нов"  # Escape closes the list, it does not clear the box

    box.press_sequentially("и", delay=100)
    option = listbox.locator("[role=option]", has_text="новина")
    option.first.click()
    page.wait_for_url("**/search?*")
    args = parse_qs(urlsplit(page.url).query)
    assert args["q"] == ["новина"] and args["ui"] == ["ru"]  # the rest of the form goes too
    assert "Найдено: 15" in page.inner_text("main")
    assert errors == []


def test_without_javascript_the_form_is_plain(server, browser):
    context = browser.new_context(java_script_enabled=False, locale="uk-UA")
    try:
        page = context.new_page()
        page.goto(server + "/")
        box = page.locator("#q")
        assert box.get_attribute("role") is None and page.locator("[role=listbox]").count() == 0
        box.fill(WORD)
        box.press("Enter")
        page.wait_for_url("**/search?*")
        assert "Знайдено: 15" in page.inner_text("main")
    finally:
        context.close()
