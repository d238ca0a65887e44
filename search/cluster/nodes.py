"""Local searchd processes of a cluster: write configs, start, wait until they answer, stop."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from search.cluster.config import Layout, node_configs
from search.cluster.errors import ClusterError

LAYOUT_FILE = "cluster.json"
START_TIMEOUT = 30.0

__all__ = ["ClusterError", "start", "stop", "kill_node", "node_pid", "restart_nodes"]


def searchd_binary() -> str:
    found = shutil.which("searchd")
    if not found:
        raise ClusterError("searchd is not installed: `make system-deps` installs Debian's "
                           "sphinxsearch")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_layout(root, shards: int = 2, mirrors: int = 2, base_port: int = 0,
                 heads: int = 1) -> Layout:
    """A loopback layout: base_port for the head and the next ports for the shards' mirrors,
    then any further heads (free ports picked at random when base_port is 0)."""
    root = Path(root).resolve()
    count = heads + shards * mirrors
    ports = ([base_port + i for i in range(2 * count)] if base_port
             else [free_port() for _ in range(2 * count)])
    addrs = [("127.0.0.1", ports[2 * i], ports[2 * i + 1]) for i in range(count)]
    return Layout(head=addrs[0],
                  shards=[addrs[1 + s * mirrors:1 + (s + 1) * mirrors] for s in range(shards)],
                  root=str(root),
                  more_heads=addrs[1 + shards * mirrors:])


def more_ports(layout: Layout, n: int) -> list[tuple[str, int, int]]:
    """n new loopback node addresses: after the layout's highest port, or free ones."""
    used = [p for _, a in layout.nodes() for p in a[1:]]
    base = max(used) + 1 if used and min(used) >= 1024 and max(used) < 60000 else 0
    if base and all(_free(base + i) for i in range(2 * n)):
        return [("127.0.0.1", base + 2 * i, base + 2 * i + 1) for i in range(n)]
    return [("127.0.0.1", free_port(), free_port()) for _ in range(n)]


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def answers(addr, timeout=0.5) -> bool:
    """True if a searchd answers on addr's SphinxQL port."""
    return _answers(addr, timeout)


def _answers(addr, timeout=0.5) -> bool:
    try:
        with socket.create_connection(addr[:2], timeout=timeout) as s:
            s.settimeout(timeout)
            return bool(s.recv(1))  # a MySQL server speaks first: its handshake
    except OSError:
        return False


def start(layout: Layout, only=None, hidden=()) -> Layout:
    """Write the nodes' configs and start their searchd (only: those names; hidden: names
    started without the heads' port); return once they answer. A node that fails stops
    the ones started here, never others."""
    root = Path(layout.root)
    root.mkdir(parents=True, exist_ok=True)
    binary = searchd_binary()
    save_layout(layout)
    names = {n for n, _ in layout.nodes()} if only is None else set(only)
    try:
        _start_nodes(binary, layout, only=names, hidden=set(hidden))
    except BaseException:
        stop(root, names)  # no half-started nodes left behind
        raise
    return layout


def save_layout(layout: Layout) -> None:
    path = Path(layout.root) / LAYOUT_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(layout.to_json(), encoding="utf-8")
    os.replace(tmp, path)


def restart_nodes(layout: Layout, names, hidden=()) -> None:
    """Stop some nodes and start them again from their configs; return once they answer."""
    stop(layout.root, names)
    _start_nodes(searchd_binary(), layout, only=set(names), hidden=set(hidden))


def _start_nodes(binary: str, layout: Layout, only: set, hidden: set = frozenset()) -> None:
    procs = []
    for node in node_configs(layout):
        if node.name not in only:
            continue
        (node.folder / "data").mkdir(parents=True, exist_ok=True)
        (node.folder / "binlog").mkdir(exist_ok=True)
        conf = node.folder / "sphinx.conf"
        conf.write_text(node.text(hidden=node.name in hidden), encoding="utf-8")
        # searchd forks its daemon and exits once that listens: start them all, then wait.
        procs.append((node.name, subprocess.Popen([binary, "--config", str(conf)],
                                                  stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT, text=True)))
    for name, proc in procs:
        out, _ = proc.communicate(timeout=60)
        if proc.returncode != 0:
            raise ClusterError(f"searchd {name} did not start: {out[-800:]}")
    deadline = time.monotonic() + START_TIMEOUT
    for name, addr in layout.nodes():
        if name not in only:
            continue
        while not _answers(addr):
            if time.monotonic() > deadline:
                raise ClusterError(f"searchd at {addr[0]}:{addr[1]} does not answer")
            time.sleep(0.05)


def running(root) -> bool:
    """True if a cluster was started under root and its head answers."""
    try:
        return _answers(load_layout(root).head)
    except (OSError, ValueError, KeyError):
        return False


def load_layout(root) -> Layout:
    return Layout.from_json((Path(root) / LAYOUT_FILE).read_text(encoding="utf-8"))


def node_pid(root, name: str) -> int | None:
    """The pid of a node's searchd (from its pid file), or None if it is not running."""
    try:
        pid = int((Path(root) / name / "searchd.pid").read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def kill_node(root, name: str) -> None:
    """Kill one node at once (SIGKILL), as a crashed machine would go."""
    pid = node_pid(root, name)
    if pid:
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)


def _wait_gone(pid: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.05)
    return False


def stop(root, names=None) -> int:
    """Stop the searchd of the named nodes (default: every node of the cluster under root)
    all at once; the number stopped."""
    if names is None:
        names = [name for name, _ in load_layout(root).nodes()]
    pids = [p for p in (node_pid(root, name) for name in names) if p]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)  # searchd saves its RT indexes and exits
    for pid in pids:
        if not _wait_gone(pid):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid)
    return len(pids)
