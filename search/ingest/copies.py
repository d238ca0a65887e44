"""Near-duplicate groups stored by the writer at each commit, so no search rebuilds them.

    MAIN_<segment>.lsh   per segment, written once: its MinHash signatures and, per LSH band,
                         the band keys sorted with their documents
    .copies-<gen>        per commit (TOC generation): the copy links of the whole index, as
                         (segment, document) pairs, and the group label of every document

At commit (hook() wraps the writer's TOC write, so the file exists before the TOC that needs
it) the links of the previous commit are kept for the segments still there, and only the new
segments (a bulk run's, a merge's, live ingest's) are linked: with themselves and, band by band,
against every other segment's sorted keys. Labels are then the components of the links between
live documents. Workers map the file of their TOC generation (search/engine/view.py).
"""

import logging
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from whoosh.reading import SegmentReader

from search import segfile
from search.ingest import dedup

log = logging.getLogger(__name__)

EXT = ".lsh"
PREFIX = ".copies-"
_LSH = b"newsearch-lsh-1\n"
_COPIES = b"newsearch-copies-1\n"
MATCHES = 4  # documents sharing a band key that each document is compared with, per band
_SIMILAR = 100_000  # candidate pairs compared at a time (256 bytes a signature)
KEEP = 4  # the latest commits' files kept (workers may still be reading an older commit)
_NAME = re.compile(r"^\.copies-(\d+)$")
# Documents to link, past which a spawned process links them (a bulk run's first commit): the
# pairs of a big index take hundreds of MB, which its memory frees after, not the writer's.
CHILD_AFTER = 20_000


class Table:
    """One segment's signatures and band tables (views of its mapped .lsh file)."""

    def __init__(self, c: dict):
        n = len(c["has"])
        self.has = c["has"].view(bool)
        self.sigs = c["sigs"].reshape(n, dedup.PERMS)
        m = len(c["keys"]) // dedup.BANDS
        self.keys = c["keys"].reshape(dedup.BANDS, m)
        self.docs = c["docs"].reshape(dedup.BANDS, m)


def _build(sigs: np.ndarray, has: np.ndarray) -> dict:
    idx = np.flatnonzero(has).astype(np.int32)
    keys, docs = [], []
    for band in range(dedup.BANDS):
        key = dedup.band_keys(sigs[idx], band)
        order = np.argsort(key, kind="stable")
        keys.append(key[order])
        docs.append(idx[order])
    cat = np.concatenate
    return {"has": has.astype(np.uint8), "sigs": sigs.reshape(-1),
            "keys": cat(keys) if keys else np.zeros(0, np.uint64),
            "docs": cat(docs) if docs else np.zeros(0, np.int32)}


_mapped: dict[Path, Table] = {}  # tables mapped by this process's last commit (files never change)


def table(storage, schema, segment) -> Table:
    """A segment's table: mapped from its file, written first from its near column if missing."""
    from search.ingest.readback import read_near

    path = Path(storage.folder) / segment.make_filename(EXT)
    if path in _mapped:
        return _mapped[path]
    if not path.exists():
        reader = SegmentReader(storage, schema, segment)
        try:
            sigs, has = read_near(reader)
        finally:
            reader.close()
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            segfile.write(open(tmp, "wb"), _LSH, _build(sigs, has))  # noqa: SIM115 (closed)
            tmp.replace(path)  # atomic: a reader never maps half a file
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    found = segfile.read(np.memmap(path, np.uint8, "r"), _LSH)
    if found is None:
        raise ValueError(f"{path} is not a signature table")
    _mapped[path] = Table(found[1])
    return _mapped[path]


def _pairs(x: Table, y: Table, same: bool) -> tuple[np.ndarray, np.ndarray]:
    """(documents of x, documents of y) that share a band key and are copies.

    Each document is compared with the first MATCHES documents of y with its key in each band
    (not only with its neighbour, as dedup.links does), so that deleting one copy later never
    separates the others; pairs are made unique band by band, to bound memory.
    """
    n = len(y.has)
    codes = np.zeros(0, np.int64)
    for band in range(dedup.BANDS):
        kx, dx, ky, dy = x.keys[band], x.docs[band], y.keys[band], y.docs[band]
        if not len(kx) or not len(ky):
            continue
        lo = np.searchsorted(ky, kx, "left")
        count = np.minimum(np.searchsorted(ky, kx, "right") - lo, MATCHES)
        if not count.any():
            continue
        rep = np.repeat(np.arange(len(kx)), count)
        j = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        a, b = dx[rep].astype(np.int64), dy[lo[rep] + j].astype(np.int64)
        if same:  # each pair once, never a document with itself
            a, b = np.minimum(a, b), np.maximum(a, b)
            keep = a != b
            a, b = a[keep], b[keep]
        codes = np.unique(np.concatenate([codes, a * n + b]))
    a, b = codes // n, codes % n
    close = np.zeros(len(codes), bool)
    for s in range(0, len(codes), _SIMILAR):  # signatures compared a chunk of pairs at a time
        e = s + _SIMILAR
        close[s:e] = dedup.similar(x.sigs[a[s:e]], y.sigs[b[s:e]])
    return a[close], b[close]


def pairs_within(sigs: np.ndarray, has: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) of rows that are copies, among rows given as signatures in one table: the pairs
    an index of one segment links (for a cluster's rows, search/cluster/groups.py)."""
    table = Table(_build(sigs, has))
    return _pairs(table, table, same=True)


def _previous(folder: Path, below: int):
    """(meta, columns) of the latest copies file of a commit before below, or None."""
    gens = sorted((int(m.group(1)) for p in folder.iterdir() if (m := _NAME.match(p.name))),
                  reverse=True)
    for gen in gens:
        if gen < below:
            found = segfile.read(np.memmap(folder / f"{PREFIX}{gen}", np.uint8, "r"), _COPIES)
            if found is not None:
                return found
    return None


def write(storage, schema, gen: int, segments: list) -> None:
    """Link the segments a commit adds, keep the links of the others, and write the labels."""
    prev = _previous(Path(storage.folder), gen)
    known = {sid for sid, _, _ in prev[0]["segments"]} if prev is not None else set()
    unlinked = sum(s.doc_count_all() for s in segments if s.segment_id() not in known)
    if unlinked < CHILD_AFTER:
        _write(storage, schema, gen, segments)
        return
    from search.ingest.parallel import _die_with_parent

    ctx = multiprocessing.get_context("spawn")  # not fork: a copy of the writer's memory
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        pool.submit(_write, storage, schema, gen, segments).result()


def _write(storage, schema, gen: int, segments: list, full: bool = False) -> None:
    folder = Path(storage.folder)
    ids = [s.segment_id() for s in segments]
    tables = [table(storage, schema, s) for s in segments]
    wanted = {folder / s.make_filename(EXT) for s in segments}
    for path in [p for p in _mapped if p not in wanted]:  # merged away, or another index
        del _mapped[path]
    sa, da, sb, db = [], [], [], []
    prev = _previous(folder, gen)
    known = set()
    if prev is not None:
        meta, c = prev
        where = {sid: i for i, sid in enumerate(ids)}
        remap = np.array([where.get(sid, -1) for sid, _, _ in meta["segments"]], np.int64)
        ma, mb = remap[c["sa"]], remap[c["sb"]]
        keep = (ma >= 0) & (mb >= 0)  # links of segments still there
        for out, col in ((sa, ma), (da, c["da"]), (sb, mb), (db, c["db"])):
            out.append(col[keep].astype(np.int64))
        known = {sid for sid, _, _ in meta["segments"]} & set(ids)
    new = [i for i, sid in enumerate(ids) if sid not in known]
    old_links = sum(len(x) for x in sa)
    for i in new:
        for j in range(len(segments)):
            if j in new and j < i:
                continue  # linked already, as (j, i)
            a, b = _pairs(tables[i], tables[j], same=i == j)
            for out, col in ((sa, np.full(len(a), i)), (da, a), (sb, np.full(len(b), j)),
                             (db, b)):
                out.append(col)
    sa, da, sb, db = (np.concatenate(p) if p else np.zeros(0, np.int64) for p in (sa, da, sb, db))
    sizes = [s.doc_count_all() for s in segments]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    live = np.ones(int(offsets[-1]), bool)
    for s, base in zip(segments, offsets[:-1].tolist(), strict=False):
        gone = np.fromiter(s.deleted_docs(), np.int64)
        live[gone + base] = False
    ga, gb = offsets[sa] + da, offsets[sb] + db
    both = live[ga] & live[gb]
    label = None if full or prev is None else _relabel(prev, ids, offsets, live, ga, gb, both,
                                                        old_links)
    if label is None:
        label = dedup.components(len(live), ga[both], gb[both])
    has = np.bincount(label, minlength=len(label))[label] > 1
    name = folder / f"{PREFIX}{gen}"
    tmp = folder / f".{name.name}.{os.getpid()}.tmp"
    columns = {"label": label.astype(np.int64), "has": has.astype(np.uint8),
               "sa": sa.astype(np.int32), "da": da.astype(np.int32),
               "sb": sb.astype(np.int32), "db": db.astype(np.int32)}
    segs = [(sid, n, s.deleted_count()) for sid, n, s in zip(ids, sizes, segments, strict=True)]
    try:
        segfile.write(open(tmp, "wb"), _COPIES, columns, segments=segs)  # noqa: SIM115
        tmp.replace(name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    for p in folder.iterdir():  # older commits' files, but the last few
        m = _NAME.match(p.name)
        if m and int(m.group(1)) <= gen - KEEP:
            p.unlink(missing_ok=True)


def _relabel(prev, ids, offsets, live, ga, gb, both, old_links: int):
    """The labels components() would give, recomputed only for the groups a commit touched:
    those of the new segments' documents, of documents deleted or merged away since prev, and
    of the documents new links reach (the first old_links links are prev's own). The other
    groups keep prev's labels, renumbered; None when prev's segment order was not kept (the
    smallest number of a group is then not the same document)."""
    meta, c = prev
    before = [sid for sid, _, _ in meta["segments"]]
    where = {sid: i for i, sid in enumerate(ids)}
    kept = [where[sid] for sid in before if sid in where]
    if kept != sorted(kept) or len(c["label"]) != sum(n for _, n, _ in meta["segments"]):
        return None
    # Each old document's number now (-1: its segment is gone).
    moved = np.full(len(c["label"]), -1, np.int64)
    at = 0
    for sid, n, _ in meta["segments"]:
        if sid in where:
            moved[at:at + n] = offsets[where[sid]] + np.arange(n)
        at += n
    old_label = c["label"].astype(np.int64)
    dirty_old = np.zeros(len(old_label), bool)  # by old label: that group is recomputed
    dirty_old[old_label[moved < 0]] = True  # merged away or dropped
    now = np.full(len(live), -1, np.int64)  # each document's old number (-1: new)
    held = moved >= 0
    now[moved[held]] = np.flatnonzero(held)
    dead = np.flatnonzero(~live)
    dirty_old[old_label[now[dead][now[dead] >= 0]]] = True  # deleted (or deleted long ago)
    fresh = np.zeros(len(ga), bool)
    fresh[old_links:] = True
    for end in (ga[fresh], gb[fresh]):  # groups a new link reaches
        o = now[end]
        dirty_old[old_label[o[o >= 0]]] = True
    dirty = now < 0
    dirty[now >= 0] = dirty_old[old_label[now[now >= 0]]]
    label = np.full(len(live), -1, np.int64)
    clean = ~dirty
    label[clean] = moved[old_label[now[clean]]]
    nodes = np.flatnonzero(dirty)  # sorted: the smallest compact number is the smallest
    compact = np.full(len(live), -1, np.int64)
    compact[nodes] = np.arange(len(nodes))
    sub = both & dirty[ga]  # a link's ends are both dirty or both clean (a group is whole)
    label[nodes] = nodes[dedup.components(len(nodes), compact[ga[sub]], compact[gb[sub]])]
    return label


def hook(writer) -> None:
    """Have a Whoosh SegmentWriter write the commit's copies file just before its TOC."""
    commit_toc = writer._commit_toc

    def write_then_toc(segments):
        try:
            write(writer.storage, writer.schema, writer.generation, segments)
        except Exception:  # noqa: BLE001 (searches then group the copies themselves)
            log.warning("near-duplicate groups not stored", exc_info=True)
        commit_toc(segments)

    writer._commit_toc = write_then_toc


def load(folder, gen: int, segments: list[tuple[str, int, int]]):
    """(label, has copies) per document stored for commit gen of folder, if it was written for
    exactly these segments ((id, documents, deleted) each); else None."""
    path = Path(folder) / f"{PREFIX}{gen}"
    try:
        found = segfile.read(np.memmap(path, np.uint8, "r"), _COPIES)
    except (OSError, ValueError):
        return None
    if found is None or [tuple(s) for s in found[0]["segments"]] != segments:
        return None
    c = found[1]
    return c["label"], c["has"].view(bool)
