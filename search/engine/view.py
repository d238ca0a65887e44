"""One Whoosh searcher seen as arrays over its global document numbers (segments side by side)."""

import math

import numpy as np

from search.engine import arrays
from search.engine.arrays import ArrayCache
from search.engine.sidecar import open_sidecar
from search.ingest import copies, dedup, readback
from search.query.plan import Term


class IndexView:
    """Arrays of one searcher: postings per term, field lengths, dates, codes, live documents.

    Per-segment arrays come from the shared cache (a commit reads only its new segments);
    what spans all segments is kept here, for as long as this searcher is current.
    """

    def __init__(self, searcher, cache: ArrayCache):
        self.searcher = searcher
        self.cache = cache
        self.leaves = [(sub.ixreader, offset) for sub, offset in searcher.leaf_searchers()]
        self.size = searcher.doc_count_all()
        self._whole: dict = {}
        self.vocab: dict[str, dict[str, int]] = {"lang": {"": 0}, "site": {"": 0}}

    def _seg(self, reader) -> str:
        return reader._segment.segment_id()

    def _joined(self, key, per_segment, dtype):
        if key not in self._whole:
            parts = [per_segment(r) for r, _ in self.leaves]
            self._whole[key] = np.concatenate(parts) if parts else np.zeros(0, dtype)
        return self._whole[key]

    def live(self) -> np.ndarray:
        """True for every document that is not deleted."""
        return self._joined("live", lambda r: self.cache.get(
            ("live", self._seg(r), r._segment.deleted_count()), lambda: readback.read_live(r)),
            bool)

    def lengths(self, field: str) -> np.ndarray:
        return self._joined(("len", field), lambda r: self.cache.get(
            ("len", self._seg(r), field), lambda: readback.read_lengths(r, field)), np.float32)

    def dates(self) -> np.ndarray:
        return self._joined("date", lambda r: self.cache.get(
            ("date", self._seg(r)), lambda: arrays.read_dates(r)), np.int64)

    def periods(self) -> np.ndarray:
        """Per document: 1 for a year-only date, 2 for a month-only one, else 0."""
        return self._joined("period", lambda r: self.cache.get(
            ("period", self._seg(r)), lambda: arrays.read_periods(r)), np.int8)

    def copies(self) -> tuple[np.ndarray, np.ndarray]:
        """(cluster label per document, True where the document has near-duplicates)."""
        if "copies" not in self._whole:
            stored = self._stored_copies()
            if stored is not None:  # written by the commit's writer (search/ingest/copies.py)
                self._whole["copies"] = stored
                return stored
            # An index written before those files, or a commit that could not write one.
            parts = [self.cache.get(("near", self._seg(r)), lambda r=r: readback.read_near(r))
                     for r, _ in self.leaves]
            sigs = (np.concatenate([p[0] for p in parts]) if parts
                    else np.zeros((0, dedup.PERMS), np.uint32))
            has = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, bool)
            label = dedup.clusters(sigs, has & self.live())
            sizes = np.bincount(label, minlength=len(label))
            self._whole["copies"] = (label, sizes[label] > 1)
        return self._whole["copies"]

    def _stored_copies(self):
        if not self.leaves:
            return None
        storage = self.leaves[0][0]._storage
        folder = getattr(getattr(storage, "b", storage), "folder", None)
        segments = [(r._segment.segment_id(), r.doc_count_all(), r._segment.deleted_count())
                    for r, _ in self.leaves]
        return copies.load(folder, self.searcher.ixreader.generation(), segments) \
            if folder else None

    def codes(self, column: str) -> np.ndarray:
        """A string column as codes into self.vocab[column] (0 is the empty string)."""
        # Codes are per view: each segment's values are mapped into one vocabulary.
        vocab = self.vocab[column]

        def segment_codes(r):
            # Read once per segment (a commit must not re-read a big segment's column), then
            # renumbered into this view's vocabulary.
            local, names = self.cache.get(("codes", self._seg(r), column),
                                          lambda: _local_codes(r, column))
            remap = np.array([vocab.setdefault(n, len(vocab)) for n in names], np.int32)
            return remap[local] if len(local) else local

        return self._joined(("codes", column), segment_codes, np.int32)

    def warm(self, fields) -> None:
        """Read now what every query needs: masks, columns, lengths and the segments' arrays."""
        self.live(), self.dates(), self.codes("lang"), self.codes("site")
        for field in fields:
            self.lengths(field)
        for reader, _ in self.leaves:
            self.cache.sidecar(self._seg(reader), lambda r=reader: open_sidecar(r))

    def _segment_postings(self, reader, term: Term) -> arrays.Postings:
        seg = self._seg(reader)
        sidecar = self.cache.sidecar(seg, lambda: open_sidecar(reader))
        if sidecar is not None:
            return sidecar.postings(term.field, term.text) or arrays.NO_POSTINGS
        # A segment written before sidecars existed: Whoosh's blocks, read once and cached.
        return self.cache.get(("post", seg, term.field, term.text),
                              lambda: arrays.read_postings(reader, term.field, term.text))

    def postings(self, term: Term) -> tuple[np.ndarray, np.ndarray]:
        """(global document numbers, ascending; weights) of a term across all segments."""
        ids, weights = [], []
        for reader, offset in self.leaves:
            i, w, _, _ = self._segment_postings(reader, term)
            if len(i):
                ids.append(i + offset if offset else i)
                weights.append(w)
        if len(ids) == 1:
            return ids[0], weights[0]
        if not ids:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        return np.concatenate(ids), np.concatenate(weights)

    def union(self, parts: list[np.ndarray]) -> np.ndarray:
        """Sorted distinct documents of several posting lists."""
        parts = [p for p in parts if len(p)]
        if len(parts) <= 1:
            return parts[0] if parts else np.zeros(0, np.int64)
        if sum(map(len, parts)) > self.size // 128:
            has = np.zeros(self.size, bool)  # many postings: a pass over a mask beats a sort
            for p in parts:
                has[p] = True
            return np.flatnonzero(has)
        return np.unique(np.concatenate(parts))

    def avg_length(self, field: str) -> float:
        if ("avg", field) not in self._whole:
            self._whole["avg", field] = self.searcher.avg_field_length(field) or 1
        return self._whole["avg", field]

    def bm25(self, term: Term, k1: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        """(documents, BM25 score times the term's boost), as Whoosh's BM25F scorer gives it."""
        ids, w = self.postings(term)
        if not len(ids):
            return ids, np.zeros(0)
        return ids, self.bm25_of(term, len(ids), ids, w, k1, b)

    def bm25_of(self, term: Term, df: int, docs: np.ndarray, w: np.ndarray, k1: float,
                b: float) -> np.ndarray:
        """BM25 times boost of a term with df postings, in docs where it weighs w."""
        # Whoosh's idf: a term's postings in every segment, deleted documents included.
        return bm25_formula(self.size, df, w, self.lengths(term.field)[docs],
                            self.avg_length(term.field), k1, b, term.boost)

    def positions(self, term: Term, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(document, position) of every occurrence of term in the given sorted documents."""
        out_docs, out_pos = [], []
        ends = [offset for _, offset in self.leaves[1:]] + [self.size]
        for (reader, offset), end in zip(self.leaves, ends, strict=True):
            local = docs[(docs >= offset) & (docs < end)] - offset
            if not len(local):
                continue
            ids, _, positions, starts = self._segment_postings(reader, term)
            if not len(ids):
                continue
            at = np.minimum(np.searchsorted(ids, local), len(ids) - 1)
            found = ids[at] == local
            at, have = at[found], local[found]
            begin = starts[at].astype(np.int64)
            counts = starts[at + 1].astype(np.int64) - begin
            first = np.repeat(begin - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
            out_docs.append(np.repeat(have + offset, counts))
            out_pos.append(positions[first + np.arange(int(counts.sum()))])
        if not out_docs:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        return np.concatenate(out_docs).astype(np.int64), np.concatenate(out_pos)


def bm25_formula(size: int, df: int, w: np.ndarray, fl: np.ndarray, avg: float, k1: float,
                 b: float, boost: float) -> np.ndarray:
    """Whoosh's BM25F of a term in df of size documents, where it weighs w in fields of
    length fl (average avg), times boost: the one formula of the embedded engine and the
    cluster's rescoring (search/cluster/rescore.py)."""
    idf = math.log(size / (df + 1)) + 1
    w = w.astype(np.float64)
    norm = k1 * ((1 - b) + b * fl.astype(np.float64) / avg)
    return idf * (w * (k1 + 1)) / (w + norm) * boost


def _local_codes(reader, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A segment's column as codes into its own value list, and that list."""
    names: dict[str, int] = {"": 0}
    codes = arrays.read_codes(reader, column, names)
    return codes, np.array(list(names), dtype=object)
