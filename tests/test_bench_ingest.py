"""Smoke test of bench/ingest.py on a tiny index: it runs and reports every figure."""

import json

import pytest

from bench import ingest
from tests.web_helpers import build_index


@pytest.mark.slow
def test_ingest_bench_reports_its_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_THREADS", "2")  # threaded workers: the committer process's trace
    index_dir, _ = build_index(tmp_path, 20)
    out = tmp_path / "out.json"
    assert ingest.main(["--index", str(index_dir), "--seconds", "2", "--clients", "2",
                        "--rate", "5", "--commits", "2", "--suggests", "1",
                        "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    lag = figures["lag"]
    assert lag["docs"] >= 8 and lag["errors"] == [] and lag["lag_ms"]["p95"] > 0
    assert figures["suggest"]["n"] == 1
    # The committer process's trace: every benchmark document went through one of its commits.
    assert lag["commits"]["n"] >= 1 and lag["poll_ms"]["p50"] > 0
    assert lag["commits"]["commit_ms"]["p50"] >= 0
    assert sorted(figures["memory"]["private_mib"]) == ["0", "2"]
    assert all(len(v) == 2 for v in figures["memory"]["private_mib"].values())  # workers only
    assert sorted(figures["memory"]["committer_private_mib"]) == ["0", "2"]
