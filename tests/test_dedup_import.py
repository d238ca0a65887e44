"""Signatures without datasketch at import: its permutations, made here, are datasketch's."""

import subprocess
import sys

import numpy as np
from datasketch import MinHash

from search.ingest import dedup


def test_the_permutations_are_datasketchs():
    base = MinHash(num_perm=dedup.PERMS, seed=dedup.SEED)
    assert base.scheme == "affine32"
    assert base.permutations.dtype == dedup._PERMUTATIONS.dtype
    assert np.array_equal(base.permutations, dedup._PERMUTATIONS)
    text = "Уряд ухвалив програму відновлення мостів у трьох областях до кінця року " * 3
    m = dedup.minhash(text)
    assert np.array_equal(m.permutations, base.permutations) and m.scheme == base.scheme
    assert np.array_equal(m.hashvalues, dedup._hashvalues(text))


def test_indexing_imports_neither_datasketch_nor_scipy():
    """(scipy, which datasketch imports, cost ~0.5 CPU s of every indexing run.)"""
    code = ("import sys; from search.ingest.indexer import reindex; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('datasketch', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
