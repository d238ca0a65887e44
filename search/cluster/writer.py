"""Statements into one generation of every shard: journaled first, then sent to each mirror."""

import time
from concurrent.futures import ThreadPoolExecutor

import pymysql

from search.cluster import catchup, journal
from search.cluster.config import COPY_GROUP, shard_index
from search.cluster.errors import ClusterError
from search.cluster.rows import COLUMNS, shard_of, with_ordinal
from search.cluster.store import add_rank_columns, connect

BATCH_BYTES = 1024 * 1024  # rows per REPLACE statement, by size (searchd takes 32 MB)
MAX_PENDING = 16  # statements sent ahead of their answers, over all mirrors


class ShardWriter:
    """Buffered REPLACE, DELETE and UPDATE into one generation of every shard, on every live mirror.

    Each statement goes into its shard's journal (fsync'd) first. Each mirror's connection
    has its own sending thread (statements stay in order per connection): the mirrors index
    in parallel while the next rows are being analysed. A mirror that is down, or fails
    mid-run, is skipped for the rest of the run (`lost`): its journal catches it up later.
    """

    def __init__(self, layout, gen: str):
        if not layout.root:
            raise ClusterError("the cluster layout has no folder for its write journals")
        self.layout, self.gen = layout, gen
        self.n = layout.count(gen)
        self.journals = [journal.Journal(layout.root, s) for s in range(self.n)]
        self.names = [[f"shard{s}m{j}" for j in range(len(layout.shards[s]))]
                      for s in range(self.n)]
        self.lost: set[str] = set()
        for s in range(self.n):
            for name, addr in zip(self.names[s], layout.shards[s], strict=True):
                if catchup.lag(layout, s, name, self.journals[s].last):
                    try:  # a mirror that came back: caught up before new statements
                        catchup.replay(layout, s, name, addr)
                    except ClusterError:
                        self.lost.add(name)
        self.conns = [[self._connect(name, m) for name, m in zip(self.names[s],
                                                                 layout.shards[s],
                                                                 strict=True)]
                      for s in range(self.n)]
        for s in range(self.n):
            self._check(s)
        self.senders = [[ThreadPoolExecutor(1) for _ in self.names[s]] for s in range(self.n)]
        self.pending: list = []
        self.rows: list[list[str]] = [[] for _ in range(self.n)]
        self.ordinal = time.time_ns()  # later runs' rows come after earlier runs' ones
        self.size = [0] * self.n

    def _connect(self, name, addr):
        if name in self.lost:
            return None
        try:
            conn = connect(addr, timeout=2.0)
            add_rank_columns(conn, int(name[5:name.index("m")]))
            return conn
        except (ClusterError, pymysql.OperationalError, pymysql.InterfaceError):
            self.lost.add(name)
            return None

    def _check(self, shard: int) -> None:
        if all(name in self.lost for name in self.names[shard]):
            raise ClusterError(f"shard {shard} has no live mirror: its writes so far are in "
                               "its journal; start a mirror (`python -m search.cluster start` "
                               "or `repair`), then run again")

    def _all(self, shard: int, *statements: str) -> None:
        """Journal the statements (one fsync), then send them to every live mirror."""
        seqs = self.journals[shard].append_many(list(statements))
        for seq, sql in zip(seqs, statements, strict=True):
            for j, sender in enumerate(self.senders[shard]):
                if self.names[shard][j] not in self.lost:
                    self.pending.append(sender.submit(self._apply, shard, j, seq, sql))
            while len(self.pending) > MAX_PENDING:
                self.pending.pop(0).result()  # raises what the statement raised

    def _apply(self, shard: int, j: int, seq: int, sql: str) -> None:
        name = self.names[shard][j]
        if name in self.lost:
            return
        try:
            _execute(self.conns[shard][j], sql)
        except (pymysql.OperationalError, pymysql.InterfaceError):
            self.lost.add(name)  # dead mid-run: the journal has what it missed
            _close(self.conns[shard][j])
            self._check(shard)
            return
        journal.set_applied(self.layout.root, name, seq)

    def add(self, rid: int, values: str) -> None:
        """Queue a row (rows.values_sql), numbered in the order rows are added."""
        s = shard_of(rid, self.n)
        values = with_ordinal(values, self.ordinal)
        self.ordinal += 1
        self.rows[s].append(values)
        self.size[s] += len(values)
        if self.size[s] > BATCH_BYTES:
            self.flush(s)

    def flush(self, shard: int | None = None) -> None:
        for s in range(self.n) if shard is None else [shard]:
            if self.rows[s]:
                self._all(s, f"REPLACE INTO {shard_index(s, self.gen)} ({', '.join(COLUMNS)}) "
                             f"VALUES {','.join(self.rows[s])}")
            self.rows[s], self.size[s] = [], 0

    def wait(self) -> None:
        while self.pending:
            self.pending.pop(0).result()

    def delete(self, ids: list[int]) -> None:
        for s, group in _by_shard(ids, self.n).items():
            for part in _chunks(group):
                self._all(s, f"DELETE FROM {shard_index(s, self.gen)} WHERE id IN ({part})")

    def set_groups(self, changed: dict[int, list[int]]) -> None:
        """Set the copy group of rows already sent ({group: row ids}, groups.relabel()):
        UPDATE statements, after every row queued so far."""
        self.flush()
        by_shard: dict[int, list[str]] = {}
        for group, ids in sorted(changed.items()):
            for s, part in _by_shard(ids, self.n).items():
                by_shard.setdefault(s, []).extend(
                    f"UPDATE {shard_index(s, self.gen)} SET {COPY_GROUP} = {int(group)} "
                    f"WHERE id IN ({chunk})" for chunk in _chunks(part))
        for s, statements in by_shard.items():
            self._all(s, *statements)

    def flush_ram_chunks(self) -> None:
        """Every shard's RAM chunk written out as a disk chunk (after a full rebuild): searchd
        reads rows by id a third faster there, and a headline's candidates a sixth (50,000
        paragraphs, bench/README.md "Cluster latency, issue19f")."""
        self.flush()
        for s in range(self.n):
            self._all(s, f"FLUSH RAMCHUNK {shard_index(s, self.gen)}")

    def truncate(self) -> None:
        for s in range(self.n):
            self._all(s, f"TRUNCATE RTINDEX {shard_index(s, self.gen)}")

    def seqs(self) -> list[int]:
        """The last journal sequence of every shard."""
        return [jr.last for jr in self.journals]

    def close(self) -> None:
        try:
            self.wait()
        finally:
            for senders, conns in zip(self.senders, self.conns, strict=True):
                for sender, conn in zip(senders, conns, strict=True):
                    sender.shutdown()
                    _close(conn)
            for s, jr in enumerate(self.journals):
                jr.compact(min(journal.applied(self.layout.root, n) for n in self.names[s]))


def _by_shard(ids, shards: int) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for rid in ids:
        out.setdefault(shard_of(rid, shards), []).append(int(rid))
    return out


def _chunks(ids: list[int], size: int = 1000):
    """The ids as SQL lists of at most size each."""
    for i in range(0, len(ids), size):
        yield ",".join(map(str, ids[i:i + size]))


def _close(conn) -> None:
    if conn is not None:
        try:
            conn.close()
        except pymysql.Error:
            pass


def _execute(conn, sql: str) -> None:
    with conn.cursor() as cur:
        cur.execute(sql)
