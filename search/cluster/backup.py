"""Snapshot and restore of a local cluster's folder: data, journals, layout, IDF and tallies."""

import os
import tarfile
import time
from pathlib import Path

from search.cluster import nodes
from search.cluster.config import GENERATIONS, META, shard_index
from search.cluster.errors import ClusterError
from search.cluster.store import connect
from search.ingest import store as local_store

SKIP = {"searchd.pid", "searchd.log", "query.log"}


def _flush(layout) -> None:
    """Save every running node's RT indexes to disk (FLUSH RTINDEX), so the files are whole."""
    for name, addr in layout.nodes():
        if not nodes.answers(addr, 0.3):
            continue  # a dead node's files (with its binlog) are what it left
        indexes = [META] if name.startswith("head") else [
            shard_index(int(name[5:name.index("m")]), g) for g in GENERATIONS]
        with connect(addr) as conn, conn.cursor() as cur:
            for index in indexes:
                cur.execute(f"FLUSH RTINDEX {index}")


def snapshot(root, out, lock_timeout: float = 60.0) -> int:
    """Write the cluster under root to the archive out (.tar.gz), no reindex running
    meanwhile; the number of files archived."""
    from search.cluster.feed import _lock_dir
    from search.cluster.ops import url_of

    root = Path(root).resolve()
    layout = nodes.load_layout(root)
    n = 0
    with local_store.lock(_lock_dir(url_of(layout)), timeout=lock_timeout):
        _flush(layout)
        with tarfile.open(out, "w:gz") as tar:
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.name not in SKIP:
                    tar.add(path, arcname=str(path.relative_to(root)))
                    n += 1
    return n


def restore(root, archive) -> Path | None:
    """Unpack archive as the cluster under root (its nodes must be stopped). A folder that was
    there is kept, renamed; its new name, or None."""
    root = Path(root).resolve()
    if (root / nodes.LAYOUT_FILE).exists():
        layout = nodes.load_layout(root)
        if any(nodes.answers(a, 0.3) for _, a in layout.nodes()):
            raise ClusterError(f"the cluster in {root} is running: stop it first")
    kept = None
    if root.exists() and any(root.iterdir()):
        kept = root.with_name(f"{root.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
        os.rename(root, kept)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(root, filter="data")
    layout = nodes.load_layout(root)
    old = Path(layout.root)
    if old != root:  # restored elsewhere: the layout's paths follow
        layout.root = str(root)
        nodes.save_layout(layout)
    return kept
