"""How the rules of a KB depend on one another: duplicate ids, dangling premises, strata, cycles.

A rule that tests a conclusion depends on the rules that can produce it
(:func:`~innoproc.rules.model.producers`). Firing stratum by stratum means a rule that tests the
absence of a conclusion runs only after every rule that could produce it has had its chance.
"""

from __future__ import annotations

from collections.abc import Collection

from innoproc.errors import Problem

from .model import ConclusionTest, RuleSpec, leaves, producers


def cross_checks(rules: list[RuleSpec], refused: Collection[str] = ()) -> list[Problem]:
    """Duplicate ids, and conditions on conclusions that no rule produces.

    ``refused`` holds the conclusion ids of rules refused for an earlier problem: a condition on
    one of them is a consequence of that problem, not a problem of its own, and is not reported.
    """
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
                    code="kb/duplicate-rule",
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
                    code="kb/duplicate-conclusion",
                )
            )
        producer.setdefault(conclusion, rule)
    for rule in rules:
        for test in leaves(rule.when):
            if not isinstance(test, ConclusionTest) or producers(rules, test):
                continue
            if test.id is not None:
                if test.id in refused:
                    continue
                made = producer.get(test.id)
                what = f"it is a {made.then.kind}" if made else "no rule concludes it"
                message = f"rule {rule.id}: condition on {test.kind} {test.id!r}, but {what}"
            else:
                message = (
                    f"rule {rule.id}: condition on a {test.kind} "
                    f"about {test.about}, but no rule concludes one"
                )
            problems.append(Problem(rule.source, message, test.line, code="kb/no-producer"))
    return problems


def dependencies(rules: list[RuleSpec]) -> dict[str, list[str]]:
    """Rule id -> ids of the rules whose conclusions it reads."""
    return {
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


def stratify(rules: list[RuleSpec]) -> tuple[dict[str, int], list[Problem]]:
    """Stratum of each rule: one above every rule whose conclusion it reads.

    A rule that (through others) reads its own conclusion has no stratum and is reported.
    """
    depends = dependencies(rules)
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
                    code="kb/cycle",
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
