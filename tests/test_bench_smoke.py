"""Smoke test of the benchmark harnesses on tiny generated corpora (no ../shared needed)."""

import gzip
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import metrics, querysets, relevance, speed  # noqa: E402
from bench.engines import Fts5, Ours, WhooshBaseline  # noqa: E402
from search.documents import Document  # noqa: E402

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
            {"id": "x1", "text": "Гроші люблять рахунок, а бюджет любить прозорість."},
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


@pytest.mark.parametrize("make", [Ours, WhooshBaseline, Fts5])
def test_engine_finds_the_document(tmp_path, make):
    docs = [Document(id=i, title=t, body=b, lang="ru") for i, t, b, _ in RU]
    engine = make()
    engine.build(docs, tmp_path / "ix")
    try:
        assert engine.search("нефть ОПЕК", "ru")[:1] == ["rt-3"]
        expected = ["rt-2"] if make is Ours else []  # lemmas: хоккеем → хоккей
        assert engine.search("хоккеем", "ru")[:1] == expected
    finally:
        engine.close()


def test_query_sets_are_frozen(shared, tmp_path):
    ids, queries, digest = querysets.frozen("lemma/uk", shared, tmp_path, "quick")
    assert ids == sorted(ids) and queries
    assert all(q["query"] != q["lemma"] for q in queries)
    (tmp_path / "lemma-uk.jsonl").write_text(
        json.dumps({"docs": ids}) + "\n" + json.dumps(queries[0]) + "\n", encoding="utf-8")
    _, again, digest2 = querysets.frozen("lemma/uk", shared, tmp_path, "quick")
    assert again == queries[:1] and digest2 != digest  # read back, never rebuilt


def test_relevance_end_to_end(shared, tmp_path):
    results = relevance.main(["--shared", str(shared), "--quick", "--no-json",
                              "--engines", "ours,sqlite-fts5", "--work", str(tmp_path)])
    assert set(results) == set(querysets.SETS)
    ki = results["known-item/ru"]["engines"]["ours"]
    assert 0.0 <= ki["MRR@10"] <= 1.0
    assert (tmp_path / "querysets-quick" / "known-item-ru.jsonl").exists()


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
