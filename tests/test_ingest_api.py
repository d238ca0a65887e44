"""POST/DELETE /api/documents through the test client: auth, limits, bad records, visibility."""

import json
import subprocess
import sys
import threading
import time

import pytest

from search.ingest import committer, journal, store
from search.ingest.indexer import reindex
from tests.web_helpers import build_index, write_news
from web import create_app

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DOC = {"id": "live-1", "title": "Мобілізація: Рада ухвалила закон",
       "text": "Верховна Рада ухвалила закон про мобілізацію.", "lang": "uk",
       "date": "2024-05-01", "url": "https://example.org/live-1", "site": "example.org"}


@pytest.fixture
def app(tmp_path):
    index_dir, _ = build_index(tmp_path, 5)
    app = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True,
                      "SEARCH_WRITE_TOKEN": TOKEN, "SEARCH_COMMIT_INTERVAL": 0.05})
    yield app
    if "search_committer" in app.extensions:
        app.extensions["search_committer"].stop()


def found(client, q: str, timeout: float = 10.0) -> list[str]:
    """Ids of the hits of q once it finds any (or [] after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        hits = client.get("/api/search", query_string={"q": q, "exact": 1}).json["hits"]
        if hits or time.monotonic() > deadline:
            return [h["id"] for h in hits]
        time.sleep(0.05)


def assert_error(resp, status: int, code: str, *words):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    err = resp.json["error"]
    assert err["code"] == code
    for w in words:
        assert w in err["message"]


def test_posted_document_is_found_and_shown(app):
    client = app.test_client()
    resp = client.post("/api/documents", json=DOC, headers=AUTH)
    assert resp.status_code == 200
    assert resp.json == {"accepted": 1, "ids": ["live-1"]}
    assert found(client, "мобілізація") == ["live-1"]
    doc = client.get("/api/doc/live-1").json
    assert doc["source"] == "example.org" and doc["date"] == "2024-05-01"


@pytest.mark.parametrize("kind", ["array", "ndjson"])
def test_array_and_ndjson_bodies(app, kind):
    docs = [{"id": f"n{i}", "text": f"Выборы в городе номер {i} прошли спокойно",
             "lang": "ru"} for i in range(3)]
    client = app.test_client()
    if kind == "array":
        resp = client.post("/api/documents", json=docs, headers=AUTH)
    else:
        body = "\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n"
        resp = client.post("/api/documents", data=body.encode(), headers=AUTH,
                           content_type="application/x-ndjson")
    assert resp.json == {"accepted": 3, "ids": ["n0", "n1", "n2"]}
    assert sorted(found(client, "спокойно")) == ["n0", "n1", "n2"]


def test_replace_then_delete(app):
    client = app.test_client()
    client.post("/api/documents", json=DOC, headers=AUTH)
    client.post("/api/documents", json={**DOC, "text": "Нова редакція: податки зростуть."},
                headers=AUTH)
    assert found(client, "податки") == ["live-1"]
    assert found(client, "мобілізація", timeout=0.5) == ["live-1"]  # still in the title
    assert client.get("/api/search?q=податки").json["total"] == 1
    resp = client.delete("/api/documents/live-1", headers=AUTH)
    assert resp.status_code == 200 and resp.json == {"deleted": True}
    deadline = time.monotonic() + 10
    while client.get("/api/doc/live-1").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.delete("/api/documents/live-1", headers=AUTH).json == {"deleted": False}
    assert client.delete("/api/documents/never", headers=AUTH).json == {"deleted": False}


def test_delete_of_a_pending_document(app):
    client = app.test_client()
    app.extensions.setdefault("search_committer", _Stopped())  # nothing applied meanwhile
    client.post("/api/documents", json=DOC, headers=AUTH)
    assert client.delete("/api/documents/live-1", headers=AUTH).json == {"deleted": True}
    committer.apply_pending(app.config["SEARCH_INDEX_DIR"])
    assert client.get("/api/doc/live-1").status_code == 404


class _Stopped:
    def wake(self):
        pass

    def stop(self):
        pass


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_wrong_or_missing_token_is_401(app, headers):
    client = app.test_client()
    assert_error(client.post("/api/documents", json=DOC, headers=headers), 401, "unauthorized")
    resp = client.delete("/api/documents/u-0", headers=headers)
    assert_error(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert not journal.pending(app.config["SEARCH_INDEX_DIR"])


def test_writes_disabled_without_a_token(tmp_path):
    index_dir, _ = build_index(tmp_path, 3)
    client = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True}).test_client()
    assert_error(client.post("/api/documents", json=DOC, headers=AUTH), 403, "writes_disabled")
    assert_error(client.delete("/api/documents/uk-0", headers=AUTH), 403, "writes_disabled")
    assert client.get("/api/doc/uk-0").status_code == 200


def test_body_over_the_limit_is_413(tmp_path):
    index_dir, _ = build_index(tmp_path, 3)
    app = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True,
                      "SEARCH_WRITE_TOKEN": TOKEN, "SEARCH_WRITE_MAX_MB": 1})
    big = {**DOC, "text": "слово " * 200_000}
    resp = app.test_client().post("/api/documents", json=big, headers=AUTH)
    assert_error(resp, 413, "payload_too_large", "1 MB")
    assert not journal.pending(index_dir)
    app.extensions["search_committer"].stop()


@pytest.mark.parametrize(("body", "words"), [
    ([DOC, {"title": "без id", "text": "текст"}], ("record 2", "'id'")),
    ([DOC, {"id": "x", "title": "без тексту"}], ("record 2", "'text'")),
    ([{"id": "x", "text": "т", "lang": "de"}], ("record 1", "'lang'")),
    ([DOC, DOC, {"id": "x", "text": "т", "date": "вчора вранці"}], ("record 3", "'date'")),
    ([{"id": "x", "text": ["список"]}], ("record 1", "'text'", "string")),
    ([{"id": True, "text": "т"}], ("record 1", "'id'")),
    ([DOC, "рядок"], ("record 2", "object")),
    ([{"id": "x" * 600, "text": "т"}], ("record 1", "'id'", "longer")),
])
def test_invalid_document_is_400_and_nothing_is_stored(app, body, words):
    client = app.test_client()
    assert_error(client.post("/api/documents", json=body, headers=AUTH), 400,
                 "invalid_document", *words)
    assert not journal.pending(app.config["SEARCH_INDEX_DIR"])
    assert client.get("/api/search?q=мобілізація&exact=1").json["total"] == 0


@pytest.mark.parametrize(("data", "ctype", "code"), [
    (b"{not json", "application/json", "invalid_json"),
    (b'{"id": "a", "text": "b"}\n{broken', "application/x-ndjson", "invalid_json"),
    (b"id=a", "application/x-www-form-urlencoded", "invalid_json"),
    (b'{"id": "a"}', "", "invalid_json"),
    (b'{"id": ' + b"[" * 1000 + b"]" * 1000 + b"}", "application/json", "invalid_json"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", "invalid_json"),
    (b"[" * 5000 + b"]" * 5000 + b"\n", "application/x-ndjson", "invalid_json"),
    (b"[]", "application/json", "bad_request"),
    (b"\xff\xfe", "application/json", "invalid_json"),
])
def test_unreadable_body_is_400(app, data, ctype, code):
    resp = app.test_client().post("/api/documents", data=data, content_type=ctype, headers=AUTH)
    assert_error(resp, 400, code)
    assert not journal.pending(app.config["SEARCH_INDEX_DIR"])


def test_wrong_method_is_405_in_the_envelope(app):
    resp = app.test_client().get("/api/documents", headers=AUTH)
    assert resp.status_code == 405 and resp.json["error"]["code"] == "method_not_allowed"


def test_cli_reindex_and_api_at_the_same_time(tmp_path):
    """The reindex holds the writer lock; writes are accepted meanwhile and applied after it,
    and neither side's documents are lost."""
    index_dir, src = build_index(tmp_path, 5)
    write_news(src / "more.jsonl", 300, start=100, word="референдум")
    app = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True,
                      "SEARCH_WRITE_TOKEN": TOKEN, "SEARCH_COMMIT_INTERVAL": 0.05})
    client = app.test_client()
    done = threading.Event()
    summary = {}

    def run():
        summary["s"] = reindex(index_dir, [src], lock_timeout=60)
        done.set()

    t = threading.Thread(target=run)
    t.start()
    ids = []
    i = 0
    while not done.is_set() or i < 20:
        doc = {"id": f"api-{i}", "text": f"Оперативна новина {i}: референдум", "lang": "uk"}
        assert client.post("/api/documents", json=doc, headers=AUTH).status_code == 200
        ids.append(doc["id"])
        i += 1
        time.sleep(0.01)
    t.join()
    assert summary["s"].documents == 300
    deadline = time.monotonic() + 20
    while journal.pending(index_dir):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # An incremental reindex after the API's writes keeps them (they belong to no file).
    reindex(index_dir, [src], lock_timeout=60)
    total = client.get("/api/search?q=референдум&per_page=1").json["total"]
    assert total == 300 + len(ids)
    app.extensions["search_committer"].stop()


def test_full_reindex_keeps_documents_written_over_http(app, tmp_path):
    """A full reindex builds a new generation from files; the API's documents are carried
    into it, by a server's committer or by the CLI itself."""
    index_dir = app.config["SEARCH_INDEX_DIR"]
    client = app.test_client()
    client.post("/api/documents", json=DOC, headers=AUTH)
    assert found(client, "мобілізація") == ["live-1"]
    src = tmp_path / "src"
    reindex(index_dir, [src], full=True, lock_timeout=30)
    assert found(client, "мобілізація") == ["live-1"]
    assert client.get("/api/search?q=вибори&per_page=1").json["total"] == 5
    app.extensions["search_committer"].stop()
    # No server running: the CLI's full reindex carries them.
    out = subprocess.run([sys.executable, "-m", "search", "reindex", str(src), "--index",
                          str(index_dir), "--full"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "the index holds 6 documents" in out.stdout
    ix = store.open_current(index_dir)
    with ix.searcher() as s:
        assert s.document(id="live-1")["title"] == DOC["title"]


def test_lone_surrogates_are_replaced(app):
    client = app.test_client()
    body = '{"id": "bad\\ud800id", "title": "Заголовок \\udc00", "text": "Текст \\ud800 тут"}'
    resp = client.post("/api/documents", data=body, content_type="application/json",
                       headers=AUTH)
    assert resp.json == {"accepted": 1, "ids": ["bad\ufffdid"]}
    assert found(client, "заголовок") == ["bad\ufffdid"]
    assert client.get("/api/doc/bad\ufffdid").status_code == 200


def test_queue_status_reports_depth_and_lag(app):
    index_dir = app.config["SEARCH_INDEX_DIR"]
    app.extensions.setdefault("search_committer", _Stopped())
    client = app.test_client()
    client.post("/api/documents", json=[DOC, {**DOC, "id": "live-2"}], headers=AUTH)
    status = committer.status(index_dir)
    assert status["depth"] == 2 and status["lag_seconds"] >= 0
    committer.apply_pending(index_dir)
    assert committer.status(index_dir) == {"depth": 0, "lag_seconds": 0.0}
