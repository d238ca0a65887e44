"""Build or update the index from files: incremental by file size and mtime."""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from search.ingest import dedup, store
from search.ingest.documents import Document, Skip, load, supported
from search.ingest.parallel import CountingWriter, commit_reporting
from search.morph import detect_language

# Part of every file's signature: an index built by an older version (documents named by the
# file's stem, no site or date precision) sees every file as changed and re-reads it.
SIGNATURE_VERSION = "v2"


@dataclass
class Summary:
    """What a reindex run did."""

    added: int = 0  # files new to the index
    updated: int = 0  # files changed since the last run
    deleted: int = 0  # files gone from disk
    unchanged: int = 0
    documents: int = 0  # documents written in this run
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seconds: float = 0.0
    files: int = 0  # supported files found under the sources

    @property
    def indexed_files(self) -> int:
        return self.added + self.updated


@dataclass
class Progress:
    """Where a reindex run is, handed to the progress callback after every document."""

    documents: int = 0  # documents written so far
    files_done: int = 0
    files: int = 0  # files to look at
    file: str = ""  # the file being read
    phase: str = "indexing"  # then "committing" (segments written and merged), then "done"
    # Documents handed to the writer, once all are; a parallel run is still analysing while
    # documents < handed_over.
    handed_over: int = 0


def open_index(index_dir, create: bool = True):
    """The current Whoosh index under index_dir, creating an empty one if allowed and missing."""
    return store.open_current(index_dir, create=create)


def walk(sources, skipped: list) -> list[tuple[Path, str]]:
    """(file, id) of every supported file under the given files/folders, each once, in order.

    The id names the document of a one-document file: its path relative to the folder given
    (POSIX separators), or its name for a file given directly.
    """
    found, seen_dirs = {}, set()
    for src in map(Path, sources):
        if src.is_file():
            found.setdefault(str(src.resolve()), (src.resolve(), src.name))
            continue
        if not src.is_dir():
            skipped.append((str(src), "no such file or folder"))
            continue
        def unreadable(e):
            skipped.append((e.filename, e.strerror))

        for root, dirs, files in os.walk(src, followlinks=True, onerror=unreadable):
            real = os.path.realpath(root)
            if real in seen_dirs:  # a symlink loop or a folder reached twice
                dirs[:] = []
                continue
            seen_dirs.add(real)
            dirs.sort()
            for name in sorted(files):
                path = Path(root, name)
                if supported(path) and path.is_file():
                    doc_id = path.relative_to(src).as_posix()
                    found.setdefault(str(path.resolve()), (path.resolve(), doc_id))
    return list(found.values())


def document_fields(doc: Document, source: str, signature: str) -> dict:
    """Index fields of a document: text goes to the fields of its language.

    A made-up title (the body's first sentence) is stored for display but not indexed as a
    title: the words are already in the body, and would count twice.
    """
    lang = doc.lang or detect_language(f"{doc.title}\n{doc.body}")
    fields = {
        "id": doc.id, "source": source, "signature": signature, "lang": lang,
        "site": doc.site, "title": doc.title, "body": doc.body, "url": doc.url,
        "length": len(doc.body), f"body_{lang}": doc.body,
    }
    if not doc.made_up_title:
        fields[f"title_{lang}"] = doc.title
    if doc.date:
        fields["date"] = doc.date
        if doc.date_precision:
            fields["date_precision"] = doc.date_precision
            fields["period"] = doc.date_precision.encode()
    fields.update(dedup.fields(doc.title, doc.body))
    return fields


def _signature(path: Path, doc_id: str) -> str:
    # The id too: the same file reached through another SOURCE folder gets the id it would get
    # on a fresh index (sub/a.txt under src, a.txt under src/sub).
    st = path.stat()
    return f"{SIGNATURE_VERSION}:{st.st_size}:{st.st_mtime_ns}:{doc_id}"


def _under(source: str, roots: list[str]) -> bool:
    return any(source == r or source.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def reindex(index_dir, sources, full: bool = False, progress=None, lock_timeout: float = 0.0,
            procs: int = 1):
    """Index the files under sources into index_dir and return a Summary.

    progress, if given, is called with a Progress after every document written and at each
    change of phase (it should return quickly; the CLI draws at most a few times a second).

    Incremental runs commit into the current generation (readers see the old state until the
    commit); a full run builds a new generation beside it and switches `current` atomically,
    analysing documents in procs processes. Raises store.IndexBusy if another reindex holds
    the lock for longer than lock_timeout.
    """
    started = time.monotonic()
    summary = Summary()
    with store.lock(index_dir, timeout=lock_timeout):
        store.clean(index_dir)  # whatever a killed run left behind
        path = store.new_generation(index_dir) if full else store.ensure_current(index_dir)
        ix = store.open_dir(path)
        _write(ix, sources, progress, summary, procs if full else 1)
        if full:
            store.switch(index_dir, path)
            store.clean(index_dir)
    summary.seconds = time.monotonic() - started
    return summary


def indexed_files(ix) -> dict[str, str]:
    """source file → signature of every file in the index (read from columns)."""
    with ix.reader() as r:
        if not r.has_column("source"):  # an empty index has no columns at all
            return {}
        sources = r.column_reader("source", translate=True)
        sigs = r.column_reader("signature", translate=True)
        return {sources[d]: sigs[d] for d in r.all_doc_ids()}


class _Owners:
    """The file an id already in the index came from, so that another file's id does not
    silently replace it (two sites' index.html indexed in two runs)."""

    def __init__(self, ix):
        self.searcher = None if ix.is_empty() else ix.searcher()
        if self.searcher is not None:
            self.sources = self.searcher.reader().column_reader("source", translate=True)

    def other(self, doc_id: str, key: str) -> str | None:
        """The file other than key, still on disk, that doc_id is indexed from; or None."""
        s = self.searcher
        if s is None or ("id", doc_id) not in s.reader():  # the common case: a new id
            return None
        docnum = s.document_number(id=doc_id)
        source = self.sources[docnum] if docnum is not None else key
        return source if source != key and os.path.exists(source) else None

    def close(self):
        if self.searcher is not None:
            self.searcher.close()


def _write(ix, sources, progress, summary, procs: int):
    """Add, replace and delete documents in one commit."""
    files = walk(sources, summary.skipped)
    summary.files = len(files)
    indexed = indexed_files(ix)
    roots = [str(Path(p).resolve()) for p in sources]
    # Whoosh's multiprocessing writer: documents are analysed in procs processes, each
    # writing its own segment (a fresh index has nothing to update or delete).
    parallel = procs > 1 and not indexed
    state = Progress(files=len(files))
    report = progress or (lambda _state: None)
    writer = (CountingWriter(ix, procs, limitmb=256, codec=store.codec()) if parallel
              else ix.writer(limitmb=256))

    def tick():
        state.documents = writer.analysed.value if parallel else summary.documents
        report(state)

    owners = _Owners(ix)
    try:
        seen_ids: set[str] = set()
        for state.files_done, (path, doc_id) in enumerate(files):
            key = state.file = str(path)
            try:
                sig = _signature(path, doc_id)
            except OSError as e:
                summary.skipped.append((key, e.strerror or str(e)))
                continue
            old = indexed.get(key)
            if old == sig:
                summary.unchanged += 1
                continue
            written = _index_file(writer, path, doc_id, key, sig, (seen_ids, owners), summary,
                                  replace=old is not None, tick=tick)
            if written:
                if old is None:
                    summary.added += 1
                else:
                    summary.updated += 1
        state.files_done, state.phase = len(files), "committing"
        tick()
        for key in indexed.keys() - {str(p) for p, _ in files}:
            if _under(key, roots) and not os.path.exists(key):
                writer.delete_by_term("source", key)
                summary.deleted += 1
        state.handed_over = summary.documents
        commit_reporting(writer, tick)
        state.phase = "done"
        tick()
    except BaseException:
        writer.cancel()
        raise
    finally:
        owners.close()


def _index_file(writer, path, doc_id, key, sig, taken, summary, replace: bool, tick) -> bool:
    """Write one file's documents, calling tick after each; True if any was written.

    taken: (ids written in this run, _Owners of the ids already in the index).
    """
    seen_ids, owners = taken
    errors: list[str] = []
    try:
        # Read the whole file first: a file that fails keeps its old documents.
        docs = list(load(path, errors, doc_id))
    except Skip as e:
        summary.skipped.append((key, str(e)))
        return False
    except (OSError, EOFError, UnicodeError, ValueError) as e:
        summary.skipped.append((key, f"unreadable: {e}"))
        return False
    if replace:
        writer.delete_by_term("source", key)
    written = 0
    for doc in docs:
        if doc.id in seen_ids:
            errors.append(f"duplicate id {doc.id!r}: first one kept")
            continue
        other = owners.other(doc.id, key)
        if other:
            errors.append(f"duplicate id {doc.id!r}: already indexed from {other}, kept "
                          "(index a folder that holds both to tell them apart)")
            continue
        seen_ids.add(doc.id)
        writer.update_document(**document_fields(doc, key, sig))
        written += 1
        summary.documents += 1
        tick()
    for err in errors[:5]:
        summary.skipped.append((key, err))
    if len(errors) > 5:
        summary.skipped.append((key, f"... and {len(errors) - 5} more bad records"))
    if not written and not errors:
        summary.skipped.append((key, "no documents"))
    return written > 0


def doc_count(index_dir) -> int:
    """Number of documents in the index (0 if there is none)."""
    try:
        return store.open_current(index_dir, create=False).doc_count()
    except (FileNotFoundError, whoosh_index.EmptyIndexError):
        return 0

