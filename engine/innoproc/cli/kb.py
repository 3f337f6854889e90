"""``innoproc kb ...``: commands for knowledge engineers working on the rule files."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .app import KbOption, guarded, kb_app, load_kb


@kb_app.command("check")
@guarded
def kb_check(kb: KbOption = None) -> None:
    """Parse and check every rule file; report each problem as file:line."""
    knowledge = load_kb(kb)
    files = sorted({r.source for r in knowledge.rules})
    knowledge.backend.prepare()  # compiling proves the rules map onto the engine
    print(f"{len(knowledge.rules)} rules in {len(files)} files: no problems found")


@kb_app.command("rules")
@guarded
def kb_rules(kb: KbOption = None) -> None:
    """List the rules: id, clauses, stratum, priority and what each concludes."""
    table = Table("rule", "clauses", "stratum", "priority", "concludes")
    for rule in load_kb(kb).rules:
        table.add_row(
            rule.id,
            ", ".join(rule.clauses),
            str(rule.stratum),
            str(rule.priority),
            f"{rule.then.kind} {rule.then.id}",
        )
    Console().print(table)
