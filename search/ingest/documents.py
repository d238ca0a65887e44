"""Load documents from .txt pages, .jsonl(.gz) collections and .html files."""

import gzip
import json
import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import charset_normalizer
from isal import igzip, isal_zlib

from search.ingest.pages import first_sentence, page_site, parse_page
from search.ingest.values import date_value, site_name, url_host, web_url

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
HTML_SUFFIXES = (".html", ".htm")
# Encodings a Ukrainian or Russian text file is realistically in, besides UTF-8.
LEGACY_ENCODINGS = ["cp1251", "koi8_r", "koi8_u", "utf_16", "mac_cyrillic", "cp866"]
MAX_FILE_BYTES = 16 * 1024 * 1024  # one page or article; collections (.jsonl) are streamed
MAX_BAD_UTF8 = 0.01  # a UTF-8 file with this share of broken bytes is UTF-8 with damage
MAX_BODY_CHARS = 2_000_000  # longer bodies are cut: one huge file must not stall indexing
MAX_RECORD_CHARS = 5_000_000  # a .jsonl record with more text than this is skipped
# A .jsonl.gz whose next BOMB_MIN_BYTES inflated came from less than 1/BOMB_RATIO as many
# compressed bytes is a decompression bomb: the rest of it is not read.
BOMB_RATIO = 200
BOMB_MIN_BYTES = 256 * 2**20
# JSON keys naming the publication, most specific first (bruk's is publ_in).
SITE_KEYS = ("site", "publication", "publ_in", "source")


class Skip(Exception):
    """A file or record that cannot be indexed; the message says why."""


@dataclass
class Document:
    """One article ready for indexing."""

    id: str
    title: str
    body: str
    date: datetime | None = None
    url: str = ""
    lang: str = ""
    site: str = ""  # the publication or site; "" when unknown
    date_precision: str = ""  # "year" or "month" when the date is known only to that; "" = day
    # True when the title is the body's first sentence: shown, but not indexed as a title.
    made_up_title: bool = False


def supported(path: Path) -> bool:
    """True if the file's name says it is a format we read."""
    name = path.name.lower()
    return name.endswith(TEXT_SUFFIXES + JSONL_SUFFIXES + HTML_SUFFIXES)


def decode(data: bytes) -> str:
    """Bytes of a text file as str: UTF-8 (with or without BOM), UTF-16 with BOM, else detected."""
    if not data.strip():
        raise Skip("empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if b"\x00" in data[:4096]:
            raise Skip("binary file (NUL bytes)") from None
        text = data.decode("utf-8-sig", errors="replace")
        if text.count("\ufffd") > len(text) * MAX_BAD_UTF8:
            best = charset_normalizer.from_bytes(data, cp_isolation=LEGACY_ENCODINGS).best()
            if best is None:
                raise Skip("binary or unknown encoding") from None
            text = str(best)
    if "\x00" in text:
        raise Skip("binary file (NUL bytes)")
    return text


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Lone surrogates (JSON "\ud800") cannot be encoded as UTF-8: shown as U+FFFD instead.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_JUNK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # either of the two


def valid_text(text: str) -> str:
    """text with lone surrogates replaced by U+FFFD, so that it can be stored and shown."""
    return _SURROGATE.sub("\ufffd", text)


def _clean(text: str) -> str:
    # Control characters other than line breaks and tabs are junk in a news text.
    text = text[:MAX_BODY_CHARS]
    if _JUNK.search(text) is None:  # nearly always: one scan of the text, not two
        return text
    return _CONTROL.sub("", valid_text(text))


def _str(record: dict, key: str) -> str:
    return valid_text(_raw(record, key))


def _raw(record: dict, key: str) -> str:
    """A text field as written, for _clean (which replaces lone surrogates too)."""
    value = record.get(key)
    return value.strip() if isinstance(value, str) else ""


def from_record(record: dict) -> Document:
    """A Document from one JSON object (id, text or body, optional title, date, url, lang, site)."""
    if not isinstance(record, dict):
        raise Skip("not a JSON object")
    doc_id = record.get("id")
    if isinstance(doc_id, int | float) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise Skip("no id")
    doc_id = valid_text(doc_id)
    body = _raw(record, "text") or _raw(record, "body")
    summary = _raw(record, "summary")
    if summary:
        body = f"{summary}\n\n{body}"
    body = _clean(body)
    if not body.strip():
        raise Skip(f"{doc_id}: no text")
    title = _clean(_raw(record, "title"))
    lang = _str(record, "lang").lower()
    date, precision = date_value(record.get("date"))
    if date is None:
        date, precision = date_value(record.get("year"))
        if date is not None and isinstance(record.get("month"), int | str):
            month, _ = date_value(f"{date.year}-{str(record['month']).strip():0>2}")
            date, precision = (month, "month") if month else (date, precision)
    return Document(
        id=doc_id.strip(), title=title or first_sentence(body), body=body,
        date=date, date_precision=precision, url=web_url(_str(record, "url")),
        lang=lang if lang in ("uk", "ru") else "",
        site=site_name(next((_str(record, k) for k in SITE_KEYS if _str(record, k)), "")),
        made_up_title=not title,
    )


def _read(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Skip(f"too large ({size // 2**20} MiB)")
    return path.read_bytes()


class _Inflating:
    """A gzip reader whose damaged deflate data raises BadGzipFile (an OSError, as a bad
    header or CRC does), not zlib's or ISA-L's own error, so the file is skipped, not the run."""

    def __init__(self, f):
        self._f = f
        self.tell, self.close = f.tell, f.close

    def readline(self, size: int) -> bytes:
        try:
            return self._f.readline(size)
        except (zlib.error, isal_zlib.error) as e:
            raise gzip.BadGzipFile(f"damaged gzip data ({e})") from e


class Reading:
    """Where a streamed .jsonl(.gz) is: bytes of the file read so far, of its size."""

    def __init__(self, size: int):
        self.done, self.size = 0, size


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def load_jsonl(path: Path, errors: list[str], max_chars: int = MAX_RECORD_CHARS,
               reading: Reading | None = None):
    """Documents of a JSON-lines file, streamed; bad lines are noted in errors and skipped.

    A record with more than max_chars of text is skipped, without its line ever being held
    whole. Raises Skip when a .gz inflates like a decompression bomb (the records before it
    have been yielded). reading, if given, is kept up to date with the bytes read.
    """
    gz = path.name.lower().endswith(".gz")
    raw_file = open(path, "rb")  # noqa: SIM115 (closed below, with the gzip reader over it)
    # ISA-L's reader inflates in half the CPU of gzip's (0.05 s against 0.13 for the 2k set).
    f = _Inflating(igzip.GzipFile(fileobj=raw_file, mode="rb")) if gz else raw_file
    max_line = 6 * max_chars + 2**20  # JSON may spell a character as \uXXXX
    n = 0

    since = [0, 0]  # (compressed, inflated) bytes where the current window began

    def check():
        done = raw_file.tell()
        if reading is not None:
            reading.done = done
        if gz:
            # Judged per window of BOMB_MIN_BYTES inflated, not over the whole file: a bomb
            # member after gigabytes of ordinary ones would not move the file's ratio.
            inflated = f.tell()
            grew, read = inflated - since[1], done - since[0]
            if grew > BOMB_MIN_BYTES:
                if grew > BOMB_RATIO * max(read, 1):
                    raise Skip(f"not read past line {n}: the gzip inflates more than "
                               f"{BOMB_RATIO}x ({_mib(grew)} from {_mib(read)})")
                since[:] = [done, inflated]

    try:
        while True:
            raw = f.readline(max_line + 1)
            if not raw:
                return
            n += 1
            check()
            if len(raw) > max_line and not raw.endswith(b"\n"):
                size = len(raw)
                del raw
                while chunk := f.readline(2**20):  # the rest of the line, never held whole
                    size += len(chunk)
                    check()
                    if chunk.endswith(b"\n"):
                        break
                errors.append(f"line {n}: record too large ({_mib(size)}; the limit is "
                              f"{max_chars:,} characters of text)")
                continue
            if not raw.strip():
                continue
            try:
                record = json.loads(decode(raw))
                text = sum(len(record.get(k) or "") for k in ("text", "body", "summary")
                           if isinstance(record, dict) and isinstance(record.get(k), str))
                if text > max_chars:
                    raise Skip(f"record too large ({text:,} characters of text; the limit "
                               f"is {max_chars:,})")
                yield from_record(record)
            except (Skip, ValueError, RecursionError) as e:
                errors.append(f"line {n}: {e}")
    finally:
        f.close()
        raw_file.close()


def load_text(path: Path, doc_id: str) -> Document:
    """A saved page: title, date, site and body found among its navigation."""
    text = _clean(decode(_read(path)))
    title, date, body, precision = parse_page(text)
    if not body.strip():
        raise Skip("no text")
    return Document(id=doc_id, title=title or first_sentence(body), body=body, date=date,
                    date_precision=precision, site=site_name(page_site(text)),
                    made_up_title=not title)


def load_html(path: Path, doc_id: str) -> Document:
    """An HTML page: main text, title, date and site extracted by trafilatura."""
    import trafilatura  # slow to import; only HTML needs it

    html = decode(_read(path))
    result = trafilatura.bare_extraction(html, with_metadata=True)
    text = _clean((result.text or "") if result else "")
    if not text.strip():
        raise Skip("no main text found in HTML")
    title = _clean(result.title or "")
    url = web_url(result.url or "")
    date, precision = date_value(result.date)
    return Document(id=doc_id, title=title or first_sentence(text), body=text, date=date,
                    date_precision=precision, url=url, made_up_title=not title,
                    site=site_name(result.sitename or result.hostname or url_host(url) or ""))


def load(path: Path, errors: list[str], doc_id: str | None = None,
         max_chars: int = MAX_RECORD_CHARS, reading: Reading | None = None):
    """All documents in one file; raises Skip if the file as a whole cannot be read.

    doc_id names the document of a one-document file (.txt, .html): by default the file's
    name. A collection's (.jsonl) documents carry their own ids; it is streamed (see
    load_jsonl for max_chars and reading).
    """
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        yield from load_jsonl(path, errors, max_chars, reading)
    elif name.endswith(HTML_SUFFIXES):
        yield load_html(path, doc_id or path.name)
    else:
        yield load_text(path, doc_id or path.name)
