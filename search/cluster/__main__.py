"""`python -m search.cluster start|stop`: a local cluster on loopback (what `make cluster` runs)."""

import argparse
import sys
from pathlib import Path

from search.cluster import nodes
from search.cluster.nodes import ClusterError


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m search.cluster",
                                description="A local SphinxQL cluster: head, shards, mirrors.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start", help="start the cluster (and feed SOURCE... if it is empty)")
    s.add_argument("sources", nargs="*", help="folders or files to index into an empty cluster")
    s.add_argument("--dir", default="cluster-data", help="configs, data and logs")
    s.add_argument("--port", type=int, default=9306,
                   help="the head's SphinxQL port; the nodes use the next 9 ports")
    s.add_argument("--shards", type=int, default=2)
    s.add_argument("--mirrors", type=int, default=2)
    t = sub.add_parser("stop", help="stop every searchd of the cluster")
    t.add_argument("--dir", default="cluster-data")
    args = p.parse_args(argv)
    try:
        if args.command == "stop":
            if not (Path(args.dir) / nodes.LAYOUT_FILE).exists():
                print(f"no cluster in {args.dir}")
                return 0
            print(f"stopped {nodes.stop(args.dir)} searchd processes")
            return 0
        if nodes.running(args.dir):
            layout = nodes.load_layout(args.dir)
            print(f"already running in {args.dir}")
        else:
            layout = nodes.start(nodes.local_layout(args.dir, args.shards, args.mirrors,
                                                    args.port))
    except (ClusterError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    url = f"sphinxql://{layout.head[0]}:{layout.head[1]}"
    from search.cluster.backend import ClusterEngine

    if args.sources and ClusterEngine(url).doc_count() == 0:
        from search.cluster.feed import reindex

        summary = reindex(url, args.sources, full=True, procs=2)
        print(f"indexed {summary.documents} documents from {', '.join(args.sources)}")
    print(f"cluster up: {url} (head), {len(layout.shards)} shards x "
          f"{len(layout.shards[0])} mirrors; SEARCH_BACKEND={url} make run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
