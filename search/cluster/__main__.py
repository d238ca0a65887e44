"""`python -m search.cluster start|stop|status|repair|snapshot|restore`: a local cluster."""

import argparse
import json
import sys
from pathlib import Path

from search.cluster import backup, catchup, nodes, ops
from search.cluster.errors import ClusterError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m search.cluster",
                                description="A local SphinxQL cluster: heads, shards, mirrors.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start", help="start what is down (a new cluster, if there is none) and "
                       "feed SOURCE... into it if it is empty or with --full")
    s.add_argument("sources", nargs="*", help="folders or files to index")
    s.add_argument("--port", type=int, default=9306,
                   help="a new cluster's first SphinxQL port (the head); the nodes use the "
                   "next ones")
    s.add_argument("--shards", type=int, help="shards (2 for a new cluster); a different count "
                   "than the cluster's needs --full")
    s.add_argument("--mirrors", type=int, default=2, help="mirrors of each shard (new cluster)")
    s.add_argument("--heads", type=int, default=1, help="heads (new cluster)")
    s.add_argument("--full", action="store_true",
                   help="rebuild from SOURCE... into the idle generation, then switch")
    for name, text in (("stop", "stop every searchd of the cluster"),
                       ("status", "every node: up, documents, journal sequence and lag"),
                       ("repair", "start dead mirrors and catch lagging ones up")):
        c = sub.add_parser(name, help=text)
        if name == "status":
            c.add_argument("--json", action="store_true")
    b = sub.add_parser("snapshot", help="write the cluster's data to an archive (.tar.gz)")
    b.add_argument("out")
    r = sub.add_parser("restore", help="unpack a snapshot as the (stopped) cluster")
    r.add_argument("archive")
    for c in sub.choices.values():
        c.add_argument("--dir", default="cluster-data", help="configs, data, journals and logs")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ClusterError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2 if args.command == "status" else 1


def _exists(args) -> bool:
    if (Path(args.dir) / nodes.LAYOUT_FILE).exists():
        return True
    print(f"no cluster in {args.dir}", file=sys.stderr)
    return False


def cmd_start(args) -> int:
    if args.full and not args.sources:
        print("error: --full needs SOURCE... to rebuild from", file=sys.stderr)
        return 1
    layout, started = ops.start(args.dir, args.shards, args.mirrors, args.port, args.heads,
                                args.full)
    url = ops.url_of(layout)
    print(f"started {', '.join(started)}" if started else f"already running in {args.dir}")
    from search.cluster.backend import ClusterEngine

    if args.sources:
        eng = ClusterEngine(url)
        try:
            empty = eng.doc_count() == 0
        finally:
            eng.close()
        if empty or args.full:
            from search.cluster.feed import reindex

            summary = reindex(url, args.sources, full=True, procs=2)
            print(f"indexed {summary.documents} documents from {', '.join(args.sources)}")
    print(f"cluster up: {url}, {len(layout.shards)} shards x {len(layout.shards[0])} mirrors; "
          f"SEARCH_BACKEND={url} make run")
    return 0


def cmd_stop(args) -> int:
    if not (Path(args.dir) / nodes.LAYOUT_FILE).exists():
        print(f"no cluster in {args.dir}")
        return 0
    print(f"stopped {nodes.stop(args.dir)} searchd processes")
    return 0


def cmd_status(args) -> int:
    if not _exists(args):
        return 2
    st = ops.status(args.dir)
    if args.json:
        keys = ("role", "shard", "mirror", "port", "pid", "up", "docs", "seq", "lag", "chunks")
        print(json.dumps({"healthy": st["healthy"], "state": st["state"], "live": st["live"],
                          "nodes": [{k: n[k] for k in keys} for n in st["nodes"]]}))
        return st["state"]
    print(f"{'role':6} {'shard':>5} {'mirror':>6} {'port':>6} {'pid':>8} {'up':3} "
          f"{'docs':>9} {'seq':>8} {'lag':>6} {'chunks':>6}")
    for n in st["nodes"]:
        cells = ["" if n[k] is None else n[k] for k in ("shard", "mirror", "pid", "docs", "seq",
                                                         "lag", "chunks")]
        print(f"{n['role']:6} {cells[0]:>5} {cells[1]:>6} {n['port']:>6} {cells[2]:>8} "
              f"{'yes' if n['up'] else 'NO':3} {cells[3]:>9} {cells[4]:>8} {cells[5]:>6} "
              f"{cells[6]:>6}")
    print(["healthy", "degraded", "down"][st["state"]] + f" (live generation {st['live']})")
    return st["state"]


def cmd_repair(args) -> int:
    if not _exists(args):
        return 1
    done, seconds = catchup.timed_repair(nodes.load_layout(args.dir))
    for name, n in sorted(done.items()):
        print(f"{name}: {n} statements applied")
    print(f"repaired in {seconds:.1f} s")
    return 0 if ops.status(args.dir)["state"] == ops.HEALTHY else 1


def cmd_snapshot(args) -> int:
    if not _exists(args):
        return 1
    print(f"{backup.snapshot(args.dir, args.out)} files written to {args.out}")
    return 0


def cmd_restore(args) -> int:
    kept = backup.restore(args.dir, args.archive)
    if kept:
        print(f"the folder that was there is kept as {kept}")
    print(f"restored into {args.dir}: `python -m search.cluster start --dir {args.dir}`")
    return 0


COMMANDS = {"start": cmd_start, "stop": cmd_stop, "status": cmd_status, "repair": cmd_repair,
            "snapshot": cmd_snapshot, "restore": cmd_restore}

if __name__ == "__main__":
    sys.exit(main())
