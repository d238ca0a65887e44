"""Snippets and highlighting: the words as written are marked, everything else escaped."""

import pytest

from search.query.parse import parse_query
from search.snippets import SNIPPET_CHARS, highlight, snippet


def marks(text: str, query: str, lang: str) -> list[str]:
    parsed = parse_query(query)
    out = highlight(text, lang, parsed.terms.get(lang, set()), parsed.prefixes)
    return [part.split("</mark>")[0] for part in out.split("<mark>")[1:]]


@pytest.mark.parametrize(("text", "query", "lang", "expected"), [
    ("Зміцнення економічних зв’язків між областями", "зв'язок", "uk", ["зв’язків"]),
    ("Установили ёлку, елку нарядили", "ёлка", "ru", ["ёлку", "елку"]),
    ("Відремонтували ґанок і гaнок", "ганок", "uk", ["ґанок", "гaнок"]),  # Latin a inside
    ("Многие люди пришли, один человек ушёл", "люди", "ru", ["люди", "человек"]),
    ("Металлурги нашли способ", "найти", "ru", ["нашли"]),
    ("Союз «Титан-Баррикады» подписал", "баррикада", "ru", ["Баррикады"]),
    ("У Запоріжжі відбулася зустріч", "Запорожье", "uk", ["Запоріжжі"]),
    ("Нічого спільного тут немає", "бюджет", "uk", []),
])
def test_marked_words(text, query, lang, expected):
    assert marks(text, query, lang) == expected


def test_prefix_marks_every_word_it_starts():
    out = highlight("Промисловий потенціал і промисловість, пр", "uk", set(), {"пром"})
    assert out.count("<mark>") == 2 and "<mark>Промисловий</mark>" in out


def test_snippet_is_a_window_around_the_best_sentence():
    filler = "Це речення нічого не означає для пошуку. " * 30
    text = filler + "Тут обласна рада ухвалила бюджет на рік. " + filler
    parsed = parse_query("бюджет")
    out = snippet(text, "uk", parsed.terms["uk"])
    assert "<mark>бюджет</mark>" in out
    assert out.startswith("… ") and out.endswith(" …")
    assert len(out) <= SNIPPET_CHARS + 40


def test_snippet_without_matches_is_the_beginning():
    out = snippet("Перше речення. Друге речення.", "uk", set())
    assert out == "Перше речення. Друге речення."


def test_snippet_escapes_html():
    parsed = parse_query("скрипт")
    out = snippet("<b>скрипт</b> & <script>x()</script>", "uk", parsed.terms["uk"])
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out


@pytest.mark.parametrize("text, lang, terms, shown", [
    ("Поліція підозрює голову у внесенні до декларації. Торік він переміг на виборах. "
     "У нього є ділянка.", "uk", {"вибори", "у"}, "переміг на <mark>виборах</mark>"),
    ("Полиция задержала его в пятницу. Прежде он победил на выборах. В городе тихо.",
     "ru", {"выборы", "в"}, "победил на <mark>выборах</mark>"),
])
def test_snippet_prefers_a_content_word_to_a_function_word(text, lang, terms, shown):
    assert shown in snippet(text, lang, terms, size=60)
