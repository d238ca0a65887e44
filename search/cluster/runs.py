"""Which files a reindex run was writing, so that a crashed run is resumed by the next.

Before a run writes anything it records the files it will change; once every statement is
in the journals it records the journals' last sequence numbers. A file counts as done when
every mirror of every shard has applied up to those; a run that never got that far left its
files unfinished, and the next run writes them again.
"""

import json
import os
from pathlib import Path

from search.cluster import journal


class Run:
    """The run record of one generation: root/run-<gen>.json."""

    def __init__(self, layout, gen: str):
        self.layout, self.gen = layout, gen
        self.path = Path(layout.root) / f"run-{gen}.json"
        try:
            self.state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.state = {}

    def unfinished(self) -> list[str]:
        """Files of an earlier run that crashed before all its writes were journaled."""
        return [] if self.state.get("seqs") else list(self.state.get("files", []))

    def waiting(self) -> list[str]:
        """Files journaled by the last run that some mirror has not applied yet."""
        return list(self.state.get("files", [])) if self.state.get("seqs") else []

    def begin(self, files: list[str]) -> None:
        self._save({"files": sorted(set(files) | set(self.unfinished())), "seqs": None})

    def written(self, seqs: list[int]) -> None:
        self._save({**self.state, "seqs": seqs})

    def settle(self) -> bool:
        """Forget the run once every mirror has what it wrote; True if so."""
        seqs = self.state.get("seqs")
        if not seqs:
            return not self.state.get("files")
        for s, last in enumerate(seqs):
            for j in range(len(self.layout.shards[s])):
                if journal.applied(self.layout.root, f"shard{s}m{j}") < last:
                    return False
        self.path.unlink(missing_ok=True)
        self.state = {}
        return True

    def _save(self, state: dict) -> None:
        self.state = state
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
