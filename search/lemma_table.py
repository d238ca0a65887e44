"""Every dictionary word's lemmas, worked out once per machine and kept as a DAWG on disk.

A cache in front of morph's dictionary lookup: pymorphy3 costs Python time per reading (its
normal form, its tag's probability), about 0.7 CPU s for the 2k bench's 99k first-seen
dictionary words; the table answers them in about 0.2. It holds every word the dictionary
knows (each key, and each with its ё / ґ written е / г, as pymorphy3's char_substitutes find
them) mapped to the lemmas morph gives it, so a word missing from it is one the dictionary
does not know.
Built (build()) once per machine and table version, streamed in sorted order a first letter
at a time, so memory stays small; readers see no file or a whole one. use() hands the tables to
morph, whose lemmas then read them.
"""

import functools
import hashlib
import inspect
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import version as dist_version
from pathlib import Path

import dawg

from search import morph, readings, text

_CUT = 48  # a lemma is stored as chr(_CUT + letters cut off the word's end) + letters added
# A table file: this, the size of an IntDAWG of the words (4 bytes, little-endian), the IntDAWG
# (word → the number of its edits), then the distinct edits (encode()), a line each.
_MAGIC = b"lemmas2\n"


def path(folder: Path, lang: str, version: str) -> Path:
    """The table file of a language under a table version, in folder."""
    return Path(folder, f"lemmas-{lang}-{version}.dawg")


_in_use: list[Path | None] = [None]  # the folder use() last loaded from


def use(folder: Path | None) -> None:
    """Let morph read the tables in folder from now on (None: none), loading them now, so that
    processes forked after this share them."""
    morph.TABLES.clear()
    _in_use[0] = folder
    for lang in morph.LANGS if folder is not None else ():
        table = load(table_path(folder, lang))
        if table is not None:
            morph.TABLES[lang] = table


def in_use() -> Path | None:
    """The folder of the tables morph reads (for a spawned process to use() them too)."""
    return _in_use[0] if morph.TABLES else None


def table_path(folder: Path, lang: str) -> Path:
    """Where the language's table of this version is in folder."""
    return path(folder, lang, version())


@functools.cache
def version() -> str:
    """What a table's contents depend on: this module, the source of morph's dictionary lemmas
    and of the folding, pymorphy3's, its dictionaries' and DAWG2's versions (not the rest of
    morph.py, so that editing it does not make every machine build its tables again)."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    for code in (readings._dictionary_lemmas, readings._dictionary_lemmas_folded, text.fold):
        h.update(inspect.getsource(code).encode())
    h.update(repr((text.FOLD, readings.MAX_LEMMAS)).encode())
    for dist in ("pymorphy3", "pymorphy3-dicts-ru", "pymorphy3-dicts-uk", "dawg2"):
        h.update(dist_version(dist).encode())
    return h.hexdigest()[:20]


def build(lang: str, folder: Path) -> bool:
    """Build the language's table in folder if it has none of this version (about 40 s of
    CPU, once per machine); True if built."""
    target = table_path(folder, lang)
    if target.is_file():
        return False
    analyzer = morph.analyzer(lang)
    substitutes = {plain.decode(): own for plain, found in analyzer.char_substitutes.items()
                   for _, own in found}
    write(target, sorted_forms(analyzer.dictionary.words.iterkeys, substitutes),
          functools.partial(readings._dictionary_lemmas_folded, lang=lang))
    return True


def _variants(key: str, plain: str, own: str) -> Iterator[str]:
    """The key, and the key with some or all of its own letter written plain."""
    yield key
    if own in key:
        parts = key.split(own)
        for letters in itertools.product((plain, own), repeat=len(parts) - 1):
            if plain in letters:
                yield "".join(p + c for p, c in zip(parts, (*letters, ""), strict=True))


def sorted_forms(keys: Callable[[str], Iterable[str]], substitutes: dict[str, str]):
    """Every word without digits or hyphens that finds a dictionary key, in sorted order, a
    first letter at a time (keys(prefix): the dictionary's keys, sorted; substitutes: plain
    letter → the dictionary's own letter, {"е": "ё"})."""
    moved: dict[str, set[str]] = {}  # forms of keys starting with an own letter written plain
    for own in set(substitutes.values()):
        for key in keys(own):
            for form in _forms(key, substitutes):
                moved.setdefault(form[0], set()).add(form)
    groups = itertools.groupby(keys(""), key=lambda k: k[0])
    for first, group in itertools.chain(groups, [(chr(0x10FFFF), ())]):
        for letter in sorted(m for m in moved if m < first):  # a letter no key starts with
            yield from sorted(moved.pop(letter))
        forms = moved.pop(first, set())
        for key in group:
            forms.update(f for f in _forms(key, substitutes) if f[0] == first)
        yield from sorted(forms)


def _forms(key: str, substitutes: dict[str, str]) -> list[str]:
    """The words that find this key (none if it has digits or hyphens)."""
    if "-" in key or any(c.isdigit() for c in key):
        return []
    found = [key]
    for plain, own in substitutes.items():
        found = [v for f in found for v in _variants(f, plain, own)]
    return found


def _edit(word: str, lemma: str) -> str:
    same = min(len(word), len(lemma))
    while not word.startswith(lemma[:same]):  # from the end: they differ in the last letters
        same -= 1
    return chr(_CUT + len(word) - same) + lemma[same:]


def encode(word: str, lemmas: tuple[str, ...]) -> str:
    """A word's lemmas as stored: each as an edit of the word, tab-separated (shared by
    all words with the same ending and change, which the file stores once)."""
    return "\t".join([_edit(word, lemma) for lemma in lemmas])


def _pairs(edits: str) -> tuple[tuple[int, str], ...]:
    """(letters cut off the word's end, letters added) of each lemma encode() stored."""
    return tuple([(ord(e[0]) - _CUT, e[1:]) for e in edits.split("\t")])


def decode(word: str, edits: str) -> tuple[str, ...]:
    """The lemmas encode() stored for word."""
    return tuple([word[:len(word) - cut] + added for cut, added in _pairs(edits)])


def write(target: Path, forms: Iterable[str], lemmas_of) -> None:
    """Write the table of these forms, sorted and distinct (each → lemmas_of(form)), to
    target atomically: a concurrent build or reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)  # (fails before a minute's work)
    ids: dict[str, int] = {}  # each distinct edit → its number, in the order first met
    table = dawg.IntDAWG(((form, ids.setdefault(encode(form, lemmas_of(form)), len(ids)))
                          for form in forms), input_is_sorted=True)
    words = table.tobytes()
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(b"".join([_MAGIC, len(words).to_bytes(4, "little"), words,
                                  "\n".join(ids).encode("utf-8")]))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def load(target: Path):
    """The table at target as a lookup (word → its lemmas, None if it has none), or None."""
    try:
        data = Path(target).read_bytes()
        if not data.startswith(_MAGIC):
            return None  # not a table (of this format)
        start = len(_MAGIC) + 4
        end = start + int.from_bytes(data[len(_MAGIC):start], "little")
        get = dawg.IntDAWG().frombytes(data[start:end]).get
        edits = data[end:].decode("utf-8").split("\n")  # edit number → edit
    except (OSError, ValueError, MemoryError):
        return None  # none yet, or damaged: words are looked up in pymorphy3
    known: list = [None] * len(edits)  # each edit's _pairs, made when a word first needs it

    def lemmas_of(word: str) -> tuple[str, ...] | None:
        i = get(word)
        if i is None:
            return None
        pairs = known[i]
        if pairs is None:
            pairs = known[i] = _pairs(edits[i])
        if len(pairs) == 1:  # most words: one lemma
            cut, added = pairs[0]
            return (word[:len(word) - cut] + added,)
        return tuple([word[:len(word) - cut] + added for cut, added in pairs])
    return lemmas_of
