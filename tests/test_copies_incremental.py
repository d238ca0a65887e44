"""A commit's copy groups are recomputed only where it touched them (copies._relabel), and
equal a full recompute over every link: random adds, updates and deletes of uk and ru
near-duplicates, through live-ingest commits with their merges."""

import random

import numpy as np
import pytest

from search.ingest import commit, committer, copies, store
from tests.test_ranking_oracle import RU, UK
from tests.web_helpers import build_index


def _stored(index_dir):
    ix = store.open_current(index_dir, create=False)
    toc = ix._read_toc()
    segs = [(s.segment_id(), s.doc_count_all(), s.deleted_count()) for s in toc.segments]
    return ix, toc, copies.load(ix.storage.folder, toc.generation, segs)


def _full(ix, toc):
    """The labels of the same commit computed over every link, as before (written again)."""
    copies._write(ix.storage, toc.schema, toc.generation, toc.segments, full=True)
    segs = [(s.segment_id(), s.doc_count_all(), s.deleted_count()) for s in toc.segments]
    return copies.load(ix.storage.folder, toc.generation, segs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_groups_equal_a_full_recompute(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(commit, "FACTOR", 3)  # merges every few commits: groups renumbered
    relabelled = []
    real = copies._relabel
    monkeypatch.setattr(copies, "_relabel",
                        lambda *a: relabelled.append(r := real(*a)) or r)
    rng = random.Random(seed)
    index_dir, _ = build_index(tmp_path, 6)
    texts: dict[str, tuple[str, str]] = {}  # id -> (lang, body)
    n = 0
    for _step in range(25):
        records, deletes = [], []
        for _ in range(rng.randint(1, 6)):
            kind = rng.random()
            if kind < 0.5 or not texts:  # a new text, or a syndicated copy of one
                n += 1
                if texts and rng.random() < 0.6:
                    lang, body = texts[rng.choice(sorted(texts))]
                    body += " " + rng.choice(UK if lang == "uk" else RU)
                else:
                    lang = rng.choice(["uk", "ru"])
                    words = UK if lang == "uk" else RU
                    body = " ".join(rng.choice(words) for _ in range(rng.randint(30, 60)))
                doc_id = f"d{n}"
            elif kind < 0.75:  # an update: edited a little, or a different text
                doc_id = rng.choice(sorted(texts))
                lang, body = texts[doc_id]
                body = body + " оновлено" if rng.random() < 0.5 else body[::-1]
            else:
                deletes.append(rng.choice(sorted(texts)))
                texts.pop(deletes[-1])
                continue
            texts[doc_id] = (lang, body)
            records.append({"id": doc_id, "lang": lang, "text": body})
        if records:
            committer.accept(index_dir, records)
        for doc_id in deletes:
            committer.delete(index_dir, doc_id, exists=True)
        committer.apply_pending(index_dir)
        ix, toc, stored = _stored(index_dir)
        assert stored is not None
        full = _full(ix, toc)
        assert np.array_equal(stored[0], full[0]) and np.array_equal(stored[1], full[1])
    done = [r for r in relabelled if r is not None]
    assert len(done) >= 20  # the incremental path answered nearly every commit
    assert any(len(np.unique(r)) < len(r) for r in done)  # and copies were grouped
