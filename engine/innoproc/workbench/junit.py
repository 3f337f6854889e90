"""Scenario results as JUnit XML, the report format CI systems (GitLab, Jenkins, GitHub
actions' test reporters) read, so a failing scenario shows up there like a failing unit test.

One ``testsuite`` per test file, one ``testcase`` per scenario (``classname`` is the test
file's name without its suffix), and for a failing scenario a ``failure`` whose ``message`` says
what differs and whose text adds what was concluded, by which rule.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .scenarios_run import ScenarioResult, SuiteResult

SUITES_NAME = "innoproc kb test"


def junit_xml(suite: SuiteResult) -> str:
    """The results as a JUnit XML document (UTF-8, with its declaration)."""
    by_file: dict[str, list[ScenarioResult]] = {}
    for result in suite.results:
        by_file.setdefault(result.scenario.source, []).append(result)
    root = ET.Element(
        "testsuites",
        name=SUITES_NAME,
        tests=str(len(suite.results)),
        failures=str(suite.failed),
        errors="0",
        time=_seconds(suite.results),
    )
    for source, results in by_file.items():
        element = ET.SubElement(
            root,
            "testsuite",
            name=source,
            tests=str(len(results)),
            failures=str(sum(1 for r in results if not r.passed)),
            errors="0",
            skipped="0",
            time=_seconds(results),
        )
        for result in results:
            _testcase(element, result)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, result: ScenarioResult) -> None:
    scenario = result.scenario
    attributes = {
        "name": scenario.name,
        "classname": Path(scenario.source).stem,
        "file": scenario.source,
        "time": f"{result.seconds:.3f}",
    }
    if scenario.line is not None:
        attributes["line"] = str(scenario.line)
    case = ET.SubElement(suite, "testcase", attributes)
    if not result.passed:
        failure = ET.SubElement(
            case, "failure", message="; ".join(result.differences()), type="ScenarioFailure"
        )
        concluded = "\n".join(f"  {c.id} (rule {c.rule})" for c in result.concluded)
        failure.text = (
            f"{scenario.where}: scenario {scenario.name} (case {scenario.case_ref})\n"
            + "\n".join(result.differences())
            + "\nconcluded:\n"
            + (concluded or "  nothing")
        )


def _seconds(results: tuple[ScenarioResult, ...] | list[ScenarioResult]) -> str:
    return f"{sum(r.seconds for r in results):.3f}"
