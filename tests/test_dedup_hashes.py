"""Near-duplicate shingles: the one-lookup path of nearly every text is the general one."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from search.ingest import shingles


def _general(text: str) -> np.ndarray:
    return shingles._hashes(shingles._folded(text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="аАёЁ'’ʼ-_ .,1zZé\u0130\u00df\u0301\u00ad\ufb01\U0001d400«»\n",
               max_size=60))
def test_the_fast_path_hashes_the_words_the_general_one_does(text):
    values = shingles._folded_values(text)
    if values is not None:
        assert np.array_equal(shingles._hashes(None, values), _general(text))


def test_every_character_of_the_first_plane_folds_as_in_the_general_path():
    for c in map(chr, range(0x10000)):
        for text in (f"а{c}б в", f"{c}{c} x {c}"):
            values = shingles._folded_values(text)
            if values is not None:
                assert np.array_equal(shingles._hashes(None, values), _general(text)), hex(ord(c))
            else:  # folds to several code points: the general path
                assert shingles._FOLD[ord(c)] == shingles._MANY


def test_texts_past_the_first_plane_or_too_long_take_the_general_path(monkeypatch):
    assert shingles._folded_values("мост \U0001d400") is None
    monkeypatch.setattr(shingles, "MAX_CHARS", 8)
    assert shingles._folded_values("відновлення мостів") is None
    assert shingles._folded_values("мости") is not None
