"""The ranking policy as data: what a document needs to match, and how its score is made.

The query-side weights of a word's extra readings and of place-name variants are READING_BOOST
and VARIANT_BOOST in search/query/parse.py.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """Knobs of the ranking, tuned by bench/relevance.py on the tuning halves of its sets."""

    k1: float = 1.2  # BM25F, as Whoosh's defaults
    b: float = 0.75
    # Queries of up to this many content words rank the documents that have every word first
    # (tiers); longer ones rank every document that has enough of the words by score alone.
    all_first_upto: int = 2
    # With tiers on: when fewer than this many documents have every word of a 2+ word query,
    # those with some of the words follow them (a headline's words are rarely all in its
    # article); otherwise only documents with every word are results.
    fill_below: int = 10
    # Longer queries: a document needs at least this share of the content words (rounded down,
    # at least one).
    min_share: float = 0.0
    # The score is multiplied by (words matched / content words) ** coord_power.
    coord_power: float = 0.0
    # Function words' weight beside other words (0: not scored; they are never required).
    stop_weight: float = 0.0
    # Bonus weight of the whole query (2-4 plain words) standing side by side, in order, in
    # one field: added as this times the words' scores in that field.
    sequence_weight: float = 2.0
    sequence_upto: int = 4
    # Bonus of each ordered adjacent pair of query words side by side (sequential dependence),
    # added as this times the pair's scores in that field; 0 turns it off.
    pair_weight: float = 0.0
    # Bonuses read word positions, so only this many of the best documents by word scores
    # are checked for them.
    candidates: int = 300
    # sort=recent: a document this many days older than the newest match weighs half as much.
    recent_half_life_days: float = 30.0


DEFAULT = Policy()
