"""Parse rule files into the rule model, checking them against the schema and the ontology.

Every problem is reported as ``file:line: what was found; what is allowed`` and all problems of
all files are collected before the KB is refused, so a knowledge engineer sees the whole list at
once. The structure of a file is checked by ``kb/schema/rules.schema.json``; conditions are
checked here, where the case keys, their values, ontology classes and clause ids are known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .errors import KnowledgeBaseError, Problem
from .reachability import unreachable_rules
from .rulemodel import (
    All,
    AnyOf,
    AtLeast,
    Conclusion,
    ConclusionTest,
    Condition,
    FactTest,
    Not,
    RuleSpec,
    leaves,
)
from .vocabulary import Vocabulary
from .yamlsource import LineDict, LineList, YamlSyntaxError, load_yaml

_COMBINATORS = {"all", "any", "not", "at_least", "of"}
_CONCLUSION_KINDS = ("finding", "recommendation")
_ORDER_OPS = ("after", "before", "at_least", "at_most")
_NUMBER_OPS = ("lt", "le", "gt", "ge")


def schema_path(kb_folder: Path) -> Path:
    return kb_folder / "schema" / "rules.schema.json"


def parse_kb(kb_folder: Path, vocab: Vocabulary) -> list[RuleSpec]:
    """All rules of ``kb_folder/rules/*.yaml``, checked and stratified; raises on any problem."""
    rules_dir = kb_folder / "rules"
    files = sorted(rules_dir.glob("*.yaml")) + sorted(rules_dir.glob("*.yml"))
    problems: list[Problem] = []
    if not files:
        raise KnowledgeBaseError([Problem(str(rules_dir), "no rule files (*.yaml) found")])
    validator = Draft202012Validator(json.loads(schema_path(kb_folder).read_text()))
    rules: list[RuleSpec] = []
    for path in files:
        parser = _FileParser(path, vocab, validator, ordinal_start=len(rules))
        rules.extend(parser.parse())
        problems.extend(parser.problems)
    problems.extend(_cross_checks(rules))
    if problems:
        raise KnowledgeBaseError(problems)
    strata, cycle_problems = stratify(rules)
    if cycle_problems:
        raise KnowledgeBaseError(cycle_problems)
    rules = [_with_stratum(r, strata[r.id]) for r in rules]
    dead = unreachable_rules(rules, vocab)
    if dead:
        raise KnowledgeBaseError(dead)
    return rules


def _with_stratum(rule: RuleSpec, stratum: int) -> RuleSpec:
    return replace(rule, stratum=stratum)


class _FileParser:
    def __init__(
        self, path: Path, vocab: Vocabulary, validator: Draft202012Validator, ordinal_start: int
    ):
        self.path = path
        self.source = str(path)
        self.vocab = vocab
        self.validator = validator
        self.ordinal = ordinal_start
        self.problems: list[Problem] = []

    def problem(self, line: int | None, message: str, key: str | None = None) -> None:
        self.problems.append(Problem(self.source, message, line, key))

    # -- file level ---------------------------------------------------------------------
    def parse(self) -> list[RuleSpec]:
        text = self.path.read_text(encoding="utf-8")
        if not text.strip():
            self.problem(None, "empty file; expected theme, title and rules")
            return []
        try:
            data, problems = load_yaml(text, self.source)
        except YamlSyntaxError as exc:
            self.problems.extend(exc.problems)
            return []
        self.problems.extend(problems)
        if not isinstance(data, Mapping):
            self.problem(
                getattr(data, "line", 1),
                "found no mapping at the top level; expected theme, title and rules",
            )
            return []
        self._schema_problems(data)
        rules = []
        for index, raw in enumerate(data.get("rules") or []):
            if isinstance(raw, Mapping):
                rule = self._rule(raw, str(data.get("theme", "")), _item_line(data["rules"], index))
                if rule is not None:
                    rules.append(rule)
        return rules

    def _schema_problems(self, data: Any) -> None:
        for error in sorted(self.validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
            path = list(error.absolute_path)
            if "when" in path:  # conditions get precise messages from _condition below
                continue
            line = _line_at(data, path)
            where = ".".join(str(p) for p in path) or "(top level)"
            self.problem(line, f"{where}: {error.message}")

    def _rule(self, raw: Mapping, theme: str, line: int | None) -> RuleSpec | None:
        needed = ("id", "title", "clauses", "rationale", "priority", "when", "then")
        if any(k not in raw for k in needed) or not isinstance(raw.get("then"), Mapping):
            return None  # the schema has reported what is missing
        rule_id = raw["id"]
        clauses = tuple(raw["clauses"]) if isinstance(raw["clauses"], list) else ()
        for i, clause in enumerate(clauses):
            if clause not in self.vocab.clauses:
                self.problem(
                    _item_line(raw["clauses"], i) or line,
                    f"rule {rule_id}: unknown clause id {clause!r}; allowed: "
                    f"{', '.join(sorted(self.vocab.clauses, key=_clause_sort))}",
                )
        when = self._condition(raw["when"], _key_line(raw, "when"), rule_id)
        then = self._conclusion(raw["then"], rule_id, clauses, _key_line(raw, "then"))
        if when is None or then is None:
            return None
        self.ordinal += 1
        return RuleSpec(
            id=rule_id,
            title=raw["title"],
            clauses=clauses,
            rationale=raw["rationale"],
            priority=raw["priority"],
            when=when,
            then=then,
            references=tuple(raw.get("references") or ()),
            theme=theme,
            source=self.source,
            line=line,
            ordinal=self.ordinal,
        )

    def _conclusion(
        self, raw: Mapping, rule_id: str, clauses: tuple[str, ...], line: int | None
    ) -> Conclusion | None:
        kind = next(iter(raw), None)
        body = raw.get(kind)
        if kind not in _CONCLUSION_KINDS or not isinstance(body, Mapping) or "id" not in body:
            return None
        if kind == "finding":
            if body.get("kind") == "challenge" and not any(c.startswith("CH-") for c in clauses):
                self.problem(
                    line,
                    f"rule {rule_id}: a challenge finding must cite a challenge "
                    "clause; found none of CH-1 … CH-6 in clauses",
                )
            return Conclusion(
                "finding",
                body["id"],
                body.get("summary", ""),
                finding_kind=body.get("kind"),
                severity=body.get("severity"),
            )
        if not any(c.startswith("REC-") or c == "KM" for c in clauses):
            self.problem(
                line,
                f"rule {rule_id}: a recommendation must cite a recommendation "
                "clause; found none of REC-1 … REC-6 or KM in clauses",
            )
        return Conclusion(
            "recommendation",
            body["id"],
            body.get("summary", ""),
            actions=tuple(body.get("actions") or ()),
        )

    # -- conditions ---------------------------------------------------------------------
    def _condition(self, raw: Any, line: int | None, rule_id: str) -> Condition | None:
        line = getattr(raw, "line", line)
        if not isinstance(raw, Mapping) or not raw:
            self.problem(
                line,
                f"rule {rule_id}: found {raw!r} as a condition; allowed: a mapping "
                "with all, any, not, at_least/of, finding, recommendation or a "
                "case key",
            )
            return None
        keys = set(raw)
        if keys == {"at_least", "of"}:
            items = self._items(raw["of"], _key_line(raw, "of", line), rule_id, "of")
            count = raw["at_least"]
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                self.problem(
                    _key_line(raw, "at_least", line),
                    f"rule {rule_id}: at_least: found {count!r}; allowed: an integer ≥ 1",
                )
                return None
            if items is not None and count > len(items):
                self.problem(
                    _key_line(raw, "at_least", line),
                    f"rule {rule_id}: at_least: found {count} of only {len(items)} "
                    "conditions; the condition can never hold",
                )
                return None
            return AtLeast(count, items) if items is not None else None
        if len(raw) != 1:
            self.problem(
                line,
                f"rule {rule_id}: found several keys ({', '.join(map(str, raw))}) in "
                "one condition; allowed: exactly one (use all: to combine)",
            )
            return None
        ((key, value),) = raw.items()
        key_line = _key_line(raw, key, line)
        if key in ("all", "any"):
            items = self._items(value, key_line, rule_id, key)
            if items is None:
                return None
            return All(items) if key == "all" else AnyOf(items)
        if key == "not":
            item = self._condition(value, key_line, rule_id)
            return Not(item) if item is not None else None
        if key in _CONCLUSION_KINDS:
            return self._conclusion_test(key, value, key_line, rule_id)
        if key in _COMBINATORS:
            self.problem(
                key_line, f"rule {rule_id}: found {key!r} alone; allowed: at_least together with of"
            )
            return None
        return self._fact_test(key, value, key_line, rule_id)

    def _items(self, raw: Any, line: int | None, rule_id: str, name: str):
        if not isinstance(raw, list) or not raw:
            self.problem(
                line,
                f"rule {rule_id}: {name}: found {raw!r}; allowed: a non-empty list of conditions",
            )
            return None
        items = [
            self._condition(item, _item_line(raw, i) or line, rule_id) for i, item in enumerate(raw)
        ]
        return tuple(items) if all(i is not None for i in items) else None

    def _conclusion_test(
        self, kind: str, value: Any, line: int | None, rule_id: str
    ) -> ConclusionTest | None:
        if isinstance(value, str):
            return ConclusionTest(kind, id=value, line=line)
        if isinstance(value, Mapping) and set(value) == {"about"}:
            clause = value["about"]
            if clause not in self.vocab.clauses:
                self.problem(
                    line,
                    f"rule {rule_id}: {kind}: unknown clause id {clause!r}; allowed: "
                    f"{', '.join(sorted(self.vocab.clauses, key=_clause_sort))}",
                )
                return None
            return ConclusionTest(kind, about=clause, line=line)
        self.problem(
            line,
            f"rule {rule_id}: {kind}: found {value!r}; allowed: a conclusion id, "
            "or {about: <clause id>}",
        )
        return None

    def _fact_test(self, name: str, spec: Any, line: int | None, rule_id: str) -> FactTest | None:
        key = self.vocab.keys.get(name)
        where = f"rule {rule_id}: {name}"
        if key is None:
            self.problem(
                line,
                f"rule {rule_id}: unknown case key {name!r}; allowed: {', '.join(self.vocab.keys)}",
            )
            return None
        base = dict(key=name, multi=key.multi, line=line)
        if spec in ("known", "unknown"):
            return FactTest(op=spec, **base)
        if not isinstance(spec, Mapping):
            value = self._value(key, spec, line, where)
            return (
                None
                if value is _BAD
                else FactTest(op="in", values=frozenset([value]), written=_show(value), **base)
            )
        if len(spec) != 1:
            self.problem(line, f"{where}: found {len(spec)} operators; allowed: exactly one")
            return None
        ((op, arg),) = spec.items()
        if op in ("in", "all_of"):
            if op == "all_of" and not key.multi:
                self.problem(
                    line,
                    f"{where}: all_of applies to list keys only; allowed: in, or a single value",
                )
                return None
            if not isinstance(arg, list) or not arg:
                self.problem(line, f"{where}: {op}: found {arg!r}; allowed: a non-empty list")
                return None
            values = [self._value(key, v, line, where) for v in arg]
            if _BAD in values:
                return None
            written = ("one of " if op == "in" else "all of ") + ", ".join(map(_show, values))
            return FactTest(op=op, values=frozenset(values), written=written, **base)
        if op == "is_a":
            return self._class_test(key, arg, line, where, base)
        if op in _ORDER_OPS:
            return self._order_test(key, op, arg, line, where, base)
        if op in _NUMBER_OPS:
            if key.kind not in ("integer", "number"):
                self.problem(
                    line, f"{where}: {op} compares numbers; {name} is {key.kind}, not a number"
                )
                return None
            if isinstance(arg, bool) or not isinstance(arg, int | float):
                self.problem(line, f"{where}: {op}: found {arg!r}; allowed: a number")
                return None
            return FactTest(op=op, number=arg, **base)
        self.problem(
            line,
            f"{where}: unknown operator {op!r}; allowed: in, all_of, is_a, after, "
            "before, at_least, at_most, lt, le, gt, ge (or a value, known, unknown)",
        )
        return None

    def _value(self, key, value: Any, line: int | None, where: str):
        if key.is_choice:
            if isinstance(value, str) and value in key.values:
                return value
            self.problem(
                line, f"{where}: unknown value {value!r}; allowed: {', '.join(key.values)}"
            )
            return _BAD
        expected = {"boolean": bool, "integer": int, "number": int | float, "text": str}[key.kind]
        if isinstance(value, bool) != (key.kind == "boolean") or not isinstance(value, expected):
            self.problem(line, f"{where}: found {value!r}; allowed: a {key.kind} value")
            return _BAD
        return value

    def _class_test(self, key, name: Any, line, where, base) -> FactTest | None:
        cls = self.vocab.resolve_class(str(name)) if isinstance(name, str) else None
        allowed = self.vocab.classes_over(key)
        if cls is None or not key.is_choice:
            hint = f"; allowed: {', '.join(allowed)}" if allowed else f"; {key.name} has no classes"
            self.problem(line, f"{where}: unknown ontology class {name!r}{hint}")
            return None
        values = {key.notation_of(m) for m in self.vocab.members(cls)} - {None}
        if not values:
            self.problem(
                line,
                f"{where}: class {name} has no values of {key.name}; allowed: {', '.join(allowed)}",
            )
            return None
        written = f"a {name} ({', '.join(v for v in key.values if v in values)})"
        return FactTest(op="in", values=frozenset(values), written=written, **base)

    def _order_test(self, key, op: str, pivot: Any, line, where, base) -> FactTest | None:
        order = self.vocab.value_order(key) if key.is_choice else None
        if order is None:
            self.problem(
                line, f"{where}: {op} needs ordered values; {key.name} has no order in the ontology"
            )
            return None
        if pivot not in order:
            self.problem(
                line, f"{where}: {op}: unknown value {pivot!r}; allowed: {', '.join(order)}"
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
            self.problem(
                line,
                f"{where}: nothing is {op.replace('_', ' ')} {pivot!r}; the "
                "condition can never hold",
            )
            return None
        written = f"{op.replace('_', ' ')} {pivot} ({', '.join(chosen)})"
        return FactTest(op="in", values=frozenset(chosen), written=written, **base)


_BAD = object()


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _clause_sort(clause: str) -> tuple[int, int]:
    prefix, _, number = clause.partition("-")
    return (["KC", "CH", "REC", "KM"].index(prefix), int(number or 0))


def _key_line(mapping: Any, key: str, default: int | None = None) -> int | None:
    return getattr(mapping, "key_lines", {}).get(key, default)


def _item_line(seq: Any, index: int) -> int | None:
    lines = getattr(seq, "item_lines", None)
    return lines[index] if lines and index < len(lines) else None


def _line_at(data: Any, path: list) -> int | None:
    """Line of the deepest node on ``path`` that has one."""
    node, line = data, getattr(data, "line", None)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def _cross_checks(rules: list[RuleSpec]) -> list[Problem]:
    """Duplicate ids, and conditions on conclusions that no rule produces."""
    problems: list[Problem] = []
    first_rule: dict[str, RuleSpec] = {}
    producer: dict[str, RuleSpec] = {}
    for rule in rules:
        if rule.id in first_rule:
            other = first_rule[rule.id]
            problems.append(
                Problem(
                    rule.source,
                    f"duplicate rule id {rule.id!r} (first defined at {other.source}:{other.line})",
                    rule.line,
                )
            )
        first_rule.setdefault(rule.id, rule)
        conclusion = rule.then.id
        if conclusion in producer:
            other = producer[conclusion]
            problems.append(
                Problem(
                    rule.source,
                    f"rule {rule.id}: duplicate conclusion id "
                    f"{conclusion!r} (already concluded by rule "
                    f"{other.id} at {other.source}:{other.line})",
                    rule.line,
                )
            )
        producer.setdefault(conclusion, rule)
    for rule in rules:
        for test in leaves(rule.when):
            if not isinstance(test, ConclusionTest):
                continue
            if test.id is not None:
                made = producer.get(test.id)
                if made is None or made.then.kind != test.kind:
                    what = f"it is a {made.then.kind}" if made else "no rule concludes it"
                    problems.append(
                        Problem(
                            rule.source,
                            f"rule {rule.id}: condition on {test.kind} {test.id!r}, but {what}",
                            test.line,
                        )
                    )
            elif not any(r.then.kind == test.kind and test.about in r.clauses for r in rules):
                problems.append(
                    Problem(
                        rule.source,
                        f"rule {rule.id}: condition on a {test.kind} "
                        f"about {test.about}, but no rule concludes one",
                        test.line,
                    )
                )
    return problems


def producers(rules: list[RuleSpec], test: ConclusionTest) -> list[RuleSpec]:
    """Rules whose conclusion can satisfy a conclusion test."""
    if test.id is not None:
        return [r for r in rules if r.then.id == test.id]
    return [r for r in rules if r.then.kind == test.kind and test.about in r.clauses]


def stratify(rules: list[RuleSpec]) -> tuple[dict[str, int], list[Problem]]:
    """Stratum of each rule: one above every rule whose conclusion it reads.

    Firing stratum by stratum means a rule that tests the absence of a conclusion runs only after
    every rule that could produce it has had its chance. A rule that (through others) reads its
    own conclusion has no stratum and is reported.
    """
    depends = {
        r.id: sorted(
            {
                p.id
                for t in leaves(r.when)
                if isinstance(t, ConclusionTest)
                for p in producers(rules, t)
            }
        )
        for r in rules
    }
    by_id = {r.id: r for r in rules}
    strata: dict[str, int] = {}
    problems: list[Problem] = []
    visiting: list[str] = []

    def visit(rule_id: str) -> int:
        if rule_id in strata:
            return strata[rule_id]
        if rule_id in visiting:
            cycle = visiting[visiting.index(rule_id) :] + [rule_id]
            rule = by_id[rule_id]
            problems.append(
                Problem(
                    rule.source,
                    "rules depend on each other in a cycle: " + " → ".join(cycle),
                    rule.line,
                )
            )
            return 0
        visiting.append(rule_id)
        level = max((visit(d) + 1 for d in depends[rule_id]), default=0)
        visiting.pop()
        strata[rule_id] = level
        return level

    for rule in rules:
        visit(rule.id)
    return strata, list(dict.fromkeys(problems))
