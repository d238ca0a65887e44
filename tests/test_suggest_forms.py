"""Completions as the documents write them: surface forms, names' capitals, one per lemma."""

import pytest

from search.ingest import store
from search.query import lexicon, segment_words
from tests.conftest import index_fixtures

DOCS = [
    {"id": "uk1", "lang": "uk", "title": "Вибори у Києві відбудуться восени",
     "text": "Міські вибори у Києві призначили на жовтень. Президент Зеленський підписав указ. "
             "У Києві працюватимуть дві тисячі дільниць.", "date": "2024-03-01"},
    {"id": "uk2", "lang": "uk", "title": "Зеленський про вибори",
     "text": "Про вибори у Києві говорив Зеленський. Кияни чекають на вибори у Києві. "
             "Місто Київ готується, заявив Зеленський.", "date": "2024-03-02"},
    {"id": "uk3", "lang": "uk", "title": "Підсумки тижня",
     "text": "У Києва нова програма. Указ Зеленського набув чинності. Прем'єр поїхав до Києва.",
     "date": "2024-03-03"},
    {"id": "ru1", "lang": "ru", "title": "Выборы в Киеве",
     "text": "Городские выборы в Киеве назначены на октябрь. Спортсмены готовились к "
             "Олимпиаде-2018 долго. Перед Олимпиадой-2018 сборная провела сборы.",
     "date": "2024-03-04"},
    {"id": "ru2", "lang": "ru", "title": "Итоги Олимпиады-2018",
     "text": "Медали Олимпиады-2018 вручили всем. После Олимпиады-2018 выборы в Киеве "
             "прошли спокойно. Главная Олимпиада-2018 года закончилась.",
     "date": "2024-03-05"},
]


index_dir, _, _, client = index_fixtures(DOCS, "forms")


def suggest(client, q):
    resp = client.get("/api/suggest", query_string={"q": q})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["suggestions"]


@pytest.mark.parametrize("typed, wanted, unwanted", [
    # uk: the completed word as the texts write it after other words; not "кий" (a lesser
    # reading of «Києва»); the words typed before stay as typed.
    ("вибори у Ки", ["вибори у Києві"], ["вибори у Київ", "вибори у кий", "вибори у Киеве"]),
    ("Вибори У ки", ["Вибори У Києві"], ["Вибори У кий"]),
    # A name alone: its lemma, with the capital the texts give it.
    ("Зелен", ["Зеленський"], ["зеленський"]),
    # ru: the language of the words before.
    ("выборы в Ки", ["выборы в Киеве"], ["выборы в Києві", "выборы в кий"]),
])
def test_completions_are_written_forms(client, typed, wanted, unwanted):
    found = suggest(client, typed)
    for w in wanted:
        assert w in found
    for u in unwanted:
        assert u not in found


@pytest.mark.parametrize("typed, stem", [
    ("Олимп", "олимпиад"),  # олимпиаде-2018, олимпиады-2018 … are one lemma
    ("Зелен", "зеленськ"),  # Зеленського is the same lemma as Зеленський
    ("Киї", "киї"),  # «Києві», «Києва» are Київ's forms
])
def test_one_completion_per_lemma(client, typed, stem):
    words = [s for s in suggest(client, typed) if " " not in s]  # not the titles
    assert len([w for w in words if w.casefold().startswith(stem)]) <= 1
    assert words


def test_olympiad_is_shown_as_written(client):
    assert suggest(client, "Олимп")[0] == "Олимпиада-2018"


def test_tables_keep_surface_forms_and_old_tables_are_rebuilt(index_dir):
    folder = store.current_path(index_dir)
    with store.open_current(index_dir).searcher() as s:
        lex = lexicon.generation_lexicon(s.reader())
        assert lex.shown("київ", "uk") == ("Києві", "Київ")
        assert lex.shown("киев", "ru") == ("Киеве", "Киев")  # "Киев" itself is not written
        assert lex.shown("зеленський") == ("Зеленський", "Зеленський")
        assert lex.hidden("олимпиаде-2018") and not lex.hidden("олимпиада-2018")
        sub = lexicon.subreaders(s.reader())[0]
    # A table of the previous format (beside the segment, where readers save rebuilt ones) is
    # rebuilt when first read, not misread.
    path = folder / sub._segment.make_filename(segment_words.EXT)
    path.write_bytes(b"newsearch-lex-3\n" + b"\0" * 64)
    segment_words._tables.clear()
    with store.open_current(index_dir).searcher() as s:
        sub = lexicon.subreaders(s.reader())[0]
        table = segment_words.segment_table(sub)
        assert table.written["uk"][0][table.lookup("київ")] == "Києві"
    assert path.read_bytes().startswith(segment_words.MAGIC)
