"""Load a knowledge-base folder into checked, stratified rules.

The steps, each in its own module: the file structure against the JSON Schema (:mod:`.schema`),
each file into the rule model (:mod:`.syntax`, words resolved by :mod:`.resolve`), then checks
on the whole KB (:mod:`.dependencies`, :mod:`.reachability`). Every problem of every file is
collected before the KB is refused, so a knowledge engineer sees the whole list at once; a later
step runs only on a KB the earlier steps accepted, so its reports are never consequences of an
earlier problem.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from innoproc.errors import InputError, KnowledgeBaseError, Problem
from innoproc.ontology import Vocabulary
from innoproc.reading.files import read_text
from innoproc.reading.limits import Limits, current_limits

from .dependencies import cross_checks, stratify
from .model import RuleSpec
from .normalform import dnf_size
from .reachability import unreachable_rules


def rule_files(kb_folder: Path) -> list[Path]:
    """The rule files of a KB folder, in the order they are read."""
    rules_dir = kb_folder / "rules"
    return sorted(rules_dir.glob("*.yaml")) + sorted(rules_dir.glob("*.yml"))


def parse_kb(kb_folder: Path, vocab: Vocabulary) -> list[RuleSpec]:
    """All rules of ``kb_folder/rules/*.yaml``, checked and stratified; raises on any problem."""
    files = rule_files(kb_folder)
    if not files:
        raise KnowledgeBaseError(
            [
                Problem(
                    str(kb_folder / "rules"),
                    "no rule files (*.yaml) found",
                    code="kb/no-rule-files",
                )
            ]
        )
    # the schema checker and the parser import jsonschema: only when a KB is actually checked
    # (a cached KB, see innoproc.rules.cache, is not)
    from .schema import load_validator
    from .syntax import FileParser

    limits = current_limits()
    validator = load_validator(kb_folder, limits)
    problems: list[Problem] = []
    refused: set[str] = set()
    rules: list[RuleSpec] = []
    for path in files:
        try:
            text = read_text(path, limits, folder=kb_folder)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        parser = FileParser(path, vocab, validator, ordinal_start=len(rules), limits=limits)
        rules.extend(parser.parse(text))
        problems.extend(parser.problems)
        refused |= parser.refused_conclusions
    problems.extend(cross_checks(rules, refused))
    problems.extend(too_complex(rules, limits))
    if problems:
        raise KnowledgeBaseError(problems)
    strata, cycle_problems = stratify(rules)
    if cycle_problems:
        raise KnowledgeBaseError(cycle_problems)
    rules = [replace(r, stratum=strata[r.id]) for r in rules]
    dead = unreachable_rules(rules, vocab)
    if dead:
        raise KnowledgeBaseError(dead)
    return rules


def too_complex(rules: list[RuleSpec], limits: Limits) -> list[Problem]:
    """Rules whose condition would expand past the limit in disjunctive normal form.

    The engine and the checks work on that normal form; its size is computed without building
    it, so a condition that would take minutes and gigabytes is refused in microseconds.
    """
    problems = []
    for rule in rules:
        size = dnf_size(rule.when)
        if size > limits.max_normal_form:
            shown = f"{size:,}" if size < 10**12 else f"about 1e{len(str(size)) - 1}"
            problems.append(
                Problem(
                    rule.source,
                    f"rule {rule.id}: its condition expands to {shown} alternatives in normal "
                    f"form; allowed: at most {limits.max_normal_form:,} (split the rule, or "
                    "raise max_normal_form in INNOPROC_LIMITS)",
                    rule.line,
                    code="kb/too-complex",
                )
            )
    return problems
