"""The live-ingest committer in a process of its own, forked by a server's master process.

One process commits for every worker, so that workers only search and follow commits: a
committer thread in each worker competed with that worker's searches for its interpreter lock,
and each kept its own searcher over every segment. The process dies with its parent
(PR_SET_PDEATHSIG, and a look at its parent every poll), stops after the commit under way on
SIGTERM or SIGINT, and never holds the server's listening sockets.
"""

import ctypes
import logging
import os
import signal
import time

from search import morph
from search.ingest import committer

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # linux/prctl.h
# The master's handlers queue signals for its own loop; the committer needs the defaults.
_RESET = ("SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGTTIN", "SIGTTOU",
          "SIGCHLD")


def spawn(index_dir, interval: float = committer.INTERVAL, close_fds=(),
          trace: str | None = None, nice: int = 0) -> int:
    """Fork the committer process; its pid (in the parent). nice < 0: run it ahead of the
    workers (a commit waits less for the CPU; needs CAP_SYS_NICE, else ignored)."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        _serve(index_dir, interval, close_fds, parent, trace, nice)
    except BaseException:
        log.exception("the committer process failed")
        code = 1
    finally:
        os._exit(code)  # never the parent's exit handlers, nor its finalizers
    return 0  # not reached


def _serve(index_dir, interval, close_fds, parent: int, trace, nice: int) -> None:
    for fd in close_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    for name in _RESET:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    worker = committer.Committer(index_dir, interval, parent=parent, trace=trace)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.request_stop())
    _die_with_parent()
    if nice:
        try:
            os.nice(nice)
        except OSError:
            log.warning("the committer process keeps its priority (no CAP_SYS_NICE)")
    if os.getppid() != parent:
        return  # the parent died before the line above
    # One committer process per index, whichever servers run; a worker standing in for a
    # dead one holds this lock only for its commit.
    committer.claim(index_dir)  # held until this process exits
    morph.load_cache(index_dir)  # lemmas of words reindex runs analysed
    worker.run()  # opens its searcher first


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the Committer looks at its parent every poll


class Keeper:
    """Keeps one committer process alive for a server: spawn, respawn when it died, stop."""

    def __init__(self, index_dir, interval: float, close_fds=(), trace: str | None = None,
                 nice: int = 0):
        self.args = (index_dir, interval, tuple(close_fds), trace, nice)
        self.pid = 0
        self.respawns = 0

    def start(self) -> int:
        self.pid = spawn(*self.args)
        return self.pid

    def alive(self) -> bool:
        """Whether the process runs (reaping it if it exited)."""
        if not self.pid:
            return False
        try:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False  # reaped already, by a waitpid(-1) of the master's
        return done == 0

    def check(self) -> None:
        """Start the process again if it is gone (call from the master's loop)."""
        if self.pid and not self.alive():
            gone = self.pid
            self.respawns += 1
            log.warning("the live-ingest committer process %s exited; started another: %s",
                        gone, self.start())

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then wait for the commit under way; SIGKILL after timeout."""
        pid, self.pid = self.pid, 0
        if not pid:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    return
            except ChildProcessError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)  # an unfinished commit is applied again next time
