"""The cross-language tables built from CLDR are kept between runs, rebuilt when their sources
change, and never needed to be: without a cache folder they are built in memory."""

import json
import os
import subprocess
import sys

import pytest

from search.query import crosslang
from tests.conftest import index_records


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(crosslang, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


@pytest.mark.parametrize("name, build, public", [
    ("word_pairs", crosslang._word_pairs, crosslang.word_pairs),
    ("english_names", crosslang._english_names, crosslang.english_names),
])
def test_tables_are_kept_and_read_back_without_cldr(cache_dir, monkeypatch, name, build,
                                                    public):
    built = crosslang._cached(name, build)
    assert built == public()  # the same as built in memory
    assert len(list(cache_dir.glob(f"{name}-*.pickle"))) == 1

    def no_cldr():
        raise AssertionError("CLDR loaded")

    monkeypatch.setattr(crosslang, "cldr_names", no_cldr)
    assert crosslang._cached(name, build) == built  # read back, CLDR not loaded
    # Another source (a new babel, an edited word list): built again.
    monkeypatch.setattr(crosslang, "_cache_key", lambda: "other")
    with pytest.raises(AssertionError, match="CLDR loaded"):
        crosslang._cached(name, build)


def test_a_broken_cache_is_rebuilt(cache_dir):
    cache_dir.mkdir()
    path = cache_dir / f"english_names-{crosslang._cache_key()}.pickle"
    path.write_bytes(b"not a pickle")
    found = crosslang._cached("english_names", crosslang._english_names)
    assert found["turkey"]["ru"] == ("турция",)
    assert crosslang._cached("english_names", lambda: None) == found  # rewritten


def test_cli_query_keeps_the_tables(tmp_path):
    (tmp_path / "src").mkdir()
    ix = index_records([{"id": "1", "lang": "ru", "title": "Турция", "text": "Турция и газ."}],
                       tmp_path / "src", tmp_path / "ix")
    env = {**os.environ, "SEARCH_CACHE_DIR": str(tmp_path / "c")}
    for _ in range(2):  # built, then read back
        out = subprocess.run([sys.executable, "-m", "search", "query", "Turkey Туреччина",
                              "--json", "--index", str(ix)], capture_output=True, text=True,
                             timeout=120, env=env)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["total"] == 1
    assert {p.name.split("-")[0] for p in (tmp_path / "c").glob("*.pickle")} == {
        "word_pairs", "english_names"}
