"""The run's vocabulary terms in string order (term_order.py): the builders' field terms and
the word table's terms, the same as sorting them per segment."""

import numpy as np

from search.ingest import term_order, termids
from search.query import segment_words
from search.query.word_columns import LANG_BIT

UK = ["Мости", "школи", "2024", "NATO", "Київ", "ґрунт", "Ґанок", "їжак", "є", "зелений"]
RU = ["мосты", "2024", "НАТО", "nato", "Ёлка", "ёж", "яблоко", "Москва", "школы", "щука"]


def _fresh():
    termids._local.__dict__.clear()


def _learn(v, words):
    for w in words:
        v[w]


def test_ranks_follow_string_order_as_the_vocabulary_grows():
    _fresh()
    v = termids.vocabulary("uk")
    for words in (UK[:3], UK[3:7], [], UK[7:]):  # segments that learn new words, or none
        _learn(v, words)
        order = term_order.term_order(v)
        ids = np.arange(len(v.names))
        assert [v.names[i] for i in order.sort(ids)] == sorted(v.names)
        some = ids[::2]
        assert [v.names[i] for i in order.sort(some)] == sorted(v.names[i] for i in some)
    assert term_order.term_order(v) is order  # kept on the vocabulary


def _groups(fields):
    groups = []
    for i, (field, (v, words)) in enumerate(fields.items()):
        _learn(v, words)
        ids = sorted({t for w in words for t in v.flat[v.start[v[w]]:v.start[v[w]] + v.len[v[w]]]})
        docs = np.arange(1, len(ids) + 1) + i
        groups.append((LANG_BIT[field[-2:]], v, np.array(ids, np.int64), docs))
    return groups


def _counted(groups):
    """term → documents, term → language bits, summed term id by term id."""
    freq, langs = {}, {}
    for bit, v, ids, docs in groups:
        for t, d in zip(ids.tolist(), docs.tolist(), strict=True):
            freq[v.names[t]] = freq.get(v.names[t], 0) + d
            langs[v.names[t]] = langs.get(v.names[t], 0) | bit
    return freq, langs


def test_sorted_terms_are_the_counted_terms_sorted():
    """One language, and two sharing terms ("2024"): documents summed, bits OR'd, in string
    order."""
    _fresh()
    uk, ru = termids.vocabulary("uk"), termids.vocabulary("ru")
    for fields in ({"title_uk": (uk, UK[:6]), "body_uk": (uk, UK)},
                   {"title_uk": (uk, UK[:4]), "body_uk": (uk, UK[2:]), "body_ru": (ru, RU)},
                   {"body_ru": (ru, RU[:1])}):
        groups = _groups(fields)
        freq, langs = _counted(groups)
        got = term_order.sorted_terms(groups)
        assert got.terms == sorted(freq)
        assert got.array.tolist() == got.terms
        assert got.counts.tolist() == [freq[t] for t in got.terms]
        assert got.bits.tolist() == [langs[t] for t in got.terms]
    assert term_order.sorted_terms([]).terms == []


def test_the_word_table_from_sorted_terms_is_builds():
    _fresh()
    uk, ru = termids.vocabulary("uk"), termids.vocabulary("ru")
    groups = _groups({"title_uk": (uk, UK[:4]), "body_uk": (uk, UK), "body_ru": (ru, RU)})
    freq, langs = _counted(groups)
    titles = [("Мости Києва", 0), ("Ёлка в Москве", 1)]
    want = segment_words.build(freq, langs, titles)
    got = segment_words.build_sorted(term_order.sorted_terms(groups), titles)
    assert want.keys() == got.keys()
    for name, col in want.items():
        assert col.dtype == got[name].dtype and np.array_equal(col, got[name]), name


def test_a_few_new_terms_are_placed_among_many_as_a_full_sort_places_them():
    """A live commit's few new terms to a large vocabulary (each placed by a binary search),
    then a large batch again (the two runs merged), uk and ru letters, prefixes of each other."""
    import random

    rng = random.Random(7)
    letters = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъ'-0123456789"
    names = list(dict.fromkeys("".join(rng.choice(letters) for _ in range(rng.randint(1, 9)))
                               for _ in range(6000)))
    order, n = term_order.TermOrder(), 0
    for step in [3000, 1, 2, 5, 1, 40, 3, 2000, 7, 1]:
        n = min(n + step, len(names))
        order.update(names[:n])
        assert [names[i] for i in order.by_place] == sorted(names[:n])
        ids = np.array(rng.sample(range(n), min(n, 50)))
        assert [names[i] for i in order.sort(ids)] == sorted(names[i] for i in ids)


def test_a_few_term_ids_of_a_large_vocabulary_are_ordered_alone_as_by_the_ranks():
    import random
    from types import SimpleNamespace

    rng = random.Random(11)
    names = list(dict.fromkeys("".join(rng.choice("абвгґеєёжыіїэ'") for _ in range(6))
                               for _ in range(3000)))
    vocab = SimpleNamespace(names=names)
    for k in (1, 5, 100, len(names)):  # sorted alone, then by the vocabulary's TermOrder
        ids = np.array(rng.sample(range(len(names)), k))
        got = term_order.in_string_order(vocab, ids)
        assert [names[i] for i in got] == sorted(names[i] for i in ids)
    assert hasattr(vocab, "_term_order")  # the last one was ordered by the ranks
