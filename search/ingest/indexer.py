"""Build or update the index from files: incremental by file size and mtime."""

import errno
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from search import morph
from search.ingest import store
from search.ingest.bulk import BulkWriter
from search.ingest.documents import MAX_RECORD_CHARS, Reading, supported
from search.ingest.filerun import FileRun
from search.ingest.filerun import document_fields as document_fields  # imported from here
from search.ingest.parallel import commit_reporting
from search.ingest.recordset import file_signatures, read_manifest, write_manifest

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
    # Records of .jsonl(.gz) collections: only added and updated ones are analysed.
    records_added: int = 0
    records_updated: int = 0
    records_deleted: int = 0
    records_unchanged: int = 0

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
    file_done: int = 0  # bytes of the current file read so far (a big .jsonl.gz), of
    file_size: int = 0


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


def _signature(path: Path, doc_id: str) -> str:
    # The id too: the same file reached through another SOURCE folder gets the id it would get
    # on a fresh index (sub/a.txt under src, a.txt under src/sub).
    st = path.stat()
    return f"{SIGNATURE_VERSION}:{st.st_size}:{st.st_mtime_ns}:{doc_id}"


def _under(source: str, roots: list[str]) -> bool:
    return any(source == r or source.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


class DiskFull(OSError):
    """The disk (or quota) filled up while writing the index; nothing of the run was kept."""


def reindex(index_dir, sources, full: bool = False, progress=None, lock_timeout: float = 0.0,
            procs: int = 1, max_record_chars: int = MAX_RECORD_CHARS):
    """Index the files under sources into index_dir and return a Summary.

    progress, if given, is called with a Progress after every document written and at each
    change of phase (it should return quickly; the CLI draws at most a few times a second).

    Incremental runs commit into the current generation (readers see the old state until the
    commit); a full run builds a new generation beside it and switches `current` atomically.
    Documents are analysed in procs processes once a run has more than a few hundred.
    Raises store.IndexBusy if another reindex holds the lock for longer than lock_timeout,
    and DiskFull (nothing of the run kept) if the disk fills up.
    """
    started = time.monotonic()
    summary = Summary()
    with store.lock(index_dir, timeout=lock_timeout):
        store.clean(index_dir)  # whatever a killed run left behind
        path = Path(index_dir)
        try:
            path = store.new_generation(index_dir) if full else store.ensure_current(index_dir)
            ix = store.open_dir(path)
            morph.load_cache(index_dir)  # lemmas of words earlier runs analysed
            _write(ix, sources, progress, summary, procs, max_record_chars)
            if full:
                store.switch(index_dir, path)
            morph.save_cache(index_dir)
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            if full and path != Path(index_dir):
                shutil.rmtree(path, ignore_errors=True)
            raise DiskFull(e.errno, f"disk full while writing the index in {path}") from e
        if full:
            store.clean(index_dir)
    summary.seconds = time.monotonic() - started
    return summary


def indexed_files(ix) -> dict[str, str]:
    """source file → signature of every file in the index (read from columns)."""
    with ix.reader() as r:
        found = file_signatures(r)
    manifest = read_manifest(ix)
    return {src: manifest.get(src, sig) for src, sig in found.items()}


def _write(ix, sources, progress, summary, procs: int, max_chars: int):
    """Add, replace and delete documents in one commit."""
    files = walk(sources, summary.skipped)
    summary.files = len(files)
    roots = [str(Path(p).resolve()) for p in sources]
    state = Progress(files=len(files))
    report = progress or (lambda _state: None)
    writer = BulkWriter(ix, procs=procs)
    reading = Reading(0)

    def tick():
        state.documents = writer.analysed
        state.file_done = reading.done
        report(state)

    try:
        searcher = writer.writer.searcher() if writer.replacing else None
        indexed = file_signatures(searcher.reader()) if searcher else {}
        manifest = read_manifest(ix)
        indexed = {src: manifest.get(src, sig) for src, sig in indexed.items()}
        run = FileRun(writer, searcher, summary, tick, max_chars, reading)
        for state.files_done, (path, doc_id) in enumerate(files):
            key = state.file = str(path)
            try:
                sig = _signature(path, doc_id)
                reading.done, state.file_size = 0, path.stat().st_size
            except OSError as e:
                summary.skipped.append((key, e.strerror or str(e)))
                continue
            old = indexed.get(key)
            if old == sig:
                summary.unchanged += 1
                continue
            if run.index_file(path, doc_id, key, sig, replace=old is not None):
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
                run.manifest.pop(key, None)
        state.handed_over = writer.added
        commit_reporting(writer, tick)
        state.phase = "done"
        tick()
    except BaseException:
        writer.cancel()
        raise
    kept = {k: v for k, v in {**manifest, **run.manifest}.items() if os.path.exists(k)}
    if kept != manifest:
        try:
            write_manifest(ix, kept)
        except OSError:  # only an optimisation: the next run compares the records again
            pass


def doc_count(index_dir) -> int:
    """Number of documents in the index (0 if there is none)."""
    try:
        return store.open_current(index_dir, create=False).doc_count()
    except (FileNotFoundError, whoosh_index.EmptyIndexError):
        return 0

