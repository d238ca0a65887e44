"""The cluster's direct reads on real searchd: the lean SphinxQL reader against pymysql, and
searches read straight from the shards against the same searches through the head."""

import json
from datetime import datetime

import pytest

from search.cluster import backend, facets, matching, reads, wire
from search.cluster.backend import ClusterEngine
from search.cluster.config import dist_index, shard_index
from search.cluster.feed import reindex
from search.cluster.rows import row_id, shard_of
from search.cluster.store import connect
from tests.test_cluster import local_cluster, searchd_counting

pytestmark = pytest.mark.cluster

LONG = "Довгий текст про бюджет громади. " * 2500  # past 64 KiB: a 3-byte cell length
RECORDS = [
    {"id": "uk-long", "lang": "uk", "date": "2021-03-01", "title": "Бюджет 'громади' \\ звіт",
     "text": LONG},
    {"id": "ru-quote", "lang": "ru", "date": "2019-05-05", "title": "Бюджет города",
     "text": "Депутаты приняли бюджет города: «O'Brien» и обратная косая \\ черта."},
] + [
    {"id": f"uk-{i}", "lang": "uk", "date": f"2020-{i % 12 + 1:02d}-01",
     "site": f"site{i % 5}.ua", "title": f"Новина {i}",
     "text": f"Місцева рада обговорила бюджет громади номер {i}."}
    for i in range(30)
] + [
    {"id": f"ru-{i}", "lang": "ru", "date": f"2021-{i % 12 + 1:02d}-02",
     "title": f"Новость {i}", "text": f"Городской совет обсудил бюджет района номер {i}."}
    for i in range(25)
]


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    """A 2x2 cluster fed with RECORDS: (url, layout)."""
    src = tmp_path_factory.mktemp("wire_src")
    (src / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False)
                                           for r in RECORDS) + "\n", encoding="utf-8")
    with local_cluster(tmp_path_factory.mktemp("wire")) as (url, layout):
        assert reindex(url, [src], full=True).documents == len(RECORDS)
        yield url, layout


def _statements(gen: str, index: str) -> list[tuple[str, tuple | None]]:
    match = "@(body_uk,body_uk_x) бюджет"
    return [
        (f"SELECT id, WEIGHT() AS w, doc_id, title, body, lang, ranks FROM {index} WHERE "
         f"MATCH(%s) ORDER BY w DESC, id ASC LIMIT 50", (match,)),
        ("SHOW META", None),
        (f"SELECT COUNT(*) FROM {index} WHERE MATCH(%s)", ("@(title_ru,title_ru_x) бюджет",)),
        (f"SELECT lang, COUNT(*) AS c FROM {index} GROUP BY lang ORDER BY lang ASC", None),
        (f"SELECT id, ranks.nokey.knone FROM {index} WHERE MATCH(%s) LIMIT 5",
         ("@(body_ru,body_ru_x) o'brien | черта",)),
    ]


def _timeless(rows) -> list[tuple]:
    """Rows as tuples, without SHOW META's time (it differs from one run to the next)."""
    return [tuple(r) for r in rows if not (len(r) == 2 and r[0] == "time")]


@pytest.mark.parametrize("where", ["head", "shard"])
def test_the_lean_reader_reads_what_pymysql_reads(fed, where):
    url, layout = fed
    eng = ClusterEngine(url)
    gen = eng.meta()["live"]
    eng.close()
    shard = shard_of(row_id("uk-long"), len(layout.shards))  # the long body's
    addr = layout.head if where == "head" else layout.shards[shard][0]
    index = dist_index(gen) if where == "head" else shard_index(shard, gen)
    statements = _statements(gen, index)
    with connect(addr) as conn, conn.cursor() as cur:
        expected = []
        for sql, args in statements:
            cur.execute(sql, args)
            expected.append(_timeless(cur.fetchall()))
    lean = wire.Connection(addr[0], addr[1])
    try:
        got = lean.execute(";\n".join(wire.mogrify(sql, args) for sql, args in statements))
        assert [_timeless(r.rows) for r in got] == expected
        assert any(len(r[4]) > 65536 for r in got[0].rows)  # the long body, read whole
        assert got[0].names[:3] == ["id", "w", "doc_id"]
        with pytest.raises(wire.WireError, match="nosuchcolumn"):
            lean.execute(f"SELECT nosuchcolumn FROM {index}")
        assert lean.execute(f"SELECT COUNT(*) FROM {index}")[0].rows[0][0] > 0  # still usable
    finally:
        lean.close()


QUERIES = [  # (text, search options), uk and ru
    ("бюджет", {}),
    ("бюджет громади", {}),
    ("бюджет района", {"langs": ("ru",)}),
    ('"місцева рада"', {}),
    ("бюджет громади номер рада", {}),
    ("бюджет", {"page": 2}),
    ("бюджет", {"sort": "recent"}),
    ("бюджет", {"date_from": datetime(2020, 3, 1), "date_to": datetime(2020, 6, 30)}),
    ("бюджет", {"sites": ("site1.ua",)}),
    ("обратная косая", {}),
    ("O'Brien", {}),
]


def _answer(res) -> tuple:
    return ([(h.id, round(h.score, 5), h.duplicates) for h in res.hits], res.total,
            res.all_words, res.total_collapsed, res.facets, res.partial)


@pytest.mark.parametrize("candidates", [400, 5])
def test_searches_read_from_the_shards_answer_as_through_the_head(fed, candidates):
    url, _ = fed
    direct, head = ClusterEngine(url), ClusterEngine(url)
    head.routes.direct = False
    try:
        for eng in (direct, head):
            eng.candidates = candidates  # 5: candidates fewer than results, facets aside
        for text, options in QUERIES:
            expected = _answer(head.search(text, **options))
            assert _answer(direct.search(text, **options)) == expected, (text, options)
            assert expected[1] > 0 or text == "O'Brien", text
        assert direct.routes.shards._conns  # it did read the shards
    finally:
        direct.close()
        head.close()


def test_a_shard_not_reached_directly_is_read_through_the_head(fed, monkeypatch):
    url, layout = fed
    monkeypatch.setattr(backend, "META_SECONDS", 3600.0)  # the layout below stays
    eng = ClusterEngine(url)
    try:
        expected = _answer(eng.search("бюджет громади"))
        meta = eng.meta(fresh=False)
        # Shard 1's mirrors on SphinxQL ports this web server does not reach.
        meta["layout"].shards[1] = [(h, 1, api) for h, _, api in layout.shards[1]]
        eng.routes.shards.close()
        assert _answer(eng.search("бюджет громади")) == expected
        assert 1 not in eng.routes.shards._conns
    finally:
        eng.close()


def test_answers_left_unread_by_a_failed_search_are_dropped(fed):
    url, _ = fed
    eng = ClusterEngine(url)
    try:
        expected = _answer(eng.search("бюджет"))
        meta = eng.meta(fresh=False)
        eng.routes.shards.start(meta["layout"], meta["live"],
                                facets.statements("бюджет", [], False, 60))
        assert _answer(eng.search("бюджет")) == expected  # not the facets' rows
    finally:
        eng.close()


@pytest.mark.parametrize("candidates", [400, 5])
def test_rank_attributes_read_with_the_candidates_answer_as_read_by_id(fed, monkeypatch,
                                                                       candidates):
    """The candidates carrying their rank attributes (the tally's estimate small enough) and
    a result not read whole (the tally says it has more than WHOLE) answer as the longer way:
    rank attributes by id, every short result read whole."""
    url, _ = fed
    quick, slow = ClusterEngine(url), ClusterEngine(url)
    took = []
    rich_rows = matching.rich_rows
    monkeypatch.setattr(matching, "rich_rows", lambda *a: took.append(1) or rich_rows(*a))
    monkeypatch.setattr(matching, "WHOLE", 5)  # results of 5-57 documents are not read whole
    try:
        for eng in (quick, slow):
            eng.candidates = candidates  # 5: fewer candidates than results, facets aside
        slow.rich_work = 0
        for text, options in QUERIES:
            monkeypatch.setattr(matching, "at_least", lambda *a: 0)
            expected = _answer(slow.search(text, **options))
            monkeypatch.setattr(matching, "at_least", reads.at_least)
            assert _answer(quick.search(text, **options)) == expected, (text, options)
        assert len(took) >= 8  # every query but those with filters or no tally frequencies
    finally:
        quick.close()
        slow.close()


def test_a_search_replayed_on_bare_connections(fed):
    # bench/cluster_floor.py: the statements a search sends, recorded round by round (the
    # facets aside), are sent again on connections that read the answers without converting
    # them, every answer read (the connections serve the next replay).
    from bench.cluster_floor import Bare, Replay

    url, layout = fed
    eng = ClusterEngine(url)
    eng.candidates = 5  # fewer candidates than results: the facets are counted aside
    replay = Replay(eng)
    try:
        eng.search("бюджет")
        rounds = replay.rounds
        assert [aside for aside, _ in rounds] == [False, True, False]  # candidates, facets, page
        assert all(set(texts) == {0, 1} for _, texts in rounds)
        assert replay.again(rounds) > 0 and replay.again(rounds) > 0
        bare = Bare(*layout.shards[0][0][:2])
        try:
            bare.send("SELECT nosuchcolumn FROM shard0_a")
            with pytest.raises(wire.WireError, match="nosuchcolumn"):
                bare.skip()
        finally:
            bare.close()
    finally:
        replay.close()
        eng.close()


@pytest.mark.parametrize("one_pass", [facets.ONE_PASS, 1])
@pytest.mark.parametrize(("text", "options"), [
    ("бюджет", {}),  # uk and ru, 12 months, 3 sources a month, and none
    ("бюджет", {"date_from": datetime(2020, 3, 1), "date_to": datetime(2020, 6, 30)}),
    ("бюджет района", {"langs": ("ru",)}),
    ("бюджет", {"sort": "date"}),
])
def test_facets_counted_by_searchd_are_those_counted_here(fed, monkeypatch, text, options,
                                                          one_pass):
    # Every result a candidate, the facets are counted here over them; with one candidate and
    # none read whole, searchd counts them: in one pass of (language and month, source), or
    # (one_pass 1) in two; the same counts either way.
    url, _ = fed
    here = ClusterEngine(url)
    try:
        expected = here.search(text, **options)
    finally:
        here.close()
    there = searchd_counting(url, monkeypatch, one_pass)
    try:
        got = there.search(text, per_page=1, **options)
    finally:
        there.close()
    assert len(expected.facets["source"]) > 1 or options.get("langs")
    assert (got.facets, got.total) == (expected.facets, expected.total)
