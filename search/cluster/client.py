"""One SphinxQL connection to a head (failing over between heads): queries with their totals."""

import time

import pymysql

from search.cluster.errors import ClusterError
from search.cluster.store import connect

# A query that lost a shard is asked again (searchd's round robin then picks another mirror),
# waiting 20, 40, ... 320 ms between tries: a mirror restarting to load a new IDF file refuses
# connections for a few milliseconds. A shard whose every mirror is down (the caller's `lost`
# check) is not retried at all.
RETRIES = 5
CONNECT_TIMEOUT = 2.0
MAX_BATCH = 32  # statements per multi-statement: searchd's agents take at most 32 queries
SHOW_META = "SHOW META"  # in a batch: the totals of the SELECT before it


class Client:
    """A lazily opened connection to the first head that answers (addrs in order, starting
    from the last one that did); every query says whether a shard went unanswered."""

    def __init__(self, addrs, url: str):
        self.addrs = [addrs] if isinstance(addrs[0], str) else list(addrs)
        self.url = url
        self._at = 0
        self._conn = None

    def _connect(self):
        errors = []
        for k in range(len(self.addrs)):
            at = (self._at + k) % len(self.addrs)
            try:
                self._conn = connect(self.addrs[at], CONNECT_TIMEOUT)
                self._at = at
                return self._conn
            except ClusterError as e:
                errors.append(str(e))
        raise ClusterError("; ".join(errors))

    def query(self, sql: str, args=None, meta: bool = True, retries: int = RETRIES,
              lost=None) -> tuple[list, dict, bool]:
        """(rows, SHOW META or {}, partial): partial when a shard had no live mirror even after
        `retries` more tries, or at once when lost() says a shard is down (searchd then
        answers from the other shards with a warning)."""
        got = None
        for attempt in range(retries + 1):
            got = self._once(sql, args, meta)
            if got is not None:
                rows, meta, warnings = got
                if not any("agent" in str(w[-1]) for w in warnings):
                    return rows, meta, False
            if lost is not None and lost():
                break
            if attempt < retries:
                time.sleep(0.02 * 2 ** attempt)
        if got is None:
            raise ClusterError(f"no shard of the cluster at {self.url} answers")
        return rows, meta, True

    def batch(self, statements: list[tuple[str, tuple | None]], retries: int = RETRIES,
              lost=None) -> tuple[list[list], bool]:
        """Rows of each statement (a SELECT, or SHOW_META after one), sent as one
        multi-statement, and partial. A batch that drew a warning is asked again one
        statement at a time, each with query()'s retries."""
        if len(statements) > MAX_BATCH:
            parts = [self.batch(statements[i:i + MAX_BATCH], retries, lost)
                     for i in range(0, len(statements), MAX_BATCH)]
            return [rows for found, _ in parts for rows in found], any(p for _, p in parts)
        try:
            if self._conn is None:
                self._connect()
            with self._conn.cursor() as cur:
                sql = ";\n".join(cur.mogrify(q, a) for q, a in statements)
                cur.execute(sql)
                out, warned = [list(cur.fetchall())], cur.warning_count
                while cur.nextset():
                    out.append(list(cur.fetchall()))
                    warned = warned or cur.warning_count
            if not warned and len(out) == len(statements):
                return out, False
        except (pymysql.Error, ClusterError):
            self.close()  # whatever went wrong, the statements one by one say it clearly
        out, partial, meta = [], False, {}
        for k, (q, a) in enumerate(statements):
            if q == SHOW_META:  # the previous statement's, asked with it
                out.append(list(meta.items()))
                continue
            shown = k + 1 < len(statements) and statements[k + 1][0] == SHOW_META
            rows, meta, lost_shard = self.query(q, a, meta=shown, retries=retries, lost=lost)
            out.append(list(rows))
            partial = partial or lost_shard
        return out, partial

    def _once(self, sql, args, with_meta=True):
        for attempt in (0, 1):
            try:
                if self._conn is None:
                    self._connect()
                with self._conn.cursor() as cur:
                    cur.execute(sql, args)
                    rows, warnings, meta = cur.fetchall(), (), {}
                    if cur.warning_count:  # a lost agent is a warning, not an error
                        cur.execute("SHOW WARNINGS")
                        warnings = cur.fetchall()
                    if with_meta:
                        cur.execute("SHOW META")
                        meta = dict(cur.fetchall())
                return rows, meta, warnings
            except pymysql.OperationalError as e:
                self.close()  # a dropped connection (a restarted head): one new try
                self._at = (self._at + 1) % len(self.addrs) if attempt == 0 and len(
                    self.addrs) > 1 else self._at
                if attempt:
                    raise ClusterError(f"the cluster at {self.url} does not answer: {e}") from e
            except pymysql.ProgrammingError as e:
                if "agent" not in str(e):
                    raise ClusterError(f"the cluster at {self.url}: {e}") from e
                return None  # every agent of the query failed: the caller tries again
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except pymysql.Error:
                pass
            self._conn = None
