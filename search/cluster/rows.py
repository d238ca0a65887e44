"""A document as a row of a shard: lemma text for matching, the original text as attributes."""

import functools
import hashlib
import json
import re
from datetime import UTC, datetime

from pymysql.converters import escape_string as _escape

from search.cluster.config import COPY_GROUP, FIELDS, RANK_JSON, RANK_ORDINAL
from search.ingest import dedup
from search.ingest.indexer import document_fields
from search.morph import EXTRA_BOOST, LANGS, lemmas
from search.schema import KINDS, make_schema
from search.text import tokenize

# Characters a lemma may keep as they are: what config.CHARSET calls word characters.
_PLAIN = re.compile(r"^[0-9a-z_\u00df-\u024f\u0370-\u03ff\u0400-\u052f'\-]+$")
_STAND_IN = str.maketrans({"'": "\u02bc", "-": "\u2010"})
_BACK = str.maketrans({"\u02bc": "'", "\u2010": "-"})
LANG_CODES = {lang: i for i, lang in enumerate(LANGS)}
COLUMNS = ("id", *FIELDS, "doc_id", "title", "body", "url", "site", "source", "signature",
           "date_precision", "lang", "has_date", "year", "month", "date_ts", "source_hash",
           "site_hash", "len_title", "len_body", COPY_GROUP, RANK_JSON,
           RANK_ORDINAL)  # the writer: the last


def token(lemma: str) -> str:
    """A lemma as one searchd word: apostrophe and hyphen by word-character stand-ins, and a
    lemma in another script (CJK, Arabic, ...) by a hash of it, the same in documents and
    queries."""
    if _PLAIN.match(lemma):
        return lemma.translate(_STAND_IN)
    return "q" + hashlib.blake2b(lemma.encode(), digest_size=8).hexdigest()


def lemma_of(tok: str) -> str | None:
    """The lemma a token stands for (None for a hashed one)."""
    if tok.startswith("q") and len(tok) == 17 and not _PLAIN.match(tok.translate(_BACK)[1:]):
        return None
    return tok.translate(_BACK)


def escape_string(text: str) -> str:
    return "'" + _escape(text) + "'"


def row_id(doc_id: str) -> int:
    """A stable positive 63-bit id for a document id (which also picks its shard)."""
    n = int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "big") >> 1
    return n or 1


def source_hash(source: str) -> int:
    return int.from_bytes(hashlib.blake2b(source.encode(), digest_size=8).digest(), "big") >> 1


def shard_of(rid: int, shards: int) -> int:
    return rid % shards


def analyse(field: str, text: str, lang: str) -> tuple[list[str], list[str], int, dict]:
    """(first reading of each word; second reading of each word, then the rest; the field's
    length; its rank attributes) of a field's text.

    The first two are searchd tokens. Both fields keep one token per word position, so a
    phrase matches in either: in the first when every word's first reading fits, in the
    second when the second (or only) reading does (pymorphy3's first Ukrainian reading is
    often wrong: війни -> війнути). A word's third and later readings follow the aligned part
    of the second field. The words and readings are those of the index's analysis chain
    (analysis.language_analyzer: tokenize, then lemmas, every reading at the word's position,
    the first weighing 1 and the others EXTRA_BOOST), taken word by word with a cache.

    The length and rank attributes are what the embedded index holds for the field: its
    length counts every reading, and each lemma has {rank_key: [weight, position, ...]}, its
    weight the summed reading weights times the schema field's boost (title 2.5).
    """
    boost = _schema()[field].format.field_boost
    first, second, rest = [], [], []
    weights: dict[str, float] = {}
    positions: dict[str, list[int]] = {}
    length = 0
    for pos, (word, _, _) in enumerate(tokenize(text)):
        a, b, more = _readings(word, lang)
        first.append(a)
        second.append(b)
        rest.extend(more)
        found = lemmas(word, lang)
        length += len(found)
        for i, lemma in enumerate(found):
            weights[lemma] = weights.get(lemma, 0.0) + (1.0 if i == 0 else EXTRA_BOOST)
            positions.setdefault(lemma, []).append(pos)
    ranks = {rank_key(field, t): [_number(w * boost), *positions[t]] for t, w in weights.items()}
    return first, second + rest, length, ranks


def _number(x: float):
    return int(x) if x == int(x) else x  # "5" rather than "5.0": rows are stored as text


@functools.lru_cache(maxsize=500_000)
def _readings(word: str, lang: str) -> tuple[str, str, tuple[str, ...]]:
    found = [token(t) for t in lemmas(word, lang)] or [token(word)]
    return found[0], found[1] if len(found) > 1 else found[0], tuple(found[2:])


@functools.lru_cache(maxsize=500_000)
def rank_key(field: str, term: str) -> str:
    """The key of a term of a field in a row's ranks JSON: short, lower-case ASCII whatever
    the script (k + 40 bits of a hash in base 36; a query term meets another term's key in
    one of its candidates about once in 10**9 lookups)."""
    n = int.from_bytes(hashlib.blake2b(f"{field}\0{term}".encode(), digest_size=5).digest(),
                       "big")
    digits = ""
    while n:
        n, d = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
    return "k" + digits.rjust(8, "0")


def rank_bucket(key: str) -> str:
    """The bucket of the ranks JSON that holds a key."""
    return "b" + key[-1]


@functools.cache
def _schema():
    return make_schema()


def make_row(doc, source: str, signature: str) -> tuple[dict, set[str]]:
    """(row, the `lang:token` and `field:token` keys it holds) of one document: the tally
    counts documents by the first (the IDF, the vocabulary) and by the second (the rescoring's
    per-field document frequencies, as `@(field,field_x) token` would count them). The row's
    "near" is its near-duplicate signature (not a column: groups.py links copies by it); its
    copy group is 0 until groups.py sets it."""
    f = document_fields(doc, source, signature)
    lang = f["lang"]
    row = dict.fromkeys(FIELDS, "")
    terms: set[str] = set()
    ranks: dict[str, list] = {}
    for kind in KINDS:
        # The fields document_fields indexes (a made-up title is shown, not indexed).
        first, extra, row[f"len_{kind}"], found = analyse(f"{kind}_{lang}",
                                                          f.get(f"{kind}_{lang}") or "", lang)
        ranks.update(found)
        row[f"{kind}_{lang}"] = " ".join(first)
        row[f"{kind}_{lang}_x"] = " ".join(extra)
        terms.update(f"{lang}:{t}" for t in first)
        terms.update(f"{lang}:{t}" for t in extra)
        terms.update(f"{kind}_{lang}:{t}" for t in first)
        terms.update(f"{kind}_{lang}:{t}" for t in extra)
    date = f.get("date")
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    row.update(
        id=row_id(doc.id), doc_id=doc.id, title=doc.title, body=doc.body, url=doc.url or "",
        site=f.get("site") or "", source=source, signature=signature,
        date_precision=f.get("date_precision") or "", lang=LANG_CODES[lang],
        has_date=int(date is not None), date_ts=int(date.timestamp()) if date else 0,
        year=date.year if date else 0, month=date.year * 100 + date.month if date else 0,
        source_hash=source_hash(source), site_hash=source_hash(f.get("site") or ""),
        near=f.get(dedup.FIELD, b""),
    )
    row[COPY_GROUP] = 0
    # In 36 buckets by the key's last character: searchd finds a key by reading an object's
    # keys in turn, so a query term is found among a bucket's few keys, not among hundreds.
    buckets: dict[str, dict] = {}
    for key, value in ranks.items():
        buckets.setdefault(rank_bucket(key), {})[key] = value
    row[RANK_JSON] = json.dumps(buckets, separators=(",", ":"))
    return row, terms


def values_sql(row: dict) -> str:
    """The row as a SQL VALUES tuple, escaped once (it goes to every mirror as it is), but
    for its ordinal: the writer adds it (`with_ordinal`) in the order rows are written."""
    return "(" + ",".join(str(v) if isinstance(v, int) else escape_string(v)
                          for v in (row[c] for c in COLUMNS[:-1]))


def with_ordinal(values: str, ordinal: int) -> str:
    """values_sql's text completed with the row's ordinal."""
    return f"{values},{ordinal})"


def date_of(ts: int, has_date: int, precision: str) -> tuple[datetime | None, str | None]:
    """(datetime, shown date) of a row's date attributes."""
    if not has_date:
        return None, None
    d = datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)
    shown = {"year": d.strftime("%Y"), "month": d.strftime("%Y-%m")}.get(precision,
                                                                          d.date().isoformat())
    return d, shown
