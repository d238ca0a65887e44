"""Operating a local cluster: create, start what is down, change the shard count, status."""

import copy
from pathlib import Path

from search.cluster import catchup, journal, nodes
from search.cluster.config import GENERATIONS, Layout, shard_index
from search.cluster.errors import ClusterError
from search.cluster.store import connect, init_meta, read_meta

HEALTHY, DEGRADED, DOWN = 0, 1, 2


def url_of(layout: Layout) -> str:
    """The SphinxQL address of every head, as SEARCH_BACKEND takes it."""
    return "sphinxql://" + ",".join(f"{a[0]}:{a[1]}" for _, a in layout.heads())


def create(layout: Layout) -> Layout:
    """Start a new cluster's every node and record its layout on the heads."""
    layout.counts = layout.counts or {g: len(layout.shards) for g in GENERATIONS}
    nodes.start(layout)
    try:
        init_meta(layout)
    except BaseException:
        nodes.stop(layout.root)
        raise
    return layout


def live_generation(layout: Layout) -> str | None:
    """The live generation, read from the first head that answers (None: no head does)."""
    for _, addr in layout.heads():
        if nodes.answers(addr, 0.3):
            try:
                with connect(addr, 2.0) as conn, conn.cursor() as cur:
                    return read_meta(cur)["live"]
            except ClusterError:
                continue
    return None


def start(root, shards: int | None = None, mirrors: int = 2, port: int = 0, heads: int = 1,
          full: bool = False) -> tuple[Layout, list[str]]:
    """Start the cluster under root: a new one, or whatever of an existing one is down
    (mirrors that missed writes are caught up before searches reach them); healthy nodes are
    left alone. (layout, names started). A different shard count is refused unless full:
    then the idle generation gets the new count (the caller then rebuilds and switches)."""
    root = Path(root).resolve()
    if not (root / nodes.LAYOUT_FILE).exists():
        layout = nodes.local_layout(root, shards or 2, mirrors, port, heads)
        return create(layout), [n for n, _ in layout.nodes()]
    layout = nodes.load_layout(root)
    started = []
    down_heads = [n for n, a in layout.heads() if not nodes.answers(a)]
    if down_heads:
        nodes.stop(root, down_heads)  # a hung head that does not answer
        nodes.start(layout, only=down_heads)
        init_meta(layout, [a for n, a in layout.heads() if n in down_heads])
        started += down_heads
    started += [n for n, a in layout.nodes()[len(layout.heads()):] if not nodes.answers(a)]
    catchup.repair(layout)
    live = live_generation(layout) or GENERATIONS[0]
    if shards and shards != layout.count(live):
        if not full:
            raise ClusterError(f"the cluster in {root} has {layout.count(live)} shards: "
                               f"--shards {shards} needs --full (the idle generation is "
                               "rebuilt with the new count, then searches switch to it)")
        started += resize(layout, GENERATIONS[1 - GENERATIONS.index(live)], shards)
    return layout, started


def resize(layout: Layout, gen: str, shards: int) -> list[str]:
    """Give generation gen (not live) `shards` shards: new mirrors started as needed, the
    heads restarted with the new distributed index. The names started."""
    before = copy.deepcopy(layout)
    per = len(layout.shards[0])
    layout.counts = {g: layout.count(g) for g in GENERATIONS}
    layout.counts[gen] = shards
    new = []
    while len(layout.shards) < shards:
        layout.shards.append(nodes.more_ports(layout, per))
        new += [f"shard{len(layout.shards) - 1}m{j}" for j in range(per)]
    nodes.save_layout(layout)
    try:
        if new:
            nodes.start(layout, only=new)
        names = [n for n, _ in layout.heads()]
        nodes.restart_nodes(layout, names)
        init_meta(layout)
    except BaseException:
        nodes.save_layout(before)
        raise
    return new


def _count(addr, index: str, chunks: bool = False) -> tuple[int | None, int | None]:
    """(documents, disk chunks when asked: an RT index's) of an index on a node; None where
    it cannot say."""
    try:
        with connect(addr, 1.0) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT id FROM {index} LIMIT 1")
            cur.execute("SHOW META")
            docs = int(dict(cur.fetchall()).get("total_found", 0))
            if not chunks:
                return docs, None
            cur.execute(f"SHOW INDEX {index} STATUS")
            disk = dict(cur.fetchall()).get("disk_chunks")
            return docs, None if disk is None else int(disk)
    except (ClusterError, ValueError):
        return None, None
    except Exception:  # noqa: BLE001 - a node that answers but cannot count is reported as None
        return None, None


def flush_ram_chunks(layout: Layout, gen: str) -> None:
    """Write every mirror's RAM chunk of generation gen out as a disk chunk (FLUSH RAMCHUNK),
    as searchd does by itself once a RAM chunk passes rt_mem_limit (tests and benches)."""
    for i, mirrors in enumerate(layout.shards[:layout.count(gen)]):
        for addr in mirrors:
            with connect(addr) as conn, conn.cursor() as cur:
                cur.execute(f"FLUSH RAMCHUNK {shard_index(i, gen)}")


def status(root) -> dict:
    """{"healthy", "state" (0 healthy, 1 degraded, 2 down), "live", "nodes": [...]}."""
    layout = nodes.load_layout(root)
    live = live_generation(layout)
    out = []
    for name, addr in layout.heads():
        up = nodes.answers(addr, 0.3)
        docs = _count(addr, f"dist_{live}")[0] if up and live else None
        out.append({"role": "head", "name": name, "shard": None, "mirror": None,
                    "port": addr[1], "pid": nodes.node_pid(root, name), "up": up,
                    "docs": docs, "seq": None, "lag": None, "chunks": None})
    gen = live or GENERATIONS[0]
    for i, j, name, addr in catchup.mirrors(layout):
        up = nodes.answers(addr, 0.3)
        last = journal.Journal(layout.root, i).last
        seq = journal.applied(layout.root, name)
        docs, chunks = _count(addr, shard_index(i, gen), True) if up else (None, None)
        out.append({"role": "mirror", "name": name, "shard": i, "mirror": j, "port": addr[1],
                    "pid": nodes.node_pid(root, name), "up": up, "docs": docs, "seq": seq,
                    "lag": max(0, last - seq), "chunks": chunks,
                    "serves": i < layout.count(gen)})
    serving = [n for n in out if n["role"] == "mirror" and n["serves"]]
    shard_ok = all(any(n["up"] and not n["lag"] for n in serving if n["shard"] == i)
                   for i in range(layout.count(gen)))
    heads_up = any(n["up"] for n in out if n["role"] == "head")
    if not heads_up or not shard_ok:
        state = DOWN
    elif all(n["up"] and not n["lag"] for n in out if n["role"] == "head" or n["serves"]):
        state = HEALTHY
    else:
        state = DEGRADED
    return {"healthy": state == HEALTHY, "state": state, "live": live, "nodes": out}
