"""Export formats, chosen by name from a registry rather than an if/elif in the CLI.

Each format is registered with the module and function that render it, imported only when the
format is first used (as rdflib's plugin registry does), so listing the formats costs nothing.
Another package, or a test, can :func:`register` a format of its own; the CLI offers every
registered name.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Protocol

from innoproc.errors import wrong_argument

if TYPE_CHECKING:
    from innoproc.explain import Advice


@dataclass(frozen=True)
class ExportOptions:
    """How the reader will see the output: colour and width apply to terminal text only."""

    color: bool = False
    width: int = 100
    #: whether to work out and show the open questions (bulk runs may skip them)
    questions: bool = True


class Exporter(Protocol):
    def __call__(self, advice: Advice, options: ExportOptions) -> str: ...


@dataclass(frozen=True)
class Format:
    """One registered export format."""

    name: str
    target: str  # "package.module:function"
    description: str
    media_type: str

    def load(self) -> Exporter:
        module, _, function = self.target.partition(":")
        exporter: Exporter = getattr(import_module(module), function)
        return exporter


_FORMATS: dict[str, Format] = {}


def register(name: str, target: str, description: str, media_type: str = "text/plain") -> None:
    """Make ``name`` an export format rendered by ``target`` (``"module:function"``)."""
    _FORMATS[name] = Format(name, target, description, media_type)


def formats() -> list[Format]:
    """Every registered format, in the order registered."""
    return list(_FORMATS.values())


def exporter(name: str) -> Exporter:
    """The function rendering format ``name``."""
    if name not in _FORMATS:
        raise wrong_argument("format", name, "one of " + ", ".join(_FORMATS))
    return _FORMATS[name].load()


def export(advice: Advice, name: str, options: ExportOptions | None = None) -> str:
    """``advice`` rendered in format ``name``."""
    return exporter(name)(advice, options or ExportOptions())


register("text", "innoproc.export.text:export_text", "each item with its reasons as a tree")
register(
    "json", "innoproc.export.json_contract:export_json", "the JSON contract", "application/json"
)
register(
    "markdown",
    "innoproc.export.markdown:export_markdown",
    "a report with clause titles",
    "text/markdown",
)
register(
    "jsonl",
    "innoproc.export.json_contract:export_jsonl",
    "the JSON contract, one line per case",
    "application/jsonl",
)
register(
    "turtle",
    "innoproc.export.provenance:export_turtle",
    "RDF with PROV-O provenance",
    "text/turtle",
)
register(
    "trig",
    "innoproc.export.trig:export_trig",
    "the case graph and its advice graph (PROV-O) as TriG",
    "application/trig",
)
