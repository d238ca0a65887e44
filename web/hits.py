"""Search results as the page and the API show them: hits without repeated titles, facets."""

import html
import re

from search.engine import Results
from search.ingest.values import web_url as http_url

# One visible character of the snippet's HTML, or a <mark> tag (the only tags it has).
_TOKEN = re.compile(r"</?mark>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|.", re.S)
_LEADING_SEPARATORS = re.compile(r"^(?:\s|[.:;,|·•–—-]|<mark></mark>)+")
_TAGS = re.compile(r"</?mark>")
FACETS = ("lang", "year", "month", "source")


def drop_title(snippet: str, title: str) -> str:
    """The snippet without the title it starts with (many bodies begin with their headline):
    the snippet says something the title above it does not."""
    want = " ".join(title.split()).casefold()
    if not want:
        return snippet
    seen, in_mark, cut = "", False, None
    for m in _TOKEN.finditer(snippet):
        tok = m.group()
        if tok in ("<mark>", "</mark>"):
            in_mark = tok == "<mark>"
            continue
        char = html.unescape(tok).casefold()
        if char.isspace():
            if seen.endswith(" "):
                continue  # runs of spaces count as one, as in the title
            char = " "
        seen += char
        if not want.startswith(seen):
            return snippet
        if len(seen) == len(want):
            cut = m.end()
            break
    if cut is None:
        return snippet
    rest = ("<mark>" if in_mark else "") + snippet[cut:]
    rest = _LEADING_SEPARATORS.sub("", rest.replace("<mark></mark>", ""))
    # A body that is only its title keeps it: an empty snippet says less.
    return rest if _TAGS.sub("", rest).strip(" …") else snippet


def hit_dict(hit) -> dict:
    """One hit with every field; empty values are None."""
    return {
        "id": hit.id, "title": hit.title, "title_html": hit.title_html,
        "url": http_url(hit.url or "") or None, "date": hit.date or None, "lang": hit.lang,
        "source": hit.source or None,
        "score": hit.score, "snippet": drop_title(hit.snippet, hit.title),
        "duplicates": getattr(hit, "duplicates", 0),
    }


def facets(res: Results) -> dict:
    """Counts per facet value over every match: {"lang": [{"value", "count"}], ...}."""
    return {name: [{"value": f["value"], "count": f["count"]} for f in res.facets.get(name, [])]
            for name in FACETS}
