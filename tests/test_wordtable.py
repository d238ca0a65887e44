"""The bulk builder's words found with numpy (wordtable.py) are the regex tokenizer's, exactly."""

import numpy as np
import pytest

from search.ingest import wordtable
from search.ingest.segment import _PLAIN_WORD
from search.text import MAX_WORD, WORD_RE

TEXTS = [
    "Зв’язків між областями, «Титан-Баррикады»! e-mail та covid-19.",
    "a--b -a- 'x' ‐y‑z‐ 'quoted' д'Артаньян o'neil-x 1,5 12.3 x_y __a__",
    "x" * MAX_WORD + " " + "y" * (MAX_WORD + 1) + " z " + "-".join(["w" * 40] * 3),
    "", "  ,,, -- ", "одно", "α β γ 中文 ٣٤ Ⅻ ½ ²",
    "Бюджет школа " * 50,
]


def _regex_words(text):
    return [w for w in _PLAIN_WORD.findall(text) if len(w) <= MAX_WORD]


@pytest.mark.parametrize("text", TEXTS)
def test_split_finds_the_regex_words(text):
    cps, starts, ends = wordtable.split(text)
    assert [text[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)] == \
        _regex_words(text)
    assert _regex_words(text) == [w for w in WORD_RE.findall(text) if len(w) <= MAX_WORD]


@pytest.mark.parametrize("text", ["уда\u0301р", "ін\u00adтер", "emoji 🙂 here",
                                  "x" * (wordtable.MAX_CHARS + 1)])
def test_texts_with_marks_or_astral_letters_are_left_to_the_regex(text):
    assert wordtable.split(text) is None


def test_terms_are_each_words_ids_in_order():
    table, ids = wordtable.WordTable(), {}

    def terms_of(word):  # a word's ids: one, or two for words with a hyphen
        ids.setdefault(word, (len(ids) * 2,) + ((len(ids) * 2 + 1,) if "-" in word else ()))
        return ids[word]

    for text in TEXTS * 2:  # the second time every word is known
        parts = wordtable.split(text)
        words = [text[s:e] for s, e in zip(parts[1].tolist(), parts[2].tolist(), strict=True)]
        if not words:
            continue
        keys, pos, first = table.terms(text, parts, terms_of)
        expect = [(i, k, j == 0) for i, w in enumerate(words) for j, k in enumerate(ids[w])]
        assert list(zip(pos.tolist(), keys.tolist(), first.tolist(), strict=True)) == expect


def test_a_word_whose_letters_differ_from_its_hashs_is_never_trusted():
    table = wordtable.WordTable()
    text = "мир мир"
    assert table.terms(text, wordtable.split(text), lambda w: (7,)) is not None
    table._letters.data[0] = ord("п")  # as if another word had the same hash
    assert table.terms(text, wordtable.split(text), lambda w: (7,)) is None


def test_many_words_grow_the_table():
    table = wordtable.WordTable()
    rng = np.random.default_rng(3)
    letters = np.array(list("абвгдежзик"))
    for _ in range(40):
        text = " ".join("".join(rng.choice(letters, rng.integers(1, 9))) for _ in range(500))
        keys, pos, first = table.terms(text, wordtable.split(text), lambda w: (len(w),))
        words = text.split()
        assert keys.tolist() == [len(w) for w in words] and pos.tolist() == list(range(500))
