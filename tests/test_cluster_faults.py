"""The cluster under faults, on real searchd processes: dead mirrors during and after writes,
catch-up, a dead head, a lost shard, a changed shard count, snapshot and restore."""

import json
import re
import threading
import time

import pytest

from search.cluster import feed, journal, nodes, ops, runs, writer
from search.cluster.__main__ import main as cluster_cli
from search.cluster.backend import ClusterEngine
from search.cluster.backup import restore
from search.cluster.errors import ClusterError
from search.cluster.feed import reindex
from tests.test_cluster_ops import RECORDS, write
from web import create_app

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


TOWNS = {"b": "Житомир", "c": "Полтава", "d": "Ужгород"}
ALL = 40 + 600 + 30  # documents about кошторис: files b, c and d


def news(prefix: str, n: int) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "lang": "uk", "date": "2023-03-01",
             "title": f"Звіт {i}", "text": f"{TOWNS[prefix]}: громада ухвалила кошторис на рік "
             f"номер {i}, школи, дороги і лікарні."} for i in range(n)]


@pytest.fixture(scope="module")
def cl(tmp_path_factory):
    """A 2-shard cluster with 2 mirrors each and 2 heads, fed with RECORDS:
    {"root", "url", "src"} (url names both heads)."""
    root = tmp_path_factory.mktemp("faults") / "cluster"
    src = tmp_path_factory.mktemp("faults_src")
    write(src / "a.jsonl", RECORDS)
    for attempt in range(3):
        try:
            layout, _ = ops.start(root, shards=2, mirrors=2, heads=2)
            break
        except ClusterError:
            if attempt == 2:
                raise
    url = ops.url_of(layout)
    try:
        assert reindex(url, [src], full=True).documents == len(RECORDS)
        yield {"root": root, "url": url, "src": src}
    finally:
        nodes.stop(root)


def mirror_docs(root) -> dict:
    """shard → the document counts of its mirrors (None for a dead one)."""
    out: dict = {}
    for n in ops.status(root)["nodes"]:
        if n["role"] == "mirror" and n["serves"]:
            out.setdefault(n["shard"], []).append(n["docs"])
    return out


def converged(root) -> bool:
    st = ops.status(root)
    return st["healthy"] and all(len(set(d)) == 1 for d in mirror_docs(root).values())


def total(url, query="кошторис") -> tuple[int, bool]:
    eng = ClusterEngine(url)
    try:
        res = eng.search(query, per_page=1)
        return res.total, res.partial
    finally:
        eng.close()


def test_a_mirror_dead_before_a_write_is_skipped_then_caught_up(cl, capsys):
    root, url, src = cl["root"], cl["url"], cl["src"]
    nodes.kill_node(root, "shard0m0")
    write(src / "b.jsonl", news("b", 40))
    summary = reindex(url, [src])
    assert summary.documents == 40 and summary.lagging == ["shard0m0"]
    assert total(url) == (40, False)  # the live mirror answers in full
    assert cluster_cli(["status", "--dir", str(root), "--json"]) == ops.DEGRADED
    st = json.loads(capsys.readouterr().out)
    dead = [n for n in st["nodes"] if n["shard"] == 0 and n["mirror"] == 0][0]
    assert not st["healthy"] and not dead["up"] and dead["seq"] < journal.Journal(
        root, 0).last
    assert runs.Run(nodes.load_layout(root), "a").waiting() or runs.Run(
        nodes.load_layout(root), "b").waiting()
    _, started = ops.start(root)
    assert started == ["shard0m0"]
    assert converged(root) and total(url) == (40, False)
    assert cluster_cli(["status", "--dir", str(root)]) == ops.HEALTHY
    assert "healthy" in capsys.readouterr().out


def test_a_mirror_killed_during_a_write_is_caught_up_by_repair(cl, monkeypatch, capsys):
    root, url, src = cl["root"], cl["url"], cl["src"]
    monkeypatch.setattr(writer, "BATCH_BYTES", 3000)  # many statements: time to kill one
    write(src / "c.jsonl", news("c", 600))
    start = journal.applied(root, "shard1m1")
    killed = threading.Event()

    def killer():
        while not killed.is_set():
            if journal.applied(root, "shard1m1") > start + 5:
                nodes.kill_node(root, "shard1m1")
                killed.set()
            time.sleep(0.005)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    try:
        summary = reindex(url, [src])
    finally:
        killed.set()
        t.join()
    assert summary.documents == 600 and summary.lagging == ["shard1m1"]
    assert nodes.node_pid(root, "shard1m1") is None
    assert total(url) == (640, False)
    assert cluster_cli(["repair", "--dir", str(root)]) == 0
    assert "shard1m1:" in capsys.readouterr().out
    assert converged(root) and total(url) == (640, False)
    counts = mirror_docs(root)
    assert sum(c[0] for c in counts.values()) == len(RECORDS) + 640


def test_a_crashed_run_is_resumed_by_the_next(cl, monkeypatch):
    url, src = cl["url"], cl["src"]
    write(src / "d.jsonl", news("d", 30))
    real, sent = feed.ShardWriter.add, []

    def add(writer, rid, values):
        real(writer, rid, values)
        sent.append(rid)
        if len(sent) == 10:  # the feeder dies with 10 of the file's 30 rows sent
            writer.flush()
            writer.wait()
            raise KeyboardInterrupt

    monkeypatch.setattr(feed.ShardWriter, "add", add)
    with pytest.raises(KeyboardInterrupt):
        reindex(url, [src])
    monkeypatch.setattr(feed.ShardWriter, "add", real)
    assert total(url, "Ужгород") == (10, False)
    summary = reindex(url, [src])  # the file is the same, but it was never finished
    assert (summary.updated, summary.documents) == (1, 30)
    assert total(url, "Ужгород") == (30, False)
    again = reindex(url, [src])
    assert (again.unchanged, again.documents) == (4, 0)


def test_a_dead_head_fails_over_and_start_restarts_only_it(cl):
    root, url = cl["root"], cl["url"]
    layout = nodes.load_layout(root)
    pids = {n: nodes.node_pid(root, n) for n, _ in layout.nodes()}
    nodes.kill_node(root, "head")
    assert total(url)[0] == ALL  # the second head answers
    first = f"sphinxql://{layout.head[0]}:{layout.head[1]}"
    client = create_app({"SEARCH_BACKEND": first, "TESTING": True}).test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 503 and "cannot reach searchd" in resp.get_json()["message"]
    _, started = ops.start(root)
    assert started == ["head"]
    after = {n: nodes.node_pid(root, n) for n, _ in layout.nodes()}
    assert {n: p for n, p in after.items() if n != "head"} == {
        n: p for n, p in pids.items() if n != "head"}
    assert total(first)[0] == ALL


def test_a_lost_shard_fails_health_and_queries_fast(cl):
    root, url = cl["root"], cl["url"]
    client = create_app({"SEARCH_BACKEND": url, "TESTING": True}).test_client()
    assert client.get("/healthz").status_code == 200
    nodes.kill_node(root, "shard1m0")
    nodes.kill_node(root, "shard1m1")
    try:
        resp = client.get("/healthz")
        body = resp.get_json()
        assert resp.status_code == 503 and "shard 1" in body["message"]
        found = client.get("/api/search?q=кошторис").get_json()
        assert found["partial"] is True and 0 < found["total"] < ALL
        eng, through_head = ClusterEngine(url), ClusterEngine(url)
        through_head.routes.direct = False
        try:
            assert eng.search("кошторис").partial and eng.degraded  # no retries from now on
            assert eng.health.lost == {1}

            def no_head(*args, **kwargs):
                raise AssertionError("read through the head")

            for query, kwargs in [("кошторис", {"sort": "date"}), ("кошторис", {}),
                                  ("кошторис", {"per_page": 1}), ("кошторис школи", {})]:
                # By relevance the shards with a live mirror are read straight (by date, as
                # always, through the head): as partial as the head's answer.
                if kwargs.get("sort") != "date":
                    eng.routes.client.batch = eng.routes._side.batch = no_head
                ours, theirs = eng.search(query, **kwargs), through_head.search(query, **kwargs)
                assert ours.partial and theirs.partial
                assert ([(h.id, round(h.score, 5)) for h in ours.hits], ours.total,
                        ours.facets) == ([(h.id, round(h.score, 5)) for h in theirs.hits],
                                         theirs.total, theirs.facets)
        finally:
            eng.close()
            through_head.close()
        assert cluster_cli(["status", "--dir", str(root)]) == ops.DOWN
    finally:
        ops.start(root)
    assert client.get("/healthz").status_code == 200 and converged(root)


def test_a_changed_shard_count_is_refused_then_rebuilt_with_full(cl):
    root, url, src = cl["root"], cl["url"], cl["src"]
    with pytest.raises(ClusterError, match="--full"):
        ops.start(root, shards=3)
    assert cluster_cli(["start", "--dir", str(root), "--shards", "3"]) == 1
    assert cluster_cli(["start", str(src), "--dir", str(root), "--shards", "3",
                        "--full"]) == 0
    layout = nodes.load_layout(root)
    assert len(layout.shards) == 3 and layout.count(ops.live_generation(layout)) == 3
    assert total(url) == (ALL, False) and converged(root)
    assert sum(d[0] for d in mirror_docs(root).values()) == len(RECORDS) + ALL


def test_snapshot_and_restore(cl, tmp_path):
    root, url = cl["root"], cl["url"]
    archive = tmp_path / "snap.tar.gz"
    assert cluster_cli(["snapshot", "--dir", str(root), str(archive)]) == 0
    with pytest.raises(ClusterError, match="running"):
        restore(root, archive)
    nodes.stop(root)
    there = tmp_path / "restored"
    assert cluster_cli(["restore", "--dir", str(there), str(archive)]) == 0
    try:
        assert cluster_cli(["start", "--dir", str(there)]) == 0
        assert total(url) == (ALL, False) and converged(there)
    finally:
        nodes.stop(there)


def test_the_fault_bench_runs_on_a_few_hundred_articles(monkeypatch, capsys):
    # bench/cluster_faults.py on 4 runs of 100 generated articles, in batches small enough to
    # kill a mirror and the feeder between: every fault row, and each shard's mirrors equal.
    from bench import cluster_faults

    towns = ["Москва", "Казань", "Самара", "Тверь"]
    articles = [{"id": f"a{i}", "title": f"Новости {i}", "url": f"https://example.org/{i}",
                 "text": f"{towns[i % 4]}: россия и город обсудили бюджет номер {i}."}
                for i in range(400)]
    monkeypatch.setattr(cluster_faults, "ru_articles", lambda shared: articles)
    monkeypatch.setattr(writer, "BATCH_BYTES", writer.BATCH_BYTES)  # (the bench sets it)
    cluster_faults.main(["--docs", "100", "--batch-bytes", "2000", "--after", "1"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ")
            and not line.startswith("| killed ")]
    assert len(rows) == 6 and all("| equal " in r for r in rows)
    assert "lagging ['shard0m0']" in out and "killed: True" in out
    assert "/healthz 503" in out and "partial True" in out and "/healthz after: 200" in out
    landed = re.search(r"(\d+) of 100 had landed; the next run rewrote 1 file\(s\), 100 "
                       r"documents", out)
    assert landed and int(landed[1]) < 100  # the feeder died mid-run; the next run finished it
