"""Reindex: formats, encodings, incremental updates and bad files, on real indexes."""

import gzip
import json
import os
import shutil

import pytest

from search.engine import Engine
from search.ingest.documents import Skip, decode
from search.ingest.indexer import reindex
from tests.conftest import SAMPLE_PAGES

UK_TEXT = "Обласна рада ухвалила програму розвитку туризму на узбережжі Азовського моря."
RU_TEXT = "Городская дума утвердила программу развития туризма на побережье Азовского моря."


def ids(index_dir, query):
    eng = Engine(index_dir)
    try:
        return {h.id for h in eng.search(query, per_page=100, collapse=False).hits}
    finally:
        eng.close()


def bump_mtime(path):
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


def test_incremental_add_change_delete(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text(f"Туризм на узбережжі\n\n{UK_TEXT}", encoding="utf-8")
    (src / "sub" / "b.txt").write_text(f"Туризм на побережье\n\n{RU_TEXT}", encoding="utf-8")
    s = reindex(ix, [src])
    assert (s.added, s.updated, s.deleted, s.unchanged, s.skipped) == (2, 0, 0, 0, [])
    assert ids(ix, "туризм") == {"a.txt", "sub/b.txt"}

    s = reindex(ix, [src])
    assert (s.added, s.updated, s.deleted, s.unchanged) == (0, 0, 0, 2)

    (src / "a.txt").write_text("Нова назва\n\nСесія обласної ради перенесена на осінь.", "utf-8")
    bump_mtime(src / "a.txt")
    (src / "c.txt").write_text("Третя новина\n\nВідкрито новий туристичний маршрут.", "utf-8")
    (src / "sub" / "b.txt").unlink()
    s = reindex(ix, [src])
    assert (s.added, s.updated, s.deleted, s.unchanged) == (1, 1, 1, 0)
    assert ids(ix, "туризм") == set()
    assert ids(ix, "сесія") == {"a.txt"}
    assert ids(ix, "маршрут") == {"c.txt"}
    eng = Engine(ix)
    assert eng.doc_count() == 2
    eng.close()


def test_other_sources_are_not_deleted(tmp_path):
    one, two, ix = tmp_path / "one", tmp_path / "two", tmp_path / "ix"
    one.mkdir(), two.mkdir()
    (one / "a.txt").write_text(f"Заголовок\n\n{UK_TEXT}", "utf-8")
    (two / "b.txt").write_text(f"Заголовок\n\n{RU_TEXT}", "utf-8")
    reindex(ix, [one])
    s = reindex(ix, [two])
    assert s.deleted == 0 and ids(ix, "туризм") == {"a.txt", "b.txt"}


def test_full_rebuild_replaces_everything(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "a.txt").write_text(f"Заголовок\n\n{UK_TEXT}", "utf-8")
    reindex(ix, [src])
    (src / "a.txt").unlink()
    (src / "b.txt").write_text(f"Заголовок\n\n{RU_TEXT}", "utf-8")
    s = reindex(ix, [src], full=True)
    assert s.added == 1 and ids(ix, "туризм") == {"b.txt"}


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r", "utf-16", "utf-8-sig"])
def test_legacy_encodings_are_decoded(tmp_path, encoding):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    text = f"Туризм у Бердянську\n\n{UK_TEXT} Ще одне речення про відпочинок і море."
    if encoding == "koi8_r":  # KOI8-R has no і/ї/є: a Russian text
        text = f"Туризм в Бердянске\n\n{RU_TEXT} Еще одно предложение про отдых и море."
    (src / "page.txt").write_bytes(text.encode(encoding))
    s = reindex(ix, [src])
    assert s.skipped == [] and s.documents == 1
    assert ids(ix, "море") == {"page.txt"}
    assert ids(ix, "туризм") == {"page.txt"}


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\t\n", "empty"),
    ("binary.txt", bytes(range(256)) * 20, "binary"),
    ("nul.txt", "Текст з нулем\x00 всередині".encode() + b"\xff\x00\x01", "binary"),
])
def test_bad_files_are_skipped_with_a_reason(tmp_path, name, content, reason):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "good.txt").write_text(f"Заголовок\n\n{UK_TEXT}", "utf-8")
    (src / name).write_bytes(content)
    s = reindex(ix, [src])
    assert s.documents == 1
    assert [(p.rsplit("/", 1)[-1], reason in r) for p, r in s.skipped] == [(name, True)]


def test_jsonl_gz_with_bad_lines(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    lines = [
        json.dumps({"id": "r1", "title": "Туризм", "text": UK_TEXT, "date": "2020-05-01"}),
        "{not json",
        json.dumps({"id": "r2", "body": RU_TEXT, "lang": "ru", "url": "https://e.org/2"}),
        json.dumps({"id": 3, "text": "Число як ідентифікатор документа про туризм."}),
        json.dumps({"text": "без ідентифікатора"}),
        json.dumps({"id": "r4", "text": ["not", "a", "string"]}),
        json.dumps({"id": "r1", "text": "дубль ідентифікатора про туризм"}),
        json.dumps(["a", "list"]),
    ]
    with gzip.open(src / "docs.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    s = reindex(ix, [src])
    assert s.documents == 3
    reasons = " | ".join(r for _, r in s.skipped)
    for expected in ("line 2", "no id", "no text", "duplicate id 'r1'", "not a JSON object"):
        assert expected in reasons
    assert ids(ix, "туризм") == {"r1", "r2", "3"}
    eng = Engine(ix)
    doc = eng.document("r2")
    assert doc["url"] == "https://e.org/2" and doc["lang"] == "ru"
    assert eng.document("r1")["date"].year == 2020
    eng.close()


def test_html_page(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    html = f"""<html><head><title>Туризм на Азові</title>
    <meta property="article:published_time" content="2021-06-15"></head>
    <body><nav><a href="/">Головна</a> <a href="/news">Новини</a> Футбол Хокей</nav>
    <article><h1>Туризм на Азові</h1><p>{UK_TEXT}</p>
    <p>Курортний сезон відкрито, готелі приймають перших відпочивальників з усієї країни.</p>
    <p>Місцева влада обіцяє прибрати пляжі та відремонтувати набережну до липня.</p></article>
    <footer>Усі права захищено</footer></body></html>"""
    (src / "page.html").write_text(html, "utf-8")
    s = reindex(ix, [src])
    assert s.documents == 1, s.skipped
    assert ids(ix, "туризм") == {"page.html"}
    assert ids(ix, "хокей") == set()  # navigation is not the main text


def test_sample_pages_title_date_and_boilerplate(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    for f in SAMPLE_PAGES:
        shutil.copy(f, src)
    reindex(ix, [src])
    eng = Engine(ix)
    uk = eng.document("000_1d556e5db49b27e5.txt")
    ru = eng.document("002_0a39e1a05f8c3216.txt")
    eng.close()
    assert uk["title"] == "Держслужбовці Запоріжжя та Донецька обмінялися досвідом"
    assert (uk["date"].year, uk["date"].month, uk["date"].day, uk["date"].hour) == (2011, 7, 26, 10)
    assert uk["lang"] == "uk" and ru["lang"] == "ru"
    assert "Читайте також" not in uk["body"] and "Гаряча" not in uk["body"]
    assert uk["body"].startswith("У Запоріжжі відбулася зустріч")
    assert ru["title"].startswith("В Штабе общественной поддержки Волгоградской области")
    assert "ДРУГИЕ НОВОСТИ" not in ru["body"] and "Поделиться" not in ru["body"]


def test_missing_source_and_nothing_indexed(tmp_path):
    s = reindex(tmp_path / "ix", [tmp_path / "nope"])
    assert s.indexed_files == 0 and "no such file" in s.skipped[0][1]


def test_decode_rejects_binary():
    with pytest.raises(Skip):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))


def test_full_rebuild_in_two_processes(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    for part in range(3):
        with (src / f"part{part}.jsonl").open("w", encoding="utf-8") as f:
            for i in range(40):
                f.write(json.dumps({"id": f"{part}-{i}", "text": f"{UK_TEXT} Номер {i}."},
                                   ensure_ascii=False) + "\n")
    s = reindex(ix, [src], full=True, procs=2)
    assert s.documents == 120 and s.added == 3
    assert len(ids(ix, "туризм")) == 100  # per_page cap in ids()
    eng = Engine(ix)
    assert eng.doc_count() == 120 and eng.search("туризм").total == 120
    eng.close()
    s = reindex(ix, [src])  # and an incremental run after it sees every file as unchanged
    assert s.unchanged == 3 and s.documents == 0
