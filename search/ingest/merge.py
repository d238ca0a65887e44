"""Segments merged into one a term at a time, in Whoosh's W3 format with the sidecar and word table.

Whoosh's own merge (writer.add_reader) re-pools every posting in Python. Here the sources' term
tables are read in order side by side; each term's blocks are read whole (one zlib + one pickle
per block), renumbered past deleted documents and written as W3 blocks again
(w3postings.write_block); positions for the sidecar are decoded in bulk from the same values.
Stored fields and columns are copied a column at a time (merge_docs.py), with exact field
lengths counted from the positions. Memory stays bounded: the sidecar's columns are streamed to
temporary files and the largest thing held is the term table of the merged segment.

Policy (choose): log-structured, with a size cap. While MERGE_FACTOR or more segments are below
half of MAX_DOCS live documents, the smallest of them are merged, up to MAX_DOCS at a time; so a
200k-document import of ~1.3k-document spills ends with about 50 segments, and each document is
merged once or twice over its life, never into a segment of more than about MAX_DOCS. Each merge
runs in a fresh process, so that its memory is never added to a big writer's.
"""

import heapq
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.formats import PositionBoosts
from whoosh.reading import SegmentReader
from whoosh.system import pack_ushort

from search import lemma_table
from search.ingest import codec as arrays_codec
from search.ingest import heap
from search.ingest.merge_docs import copy_docs
from search.ingest.merge_terms import BATCH, Batch, read_term, source_terms
from search.ingest.readback import read_lengths, read_live
from search.ingest.sidecar_stream import StreamedSidecar
from search.ingest.w3bulk import FieldWriter
from search.ingest.w3postings import BLOCK, close_quietly, pickled, write_block

log = logging.getLogger(__name__)

MERGE_FACTOR = 4  # this many segments below MAX_DOCS // 2 are merged (the smallest first)
# A merge writes at most about this many documents into one segment: its process peaks near
# 463 MB at 3,800 news articles, 671 MB at 7,500 (the merged term tables); issue 16's is 600.
MAX_DOCS = 5_000


def choose(sizes: list[int], factor: int = MERGE_FACTOR, max_docs: int = MAX_DOCS) -> list[int]:
    """Indexes of the segments (of sizes live documents) to merge next; [] when none."""
    small = sorted((n, i) for i, n in enumerate(sizes) if n < max_docs // 2)
    if len(small) < factor:
        return []
    group, total = [], 0
    for n, i in small:
        if len(group) >= 2 and total + n > max_docs:
            break
        group.append(i)
        total += n
    return group


def merge_tiers(writer, segments: list, factor: int | None = None,
                max_docs: int | None = None) -> list:
    """The segments to commit: those choose() picks merged (each in its own process), again
    until it picks none.

    Called inside the writer's commit (its mergetype), so readers see the sources until the new
    TOC lists the merged segment instead.
    """
    factor, max_docs = factor or MERGE_FACTOR, max_docs or MAX_DOCS
    return merge_picked(writer, segments, lambda sizes: choose(sizes, factor, max_docs),
                        _in_child)


def merge_picked(writer, segments: list, pick, run) -> list:
    """segments with each group pick(live sizes) names merged by run(storage, schema, codec,
    indexname, sources), again until pick names none. A failed merge leaves its sources."""
    out = [s for s in segments if s.doc_count() > 0]
    while group := pick([s.doc_count() for s in out]):
        sources = [out[i] for i in sorted(group)]  # in write order
        try:
            merged = run(writer.storage, writer.schema, writer.codec, writer.indexname, sources)
        except Exception:  # noqa: BLE001 (the documents are written: commit them unmerged)
            log.warning("merging %d segments failed; kept as they are", len(sources),
                        exc_info=True)
            break
        first = min(group)
        out = [s for i, s in enumerate(out) if i not in group]
        out.insert(min(first, len(out)), merged)
    return out


def _in_child(*args):
    """merge(*args) in a fresh process: its memory is the merge's alone, and freed after."""
    ctx = multiprocessing.get_context("spawn")  # not fork: a copy of a big writer's memory
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=child_start,
                             initargs=(os.getpid(), lemma_table.in_use())) as pool:
        return pool.submit(merge, *args).result()


def child_start(parent: int, tables) -> None:
    """A merge process's start: it dies with its parent, and reads the lemma tables its parent
    reads (a spawned process has none; the word table looks up each form of the texts)."""
    from search.ingest.parallel import _die_with_parent

    _die_with_parent(parent)
    if tables is not None:
        lemma_table.use(tables)


def merge_index(ix, factor: int | None = None, max_docs: int | None = None) -> int:
    """Merge an index's segments by the policy, in one commit; the segments it has after."""
    writer = ix.writer()
    try:
        found = []
        writer.commit(mergetype=lambda w, old: found.extend(merge_tiers(w, old, factor,
                                                                        max_docs)) or found)
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    return len(found)


def merge(storage, schema, codec, indexname, segments: list, out=None):
    """Write one segment holding the live documents of segments, in their order; return it.
    out: the storage to write it in (default: the sources' own)."""
    readers = [SegmentReader(storage, schema, s) for s in segments]
    storage = out or storage  # from here on, where the new segment goes
    segment = codec.new_segment(storage, indexname)
    side = None
    try:
        docmaps, total = [], 0
        for r in readers:
            live = read_live(r)
            new = np.full(len(live), -1, np.int64)
            new[live] = total + np.arange(int(live.sum()))
            docmaps.append(new)
            total += int(live.sum())
        scorable = [n for n, f in schema.items() if f.scorable]
        exact = {n: np.zeros(total, np.int64) for n in scorable}
        side = StreamedSidecar(storage.folder if hasattr(storage, "folder") else None, exact)
        _write_postings(storage, schema, codec, segment, readers, docmaps, total, side)
        titles, surfaces = copy_docs(storage, schema, segment, readers, docmaps, exact, side)
        side.write(segment.create_file(storage, arrays_codec.EXT))
        arrays_codec.write_lexicon(storage, segment, side.terms, surfaces, titles=titles)
        segment.set_doc_count(total)
        segment.create_compound_file(storage)
        return segment
    except BaseException:
        if side is not None:
            side.close()
        arrays_codec._titles.pop(segment.segment_id(), None)
        for name in list(storage):
            if name.startswith(segment.segment_id()):
                try:
                    storage.delete_file(name)
                except OSError:
                    pass
        raise
    finally:
        for r in readers:
            r.close()


def _write_postings(storage, schema, codec, segment, readers, docmaps, total, side):
    """Every term of the sources, renumbered past deleted documents, as W3 blocks."""
    # Block length statistics use Whoosh's byte-coded lengths, which round-trip exactly.
    approx = {}
    for name, f in schema.items():
        if f.scorable:
            col = np.zeros(total, np.float32)
            for r, m in zip(readers, docmaps, strict=True):
                keep = m >= 0
                col[m[keep]] = read_lengths(r, name)[keep]
            approx[name] = col
    fw = FieldWriter(codec, storage, segment)
    try:
        _write_terms(fw, schema, readers, docmaps, approx, side)
    except BaseException:
        close_quietly(fw._postfile, fw._tindex.dbfile)
        raise
    fw.close()


def _write_terms(fw, schema, readers, docmaps, approx, side):
    mapped = heap.mapped(readers)
    maps = [m.tolist() for m in docmaps]
    offsets = np.cumsum([0] + [len(m) for m in docmaps])[:-1]
    batch = Batch([r._terms._postfile for r in readers], np.concatenate(docmaps), offsets)
    post = fw._postfile
    postfiles = [r._terms._postfile for r in readers]
    field, prefix, lengths, lens, keep, size = None, b"", None, None, False, None
    streams = [source_terms(i, r) for i, r in enumerate(readers)]
    merged = heapq.merge(*streams, key=lambda t: t[0])
    pending = next(merged, None)
    while pending is not None:
        key, parts = pending[0], [pending]
        pending = next(merged, None)
        while pending is not None and pending[0] == key:
            parts.append(pending)
            pending = next(merged, None)
        name, tbytes = key
        if name not in schema:
            continue
        fieldobj = schema[name]
        if name != field:
            if field is not None:
                batch.write(fw, prefix, lengths, side, field if keep else None)
                fw.finish_field()
            fw.start_field(name, fieldobj)
            field, prefix = name, pack_ushort(fw._fieldid)
            size = fieldobj.format.fixed_value_size()
            keep = isinstance(fieldobj.format, PositionBoosts)
            lengths = approx.get(name)
            lens = None if lengths is None else lengths.tolist()
            lengths = None if lengths is None else lengths.astype(np.int64)
        if size is None:  # text: in batches, as arrays (merge_terms.py)
            batch.add(tbytes, [(i, value) for _, i, value in parts])
            if batch.n >= BATCH:
                batch.write(fw, prefix, lengths, side, field if keep else None)
                heap.drop_pages(mapped)
            continue
        ids, weights, values = [], [], []
        for _, i, value in parts:
            d, w, v = read_term(postfiles[i], W3TermInfo.from_bytes(value), size)
            m = maps[i]
            new = [m[x] for x in d]
            if min(new) < 0:
                live = [j for j, x in enumerate(new) if x >= 0]
                new, w, v = [new[j] for j in live], [w[j] for j in live], [v[j] for j in live]
            ids += new
            weights += w
            values += v
        if not ids:  # every posting was a deleted document's
            continue
        info = W3TermInfo()
        start = post.tell()
        post.write(WHOOSH3_HEADER_MAGIC)
        for s in range(0, len(ids), BLOCK):
            chunk = ids[s:s + BLOCK]
            ls = [lens[d] for d in chunk] if lens is not None else [0]
            vals = values[s:s + BLOCK]
            vals = None if size == 0 else b"".join(vals)
            write_block(post, info, chunk, weights[s:s + BLOCK], pickled(vals), min(ls),
                        max(ls), last=s + BLOCK >= len(ids))
        info.set_extent(start, post.tell() - start)
        fw._tindex.add(prefix + tbytes, info.to_bytes())
    if field is not None:
        batch.write(fw, prefix, lengths, side, field if keep else None)
        fw.finish_field()
