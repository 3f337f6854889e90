"""Export one case and its advice together as TriG: two named graphs in one document.

The Turtle export carries the advice alone; a reader who loads several of them cannot ask for
cases per organisation without also finding the case files. TriG keeps the case graph (its
title, organisation and every stated fact, under the case's IRI) beside the advice graph (under
the advice run's IRI), the same two graphs ``innoproc store add`` writes for the case.
"""

from __future__ import annotations

from rdflib import Dataset

from innoproc.explain import Advice

from .provenance import advice_graph
from .registry import ExportOptions


def case_dataset(advice: Advice) -> Dataset:
    """The case graph and the advice graph of one advice, as an rdflib Dataset."""
    dataset = Dataset()
    advice_part = advice_graph(advice)
    for prefix, namespace in advice_part.namespaces():
        dataset.bind(prefix, namespace)
    case_graph = dataset.graph(advice.case.iri)
    for triple in advice.case.graph:
        case_graph.add(triple)
    run_graph = dataset.graph(advice_part.identifier)
    for triple in advice_part:
        run_graph.add(triple)
    return dataset


def export_trig(advice: Advice, options: ExportOptions) -> str:
    return str(case_dataset(advice).serialize(format="trig"))
