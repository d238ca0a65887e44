"""The lemma cache beside an index: saved by a run, used by the next, ignored when stale."""

import json

import pytest

from search import morph
from search.ingest.indexer import reindex


@pytest.fixture(autouse=True)
def _fresh_cache():
    morph.clear_cache()
    yield
    morph.clear_cache()  # nothing planted here reaches other tests


def _plant(folder, made_by):
    (folder / morph.CACHE_FILE).write_text(json.dumps(
        {"analysis": made_by, "lemmas": {"uk": {"мостів": ["посаджене"]}}}), "utf-8")


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


@pytest.mark.parametrize("content", [b"", b"not json", b'["a", "list"]', b'{"analysis": 1}',
                                     b'{"analysis": "x", "lemmas": {"uk": [1]}}', b"\xff\xfe"])
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
