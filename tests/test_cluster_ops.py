"""The cluster under change and failure: updates, deletes, rebuilds, dead mirrors, the web API."""

import json
import threading
import time

import pytest

from search.cli import main as cli
from search.cluster import nodes
from search.cluster.backend import ClusterEngine
from search.cluster.feed import reindex
from search.cluster.health import PROBE_SECONDS
from search.cluster.store import connect, read_meta
from tests.test_cluster import local_cluster
from web import create_app

pytestmark = pytest.mark.cluster

RECORDS = [
    {"id": "uk-awards", "lang": "uk", "date": "2021-08-24", "site": "Урядовий кур'єр",
     "title": "Указ про відзнаки", "text": "Президент підписав указ про вручення державних "
     "нагород військовим і лікарям."},
    {"id": "ru-union", "lang": "ru", "date": "2011-07-26", "title": "Съезд промышленников",
     "text": "В Москве прошёл съезд Союза машиностроителей России."},
    {"id": "uk-war-time", "lang": "uk", "date": "2022-05-01", "title": "Школи працюють",
     "text": "Під час війни школи навчають дітей онлайн."},
    {"id": "ru-plain", "lang": "ru", "title": "Погода", "text": "Завтра дождь и ветер."},
] + [
    {"id": f"uk-news-{i}", "lang": "uk", "date": f"2020-01-{i + 1:02d}",
     "title": f"Новина {i}", "text": f"Місцева рада обговорила бюджет громади номер {i}."}
    for i in range(24)
]


def write(path, records):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                    encoding="utf-8")


@pytest.fixture
def fed(tmp_path):
    """A fresh 2x2 cluster fed with RECORDS in two files: (url, layout, src)."""
    src = tmp_path / "src"
    src.mkdir()
    write(src / "a.jsonl", RECORDS[:4])
    write(src / "b.jsonl", RECORDS[4:])
    with local_cluster(tmp_path / "cluster") as (url, layout):
        assert reindex(url, [src], full=True, procs=2).documents == len(RECORDS)
        yield url, layout, src


@pytest.fixture
def engines():
    """ClusterEngine(url), closed after the test (an open connection slows searchd's stop)."""
    made = []

    def make(url):
        made.append(ClusterEngine(url))
        return made[-1]

    yield make
    for eng in made:
        eng.close()


def ids(engine, query, **kwargs):
    return [h.id for h in engine.search(query, per_page=100, **kwargs).hits]


def test_phrases_match_across_inflected_forms_and_readings(fed, engines):
    eng = engines(fed[0])
    assert ids(eng, '"державні нагороди"') == ["uk-awards"]
    assert ids(eng, '"союза машиностроителей"') == ["ru-union"]
    # війни reads first as війнути: the phrase finds it through the second reading's field.
    assert ids(eng, '"час війна"') == ["uk-war-time"]
    assert ids(eng, '"нагороди державні"') == []  # order matters


def test_dead_mirror_is_retried_and_a_dead_shard_is_flagged_partial(fed, engines):
    url, layout, _ = fed
    eng = engines(url)
    everything = eng.search("бюджет", per_page=100)
    assert everything.total == 24 and not everything.partial
    nodes.kill_node(layout.root, "shard0m0")
    for _ in range(4):  # whichever mirror searchd picks, the live one answers
        res = eng.search("бюджет", per_page=100)
        assert (res.total, res.partial) == (24, False)
        assert [h.id for h in res.hits] == [h.id for h in everything.hits]
    nodes.kill_node(layout.root, "shard0m1")
    res = eng.search("бюджет", per_page=100)
    assert res.partial and 0 < res.total < 24
    body = create_app({"SEARCH_BACKEND": url, "TESTING": True}).test_client().get(
        "/api/search?q=бюджет").get_json()
    assert body["partial"] is True
    page = create_app({"SEARCH_BACKEND": url, "TESTING": True}).test_client().get(
        "/search?q=бюджет").get_data(as_text=True)
    assert "неповними" in page
    nodes.restart_nodes(layout, ["shard0m0", "shard0m1"])
    # Searches read around the lost shard until the health probe sees it back (each second)
    deadline = time.monotonic() + 10 * PROBE_SECONDS
    while eng.degraded and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (eng.search("бюджет").total, eng.search("бюджет").partial) == (24, False)


def test_incremental_update_and_delete_reach_the_cluster(fed, engines):
    url, _, src = fed
    eng = engines(url)
    changed = [dict(RECORDS[3], text="Завтра снег и мороз.")]
    write(src / "a.jsonl", RECORDS[:3] + changed)
    summary = reindex(url, [src])
    assert (summary.updated, summary.unchanged, summary.documents) == (1, 1, 4)
    assert ids(eng, "мороз") == ["ru-plain"] and ids(eng, "дождь") == []
    (src / "b.jsonl").unlink()
    summary = reindex(url, [src])
    assert (summary.deleted, summary.unchanged) == (1, 1)
    assert eng.search("бюджет").total == 0 and eng.doc_count() == 4
    assert eng.document("uk-news-3") is None


def test_full_rebuild_switches_generation_without_downtime(fed, engines):
    url, layout, src = fed
    eng = engines(url)
    with connect(layout.head) as conn, conn.cursor() as cur:
        before = read_meta(cur)["live"]
    seen, errors, stop = [], [], threading.Event()

    def searching():
        watcher = engines(url)
        while not stop.is_set():
            try:
                seen.append(watcher.search("бюджет", per_page=1).total)
            except Exception as e:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(e)

    t = threading.Thread(target=searching)
    t.start()
    try:
        assert reindex(url, [src], full=True).documents == len(RECORDS)
    finally:
        stop.set()
        t.join()
    with connect(layout.head) as conn, conn.cursor() as cur:
        assert read_meta(cur)["live"] != before
    assert errors == [] and len(seen) > 3 and set(seen) == {24}
    assert eng.search("бюджет").total == 24


def test_ranking_is_the_same_on_one_shard(fed, tmp_path, engines):
    url, _, src = fed
    queries = ["бюджет громади", "рада", "школи OR нагороди OR дождь", "Новина 7"]
    with local_cluster(tmp_path / "one", shards=1, mirrors=1) as (one, _):
        reindex(one, [src], full=True)
        for q in queries:
            a = [(h.id, h.score) for h in engines(url).search(q).hits]
            b = [(h.id, h.score) for h in engines(one).search(q).hits]
            assert a == b and a, q


def test_web_api_and_cli_on_the_cluster_backend(fed, capsys, engines):
    url, _, src = fed
    client = create_app({"SEARCH_BACKEND": url, "TESTING": True}).test_client()
    body = client.get("/api/search?q=державні нагороди&per_page=5").get_json()
    assert body["hits"][0]["id"] == "uk-awards" and body["partial"] is False
    assert "<mark>" in body["hits"][0]["snippet"]
    assert client.get("/api/search?q=бюджет&sort=date&per_page=3").get_json()["hits"][0][
        "date"] == "2020-01-24"
    assert client.get("/healthz").get_json()["doc_count"] == len(RECORDS)
    assert "бюджет" in client.get("/api/suggest?q=бюдж").get_json()["suggestions"]
    doc = client.get("/doc/uk-awards?q=нагорода")
    assert doc.status_code == 200 and "нагород</mark>" in doc.get_data(as_text=True)
    assert client.get("/doc/no-such-id").status_code == 404
    assert cli(["query", "--backend", url, "--json", "машиностроитель"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["id"] == "ru-union"
    assert cli(["reindex", "--backend", url, str(src)]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    down = create_app({"SEARCH_BACKEND": "sphinxql://127.0.0.1:9", "TESTING": True})
    resp = down.test_client().get("/api/search?q=x")
    assert resp.status_code == 503 and resp.get_json()["error"]["code"]
