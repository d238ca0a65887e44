"""Records written over HTTP: checked field by field before anything is journaled."""

import re

from search.ingest.documents import Document, Skip, from_record
from search.ingest.values import date_value

MAX_ID_CHARS = 512
STRING_FIELDS = ("id", "title", "text", "body", "summary", "url", "lang", "site", "source",
                 "publication")
LANGS = ("", "uk", "ru")


class InvalidRecord(ValueError):
    """A record that cannot be indexed: which one (from 1), which field, and why."""

    def __init__(self, number: int, field: str, reason: str):
        super().__init__(f"record {number}: field '{field}': {reason}")
        self.number, self.field, self.reason = number, field, reason


def check(record, number: int) -> Document:
    """The Document of one API record, or InvalidRecord naming the field at fault."""
    if not isinstance(record, dict):
        raise InvalidRecord(number, "(record)", "must be a JSON object")
    for name in STRING_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str) and not (
                name == "id" and isinstance(value, int) and not isinstance(value, bool)):
            raise InvalidRecord(number, name, "must be a string")
    doc_id = record.get("id")
    if doc_id is None or not str(doc_id).strip():
        raise InvalidRecord(number, "id", "is required")
    if len(str(doc_id).strip()) > MAX_ID_CHARS:
        raise InvalidRecord(number, "id", f"is longer than {MAX_ID_CHARS} characters")
    if not any(str(record.get(k) or "").strip() for k in ("text", "body", "summary")):
        raise InvalidRecord(number, "text", "is missing or empty (give text or body)")
    if str(record.get("lang") or "").strip().lower() not in LANGS:
        raise InvalidRecord(number, "lang", "must be uk or ru (or absent)")
    date = record.get("date")
    if date not in (None, "") and date_value(date)[0] is None:
        raise InvalidRecord(number, "date", f"cannot read {date!r} as a date (YYYY-MM-DD)")
    try:
        return from_record(record)
    except Skip as e:
        raise InvalidRecord(number, "text", str(e)) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(record):
    """A record with lone surrogates (JSON "\\ud800") in its strings replaced by U+FFFD: they
    cannot be encoded, so every page showing them would fail."""
    if not isinstance(record, dict):
        return record
    return {k: _SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v
            for k, v in record.items()}
