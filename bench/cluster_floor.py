"""Where a cluster search's time goes, against the embedded engine's, on one box: the CPU a query
costs (this process's and every searchd's of the cluster), and the wall time of the same
statements replayed on bare connections (searchd and loopback alone: no cells converted, no
ranking, no snippets here), which no client code can go below.

    python bench/cluster_floor.py --dir CLUSTER_DIR --index EMBEDDED_INDEX

The cluster (a folder `python -m search.cluster start` made) and the embedded index must hold
the same documents, as bench/cluster_ab.py --build makes them. Per kind of query (the frozen
queries of bench/speed.py): CPU ms a query of each, the cluster's over the embedded engine's;
then p50 / p95 wall ms of the embedded engine, the cluster, and its statements replayed, each
query asked of the three in turn. Prints the load average at the start and end.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procmem import cpu_seconds  # noqa: E402
from bench.report import WORK, table  # noqa: E402
from bench.speed import QUERY_KINDS, WARM_UP, latency_queries, pct  # noqa: E402
from search.cluster import nodes, ops, wire  # noqa: E402
from search.cluster.backend import ClusterEngine  # noqa: E402
from search.engine import Engine  # noqa: E402
from search.query.parse import QueryError  # noqa: E402


class Bare(wire.Connection):
    """A SphinxQL connection that reads answers without converting a cell."""

    def skip(self) -> None:
        """Read every result of the statements last sent, a packet at a time."""
        more = True
        while more:
            body = self._packet()
            if body[0] == 0xFF:
                raise wire._error(body)
            if body[0] == 0x00:
                more = wire._ok_status(body)[0]
                continue
            for _ in range(wire._lenenc_int(body, 0)[0] + 1):  # column definitions, EOF
                self._packet()
            while True:  # rows, stepped over without a copy, until the EOF packet
                self._need(5)
                buf, at = self._buf, self._at
                size = buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16
                if buf[at + 4] == 0xFE and size < 9:
                    more = bool(int.from_bytes(self._take(size)[3:5], "little") & 0x0008)
                    break
                self._need(4 + size)
                self._at += 4 + size


class Replay:
    """The statements a ClusterEngine sends to the shards, recorded round by round, and sent
    again on bare connections in the same rounds (its facets, sent aside, read last)."""

    def __init__(self, eng: ClusterEngine):
        self.rounds: list[tuple[bool, dict]] = []
        self._conns: dict = {}
        for shards, aside in ((eng.routes.shards, False), (eng.routes._side_shards, True)):
            shards.start = self._recording(shards.start, aside)

    def _recording(self, start, aside: bool):
        def recorded(layout, gen, asks, skip=frozenset()):
            started = start(layout, gen, asks, skip)
            if started is not None:
                _, _, texts, sent = started
                self.rounds.append((aside, {k: (layout.shards[k][0], texts[k])
                                            for k, _ in sent}))
            return started
        return recorded

    def again(self, rounds) -> float:
        """Wall ms of rounds sent again: each round to every shard at once."""
        t0 = time.perf_counter()
        later = []
        for aside, texts in rounds:
            sent = []
            for node, sql in texts.values():
                conn = self._conns.get((node, aside))
                if conn is None:
                    conn = self._conns[node, aside] = Bare(node[0], node[1])
                conn.send(sql)
                sent.append(conn)
            for conn in sent if not aside else ():
                conn.skip()
            later += sent if aside else []
        for conn in later:
            conn.skip()
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()


def cpu_per_query(emb, eng, pids, queries, rounds: int) -> tuple[float, float, float]:
    """(embedded, cluster client, cluster searchd) CPU ms a query, over rounds of queries."""
    out = []
    for engine, counted in ((emb, []), (eng, pids)):
        s0, c0 = sum(map(cpu_seconds, counted)), time.process_time()
        for _ in range(rounds):
            for q in queries:
                try:
                    engine.search(q)
                except QueryError:
                    pass
        out += [time.process_time() - c0, sum(map(cpu_seconds, counted)) - s0]
    n = rounds * len(queries) / 1000
    return out[0] / n, out[2] / n, out[3] / n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", required=True, help="the running cluster's folder")
    ap.add_argument("--index", required=True, help="the embedded index of the same documents")
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--work", default=str(WORK / "cluster"))
    ap.add_argument("--queries", type=int, default=100, help="per kind")
    ap.add_argument("--rounds", type=int, default=2, help="times each query is asked")
    args = ap.parse_args(argv)
    layout = nodes.load_layout(args.dir)
    names = [Path(p).parent.name for p in Path(args.dir).glob("*/searchd.pid")]
    pids = [p for p in (nodes.node_pid(args.dir, n) for n in names) if p]
    qfile = latency_queries(args.shared, Path(args.work) / "speed-full.jsonl", args.queries)
    queries = [json.loads(x) for x in qfile.read_text("utf-8").splitlines()]
    emb, eng = Engine(args.index, cache_size=0), ClusterEngine(ops.url_of(layout))
    replay = Replay(eng)
    for q in WARM_UP:
        emb.search(q), eng.search(q)
    load = [os.getloadavg()[0]]
    cpu_rows, wall_rows = [], []
    for kind in QUERY_KINDS:
        texts = [q["query"] for q in queries if q["kind"] == kind][:args.queries]
        e, client, searchd = cpu_per_query(emb, eng, pids, texts, args.rounds)
        cpu_rows.append([kind, f"{e:.2f}", f"{client:.2f}", f"{searchd:.2f}",
                         f"{client + searchd:.2f}", f"{(client + searchd) / e:.1f}x",
                         f"{searchd / e:.1f}x"])
        times: dict[str, list[float]] = {"embedded": [], "cluster": [], "replayed": []}
        for _ in range(args.rounds):
            for text in texts:
                replay.rounds = []
                try:
                    t0 = time.perf_counter()
                    eng.search(text)
                    times["cluster"].append((time.perf_counter() - t0) * 1000)
                except QueryError:
                    continue
                rounds = replay.rounds
                t0 = time.perf_counter()
                emb.search(text)
                times["embedded"].append((time.perf_counter() - t0) * 1000)
                times["replayed"].append(replay.again(rounds))
        p = {k: (pct(sorted(v), 50), pct(sorted(v), 95)) for k, v in times.items()}
        wall_rows.append([kind, *(f"{a:.1f} / {b:.1f}" for a, b in p.values()),
                          f"{p['cluster'][1] / p['embedded'][1]:.1f}x",
                          f"{p['replayed'][1] / p['embedded'][1]:.1f}x"])
    load.append(os.getloadavg()[0])
    replay.close()
    eng.close()
    print(f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end; "
          f"{args.rounds} round(s) of up to {args.queries} queries per kind; "
          f"{len(pids)} searchd processes")
    print(table(["kind", "embedded CPU ms", "cluster: this process", "cluster: searchd",
                 "cluster: all", "all / embedded", "searchd / embedded"], cpu_rows))
    print(table(["kind", "embedded p50 / p95", "cluster p50 / p95",
                 "replayed p50 / p95", "p95 cluster / embedded", "p95 replayed / embedded"],
                wall_rows))


if __name__ == "__main__":
    main()
