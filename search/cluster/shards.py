"""A search's statements sent straight to one caught-up mirror of every shard at once, and
their answers merged here as the head would merge them: the head's hop (a second process, a
second connection per agent) cost 1.5-2.5 ms a statement, and its merge is plain."""

import heapq
import itertools
import math
import random
from dataclasses import dataclass

from search.cluster import wire
from search.cluster.config import dist_index, shard_index
from search.cluster.nodes import answers
from search.cluster.rows import shard_of

TABLE = "{table}"  # where a statement names its index
IDS = "{ids}"  # where a statement lists the row ids it reads (each shard: only its own)
TOP = "{top}"  # where a "top" statement says how many rows one shard returns (Ask.per_shard)
READ_TIMEOUT = 5.0  # as the heads' agent_query_timeout: then the head is asked instead


@dataclass(frozen=True)
class Ask:
    """One statement of a round trip, in the head's form but for TABLE (and IDS), and how the
    shards' answers to it are merged."""

    sql: str
    args: tuple | None = None
    # rows: every shard's rows; top: the best `limit` by (column 1 descending, id), as
    # ORDER BY w DESC, id ASC; sum: one count added up; meta: SHOW META's total_found added up;
    # groups: GROUP BY rows (the count last) added up by group
    merge: str = "rows"
    ids: tuple = ()
    limit: int = 0

    def text(self, table: str, ids=None, shards: int = 1) -> str:
        ids = self.ids if ids is None else ids
        return (self.sql.replace(TABLE, table).replace(IDS, ", ".join(map(str, ids)))
                .replace("{n}", str(max(len(ids), 1))).replace(TOP, str(self.per_shard(shards))))

    def per_shard(self, shards: int) -> int:
        """How many of its best rows each of `shards` shards returns for the merged best
        `limit`: rows are spread over the shards by a hash, so a shard holds about
        limit/shards of them; five binomial standard deviations more (and 10) is 260 of 400
        for 2 shards. Each shard ranks by its own IDF (translate.IDF_OPTION), so one shard's
        weights can run a little above another's and it may hold more of the best: then its
        weakest are replaced by the next best of another shard, which searchd ranked about as
        high (the rescoring, not this order, ranks the page). Every shard parses and sends
        fewer rows."""
        if self.merge != "top" or shards <= 1:
            return self.limit
        share = self.limit / shards
        spread = math.sqrt(self.limit * (1 / shards) * (1 - 1 / shards))
        return min(self.limit, math.ceil(share + 5 * spread) + 10)


def show_meta() -> Ask:
    return Ask("SHOW META", merge="meta")


def head_form(asks: list[Ask], gen: str) -> list[tuple[str, tuple | None]]:
    """The statements as the head takes them (its distributed index, every id)."""
    return [(a.text(dist_index(gen)) if a.merge != "meta" else a.sql, a.args) for a in asks]


class Shards:
    """One connection per shard, to a mirror the heads would read (its API port answers: a
    mirror being caught up listens on SphinxQL alone)."""

    def __init__(self):
        self._conns: dict[int, tuple[tuple, wire.Connection]] = {}  # shard → (mirror, conn)
        self._unread: set[int] = set()  # shards sent statements whose answers are not read
        # Which mirror of a shard this reader tries first: processes spread over the mirrors,
        # as the heads' round robin spreads their agents' queries.
        self._spread = random.randrange(1 << 16)

    def close(self) -> None:
        for _, conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def ask(self, layout, gen: str, asks: list[Ask], skip=frozenset()) -> list[list] | None:
        """The merged rows of each Ask, every shard (but those in skip) asked at once; None
        when a shard has no mirror that answers here or any statement fails (the caller asks
        the head, which fails over, or says what went wrong)."""
        return self.finish(self.start(layout, gen, asks, skip))

    def start(self, layout, gen: str, asks: list[Ask], skip=frozenset()) -> tuple | None:
        """Send asks to every shard but those in skip (finish() reads the answers): searchd
        works on them while this process goes on. None when a shard has no mirror that
        answers here."""
        for k in list(self._unread):  # a search that failed half-way: its answers go
            self._drop(k)
        n = layout.count(gen)
        asked = n - len(skip & set(range(n)))  # the best rows come from these (Ask.per_shard)
        per_shard = []
        for k in range(n):
            texts = []
            if k in skip:
                per_shard.append("")
                continue
            for a in asks:
                if a.merge == "meta":
                    texts.append(a.sql)
                    continue
                ids = [i for i in a.ids if shard_of(i, n) == k] if a.ids else None
                if a.ids and not ids:
                    continue
                texts.append(wire.mogrify(a.text(shard_index(k, gen), ids, asked), a.args))
            per_shard.append(";\n".join(texts))
        sent = []
        for k, sql in enumerate(per_shard):
            if not sql:
                continue
            conn = self._send(layout.shards[k], k, sql)
            if conn is None:
                self._drain(sent)
                return None
            sent.append((k, conn))
            self._unread.add(k)
        return layout, asks, per_shard, sent

    def finish(self, started: tuple | None) -> list[list] | None:
        """The merged rows of each Ask that start() sent; None as for ask()."""
        if started is None:
            return None
        layout, asks, per_shard, sent = started
        answers_of: dict[int, list] = {}
        for k, conn in sent:
            got = self._read(k, conn, layout.shards[k], per_shard[k])
            if got is None:
                self._drain([s for s in sent if s[0] > k])
                return None
            answers_of[k] = got
            self._unread.discard(k)
        return _merge(asks, answers_of, len(per_shard))

    def _send(self, mirrors, k: int, sql: str, skip=None) -> wire.Connection | None:
        """The connection sql was sent on: the shard's current mirror, else another one."""
        held = self._conns.get(k)
        if held and held[0] != skip:
            try:
                held[1].send(sql)
                return held[1]
            except OSError:
                self._drop(k)
        start = self._spread % len(mirrors)
        for mirror in [*mirrors[start:], *mirrors[:start]]:
            if mirror == skip or not answers((mirror[0], mirror[2]), 0.3):
                continue
            try:
                conn = wire.Connection(mirror[0], mirror[1], 0.3, READ_TIMEOUT)
                conn.send(sql)
            except (OSError, wire.WireError):
                continue
            self._conns[k] = (tuple(mirror), conn)
            return conn
        return None

    def _read(self, k: int, conn, mirrors, sql: str) -> list | None:
        try:
            return [r.rows for r in conn.read()]
        except wire.WireError:
            self._drop(k)
            return None
        except OSError:  # a mirror restarted or gone: once more on another one
            mirror = self._conns.get(k, (None,))[0]
            self._drop(k)
            conn = self._send(mirrors, k, sql, skip=mirror)
            if conn is None:
                return None
            try:
                return [r.rows for r in conn.read()]
            except (OSError, wire.WireError):
                self._drop(k)
                return None

    def _drop(self, k: int) -> None:
        self._unread.discard(k)
        held = self._conns.pop(k, None)
        if held:
            held[1].close()

    def _drain(self, sent) -> None:
        """Connections whose answers will not be read are closed (nothing stays unread)."""
        for k, _ in sent:
            self._drop(k)


def _merge(asks: list[Ask], found: dict[int, list], n: int) -> list:
    """Each Ask's rows over the shards, as the head merges its agents'."""
    columns: list[list[list]] = [[] for _ in asks]  # per ask: each shard's rows
    for k in range(n):
        if k not in found:
            continue
        got = iter(found[k])
        for j, a in enumerate(asks):
            if a.ids and not any(shard_of(i, n) == k for i in a.ids):
                continue
            columns[j].append(next(got))
    out = []
    for a, parts in zip(asks, columns, strict=True):
        if a.merge == "top":
            best = heapq.merge(*parts, key=lambda r: (-r[1], r[0]))
            out.append(list(itertools.islice(best, a.limit)))
        elif a.merge == "groups":
            counts: dict = {}
            for p in parts:
                for *key, c in p:
                    counts[tuple(key)] = counts.get(tuple(key), 0) + int(c)
            out.append([(*key, c) for key, c in counts.items()])
        elif a.merge == "sum":
            out.append([(sum(int(p[0][0]) for p in parts if p),)])
        elif a.merge == "meta":
            out.append([("total_found", sum(int(dict(p).get("total_found", 0))
                                            for p in parts))])
        else:
            out.append([r for p in parts for r in p])
    return out
