"""The page of a cluster search once its order is known: its rows read (with the facets and the
copies' counts when searchd counts them), as hits with snippets, each with its copies."""

from dataclasses import fields

from search.cluster import collapse, facets
from search.cluster.matching import COLUMNS, Run
from search.cluster.rows import LANG_CODES, date_of
from search.cluster.shards import IDS, TABLE, Ask, head_form
from search.engine import Hit
from search.snippets import highlight, snippet

_LANG_NAMES = {code: lang for lang, code in LANG_CODES.items()}
_HIT_FIELDS = {f.name for f in fields(Hit)}


def read(eng, gen: str, run: Run, parsed, filters, sort: str, start: int, per_page: int,
         grouped: bool) -> tuple[list[Hit], dict, int]:
    """(hits, facets, results once copies show once) of a run's page; grouped: copies shown
    once (each hit's duplicates set)."""
    counts = None  # results per group of copies, when searchd counted them
    if run.facets is not None:  # rescored: counted with the candidates, or aside
        got = ([run.page] if run.page is not None else
               eng.fanout(gen, [_page_ask(run.order)]) if run.order else [])
        found_facets = run.facets
        if hasattr(run.facets, "result"):  # asked aside
            found, partial = run.facets.result()
            eng.partial = eng.partial or partial
            found_facets = facets.read(found, filters)
            counts = collapse.read_counts(found[0]) if grouped else None
        rows = _in_order(run.order, got[0]) if run.order else []
    else:  # the page's rows are read with the facets, in one round trip
        page_sql = [collapse.page_sql(gen, COLUMNS, run.match, run.where, sort, start,
                                      per_page)] if grouped else []
        found_facets, got, counts = _facets(eng, gen, run, filters, page_sql, grouped)
        rows = got[0] if grouped else run.rows
    hits = [hit(r, parsed) for r in rows]
    return hits, found_facets, (_collapsed(run, rows, hits, counts) if grouped else run.total)


def hit(r, parsed) -> Hit:
    """A hit of a row (COLUMNS), its words marked as parsed found them."""
    _, score, doc_id, title, body, url, site, lang_code, has_date, ts, precision = r[:11]
    lang = _LANG_NAMES[lang_code]
    terms = parsed.terms.get(lang, set())
    new = "source" in _HIT_FIELDS  # the numpy engine's Hit (url None when empty, source)
    extra = {"source": site or None} if new else {}
    return Hit(id=doc_id, title=title, url=(url or None) if new else url,
               date=date_of(ts, has_date, precision)[1], lang=lang, score=float(score),
               snippet=snippet(body, lang, terms, parsed.prefixes),
               title_html=highlight(title, lang, terms, parsed.prefixes), **extra)


def _collapsed(run: Run, rows, hits, counts) -> int:
    """Set each hit's copies among the results; the results once copies show once. Counted
    over the candidates when they are every result, else by searchd (counts)."""
    if counts is None and run.ranked is not None:
        dups = dict(zip((i for i, _ in run.order), run.ranked.duplicates, strict=True))
        for r, h in zip(rows, hits, strict=True):
            h.duplicates = dups.get(r[0], 0)
        return run.ranked.shown
    counts = counts or {}
    for r, h in zip(rows, hits, strict=True):
        group = run.groups.get(r[0], 0) if run.groups is not None else r[-1]
        h.duplicates = collapse.others(group, counts)
    return collapse.shown(run.total, counts)


def _facets(eng, gen, run: Run, filters, first=(), grouped=False) -> tuple[dict, list, dict]:
    """(counts of every result by language, year, month (within one year) and source; the
    rows of the statements `first`, sent in the same batch; when grouped, the results of each
    group of copies)."""
    if not run.total:  # (run.match None with no results: nothing matched, not everything)
        return facets.empty(), (eng.batch(list(first)) if first else []), {}
    found = eng.batch([*first, *head_form(facets.statements(run.match, run.where, grouped,
                                                           run.total), gen)])
    counts = collapse.read_counts(found[len(first)]) if grouped else {}
    return facets.read(found[len(first):], filters), found[:len(first)], counts


def _page_ask(order) -> Ask:
    return Ask(f"SELECT {COLUMNS} FROM {TABLE} WHERE id IN ({IDS}) LIMIT {{n}}",
               ids=tuple(i for i, _ in order))


def _in_order(order, got) -> list:
    """The page's rows in the rescored order, each with its rescored score."""
    by_id = {r[0]: r for r in got}
    return [(i, score, *by_id[i][2:]) for i, score in order if i in by_id]
