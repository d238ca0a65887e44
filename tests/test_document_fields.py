"""Ids unique per source, site, date precision and made-up titles, on real indexes."""

import json
from datetime import datetime

import pytest
from whoosh import index as whoosh_index

from search.engine import Engine
from search.ingest import store
from search.ingest.documents import Document
from search.ingest.indexer import document_fields, reindex

UK_TEXT = "Міська рада ухвалила бюджет на ремонт мостів і доріг у наступному році."
RU_TEXT = "Городская дума утвердила бюджет на ремонт мостов и дорог в следующем году."


def stored(index_dir) -> dict[str, dict]:
    """id → stored fields of every document in the index."""
    ix = store.open_current(index_dir, create=False)
    with ix.searcher() as s:
        return {f["id"]: f for f in s.all_stored_fields()}


def page(n: int, text: str = UK_TEXT) -> str:
    return (f"<html><head><title>Новина {n}</title></head><body><article><h1>Новина {n}</h1>"
            f"<p>{text} Новина номер {n}.</p><p>Депутати проголосували одноголосно, а мер "
            f"пообіцяв звітувати щомісяця про хід робіт і витрати.</p></article></body></html>")


def write_archive(root):
    """A saved site: an index.html in every folder, as a crawler leaves it."""
    paths = ["index.html", "news/index.html", "news/2024/index.html", "sport/index.html"]
    for n, rel in enumerate(paths):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(page(n), "utf-8")
    return set(paths)


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_archive_of_index_html_files(tmp_path, full):
    src, ix = tmp_path / "site", tmp_path / "ix"
    expected = write_archive(src)
    s = reindex(ix, [src], full=full)
    assert s.skipped == [] and s.added == 4 and s.documents == 4
    assert set(stored(ix)) == expected
    (src / "news" / "2025").mkdir()
    (src / "news" / "2025" / "index.html").write_text(page(9), "utf-8")
    s = reindex(ix, [src], full=full)
    assert s.skipped == [] and s.added == (5 if full else 1)
    assert set(stored(ix)) == expected | {"news/2025/index.html"}


def test_same_name_in_a_subfolder_added_later(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    for name in ("news1.txt", "news2.txt", "news3.txt"):
        (src / name).write_text(f"Заголовок {name}\n\n{UK_TEXT}", "utf-8")
    reindex(ix, [src])
    (src / "sub").mkdir()
    (src / "sub" / "news1.txt").write_text(f"Другой заголовок\n\n{RU_TEXT}", "utf-8")
    s = reindex(ix, [src])
    assert (s.added, s.unchanged, s.skipped) == (1, 3, [])
    docs = stored(ix)
    assert set(docs) == {"news1.txt", "news2.txt", "news3.txt", "sub/news1.txt"}
    assert docs["news1.txt"]["lang"] == "uk" and docs["sub/news1.txt"]["lang"] == "ru"


def test_a_file_given_directly_is_named_by_its_name(tmp_path):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    f = tmp_path / "deep" / "er" / "news.txt"
    f.write_text(f"Заголовок\n\n{UK_TEXT}", "utf-8")
    reindex(tmp_path / "ix", [f])
    assert set(stored(tmp_path / "ix")) == {"news.txt"}


def test_index_of_the_old_version_is_migrated_without_loss(tmp_path):
    """An index whose ids were file stems: one of two news1 files had overwritten the other."""
    src, ix_dir = tmp_path / "src", tmp_path / "ix"
    (src / "sub").mkdir(parents=True)
    files = {"news1.txt": UK_TEXT, "sub/news1.txt": RU_TEXT, "news2.txt": UK_TEXT}
    for rel, text in files.items():
        (src / rel).write_text(f"Заголовок\n\n{text}", "utf-8")
    # What the old version wrote: id = stem, signature = size:mtime, no site.
    path = store.ensure_current(ix_dir)
    writer = whoosh_index.open_dir(path).writer()
    for rel in files:
        f = (src / rel).resolve()
        doc = Document(id=f.stem, title="Заголовок", body=f.read_text("utf-8").split("\n\n")[1])
        st = f.stat()
        writer.update_document(**document_fields(doc, str(f), f"{st.st_size}:{st.st_mtime_ns}"))
    writer.commit()
    assert set(stored(ix_dir)) == {"news1", "news2"}  # the uk news1 was lost
    s = reindex(ix_dir, [src])
    assert s.skipped == [] and s.unchanged == 0
    assert set(stored(ix_dir)) == set(files)  # no stem ids left, none missing
    s = reindex(ix_dir, [src])
    assert s.unchanged == 3 and s.documents == 0


SITES = [
    # (record fields, stored site)
    ({"source": "Наші гроші"}, "Наші гроші"),
    ({"publ_in": "Час Київщини", "year": "2016"}, "Час Київщини"),
    ({"site": "zoda.gov.ua", "source": "ignored when site is given"}, "zoda.gov.ua"),
    ({"publication": "Волгоградская правда"}, "Волгоградская правда"),
    ({"source": "  Вечерний\n Волгоград  "}, "Вечерний Волгоград"),
    ({"source": 42}, ""),
    ({"url": "https://example.org/a"}, ""),  # a record's URL is not its publication
    ({}, ""),
]


@pytest.mark.parametrize(("extra", "site"), SITES)
def test_site_of_a_record(tmp_path, extra, site):
    src = tmp_path / "src"
    src.mkdir()
    rec = {"id": "r1", "title": "Бюджет", "text": UK_TEXT, **extra}
    (src / "docs.jsonl").write_text(json.dumps(rec, ensure_ascii=False), "utf-8")
    assert reindex(tmp_path / "ix", [src]).skipped == []
    assert stored(tmp_path / "ix")["r1"]["site"] == site


def test_site_of_pages_and_html(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "page.txt").write_text(
        "Гаряча лінія Запорізької обласної державної адміністрації 0800 503 508\n\n"
        f"Міст відкрили\n\n3 квітня 2024\n\n{UK_TEXT}", "utf-8")
    (src / "named.html").write_text(page(1).replace(
        "<head>", '<head><meta property="og:site_name" content="Запорізька правда">'), "utf-8")
    (src / "hosted.html").write_text(page(2).replace(
        "<head>", '<head><link rel="canonical" href="https://www.zp.gov.ua/news/2">'), "utf-8")
    assert reindex(tmp_path / "ix", [src]).skipped == []
    docs = stored(tmp_path / "ix")
    assert docs["page.txt"]["site"] == "Запорізька обласна державна адміністрація"
    assert docs["named.html"]["site"] == "Запорізька правда"
    assert docs["hosted.html"]["site"] == "zp.gov.ua"
    assert docs["hosted.html"]["url"] == "https://www.zp.gov.ua/news/2"


DATES = [
    # (record fields, stored date, stored date_precision)
    ({"year": "2011"}, datetime(2011, 1, 1), "year"),
    ({"year": 2016}, datetime(2016, 1, 1), "year"),
    ({"date": "2011"}, datetime(2011, 1, 1), "year"),
    ({"date": "2011-07"}, datetime(2011, 7, 1), "month"),
    ({"date": "липень 2011"}, datetime(2011, 7, 1), "month"),
    ({"date": "июль 2011 г."}, datetime(2011, 7, 1), "month"),
    ({"year": "2011", "month": 7}, datetime(2011, 7, 1), "month"),
    ({"date": "2011-07-26"}, datetime(2011, 7, 26), None),
    ({"date": "26 июля 2011"}, datetime(2011, 7, 26), None),
    ({"date": "2011-07-26T10:47:00Z", "year": "1999"}, datetime(2011, 7, 26, 10, 47), None),
    ({"year": "999"}, None, None),
    ({}, None, None),
]


@pytest.mark.parametrize(("extra", "date", "precision"), DATES)
def test_date_precision(tmp_path, extra, date, precision):
    src = tmp_path / "src"
    src.mkdir()
    rec = {"id": "r1", "title": "Бюджет", "text": UK_TEXT, **extra}
    (src / "docs.jsonl").write_text(json.dumps(rec, ensure_ascii=False), "utf-8")
    assert reindex(tmp_path / "ix", [src]).skipped == []
    doc = stored(tmp_path / "ix")["r1"]
    assert doc.get("date") == date
    assert doc.get("date_precision") == precision


MADE_UP = [
    # (lang, body whose first sentence becomes the title, a word only in that sentence)
    ("uk", "Мерія оголосила конкурс на ремонт набережної. " + UK_TEXT, "набережна"),
    ("ru", "Мэрия объявила конкурс на ремонт набережной. " + RU_TEXT, "набережная"),
]


@pytest.mark.parametrize(("lang", "body", "word"), MADE_UP, ids=[m[0] for m in MADE_UP])
def test_made_up_title_is_shown_but_not_indexed(tmp_path, lang, body, word):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    rows = [
        {"id": "untitled", "text": body, "lang": lang},
        # The same body under a real title without the word: it must rank the same.
        {"id": "titled", "title": "Новини міста", "text": body, "lang": lang},
        {"id": "in-title", "title": f"{body.split('.')[0]}", "text": body, "lang": lang},
    ]
    (src / "docs.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    reindex(ix, [src])
    eng = Engine(ix)
    try:
        hits = {h.id: h for h in eng.search(word, per_page=10, collapse=False).hits}
        assert hits["untitled"].title == body.split(". ")[0] + "."
        assert hits["untitled"].score == pytest.approx(hits["titled"].score)
        assert hits["in-title"].score > hits["untitled"].score  # a real title still counts
        assert {h.id for h in eng.search(f"title:{word}").hits} == {"in-title"}
    finally:
        eng.close()


def test_page_without_a_title_line_gets_a_made_up_title(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "p.txt").write_text("Мерія оголосила конкурс на ремонт набережної. " + UK_TEXT
                               + "\n\nЧитайте також\n\nІнша новина", "utf-8")
    reindex(ix, [src])
    eng = Engine(ix)
    try:
        assert eng.search("набережна").hits[0].title == "Мерія оголосила конкурс на ремонт " \
            "набережної."
        assert eng.search("title:набережна").hits == []
    finally:
        eng.close()


def test_same_id_from_another_source_does_not_replace_it(tmp_path):
    """Two saved sites, each with its index.html at the top, indexed one after the other."""
    sites, ix = tmp_path / "sites", tmp_path / "ix"
    for n in (1, 2):
        (sites / f"site{n}").mkdir(parents=True)
        (sites / f"site{n}" / "index.html").write_text(page(n), "utf-8")
    reindex(ix, [sites / "site1"])
    s = reindex(ix, [sites / "site2"])
    assert s.added == 0 and len(s.skipped) == 1
    assert "duplicate id 'index.html': already indexed from" in s.skipped[0][1]
    assert "site1" in s.skipped[0][1]
    assert stored(ix)["index.html"]["title"] == "Новина 1"  # the first one is not lost
    # Indexing the folder that holds both tells them apart, and re-ids the first one.
    s = reindex(ix, [sites])
    assert s.skipped == [] and (s.added, s.updated) == (1, 1)
    assert set(stored(ix)) == {"site1/index.html", "site2/index.html"}


def test_a_file_reached_through_another_folder_takes_that_id(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_text(f"Заголовок\n\n{UK_TEXT}", "utf-8")
    reindex(ix, [src])
    assert set(stored(ix)) == {"sub/a.txt"}
    s = reindex(ix, [src / "sub"])
    assert s.updated == 1 and set(stored(ix)) == {"a.txt"}


@pytest.mark.parametrize(("date_line", "date", "precision"), [
    ("Березень 2024", datetime(2024, 3, 1), "month"),
    ("3 квітня 2024", datetime(2024, 4, 3), None),
])
def test_page_dated_to_a_month_is_stored_so(tmp_path, date_line, date, precision):
    src = tmp_path / "src"
    src.mkdir()
    (src / "p.txt").write_text(f"Міст відкрили\n\n{date_line}\n\n{UK_TEXT}", "utf-8")
    reindex(tmp_path / "ix", [src])
    doc = stored(tmp_path / "ix")["p.txt"]
    assert (doc["date"], doc.get("date_precision"), doc["title"]) == (date, precision,
                                                                       "Міст відкрили")
