"""Syndicated copies show once on the cluster as on the embedded engine: the same hits, the same
counts of copies, the same totals; kept up by incremental runs; and a cluster built before the
copy groups keeps answering, every copy shown, until rebuilt."""

import json
import logging
from datetime import datetime

import pytest

from search.cluster import config, facets, store
from search.cluster.backend import UNGROUPED, ClusterEngine
from search.cluster.feed import reindex as cluster_reindex
from search.cluster.groups import Groups
from search.engine import Engine
from search.ingest import dedup
from search.ingest.indexer import reindex
from tests.test_cluster import local_cluster, searchd_counting
from tests.test_newsroom import AGENCY
from web import create_app

pytestmark = pytest.mark.cluster

AGENCY_RU = ("Правительство утвердило новую программу восстановления разрушенных мостов в "
             "прифронтовых общинах. Деньги на ремонт переправ выделят из резервного фонда "
             "государственного бюджета, а первыми восстановят мосты на дорогах к больницам и "
             "школам. Подрядчиков выберут на открытых торгах до конца месяца, сообщили в "
             "министерстве.")


def _records() -> list[dict]:
    uk = [("agency", "Уряд відновить мости", AGENCY, "2024-05-01"),
          ("reprint-1", "Уряд відновить мости у громадах",
           AGENCY.replace("повідомили", "розповіли"), "2024-05-02"),
          ("reprint-2", "Уряд відновить мости", AGENCY + " Про це пише Агенція.", "2024-05-03"),
          ("bridge-new", "Ремонт мосту в громаді почнуть влітку",
           "Ремонт мосту почнуть влітку: підрядника оберуть на торгах, кошти є в місцевому "
           "бюджеті.", "2024-04-20"),
          ("bridge-old", "Міст через річку відкрили після ремонту",
           "Міст через річку відкрили після ремонту. Громада чекала на переправу три роки, "
           "кошти виділили з обласного бюджету.", "2020-06-01"),
          ("school", "Школи готують до навчального року",
           "У громадах фарбують класи і ремонтують спортзали до вересня.", "2024-08-01")]
    ru = [("ru-agency", "Правительство восстановит мосты", AGENCY_RU, "2024-04-30"),
          ("ru-reprint", "Правительство восстановит мосты в общинах",
           AGENCY_RU.replace("сообщили", "рассказали"), "2024-05-04"),
          ("ru-bridge", "Ремонт моста начнут летом",
           "Ремонт моста начнут летом: подрядчика выберут на торгах, деньги есть в местном "
           "бюджете.", "2024-04-21")]
    return ([{"id": i, "title": t, "text": x, "date": d, "lang": "uk"} for i, t, x, d in uk]
            + [{"id": i, "title": t, "text": x, "date": d, "lang": "ru"} for i, t, x, d in ru])


def _write(src, name: str, records: list[dict]) -> None:
    (src / name).write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records),
                            encoding="utf-8")


def test_groups_link_copies_and_say_only_which_rows_changed(tmp_path):
    texts = {7: AGENCY, 3: AGENCY.replace("повідомили", "розповіли"), 9: AGENCY_RU, 5: "коротко"}
    groups = Groups.load(tmp_path, "a")
    for rid, text in texts.items():
        groups.add(rid, dedup.signature(text))
    assert groups.relabel() == {3: [7, 3]}  # the group's smallest row id; the rest stay 0
    groups.save()
    again = Groups.load(tmp_path, "a")
    again.add(11, dedup.signature(AGENCY + " Про це пише Агенція."))
    assert again.relabel() == {3: [11]}
    again.remove([3])  # its copies stay linked through the others, under a new label
    assert again.relabel() == {7: [7, 11]}
    again.remove([7])
    again.add(9, dedup.signature(AGENCY_RU))  # written again, unchanged: nothing to set
    assert again.relabel() == {0: [11]}
    assert Groups.load(tmp_path, "a", fresh=True).relabel() == {}


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """(cluster engine, embedded engine) over the same records; stopped after."""
    root = tmp_path_factory.mktemp("copies")
    src = root / "src"
    src.mkdir()
    _write(src, "docs.jsonl", _records())
    assert reindex(root / "embedded", [src]).skipped == []
    embedded = Engine(root / "embedded", cache_size=0)
    with local_cluster(root / "cluster", shards=2, mirrors=1) as (url, _):
        assert cluster_reindex(url, [src], full=True).documents == embedded.doc_count()
        cluster = ClusterEngine(url)
        yield cluster, embedded
        cluster.close()
    embedded.close()


CASES = [
    # (query, search arguments): uk and ru, by relevance, by date, paged, filtered
    ("мости", {}),
    ("мости", {"sort": "date"}),
    ("мости", {"per_page": 1, "page": 2}),
    ("ремонт мостів", {}),  # few have both words: those with one follow
    ("відновити мости громади", {}),  # three words: by score alone
    ("мосты", {"langs": ("ru",)}),
    ("восстановление мостов", {"sort": "date"}),
    ("мости OR мосты", {"date_from": datetime(2024, 5, 1), "date_to": datetime(2024, 5, 31)}),
    ("школа", {}),  # no copies among the results
]


def _summary(res) -> tuple:
    return (res.total, res.total_collapsed, res.all_words,
            [(h.id, h.duplicates) for h in res.hits])


@pytest.mark.parametrize(("query", "kwargs"), CASES)
def test_copies_show_once_as_on_the_embedded_engine(engines, query, kwargs):
    cluster, embedded = engines
    ours, theirs = cluster.search(query, **kwargs), embedded.search(query, **kwargs)
    assert _summary(ours) == _summary(theirs)
    assert ours.hits and not ours.partial
    every = cluster.search(query, collapse=False, **kwargs)
    assert _summary(every) == _summary(embedded.search(query, collapse=False, **kwargs))


def test_the_copies_are_collapsed(engines):
    res = engines[0].search("мости", per_page=20)
    shown = [h for h in res.hits if h.id in ("agency", "reprint-1", "reprint-2")]
    assert len(shown) == 1 and shown[0].duplicates == 2
    # мости finds the ru story too (мосты): its two copies show once as well.
    assert sum(h.id in ("ru-agency", "ru-reprint") for h in res.hits) == 1
    assert res.total_collapsed == res.total - 3


@pytest.mark.parametrize(("query", "kwargs"), [c for c in CASES if c[1].get("page", 1) == 1])
def test_copies_counted_by_searchd_are_those_counted_over_the_candidates(engines, query,
                                                                         kwargs):
    # Where every result is a candidate, copies are counted over the candidates; else searchd
    # counts them (aside, with the facets): with one candidate, the same counts come back.
    cluster = engines[0]
    few = ClusterEngine(cluster.url)
    few.candidates = 1
    try:
        ours, theirs = cluster.search(query, **kwargs), few.search(query, **kwargs)
        assert _summary(ours) == _summary(theirs)
    finally:
        few.close()


@pytest.mark.parametrize("one_pass", [facets.ONE_PASS, 1])
@pytest.mark.parametrize(("query", "kwargs"), [c for c in CASES if c[1].get("page", 1) == 1])
def test_copies_counted_by_searchd_in_one_pass_or_two(engines, monkeypatch, query, kwargs,
                                                      one_pass):
    # A page of one, from searchd's best candidate and none read whole: searchd counts the
    # copies with the facets, in one pass, or (one_pass 1: as for more results than
    # facets.ONE_PASS) in two; the same counts as over every result.
    cluster = engines[0]
    expected = cluster.search(query, **kwargs)
    shown = {h.id: h.duplicates for h in expected.hits}
    few = searchd_counting(cluster.url, monkeypatch, one_pass)
    try:
        got = few.search(query, **{**kwargs, "per_page": 1})
    finally:
        few.close()
    assert (got.total, got.total_collapsed, got.all_words) == (
        expected.total, expected.total_collapsed, expected.all_words)
    assert all(h.duplicates == shown[h.id] for h in got.hits if h.id in shown)


def test_copies_of_a_document_are_listed(engines):
    cluster, embedded = engines
    for doc_id in ("agency", "ru-reprint", "school"):
        assert [h.id for h in cluster.copies(doc_id)] == [h.id for h in embedded.copies(doc_id)]
    assert [h.id for h in cluster.copies("agency")] == ["reprint-2", "reprint-1"]
    assert cluster.copies("no-such-id") is None


def test_copies_before_any_search(engines):
    """A document's page may be a process's first request: copies() needs no search first."""
    fresh = ClusterEngine(engines[0].url)
    try:
        assert [h.id for h in fresh.copies("agency")] == ["reprint-2", "reprint-1"]
    finally:
        fresh.close()


def test_web_api_and_page_show_copies_once_on_the_cluster(engines):
    client = create_app({"SEARCH_BACKEND": engines[0].url, "TESTING": True}).test_client()
    body = client.get("/api/search?q=мости&per_page=20").get_json()
    assert body["total_collapsed"] == body["total"] - 3
    assert sorted(h["duplicates"] for h in body["hits"] if h["duplicates"]) == [1, 2]
    every = client.get("/api/search?q=мости&per_page=20&collapse=0").get_json()
    assert every["total_collapsed"] == every["total"] == body["total"]
    assert len(every["hits"]) == len(body["hits"]) + 3
    doc = client.get("/doc/agency").get_data(as_text=True)
    assert "reprint-1" in doc and "reprint-2" in doc


def _same(cluster, embedded, query="мости OR мосты") -> tuple:
    ours, theirs = cluster.search(query, per_page=20), embedded.search(query, per_page=20)
    assert _summary(ours) == _summary(theirs)
    return _summary(ours)


def test_incremental_runs_keep_the_groups_and_old_clusters_answer(tmp_path, caplog):
    src = tmp_path / "src"
    src.mkdir()
    records = _records()
    _write(src, "a.jsonl", records[:5])
    _write(src, "b.jsonl", records[5:])
    assert reindex(tmp_path / "embedded", [src]).skipped == []
    embedded = Engine(tmp_path / "embedded", cache_size=0)
    with local_cluster(tmp_path / "cluster", shards=2, mirrors=2) as (url, layout):
        assert cluster_reindex(url, [src], full=True).skipped == []
        cluster = ClusterEngine(url)
        try:
            _same(cluster, embedded)
            # A new copy of the ru story joins its group; the uk agency's file goes, and with it
            # the link between its two reprints.
            new = {"id": "ru-reprint-2", "title": "Мосты восстановят",
                   "text": AGENCY_RU + " Об этом пишет агентство.", "date": "2024-05-05",
                   "lang": "ru"}
            _write(src, "b.jsonl", [*records[5:], new])
            _write(src, "a.jsonl", records[1:5])
            for run in (lambda: reindex(tmp_path / "embedded", [src]),
                        lambda: cluster_reindex(url, [src])):
                assert run().skipped == []
            cluster.close()
            cluster = ClusterEngine(url)  # (document counts are kept for 30 s)
            total, shown, _, hits = _same(cluster, embedded)
            assert dict(hits)["ru-reprint-2"] == 2 and total - shown == 2
            assert dict(hits)["reprint-1"] == dict(hits)["reprint-2"] == 0  # split
            # Every mirror of a shard holds the same groups.
            live, grouped = cluster.meta()["live"], 0
            for s, mirrors in enumerate(layout.shards):
                seen = []
                for addr in mirrors:
                    with store.connect(addr) as conn, conn.cursor() as cur:
                        cur.execute(f"SELECT id, {config.COPY_GROUP} FROM "
                                    f"{config.shard_index(s, live)} LIMIT 100")
                        seen.append(sorted(cur.fetchall()))
                assert seen[0] == seen[1]
                grouped += sum(1 for _, g in seen[0] if g)
            assert grouped == 3

            # A cluster built before the copy groups: no column, no meta row.
            _drop_copy_groups(layout)
            old = ClusterEngine(url)
            with caplog.at_level(logging.WARNING, logger="search.cluster.backend"):
                res = old.search("мости", per_page=20)
                old.search("мосты", sort="date")
            assert [r.getMessage() for r in caplog.records].count(UNGROUPED) == 1
            assert "reindex --full" in UNGROUPED
            every = embedded.search("мости", per_page=20, collapse=False)
            assert res.total == res.total_collapsed == every.total
            # (an incremental run renumbers only the embedded index's changed records: ties
            # may fall in another order)
            assert sorted(_summary(res)[3]) == sorted(_summary(every)[3])
            assert old.copies("reprint-1") == []
            # An incremental run adds the column back, and leaves the generation ungrouped.
            _write(src, "a.jsonl", records[:5])
            assert cluster_reindex(url, [src]).skipped == []
            assert not ClusterEngine(url).meta()["copies"]
            # A full rebuild shows copies once again.
            assert cluster_reindex(url, [src], full=True).skipped == []
            reindex(tmp_path / "embedded", [src])
            fresh = ClusterEngine(url)
            assert fresh.meta()["copies"]
            _same(fresh, embedded)
            fresh.close()
            old.close()
        finally:
            cluster.close()
    embedded.close()


def _drop_copy_groups(layout) -> None:
    for i, mirrors in enumerate(layout.shards):
        for addr in mirrors:
            with store.connect(addr) as conn, conn.cursor() as cur:
                for gen in config.GENERATIONS:
                    cur.execute(f"ALTER TABLE {config.shard_index(i, gen)} DROP COLUMN "
                                f"{config.COPY_GROUP}")
    for _, addr in layout.heads():
        with store.connect(addr) as conn, conn.cursor() as cur:
            cur.execute(f"DELETE FROM {config.META} WHERE id = {store._COPIES}")
