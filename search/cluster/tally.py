"""The feeder's tally: documents per term (and per field) over every shard, per generation.

The cluster ranks with global statistics from it (matching, vocab), and the next incremental
run starts from it.
"""

import os
from collections import Counter
from pathlib import Path


def save(path, freq: Counter, total_docs: int) -> None:
    """Write the tally at path (term<TAB>documents lines, atomically)."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{total_docs}\n")
        for term, n in freq.items():
            if n > 0:
                f.write(f"{term}\t{n}\n")
    os.replace(tmp, path)


def load(path) -> tuple[Counter, int]:
    """(term → documents, documents) saved by save; empty if there is none."""
    freq: Counter = Counter()
    try:
        with open(path, encoding="utf-8") as f:
            total = int(f.readline() or 0)
            for line in f:
                term, _, n = line.rstrip("\n").rpartition("\t")
                freq[term] = int(n)
    except FileNotFoundError:
        return freq, 0
    return freq, total
