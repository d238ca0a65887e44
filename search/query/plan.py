"""A parsed query as data: what every backend (Whoosh arrays, a SphinxQL cluster) executes."""

from dataclasses import dataclass, field

from whoosh import query as wq


@dataclass(frozen=True)
class Term:
    """One index term in one field (title_uk, body_ru, ...), weighted by boost."""

    field: str
    text: str
    boost: float = 1.0
    cross: bool = False  # the word's counterpart in the other language or script


Step = tuple[Term, ...]  # the alternatives for one word of a phrase


@dataclass(frozen=True)
class Clause:
    """One thing the user asked for: a word, an OR-group, a prefix or a phrase.

    A document has the clause if it has any of its terms or any of its phrases. A phrase is a
    sequence of steps that must stand at consecutive positions of one field.
    """

    terms: tuple[Term, ...] = ()
    phrases: tuple[tuple[Step, ...], ...] = ()
    stop: bool = False  # a function word ("у", "и"): weighed by the policy, not required
    text: str = ""  # as the user typed it (for messages and debugging)

    @property
    def is_word(self) -> bool:
        """A plain word (its readings and variants), not a phrase or a group."""
        return not self.phrases

    def fields(self) -> set[str]:
        return {t.field for t in self.terms} | {t.field for p in self.phrases for s in p
                                                for t in s}


@dataclass
class Plan:
    """Positive clauses in query order, and excluded ones. No clauses: every document."""

    clauses: list[Clause] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    def content(self) -> list[Clause]:
        """The clauses that count: all but function words, unless there is nothing else."""
        return [c for c in self.clauses if not c.stop] or list(self.clauses)


def clause_query(clause: Clause) -> wq.Query:
    """The Whoosh query that scores a clause as our engine does (the test oracle)."""
    subs: list[wq.Query] = [wq.Term(t.field, t.text, boost=t.boost) for t in clause.terms]
    for phrase in clause.phrases:
        by_field: dict[str, list[list[Term]]] = {}
        for i, step in enumerate(phrase):
            for t in step:
                by_field.setdefault(t.field, [[] for _ in phrase])[i].append(t)
        subs += [wq.Sequence([wq.Or([wq.Term(f, t.text, boost=t.boost) for t in step])
                              for step in steps])
                 for f, steps in sorted(by_field.items()) if all(steps)]
    return subs[0] if len(subs) == 1 else wq.Or(subs)


def all_words_query(plan: Plan) -> wq.Query:
    """Every content clause required, exclusions applied, as one Whoosh query."""
    clauses = [clause_query(c) for c in plan.content()]
    query = (clauses[0] if len(clauses) == 1 else wq.And(clauses)) if clauses else wq.Every()
    if plan.excluded:
        query = wq.AndNot(query, wq.Or([clause_query(c) for c in plan.excluded]))
    return query
