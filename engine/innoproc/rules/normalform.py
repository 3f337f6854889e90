"""Negation and disjunctive normal forms of condition trees under three-valued logic.

Both the experta compiler and the static checks want a condition as "any of these conjunctions
of literals". In Kleene's logic De Morgan's laws still hold, so negation can be pushed down to the
leaves, where a negated fact test means "the fact is stated and fails the test" and a negated
conclusion test means "no such conclusion was reached".
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product
from math import prod

from .model import All, AnyOf, AtLeast, ConclusionTest, Condition, FactTest, Not


@dataclass(frozen=True)
class SignedTest:
    """A test or its negation: a literal of the normal form (named so as not to be confused with
    RDF literals or ``typing.Literal``)."""

    test: FactTest | ConclusionTest
    negated: bool = False

    @property
    def wants_stated(self) -> bool | None:
        """For a ``known``/``unknown`` test: whether the signed test holds on a stated fact."""
        if not isinstance(self.test, FactTest) or self.test.presence is None:
            return None
        return self.test.presence != self.negated

    def describe(self) -> str:
        text = self.test.describe()
        if not self.negated:
            return text
        stated = self.wants_stated
        if stated is not None and isinstance(self.test, FactTest):
            return f"{self.test.key} is {'known' if stated else 'unknown'}"
        return f"not ({text})" if isinstance(self.test, FactTest) else f"no {text}"


Conjunct = tuple[SignedTest, ...]


def dnf(condition: Condition, negated: bool = False) -> list[Conjunct]:
    """``condition`` (negated if asked) as a list of alternative conjunctions of literals."""
    if isinstance(condition, FactTest | ConclusionTest):
        return [(SignedTest(condition, negated),)]
    if isinstance(condition, Not):
        return dnf(condition.item, not negated)
    if isinstance(condition, AtLeast):
        n, items = condition.count, condition.items
        if negated:  # fewer than n hold  <=>  at least len-n+1 are false
            return dnf(AtLeast(len(items) - n + 1, tuple(Not(i) for i in items)))
        return dnf(AnyOf(tuple(All(c) for c in combinations(items, n))))
    conjunctive = isinstance(condition, All) != negated
    parts = [dnf(item, negated) for item in condition.items]
    if conjunctive:
        return [_dedupe(sum(choice, ())) for choice in product(*parts)]
    return [conj for part in parts for conj in part]


def _dedupe(conjunct: Conjunct) -> Conjunct:
    return tuple(dict.fromkeys(conjunct))


def dnf_size(condition: Condition, negated: bool = False) -> int:
    """How many conjunctions :func:`dnf` would return, computed without building them."""
    if isinstance(condition, FactTest | ConclusionTest):
        return 1
    if isinstance(condition, Not):
        return dnf_size(condition.item, not negated)
    if isinstance(condition, AtLeast):
        n, items = condition.count, condition.items
        if negated:
            return dnf_size(AtLeast(len(items) - n + 1, tuple(Not(i) for i in items)))
        # one conjunction per choice of n items: the elementary symmetric sum of their sizes
        sizes = [dnf_size(item) for item in items]
        sums = [1] + [0] * n  # sums[k]: total over choices of k items so far
        for size in sizes:
            for k in range(n, 0, -1):
                sums[k] += sums[k - 1] * size
        return sums[n]
    conjunctive = isinstance(condition, All) != negated
    sizes = [dnf_size(item, negated) for item in condition.items]
    return prod(sizes) if conjunctive else sum(sizes)
