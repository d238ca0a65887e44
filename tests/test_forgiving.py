"""Forgiving search: wrong layout, did you mean, place-name variants, suggest as you type."""

import json

import pytest
from whoosh import query as wq

from search.ingest.indexer import open_index, reindex
from search.morph import lemmas
from search.query.layout import convert, correct_layout, detect_layout
from search.query.spelling import distance, index_known, suggest_word, vocabulary
from search.query.suggest import complete, complete_title
from search.query.variants import PLACES, from_latin, to_latin, variants
from tests.conftest import index_fixtures

DOCS = [
    {"id": "uk1", "lang": "uk", "title": "Запоріжжя: співпраця громад",
     "text": "У Запоріжжі міська рада підписала угоду про співпрацю. Прем'єр Шмигаль відвідав "
             "Запоріжжя. Президент говорив про уряд і співпрацю громад."},
    {"id": "uk2", "lang": "uk", "title": "Уряд ухвалив бюджет",
     "text": "Уряд України ухвалив бюджет. Президент підписав закон. Google та Facebook "
             "відкрили офіси в Києві. Депутат Гнатюченко голосував проти."},
    {"id": "uk3", "lang": "uk", "title": "Вибори у Львові",
     "text": "Вибори пройшли у Львові та Харкові. Шмигаль прокоментував вибори. COVID-19 "
             "не завадив виборам. Президент привітав переможців."},
    {"id": "ru1", "lang": "ru", "title": "Машиностроитель из Харькова",
     "text": "Машиностроитель из Харькова рассказал о работе завода. Завод в Запорожье "
             "выпускает двигатели. Президент посетил завод."},
    {"id": "ru2", "lang": "ru", "title": "Новости Днепра",
     "text": "В Днепре открыли новый мост. Машиностроитель работает на заводе. Президент "
             "приехал в Днепропетровскую область."},
]


index_dir, _, reader, _ = index_fixtures(DOCS, "forgiving")


# --- 1. wrong keyboard layout -------------------------------------------------------------

@pytest.mark.parametrize("cyr,lang,latin", [
    ("співпраця", "uk", "cgsdghfwz"),
    ("машиностроитель", "ru", "vfibyjcnhjbntkm"),
    ("Україна", "uk", "Erhf]yf"),  # ї on ]
    ("подъезд", "ru", "gjl]tpl"),  # ъ on ]
    ("єдність", "uk", "'lyscnm"),  # є on ', і on s
    ("ґанок", "uk", "\\fyjr"),  # ґ on \ (Ukrainian Enhanced)
    ("объём", "ru", "j,]`v"),  # ё on `
])
def test_convert_both_ways(cyr, lang, latin):
    assert convert(latin, "en", lang) == cyr
    assert convert(cyr, lang, "en") == latin


@pytest.mark.parametrize("typed,expected,lang", [
    ("cgsdghfwz", "співпраця", "uk"),
    ("vfibyjcnhjbntkm", "машиностроитель", "ru"),
    ("ghbdtn", "привет", "ru"),
    ("hf,jnf", "работа", "ru"),  # , is б
    ("Erhf]yf", "Україна", "uk"),
    ("e[dfkf", "ухвала", "uk"),
    ("ghbdtn,", "привет,", "ru"),  # trailing comma stays punctuation
    ("пщщпду", "google", "en"),
    ("афсуищщл", "facebook", "en"),
])
def test_detect_layout(typed, expected, lang):
    assert (expected, lang) in detect_layout(typed)


@pytest.mark.parametrize("word", [
    "Google", "COVID-19", "iPhone", "NATO", "the", "ukraine",  # real Latin words
    "Запоріжжя", "співпраця", "машиностроитель",  # correct Cyrillic
    "чупакабра", "ошуюю",  # correct but rare Cyrillic
    "Гнатюченко", "Шмигаль",  # surnames in the index
    "ab", "12345",
])
def test_detect_layout_leaves_real_words(word, reader):
    assert detect_layout(word, index_known(reader)) == []


def test_detect_layout_uses_index_vocabulary(reader):
    # A surname no dictionary knows, typed in the US layout, is found through the index.
    assert detect_layout("Uyfn.xtyrj") == []
    assert detect_layout("Uyfn.xtyrj", index_known(reader))[0][0] == "Гнатюченко"


@pytest.mark.parametrize("query,expected", [
    ("ghbdtn vbh", "привет мир"),
    ("cgsdghfwz uhjvfl", "співпраця громад"),
    ("Erhf]yf", "Україна"),
    ("Google news", None),
    ("COVID-19 iPhone", None),
    ("cgsdghfwz ЗСУ Київ", None),  # one mistyped word of three is not the whole query
    ("Запоріжжя співпраця", None),
    ("", None),
])
def test_correct_layout(query, expected, reader):
    assert correct_layout(query, index_known(reader)) == expected


# --- 2. did you mean ----------------------------------------------------------------------

@pytest.mark.parametrize("a,b,d", [
    ("уряд", "уряд", 0), ("урдя", "уряд", 1), ("уряд", "уряди", 1), ("президнет", "президент", 1),
    ("прзидет", "президент", 2), ("abc", "xyz", 3),
])
def test_distance(a, b, d):
    assert min(distance(a, b, 2), 3) == min(d, 3)


@pytest.mark.parametrize("typed,expected", [
    ("урдя", "уряд"),  # short word, one transposition
    ("президнет", "президент"),
    ("спвпраці", "співпраці"),  # keeps the inflection when a dictionary word is one edit away
    ("Запоріжді", "запоріжжі"),
    ("машиностоитель", "машиностроитель"),  # ru
    ("заовд", "завод"),  # ru, short
    ("Шмигль", "шмигаль"),  # a surname only the index knows
    ("Гнатюченк", "гнатюченко"),
])
def test_suggest_word(reader, typed, expected):
    assert suggest_word(reader, typed) == expected


@pytest.mark.parametrize("word", [
    "уряд", "Запоріжжі", "машиностроителя", "Шмигаль", "Google",  # in the index
    "COVID-19", "чупакабра", "ab", "xyzzyq",  # nothing to suggest
])
def test_suggest_word_leaves_known_and_hopeless_words(reader, word):
    assert suggest_word(reader, word) is None


def test_vocabulary_cached_per_generation(index_dir, tmp_path):
    ix = open_index(index_dir, create=False)
    with ix.reader() as r1, ix.reader() as r2:
        assert vocabulary(r1) is vocabulary(r2)
        assert vocabulary(r1).freq["президент"] == 5


def test_new_generation_gets_new_vocabulary(tmp_path):
    src, ix_dir = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "a.jsonl").write_text(json.dumps(DOCS[0], ensure_ascii=False), encoding="utf-8")
    reindex(ix_dir, [src])
    with open_index(ix_dir, create=False).reader() as r:
        assert suggest_word(r, "бюджте") is None
    (src / "b.jsonl").write_text(json.dumps(DOCS[1], ensure_ascii=False), encoding="utf-8")
    reindex(ix_dir, [src])
    with open_index(ix_dir, create=False).reader() as r:
        assert suggest_word(r, "бюджте") == "бюджет"
        assert "бюджет" in complete(r, "бюдж")


# --- 3. name variants ---------------------------------------------------------------------

ZAP = [("запоріжжя", "uk"), ("запорожье", "ru")]


@pytest.mark.parametrize("word,expected", [
    ("Запорожье", ZAP), ("Запорожья", ZAP), ("запорожье", ZAP), ("Zaporizhzhia", ZAP),
    ("Zaporozhye", ZAP), ("Запоріжжі", ZAP),
    ("Kiev", [("київ", "uk"), ("киев", "ru")]), ("Києві", [("київ", "uk"), ("киев", "ru")]),
    ("Днепропетровск", [("дніпро", "uk"), ("дніпропетровськ", "uk"), ("днепр", "ru"),
                        ("днепропетровск", "ru")]),
    ("Львове", [("львів", "uk"), ("львов", "ru")]),
    ("Kharkov", [("харків", "uk"), ("харьков", "ru")]),
    ("Odessa", [("одеса", "uk"), ("одесса", "ru")]),
    ("Nikolaev", [("миколаїв", "uk"), ("николаев", "ru")]),
    ("Запорожской", [("запорізький", "uk"), ("запорожский", "ru")]),
    ("Сумы", [("суми", "uk"), ("сумы", "ru")]),
    ("Pryluky", [("прилука", "uk")]),  # not in the table: official romanisation reversed
])
def test_variants(word, expected):
    assert variants(word) == expected


@pytest.mark.parametrize("word", ["суми", "сумы", "ровно", "уряд", "Google", "test", "лев"])
def test_variants_leave_common_words(word):
    assert variants(word) == []


def _rows():
    for line in PLACES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "kind\t")):
            yield line.split("\t")


@pytest.mark.parametrize("row", list(_rows()), ids=lambda r: r[1])
def test_places_table_is_consistent(row):
    kind, uk, ru, latin = row
    names = [n.replace("~", "") for col in (uk, ru, latin) for n in col.split("|")]
    assert len({len(n.split()) for n in names}) == 1  # aligned word by word
    assert to_latin(uk.split("|")[0].replace("~", "")) == latin.split("|")[0].lower()
    for name in names:
        for word in name.split():
            assert variants(word[0].upper() + word[1:]), word


@pytest.mark.parametrize("form,lang,lemma", [
    ("запоріжжі", "uk", "запоріжжя"), ("запорожья", "ru", "запорожье"), ("києві", "uk", "київ"),
    ("днепре", "ru", "днепр"), ("харкові", "uk", "харків"), ("одессе", "ru", "одесса"),
    ("миколаєві", "uk", "миколаїв"), ("запорізької", "uk", "запорізький"),
])
def test_inflected_places_lemmatise_to_table_terms(form, lang, lemma):
    assert lemma in lemmas(form, lang)
    assert (lemma, lang) in variants(form.capitalize())


@pytest.mark.parametrize("uk,latin", [
    ("Запоріжжя", "zaporizhzhia"), ("Київ", "kyiv"), ("Згорани", "zghorany"),
    ("Юрій", "yurii"), ("Яготин", "yahotyn"), ("Їжакевич", "yizhakevych"),
    ("Хмельницький", "khmelnytskyi"), ("Щербухи", "shcherbukhy"), ("Знам'янка", "znamianka"),
])
def test_official_romanisation(uk, latin):
    assert to_latin(uk) == latin


@pytest.mark.parametrize("latin,uk", [("Kyiv", "київ"), ("Pryluky", "прилуки"),
                                      ("Vyshhorod", "вишгород"), ("Boryspil", "бориспіль")])
def test_from_latin(latin, uk):
    assert uk in from_latin(latin)


def test_variants_find_the_other_language(index_dir):
    ix = open_index(index_dir, create=False)
    with ix.searcher() as s:
        def ids(word):
            q = wq.Or([wq.Term(f"{kind}_{lang}", term) for term, lang in variants(word)
                       for kind in ("title", "body")])
            return {hit["id"] for hit in s.search(q)}
        assert ids("Запорожье") == {"uk1", "ru1"}
        assert ids("Zaporizhzhia") == {"uk1", "ru1"}
        assert ids("Днепропетровск") == {"ru2"}
        assert ids("Харьков") == {"uk3", "ru1"}


# --- 4. suggest as you type ---------------------------------------------------------------

@pytest.mark.parametrize("prefix,expected", [
    ("запор", "запоріжжя"), ("Запоріжжі", "запоріжжя"), ("прези", "президент"),
    ("маш", "машиностроитель"), ("cgsd", "співпраця"), ("ґром", "громада"),
    ("Гнатю", "гнатюченко"), ("шмиг", "шмигаль"), ("прем’є", "прем'єр"),
])
def test_complete(reader, prefix, expected):
    assert expected in complete(reader, prefix)


def test_complete_ranks_by_frequency_and_keeps_earlier_words(reader):
    assert complete(reader, "пре")[0] == "президент"  # in every document
    assert complete(reader, "Україна прези", limit=1) == ["Україна президент"]
    assert complete(reader, "") == [] and complete(reader, "zzzq") == []
    assert len(complete(reader, "п", limit=3)) == 3


def test_complete_title(reader):
    assert complete_title(reader, "уряд ухв") == ["Уряд ухвалив бюджет"]
    assert complete_title(reader, "ЗАПОРІЖЖЯ:") == ["Запоріжжя: співпраця громад"]
    assert complete_title(reader, "ур") == []
