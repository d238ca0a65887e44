"""A record's values made safe to keep: dates (with their precision), site names, links."""

from datetime import datetime
from urllib.parse import urlsplit

from search.ingest.pages import parse_date, parse_month

MAX_SITE_CHARS = 200  # a site or publication name; longer is not a name


def date_value(value) -> tuple[datetime | None, str]:
    """(date, precision) of a JSON value: a year alone is precision "year", a month "month"."""
    if value is None or value == "" or isinstance(value, bool):
        return None, ""
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        year = int(value)
        return (datetime(year, 1, 1), "year") if 1000 <= year <= 9999 else (None, "")
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None), ""
        except ValueError:
            pass
        month = parse_month(text)
        if month:
            return month, "month"
        return parse_date(text), ""
    return None, ""


def site_name(value: str) -> str:
    """A site or publication name on one line, cut at MAX_SITE_CHARS."""
    return " ".join(value.split())[:MAX_SITE_CHARS]


def web_url(url: str) -> str:
    """The URL if it is an http(s) link with a host, else "" (javascript:, file: and the like
    are never kept nor linked)."""
    url = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def url_host(url: str) -> str:
    """The host of a URL without "www.", or "" if it has none."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")
