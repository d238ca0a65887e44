"""Peak RSS of every process of a run, sampled from /proc (this one and its descendants), and
the CPU a process has used.

getrusage's ru_maxrss of children is no per-process figure: a spawned merge process starts as
a fork of the writer, and its maxrss keeps the writer's size at that moment past the exec. So a
thread reads VmRSS of this process and of each descendant every INTERVAL seconds instead
(a peak shorter than that can be missed; this process's own VmHWM is exact).
"""

import os
import threading
from pathlib import Path

INTERVAL = 0.3


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU a process has used (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    # Each thread's children (/proc/PID/task/TID/children): no walk over all of /proc.
    out = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            out += map(int, Path(task.path, "children").read_text().split())
    except (OSError, ValueError):
        pass
    return out


def _descendants(root: int) -> list[int]:
    out, todo = [], _children(root)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(_children(pid))
    return out


class PeakWatch:
    """Peak RSS (MiB) of this process and of the largest of its descendants, while running."""

    def __init__(self):
        self.other_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self):
        me = os.getpid()
        while not self._stop.wait(INTERVAL):
            for pid in _descendants(me):
                self.other_kib = max(self.other_kib, _rss_kib(pid))

    @property
    def own_mib(self) -> float:
        """This process's VmHWM."""
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    @property
    def other_mib(self) -> float:
        return round(self.other_kib / 1024, 1)
