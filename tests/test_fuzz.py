"""Fuzzing the readers with hostile case files, case mappings and rule folders.

The strategies (in hostile.py) write inputs of every kind the reading policy covers: random
structure and wrong types, huge and odd numbers, long strings, control characters and unicode,
random encodings and BOMs, YAML anchors, tags and merge keys, JSON duplicates and NaN, Turtle,
TriG, N-Quads, JSON-LD and RDF/XML with blank nodes, named graphs, contexts and DOCTYPEs, and
rule files with random conditions (normal-form bombs and deep nesting included).

The property, for every example: loading either succeeds - and then advising on it succeeds,
returns an Advice and can be written in every export format - or raises exactly CaseError
(KnowledgeBaseError for a rule folder) with well-formed problems; within a time bound per
example; with no network access and no file opened but the input (and the package's and
Python's own files).

Two budgets: by default 150 examples a test, derandomized (the same examples every run, so a
failure is reproducible and the suite stays fast); ``INNOPROC_FUZZ=long`` (``make fuzz``) runs
5,000 random examples a test.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

import hostile
from hostile import Sandbox, check_problems, soft_memory_limit, within
from innoproc import Advice, CaseError, KnowledgeBase, KnowledgeBaseError, advise, load_case

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
          HealthCheck.filter_too_much]
# The bounded budget does not shrink a failing example (shrinking can take minutes); the long
# one does, so `make fuzz` reports the smallest example it can find.
settings.register_profile("innoproc-fuzz", max_examples=150, deadline=None, derandomize=True,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("innoproc-fuzz-long", max_examples=5_000, deadline=None,
                          derandomize=False,  # explicit: under CI=true hypothesis defaults to True
                          suppress_health_check=_QUIET, print_blob=True)
PROFILE = "innoproc-fuzz-long" if os.environ.get("INNOPROC_FUZZ") == "long" else "innoproc-fuzz"
FUZZ = settings(settings.get_profile(PROFILE))
#: RDF examples cost about three times as much (rdflib parsing), so they get two thirds
RDF_FUZZ = settings(FUZZ, max_examples=FUZZ.max_examples * 2 // 3)
#: wall-clock seconds one example may take: load, advise and export
SECONDS = 10
FUZZ_CASE = {"id": "fuzz", "trl": 3, "procedure": "open", "award_basis": "lowest-price",
             "phases": ["research", "development"], "technical_risk": "high"}

_numbers = itertools.count()


@pytest.fixture(scope="module", autouse=True)
def memory_cap():
    """Hostile input is loaded in this process too: cap it, so that a regression fails with a
    MemoryError instead of exhausting the machine."""
    with soft_memory_limit(4 * 1024**3):
        yield


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _fresh(workdir: Path) -> Path:
    """A folder of its own for one example (hypothesis and function-scoped tmp_path don't mix)."""
    folder = workdir / f"example-{next(_numbers)}"
    folder.mkdir()
    # A decoy beside the input: a relative context, entity or import that reads it is caught.
    (folder / "ctx.jsonld").write_text('{"@context": {"ipo": "https://example.org/decoy#"}}')
    return folder


def _use(advice: Any) -> None:
    """Advice is what the contract promises, and every export format can write it."""
    from innoproc.export import ExportOptions, export
    from innoproc.export.registry import formats

    assert isinstance(advice, Advice), type(advice)
    for fmt in formats():
        written = export(advice, fmt.name, ExportOptions())
        written.encode("utf-8")  # what printing it to a UTF-8 terminal or file does
        if fmt.name == "text":
            assert "\x1b" not in written, "an escape sequence reached the text output"


def _load_case(source: Any, *inputs: Path) -> None:
    with Sandbox(*inputs) as box, within(SECONDS, "loading and advising"):
        try:
            case = load_case(source)
        except CaseError as exc:
            check_problems(exc.problems, namespaces=("input", "case"))
        except Exception as exc:
            raise hostile._unexpected("load_case", exc) from None
        else:
            _use(advise(case))
    box.assert_clean()


def _write(workdir: Path, found: hostile.HostileFile) -> Path:
    path = _fresh(workdir) / f"case{found.suffix}"
    path.write_bytes(found.data)
    return path


@FUZZ
@given(found=hostile.hostile_case_files(kinds=("yaml",)))
def test_any_yaml_case_is_read_or_refused_cleanly(workdir, found):
    """YAML with anchors, aliases, merge keys, tags, directives and odd scalars, in any
    encoding."""
    path = _write(workdir, found)
    _load_case(path, path)


@FUZZ
@given(found=hostile.hostile_case_files(kinds=("json",)))
def test_any_json_case_is_read_or_refused_cleanly(workdir, found):
    """JSON with repeated keys, NaN, Infinity, huge numbers and escapes, in any encoding."""
    path = _write(workdir, found)
    _load_case(path, path)


@RDF_FUZZ
@given(found=hostile.hostile_case_files(kinds=("rdf", "jsonld", "xml")))
def test_any_rdf_case_is_read_or_refused_cleanly(workdir, found):
    """Turtle, N3, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML and TriX, sometimes re-encoded."""
    path = _write(workdir, found)
    _load_case(path, path)


@FUZZ
@given(mapping=hostile.case_mappings())
def test_any_case_mapping_is_read_or_refused_cleanly(mapping):
    _load_case(mapping)


@FUZZ
@given(files=hostile.hostile_kb_files())
def test_any_rule_folder_is_loaded_or_refused_cleanly(workdir, files):
    """A rule folder loads - and then advises on a case - or is refused with
    KnowledgeBaseError only, in time, reading nothing outside the folder."""
    folder = hostile.kb_folder(_fresh(workdir), files["rules"], schema=files["schema"])
    with Sandbox(folder) as box, within(SECONDS, "loading the KB and advising"):
        try:
            kb = KnowledgeBase.load(folder)
        except KnowledgeBaseError as exc:
            check_problems(exc.problems, namespaces=("input", "kb"))
        except Exception as exc:
            raise hostile._unexpected("KnowledgeBase.load", exc) from None
        else:
            _use(kb.advise(FUZZ_CASE))
    box.assert_clean()


def test_the_fuzz_budget_follows_innoproc_fuzz():
    """The default budget is bounded and repeatable; INNOPROC_FUZZ=long buys a long random run
    that shrinks what it finds."""
    default = settings.get_profile("innoproc-fuzz")
    long = settings.get_profile("innoproc-fuzz-long")
    assert default.max_examples <= 200 and default.derandomize and default.deadline is None
    assert Phase.shrink not in default.phases
    assert long.max_examples >= 5_000 and not long.derandomize and Phase.shrink in long.phases
    assert FUZZ.max_examples == (long if os.environ.get("INNOPROC_FUZZ") == "long"
                                 else default).max_examples
