"""Page cleaning and date parsing tables."""

from datetime import datetime

import pytest

from search.ingest.pages import first_sentence, page_site, parse_date, parse_month, parse_page

DATES = [
    ("26 липня 2011 - 10:47", datetime(2011, 7, 26, 10, 47)),
    ("1 січня 2020", datetime(2020, 1, 1)),
    ("5 березня 2023 р.", datetime(2023, 3, 5)),
    ("12 листопада 2019 року о 09:15", datetime(2019, 11, 12, 9, 15)),
    ("3 февраля 2022, 18:30", datetime(2022, 2, 3, 18, 30)),
    ("30 декабря 2015 г.", datetime(2015, 12, 30)),
    ("31 травня 2024", datetime(2024, 5, 31)),
    ("28.06.2025", datetime(2025, 6, 28)),
    ("2024-02-29", datetime(2024, 2, 29)),
    ("31 лютого 2024", None),  # no such day
    ("26 чогось 2011", None),
    ("без дати", None),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_page_with_header_title_date_and_tail():
    page = """Гаряча лінія міста 15-80
Новини

Міст через річку відкрили після ремонту

3 квітня 2024 - 12:00

Рух мостом відновили у середу. Ремонт тривав два роки.

Читайте також

Інша новина про футбол
Ще одна новина про погоду"""
    title, date, body, precision = parse_page(page)
    assert title == "Міст через річку відкрили після ремонту"
    assert (date, precision) == (datetime(2024, 4, 3, 12, 0), "")
    assert body == "Рух мостом відновили у середу. Ремонт тривав два роки."


def test_page_without_title_line_has_no_title():
    # The loader shows the first sentence instead, but it is not the page's title.
    page = ("Погода испортилась. Завтра ожидается дождь.\n\nФотографии\n\nПоделиться:\n\n"
            "ДРУГИЕ НОВОСТИ\nКто-то что-то")
    title, date, body, _ = parse_page(page)
    assert title == ""
    assert first_sentence(body) == "Погода испортилась."
    assert date is None
    assert body == "Погода испортилась. Завтра ожидается дождь."


def test_first_sentence_is_cut_at_a_word():
    text = "слово " * 100
    out = first_sentence(text, limit=50)
    assert len(out) <= 51 and out.endswith("…") and "  " not in out


MONTHS_ONLY = [
    ("липень 2011", datetime(2011, 7, 1)),
    ("грудня 2019 року", datetime(2019, 12, 1)),
    ("июль 2020 г.", datetime(2020, 7, 1)),
    ("Январь 2015", datetime(2015, 1, 1)),
    ("2011-07", datetime(2011, 7, 1)),
    ("07.2011", datetime(2011, 7, 1)),
    ("2011-13", None),
    ("26 липня 2011", None),  # a whole date is not a month
    ("чогось 2011", None),
]


@pytest.mark.parametrize(("text", "expected"), MONTHS_ONLY)
def test_parse_month(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize(("line", "title", "date", "precision"), [
    ("Липень 2011", "Міст відкрили", datetime(2011, 7, 1), "month"),
    ("Июль 2011 г.", "Мост открыли", datetime(2011, 7, 1), "month"),
    ("26 липня 2011 - 10:47", "Міст відкрили", datetime(2011, 7, 26, 10, 47), ""),
])
def test_page_dated_to_a_month(line, title, date, precision):
    body = "Рух мостом відновили у середу. Ремонт тривав два роки."
    assert parse_page(f"Новини\n\n{title}\n\n{line}\n\n{body}") == (title, date, body, precision)


SITES = [
    ("Гаряча телефонна лінія Запорізької обласної державної адміністрації+38 0800 503 508",
     "Запорізька обласна державна адміністрація"),
    ("Офіційний сайт Харківської міської ради", "Харківська міська рада"),
    ("Горячая линия Волгоградской областной думы 8-800-100-00-00",
     "Волгоградская областная дума"),
    ("Официальный сайт администрации города Волгограда", "Администрация города Волгограда"),
    ("Офіційний сайт Харківської міської ради та виконавчого комітету",
     "Харківська міська рада та виконавчого комітету"),
    ("Гаряча лінія міста 15-80", ""),  # a kind of place, not a name
    ("Офіційний сайт міста запрацював у новому форматі", ""),  # a headline, not a name
    ("Официальный сайт мэрии закрыли на ремонт", ""),
    ("Новини", ""),
]


@pytest.mark.parametrize(("header", "site"), SITES)
def test_page_site_from_its_header(header, site):
    assert page_site(f"{header}\n\nЗаголовок\n\nТекст новини про місто.") == site


def test_page_site_only_in_the_header():
    lines = ["Заголовок", "", *["Речення тексту новини."] * 20, "Офіційний сайт міської ради"]
    assert page_site("\n".join(lines)) == ""
