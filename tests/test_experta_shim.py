"""experta 1.9.4 imports and runs on this Python through the project's one shim module."""

from __future__ import annotations

import collections
import subprocess
import sys

from conftest import ROOT


def test_experta_declares_facts_and_fires_a_rule():
    from innoproc.engine._experta import NOT, Fact, KnowledgeEngine, Rule

    class Need(Fact):
        pass

    class Blocked(Fact):
        pass

    class Engine(KnowledgeEngine):
        def __init__(self):
            super().__init__()
            self.fired = []

        @Rule(Need(kind="r-and-d"), NOT(Blocked()))
        def suggest_pcp(self):
            self.fired.append("pcp")

    engine = Engine()
    engine.reset()
    engine.declare(Need(kind="r-and-d"))
    engine.run()
    assert engine.fired == ["pcp"]

    engine.fired.clear()
    engine.reset()
    engine.declare(Need(kind="r-and-d"), Blocked())
    engine.run()
    assert engine.fired == []


def test_the_shim_leaves_no_collections_mapping_alias_behind():
    import innoproc.engine._experta  # noqa: F401

    assert not hasattr(collections, "Mapping")


def test_experta_is_imported_only_through_the_shim():
    offenders = [
        path.relative_to(ROOT)
        for path in (ROOT / "engine").rglob("*.py")
        if path.name != "_experta.py"
        and any(
            line.strip().startswith(("import experta", "from experta"))
            for line in path.read_text().splitlines()
        )
    ]
    assert offenders == []


def test_a_fresh_interpreter_imports_innoproc_without_the_alias_error():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import innoproc.engine._experta, experta; print(experta.__version__)",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1.9.4"


def test_experta_inspects_each_rule_function_once_and_keeps_none_alive():
    import gc
    import inspect
    import weakref

    from innoproc.engine import _experta

    def rule_function(self, case, extra=1):
        return case

    rule = _experta.Rule(_experta.Fact())
    rule(rule_function)  # experta reads the signature to know which names to pass
    assert rule._wrapped_args == {"self", "case", "extra"}
    assert _experta._rule.inspect.signature(rule_function) == inspect.signature(rule_function)
    assert rule_function in _experta._signatures
    assert _experta._rule.inspect.signature(len) == inspect.signature(len)  # not weakly held
    gone = weakref.ref(rule_function)
    del rule, rule_function
    gc.collect()
    assert gone() is None
