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

from innoproc.errors import KnowledgeBaseError, Problem
from innoproc.ontology import Vocabulary

from .dependencies import cross_checks, stratify
from .model import RuleSpec
from .reachability import unreachable_rules
from .schema import load_validator
from .syntax import FileParser


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
    validator = load_validator(kb_folder)
    problems: list[Problem] = []
    refused: set[str] = set()
    rules: list[RuleSpec] = []
    for path in files:
        parser = FileParser(path, vocab, validator, ordinal_start=len(rules))
        rules.extend(parser.parse(path.read_text(encoding="utf-8")))
        problems.extend(parser.problems)
        refused |= parser.refused_conclusions
    problems.extend(cross_checks(rules, refused))
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
