"""A query plan as SphinxQL: MATCH expressions, filters, order, and the ranking options."""

import itertools
from datetime import UTC

from search.cluster.rows import LANG_CODES, source_hash, token
from search.query.plan import Clause, Plan

MAX_PHRASES = 32  # a phrase's reading combinations searched per field; more are left out
# Field weights as the embedded engine's: a title word weighs 2.5 times a body word, and the
# second field (other readings, aligned) half of its first.
WEIGHTS = {"title": 5, "body": 2, "title_x": 2, "body_x": 1}
# Per field, weighted by field: the shard-free (global) IDF of each query word found there plus
# a tenth of its term frequency times IDF; then searchd's document BM25 estimate (0-999) breaks
# ties. Chosen on the full relevance sets of bench/cluster.py (no held-out half): MRR@10
# known-item/ru 0.829, tag/ru 0.803, known-item/uk 0.728 (embedded engine 0.823/0.822/0.724);
# searchd's default proximity_bm25 and tf*idf alone were 0.05-0.13 lower on known-item, the
# IDF sum alone 0.10 lower on tag/ru; bm25a()/bm25f() are constant on RT indexes of 2.2.11.
RANKER = "expr('sum((sum_idf+0.1*tf_idf)*user_weight)*1000+bm25')"
# The IDF those factors read: each shard's own, over all its chunks (local_df), as log(N/n)
# (idf='plain': what the global IDF file gave, its formulas being swapped in 2.2.11; the default
# log((N-n+1)/n) turns negative for words in over half the documents, and put the embedded top
# 10 of a 3-word sample query at depth 103 against 31). Not the global IDF file (global_idf=1):
# Sphinx 2.2.11 gives a disk chunk none of it (sum_idf, tf_idf and bm25's IDF are 0 there: every
# match weighs 500), and an RT index writes a disk chunk by itself once its RAM chunk passes
# rt_mem_limit, i.e. as the archive grows. Without local_df, a disk chunk and the RAM chunk
# would each count over their own rows. Shards are a hash split of about equal size, so their
# IDFs differ little from the global one; the rescoring (rescore.py) uses the global counts.
IDF_OPTION = "local_df=1, idf='plain'"


# searchd's ranker grows linearly with a word's frequency (tf_idf), not saturating as BM25 does,
# so a counterpart in the other language (Term.cross) weighs less still: the reader's own
# spelling first, as in the embedded engine.
CROSS_WEIGHT = 0.5


def _boosted(tok: str, boost: float) -> str:
    return tok if boost == 1.0 else f"{tok}^{boost:g}"


def clause_match(clause: Clause) -> str | None:
    """One clause as a MATCH expression (None when it has no terms at all)."""
    by_token: dict[tuple[str, float], list[str]] = {}
    for t in clause.terms:
        fields = by_token.setdefault((token(t.text), t.boost * (CROSS_WEIGHT if t.cross else 1)),
                                     [])
        fields += [f for f in (t.field, f"{t.field}_x") if f not in fields]
    parts = [f"(@({','.join(fields)}) {_boosted(tok, boost)})"
             for (tok, boost), fields in by_token.items()]
    for phrase in clause.phrases:
        by_field: dict[str, list[list[str]]] = {}
        for i, step in enumerate(phrase):
            for t in step:
                steps = by_field.setdefault(t.field, [[] for _ in phrase])
                if token(t.text) not in steps[i]:
                    steps[i].append(token(t.text))
        for field, steps in sorted(by_field.items()):
            if not all(steps):
                continue
            combos = itertools.islice(itertools.product(*steps), MAX_PHRASES)
            parts += [f'(@({field},{field}_x) "{" ".join(c)}")' for c in combos]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def combine(clauses: list[Clause], excluded: list[Clause], every: bool) -> str | None:
    """Every clause (every=True) or any of them, minus the excluded; None: matches nothing."""
    parts = [clause_match(c) for c in clauses]
    if every and None in parts:
        return None
    parts = [p for p in parts if p]
    if not parts:
        return None
    text = " ".join(parts) if every else (parts[0] if len(parts) == 1
                                          else "(" + " | ".join(parts) + ")")
    minus = [m for m in (clause_match(c) for c in excluded) if m]
    return " ".join([text, *(f"-{m}" for m in minus)])


def excluded_match(plan: Plan) -> str | None:
    """The excluded clauses as one MATCH (a query of only exclusions is answered as everything
    but these)."""
    parts = [m for m in (clause_match(c) for c in plan.excluded) if m]
    return " | ".join(parts) if parts else None


def field_weights(fields) -> str:
    out = []
    for f in fields:
        kind, lang, *x = f.split("_")
        out.append(f"{f}={WEIGHTS[kind + ('_x' if x else '')]}")
    return "field_weights=(" + ", ".join(out) + ")"


def where(filters) -> list[str]:
    """WHERE conditions besides MATCH for the filters (langs, date_from, date_to, sites)."""
    conds = []
    if set(filters.langs) != set(LANG_CODES):
        conds.append(f"lang IN ({', '.join(str(LANG_CODES[g]) for g in filters.langs)})")
    if filters.date_from or filters.date_to:
        conds.append("has_date = 1")
        if filters.date_from:
            conds.append(f"date_ts >= {_ts(filters.date_from)}")
        if filters.date_to:
            conds.append(f"date_ts <= {_ts(filters.date_to)}")
    if filters.sites:
        conds.append(f"site_hash IN ({', '.join(str(source_hash(s)) for s in filters.sites)})")
    return conds


def _ts(d) -> int:
    return int((d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp())


def order(sort: str, weight: str = "w") -> str:
    if sort == "date":
        return "ORDER BY has_date DESC, date_ts DESC, id ASC"  # newest first, undated last
    return f"ORDER BY {weight} DESC, id ASC"
