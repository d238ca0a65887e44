"""A merge's stored fields, lengths, columns and word table (search/ingest/merge_docs.py) are
byte for byte those of Whoosh's per-document writer fed a document at a time."""

import numpy as np
import pytest
from whoosh.columns import PickleColumn
from whoosh.filedb.filestore import FileStorage

from search.ingest import codec as arrays_codec
from search.ingest import merge, store
from search.morph import LANGS
from search.query.surface import LEDE, Surfaces
from search.text import MAX_WORD, WORD_RE
from tests.test_bulk_writer import _docs
from tests.test_merge import _index


def _whoosh_copy_docs(storage, schema, segment, readers, docmaps, exact, side):
    """What merge.py did before merge_docs.py: the codec's per-document writer, a value at a
    time (stored dicts unpickled and pickled again, every text split whole)."""
    perdoc = store.codec().per_document_writer(storage, segment)
    names = sorted(schema.names())
    for name in exact:
        if name not in side.counted:
            for r, m in zip(readers, docmaps, strict=True):
                keep = m >= 0
                exact[name][m[keep]] = merge.read_lengths(r, name)[keep].astype(np.int64)
    lengths = {n: a.tolist() for n, a in exact.items()}
    for r, m in zip(readers, docmaps, strict=True):
        cols = {}
        for name in names:
            ctype = schema[name].column_type
            if ctype and r.has_column(name):
                c = r.column_reader(name, ctype)
                cols[name] = c.raw_column() if hasattr(c, "raw_column") else c
        new = m.tolist()
        for docnum, stored in r.iter_docs():
            doc = new[docnum]
            perdoc.start_doc(doc)
            for name in names:
                length = lengths[name][doc] if name in lengths else 0
                value = stored.get(name)
                if value is not None or length:
                    perdoc.add_field(name, schema[name], value, length)
                if name in cols:
                    perdoc.add_column_value(name, schema[name].column_type, cols[name][docnum])
            perdoc.finish_doc()
    perdoc.close()
    sid = segment.segment_id()
    return arrays_codec._titles.pop(sid, []), arrays_codec._surfaces.pop(sid, None)


def _files(storage, segment) -> dict[str, bytes]:
    """The files inside the segment's compound file, by name past the segment id."""
    inner, prefix = segment.open_compound_file(storage), segment.segment_id()
    out = {}
    for name in inner.list():
        f = inner.open_file(name)
        out[name[len(prefix):]] = bytes(f.read())
        f.close()
    inner.close()
    return out


@pytest.mark.parametrize(("bulk", "level"), [(True, None), (False, None), (False, 3)])
def test_merged_files_are_whoosh_writers(tmp_path, monkeypatch, bulk, level):
    """level: the sources' stored fields deflated otherwise (then deflated again)."""
    docs = _docs(150, seed=12)
    gone = {f"d{i}" for i in range(0, 100, 6)}
    with monkeypatch.context() as m:
        if level is not None:
            m.setattr(arrays_codec, "_STORED", PickleColumn(arrays_codec._DeflatedBytes(level)))
        ix = _index(tmp_path / "ix", [docs[:50], docs[50:100], docs[100:]], bulk=bulk,
                    delete=gone)
    toc = ix._read_toc()
    assert len(toc.segments) > 2 and ix.reader().doc_count() < ix.reader().doc_count_all()
    written = {}
    for name, copy in (("ours", merge.copy_docs), ("whoosh", _whoosh_copy_docs)):
        monkeypatch.setattr(merge, "copy_docs", copy)
        out = FileStorage(str(tmp_path / name), supports_mmap=False).create()
        seg = merge.merge(ix.storage, toc.schema, store.codec(), ix.indexname, toc.segments, out)
        written[name] = (seg, _files(out, seg))
    (ours, a), (whoosh, b) = written["ours"], written["whoosh"]
    assert ours.doc_count() == len(docs) - len(gone)
    assert a.keys() == b.keys() and "._stored.col" in a and ".lex" in a
    assert [k for k in a if a[k] != b[k]] == []
    assert list(ours._fieldlengths.items()) == list(whoosh._fieldlengths.items())


LONG_RU = ("Президент России заявил, что переговоры продолжатся. Министр обороны "
           "д'Артаньян-младший прибыл в Москву! ") * 40
LONG_UK = ("Уряд ухвалив бюджет на наступний рік: видатки на оборону зростуть. «Київ» "
           "і Зеленського обговорюють знову? ") * 40


@pytest.mark.parametrize(("lang", "text"), [
    ("ru", ""),
    ("ru", "Короткий заголовок"),
    ("uk", "Короткий заголовок у три слова"),
    ("ru", LONG_RU),
    ("uk", LONG_UK),
    ("uk", LONG_UK.replace(" ", "\n")),  # no space at all: split whole
    ("ru", "слово-" * 2000),  # one hyphenated word far past the first cut
    ("ru", ("ab" * (MAX_WORD + 1) + " ") * 30 + LONG_RU),  # junk past MAX_WORD first
    ("uk", "Бюдже\u0301т шко\u00adла " * (LEDE + 1)),
    ("uk", "слово " * LEDE),  # exactly LEDE words: the whole text counts
    # LEDE words, then junk across the first cut (10 * LEDE characters): a piece of it
    # would be word LEDE + 1, the whole of it is no word, and the text counts whole.
    ("ru", "абвгдежзи " * 140 + "абвгдежз " * 10 + ". " + "я" * 200),
    ("ru", "слово " * (LEDE + 1) + "Конец."),
    ("ru", "абвгдежзий " * 300),  # the first cut holds fewer than LEDE words: cut again
    (None, LONG_RU),  # no language: counted in each
])
def test_add_text_counts_as_the_whole_texts_words(lang, text):
    # add_text splits only as far as the lede: the counts are those of every word of the text.
    whole, lede = Surfaces(), Surfaces()
    words = [w for w in WORD_RE.findall(text) if len(w) <= MAX_WORD]
    for la in (lang,) if lang in LANGS else LANGS:
        if text:
            whole.add(la, words, text)
    lede.add_text(lang, text)
    assert lede.words == whole.words
    assert lede.initial == whole.initial
