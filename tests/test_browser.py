"""A real gunicorn over a tmp index, driven by headless Chromium through Playwright."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.web_helpers import WORD, build_index

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(base: str, proc, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise TimeoutError("gunicorn did not become healthy")


@pytest.fixture
def server(tmp_path):
    """Base URL of a gunicorn serving 15 docs that all contain WORD."""
    index_dir, _ = build_index(tmp_path, 15)
    port = _free_port()
    env = {**os.environ, "SEARCH_INDEX_DIR": str(index_dir)}
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


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
    page.select_option("select[name=sort]", "date")
    page.fill("input[name=from]", "2024-01-10")
    page.click("fieldset button[type=submit]")
    page.wait_for_url("**from=2024-01-10*")
    assert "Найдено: 6" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "mobile.png"), full_page=True)
