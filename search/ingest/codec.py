"""The on-disk format a segment gets beside Whoosh's files: postings arrays and a word table.

Whoosh keeps a term's postings in zlib'd pickles, 128 a block; reading them back costs about
10 ms per 10k postings, which made a query's first use of a frequent word slow. ArraysCodec is
Whoosh's own codec plus a columnar copy of the text fields' postings (document numbers,
weights, word positions) in one more file of the segment (EXT), which the engine maps into
memory (search/engine/sidecar.py), and the segment's word table (search/query/segment_words.py).
Whoosh pickles the codec with each segment: segments written before this module existed name
it search.engine.sidecar.ArraysCodec, which that module still exports.
"""

from array import array

import numpy as np
from isal import isal_zlib
from whoosh import columns
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PerDocWriter
from whoosh.formats import PositionBoosts

from search import segfile
from search.query import segment_words
from search.query.surface import Surfaces

EXT = ".npa"
MAGIC = b"newsearch-arr-1\n"


class ArraysCodec(W3Codec):
    """Whoosh's W3 codec that also writes the sidecar of postings arrays."""

    def field_writer(self, storage, segment):
        return ArraysFieldWriter(self, storage, segment)

    def per_document_writer(self, storage, segment):
        return TitlesPerDocWriter(self, storage, segment)


# Titles and words a segment's per-document writer saw, for its field writer's word table
# (which Whoosh closes second), by segment id.
_titles: dict[str, list[tuple[str, int]]] = {}
_surfaces: dict[str, Surfaces] = {}


class _DeflatedBytes(columns.CompressedBytesColumn):
    """Whoosh's column of compressed bytes, deflated by ISA-L: zlib streams, which Whoosh's
    own reader (W3's stored column) inflates; a quarter of zlib's CPU at level 3 (16m)."""

    class Writer(columns.CompressedBytesColumn.Writer):
        def __init__(self, dbfile, level, module):
            super().__init__(dbfile, level, module)
            self._compress = isal_zlib.compress


STORED_LEVEL = 1  # ISA-L's level for stored fields: 8 % more bytes than zlib's level 3
_STORED = columns.PickleColumn(_DeflatedBytes(STORED_LEVEL))


class TitlesPerDocWriter(W3PerDocWriter):
    """W3PerDocWriter that keeps the stored titles and words, for the segment's word table."""

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._texts: dict[str, str] = {}  # the document's stored title, body and lang

    def _create_column(self, fieldname, column):
        super()._create_column(fieldname, _STORED if fieldname == "_stored" else column)

    def start_doc(self, docnum):
        super().start_doc(docnum)
        if docnum == 0:
            _titles[self._segment.segment_id()] = []
            _surfaces[self._segment.segment_id()] = Surfaces()

    def add_field(self, fieldname, fieldobj, value, length):
        super().add_field(fieldname, fieldobj, value, length)
        if fieldname == "title" and isinstance(value, str):
            _titles.setdefault(self._segment.segment_id(), []).append((value, self._docnum))
        if fieldname in ("title", "body", "lang") and isinstance(value, str):
            self._texts[fieldname] = value

    def finish_doc(self):
        super().finish_doc()
        t, self._texts = self._texts, {}
        surfaces = _surfaces.setdefault(self._segment.segment_id(), Surfaces())
        surfaces.add_stored(t)


class ArraysFieldWriter(W3FieldWriter):
    """W3FieldWriter that keeps what it writes of positional fields, then writes the arrays."""

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._ids, self._weights = array("I"), array("f")
        self._values, self._sizes = bytearray(), array("I")
        self._terms: dict[tuple[str, str], tuple[int, int]] = {}
        self._keep = False

    def start_field(self, fieldname, fieldobj):
        super().start_field(fieldname, fieldobj)
        self._keep = isinstance(fieldobj.format, PositionBoosts)

    def start_term(self, btext):
        super().start_term(btext)
        self._first = len(self._ids)

    def add(self, docnum, weight, vbytes, length):
        super().add(docnum, weight, vbytes, length)
        if self._keep:
            self._ids.append(docnum)
            self._weights.append(weight)
            self._values += vbytes
            self._sizes.append(len(vbytes))

    def finish_term(self):
        super().finish_term()
        if self._keep:
            self._terms[self._fieldname, self._btext.decode("utf-8")] = (self._first,
                                                                         len(self._ids))

    def close(self):
        # The engine's decoder (a lower module for it would end this import from below).
        from search.ingest.readback import decode_positions

        super().close()
        sizes = np.frombuffer(self._sizes, np.uint32).astype(np.int64)
        vstart = np.concatenate([np.zeros(1, np.int64), np.cumsum(sizes)[:-1]])[:len(sizes)]
        positions, starts = decode_positions(np.frombuffer(self._values, np.uint8),
                                             vstart)
        columns = {"ids": np.frombuffer(self._ids, np.uint32).view(np.int32), "weights":
                   np.frombuffer(self._weights, np.float32), "positions": positions,
                   # 4 bytes a posting, not 8, while a segment has under 4G positions
                   "starts": starts.astype(np.uint32) if starts[-1] < 2**32 else starts}
        write_arrays(self._segment.create_file(self._storage, EXT), self._terms, columns)
        self._values = bytearray()
        self._write_lexicon()

    def _write_lexicon(self):
        write_lexicon(self._storage, self._segment, self._terms)


def write_lexicon(storage, segment, terms: dict[tuple[str, str], tuple[int, int]],
                  surfaces: Surfaces | None = None, counts: tuple | None = None,
                  titles: list[tuple[str, int]] | None = None) -> None:
    """The segment's word table for spelling and completion, from its sidecar's term spans
    (postings a..b of each (field, term)), the titles its per-document writer saw and the
    words as written (the bulk builder's, else those the per-document writer counted).
    counts: (term → documents, term → language bits) as they come from terms, or the terms
    already sorted with their counts (segment_words.Sorted), if known; titles: the stored
    titles and their documents, if not those the per-document writer saw."""
    seen = _titles.pop(segment.segment_id(), [])
    titles = seen if titles is None else titles
    counted = _surfaces.pop(segment.segment_id(), None)
    if isinstance(counts, segment_words.Sorted):
        segment_words.write(segment.create_file(storage, segment_words.EXT),
                            segment_words.build_sorted(counts, titles, surfaces or counted))
        return
    if counts is not None:
        freq, langs = counts
    else:
        freq, langs = {}, {}
        for (fieldname, term), (a, b) in terms.items():
            lang = segment_words.FIELDS.get(fieldname)
            if lang is not None:
                freq[term] = freq.get(term, 0) + b - a
                langs[term] = langs.get(term, 0) | segment_words.LANG_BIT[lang]
    segment_words.write(segment.create_file(storage, segment_words.EXT),
                        segment_words.build(freq, langs, titles, surfaces or counted))


def write_arrays(f, terms: dict, columns: dict[str, np.ndarray]) -> None:
    """Write a segment's postings arrays (the EXT file) and close it."""
    segfile.write(f, MAGIC, columns, terms=terms)
