"""SphinxQL connections and the head's meta index: the layout and the live generation."""

import time
from urllib.parse import urlsplit

import pymysql
from pymysql.constants import CLIENT

from search.cluster.config import GENERATIONS, META, Layout
from search.cluster.nodes import ClusterError

_LIVE, _LAYOUT, _SWITCHED = 1, 2, 3  # meta rows


def parse_url(url: str) -> tuple[str, int]:
    """(host, port) of `sphinxql://host:port`; ValueError if it is not one."""
    parts = urlsplit(url)
    if parts.scheme != "sphinxql" or not parts.hostname or not parts.port:
        raise ValueError(f"not a SphinxQL address (sphinxql://host:port): {url!r}")
    return parts.hostname, parts.port


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


def init_meta(layout: Layout) -> None:
    """Record the layout on the head and make generation `a` live, unless already set."""
    with connect(layout.head) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT id FROM {META} WHERE id = {_LIVE}")
        if not cur.fetchall():
            _set(cur, _LIVE, GENERATIONS[0])
            _set(cur, _SWITCHED, str(time.time_ns()))
        _set(cur, _LAYOUT, layout.to_json())


def read_meta(cur) -> dict:
    """{"live": generation, "layout": Layout, "switched": ns} from the head."""
    cur.execute(f"SELECT id, value FROM {META} LIMIT 10")
    rows = dict(cur.fetchall())
    if _LAYOUT not in rows:
        raise ClusterError("the head has no cluster layout in its meta index "
                           "(start it with `make cluster` or see README: Cluster)")
    return {"live": rows.get(_LIVE, GENERATIONS[0]), "layout": Layout.from_json(rows[_LAYOUT]),
            "switched": int(rows.get(_SWITCHED, 0))}


def switch(cur, gen: str) -> None:
    """Make gen the live generation: the next search reads it."""
    _set(cur, _LIVE, gen)
    _set(cur, _SWITCHED, str(time.time_ns()))
