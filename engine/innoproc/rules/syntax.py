"""Read one rule file into the rule model: rules, their conclusions and condition trees.

Every problem is reported as ``file:line: what was found; what is allowed`` with a stable code.
The shape of a condition follows :mod:`innoproc.rules.grammar`; its words (case keys, values,
classes, clause ids) are resolved by :mod:`innoproc.rules.resolve`. A rule with a problem is left
out of the model, but its conclusion id is remembered (:attr:`FileParser.refused_conclusions`) so
that rules reading it are not also told that nobody concludes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from innoproc.errors import InputError, Problem, did_you_mean
from innoproc.ontology import Vocabulary
from innoproc.reading.limits import Limits, current_limits
from innoproc.reading.values import check_structure
from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml

from . import grammar
from .model import All, AnyOf, AtLeast, Conclusion, Condition, Kind, Not, RuleSpec
from .resolve import Resolver
from .schema import structure_problems


class FileParser:
    """Parses one rule file; collects its rules and its problems."""

    def __init__(
        self,
        path: Path,
        vocab: Vocabulary,
        validator: Draft202012Validator,
        ordinal_start: int,
        limits: Limits | None = None,
    ):
        self.path = path
        self.source = str(path)
        self.vocab = vocab
        self.validator = validator
        self.ordinal = ordinal_start
        self.limits = limits or current_limits()
        self.problems: list[Problem] = []
        self.refused_conclusions: set[str] = set()
        self.resolver = Resolver(vocab, self._report)

    def _report(self, line: int | None, message: str, code: str) -> None:
        self.problems.append(Problem(self.source, message, line, code=code))

    # -- file level ---------------------------------------------------------------------
    def parse(self, text: str) -> list[RuleSpec]:
        if not text.strip():
            self._report(None, "empty file; expected theme, title and rules", "kb/empty-file")
            return []
        try:
            data, problems = load_yaml(text, self.source, self.limits)
            check_structure(data, self.source, self.limits)
        except (YamlSyntaxError, InputError) as exc:
            self.problems.extend(exc.problems)
            return []
        self.problems.extend(problems)
        if not isinstance(data, Mapping):
            self._report(
                getattr(data, "line", 1),
                "found no mapping at the top level; expected theme, title and rules",
                "kb/top-level",
            )
            return []
        self.problems.extend(structure_problems(self.validator, data, self.source))
        rules = []
        raw_rules = data.get("rules")
        for index, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
            if isinstance(raw, Mapping):
                rule = self._rule(raw, str(data.get("theme", "")), _item_line(raw_rules, index))
                if rule is not None:
                    rules.append(rule)
        return rules

    def _rule(self, raw: Mapping[str, Any], theme: str, line: int | None) -> RuleSpec | None:
        needed = ("id", "title", "clauses", "rationale", "priority", "when", "then")
        if any(k not in raw for k in needed) or not isinstance(raw.get("then"), Mapping):
            return None  # the schema has reported what is missing
        rule_id = str(raw["id"])
        written = raw["clauses"] if isinstance(raw["clauses"], list) else []
        clauses = tuple(written)
        resolved = [
            self.resolver.clause(clause, _item_line(written, i) or line, f"rule {rule_id}: ")
            for i, clause in enumerate(written)
        ]
        when = self._condition(raw["when"], _key_line(raw, "when"), rule_id)
        then = self._conclusion(raw["then"], rule_id, clauses, _key_line(raw, "then"))
        if then is not None and None not in resolved:  # an unknown clause is reported already
            self._check_grounding(then, rule_id, clauses, _key_line(raw, "then"))
        if when is None or then is None:
            body = next(iter(raw["then"].values()), None)
            if isinstance(body, Mapping) and isinstance(body.get("id"), str):
                self.refused_conclusions.add(body["id"])
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
        self, raw: Mapping[str, Any], rule_id: str, clauses: tuple[str, ...], line: int | None
    ) -> Conclusion | None:
        kind = next(iter(raw), None)
        body = raw.get(kind) if kind is not None else None
        if (
            kind not in grammar.CONCLUSION_KINDS
            or not isinstance(body, Mapping)
            or "id" not in body
        ):
            return None  # the schema has reported it
        if kind == "finding":
            conclusion = Conclusion(
                "finding",
                body["id"],
                body.get("summary", ""),
                finding_kind=body.get("kind"),
                severity=body.get("severity"),
            )
        else:
            conclusion = Conclusion(
                "recommendation",
                body["id"],
                body.get("summary", ""),
                actions=tuple(body.get("actions") or ()),
                course=self._course(body.get("course"), rule_id, line),
                confirms=body.get("confirms") is True,
            )
        return conclusion

    def _course(self, course: Any, rule_id: str, line: int | None) -> str | None:
        if course is None or course in self.vocab.courses:
            return course if isinstance(course, str) else None
        known = list(self.vocab.courses)
        self._report(
            line,
            f"rule {rule_id}: recommendation.course: unknown course of action {course!r}; "
            f"allowed: {', '.join(known)}{did_you_mean(course, known)}",
            "kb/unknown-course",
        )
        return None

    def _check_grounding(
        self, conclusion: Conclusion, rule_id: str, clauses: tuple[str, ...], line: int | None
    ) -> None:
        """A challenge finding must cite a challenge clause, a recommendation a recommendation
        clause; which clauses those are, the ontology's clause scheme says."""
        kind = conclusion.conclusion_kind
        if kind == "risk-finding":
            return
        grounding = self.vocab.clauses_grounding(kind)
        if any(c in grounding for c in clauses):
            return
        what = "a challenge finding" if kind == "challenge-finding" else "a recommendation"
        which = "challenge" if kind == "challenge-finding" else "recommendation"
        self._report(
            line,
            f"rule {rule_id}: {what} must cite a {which} clause; found none of "
            f"{_span(grounding)} in clauses",
            "kb/clause-kind",
        )

    # -- conditions ---------------------------------------------------------------------
    def _condition(self, raw: Any, line: int | None, rule_id: str) -> Condition | None:
        line = getattr(raw, "line", line)
        if not isinstance(raw, Mapping) or not raw:
            self._report(
                line,
                f"rule {rule_id}: found {raw!r} as a condition; allowed: a mapping "
                "with all, any, not, at_least/of, finding, recommendation or a "
                "case key",
                "kb/bad-condition",
            )
            return None
        if set(raw) == {grammar.AT_LEAST, grammar.OF}:
            return self._at_least(raw, line, rule_id)
        if len(raw) != 1:
            self._report(
                line,
                f"rule {rule_id}: found several keys ({', '.join(map(str, raw))}) in "
                "one condition; allowed: exactly one (use all: to combine)",
                "kb/bad-condition",
            )
            return None
        ((key, value),) = raw.items()
        key_line = _key_line(raw, key, line)
        if key in grammar.LIST_COMBINATORS:
            items = self._items(value, key_line, rule_id, key)
            if items is None:
                return None
            return All(items) if key == "all" else AnyOf(items)
        if key == grammar.NOT:
            item = self._condition(value, key_line, rule_id)
            return Not(item) if item is not None else None
        if key in grammar.CONCLUSION_KINDS:
            kind: Kind = "finding" if key == "finding" else "recommendation"
            return self.resolver.conclusion_test(kind, value, key_line, rule_id)
        if key in grammar.RESERVED:
            self._report(
                key_line,
                f"rule {rule_id}: found {key!r} alone; allowed: at_least together with of",
                "kb/bad-condition",
            )
            return None
        return self.resolver.fact_test(str(key), value, key_line, rule_id)

    def _at_least(self, raw: Mapping[str, Any], line: int | None, rule_id: str) -> AtLeast | None:
        items = self._items(raw[grammar.OF], _key_line(raw, grammar.OF, line), rule_id, "of")
        count = raw[grammar.AT_LEAST]
        count_line = _key_line(raw, grammar.AT_LEAST, line)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            self._report(
                count_line,
                f"rule {rule_id}: at_least: found {count!r}; allowed: an integer ≥ 1",
                "kb/bad-condition",
            )
            return None
        if items is not None and count > len(items):
            self._report(
                count_line,
                f"rule {rule_id}: at_least: found {count} of only {len(items)} "
                "conditions; the condition can never hold",
                "kb/never-holds",
            )
            return None
        return AtLeast(count, items) if items is not None else None

    def _items(
        self, raw: Any, line: int | None, rule_id: str, name: str
    ) -> tuple[Condition, ...] | None:
        if not isinstance(raw, list) or not raw:
            self._report(
                line,
                f"rule {rule_id}: {name}: found {raw!r}; allowed: a non-empty list of conditions",
                "kb/bad-condition",
            )
            return None
        items = [
            self._condition(item, _item_line(raw, i) or line, rule_id) for i, item in enumerate(raw)
        ]
        good = [i for i in items if i is not None]
        return tuple(good) if len(good) == len(items) else None


def _span(clause_ids: list[str]) -> str:
    """``CH-1 … CH-6`` for a run of numbered clauses, plus any others: for messages."""
    numbered = [c for c in clause_ids if "-" in c]
    others = [c for c in clause_ids if "-" not in c]
    parts = []
    if numbered:
        parts.append(numbered[0] if len(numbered) == 1 else f"{numbered[0]} … {numbered[-1]}")
    return " or ".join(parts + others)


def _key_line(mapping: Any, key: str, default: int | None = None) -> int | None:
    lines: dict[str, int] = getattr(mapping, "key_lines", {})
    return lines.get(key, default)


def _item_line(seq: Any, index: int) -> int | None:
    lines = getattr(seq, "item_lines", None)
    return lines[index] if lines and index < len(lines) else None
