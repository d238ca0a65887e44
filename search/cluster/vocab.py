"""The cluster's vocabulary, read from the feeder's tally, as the reader forgiving search uses.

Spelling correction, layout fixes and completions ask a Whoosh reader for the index terms and
their document frequencies; searchd 2.2 cannot list its dictionary, but the feeder keeps every
term's document count beside the IDF file (tally-<generation>.tsv).
"""

import bisect
import os
from pathlib import Path

from search.cluster import tally
from search.cluster.rows import lemma_of
from search.morph import LANGS


class _Info:
    __slots__ = ("n",)

    def __init__(self, n: int):
        self.n = n

    def doc_frequency(self) -> int:
        return self.n


class VocabReader:
    """Enough of a Whoosh reader for the query package's correct, spelling and suggest."""

    def __init__(self, terms: dict[str, dict[str, int]], docs: int, key: int,
                 fields: dict[str, int] | None = None):
        self.terms = terms  # lang → term → documents
        self.fields = fields or {}  # "field:token" → documents (an older tally has none)
        self.docs = docs
        self.key = key
        self.schema = {f"body_{lang}" for lang in terms}
        self._sorted: dict[str, list[str]] = {}
        # Documents per language, as the embedded index's "lang" field tells them: the query's
        # language is judged by them (crosslang.query_language). Set by the cluster engine.
        self.lang_docs: dict[str, int] = {}

    @classmethod
    def load(cls, path) -> "VocabReader":
        """From a tally file (an empty vocabulary if it is missing)."""
        freq, docs = tally.load(path)
        try:
            key = os.stat(path).st_mtime_ns
        except OSError:
            key = 0
        terms: dict[str, dict[str, int]] = {lang: {} for lang in LANGS}
        fields: dict[str, int] = {}
        for k, n in freq.items():
            lang, _, tok = k.partition(":")
            if lang not in terms:
                if n > 0:
                    fields[k] = n
                continue
            term = lemma_of(tok)
            if term is not None and n > 0:
                terms[lang][term] = n
        return cls(terms, docs, key, fields)

    def __contains__(self, item) -> bool:
        name, term = item
        kind, _, lang = name.partition("_")
        return term in self.terms.get(lang, ())

    def iter_field(self, name):
        lang = name.partition("_")[2]
        for term, n in self.terms.get(lang, {}).items():
            yield term, _Info(n)

    def doc_frequency(self, name, term) -> int:
        if name == "lang":
            return self.lang_docs.get(term, 0)
        return self.terms.get(name.partition("_")[2], {}).get(term, 0)

    def expand_prefix(self, name, prefix: str):
        """Terms of the field's language that start with prefix, in order."""
        lang = name.partition("_")[2]
        if lang not in self._sorted:
            self._sorted[lang] = sorted(self.terms.get(lang, ()))
        terms = self._sorted[lang]
        for term in terms[bisect.bisect_left(terms, prefix):]:
            if not term.startswith(prefix):
                break
            yield term

    def frequency(self, name, term) -> int:
        # No postings or stored texts here: completions cannot check how the texts capitalise
        # a word, so they are shown as the lemma is written (the embedded engine may show
        # "Київ" where this shows "київ").
        return 0

    def generation(self) -> int:
        return self.key

    def doc_count(self) -> int:
        return self.docs

    def all_stored_fields(self):
        return iter(())  # titles are not kept here: completions come from the vocabulary


def tally_path(layout, gen: str) -> Path | None:
    """The tally file of a generation, if the cluster's folder is on this machine."""
    if not layout.root:
        return None
    path = Path(layout.root) / f"tally-{gen}.tsv"
    return path if path.exists() else None
