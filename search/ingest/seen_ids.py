"""The ids a reindex run has written, in 8 bytes an id whatever the run's size.

A set of the id strings cost ~100 bytes an id (the string, its hash slot): 20 MB at 200k
documents, 300 MB for a 3-million-record collection, all in the writer's process. Here an id
is its 64-bit hash: the latest ones in a set, merged into a sorted numpy array every MERGE_AT.
Two distinct ids share a hash with a probability of about n²/2⁶⁵ (1 in 10⁹ at 200k ids;
Python's string hash, salted per process, so a rerun does not repeat it); the second one would
then be reported as a duplicate id and skipped.
"""

import numpy as np

MERGE_AT = 1 << 16  # hashes held in the set before they go to the sorted array


class SeenIds:
    """Ids seen so far (`id in seen`, `seen.add(id)`), kept as sorted 64-bit hashes."""

    def __init__(self):
        self._sorted = np.zeros(0, np.int64)
        self._recent: set[int] = set()

    def __len__(self) -> int:
        return self._sorted.size + len(self._recent)

    def __contains__(self, doc_id: str) -> bool:
        h = hash(doc_id)
        if h in self._recent:
            return True
        arr = self._sorted
        if not arr.size:
            return False
        i = int(arr.searchsorted(h))
        return i < arr.size and int(arr[i]) == h

    def add(self, doc_id: str) -> None:
        self._recent.add(hash(doc_id))
        if len(self._recent) >= MERGE_AT:
            new = np.fromiter(self._recent, np.int64, len(self._recent))
            self._sorted = np.union1d(self._sorted, new)
            self._recent = set()
