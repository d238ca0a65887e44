"""Rows of bytes laid out with numpy: the bytes a row at a time in Python gives."""

import numpy as np
import pytest

from search.ingest.w3rows import Rows, pints


def _case(m, seed):
    """Pieces for m rows (constants, variable-width and whole ones, per-item ones of several
    widths, slices), with the bytes each row must get."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, 256, 1000).astype(np.uint8)
    want = [bytearray() for _ in range(m)]
    r = Rows(m)
    r.const(b"W3")
    for row in want:
        row += b"W3"
    mat, lens = pints(rng.integers(0, 2**31 - 1, m) >> rng.integers(0, 31, m))
    r.var(mat, lens)
    for i, row in enumerate(want):
        row += mat[i, :lens[i]].tobytes()
    whole = rng.integers(0, 256, (m, 9)).astype(np.uint8)
    r.var(whole)
    count = rng.integers(0, 5, m)
    owner = np.repeat(np.arange(m), count)
    imat, ilens = pints(rng.integers(0, 70_000, len(owner)))
    ilens[rng.random(len(owner)) < 0.2] = 0  # items that add nothing
    r.items(owner, imat, ilens)
    starts, slens = rng.integers(0, 900, m), rng.integers(0, 50, m)
    r.slices(src, starts, slens)
    r.const(b".")
    for i, row in enumerate(want):
        row += whole[i].tobytes()
        for j in np.flatnonzero(owner == i):
            row += imat[j, :ilens[j]].tobytes()
        row += src[starts[i]:starts[i] + slens[i]].tobytes() + b"."
    return r, want


@pytest.mark.parametrize("m", [1, 2, 7, 300])
def test_rows_are_the_pieces_in_order(m):
    r, want = _case(m, seed=m)
    buf, offsets = r.build()
    assert bytes(buf) == b"".join(want)
    assert offsets.tolist() == np.cumsum([0] + [len(w) for w in want])[:-1].tolist()
    assert r.lengths.tolist() == [len(w) for w in want]
