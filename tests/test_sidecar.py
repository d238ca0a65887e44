"""Postings arrays written beside each segment equal what Whoosh's own blocks hold."""

import json

import numpy as np
import pytest

from search.engine import Engine, arrays
from search.engine.sidecar import open_sidecar
from search.ingest import store
from search.ingest.indexer import reindex

TEXTS = [
    ("uk", "Співпраця регіонів: держслужбовці Запоріжжя обмінялися досвідом. Співпраця триває."),
    ("uk", "Війни і миру не буває без співпраці; війна — це горе. " * 3),
    ("ru", "Союз машиностроителей подписал соглашение о сотрудничестве регионов."),
    ("ru", "Машиностроители и союз. " * 40),  # positions past 255 (2-byte deltas)
]


def _records(n: int, start: int = 0) -> str:
    return "\n".join(json.dumps({"id": f"d{i}", "lang": TEXTS[i % 4][0],
                                 "title": "Новини" if i % 2 else "",
                                 "text": f"{TEXTS[i % 4][1]} {i}"}, ensure_ascii=False)
                     for i in range(start, start + n))


def _each(positions, starts) -> list[list[int]]:
    """Each posting's positions (starts index into positions, relative or absolute)."""
    return [positions[a:b].tolist() for a, b in zip(starts[:-1], starts[1:], strict=True)]


def _check_segments(index_dir) -> int:
    """Compare every positional term of every segment; return how many segments had sidecars."""
    ix = store.open_current(index_dir)
    s = ix.searcher()
    checked = 0
    for sub, _ in s.leaf_searchers():
        r = sub.ixreader
        sidecar = open_sidecar(r)
        assert sidecar is not None
        checked += 1
        for field in ("title_uk", "body_uk", "title_ru", "body_ru"):
            if field not in r.schema:
                continue
            terms = [t.decode() for t in r.lexicon(field)]
            assert {t for f, t in sidecar.terms if f == field} == set(terms)
            for term in terms:
                ids, w, pos, starts = sidecar.postings(field, term)
                b_ids, b_w, b_pos, b_starts = arrays.read_postings(r, field, term)
                assert np.array_equal(ids, b_ids) and np.allclose(w, b_w)
                assert _each(pos, starts) == _each(b_pos, b_starts)
    s.close()
    return checked


@pytest.mark.parametrize("procs", [1, 2])
def test_sidecar_equals_whoosh_blocks_after_writes_and_merges(tmp_path, procs):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text(_records(40), "utf-8")
    reindex(tmp_path / "ix", [src], full=True, procs=procs)
    assert _check_segments(tmp_path / "ix") >= 1
    for k in range(3):  # incremental commits: new segments, and Whoosh merging small ones
        (src / f"more{k}.jsonl").write_text(_records(7, 100 + 10 * k), "utf-8")
        reindex(tmp_path / "ix", [src])
    assert _check_segments(tmp_path / "ix") >= 1
    eng = Engine(tmp_path / "ix", cache_size=0)
    # The ru texts (kinds 2 and 3: "… и союз. Машиностроители" too) of the 40 + 3 x 7 docs.
    ru = [i for i in [*range(40), *(100 + 10 * k + j for k in range(3) for j in range(7))]
          if i % 4 in (2, 3)]
    assert eng.search('"союз машиностроителей"').total == len(ru) == 30
    assert eng.search("співпраця").total > 0
    assert not [k for k in eng.arrays._items if k[0] == "post"]  # nothing read from blocks
    eng.close()


def test_an_index_written_without_sidecars_is_read_from_blocks(tmp_path):
    from whoosh.codec.whoosh3 import W3Codec

    from tests.conftest import add_segment, fresh_index

    root = tmp_path / "ix"
    # As every index before the arrays existed was written: Whoosh's own codec.
    add_segment(fresh_index(root), [(str(i), lang, text) for i, (lang, text) in enumerate(TEXTS)],
                codec=W3Codec())
    eng = Engine(root, cache_size=0)
    assert eng.search('"союз машиностроителей"').total == 2  # both ru texts
    assert [k for k in eng.arrays._items if k[0] == "post"]
    eng.close()
