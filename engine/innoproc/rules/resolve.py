"""Resolve the words of a condition against the ontology: keys, values, classes, orders, clauses.

The syntax layer (:mod:`innoproc.rules.syntax`) knows the shape of a condition; this module knows
what its words mean. A case key becomes a :class:`~innoproc.rules.model.FactTest` whose values are
plain case-form notations: ``is_a`` a class becomes the set of its members, ``after`` a value the
values that follow it in the ontology's order. Unknown words are reported with what is allowed
and, where one is close, the word that was probably meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, cast

from innoproc.errors import did_you_mean
from innoproc.ontology import CaseKey, FactValue, Vocabulary

from . import grammar
from .model import ConclusionTest, FactOp, FactTest, Kind

#: report(line, message, code): how the resolver tells its caller about a problem
Report = Callable[[int | None, str, str], None]


class _Bad:
    """Marker for a value that was reported as wrong."""


_BAD = _Bad()


class Resolver:
    """Turns the words of one rule's conditions into model tests, reporting what is unknown."""

    def __init__(self, vocab: Vocabulary, report: Report):
        self.vocab = vocab
        self.report = report

    def clause(self, clause: Any, line: int | None, where: str) -> str | None:
        """A clause id of the ontology's scheme, or None (reported)."""
        if isinstance(clause, str) and clause in self.vocab.clauses:
            return clause
        known = list(self.vocab.clauses)
        self.report(
            line,
            f"{where}unknown clause id {clause!r}; allowed: {', '.join(known)}"
            f"{did_you_mean(clause, known)}",
            "kb/unknown-clause",
        )
        return None

    def conclusion_test(
        self, kind: Kind, value: Any, line: int | None, rule_id: str
    ) -> ConclusionTest | None:
        if isinstance(value, str) and re.fullmatch(grammar.SLUG_PATTERN, value):
            return ConclusionTest(kind, id=value, line=line)
        if isinstance(value, Mapping) and set(value) == {"about"}:
            clause = self.clause(value["about"], line, f"rule {rule_id}: {kind}: ")
            return ConclusionTest(kind, about=clause, line=line) if clause else None
        self.report(
            line,
            f"rule {rule_id}: {kind}: found {value!r}; allowed: a conclusion id, "
            "or {about: <clause id>}",
            "kb/bad-condition",
        )
        return None

    def fact_test(self, name: str, spec: Any, line: int | None, rule_id: str) -> FactTest | None:
        key = self.vocab.keys.get(name)
        where = f"rule {rule_id}: {name}"
        if key is None:
            known = list(self.vocab.keys)
            self.report(
                line,
                f"rule {rule_id}: unknown case key {name!r}; allowed: {', '.join(known)}"
                f"{did_you_mean(name, known)}",
                "kb/unknown-key",
            )
            return None
        if spec in grammar.PRESENCE_WORDS:
            return FactTest(key=name, op=spec, multi=key.multi, line=line)
        if not isinstance(spec, Mapping):
            value = self._value(key, spec, line, where)
            if isinstance(value, _Bad):
                return None
            return FactTest(
                key=name,
                op="in",
                values=frozenset([value]),
                written=_show(value),
                multi=key.multi,
                line=line,
            )
        if len(spec) != 1:
            self.report(
                line, f"{where}: found {len(spec)} operators; allowed: exactly one", "kb/operator"
            )
            return None
        ((op, arg),) = spec.items()
        kind = grammar.FACT_OPERATORS.get(op)
        if kind == "values":
            return self._values_test(key, op, arg, line, where)
        if kind == "class":
            return self._class_test(key, arg, line, where)
        if kind == "value":
            return self._order_test(key, op, arg, line, where)
        if kind == "number":
            return self._number_test(key, op, arg, line, where)
        ops = list(grammar.FACT_OPERATORS)
        self.report(
            line,
            f"{where}: unknown operator {op!r}; allowed: {', '.join(ops)} "
            f"(or a value, {' or '.join(grammar.PRESENCE_WORDS)}){did_you_mean(op, ops)}",
            "kb/unknown-operator",
        )
        return None

    # -- one method per kind of operator argument ------------------------------------------
    def _values_test(
        self, key: CaseKey, op: str, arg: Any, line: int | None, where: str
    ) -> FactTest | None:
        if op == "all_of" and not key.multi:
            self.report(
                line,
                f"{where}: all_of applies to list keys only; allowed: in, or a single value",
                "kb/operator",
            )
            return None
        if not isinstance(arg, list) or not arg:
            self.report(line, f"{where}: {op}: found {arg!r}; allowed: a non-empty list", "kb/type")
            return None
        values = [self._value(key, v, line, where) for v in arg]
        good = [v for v in values if not isinstance(v, _Bad)]
        if len(good) != len(values):
            return None
        written = ("one of " if op == "in" else "all of ") + ", ".join(map(_show, good))
        return FactTest(
            key=key.name,
            op="in" if op == "in" else "all_of",
            values=frozenset(good),
            written=written,
            multi=key.multi,
            line=line,
        )

    def _number_test(
        self, key: CaseKey, op: str, arg: Any, line: int | None, where: str
    ) -> FactTest | None:
        if key.kind not in ("integer", "number"):
            self.report(
                line,
                f"{where}: {op} compares numbers; {key.name} is {key.kind}, not a number",
                "kb/operator",
            )
            return None
        if isinstance(arg, bool) or not isinstance(arg, int | float):
            self.report(line, f"{where}: {op}: found {arg!r}; allowed: a number", "kb/type")
            return None
        compare = cast(FactOp, op)  # one of grammar.NUMBER_OPERATORS
        return FactTest(key=key.name, op=compare, number=arg, multi=key.multi, line=line)

    def _value(self, key: CaseKey, value: Any, line: int | None, where: str) -> FactValue | _Bad:
        if key.is_choice:
            if isinstance(value, str) and value in key.value_iris:
                return value
            known = list(key.value_iris)
            self.report(
                line,
                f"{where}: unknown value {value!r}; allowed: {', '.join(known)}"
                f"{did_you_mean(value, known)}",
                "kb/unknown-value",
            )
            return _BAD
        expected: Any = {"boolean": bool, "integer": int, "number": int | float, "text": str}[
            key.kind
        ]
        if isinstance(value, bool) != (key.kind == "boolean") or not isinstance(value, expected):
            self.report(line, f"{where}: found {value!r}; allowed: a {key.kind} value", "kb/type")
            return _BAD
        return value  # type: ignore[no-any-return]

    def _class_test(self, key: CaseKey, name: Any, line: int | None, where: str) -> FactTest | None:
        cls = self.vocab.resolve_class(str(name)) if isinstance(name, str) else None
        allowed = self.vocab.classes_over(key)
        if cls is None or not key.is_choice:
            hint = f"; allowed: {', '.join(allowed)}" if allowed else f"; {key.name} has no classes"
            self.report(
                line,
                f"{where}: unknown ontology class {name!r}{hint}{did_you_mean(name, allowed)}",
                "kb/unknown-class",
            )
            return None
        values = {key.notation_of(m) for m in self.vocab.members(cls)} - {None}
        if not values:
            self.report(
                line,
                f"{where}: class {name} has no values of {key.name}; allowed: {', '.join(allowed)}",
                "kb/class-without-values",
            )
            return None
        written = f"a {name} ({', '.join(v for v in key.value_iris if v in values)})"
        return FactTest(
            key=key.name,
            op="in",
            values=frozenset(v for v in values if v is not None),
            written=written,
            multi=key.multi,
            line=line,
        )

    def _order_test(
        self, key: CaseKey, op: str, pivot: Any, line: int | None, where: str
    ) -> FactTest | None:
        order = self.vocab.value_order(key) if key.is_choice else None
        if order is None:
            self.report(
                line,
                f"{where}: {op} needs ordered values; {key.name} has no order in the ontology",
                "kb/unordered-key",
            )
            return None
        if pivot not in order:
            self.report(
                line,
                f"{where}: {op}: unknown value {pivot!r}; allowed: {', '.join(order)}"
                f"{did_you_mean(pivot, order)}",
                "kb/unknown-value",
            )
            return None
        i = order.index(pivot)
        chosen = {
            "after": order[i + 1 :],
            "before": order[:i],
            "at_least": order[i:],
            "at_most": order[: i + 1],
        }[op]
        if not chosen:
            self.report(
                line,
                f"{where}: nothing is {op.replace('_', ' ')} {pivot!r}; the "
                "condition can never hold",
                "kb/never-holds",
            )
            return None
        written = f"{op.replace('_', ' ')} {pivot} ({', '.join(chosen)})"
        return FactTest(
            key=key.name,
            op="in",
            values=frozenset(chosen),
            written=written,
            multi=key.multi,
            line=line,
        )


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
