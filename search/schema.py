"""The index schema: one searchable title/body field pair per language."""

from whoosh.columns import RefBytesColumn, VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import PositionBoosts

from search.analysis import language_analyzer
from search.morph import LANGS

KINDS = ("title", "body")  # each language has one searchable field of each kind: title_uk, ...
TITLE_BOOST = 2.5  # a word in the title says more about the document than one in the body


def _text_field(lang: str, boost: float = 1.0) -> TEXT:
    field = TEXT(analyzer=language_analyzer(lang), phrase=True, field_boost=boost)
    # Keep per-position boosts so a word's extra readings weigh less than its first one.
    field.format = PositionBoosts(field_boost=boost)
    return field


def make_schema() -> Schema:
    """A fresh schema instance."""
    fields = {
        "id": ID(stored=True, unique=True),
        # The file a document came from and its size:mtime when indexed, as columns so that an
        # incremental run reads them without loading every stored body.
        "source": ID(stored=True, sortable=True),
        "signature": ID(stored=True, sortable=True),
        # Columns (sortable) so that the ranking engine filters and counts facets over every
        # matching document without loading stored fields.
        "lang": ID(stored=True, sortable=True),
        "site": ID(stored=True, sortable=True),  # the publication or site; "" when unknown
        "title": STORED(),
        "body": STORED(),
        "url": STORED(),
        "date": DATETIME(stored=True, sortable=True),
        "date_precision": STORED(),  # "year" or "month" when the date is known only to that
        # The same as a column, for ranking by freshness (b"year", b"month" or b"").
        "period": COLUMN(RefBytesColumn()),
        # MinHash values of the text's word shingles (search/ingest/dedup.py): near-duplicates.
        "near": COLUMN(VarBytesColumn()),
        "length": NUMERIC(stored=True),
    }
    for lang in LANGS:
        fields[f"title_{lang}"] = _text_field(lang, TITLE_BOOST)
        fields[f"body_{lang}"] = _text_field(lang)
    return Schema(**fields)
