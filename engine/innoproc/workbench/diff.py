"""Review of a KB change (``innoproc kb diff``): what changes between two versions of the
knowledge base, rule by rule and in the advice on each case.

A rule edit is judged by its effect, and its effect is rarely where the edit is: a condition
loosened in one rule can add a recommendation three rules downstream. So every case is advised
under both KBs and the items that appeared, disappeared or changed are listed, each with the rule
that concluded it. Rules are compared as parsed (the rule model), so re-indenting a file or
moving a rule is not a change, and a condition whose tree changed but whose normal form did not
is reported as rewritten with the same meaning.

The cases are the ones named, or by default the case library (``cases/`` of the repository, or
of the checkout innoproc runs from) and the scenario cases of each KB's ``tests/*.yaml``. Only
the cases are wanted from those files, and a scenario of one version may name conclusions the
other does not have, so they are read loosely here rather than by the scenario runner's strict
loader: any list of mappings whose ``case`` is a path (relative to the file) or an inline case;
a scenario whose case cannot be read is listed as not compared rather than refused.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from innoproc.case import Case
from innoproc.case.rdf_input import rdf_syntax
from innoproc.errors import CaseError, InputError, KnowledgeBaseError
from innoproc.explain import Advice, AdviceItem, KnowledgeBase
from innoproc.export.words import markdown_text, printable
from innoproc.ontology.resources import kb_dir
from innoproc.reading.files import read_text
from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml
from innoproc.rules import All, AnyOf, AtLeast, ConclusionTest, Condition, FactTest, Not, RuleSpec
from innoproc.rules.normalform import SignedTest, dnf

from .revisions import KbSource, kb_source, repository_root

RuleStatus = Literal["added", "removed", "changed"]
ItemStatus = Literal["appeared", "disappeared", "changed"]
_MAPPING_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Change:
    """One field that differs: its name, and what it said before and after (a line per value)."""

    field: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class RuleDiff:
    """A rule added, removed or changed; ``where`` is its file and line (in the new KB if any)."""

    status: RuleStatus
    rule: str
    title: str
    where: str
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class ItemDiff:
    """An advice item that appeared, disappeared or changed, with the rule that concluded it."""

    status: ItemStatus
    id: str
    kind: str
    rule: str
    title: str
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class CaseDiff:
    """How the advice on one case differs; ``note`` says when only one KB could read the case."""

    label: str
    items: tuple[ItemDiff, ...] = ()
    note: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.items or self.note)


@dataclass(frozen=True)
class KbDiff:
    """The whole review: both KBs' names, the rules that differ, and every case compared."""

    old: str
    new: str
    rules: tuple[RuleDiff, ...]
    cases: tuple[CaseDiff, ...]
    not_compared: tuple[str, ...] = ()

    @property
    def changed_cases(self) -> tuple[CaseDiff, ...]:
        return tuple(c for c in self.cases if c.changed)

    @property
    def summary(self) -> str:
        """The line a reviewer (or a CI job) reads first; every rule added, removed or changed
        counts as a rule changed."""
        return (
            f"{len(self.changed_cases)} cases changed of {len(self.cases)}; "
            f"{len(self.rules)} rules changed"
        )


@dataclass(frozen=True)
class _CaseInput:
    label: str
    source: Path | Mapping[str, Any]
    #: for a scenario case, the scenario that names it: read loosely, so a case that cannot be
    #: read is "not compared", not refused
    scenario: str = ""


def diff_kbs(old: str, new: str, cases: Sequence[Path] = ()) -> KbDiff:
    """Compare the KB ``old`` with ``new`` (each a folder or a git revision) on ``cases`` (case
    files or folders; default: the library and the KBs' scenario cases)."""
    with tempfile.TemporaryDirectory(prefix="innoproc-kb-diff-") as scratch:
        before = kb_source(old, Path(scratch) / "old")
        after = kb_source(new, Path(scratch) / "new")
        old_kb, new_kb = _load(before), _load(after)
        not_compared: list[str] = []
        inputs = _named_cases(cases) if cases else _default_cases(before, after, not_compared)
        compared = []
        for given in inputs:
            found = _case_diff(given, old_kb, new_kb, not_compared)
            if found is not None:
                compared.append(found)
        return KbDiff(
            before.label,
            after.label,
            rule_diffs(old_kb.rules, new_kb.rules, before, after),
            tuple(compared),
            tuple(not_compared),
        )


def _load(source: KbSource) -> KnowledgeBase:
    try:
        return KnowledgeBase.load(source.folder)
    except KnowledgeBaseError as exc:
        raise KnowledgeBaseError(source.relabel(exc.problems)) from None


# --- which cases -------------------------------------------------------------------------------


def _is_case_file(path: Path) -> bool:
    return path.is_file() and (
        path.suffix.lower() in _MAPPING_SUFFIXES or rdf_syntax(path.name) is not None
    )


def _named_cases(paths: Sequence[Path]) -> list[_CaseInput]:
    """The cases named on the command line: files as given, folders by their case files."""
    found = []
    for path in paths:
        files = sorted(filter(_is_case_file, path.iterdir())) if path.is_dir() else [path]
        found += [_CaseInput(str(f), f) for f in files]
    return found


def library_folder() -> Path | None:
    """``cases/`` of the current git repository, else of the checkout innoproc runs from."""
    for base in (repository_root(), kb_dir().parent):
        if base is not None and (base / "cases").is_dir():
            return base / "cases"
    return None


def _default_cases(before: KbSource, after: KbSource, not_compared: list[str]) -> list[_CaseInput]:
    """The library, then each KB's scenario cases (the new KB's first: its copy of a scenario
    file wins), each case once."""
    library = library_folder()
    files = sorted(filter(_is_case_file, library.iterdir())) if library else []
    found = {str(f.resolve()): _CaseInput(_shown(f), f) for f in files}
    for source in (after, before):
        for key, given in _scenario_cases(source, not_compared):
            found.setdefault(key, given)
    return list(found.values())


def _shown(path: Path) -> str:
    """A path as the report names it: relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _scenario_cases(source: KbSource, not_compared: list[str]) -> Iterator[tuple[str, _CaseInput]]:
    """Each scenario case of a KB's ``tests/*.yaml``, keyed so both KBs' copies meet."""
    tests = source.folder / "tests"
    for file in sorted(tests.glob("*.yaml")) if tests.is_dir() else []:
        try:
            data, _ = load_yaml(read_text(file, folder=source.folder), source.show(file))
        except (YamlSyntaxError, InputError) as exc:
            not_compared.append(str(source.relabel(exc.problems)[0]))
            continue
        for name, case in _scenarios(data):
            where = f"{source.show(file)}: scenario {name}"
            if isinstance(case, Mapping):
                key = f"{source.relative(file)}#{name}"
                yield key, _CaseInput(where, case, scenario=where)
            elif isinstance(case, str) and case:
                path = source.read_from(file.parent / case)
                key = source.relative(path) if source.holds(path) else str(path.resolve())
                shown = source.show(path) if source.holds(path) else _shown(path)
                yield key, _CaseInput(shown, path, scenario=where)
            else:
                not_compared.append(f"{where}: its case is neither a path nor a mapping")


def _scenarios(data: Any) -> Iterator[tuple[str, Any]]:
    """(name, case) of every scenario in a loosely read test file: a list of scenarios, a
    mapping holding such lists, a mapping of names to scenarios, or one scenario."""
    if isinstance(data, Mapping) and "case" in data:
        yield _name(data, "1"), data["case"]
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(value, list):
                yield from _scenarios(value)
            elif isinstance(value, Mapping) and "case" in value:
                yield _name(value, str(key)), value["case"]
    elif isinstance(data, list):
        for number, entry in enumerate(data, 1):
            if isinstance(entry, Mapping) and "case" in entry:
                yield _name(entry, str(number)), entry["case"]


def _name(scenario: Mapping[str, Any], fallback: str) -> str:
    for key in ("name", "id", "title"):
        if isinstance(scenario.get(key), str | int):
            return str(scenario[key])
    return fallback


# --- advice, case by case ----------------------------------------------------------------------


def _case_diff(
    given: _CaseInput, old_kb: KnowledgeBase, new_kb: KnowledgeBase, not_compared: list[str]
) -> CaseDiff | None:
    """The case advised under both KBs; None when neither KB reads a scenario's case."""
    old_case = _read(old_kb, given.source)
    same_terms = old_kb.vocabulary is new_kb.vocabulary
    new_case = old_case if same_terms else _read(new_kb, given.source)
    if isinstance(old_case, CaseError) and isinstance(new_case, CaseError):
        if not given.scenario:
            raise new_case
        not_compared.append(f"{given.scenario}: {new_case.problems[0]}")
        return None
    old = None if isinstance(old_case, CaseError) else old_kb.advise(old_case)
    new = None if isinstance(new_case, CaseError) else new_kb.advise(new_case)
    note = ""
    if isinstance(old_case, CaseError):
        note = f"only the new KB reads this case; the old one refuses it: {old_case.problems[0]}"
    if isinstance(new_case, CaseError):
        note = f"only the old KB reads this case; the new one refuses it: {new_case.problems[0]}"
    return CaseDiff(given.label, item_diffs(old, new), note)


def _read(kb: KnowledgeBase, source: Path | Mapping[str, Any]) -> Case | CaseError:
    try:
        return kb.load_case(source)
    except CaseError as exc:
        return exc


def item_diffs(old: Advice | None, new: Advice | None) -> tuple[ItemDiff, ...]:
    """Items that appeared, changed (in the new advice's order), then those that disappeared."""
    before = {item.id: item for item in old.items} if old else {}
    after = {item.id: item for item in new.items} if new else {}
    found = []
    for key, item in after.items():
        if key not in before:
            found.append(_item("appeared", item))
        elif changes := _item_changes(before[key], item):
            found.append(_item("changed", item, changes))
    found += [_item("disappeared", item) for key, item in before.items() if key not in after]
    return tuple(found)


def _item(status: ItemStatus, item: AdviceItem, changes: tuple[Change, ...] = ()) -> ItemDiff:
    return ItemDiff(status, item.id, item.kind, item.rule, item.title, changes)


def _item_changes(old: AdviceItem, new: AdviceItem) -> tuple[Change, ...]:
    return _present(
        _change("rule", old.rule, new.rule),
        _change("kind", _kind(old.kind, old.finding_kind), _kind(new.kind, new.finding_kind)),
        _change("title", old.title, new.title),
        _change("clauses", ", ".join(old.clauses), ", ".join(new.clauses)),
        _change("severity", old.severity or "none", new.severity or "none"),
        _change("summary", old.summary, new.summary),
        _listed("actions", old.actions, new.actions),
    )


def _kind(kind: str, finding_kind: str | None) -> str:
    return f"{kind} ({finding_kind})" if finding_kind else kind


# --- rules -------------------------------------------------------------------------------------


def rule_diffs(
    old: Sequence[RuleSpec], new: Sequence[RuleSpec], before: KbSource, after: KbSource
) -> tuple[RuleDiff, ...]:
    """Rules changed or added (in the new KB's order), then rules removed, matched by id."""
    was = {rule.id: rule for rule in old}
    now = {rule.id for rule in new}
    found = []
    for rule in new:
        where = _where(rule, after)
        if rule.id not in was:
            found.append(RuleDiff("added", rule.id, rule.title, where))
        elif changes := rule_changes(was[rule.id], rule, before, after):
            found.append(RuleDiff("changed", rule.id, rule.title, where, changes))
    found += [RuleDiff("removed", r.id, r.title, _where(r, before)) for r in old if r.id not in now]
    return tuple(found)


def _where(rule: RuleSpec, source: KbSource) -> str:
    place = source.show(rule.source)
    return f"{place}:{rule.line}" if rule.line is not None else place


def rule_changes(
    old: RuleSpec, new: RuleSpec, before: KbSource, after: KbSource
) -> tuple[Change, ...]:
    """What differs between two versions of one rule; its line and stratum do not count."""
    was, now = old.then, new.then
    return _present(
        _change("file", before.relative(old.source), after.relative(new.source)),
        _change("title", old.title, new.title),
        _change("clauses", ", ".join(old.clauses), ", ".join(new.clauses)),
        _change("priority", str(old.priority), str(new.priority)),
        condition_change(old.when, new.when),
        _change("conclusion", f"{was.kind} {was.id}", f"{now.kind} {now.id}"),
        _change("finding kind", was.finding_kind or "none", now.finding_kind or "none"),
        _change("severity", was.severity or "none", now.severity or "none"),
        _change("summary", was.summary, now.summary),
        _listed("actions", was.actions, now.actions),
        _change("rationale", old.rationale, new.rationale),
        _listed("references", old.references, new.references),
    )


def condition_change(old: Condition, new: Condition) -> Change | None:
    """The condition as written before and after, or None when only its lines moved; a
    rewriting that keeps the normal form (every alternative, every test) says so."""
    if _strip(old, keep_words=True) == _strip(new, keep_words=True):
        return None
    same = _meaning(old) == _meaning(new)
    note = "rewritten, same meaning: equal normal forms" if same else ""
    return Change("condition", (describe(old),), (describe(new),), note)


def _strip(condition: Condition, keep_words: bool) -> Condition:
    """The condition without line numbers (and, unless ``keep_words``, as the author wrote it)."""
    if isinstance(condition, FactTest):
        return replace(condition, line=None, written=condition.written if keep_words else "")
    if isinstance(condition, ConclusionTest):
        return replace(condition, line=None)
    if isinstance(condition, Not):
        return Not(_strip(condition.item, keep_words))
    items = tuple(_strip(item, keep_words) for item in condition.items)
    if isinstance(condition, AtLeast):
        return AtLeast(condition.count, items)
    return All(items) if isinstance(condition, All) else AnyOf(items)


def _meaning(condition: Condition) -> frozenset[frozenset[SignedTest]]:
    """The normal form as sets: order of alternatives and of tests does not matter."""
    bare = _strip(condition, keep_words=False)
    return frozenset(frozenset(conjunct) for conjunct in dnf(bare))


def describe(condition: Condition) -> str:
    """A condition on one line, in the words of the rule language."""
    if isinstance(condition, FactTest | ConclusionTest):
        return condition.describe()
    if isinstance(condition, Not):
        return f"not ({describe(condition.item)})"
    inner = "; ".join(describe(item) for item in condition.items)
    if isinstance(condition, AtLeast):
        return f"at least {condition.count} of ({inner})"
    return f"{'all' if isinstance(condition, All) else 'any'}({inner})"


def _change(field: str, old: str, new: str) -> Change | None:
    return None if old == new else Change(field, (old,), (new,))


def _listed(field: str, old: tuple[str, ...], new: tuple[str, ...]) -> Change | None:
    """A list that differs: the entries dropped and added, or both lists when only the order
    changed."""
    if old == new:
        return None
    dropped = tuple(entry for entry in old if entry not in new)
    added = tuple(entry for entry in new if entry not in old)
    if dropped or added:
        return Change(field, dropped, added)
    return Change(field, old, new, "same entries, other order")


def _present(*changes: Change | None) -> tuple[Change, ...]:
    return tuple(change for change in changes if change is not None)


# --- the report --------------------------------------------------------------------------------

_SHORT = 72  # a change whose before and after fit in this many characters goes on one line
_RULE_STATUSES: tuple[RuleStatus, ...] = ("changed", "added", "removed")
_ITEM_STATUSES: tuple[ItemStatus, ...] = ("appeared", "disappeared", "changed")
_BACKTICKS = re.compile("`+")


def to_text(diff: KbDiff) -> str:
    """The review as plain text: rules, then each changed case, then the summary line."""
    out = [f"kb diff: {printable(diff.old)} → {printable(diff.new)}", ""]
    out.append(f"Rules: {_rule_counts(diff.rules)}")
    for rule in diff.rules:
        out.append(
            f"  {rule.status:<8} {rule.rule} ({printable(rule.where)}): {printable(rule.title)}"
        )
        out += _text_changes(rule.changes, " " * 11)
    out += ["", f"Cases: {len(diff.changed_cases)} changed of {len(diff.cases)}"]
    for case in diff.changed_cases:
        out.append(f"  {printable(case.label)}")
        if case.note:
            out.append(f"    note: {printable(case.note)}")
        for item in case.items:
            out.append(
                f"    {item.status:<11} {item.kind} {item.id} (rule {item.rule}): "
                f"{printable(item.title)}"
            )
            out += _text_changes(item.changes, " " * 16)
    if diff.not_compared:
        out += ["", "Not compared:"] + [f"  {printable(line)}" for line in diff.not_compared]
    return "\n".join([*out, "", diff.summary]) + "\n"


def _rule_counts(rules: tuple[RuleDiff, ...]) -> str:
    if not rules:
        return "none changed"
    counts = {status: sum(r.status == status for r in rules) for status in _RULE_STATUSES}
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n)


def _text_changes(changes: tuple[Change, ...], pad: str) -> list[str]:
    out = []
    for change in changes:
        head = change.field + (f" ({change.note})" if change.note else "")
        old, new = (tuple(printable(v) for v in side) for side in (change.old, change.new))
        if len(old) == len(new) == 1 and len(old[0]) + len(new[0]) <= _SHORT:
            out.append(f"{pad}{head}: {old[0]} → {new[0]}")
            continue
        out.append(f"{pad}{head}:")
        out += [f"{pad}  - {line}" for line in old] + [f"{pad}  + {line}" for line in new]
    return out


def to_markdown(diff: KbDiff) -> str:
    """The review as Markdown for a merge request: summary, a table of the changed cases, then
    the rules and each case in detail."""
    out = [
        f"## Knowledge-base diff: {_code(diff.old)} → {_code(diff.new)}",
        "",
        f"**{diff.summary}**",
        "",
    ]
    changed = diff.changed_cases
    if changed:
        out += ["| case | appeared | disappeared | changed |", "|---|---|---|---|"]
        for case in changed:
            cells = [markdown_text(case.label) + (" (see note)" if case.note else "")]
            for status in _ITEM_STATUSES:
                ids = [_code(i.id, table=True) for i in case.items if i.status == status]
                cells.append(", ".join(ids))
            out.append("| " + " | ".join(cells) + " |")
    else:
        out.append("No case's advice changed.")
    out += ["", "### Rules", ""]
    if not diff.rules:
        out.append("No rule changed.")
    for rule in diff.rules:
        out.append(
            f"- **{rule.status}** {_code(rule.rule)} ({markdown_text(rule.where)}): "
            f"{markdown_text(rule.title)}"
        )
        out += _markdown_changes(rule.changes)
    for case in changed:
        out += ["", f"### {markdown_text(case.label, line_start=True)}", ""]
        if case.note:
            out.append(f"*{markdown_text(case.note)}*")
        for item in case.items:
            out.append(
                f"- **{item.status}** {item.kind} {_code(item.id)} (rule {_code(item.rule)}): "
                f"{markdown_text(item.title)}"
            )
            out += _markdown_changes(item.changes)
    if diff.not_compared:
        out += ["", "### Not compared", ""]
        out += [f"- {markdown_text(line)}" for line in diff.not_compared]
    return "\n".join(out) + "\n"


def _markdown_changes(changes: tuple[Change, ...]) -> list[str]:
    out = []
    for change in changes:
        note = f" ({markdown_text(change.note)})" if change.note else ""
        if len(change.old) == len(change.new) == 1 and len(change.old[0] + change.new[0]) <= _SHORT:
            out.append(f"  - {change.field}{note}: {_code(change.old[0])} → {_code(change.new[0])}")
            continue
        out.append(f"  - {change.field}{note}:")
        out += [f"    - before: {_code(line)}" for line in change.old]
        out += [f"    - after: {_code(line)}" for line in change.new]
    return out


def _code(text: str, table: bool = False) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds (and, in a table cell,
    with its pipes escaped so they do not split the cell)."""
    text = printable(text)
    if table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
