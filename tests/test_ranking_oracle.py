"""Whoosh is the oracle: our array ranking gives Whoosh's exhaustive scores, in the same order."""

import random
from collections import Counter

import pytest
from whoosh import query as wq
from whoosh.scoring import BM25F

from search.engine import Engine
from search.engine.filters import Filters
from search.engine.policy import DEFAULT, Policy
from search.engine.ranking import rank
from search.ingest.documents import Document
from search.query.parse import parse_query
from search.query.plan import clause_query
from tests.conftest import add_segment, fresh_index

UK = ["уряд", "уряду", "урядом", "лікарня", "лікарні", "лікарнями", "бюджет", "бюджету", "школа",
      "школи", "школу", "співпраця", "співпраці", "регіонів", "регіон", "війни", "війна", "місто",
      "міста", "рада", "ради", "державні", "нагороди", "нагорода", "у", "і", "на", "Запоріжжя",
      "Київ", "Києві", "новини", "вибори"]
RU = ["правительство", "правительства", "больница", "больницы", "бюджет", "бюджета", "школа",
      "школы", "сотрудничество", "сотрудничества", "регионов", "война", "войны", "город",
      "города", "совет", "союз", "союза", "машиностроителей", "машиностроитель", "в", "и", "на",
      "Запорожье", "Киев", "новости", "выборы"]


def _doc(rng, i) -> Document:
    lang = "uk" if i % 3 else "ru"
    words = UK if lang == "uk" else RU
    body = " ".join(rng.choice(words) for _ in range(rng.randint(4, 40))) + "."
    title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 6))) if i % 4 else ""
    return Document(id=f"d{i}", title=title, body=body, lang=lang)


@pytest.fixture(scope="module", params=["whoosh", "bulk", "merged"])
def oracle_index(tmp_path_factory, request):
    """Four segments (no merging), deletions in two of them, uk and ru, titles and bodies.

    Written by Whoosh's own writer, and by our bulk writer (search/ingest/bulk.py); merged:
    the bulk writer's, then three of them merged into one (search/ingest/merge.py).
    """
    from search.ingest.merge import merge_index

    root = tmp_path_factory.mktemp("oracle")
    ix = fresh_index(root)
    rng = random.Random(3)
    n = 0
    for batch in range(4):
        docs = [_doc(rng, i) for i in range(n, n + 60)]
        n += 60
        victims = rng.sample(range(n - 60), 9) if batch in (1, 3) else []
        add_segment(ix, docs, delete=[f"d{v}" for v in victims], bulk=request.param != "whoosh")
    assert len(ix.searcher().leaf_searchers()) == 4
    if request.param == "merged":
        assert 1 < merge_index(ix, factor=2, max_docs=130) < 4  # segments of two or three
    return root


def _whoosh_order(s, plan, policy) -> list[tuple[int, float]]:
    """Every result scored exhaustively by Whoosh, in the order our policy means."""
    content = plan.content()
    extra = [c for c in plan.clauses if c not in content]
    queries = [clause_query(c) for c in content]
    n = len(queries)
    excluded = wq.Or([clause_query(c) for c in plan.excluded]) if plan.excluded else None

    def scored(q):
        q = wq.AndNot(q, excluded) if excluded is not None else q
        return {hit.docnum: hit.score for hit in s.search(q, limit=None)}

    bonus: dict[int, float] = {}

    def add(total, q, weight=1.0, side_by_side=True):
        for d, v in scored(q).items():
            if d in total:
                total[d] += weight * v
                if side_by_side:
                    bonus[d] = bonus.get(d, 0.0) + weight * v

    score = scored(wq.Or(queries) if n > 1 else queries[0])  # every word's BM25F, summed
    count = Counter(d for q in queries for d in scored(q))  # how many of the words each has
    full = {d for d, c in count.items() if c == n}
    shared = set.intersection(*({t.field for t in c.terms} for c in content))
    words = all(c.is_word for c in content)
    steps = lambda f, cs: [wq.Or([wq.Term(f, t.text) for t in c.terms if t.field == f])  # noqa: E731
                           for c in cs]
    if words and shared and 2 <= n <= policy.sequence_upto and policy.sequence_weight:
        add(score, wq.Or([wq.Sequence(steps(f, content)) for f in sorted(shared)]),
            policy.sequence_weight)
    for a, b in zip(content, content[1:], strict=False) if words and policy.pair_weight else ():
        both = {t.field for t in a.terms} & {t.field for t in b.terms}
        for f in sorted(both):
            add(score, wq.Sequence(steps(f, [a, b])), policy.pair_weight)
    if policy.stop_weight and extra:
        add(score, wq.Or([clause_query(c) for c in extra]), policy.stop_weight,
            side_by_side=False)
    if policy.coord_power:  # before the side-by-side bonuses, as the engine applies it
        for d, v in score.items():
            score[d] = v * (count[d] / n) ** policy.coord_power - bonus.get(d, 0.0) * (
                (count[d] / n) ** policy.coord_power - 1)
    key = lambda p: (-p[1], p[0])  # noqa: E731
    if n == 1 or n > policy.all_first_upto:
        need = max(1, int(policy.min_share * n))
        return sorted(((d, v) for d, v in score.items() if count[d] >= need), key=key)
    order = sorted(((d, v) for d, v in score.items() if d in full), key=key)
    if len(full) < policy.fill_below:
        order += sorted(((d, v) for d, v in score.items() if d not in full), key=key)
    return order


QUERIES = [
    # uk: single words in any form, pairs, triples, OR, exclusion, title:, prefix, phrase
    "лікарня", "уряду", "школа бюджет", "співпраця регіонів", "уряд лікарня школа",
    "школа OR лікарня", "бюджет -школа", "title:уряд", "лікар*", '"державні нагороди"',
    "уряд лікарня школа бюджет співпраця рада", "Запоріжжя", "у школі", "місто рада війна нагорода",
    # ru
    "больница", "правительства", "школа бюджет", "союз машиностроителей", "город совет война",
    "школа OR больница", "бюджет -школа", "title:правительство", "машинострои*",
    '"союза машиностроителей"', "правительство больница школа бюджет сотрудничество город",
    "Запорожье", "война в городе",
]


# Pairs side by side, function words scored, a softer whole-sequence bonus.
PROXIMITY = Policy(pair_weight=1.5, stop_weight=0.3, sequence_weight=0.5)
# Other BM25 parameters, a coordination factor, tiers for 1-4 words, half the words required.
TUNED = Policy(k1=2.0, b=0.6, coord_power=0.25, all_first_upto=4, min_share=0.5,
               stop_weight=0.2)


@pytest.mark.parametrize("policy", [DEFAULT, PROXIMITY, TUNED],
                         ids=["default", "proximity", "tuned"])
@pytest.mark.parametrize("text", QUERIES)
def test_scores_and_order_equal_whoosh_exhaustive_scoring(oracle_index, text, policy):
    eng = Engine(oracle_index, cache_size=0)
    s = eng.searcher()
    view = eng.view(s)
    plan = parse_query(text, reader=s.reader()).plan
    ranked = rank(view, plan, Filters().mask(view), 0, 1000, policy=policy)
    # Whoosh's own BM25F with the policy's parameters, over the same segments.
    oracle = eng.searcher()._ix.searcher(weighting=BM25F(B=policy.b, K1=policy.k1))
    expected = _whoosh_order(oracle, plan, policy)
    oracle.close()
    assert ranked.total == len(expected) > 0
    ours = list(zip(ranked.docs.tolist(), ranked.scores.tolist(), strict=True))
    assert [d for d, _ in ours] == [d for d, _ in expected]
    for (_, mine), (_, theirs) in zip(ours, expected, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-4)
    eng.close()


def test_deleted_documents_are_never_results(oracle_index):
    eng = Engine(oracle_index, cache_size=0)
    res = eng.search("лікарня OR больница OR школа", per_page=100)
    live = {doc["id"] for doc in eng.searcher().all_stored_fields()}
    assert {h.id for h in res.hits} <= live and res.total <= len(live)
    eng.close()
