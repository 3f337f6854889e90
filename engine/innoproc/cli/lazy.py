"""The top-level command group, which imports a command's module only when the command runs.

Importing every command module up front (and typer building every command from its signature)
made ``innoproc --version`` twice as slow as it needs to be, and every command paid for the
others. The group below knows each command's name, module and the first paragraph of its help
(:data:`COMMANDS`), so ``innoproc --help`` lists every command without importing any; running
a command (or asking for its own help) imports its module, and typer builds it then.

Only the console script asks for that (:func:`commands_on_demand`): otherwise the group imports
every command module when it is built, so ``innoproc.cli.app`` run or inspected in-process (by
the tests, by anyone using the typer application) has every command, as before. A test holds
:data:`COMMANDS` to the commands' own docstrings, so the list shown cannot drift from them.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer.main
from typer.core import TyperCommand, TyperGroup

from .coercion import plain_conversions

#: command -> (the modules that register it, the first paragraph of its help), in the order
#: ``innoproc --help`` lists them
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "validate": (
        ("advise",),
        "Check case files against the case form; exit 0 when all conform, 2 otherwise.",
    ),
    "advise": (
        ("advise",),
        "Advise on cases: findings and recommendations, each with its chain of reasons, and the\n"
        "open questions: facts not stated that could change the advice.",
    ),
    "explain": (
        ("explain",),
        "Why an item was concluded: its full chain down to the facts, each fact with the file and\n"
        "line that states it, each rule with its clauses and rationale.",
    ),
    "why-not": (
        ("explain",),
        "Why something was not concluded: for each rule that could conclude it, which conditions\n"
        "held (✓), failed (✗, with the values that would pass) or could not be decided (?).",
    ),
    "what-if": (
        ("explain",),
        "Re-run a case with changed facts and show what appears, disappears or changes; or search\n"
        "the buyer's decisions for the smallest changes that avoid or obtain an item.",
    ),
    "interview": (
        ("interview",),
        "Ask, one at a time, only the questions whose answer can still change the advice.",
    ),
    "query": (
        ("query",),
        "Run a SPARQL SELECT, ASK, CONSTRUCT or DESCRIBE query on the store (updates are refused).",
    ),
    "report": (
        ("report",),
        "Write a self-contained report on one case: facts, findings by challenge, recommendations\n"
        "with their reasons, clauses, open questions and the justification graph.",
    ),
    "serve": (
        ("serve",),
        "Serve the store read-only: SPARQL 1.1 Protocol at /sparql, advice on a posted case at\n"
        "/advise. Updates, LOAD and SERVICE are refused; stop it with Ctrl-C.",
    ),
    "kb": (
        ("kb", "kb_diff", "kb_docs", "kb_test"),
        "Work on the knowledge base (rule files).",
    ),
    "store": (
        ("store",),
        "Keep a library of cases and their advice in a triple store (query it with "
        "`innoproc query`).",
    ),
}

#: every command module, in the order the commands are listed
MODULES: tuple[str, ...] = tuple(dict.fromkeys(m for ms, _ in COMMANDS.values() for m in ms))


_on_demand = False


def commands_on_demand() -> None:
    """Import each command's module only when the command runs (the console script's choice)."""
    global _on_demand
    _on_demand = True


def _loaded(name: str) -> bool:
    return all(f"{__package__}.{module}" in sys.modules for module in COMMANDS[name][0])


def load_all() -> None:
    """Import every command module (registering every command on the application)."""
    for module in MODULES:
        importlib.import_module(f"{__package__}.{module}")


class _NotLoaded(TyperCommand):
    """Stands for a command whose module is not imported yet: its name and help, for listings."""

    def invoke(self, ctx: Any) -> Any:  # pragma: no cover - resolve_command loads it first
        raise RuntimeError(f"the command {self.name!r} was run before its module was imported")


class LazyGroup(TyperGroup):
    """innoproc's top-level group: every command listed, each built when it is used."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        if not _on_demand and not all(map(_loaded, COMMANDS)):
            load_all()
            from .app import app

            self.commands.update(typer.main.get_group(app).commands)
        built = dict(self.commands)
        self.commands.clear()
        for name, (_, help_text) in COMMANDS.items():
            command = built.pop(name, None)
            if command is None or not _loaded(name):
                command = _NotLoaded(name=name, help=help_text, rich_help_panel=None)
            self.commands[name] = command
        self.commands.update(built)  # anything registered without a place in the table

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from .rich_help import import_rich_help

        import_rich_help()  # typer's rich layout, without the rich modules it does not use here
        super().format_help(ctx, formatter)

    def get_params(self, ctx: Any) -> Any:
        plain_conversions(self)  # the group's own options (--version, --no-cache, --help)
        return super().get_params(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not isinstance(command, _NotLoaded):
            plain_conversions(command)
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in COMMANDS and isinstance(self.commands.get(args[0]), _NotLoaded):
            self._load(args[0])
        return super().resolve_command(ctx, args)

    def _load(self, name: str) -> None:
        """Import the command's modules and build it (and whatever else they registered)."""
        for module in COMMANDS[name][0]:
            importlib.import_module(f"{__package__}.{module}")
        from .app import app

        fresh = typer.main.get_group(app)
        for other, command in fresh.commands.items():
            if isinstance(self.commands.get(other), _NotLoaded) and not isinstance(
                command, _NotLoaded
            ):
                self.commands[other] = command
