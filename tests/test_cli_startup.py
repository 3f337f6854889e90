"""What the command line loads to start: the console script imports a command's module only when
the command runs, lists every command with its own help line without importing any, converts
plain values without pydantic (to exactly what typer gives, refusing exactly what typer refuses),
and lays out ``--help`` as typer does without rich's Markdown and traceback modules."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

pytest.importorskip("typer._coercion", reason="plain conversions stand in for typer 0.2x's own")
from typer._click import Context  # noqa: E402
from typer._coercion import build_runtime_param  # noqa: E402

from innoproc.cli import app  # noqa: E402
from innoproc.cli.coercion import PlainParam  # noqa: E402
from innoproc.cli.lazy import COMMANDS, MODULES, LazyGroup  # noqa: E402
from innoproc.cli.rich_help import _placeholder  # noqa: E402

from conftest import CASES, ROOT  # noqa: E402

CASE = str(CASES / "cern-lhc-yoke-steel.yaml")

#: run the console script's main in a fresh interpreter, then report what it imported
_PROBE = """
import atexit, json, sys
def report():
    names = ("pydantic", "rich.markdown", "rich.traceback", "typer.rich_utils")
    found = {"heavy": [n for n in names if n in sys.modules],
             "cli": sorted(m for m in sys.modules if m.startswith("innoproc.cli."))}
    sys.stderr.write("\\nPROBE " + json.dumps(found) + "\\n")
atexit.register(report)
sys.argv = ["innoproc"] + sys.argv[1:]
from innoproc.entry import main
main()
"""


def _probe(*args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    result = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                            text=True, cwd=ROOT, env=os.environ.copy(), timeout=120)
    line = result.stderr.rsplit("PROBE ", 1)[1]
    return result, json.loads(line)


def _own(*modules: str) -> list[str]:
    return sorted(f"innoproc.cli.{m}" for m in ("app", "coercion", "lazy", *modules))


def test_version_and_help_import_no_command_module():
    result, loaded = _probe("--version")
    assert result.returncode == 0 and result.stdout.startswith("innoproc ")
    assert loaded == {"heavy": [], "cli": _own()}
    result, loaded = _probe("--help")
    assert result.returncode == 0 and "advise" in result.stdout
    assert loaded == {"heavy": ["typer.rich_utils"], "cli": _own("rich_help")}


def test_advise_imports_its_own_module_and_no_pydantic():
    result, loaded = _probe("advise", CASE)
    assert result.returncode == 0 and "Open questions" in result.stdout
    assert loaded == {"heavy": [], "cli": _own("advise")}


def test_a_group_imports_the_modules_of_its_commands():
    result, loaded = _probe("kb", "rules")
    assert result.returncode == 0
    assert loaded["cli"] == _own("kb", "kb_diff", "kb_docs", "kb_test")


def test_the_help_lists_every_command_as_typer_lays_it_out():
    """The console script's help, commands unloaded, is the help of the app with every command
    loaded and typer's rich layout imported as typer imports it."""
    full = subprocess.run(
        [sys.executable, "-c", "import sys, typer.rich_utils; from innoproc.cli import app; "
         "sys.argv = ['innoproc', '--help']; app(prog_name='innoproc')"],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    lazy, _ = _probe("--help")
    assert full.returncode == lazy.returncode == 0
    assert lazy.stdout == full.stdout
    assert all(name in lazy.stdout for name in COMMANDS)


def test_the_stand_ins_for_rich_markdown_and_tracebacks_hand_over_to_the_real_ones():
    probe = (
        "import sys; from innoproc.cli.rich_help import import_rich_help; import_rich_help(); "
        "assert 'rich.markdown' not in sys.modules and 'rich.traceback' not in sys.modules; "
        "import typer.rich_utils as r, rich.markdown, rich.traceback; "
        "assert r.Markdown is not rich.markdown.Markdown; "
        "assert type(r.Markdown('*x*')) is rich.markdown.Markdown; "
        "assert isinstance(rich.markdown.Markdown('x'), r.Markdown); "
        "assert r.Traceback.from_exception == rich.traceback.Traceback.from_exception; "
        "print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


def test_a_stand_in_module_gives_any_other_name_from_the_real_module(monkeypatch):
    import rich.markdown

    monkeypatch.delitem(sys.modules, "rich.markdown")
    placeholder = _placeholder("rich.markdown", "Markdown")
    monkeypatch.setitem(sys.modules, "rich.markdown", placeholder)
    heading = placeholder.Heading  # not stood in for: the real module is imported for it
    assert heading.__module__ == "rich.markdown" and heading.__name__ == "Heading"
    assert sys.modules["rich.markdown"] is not placeholder
    assert rich.markdown.Heading.__name__ == "Heading"


def test_the_table_of_commands_is_the_commands_own():
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    assert list(group.commands) == list(COMMANDS)
    for name, command in group.commands.items():
        modules, help_text = COMMANDS[name]
        assert inspect.cleandoc(command.help or "").split("\n\n")[0] == help_text, name
        callback = command.callback
        if not hasattr(command, "commands"):  # a command: its function lives in its module
            assert callback.__module__ in {f"innoproc.cli.{m}" for m in modules}, name
    assert set(MODULES) == {
        p.stem for p in (ROOT / "engine" / "innoproc" / "cli").glob("*.py")
    } - {"__init__", "app", "lazy", "coercion", "rich_help"}


# -- plain conversions give what typer gives ---------------------------------------------------

_SAMPLES: dict[str, list[Any]] = {
    "str": ["x", "", "a b"],
    "bool": [True, False, "yes"],
    "int": ["5", "0", "-3", "1", "65535", "65536", "007", "+4", " 4", "abc", "1_0", 7, 3.0],
    "float": ["0.5", "abc"],
    "Path": [CASE, "nowhere.yaml", ".", "", "a//b/"],
    "list[Path]": [[CASE, "b"], [], ["", "x"]],
    "list[str]": [["a", "b"], []],
}


def _samples(annotation: Any) -> list[Any]:
    if isinstance(annotation, type) and issubclass(annotation, __import__("enum").Enum):
        values = [m.value for m in annotation]
        return [*values, values[0].upper(), "nonsense", list(annotation)[0]]
    name = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    return _SAMPLES.get(name.replace("pathlib.", ""), [])


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> Any:
    try:
        return ("value", runtime._coerce_value(value, param=param, ctx=ctx))
    except Exception as exc:  # typer refuses with BadParameter and its message
        return ("refused", type(exc).__name__, str(exc))


def _parameters() -> list[tuple[str, Any, Any]]:
    found = []

    def walk(prefix: str, command: Any) -> None:
        for sub_name, sub in getattr(command, "commands", {}).items():
            walk(f"{prefix} {sub_name}".strip(), sub)
        for param in command.params:
            if getattr(param, "type_descriptor", None) is not None:
                found.append((f"{prefix} {param.name}", command, param))

    group = typer.main.get_command(app)
    for name in group.commands:
        walk(name, group.get_command(None, name))  # get_command gives the plain conversions
    return found


@pytest.mark.parametrize("name, command, param", _parameters(), ids=[p[0] for p in _parameters()])
def test_plain_conversions_give_what_typer_gives(name, command, param):
    runtime = param._runtime_param
    descriptor = param.type_descriptor
    if runtime is None:  # left to typer: nothing to compare
        assert descriptor.annotation not in (str, bool, Path)
        return
    assert isinstance(runtime, PlainParam)
    typer_own = build_runtime_param(descriptor)
    ctx = Context(command)
    for value in _samples(descriptor.annotation):
        assert _outcome(runtime, value, param, ctx) == _outcome(typer_own, value, param, ctx), (
            name, value)


def test_every_parameter_of_a_plain_type_converts_without_pydantic():
    plain = [n for n, _, p in _parameters() if isinstance(p._runtime_param, PlainParam)]
    left = [(n, p.type_descriptor.annotation) for n, _, p in _parameters()
            if not isinstance(p._runtime_param, PlainParam)]
    assert len(plain) > 40
    assert all(annotation is float for _, annotation in left), left


_GC_PROBE = """
import gc, sys
import innoproc.case
real = innoproc.case.load_case
def spy(*args, **kwargs):
    print("collecting", gc.isenabled(), "frozen", gc.get_freeze_count() > 0, file=sys.stderr)
    return real(*args, **kwargs)
innoproc.case.load_case = spy
from innoproc.entry import main
sys.argv = ["innoproc", "validate", sys.argv[1]]
main()
"""


def test_the_console_script_collects_garbage_once_the_command_runs():
    """Start-up runs with the collector off; every command runs with it on again, what start-up
    made set apart (a long `serve` or `store add` must not pile up garbage)."""
    case = str(CASES / "cern-lhc-yoke-steel.yaml")
    result = subprocess.run([sys.executable, "-c", _GC_PROBE, case], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "collecting True frozen True" in result.stderr
