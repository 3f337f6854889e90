"""Check a vocabulary's ontology with the HermiT reasoner (through owlready2, on Java).

Consistency and unsatisfiable classes are facts about the ontology a knowledge engineer extends;
HermiT needs a Java runtime, so where none is found the check is skipped and says so.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .vocabulary import Vocabulary


@dataclass(frozen=True)
class ReasonerReport:
    """What HermiT found, how long it took, or why it did not run."""

    consistent: bool | None = None
    unsatisfiable: tuple[str, ...] = field(default_factory=tuple)
    seconds: float = 0.0
    skipped: str | None = None

    def summary(self) -> str:
        if self.skipped is not None:
            return f"HermiT: skipped ({self.skipped})"
        if not self.consistent:
            return f"HermiT: the ontology is inconsistent ({self.seconds:.1f} s)"
        classes = (
            f"{len(self.unsatisfiable)} unsatisfiable class(es): {', '.join(self.unsatisfiable)}"
            if self.unsatisfiable
            else "no unsatisfiable class"
        )
        return f"HermiT: consistent, {classes} ({self.seconds:.1f} s)"


def run_hermit(vocab: Vocabulary) -> ReasonerReport:
    if shutil.which("java") is None:
        return ReasonerReport(skipped="no Java runtime found; install one to run the reasoner")
    import owlready2  # heavy, and only needed here

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ontology.owl"
        vocab.graph.serialize(path, format="xml")
        world = owlready2.World()
        ontology = world.get_ontology(path.as_uri()).load()
        try:
            with ontology:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return ReasonerReport(consistent=False, seconds=time.perf_counter() - start)
        unsatisfiable = tuple(
            sorted(str(c.iri) for c in world.inconsistent_classes() if c is not owlready2.Nothing)
        )
    return ReasonerReport(True, unsatisfiable, time.perf_counter() - start)
