"""Ranking metrics at a cutoff: MRR, recall and nDCG."""

import math


def mrr(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """Reciprocal rank of the first relevant result within the top k, else 0."""
    for i, doc_id in enumerate(ranked[:k], 1):
        if doc_id in relevant:
            return 1.0 / i
    return 0.0


def recall(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """Share of the relevant documents found in the top k (of at most k findable)."""
    if not relevant:
        return 0.0
    found = sum(1 for doc_id in ranked[:k] if doc_id in relevant)
    return found / min(len(relevant), k)


def ndcg(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """Binary-gain nDCG of the top k."""
    dcg = sum(1.0 / math.log2(i + 1) for i, d in enumerate(ranked[:k], 1) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def summarize(runs: list[tuple[list[str], set[str]]], k: int = 10) -> dict[str, float]:
    """Mean MRR@k, Recall@k and nDCG@k over (ranked, relevant) pairs."""
    n = len(runs) or 1
    return {
        f"MRR@{k}": sum(mrr(r, rel, k) for r, rel in runs) / n,
        f"R@{k}": sum(recall(r, rel, k) for r, rel in runs) / n,
        f"nDCG@{k}": sum(ndcg(r, rel, k) for r, rel in runs) / n,
    }
