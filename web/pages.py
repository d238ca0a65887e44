"""HTML pages: home, results, one document, the OpenSearch description."""

import calendar
import math
from urllib.parse import quote, urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from search.engine.filters import site_key
from search.query.parse import QueryError
from web import document as documents
from web.document import FIRST_MATCH, web_url
from web.hits import facets, hit_dict
from web.i18n import STRINGS, explicit_ui, ui_lang
from web.index import IndexUnavailable, doc_count
from web.searching import (
    MAX_PAGE,
    MAX_QUERY_CHARS,
    SEARCH_ARGS,
    ParamError,
    run_search,
    shown_total,
)

bp = Blueprint("pages", __name__)

STATE_ARGS = (*SEARCH_ARGS, "ui")


def _page(template: str, http_status: int = 200, **context):
    ui = ui_lang()
    html = render_template(template, t=STRINGS[ui], ui=ui, ui_param=explicit_ui(),
                           max_query=MAX_QUERY_CHARS, same_page=same_page, **context)
    resp = make_response(html, http_status)
    resp.vary.add("Accept-Language")  # the page language follows the header
    return resp


def render_error(status: int):
    """A friendly error page in the site layout (no internals: those go to the log)."""
    t = STRINGS[ui_lang()]
    return _page("error.html", status, status=status,
                 text=t.get(f"error_{status}", t["error_500"]))


def search_state(args=None) -> list[tuple[str, str]]:
    """The arguments that make up a search (and the interface language), empty ones left out:
    links to a document carry them so its page can lead back to the same results."""
    args = request.args if args is None else args
    return [(k, v) for k, v in args.items(multi=True) if k in STATE_ARGS and v != ""]


def doc_path(doc_id: str) -> str:
    """The path of our copy of a document: /doc/<id, path-quoted>, or /doc?id= for an id that a
    browser would change as a path (".." and "." segments, empty ones, a leading slash)."""
    segments = doc_id.split("/")
    if any(s in ("", ".", "..") for s in segments):
        return f"{url_for('pages.document_by_id')}?{urlencode({'id': doc_id})}"
    return url_for("pages.home") + "doc/" + quote(doc_id, safe="/")


def doc_url(doc_id: str) -> str:
    """Our copy of a document, keeping the search it was opened from."""
    base = doc_path(doc_id)
    state = urlencode(search_state())
    return f"{base}{'&' if '?' in base else '?'}{state}" if state else base


def back_url() -> str:
    """From a document back to the search it was opened from, or home."""
    state = search_state()
    if any(k == "q" for k, _ in state):
        return f"{url_for('pages.results')}?{urlencode(state)}"
    ui = explicit_ui()
    return url_for("pages.home", **({"ui": ui} if ui else {}))


def same_page(**changes) -> str:
    """This path with some query arguments replaced, or removed when the value is None (never
    url_for: args could set _scheme)."""
    # Only the arguments a search is made of: anything else a visitor added is not copied into
    # every facet and page link.
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in STATE_ARGS])
    for k, v in changes.items():
        args.pop(k, None)
        if v is not None:
            args.setlist(k, v if isinstance(v, list | tuple) else [str(v)])
    path = quote("/" + request.path.lstrip("/"))  # "//host" would link off-site
    return f"{path}?{urlencode(list(args.items(multi=True)))}"


def feed_url() -> str:
    """The Atom feed of this search (its newest results)."""
    state = [(k, v) for k, v in request.args.items(multi=True)
             if k in SEARCH_ARGS and k not in ("page", "per_page", "sort") and v != ""]
    return f"{url_for('feed.atom')}?{urlencode(state)}"


def page_url(page: int) -> str:
    return same_page(page=page)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and those near page; None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - out[-1] > 1:
            out.append(None if n - out[-1] > 2 else n - 1)
        out.append(n)
    return out


def page_links(page: int, pages: int) -> list[tuple[int | None, str]]:
    """page_numbers with a CSS class each: far numbers hide on a phone, leaving an ellipsis."""
    numbers = page_numbers(page, pages)
    far = [n is not None and n not in (1, pages) and abs(n - page) > 1 for n in numbers]
    out: list[tuple[int | None, str]] = []
    for i, n in enumerate(numbers):
        if n is None:
            out.append((None, "gap"))
            continue
        # A run of far numbers with no gap beside it would vanish without a trace on a phone.
        if far[i] and (i == 0 or not far[i - 1]) and (i == 0 or numbers[i - 1] is not None):
            j = i
            while j < len(numbers) and far[j]:
                j += 1
            if j == len(numbers) or numbers[j] is not None:
                out.append((None, "gap narrow"))
        out.append((n, "far" if far[i] else ""))
    return out


@bp.get("/")
def home():
    return _page("index.html", doc_count=doc_count(), q="")


@bp.get("/search")
def results():
    if not request.args.get("q", "").strip():
        ui = explicit_ui()
        return redirect(url_for("pages.home", **({"ui": ui} if ui else {})))
    form = request.args
    try:
        params, res = run_search(request.args)
    except (ParamError, QueryError) as e:
        t = STRINGS[ui_lang()]
        message = (t["bad_param"].format(param=e.param) if isinstance(e, ParamError)
                   else t["bad_query"])
        return _page("results.html", 400, q=form.get("q", ""), form=form, error=message,
                     res=None)
    except IndexUnavailable:
        return _page("results.html", 503, q=form.get("q", ""), form=form,
                     error=STRINGS[ui_lang()]["error_503"], res=None)
    shown = shown_total(params, res)
    pages = max(1, min(math.ceil(shown / params.per_page), MAX_PAGE))
    return _page("results.html", q=params.q, form=form, params=params, res=res, error=None,
                 hits=[hit_dict(h) for h in res.hits], facets=facets(res),
                 filters=active_filters(params), clear_url=clear_filters_url(),
                 pages=pages, page_links=page_links(res.page, pages), web_url=web_url,
                 doc_url=doc_url, page_url=page_url, facet_url=facet_url,
                 facet_active=facet_active, feed_url=feed_url(), shown_total=shown)


FILTER_ARGS = ("lang", "from", "to", "source")


def active_filters(params) -> int:
    """How many filters narrow the results (the folded filter panel says so)."""
    return sum(map(bool, (params.lang, params.date_from or params.date_to, params.sources)))


def clear_filters_url() -> str:
    return same_page(page=None, **dict.fromkeys(FILTER_ARGS))


def _facet_args(name: str, value: str) -> dict[str, str]:
    if name == "year":
        return {"from": f"{value}-01-01", "to": f"{value}-12-31"}
    if name == "month":
        year, month = map(int, value.split("-"))
        return {"from": f"{value}-01", "to": f"{value}-{calendar.monthrange(year, month)[1]:02d}"}
    return {name: value}


def facet_url(name: str, value: str) -> str:
    """This search narrowed to one facet value, from its first page."""
    return same_page(page=None, **_facet_args(name, value))


def facet_active(name: str, value: str) -> bool:
    """Whether the search is already narrowed to this facet value."""
    if name == "source":
        return site_key(value) in {site_key(s) for s in request.args.getlist("source")}
    return all(request.args.get(k) == v for k, v in _facet_args(name, value).items())


@bp.get("/doc")
def document_by_id():
    """The same page for any id, given as ?id= (the link for ids a path cannot carry)."""
    doc_id = request.args.get("id", "")
    if not doc_id:
        abort(404)
    return document(doc_id)


@bp.get("/doc/<path:doc_id>")
def document(doc_id):
    q = request.args.get("q", "")
    doc = documents.load(doc_id, q)
    if doc is None:
        abort(404)
    return _page("doc.html", doc=doc, url=web_url(doc["url"]), q=q, back_url=back_url(),
                 first_match=FIRST_MATCH, related=documents.related(doc_id, 5) or [],
                 doc_url=doc_url, web_url=web_url)


@bp.get("/opensearch.xml")
def opensearch():
    ui = ui_lang()
    # Absolute only from SEARCH_PUBLIC_URL: the Host header is the client's to choose.
    base = current_app.config["SEARCH_PUBLIC_URL"]
    xml = render_template("opensearch.xml", t=STRINGS[ui],
                          search_url=base + url_for("pages.results"),
                          suggest_url=base + url_for("api.opensearch_suggestions"),
                          home_url=base + url_for("pages.home"))
    resp = make_response(xml)
    resp.mimetype = "application/opensearchdescription+xml"
    return resp
