"""Syndicated copies shown once, fresh-first ranking and related articles, on a real index."""

import numpy as np
import pytest

from search.engine import Engine
from search.ingest import dedup, shingles
from tests.conftest import index_records

AGENCY = ("Уряд ухвалив нову програму відновлення зруйнованих мостів у прифронтових "
          "громадах. Кошти на ремонт переправ виділять з резервного фонду державного "
          "бюджету, а першими відновлять мости на дорогах до лікарень і шкіл. Підрядників "
          "оберуть на відкритих торгах до кінця місяця, повідомили в міністерстві.")


def _records():
    copies = [
        {"id": "agency", "title": "Уряд відновить мости", "text": AGENCY, "site": "Агенція",
         "date": "2024-05-01"},
        # Lightly edited reprints: a word changed, a sentence added.
        {"id": "reprint-1", "title": "Уряд відновить мости у громадах",
         "text": AGENCY.replace("повідомили", "розповіли"), "site": "Обласна газета",
         "date": "2024-05-02"},
        {"id": "reprint-2", "title": "Уряд відновить мости",
         "text": AGENCY + " Про це пише Агенція.", "site": "Портал", "date": "2024-05-03"},
    ]
    others = [
        {"id": "bridge-old", "title": "Міст через річку відкрили після ремонту",
         "text": "Міст через річку відкрили після ремонту. Громада чекала на переправу "
                 "три роки, кошти виділили з обласного бюджету.", "date": "2020-06-01"},
        {"id": "bridge-new", "title": "Ремонт мосту в громаді почнуть влітку",
         "text": "Ремонт мосту почнуть влітку: підрядника оберуть на торгах, кошти є в "
                 "місцевому бюджеті.", "date": "2024-04-20"},
        {"id": "bridge-year", "title": "Мости області: підсумки року",
         "text": "За рік у громадах відремонтували чотири мости й дві переправи.",
         "date": "2024"},
        {"id": "school", "title": "Школи готують до навчального року",
         "text": "У громадах фарбують класи і ремонтують спортзали до вересня.",
         "date": "2024-08-01"},
    ]
    return [{**r, "lang": "uk"} for r in copies + others]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    src = tmp_path_factory.mktemp("newsroom_src")
    index_dir = index_records(_records(), src, tmp_path_factory.mktemp("newsroom_index"))
    eng = Engine(index_dir)
    yield eng
    eng.close()


def test_signature_sees_light_edits_as_copies_and_other_stories_not():
    a, b = dedup.minhash(AGENCY), dedup.minhash(AGENCY.replace("повідомили", "розповіли"))
    other = dedup.minhash("Ремонт мосту почнуть влітку: підрядника оберуть на торгах, кошти є "
                          "в місцевому бюджеті, а проєкт уже погодили в області.")
    assert a.jaccard(b) >= dedup.THRESHOLD > a.jaccard(other)
    assert dedup.signature("надто короткий текст") == b""


def test_shingles_are_word_runs_whatever_the_case_punctuation_and_spacing():
    same = dedup.shingles("Уряд ухвалив нову програму, відновлення мостів!")
    assert len(same) == 4
    assert np.array_equal(same, dedup.shingles("уряд  УХВАЛИВ нову\nпрограму відновлення мостів"))
    assert not np.array_equal(same, dedup.shingles("мостів відновлення програму нову ухвалив уряд"))


def test_word_hashes_are_the_same_in_short_and_long_texts():
    """Prefix sums (texts up to MAX_CHARS) and per-letter powers (longer ones) agree."""
    words = ["слово", "Київ", "x", "𝐀𝐁c", "covid19"]
    short = shingles._word_hashes(" ".join(words))
    long = shingles._word_hashes(" ".join(words * (shingles.MAX_CHARS // 20 + 1)))
    assert len(long) > shingles.MAX_CHARS // 5 and len(set(short.tolist())) == len(words)
    assert np.array_equal(long, np.tile(short, len(long) // len(words)))


def test_signatures_read_tagged_and_older_untagged_values():
    new = dedup.signature(AGENCY)
    assert new.startswith(dedup.TAG) and len(new) == len(dedup.TAG) + dedup.PERMS * 4
    old = np.arange(dedup.PERMS, dtype="<u4").tobytes()  # as written before the tag
    sigs, has = dedup.signatures([new, old, b""])
    assert has.tolist() == [True, True, False]
    assert sigs[0].tobytes() == new[len(dedup.TAG):] and sigs[1].tolist() == list(range(64))


def test_clusters_join_copies_transitively_and_keep_the_rest_apart():
    sigs = np.array([[1] * 64, [1] * 60 + [2] * 4, [3] * 64, [1] * 64], np.uint32)
    label = dedup.clusters(sigs, np.array([True, True, True, False]))
    assert label.tolist() == [0, 0, 2, 3]  # the last has no signature: alone


def test_copies_show_once_with_their_count(engine):
    res = engine.search("мости", per_page=20)
    ids = [h.id for h in res.hits]
    shown = [i for i in ids if i in ("agency", "reprint-1", "reprint-2")]
    assert len(shown) == 1
    hit = next(h for h in res.hits if h.id == shown[0])
    assert hit.duplicates == 2
    assert res.total_collapsed == res.total - 2
    every = engine.search("мости", per_page=20, collapse=False)
    assert {"agency", "reprint-1", "reprint-2"} <= {h.id for h in every.hits}
    assert every.total == res.total and all(h.duplicates == 0 for h in every.hits)


def test_copies_of_a_document_are_listed(engine):
    assert sorted(h.id for h in engine.copies("agency")) == ["reprint-1", "reprint-2"]
    assert engine.copies("school") == []
    assert engine.copies("no-such-id") is None


def test_recent_prefers_fresh_matches_and_keeps_the_query_words(engine):
    every = {"per_page": 20, "collapse": False}
    by_relevance = [h.id for h in engine.search("міст ремонт", **every).hits]
    ids = [h.id for h in engine.search("міст ремонт", sort="recent", **every).hits]
    assert set(ids) == set(by_relevance)  # the same matches, another order
    assert ids.index("bridge-old") > ids.index("bridge-new")  # four years older
    # Collapsed, the freshest copy of the agency story stands for it.
    shown = [h.id for h in engine.search("міст ремонт", per_page=20, sort="recent").hits]
    assert "reprint-2" in shown and "agency" not in shown


def test_year_only_date_counts_as_the_middle_of_its_year(engine):
    from search.engine.ranking import freshness

    view = engine.view()
    s = engine.searcher()
    docs = np.array([s.document_number(id=i) for i in ("bridge-year", "school")])
    decay = freshness(view, docs, 30.0)
    # "2024" is 2024-07-01 or so: a month before the newest (2024-08-01), not seven.
    assert 0.4 < decay[0] / decay[1] < 0.6


def test_related_leaves_out_the_document_and_its_copies(engine):
    related = engine.related("agency", per_page=5)
    ids = [h.id for h in related]
    assert ids and not {"agency", "reprint-1", "reprint-2"} & set(ids)
    assert ids[0].startswith("bridge")
    assert engine.related("no-such-id") is None
