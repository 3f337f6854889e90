"""Where a KB's rule schema is: its own, else the package's (without importing jsonschema)."""

from __future__ import annotations

from pathlib import Path

from innoproc.ontology.resources import kb_dir

SCHEMA_NAME = Path("schema") / "rules.schema.json"


def schema_path(kb_folder: Path) -> Path:
    """The KB's own schema if it has one, else the package's."""
    own = kb_folder / SCHEMA_NAME
    return own if own.exists() else kb_dir() / SCHEMA_NAME
