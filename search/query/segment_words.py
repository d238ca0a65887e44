"""Per-segment word tables for spelling and completion, written by the writer, mapped by readers.

Each Whoosh segment gets one more file, `<segment>.lex`, written when the segment is (by the
codec, search/engine/sidecar.py): its lemma terms sorted with document frequencies and
languages, a bigram index of them (spelling), the best terms of every 1–3 letter prefix
(completion) and its sorted titles. Segments never change, so a reader maps each segment's
file once; an index generation is a Lexicon over its segments' files (lexicon.py).
A commit therefore costs a reader one small new file, never a rebuild of whole-index tables.
"""

import bisect
import threading
from collections import Counter, OrderedDict
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from search import segfile
from search.morph import LANGS
from search.query.surface import Surfaces, shown_forms
from search.query.word_columns import (
    LANG_BIT,
    MIN_LEN,
    gram_key,
    grams,
    prefix_key,
    strings,
    tops,
)
from search.schema import KINDS
from search.text import STOP_WORDS, fold, normalize

EXT = ".lex"
# 3: the layout inside a header dict (search/segfile.py); 4: surface forms (surface.py)
MAGIC = b"newsearch-lex-4\n"
FIELDS = {f"{kind}_{lang}": lang for lang in LANGS for kind in KINDS}
MAX_SEGMENTS = 256  # segment tables kept mapped per process


def norm_title(title: str, memo: dict[str, str] | None = None) -> str:
    """A title as the table keys it: each word normalised and folded (memo: word → that, kept
    across the titles of a segment, whose words recur)."""
    memo = {} if memo is None else memo
    return " ".join([memo[w] if w in memo else memo.setdefault(w, fold(normalize(w)))
                     for w in title.split()])


def completable(term: str) -> bool:
    """Whether a term may be offered as a completion (long enough, no digits, no stop word)."""
    return len(term) >= MIN_LEN and not term.isdigit() and term not in STOP_WORDS


def bigrams(word: str) -> set[str]:
    padded = f"^{word}$"
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


# ---- writing ---------------------------------------------------------------------------------

class Sorted(NamedTuple):
    """A word table's terms in string order, as a list and a numpy str array, with each one's
    documents and language bits."""

    terms: list[str]
    array: np.ndarray
    counts: np.ndarray
    bits: np.ndarray


def build(freq: dict[str, int], langs: dict[str, int], titles: list[tuple[str, int]],
          surfaces: Surfaces | None = None) -> dict[str, np.ndarray]:
    """The columns of a segment's table from term → documents, term → language bits,
    (title, docnum) pairs and the words of its documents as written."""
    terms = sorted(freq)
    counts = np.fromiter(map(freq.__getitem__, terms), np.int32, len(terms))
    bits = np.fromiter(map(langs.__getitem__, terms), np.uint8, len(terms))
    width = max(1, max(map(len, terms), default=1))
    return build_sorted(Sorted(terms, np.array(terms, dtype=f"<U{width}"), counts, bits),
                        titles, surfaces, freq, langs)


def build_sorted(s: Sorted, titles: list[tuple[str, int]], surfaces: Surfaces | None = None,
                 freq: dict[str, int] | None = None,
                 langs: dict[str, int] | None = None) -> dict[str, np.ndarray]:
    """build() from the terms already sorted (term_order.py: the bulk builder's), and the
    counts as dicts if the caller has them."""
    terms, array = s.terms, s.array
    counts, bits = s.counts.astype(np.int32), s.bits.astype(np.uint8)
    if freq is None:
        freq = dict(zip(terms, counts.tolist(), strict=True))
        langs = dict(zip(terms, bits.tolist(), strict=True))
    shown, never = shown_forms(surfaces or Surfaces(), freq, langs, LANG_BIT)
    lengths = np.strings.str_len(array).astype(np.int64)
    cols = {"freq": counts, "langs": bits}
    cols["terms"], cols["terms_off"] = strings(terms)
    cols["grams_keys"], cols["grams_ptr"], cols["grams_ids"] = grams(array, lengths)
    by_lang: dict[str, dict] = {}  # lang → term → its row (dict.get per term, in C)
    for (lang, t), row in shown.items():
        by_lang.setdefault(lang, {})[t] = row
    for lang in LANGS:  # per language: «Москви» is not how Russian texts write москва
        if lang not in by_lang:  # (a segment of the other language's texts): no forms
            none = np.frombuffer(b"", np.uint8)
            cols[f"shown_{lang}"], cols[f"shown_{lang}_off"] = none, np.zeros(len(terms) + 1,
                                                                              np.int64)
            cols[f"cased_{lang}"], cols[f"cased_{lang}_off"] = none, np.zeros(len(terms) + 1,
                                                                              np.int64)
            cols[f"written_{lang}"] = np.zeros(len(terms), np.int32)
            continue
        rows = list(map(by_lang[lang].get, terms, repeat(("", "", 0), len(terms))))
        cols[f"shown_{lang}"], cols[f"shown_{lang}_off"] = strings(list(map(itemgetter(0), rows)))
        cols[f"cased_{lang}"], cols[f"cased_{lang}_off"] = strings(
            [r[1] if r[1] != t else "" for r, t in zip(rows, terms, strict=True)])
        cols[f"written_{lang}"] = np.fromiter(map(itemgetter(2), rows), np.int32, len(rows))
    cols["hidden"] = _hidden(array, never)
    cols.update(tops(array, lengths, counts.astype(np.int64), bits, cols["hidden"]))
    memo: dict[str, str] = {}
    rows = sorted((norm_title(t, memo), t, d) for t, d in titles if t)
    cols["tnorm"], cols["tnorm_off"] = strings([r[0] for r in rows])
    cols["title"], cols["title_off"] = strings([r[1] for r in rows])
    cols["title_doc"] = np.array([r[2] for r in rows], np.int32)
    return cols


def _hidden(array: np.ndarray, never: set[str]) -> np.ndarray:
    """1 for each of the sorted terms (a numpy str array) that is in never, else 0."""
    hidden = np.zeros(len(array), np.uint8)
    if never and len(array):
        probe = np.array(sorted(never))
        at = np.minimum(np.searchsorted(array, probe), len(array) - 1)
        hidden[at[array[at] == probe]] = 1
    return hidden


def write(f, cols: dict[str, np.ndarray]) -> None:
    """Write columns to an open (Whoosh storage) file, 8-byte aligned, and close it."""
    segfile.write(f, MAGIC, cols)


def from_reader(reader) -> dict[str, np.ndarray]:
    """The columns of one segment reader's table (for segments written before this file)."""
    freq: Counter = Counter()
    langs: Counter = Counter()
    schema = getattr(reader, "schema", None)
    for name, lang in FIELDS.items():
        if schema is not None and name not in schema:
            continue
        for term, info in reader.iter_field(name):
            term = term.decode("utf-8") if isinstance(term, bytes) else term
            freq[term] += info.doc_frequency()
            langs[term] |= LANG_BIT[lang]
    if hasattr(reader, "doc_count_all"):
        stored = [reader.stored_fields(d) for d in range(reader.doc_count_all())]
    else:  # a cluster's vocabulary (search/cluster/vocab.py): terms only
        stored = list(reader.all_stored_fields())
    surfaces = Surfaces()
    for f in stored:  # the words as the segment's writer counted them
        surfaces.add_stored(f)
    return build(freq, langs, [(f.get("title") or "", d) for d, f in enumerate(stored)],
                 surfaces)


# ---- reading ---------------------------------------------------------------------------------

class Strings:
    """A sorted column of strings as a sequence (bisect works on it), decoded on access."""

    def __init__(self, data: np.ndarray, off: np.ndarray):
        self._data, self._off = data, off

    def __len__(self) -> int:
        return len(self._off) - 1

    def __getitem__(self, i: int) -> str:
        return self._data[self._off[i]:self._off[i + 1]].tobytes().decode("utf-8")

    def find(self, s: str) -> int:
        """The index of s, or -1."""
        i = bisect.bisect_left(self, s)
        return i if i < len(self) and self[i] == s else -1

    def span(self, prefix: str) -> range:
        return range(bisect.bisect_left(self, prefix),
                     bisect.bisect_left(self, prefix + "\U0010ffff"))


class SegmentTable:
    """One segment's table over its columns (views of its mapped file, or built in memory)."""

    def __init__(self, c: dict[str, np.ndarray]):
        self.terms = Strings(c["terms"], c["terms_off"])
        self.freq, self.langs = c["freq"], c["langs"]
        self._grams = (c["grams_keys"], c["grams_ptr"], c["grams_ids"])
        self._tops = {name[:-5]: (c[name], c[name[:-5] + "_ptr"], c[name[:-5] + "_ids"])
                      for name in c if name.startswith("tops_") and name.endswith("_keys")}
        self.tnorm = Strings(c["tnorm"], c["tnorm_off"])
        self.titles = Strings(c["title"], c["title_off"])
        self.title_doc = c["title_doc"]
        # lang → (surface forms, lemmas as written, how often written), by term id
        self.written = {lang: (Strings(c[f"shown_{lang}"], c[f"shown_{lang}_off"]),
                               Strings(c[f"cased_{lang}"], c[f"cased_{lang}_off"]),
                               c[f"written_{lang}"]) for lang in LANGS}
        self.hidden = c["hidden"]

    @staticmethod
    def _list(table, key: int) -> np.ndarray:
        keys, ptr, ids = table
        i = int(np.searchsorted(keys, key))
        return ids[ptr[i]:ptr[i + 1]] if i < len(keys) and keys[i] == key else ids[:0]

    def gram_ids(self, gram: str, length: int) -> np.ndarray:
        return self._list(self._grams, gram_key(gram, length))

    def top_ids(self, prefix: str, lang: str | None) -> np.ndarray:
        table = self._tops.get(f"tops_{lang or 'all'}_{len(prefix)}")
        return self._list(table, prefix_key(prefix)) if table else np.zeros(0, np.int32)

    def lookup(self, term: str) -> int:
        return self.terms.find(term)


_tables: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _segment_path(reader) -> tuple[Path, int, int] | None:
    """(file, offset, length) of a segment reader's table, in its compound file or beside it."""
    segment, storage = reader._segment, reader._storage
    name = segment.make_filename(EXT)
    folder = getattr(getattr(storage, "b", storage), "folder", None)
    if folder is None:
        return None
    path = Path(folder) / name
    if path.exists():  # beside the segment: written by a writer, or rebuilt by a reader
        return path, 0, path.stat().st_size
    compound = getattr(storage, "a", None)
    if compound is not None and compound.file_exists(name):
        offset, length = compound.range(name)
        return Path(folder) / segment.make_filename(segment.COMPOUND_EXT), offset, length
    return None


def segment_table(reader) -> SegmentTable:
    """A segment reader's table: mapped from its file, or (older segments) built and saved."""
    key = (reader._segment.segment_id(), getattr(reader._storage, "folder", None)
           or getattr(getattr(reader._storage, "b", None), "folder", None))
    with _lock:
        if key in _tables:
            _tables.move_to_end(key)
            return _tables[key]
    found = _segment_path(reader)
    if found is not None:
        path, offset, length = found
        buf = np.memmap(path, np.uint8, "r", offset=offset, shape=(length,))
        found = segfile.read(buf, MAGIC)
        table = SegmentTable(found[1]) if found else None
    else:
        table = None
    if table is None:
        table = _save(reader, from_reader(reader))
    with _lock:
        _tables[key] = table
        while len(_tables) > MAX_SEGMENTS:
            _tables.popitem(last=False)
    return table


def _save(reader, cols) -> SegmentTable:
    """Write a table built from a reader beside its segment (best effort), and map it."""
    folder = getattr(getattr(reader._storage, "b", reader._storage), "folder", None)
    if folder is None:
        return SegmentTable(cols)
    final = Path(folder) / reader._segment.make_filename(EXT)
    tmp = final.with_name(f".{final.name}.{threading.get_ident()}")
    try:
        write(open(tmp, "wb"), cols)  # noqa: SIM115 (closed by write)
        tmp.replace(final)  # atomic: another process may be writing the same one
    except OSError:
        tmp.unlink(missing_ok=True)
        return SegmentTable(cols)
    return SegmentTable(segfile.read(np.memmap(final, np.uint8, "r"), MAGIC)[1])


def forget(live_keys) -> None:
    """Unmap tables of segments no longer in use (merged away)."""
    with _lock:
        for key in [k for k in _tables if k not in live_keys]:
            del _tables[key]
