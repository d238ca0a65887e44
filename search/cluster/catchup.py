"""Catch mirrors up from their shard's journal: in place, or started hidden from searches."""

import time

import pymysql

from search.cluster import journal, nodes
from search.cluster.errors import ClusterError
from search.cluster.store import add_rank_columns, connect


def mirrors(layout):
    """(shard, mirror, name, address) of every mirror."""
    for i, group in enumerate(layout.shards):
        for j, addr in enumerate(group):
            yield i, j, f"shard{i}m{j}", addr


def lag(layout, shard: int, name: str, last: int | None = None) -> int:
    """Statements of the shard's journal the mirror has not applied."""
    if last is None:
        last = journal.Journal(layout.root, shard).last
    return max(0, last - journal.applied(layout.root, name))


def replay(layout, shard: int, name: str, addr) -> int:
    """Apply to one answering mirror what its shard's journal holds past its last applied
    sequence; the number of statements applied."""
    jr = journal.Journal(layout.root, shard)
    done = journal.applied(layout.root, name)
    if done < jr.first() - 1:
        raise ClusterError(f"{name} is behind what the journal keeps (it applied {done}, the "
                           f"journal starts at {jr.first()}): copy another mirror's data")
    n = 0
    with connect(addr) as conn, conn.cursor() as cur:
        add_rank_columns(conn, shard)  # statements written since carry them
        for seq, sql in jr.after(done):
            try:
                cur.execute(sql)
            except pymysql.Error as e:
                raise ClusterError(f"{name} failed statement {seq}: {e}") from e
            journal.set_applied(layout.root, name, seq)
            n += 1
    return n


def repair(layout, start_dead: bool = True) -> dict:
    """Catch every lagging mirror up. A dead one (when start_dead and the cluster is local) is
    started without the port the heads query, caught up, then restarted in full, so that no
    search reads it stale. {name: statements applied}; a mirror that cannot be reached is
    left out."""
    out = {}
    lasts = {i: journal.Journal(layout.root, i).last for i in range(len(layout.shards))}
    for i, _, name, addr in mirrors(layout):
        up = nodes.answers(addr)
        behind = lag(layout, i, name, lasts[i])
        if up and behind:
            out[name] = replay(layout, i, name, addr)
        elif not up and start_dead and layout.root and behind:
            nodes.start(layout, only=[name], hidden=[name])
            try:
                out[name] = replay(layout, i, name, addr)
            finally:
                nodes.restart_nodes(layout, [name])
        elif not up and start_dead and layout.root:
            nodes.start(layout, only=[name])
            out[name] = 0
    return out


def timed_repair(layout) -> tuple[dict, float]:
    started = time.monotonic()
    done = repair(layout)
    return done, time.monotonic() - started
