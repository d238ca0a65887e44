"""The bundled demo corpus (samples/): dated, with sources, small, and every file credited."""

from collections import Counter
from pathlib import Path

from search.ingest.documents import load, supported
from search.morph import detect_language
from tests.conftest import ROOT

SAMPLES = ROOT / "samples"


def documents():
    errors: list[str] = []
    for path in sorted(p for p in SAMPLES.rglob("*") if p.is_file() and supported(p)):
        for doc in load(path, errors, path.relative_to(SAMPLES).as_posix()):
            yield path, doc
    assert errors == []


def test_samples_are_small_and_credited():
    files = [p for p in SAMPLES.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 3 * 2**20
    credits = (SAMPLES / "ATTRIBUTION.md").read_text("utf-8")
    for path in files:
        if supported(path):
            assert f"`{path.name}`" in credits or f"`{path.parent.name}/{path.name}`" in credits, \
                path.name


def test_samples_are_dated_news_with_their_source():
    docs = [doc for _, doc in documents()]
    assert len(docs) >= 600
    dated = [d for d in docs if d.date]
    years = Counter(d.date.year for d in dated)
    # Enough dated news for the date filters and the year facet to show something.
    assert len(dated) >= 300 and len(years) >= 10
    assert {d.date_precision for d in dated} == {"year", ""}
    assert all(d.date.month == 1 and d.date.day == 1 for d in dated if d.date_precision)
    assert sum(1 for d in docs if d.site) >= len(docs) - 10
    assert len({d.site for d in docs}) >= 100  # many publications, for the source facet
    langs = Counter(d.lang or detect_language(d.body) for d in docs)
    assert set(langs) == {"uk", "ru"} and langs["ru"] >= 150


def test_sample_titles_are_real_or_made_up_and_marked():
    made_up = Counter(Path(p).name for p, d in documents() if d.made_up_title)
    # The collections without titles of their own get the first sentence, not indexed.
    assert made_up["uk_nashigroshi.jsonl"] == 150 and made_up["ru_ud.jsonl"] == 162
    assert made_up["uk_bruk_press.jsonl"] == 0
