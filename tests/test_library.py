"""The case library and what the knowledge base makes of it: realistic cases with their
sources, every clause implemented, every rule used, and no advice the facts do not support."""

from __future__ import annotations

import re

from innoproc.ontology import bundled_vocabulary as vocabulary
from innoproc.rules.model import ConclusionTest, FactTest, leaves

from conftest import case_files


def _header(path) -> str:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines)


def test_at_least_15_cases_name_the_real_procurement_and_its_public_source():
    modelled = [p for p in case_files() if "Modelled on:" in _header(p)]
    assert len(modelled) >= 15
    for path in modelled:
        assert re.search(r"# Source:.*?https?://", _header(path), re.DOTALL), path.name


def test_at_least_three_cases_are_turtle_and_the_rest_yaml_or_json():
    suffixes = [p.suffix for p in case_files()]
    assert suffixes.count(".ttl") >= 3
    assert set(suffixes) <= {".ttl", ".yaml", ".json"}


def test_every_case_validates_and_its_id_is_its_file_name(library):
    assert {p.stem for p in case_files()} == set(library)


def test_every_clause_is_implemented_by_at_least_one_rule(kb):
    cited = {c for rule in kb.rules for c in rule.clauses}
    assert cited == set(vocabulary().clauses)


def test_every_rule_fires_on_a_library_case_or_a_kb_scenario(kb, library):
    """A rule no library case reaches (most are kept for situations the real procurements do
    not show) must be exercised by a scenario of the KB's own tests."""
    from innoproc.workbench.scenarios import load_scenarios
    from innoproc.workbench.scenarios_run import run_scenarios

    fired = {item.rule for case in library.values() for item in kb.advise(case).items}
    for result in run_scenarios(kb, load_scenarios(kb)).results:
        fired |= {c.rule for c in result.concluded}
    assert [r.id for r in kb.rules if r.id not in fired] == []


def test_every_challenge_and_the_kc6_risks_appear_in_the_library(kb, library):
    found = {c for case in library.values() for item in kb.advise(case).findings
             for c in item.clauses}
    assert {f"CH-{i}" for i in range(1, 7)} <= found
    risks = {item.id for case in library.values() for item in kb.advise(case).findings
             if item.finding_kind == "risk"}
    assert {"long-lifetime-without-access-rights", "financially-fragile-supplier",
            "undefined-ip-in-co-development"} <= risks


def test_a_well_run_procurement_gets_no_challenge_finding(kb, library):
    advice = kb.advise(library["constructed-well-run-beam-loss-electronics"])
    assert [i.id for i in advice.findings if i.finding_kind == "challenge"] == []


def test_a_case_with_only_a_few_facts_gets_no_finding(kb, library):
    assert kb.advise(library["constructed-sparse-beamline-mirror"]).findings == ()


def test_an_empty_case_gets_no_advice_at_all(kb):
    assert kb.advise({"id": "empty"}).items == ()


def test_no_challenge_finding_rests_on_an_absent_fact(kb):
    """Every way a challenge rule can fire needs a stated fact with a value: `unknown` may only
    stand for "nothing known against it", never be the reason."""
    from innoproc.rules.normalform import dnf

    for rule in kb.rules:
        if rule.then.kind == "finding" and rule.then.finding_kind == "challenge":
            for conjunct in dnf(rule.when):
                stated = [lit for lit in conjunct
                          if isinstance(lit.test, FactTest) and lit.wants_stated is None]
                assert stated, (rule.id, [lit.describe() for lit in conjunct])


def test_rules_chain_from_facts_to_findings_to_recommendations_to_strategy(kb):
    chained = [r for r in kb.rules if r.then.kind == "recommendation"
               and any(isinstance(t, ConclusionTest) for t in leaves(r.when))]
    assert len(chained) >= 10
    assert max(r.stratum for r in kb.rules) >= 2
