"""Smoke test of the benchmark harnesses on tiny generated corpora (no ../shared needed)."""

import gzip
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import metrics, querysets, relevance, speed  # noqa: E402
from bench.engines import Fts5, Ours, Tantivy, WhooshBaseline  # noqa: E402
from search.ingest.documents import Document  # noqa: E402

RU = [
    ("rt-1", "Минюст США потребовал от RT зарегистрироваться",
     "Телеканал обязан зарегистрироваться в качестве иностранного агента до понедельника.",
     ["сша", "сми"]),
    ("rt-2", "Сборная России выиграла матч по хоккею",
     "Хоккеисты сборной обыграли соперников в финальном матче чемпионата мира.",
     ["спорт", "хоккей"]),
    ("rt-3", "Цены на нефть выросли после решения ОПЕК",
     "Нефтяные котировки поднялись: страны ОПЕК договорились сократить добычу нефти.",
     ["нефть", "сми"]),
    ("ng-4", "Парламент принял закон о выборах",
     "Депутаты приняли закон в третьем чтении, выборы пройдут весной.",
     ["выборы"]),
]
UK = [
    ("A_1", "A", "Мовні табори для школярів", "Діти вивчають англійську мову в таборах влітку."),
    ("A_2", "A", "Ремонт доріг у Київській області", "Дорожники відремонтували дороги в області."),
    ("B_3", "B", "Вірші", "Осінній вітер співає над полем."),
]
CONLLU = """# sent_id = s1
# text = Діти читають книги.
1\tДіти\tдитина\tNOUN\t_\t_\t2\tnsubj\t_\t_
2\tчитають\tчитати\tVERB\t_\t_\t0\troot\t_\t_
3\tкниги\tкнига\tNOUN\t_\t_\t2\tobj\t_\tSpaceAfter=No
4\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_

# sent_id = s2
# text = Дитина читала книгу вголос.
1\tДитина\tдитина\tNOUN\t_\t_\t2\tnsubj\t_\t_
2\tчитала\tчитати\tVERB\t_\t_\t0\troot\t_\t_
3\tкнигу\tкнига\tNOUN\t_\t_\t2\tobj\t_\t_
4\tвголос\tвголос\tADV\t_\t_\t2\tadvmod\t_\tSpaceAfter=No
5\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_

"""


def _gz(path: Path, text: str):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text)


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """A tiny stand-in for ../shared with every corpus file the harnesses read."""
    root = tmp_path_factory.mktemp("shared")
    corpora = root / "corpora"
    corpora.mkdir()
    _gz(corpora / "ru_news_articles.jsonl.gz", "".join(
        json.dumps({"id": i, "src": i[:2], "url": "", "title": t, "summary": "",
                    "keywords": kw, "text": (body + " ") * 3}, ensure_ascii=False) + "\n"
        for i, t, body, kw in RU))
    _gz(corpora / "uk_bruk_docs.jsonl.gz", "".join(
        json.dumps({"id": i, "cat": c, "title": t, "text": body}, ensure_ascii=False) + "\n"
        for i, c, t, body in UK))
    for name in ("uk_nashigroshi_docs", "uk_uagec_docs"):
        _gz(corpora / f"{name}.jsonl.gz", json.dumps(
            {"id": f"{name}-1", "text": "Гроші люблять рахунок, а бюджет любить прозорість."},
            ensure_ascii=False) + "\n")
    from bench.corpora import UD_FILES

    for names in UD_FILES.values():
        for name in names:
            _gz(corpora / f"{name}.conllu.gz", CONLLU)
    return root


def test_metrics():
    assert metrics.mrr(["a", "b"], {"b"}) == 0.5
    assert metrics.recall(["a", "b", "c"], {"a", "c", "z"}) == pytest.approx(2 / 3)
    assert metrics.ndcg(["a"], {"a"}) == 1.0
    assert metrics.ndcg(["x", "a"], {"a"}) < 1.0
    assert metrics.summarize([(["a"], {"a"}), ([], {"b"})])["MRR@10"] == 0.5


@pytest.mark.parametrize("make", [Ours, WhooshBaseline, Fts5, Tantivy])
def test_engine_finds_the_document(tmp_path, make):
    docs = [Document(id=i, title=t, body=b, lang="ru") for i, t, b, _ in RU]
    engine = make()
    engine.build(docs, tmp_path / "ix")
    try:
        for mode in engine.modes:
            assert engine.search("нефть ОПЕК", "ru", mode=mode)[:1] == ["rt-3"]
            stems = make in (Ours, Tantivy)  # lemmas: хоккеем → хоккей
            assert engine.search("хоккеем", "ru", mode=mode)[:1] == (["rt-2"] if stems else [])
    finally:
        engine.close()


@pytest.mark.parametrize("make", [WhooshBaseline, Fts5, Tantivy])
@pytest.mark.parametrize(("query", "lang", "docs", "every", "any_"), [
    ("нефть матч", "ru", [(i, t, b) for i, t, b, _ in RU], [], ["rt-2", "rt-3"]),
    ("табори дороги", "uk", [(i, t, b) for i, _, t, b in UK], [], ["A_1", "A_2"]),
    ("області дороги", "uk", [(i, t, b) for i, _, t, b in UK], ["A_2"], ["A_2"]),
])
def test_baseline_modes(tmp_path, make, query, lang, docs, every, any_):
    """'and' requires every word, 'or' ranks documents with any of them."""
    engine = make()
    engine.build([Document(id=i, title=t, body=b, lang=lang) for i, t, b in docs], tmp_path / "x")
    try:
        assert engine.modes == ("and", "or")
        assert engine.search(query, lang, mode="and") == every
        assert sorted(engine.search(query, lang, mode="or")) == any_
    finally:
        engine.close()


def test_index_is_reused_only_for_the_same_set_and_code(tmp_path):
    docs = [Document(id=i, title=t, body=b, lang="ru") for i, t, b, _ in RU]
    loads = []

    def load():
        loads.append(1)
        return docs

    path = tmp_path / "fts"
    for digest, reused in (("a", False), ("a", True), ("b", False)):
        engine = Fts5()
        assert relevance.prepare(engine, path, digest, load)[1] is reused
        assert engine.search("ОПЕК", "ru") == ["rt-3"]
        engine.close()
    assert len(loads) == 2
    path.unlink()  # the index is gone: the stamp alone does not make it reusable
    assert relevance.prepare(Fts5(), path, "b", load)[1] is False
    assert relevance.prepare(Fts5(), path, "b", load, rebuild=True)[1] is False


@pytest.mark.parametrize(("lang", "docs", "query", "both", "some"), [
    ("ru", [(i, t, b) for i, t, b, _ in RU], "нефть матч", [], ["rt-2", "rt-3"]),
    ("ru", [(i, t, b) for i, t, b, _ in RU], "нефть ОПЕК", ["rt-3"], ["rt-3"]),
    ("uk", [(i, t, b) for i, _, t, b in UK], "табори дороги", [], ["A_1", "A_2"]),
])
def test_ours_searches_under_the_policy_given(tmp_path, lang, docs, query, both, some):
    """The policy reaches the engine: every word required, or documents with some words too."""
    engine = Ours()
    engine.build([Document(id=i, title=t, body=b, lang=lang) for i, t, b in docs], tmp_path / "x")
    try:
        engine.policy = relevance.use_policy({"all_first_upto": 0, "min_share": 1.0})
        assert engine.search(query, lang) == both
        engine.policy = relevance.use_policy({})
        assert sorted(engine.search(query, lang)) == some
    finally:
        engine.close()


def test_policy_values_and_grids():
    assert relevance.parse_values("k1=1.5,sequence_upto=3") == {"k1": 1.5, "sequence_upto": 3}
    assert relevance.grid("k1=1.2|1.5;pair_weight=0|1") == [
        {"k1": 1.2, "pair_weight": 0.0}, {"k1": 1.2, "pair_weight": 1.0},
        {"k1": 1.5, "pair_weight": 0.0}, {"k1": 1.5, "pair_weight": 1.0}]
    with pytest.raises(SystemExit, match="unknown policy knob 'k9'"):
        relevance.parse_values("k9=1")
    from search.query import parse as query

    default = query.READING_BOOST
    assert relevance.use_policy({"READING_BOOST": 0.3, "b": 0.5}).b == 0.5
    assert query.READING_BOOST == 0.3
    assert relevance.use_policy({}) == relevance.DEFAULT and query.READING_BOOST == default


def test_grid_runs_ours_on_the_tuning_halves(shared, tmp_path):
    log = relevance.main(["--shared", str(shared), "--quick", "--no-json", "--work",
                          str(tmp_path), "--sets", "known-item/uk,lemma/uk",
                          "--policy", "b=0.6", "--grid", "pair_weight=0|1"])
    assert [e["policy"] for e in log] == [{"b": 0.6, "pair_weight": 0.0},
                                          {"b": 0.6, "pair_weight": 1.0}]
    for entry in log:
        assert entry["effective"]["b"] == 0.6 and entry["effective"]["k1"] == relevance.DEFAULT.k1
        assert entry["effective"]["READING_BOOST"] == relevance.QUERY_KNOBS["READING_BOOST"]
        assert set(entry["tune"]) == {"known-item/uk", "lemma/uk"}
        assert all(0 <= m["MRR@10"] <= 1 and m["n"] >= 0 for m in entry["tune"].values())


def test_halves_are_fixed_and_even():
    ids = [f"titleless/ru#{i}" for i in range(300)]
    halves = [querysets.half(q) for q in ids]
    assert halves == [querysets.half(q) for q in ids]
    assert set(halves) == {"tune", "test"}
    assert 120 <= halves.count("test") <= 180


def test_query_sets_are_frozen(shared, tmp_path):
    ids, queries, digest = querysets.frozen("lemma/uk", shared, tmp_path, "quick")
    assert ids == sorted(ids) and queries
    assert all(q["query"] != q["lemma"] for q in queries)
    (tmp_path / "lemma-uk.jsonl").write_text(
        json.dumps({"docs": ids}) + "\n" + json.dumps(queries[0]) + "\n", encoding="utf-8")
    _, again, digest2 = querysets.frozen("lemma/uk", shared, tmp_path, "quick")
    assert again == queries[:1] and digest2 != digest  # read back, never rebuilt


def test_titleless_sets(shared, tmp_path):
    ids, queries, _ = querysets.frozen("titleless/uk", shared, tmp_path, "quick")
    # every bruk text plus the title-less corpora; only press (cat A) headlines are queries
    assert sorted(ids) == sorted(["A_1", "A_2", "B_3", "uk_nashigroshi_docs-1",
                                  "uk_uagec_docs-1"])
    assert sorted(q["query"] for q in queries) == ["Мовні табори для школярів",
                                                   "Ремонт доріг у Київській області"]
    assert all(q["relevant"] == [{"Мовні табори для школярів": "A_1"}.get(q["query"], "A_2")]
               for q in queries)
    docs = querysets.documents("titleless/uk", shared, ids)
    plain = querysets.baseline_documents("titleless/uk", docs)
    assert [d.id for d in plain] == ids and all(d.title == "" for d in plain)
    assert [d.body for d in plain] == [d.body for d in docs]
    assert "табори" not in " ".join(d.title + d.body for d in docs if d.id == "A_1")
    tag = querysets.documents("tag/ru", shared, ["rt-1"])
    assert querysets.baseline_documents("tag/ru", tag)[0].title.startswith("Минюст")


def test_relevance_end_to_end(shared, tmp_path):
    argv = ["--shared", str(shared), "--quick", "--no-json", "--engines", "ours,sqlite-fts5",
            "--work", str(tmp_path)]
    results = relevance.main(argv)
    assert set(results) == set(querysets.SETS)
    ki = results["titleless/ru"]["engines"]
    assert 0.0 <= ki["ours"]["MRR@10"] <= 1.0 and ki["ours"]["best_mode"] == "product"
    fts = ki["sqlite-fts5"]
    assert set(fts["modes"]) == {"and", "or"} and fts["best_mode"] in fts["modes"]
    assert fts["MRR@10"] == fts["modes"][fts["best_mode"]]["test"]["MRR@10"]
    assert fts["modes"]["or"]["all"]["n"] == results["titleless/ru"]["queries"]
    assert not fts["cached"] and (tmp_path / "querysets-quick" / "titleless-ru.jsonl").exists()
    again = relevance.main(argv)  # second run: same sets, indexes reused, same figures
    assert again["titleless/ru"]["engines"]["sqlite-fts5"]["cached"]
    assert again["titleless/ru"]["engines"]["sqlite-fts5"]["modes"] == fts["modes"]
    text = relevance.render(results, ["ours", "sqlite-fts5"])
    assert "titleless/uk" in text and "target" in text


def test_speed_helpers(shared):
    docs = speed.paragraphs(shared, None)
    assert docs and all(len(d.body.split()) <= speed.WINDOW for d in docs)
    assert speed.pct([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert speed.pct([1.0, 2.0, 3.0, 4.0], 99) == 4.0
    text = speed.render({"window_words": 45, "indexing": [
        {"dataset": "ru", "engine": e, "procs": 1, "docs": 4, "tokens": 40, "seconds": s,
         "docs_s": 4 / s, "tokens_s": 40 / s, "rss_mb": 100.0, "bytes": 2**20}
        for e, s in (("ours", 2.0), ("whoosh-std", 1.0))], "latency": []})
    assert "2.000" in text


def test_postgres_port_taken_elsewhere_is_avoided(monkeypatch):
    """Another checkout's cluster on the usual port must not stop this run's baseline."""
    import socket

    from bench import pg

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        monkeypatch.setattr(pg, "PORT", held.getsockname()[1])
        port = pg.free_port()
        assert port != pg.PORT
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # really free
    assert pg.free_port() == pg.PORT  # released: the usual port again
