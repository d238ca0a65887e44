"""Reindex into a cluster: documents analysed here, sent to their shard's every mirror."""

import os
import tempfile
import time
from collections import Counter
from multiprocessing import get_context
from pathlib import Path

from search.cluster import runs, tally
from search.cluster.config import GENERATIONS, dist_index
from search.cluster.groups import Groups
from search.cluster.rows import make_row, source_hash, values_sql
from search.cluster.store import connect_head, parse_urls, read_meta, switch
from search.cluster.writer import ShardWriter
from search.ingest import store as local_store
from search.ingest.documents import Document, Skip, load
from search.ingest.indexer import Summary, _signature, _under, walk
from search.morph import LANGS


def _analyse(job):
    """Rows of one file's documents (runs in a worker process): (key, sig, rows, errors)."""
    path, key, sig, doc_id = job
    errors: list[str] = []
    try:
        docs = list(load(Path(path), errors, doc_id))
    except Skip as e:
        return key, sig, None, [str(e)]
    except (OSError, EOFError, UnicodeError, ValueError) as e:
        return key, sig, None, [f"unreadable: {e}"]
    return key, sig, [_prepared(d, key, sig) for d in docs], errors


def _prepared(doc, key: str, sig: str) -> tuple[str, int, str, set[str], bytes]:
    """(document id, row id, VALUES text, terms, near-duplicate signature) of a document."""
    row, terms = make_row(doc, key, sig)
    return row["doc_id"], row["id"], values_sql(row), terms, row["near"]


def _indexed(cur, gen: str) -> dict[str, str]:
    """source → signature of every file in a generation."""
    cur.execute(f"SELECT source, signature FROM {dist_index(gen)} GROUP BY source_hash "
                "LIMIT 1000000 OPTION max_matches=1000000")
    return dict(cur.fetchall())


def _old_rows(cur, gen: str, key: str) -> list[tuple]:
    cur.execute(f"SELECT id, doc_id, title, body, lang FROM {dist_index(gen)} WHERE "
                f"source_hash = {source_hash(key)} LIMIT 1000000 OPTION max_matches=1000000")
    return cur.fetchall()


def _lock_dir(url: str) -> Path:
    """The feeders' lock on this machine, named for the cluster's first head."""
    host, port = parse_urls(url)[0]
    return Path(tempfile.gettempdir()) / f"newsearch-cluster-{host}:{port}"


def reindex(url: str, sources, full: bool = False, lock_timeout: float = 0.0,
            procs: int = 1) -> Summary:
    """Index the files under sources into the cluster whose head is url; a Summary.

    Incremental: changed files' documents are replaced, removed files' documents deleted, in
    the live generation. Full: the other generation is emptied and filled, then the head's
    meta switches searches to it (no downtime: the old one serves until then).
    """
    started = time.monotonic()
    summary = Summary()
    with local_store.lock(_lock_dir(url), timeout=lock_timeout):
        head = connect_head(url)
        try:
            with head.cursor() as cur:
                meta = read_meta(cur)
                live, layout = meta["live"], meta["layout"]
                gen = GENERATIONS[1 - GENERATIONS.index(live)] if full else live
                indexed = {} if full else _indexed(cur, live)
                run = runs.Run(layout, gen)
                if not full:
                    for key in run.unfinished():
                        if key in indexed:
                            indexed[key] = ""  # a crashed run's file: written again
                # Copy groups are kept up in a generation that has them (a full rebuild's).
                groups = (Groups.load(layout.root, gen, fresh=full)
                          if full or meta["copies"] else None)
                lost = _feed(cur, layout, gen, indexed, sources, summary,
                             procs if full else 1, full, run, groups)
                if full:
                    switch(cur, gen, layout)
        finally:
            head.close()
    summary.seconds = time.monotonic() - started
    summary.lagging = sorted(lost)  # mirrors that missed writes: `repair` catches them up
    return summary


def _feed(cur, layout, gen, indexed, sources, summary, procs, full, run, groups) -> set[str]:
    """Write the changed files; the mirrors that missed some of it."""
    files = walk(sources, summary.skipped)
    tally_path = Path(layout.root) / f"tally-{gen}.tsv" if layout.root else None
    freq, total = (Counter(), 0) if full or not tally_path else tally.load(tally_path)
    writer = ShardWriter(layout, gen)
    try:
        if full:
            writer.truncate()
        jobs = []
        for path, doc_id in files:
            key = str(path)
            try:
                sig = _signature(path, doc_id)
            except OSError as e:
                summary.skipped.append((key, e.strerror or str(e)))
                continue
            if indexed.get(key) == sig:
                summary.unchanged += 1
                continue
            jobs.append((key, key, sig, doc_id))
        roots = [str(Path(p).resolve()) for p in sources]
        gone = [key for key in indexed.keys() - {str(p) for p, _ in files}
                if _under(key, roots) and not os.path.exists(key)]
        run.begin([j[0] for j in jobs] + gone)
        seen: set[str] = set()
        ctx = get_context("fork")
        pool = ctx.Pool(procs) if procs > 1 and len(jobs) > 1 else None
        try:
            done = pool.imap(_analyse, jobs) if pool else map(_analyse, jobs)
            for key, _, rows, errors in done:
                total += _write_file(cur, writer, gen, key, rows, errors, indexed, seen, freq,
                                     summary, groups)
        finally:
            if pool:
                pool.close()
                pool.join()
        for key in gone:
            total -= _drop(cur, writer, gen, key, freq, groups)
            summary.deleted += 1
        writer.flush()
        if groups is not None and (jobs or gone):
            writer.set_groups(groups.relabel())
        if full:
            writer.flush_ram_chunks()
        writer.wait()
        if groups is not None and (jobs or gone or full):
            groups.save()
        run.written(writer.seqs())
    finally:
        writer.close()
    run.settle()
    changed = summary.indexed_files or summary.deleted
    if changed and tally_path and Path(layout.root).is_dir():
        tally.save(tally_path, freq, total)
    return writer.lost


def _write_file(cur, writer, gen, key, rows, errors, indexed, seen, freq, summary,
                groups=None) -> int:
    """Write one file's rows (replacing its old ones); the change in the document count."""
    if rows is None:
        summary.skipped.append((key, errors[0]))
        return 0
    change = _drop(cur, writer, gen, key, freq, groups) if key in indexed else 0
    written = 0
    for doc_id, rid, values, terms, near in rows:
        if doc_id in seen:
            errors.append(f"duplicate id {doc_id!r}: first one kept")
            continue
        seen.add(doc_id)
        writer.add(rid, values)
        freq.update(terms)
        if groups is not None:
            groups.add(rid, near)
        written += 1
    for err in errors[:5]:
        summary.skipped.append((key, err))
    if len(errors) > 5:
        summary.skipped.append((key, f"... and {len(errors) - 5} more bad records"))
    if written:
        summary.documents += written
        if key in indexed:
            summary.updated += 1
        else:
            summary.added += 1
    elif not errors:
        summary.skipped.append((key, "no documents"))
    return written - change


def _drop(cur, writer, gen, key, freq, groups=None) -> int:
    """Delete a file's documents from the cluster, the tally and the copy groups; how many
    there were."""
    writer.wait()  # rows of this file sent earlier in this run are in before they are read
    old = _old_rows(cur, gen, key)
    for _, doc_id, title, body, lang in old:
        _, terms = make_row(Document(doc_id, title, body, lang=LANGS[lang]), key, "")
        freq.subtract(terms)
    writer.delete([r[0] for r in old])
    if groups is not None:
        groups.remove(r[0] for r in old)
    return len(old)
