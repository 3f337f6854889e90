"""The CLIPS backend: the KB's rules compiled into CLIPS 6.4 (through clipspy), one environment
per thread.

The rules are compiled from the rule model, never from the YAML: each rule is cut into the same
:class:`~innoproc.engine.branches.Branch` objects the experta backend compiles, and each
alternative of a branch becomes one ``defrule``. The encoding:

- The case is one fact of template ``case`` with one slot per case key some rule reads (a
  multislot for a list key). A key the case does not state keeps the default, the *symbol*
  ``unknown``; a list key keeps ``(unknown)``, which is not the stated empty list ``()``. Case
  values become CLIPS strings (choices, text), the symbols ``TRUE``/``FALSE`` (booleans) and
  numbers, so no stated value is ever the symbol ``unknown``, whatever the ontology calls its
  values: every value test fails on an unstated key, and a negated test requires the key to be
  stated, as the two-valued reading of the reference semantics says.
- A conclusion is a ``(reached (rule R) (branch B))`` fact, R the rule's place in the KB and B
  the branch that fired. A test on conclusions is a join on ``reached`` facts whose rule is one
  of the rules that can satisfy the test (decided at compile time by the rule model, as the
  experta backend does); a negated one is ``(not (reached ...))``.
- Every branch has its own salience, in the order experta fires them (stratum, then priority,
  then KB order, then branch), so the firings come out in experta's order; every defrule also
  requires ``(not (reached (rule R)))`` of its own rule, so a rule fires at most once per case.

Only the KB's own constants (choice values, numbers, text) are written into CLIPS source, each
through :func:`_constant` (strings escaped, numbers checked finite); case values never are: the
case fact is asserted through clipspy's API.

The justification is recorded as experta records it. CLIPS reports which branches fired, in
order; the facts read are those of the branch's first alternative that holds
(:meth:`Branch.keys_read`, the same function experta's firings call), and each premise is the
most recently reached conclusion that satisfies its test, which is the match experta's conflict
resolution picks (it fires the activation with the most recent facts first).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from innoproc.errors import KnowledgeBaseError, Problem
from innoproc.ontology import FactValue
from innoproc.rules import ConclusionTest, FactTest, RuleSpec, producers
from innoproc.rules.normalform import SignedTest

from ._clips import Environment, FactWriter, build_constructs, keep_alive, string_literal
from .branches import Branch, branches
from .protocol import Firing

UNKNOWN = "unknown"  # the symbol an unstated key holds; no case value is a symbol
_STRATUM_SPAN = 1000  # as the experta compiler: priorities are 0..100
_SALIENCE_MAX = 10_000  # CLIPS saliences run from -10000 to 10000
_SALIENCE_COUNT = 2 * _SALIENCE_MAX + 1
_INT64 = (-(2**63), 2**63 - 1)
_COMPARE = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_SAFE_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_PLAIN = frozenset({str, bool, float})  # case values asserted as they are


# -- constants and case values ----------------------------------------------------------------
def _constant(value: object, rule: RuleSpec, test: FactTest) -> str:
    """A KB constant as CLIPS source: the only KB text that is written into a construct."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return (
            str(value) if _INT64[0] <= value <= _INT64[1] else _constant(float(value), rule, test)
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _refused(rule, test, f"{value!r} is not a finite number", "kb/type")
        return repr(value)
    if isinstance(value, str):
        return string_literal(value)
    raise _refused(rule, test, f"a value of type {type(value).__name__}", "kb/type")


def _refused(rule: RuleSpec, test: FactTest, what: str, code: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(
        [
            Problem(
                rule.source or rule.id,
                f"rule {rule.id}: {test.key}: {what} cannot be run on the CLIPS engine",
                line=test.line if test.line is not None else rule.line,
                code=code,
            )
        ]
    )


def _case_value(value: Any) -> Any:
    """A stated case value in the exact type :class:`FactWriter` asserts (``str`` a STRING,
    ``bool`` TRUE/FALSE, ``int`` within 64 bits, ``float``, ``tuple`` a multifield)."""
    kind = type(value)
    if kind is str or kind is bool or kind is float:
        return value
    if kind is int:  # CLIPS integers are 64-bit; a larger count is compared as a float
        return value if _INT64[0] <= value <= _INT64[1] else float(value)
    if isinstance(value, tuple | list):
        return tuple(_case_value(item) for item in value)
    for plain in (int, float, str):  # a subclass: assert the plain value
        if isinstance(value, plain):
            return _case_value(plain(value))
    raise TypeError(f"a case value of type {kind.__name__} cannot be asserted in CLIPS")


# -- fact literals -> slot constraints --------------------------------------------------------
class _Slots:
    """Slot names of the case template: the key itself when it is a plain name, else ``k<n>``."""

    def __init__(self, literals: list[SignedTest]):
        self.multi: dict[str, bool] = {}
        for lit in literals:
            assert isinstance(lit.test, FactTest)
            self.multi[lit.test.key] = self.multi.get(lit.test.key, False) or lit.test.multi
        self.name = {
            key: key if _SAFE_NAME.match(key) else f"k{index}"
            for index, key in enumerate(self.multi)
        }
        if len(set(self.name.values())) < len(self.name):  # a key named like k<n>: rename all
            self.name = {key: f"k{index}" for index, key in enumerate(self.multi)}

    def template(self) -> str:
        lines = [
            f"  ({'multislot' if self.multi[key] else 'slot'} {name} (default {UNKNOWN}))"
            for key, name in self.name.items()
        ]
        return "(deftemplate case\n" + "\n".join(lines) + ")" if lines else "(deftemplate case)"


def _holds(var: str, values: frozenset[FactValue], rule: RuleSpec, test: FactTest) -> str:
    """A CLIPS expression: the single value bound to ``var`` is one of ``values``, compared as
    Python compares them (numbers by value, 5 == 5.0; everything else by type and value)."""
    parts = []
    for value in sorted(values, key=repr):
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(f"(and (numberp {var}) (= {var} {_constant(value, rule, test)}))")
        else:
            parts.append(f"(eq {var} {_constant(value, rule, test)})")
    return _any(parts)


def _any(parts: list[str]) -> str:
    """A CLIPS expression true when any of ``parts`` is (``FALSE`` when there are none)."""
    if not parts:
        return "FALSE"
    return parts[0] if len(parts) == 1 else "(or " + " ".join(parts) + ")"


def _single_terms(lit: SignedTest, var: str, alone: bool, rule: RuleSpec) -> list[str]:
    """Constraint terms (joined by ``&``) on a single-valued slot bound to ``var``."""
    test = lit.test
    assert isinstance(test, FactTest)
    stated = lit.wants_stated
    if stated is not None:
        return [f"~{UNKNOWN}" if stated else UNKNOWN]
    if test.op in _COMPARE:
        if test.number is None:
            raise _refused(rule, test, "a comparison without a number", "kb/type")
        compare = f"({_COMPARE[test.op]} {var} {_constant(test.number, rule, test)})"
        return [f":(and (numberp {var}) {f'(not {compare})' if lit.negated else compare})"]
    if test.op != "in":
        raise _refused(rule, test, f"operator {test.op} on a single-valued key", "kb/operator")
    symbolic = bool(test.values) and all(isinstance(v, str | bool) for v in test.values)
    if symbolic:
        atoms = sorted(_constant(v, rule, test) for v in test.values)
        if lit.negated:
            return [f"~{UNKNOWN}"] + [f"~{atom}" for atom in atoms]
        if alone:  # a|b|c: the cheapest form, but | binds looser than &, so only on its own
            return ["|".join(atoms)]
    holds = _holds(var, test.values, rule, test)
    if lit.negated:
        return [f":(and (neq {var} {UNKNOWN}) (not {holds}))"]
    return [f":{holds}" if holds.startswith("(") else f":(eq {holds} TRUE)"]


def _multi_terms(lit: SignedTest, var: str, rule: RuleSpec) -> list[str]:
    """Predicate terms on a multislot bound to ``$?var`` (an unstated key is ``(unknown)``)."""
    test = lit.test
    assert isinstance(test, FactTest)
    stated = f"(not (member$ {UNKNOWN} {var}))"
    want = lit.wants_stated
    if want is not None:
        return [f":{stated}" if want else f":(member$ {UNKNOWN} {var})"]
    atoms = sorted(_constant(v, rule, test) for v in test.values)
    if test.op == "in":
        holds = _any([f"(member$ {a} {var})" for a in atoms])
    elif test.op == "all_of":
        holds = f"(subsetp (create$ {' '.join(atoms)}) {var})"
    else:
        raise _refused(rule, test, f"operator {test.op} on a list key", "kb/operator")
    if lit.negated:
        return [f":(and {stated} (not {holds}))"]
    return [f":(and {stated} {holds})"]


def _case_pattern(literals: tuple[SignedTest, ...], slots: _Slots, rule: RuleSpec) -> str:
    """One pattern on the case fact holding every fact literal of one alternative."""
    by_key: dict[str, list[SignedTest]] = {}
    for lit in literals:
        assert isinstance(lit.test, FactTest)
        by_key.setdefault(lit.test.key, []).append(lit)
    constraints = []
    for index, (key, lits) in enumerate(by_key.items()):
        name, var = slots.name[key], f"?v{index}"
        if slots.multi[key]:
            terms = [t for lit in lits for t in _multi_terms(lit, var, rule)]
            constraints.append(f"({name} ${var}&{'&'.join(terms)})")
            continue
        terms = [t for lit in lits for t in _single_terms(lit, var, len(lits) == 1, rule)]
        if all(not t.startswith(":") for t in terms):  # literal constraints only: no variable
            constraints.append(f"({name} {'&'.join(terms)})")
        else:
            constraints.append(f"({name} {var}&{'&'.join(terms)})")
    return "(case " + " ".join(constraints) + ")"


# -- the whole KB -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    """What a firing of one branch records, prepared at compile time."""

    branch: Branch
    reads_facts: bool
    #: for each premise (positive conclusion literal, in order): the conclusion ids that satisfy it
    premises: tuple[frozenset[str], ...]
    absent: tuple[str, ...]


@dataclass(frozen=True)
class ClipsProgram:
    """The KB compiled for CLIPS: the constructs to build, and how to read back a firing."""

    constructs: tuple[str, ...]
    plans: tuple[_Plan, ...]  # by branch number, as the ``reached`` facts carry it
    slots: dict[str, str]  # case key -> slot name, for the keys some rule reads
    strings: tuple[str, ...]  # every string constant of the rules

    @property
    def source(self) -> str:
        """The whole program as CLIPS text (for reading and debugging; it is built construct
        by construct)."""
        return "\n\n".join(self.constructs) + "\n"


def _ids(rules: tuple[RuleSpec, ...], position: dict[int, int], test: ConclusionTest) -> list[int]:
    """The places in the KB of the rules whose conclusion satisfies ``test``."""
    return sorted(position[id(rule)] for rule in producers(rules, test))


def compile_program(rules: tuple[RuleSpec, ...]) -> ClipsProgram:
    """Translate the rule model into CLIPS constructs, one ``defrule`` per branch alternative."""
    top = max((r.stratum for r in rules), default=0)
    position = {id(rule): n for n, rule in enumerate(rules)}
    ordered = sorted(
        branches(list(rules)),
        key=lambda b: (
            -((top - b.rule.stratum) * _STRATUM_SPAN + b.rule.priority),
            b.rule.ordinal,
            b.index,
        ),
    )
    if len(ordered) > _SALIENCE_COUNT:
        raise KnowledgeBaseError(
            [
                Problem(
                    "knowledge base",
                    f"{len(ordered)} rule branches, more than the {_SALIENCE_COUNT} saliences "
                    "the CLIPS engine can order",
                    code="kb/engine-limit",
                )
            ]
        )
    literals = [lit for b in ordered for alt in b.alternatives for lit in alt]
    slots = _Slots(literals)
    constructs = [
        slots.template(),
        "(deftemplate reached (slot rule) (slot branch))",
        # the branches that fired, in firing order, read back in one call
        "(deffunction fired ()\n  (bind ?out (create$))\n"
        "  (do-for-all-facts ((?r reached)) TRUE (bind ?out (create$ ?out ?r:branch)))\n"
        "  ?out)",
    ]
    plans = []
    for number, branch in enumerate(ordered):
        rule = branch.rule
        salience = _SALIENCE_MAX - number
        own = position[id(rule)]
        premises: list[frozenset[str]] = []
        joins: list[str] = []
        dead = False
        for lit in branch.conclusions:
            assert isinstance(lit.test, ConclusionTest)
            ids = _ids(rules, position, lit.test)
            alternatives = "|".join(map(str, ids))
            if lit.negated:
                if ids:
                    joins.append(f"(not (reached (rule {alternatives})))")
            else:
                premises.append(frozenset(rules[n].then.id for n in ids))
                if not ids:
                    dead = True  # nothing can satisfy it: the branch can never fire
                joins.append(f"(reached (rule {alternatives}))")
        joins.append(f"(not (reached (rule {own})))")  # each rule fires at most once
        plans.append(_Plan(branch, any(branch.alternatives), tuple(premises), branch.absent))
        if dead:
            continue
        reads_premise = any(not lit.negated for lit in branch.conclusions)
        for index, alternative in enumerate(branch.alternatives):
            patterns = []
            if alternative or not reads_premise:
                patterns.append(
                    _case_pattern(alternative, slots, rule) if alternative else "(case)"
                )
            patterns += joins
            constructs.append(
                f"(defrule b{number}-{index}\n  (declare (salience {salience}))\n  "
                + "\n  ".join(patterns)
                + f"\n  =>\n  (assert (reached (rule {own}) (branch {number}))))"
            )
    strings = tuple(
        sorted({v for lit in literals for v in _fact_test(lit).values if isinstance(v, str)})
    )
    constructs.append(keep_alive(strings))
    return ClipsProgram(tuple(constructs), tuple(plans), dict(slots.name), strings)


def _fact_test(lit: SignedTest) -> FactTest:
    assert isinstance(lit.test, FactTest)
    return lit.test


# -- running it -------------------------------------------------------------------------------
class ClipsRunner:
    """One CLIPS environment holding the compiled KB; not for sharing between threads."""

    def __init__(self, program: ClipsProgram):
        self.program = program
        self.env = Environment()
        build_constructs(self.env, program.constructs)
        self._writer = FactWriter(self.env, "case", program.strings)
        self._slots = {key: name.encode() for key, name in program.slots.items()}
        self._plans = program.plans

    def fired(self, facts: Mapping[str, FactValue]) -> tuple[int, ...]:
        """Reset, assert the case and run: the numbers of the branches that fired, in order."""
        self.env.reset()
        slots = self._slots
        self._writer.assert_fact(
            [
                (slots[key], value if type(value) in _PLAIN else _case_value(value))
                for key, value in facts.items()
                if key in slots
            ]
        )
        self.env.run()
        fired: tuple[int, ...] = self._writer.call("fired")
        return fired

    def run(self, facts: Mapping[str, FactValue]) -> list[Firing]:
        """The firings on one case, with their justification, in firing order."""
        firings = []
        reached: list[str] = []
        for number in self.fired(facts):
            plan = self._plans[number]
            branch = plan.branch
            rule = branch.rule
            keys = branch.keys_read(facts) if plan.reads_facts else ()
            premises = tuple(
                next(found for found in reversed(reached) if found in ids) for ids in plan.premises
            )
            firings.append(
                Firing(
                    rule_id=rule.id,
                    conclusion_id=rule.then.id,
                    facts=tuple((key, facts.get(key)) for key in keys),
                    premises=premises,
                    absent=plan.absent,
                )
            )
            reached.append(rule.then.id)
        return firings


class ClipsBackend:
    """Runs a KB's rules on CLIPS: compiled once, one environment per thread."""

    name = "clips"

    def __init__(self, rules: tuple[RuleSpec, ...]):
        self.rules = rules
        self._local = threading.local()

    @cached_property
    def program(self) -> ClipsProgram:
        """Compiled on first use (cached_property locks, so threads compile it once)."""
        return compile_program(self.rules)

    def prepare(self) -> None:
        self.runner()

    def runner(self) -> ClipsRunner:
        """This thread's CLIPS environment (CLIPS environments are not shared across threads)."""
        runner: ClipsRunner | None = getattr(self._local, "runner", None)
        if runner is None:
            runner = self._local.runner = ClipsRunner(self.program)
        return runner

    def run(self, facts: Mapping[str, FactValue]) -> list[Firing]:
        return self.runner().run(facts)
