"""PositionBoosts values laid out with numpy: each one as Whoosh's format encodes it."""

import struct

import numpy as np
import pytest
from whoosh.formats import PositionBoosts

from search.ingest import w3values

# Postings as (positions, boosts): one position, deltas of 1, 2 and 4 bytes, more than 255
# positions (memos past the 255th), reduced boosts of a word's other lemmas.
CASES = {
    "one position": [([0], [1.0])],
    "small deltas": [([3, 4, 200], [1.0, 0.5, 1.0]), ([7], [0.5])],
    "two-byte deltas": [([255, 256, 65_791], [1.0, 1.0, 0.5])],
    "four-byte deltas": [([65_536], [1.0]), ([1, 70_000, 2_000_000], [0.5, 1.0, 1.0])],
    "long posting": [(list(range(0, 3 * 300, 3)), [1.0, 0.5] * 150), ([9], [1.0])],
    "many postings": [([i, i + 300], [1.0, 0.5]) for i in range(50)],
}


def _lay_out(postings):
    pos = np.array([p for ps, _ in postings for p in ps], np.int32)
    boosts = np.array([b for _, bs in postings for b in bs], np.float32)
    counts = np.array([len(ps) for ps, _ in postings], np.int64)
    pstart = np.cumsum(counts) - counts
    sums = np.array([sum(bs) for _, bs in postings], np.float32)
    return w3values.values(pos, boosts, pstart, counts, sums)


@pytest.mark.parametrize("chunk", [1 << 18, 5])
@pytest.mark.parametrize("case", list(CASES))
def test_values_are_whooshs_pickles(case, chunk, monkeypatch):
    monkeypatch.setattr(w3values, "_CHUNK", chunk)  # whole postings at a time, however few
    postings = CASES[case]
    buf, vstart = _lay_out(postings)
    assert len(vstart) == len(postings) + 1 and vstart[-1] == len(buf)
    fmt = PositionBoosts()
    for i, (ps, bs) in enumerate(postings):
        want = fmt.encode(list(zip(ps, bs, strict=True)))
        got = bytes(buf[vstart[i]:vstart[i + 1]])
        assert got == b"B" + struct.pack("<I", len(want)) + want, (case, i)
        assert fmt.decode_position_boosts(got[5:]) == list(zip(ps, bs, strict=True))


def test_no_postings():
    buf, vstart = w3values.values(np.zeros(0, np.int32), np.zeros(0, np.float32),
                                  np.zeros(0, np.int64), np.zeros(0, np.int64),
                                  np.zeros(0, np.float32))
    assert bytes(buf) == b"" and vstart.tolist() == [0]
