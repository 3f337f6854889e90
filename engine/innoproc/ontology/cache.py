"""The user's cache folder of innoproc, and the cache of vocabulary tables in it.

Every command that reads a case or a rule needs the vocabulary, and parsing the ontology with
rdflib costs more than the rest of ``innoproc advise`` on one case. What the commands ask of the
vocabulary is a few tables (case keys and their values, clauses, courses, labels, classes and
their members), so those are written once as JSON (never pickle: reading a cache file must not be
able to run anything) under a key made from the vocabulary's fingerprint (the bytes of the
ontology, the shapes and the KB's extension files), the installed rdflib, the ontology package's own
code and this format. An ontology or extension file that changes changes the key; the graphs are
then parsed and the tables written again.

A cache file that cannot be read, is not JSON, has another key or does not rebuild into a
vocabulary is ignored and written again. Writes go to a temporary file in the same folder, then
``os.replace``. The folder is the user's cache folder (``platformdirs``); ``INNOPROC_CACHE``
names another, or ``off`` to use none (the CLI's ``--no-cache``). The KB cache
(:mod:`innoproc.rules.cache`) keeps its files in the same folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: bump when the tables or the way they are written change
FORMAT = "innoproc-vocabulary-cache/3"

#: cache files of each kind kept: the most recently written
KEEP = 32

_disabled = False


def set_enabled(enabled: bool) -> None:
    """Turn the caches on or off for this process."""
    global _disabled
    _disabled = not enabled


def cache_dir() -> Path | None:
    """The folder of cache files, or None when caching is off."""
    setting = os.environ.get("INNOPROC_CACHE", "").strip()
    if _disabled or setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("innoproc"))


def write_atomically(path: Path, data: dict[str, Any], prefix: str) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file in the same folder, then keep
    only the newest :data:`KEEP` files named ``prefix*.json`` there. A cache that cannot be
    written is simply not used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{prefix}", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, separators=(",", ":"))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(path.parent, prefix)
    except OSError:
        pass


def _prune(folder: Path, prefix: str) -> None:
    found = []
    for entry in folder.glob(f"{prefix}*.json"):
        try:
            found.append((entry.stat().st_mtime_ns, entry))
        except OSError:
            continue  # removed by another process meanwhile
    for _, old in sorted(found, reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)


# -- vocabulary tables ---------------------------------------------------------------------------

_PREFIX = "vocabulary-"


def vocabulary_key(fingerprint: str) -> str:
    """Content key of a vocabulary's tables: its files (by ``fingerprint``), the parser and the
    code that derives the tables."""
    digest = hashlib.sha256()
    for part in (FORMAT, fingerprint, installed("rdflib"), _code()):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:32]


def installed(package: str) -> str:
    """Which copy of an installed package this process would import, without importing it
    (rdflib takes a fifth of ``advise CASE`` to import): the path, size and time of change of
    its ``__init__`` file, which an upgrade or a reinstall changes."""
    from importlib.util import find_spec

    spec = find_spec(package)
    origin = spec.origin if spec is not None else None
    if origin is None:
        return f"{package}: not installed"
    try:
        found = os.stat(origin)
    except OSError:
        return f"{package}: {origin}"
    return f"{package}: {origin} {found.st_size} {found.st_mtime_ns}"


def _code() -> str:
    """The ontology package's own code (see :func:`code_stamp`)."""
    return code_stamp(Path(__file__).parent)


def code_stamp(*folders: Path) -> str:
    """The code of some packages, by the size and time of change of their modules: in a
    checkout the version stays put while the code that derives a table changes, and tables
    derived by other code are derived again."""
    stats = sorted(
        (str(p.relative_to(folder.parent)), p.stat().st_size, p.stat().st_mtime_ns)
        for folder in folders
        for p in folder.glob("*.py")
    )
    return hashlib.sha256(repr(stats).encode()).hexdigest()


def read_cached(prefix: str, format: str, key: str) -> dict[str, Any] | None:
    """The tables cached under ``prefix`` and ``key`` in ``format``, or None (caching off,
    missing, corrupt or foreign)."""
    where = cache_dir()
    if where is None:
        return None
    try:
        data = json.loads((where / f"{prefix}{key}.json").read_text(encoding="utf-8"))
        if data.get("format") != format or data.get("key") != key:
            return None
        tables = data["tables"]
        return tables if isinstance(tables, dict) else None
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError):
        return None


def write_cached(prefix: str, format: str, key: str, tables: dict[str, Any]) -> None:
    """Keep ``tables`` under ``prefix`` and ``key`` (nothing when caching is off)."""
    where = cache_dir()
    if where is not None:
        write_atomically(
            where / f"{prefix}{key}.json", {"format": format, "key": key, "tables": tables}, prefix
        )


# -- what a cache file may hold: each reader checks every value, and a wrong one is a bad file --


def text(value: Any) -> str:
    """``value`` if it is text, else ValueError."""
    if not isinstance(value, str):
        raise ValueError("not text")
    return value


def flag(value: Any) -> bool:
    """``value`` if it is a boolean, else ValueError."""
    if not isinstance(value, bool):
        raise ValueError("not a boolean")
    return value


def count(value: Any) -> int:
    """``value`` if it is a whole number of zero or more, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("not a count")
    return value


def read_vocabulary(key: str) -> dict[str, Any] | None:
    """The vocabulary tables cached under ``key``, or None."""
    return read_cached(_PREFIX, FORMAT, key)


def write_vocabulary(key: str, tables: dict[str, Any]) -> None:
    """Keep a vocabulary's ``tables`` under ``key`` (nothing when caching is off)."""
    write_cached(_PREFIX, FORMAT, key, tables)
