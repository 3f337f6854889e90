"""The IRIs innoproc mints and reads: one place for every namespace of the project."""

from __future__ import annotations

from rdflib import Namespace, URIRef

#: the ontology's own terms (classes, properties, value individuals)
IPO = Namespace("https://w3id.org/innoproc/ontology#")
#: the clauses of the source document (KC-1 … KM)
CLAUSE = Namespace("https://w3id.org/innoproc/clause/")
#: cases, each also the name of the graph that holds its facts
CASE = Namespace("https://w3id.org/innoproc/case/")
#: advice runs, each the name of the graph that holds its items and their provenance
ADVICE = Namespace("https://w3id.org/innoproc/advice/")
#: rules of a knowledge base
RULE = Namespace("https://w3id.org/innoproc/kb/rule/")

ONTOLOGY_IRI = URIRef("https://w3id.org/innoproc/ontology")
