"""Where the bundled ontology and knowledge base are.

In a wheel they are packed into ``innoproc/data/`` (see ``[tool.hatch.build.targets.wheel]`` in
pyproject.toml); in a source checkout (editable install, tests) they are the top-level ``ontology/``
and ``kb/`` folders. The packed copy wins when it exists, so an installed wheel never reads a
checkout that happens to sit nearby.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_CHECKOUT = _PACKAGE.parent.parent


def _data_dir(name: str) -> Path:
    packed = _PACKAGE / "data" / name
    if packed.is_dir():
        return packed
    return _CHECKOUT / name


def ontology_dir() -> Path:
    """Folder holding ``innoproc.ttl`` and ``shapes.ttl``."""
    return _data_dir("ontology")


def kb_dir() -> Path:
    """Folder holding ``rules/`` and ``schema/`` of the bundled knowledge base."""
    return _data_dir("kb")


def ontology_path() -> Path:
    return ontology_dir() / "innoproc.ttl"


def shapes_path() -> Path:
    return ontology_dir() / "shapes.ttl"
