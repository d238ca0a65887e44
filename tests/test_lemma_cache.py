"""The lemma cache beside an index: saved by a run, used by the next, ignored when stale."""

import gzip
import json
import random

import pytest

from search import morph
from search.ingest.indexer import reindex


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    # Without the lemma tables an earlier test may have loaded (create_app, the CLI): the
    # words they answer are not kept in the cache, which is for the words they do not know.
    monkeypatch.setattr(morph, "TABLES", {})
    morph.clear_cache()
    yield
    morph.clear_cache()  # nothing planted here reaches other tests


def _plant(folder, made_by):
    (folder / morph.CACHE_FILE).write_text(
        f"{morph._CACHE_HEAD}\t{made_by}\nuk\tмостів\tпосаджене\n", "utf-8")


def test_a_run_saves_the_lemmas_it_analysed_and_a_later_one_reads_them(tmp_path):
    src, index = tmp_path / "src", tmp_path / "index"
    src.mkdir()
    (src / "a.txt").write_text("Мости\n\nУряд ухвалив програму відновлення мостів.", "utf-8")
    reindex(index, [src])
    assert (index / morph.CACHE_FILE).is_file()
    morph.clear_cache()
    assert morph.load_cache(index) >= 5
    assert morph._cache["мостів", "uk"] == morph._lemmas("мостів", "uk")
    assert "міст" in morph._cache["мостів", "uk"]


def test_lemmas_come_from_a_cache_made_by_the_same_analysis_only(tmp_path):
    _plant(tmp_path, morph.analysis_version())
    assert morph.load_cache(tmp_path) == 1
    assert morph.lemmas("мостів", "uk") == ("посаджене",)
    morph.clear_cache()
    _plant(tmp_path, "another analysis")
    assert morph.load_cache(tmp_path) == 0
    assert morph.lemmas("мостів", "uk") == morph._lemmas("мостів", "uk") != ("посаджене",)


@pytest.mark.parametrize("content", [b"", b"not a cache", b'["a", "list"]', b'{"analysis": 1}',
                                     b'{"analysis": "x", "lemmas": {"uk": [1]}}', b"\xff\xfe",
                                     "newsearch-lemmas-1\tv\nuk\tмостів\tх\n".encode()])
def test_an_unreadable_cache_file_is_ignored(tmp_path, content):
    (tmp_path / morph.CACHE_FILE).write_bytes(content)
    assert morph.load_cache(tmp_path) == 0
    assert morph.lemmas("мостів", "uk") == morph._lemmas("мостів", "uk") != ("посаджене",)


def test_nothing_is_written_when_no_word_is_new(tmp_path):
    morph.lemmas("мостів", "uk")
    assert morph.save_cache(tmp_path)
    assert not morph.save_cache(tmp_path)
    morph.clear_cache()
    morph.load_cache(tmp_path)
    morph.lemmas("мостів", "uk")
    assert not morph.save_cache(tmp_path)


@pytest.mark.parametrize(("word", "lang"), [("мостів", "uk"), ("обвинили", "ru"),
                                            ("кто-то", "ru"), ("формулы-1", "ru"),
                                            ("об'єкта", "uk"), ("pdf", "uk")])
def test_saved_lemmas_read_back_the_same(tmp_path, word, lang):
    found = morph.lemmas(word, lang)
    assert morph.save_cache(tmp_path)
    morph.clear_cache()
    assert morph.load_cache(tmp_path) >= 1
    assert morph._cache[word, lang] == found == morph._lemmas(word, lang)


def test_lemmas_a_writer_process_analysed_reach_the_cache(tmp_path):
    # Enough documents for the bulk writer's processes to start (bulk.PARALLEL_AFTER).
    src, index = tmp_path / "src", tmp_path / "index"
    src.mkdir()
    rng = random.Random(3)
    stems = ["мост", "дорог", "школ", "лікарн", "громад", "бюджет", "програм", "район"]
    ends = ["", "и", "ам", "ами", "ах", "ою", "і", "ові"]
    recs = [{"id": f"d{i}", "lang": "uk",
             "text": " ".join(rng.choice(stems) + rng.choice(ends) for _ in range(30))}
            for i in range(300)]
    with gzip.open(src / "a.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
    reindex(index, [src], procs=2)
    words = {w for r in recs for w in r["text"].split()}
    morph.clear_cache()
    assert morph.load_cache(index) >= len(words)
    assert all(morph._cache[w, "uk"] == morph._lemmas(w, "uk") for w in words)
