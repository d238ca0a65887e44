"""Filters (language, dates, sources) as document masks, and facet counts over the results."""

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from whoosh.util.times import datetime_to_long

from search.engine.arrays import NO_DATE
from search.engine.view import IndexView
from search.morph import LANGS

# Whoosh stores a date as microseconds since 0001-01-01; numpy counts from 1970-01-01.
_EPOCH_US = datetime_to_long(datetime(1970, 1, 1))
MAX_SOURCES = 50  # source facet values listed, most frequent first
_NOT_WORD = re.compile(r"[\W_]+")


def site_key(name: str) -> str:
    """A source name as compared: case, spacing and punctuation ignored ("Крим. Реалії" is
    "Крим.Реалії")."""
    return _NOT_WORD.sub("", name.casefold())


@dataclass(frozen=True)
class Filters:
    """What narrows a search besides its words."""

    langs: tuple[str, ...] = LANGS
    date_from: datetime | None = None
    date_to: datetime | None = None
    sites: tuple[str, ...] = ()

    def mask(self, view: IndexView) -> np.ndarray:
        """True for every live document these filters allow."""
        allowed = view.live().copy()
        if set(self.langs) != set(LANGS):
            allowed &= _isin(view, "lang", self.langs)
        if self.sites:
            keys = {site_key(s) for s in self.sites}
            view.codes("site")  # reads the column, and so its vocabulary
            allowed &= _isin(view, "site", [v for v in view.vocab["site"]
                                            if v and site_key(v) in keys])
        if self.date_from or self.date_to:
            dates = view.dates()
            allowed &= dates != NO_DATE
            if self.date_from:
                allowed &= dates >= datetime_to_long(self.date_from)
            if self.date_to:
                allowed &= dates <= datetime_to_long(self.date_to)
        return allowed

    def one_year(self) -> int | None:
        """The calendar year the date range lies within, if it does."""
        if self.date_from and self.date_to and self.date_from.year == self.date_to.year:
            return self.date_from.year
        return None


def _isin(view: IndexView, column: str, values) -> np.ndarray:
    codes = view.codes(column)
    vocab = view.vocab[column]
    wanted = [vocab[v] for v in values if v in vocab]
    return np.isin(codes, wanted) if wanted else np.zeros(view.size, bool)


def _counted(codes: np.ndarray, vocab: dict[str, int], skip_empty: bool = True):
    counts = np.bincount(codes, minlength=len(vocab))
    names = {code: name for name, code in vocab.items()}
    return [(names[c], int(counts[c])) for c in np.flatnonzero(counts)
            if not (skip_empty and names[c] == "")]


def facets(view: IndexView, matched: np.ndarray, filters: Filters) -> dict[str, list[dict]]:
    """Counts of the results by language, year, month (within one year) and source."""
    docs = np.flatnonzero(matched)
    langs = _counted(view.codes("lang")[docs], view.vocab["lang"])
    sites = _merged(_counted(view.codes("site")[docs], view.vocab["site"]))[:MAX_SOURCES]
    dates = view.dates()[docs]
    undated = int(np.count_nonzero(dates == NO_DATE))
    dates = dates[dates != NO_DATE]
    stamps = (dates - _EPOCH_US).astype("datetime64[us]")
    years = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
    year_counts = sorted(zip(*np.unique(years, return_counts=True), strict=True), reverse=True)
    if undated:
        year_counts.append(("", undated))  # "" counts the documents without a date
    months = []
    if (year := filters.one_year()) is not None:
        in_year = stamps[years == year].astype("datetime64[M]")
        months = [(str(m), int(c)) for m, c in zip(*np.unique(in_year, return_counts=True),
                                                    strict=True)]
    as_list = lambda pairs: [{"value": str(v), "count": int(c)} for v, c in pairs]  # noqa: E731
    return {"lang": as_list(sorted(langs, key=lambda p: -p[1])), "year": as_list(year_counts),
            "month": as_list(months), "source": as_list(sites)}


def _merged(pairs) -> list[tuple[str, int]]:
    """(name, count) of sources whose names differ only in case, spacing or punctuation added
    up, under their most frequent spelling; most frequent first."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for name, count in pairs:
        groups.setdefault(site_key(name) or name, []).append((name, count))
    merged = [(max(g, key=lambda p: (p[1], p[0]))[0], sum(c for _, c in g))
              for g in groups.values()]
    return sorted(merged, key=lambda pair: (-pair[1], pair[0]))
