"""Where a search's statements go: straight to one mirror of every shard at once (shards.py),
else through the head, which fails over between mirrors and says when a shard is lost."""

from concurrent.futures import ThreadPoolExecutor

from search.cluster.client import RETRIES, Client
from search.cluster.shards import Ask, Shards, head_form
from search.cluster.store import parse_urls


class Routes:
    """A search's connections: one to the head and one per shard, and a second of each for
    the facets, which searchd counts while the first ones read the candidates and the page.
    health: the engine's Health; meta(): its current meta row (layout, live generation)."""

    def __init__(self, url: str, health, meta):
        addrs = parse_urls(url)
        self.client, self._side = Client(addrs, url), Client(addrs, url)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cluster-facets")
        self.shards, self._side_shards = Shards(), Shards()
        self.direct = True  # False: every statement through the head (a bench compares)
        self._health, self._meta = health, meta

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()
        self._side.close()
        self.shards.close()
        self._side_shards.close()

    def _lost(self) -> bool:
        return self._health.shard_lost(self._meta())

    def _retries(self) -> int:
        return 0 if self._health.degraded else RETRIES

    def query(self, sql: str, args=None, meta: bool = True) -> tuple[list, dict, bool]:
        """(rows, SHOW META, partial) of one statement through the head."""
        return self.client.query(sql, args, meta, lost=self._lost, retries=self._retries())

    def batch(self, statements) -> tuple[list, bool]:
        """(the rows of each statement, sent together through the head, partial)."""
        return self.client.batch(statements, retries=self._retries(), lost=self._lost)

    def fanout(self, gen: str, asks: list[Ask]) -> tuple[list[list], bool]:
        """(the rows of each Ask, merged, partial): straight from one mirror of every shard at
        once, else (a shard not reached from here, a statement refused, the cluster degraded)
        through the head."""
        return self._fanout(self.shards, self.client, gen, asks)

    def aside(self, gen: str, asks: list[Ask]):
        """What .result() gives as (the merged rows of asks, partial): sent to the shards on
        the second connections now and read then (searchd works on them meanwhile), or asked
        of the head on its second connection in a thread."""
        if self.direct:
            skip = self._read_around()
            started = self._side_shards.start(self._meta()["layout"], gen, asks, skip)
            if started is not None:
                return _Aside(self, gen, asks, started, bool(skip))
        return self._pool.submit(self._fanout, self._side_shards, self._side, gen, asks)

    def _read_around(self) -> frozenset[int]:
        """The shards a degraded cluster's searches leave out (partial): those the health
        probe last found with no live mirror. The head would leave them out too, after its
        retries of their mirrors, and its answers come through pymysql."""
        return self._health.lost if self._health.degraded else frozenset()

    def _fanout(self, shards: Shards, client: Client, gen: str, asks) -> tuple[list, bool]:
        if self.direct:
            skip = self._read_around()
            found = shards.ask(self._meta()["layout"], gen, asks, skip)
            if found is not None:
                return found, bool(skip)
        return client.batch(head_form(asks, gen), retries=self._retries(), lost=self._lost)


class _Aside:
    """Statements sent to the shards on the side connections: their answers, read when asked
    for (from the head, when a shard failed meanwhile)."""

    def __init__(self, routes: Routes, gen: str, asks: list[Ask], started: tuple,
                 partial: bool):
        self._routes, self._gen, self._asks, self._started = routes, gen, asks, started
        self._partial = partial  # shards left out

    def result(self) -> tuple[list, bool]:
        routes = self._routes
        found = routes._side_shards.finish(self._started)
        if found is not None:
            return found, self._partial
        return routes._fanout(routes._side_shards, routes._side, self._gen, self._asks)
