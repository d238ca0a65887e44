"""Near-duplicates shown once on the cluster, as the embedded engine shows them: each group of
copies (a row's copy_group, set by the feeder: search/cluster/groups.py) stands as its best
match, with how many of its other copies matched."""

from search.cluster import matching
from search.cluster.config import COPY_GROUP

# A row's group, or the row alone: what the page of searchd's own order is grouped by.
_ALONE = f"IF({COPY_GROUP} = 0, id, {COPY_GROUP}) AS g"


def read_counts(rows) -> dict[int, int]:
    """{copy group: its results} from the rows of the facets' first statement asked with
    copies (facets.statements): (language and month, copy group, [source,] results) each."""
    out: dict[int, int] = {}
    for _, group, *_, n in rows:
        if group:
            out[int(group)] = out.get(int(group), 0) + int(n)
    return out


def shown(total: int, counts: dict[int, int]) -> int:
    """Results once each group of copies shows once."""
    return total - sum(counts.values()) + len(counts)


def others(group: int, counts: dict[int, int]) -> int:
    """A shown result's copies among the results (besides itself)."""
    return counts.get(int(group), 1) - 1 if group else 0


def page_sql(gen: str, cols: str, match: str | None, where: list[str], sort: str, offset: int,
             limit: int) -> tuple[str, tuple | None]:
    """A page of searchd's own order (by date, or of a query of exclusions only) with each
    group of copies once, as its first row in that order; rows are cols, then the group (a
    row without copies: its own id)."""
    return matching.select_sql(gen, match, where, sort, offset, limit, f"{cols}, {_ALONE}",
                               max(1000, offset + limit), group_by="g")
