"""A short load run under a real gunicorn: 8, 32 and 64 clients, zero errors, bounded memory.

`make load` runs the same for 60 s a level over the index of your choice.
"""

import shutil

import pytest

from bench.load import _gunicorn_master, _pids, rss_mib, run_level
from search.ingest.indexer import reindex
from tests.conftest import ROOT
from tests.servers import gunicorn


@pytest.mark.slow
def test_load_levels_have_no_errors(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "samples", src, ignore=shutil.ignore_patterns("*.py", "*.md"))
    reindex(tmp_path / "ix", [src])
    with gunicorn(tmp_path / "ix", workers=2) as base:
        host, port = base.rsplit("/", 1)[-1].split(":")
        master = _gunicorn_master(int(port))
        assert master and len(_pids(master)) == 2
        run_level(host, int(port), 4, 2, 200)  # warm-up: dictionaries, caches
        before = sum(rss_mib(p) for p in _pids(master))
        for clients in (8, 32, 64):
            row = run_level(host, int(port), clients, seconds=5, max_requests=5000)
            assert row["errors"] == 0, row["first_errors"]
            assert row["requests"] >= clients
        after = sum(rss_mib(p) for p in _pids(master))
    assert after < before * 1.5 + 50, (before, after)
