"""Errors of innoproc.

Bad input is reported as a list of :class:`Problem`, one line each, naming where the problem is,
what was found and what is allowed. All problems of a file are collected before anything is
raised, so a user fixes a file in one pass instead of one error at a time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in one input file."""

    source: str
    message: str
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class InnoprocError(Exception):
    """Base class of every error innoproc raises on purpose."""


class InputError(InnoprocError):
    """Input that innoproc refuses, with every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CaseError(InputError):
    """A case file or mapping that does not conform to the case form."""


class KnowledgeBaseError(InputError):
    """A rule file that is malformed or inconsistent with the ontology or the rest of the KB."""
