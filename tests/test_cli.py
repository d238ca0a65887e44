"""The command line, run as a user runs it: a real process, a real index."""

import json
import re
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
    assert "2 documents indexed from 2 files" in out.stdout
    assert "files: 2 added, 0 updated, 0 deleted, 0 unchanged, 1 skipped" in out.stdout
    assert "empty.txt: empty file" in out.stdout
    return ix


def test_query_text_output(cli_index):
    out = run("query", "співпраця", "--index", str(cli_index))
    assert out.returncode == 0
    assert "showing 1 of 1 results" in out.stdout and "**співпрацю**" in out.stdout
    assert "зв’язків" in run("query", "зв'язок", "--index", str(cli_index)).stdout  # no &#x27;


def test_query_json(cli_index):
    out = run("query", "машиностроитель", "--index", str(cli_index), "--json", "--limit", "5")
    res = json.loads(out.stdout)
    assert res["total"] == 1 and res["hits"][0]["id"] == "002_0a39e1a05f8c3216.txt"
    assert {"id", "title", "score", "snippet", "lang", "date", "url"} <= set(res["hits"][0])


def test_query_lang_filter(cli_index):
    out = run("query", "машиностроитель", "--index", str(cli_index), "--json", "--lang", "uk")
    assert json.loads(out.stdout)["total"] == 0


def test_batch_queries(cli_index, tmp_path):
    qfile = tmp_path / "q.txt"
    qfile.write_text("співпраця\n\nсоглашение\n!!!\n", encoding="utf-8")
    out = run("query", "--queries", str(qfile), "--json", "--index", str(cli_index))
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    # One object out for every line in: a blank line gives an empty result, not an error.
    assert [r["query"] for r in rows] == ["співпраця", "", "соглашение", "!!!"]
    assert [r["total"] for r in rows] == [1, 0, 2, 0]  # соглашение: the uk page's угоди too
    assert rows[1]["hits"] == [] and "error" not in rows[1]
    assert "error" in rows[3]


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


@pytest.fixture(scope="module")
def news_index(tmp_path_factory):
    """12 dated Ukrainian and 5 Russian news about a budget, one dated to the year, one undated."""
    src = tmp_path_factory.mktemp("cli_news")
    rows = [{"id": f"uk-{i}", "title": f"Бюджет міста на {2010 + i} рік",
             "text": f"Міська рада ухвалила бюджет номер {i}. Депутати голосували.",
             "date": f"{2010 + i}-03-01", "lang": "uk",
             "source": ["Вечірній Київ", "Хрещатик"][i % 2]} for i in range(12)]
    rows += [{"id": f"ru-{i}", "title": f"Бюджет города на {2010 + i} год",
              "text": f"Городская дума утвердила бюджет номер {i}. Депутаты голосовали.",
              "date": f"{2010 + i}-06-01", "lang": "ru", "source": "Вечерняя Москва"}
             for i in range(5)]
    rows.append({"id": "uk-undated", "title": "Бюджет без дати",
                 "text": "Бюджет обговорили на сесії ради.", "lang": "uk"})
    rows.append({"id": "uk-year", "title": "Бюджет на рік", "text": "Бюджет ухвалили.",
                 "year": "2009", "lang": "uk", "publ_in": "Хрещатик"})
    (src / "news.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    ix = tmp_path_factory.mktemp("cli_news_ix")
    assert run("reindex", str(src), "--index", str(ix)).returncode == 0
    return ix


def query_json(ix, *args):
    out = run("query", *args, "--index", str(ix), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_query_says_what_it_shows(news_index):
    out = run("query", "бюджет", "--index", str(news_index))
    assert out.returncode == 0
    assert out.stdout.startswith("showing 10 of 19 results (1–10, page 1 of 2;")
    out = run("query", "бюджет", "--index", str(news_index), "--page", "2")
    assert out.stdout.startswith("showing 9 of 19 results (11–19, page 2 of 2;")
    assert "\n11. [" in out.stdout and "\n19. [" in out.stdout
    out = run("query", "бюджет", "--index", str(news_index), "--page", "3")
    assert out.returncode == 0 and "no results on page 3: 19 results make 2 pages" in out.stdout


@pytest.mark.parametrize(("typed", "meant"), [("співпарця", "співпраця"),
                                               ("cgsdghfwz", "співпраця")])
def test_query_shows_its_correction(cli_index, typed, meant):
    out = run("query", typed, "--index", str(cli_index))
    assert out.stdout.startswith(f"showing results for «{meant}»; searched instead of «{typed}»")
    assert "showing 1 of 1 results" in out.stdout
    exact = run("query", typed, "--index", str(cli_index), "--exact")
    assert exact.returncode == 0 and "searched instead" not in exact.stdout
    assert "no results" in exact.stdout


@pytest.mark.parametrize(("args", "ids"), [
    (["--sort", "date", "--limit", "3", "--from", "2000-01-01"], ["uk-11", "uk-10", "uk-9"]),
    (["--sort", "date", "--lang", "ru", "--limit", "2"], ["ru-4", "ru-3"]),
    (["--from", "2014-06-01", "--to", "2015-03-01"], {"ru-4", "uk-5"}),
    (["--to", "2010-03-01"], {"uk-0", "uk-year"}),  # the whole last day is in
    (["--from", "2021-01-01", "--lang", "uk"], {"uk-11"}),
])
def test_query_sort_and_dates(news_index, args, ids):
    res = query_json(news_index, "бюджет", *args)
    got = [h["id"] for h in res["hits"]]
    assert (got if isinstance(ids, list) else set(got)) == ids


def test_sort_by_date_puts_undated_last_and_shows_a_year_as_a_year(news_index):
    res = query_json(news_index, "бюджет", "--sort", "date", "--page", "2")
    assert [h["id"] for h in res["hits"]][-2:] == ["uk-year", "uk-undated"]
    assert [h["date"] for h in res["hits"]][-2:] == ["2009", None]
    out = run("query", "бюджет", "--index", str(news_index), "--sort", "date", "--page", "2")
    assert "[uk] Бюджет на рік (Хрещатик, 2009, uk-year; score" in out.stdout
    assert "[uk] Бюджет без дати (no date, uk-undated; score" in out.stdout


@pytest.mark.parametrize(("sources", "count"), [
    (["Вечірній Київ"], 6), (["Хрещатик"], 7), (["Вечерняя Москва"], 5),
    (["Вечірній Київ", "Вечерняя Москва"], 11), (["Нема такого"], 0),
])
def test_query_source_filter(news_index, sources, count):
    args = [a for src in sources for a in ("--source", src)]
    res = query_json(news_index, "бюджет", "--limit", "20", *args)
    assert res["total"] == count == len(res["hits"])
    assert {h["source"] for h in res["hits"]} <= set(sources)


@pytest.mark.parametrize(("args", "message"), [
    (["--limit", "0"], "--limit must be from 1 to 1000, not 0"),
    (["--limit", "-3"], "--limit must be from 1 to 1000, not -3"),
    (["--limit", "ten"], "--limit must be a whole number"),
    (["--page", "0"], "--page must be from 1"),
    (["--from", "2020-13-01"], "a date is YYYY-MM-DD"),
    (["--to", "вчора"], "a date is YYYY-MM-DD"),
    (["--from", "2021-01-01", "--to", "2020-01-01"], "--from is after --to"),
    (["--sort", "popularity"], "invalid choice: 'popularity'"),
    (["--lang", "en"], "invalid choice: 'en'"),
])
def test_bad_query_option_is_a_clear_error(cli_index, args, message):
    out = run("query", "уряд", "--index", str(cli_index), *args)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "error:" in out.stderr and message in out.stderr


@pytest.mark.parametrize("args", [["--version"], ["query", "--version"]])
def test_version(args):
    from importlib.metadata import version

    out = run(*args)
    assert out.returncode == 0 and out.stdout.strip() == f"search {version('newsearch')}"


def test_every_option_has_help():
    from search.cli import build_parser

    parser = build_parser()
    subs = next(a for a in parser._actions if a.dest == "command").choices
    for p in [parser, *subs.values()]:
        for action in p._actions:
            assert action.help and action.help.strip(), (p.prog, action.dest)


def test_reindex_missing_source_creates_no_index(tmp_path):
    ix = tmp_path / "ix"
    out = run("reindex", str(tmp_path / "nope"), "--index", str(ix))
    assert out.returncode == 2 and "no such file or folder" in out.stderr
    assert not ix.exists()


def write_gz_collection(path, count):
    import gzip

    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i in range(count):
            f.write(json.dumps({"id": f"d{i}", "title": f"Новина {i}", "lang": "uk",
                                "text": f"Міська рада ухвалила рішення номер {i} про ремонт."},
                               ensure_ascii=False) + "\n")


@pytest.mark.parametrize("extra", [[], ["--full", "--procs", "2"]], ids=["incremental", "full"])
def test_progress_counts_documents_of_one_collection(tmp_path, extra):
    write_gz_collection(tmp_path / "all.jsonl.gz", 300)
    out = run("reindex", str(tmp_path / "all.jsonl.gz"), "--index", str(tmp_path / "ix"),
              "--progress", *extra)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    counts = [int(re.match(r"indexing: ([\d,]+) documents? \(", ln)[1]) for ln in lines]
    # Progress while the one file is read, not "1/1 files" at its end.
    assert counts[0] < 300 and "file 1/1 all.jsonl.gz" in lines[0]
    assert counts == sorted(counts) and counts[-1] == 300
    assert "done, 1 file" in lines[-1]
    assert any("writing the index to disk" in ln for ln in lines)
    assert out.stdout.startswith("300 documents indexed from 1 file in ")


def test_progress_on_a_terminal_redraws_one_line(tmp_path):
    import os
    import pty

    write_gz_collection(tmp_path / "all.jsonl.gz", 50)
    main, sub = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "search", "reindex",
                               str(tmp_path / "all.jsonl.gz"), "--index", str(tmp_path / "ix")],
                              stdout=subprocess.PIPE, stderr=sub, timeout=120)
        os.close(sub)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(main)
    assert proc.returncode == 0
    text = seen.decode()
    assert text.startswith("\rindexing: 1 document (") and text.endswith("\r\n")
    assert "\rindexing: 50 documents" in text


def test_no_progress_when_not_asked(tmp_path):
    write_gz_collection(tmp_path / "all.jsonl.gz", 5)
    out = run("reindex", str(tmp_path / "all.jsonl.gz"), "--index", str(tmp_path / "ix"))
    assert out.returncode == 0 and out.stderr == ""


@pytest.mark.parametrize("content", [None, b"\xff\xfe\x00bad"], ids=["missing", "not-utf8"])
def test_unreadable_queries_file_is_a_clear_error(cli_index, tmp_path, content):
    qfile = tmp_path / "q.txt"
    if content is not None:
        qfile.write_bytes(content)
    out = run("query", "--queries", str(qfile), "--index", str(cli_index))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"error: cannot read {qfile}" in out.stderr
