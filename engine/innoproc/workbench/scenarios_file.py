"""Reading one scenario file (``tests/*.yaml`` of a KB folder) into drafts, strictly.

The structure alone: which keys, which types, each id once and never both expected and absent.
Every problem is collected with the line it is on and a ``kbtest/...`` code; what needs the KB
(do the ids exist, can the case be read) is checked by :mod:`.scenarios`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from innoproc.errors import InputError, Problem, did_you_mean
from innoproc.reading.files import read_text
from innoproc.reading.limits import Limits
from innoproc.reading.yaml_lines import YamlSyntaxError, line_of, load_yaml

#: the keys a scenario may have, in the order the documentation gives them
SCENARIO_KEYS = ("name", "case", "expect", "absent", "exactly")
#: the keys of one expected item written as a mapping
EXPECTED_KEYS = ("id", "rule")
#: the keys of a test file written as a mapping
FILE_KEYS = ("scenarios",)


@dataclass(frozen=True)
class Expected:
    """An id the scenario expects to be concluded, and optionally the rule that must conclude it."""

    id: str
    rule: str | None = None
    line: int | None = None


@dataclass
class Draft:
    """A scenario as its file states it, before its ids are checked and its case is loaded."""

    name: str
    source: str
    line: int | None
    case: str | Mapping[str, Any] | None  # None: missing or malformed, already reported
    case_line: int | None
    expect: list[Expected]
    absent: list[tuple[str, int | None]]
    exactly: bool


class ScenarioFileReader:
    """Reads one test file into drafts, collecting every problem of its structure."""

    def __init__(self, path: Path, folder: Path, limits: Limits):
        self.path = path
        self.folder = folder
        self.limits = limits
        self.source = str(path)
        self.problems: list[Problem] = []

    def problem(self, message: str, line: int | None, code: str) -> None:
        self.problems.append(Problem(self.source, message, line, code=code))

    def read(self) -> list[Draft]:
        try:
            text = read_text(self.path, self.limits, folder=self.folder)
            data, found = load_yaml(text, self.source, self.limits)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return []
        except YamlSyntaxError as exc:
            self.problems.extend(exc.problems)
            return []
        self.problems.extend(found)
        items = self._top_level(data) or []
        drafts = []
        for index, item in enumerate(items):
            draft = self._scenario(item, _item_line(items, index))
            if draft is not None:
                drafts.append(draft)
        return drafts

    def _top_level(self, data: Any) -> Sequence[Any] | None:
        if data is None:
            self.problem(
                "found an empty file; allowed: a list of scenarios", None, "kbtest/empty-file"
            )
            return None
        if isinstance(data, list):
            return data
        if isinstance(data, dict):
            self._unknown_keys(data, FILE_KEYS, "")
            if "scenarios" not in data:
                self.problem(
                    "found no scenarios key; allowed: a list of scenarios, or a mapping with "
                    "scenarios: [...]",
                    line_of(data),
                    "kbtest/missing",
                )
                return None
            scenarios = data["scenarios"]
            if not isinstance(scenarios, list):
                self.problem(
                    f"scenarios: found {_kind(scenarios)}; allowed: a list of scenarios",
                    _key_line(data, "scenarios"),
                    "kbtest/type",
                )
                return None
            return scenarios
        self.problem(
            f"found {_kind(data)} at the top level; allowed: a list of scenarios, or a mapping "
            "with scenarios: [...]",
            line_of(data, 1),
            "kbtest/top-level",
        )
        return None

    def _unknown_keys(self, data: Mapping[str, Any], allowed: tuple[str, ...], who: str) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    f"{who}found unknown key {key!r}; allowed: {', '.join(allowed)}"
                    + did_you_mean(key, allowed),
                    _key_line(data, key),
                    "kbtest/unknown-key",
                )

    def _scenario(self, item: Any, line: int | None) -> Draft | None:
        if not isinstance(item, dict):
            self.problem(
                f"found {_kind(item)}; allowed: a scenario, a mapping with "
                f"{', '.join(SCENARIO_KEYS)}",
                line,
                "kbtest/type",
            )
            return None
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            self._required_text(item, "name", line, "")
            name = None
        who = f"scenario {name}: " if name else ""
        self._unknown_keys(item, SCENARIO_KEYS, who)
        case = self._case(item, line, who)
        expect = self._expect(item, who)
        absent = self._ids(item, "absent", who)
        exactly = item.get("exactly", False)
        if not isinstance(exactly, bool):
            self.problem(
                f"{who}exactly: found {_kind(exactly)}; allowed: true or false",
                _key_line(item, "exactly"),
                "kbtest/type",
            )
            exactly = False
        self._consistent(expect, absent, who)
        if not expect and not absent and not item.get("exactly"):
            self.problem(
                f"{who}found no expect, absent or exactly; allowed: a scenario that says what "
                "must or must not be concluded",
                line,
                "kbtest/no-expectation",
            )
        if name is None:
            return None
        return Draft(
            name,
            self.source,
            line,
            case,
            _key_line(item, "case"),
            expect,
            absent,
            exactly,
        )

    def _required_text(self, data: Mapping[str, Any], key: str, line: int | None, who: str) -> None:
        if key not in data:
            self.problem(
                f"{who}found no {key}; allowed: {key} as non-empty text", line, "kbtest/missing"
            )
        else:
            self.problem(
                f"{who}{key}: found {_kind(data[key])}; allowed: non-empty text",
                _key_line(data, key),
                "kbtest/type",
            )

    def _case(self, item: Mapping[str, Any], line: int | None, who: str) -> Any:
        if "case" not in item:
            self.problem(
                f"{who}found no case; allowed: a case file (relative to this file) or a "
                "case-form mapping",
                line,
                "kbtest/missing",
            )
            return None
        case = item["case"]
        if isinstance(case, str) and case.strip() or isinstance(case, dict):
            return case
        self.problem(
            f"{who}case: found {_kind(case)}; allowed: a case file (relative to this file) or "
            "a case-form mapping",
            _key_line(item, "case"),
            "kbtest/type",
        )
        return None

    def _list(self, item: Mapping[str, Any], key: str, who: str) -> list[tuple[Any, int | None]]:
        """The items of a list-valued key with their lines ([] when absent or not a list)."""
        if key not in item:
            return []
        value = item[key]
        if not isinstance(value, list):
            self.problem(
                f"{who}{key}: found {_kind(value)}; allowed: a list of conclusion ids",
                _key_line(item, key),
                "kbtest/type",
            )
            return []
        return [(entry, _item_line(value, index)) for index, entry in enumerate(value)]

    def _expect(self, item: Mapping[str, Any], who: str) -> list[Expected]:
        expected = []
        for entry, line in self._list(item, "expect", who):
            if isinstance(entry, str) and entry:
                expected.append(Expected(entry, None, line))
            elif isinstance(entry, dict):
                self._unknown_keys(entry, EXPECTED_KEYS, f"{who}expect: ")
                id_, rule = entry.get("id"), entry.get("rule", None)
                if not isinstance(id_, str) or not id_:
                    self._required_text(entry, "id", line, who)
                elif rule is not None and (not isinstance(rule, str) or not rule):
                    self._required_text(entry, "rule", line, who)
                else:
                    expected.append(Expected(id_, rule, line))
            else:
                self.problem(
                    f"{who}expect: found {_kind(entry)}; allowed: a conclusion id, or "
                    "{id: <conclusion>, rule: <rule>}",
                    line,
                    "kbtest/type",
                )
        return expected

    def _ids(self, item: Mapping[str, Any], key: str, who: str) -> list[tuple[str, int | None]]:
        ids = []
        for entry, line in self._list(item, key, who):
            if isinstance(entry, str) and entry:
                ids.append((entry, line))
            else:
                self.problem(
                    f"{who}{key}: found {_kind(entry)}; allowed: a conclusion id",
                    line,
                    "kbtest/type",
                )
        return ids

    def _consistent(
        self, expect: list[Expected], absent: list[tuple[str, int | None]], who: str
    ) -> None:
        """Each id at most once, and never both expected and absent."""
        seen: dict[str, str] = {}
        for id_, line, key in [(e.id, e.line, "expect") for e in expect] + [
            (a, line, "absent") for a, line in absent
        ]:
            if id_ not in seen:
                seen[id_] = key
            elif seen[id_] == key:
                self.problem(
                    f"{who}{key}: found {id_!r} twice; allowed: each id once",
                    line,
                    "kbtest/duplicate-id",
                )
            else:
                self.problem(
                    f"{who}absent: found {id_!r}, which is also expected; allowed: an id "
                    "either expected or absent",
                    line,
                    "kbtest/contradiction",
                )


def _item_line(items: Sequence[Any], index: int) -> int | None:
    lines: list[int] = getattr(items, "item_lines", [])
    return lines[index] if index < len(lines) else line_of(items)


def _key_line(data: Mapping[str, Any], key: str) -> int | None:
    lines: Mapping[str, int] = getattr(data, "key_lines", {})
    return lines.get(key, line_of(data))


def _kind(value: Any) -> str:
    """What was found, in the words of the problem messages."""
    if value is None:
        return "no value"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"{value!r:.60} (text)" if value.strip() else "empty text"
    return f"{value!r:.60} ({type(value).__name__})"
