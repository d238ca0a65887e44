"""What a query matches on the cluster, and in what order: the MATCH the embedded policy picks,
then searchd's best candidates ranked as the embedded engine ranks (rescore.py), or a page in
searchd's own order (by date, an old generation, a query of exclusions only)."""

from dataclasses import dataclass

from search.cluster import facets, translate
from search.cluster.client import MAX_BATCH
from search.cluster.config import COPY_GROUP, FIELDS, dist_index
from search.cluster.reads import (
    WHOLE,
    at_least,
    estimate,
    rich_columns,
    rich_rows,
    whole_columns,
    whole_rows,
)
from search.cluster.rescore import (
    CANDIDATE_COLUMNS,
    FIRST_TERM,
    Reranked,
    plan_terms,
    rerank,
    terms_statements,
    with_terms,
)
from search.cluster.shards import TABLE, TOP, Ask, show_meta
from search.engine.policy import DEFAULT
from search.query.parse import parse_query

# As the embedded policy: up to ALL_FIRST_UPTO content words, documents with all of them rank
# first, and fewer than FILL_BELOW of those are followed by documents with some of the words.
# The candidates those MATCHes find are then ranked by the embedded engine's own code
# (rescore.py), which applies the rest of the policy.
FILL_BELOW = DEFAULT.fill_below
ALL_FIRST_UPTO = DEFAULT.all_first_upto
MAX_EXCLUDED_ONLY = 10_000  # a query of only exclusions leaves out at most this many matches
COLUMNS = ("id, WEIGHT() AS w, doc_id, title, body, url, site, lang, has_date, date_ts, "
           "date_precision")  # a hit's
_COLUMN_NAMES = COLUMNS.split(", ")


@dataclass
class Run:
    rows: list
    total: int
    all_words: int
    match: str | None  # the MATCH whose documents are the results (None: every document)
    where: list
    order: list | None = None  # rescored: (row id, score) of the page, its rows not yet read
    # Rescored: counted with the candidates, or asked aside (then with the copy groups' counts:
    # what .result() gives).
    facets: object = None
    ranked: Reranked | None = None  # rescored: the page, and copies among the candidates
    groups: dict | None = None  # rescored, copies collapsed: {row id: copy group}
    page: list | None = None  # rescored, every result read whole: rows (COLUMNS) to page from


def total_of(meta_rows) -> int:
    """total_found of a SHOW META's rows."""
    return int(dict(meta_rows).get("total_found", 0))


def select_sql(gen, match, where, sort, offset, limit, cols, most,
               group_by: str | None = None, table: str | None = None) -> tuple[str, tuple]:
    """The statement of select (most: searchd's max_matches); ordered by the alias w, or by
    WEIGHT() when cols do not name it; with group_by, each group's first row in that order;
    from table (default: the generation's distributed index)."""
    conds = (["MATCH(%s)"] if match else []) + where
    weight = "w" if " AS w" in cols else "WEIGHT()"
    order = translate.order(sort, weight)
    group = f" GROUP BY {group_by} WITHIN GROUP {order}" if group_by else ""
    sql = (f"SELECT {cols} FROM {table or dist_index(gen)}"
           + (" WHERE " + " AND ".join(conds) if conds else "")
           + f"{group} {order} LIMIT {offset}, {_count(limit)} OPTION "
           f"ranker={translate.RANKER}, {translate.field_weights(FIELDS)}, "
           f"{translate.IDF_OPTION}, max_matches={most}")
    return sql, ((match,) if match else None)


def _count(limit: int | str) -> int | str:
    return limit if isinstance(limit, str) else max(limit, 1)


def candidates(gen, match, where, sort, limit, cols=CANDIDATE_COLUMNS) -> list[Ask]:
    """searchd's best `limit` of a MATCH (by its weight, then id: the shards' answers merge
    in that order; each shard returns Ask.per_shard of them), and SHOW META for their
    total."""
    sql, args = select_sql(gen, match, where, sort, 0, TOP, cols, TOP, table=TABLE)
    return [Ask(sql, args, "top", limit=limit), show_meta()]


def whole(gen, match, where, sort, terms, grouped) -> Ask:
    """Every result of a MATCH with at most rescore.WHOLE of them, with every column the
    search needs (searchd stops matching past WHOLE: then they are not every result)."""
    sql, args = select_sql(gen, match, where, sort, 0, WHOLE,
                           whole_columns(COLUMNS, terms, grouped), WHOLE, table=TABLE)
    return Ask(f"{sql}, cutoff={WHOLE}", args, "top", limit=WHOLE)


def select(eng, gen, match, where, sort, offset, limit, cols=COLUMNS) -> tuple[list, int]:
    """(rows, total found) of one page of a MATCH (None: every document) and filters."""
    rows, meta = eng.q(*select_sql(gen, match, where, sort, offset, limit, cols,
                                   max(1000, offset + limit)))
    return (list(rows) if limit else []), int(meta.get("total_found", 0))


def run(eng, gen, text, page, per_page, sort, filters, reader, cross=True, grouped=False):
    """(parsed, Run) of one query text: the page's rows (or order), totals and the MATCH;
    grouped: rescored with each group of copies once."""
    parsed = parse_query(text, langs=filters.langs, reader=reader, crosslang=cross)
    plan = parsed.plan
    content = plan.content()
    n, start, want = len(content), (page - 1) * per_page, page * per_page
    where = translate.where(filters)
    if n == 0:  # only exclusions: everything but their matches
        excluded = translate.excluded_match(plan)
        if excluded:
            ids, _ = eng.q(f"SELECT id FROM {dist_index(gen)} WHERE MATCH(%s) LIMIT "
                           f"{MAX_EXCLUDED_ONLY} OPTION max_matches={MAX_EXCLUDED_ONLY}",
                           (excluded,))
            if ids:
                where = [*where, f"id NOT IN ({', '.join(str(r[0]) for r in ids)})"]
        rows, total = select(eng, gen, None, where, sort, start, per_page)
        return parsed, Run(rows, total, total, None, where)
    every = translate.combine(content, plan.excluded, every=True)
    some = translate.combine(content, plan.excluded, every=False)
    if sort != "date" and eng.ranked():
        return parsed, rescored(eng, gen, plan, every, some, where, start, want, sort, filters,
                                grouped)
    full = select(eng, gen, every, where, sort, start, per_page) if every else ([], 0)
    if n > ALL_FIRST_UPTO:  # a long query: any word, by score alone
        rows, total = select(eng, gen, some, where, sort, start, per_page)
        return parsed, Run(rows, total, full[1], some, where)
    if n < 2 or full[1] >= FILL_BELOW or some is None:
        return parsed, Run(full[0], full[1], full[1], every, where)
    # Too few documents have every word: those with some follow them (by date: mixed).
    if sort == "date":
        rows, total = select(eng, gen, some, where, sort, start, per_page)
        return parsed, Run(rows, total, full[1], some, where)
    first = select(eng, gen, every, where, sort, 0, FILL_BELOW)[0] if every else []
    rest, total = select(eng, gen, some, where, sort, 0, want + len(first))
    seen = {r[0] for r in first}
    rows = (first + [r for r in rest if r[0] not in seen])[start:want]
    return parsed, Run(rows, total, full[1], some, where)


def rescored(eng, gen, plan, every, some, where, start, want, sort, filters,
             grouped=False) -> Run:
    """The page of a query ranked as the embedded engine ranks: searchd's best candidates of
    the MATCH the policy picks (as run's), rescored by rescore.rerank(). Three round trips,
    each to every shard at once (eng.fanout): the candidates (with the terms' frequencies, a
    long query's all-words count, and a short query's results read whole when there are at
    most WHOLE: then that is all); their rank attributes and copy groups (with the facets,
    aside); then the page's rows (by the engine)."""
    n = len(plan.content())
    # Copies shown once leave fewer candidates to page through: a deep page reads more.
    limit = max(eng.candidates, want * 2 if grouped else want)
    terms = plan_terms(plan)
    tally = eng.vocabulary().fields  # the feeder's per-field counts, if it is here
    df, ask, counts = eng.stats.frequencies(gen, terms, tally)
    long = n > ALL_FIRST_UPTO  # a long query: any word, by score alone; every word counted
    match = some if long else every
    est = estimate(plan, df, every=not long) if tally else None
    rich = est is not None and est * max(1, len(terms)) <= eng.rich_work
    first = (candidates(gen, match, where, sort, limit,
                        rich_columns(terms, grouped) if rich else CANDIDATE_COLUMNS)
             if long or every else [])
    if long and every:
        first.append(Ask(f"SELECT COUNT(*) FROM {TABLE} WHERE "
                         f"{' AND '.join(['MATCH(%s)', *where])} OPTION ranker=none", (every,),
                         "sum"))
    # Few results: all of them, read whole in this round trip (not when the tally says there
    # are more than WHOLE: searchd would read WHOLE rows of every column for nothing).
    whole_asked = bool(first) and not long and at_least(plan, df, bool(where)) <= WHOLE
    if whole_asked:
        first.append(whole(gen, match, where, sort, terms, grouped))
    early = len(first) + len(counts) <= MAX_BATCH  # else: only the terms candidates have
    found = eng.fanout(gen, first + counts if early else first) if first or counts else []
    if early:
        eng.stats.learn(gen, ask, found[len(first):], df)
    rows, total = (list(found[0]), total_of(found[1])) if first else ([], 0)
    full_total = (int(found[2][0][0]) if every else 0) if long else total
    read_whole = found[2] if early and whole_asked and total <= WHOLE else None
    if not long and n >= 2 and full_total < FILL_BELOW and some is not None:
        # too few documents have every word: those with some follow them (with their rank
        # attributes when those of every word came too and the tally allows it for any word)
        est = estimate(plan, df, every=False) if rich else None
        rich = est is not None and est * max(1, len(terms)) <= eng.rich_work
        found = eng.fanout(gen, candidates(gen, some, where, sort, limit,
                                           rich_columns(terms, grouped) if rich
                                           else CANDIDATE_COLUMNS))
        rest, total = list(found[0]), total_of(found[1])
        seen = {r[0] for r in rows}
        rows = (rows if rich else [r[:3] for r in rows]) + [r for r in rest if r[0] not in seen]
        match, read_whole = some, None
    eng.last_candidates = [r[0] for r in rows]
    if not rows:
        return Run([], total, full_total, match, where, [], facets.empty())
    size, avg = eng.stats.documents(lambda sql: eng.q(sql, meta=False)[0], gen)

    def ranked_run(got, counted, groups, df, page=None) -> Run:
        """The Run of the candidates got (as with_terms gives them), ranked."""
        ranked = rerank(got, terms, plan, size, avg, df, start, want, sort, groups=groups)
        return Run([], total, full_total, match, where, ranked.order, counted, ranked, groups,
                   page)

    if read_whole is not None or rich:  # the rank attributes came with the candidates
        got, seen, groups = (whole_rows(read_whole, grouped, sort) if read_whole is not None
                             else rich_rows(rows, grouped, sort))
        counted = (facets.counted(seen, filters) if read_whole is not None or total <= len(got)
                   else eng.aside(gen, facets.statements(match, where, grouped, total)))
        return ranked_run(got, counted, groups, df, None if read_whole is None else
                          [r[:len(_COLUMN_NAMES)] for r in read_whole])
    # Every result a candidate: the facets are counted over them, else asked of searchd aside
    # (read by the engine after the page).
    # Copies are counted as the facets are.
    mine = facets.EXTRA if total <= len(rows) else ()
    extra = (*mine, COPY_GROUP) if grouped else mine
    counted = None if mine else eng.aside(gen, facets.statements(match, where, grouped,
                                                                      total))
    statements = terms_statements(terms, rows, extra, sort)
    got = eng.fanout(gen, [a for a, _ in statements])
    rows, extras = with_terms(rows, terms, statements, got, len(extra), sort)
    if mine:
        counted = facets.counted([e[:len(mine)] for e in extras.values()], filters)
    groups = {rid: int(e[-1] or 0) for rid, e in extras.items()} if grouped else None
    if not early:  # many terms: only those some candidate has, in one more round trip
        present = [t for k, t in enumerate(terms) if any(r[FIRST_TERM + k] for r in rows)]
        df, ask, counts = eng.stats.frequencies(gen, present, tally)
        if counts:
            eng.stats.learn(gen, ask, eng.fanout(gen, counts), df)
    return ranked_run(rows, counted, groups, df)
