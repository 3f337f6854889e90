"""The open-facts analysis as it was before it was made faster, kept as the reference.

This is :class:`innoproc.rules.sensitivity.Sensitivity` exactly as it stood when every open
question cost several milliseconds (the same candidates, contexts, answers and runs, in the
same order). ``tests/test_sensitivity_speed.py`` requires the fast analysis to give exactly the
same result as this one: the same facts, in the same order, with the same items and the same
witnesses. Do not make it faster: its value is that it is the plain, unoptimised algorithm.
The pieces the speed-up left as they were (the three-valued abstraction, the producers of a
conclusion, the effect of an answer, the answers tried for a list key) are imported from the
module, not copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from innoproc.ontology import FactValue, Vocabulary
from innoproc.rules.cases_space import ABSENT, domain, holds
from innoproc.rules.compiled import CompiledRules
from innoproc.rules.model import (
    ConclusionTest,
    FactTest,
    RuleSpec,
    leaves,
)
from innoproc.rules.normalform import Conjunct, SignedTest, dnf
from innoproc.rules.sensitivity import (
    FactEffect,
    Producers,
    _hashable,
    _list_answers,
    _on,
    abstract_status,
    one_answer_more,
    open_keys,
    upstream_keys,
)

Facts = Mapping[str, FactValue]


class Sensitivity:
    """The open facts of cases under one set of rules and one vocabulary (built once per KB)."""

    def __init__(self, rules: Iterable[RuleSpec], vocab: Vocabulary):
        self.rules = tuple(sorted(rules, key=lambda r: (r.stratum, r.ordinal)))
        self.vocab = vocab
        tests: dict[str, list[FactTest]] = {}
        self.reads: dict[str, set[str]] = {}  # rule id -> keys read
        for rule in self.rules:
            for leaf in leaves(rule.when):
                if isinstance(leaf, FactTest):
                    tests.setdefault(leaf.key, []).append(leaf)
                    self.reads.setdefault(rule.id, set()).add(leaf.key)
        self.tests = tests
        self.terms = {rule.id: dnf(rule.when) for rule in self.rules}
        self.downstream = {key: self._downstream(key) for key in tests}
        self._all = CompiledRules(self.rules)
        self._producers = Producers(self.rules)
        self._cones = {key: CompiledRules(cone) for key, cone in self.downstream.items()}
        self._values = {key: self._answers(key) for key in tests if key in vocab.keys}

    def _downstream(self, key: str) -> tuple[RuleSpec, ...]:
        """The rules whose outcome can depend on ``key``: those reading it, those reading
        their conclusions, and so on, plus every other producer of a conclusion they draw (so
        that re-running only these rules gives the same conclusions as running them all)."""
        conclusions = {r.then.id for r in self.rules if key in self.reads.get(r.id, ())}
        changed = True
        while changed:
            changed = False
            produced = [r for r in self.rules if r.then.id in conclusions]
            for rule in self.rules:
                if rule.then.id in conclusions:
                    continue
                for leaf in leaves(rule.when):
                    if isinstance(leaf, ConclusionTest) and any(
                        p.concludes(leaf) for p in produced
                    ):
                        conclusions.add(rule.then.id)
                        changed = True
                        break
        return tuple(r for r in self.rules if r.then.id in conclusions)

    def answers(self, key: str) -> list[FactValue]:
        """The answers worth trying for ``key``: one per way the rules' tests tell values apart."""
        return self._values.get(key, [])

    def _answers(self, key: str) -> list[FactValue]:
        spec = self.vocab.keys[key]
        tests = self.tests[key]
        if spec.is_choice and spec.multi:
            return _list_answers(spec, tests)
        found = [v for v in (domain(spec, tests) or []) if v is not ABSENT]
        if spec.kind == "integer":  # probes are computed as floats; the form wants integers
            found = list(dict.fromkeys(int(v) for v in found))  # type: ignore[arg-type]
        return found  # type: ignore[return-value]

    def open_facts(self, facts: Facts, unknown: Iterable[str] = ()) -> dict[str, FactEffect]:
        """Every unstated fact that can change the advice on ``facts``, with what it touches,
        in the order of the rules that read them.

        ``unknown`` names unstated facts that are known to stay unstated (an interview was told
        "I don't know"): they are never listed, and no witness is built on an answer to them,
        so a fact that matters only once one of them is answered is not listed either.
        """
        staying = frozenset(unknown)
        _, undecided = abstract_status(self.rules, facts, self._producers)
        candidates: list[str] = []
        for rule in self.rules:
            if rule.id in undecided:
                for key in sorted(self.reads.get(rule.id, ())):
                    if (
                        key not in facts
                        and key not in staying
                        and key in self._values
                        and key not in candidates
                    ):
                        candidates.append(key)
        runs: dict[frozenset[tuple[str, Any]], dict[str, RuleSpec]] = {}

        def run(extra: dict[str, FactValue]) -> dict[str, RuleSpec]:
            marker = frozenset((k, _hashable(v)) for k, v in extra.items())
            if marker not in runs:
                runs[marker] = self._all.run({**facts, **extra})
            return runs[marker]

        found: dict[str, FactEffect] = {}
        for key in candidates:
            adds: set[str] = set()
            removes: set[str] = set()
            witness: dict[str, FactValue] | None = None
            cone = self._cones[key]
            redone = {r.then.id for r in cone.rules}
            # the fact alone first: what answering it now does; only if that changes nothing,
            # look for answers to other facts under which it would (and stop at the first)
            for others in self._contexts(key, facts, undecided, staying):
                if witness is not None and others:
                    break
                full = run(others)
                before = frozenset(full)
                kept = {c: r for c, r in full.items() if c not in redone}
                for value in self._values[key]:
                    after = frozenset(cone.run({**facts, **others, key: value}, start=kept))
                    if after != before:
                        adds |= after - before
                        removes |= before - after
                        if witness is None:
                            witness = {**others, key: value}
            if witness is not None:
                found[key] = FactEffect(key, frozenset(adds), frozenset(removes), witness)
        return found

    def _contexts(
        self, key: str, facts: Facts, undecided: set[str], staying: frozenset[str] = frozenset()
    ) -> list[dict[str, FactValue]]:
        """Answers to other unstated facts under which ``key`` may matter: none at all, then,
        for each undecided rule reading ``key``, what each of its conjunctions needs (never an
        answer to a fact in ``staying``); then each of those with one answer more."""
        contexts: list[dict[str, FactValue]] = [{}]
        for rule in self.rules:
            if rule.id not in undecided or key not in self.reads.get(rule.id, ()):
                continue
            for term in self.terms[rule.id]:
                if not any(_on(lit, key) for lit in term):
                    continue
                context = self._satisfy(term, facts, key, depth=2, staying=staying)
                if context is not None and context not in contexts:
                    contexts.append(context)
        upstream = upstream_keys(self.rules, self.reads, self._producers, key)
        others = open_keys(
            self.rules, self.reads, undecided, facts, key, staying, self._values, upstream
        )
        return contexts + list(one_answer_more(contexts, others, self._values))

    def _satisfy(
        self,
        term: Conjunct,
        facts: Facts,
        skip: str,
        depth: int,
        staying: frozenset[str] = frozenset(),
    ) -> dict[str, FactValue] | None:
        """Answers to unstated facts (other than ``skip``) that make every fact literal of
        ``term`` true, and try to reach the conclusions it needs; None if the case (or a fact
        in ``staying``, which keeps no value) rules it out."""
        chosen: dict[str, FactValue] = {}
        by_key: dict[str, list[SignedTest]] = {}
        for lit in term:
            if isinstance(lit.test, FactTest):
                by_key.setdefault(lit.test.key, []).append(lit)
        for key, lits in by_key.items():
            if key == skip:
                continue
            if key in facts:
                if not all(holds(lit, {key: facts[key]}, {}) for lit in lits):
                    return None
                continue
            if any(lit.wants_stated is False for lit in lits):
                continue  # the term wants it unstated: leave it so
            if key in staying:
                return None  # it will stay unstated, so this term cannot hold
            value = next(
                (v for v in self.answers(key) if all(holds(lit, {key: v}, {}) for lit in lits)),
                None,
            )
            if value is None:
                return None
            chosen[key] = value
        if depth > 0:
            for lit in term:
                if isinstance(lit.test, ConclusionTest) and not lit.negated:
                    for producer in self._producers(lit.test):
                        for sub in self.terms[producer.id]:
                            extra = self._satisfy(
                                sub, {**facts, **chosen}, skip, depth - 1, staying
                            )
                            if extra is not None:
                                chosen.update(extra)
                                break
                        else:
                            continue
                        break
        return chosen
