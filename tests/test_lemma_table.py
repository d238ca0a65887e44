"""The dictionaries' lemma tables: a cache in front of pymorphy3 that every writer reads, with
pymorphy3's answers exactly."""

import gzip
import json
import random
import time

import pytest

from search import lemma_table, morph, readings
from search.ingest import store
from search.ingest.indexer import reindex
from search.text import WORD_RE, normalize

# Real words of both languages: several readings with other lemmas (sorted by P(tag|word);
# "війни" is read first as a verb, "війнути"), ё and ґ written or not, names, suppletive and
# prefixed forms, words no dictionary knows, hyphenated ones and ones with digits (their parts
# are dictionary words).
WORDS = {
    "ru": ["стали", "мою", "три", "еще", "ещё", "все", "всё", "елка", "ёлка", "лучше", "людей",
           "шли", "идут", "наилучший", "москве", "путина", "киеве", "печь", "бы", "о", "сша",
           "войны", "пришедшего", "зеленского", "коронавирусом", "твиттере", "ковидом",
           "кто-то", "формулы-1", "берлинале-2015", "пресс-секретарь", "еленка"],
    "uk": ["війни", "стали", "мою", "три", "гудзик", "ґудзик", "ганок", "ґанок", "кращий",
           "людей", "йшли", "київ", "києві", "зеленського", "мостів", "уряд", "ухвалив", "пів",
           "її", "сша", "об'єкта", "ковідом", "україною", "гривні", "будь-який", "covid-19",
           "ґрунт", "грунт", "ґрунтовний"],
}


@pytest.fixture(autouse=True)
def _no_tables_after():
    lemma_table.use(None)
    morph.clear_cache()
    yield
    lemma_table.use(None)
    morph.clear_cache()


def _build(folder, lang: str, words) -> None:
    """The table of every dictionary key these words (and their parts) can find, so that it
    answers for them as the whole dictionary's would (which takes 40 CPU s to build)."""
    analyzer = morph.analyzer(lang)
    subs = analyzer.char_substitutes
    parts = {p for w in words for p in [w, *w.split("-")] if p}
    keys = sorted({k for p in parts for k in analyzer.dictionary.words.similar_keys(p, subs)})
    substitutes = {plain.decode(): own for plain, found in subs.items() for _, own in found}
    forms = lemma_table.sorted_forms(
        lambda prefix: [k for k in keys if k.startswith(prefix)], substitutes)
    lemma_table.write(lemma_table.table_path(folder, lang), forms,
                      lambda w: readings._dictionary_lemmas_folded(w, lang))
    lemma_table.use(folder)


@pytest.mark.parametrize("lang", morph.LANGS)
def test_lemmas_with_the_table_are_pymorphy3s(tmp_path, lang):
    words = WORDS[lang]
    expected = {w: morph.lemmas(w, lang) for w in words}
    morph.clear_cache()
    _build(tmp_path, lang, words)
    get = morph.TABLES.get(lang)
    assert get is not None
    assert sum(get(w) is not None for w in words) >= len(words) - 9  # read from the table
    assert {w: morph.lemmas(w, lang) for w in words} == expected
    if lang == "uk":  # both readings, in pymorphy3's order (its first is the wrong one)
        assert expected["війни"] == ("війнути", "війна")


@pytest.mark.parametrize(("lang", "word", "plain"), [("ru", "ёлка", "елка"),
                                                     ("uk", "ґудзик", "гудзик")])
def test_a_word_written_without_its_own_letter_is_in_the_table(tmp_path, lang, word, plain):
    expected = morph._lemmas(plain, lang)
    _build(tmp_path, lang, [word])  # the dictionary's key; the text writes it with е (г)
    assert morph.TABLES.get(lang)(plain)
    assert morph.lemmas(plain, lang) == expected


# Words as texts write them: capitals, ё / ґ, apostrophes of both kinds, a stress mark, a
# Latin homoglyph, hyphens, digits, a word no dictionary knows.
WRITTEN = {
    "ru": ["Стали", "СТАЛИ", "Ёлка", "ёлка", "Елка", "Москве", "уда\u0301ра", "Мoсква",
           "Пресс-секретарь", "Формулы-1", "Ковидом", "Путина"],
    "uk": ["Війни", "ВІЙНИ", "Ґанок", "об'єкта", "Об’єкта", "Києві", "Будь-який", "COVID-19",
           "Ковідом", "Мостів", "мостiв"],
}


@pytest.mark.parametrize("lang", morph.LANGS)
def test_written_forms_with_the_table_have_their_normal_forms_lemmas(tmp_path, lang):
    # Plain words of letters are read from the table as written, lowercased.
    expected = {w: morph.lemmas(normalize(w), lang) for w in WRITTEN[lang]}
    morph.clear_cache()
    _build(tmp_path, lang, {normalize(w) for w in WRITTEN[lang]})
    assert {w: morph.written_lemmas(w, lang) for w in WRITTEN[lang]} == expected


@pytest.mark.parametrize("lang", morph.LANGS)
def test_the_dictionary_keys_a_table_holds_are_cyrillic_letters(lang):
    # What lets morph.written_lemmas read a word of letters from the table lowercased, without
    # normalize(): a key has no Latin letter, mark or other character normalize() changes.
    letters = set("абвгдежзийклмнопрстуфхцчшщъыьэюяёєіїґ'.")
    keys = morph.analyzer(lang).dictionary.words.iterkeys("")
    assert not {c for k in keys if "-" not in k for c in k if not c.isdigit()} - letters


def test_the_forms_are_sorted_and_every_one_finds_its_keys():
    analyzer = morph.analyzer("ru")
    words = analyzer.dictionary.words
    keys = sorted({k for p in ("ёл", "ел", "всё", "все", "ещ", "ёж", "я") for k in words.keys(p)})
    forms = list(lemma_table.sorted_forms(
        lambda prefix: [k for k in keys if k.startswith(prefix)], {"е": "ё"}))
    assert forms == sorted(set(forms))
    assert {"ёлка", "елка", "всё", "все", "ещё", "еще", "ёжик", "ежик"} <= set(forms)
    keys = [k for k in keys if "-" not in k and not any(c.isdigit() for c in k)]
    expected = {k.replace("ё", "е") for k in keys} | set(keys)
    assert set(forms) >= expected and all(f.replace("ё", "е") in expected for f in forms)


def test_a_table_of_another_version_is_not_read(tmp_path):
    expected = morph._lemmas("мостів", "uk")
    _build(tmp_path, "uk", ["мостів"])
    made = lemma_table.table_path(tmp_path, "uk")
    made.rename(lemma_table.path(tmp_path, "uk", "another-version"))
    lemma_table.use(tmp_path)
    assert morph.TABLES.get("uk") is None
    assert morph.lemmas("мостів", "uk") == expected == ("мости", "міст")


def test_a_damaged_table_is_not_read(tmp_path):
    lemma_table.table_path(tmp_path, "ru").write_bytes(b"not a dawg")
    lemma_table.use(tmp_path)
    assert morph.TABLES.get("ru") is None
    assert morph.lemmas("стали", "ru") == morph._lemmas("стали", "ru")


def test_a_table_in_the_first_format_is_not_read(tmp_path):
    """A BytesDAWG of each word's edits (the format before an IntDAWG of edit numbers)."""
    import dawg

    stored = [("стали", lemma_table.encode("стали", ("сталь", "стать")).encode())]
    dawg.BytesDAWG(stored).save(str(lemma_table.table_path(tmp_path, "ru")))
    lemma_table.use(tmp_path)
    assert morph.TABLES.get("ru") is None


@pytest.mark.parametrize(("lang", "words"), [
    ("ru", ["кошки", "мышки", "книги", "людей", "стали", "лучше", "ёлки", "елки"]),
    ("uk", ["кішки", "книги", "мостів", "людей", "війни", "ґанку", "ганку", "об'єкта"]),
])
def test_each_distinct_edit_is_stored_once_and_read_back_per_word(tmp_path, lang, words):
    def lemmas_of(word):
        return readings._dictionary_lemmas_folded(word, lang)

    target = lemma_table.table_path(tmp_path, lang)
    lemma_table.write(target, sorted(words), lemmas_of)
    data = target.read_bytes()
    end = 12 + int.from_bytes(data[8:12], "little")
    edits = {lemma_table.encode(w, lemmas_of(w)) for w in words}
    assert sorted(data[end:].decode("utf-8").split("\n")) == sorted(edits) != []
    assert len(edits) < len(words)  # кошки and мышки (кішки, книги) share theirs
    lemma_table.use(tmp_path)
    assert {w: morph.TABLES[lang](w) for w in words} == {w: lemmas_of(w) for w in words}
    assert morph.TABLES[lang]("кошкин-дом") is None and morph.TABLES[lang]("") is None


def test_an_empty_table_knows_no_word(tmp_path):
    lemma_table.write(lemma_table.table_path(tmp_path, "ru"), [], lambda w: ("x",))
    lemma_table.use(tmp_path)
    assert morph.TABLES["ru"]("стали") is None


@pytest.mark.parametrize(("word", "lemmas"), [("идут", ("идти",)), ("лучше", ("хороший", "хорошо")),
                                              ("людей", ("человек", "люди")), ("x", ("xyz",)),
                                              ("війни", ("війнути", "війна")), ("abc", ("",))])
def test_lemmas_are_stored_as_edits_of_the_word(word, lemmas):
    assert lemma_table.decode(word, lemma_table.encode(word, lemmas)) == lemmas


def test_an_index_built_with_the_tables_is_the_one_built_without(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    texts = {"a.txt": "Мости\n\nУряд ухвалив програму відновлення мостів у Києві після війни, "
                      "ґанок і гудзик, будь-який COVID-19.",
             "b.txt": "Ёлка\n\nВ Москве еще стали печь хлеб, лучше всех, пресс-секретарь "
                      "Путина, формулы-1."}
    for name, body in texts.items():
        (src / name).write_text(body, "utf-8")
    reindex(tmp_path / "plain", [src])
    words = {normalize(w) for body in texts.values() for w in WORD_RE.findall(body)}
    for lang in morph.LANGS:
        _build(tmp_path / "tables", lang, words)
    morph.clear_cache()
    reindex(tmp_path / "tabled", [src])
    terms = _terms(tmp_path / "plain")
    assert ("body_uk", "війна".encode()) in terms and ("body_ru", "стать".encode()) in terms
    assert _terms(tmp_path / "tabled") == terms


def _terms(index) -> list:
    with store.open_current(index, create=False).reader() as r:
        return [(f, t) for f, t in r.all_terms() if f.startswith(("title_", "body_"))]


def _marked(folder, lang: str, word: str, marker: str) -> None:
    """A table in which word's lemma is marker: what reads the table shows it in the index."""
    lemma_table.write(lemma_table.table_path(folder, lang), [word], lambda w: (marker,))


def _has_term(index, field: str, term: str) -> bool:
    with store.open_current(index, create=False).reader() as r:
        return (field, term.encode()) in set(r.all_terms())


def test_the_command_line_reindex_reads_the_tables(tmp_path, monkeypatch):
    from search.cli import main

    _marked(tmp_path / "cache", "uk", "мостів", "маркермостів")
    monkeypatch.setenv("SEARCH_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("Мости\n\nРемонт мостів.", "utf-8")
    assert main(["reindex", str(tmp_path / "src"), "--index", str(tmp_path / "ix")]) == 0
    assert _has_term(tmp_path / "ix", "body_uk", "маркермостів")


def test_the_bulk_writers_processes_read_the_tables(tmp_path):
    # Enough documents for the bulk writer's processes to start (bulk.PARALLEL_AFTER).
    _marked(tmp_path / "cache", "uk", "мостів", "маркермостів")
    src = tmp_path / "src"
    src.mkdir()
    rng = random.Random(3)
    recs = [{"id": f"d{i}", "lang": "uk", "text": " ".join(
        rng.choice(["мостів", "ремонт", "дороги"]) for _ in range(30))} for i in range(300)]
    with gzip.open(src / "a.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
    lemma_table.use(tmp_path / "cache")
    summary = reindex(tmp_path / "ix", [src], procs=2)
    assert summary.documents == 300
    assert _has_term(tmp_path / "ix", "body_uk", "маркермостів")
    assert not _has_term(tmp_path / "ix", "body_uk", "міст")


def test_live_ingest_reads_the_tables(tmp_path):
    from tests.web_helpers import build_index
    from web import create_app

    index_dir, _ = build_index(tmp_path, 5)
    _marked(tmp_path / "cache", "uk", "мостів", "маркермостів")
    morph.clear_cache()
    app = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True,
                      "SEARCH_WRITE_TOKEN": "t", "SEARCH_COMMIT_INTERVAL": 0.05,
                      "SEARCH_CACHE_DIR": str(tmp_path / "cache")})
    try:
        client = app.test_client()
        resp = client.post("/api/documents", headers={"Authorization": "Bearer t"},
                           json={"id": "live-1", "lang": "uk", "text": "Ремонт мостів."})
        assert resp.status_code == 200
        deadline = time.monotonic() + 10  # the committer thread makes it searchable
        while not client.get("/api/search", query_string={"q": "ремонт"}).json["hits"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert _has_term(index_dir, "body_uk", "маркермостів")
    finally:
        if "search_committer" in app.extensions:
            app.extensions["search_committer"].stop()


def test_the_command_says_where_it_cannot_write(tmp_path, monkeypatch, capsys):
    from search.cli import main

    (tmp_path / "file").write_text("", "utf-8")
    monkeypatch.setenv("SEARCH_CACHE_DIR", str(tmp_path / "file" / "cache"))
    assert main(["lemma-tables"]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_the_command_leaves_built_tables_alone(tmp_path, monkeypatch, capsys):
    from search.cli import main

    monkeypatch.setenv("SEARCH_CACHE_DIR", str(tmp_path / "tables"))
    for lang in morph.LANGS:
        _build(tmp_path / "tables", lang, WORDS[lang])
    assert main(["lemma-tables"]) == 0
    assert capsys.readouterr().out.count("already built") == 2


@pytest.mark.parametrize("tables", [True, False])
def test_a_merge_process_reads_the_tables_its_parent_reads(tmp_path, tables):
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from search.ingest import merge

    _marked(tmp_path / "cache", "uk", "мостів", "маркермостів")
    lemma_table.use(tmp_path / "cache" if tables else None)
    assert lemma_table.in_use() == (tmp_path / "cache" if tables else None)
    # As merge._in_child starts its process: spawned, so nothing of the parent's is copied.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=merge.child_start,
                             initargs=(os.getpid(), lemma_table.in_use())) as pool:
        found = pool.submit(morph.lemmas, "мостів", "uk").result()
    assert found == (("маркермостів",) if tables else morph.lemmas("мостів", "uk"))
