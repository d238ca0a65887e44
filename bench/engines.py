"""The engines compared: ours and the baselines, each able to index documents and rank ids."""

import hashlib
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.scoring import BM25F

from search.analysis import language_analyzer
from search.engine import Engine
from search.engine.policy import DEFAULT, Policy
from search.ingest.bulk import BulkWriter
from search.ingest.indexer import document_fields, open_index
from search.morph import lemmas
from search.query.parse import QueryError
from search.schema import TITLE_BOOST
from search.text import tokenize

try:
    import Stemmer
except ImportError:  # the bench extra is not installed
    Stemmer = None


MODES = ("and", "or")  # a baseline's two usual modes: every word required, or any word
BUILD_VERSION = "2"  # bump when a baseline indexes differently: cached indexes are rebuilt


def search_fingerprint() -> str:
    """Hash of the product's code and data that indexing depends on (not the ranking policy)."""
    root = Path(__file__).resolve().parents[1] / "search"
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".txt", ".tsv") and p.name != "policy.py":
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def _fresh(path) -> Path:
    path = Path(path)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def dir_size(path) -> int:
    """Bytes of all files under path (or of the file)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class RankOnly(Engine):
    """The product's Engine.search, hits without snippets: they are display, not ranking."""

    @staticmethod
    def _hit(s, docnum, score, parsed):
        return SimpleNamespace(id=s.stored_fields(docnum)["id"], score=score)


class Ours:
    """The product: its schema, document_fields, and Engine.search."""

    name = "ours"
    modes = ("product",)

    def __init__(self, procs: int = 1, policy: Policy = DEFAULT):
        self.procs = procs
        self.policy = policy  # the ranking policy's values: tuned by bench/relevance.py --grid
        self.engine = None

    def cache_key(self) -> str:
        return "ours:" + search_fingerprint()

    def reuse(self, path) -> bool:
        """Search the index already at path; False if there is none."""
        self.path = Path(path)
        return self.path.exists()

    def build(self, docs, path):
        self.path = _fresh(path)
        writer = BulkWriter(open_index(self.path), procs=self.procs)  # as reindex writes
        for doc in docs:
            writer.add_document(**document_fields(doc, "bench", ""))
        writer.commit()

    def open(self, path):
        self.path = Path(path)
        self.engine = RankOnly(self.path, cache_size=0, policy=self.policy)

    def search(self, text, lang, k=10, mode="product"):
        if self.engine is None:
            self.open(self.path)
        self.engine.policy = self.policy
        try:
            return [h.id for h in self.engine.search(text, per_page=k, langs=(lang,)).hits]
        except QueryError:
            return []

    def close(self):
        if self.engine is not None:
            self.engine.close()
            self.engine = None


class PyStemFilter(Filter):
    """Snowball stems from PyStemmer."""

    def __init__(self, lang):
        self.lang = lang
        self._stemmer = None

    def __eq__(self, other):
        return type(self) is type(other) and self.lang == other.lang

    def __getstate__(self):
        return {"lang": self.lang, "_stemmer": None}

    def __call__(self, tokens):
        if self._stemmer is None:
            self._stemmer = Stemmer.Stemmer(self.lang)
        for t in tokens:
            t.text = self._stemmer.stemWord(t.text)
            yield t


def snowball_lang(lang: str) -> str | None:
    """PyStemmer's algorithm for a language code, or None if it has none."""
    name = {"uk": "ukrainian", "ru": "russian"}[lang]
    return name if Stemmer is not None and name in Stemmer.algorithms() else None


class WhooshBaseline:
    """Plain Whoosh: same title boost and BM25F, a standard or stemming analyzer, no lemmas."""

    def __init__(self, stem: bool = False, procs: int = 1):
        self.stem = stem
        self.procs = procs
        self.name = "whoosh-stem" if stem else "whoosh-std"
        self.searcher = None

    modes = MODES

    def cache_key(self) -> str:
        return f"{self.name}:{BUILD_VERSION}"

    def reuse(self, path) -> bool:
        """Search the index already at path; False if there is none."""
        self.path = Path(path)
        return self.path.exists()

    def analyzer(self, lang):
        algo = snowball_lang(lang) if self.stem else None
        if algo:
            return RegexTokenizer() | LowercaseFilter() | PyStemFilter(algo)
        return StandardAnalyzer(stoplist=None)

    def schema(self):
        fields = {"id": ID(stored=True)}
        for lang in ("uk", "ru"):
            fields[f"title_{lang}"] = TEXT(analyzer=self.analyzer(lang), field_boost=TITLE_BOOST)
            fields[f"body_{lang}"] = TEXT(analyzer=self.analyzer(lang))
        return Schema(**fields)

    def build(self, docs, path):
        self.path = _fresh(path)
        ix = whoosh_index.create_in(self.path, self.schema())
        kw = {"procs": self.procs, "multisegment": True} if self.procs > 1 else {}
        writer = ix.writer(limitmb=256, **kw)
        for doc in docs:
            writer.add_document(**{"id": doc.id, f"title_{doc.lang}": doc.title,
                                   f"body_{doc.lang}": doc.body})
        writer.commit()

    def search(self, text, lang, k=10, mode="and"):
        if self.searcher is None:
            self.searcher = whoosh_index.open_dir(self.path).searcher(weighting=BM25F())
        analyzer = self.searcher.schema[f"body_{lang}"].analyzer
        words = [t.text for t in analyzer(text, mode="query")]
        if not words:
            return []
        clauses = [wq.Or([wq.Term(f"title_{lang}", w), wq.Term(f"body_{lang}", w)])
                   for w in words]
        q = wq.And(clauses) if mode == "and" else wq.Or(clauses)
        return [hit["id"] for hit in self.searcher.search(q, limit=k)]

    def close(self):
        if self.searcher is not None:
            self.searcher.close()
            self.searcher = None


def plain_words(text: str) -> list[str]:
    """Lowercased word tokens, for engines that take a word list."""
    return [w for w, _, _ in tokenize(text)]


class Fts5:
    """SQLite FTS5, unicode61 tokenizer, bm25 with the same title weight."""

    name = "sqlite-fts5"
    modes = MODES
    db = None

    def cache_key(self) -> str:
        return f"{self.name}:{BUILD_VERSION}"

    def reuse(self, path) -> bool:
        """Search the index already at path; False if there is none."""
        self.path = Path(path)
        return self.path.exists()

    def build(self, docs, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self.path = path
        db = sqlite3.connect(path)
        db.execute("CREATE VIRTUAL TABLE d USING fts5(id UNINDEXED, lang UNINDEXED, title, body,"
                   " tokenize='unicode61')")
        db.executemany("INSERT INTO d VALUES (?, ?, ?, ?)",
                       ((doc.id, doc.lang, doc.title, doc.body) for doc in docs))
        db.commit()
        db.close()
        self.db = None

    def search(self, text, lang, k=10, mode="and"):
        if self.db is None:
            self.db = sqlite3.connect(self.path)
        words = [w.replace('"', "") for w in plain_words(text)]
        words = [w for w in words if w]
        if not words:
            return []
        match = f" {mode.upper()} ".join(f'"{w}"' for w in words)
        rows = self.db.execute(
            f"SELECT id FROM d WHERE d MATCH ? AND lang = ? ORDER BY bm25(d, 0, 0, {TITLE_BOOST},"
            " 1.0) LIMIT ?", (match, lang, k))
        return [r[0] for r in rows]

    def close(self):
        if getattr(self, "db", None) is not None:
            self.db.close()
            self.db = None


class Tantivy:
    """tantivy BM25 on our own lemmas: text pre-analysed by our analyzer, whitespace-split."""

    def __init__(self, threads: int = 1, pre_analysed: bool = True):
        self.threads = threads
        self.pre_analysed = pre_analysed
        self.name = "tantivy-lemmas" if pre_analysed else "tantivy-default"
        self.tokenizer = "ws" if pre_analysed else "default"
        self.index = None

    modes = MODES

    def cache_key(self) -> str:  # pre-analysed by our analyzer: rebuilt when that changes
        return f"{self.name}:{BUILD_VERSION}:{search_fingerprint() if self.pre_analysed else ''}"

    def reuse(self, path) -> bool:
        """Search the index already at path; False if there is none."""
        self.path = Path(path)
        return self.path.exists()

    def schema(self):
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", tokenizer_name=self.tokenizer)
        sb.add_text_field("body", tokenizer_name=self.tokenizer)
        return sb.build()

    def _open(self, path):
        import tantivy

        self.index = tantivy.Index(self.schema(), path=str(path))
        self.index.register_tokenizer(
            "ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())

    @staticmethod
    def analysed(text, lang) -> str:
        return " ".join(t.text for t in language_analyzer(lang)(text))

    def build(self, docs, path):
        import tantivy

        self.path = _fresh(path)
        self._open(self.path)
        writer = self.index.writer(heap_size=128_000_000, num_threads=self.threads)
        for doc in docs:
            if self.pre_analysed:
                title, body = self.analysed(doc.title, doc.lang), self.analysed(doc.body, doc.lang)
            else:
                title, body = doc.title, doc.body
            writer.add_document(tantivy.Document(id=doc.id, title=title, body=body))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def search(self, text, lang, k=10, mode="and"):
        import tantivy

        if self.index is None:
            self._open(self.path)
        schema = self.index.schema
        words = plain_words(text)
        if not words:
            return []
        clauses = []
        for w in words:
            alts = []
            for i, term in enumerate(lemmas(w, lang)):
                weight = 1.0 if i == 0 else 0.6
                alts.append((tantivy.Occur.Should, tantivy.Query.boost_query(
                    tantivy.Query.term_query(schema, "title", term), TITLE_BOOST * weight)))
                alts.append((tantivy.Occur.Should, tantivy.Query.boost_query(
                    tantivy.Query.term_query(schema, "body", term), weight)))
            clauses.append(tantivy.Query.boolean_query(alts))
        occur = tantivy.Occur.Must if mode == "and" else tantivy.Occur.Should
        q = tantivy.Query.boolean_query([(occur, c) for c in clauses])
        searcher = self.index.searcher()
        hits = searcher.search(q, k).hits
        return [searcher.doc(addr)["id"][0] for _, addr in hits]

    def close(self):
        self.index = None
