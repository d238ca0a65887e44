"""A full rebuild of a cluster from Document objects (no files): analysed in worker processes."""

import time
from collections import Counter
from multiprocessing import get_context
from pathlib import Path

from search.cluster import tally
from search.cluster.config import GENERATIONS
from search.cluster.feed import _lock_dir, _prepared
from search.cluster.groups import Groups
from search.cluster.store import connect_head, read_meta, switch
from search.cluster.writer import ShardWriter
from search.ingest import store as local_store

CHUNK = 500  # documents per task sent to an analysing process


def _chunk(job):
    docs, source = job
    out, freq = [], Counter()
    for d in docs:
        _, rid, values, terms, near = _prepared(d, source, "")
        out.append((rid, values, near))
        freq.update(terms)
    return out, freq


def load_documents(url: str, docs, procs: int = 1, source: str = "bulk",
                   disk_chunks: bool = True) -> dict:
    """Fill the cluster's idle generation with docs, then switch searches to it (its rows
    written out as disk chunks, unless not disk_chunks: a bench compares).

    Returns {"docs", "seconds", "feed_seconds"}: analysing and sending apart from the
    switch and the tally's save.
    """
    started = time.monotonic()
    with local_store.lock(_lock_dir(url)):
        head = connect_head(url)
        try:
            with head.cursor() as cur:
                meta = read_meta(cur)
                layout = meta["layout"]
                gen = GENERATIONS[1 - GENERATIONS.index(meta["live"])]
                writer = ShardWriter(layout, gen)
                groups = Groups.load(layout.root, gen, fresh=True)
                freq: Counter = Counter()
                n = 0
                try:
                    writer.truncate()
                    jobs = ((docs[i:i + CHUNK], source) for i in range(0, len(docs), CHUNK))
                    with get_context("fork").Pool(procs) as pool:
                        for rows, counts in pool.imap(_chunk, jobs):
                            for rid, values, near in rows:
                                writer.add(rid, values)
                                groups.add(rid, near)
                            freq.update(counts)
                            n += len(rows)
                    writer.set_groups(groups.relabel())
                    if disk_chunks:
                        writer.flush_ram_chunks()
                finally:
                    writer.close()
                groups.save()
                fed = time.monotonic()
                if layout.root and Path(layout.root).is_dir():
                    tally.save(Path(layout.root) / f"tally-{gen}.tsv", freq, n)
                switch(cur, gen, layout)
        finally:
            head.close()
    done = time.monotonic()
    return {"docs": n, "seconds": done - started, "feed_seconds": fed - started}
