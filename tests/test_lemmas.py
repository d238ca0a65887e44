"""Table-driven lemma cases for Ukrainian and Russian."""

import pickle

import pytest

from search.analysis import LemmaFilter, WordTokenizer, language_analyzer
from search.morph import detect_language, lemmas
from search.text import normalize, tokenize

LEMMA_CASES = [
    # (word as typed, language, lemma that must be among the word's index terms)
    ("співпраці", "uk", "співпраця"),
    ("зв’язків", "uk", "зв'язок"),
    ("зв'язків", "uk", "зв'язок"),
    ("звʼязків", "uk", "зв'язок"),
    ("війни", "uk", "війна"),  # parse()[0] is війнути: all readings are indexed
    ("роботи", "uk", "робота"),  # parse()[0] is робот
    ("ґанку", "uk", "ганок"),  # ґ folded to г
    ("Запоріжжі", "uk", "запоріжжя"),
    ("промисловості", "uk", "промисловість"),
    ("машиностроителей", "ru", "машиностроитель"),
    ("стали", "ru", "стать"),
    ("стали", "ru", "сталь"),
    ("нашли", "ru", "найти"),
    ("ёлку", "ru", "елка"),  # ё folded to е
    ("Колесникова", "ru", "колесников"),
    ("соглашение", "ru", "соглашение"),
    ("Титан-Баррикады", "ru", "титан"),  # parts of a hyphenated word
    ("Титан-Баррикады", "ru", "баррикада"),
    ("1220-го", "uk", "1220"),  # digits are kept, not lemmatised
    ("Kиївської", "uk", "київський"),  # Latin K inside a Cyrillic word
    ("на\u0301ших", "uk", "наш"),  # stress mark
    ("мiсто", "uk", "місто"),  # Latin i
]


@pytest.mark.parametrize(("word", "lang", "lemma"), LEMMA_CASES)
def test_lemma_is_indexed(word, lang, lemma):
    assert lemma in lemmas(normalize(word), lang)


def test_first_lemma_comes_first_and_readings_are_distinct():
    terms = lemmas("роботи", "uk")
    assert len(terms) == len(set(terms))
    assert terms[0] == "робот"


@pytest.mark.parametrize(("text", "words"), [
    ("Зв’язків між областями", ["зв'язків", "між", "областями"]),
    ("інтер\u00adнет і e-mail", ["інтернет", "і", "e-mail"]),
    ("СоюзМаш, «Титан-Баррикады»!", ["союзмаш", "титан-баррикады"]),
    ("", []),
    ("  ,,, -- ", []),
])
def test_tokenize(text, words):
    assert [w for w, _, _ in tokenize(text)] == words


def test_tokenize_offsets_are_true_to_the_source():
    text = "Наші зв’язки на\u0301ших"
    for word, start, end in tokenize(text):
        assert normalize(text[start:end]) == word


@pytest.mark.parametrize(("text", "lang"), [
    ("Держслужбовці Запоріжжя та Донецька обмінялися досвідом", "uk"),
    ("Подписано двухстороннее соглашение о сотрудничестве", "ru"),
    ("Привет как дела", "ru"),  # no letter of its own: dictionary coverage decides
    ("Привіт як справи", "uk"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_analyzer_positions_and_boosts():
    tokens = [(t.text, t.pos, t.boost) for t in language_analyzer("uk")(
        "Роботи війни", positions=True, boosts=True)]
    assert ("робот", 0, 1.0) in tokens and ("робота", 0, 0.5) in tokens
    assert ("війна", 1, 0.5) in tokens


def test_empty_input_yields_no_tokens():
    assert list(language_analyzer("ru")("")) == []


def test_analyzer_pickle_round_trip():
    for lang in ("uk", "ru"):
        analyzer = language_analyzer(lang)
        restored = pickle.loads(pickle.dumps(analyzer))
        assert restored == analyzer
        assert [t.text for t in restored("зв’язків стали")] == \
            [t.text for t in analyzer("зв’язків стали")]
    assert pickle.loads(pickle.dumps(LemmaFilter("ru"))).lang == "ru"
    assert pickle.loads(pickle.dumps(WordTokenizer())) == WordTokenizer()


@pytest.mark.parametrize(("word", "lang", "first", "absent"), [
    ("формулы-1", "ru", "формула-1", "1"),  # the letters are lemmatised, a lone digit is no term
    ("1220-го", "uk", "1220-го", None),
    ("covid-19", "uk", "covid-19", None),
])
def test_words_with_numbers(word, lang, first, absent):
    terms = lemmas(word, lang)
    assert terms[0] == first and absent not in terms


@pytest.mark.parametrize(("word", "lang", "alone"), [
    ("берлинале-2015", "ru", "берлинал"),  # the festival's name is found by itself
    ("формулы-1", "ru", "формула"),
    ("євро-2012", "uk", "євро"),
    ("covid-19", "uk", "covid"),
])
def test_the_word_beside_a_number_is_a_term_too(word, lang, alone):
    assert alone in lemmas(word, lang) and alone in lemmas(word.split("-")[0], lang)
    assert "го" not in lemmas("1220-го", "uk")  # not a two-letter ending


@pytest.mark.parametrize("query", ["после отставки", "після відставки", "между странами",
                                   "через місто"])
def test_prepositions_are_function_words(query):
    from search.query.parse import parse_query

    clauses = parse_query(query).plan.clauses
    assert [c.stop for c in clauses] == [True, False]


@pytest.mark.parametrize("word,lang", [
    ("війни", "uk"), ("роботи", "uk"), ("ґанку", "uk"), ("зв'язків", "uk"), ("мати", "uk"),
    ("стали", "ru"), ("мыла", "ru"), ("ели", "ru"), ("елка", "ru"), ("печь", "ru"),
    ("стекло", "ru"), ("полем", "ru"), ("москвы", "ru"), ("стали", "uk"), ("війни", "ru"),
])
def test_dictionary_lemmas_are_parses_normal_forms_in_their_order(word, lang):
    from search.readings import _KNOWN_METHODS, _dictionary_lemmas, _method, analyzer

    parses = [p for p in analyzer(lang).parse(word) if _method(p) in _KNOWN_METHODS]
    fast = _dictionary_lemmas(word, lang)
    if not parses:
        assert fast is None
    else:
        assert list(dict.fromkeys(fast)) == list(dict.fromkeys(p.normal_form for p in parses))


def _normalize_plainly(word: str) -> str:
    """normalize() as first written, one step after another (the reference for its fast path)."""
    import unicodedata

    from search.text import APOSTROPHES, HOMOGLYPHS, HYPHENS, STRIP, is_cyrillic

    word = unicodedata.normalize("NFC", word).translate(STRIP)
    word = word.lower().translate(APOSTROPHES).translate(HYPHENS)
    if any("a" <= c <= "z" for c in word) and is_cyrillic(word):
        word = word.translate(HOMOGLYPHS)
    return word


def test_normalize_is_the_plain_steps():
    import random

    rng = random.Random(7)
    pool = "aбБAеЕёЁiIİ\u0301\u0308\u00ad’ʼ‘`´‐‑-'xXсСйЙ" + "ﬁǅẞΣ"
    words = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 8))) for _ in range(5000)]
    words += [chr(c) for c in range(0x2000)] + ["Ёлка", "İstanbul", "уда\u0301р", "п’ять",
                                                "Mосква", "ДЖ`ОН", "інтер\u00adнет"]
    for word in words:
        assert normalize(word) == _normalize_plainly(word), repr(word)


@pytest.mark.parametrize("word", ["iphone", "nan", "inf", "mix", "xiv", "o'neil", "a", "zzzq"])
@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_unknown_latin_words_are_their_own_lemma_as_parse_says(word, lang):
    from search.morph import clear_cache
    from search.readings import _KNOWN_METHODS, _dictionary_lemmas, _method, analyzer

    clear_cache()
    if _dictionary_lemmas(word, lang) is None:  # else the dictionary's lemmas are used
        parses = analyzer(lang).parse(word)
        assert not [p for p in parses if _method(p) in _KNOWN_METHODS]
        assert {p.normal_form for p in parses} == {word}
    assert lemmas(word, lang) == (word,) or _dictionary_lemmas(word, lang) is not None


def _lemmas_by_parse(word: str, lang: str) -> tuple[str, ...]:
    """An unknown word's terms from parse() itself (the reference for its shortcut)."""
    from search.readings import _KNOWN_METHODS, MAX_LEMMAS, _method, analyzer
    from search.text import fold

    parses = analyzer(lang).parse(word)
    known = [p.normal_form for p in parses if _method(p) in _KNOWN_METHODS]
    out = known or ([parses[0].normal_form, word] if parses else [word])
    return tuple(dict.fromkeys(fold(t) for t in out))[:MAX_LEMMAS]


# Words neither dictionary knows, each read by its prefix and suffix analysers: in Ukrainian,
# Russian words' readings through a known ending count as dictionary ones (почему → чему).
@pytest.mark.parametrize("word", ["путінізм", "зеленскиада", "ковидный", "ковідних", "почему",
                                  "обвинили", "заррабу", "году", "хрущевка", "об'єктивізму",
                                  "абвгд", "ґуґл"])
@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_unknown_words_have_the_lemmas_parse_gives(word, lang):
    from search.morph import _lemmas
    from search.readings import _dictionary_lemmas

    if _dictionary_lemmas(word, lang) is None:
        assert _lemmas(word, lang) == _lemmas_by_parse(word, lang)


@pytest.mark.parametrize("word,lang", [("Мостів", "uk"), ("ВІЙНИ", "uk"), ("зв’язків", "uk"),
                                       ("Ёлки", "ru"), ("уда\u0301ра", "ru"),
                                       ("Берлинале-2015", "ru")])
def test_a_written_form_has_its_normal_forms_lemmas(word, lang):
    from search.morph import clear_cache, written_lemmas, written_table

    clear_cache()
    assert written_lemmas(word, lang) == lemmas(normalize(word), lang)
    assert written_table(lang)[word] == lemmas(normalize(word), lang)
