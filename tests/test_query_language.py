"""A query that looks Russian prefers the Russian reading of a word both languages have (мир),
one that looks Ukrainian the Ukrainian one (рада); a word both use alike prefers neither."""

import pytest

from search.query.crosslang import query_language
from tests.conftest import index_fixtures

RU = [
    ("Мир и безопасность", "Лидеры обсудили мир в Европе. Мир нужен всем."),  # = uk0
    ("Переговоры о мире", "Стороны говорили о мире. Народ ждет итогов."),
    ("Чемпионат мира", "Чемпионат мира начнется летом. Народ ждет."),
    ("Весь мир смотрит", "Весь мир следит за выборами."),
    ("Премия мира", "Нобелевскую премию мира вручили в Осло."),
    ("Мир в Сирии", "Переговоры о мире в Сирии продолжатся."),
    ("Рада приняла закон", "Верховная Рада Украины приняла закон о бюджете."),
    ("Голова болит", "Голова болит у депутата. Голова прошла к вечеру."),  # = uk1
]
UK = [
    ("Мир і безпека", "Лідери обговорили мир у Європі. Мир потрібен усім."),  # = ru0
    ("Голова болить", "Голова болить у депутата. Голова пройшла до вечора."),  # = ru7
    ("Голова ОДА", "Голова ОДА звільнився."),
    ("Засідання ради", "Рада збереться в четвер. Голова ради виступить."),
    ("Міська рада", "Київська міська рада затвердила план. Народ підтримав."),
    ("Голова комісії", "Голова комісії виступив. Народ слухав."),
    ("Рада суддів", "Рада суддів обрала голову."),
    ("Курс гривні", "Гривня подешевшала. Голова НБУ мовчить."),
]
DOCS = ([{"id": f"ru{i}", "lang": "ru", "title": t, "text": b} for i, (t, b) in enumerate(RU)]
        + [{"id": f"uk{i}", "lang": "uk", "title": t, "text": b} for i, (t, b) in enumerate(UK)])


index_dir, engine, reader, _ = index_fixtures(DOCS, "lean")


@pytest.mark.parametrize("words, expected", [
    (["мир"], "ru"),  # six Russian documents of eight have it, one Ukrainian of eight
    (["голова"], "uk"),  # six Ukrainian, one Russian
    (["народ"], None),  # both languages use it alike
    (["мир", "україні"], "uk"),  # a word with letters only Ukrainian has says it
    (["голова", "выборы"], "ru"),
    (["мир", "україні", "выборы"], None),  # both: neither
])
def test_query_language(reader, words, expected):
    assert query_language(words, reader) == expected


@pytest.mark.parametrize("words, expected", [
    (["мир"], None),  # without an index, only letters tell
    (["світ"], "uk"),
    (["мэр"], "ru"),
])
def test_query_language_without_an_index(words, expected):
    assert query_language(words) == expected


@pytest.mark.parametrize("query, lang", [
    # Of two documents alike but for their language (ru0, uk0; ru7, uk1), the one in the
    # query's language ranks first; the other reading, rarer in its language's documents,
    # used to rank first.
    ("мир", "ru"),
    ("Мир", "ru"),
    ("голова", "uk"),
    ("Голова", "uk"),
])
def test_the_reading_of_the_querys_language_ranks_first(engine, query, lang):
    hits = engine.search(query, per_page=20).hits
    assert hits[0].id.startswith(lang)
    assert any(h.id.startswith("uk" if lang == "ru" else "ru") for h in hits)  # still found


def test_exact_search_is_not_reweighted(engine):
    # Exactly as typed: no language is preferred (the rarer reading ranks first, as before).
    assert engine.search("мир", per_page=20, forgiving=False).hits[0].id.startswith("uk")
