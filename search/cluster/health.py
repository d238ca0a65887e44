"""Which shards of a cluster have no live mirror, and a background probe while one has none."""

import threading
import time

from search.cluster.nodes import answers

PROBE_SECONDS = 1.0  # how often a shard seen down is probed again, in the background


class Health:
    """A searcher's view of its cluster: degraded (no retries) from the moment a shard is seen
    down until the background probe finds every shard answering again."""

    def __init__(self):
        self.degraded = False
        # While degraded: the shards last seen with no live mirror (searches read around them)
        self.lost: frozenset[int] = frozenset()
        self._probe: threading.Thread | None = None

    @staticmethod
    def lost_shards(meta: dict) -> list[str]:
        """Shards of the live generation no mirror of which answers on the port the heads
        query, as `shard N (host:port, ...)`."""
        mirrors = meta["layout"].shards
        return [f"shard {i} ({', '.join(f'{h}:{api}' for h, _, api in mirrors[i])})"
                for i in _lost(meta)]

    def problem(self, meta: dict) -> str | None:
        """Why the cluster cannot answer in full (None when it can)."""
        lost = self.lost_shards(meta)
        if lost:
            return "no live mirror of " + "; ".join(lost) + ": results would be partial"
        return None

    def shard_lost(self, meta: dict | None) -> bool:
        """Whether a shard has no mirror up (then the cluster is marked degraded)."""
        if meta is None:
            return False
        try:
            lost = _lost(meta)
        except (OSError, ValueError, KeyError):
            return False
        if lost:
            self.lost = frozenset(lost)
            self.mark_degraded(meta)
        return bool(lost)

    def mark_degraded(self, meta: dict | None) -> None:
        """A shard went unanswered: no retries, and a probe in the background."""
        self.degraded = True
        if meta is not None and (self._probe is None or not self._probe.is_alive()):
            self._probe = threading.Thread(target=self._probing, args=(meta,), daemon=True,
                                           name="cluster-probe")
            self._probe.start()

    def _probing(self, meta: dict) -> None:
        while self.degraded:
            time.sleep(PROBE_SECONDS)
            try:
                self.lost = frozenset(_lost(meta))
            except (OSError, ValueError, KeyError):
                continue
            if not self.lost:
                self.degraded = False

    def stop(self) -> None:
        self.degraded = False  # ends the probe thread


def _lost(meta: dict) -> list[int]:
    """The live generation's shards no mirror of which answers on the port the heads query."""
    layout = meta["layout"]
    return [i for i, mirrors in enumerate(layout.shards[:layout.count(meta["live"])])
            if not any(answers((h, api), 0.3) for h, _, api in mirrors)]
