"""One news world in two languages: uk↔ru↔Latin counterparts, quotes, readings, corrections."""

import html as html_module

import pytest

from search.query.crosslang import _lines, _term, counterparts, spellings, word_pairs
from search.query.latin import cyrillic, romanisations
from search.query.parse import parse_query, straight_quotes
from search.query.readings import readings, weighted_readings
from search.query.spelling import suggest_word
from search.text import fold, normalize
from tests.conftest import index_fixtures
from tests.web_helpers import html
from web import create_app

DOCS = [
    {"id": "uk-putin", "lang": "uk", "title": "Путін погрожує санкціями",
     "text": "Президент Росії Путін заявив про нові санкції. Уряд України відповів Кремлю."},
    {"id": "ru-putin", "lang": "ru", "title": "Путин грозит санкциями",
     "text": "Президент России Путин заявил о новых санкциях. Правительство Украины ответило."},
    {"id": "ru-erdogan", "lang": "ru", "title": "Эрдоган и Путин в Сочи",
     "text": "Президент Турции Эрдоган встретился с Путиным. Турция закупит российский газ."},
    {"id": "uk-turkey", "lang": "uk", "title": "Туреччина купує газ",
     "text": "Туреччина підписала угоду з Газпромом. Держдеп США висловив занепокоєння."},
    {"id": "uk-vybory", "lang": "uk", "title": "Вибори у Києві",
     "text": "Вибори мера Києва відбулися в неділю. Кандидати сперечалися про бюджет міста."},
    {"id": "ru-vybory", "lang": "ru", "title": "Выборы в Киеве",
     "text": "Выборы мэра Киева прошли в воскресенье. Кандидаты спорили о бюджете."},
    {"id": "uk-vybir", "lang": "uk", "title": "Вибір редакції",
     "text": "Наш вибір: читачі обрали найкращі статті року. Зробіть свій вибір."},
    {"id": "uk-kyi", "lang": "uk", "title": "Кий Авіа відкрила рейс",
     "text": "Компанія Кий Авіа продає квитки на новий рейс."},
    {"id": "uk-poroshenko", "lang": "uk", "title": "Порошенко у Брюсселі",
     "text": "Петро Порошенко зустрівся з лідерами Євросоюзу."},
    {"id": "ru-nord", "lang": "ru", "title": "Северный поток достроят",
     "text": "Газопровод Северный поток будет достроен, заявили в компании Nord Stream. "
             "Северный поток пройдет по дну моря."},
    {"id": "uk-kovid", "lang": "uk", "title": "Ковід у школах",
     "text": "Спалах ковід закрив школи."},
    {"id": "uk-dovid", "lang": "uk", "title": "Довід судді",
     "text": "Довід захисту суд відхилив. Ще один довід. Довід прокурора."},
    {"id": "ru-washington", "lang": "ru", "title": "Делегация в Вашингтоне",
     "text": "Делегация прибыла в Вашингтон на переговоры."},
    {"id": "uk-dovid2", "lang": "uk", "title": "Новий довід",
     "text": "Довід експерта переконав раду."},
]


index_dir, engine, reader, _ = index_fixtures(DOCS, "cross")


def ids(res) -> list[str]:
    return [h.id for h in res.hits]


# --- counterparts -------------------------------------------------------------------------

@pytest.mark.parametrize("word,lang,expected", [
    ("Путіна", "ru", "путин"),  # spelling rule і→и, from the lemma
    ("Путина", "uk", "путін"),
    ("вибори", "ru", "выборы"),
    ("выборами", "uk", "вибори"),
    ("санкції", "ru", "санкция"),
    ("Туреччини", "ru", "турция"),  # CLDR country names
    ("Германия", "uk", "німеччина"),
    ("уряд", "ru", "правительство"),  # the news-word list (уряд is an old Russian word too)
    ("правительства", "uk", "уряд"),
    ("Госдеп", "uk", "держдеп"),
    ("рік", "ru", "год"),  # the list, not the rule (рок)
    ("Дніпропетровськ", "ru", "днепропетровск"),  # -ськ/-ск
    ("терорист", "ru", "террорист"),  # doubled consonants
    ("Erdogan", "ru", "эрдоган"),  # reversed romanisation
    ("Erdogan", "uk", "ердоган"),
    ("Poroshenko", "uk", "порошенко"),
    ("Germany", "uk", "німеччина"),  # an English name from CLDR, not a romanisation
])
def test_counterparts(word, lang, expected):
    assert expected in counterparts(word.lower(), word).get(lang, [])


@pytest.mark.parametrize("word", ["народ", "сила", "і", "на", "президент", "газ"])
def test_words_of_both_languages_bring_nothing_new(word):
    assert counterparts(word, word) == {}  # сила is not сіла (сісти)


def test_counterparts_kept_only_if_the_index_has_them(reader):
    assert counterparts("путіна", "Путіна", reader) == {"ru": ["путин"]}
    assert counterparts("німеччина", "Німеччина", reader) == {}  # no Германия indexed


@pytest.mark.parametrize("english, uk, ru", [
    # English names CLDR lacks: an older country name (CLDR says Türkiye), capitals that are no
    # time-zone city (en_names.tsv); and CLDR's own.
    ("Turkey", "туреччина", "турция"), ("Washington", "вашингтон", "вашингтон"),
    ("Beijing", "пекін", "пекин"), ("Burma", "м'янма", "мьянма"),
    ("Türkiye", "туреччина", "турция"), ("Germany", "німеччина", "германия"),
])
def test_english_names(english, uk, ru):
    found = counterparts(english, english)
    assert uk in found["uk"] and ru in found["ru"]


def test_english_names_file_lemmatises():
    # Every name of en_names.tsv is its own index term (a dictionary form), else it would
    # never match the documents' lemmas.
    for en, *names in list(_lines("en_names.tsv"))[1:]:
        for lang, words in zip(("uk", "ru"), names, strict=True):
            for word in words.split("|"):
                assert _term(word, lang) == fold(normalize(word)), (en, word)


def test_english_names_kept_only_if_the_index_has_them(reader):
    assert counterparts("Washington", "Washington", reader) == {"ru": ["вашингтон"]}


def test_spellings_are_dictionary_words_first():
    found = spellings("рішення", "uk")
    assert min((c, known) for c, w, known in found if w == "решение") == (2, True)


@pytest.mark.parametrize("latin,lang,cyr", [
    ("Putin", "ru", "путин"), ("Navalny", "ru", "навальный"), ("Shoigu", "ru", "шойгу"),
    ("Zelenskyy", "uk", "зеленський"), ("Tymoshenko", "uk", "тимошенко"),
])
def test_latin_names(latin, lang, cyr):
    assert cyr in cyrillic(latin.lower())[lang]
    assert latin.lower() in romanisations(cyr, lang)


@pytest.mark.parametrize("latin", ["street", "stream", "news", "xyzzy"])
def test_latin_words_that_are_no_names(latin):
    assert cyrillic(latin) == {}


def test_word_pairs_are_dictionary_forms():
    pairs = word_pairs()
    assert pairs[("uk", "туреччина")] == ("турция",)
    assert "госдеп" in pairs[("uk", "держдеп")]


# --- search -------------------------------------------------------------------------------

@pytest.mark.parametrize("query,langs,expected", [
    ("Путін", ("ru",), {"ru-putin", "ru-erdogan"}),
    ("Путина", ("uk",), {"uk-putin"}),
    ("Туреччина", ("ru",), {"ru-erdogan"}),
    ("Турция", ("uk",), {"uk-turkey"}),
    ("вибори", ("ru",), {"ru-vybory"}),
    ("выборы", ("uk",), {"uk-vybory"}),
    ("уряд", ("ru",), {"ru-putin"}),
    ("Госдеп", ("uk",), {"uk-turkey"}),
    ("Erdogan", ("uk", "ru"), {"ru-erdogan"}),
    ("Poroshenko", ("uk", "ru"), {"uk-poroshenko"}),
    ("Turkey", ("uk", "ru"), {"uk-turkey", "ru-erdogan"}),  # CLDR says Türkiye
    ("Washington", ("uk", "ru"), {"ru-washington"}),
])
def test_search_crosses_languages(engine, query, langs, expected):
    res = engine.search(query, langs=langs)
    assert set(ids(res)) == expected
    assert all(c["lang"] in langs for c in res.crosslang)
    assert res.crosslang or query == "Poroshenko"  # порошенко: the uk romanisation's variant
    exact = engine.search(query, langs=langs, forgiving=False)
    assert exact.crosslang == []
    if query != "Poroshenko":  # the official Ukrainian romanisation is a place-name variant
        assert not set(ids(exact)) & expected


# The reader's own spelling first, other things equal (BM25's per-field length statistics can
# still put a shorter document in the other language first).
@pytest.mark.parametrize("query,first,other", [
    ("Путін", "uk-putin", "ru-putin"),
    ("вибори", "uk-vybory", "ru-vybory"),
    ("выборы", "ru-vybory", "uk-vybory"),
])
def test_own_language_ranks_first(engine, query, first, other):
    found = ids(engine.search(query))
    assert found[0] == first and other in found


def test_crosslang_reported(engine):
    res = engine.search("Путін")
    assert {"word": "Путін", "lang": "ru", "terms": ["путин"]} in res.crosslang
    assert engine.search("Путин").crosslang == [{"word": "Путин", "lang": "uk",
                                                  "terms": ["путін"]}]


def test_api_and_page_say_so(index_dir):
    client = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True}).test_client()
    body = client.get("/api/search?q=Путін").json
    assert body["crosslang"] == [{"word": "Путін", "lang": "ru", "terms": ["путин"]}]
    assert client.get("/api/search?q=Путін&exact=1").json["crosslang"] == []
    page = html_module.unescape(html(client.get("/search?q=Путін")))
    assert "Знайдено також іншою мовою: «Путін» → путин (російською)." in page
    assert "exact=1" in page
    assert "Знайдено також" not in html(client.get("/search?q=Путін&exact=1"))


# --- quotes -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["«режим санкцій»", "„режим санкцій“", "“режим санкцій”",
                                   "‘режим санкцій’", "»режим санкцій«"])
def test_typographic_quotes_quote_a_phrase(typed):
    assert parse_query(typed).plan == parse_query('"режим санкцій"').plan


@pytest.mark.parametrize("text", ["п’ять років", "п‘ять", "м'ясо", "об’єкт"])
def test_apostrophes_are_not_quotes(text):
    assert straight_quotes(text) == text


def test_quoted_phrase_search(engine):
    assert ids(engine.search("«Северный поток»", langs=("ru",))) == ["ru-nord"]
    assert ids(engine.search("«поток Северный»", langs=("ru",))) == []


# --- readings -----------------------------------------------------------------------------

@pytest.mark.parametrize("word,lang,raw,expected", [
    ("київ", "uk", "Київ", ("київ",)),  # a capitalised name, not the common noun кий
    ("вибори", "uk", "вибори", ("вибори",)),  # a dictionary form means that lemma, not вибір
    ("кий", "uk", "кий", ("кий",)),
    ("війни", "uk", "війни", ("війна", "війнути")),  # an inflected form keeps its readings
    ("стали", "ru", "стали", ("стать", "сталь")),
])
def test_readings(word, lang, raw, expected):
    assert set(readings(word, lang, raw)) == set(expected)


@pytest.mark.parametrize("word,lang,raw,expected", [
    ("вибори", "uk", "вибори", {"вибори": 1.0, "вибір": 0.5, "вибороти": 0.5}),
    ("табори", "uk", "табори", {"табори": 1.0, "табір": 0.5}),  # still found, weighed less
    ("київ", "uk", "Київ", {"київ": 1.0}),
    ("сахара", "ru", "сахара", {"сахар": 1.0, "сахара": 1.0}),  # lower case: not the Sahara
])
def test_weighted_readings(word, lang, raw, expected):
    assert dict(weighted_readings(word, lang, raw)) == expected


def test_elections_in_kyiv_are_not_choice_or_kyi(engine):
    found = ids(engine.search("вибори Київ", langs=("uk",)))
    assert found[0] == "uk-vybory" and "uk-kyi" not in found
    assert engine.search("вибори Київ", langs=("uk",)).all_words == 1


@pytest.mark.parametrize("query,first", [
    ("Путин Эрдоган", "ru-erdogan"),  # the only document with both names
    ("Эрдоган Путин", "ru-erdogan"),
])
def test_two_names_rank_documents_with_both_first(engine, query, first):
    assert ids(engine.search(query))[0] == first


# --- corrections --------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["Северный поток", "Nord Stream", "ковід", "Путін"])
def test_queries_with_results_are_not_replaced(engine, query):
    res = engine.search(query)
    assert res.corrected is None and res.suggestion is None and res.total


@pytest.mark.parametrize("word", ["поток", "Stream", "Nord", "ковід", "полок"])
def test_real_words_are_not_corrected(reader, word):
    assert suggest_word(reader, word) is None


def test_layout_then_romanisation(engine):
    res = engine.search("Зщкщырутлщ")  # Poroshenko typed with the Cyrillic layout on
    assert res.corrected == {"query": "Poroshenko", "reason": "layout"}
    assert ids(res) == ["uk-poroshenko"]


def test_a_real_word_is_not_spelt_in_the_other_language(engine):
    # санкций is Russian: the Ukrainian санкцій is found by cross-language matching, never
    # offered as a correction; typographic quotes are syntax, as " is.
    for query in ("«режима санкций»", "режима санкцийй"):
        res = engine.search(query, langs=("uk",))
        assert res.corrected is None and (res.suggestion or "").find("санкцій") < 0
