"""A cluster's layout (head, shards, mirrors) and the searchd config file of each node."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from search.morph import LANGS
from search.schema import KINDS

GENERATIONS = ("a", "b")  # a full rebuild fills the one not live, then the head switches to it
META = "meta"  # the head's small RT index: live generation, layout, IDF path
# Every language's title and body, first readings; the `_x` fields hold a word's other readings.
FIELDS = tuple(f"{kind}_{lang}{extra}" for extra in ("", "_x") for lang in LANGS for kind in KINDS)
STRINGS = ("doc_id", "title", "body", "url", "site", "source", "signature", "date_precision")
UINTS = ("lang", "has_date", "year", "month")  # month: YYYYMM, for facets
# For rescoring candidates as the embedded engine does (search/cluster/rescore.py): the
# document's title and body lengths in tokens, and its terms' weights and positions (JSON).
RANK_UINTS = ("len_title", "len_body")
RANK_JSON = "ranks"
# The order rows were written in (the feeder's clock, then a counter): the embedded engine
# breaks ties between equal scores by document number, which is the order it indexed them.
RANK_ORDINAL = "ordinal"
BIGINTS = ("date_ts", "source_hash", "site_hash")  # hashes: 2.2 filters no string attribute
# A row's group of near-duplicates (search/cluster/groups.py): the smallest row id of its
# group, 0 for a row without copies.
COPY_GROUP = "copy_group"
# Lemmas are written in an alphabet of word characters only (see feed.token): digits, Latin,
# Cyrillic, Greek, Latin-1 letters, and two stand-ins for the apostrophe and the hyphen.
CHARSET = ("0..9, a..z, _, U+00DF..U+024F, U+0370..U+03FF, U+0400..U+052F, U+02BC, U+2010")


@dataclass
class Layout:
    """Where every searchd of a cluster listens: one head, and per shard a list of mirrors.

    A node is (host, SphinxQL port, API port): the head speaks to its agents over the native
    API, clients (and the feeder) over SphinxQL.
    """

    head: tuple[str, int, int]
    shards: list[list[tuple[str, int, int]]]
    root: str = ""  # the local folder holding configs, data, logs and tallies
    # Shards each generation is split into (the first n of `shards`); absent: all of them.
    counts: dict = field(default_factory=dict)
    # Further heads (the same indexes, the same agents): the web and CLI fail over to them.
    more_heads: list = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Layout":
        d = json.loads(text)
        return cls(head=tuple(d["head"]), shards=[[tuple(m) for m in s] for s in d["shards"]],
                   root=d.get("root", ""), counts=d.get("counts") or {},
                   more_heads=[tuple(h) for h in d.get("more_heads") or []])

    def count(self, gen: str) -> int:
        """How many shards generation gen is split into."""
        return int(self.counts.get(gen, len(self.shards)))

    def heads(self) -> list[tuple[str, tuple[str, int, int]]]:
        """(name, address) of every head: `head`, then `head1`, ..."""
        return [("head", self.head)] + [(f"head{i + 1}", tuple(h))
                                        for i, h in enumerate(self.more_heads)]

    def nodes(self) -> list[tuple[str, tuple[str, int, int]]]:
        """(name, address) of every node: the heads, then each shard's mirrors."""
        out = self.heads()
        for i, mirrors in enumerate(self.shards):
            out += [(f"shard{i}m{j}", addr) for j, addr in enumerate(mirrors)]
        return out


def shard_index(shard: int, gen: str) -> str:
    return f"shard{shard}_{gen}"


def dist_index(gen: str) -> str:
    return f"dist_{gen}"


@dataclass
class NodeConfig:
    """The config of one searchd."""

    name: str
    listen: tuple[str, int, int]
    folder: Path
    indexes: list[str] = field(default_factory=list)

    def text(self, hidden: bool = False) -> str:
        """The config; hidden: without the API port the heads query, so that a mirror being
        caught up takes writes over SphinxQL while no search reads it."""
        host, port, api = self.listen
        d = self.folder
        api_line = "" if hidden else f"\n    listen = {host}:{api}"
        return "\n".join([*self.indexes, f"""
searchd
{{
    listen = {host}:{port}:mysql41{api_line}
    log = {d}/searchd.log
    query_log = {d}/query.log
    pid_file = {d}/searchd.pid
    binlog_path = {d}/binlog
    workers = threads
    max_matches = 100000
    max_packet_size = 32M
    read_timeout = 2
    client_timeout = 60
    max_children = 64
    seamless_rotate = 1
    watchdog = 0
    # A dead mirror is retried on another one before its shard is given up as missing.
    agent_retry_count = 3
    # A prefix expands to this many terms, as in the embedded engine (MAX_PREFIX_TERMS).
    expansion_limit = 24
    agent_retry_delay = 50
    ha_period_karma = 1  # seconds a mirror's errors are remembered
    ha_ping_interval = 100
    unlink_old = 1
}}
"""])


def _rt_index(name: str, path: Path) -> str:
    lines = [f"index {name}", "{", "    type = rt", f"    path = {path}"]
    lines += [f"    rt_field = {f}" for f in FIELDS]
    lines += [f"    rt_attr_string = {a}" for a in STRINGS]
    lines += [f"    rt_attr_uint = {a}" for a in UINTS]
    lines += [f"    rt_attr_bigint = {a}" for a in BIGINTS]
    lines += [f"    rt_attr_uint = {a}" for a in RANK_UINTS]
    lines.append(f"    rt_attr_json = {RANK_JSON}")
    lines.append(f"    rt_attr_bigint = {RANK_ORDINAL}")
    lines.append(f"    rt_attr_bigint = {COPY_GROUP}")
    lines += [
        "    dict = keywords",
        "    min_prefix_len = 2",
        "    index_field_lengths = 1",
        f"    charset_table = {CHARSET}",
        "    rt_mem_limit = 512M",
    ]
    return "\n".join([*lines, "}"])


def _dist_index(name: str, layout: Layout, gen: str) -> str:
    lines = [f"index {name}", "{", "    type = distributed"]
    for i, mirrors in enumerate(layout.shards[:layout.count(gen)]):
        addrs = "|".join(f"{h}:{api}" for h, _, api in mirrors)
        lines.append(f"    agent = {addrs}:{shard_index(i, gen)}")
    lines += [
        "    ha_strategy = noerrors",
        "    agent_connect_timeout = 300",
        "    agent_query_timeout = 5000",
    ]
    return "\n".join([*lines, "}"])


def _meta_index(path: Path) -> str:
    return "\n".join([f"index {META}", "{", "    type = rt", f"    path = {path}",
                      "    rt_field = k", "    rt_attr_string = value", "}"])


def node_configs(layout: Layout) -> list[NodeConfig]:
    """The config of every node of a local cluster rooted at layout.root."""
    root = Path(layout.root)
    out = []
    for name, addr in layout.nodes():
        folder = root / name
        node = NodeConfig(name, addr, folder)
        if name.startswith("head"):
            node.indexes = [_dist_index(dist_index(g), layout, g) for g in GENERATIONS]
            node.indexes.append(_meta_index(folder / "data" / META))
        else:
            shard = int(name[5:name.index("m")])
            names = [shard_index(shard, g) for g in GENERATIONS]
            node.indexes = [_rt_index(n, folder / "data" / n) for n in names]
        out.append(node)
    return out
