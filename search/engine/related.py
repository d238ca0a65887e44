"""More like this: a document's most distinctive lemmas by tf·idf, searched as one query."""

import math
from collections import Counter
from dataclasses import replace

import numpy as np

from search.analysis import language_analyzer
from search.engine.policy import Policy
from search.engine.ranking import rank
from search.engine.view import IndexView
from search.query.parse import Parsed
from search.query.plan import Clause, Plan, Term
from search.schema import TITLE_BOOST

TERMS = 10  # lemmas searched
READ_CHARS = 2500  # of the body: a news story's distinctive words come early
MIN_LETTERS = 3  # shorter lemmas are mostly function words, numbers and initials


def distinctive(view: IndexView, title: str, body: str, lang: str, k: int = TERMS) -> list[str]:
    """The k lemmas of the text with the highest tf·idf in body_<lang> (found elsewhere too)."""
    analyzer = language_analyzer(lang)
    tf = Counter(t.text for t in analyzer(f"{title}\n{title}\n{body[:READ_CHARS]}")
                 if len(t.text) >= MIN_LETTERS and not t.text.isdigit())
    reader, field = view.searcher.reader(), f"body_{lang}"
    weights = {}
    for text, count in tf.items():
        df = reader.doc_frequency(field, text)
        if df >= 2:  # only in this document: nothing to relate by
            weights[text] = (1 + math.log(count)) * math.log(view.size / df)
    return sorted(weights, key=lambda t: (-weights[t], t))[:k]


def related(view: IndexView, docnum: int, stored: dict, per_page: int, policy: Policy):
    """(Parsed of the lemmas searched, document numbers, scores) of the documents most like
    docnum, leaving out it and its near-duplicates."""
    lang = stored["lang"]
    words = distinctive(view, stored["title"], stored["body"], lang)
    plan = Plan([Clause(terms=(Term(f"title_{lang}", w, TITLE_BOOST), Term(f"body_{lang}", w)),
                        text=w) for w in words])
    parsed = Parsed(plan, terms={lang: set(words)})
    if not words:
        return parsed, np.zeros(0, np.int64), np.zeros(0)
    allowed = view.live().copy()
    label, _ = view.copies()
    allowed[label == label[docnum]] = False  # itself and its copies
    # Each document ranked by its lemmas' BM25F: any one of them makes it a candidate.
    ranked = rank(view, plan, allowed, 0, per_page, "relevance", replace(policy, min_share=0.0),
                  True)
    return parsed, ranked.docs, ranked.scores
