"""HTML pages: home, results, one document, the OpenSearch description."""

import math
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from search.query import QueryError, parse_query
from search.snippets import highlight
from web.i18n import STRINGS, explicit_ui, ui_lang
from web.index import IndexUnavailable, doc_count, get_engine
from web.searching import MAX_QUERY_CHARS, ParamError, run_search

bp = Blueprint("pages", __name__)


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


def link_for(hit) -> str:
    """Only web links go to the source; anything else (javascript:, files) shows our copy."""
    if urlsplit(hit.url).scheme in ("http", "https"):
        return hit.url
    return url_for("pages.document", doc_id=hit.id)


def same_page(**changes) -> str:
    """This path with some query arguments replaced (never url_for: args could set _scheme)."""
    args = request.args.to_dict()
    args.update({k: str(v) for k, v in changes.items()})
    path = "/" + request.path.lstrip("/")  # "//host" would link off-site
    return f"{path}?{urlencode(args)}"


def page_url(page: int) -> str:
    return same_page(page=page)


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
    pages = max(1, math.ceil(res.total / params.per_page))
    return _page("results.html", q=params.q, form=form, params=params, res=res, error=None,
                 pages=pages, link_for=link_for, page_url=page_url)


@bp.get("/doc/<path:doc_id>")
def document(doc_id):
    doc = get_engine().document(doc_id)
    if doc is None:
        abort(404)
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]
    title_html = body_html = None
    if q.strip():
        try:
            parsed = parse_query(q, langs=(doc["lang"],), reader=get_engine().searcher().reader())
            terms = parsed.terms.get(doc["lang"], set())
            title_html = highlight(doc["title"], doc["lang"], terms, parsed.prefixes)
            body_html = highlight(doc["body"], doc["lang"], terms, parsed.prefixes)
        except QueryError:
            pass  # nothing to highlight; show the plain text
    date = doc["date"].date().isoformat() if doc.get("date") else None
    url = doc.get("url") or ""
    safe_url = url if urlsplit(url).scheme in ("http", "https") else ""
    return _page("doc.html", doc=doc, date=date, url=safe_url, q=q,
                 title_html=title_html, body_html=body_html)


@bp.get("/opensearch.xml")
def opensearch():
    ui = ui_lang()
    xml = render_template("opensearch.xml", t=STRINGS[ui],
                          search_url=url_for("pages.results", _external=True),
                          home_url=url_for("pages.home", _external=True))
    resp = make_response(xml)
    resp.mimetype = "application/opensearchdescription+xml"
    return resp
