"""Errors of innoproc, and the problems they carry.

Bad input is reported as a list of :class:`Problem`, one line each, naming where the problem is,
what was found and what is allowed. All problems of a file are collected before anything is
raised, so a user fixes a file in one pass instead of one error at a time.

Every problem and every error has a stable ``code`` (``case/unknown-key``, ``kb/cycle`` ...) so
that tools, tests and documentation can name a kind of problem without matching its wording;
``kb/README.md`` lists the knowledge-base codes. This module is the bottom layer of the package:
it imports nothing of innoproc.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One problem in one input file (or mapping, or API argument)."""

    source: str
    message: str
    line: int | None = None
    key: str | None = None
    code: str = "input/invalid"
    severity: Severity = "error"

    @property
    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"

    def __str__(self) -> str:
        key = f" {_printable(str(self.key))}:" if self.key else ""
        return f"{_printable(self.where)}:{key} {_printable(self.message)}"

    def labelled(self) -> str:
        """The problem as one line with its severity and code, as ``kb check`` prints it."""
        return f"{self} [{self.severity} {self.code}]"


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _printable(text: str) -> str:
    """``text`` on one line: control characters, line breaks and lone surrogates (which a
    hostile input may put in a key or a value quoted by a message) shown as escapes."""
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


def did_you_mean(found: object, known: list[str] | tuple[str, ...]) -> str:
    """``"; did you mean 'award_basis'?"`` when a known name is close to ``found``, else ``""``."""
    if not isinstance(found, str):
        return ""
    close = get_close_matches(found, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class InnoprocError(Exception):
    """Base class of every error innoproc raises on purpose; ``code`` names its kind."""

    code = "innoproc/error"


class InputError(InnoprocError):
    """Input that innoproc refuses, with every problem found in it."""

    code = "input/invalid"

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CaseError(InputError):
    """A case file or mapping that does not conform to the case form."""

    code = "case/invalid"


class KnowledgeBaseError(InputError):
    """A rule file that is malformed or inconsistent with the ontology or the rest of the KB."""

    code = "kb/invalid"


class ArgumentError(InnoprocError, TypeError):
    """A public function was called with an argument of a kind it does not take.

    It is also a ``TypeError``, so code that guards against wrong types keeps working, but its
    message says what the function wanted.
    """

    code = "api/argument"


def wrong_argument(name: str, value: object, wanted: str) -> ArgumentError:
    """An :class:`ArgumentError` saying what was found for ``name`` and what is wanted."""
    return ArgumentError(f"{name}: found {type(value).__name__} {value!r:.60}; wanted {wanted}")
