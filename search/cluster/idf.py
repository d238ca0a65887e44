"""The global IDF file: document frequencies over every shard, so ranking is shard-free.

indextool --buildidf reads dictionary dumps (`keyword,docs,hits,offset` lines sorted byte-wise
and a `total-documents: N` line, the format of `indextool --dumpdict --stats`). The feeder knows
every document's terms, so it writes that dump itself from its own tally instead of dumping
each shard (indextool cannot read an RT index a running searchd holds).
"""

import os
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path


def build(path, freq: Counter, total_docs: int) -> None:
    """Write the IDF file at path (atomically) from term → documents and the document count."""
    path = Path(path)
    indextool = shutil.which("indextool")
    if not indextool:
        raise RuntimeError("indextool is not installed (Debian's sphinxsearch)")
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        dump = Path(tmp) / "dict.txt"
        with open(dump, "wb") as f:
            f.write(f"total-documents: {total_docs}\n".encode())
            for term in sorted((t.encode() for t, n in freq.items() if n > 0)):
                f.write(b"%s,%d,%d,0\n" % (term, freq[term.decode()], freq[term.decode()]))
        out = Path(tmp) / "global.idf"
        res = subprocess.run([indextool, "--buildidf", str(dump), "--out", str(out)],
                             capture_output=True, text=True, timeout=600, check=False)
        if res.returncode != 0 or not out.exists():
            raise RuntimeError(f"indextool --buildidf failed: {res.stdout[-500:]}")
        os.replace(out, path)


def write_empty(path) -> None:
    """An IDF file of no documents (searchd needs the file to exist before anything is fed)."""
    build(path, Counter(), 0)


def save_tally(path, freq: Counter, total_docs: int) -> None:
    """Keep the tally beside the IDF file (term<TAB>docs lines), for the next incremental run."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{total_docs}\n")
        for term, n in freq.items():
            if n > 0:
                f.write(f"{term}\t{n}\n")
    os.replace(tmp, path)


def load_tally(path) -> tuple[Counter, int]:
    """(term → documents, documents) saved by save_tally; empty if there is none."""
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
