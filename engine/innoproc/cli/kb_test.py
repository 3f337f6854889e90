"""``innoproc kb test``: run the KB's own test scenarios (``tests/*.yaml``), and report coverage.

Exit status 0 when every scenario passes, 1 when one fails, 2 when a scenario file (or a case it
names) is malformed: a broken test is bad input, never a failing rule. The report (PASS/FAIL
lines, or with ``--coverage`` the coverage tables) goes to standard output or ``-o FILE``, as
rich tables or as CSV/JSON; when that report is not the terminal's table, the failures and the
summary line still reach the terminal, on standard error.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .app import EngineOption, KbOption, err, guarded, kb_app, load_kb

if TYPE_CHECKING:
    from innoproc.workbench.coverage import Coverage
    from innoproc.workbench.scenarios_run import ScenarioResult, SuiteResult

FAILED = 1
#: names shown in a table cell before "+N more" (CSV and JSON list them all)
_SHOWN = 4
_FILE_WIDTH = 160


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@kb_app.command("test")
@guarded
def kb_test(
    kb: KbOption = None,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="Also write the results as JUnit XML to this file (for CI)."),
    ] = None,
    with_coverage: Annotated[
        bool,
        typer.Option("--coverage", help="Report which rules, clauses and case values are tested."),
    ] = False,
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="Report as terminal tables, CSV or JSON."),
    ] = ReportFormat.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file, not standard output."),
    ] = None,
    engine: EngineOption = "experta",
) -> None:
    """Run the KB's test scenarios (tests/*.yaml); exit 1 if one fails, 2 on a malformed one."""
    from innoproc.workbench.scenarios import load_scenarios
    from innoproc.workbench.scenarios_run import run_scenarios

    knowledge = load_kb(kb, engine)
    suite = run_scenarios(knowledge, load_scenarios(knowledge))
    if junit is not None:
        from innoproc.workbench.junit import junit_xml

        _write(junit, junit_xml(suite))
    report_coverage = None
    if with_coverage:
        from innoproc.workbench.coverage import coverage

        report_coverage = coverage(knowledge, suite)
    if fmt is ReportFormat.table:
        _table_report(suite, report_coverage, output)
    else:
        text = _data_report(suite, report_coverage, fmt)
        if output is None:
            print(text, end="")
        else:
            _write(output, text)
    if fmt is not ReportFormat.table or output is not None:
        for result in suite.results:
            if not result.passed:
                err(_line(result))
        err(suite.summary())
    if suite.failed:
        raise typer.Exit(FAILED)


def _line(result: ScenarioResult) -> str:
    """``PASS name``, or ``FAIL name (file:line): missing: a; unexpected: b (rule r)``."""
    if result.passed:
        return f"PASS {result.scenario.name}"
    return f"FAIL {result.scenario.name} ({result.scenario.where}): " + "; ".join(
        result.differences()
    )


def _table_report(suite: SuiteResult, found: Coverage | None, output: Path | None) -> None:
    if output is None:
        _print_table_report(suite, found, Console(highlight=False))
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            console = Console(file=handle, width=_FILE_WIDTH, no_color=True, highlight=False)
            _print_table_report(suite, found, console)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        raise _cannot_write(output, exc) from None


def _print_table_report(suite: SuiteResult, found: Coverage | None, console: Console) -> None:
    for result in suite.results:
        verdict, rest = escape(_line(result)).split(" ", 1)
        colour = "green" if result.passed else "bold red"
        console.print(f"[{colour}]{verdict}[/] {rest}", soft_wrap=True)
    console.print(suite.summary())
    if found is not None:
        _coverage_tables(found, console)


def _coverage_tables(found: Coverage, console: Console) -> None:
    rules = Table("rule", "concludes", "scenarios", "", title="Rules (fired by no scenario first)")
    for rule in found.rules:
        rules.add_row(rule.rule, rule.concludes, str(len(rule.scenarios)), _names(rule.scenarios))
    clauses = Table("clause", "cited by rules", "scenarios", "", title="Clauses")
    for clause in found.clauses:
        clauses.add_row(
            clause.clause,
            _names(clause.rules),
            str(len(clause.scenarios)),
            _names(clause.scenarios),
        )
    values = Table("key", "value", "read by rules", "scenarios", "", title="Case values")
    for value in found.values:
        values.add_row(
            value.key,
            escape(value.value),
            _names(value.rules),
            str(len(value.scenarios)),
            _names(value.scenarios),
        )
    for table in (rules, clauses, values):
        console.print(table)


def _names(names: tuple[str, ...]) -> str:
    if not names:
        return "[bold red]none[/]"
    shown = ", ".join(escape(n) for n in names[:_SHOWN])
    more = len(names) - _SHOWN
    return shown + (f" +{more} more" if more > 0 else "")


def _data_report(suite: SuiteResult, found: Coverage | None, fmt: ReportFormat) -> str:
    if fmt is ReportFormat.json:
        data = found.to_dict() if found is not None else suite.to_dict()
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if found is not None:
        return found.to_csv()
    return suite.to_csv()


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        raise _cannot_write(path, exc) from None


def _cannot_write(path: Path, exc: OSError) -> Exception:
    from innoproc.errors import InnoprocError

    return InnoprocError(f"cannot write {path}: {exc.strerror}")
