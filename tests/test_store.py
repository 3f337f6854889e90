"""The case library in the embedded store: what ``store add`` writes, every saved query's answer
on the stored ``cases/`` library, and the store commands.

Each saved query's expected answer is worked out here from the Python API (the advice of every
library case), never copied from the query's own output.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from innoproc.cli import app

from conftest import CASES, ROOT, case_files

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """The whole library, stored once for the module."""
    folder = tmp_path_factory.mktemp("library") / "store"
    result = invoke("store", "add", str(CASES), "--store", str(folder))
    assert result.exit_code == 0, result.output
    assert f"stored {len(case_files())} case(s)" in result.stdout
    return folder


@pytest.fixture(scope="module")
def advices(kb, library) -> dict[str, Any]:
    return {case_id: kb.advise(case) for case_id, case in library.items()}


def query(store: Path, name: str, *params: str) -> list[dict[str, str]]:
    """A saved query's rows as {variable: value}, through the command line."""
    args = ["query", name, "--store", str(store), "--format", "json"]
    for param in params:
        args += ["--param", param]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def chain(item: Any) -> list[Any]:
    """Every item an item rests on, through its premises, at any depth."""
    found = []
    for premise in item.because.premises:
        found.append(premise)
        found += chain(premise)
    return found


def recommendations(advice: Any) -> list[Any]:
    return [i for i in advice.items if i.kind == "recommendation"]


# -- every saved query, against the stored library ------------------------------------------


def test_there_are_at_least_twelve_documented_saved_queries():
    from innoproc.store.queries import saved_queries

    saved = saved_queries(ROOT / "kb" / "queries")
    assert len(saved) >= 12
    for query_ in saved:
        assert query_.title and query_.description, query_.name
        for param in query_.parameters:
            assert f"?{param.name}" in query_.text, (query_.name, param.name)
    listed = invoke("query", "--list")
    assert listed.exit_code == 0
    assert all(f"{q.name}: {q.title}" in listed.stdout for q in saved)


def test_cases_per_challenge_per_organisation(stored, advices):
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case_id, advice in advices.items():
        organisation = advice.case.facts.get("organisation")
        for finding in advice.findings:
            if finding.finding_kind == "challenge" and organisation:
                for clause in finding.clauses:
                    if clause.startswith("CH-"):
                        expected[(str(organisation), clause)].add(case_id)
    rows = query(stored, "cases-per-challenge-per-organisation")
    assert {(r["organisation"], local(r["challenge"])): int(r["cases"]) for r in rows} == {
        k: len(v) for k, v in expected.items()
    }
    cern = query(stored, "cases-per-challenge-per-organisation", "organisation=CERN")
    assert cern and {r["organisation"] for r in cern} == {"CERN"}


def test_recommendations_for_challenge(stored, advices):
    expected = {
        (clause, case_id, rec.id, premise.id)
        for case_id, advice in advices.items()
        for rec in recommendations(advice)
        for premise in chain(rec)
        if premise.kind == "finding" and premise.finding_kind == "challenge"
        for clause in premise.clauses
        if clause.startswith("CH-")
    }
    assert expected, "the library should have recommendations answering challenges"
    rows = query(stored, "recommendations-for-challenge")
    found = {
        (local(r["challenge"]), local(r["case"]), r["recommendation"], r["finding"]) for r in rows
    }
    assert found == expected
    one = sorted(expected)[0][0]
    rows = query(stored, "recommendations-for-challenge", f"challenge={one}")
    assert {local(r["challenge"]) for r in rows} == {one}
    assert len(rows) == sum(1 for e in expected if e[0] == one)


def _unique_low_trl_without_make_or_buy(advices: dict[str, Any]) -> set[str]:
    return {
        case_id
        for case_id, advice in advices.items()
        if advice.case.facts.get("competence_uniqueness") == "unique"
        and advice.case.facts.get("trl") is not None
        and advice.case.facts["trl"] <= 4
        and not any("REC-1" in r.clauses for r in recommendations(advice))
    }


def test_unique_competence_low_trl_no_make_or_buy(stored, advices, kb, tmp_path):
    rows = query(stored, "unique-competence-low-trl-no-make-or-buy")
    assert {local(r["case"]) for r in rows} == _unique_low_trl_without_make_or_buy(advices)
    # the library itself has no such case; two drafts that qualify and one that does not
    store = tmp_path / "store"
    drafts = {
        "draft-unique-trl-2": "id: draft-unique-trl-2\ncompetence_uniqueness: unique\ntrl: 2\n",
        "draft-unique-trl-4": "id: draft-unique-trl-4\ncompetence_uniqueness: unique\ntrl: 4\n",
        "draft-unique-trl-6": "id: draft-unique-trl-6\ncompetence_uniqueness: unique\ntrl: 6\n",
    }
    for name, text in drafts.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    assert invoke("store", "add", str(tmp_path), "--store", str(store)).exit_code == 0
    mine = {n: kb.advise(tmp_path / f"{n}.yaml") for n in drafts}
    rows = query(store, "unique-competence-low-trl-no-make-or-buy")
    assert {local(r["case"]) for r in rows} == _unique_low_trl_without_make_or_buy(mine)
    assert "draft-unique-trl-6" not in {local(r["case"]) for r in rows}


def test_chain_behind_one_item(stored, advices):
    case_id, item = max(
        ((c, i) for c, a in advices.items() for i in a.items), key=lambda t: len(chain(t[1]))
    )
    assert chain(item), "some item of the library rests on another"
    expected = {("CaseFact", key) for key, _ in item.because.facts}
    for premise in chain(item):
        expected.add(({"challenge": "ChallengeFinding", "risk": "RiskFinding"}.get(
            premise.finding_kind or "", "Recommendation"), premise.id))  # fmt: skip
        expected |= {("CaseFact", key) for key, _ in premise.because.facts}
    rows = query(stored, "chain-behind-item", f"case={case_id}", f"item={item.id}")
    assert {(local(r["kind"]), r["name"]) for r in rows} == expected
    assert {local(r["case"]) for r in rows} == {case_id}


def test_rules_never_fired(stored, advices, kb):
    fired = {i.rule for a in advices.values() for i in a.items}
    rows = query(stored, "rules-never-fired")
    assert {r["rule"] for r in rows} == set(kb.by_id) - fired
    assert all(r["concludes"] == kb.by_id[r["rule"]].then.id for r in rows)


def test_clause_coverage(stored, advices, kb):
    rows = query(stored, "clause-coverage")
    assert {r["notation"] for r in rows} == set(kb.vocabulary.clauses)
    for row in rows:
        clause = row["notation"]
        items = [(c, i.id) for c, a in advices.items() for i in a.items if clause in i.clauses]
        assert int(row["rules"]) == sum(1 for r in kb.rules if clause in r.clauses), clause
        assert int(row["items"]) == len(set(items)), clause
        assert int(row["cases"]) == len({c for c, _ in items}), clause


def test_no_advice_is_stale_after_adding(stored):
    assert query(stored, "stale-advice") == []


def _silent(advices: dict[str, Any]) -> dict[str, Any]:
    return {c: a for c, a in advices.items() if not a.items}


def test_cases_without_advice(stored, advices):
    rows = query(stored, "cases-without-advice")
    assert {local(r["case"]) for r in rows} == set(_silent(advices))


def test_unknown_facts_in_silent_cases(stored, advices, kb):
    silent = _silent(advices)
    assert silent
    expected = Counter(
        key
        for advice in silent.values()
        for key in kb.vocabulary.keys
        if key not in ("id", "title", "organisation") and key not in advice.case.facts
    )
    rows = query(stored, "unknown-facts-in-silent-cases")
    assert {r["key"]: int(r["unknown_in"]) for r in rows} == dict(expected)
    counts = [int(r["unknown_in"]) for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_cases_by_procedure_class_follow_the_class_hierarchy(stored, advices, kb):
    from innoproc.ontology import IPO

    vocab = kb.vocabulary
    procedure = vocab.keys["procedure"]
    for cls in (IPO.InnovationProcurementProcedure, IPO.AwardProcedure, IPO.FlexibleProcedure):
        members = vocab.members(cls)
        expected = {
            c
            for c, a in advices.items()
            if "procedure" in a.case.facts
            and procedure.values[str(a.case.facts["procedure"])] in members
        }
        rows = query(stored, "cases-by-procedure-class", f"class=ipo:{local(str(cls))}")
        assert {local(r["case"]) for r in rows} == expected, cls
    innovation = query(
        stored, "cases-by-procedure-class", "class=ipo:InnovationProcurementProcedure"
    )
    assert innovation  # the library holds PCPs and an innovation partnership


def test_findings_by_severity(stored, advices):
    findings: Counter[tuple[str, str]] = Counter()
    cases: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case_id, advice in advices.items():
        for f in advice.findings:
            key = (f"{f.finding_kind.capitalize()}Finding", f"{f.severity.capitalize()}Severity")
            findings[key] += 1
            cases[key].add(case_id)
    rows = query(stored, "findings-by-severity")
    assert {(local(r["kind"]), local(r["severity"])): int(r["findings"]) for r in rows} == dict(
        findings
    )
    assert {(local(r["kind"]), local(r["severity"])): int(r["cases"]) for r in rows} == {
        k: len(v) for k, v in cases.items()
    }
    high = query(stored, "findings-by-severity", "severity=ipo:HighSeverity")
    assert {local(r["severity"]) for r in high} == {"HighSeverity"}


def test_top_recommendations(stored, advices):
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case_id, advice in advices.items():
        for rec in recommendations(advice):
            expected[(rec.id, rec.rule)].add(case_id)
    rows = query(stored, "top-recommendations")
    assert {(r["recommendation"], r["rule"]): int(r["cases"]) for r in rows} == {
        k: len(v) for k, v in expected.items()
    }
    counts = [int(r["cases"]) for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_facts_behind_recommendation(stored, advices):
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case_id, advice in advices.items():
        for rec in recommendations(advice):
            for link in [rec, *chain(rec)]:
                for key, _ in link.because.facts:
                    expected[(rec.id, key)].add(case_id)
    rows = query(stored, "facts-behind-recommendation")
    assert {(r["recommendation"], r["key"]): int(r["cases"]) for r in rows} == {
        k: len(v) for k, v in expected.items()
    }
    one = sorted(expected)[0][0]
    rows = query(stored, "facts-behind-recommendation", f"recommendation={one}")
    assert {r["recommendation"] for r in rows} == {one}


def test_rules_reading_key(stored, advices, kb):
    from innoproc.rules.model import FactTest, leaves

    fired: dict[str, set[str]] = defaultdict(set)
    for case_id, advice in advices.items():
        for item in advice.items:
            fired[item.rule].add(case_id)
    expected = {
        (leaf.key, rule.id): len(fired[rule.id])
        for rule in kb.rules
        for leaf in leaves(rule.when)
        if isinstance(leaf, FactTest)
    }
    rows = query(stored, "rules-reading-key")
    assert {(r["key"], r["rule"]): int(r["fired_in"]) for r in rows} == expected
    trl = query(stored, "rules-reading-key", "key=trl")
    assert trl and {r["key"] for r in trl} == {"trl"}


def test_organisations(stored, advices):
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for advice in advices.values():
        organisation = advice.case.facts.get("organisation")
        if organisation:
            counts = expected[str(organisation)]
            counts[0] += 1
            counts[1] += len(advice.findings)
            counts[2] += len(recommendations(advice))
    rows = query(stored, "organisations")
    assert {
        r["organisation"]: [int(r["cases"]), int(r["findings"]), int(r["recommendations"])]
        for r in rows
    } == dict(expected)


# -- the query command ------------------------------------------------------------------------


def test_query_from_text_and_file_in_every_format(stored, tmp_path, library):
    text = (
        "PREFIX ipo: <https://w3id.org/innoproc/ontology#> "
        "SELECT ?case ?trl WHERE { ?case ipo:trl ?trl } ORDER BY ?case"
    )
    with_trl = [c for c in library.values() if "trl" in c.facts]
    for fmt in ("table", "csv", "tsv", "json"):
        result = invoke("query", "--query", text, "--store", str(stored), "--format", fmt)
        assert result.exit_code == 0, result.output
    csv_rows = invoke("query", "--query", text, "--store", str(stored), "-f", "csv").stdout
    assert len(csv_rows.strip().splitlines()) == 1 + len(with_trl)
    rq = tmp_path / "ask.rq"
    rq.write_text("ASK { ?s a <https://w3id.org/innoproc/ontology#AdviceRun> }")
    result = invoke("query", str(rq), "--store", str(stored))
    assert result.exit_code == 0 and result.stdout.strip() == "true"
    construct = (
        "PREFIX ipo: <https://w3id.org/innoproc/ontology#> "
        "CONSTRUCT { ?case ipo:organisation ?o } WHERE { ?case ipo:organisation ?o }"
    )
    result = invoke("query", "--query", construct, "--store", str(stored), "-f", "turtle")
    assert result.exit_code == 0 and "ipo:organisation" in result.stdout
    from rdflib import Graph

    assert len(Graph().parse(data=result.stdout, format="turtle")) == sum(
        1 for c in library.values() if "organisation" in c.facts
    )
    describe = "DESCRIBE <https://w3id.org/innoproc/case/cern-lhc-yoke-steel>"
    result = invoke("query", "--query", describe, "--store", str(stored), "-f", "turtle")
    assert result.exit_code == 0 and "CERN" in result.stdout


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "PREFIX x: <urn:x#>\nDELETE WHERE { ?s ?p ?o }",
        "# a comment\nDROP ALL",
        "LOAD <http://example.org/data.ttl>",
        "CLEAR DEFAULT",
    ],
)
def test_updates_are_refused(stored, text):
    before = _counts(stored)
    result = invoke("query", "--query", text, "--store", str(stored))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "update" in result.stderr
    assert _counts(stored) == before


def _counts(store: Path | str) -> list[str]:
    """What ``store stats`` counts (cases, graphs, quads, advice), without place and size."""
    lines = invoke("store", "stats", "--store", str(store)).stdout.splitlines()
    return [line for line in lines if not line.startswith(("store", "bytes"))]


def test_bad_queries_and_parameters_are_one_line(stored):
    cases = [
        ("query", "--query", "SELECT * WHERE { ?s ?p }"),
        ("query", "no-such-query"),
        ("query", "top-recommendations", "--param", "nonsense"),
        ("query", "top-recommendations", "--param", "colour=red"),
        ("query", "cases-by-procedure-class", "--param", "class=not an iri"),
        ("query", "top-recommendations", "-f", "turtle"),
        ("query",),
    ]
    for args in cases:
        result = invoke(*args, "--store", str(stored))
        assert result.exit_code == 2, args
        assert result.stderr.strip() and "Traceback" not in result.output, args


def test_parameters_are_terms_never_query_text(stored):
    hostile = 'CERN" } } ; DROP ALL ; SELECT * WHERE { { ?s ?p "'
    assert query(stored, "organisations", f"organisation={hostile}") == []
    assert query(stored, "organisations", "organisation=CERN")[0]["organisation"] == "CERN"
    assert query(stored, "stale-advice") == []  # nothing dropped


# -- the store commands -----------------------------------------------------------------------


def _copy_kb(tmp_path: Path) -> Path:
    """The bundled KB with one comment more: same rules, another fingerprint."""
    folder = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", folder, ignore=shutil.ignore_patterns("tests", "queries"))
    first = sorted((folder / "rules").glob("*.yaml"))[0]
    first.write_text(first.read_text() + "\n# edited\n")
    return folder


def test_list_readvise_and_stale_advice(tmp_path):
    store = str(tmp_path / "store")
    few = case_files()[:4]
    assert invoke("store", "add", *map(str, few), "--store", store).exit_code == 0
    listed = invoke("store", "list", "--store", store)
    assert listed.stdout.count("\tcurrent") == 4
    edited = _copy_kb(tmp_path)
    listed = invoke("store", "list", "--store", store, "--kb", str(edited))
    assert listed.stdout.count("\tstale") == 4 and "4 stale" in listed.stderr
    # one case added with the edited KB: its rules are now the stored ones, the others stale
    assert invoke("store", "add", str(few[0]), "--store", store, "--kb", str(edited)).exit_code == 0
    stale = {local(r["case"]) for r in query(Path(store), "stale-advice")}
    from innoproc import load_case

    ids = [load_case(p).id for p in few]
    assert stale == set(ids[1:])
    result = invoke("store", "readvise", "--store", store, "--kb", str(edited))
    assert result.exit_code == 0 and "re-advised 3 case(s)" in result.stdout
    assert query(Path(store), "stale-advice") == []
    stats = invoke("store", "stats", "--store", store, "--kb", str(edited)).stdout
    assert "cases\t4" in stats and "(stale)" not in stats
    assert invoke("store", "readvise", "--store", store, "--all").stdout.startswith(
        "re-advised 4 case(s)"
    )


def test_readvise_on_two_workers_stores_what_the_engine_concludes(tmp_path, advices):
    """Re-advice runs on a pool (more cases than a small batch): every stored case gets the
    items the Python API gives it, under the KB asked for, and none is left stale."""
    from innoproc.explain.batch import SMALL_BATCH

    store = str(tmp_path / "store")
    assert invoke("store", "add", str(CASES), "--store", store, "--workers", "1").exit_code == 0
    edited = _copy_kb(tmp_path)
    assert len(advices) > SMALL_BATCH
    result = invoke("store", "readvise", "--store", store, "--kb", str(edited), "--workers", "2")
    assert result.exit_code == 0, result.output
    assert f"re-advised {len(advices)} case(s)" in result.stdout
    assert query(Path(store), "stale-advice") == []
    rows = invoke(
        "query", "--store", store, "--format", "csv", "--query",
        "PREFIX ipo: <https://w3id.org/innoproc/ontology#> SELECT ?case ?item WHERE "
        "{ ?run ipo:knowledgeBaseFingerprint ?fp . GRAPH ?run { ?i ipo:adviceId ?item ; "
        "ipo:forCase ?case } }",
    ).stdout.splitlines()[1:]
    stored_items = {(local(case), item) for case, item in (row.split(",") for row in rows)}
    expected = {(case_id, item.id) for case_id, advice in advices.items() for item in advice.items}
    assert stored_items == expected


def test_add_skips_cases_that_do_not_conform(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    for path in case_files()[:2]:
        shutil.copy(path, folder)
    (folder / "broken.yaml").write_text("id: broken\ntrl: 12\n")
    store = str(tmp_path / "store")
    result = invoke("store", "add", str(folder), "--store", store)
    assert result.exit_code == 2
    assert "broken.yaml" in result.stderr and "trl" in result.stderr
    assert "stored 2 case(s)" in result.stdout
    assert "cases\t2" in invoke("store", "stats", "--store", store).stdout


def test_readding_replaces_and_remove_removes(tmp_path):
    store = str(tmp_path / "store")
    case = case_files()[0]
    for _ in range(2):
        assert invoke("store", "add", str(case), "--store", store).exit_code == 0
    stats = invoke("store", "stats", "--store", store).stdout
    assert "cases\t1" in stats
    from innoproc import load_case

    case_id = load_case(case).id
    result = invoke("store", "remove", case_id, "no-such-case", "--store", store)
    assert result.exit_code == 2 and f"removed {case_id}" in result.stdout
    assert "no-such-case" in result.stderr
    after = invoke("store", "stats", "--store", store).stdout
    assert "cases\t0" in after and "advice by KB" not in after


def test_stats_survive_a_table_file_vanishing_while_counted(tmp_path, monkeypatch):
    """RocksDB deletes compacted files in the background; `stats` must not fail on one."""
    from innoproc.store import embedded

    store = embedded.EmbeddedStore(tmp_path / "store")
    try:
        real_walk = os.walk

        def walk_with_a_ghost(folder):
            for root, dirs, files in real_walk(folder):
                yield root, dirs, [*files, "000099.sst"]

        monkeypatch.setattr(embedded.os, "walk", walk_with_a_ghost)
        stats = store.stats()
        monkeypatch.setattr(embedded.os, "walk", real_walk)
        assert stats.size_bytes == store.stats().size_bytes > 0
    finally:
        store.close()


@pytest.mark.parametrize("fmt, suffix", [("nquads", ".nq"), ("trig", ".trig")])
def test_export_and_import_round_trip(stored, tmp_path, fmt, suffix):
    dump = tmp_path / f"library{suffix}"
    result = invoke("store", "export", "--store", str(stored), "--format", fmt, "-o", str(dump))
    assert result.exit_code == 0, result.output
    copy = str(tmp_path / "copy")
    result = invoke("store", "import", str(dump), "--store", copy)
    assert result.exit_code == 0 and f"imported {len(case_files())} case(s)" in result.stdout

    assert _counts(copy) == _counts(stored)
    assert query(Path(copy), "top-recommendations") == query(stored, "top-recommendations")


def test_export_to_stdout_is_nquads(stored):
    result = invoke("store", "export", "--store", str(stored))
    assert result.exit_code == 0
    import pyoxigraph

    quads = list(pyoxigraph.parse(result.stdout_bytes, pyoxigraph.RdfFormat.N_QUADS))
    assert {q.graph_name.value for q in quads} >= {
        "https://w3id.org/innoproc/kb/rules",
        "https://w3id.org/innoproc/ontology",
    }


def test_a_store_in_use_is_one_clear_line(stored):
    from innoproc.store.embedded import EmbeddedStore

    holder = EmbeddedStore(stored)
    try:
        result = invoke("store", "list", "--store", str(stored))
    finally:
        holder.close()
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "in use by another process" in result.stderr


def test_a_store_of_another_format_version_is_refused_with_what_to_do(tmp_path):
    from innoproc.store.embedded import EmbeddedStore
    from innoproc.store.library import FORMAT_PROPERTY, STORE_IRI

    folder = tmp_path / "old"
    old = EmbeddedStore(folder)
    old.replace_graphs(
        {
            STORE_IRI: f'<{STORE_IRI}> <{FORMAT_PROPERTY}> "0" .',
            "https://w3id.org/innoproc/case/x": "<https://w3id.org/innoproc/case/x> "
            '<https://w3id.org/innoproc/ontology#caseId> "x" .',
        }
    )
    old.close()
    result = invoke("store", "list", "--store", str(folder))
    assert result.exit_code == 2
    assert "format version is 0" in result.stderr and "store export" in result.stderr
    assert result.stderr.count("\n") == 1


def test_reading_commands_do_not_create_a_store(tmp_path):
    for args in (("store", "list"), ("store", "stats"), ("query", "top-recommendations")):
        result = invoke(*args, "--store", str(tmp_path / "none"))
        assert result.exit_code == 2 and "no store here yet" in result.stderr, args
    assert not (tmp_path / "none").exists()


def test_store_location_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INNOPROC_STORE", str(tmp_path / "env-store"))
    assert invoke("store", "add", str(case_files()[0])).exit_code == 0
    assert (tmp_path / "env-store").is_dir()
    assert "cases\t1" in invoke("store", "stats").stdout


def test_advise_trig_carries_the_case_and_its_advice():
    from rdflib import Dataset, Literal, URIRef

    from innoproc import advise

    path = CASES / "cern-lhc-yoke-steel.yaml"
    result = invoke("advise", str(path), "--format", "trig")
    assert result.exit_code == 0
    dataset = Dataset()
    dataset.parse(data=result.stdout, format="trig")
    advice = advise(path)
    case = URIRef(str(advice.case.iri))
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert str(case) in names and len(names) == 2
    organisation = URIRef("https://w3id.org/innoproc/ontology#organisation")
    assert (case, organisation, Literal("CERN")) in dataset.graph(case)
    assert len(dataset.graph(case)) == len(advice.case.graph)


# -- nothing lost -----------------------------------------------------------------------------


def test_killing_a_batch_leaves_every_case_whole_or_absent(tmp_path, kb):
    """A real ``store add`` in a child process, killed with SIGKILL right after its first batch
    of cases was written, while it writes the next; every case in the reopened store is then
    whole (case graph and advice), and no advice is left without its case."""
    import yaml

    source = CASES / "cern-lhc-yoke-steel.yaml"
    base = yaml.safe_load(source.read_text())
    folder = tmp_path / "cases"
    folder.mkdir()
    total = 200
    for n in range(total):
        (folder / f"case-{n:03}.yaml").write_text(
            yaml.safe_dump({**base, "id": f"kill-{n:03}", "title": f"copy {n}"})
        )
    store = tmp_path / "store"
    command = [sys.executable, "-m", "innoproc", "store", "add", str(folder)]
    child = subprocess.Popen(
        [*command, "--store", str(store), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "INNOPROC_STORE": ""},
    )
    # off a terminal, a large batch logs a line each time a batch of cases is written
    assert child.stderr is not None
    first = child.stderr.readline().decode()
    assert first.startswith("stored ") and f"of {total}" in first, first
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the batch ended before it could be killed"

    from innoproc.store.library import advice_graphs_of, list_cases, open_store
    from innoproc.store.protocol import Rows, Term

    reopened = open_store(store)
    try:
        entries = list_cases(reopened)
        assert 0 < len(entries) < total
        expected_case = kb.load_case(source).graph
        expected_items = len(kb.advise(source).items)
        runs = advice_graphs_of(reopened, [e.iri for e in entries])
        for entry in entries:
            assert entry.fingerprint == kb.fingerprint
            assert len(runs[entry.iri]) == 1
            graph = Term.iri(entry.iri).n3()
            result = reopened.query(
                f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}"
            )
            assert isinstance(result, Rows)
            assert int(result.rows[0][0].value) == len(expected_case)
            run = Term.iri(runs[entry.iri][0]).n3()
            items = reopened.query(
                f"SELECT (COUNT(?i) AS ?n) WHERE {{ GRAPH {run} {{ ?i "
                "<https://w3id.org/innoproc/ontology#forCase> ?c } }"
            )
            assert isinstance(items, Rows)
            assert int(items.rows[0][0].value) == expected_items
        # no advice graph without its case
        all_runs = reopened.query(
            "SELECT (COUNT(DISTINCT ?run) AS ?n) WHERE { GRAPH ?run { ?run a "
            "<https://w3id.org/innoproc/ontology#AdviceRun> } }"
        )
        assert isinstance(all_runs, Rows)
        assert int(all_runs.rows[0][0].value) == len(entries)
    finally:
        reopened.close()


def test_a_query_naming_its_dataset_reads_only_those_graphs(stored, library):
    """FROM replaces the union of the named graphs (Oxigraph's union option would override it);
    a FROM in a string, an IRI or a comment, or a variable ?from, does not."""
    case = next(c for c in library.values() if "trl" in c.facts)
    pattern = (
        "PREFIX ipo: <https://w3id.org/innoproc/ontology#> "
        "SELECT ?case {from_} WHERE {{ ?case ipo:trl ?t }}"
    )
    own = pattern.format(from_=f"FROM <{case.iri}>")
    rows = invoke("query", "--query", own, "--store", str(stored), "-f", "csv").stdout
    assert rows.strip().splitlines()[1:] == [str(case.iri)]
    decoy = pattern.format(from_="") + ' # FROM <x>\nLIMIT 1000'
    everything = invoke("query", "--query", decoy, "--store", str(stored), "-f", "csv").stdout
    assert len(everything.strip().splitlines()) - 1 == sum(
        1 for c in library.values() if "trl" in c.facts
    )
