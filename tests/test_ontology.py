"""The OWL ontology: it parses, it is consistent, every term is documented, and it models the
whole case form."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef
from rdflib.namespace import DCTERMS

from innoproc.ontology import CLAUSE, IPO, ONTOLOGY_IRI
from innoproc.ontology import bundled_vocabulary as vocabulary
from innoproc.ontology.resources import ontology_path

# The case form (shared/domain/case-facts.md), a public contract: every key and every value.
CASE_FORM = {
    "id": None, "title": None, "organisation": None,
    "legal_regime": ["own-rules", "eu-directives", "national-law"],
    "fair_return": None, "estimated_value_eur": None,
    "category": ["supply", "service", "works", "mixed"],
    "phases": ["research", "development", "manufacturing", "installation", "servicing",
               "decommissioning"],
    "solution_maturity": ["off-the-shelf", "adaptation", "r-and-d"],
    "trl": None,
    "competence_uniqueness": ["unique", "rare", "common"],
    "global_suppliers": ["none", "one", "few", "many"],
    "in_house_know_how": ["full", "partial", "none"],
    "in_house_capacity": None,
    "sourcing": ["in-house", "outsource", "co-develop", "in-kind", "undecided"],
    "strategic_importance": ["core", "supporting"],
    "specification_style": ["build-to-print", "prescriptive", "functional", "performance"],
    "specification_clarity": ["clear", "unclear", "over-detailed"],
    "needs_precisely_specifiable": None,
    "industry_engagement": ["none", "at-tender", "early"],
    "market_consultation": None, "ilo_involved": None, "cluster_involved": None,
    "procedure": ["open", "restricted", "price-enquiry", "invitation-to-tender",
                  "competitive-dialogue", "negotiated", "innovation-partnership", "pcp", "ppi",
                  "framework", "in-kind", "single-source"],
    "contract_structure": ["single", "phased", "lots", "multi-source"],
    "award_basis": ["lowest-price", "best-value", "life-cycle-cost"],
    "innovation_incentives": ["award-criteria", "variants", "bonus", "co-funding", "ip-sharing"],
    "co_development": None,
    "design_authority": ["bso", "supplier", "shared"],
    "ip_ownership": ["bso", "supplier-with-licence", "joint", "open-licence", "undefined"],
    "background_ip_declared": None, "operational_access_rights": None,
    "operational_lifetime_years": None,
    "supplier_financial_risk": ["low", "medium", "high"],
    "obsolescence_risk": ["low", "medium", "high"],
    "schedule_critical": None,
    "technical_risk": ["low", "medium", "high"],
}
# Compatible extensions of the form (documented in ontology/README.md): new keys after the
# original ones, and new values of original keys.
EXTENSION = {
    "additional_sourcing": ["in-house", "outsource", "co-develop", "in-kind", "undecided"],
    "series_production": None, "divisible": None, "supplier_own_product": None,
}
NEW_VALUES = {"contract_structure": {"phased-multi-source"}, "ip_ownership": {"partner"}}
LIST_KEYS = {"phases", "innovation_incentives", "additional_sourcing"}
CLAUSES = [f"KC-{i}" for i in range(1, 7)] + [f"CH-{i}" for i in range(1, 7)] + [
    f"REC-{i}" for i in range(1, 7)] + ["KM"]


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ontology_path(), format="turtle")


def test_header_names_version_licence_and_prefix(onto):
    for predicate in (OWL.versionIRI, OWL.versionInfo, DCTERMS.title, DCTERMS.description,
                      DCTERMS.license, DCTERMS.created):
        assert onto.value(ONTOLOGY_IRI, predicate) is not None, predicate
    vann = "http://purl.org/vocab/vann/"
    assert str(onto.value(ONTOLOGY_IRI, URIRef(vann + "preferredNamespacePrefix"))) == "ipo"
    assert str(onto.value(ONTOLOGY_IRI, URIRef(vann + "preferredNamespaceUri"))) == str(IPO)


def test_every_term_has_labels_a_definition_and_is_defined_by_the_ontology(onto):
    terms = {s for s in onto.subjects() if isinstance(s, URIRef)
             and (str(s).startswith(str(IPO)) or str(s).startswith(str(CLAUSE)))}
    assert len(terms) > 150
    missing = [
        (str(term), str(p)) for term in sorted(terms)
        for p in (RDFS.label, SKOS.prefLabel, SKOS.definition, RDFS.isDefinedBy)
        if onto.value(term, p) is None
    ]
    assert missing == []


def test_every_case_form_key_and_value_has_its_term():
    vocab = vocabulary()
    assert list(vocab.keys) == list(CASE_FORM) + list(EXTENSION)  # and in case-form order
    for name, values in {**CASE_FORM, **EXTENSION}.items():
        key = vocab.keys[name]
        assert key.multi == (name in LIST_KEYS), name
        if values is None:
            assert not key.is_choice, name
        else:
            assert set(key.values) == set(values) | NEW_VALUES.get(name, set()), name


def test_each_key_is_one_property_and_single_valued_keys_are_functional(onto):
    for name in CASE_FORM:
        props = list(onto.subjects(IPO.caseKey, None))
        matching = [p for p in props if str(onto.value(p, IPO.caseKey)) == name]
        assert len(matching) == 1, name
        functional = (matching[0], RDF.type, OWL.FunctionalProperty) in onto
        assert functional == (name not in LIST_KEYS), name


def test_source_clauses_form_a_skos_scheme():
    vocab = vocabulary()
    assert sorted(vocab.clauses) == sorted(CLAUSES)
    g = vocab.graph
    for iri in (c.iri for c in vocab.clauses.values()):
        assert (iri, SKOS.inScheme, IPO.SourceClauses) in g
        assert g.value(iri, SKOS.broader) is not None


@pytest.mark.parametrize("cls, members", [
    ("InnovationProcurementProcedure", {"pcp", "ppi", "innovation-partnership"}),
    ("FlexibleProcedure", {"competitive-dialogue", "negotiated", "innovation-partnership"}),
    ("RigidProcedure", {"open", "restricted", "price-enquiry", "invitation-to-tender"}),
    ("UnsettledRegime", {"undefined"}),
])
def test_hierarchies_place_values_under_their_families(cls, members):
    vocab = vocabulary()
    key = next(k for k in vocab.keys.values() if k.is_choice
               and vocab.members(IPO[cls]) & set(k.values.values()))
    found = {key.notation_of(m) for m in vocab.members(IPO[cls])}
    assert found == members


def test_phases_are_ordered_research_first():
    vocab = vocabulary()
    assert vocab.value_order(vocab.keys["phases"]) == CASE_FORM["phases"]


def test_advice_and_provenance_terms_specialise_prov(onto):
    prov = "http://www.w3.org/ns/prov#"
    for term, parent in [("Advice", "Entity"), ("RuleFiring", "Activity"), ("Rule", "Plan"),
                         ("InferenceEngine", "SoftwareAgent")]:
        assert (IPO[term], RDFS.subClassOf, URIRef(prov + parent)) in onto, term


def test_alignment_module_never_claims_equivalence_to_epo():
    from conftest import ROOT

    g = Graph().parse(ROOT / "ontology" / "alignments" / "epo.ttl")
    assert len(g) > 10
    for predicate in (OWL.equivalentClass, OWL.equivalentProperty, OWL.sameAs):
        assert list(g.triples((None, predicate, None))) == []


def test_owlready2_loads_it_and_hermit_finds_it_consistent(onto, tmp_path):
    import owlready2
    rdfxml = tmp_path / "innoproc.owl"
    onto.serialize(rdfxml, format="xml")
    world = owlready2.World()
    ontology = world.get_ontology(rdfxml.as_uri()).load()
    assert len(list(ontology.classes())) > 40
    with ontology:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
