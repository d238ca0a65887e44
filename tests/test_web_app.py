"""The app around the routes: configuration, gunicorn and wsgi entry points, a missing index and
reindexing picked up without a restart."""

import os
import runpy
from pathlib import Path

import search.morph
from search.ingest.indexer import reindex
from tests.web_helpers import WORD, build_index, html, write_news
from web import create_app

ROOT = Path(__file__).resolve().parent.parent


def test_config_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path))
    assert create_app().config["SEARCH_INDEX_DIR"] == str(tmp_path)
    assert create_app({"SEARCH_INDEX_DIR": "x"}).config["SEARCH_INDEX_DIR"] == "x"
    assert create_app().config["SEARCH_CACHE_SIZE"] == 512
    monkeypatch.setenv("SEARCH_CACHE_SIZE", "0")
    assert create_app().config["SEARCH_CACHE_SIZE"] == 0


def test_gunicorn_config(monkeypatch, tmp_path):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("SEARCH_WORKERS", "3")
    # The config points prometheus_client's multiprocess mode at a folder; here, at one that
    # goes when the test does (left set, /metrics in later tests would read that folder).
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
    assert callable(conf["child_exit"]) and callable(conf["on_starting"])
    assert conf["preload_app"] is True and conf["workers"] == 3
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    assert not conf.get("reload")
    assert conf["limit_request_line"] == 0  # a long q reaches the app and gets its JSON 400


def test_wsgi_warms_dictionaries_and_builds_app(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path))
    search.morph.analyzer.cache_clear()
    module = runpy.run_path(str(ROOT / "wsgi.py"))
    assert search.morph.analyzer.cache_info().currsize == 2  # uk and ru loaded at import
    assert module["app"].config["SEARCH_INDEX_DIR"] == str(tmp_path)


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


def test_array_cache_size_comes_from_the_environment(monkeypatch, news_index):
    from web import create_app
    from web.index import get_engine

    monkeypatch.setenv("SEARCH_ARRAY_CACHE_MB", "3")
    app = create_app({"SEARCH_INDEX_DIR": str(news_index), "TESTING": True})
    with app.app_context():
        assert get_engine()._engine.arrays.max_bytes == 3 * 2**20


def test_the_gunicorn_master_maps_the_arrays_its_workers_inherit(monkeypatch, news_index):
    import importlib
    import sys

    monkeypatch.setenv("SEARCH_INDEX_DIR", str(news_index))
    sys.modules.pop("wsgi", None)
    wsgi = importlib.import_module("wsgi")
    try:
        shared = wsgi.app.extensions["search_arrays"]
        assert shared._sidecars and all(shared._sidecars.values())  # every segment mapped
        with wsgi.app.app_context():
            from web.index import get_engine

            assert get_engine()._engine.arrays is shared
    finally:
        sys.modules.pop("wsgi", None)
