"""A process's vocabulary (written forms → lemma tuples → term ids), shared by its builders;
the builder's word pattern."""

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from search import morph
from search.ingest import segment, store, termids
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
@given(st.text(alphabet="аб'’ʼ‘`´-‐‑_ .,1zé\u0130\u00df\u2019«»\n", max_size=60))
def test_the_builders_plain_pattern_finds_the_words_the_tokenizer_does(text):
    """Texts without combining marks or soft hyphens: segment.py's faster pattern."""
    assert segment._PLAIN_WORD.findall(text) == WORD_RE.findall(text)
