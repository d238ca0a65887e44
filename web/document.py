"""One stored document for the page and the API: its fields, with the query's words marked."""

from search.engine.results import shown_date
from search.ingest.values import web_url as http_url
from search.query.correct import layout_fix, spelling_fix
from search.query.parse import QueryError, parse_query
from search.snippets import highlight
from web.hits import hit_dict
from web.index import get_engine
from web.searching import MAX_QUERY_CHARS

FIRST_MATCH = "first-match"  # the id of the first marked word in the body, for a jump link


def web_url(url) -> str | None:
    """The URL if it is a web link (an index written before ingest checked them may hold
    javascript: and the like: those are never returned nor linked)."""
    return http_url(url or "") or None


def _marked(stored: dict, text: str) -> tuple[str, str]:
    lang = stored["lang"]
    # Under the engine's lock: another thread's search may refresh the searcher meanwhile.
    parsed = get_engine().with_reader(
        lambda reader: parse_query(text, langs=(lang,), reader=reader))
    terms = parsed.terms.get(lang, set())
    return (highlight(stored["title"], lang, terms, parsed.prefixes),
            highlight(stored["body"], lang, terms, parsed.prefixes))


def _highlighted(stored: dict, q: str) -> tuple[str, str]:
    """(title_html, body_html) with q's words marked; a query the search corrected (wrong
    layout, misspelling) marks the words that were searched instead."""
    plain = (highlight(stored["title"], stored["lang"], set()),  # escaped, nothing marked
             highlight(stored["body"], stored["lang"], set()))
    if not q.strip():
        return plain
    try:
        title_html, body_html = _marked(stored, q)
    except QueryError:
        return plain  # nothing to mark: show the plain text
    if "<mark>" in title_html + body_html:
        return title_html, body_html
    langs = (stored["lang"],)
    fixed = get_engine().with_reader(
        lambda reader: layout_fix(q, reader, langs) or spelling_fix(q, reader, langs))
    return _marked(stored, fixed) if fixed else (title_html, body_html)


def load(doc_id: str, q: str = "") -> dict | None:
    """The document's stored fields, title_html/body_html (escaped, q's words in <mark>, the
    first one in the body with id FIRST_MATCH) and how many words are marked; None if absent."""
    stored = get_engine().document(doc_id)
    if stored is None:
        return None
    title_html, body_html = _highlighted(stored, q[:MAX_QUERY_CHARS])
    return {
        "id": stored["id"], "title": stored["title"], "url": web_url(stored.get("url")),
        "date": shown_date(stored), "lang": stored["lang"],
        "source": stored.get("site") or None, "body": stored["body"],
        "title_html": title_html,
        "body_html": body_html.replace("<mark>", f'<mark id="{FIRST_MATCH}">', 1),
        "matches": title_html.count("<mark>") + body_html.count("<mark>"),
        "copies": [hit_dict(h) for h in copies(doc_id)],
    }


def copies(doc_id: str) -> list:
    """The document's near-duplicates."""
    engine = get_engine()
    if not hasattr(engine._engine, "copies"):
        return []
    return engine.copies(doc_id) or []


def related(doc_id: str, per_page: int) -> list[dict] | None:
    """Hits most like the document (more like this), or None if there is no such document;
    [] on a cluster, which has no per-document term statistics here."""
    engine = get_engine()
    if not hasattr(engine._engine, "related"):
        return None if engine.document(doc_id) is None else []
    found = engine.related(doc_id, per_page)
    return None if found is None else [hit_dict(h) for h in found]
