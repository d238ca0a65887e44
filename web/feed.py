"""An Atom feed per search: the newest 50 results of the same search the page and API run."""

import hashlib
import html
import re
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, request, url_for

from web.document import web_url
from web.hits import hit_dict
from web.i18n import STRINGS, ui_lang
from web.searching import SEARCH_ARGS, check_known, run_search

bp = Blueprint("feed", __name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50
FEED_MAX_AGE = 300  # seconds: feed readers poll; a new commit shows within five minutes
_TAGS = re.compile(r"<[^>]+>")
# A feed of results that were never dated: their entries still need an <updated>.
NO_DATE = "1970-01-01T00:00:00Z"


def _stamp(date: str | None) -> str:
    """A shown date (YYYY, YYYY-MM or YYYY-MM-DD) as an RFC 3339 time, or NO_DATE."""
    if not date:
        return NO_DATE
    parts = [int(p) for p in date.split("-")] + [1, 1]
    return datetime(parts[0], parts[1], parts[2], tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain(snippet_html: str) -> str:
    """A snippet's HTML as plain text."""
    return html.unescape(_TAGS.sub("", snippet_html))


def feed_args():
    """The search's arguments for the feed: newest first, one page of FEED_ENTRIES."""
    args = request.args.copy()
    for name in ("sort", "page", "per_page"):
        args.pop(name, None)
    args["sort"], args["per_page"] = "date", str(FEED_ENTRIES)
    return args


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def render(params, hits: list[dict]) -> bytes:
    """The Atom document of a search's hits."""
    t = STRINGS[ui_lang()]
    state = [(k, v) for k, v in request.args.items(multi=True) if k in SEARCH_ARGS and v]
    page_url = url_for("pages.results", _external=True) + "?" + urlencode(state)
    root = ET.Element(f"{{{ATOM}}}feed")
    _sub(root, "id", page_url)
    _sub(root, "title", t["feed_title"].format(q=params.q))
    _sub(root, "link", rel="self", type="application/atom+xml", href=request.url)
    _sub(root, "link", rel="alternate", type="text/html", href=page_url)
    _sub(root, "updated", max((_stamp(h["date"]) for h in hits), default=NO_DATE))
    _sub(_sub(root, "author"), "name", t["site_name"])
    for hit in hits:
        entry = _sub(root, "entry")
        ours = url_for("pages.document", doc_id=hit["id"], _external=True)
        _sub(entry, "id", ours)
        _sub(entry, "title", hit["title"])
        _sub(entry, "link", rel="alternate", type="text/html", href=ours)
        if web_url(hit["url"]):
            _sub(entry, "link", rel="via", href=hit["url"])
        _sub(entry, "updated", _stamp(hit["date"]))
        _sub(_sub(entry, "author"), "name", hit["source"] or t["unknown_source"])
        _sub(entry, "summary", plain(hit["snippet"]), type="text")
    ET.register_namespace("", ATOM)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@bp.get("/search.atom")
def atom():
    check_known(request.args, (*SEARCH_ARGS, "ui"))
    params, res = run_search(feed_args())
    body = render(params, [hit_dict(h) for h in res.hits])
    resp = Response(body, mimetype="application/atom+xml")
    resp.set_etag(hashlib.sha256(body).hexdigest()[:32])
    resp.headers["Cache-Control"] = f"public, max-age={FEED_MAX_AGE}"
    resp.vary.add("Accept-Language")  # the feed's title follows the interface language
    return resp.make_conditional(request)
