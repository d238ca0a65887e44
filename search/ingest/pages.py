"""Turn a saved news page (plain text with site navigation) into title, date and body."""

import re
from datetime import datetime

from search.morph import analyzer, detect_language

# Lines from which the rest of a page is navigation: related headlines, share buttons.
TAIL_MARKERS = re.compile(
    r"^(читайте також|читайте также|читайте еще|інші новини|другие новости|останні новини|"
    r"последние новости|новини за темою|новости по теме|фотографии|фотографії|поделиться|"
    r"поділитися|поширити)\s*:?\s*$",
    re.IGNORECASE,
)
# Header lines of site chrome: hotlines, headquarters banners, section names.
HEADER_LINES = re.compile(
    r"^(гаряча (телефонна )?лінія|горячая (телефонная )?линия|гуманітарний штаб|"
    r"новини|новости|головна|главная|події|события|оголошення|объявления)\b.{0,120}$",
    re.IGNORECASE,
)
MONTHS = {
    # Ukrainian genitive and nominative, Russian genitive and nominative.
    **dict.fromkeys(["січня", "січень", "января", "январь"], 1),
    **dict.fromkeys(["лютого", "лютий", "февраля", "февраль"], 2),
    **dict.fromkeys(["березня", "березень", "марта", "март"], 3),
    **dict.fromkeys(["квітня", "квітень", "апреля", "апрель"], 4),
    **dict.fromkeys(["травня", "травень", "мая", "май"], 5),
    **dict.fromkeys(["червня", "червень", "июня", "июнь"], 6),
    **dict.fromkeys(["липня", "липень", "июля", "июль"], 7),
    **dict.fromkeys(["серпня", "серпень", "августа", "август"], 8),
    **dict.fromkeys(["вересня", "вересень", "сентября", "сентябрь"], 9),
    **dict.fromkeys(["жовтня", "жовтень", "октября", "октябрь"], 10),
    **dict.fromkeys(["листопада", "листопад", "ноября", "ноябрь"], 11),
    **dict.fromkeys(["грудня", "грудень", "декабря", "декабрь"], 12),
}
_TIME = r"(?:\s*[-–—,]?\s*(?:о\s+|в\s+)?(\d{1,2}):(\d{2}))?"
_DATE_FORMS = [
    (re.compile(r"(\d{1,2})\s+([а-яіїєґё]+)\s+(\d{4})(?:\s*(?:р\.|року|г\.|года))?" + _TIME, re.I),
     ("d", "month", "y", "H", "M")),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME), ("d", "m", "y", "H", "M")),
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?"), ("y", "m", "d", "H", "M")),
]
TITLE_MAX = 160
_MONTH_YEAR = [
    re.compile(r"^([а-яіїєґё]+)\s+(\d{4})(?:\s*(?:р\.|року|г\.|года))?$", re.I),  # липень 2011
    re.compile(r"^(\d{4})-(\d{1,2})$"), re.compile(r"^(\d{1,2})\.(\d{4})$"),  # 2011-07, 07.2011
]
# Site chrome that names the site: "Гаряча лінія <of the site>", "Офіційний сайт <of the site>".
_SITE_LINES = re.compile(
    r"^(?:гаряча (?:телефонна )?лінія|горячая (?:телефонная )?линия|офіційний (?:веб-)?сайт|"
    r"официальный (?:веб-)?сайт|офіційний портал|официальный портал)\s+"
    r"([^\d+()]{4,120}?)\s*(?:[+(]?\d[\d\s()+-]*)?$",
    re.IGNORECASE,
)


def parse_date(text: str) -> datetime | None:
    """The first date in text (Ukrainian/Russian month names, dd.mm.yyyy or ISO), or None."""
    for rx, names in _DATE_FORMS:
        for m in rx.finditer(text):
            parts = dict(zip(names, m.groups(), strict=True))
            month = MONTHS.get(parts["month"].lower()) if "month" in parts else int(parts["m"])
            if not month:
                continue
            try:
                return datetime(int(parts["y"]), month, int(parts["d"]),
                                int(parts["H"] or 0), int(parts["M"] or 0))
            except ValueError:
                continue
    return None


def parse_month(text: str) -> datetime | None:
    """The first day of a month given without a day ("липень 2011", "2011-07"), or None."""
    text = text.strip()
    for rx in _MONTH_YEAR:
        m = rx.match(text)
        if not m:
            continue
        a, b = m.groups()
        if a.isdigit():
            year, month = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
        else:
            year, month = int(b), MONTHS.get(a.lower(), 0)
        if 1 <= month <= 12 and 1000 <= year <= 9999:
            return datetime(year, month, 1)
    return None


_JOINERS = {"та", "і", "й", "и", "а"}  # "ради та виконкому": words between genitives


def _genitives(lang: str, word: str) -> list:
    return [p for p in analyzer(lang).parse(word.strip(",.").lower()) if "gent" in p.tag]


def nominative(phrase: str) -> str:
    """A name in the genitive ("Запорізької обласної адміністрації") in the nominative, or ""
    if some word of it cannot be a genitive (then it is a sentence, not a name).

    Words up to the first noun are inflected (the name's head and its adjectives); the rest
    ("міста Києва") stays as it is.
    """
    lang = detect_language(phrase)
    words, out, gender = phrase.split(), [], None
    if not all(w.lower() in _JOINERS or _genitives(lang, w) for w in words):
        return ""
    for i, word in enumerate(words):
        # The genitive reading, of the gender of the adjectives before it ("ради": рада, not рад).
        parses = _genitives(lang, word)
        parses = [p for p in parses if gender in p.tag] or parses if gender else parses
        parse = parses[0]
        gender = gender or parse.tag.gender
        form = parse.inflect({"nomn"})
        new = form.word if form else word.lower()
        out.append(new[:1].upper() + new[1:] if word[:1].isupper() else new)
        if "NOUN" in parse.tag:
            return " ".join(out + words[i + 1:])
    return " ".join(out)


def page_site(text: str) -> str:
    """The site a saved page names in its header ("Гаряча лінія …", "Офіційний сайт …"), or ""."""
    for line in text.replace("\r\n", "\n").split("\n")[:12]:
        m = _SITE_LINES.match(line.strip())
        # One word ("Гаряча лінія міста") is a kind of place, not a site's name.
        if m and len(m.group(1).split()) >= 2:
            name = nominative(m.group(1).strip(" -–—:,"))
            if name:
                return name[:1].upper() + name[1:]
    return ""


def _line_date(line: str) -> tuple[datetime, str] | None:
    """(date, precision) of a line that is a date ("26 липня 2011 - 10:47") or only a month
    ("Липень 2011"): precision "" (the day) or "month"; None for any other line."""
    if len(line) > 40:
        return None
    day = parse_date(line)
    if day:
        return day, ""
    month = parse_month(line)
    return (month, "month") if month else None


def first_sentence(text: str, limit: int = TITLE_MAX) -> str:
    """The first sentence of text, cut at a word boundary if longer than limit."""
    m = re.match(r"(.+?[.!?…])(\s|$)", text, re.S)
    sentence = (m.group(1) if m else text).strip()
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:–—-") + "…"
    return sentence


def _looks_like_title(line: str) -> bool:
    return len(line) <= TITLE_MAX and not line.rstrip().endswith((".", ":", ";", ","))


def parse_page(text: str) -> tuple[str, datetime | None, str, str]:
    """(title, date, body, date precision) of a page; navigation before and after it removed.

    The title is "" when the page has none (the caller may show the first sentence instead);
    the precision is "month" for a date line that names only a month, else "".
    """
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n")]
    lines = [ln for ln in lines if ln and ln != "\u00a0"]
    for i, line in enumerate(lines):
        if TAIL_MARKERS.match(line):
            lines = lines[:i]
            break
    lines = [ln for ln in lines if not HEADER_LINES.match(ln)]
    date, precision, title = None, "", ""
    date_at = next((i for i, ln in enumerate(lines[:8]) if _line_date(ln)), None)
    if date_at is not None:
        date, precision = _line_date(lines[date_at])
        before = [ln for ln in lines[:date_at] if _looks_like_title(ln)]
        title = before[-1] if before else ""
        body_lines = lines[date_at + 1:]
    elif len(lines) > 1 and _looks_like_title(lines[0]):
        title, body_lines = lines[0], lines[1:]
    else:
        body_lines = lines
    return title, date, "\n\n".join(body_lines), precision
