"""One Whoosh segment built in bulk: postings as numpy arrays, written through Whoosh's codec.

Whoosh's own writer spends Python time on every posting (a token object per word, a pickled
value, a pool tuple, a block append). Here a document's text fields become three arrays (term
id, position, boost) from a per-word cache; at the end one stable sort groups them into
postings, the positions values are laid out as bytes with numpy, and Whoosh's postings file is
written a block at a time. The sidecar arrays (search/ingest/codec.py) come from the same
buffers. Fields this module does not recognise go through Whoosh's own field.index().
"""

import weakref
from array import array
from collections import defaultdict

import numpy as np
from whoosh.formats import PositionBoosts
from whoosh.system import pack_ushort

from search.ingest import codec as sidecar
from search.ingest import collector, w3other
from search.ingest.term_order import in_string_order, sorted_terms
from search.ingest.termids import Vocabulary, vocabulary
from search.ingest.w3bulk import FieldWriter, add_rows, info_bytes, write_terms
from search.ingest.w3docs import DocColumns
from search.ingest.w3postings import (
    Postings,
    SidecarParts,
    close_quietly,
    stable_order,
)
from search.ingest.words import fast_language, words_of
from search.query.segment_words import FIELDS
from search.query.surface import Surfaces
from search.query.word_columns import LANG_BIT
from search.text import MAX_WORD


class SegmentBuilder:
    """Documents (field dicts) buffered as arrays, then written as one segment."""

    def __init__(self, schema, storage, codec, indexname):
        self.schema, self.storage, self.codec = schema, storage, codec
        self.segment = codec.new_segment(storage, indexname)
        self._docs = DocColumns(storage, self.segment)  # stored fields, lengths, columns
        self._titles: list[tuple[str, int]] = []  # (stored title, document) for the word table
        self._fw = None
        self.fast = {name: lang for name, f in schema.items() if (lang := fast_language(f))}
        self._index = {name: w3other.indexer(f) for name, f in schema.items()}  # field.index
        self.docs = 0
        self.entries = 0  # positions buffered: the builder's memory is about 20 bytes each
        self._vocab: dict[str, Vocabulary] = {}  # the process's, per language (termids.py)
        # Per text analysed: its field, then its entries' term ids (the vocabulary's),
        # documents, positions, and whether each is its word's first lemma.
        self._field, self._key, self._doc, self._pos, self._first = [], [], [], [], []
        self._term_ids: dict[str, np.ndarray] = {}  # a field's term ids, in term order
        self._lengths: dict[str, array] = defaultdict(lambda: array("I"))
        self._other: dict[tuple[str, bytes], list] = defaultdict(list)
        self.surfaces = Surfaces()  # the words as written, for the word table (surface.py)
        collector.start()  # fewer collections until it is written, discarded or dropped
        self._end = weakref.finalize(self, collector.end)

    def _analyse(self, field: str, lang: str, value: str, docnum: int) -> int:
        words = words_of(value)
        if not words:
            return 0
        if (terms := self._vocab.get(lang)) is None:
            terms = self._vocab[lang] = vocabulary(lang)
        # One C-level lookup per word: Python runs only for a word new to this process.
        n = len(words)
        seq = np.fromiter(map(terms.__getitem__, words), np.int32, n)
        if seq.min() < 0:  # (rare) "words" longer than MAX_WORD, which are junk: dropped
            seq = seq[seq >= 0]
            words = [w for w in words if len(w) <= MAX_WORD]
            if not (n := len(words)):
                return 0
        self.surfaces.add(lang, words, value)
        # (Views of the vocabulary's arrays live only inside an expression: an array with a
        # view cannot grow, and the vocabulary outlives this builder, whatever raises here.)
        counts = np.frombuffer(terms.len, np.int32)[seq]
        starts = np.frombuffer(terms.start, np.int32)[seq]
        total = int(counts.sum())
        if total == n:  # one term a word
            keys = np.frombuffer(terms.flat, np.int32)[starts]
            pos, first = np.arange(n, dtype=np.int32), np.ones(n, bool)
        else:
            begin = np.cumsum(counts) - counts
            keys = np.frombuffer(terms.flat, np.int32)[
                np.arange(total, dtype=np.int32) + np.repeat(starts - begin, counts)]
            pos = np.repeat(np.arange(n, dtype=np.int32), counts)
            first = np.zeros(total, bool)
            first[begin] = True
        self._field.append(field)
        self._key.append(keys)
        self._pos.append(pos)
        self._first.append(first)
        self._doc.append(np.full(total, docnum, np.int32))
        self.entries += total
        return total

    def add(self, fields: dict) -> None:
        """Buffer one document, given as Whoosh field values (as document_fields makes)."""
        schema, docnum = self.schema, self.docs
        names = sorted(n for n in fields if not n.startswith("_"))
        unknown = [n for n in names if n not in schema]
        if unknown:
            raise ValueError(f"no field named {unknown[0]!r} in the schema")
        stored, lengths, columns = {}, {}, {}
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                lang = self.fast.get(name)
                if lang is not None and isinstance(value, str):
                    length = self._analyse(name, lang, value, docnum)
                else:
                    for tbytes, freq, weight, vbytes in self._index[name](value):
                        if field.scorable:
                            length += freq
                        self._other[name, tbytes].append((docnum, weight, vbytes))
            if field.stored:
                stored[name] = value
            if length:
                lengths[name] = length
            if field.column_type:
                columns[name] = (field.column_type, field.to_column_value(value))
        self.surfaces.add_unindexed_title(fields)
        for name, length in lengths.items():
            col = self._lengths[name]
            col.extend([0] * (docnum - len(col)))
            col.append(length)
        self._docs.add(docnum, stored, columns)  # stored: in name order, as Whoosh's
        if isinstance(title := stored.get("title"), str):
            self._titles.append((title, docnum))
        self.docs += 1

    def _length(self, field: str, docnum: int) -> int:
        col = self._lengths.get(field)
        return col[docnum] if col is not None and docnum < len(col) else 0

    def write(self):
        """Write the buffered documents' postings and close the segment; return it."""
        storage, segment, schema = self.storage, self.segment, self.schema
        # The words are counted from the analysis (surface.py), not by the codec's writer.
        segment._fieldlengths = self._docs.close(self.docs, self._lengths)
        fw = self._fw = FieldWriter(self.codec, storage, segment)
        postings = self._postings()
        side = SidecarParts()
        boosts = np.array([schema[f].format.field_boost for f in postings.field_names])
        keep = {f for f in postings.field_names if isinstance(schema[f].format, PositionBoosts)}
        side.add_all(postings, boosts[postings.field_idx] if len(boosts) else boosts, keep)
        other = defaultdict(list)
        for field, tbytes in self._other:
            other[field].append(tbytes)
        for field in sorted(postings.ranges.keys() | other.keys()):
            fieldobj = schema[field]
            fw.start_field(field, fieldobj)
            keep = isinstance(fieldobj.format, PositionBoosts)
            lo, hi = postings.ranges.get(field, (0, 0))
            boost = fieldobj.format.field_boost
            if field not in other:  # built here alone: in order (UTF-8 keeps str order)
                keys = [t.encode("utf-8") for _, t in postings.names[lo:hi]]
                infos = write_terms(fw._postfile, postings, boost, postings.spans[lo:hi])
            else:
                terms = [(t.encode("utf-8"), span) for (_, t), span in
                         zip(postings.names[lo:hi], postings.spans[lo:hi].tolist(), strict=True)]
                terms += [(tbytes, None) for tbytes in other[field]]
                terms.sort(key=lambda t: t[0])
                where = [i for i, (_, span) in enumerate(terms) if span is not None]
                found = write_terms(fw._postfile, postings, boost, [terms[i][1] for i in where])
                infos = [None] * len(terms)
                for i, info in zip(where, info_bytes(found), strict=True):
                    infos[i] = info
                # The terms Whoosh analysed, all at once (w3other.py).
                where = [i for i, (_, span) in enumerate(terms) if span is None]
                rows_of = {t: self._other[field, t] for t, span in terms if span is None}
                found = w3other.write_terms(
                    fw._postfile, [terms[i][0] for i in where], rows_of,
                    lambda d, f=field: self._length(f, d), fieldobj.format,
                    side if keep else None, field)
                for i, info in zip(where, found, strict=True):
                    infos[i] = info
                keys = [tbytes for tbytes, _ in terms]
            prefix = pack_ushort(fw._fieldid)
            add_rows(fw._tindex, [prefix + k for k in keys], infos)
            fw.finish_field()
        fw.close()
        side.write(segment.create_file(storage, sidecar.EXT))
        # The spelling and completion table, as Whoosh's own writer leaves it (the codec).
        sidecar.write_lexicon(storage, segment, side.terms,
                              self.surfaces.analysed(set(self.fast.values())),
                              self._lexicon_counts(postings), self._titles)
        segment.set_doc_count(self.docs)
        self._other.clear()
        # One file per segment, as Whoosh's writer leaves it (read through one mapping).
        segment.create_compound_file(storage)
        self._end()  # (after a failure, discard() ends it)
        return segment

    def discard(self) -> None:
        """Close and delete whatever this builder has written (after a failure, say)."""
        self._end()
        files = []
        self._docs.discard()
        fw = getattr(self, "_fw", None)
        if fw is not None:
            files += [fw._postfile, getattr(fw._tindex, "dbfile", None)]
        close_quietly(*files)
        for name in list(self.storage):
            if name.startswith(self.segment.segment_id()):
                try:
                    self.storage.delete_file(name)
                except OSError:
                    pass

    def _postings(self) -> Postings:
        """The buffered positions grouped into postings, ordered by term, document, position."""
        fields = sorted(set(self._field))
        number = {f: i for i, f in enumerate(fields)}
        vocabs = [self._vocab[self.fast[f]] for f in fields]
        # A (field, term) pair as one key: field number × width + the vocabulary's term id.
        width = max((len(v.names) for v in vocabs), default=1)
        codes = np.concatenate([k.astype(np.int64) + number[f] * width
                                for f, k in zip(self._field, self._key, strict=True)]
                               ) if self._key else np.zeros(0, np.int64)
        docs = np.concatenate(self._doc) if self._doc else np.zeros(0, np.int32)
        pos = np.concatenate(self._pos) if self._pos else np.zeros(0, np.int32)
        first = np.concatenate(self._first) if self._first else np.zeros(0, bool)
        self._field, self._key, self._doc, self._pos, self._first = [], [], [], [], []
        used = np.zeros(len(fields) * width, bool)
        used[codes] = True
        # Each field's terms sorted as strings (list.sort's fast path for str, not tuples), the
        # fields in name order: the rank of each (field, term) among the segment's.
        rank = np.empty(len(fields) * width, np.int32)
        names, ranges = [], []  # (field, term) in rank order; (field, its first, its end)
        for f, (field, v) in enumerate(zip(fields, vocabs, strict=True)):
            # In string order, by the vocabulary's ranks kept across the run (term_order.py).
            ids = in_string_order(v, np.flatnonzero(used[f * width:(f + 1) * width]))
            terms = list(map(v.names.__getitem__, ids.tolist()))
            rank[f * width + ids] = np.arange(len(names), len(names) + len(terms), dtype=np.int32)
            self._term_ids[field] = ids
            ranges.append((field, len(names), len(names) + len(terms)))
            names += [(field, t) for t in terms]
        # Entries were buffered in (document, position) order: a stable sort by term keeps it.
        rk = rank[codes]
        del codes, used
        idx = stable_order(rk)
        # (One at a time: each unsorted array goes as its sorted one comes.)
        rk = rk[idx]
        docs = docs[idx]
        pos = pos[idx]
        first = first[idx]
        del idx
        return Postings(rk, docs, pos, first, names, ranges, self)

    def _lexicon_counts(self, postings):
        """The word table's terms, sorted, with their counts from the term ids
        (term_order.sorted_terms), or None when one of its fields has terms Whoosh analysed
        (counted from the sidecar's)."""
        if any(field in FIELDS for field, _ in self._other):
            return None
        return sorted_terms(
            (LANG_BIT[FIELDS[field]], self._vocab[self.fast[field]], self._term_ids[field],
             postings.spans[lo:hi, 1] - postings.spans[lo:hi, 0])
            for field, (lo, hi) in postings.ranges.items() if field in FIELDS)
