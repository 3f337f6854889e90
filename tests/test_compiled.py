"""Compiled conditions (used by the analyses that run a case many times) compute exactly what
the reference semantics computes: the same truth for every rule, the same conclusions credited
to the same rules, on every library case and on random cases."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from innoproc.rules.compiled import CompiledRules, evaluator
from innoproc.rules.semantics import forward_chain, truth
from test_engine import random_cases


def _agree(kb, facts):
    reached = forward_chain(kb.rules, facts)
    assert CompiledRules(kb.rules).run(facts) == reached
    partial = dict(list(reached.items())[: len(reached) // 2])
    for rule in kb.rules:
        assert evaluator(rule.when)(facts, reached) == truth(rule.when, facts, reached), rule.id
        assert evaluator(rule.when)(facts, partial) == truth(rule.when, facts, partial), rule.id
    # re-running some rules from conclusions already reached, as the analyses do
    later = [r for r in kb.rules if r.stratum > 0]
    kept = {c: r for c, r in reached.items() if r not in later}
    assert CompiledRules(later).run(facts, start=kept) == forward_chain(later, facts, kept)


def test_compiled_rules_agree_with_the_reference_on_every_library_case(kb, library):
    for case in library.values():
        _agree(kb, case.facts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cases())
def test_compiled_rules_agree_with_the_reference_on_random_cases(kb, facts):
    _agree(kb, facts)


def test_an_evaluator_is_built_once_per_condition(kb):
    rule = kb.rules[0]
    assert evaluator(rule.when) is evaluator(rule.when)


def test_a_stratum_whose_rules_read_each_other_is_run_to_its_fixed_point(kb, library):
    """Each stratum is evaluated once when none of its rules reads a conclusion drawn in it;
    with every rule put in one stratum they do, and the passes go on until nothing changes,
    as the reference's do."""
    from dataclasses import replace

    flat = [replace(rule, stratum=0) for rule in kb.rules]
    compiled = CompiledRules(flat)
    assert compiled._layers[0][1]  # this layer needs its second pass
    assert not any(repeat for _, repeat in CompiledRules(kb.rules)._layers)
    for case in library.values():
        assert compiled.run(case.facts) == forward_chain(flat, case.facts), case.id
