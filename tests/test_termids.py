"""A process's vocabulary (written forms → lemma tuples → term ids), shared by its builders;
the builder's word pattern."""

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from search import morph
from search.ingest import store, term_order, termids
from search.ingest import words as ingest_words
from search.ingest.bulk import BulkWriter
from search.ingest.indexer import document_fields
from search.text import WORD_RE
from tests.test_bulk_writer import _docs, _postings


def _fresh():
    termids._local.__dict__.clear()


def test_builders_share_a_vocabulary_until_it_is_full_or_morph_forgets(monkeypatch):
    _fresh()
    v = termids.vocabulary("uk")
    assert termids.vocabulary("uk") is v and termids.vocabulary("ru") is not v
    a, b, c = v["Мости"], v["школи"], v["мости"]
    assert a == c != b and len(v) == 3  # two forms, one lemma tuple
    for form in ("мостів", "школи"):
        s = v[form]
        got = [v.names[t] for t in v.flat[v.start[s]:v.start[s] + v.len[s]]]
        assert tuple(got) == morph.written_lemmas(form, "uk")
    assert termids.vocabulary("uk") is v
    morph.clear_cache()  # another analysis may follow: its lemmas are not the vocabulary's
    assert termids.vocabulary("uk") is not v
    monkeypatch.setattr(termids, "MAX_FORMS", 2)
    w = termids.vocabulary("uk")
    w["мости"], w["школи"]
    assert termids.vocabulary("uk") is not w
    seen = []
    t = threading.Thread(target=lambda: seen.append(termids.vocabulary("ru")))
    t.start()
    t.join()
    assert seen[0] is not termids.vocabulary("ru")  # a thread's builders have their own


def _segments(root, docs):
    store.switch(root, store.new_generation(root))
    w = BulkWriter(store.open_current(root), max_entries=3000, merge=False)
    for d in docs:
        w.add_document(**document_fields(d, "src", "sig"))
    w.commit()
    ix = store.open_current(root)
    out = []
    with ix.reader() as r:
        for leaf, _ in r.leaf_readers():
            ids = {d: leaf.stored_fields(d)["id"] for d in leaf.all_doc_ids()}
            terms = list(leaf.all_terms())
            out.append((terms, [_postings(leaf, f, t, ids) for f, t in terms]))
    return out


def test_segments_are_the_same_from_a_fresh_or_a_used_vocabulary(tmp_path):
    """Term ids of a vocabulary that knows other words first (and several segments, uk and
    ru, written from one vocabulary) give the same terms and postings as a fresh one."""
    docs = _docs(160, seed=7)
    _fresh()
    fresh = _segments(tmp_path / "a", docs)
    _fresh()
    for lang in ("uk", "ru"):
        v = termids.vocabulary(lang)
        for word in ("Зовсім", "інші", "слова", "спершу", "вовсе", "другие", "сначала"):
            v[word]
    used = _segments(tmp_path / "b", docs)
    assert len(fresh) > 2
    assert used == fresh


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="аб'’ʼ‘`´-‐‑_ .,1zé\u0130\u00df\u2019«»\n\u0301\u00ad\U0001d400\U0001f600",
               max_size=60))
def test_the_builders_words_are_the_tokenizers(text):
    """words.py's faster pattern (texts without characters past the first plane), or
    WORD_RE itself."""
    assert ingest_words.words_of(text) == WORD_RE.findall(text)


def test_the_builders_pattern_knows_every_character_of_the_first_plane():
    for c in map(chr, range(0x10000)):
        for text in (c, f"а{c}б", f"{c}-{c}", f"x'{c}", f"{c}\u0301"):
            assert ingest_words._PLANE0_WORD.findall(text) == WORD_RE.findall(text), hex(ord(c))


def test_the_word_tables_terms_are_the_codecs_per_field_sums():
    """Fields of two languages sharing terms ("2024", "nato"): documents summed, bits OR'd,
    as codec.write_lexicon counts the sidecar's (field, term) spans (term_order.sorted_terms)."""
    import numpy as np

    from search.query.word_columns import LANG_BIT

    _fresh()
    uk, ru = termids.vocabulary("uk"), termids.vocabulary("ru")
    fields = {"title_uk": (uk, ["Мости", "2024", "NATO"]), "body_uk": (uk, ["мости", "2024"]),
              "body_ru": (ru, ["мосты", "2024", "НАТО", "nato"])}
    spans, groups = {}, []
    for i, (field, (v, words)) in enumerate(fields.items()):
        for w in words:
            v[w]
        terms = sorted({v.names[t] for w in words
                        for t in v.flat[v.start[v[w]]:v.start[v[w]] + v.len[v[w]]]})
        docs = np.arange(1, len(terms) + 1) + i
        spans.update({(field, t): (0, int(d)) for t, d in zip(terms, docs, strict=True)})
        ids = np.array([v.ids[t] for t in terms])
        groups.append((LANG_BIT[field[-2:]], v, ids, docs))
    freq, langs = {}, {}
    for (field, term), (a, b) in spans.items():
        freq[term] = freq.get(term, 0) + b - a
        langs[term] = langs.get(term, 0) | LANG_BIT[field[-2:]]
    got = term_order.sorted_terms(groups)
    assert got.terms == sorted(freq)
    assert dict(zip(got.terms, got.counts.tolist(), strict=True)) == freq
    assert dict(zip(got.terms, got.bits.tolist(), strict=True)) == langs
    assert langs["2024"] == LANG_BIT["uk"] | LANG_BIT["ru"]
