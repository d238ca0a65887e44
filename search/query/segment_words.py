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
from pathlib import Path

import numpy as np

from search import segfile
from search.morph import LANGS
from search.query.surface import Surfaces, shown_forms
from search.schema import KINDS
from search.text import STOP_WORDS, fold, normalize

EXT = ".lex"
# 3: the layout inside a header dict (search/segfile.py); 4: surface forms (surface.py)
MAGIC = b"newsearch-lex-4\n"
FIELDS = {f"{kind}_{lang}": lang for lang in LANGS for kind in KINDS}
LANG_BIT = {lang: 1 << i for i, lang in enumerate(LANGS)}
STOP_ARRAY = np.array(sorted(STOP_WORDS))
SHORT_PREFIX = 3  # prefixes up to this long have their best terms stored
KEEP_TOP = 40  # best terms stored per short prefix and language (callers ask for 20 at most)
MIN_LEN = 3  # shorter terms are prepositions and particles, not worth completing
MAX_SEGMENTS = 256  # segment tables kept mapped per process
MAX_GRAM_LEN = 40  # longer terms are not in the bigram index (never corrected)
PAD_START, PAD_END = 1, 2  # "^" and "$" of bigrams(), as code points no term has


def norm_title(title: str) -> str:
    return " ".join(fold(normalize(w)) for w in title.split())


def completable(term: str) -> bool:
    """Whether a term may be offered as a completion (long enough, no digits, no stop word)."""
    return len(term) >= MIN_LEN and not term.isdigit() and term not in STOP_WORDS


def bigrams(word: str) -> set[str]:
    padded = f"^{word}$"
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


# ---- writing ---------------------------------------------------------------------------------

def _strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The strings' UTF-8 bytes end to end, and each one's start (then the end), without a
    Python step per string: byte offsets from the code points' UTF-8 widths."""
    joined = "".join(values)
    data = np.frombuffer(joined.encode("utf-8"), np.uint8)
    chars = np.zeros(len(values) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, values), np.int64, len(values)), out=chars[1:])
    if len(data) == len(joined):  # ASCII: a byte a character
        return data, chars
    cps = np.frombuffer(joined.encode("utf-32-le"), "<u4")
    width = 1 + (cps >= 0x80).astype(np.int64) + (cps >= 0x800) + (cps >= 0x10000)
    ends = np.zeros(len(cps) + 1, np.int64)
    np.cumsum(width, out=ends[1:])
    return data, ends[chars]


def _codepoints(words: np.ndarray, width: int) -> np.ndarray:
    """Words (a numpy str array) as a (len, width) int64 matrix of code points, 0 past each
    word's end (cut at width)."""
    return words.astype(f"<U{width}").view(np.uint32).reshape(len(words), width).astype(
        np.int64)


def gram_key(gram: str, length: int) -> int:
    """The integer key of a bigram of bigrams() in terms of a length ("^" and "$" pad)."""
    first = PAD_START if gram[0] == "^" else ord(gram[0])
    second = PAD_END if gram[1] == "$" else ord(gram[1])
    return (length << 42) | (first << 21) | second


def prefix_key(prefix: str) -> int:
    return sum(ord(c) << (21 * (len(prefix) - 1 - j)) for j, c in enumerate(prefix))


def _csr(keys: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct keys, their starts and the end, ids) of ids sorted by key."""
    distinct, starts = np.unique(keys, return_index=True)
    return distinct, np.append(starts, len(keys)).astype(np.int64), ids.astype(np.int32)


def _grams(terms: np.ndarray, lengths: np.ndarray) -> tuple:
    """Bigram index of the alphabetic terms: key (length, bigram) → term ids (numpy, no loop
    per bigram: a segment of 100k documents has ~160k terms and ~1.5M bigrams)."""
    ids = np.flatnonzero(np.strings.isalpha(terms) & (lengths <= MAX_GRAM_LEN))
    if not len(ids):
        return _csr(np.zeros(0, np.int64), np.zeros(0, np.int64))
    n = lengths[ids]
    width = int(n.max())
    padded = np.zeros((len(ids), width + 2), np.int64)
    padded[:, 0] = PAD_START
    padded[:, 1:width + 1] = _codepoints(terms[ids], width)
    padded[np.arange(len(ids)), n + 1] = PAD_END
    keys = (n[:, None] << 42) | (padded[:, :-1] << 21) | padded[:, 1:]
    valid = np.arange(width + 1)[None, :] <= n[:, None]  # the n + 1 bigrams of ^term$
    k, t = keys[valid], np.broadcast_to(ids[:, None], keys.shape)[valid]
    order = np.lexsort((t, k))
    k, t = k[order], t[order]
    first = np.ones(len(k), bool)
    first[1:] = (k[1:] != k[:-1]) | (t[1:] != t[:-1])  # a term once per bigram (a set)
    return _csr(k[first], t[first])


def _tops(terms: np.ndarray, lengths: np.ndarray, counts: np.ndarray,
          langs: np.ndarray, hidden: np.ndarray) -> dict[str, np.ndarray]:
    """The KEEP_TOP most frequent completable terms of every 1–3 letter prefix, per language
    and for all, hidden ones left out: columns tops_<lang|all>_<k>_{keys,ptr,ids}."""
    cols = {}
    # completable(), for all terms at once
    ok = (lengths >= MIN_LEN) & ~np.strings.isdigit(terms)
    if len(terms):  # the stop words among the terms, which are sorted
        at = np.minimum(np.searchsorted(terms, STOP_ARRAY), len(terms) - 1)
        ok[at[terms[at] == STOP_ARRAY]] = False
    ok &= hidden == 0
    prefixes = _codepoints(terms, SHORT_PREFIX)
    for k in range(1, SHORT_PREFIX + 1):
        sel = np.flatnonzero(ok & (lengths > k))
        cp = prefixes[sel, :k]
        packed = sum((cp[:, j] << (21 * (k - 1 - j)) for j in range(k)),
                     np.zeros(len(sel), np.int64))
        for lang, bit in (("all", 0xFF), *((x, LANG_BIT[x]) for x in LANGS)):
            mine = (langs[sel] & bit) != 0
            ids, keys = sel[mine], packed[mine]
            # By prefix, then frequency and term, both descending (terms are sorted).
            order = np.lexsort((-ids, -counts[ids], keys))
            ids, keys = ids[order], keys[order]
            distinct, starts = np.unique(keys, return_index=True)
            sizes = np.diff(np.append(starts, len(keys)))
            rank = np.arange(len(keys)) - np.repeat(starts, sizes)
            keep = rank < KEEP_TOP
            name = f"tops_{lang}_{k}"
            cols[f"{name}_keys"], cols[f"{name}_ptr"], cols[f"{name}_ids"] = _csr(
                keys[keep], ids[keep])
    return cols


def build(freq: dict[str, int], langs: dict[str, int], titles: list[tuple[str, int]],
          surfaces: Surfaces | None = None) -> dict[str, np.ndarray]:
    """The columns of a segment's table from term → documents, term → language bits,
    (title, docnum) pairs and the words of its documents as written."""
    terms = sorted(freq)
    shown, never = shown_forms(surfaces or Surfaces(), freq, langs, LANG_BIT)
    counts = np.fromiter(map(freq.__getitem__, terms), np.int32, len(terms))
    bits = np.fromiter(map(langs.__getitem__, terms), np.uint8, len(terms))
    lengths = np.fromiter(map(len, terms), np.int64, len(terms))
    cols = {"freq": counts, "langs": bits}
    cols["terms"], cols["terms_off"] = _strings(terms)
    array = np.array(terms, dtype=f"<U{max(1, int(lengths.max(initial=1)))}")
    cols["grams_keys"], cols["grams_ptr"], cols["grams_ids"] = _grams(array, lengths)
    for lang in LANGS:  # per language: «Москви» is not how Russian texts write москва
        rows = [shown.get((lang, t), ("", "", 0)) for t in terms]
        cols[f"shown_{lang}"], cols[f"shown_{lang}_off"] = _strings([r[0] for r in rows])
        cols[f"cased_{lang}"], cols[f"cased_{lang}_off"] = _strings(
            [r[1] if r[1] != t else "" for r, t in zip(rows, terms, strict=True)])
        cols[f"written_{lang}"] = np.array([r[2] for r in rows], np.int32)
    cols["hidden"] = np.array([t in never for t in terms], np.uint8)
    cols.update(_tops(array, lengths, counts.astype(np.int64), bits, cols["hidden"]))
    rows = sorted((norm_title(t), t, d) for t, d in titles if t)
    cols["tnorm"], cols["tnorm_off"] = _strings([r[0] for r in rows])
    cols["title"], cols["title_off"] = _strings([r[1] for r in rows])
    cols["title_doc"] = np.array([r[2] for r in rows], np.int32)
    return cols


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
        surfaces.add_text(f.get("lang"), f.get("title") or "")
        surfaces.add_text(f.get("lang"), f.get("body") or "")
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
