"""A cluster search's result counts by language, year, month (within one year) and source: asked
of searchd, or counted over the candidates when they are every result."""

from collections import Counter

from search.cluster.config import dist_index
from search.cluster.rows import LANG_CODES, source_hash

MAX_SOURCES = 50
EXTRA = ("lang", "month", "site")  # what counting over the candidates reads of each
_LANG_NAMES = {code: lang for lang, code in LANG_CODES.items()}


def empty() -> dict[str, list]:
    return {"lang": [], "year": [], "month": [], "source": []}


def one_year(filters) -> int | None:
    """The year the date filters keep to, if they keep to one (months are counted then)."""
    if filters.date_from and filters.date_to and filters.date_from.year == filters.date_to.year:
        return filters.date_from.year
    return None


def statements(gen: str, match: str | None, where: list[str], filters) -> list[tuple]:
    """The GROUP BY statements that count the results of a MATCH (None: every document) and
    filters; searchd ranks none of their matches (ranker=none)."""
    conds = (["MATCH(%s)"] if match else []) + where
    args = (match,) if match else None
    out = []

    def grouped(select, more, group, order, limit=1000):
        cond = " WHERE " + " AND ".join(conds + more) if conds + more else ""
        out.append((f"SELECT {select}, COUNT(*) AS c FROM {dist_index(gen)}{cond} "
                    f"GROUP BY {group} ORDER BY {order} LIMIT {limit} OPTION ranker=none", args))

    grouped("lang", [], "lang", "c DESC")
    grouped("year", ["has_date = 1"], "year", "year DESC")
    grouped("site", [f"site_hash != {source_hash('')}"], "site_hash", "c DESC", MAX_SOURCES)
    year = one_year(filters)
    if year is not None:
        grouped("month", ["has_date = 1", f"year = {year}"], "month", "month ASC")
    return out


def read(found: list[list], filters) -> dict[str, list]:
    """The facets from the rows of `statements`, in their order."""
    langs, years, sites = found[:3]
    months = found[3] if one_year(filters) is not None else []
    return _listed(((_LANG_NAMES[g], c) for g, c in langs), years,
                   ((_month(m), c) for m, c in months), sites)


def counted(rows, filters) -> dict[str, list]:
    """The facets of every result, counted here: rows are (lang code, month, site) of each
    (month 0: undated), and the same as `read` gives for them."""
    rows = [(int(lang), int(month or 0), site or "") for lang, month, site in rows]
    langs = Counter(lang for lang, _, _ in rows)
    years = Counter(m // 100 for _, m, _ in rows if m)
    sites = Counter(site for _, _, site in rows if site)
    year = one_year(filters)
    months = Counter(m for _, m, _ in rows if m and m // 100 == year)
    top = sorted(sites.items(), key=lambda p: (-p[1], p[0]))[:MAX_SOURCES]
    return _listed(((_LANG_NAMES[g], c) for g, c in sorted(langs.items(), key=lambda p: -p[1])),
                   sorted(years.items(), reverse=True),
                   ((_month(m), c) for m, c in sorted(months.items())), top)


def _month(m: int) -> str:
    return f"{m // 100:04d}-{m % 100:02d}"


def _listed(langs, years, months, sites) -> dict[str, list]:
    as_list = lambda pairs: [{"value": str(v), "count": int(c)} for v, c in pairs]  # noqa: E731
    return {"lang": as_list(langs), "year": as_list(years), "month": as_list(months),
            "source": as_list(sorted(sites, key=lambda p: (-int(p[1]), p[0])))}
