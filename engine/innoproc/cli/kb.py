"""``innoproc kb ...``: commands for knowledge engineers working on the rule files."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .app import INPUT_ERROR, KbOption, err, guarded, kb_app, load_kb


@kb_app.command("check")
@guarded
def kb_check(
    kb: KbOption = None,
    reasoner: Annotated[
        bool,
        typer.Option(
            "--reasoner", help="Also check the ontology with HermiT (needs Java; takes seconds)."
        ),
    ] = False,
) -> None:
    """Check the KB without a case: errors refuse it (exit 2), warnings are listed; each as
    file:line: message [severity code]."""
    from innoproc.workbench.check import check_kb

    report = check_kb(kb, reasoner)
    for problem in report.problems:
        err(problem.labelled())
    print(report.summary())
    if report.reasoner is not None:
        print(report.reasoner.summary())
    if report.errors:
        raise typer.Exit(INPUT_ERROR)


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
