"""The index writer of ours: new documents become bulk-built segments, analysed in procs processes.

    with BulkWriter(ix, procs=2) as w:      # takes Whoosh's write lock on the generation
        w.update_document(**document_fields(doc, source, signature))
        w.delete_by_term("source", path)
        # commit on leaving the block; cancel if it raised

Deletions go through a Whoosh SegmentWriter over the existing segments; new documents are
buffered by SegmentBuilders (one per process) that spill a segment whenever their buffer holds
max_entries positions, so memory stays bounded whatever the number of documents. The commit
writes one TOC listing the old segments (with their deletions) and the new ones.
"""

import multiprocessing
import os
import queue

from whoosh.reading import SegmentReader

from search import morph
from search.ingest import heap
from search.ingest.merge import merge_tiers
from search.ingest.segment import SegmentBuilder

# Positions a builder buffers before writing a segment (~20 B each) when memory allows: a run of
# up to ~2,000 articles is one segment (fewer segments: less word-table and terms-table work a
# run, 16v), a larger one spills earlier, as below.
MAX_ENTRIES = 2_500_000
# A segment's write takes about WRITE_FIXED + WRITE_BYTES a buffered position on top of what
# the process holds (heap.live(); measured over live at 2k: 78 MiB for 0.35M positions, 152 for
# 1M, 253 for 2.35M: its sort, values, blocks, word table). A builder spills early, once it
# holds MIN_ENTRIES, when the two together would pass MEMORY_BUDGET: the write's peak stays
# under issue 16's 600 MB (572 MiB) when the lemma tables are full.
WRITE_FIXED = 70 * 2**20
WRITE_BYTES = 80
MEMORY_BUDGET = 520 * 2**20
MIN_ENTRIES = 250_000
CHECK_EVERY = 16  # documents between looks at the process's memory
SMALL_SEGMENT = 500  # segments with fewer documents (live ingest's) are merged at commit,
MERGE_AT = 10  # once there are this many of them
BATCH = 32  # documents sent to a process at a time
# Processes start once a run has this many documents (or characters of text): a small run
# (one article pushed, a test) is written by this process alone.
PARALLEL_AFTER = 200
PARALLEL_AFTER_CHARS = 4_000_000


class BulkWriter:
    """Add, replace and delete documents in one Whoosh index; commit writes them all at once."""

    def __init__(self, ix, procs: int = 1, max_entries: int = MAX_ENTRIES, merge: bool = True):
        from search.ingest.store import codec

        self.codec = codec()
        self.writer = ix.writer(codec=self.codec)  # the lock, deletions and the TOC
        self.storage, self.indexname = ix.storage, ix.indexname
        self.schema = self.writer.schema
        self.replacing = bool(self.writer.segments)
        self.max_entries = max_entries
        self.merge = merge  # merge the small segments already committed
        self.segments = []  # written by this writer, not yet committed
        self.added = 0  # documents handed to add_document
        self._analysed = multiprocessing.Value("q", 0) if procs > 1 else None
        self._builder = None
        self._local = 0  # documents analysed here before the processes started
        self._shown = 0
        self.procs = procs
        self._pool = None
        self._pending, self._pending_chars = [], 0  # until the processes start
        self._batch = []

    @property
    def analysed(self) -> int:
        """Documents analysed so far (behind `added` while processes are working)."""
        if self._pool is not None:
            # Never backwards: documents buffered before the processes started were shown.
            self._shown = max(self._shown, self._analysed.value + self._local)
            return self._shown
        return self.added  # analysed as added (or at commit, when few)

    def add_document(self, **fields) -> None:
        """Add one document (Whoosh field values, as document_fields makes them)."""
        self.added += 1
        if self.procs > 1 and self._pool is None and self._pending is not None:
            self._pending.append(fields)
            self._pending_chars += sum(len(v) for v in fields.values() if isinstance(v, str))
            if len(self._pending) >= PARALLEL_AFTER or self._pending_chars >= PARALLEL_AFTER_CHARS:
                self._pool = _Pool(self, self.procs)
                self._local, self._shown = self.added - len(self._pending), self.added
                pending, self._pending = self._pending, None
                for i in range(0, len(pending), BATCH):
                    self._pool.send(pending[i:i + BATCH])
            return
        if self._pool is not None:
            self._batch.append(fields)
            if len(self._batch) >= BATCH:
                self._pool.send(self._batch)
                self._batch = []
            return
        self._build(fields)

    def _build(self, fields: dict) -> None:
        if self._builder is None:
            self._builder = SegmentBuilder(self.schema, self.storage, self.codec, self.indexname)
        self._builder.add(fields)
        if full(self._builder, self.max_entries):
            self.flush()

    def update_document(self, **fields) -> None:
        """Add a document, deleting any committed one with the same id."""
        if self.replacing:
            self.writer.delete_by_term("id", fields["id"])
        self.add_document(**fields)

    def delete_by_term(self, fieldname: str, text: str) -> int:
        """Delete committed documents with the term; the number deleted."""
        return self.writer.delete_by_term(fieldname, text) if self.replacing else 0

    def flush(self) -> None:
        """Write what this process has buffered as a segment (not yet committed)."""
        if self._builder is not None and self._builder.docs:
            self.segments.append(self._builder.write())
        self._builder = None

    def commit(self) -> None:
        """Write the last segments, then the TOC that makes everything visible at once."""
        try:
            if self._pool is not None:
                if self._batch:
                    self._pool.send(self._batch)
                    self._batch = []
                self.segments.extend(self._pool.finish())
                self._pool = None
            pending, self._pending = self._pending or [], None
            for fields in pending:  # never enough for the processes to start
                self._build(fields)
            self.flush()
        except BaseException:
            self.cancel()
            raise
        new = list(self.segments)
        merge = _merge_small if self.merge else (lambda w, old: list(old))
        tiers = merge_tiers if self.merge else (lambda w, segments: segments)  # merge.py
        self.writer.commit(mergetype=lambda w, old: tiers(w, merge(w, old) + new))

    def cancel(self) -> None:
        """Drop everything written since the writer opened; the index stays as it was."""
        if self._pool is not None:
            self._pool.kill()
            self._pool = None
        if self._builder is not None:
            self._builder.discard()
            self._builder = None
        for seg in self.segments:
            for name in seg.list_files(self.storage):
                try:
                    self.storage.delete_file(name)
                except OSError:
                    pass
        self.segments = []
        if not self.writer.is_closed:
            try:
                self.writer.cancel()
            except OSError:
                pass
        # Files of segments no TOC lists (a process's, a half-written one) go now, not at the
        # next commit: a failed run leaves the generation as it found it.
        from whoosh.index import TOC, clean_files

        try:
            toc = TOC.read(self.storage, self.indexname)
            clean_files(self.storage, self.indexname, toc.generation, toc.segments)
        except (OSError, ValueError):
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.cancel()


def full(builder, max_entries: int) -> bool:
    """Whether a builder should spill now: at max_entries, or earlier when its write would
    take the process past MEMORY_BUDGET."""
    n = builder.entries
    if n >= max_entries:
        return True
    if n < MIN_ENTRIES or builder.docs % CHECK_EVERY:
        return False
    room = MEMORY_BUDGET - WRITE_FIXED - WRITE_BYTES * n
    return heap.rss() >= room and heap.live() >= room  # live(): ms on a fragmented heap


def _merge_small(writer, segments):
    """Old segments to keep: the small ones (live ingest's) merged into the writer's own."""
    keep = [s for s in segments if s.doc_count() > 0]
    small = [s for s in keep if s.doc_count_all() < SMALL_SEGMENT]
    if len(small) < MERGE_AT:
        return keep
    for seg in small:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [s for s in keep if s not in small]


def _work(jobs, results, args, counter, parent):
    """A writer process: build segments from batches of documents until told to stop."""
    from search.ingest.parallel import _die_with_parent

    _die_with_parent(parent)
    storage, indexname, schema, codec, max_entries = args
    builder, written = None, []
    try:
        while True:
            batch = jobs.get()
            if batch is None:
                break
            for fields in batch:
                if builder is None:
                    builder = SegmentBuilder(schema, storage, codec, indexname)
                builder.add(fields)
                if full(builder, max_entries):
                    written.append(builder.write())
                    builder = None
            with counter.get_lock():
                counter.value += len(batch)
        if builder is not None and builder.docs:
            written.append(builder.write())
        results.put(("ok", (written, morph.learnt())))  # the lemmas, for the parent's cache
    except BaseException as e:  # noqa: BLE001 (reported to the parent, which raises it)
        if builder is not None:
            builder.discard()
        results.put(("error", (getattr(e, "errno", None), f"{type(e).__name__}: {e}")))


class _Pool:
    """procs processes analysing batches of documents, each writing its own segments."""

    def __init__(self, owner: BulkWriter, procs: int):
        ctx = multiprocessing.get_context("fork")
        self.jobs = ctx.Queue(maxsize=procs * 4)  # bounded: the reader waits for analysis
        self.results = ctx.Queue()
        args = (owner.storage, owner.indexname, owner.schema, owner.codec, owner.max_entries)
        self.procs = [ctx.Process(target=_work, daemon=True,
                                  args=(self.jobs, self.results, args, owner._analysed,
                                        os.getpid()))
                      for _ in range(procs)]
        for p in self.procs:
            p.start()

    def send(self, batch) -> None:
        while True:
            try:
                self.jobs.put(batch, timeout=1.0)
                return
            except queue.Full:
                if not all(p.is_alive() for p in self.procs):
                    raise RuntimeError("a writer process died") from None

    def finish(self) -> list:
        for _ in self.procs:
            self.send(None)
        segments, errors = [], []
        for _ in self.procs:
            while True:
                try:
                    status, value = self.results.get(timeout=1.0)
                    break
                except queue.Empty:
                    if not any(p.is_alive() for p in self.procs) and self.results.empty():
                        raise RuntimeError("a writer process died") from None
            if status == "ok":
                segments.extend(value[0])
                morph.learn(value[1])
            else:
                errors.append(value)
        for p in self.procs:
            p.join()
        if errors:
            code, message = errors[0]
            if code is not None:  # disk full, say: the caller tells it apart
                raise OSError(code, f"a writer process failed: {message}")
            raise RuntimeError(f"a writer process failed: {message}")
        return segments

    def kill(self) -> None:
        for p in self.procs:
            if p.is_alive():
                p.kill()
            p.join()
