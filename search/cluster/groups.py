"""Near-duplicate groups of a cluster generation, kept by the feeder.

Every row's MinHash signature (search/ingest/dedup.py) is kept in `copies-<gen>.npz` beside
the tally. After a run's rows are written, copies are linked as the embedded index links them
(search/ingest/copies.py: rows sharing an LSH band key, compared), and each row's copy_group
attribute is set by UPDATE where it changed: the smallest row id of its group, 0 for a row
without copies. Searches collapse by it (search/cluster/collapse.py).
"""

import os
from pathlib import Path

import numpy as np

from search.ingest import copies, dedup


def path_of(root, gen: str) -> Path:
    return Path(root) / f"copies-{gen}.npz"


class Groups:
    """The signatures and copy groups of one generation's rows, as the feeder last set them."""

    def __init__(self, path: Path, ids=None, sigs=None, has=None, label=None):
        self.path = path
        self.ids = np.zeros(0, np.int64) if ids is None else ids
        self.sigs = np.zeros((0, dedup.PERMS), np.uint32) if sigs is None else sigs
        self.has = np.zeros(0, bool) if has is None else has  # has a signature
        self.label = np.zeros(0, np.int64) if label is None else label
        self._gone: set[int] = set()  # rows of self.ids deleted or written again
        self._new: dict[int, bytes] = {}  # rows written in this run: their signatures

    @classmethod
    def load(cls, root, gen: str, fresh: bool = False) -> "Groups":
        """The generation's groups as saved (none when fresh: a full rebuild, or no file)."""
        path = path_of(root, gen)
        if fresh or not path.exists():
            return cls(path)
        with np.load(path) as f:
            return cls(path, f["ids"], f["sigs"], f["has"], f["label"])

    def add(self, rid: int, near: bytes) -> None:
        """A row written (replaced) with copy group 0 and this signature (b"": too short)."""
        self._gone.add(rid)
        self._new[rid] = near

    def remove(self, rids) -> None:
        for rid in rids:
            self._gone.add(int(rid))
            self._new.pop(int(rid), None)

    def relabel(self) -> dict[int, list[int]]:
        """Link every row's copies again; {copy group: row ids whose group changed to it}."""
        keep = ~np.isin(self.ids, np.fromiter(self._gone, np.int64, len(self._gone)))
        new_sigs, new_has = dedup.signatures(list(self._new.values()))
        ids = np.concatenate([self.ids[keep], np.fromiter(self._new, np.int64, len(self._new))])
        sigs = np.concatenate([self.sigs[keep], new_sigs])
        before = np.concatenate([self.label[keep], np.zeros(len(self._new), np.int64)])
        has = np.concatenate([self.has[keep], new_has])
        # One table of every row, in the order they were written: the pairs an index of one
        # segment links (search/ingest/copies.py), then their components.
        a, b = copies.pairs_within(sigs, has)
        component = dedup.components(len(ids), a, b)
        smallest = np.full(len(ids), np.iinfo(np.int64).max, np.int64)
        np.minimum.at(smallest, component, ids)
        many = np.bincount(component, minlength=len(ids))[component] > 1
        label = np.where(many, smallest[component], 0)
        changed: dict[int, list[int]] = {}
        for k in np.flatnonzero(label != before).tolist():
            changed.setdefault(int(label[k]), []).append(int(ids[k]))
        self.ids, self.sigs, self.has, self.label = ids, sigs, has, label
        self._gone, self._new = set(), {}
        return changed

    def save(self) -> None:
        """Keep the groups for the next run (atomically)."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                np.savez(f, ids=self.ids, sigs=self.sigs, has=self.has, label=self.label)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
