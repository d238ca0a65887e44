"""A cluster search's result counts by language, year, month (within one year) and source: asked
of searchd, or counted over the candidates when they are every result."""

from collections import Counter

from search.cluster.config import COPY_GROUP
from search.cluster.rows import LANG_CODES, source_hash
from search.cluster.shards import TABLE, Ask

MAX_SOURCES = 50
EXTRA = ("lang", "month", "site")  # what counting over the candidates reads of each
_LANG_NAMES = {code: lang for lang, code in LANG_CODES.items()}
_PER_LANG = 1_000_000  # the key of a (language, month) group: lang * _PER_LANG + YYYYMM
# At most this many (language, month) groups are counted, or (language, month, copy group)
# ones (searchd sets up a sorter of max_matches per query: 100,000 tripled the time).
_GROUPS = 10_000
_SITES = 1000  # sources counted per shard (searchd's default max_matches)
# A MATCH of fewer results than this is counted in one pass: one GROUP BY of (language and
# month, [copy group,] source), whose groups, no more than the results, all fit in
# max_matches. More results: two passes, each with fewer groups.
ONE_PASS = _GROUPS


def empty() -> dict[str, list]:
    return {"lang": [], "year": [], "month": [], "source": []}


def one_year(filters) -> int | None:
    """The year the date filters keep to, if they keep to one (months are counted then)."""
    if filters.date_from and filters.date_to and filters.date_from.year == filters.date_to.year:
        return filters.date_from.year
    return None


def statements(match: str | None, where: list[str], copies: bool, results: int) -> list[Ask]:
    """The GROUP BY statements that count the results of a MATCH (None: every document) and
    filters, unranked: by language and month together (month 0: undated), and by source.
    With copies, they also count them by copy group (collapse.read_counts). Each shard's
    groups are added up (shards.Ask's "groups"), as the head adds its agents' up.

    A MATCH of fewer than ONE_PASS results (as counted with its candidates or page) is
    counted in one pass, one match of it instead of two."""
    conds = " AND ".join((["MATCH(%s)"] if match else []) + where)
    args = (match,) if match else None
    where_sql = f" WHERE {conds}" if conds else ""
    key = f"lang * {_PER_LANG} + month AS k{', ' + COPY_GROUP if copies else ''}"
    by = f"k{', ' + COPY_GROUP if copies else ''}"
    if results < ONE_PASS:
        return [Ask(f"SELECT {key}, site, COUNT(*) AS c FROM {TABLE}{where_sql} GROUP BY {by}, "
                    f"site_hash ORDER BY k ASC LIMIT {_GROUPS} OPTION ranker=none, "
                    f"max_matches={_GROUPS}", args, "groups")]
    site_sql = (f" WHERE {conds} AND " if conds else " WHERE ") + f"site_hash != {source_hash('')}"
    # Fewer groups than max_matches, so every count is exact. Sources: as many groups as the
    # head asks of each agent, the best MAX_SOURCES kept by `read`.
    return [Ask(f"SELECT {key}, COUNT(*) AS c FROM {TABLE}{where_sql} GROUP BY {by} ORDER BY "
                f"k ASC LIMIT {_GROUPS} OPTION ranker=none, max_matches={_GROUPS}", args,
                "groups"),
            Ask(f"SELECT site, COUNT(*) AS c FROM {TABLE}{site_sql} GROUP BY site_hash "
                f"ORDER BY c DESC LIMIT {_SITES} OPTION ranker=none", args, "groups")]


def read(found: list[list], filters) -> dict[str, list]:
    """The facets from the rows of `statements` (one pass or two), in their order."""
    joint: Counter = Counter()
    sites: Counter = Counter()
    for k, *_, c in found[0]:  # (k, [copy group,] [site,] count)
        joint[k // _PER_LANG, k % _PER_LANG] += int(c)
    if len(found) == 1:
        for *_, site, c in found[0]:
            if site:
                sites[site] += int(c)
    else:
        sites.update({site: int(c) for site, c in found[1]})
    top = sorted(sites.items(), key=_by_count)[:MAX_SOURCES]
    return _facets(joint, Counter(dict(top)), filters)


def counted(rows, filters) -> dict[str, list]:
    """The facets of every result, counted here: rows are (lang code, month, site) of each
    (month 0: undated), and the same as `read` gives for them."""
    rows = [(int(lang), int(month or 0), site or "") for lang, month, site in rows]
    sites = Counter(site for _, _, site in rows if site)
    return _facets(Counter((lang, month) for lang, month, _ in rows),
                   Counter(dict(sorted(sites.items(), key=_by_count)[:MAX_SOURCES])), filters)


def _facets(joint: Counter, sites: Counter, filters) -> dict[str, list]:
    """The facets from the counts of each (lang code, month) and of each source."""
    langs, years, months = Counter(), Counter(), Counter()
    year = one_year(filters)
    for (lang, month), c in joint.items():
        langs[_LANG_NAMES[lang]] += c
        if month:
            years[month // 100] += c
            if month // 100 == year:
                months[f"{month // 100:04d}-{month % 100:02d}"] += c
    as_list = lambda pairs: [{"value": str(v), "count": int(c)} for v, c in pairs]  # noqa: E731
    return {"lang": as_list(sorted(langs.items(), key=lambda p: -p[1])),
            "year": as_list(sorted(years.items(), reverse=True)),
            "month": as_list(sorted(months.items())),
            "source": as_list(sorted(sites.items(), key=_by_count))}


def _by_count(pair) -> tuple:
    return -pair[1], pair[0]
