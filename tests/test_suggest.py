"""GET /api/suggest through the Flask test client, and the pages' hooks for suggest as you type."""


import pytest

from tests.conftest import index_fixtures, index_records
from web import create_app
from web.openapi import spec
from web.suggesting import MAX_SUGGEST, MAX_SUGGEST_CHARS

DOCS = [
    {"id": "uk1", "lang": "uk", "title": "Промисловість зростає третій рік",
     "text": "Промисловість України зростає. Громада міста підтримала промисловість. "
             "Прем'єр відвідав завод.", "date": "2024-02-01"},
    {"id": "uk2", "lang": "uk", "title": "Прем'єр зустрівся з громадою",
     "text": "Прем’єр говорив про промисловість і промінь надії. Ґрунт добрий.",
     "date": "2024-02-02"},
    {"id": "uk3", "lang": "uk", "title": "Промова на форумі",
     "text": "Промова прем'єра про громади і промисловість.", "date": "2024-02-03"},
    {"id": "uk4", "lang": "uk", "title": "Огляд тижня",
     "text": "Погода, політика, перемога, підприємство, податок, пенсія, парламент, партія, "
             "поліція, прогноз, площа, пам'ять, пошта, перехід, порт, праця, пісня, право, "
             "природа, питання, програма, палац, паливо, пасажир.", "date": "2024-02-05"},
    {"id": "ru1", "lang": "ru", "title": "Зелёная промышленность",
     "text": "Зелёная энергетика и ёлки. Промышленность растёт.", "date": "2024-02-04"},
]


index_dir, _, _, client = index_fixtures(DOCS, "suggest")


def suggest(client, q, **args):
    resp = client.get("/api/suggest", query_string={"q": q, **args})
    assert resp.status_code == 200, resp.get_json()
    assert resp.mimetype == "application/json"
    return resp.get_json()["suggestions"]


def assert_error(resp, status, code):
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Cache-Control" not in resp.headers  # errors are not cached for a minute


def test_suggest_ok(client):
    resp = client.get("/api/suggest?q=пром")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "max-age=60"
    assert resp.headers["Content-Security-Policy"]  # the usual security headers still apply
    body = resp.get_json()
    assert body["query"] == "пром"
    # In all three Ukrainian documents, so first; Russian words of the index come too.
    assert body["suggestions"][0] == "промисловість"
    assert "промышленность" in body["suggestions"]
    assert "промисловість" in resp.get_data(as_text=True)  # Cyrillic is not \u-escaped


def test_words_first_then_titles_when_there_is_room(client):
    found = suggest(client, "пром")
    titles = ["Промисловість зростає третій рік", "Промова на форумі"]
    assert found[-2:] == titles
    assert all(s.islower() for s in found[:-2])  # index words (lemmas) before titles
    assert suggest(client, "пром", limit=3) == found[:3]  # no room left for titles


def test_earlier_words_are_kept(client):
    # The completed word as the texts write it after other words, not its lemma (зростати).
    assert suggest(client, "промисловість зр") == ["промисловість зростає",
                                                    "Промисловість зростає третій рік"]


def test_query_is_stripped(client):
    resp = client.get("/api/suggest", query_string={"q": "  пром \t"})
    assert resp.get_json()["query"] == "пром"
    assert resp.get_json()["suggestions"] == suggest(client, "пром")


def test_nothing_to_suggest_is_an_empty_list(client):
    assert suggest(client, "щщщщ") == []
    assert suggest(client, "!!!") == []


# 4 words (промінь, not also its other reading проміння) and 2 titles.
@pytest.mark.parametrize("limit,count", [("1", 1), ("3", 3), ("20", 6), ("", 6)])
def test_limit(client, limit, count):
    assert len(suggest(client, "пром", limit=limit)) == count


def test_default_limit_is_ten(client):
    # Short prefixes have many completions: the default and the maximum cap them.
    assert len(suggest(client, "п")) == 10
    assert len(suggest(client, "п", limit=MAX_SUGGEST)) == MAX_SUGGEST


@pytest.mark.parametrize("limit", ["0", "21", "-1", "abc", "1.5", "٣"])
def test_bad_limit_is_400(client, limit):
    assert_error(client.get("/api/suggest", query_string={"q": "пром", "limit": limit}),
                 400, "invalid_parameter")


@pytest.mark.parametrize("query", ["", "?q=", "?q=%20%20", "?q=%09%0A", "?limit=5"])
def test_empty_query_is_400(client, query):
    assert_error(client.get("/api/suggest" + query), 400, "invalid_parameter")


def test_too_long_query_is_400(client):
    q = "п" * MAX_SUGGEST_CHARS
    suggest(client, q)  # exactly the limit is fine
    suggest(client, f"  {q}  ")  # surrounding spaces do not count
    assert_error(client.get("/api/suggest", query_string={"q": q + "п"}), 400,
                 "invalid_parameter")


def test_missing_index_is_503(tmp_path):
    client = create_app({"SEARCH_INDEX_DIR": str(tmp_path / "none"),
                         "TESTING": True}).test_client()
    assert_error(client.get("/api/suggest?q=пром"), 503, "index_unavailable")
    # Validation still comes first.
    assert_error(client.get("/api/suggest?q="), 400, "invalid_parameter")


def test_post_is_405(client):
    resp = client.post("/api/suggest?q=пром")
    assert_error(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]


@pytest.mark.parametrize("typed,expected", [
    # ґ folds to г, as the index holds it; a lemma the texts write is shown as written.
    ("ґром", "громада"), ("Ґрун", "ґрунт"),
    ("прем’є", "прем'єр"), ("премʼє", "прем'єр"), ("прем'є", "прем'єр"),  # any apostrophe
    ("зелё", "зеленый"), ("ЗЕЛЕ", "зеленый"), ("ёлк", "елка"),  # ё folds to е
    ("ПРОМ", "промисловість"), ("ghjv", "промисловість"),  # case; wrong keyboard layout
])
def test_cyrillic_normalisation(client, typed, expected):
    assert expected in suggest(client, typed)


def test_apostrophes_and_case_in_titles(client):
    assert "Прем'єр зустрівся з громадою" in suggest(client, "ПРЕМ’ЄР ЗУС")
    assert "Зелёная промышленность" in suggest(client, "зеленая про")


def test_openapi_documents_suggest():
    op = spec()["paths"]["/api/suggest"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["q"]["required"] and params["q"]["schema"]["maxLength"] == MAX_SUGGEST_CHARS
    assert params["limit"]["schema"]["maximum"] == MAX_SUGGEST
    assert params["limit"]["schema"]["default"] == 10
    assert set(op["responses"]) == {"200", "400", "503"}
    assert "Cache-Control" in op["responses"]["200"]["headers"]


@pytest.mark.parametrize("path", ["/", "/search?q=пром", "/?ui=ru"])
def test_pages_offer_suggestions_to_scripts_only(client, path):
    page = client.get(path).get_data(as_text=True)
    assert 'data-suggest-url="/api/suggest"' in page
    assert 'method="get"' in page and 'name="q"' in page
    # The combobox is made by app.js: without JavaScript the box is a plain search input.
    assert 'role="combobox"' not in page and "listbox" not in page
    assert "<script>" not in page and "<script " in page  # app.js only, no inline script


PHRASE_DOCS = [
    {"id": "p-uk1", "lang": "uk", "title": "Уряд ухвалив правило для лікарень",
     "text": "Уряд ухвалив нове правило. У Запоріжжі і Києві лікарні отримають кошти, сказав "
             "директор Укренерго. Коли це буде, який строк — невідомо. Тарас Шевченко.",
     "date": "2024-02-01"},
    {"id": "p-uk2", "lang": "uk", "title": "Правда про лікарню",
     "text": "Директор компанії Укренерго розповів правду. Київ чекає, як і Запоріжжя. "
             "У Київській області та на Київщині теж.",
     "date": "2024-02-02"},
    {"id": "p-ru1", "lang": "ru", "title": "Правительство приняло правила",
     "text": "Правительство приняло правила для больниц. Когда и какой срок — неизвестно. "
             "В Запорожье и Киеве ждут. Правительство обещало.", "date": "2024-02-03"},
]


@pytest.fixture(scope="module")
def phrase_client(tmp_path_factory):
    index_dir = index_records(PHRASE_DOCS, tmp_path_factory.mktemp("phrase_src"),
                              tmp_path_factory.mktemp("phrase_index"))
    return create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True}).test_client()


@pytest.mark.parametrize("typed, wanted, unwanted", [
    # The words before say the language: completions stay in it.
    ("уряд ухвалив прав", ["уряд ухвалив правило", "уряд ухвалив правду"],
     ["уряд ухвалив правительство"]),
    ("лікарні отримають прав", ["лікарні отримають правило"], ["лікарні отримають правительство"]),
    # "уряд" is in both dictionaries: the index says only Ukrainian documents use it.
    ("уряд прав", ["уряд правило"], ["уряд правительство"]),
    ("правительство приняло прав", ["правительство приняло правительство",
                                    "правительство приняло правила"],
     ["правительство приняло правда"]),
    # Without earlier words, both languages.
    ("прав", ["правило", "правительство"], []),
])
def test_completions_stay_in_the_language_of_the_phrase(phrase_client, typed, wanted, unwanted):
    found = suggest(phrase_client, typed)
    for w in wanted:
        assert w in found
    for u in unwanted:
        assert u not in found


@pytest.mark.parametrize("typed, function_word", [
    ("ко", "коли"), ("як", "який"), ("дл", "для"),  # Ukrainian
    ("ко", "когда"), ("как", "какой"),  # Russian
])
def test_function_words_are_left_out(phrase_client, typed, function_word):
    assert function_word not in [s.lower() for s in suggest(phrase_client, typed, limit=20)]


@pytest.mark.parametrize("typed, shown", [
    ("киї", "Київ"), ("запорі", "Запоріжжя"),  # place names (the place table)
    ("кие", "Киев"), ("запоро", "Запорожье"),
    ("шевч", "Шевченко"),  # a surname (the dictionary)
    ("укрен", "Укренерго"),  # a name only the texts show with a capital
    ("лікар", "лікарня"), ("больн", "больница"),  # common words stay lower case
    ("київсь", "київський"),  # an adjective: "Київська область" is a name, the word is not
    ("київщ", "Київщина"),
])
def test_proper_names_keep_their_capital(phrase_client, typed, shown):
    assert shown in suggest(phrase_client, typed)


@pytest.mark.parametrize("typed, place", [
    ("Zapor", "Zaporizhzhia"), ("zapor", "Zaporizhzhia"), ("Kyi", "Kyiv"), ("Kie", "Kiev"),
    ("уряд у Zapor", "уряд у Zaporizhzhia"),
])
def test_latin_place_prefixes_complete(phrase_client, typed, place):
    assert suggest(phrase_client, typed)[0] == place


def test_latin_places_the_index_lacks_are_not_offered(phrase_client):
    assert "Lviv" not in suggest(phrase_client, "Lvi") and "Odesa" not in suggest(phrase_client,
                                                                                 "Odes")
