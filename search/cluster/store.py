"""SphinxQL connections and the head's meta index: the layout and the live generation."""

import time
from urllib.parse import urlsplit

import pymysql
from pymysql.constants import CLIENT

from search.cluster.config import (
    COPY_GROUP,
    GENERATIONS,
    META,
    RANK_JSON,
    RANK_ORDINAL,
    RANK_UINTS,
    Layout,
    shard_index,
)
from search.cluster.errors import ClusterError

_LIVE, _LAYOUT, _SWITCHED = 1, 2, 3  # meta rows
# The generation last filled with the attributes the rescoring reads (rows.analyse): set by
# a switch, and on a new cluster. A cluster made before them has none: its searches keep
# searchd's own ranking until a full rebuild.
_RANKED = 4
# The generation last filled with near-duplicate groups (groups.py): set as _RANKED is. A
# cluster made before them shows every copy until a full rebuild.
_COPIES = 5
_SINCE_BUILT = (_RANKED, _COPIES)  # what a full rebuild by this version writes


def parse_urls(url: str) -> list[tuple[str, int]]:
    """(host, port) of every head of `sphinxql://host:port[,host2:port2...]`; ValueError if it
    is not one."""
    parts = urlsplit(url)
    if parts.scheme != "sphinxql" or not parts.netloc:
        raise ValueError(f"not a SphinxQL address (sphinxql://host:port): {url!r}")
    out = []
    for item in parts.netloc.split(","):
        one = urlsplit(f"//{item}")
        try:
            port = one.port
        except ValueError:
            port = None
        if not one.hostname or not port:
            raise ValueError(f"not a SphinxQL address (sphinxql://host:port): {url!r}")
        out.append((one.hostname, port))
    return out


def parse_url(url: str) -> tuple[str, int]:
    """(host, port) of the first head of a SphinxQL address."""
    return parse_urls(url)[0]


def connect_head(url: str, timeout: float = 5.0):
    """A connection to the first head of url that answers."""
    errors = []
    for addr in parse_urls(url):
        try:
            return connect(addr, timeout)
        except ClusterError as e:
            errors.append(str(e))
    raise ClusterError("; ".join(errors))


def connect(addr, timeout: float = 5.0):
    """An autocommit SphinxQL connection to a node (host, SphinxQL port, ...)."""
    host, port = addr[:2]
    try:
        return pymysql.connect(host=host, port=port, autocommit=True, charset="utf8",
                               connect_timeout=timeout, read_timeout=60, write_timeout=60,
                               client_flag=CLIENT.MULTI_STATEMENTS)
    except pymysql.MySQLError as e:
        raise ClusterError(f"cannot reach searchd at {host}:{port}: {e}") from e


def _set(cur, row: int, value: str) -> None:
    cur.execute(f"REPLACE INTO {META} (id, k, value) VALUES (%s, %s, %s)",
                (row, str(row), value))


def init_meta(layout: Layout, addrs=None) -> None:
    """Record the layout on the heads and make generation `a` live, unless already set (a
    head that comes back empty takes the live generation of one that has it)."""
    addrs = addrs or [a for _, a in layout.heads()]
    known = {}
    for addr in [a for _, a in layout.heads()]:
        try:
            with connect(addr, 2.0) as conn, conn.cursor() as cur:
                cur.execute(f"SELECT id, value FROM {META} WHERE id IN ({_LIVE}, {_SWITCHED}, "
                            f"{_RANKED}, {_COPIES})")
                known = known or dict(cur.fetchall())
        except ClusterError:
            continue
    for addr in addrs:
        with connect(addr) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT id FROM {META} WHERE id = {_LIVE}")
            if not cur.fetchall():
                _set(cur, _LIVE, known.get(_LIVE, GENERATIONS[0]))
                _set(cur, _SWITCHED, known.get(_SWITCHED, str(time.time_ns())))
                for row in _SINCE_BUILT:
                    if row in known or not known:  # a new cluster's rows have them
                        _set(cur, row, known.get(row, known.get(_LIVE, GENERATIONS[0])))
            _set(cur, _LAYOUT, layout.to_json())


META_QUERY = f"SELECT id, value FROM {META} LIMIT 10"


def read_meta(cur) -> dict:
    """{"live": generation, "layout": Layout, "switched": ns, "ranked": bool, "copies": bool}
    from the head (ranked, copies: the live generation's rows carry the rank attributes, the
    near-duplicate groups)."""
    cur.execute(META_QUERY)
    return meta_of(cur.fetchall())


def meta_of(found) -> dict:
    """read_meta() of the rows META_QUERY found."""
    rows = dict(found)
    if _LAYOUT not in rows:
        raise ClusterError("the head has no cluster layout in its meta index "
                           "(start it with `make cluster` or see README: Cluster)")
    live = rows.get(_LIVE, GENERATIONS[0])
    return {"live": live, "layout": Layout.from_json(rows[_LAYOUT]),
            "switched": int(rows.get(_SWITCHED, 0)), "ranked": rows.get(_RANKED) == live,
            "copies": rows.get(_COPIES) == live}


def switch(cur, gen: str, layout: Layout | None = None) -> None:
    """Make gen the live generation: the next search reads it (on every head of layout that
    answers, besides the one of cur)."""
    now = str(time.time_ns())
    # Filled by this version: its rows carry the rank attributes and the copy groups.
    values = [(_LIVE, gen), (_SWITCHED, now), *((row, gen) for row in _SINCE_BUILT)]
    for row, value in values:
        _set(cur, row, value)
    for _, addr in (layout.heads() if layout else []):
        try:
            with connect(addr, 2.0) as conn, conn.cursor() as other:
                for row, value in values:
                    _set(other, row, value)
        except ClusterError:
            continue  # a dead head takes the live generation from another when it starts


def save_layout(cur, layout: Layout) -> None:
    """Record a changed layout (a new shard count) on the head of cur."""
    _set(cur, _LAYOUT, layout.to_json())


def add_rank_columns(conn, shard: int) -> None:
    """Add the rank attributes and the copy group to both generations of a shard on one mirror
    where its index was made before them (searchd keeps an RT index's schema from its own
    files, not from the config); both searchd 2.2 and Manticore take ALTER TABLE ... ADD
    COLUMN."""
    with conn.cursor() as cur:
        for gen in GENERATIONS:
            index = shard_index(shard, gen)
            try:
                cur.execute(f"DESCRIBE {index}")
            except pymysql.MySQLError:
                continue  # not on this mirror
            have = {r[0] for r in cur.fetchall()}
            for name, kind in [*((a, "INTEGER") for a in RANK_UINTS), (RANK_JSON, "JSON"),
                               (RANK_ORDINAL, "BIGINT"), (COPY_GROUP, "BIGINT")]:
                if name not in have:
                    cur.execute(f"ALTER TABLE {index} ADD COLUMN {name} {kind}")
