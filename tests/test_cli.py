"""The command line, run as a user runs it: a real process, a real index."""

import json
import subprocess
import sys

import pytest

from tests.conftest import SAMPLE_PAGES


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "search", *args], capture_output=True,
                          text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    src = tmp_path_factory.mktemp("cli_src")
    for f in SAMPLE_PAGES:
        (src / f.name).write_bytes(f.read_bytes())
    (src / "empty.txt").write_text("")
    ix = tmp_path_factory.mktemp("cli_ix")
    out = run("reindex", str(src), "--index", str(ix))
    assert out.returncode == 0, out.stderr
    assert "added 2, updated 0, deleted 0, unchanged 0, skipped 1" in out.stdout
    assert "empty.txt: empty file" in out.stdout
    return ix


def test_query_text_output(cli_index):
    out = run("query", "співпраця", "--index", str(cli_index))
    assert out.returncode == 0
    assert "1 results" in out.stdout and "**співпрацю**" in out.stdout
    assert "зв’язків" in run("query", "зв'язок", "--index", str(cli_index)).stdout  # no &#x27;


def test_query_json(cli_index):
    out = run("query", "машиностроитель", "--index", str(cli_index), "--json", "--limit", "5")
    res = json.loads(out.stdout)
    assert res["total"] == 1 and res["hits"][0]["id"] == "002_0a39e1a05f8c3216"
    assert {"id", "title", "score", "snippet", "lang", "date", "url"} <= set(res["hits"][0])


def test_query_lang_filter(cli_index):
    out = run("query", "машиностроитель", "--index", str(cli_index), "--json", "--lang", "uk")
    assert json.loads(out.stdout)["total"] == 0


def test_batch_queries(cli_index, tmp_path):
    qfile = tmp_path / "q.txt"
    qfile.write_text("співпраця\n\nсоглашение\n!!!\n", encoding="utf-8")
    out = run("query", "--queries", str(qfile), "--json", "--index", str(cli_index))
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["співпраця", "соглашение", "!!!"]
    assert [r["total"] for r in rows] == [1, 1, 0]
    assert "error" in rows[2]


@pytest.mark.parametrize("text", ["", "   ", "!!!"])
def test_empty_query_is_a_clear_error(cli_index, text):
    out = run("query", text, "--index", str(cli_index))
    assert out.returncode == 2 and "error:" in out.stderr and "Traceback" not in out.stderr


def test_query_without_index(tmp_path):
    out = run("query", "тест", "--index", str(tmp_path / "none"))
    assert out.returncode == 2 and "reindex" in out.stderr


def test_reindex_nothing_indexable_exits_nonzero(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bad.txt").write_bytes(b"\x00\x01\x02" * 100)
    out = run("reindex", str(tmp_path / "src"), "--index", str(tmp_path / "ix"))
    assert out.returncode == 1 and "binary" in out.stdout


def test_index_dir_from_environment(cli_index):
    import os

    env = {**os.environ, "SEARCH_INDEX_DIR": str(cli_index)}
    out = run("query", "Запоріжжя", "--json", env=env)
    assert json.loads(out.stdout)["total"] == 1
