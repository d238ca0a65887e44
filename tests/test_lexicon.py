"""Word tables per segment (segment_words.py): written by the writer, mapped by readers."""

import numpy as np
from whoosh.codec.whoosh3 import W3Codec

from search.ingest import store
from search.ingest.committer import write
from search.query import lexicon, segment_words
from search.query.spelling import suggest_word, vocabulary
from search.query.suggest import complete, complete_title
from tests.web_helpers import build_index

NEW = {"id": "new-1", "title": "Повінь затопила Херсонщину", "lang": "uk",
       "text": "Повінь затопила села на Херсонщині. Рятувальники евакуювали мешканців."}


def _commit(index_dir, ops, merge=True):
    ix = store.open_current(index_dir)
    w = ix.writer()
    write(w, ops)
    w.commit(merge=merge)
    return store.open_current(index_dir)


def _columns_equal(a: segment_words.SegmentTable, b: segment_words.SegmentTable):
    assert [a.terms[i] for i in range(len(a.terms))] == [b.terms[i] for i in range(len(b.terms))]
    assert np.array_equal(a.freq, b.freq) and np.array_equal(a.langs, b.langs)
    assert [a.titles[i] for i in range(len(a.titles))] == [
        b.titles[i] for i in range(len(b.titles))]
    for lang in a.written:  # the surface forms (surface.py) too
        for col_a, col_b in zip(a.written[lang][:2], b.written[lang][:2], strict=True):
            assert [col_a[i] for i in range(len(a.terms))] == [
                col_b[i] for i in range(len(b.terms))]
        assert np.array_equal(a.written[lang][2], b.written[lang][2])
    assert np.array_equal(a.hidden, b.hidden)
    for prefix in ("в", "ви", "міс", "гол"):
        assert list(a.top_ids(prefix, None)) == list(b.top_ids(prefix, None))


def test_writer_writes_the_table_the_reader_would_build(tmp_path):
    index_dir, _ = build_index(tmp_path, 40)
    ix = store.open_current(index_dir)
    with ix.searcher() as s:
        for sub in lexicon.subreaders(s.reader()):
            assert segment_words._segment_path(sub) is not None  # written with the segment
            written = segment_words.segment_table(sub)
            rebuilt = segment_words.SegmentTable(segment_words.from_reader(sub))
            _columns_equal(written, rebuilt)
            assert written.freq[written.lookup("вибори")] == 80  # title and body


def test_a_commit_maps_one_new_table_and_reuses_the_others(tmp_path):
    index_dir, _ = build_index(tmp_path, 30)
    ix = store.open_current(index_dir)
    with ix.searcher() as s:
        before = vocabulary(s.reader())
        old = {t for t, _ in before.parts}
        assert complete(s.reader(), "повін") == []
    ix = _commit(index_dir, [{"put": NEW}], merge=False)
    with ix.searcher() as s:
        after = vocabulary(s.reader())
        tables = [t for t, _ in after.parts]
        assert len(tables) == 2 and len(old & set(tables)) == 1  # the old one, not rebuilt
        assert complete(s.reader(), "повін") == ["повінь"]
        assert complete_title(s.reader(), "повінь зат") == [NEW["title"]]
        assert after.freq["вибори"] == 60 and after.has("херсонщина", ("uk",))
        assert suggest_word(s.reader(), "повыні", ("uk",)) is not None


def test_deleted_documents_titles_are_not_offered(tmp_path):
    index_dir, _ = build_index(tmp_path, 10)
    _commit(index_dir, [{"put": NEW}], merge=False)
    ix = _commit(index_dir, [{"delete": "new-1"}], merge=False)
    with ix.searcher() as s:
        assert complete_title(s.reader(), "повінь") == []
        assert complete_title(s.reader(), "новина 3") == ["Новина 3: вибори у місті"]


def test_segments_written_before_tables_get_one_built_and_saved(tmp_path):
    index_dir = tmp_path / "index"
    ix = store.open_current(index_dir)
    w = ix.writer(codec=W3Codec())  # Whoosh's own codec, as indexes written before tables
    write(w, [{"put": {**NEW, "id": f"old-{i}"}} for i in range(12)])
    w.commit()
    folder = store.current_path(index_dir)
    with store.open_current(index_dir).searcher() as s:
        sub = lexicon.subreaders(s.reader())[0]
        assert segment_words._segment_path(sub) is None
        table = segment_words.segment_table(sub)
        assert table.freq[table.lookup("повінь")] == 24  # title and body
        assert (folder / sub._segment.make_filename(segment_words.EXT)).exists()
        assert complete(s.reader(), "херсонщ") == ["херсонщина"]
