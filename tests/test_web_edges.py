"""The web's edges through a real gunicorn: links, JSON bodies, odd ids, Host, urls, page limit."""

import re
import subprocess
import sys
from html import unescape
from urllib.parse import urljoin

import pytest
import requests

from search.engine import MAX_PAGE
from search.ingest.documents import Document, from_record
from tests.conftest import add_segment, fresh_index
from tests.servers import gunicorn

ODD_IDS = ["a/../b", "../../etc/passwd", "./x", "/lead", "a//b", "x/.."]
BODY = "Бюджет громади на рік ухвалено після обговорення."


@pytest.fixture(scope="module")
def edges_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("edges")
    ix = fresh_index(root)
    docs = [Document(id=i, title=f"Бюджет {n}", body=BODY, lang="uk",
                     url="https://example.org/a") for n, i in enumerate(ODD_IDS)]
    # Written straight into a segment, as an index from before ingest checked urls would hold it.
    docs.append(Document(id="js", title="Бюджет js", body=BODY, lang="uk",
                         url="javascript:alert(1)"))
    add_segment(ix, docs)
    ix.close()
    return root


@pytest.fixture(scope="module")
def server(edges_index):
    with gunicorn(edges_index, workers=1) as base:
        yield base


@pytest.fixture(scope="module")
def public_server(edges_index):
    with gunicorn(edges_index, workers=1,
                  env={"SEARCH_PUBLIC_URL": "https://news.example.org/"}) as base:
        yield base


def test_links_carry_only_known_parameters(server):
    junk = "z" * 300_000
    resp = requests.get(f"{server}/search", params={"q": "бюджет", "z": junk, "ui": "uk",
                                                    **{f"p{i}": "1" for i in range(500)}},
                        timeout=30)
    assert resp.status_code == 200
    assert "zzzz" not in resp.text and "p499" not in resp.text
    assert len(resp.content) < 200_000
    assert "ui=uk" in resp.text  # the interface language is part of the search's state


@pytest.mark.parametrize("data, headers", [
    ('{"q": ' + "[" * 1000 + '"x"' + "]" * 1000 + "}", {"Content-Type": "application/json"}),
    ('{"q": ' + "[" * 100_000 + "]" * 100_000 + "}", {"Content-Type": "application/json"}),
    ('{"q": "бюджет"}', {}),
    ('{"q": "бюджет"}', {"Content-Type": "text/plain"}),
    ("q=бюджет", {"Content-Type": "application/x-www-form-urlencoded"}),
])
def test_bad_json_bodies_are_invalid_json(server, data, headers):
    resp = requests.post(f"{server}/api/search", data=data.encode(), headers=headers, timeout=30)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_json"


def test_every_id_opens_from_the_results(server):
    page = requests.get(f"{server}/search", params={"q": "бюджет", "per_page": 20},
                        timeout=30).text
    links = [unescape(h) for h in re.findall(r'<h2><a href="([^"]+)"', page)]
    assert len(links) == len(ODD_IDS) + 1
    opened = set()
    for href in links:
        url = urljoin(f"{server}/search", href)  # dot segments resolved, as a browser does
        resp = requests.get(url, timeout=30)
        assert resp.status_code == 200, href
        opened.add(re.search(r"<h1[^>]*>(.*?)</h1>", resp.text, re.S).group(1))
    assert len(opened) == len(links)


def test_host_header_is_never_reflected(server, public_server):
    evil = {"Host": "evil.example"}
    xml = requests.get(f"{server}/opensearch.xml", headers=evil, timeout=30).text
    assert "evil.example" not in xml and 'template="/search?q={searchTerms}"' in xml
    for path in ("/api//search?q=x", "/api//suggest?q=x"):
        resp = requests.get(f"{server}{path}", headers=evil, allow_redirects=False, timeout=30)
        assert resp.status_code == 308
        assert "evil" not in resp.headers["Location"]
        assert resp.headers["Location"].startswith("/")
    xml = requests.get(f"{public_server}/opensearch.xml", headers=evil, timeout=30).text
    assert "evil.example" not in xml
    assert 'template="https://news.example.org/search?q={searchTerms}"' in xml
    resp = requests.get(f"{public_server}/api//search?q=x", headers=evil,
                        allow_redirects=False, timeout=30)
    assert resp.headers["Location"] == "https://news.example.org/api/search?q=x"


def test_only_web_urls_are_returned(server):
    doc = requests.get(f"{server}/api/doc/js", timeout=30).json()
    assert doc["url"] is None
    hits = requests.get(f"{server}/api/search", params={"q": "бюджет", "per_page": 20},
                        timeout=30).json()["hits"]
    assert {h["id"]: h["url"] for h in hits}["js"] is None
    assert {h["url"] for h in hits if h["id"] != "js"} == {"https://example.org/a"}
    page = requests.get(f"{server}/search", params={"q": "бюджет js"}, timeout=30).text
    assert "javascript:" not in page


@pytest.mark.parametrize("url, kept", [
    ("https://example.org/a", "https://example.org/a"),
    ("HTTP://example.org", "HTTP://example.org"),
    ("javascript:alert(1)", ""),
    ("JavaScript:alert(1)", ""),
    ("data:text/html,x", ""),
    ("file:///etc/passwd", ""),
    ("//example.org/a", ""),
    ("http://", ""),
])
def test_ingest_keeps_only_http_urls(url, kept):
    doc = from_record({"id": "x", "text": "Текст.", "url": url})
    assert doc.url == kept


def test_cli_and_api_share_one_page_limit(server, edges_index):
    ok = requests.get(f"{server}/api/search", params={"q": "бюджет", "page": MAX_PAGE},
                      timeout=30)
    assert ok.status_code == 200
    over = requests.get(f"{server}/api/search", params={"q": "бюджет", "page": MAX_PAGE + 1},
                        timeout=30)
    assert over.status_code == 400 and over.json()["error"]["code"] == "invalid_parameter"
    run = [sys.executable, "-m", "search", "query", "бюджет", "--index", str(edges_index)]
    assert subprocess.run([*run, "--page", str(MAX_PAGE)], capture_output=True,
                          timeout=120).returncode == 0
    done = subprocess.run([*run, "--page", str(MAX_PAGE + 1)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and str(MAX_PAGE) in done.stderr
