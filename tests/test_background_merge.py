"""Bigger segments merged in a background process (search/ingest/background.py): the segment
count stays bounded over many commits; what is deleted or updated during a merge stays so; a
merge killed at any moment leaves an index the next commit and merge carry on from."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search.engine import Engine
from search.ingest import background, commit, committer, store
from search.ingest.documents import Document
from tests.conftest import add_segment, fresh_index
from tests.test_ranking_oracle import RU, UK
from tests.web_helpers import build_index

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("sizes", "merged"), [
    ([], []),
    ([70] * 7, []),  # not yet FACTOR of one tier
    ([70] * 8, list(range(8))),
    ([5] * 8, []),  # below LIVE_MAX: a live commit's merge
    ([3000] * 8, []),  # MAX_DOCS / 2 or more: final
    ([70] * 8 + [600] * 8, list(range(8))),  # the lowest tier first
    ([600] * 8, list(range(8))),  # 4,800 documents: under MAX_DOCS
    ([1000] * 8, list(range(5))),  # capped at MAX_DOCS documents
    ([80, 64, 70] + [100] * 6, list(range(8))),  # the smallest of the tier
])
def test_group(sizes, merged):
    assert sorted(background.group(sizes)) == merged


def _docs(start: int, n: int) -> list[Document]:
    rng = random.Random(start)
    out = []
    for i in range(start, start + n):
        lang, words = ("uk", UK) if i % 2 else ("ru", RU)
        body = " ".join(rng.choice(words) for _ in range(12)) + f" мітка{i % 7}"
        out.append(Document(id=f"d{i}", title=f"Новина {i}", body=body, lang=lang))
    return out


def _sizes(root) -> list[int]:
    return [s.doc_count() for s in store.open_current(root, create=False)._read_toc().segments]


def _ids(root) -> set[str]:
    ix = store.open_current(root, create=False)
    with ix.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


def _index(tmp_path, segments: int, per: int) -> Path:
    ix = fresh_index(tmp_path)
    for k in range(segments):
        add_segment(ix, _docs(k * per, per))
    return tmp_path


def test_many_small_commits_keep_few_segments(tmp_path, monkeypatch):
    # Scaled down: tiers of 2, live commits below 4 documents, background merges up to 64.
    monkeypatch.setattr(commit, "FACTOR", 2)
    monkeypatch.setattr(commit, "LIVE_MAX", 4)
    monkeypatch.setattr(background, "MAX_DOCS", 64)
    index_dir, _ = build_index(tmp_path, 3)
    counts = []
    for k in range(120):  # one document a commit; the background merge after each
        committer.accept(index_dir, [{"id": f"live-{k}", "lang": "uk", "title": f"Новина {k}",
                                      "text": f"Депутати обговорили бюджет громади {k}."}])
        assert committer.apply_pending(index_dir) == 1
        background.run(index_dir)
        counts.append(len(_sizes(index_dir)))
    sizes = _sizes(index_dir)
    assert sum(sizes) == 123
    # Without the background merges: 120 / 4 = 30 segments of 4; with them, a few per tier.
    assert max(counts) <= 10, counts
    assert sum(1 for n in sizes if n >= 32) >= 2  # merged up to the cap's half, then left
    engine = Engine(index_dir, cache_size=0)
    try:
        assert engine.search("бюджет громади", per_page=10).total == 120
        assert engine.document("live-7") is not None
    finally:
        engine.close()


def test_deletes_and_updates_during_a_merge_are_kept(tmp_path, monkeypatch):
    root = _index(tmp_path, 8, 70)
    real = background.merge.merge

    def merge_while_writing(*args):
        merged = real(*args)  # the sources as they were; now a live commit changes them
        committer.delete(root, "d3", exists=True)  # in the first source
        committer.delete(root, "d500", exists=True)  # in the last
        committer.accept(root, [{"id": "d100", "lang": "uk", "title": "Оновлено",
                                 "text": "Оновлений текст новини про вибори"}])
        assert committer.apply_pending(root) == 3
        return merged

    monkeypatch.setattr(background.merge, "merge", merge_while_writing)
    assert background.run(root, limit=1) == 1
    assert sorted(_sizes(root)) == [1, 560 - 3]  # the merged segment, the commit's
    ids = _ids(root)
    assert "d3" not in ids and "d500" not in ids and len(ids) == 560 - 2
    engine = Engine(root, cache_size=0)
    try:
        assert engine.document("d100")["title"] == "Оновлено"
        assert engine.search("Оновлений", per_page=10).total == 1
        assert engine.document("d3") is None and engine.document("d500") is None
        assert engine.document("d4") is not None
    finally:
        engine.close()
    assert not list((root / "current").glob(background.HIDDEN + "*"))


def test_a_source_merged_away_meanwhile_drops_the_merge(tmp_path, monkeypatch):
    root = _index(tmp_path, 8, 70)
    real = background.merge.merge

    def merge_while_deleting(*args):
        merged = real(*args)
        for i in range(70):  # every document of the first source: the commit drops it
            committer.delete(root, f"d{i}", exists=True)
        committer.apply_pending(root)
        return merged

    monkeypatch.setattr(background.merge, "merge", merge_while_deleting)
    assert background.run(root, limit=1) == 0
    assert sorted(_sizes(root)) == [70] * 7
    assert len(_ids(root)) == 490
    committer.accept(root, [{"id": "after", "text": "Документ після злиття."}])
    committer.apply_pending(root)  # Whoosh's clean-up: no file of the dropped merge stays
    assert _unlisted(root) == []
    assert not list((root / "current").glob(background.HIDDEN + "*"))


@pytest.mark.slow
def test_a_merge_killed_at_any_moment_leaves_a_consistent_index(tmp_path):
    root = _index(tmp_path, 8, 70)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    swapped, n = False, 0
    for k, delay in enumerate([0.3, 0.8, 1.3, 1.8, 2.4, 3.0, 3.6, 4.5]):
        proc = subprocess.Popen([sys.executable, "-m", "search.ingest.background", str(root)],
                                env=env, cwd=ROOT)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        sizes = _sizes(root)
        swapped = swapped or len(sizes) < 8 + n
        # The index is whole whatever the moment: every document once, searchable.
        assert len(_ids(root)) == 560 + n
        committer.accept(root, [{"id": f"after-{k}", "lang": "uk",
                                 "text": f"Новина після зупинки номер {k}."}])
        assert committer.apply_pending(root) == 1  # the next commit carries on
        n += 1
    # A merge run to its end cleans what killed ones left, and merges.
    assert background.run(root) >= (0 if swapped else 1)
    assert not list((root / "current").glob(background.HIDDEN + "*"))
    assert len(_sizes(root)) < 8 + n
    assert len(_ids(root)) == 560 + n
    engine = Engine(root, cache_size=0)
    try:
        assert engine.search("зупинки", per_page=100).total == n
        assert engine.document("d559") is not None
    finally:
        engine.close()


@pytest.mark.slow
def test_a_committer_starts_the_background_merge(tmp_path):
    root = _index(tmp_path, 8, 70)
    worker = committer.Committer(root, interval=0.05).start()
    try:
        committer.accept(root, [{"id": "one", "text": "Один документ для коміту."}])
        worker.wake()
        deadline = time.monotonic() + 120
        while len(_sizes(root)) > 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.stop()
    assert sorted(_sizes(root)) == [1, 560]
    while background._child is not None and background._child.poll() is None:
        time.sleep(0.1)


def _unlisted(root) -> list[str]:
    """Segment files in the generation folder that its TOC does not list."""
    folder = store.current_path(root)
    toc = store.open_dir(folder)._read_toc()
    listed = {s.segment_id() for s in toc.segments}
    return [p.name for p in folder.iterdir() if p.is_file() and p.name.startswith("MAIN_")
            and "WRITELOCK" not in p.name and p.name.split(".")[0] not in listed]


def test_a_merge_cut_between_its_files_and_its_toc_is_cleaned_by_the_next_commit(
        tmp_path, monkeypatch):
    root = _index(tmp_path, 8, 70)
    real = background.store.fsync_path

    def cut(path):
        if Path(path) == store.current_path(root):  # the files are in, the TOC is not
            raise KeyboardInterrupt  # as a kill would stop it
        real(path)

    monkeypatch.setattr(background.store, "fsync_path", cut)
    with pytest.raises(KeyboardInterrupt):
        background.run(root)
    monkeypatch.setattr(background.store, "fsync_path", real)
    assert sorted(_sizes(root)) == [70] * 8 and len(_ids(root)) == 560
    assert _unlisted(root)  # the merged segment's files, which no TOC names
    committer.accept(root, [{"id": "next", "text": "Наступний документ після збою."}])
    assert committer.apply_pending(root) == 1
    assert _unlisted(root) == []
    assert background.run(root) == 1  # and the next merge goes through
    assert sorted(_sizes(root)) == [1, 560] and _unlisted(root) == []
