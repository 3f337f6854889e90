"""Which facts a case leaves unstated could still change its advice, and which items they touch.

This is the one analysis behind the open questions printed with the advice and the interview's
choice of question. It works in two steps:

1. **Candidates, by a sound abstraction.** Every unstated fact is treated as "could be anything,
   or stay unstated" and the rules are evaluated in Kleene's three-valued logic, conclusions
   included (a conclusion is reached, not reached, or undecided). A rule whose condition comes out
   true or false here does so on every way of completing the case, so only the unstated facts read
   by a rule that stays *undecided* can change anything. Facts no undecided rule reads are never
   listed.
2. **Witnesses, by running the rules.** A candidate is listed only when answers are found under
   which stating it changes what the rules conclude: first the fact alone, then the fact together
   with answers to other unstated facts that make a rule reading it decidable (one conjunction of
   the rule's normal form at a time). Every listed fact comes with such a witness, checked by
   the reference semantics the engine agrees with (:func:`~innoproc.rules.semantics.forward_chain`).

The second step runs the rules hundreds of times a case, so it is organised to do little each
time, always with exactly the result of running every rule on every answer (the plain
algorithm is kept as ``tests/sensitivity_reference.py`` and the tests compare the two):

- the abstraction of step 1 settles many rules for the case: those false on every completion
  are left out of its runs, those true on every completion hold without being evaluated, and
  the others are specialised to the case once (:func:`_residual`: tests of stated facts and of
  settled conclusions folded away); cases that agree on what a rule reads share that work;
- an answer is tried by propagation (:class:`_Propagation`): from one run of the case, only the
  rules reading the key are re-evaluated, then those reading a conclusion that changed. This is
  exact when every rule reads conclusions of lower strata only and a conclusion test depends
  only on which conclusions are reached, which the analysis checks for its KB; otherwise the
  rules downstream of the key are re-run (:meth:`Sensitivity._by_cones`);
- answers that every test of the key treats alike are tried once;
- the contexts that other answers give a fact are worked out only for facts that change
  nothing on their own, one at a time, up to the first that gives a witness.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import Any, NamedTuple, cast

from innoproc.ontology import CaseKey, FactValue, Vocabulary

from .cases_space import ABSENT, domain, holds
from .compiled import (
    Evaluator,
    evaluator,
    kleene_all,
    kleene_any,
    kleene_at_least,
    kleene_not,
)
from .model import All, AnyOf, AtLeast, ConclusionTest, Condition, FactTest, Not, RuleSpec, leaves
from .normalform import Conjunct, SignedTest, dnf
from .semantics import Truth

Facts = Mapping[str, FactValue]


def abstract_status(
    rules: Iterable[RuleSpec], facts: Facts, producers: Producers | None = None
) -> tuple[dict[str, Truth], set[str]]:
    """Each conclusion's status over every completion of the case, and the undecided rules.

    Status True: reached whatever the unstated facts turn out to be; False: reached on none;
    None: depends on them. Returns (conclusion id -> status, ids of rules whose condition is
    undecided). Stratum by stratum, from "nothing reached", to the least fixed point.
    """
    ordered = sorted(rules, key=lambda r: (r.stratum, r.ordinal))
    status: dict[str, Truth] = {}
    by_rule: dict[str, Truth] = {}
    producers = producers or Producers(ordered)
    for stratum in sorted({r.stratum for r in ordered}):
        layer = [r for r in ordered if r.stratum == stratum]
        for rule in layer:
            status.setdefault(rule.then.id, False)
        changed = True
        while changed:
            changed = False
            for rule in layer:
                value = _abstract(rule.when, facts, status, producers)
                by_rule[rule.id] = value
                old = status[rule.then.id]
                new = _join(old, value)
                if new != old:
                    status[rule.then.id] = new
                    changed = True
    # a conclusion is only as settled as its least settled producer allows
    undecided = {rid for rid, value in by_rule.items() if value is None}
    return status, undecided


def _join(old: Truth, value: Truth) -> Truth:
    """A conclusion is reached if one producer surely fires, undecided if one might."""
    if old is True or value is True:
        return True
    if old is None or value is None:
        return None
    return False


class Producers:
    """The rules able to satisfy each conclusion test, worked out once per test."""

    def __init__(self, rules: Sequence[RuleSpec]):
        self.rules = rules
        self._found: dict[int, tuple[ConclusionTest, tuple[RuleSpec, ...]]] = {}

    def __call__(self, test: ConclusionTest) -> tuple[RuleSpec, ...]:
        found = self._found.get(id(test))
        if found is None or found[0] is not test:
            found = (test, tuple(r for r in self.rules if r.concludes(test)))
            self._found[id(test)] = found
        return found[1]


def _abstract(
    condition: Condition, facts: Facts, status: Mapping[str, Truth], producers: Producers
) -> Truth:
    if isinstance(condition, FactTest):
        if condition.key not in facts:
            return None  # an unstated fact may be stated later: even known/unknown is open
        if condition.presence is not None:
            return condition.presence
        return condition.holds(facts[condition.key])
    if isinstance(condition, ConclusionTest):
        values = [status.get(r.then.id, False) for r in producers(condition)]
        return True if True in values else (None if None in values else False)
    if isinstance(condition, Not):
        value = _abstract(condition.item, facts, status, producers)
        return None if value is None else not value
    assert isinstance(condition, All | AnyOf | AtLeast)
    values = [_abstract(item, facts, status, producers) for item in condition.items]
    if isinstance(condition, All):
        return False if False in values else (None if None in values else True)
    if isinstance(condition, AnyOf):
        return True if True in values else (None if None in values else False)
    true, unknown = values.count(True), values.count(None)
    return (
        True if true >= condition.count else (None if true + unknown >= condition.count else False)
    )


@dataclass(frozen=True)
class FactEffect:
    """What stating one unstated fact can do to the advice."""

    key: str
    #: conclusions an answer can make appear, and make disappear
    adds: frozenset[str]
    removes: frozenset[str]
    #: one set of answers (this key's included) under which the advice changes
    witness: Mapping[str, FactValue] = field(hash=False, compare=False)

    @property
    def items(self) -> frozenset[str]:
        return self.adds | self.removes


class Sensitivity:
    """The open facts of cases under one set of rules and one vocabulary (built once per KB)."""

    def __init__(self, rules: Iterable[RuleSpec], vocab: Vocabulary):
        self.rules = tuple(sorted(rules, key=lambda r: (r.stratum, r.ordinal)))
        self.vocab = vocab
        tests: dict[str, list[FactTest]] = {}
        self.reads: dict[str, set[str]] = {}  # rule id -> keys read
        premises: dict[str, list[ConclusionTest]] = {}  # rule id -> conclusion tests
        for rule in self.rules:
            for leaf in leaves(rule.when):
                if isinstance(leaf, FactTest):
                    tests.setdefault(leaf.key, []).append(leaf)
                    self.reads.setdefault(rule.id, set()).add(leaf.key)
                else:
                    premises.setdefault(rule.id, []).append(leaf)
        self.tests = tests
        #: each rule's condition in disjunctive normal form, worked out when first needed
        #: (only to build contexts, for facts that do not matter on their own; some rules
        #: expand into many conjunctions)
        self._dnf: dict[str, list[Conjunct]] = {}
        self._by_id = {rule.id: rule for rule in self.rules}
        self._producers = Producers(self.rules)
        self._upstream: dict[str, frozenset[str]] = {}  # key -> upstream_keys, once asked
        #: conclusion id -> the rules drawing it, in order
        self._producers_of: dict[str, tuple[str, ...]] = {}
        for rule in self.rules:
            self._producers_of[rule.then.id] = (*self._producers_of.get(rule.then.id, ()), rule.id)
        #: per conclusion test (by identity), the ids of the conclusions that can satisfy it
        self._producer_conclusions: dict[int, tuple[str, ...]] = {}
        #: conclusion id -> the rules with a test some rule drawing it satisfies
        readers: dict[str, set[str]] = {}
        for reader in self.rules:
            for test in premises.get(reader.id, ()):
                drawn = tuple(dict.fromkeys(p.then.id for p in self._producers(test)))
                self._producer_conclusions[id(test)] = drawn
                for conclusion in drawn:
                    readers.setdefault(conclusion, set()).add(reader.id)
        self._conclusion_readers = {c: frozenset(ids) for c, ids in readers.items()}
        self._key_readers: dict[str, frozenset[str]] = {
            key: frozenset(r.id for r in self.rules if key in self.reads.get(r.id, ()))
            for key in tests
        }
        self.downstream = {key: self._downstream(key) for key in tests}
        self._cone_ids = {
            key: frozenset(r.id for r in cone) for key, cone in self.downstream.items()
        }
        self._cone_conclusions = {
            key: frozenset(r.then.id for r in cone) for key, cone in self.downstream.items()
        }
        self._layers = _layers(self.rules, premises, self._producers)
        #: what each rule's outcome on a case depends on: the facts it reads and the
        #: conclusions its tests can be satisfied by
        self._inputs = {
            rule.id: (
                tuple(sorted(self.reads.get(rule.id, ()))),
                tuple(
                    dict.fromkeys(
                        c
                        for test in premises.get(rule.id, ())
                        for c in self._producer_conclusions[id(test)]
                    )
                ),
            )
            for rule in self.rules
        }
        #: (rule id, the facts it reads, the status of the conclusions it reads) -> [its
        #: truth over every completion, its residual condition once built]: cases share them
        self._settled: dict[tuple[Any, ...], list[Any]] = {}
        self._evaluators = {rule.id: evaluator(rule.when) for rule in self.rules}
        self._abstract = {
            rule.id: _abstract_evaluator(rule.when, self._producers) for rule in self.rules
        }
        # Whether a conclusion test's outcome depends only on which conclusions are reached,
        # never on which of several rules drawing one conclusion was credited with it: then a
        # rule the abstraction decides is decided on every run of the case (see open_facts)
        by_id = {rule.id: rule for rule in self.rules}
        shared = [ids for ids in self._producers_of.values() if len(ids) > 1]
        self._uniform = all(
            len({by_id[p].concludes(test) for p in ids}) == 1
            for ids in shared
            for conclusion_tests in premises.values()
            for test in conclusion_tests
        )
        # Changes can then be propagated rule by rule from a run of the case (see _Propagation)
        # when, besides, no rule reads a conclusion of its own stratum (a stratified KB never
        # does): each rule is then evaluated once per run, after everything it reads is final.
        self._incremental = self._uniform and not any(repeat for _, repeat in self._layers)
        self._values = {key: self._answers(key) for key in tests if key in vocab.keys}
        #: per key, one answer per class of answers that every test on the key treats alike
        self._distinct = {key: self._representatives(key) for key in self._values}
        #: per key, the rules reading it, each with the conjunctions of its normal form that
        #: test it (the places where answers to other facts can make the key matter), worked
        #: out when first needed
        self._terms_on: dict[str, list[tuple[str, list[Conjunct]]]] = {}
        self._plans: dict[int, _TermPlan] = {}

    def _downstream(self, key: str) -> tuple[RuleSpec, ...]:
        """The rules whose outcome can depend on ``key``: those reading it, those reading
        their conclusions, and so on, plus every other producer of a conclusion they draw (so
        that re-running only these rules gives the same conclusions as running them all)."""
        by_id = {rule.id: rule for rule in self.rules}
        conclusions = {by_id[r].then.id for r in self._key_readers[key]}
        todo = list(conclusions)
        while todo:
            for reader in self._conclusion_readers.get(todo.pop(), ()):
                drawn = by_id[reader].then.id
                if drawn not in conclusions:
                    conclusions.add(drawn)
                    todo.append(drawn)
        return tuple(r for r in self.rules if r.then.id in conclusions)

    def terms(self, rule_id: str) -> list[Conjunct]:
        """The rule's condition in disjunctive normal form (:func:`dnf`), built once."""
        found = self._dnf.get(rule_id)
        if found is None:
            found = self._dnf[rule_id] = dnf(self._by_id[rule_id].when)
        return found

    def _terms_reading(self, key: str) -> list[tuple[str, list[Conjunct]]]:
        """The rules reading ``key``, in order, each with its conjunctions that test it."""
        found = self._terms_on.get(key)
        if found is None:
            found = [
                (rule.id, [t for t in self.terms(rule.id) if any(_on(lit, key) for lit in t)])
                for rule in self.rules
                if key in self.reads.get(rule.id, ())
            ]
            self._terms_on[key] = found
        return found

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

    def _representatives(self, key: str) -> list[FactValue]:
        """The answers to ``key`` with every answer dropped that an earlier one matches on
        every test the rules make of the key: such two answers give the same run of the rules,
        so the later one can neither change the advice where the earlier did not nor be the
        first witness."""
        tests = [t for t in self.tests[key] if t.presence is None]
        seen: set[tuple[bool, ...]] = set()
        kept: list[FactValue] = []
        for value in self._values[key]:
            signature = tuple(t.holds(value) for t in tests)
            if signature not in seen:
                seen.add(signature)
                kept.append(value)
        return kept

    def open_facts(self, facts: Facts, unknown: Iterable[str] = ()) -> dict[str, FactEffect]:
        """Every unstated fact that can change the advice on ``facts``, with what it touches,
        in the order of the rules that read them.

        ``unknown`` names unstated facts that are known to stay unstated (an interview was told
        "I don't know"): they are never listed, and no witness is built on an answer to them,
        so a fact that matters only once one of them is answered is not listed either.

        For each candidate the answers are tried first with nothing else answered; only when
        none changes the advice are the contexts of :meth:`_contexts` tried, one at a time, up
        to the first that gives a witness. Only the key's downstream cone is re-run, from the
        conclusions the rest of the rules reach, and only one answer per class of answers the
        rules cannot tell apart (:meth:`_representatives`): the result is exactly that of
        trying every answer with every rule (``tests/sensitivity_reference.py``, the plain
        algorithm, is the reference the tests hold this to).
        """
        staying = frozenset(unknown)
        by_rule, status, cells = self._settle(facts)
        undecided = {rid for rid, value in by_rule.items() if value is None}
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
        if not candidates:
            return {}
        if self._incremental:
            return self._by_propagation(facts, candidates, cells, status, undecided, staying)
        return self._by_cones(facts, candidates, by_rule, undecided, staying)

    def _by_propagation(
        self,
        facts: Facts,
        candidates: list[str],
        cells: Mapping[str, list[Any]],
        status: Mapping[str, Truth],
        undecided: set[str],
        staying: frozenset[str],
    ) -> dict[str, FactEffect]:
        """The effects of the candidates, each answer's found by propagating the change from
        a run of the case (with the context's answers) through the rules that read it."""
        case = _Propagation(self, facts, cells, status)
        bases: dict[frozenset[tuple[str, Any]], _Run] = {}
        first = case.run(facts)

        def base(others: dict[str, FactValue]) -> _Run:
            marker = frozenset((k, _hashable(v)) for k, v in others.items())
            found = bases.get(marker)
            if found is None:
                found = first
                if others:
                    found = case.change(first, {**facts, **others}, others.keys()) or first
                bases[marker] = found
            return found

        found: dict[str, FactEffect] = {}
        for key in candidates:
            adds: set[str] = set()
            removes: set[str] = set()
            witness: dict[str, FactValue] | None = None
            for others in self._contexts(key, facts, undecided, staying):
                start = base(others)
                changed = {**facts, **others}
                for value in self._distinct[key]:
                    changed[key] = value
                    after = case.change(start, changed, (key,))
                    if after is not None and after.flips:
                        for conclusion, now in after.flips.items():
                            (adds if now else removes).add(conclusion)
                        if witness is None:
                            witness = {**others, key: value}
                if witness is not None:
                    break  # the fact alone, or the first context that makes it matter
            if witness is not None:
                found[key] = FactEffect(key, frozenset(adds), frozenset(removes), witness)
        return found

    def _by_cones(
        self,
        facts: Facts,
        candidates: list[str],
        by_rule: Mapping[str, Truth],
        undecided: set[str],
        staying: frozenset[str],
    ) -> dict[str, FactEffect]:
        """The effects of the candidates, each answer's found by re-running the rules
        downstream of the key (for a KB where conclusions credited to different rules can
        read differently, or a rule reads a conclusion of its own stratum)."""
        # The rules as this case runs them whatever its unstated facts turn out to be: a rule
        # the abstraction decides false never fires, one it decides true always does (its
        # condition need not be evaluated), and only undecided rules are tested.
        live = self._live_layers(by_rule if self._uniform else None)
        runs: dict[frozenset[tuple[str, Any]], dict[str, RuleSpec]] = {}

        def run(extra: dict[str, FactValue]) -> dict[str, RuleSpec]:
            marker = frozenset((k, _hashable(v)) for k, v in extra.items())
            if marker not in runs:
                runs[marker] = _run(live, {**facts, **extra}, {})
            return runs[marker]

        found: dict[str, FactEffect] = {}
        for key in candidates:
            adds: set[str] = set()
            removes: set[str] = set()
            witness: dict[str, FactValue] | None = None
            inside = self._cone_ids[key]
            cone = [
                (entries, repeat)
                for entries, repeat in (
                    (tuple(e for e in layer if e[1].id in inside), repeat) for layer, repeat in live
                )
                if entries
            ]
            redone = self._cone_conclusions[key]
            for others in self._contexts(key, facts, undecided, staying):
                full = run(others)
                before = {c for c in full if c in redone}
                kept = {c: r for c, r in full.items() if c not in redone}
                changed = {**facts, **others}
                for value in self._distinct[key]:
                    changed[key] = value
                    after = _run_new(cone, changed, kept)
                    if after != before:
                        adds |= after - before
                        removes |= before - after
                        if witness is None:
                            witness = {**others, key: value}
                if witness is not None:
                    break  # the fact alone, or the first context that makes it matter
            if witness is not None:
                found[key] = FactEffect(key, frozenset(adds), frozenset(removes), witness)
        return found

    def _rule_status(self, facts: Facts) -> tuple[dict[str, Truth], dict[str, Truth]]:
        """Each rule's condition, and each conclusion, over every completion of the case:
        what :func:`abstract_status` computes, with compiled conditions (and one pass over a
        stratum whose rules read no conclusion of their own stratum, as a second would change
        nothing). Returns (rule id -> truth, conclusion id -> status)."""
        by_rule, status, _ = self._settle(facts)
        return by_rule, status

    def _settle(
        self, facts: Facts
    ) -> tuple[dict[str, Truth], dict[str, Truth], dict[str, list[Any]]]:
        """:meth:`_rule_status`, and for each rule its entry of ``_settled``: a rule's truth
        depends only on the facts and conclusions it reads, so cases that agree on those share
        it (and the rule's residual condition, see :func:`_residual`)."""
        status: dict[str, Truth] = {}
        by_rule: dict[str, Truth] = {}
        cells: dict[str, list[Any]] = {}
        abstract = self._abstract
        settled = self._settled
        if len(settled) > _MOST_SETTLED:
            settled.clear()
        for layer, repeat in self._layers:
            for conclusion, _rule, _test in layer:
                status.setdefault(conclusion, False)
            changed = True
            while changed:
                changed = False
                for conclusion, rule, _test in layer:
                    keys, read = self._inputs[rule.id]
                    marker = (
                        rule.id,
                        tuple([facts.get(k, _MISSING) for k in keys]),
                        tuple([status.get(c, False) for c in read]),
                    )
                    try:
                        cell = settled.get(marker)
                        shared = True
                    except TypeError:  # a value that cannot be hashed (a list): not shared
                        cell, shared = None, False
                    if cell is None:
                        cell = [abstract[rule.id](facts, status), None]
                        if shared:
                            settled[marker] = cell
                    cells[rule.id] = cell
                    value = cell[0]
                    by_rule[rule.id] = value
                    old = status[conclusion]
                    new = _join(old, value)
                    if new != old:
                        status[conclusion] = new
                        changed = repeat
        return by_rule, status, cells

    def _live_layers(self, by_rule: Mapping[str, Truth] | None) -> list[_Layer]:
        """The layers with the rules ``by_rule`` decides false left out and the conditions of
        those it decides true replaced by "fires" (None: every rule, each tested)."""
        evaluators = self._evaluators
        if by_rule is None:
            return [
                (tuple((c, r, evaluators[r.id]) for c, r, _ in layer), repeat)
                for layer, repeat in self._layers
            ]
        live: list[_Layer] = []
        for layer, repeat in self._layers:
            entries = tuple(
                (c, r, None if by_rule[r.id] is True else evaluators[r.id])
                for c, r, _ in layer
                if by_rule[r.id] is not False
            )
            if entries:
                live.append((entries, repeat))
        return live

    def _contexts(
        self, key: str, facts: Facts, undecided: set[str], staying: frozenset[str] = frozenset()
    ) -> Iterator[dict[str, FactValue]]:
        """Answers to other unstated facts under which ``key`` may matter: none at all, then,
        for each undecided rule reading ``key``, what each of its conjunctions needs (never an
        answer to a fact in ``staying``); then each of those with one answer more
        (:func:`one_answer_more`). Lazily: most facts matter on their own, and then no context
        beyond the first is ever worked out."""
        contexts: list[dict[str, FactValue]] = [{}]
        yield {}
        for rule_id, terms in self._terms_reading(key):
            if rule_id not in undecided:
                continue
            for term in terms:
                context = self._satisfy(term, facts, key, depth=2, staying=staying)
                if context is not None and context not in contexts:
                    contexts.append(context)
                    yield context
        upstream = self._upstream.get(key)
        if upstream is None:
            upstream = upstream_keys(self.rules, self.reads, self._producers, key)
            self._upstream[key] = upstream
        others = open_keys(
            self.rules, self.reads, undecided, facts, key, staying, self._values, upstream
        )
        yield from one_answer_more(contexts, others, self._values)

    def _plan(self, term: Conjunct) -> _TermPlan:
        plan = self._plans.get(id(term))
        if plan is None or plan.term is not term:
            plan = _TermPlan(term, self.answers)
            self._plans[id(term)] = plan
        return plan

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
        plan = self._plan(term)
        for key, lits, wants_unstated, answer in plan.by_key:
            if key == skip:
                continue
            if key in facts:
                value = facts[key]
                if not all(holds(lit, {key: value}, {}) for lit in lits):
                    return None
                continue
            if wants_unstated:
                continue  # the term wants it unstated: leave it so
            if key in staying:
                return None  # it will stay unstated, so this term cannot hold
            if answer is _NO_ANSWER:
                return None
            chosen[key] = answer  # type: ignore[assignment]
        if depth > 0:
            for test in plan.needed:
                for producer in self._producers(test):
                    for sub in self.terms(producer.id):
                        extra = self._satisfy(sub, {**facts, **chosen}, skip, depth - 1, staying)
                        if extra is not None:
                            chosen.update(extra)
                            break
                    else:
                        continue
                    break
        return chosen


_NO_ANSWER = object()


class _TermPlan:
    """What :meth:`Sensitivity._satisfy` needs of one conjunction, worked out once: its fact
    literals grouped by key (in the order they first appear), whether a group wants the key
    unstated, the first answer that passes every literal of the group, and the conclusions the
    conjunction needs reached."""

    def __init__(self, term: Conjunct, answers: Callable[[str], list[FactValue]]):
        self.term = term
        groups: dict[str, list[SignedTest]] = {}
        for lit in term:
            if isinstance(lit.test, FactTest):
                groups.setdefault(lit.test.key, []).append(lit)
        self.by_key: list[tuple[str, tuple[SignedTest, ...], bool, object]] = []
        for key, lits in groups.items():
            answer = next(
                (v for v in answers(key) if all(holds(lit, {key: v}, {}) for lit in lits)),
                _NO_ANSWER,
            )
            wants_unstated = any(lit.wants_stated is False for lit in lits)
            self.by_key.append((key, tuple(lits), wants_unstated, answer))
        self.needed = [
            lit.test for lit in term if isinstance(lit.test, ConclusionTest) and not lit.negated
        ]


class _Run(NamedTuple):
    """The rules run on one set of facts: the conclusions reached, whether each live rule's
    condition holds (by its place in :attr:`_Propagation.entries`), and which conclusions
    differ from the run it was derived from (id -> now reached)."""

    reached: frozenset[str] | set[str]
    holds: list[bool]
    flips: dict[str, bool]


class _Propagation:
    """The rules of one case, run once in full and then re-evaluated only where a change
    reaches: the rules reading a changed fact, then those reading a conclusion that changed.

    Exact under two conditions the analysis checks for the KB (``Sensitivity._incremental``):
    every rule reads only conclusions of lower strata, so it is evaluated once, after all it
    reads is final, and a conclusion test reads only which conclusions are reached, not which
    rule drew them. A conclusion is then reached exactly when one of its rules' conditions
    holds, and a rule whose inputs did not change holds as it did. Rules the abstraction
    decides for the case are settled: false ones are left out, true ones hold; the others are
    evaluated in their residual form (:func:`_residual`), which reads conclusions as a set.
    """

    def __init__(
        self,
        sensitivity: Sensitivity,
        facts: Facts,
        cells: Mapping[str, list[Any]],
        status: Mapping[str, Truth],
    ):
        self.sensitivity = sensitivity
        self.conclusions: list[str] = []
        self.ids: list[str] = []
        self.tests: list[_Residual | None] = []
        concluding = sensitivity._producer_conclusions
        for layer, _ in sensitivity._layers:
            for conclusion, rule, _ in layer:
                cell = cells[rule.id]
                truth = cell[0]
                if truth is False:
                    continue
                if truth is True:
                    residual: bool | _Residual = True
                else:
                    residual = cell[1]
                    if residual is None:
                        residual = cell[1] = _residual(rule.when, facts, status, concluding)
                if residual is not False:
                    self.conclusions.append(conclusion)
                    self.ids.append(rule.id)
                    self.tests.append(None if residual is True else residual)
        self.position = {rule_id: i for i, rule_id in enumerate(self.ids)}
        self._producers: dict[str, tuple[int, ...]] = {}
        self._key_readers: dict[str, tuple[int, ...]] = {}
        self._conclusion_readers: dict[str, tuple[int, ...]] = {}

    def _tested(self, rule_ids: Iterable[str]) -> tuple[int, ...]:
        """Where the rules are that a change can make hold or fail (rules the case settles,
        left out or always holding, need no re-evaluation), in order."""
        position, tests = self.position, self.tests
        return tuple(sorted(position[r] for r in rule_ids if r in position and tests[position[r]]))

    def readers_of_key(self, key: str) -> tuple[int, ...]:
        found = self._key_readers.get(key)
        if found is None:
            found = self._key_readers[key] = self._tested(
                self.sensitivity._key_readers.get(key, ())
            )
        return found

    def readers_of_conclusion(self, conclusion: str) -> tuple[int, ...]:
        found = self._conclusion_readers.get(conclusion)
        if found is None:
            found = self._conclusion_readers[conclusion] = self._tested(
                self.sensitivity._conclusion_readers.get(conclusion, ())
            )
        return found

    def producers(self, conclusion: str) -> tuple[int, ...]:
        found = self._producers.get(conclusion)
        if found is None:
            position = self.position
            found = self._producers[conclusion] = tuple(
                position[p] for p in self.sensitivity._producers_of[conclusion] if p in position
            )
        return found

    def run(self, facts: Facts) -> _Run:
        reached: set[str] = set()
        holds_: list[bool] = []
        for conclusion, test in zip(self.conclusions, self.tests, strict=True):
            value = test is None or test(facts, reached) is True
            holds_.append(value)
            if value:
                reached.add(conclusion)
        return _Run(reached, holds_, {})

    def change(self, start: _Run, facts: Facts, keys: Collection[str]) -> _Run | None:
        """The run on ``facts``, which differ from ``start``'s only on ``keys``: the rules
        reading them re-evaluated in order, then those reading a conclusion that changed.
        None when no rule's condition changes (the run is ``start``'s)."""
        if len(keys) == 1:
            readers = self.readers_of_key(next(iter(keys)))
        else:
            readers = tuple(sorted({i for key in keys for i in self.readers_of_key(key)}))
        tests = self.tests
        reached = start.reached
        holds_ = start.holds
        # most answers change no rule: evaluate the readers in order until one changes
        tried = 0
        for index in readers:
            tried += 1
            value = tests[index](facts, reached) is True  # type: ignore[misc]
            if value != holds_[index]:
                break
        else:
            return None
        todo = list(readers[tried:])  # sorted already, so a heap
        reached, holds_ = set(reached), list(holds_)
        flips: dict[str, bool] = {}
        last = index
        while True:
            holds_[index] = value
            conclusion = self.conclusions[index]
            was = conclusion in reached
            now = any(holds_[p] for p in self.producers(conclusion))
            if was != now:
                if now:
                    reached.add(conclusion)
                else:
                    reached.discard(conclusion)
                if now == (conclusion in start.reached):
                    flips.pop(conclusion, None)
                else:
                    flips[conclusion] = now
                for reader in self.readers_of_conclusion(conclusion):
                    heappush(todo, reader)
            while True:  # the next rule whose condition changes, in order
                if not todo:
                    return _Run(reached, holds_, flips)
                index = heappop(todo)
                if index == last:
                    continue  # pushed twice: the heap gives the copies one after the other
                last = index
                value = tests[index](facts, reached) is True  # type: ignore[misc]
                if value != holds_[index]:
                    break


#: one rule as a run sees it: its conclusion, the rule, and its compiled condition (None: it
#: fires whatever the facts, as far as this case goes)
_Entry = tuple[str, RuleSpec, "Evaluator | None"]
#: the rules of one stratum, and whether a second pass over them can fire anything (only when
#: one of them reads a conclusion another of them draws, which a stratified KB never has)
_Layer = tuple[tuple[_Entry, ...], bool]


def _layers(
    rules: Sequence[RuleSpec],
    premises: Mapping[str, Sequence[ConclusionTest]],
    producers: Producers,
) -> list[_Layer]:
    """The rules stratum by stratum, in order, as :func:`forward_chain` fires them
    (``premises``: each rule's conclusion tests)."""
    strata: dict[int, list[RuleSpec]] = {}
    for rule in rules:
        strata.setdefault(rule.stratum, []).append(rule)
    layers: list[_Layer] = []
    for stratum in sorted(strata):
        layer = strata[stratum]
        repeat = any(
            p.stratum == stratum
            for rule in layer
            for test in premises.get(rule.id, ())
            for p in producers(test)
        )
        layers.append((tuple((r.then.id, r, None) for r in layer), repeat))
    return layers


def _run(
    layers: Sequence[_Layer], facts: Facts, start: Mapping[str, RuleSpec]
) -> dict[str, RuleSpec]:
    """What :meth:`CompiledRules.run` computes, on layers prepared for one case. A second
    pass over a layer only happens when one of its rules reads another's conclusion: on
    any other layer it would find exactly what the first pass found."""
    reached: dict[str, RuleSpec] = dict(start)
    for entries, repeat in layers:
        changed = True
        while changed:
            changed = False
            for conclusion, rule, test in entries:
                if conclusion not in reached and (test is None or test(facts, reached) is True):
                    reached[conclusion] = rule
                    changed = repeat
    return reached


def _run_new(layers: Sequence[_Layer], facts: Facts, start: Mapping[str, RuleSpec]) -> set[str]:
    """The conclusions :func:`_run` adds to ``start``."""
    reached: dict[str, RuleSpec] = dict(start)
    new: set[str] = set()
    for entries, repeat in layers:
        changed = True
        while changed:
            changed = False
            for conclusion, rule, test in entries:
                if conclusion not in reached and (test is None or test(facts, reached) is True):
                    reached[conclusion] = rule
                    new.add(conclusion)
                    changed = repeat
    return new


AbstractEvaluator = Callable[[Facts, Mapping[str, Truth]], Truth]
#: a condition specialised to a case (:func:`_residual`): facts, and the conclusions reached
_Residual = Callable[[Facts, Collection[str]], Truth]


def _abstract_evaluator(condition: Condition, producers: Producers) -> AbstractEvaluator:
    """``condition`` compiled into a closure computing :func:`_abstract` (facts not stated
    are undecided, presence included; a conclusion test is as settled as its producers)."""
    if isinstance(condition, FactTest):
        key, presence, holds_ = condition.key, condition.presence, condition.holds
        if presence is not None:

            def stated(facts: Facts, status: Mapping[str, Truth]) -> Truth:
                return presence if key in facts else None

            return stated

        def value(facts: Facts, status: Mapping[str, Truth]) -> Truth:
            found = facts.get(key, _MISSING)
            return None if found is _MISSING else holds_(found)  # type: ignore[arg-type]

        return value
    if isinstance(condition, ConclusionTest):
        ids = tuple(r.then.id for r in producers(condition))
        if len(ids) == 1:
            (only,) = ids

            def concluded_by(facts: Facts, status: Mapping[str, Truth]) -> Truth:
                return status.get(only, False)

            return concluded_by

        def concluded(facts: Facts, status: Mapping[str, Truth]) -> Truth:
            values = [status.get(c, False) for c in ids]
            return True if True in values else (None if None in values else False)

        return concluded
    if isinstance(condition, Not):
        return kleene_not(_abstract_evaluator(condition.item, producers))
    items = tuple(_abstract_evaluator(item, producers) for item in condition.items)
    if isinstance(condition, All):
        return kleene_all(items)
    if isinstance(condition, AnyOf):
        return kleene_any(items)
    assert isinstance(condition, AtLeast)
    return kleene_at_least(items, condition.count)


def _residual(
    condition: Condition,
    facts: Facts,
    status: Mapping[str, Truth],
    concluding: Mapping[int, tuple[str, ...]],
) -> bool | _Residual:
    """``condition`` specialised to one case: what stays to be evaluated when only the
    case's unstated facts can change and only its undecided conclusions (``status`` None) can
    come or go. Tests of stated facts and of decided conclusions become constants and are
    folded away (Kleene's rules: a false item decides ``all``, a true one ``any``), so runs of
    the case evaluate only what an answer can change. A conclusion test reads only whether one
    of the conclusions satisfying it is reached (``concluding``), which holds where the
    propagation is used. Returns True or False when nothing is left to evaluate."""
    if isinstance(condition, FactTest):
        if condition.key in facts:
            if condition.presence is not None:
                return condition.presence
            return condition.holds(facts[condition.key])
        return cast(_Residual, evaluator(condition))  # it reads no conclusion
    if isinstance(condition, ConclusionTest):
        ids = concluding[id(condition)]
        settled = [status.get(c, False) for c in ids]
        if True in settled:
            return True
        live = tuple(c for c, value in zip(ids, settled, strict=True) if value is None)
        if not live:
            return False
        if len(live) == 1:
            (only,) = live

            def reached_one(facts: Facts, reached: Collection[str]) -> Truth:
                return only in reached

            return reached_one

        wanted = frozenset(live)

        def reached_any(facts: Facts, reached: Collection[str]) -> Truth:
            return not wanted.isdisjoint(reached)

        return reached_any
    if isinstance(condition, Not):
        inner = _residual(condition.item, facts, status, concluding)
        if isinstance(inner, bool):
            return not inner

        def negation(facts: Facts, reached: Collection[str]) -> Truth:
            value = inner(facts, reached)
            return None if value is None else not value

        return negation
    parts = [_residual(item, facts, status, concluding) for item in condition.items]
    if isinstance(condition, All | AnyOf):
        if (False if isinstance(condition, All) else True) in parts:
            return isinstance(condition, AnyOf)
        # the commonest tests are read in the loop below rather than called: a fact among
        # values, a conclusion reached, or either negated (Kleene's all/any give the same
        # result in any order)
        members: list[tuple[str, frozenset[FactValue], bool]] = []
        needs: list[tuple[str, bool]] = []
        rest: list[_Residual] = []
        for item, part in zip(condition.items, parts, strict=True):
            if isinstance(part, bool):
                continue
            positive = not isinstance(item, Not)
            leaf = item.item if isinstance(item, Not) else item
            if (
                isinstance(leaf, FactTest)
                and leaf.op == "in"
                and not leaf.multi
                and leaf.key not in facts
            ):
                members.append((leaf.key, leaf.values, positive))
                continue
            if isinstance(leaf, ConclusionTest):
                open_ = [c for c in concluding[id(leaf)] if status.get(c, False) is None]
                if len(open_) == 1:
                    needs.append((open_[0], positive))
                    continue
            rest.append(part)
        if not members and not needs:
            if not rest:
                return isinstance(condition, All)
            if len(rest) == 1:
                return rest[0]
        return (
            _all_of(members, needs, rest)
            if isinstance(condition, All)
            else _any_of(members, needs, rest)
        )
    assert isinstance(condition, AtLeast)
    items = tuple(p for p in parts if not isinstance(p, bool))
    count = condition.count - sum(1 for p in parts if p is True)
    if count <= 0:
        return True
    if len(items) < count:
        return False
    return kleene_at_least(items, count)


def _all_of(
    members: Sequence[tuple[str, frozenset[FactValue], bool]],
    needs: Sequence[tuple[str, bool]],
    rest: Sequence[_Residual],
) -> _Residual:
    """Kleene's ``all`` of fact-among-values tests, conclusion tests and other conditions."""

    def every(facts: Facts, reached: Collection[str]) -> Truth:
        unknown = False
        for key, values, positive in members:
            value = facts.get(key, _MISSING)
            if value is _MISSING:
                unknown = True
            elif (value in values) != positive:
                return False
        for conclusion, positive in needs:
            if (conclusion in reached) != positive:
                return False
        for item in rest:
            found = item(facts, reached)
            if found is False:
                return False
            if found is None:
                unknown = True
        return None if unknown else True

    return every


def _any_of(
    members: Sequence[tuple[str, frozenset[FactValue], bool]],
    needs: Sequence[tuple[str, bool]],
    rest: Sequence[_Residual],
) -> _Residual:
    """Kleene's ``any`` of fact-among-values tests, conclusion tests and other conditions."""

    def some(facts: Facts, reached: Collection[str]) -> Truth:
        unknown = False
        for key, values, positive in members:
            value = facts.get(key, _MISSING)
            if value is _MISSING:
                unknown = True
            elif (value in values) == positive:
                return True
        for conclusion, positive in needs:
            if (conclusion in reached) == positive:
                return True
        for item in rest:
            found = item(facts, reached)
            if found is True:
                return True
            if found is None:
                unknown = True
        return None if unknown else False

    return some


def open_keys(
    rules: Iterable[RuleSpec],
    reads: Mapping[str, set[str]],
    undecided: set[str],
    facts: Facts,
    key: str,
    staying: frozenset[str],
    answers: Mapping[str, Sequence[FactValue]],
    among: Collection[str],
) -> list[str]:
    """The unstated facts other than ``key``, of those ``among``, that an undecided rule
    reads, in rule order."""
    skip = {key, *facts, *staying}
    found: dict[str, None] = {}
    for rule in rules:
        if rule.id in undecided:
            for other in sorted(reads.get(rule.id, ())):
                if other not in skip and other in answers and other in among:
                    found[other] = None
    return list(found)


def upstream_keys(
    rules: Iterable[RuleSpec], reads: Mapping[str, set[str]], producers: Producers, key: str
) -> frozenset[str]:
    """The facts read by the rules that draw, directly or through others, a conclusion tested
    by a rule reading ``key``. An unstated fact never makes a condition true, so an answer can
    shut another way to what ``key`` decides only by keeping such a conclusion from being
    reached: only these facts are worth one answer more (:func:`one_answer_more`)."""
    todo = [rule for rule in rules if key in reads.get(rule.id, ())]
    seen = {rule.id for rule in todo}
    found: set[str] = set()
    while todo:
        for leaf in leaves(todo.pop().when):
            if isinstance(leaf, ConclusionTest):
                for producer in producers(leaf):
                    if producer.id not in seen:
                        seen.add(producer.id)
                        todo.append(producer)
                        found |= reads.get(producer.id, set())
    return frozenset(found)


def one_answer_more(
    contexts: Sequence[dict[str, FactValue]],
    keys: Sequence[str],
    answers: Mapping[str, Sequence[FactValue]],
) -> Iterator[dict[str, FactValue]]:
    """Each context with one answer more, to one of ``keys`` it leaves open.

    Satisfying a rule's conjunction is not always enough for a fact to matter: another way to
    the same conclusion may already be open, and only an answer to a third fact shuts it (a
    rigid procedure is a finding unless the contract is phased, and only then does whether the
    need can be specified precisely decide the advice). One answer more finds such cases.
    """
    seen = {frozenset((k, _hashable(v)) for k, v in c.items()) for c in contexts}
    for context in list(contexts):
        for other in keys:
            if other in context:
                continue
            for value in answers[other]:
                extended = {**context, other: value}
                marker = frozenset((k, _hashable(v)) for k, v in extended.items())
                if marker not in seen:
                    seen.add(marker)
                    yield extended


_MISSING = object()
#: past this many rule outcomes remembered across cases, start afresh (bounds the memory)
_MOST_SETTLED = 50_000


def _on(lit: SignedTest, key: str) -> bool:
    return isinstance(lit.test, FactTest) and lit.test.key == key


def _list_answers(spec: CaseKey, tests: list[FactTest]) -> list[FactValue]:
    """Lists worth trying for a list key: each named value alone, every value named by one
    ``all_of`` test, all named values together, one value no test names, and the empty list."""
    named = [v for v in spec.value_iris if any(v in t.values for t in tests)]
    other = [v for v in spec.value_iris if v not in named][:1]
    answers: list[tuple[str, ...]] = [(v,) for v in named + other]
    for test in tests:
        if test.op == "all_of":
            answers.append(tuple(v for v in spec.value_iris if v in test.values))
    answers.append(tuple(named))
    if spec.allows_empty:
        answers.append(())
    unique: list[FactValue] = []
    for answer in answers:
        if answer and answer not in unique or (not answer and spec.allows_empty):
            if answer not in unique:
                unique.append(answer)
    return unique


def _hashable(value: FactValue) -> Any:
    return tuple(value) if isinstance(value, list) else value
