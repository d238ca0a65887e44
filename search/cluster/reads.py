"""What a rescored search reads with its candidates, to save round trips: the rank attributes
when the MATCH has few results (rescore.py reads them by id otherwise), and every column a
page needs when it has very few."""

from search.cluster.config import COPY_GROUP, RANK_JSON
from search.cluster.rescore import CANDIDATE_COLUMNS, DATE_COLUMNS, RANK_COLUMNS, UNDATED
from search.cluster.rows import rank_bucket, rank_key
from search.query.plan import Plan, Term

# The rank attributes are read with the candidates themselves when the feeder's tally says
# searchd would work out at most RICH_WORK JSON cells for the MATCH's results (matches times
# terms): then the second round trip (their rank attributes by id) is saved. Each shard
# returns only its best Ask.per_shard rows, but works a JSON column out for every match
# (0.1-0.3 us a cell): at 50,000 paragraphs the candidates of a 1-word query of 1,000-10,000
# results cost 0.6-2.5 ms more a shard, about what reading them by id costs (1.2-2.7 ms), and
# the round trip (a wake-up of every shard's searchd and of this process) goes; 6,000
# matches of 30 terms would cost 45 ms more.
RICH_WORK = 40_000


def estimate(plan: Plan, df: dict, every: bool = True) -> int | None:
    """At most how many documents have every content clause of the plan (every=False: any
    of them; each clause: its terms' per-field frequencies added up), None when a frequency
    is not known."""
    out = None
    for clause in plan.content():
        n = 0
        for t in clause.terms:
            if (t.field, t.text) not in df:
                return None
            n += df[t.field, t.text]
        for phrase in clause.phrases:
            steps = [[df.get((t.field, t.text)) for t in step] for step in phrase]
            if any(None in step for step in steps):
                return None
            n += min((sum(step) for step in steps), default=0)
        out = n if out is None else min(out, n) if every else out + n
    return out


def at_least(plan: Plan, df: dict, filtered: bool) -> int:
    """At least how many documents the MATCH of a one-clause plan finds (any document with one
    of its words does), 0 when that is not known: more clauses, phrases, exclusions, filters
    (filtered), or frequencies not known. A stale tally (documents deleted since) overstates
    it: then a result read whole is read by the longer way."""
    content = plan.content()
    if filtered or plan.excluded or len(content) != 1 or content[0].phrases:
        return 0
    return max((df.get((t.field, t.text), 0) for t in content[0].terms), default=0)


def rich_columns(terms: list[Term], grouped: bool) -> str:
    """CANDIDATE_COLUMNS, then RANK_COLUMNS, DATE_COLUMNS, month, site, the copy group (when
    grouped) and every term's rank attribute (NULL in a document of another language)."""
    keys = [rank_key(t.field, t.text) for t in terms]
    return ", ".join([CANDIDATE_COLUMNS, RANK_COLUMNS, DATE_COLUMNS, "month", "site",
                      *([COPY_GROUP] if grouped else []),
                      *(f"{RANK_JSON}.{rank_bucket(k)}.{k}" for k in keys)])


def rich_rows(rows, grouped: bool, sort: str) -> tuple[list, list, dict | None]:
    """(rows as with_terms gives them, (lang, month, site) of each for the facets, {row id:
    copy group} when grouped) of the rows of rich_columns."""
    first = 11 + grouped  # where the terms' columns start
    ranked = [(r[0], r[2], r[3], r[4], r[5], *(r[6:9] if sort == "recent" else UNDATED),
               *r[first:]) for r in rows]
    groups = {r[0]: int(r[11] or 0) for r in rows} if grouped else None
    return ranked, [(r[2], r[9], r[10]) for r in rows], groups


# A MATCH with at most WHOLE results is read whole in the candidates' round trip, every
# column a rescoring, a page, the facets and the copies need: searchd stops matching there
# (cutoff), so a larger one costs only WHOLE rows' reading. Phrases have 4 results at the
# median at 50,000 paragraphs: one round trip instead of three.
WHOLE = 20
_WHOLE_FIRST = 11  # the page's columns (matching.COLUMNS) come first


def whole_columns(page_columns: str, terms: list[Term], grouped: bool) -> str:
    """The page's columns, then RANK_COLUMNS, month, the copy group (when grouped) and every
    term's rank attribute (NULL in a document of another language)."""
    keys = [rank_key(t.field, t.text) for t in terms]
    return ", ".join([page_columns, RANK_COLUMNS, "month", *([COPY_GROUP] if grouped else []),
                      *(f"{RANK_JSON}.{rank_bucket(k)}.{k}" for k in keys)])


def whole_rows(rows, grouped: bool, sort: str) -> tuple[list, list, dict | None]:
    """(rows as with_terms gives them, (lang, month, site) of each for the facets, {row id:
    copy group} when grouped) of the rows of whole_columns."""
    first = _WHOLE_FIRST + 4 + grouped  # where the terms' columns start
    ranked = [(r[0], r[7], r[11], r[12], r[13], *(r[8:11] if sort == "recent" else UNDATED),
               *r[first:]) for r in rows]
    groups = {r[0]: int(r[15] or 0) for r in rows} if grouped else None
    return ranked, [(r[7], r[14], r[6]) for r in rows], groups
