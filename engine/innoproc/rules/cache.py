"""A cache of checked knowledge bases, so that a command does not parse and check the rules again.

Parsing and checking the bundled KB (schema, resolution against the ontology, dependencies,
reachability) takes a few hundred milliseconds, most of the start-up of ``innoproc advise`` on
one case; its result, the rule model, is plain data. It is written once as JSON (never pickle:
reading a cache file must not be able to run anything) under a key made from everything the
result depends on: the rule files, the rule schema, the vocabulary's own fingerprint (bundled
ontology, shapes and the KB's ontology extensions), the folder, the reading limits, the package
version and this format. A rule file that changes changes the key, so the KB is checked again.

A cache file that cannot be read, is not JSON, has another key or does not rebuild into the model
is ignored and written again. Writes go to a temporary file in the same folder, then
``os.replace``. The cache lives in the user's cache folder (``platformdirs``); ``INNOPROC_CACHE``
names another folder, or ``off`` to use none (the CLI's ``--no-cache``): the same folder and
settings as the vocabulary cache (:mod:`innoproc.ontology.cache`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from innoproc.errors import InputError
from innoproc.ontology import Vocabulary
from innoproc.ontology.cache import cache_dir as cache_dir  # one cache folder for both caches
from innoproc.ontology.cache import code_stamp, write_atomically
from innoproc.ontology.cache import set_enabled as set_enabled
from innoproc.reading.files import read_text
from innoproc.reading.limits import current_limits

from .model import All, AnyOf, AtLeast, Conclusion, ConclusionTest, FactTest, Not, RuleSpec

#: bump when the model or the way it is written changes
FORMAT = "innoproc-kb-cache/1"

#: the dataclasses a cache file may rebuild, by name: nothing else is ever constructed
_MODEL: dict[str, type] = {
    cls.__name__: cls
    for cls in (RuleSpec, Conclusion, FactTest, ConclusionTest, All, AnyOf, Not, AtLeast)
}

def cache_key(
    folder: Path, rule_paths: list[Path], schema: Path, vocab: Vocabulary, version: str
) -> str | None:
    """Content key of a KB's checked rules, or None when a file cannot be read under the reading
    policy (the full check then reports it). ``version`` is the package's."""
    digest = hashlib.sha256()
    limits = current_limits()
    parts = [FORMAT, version, _code(), vocab.fingerprint, str(folder.resolve()), repr(limits)]
    for part in parts:
        digest.update(part.encode() + b"\0")
    own_schema = schema.parent.parent == folder
    try:
        for path in [*rule_paths, schema]:
            inside = folder if path != schema or own_schema else None
            text = read_text(path, limits, folder=inside)
            digest.update(str(path).encode() + b"\0" + text.encode() + b"\0")
    except (InputError, OSError):
        return None
    return digest.hexdigest()[:32]


def _code() -> str:
    """The rule checker's own code (a KB checked by other code is checked again)."""
    return code_stamp(Path(__file__).parent)


# -- the rule model as JSON, and back ----------------------------------------------------------


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        encoded = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"@type": type(value).__name__, **encoded}
    if isinstance(value, tuple):
        return {"@tuple": [_encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"@set": [_encode(v) for v in value]}
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"cannot write {type(value).__name__} to the KB cache")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "@tuple" in value:
            return tuple(_decode(v) for v in value["@tuple"])
        if "@set" in value:
            return frozenset(_decode(v) for v in value["@set"])
        cls = _MODEL[value["@type"]]  # KeyError: not a model class
        fields = {k: _decode(v) for k, v in value.items() if k != "@type"}
        return cls(**fields)
    if isinstance(value, list):
        raise ValueError("a bare list in a KB cache file")
    return value


def dump_rules(rules: list[RuleSpec]) -> list[Any]:
    return [_encode(rule) for rule in rules]


def load_rules(data: Any) -> list[RuleSpec]:
    """Rules rebuilt from :func:`dump_rules`; raises on anything that is not exactly that."""
    if not isinstance(data, list):
        raise ValueError("not a list of rules")
    rules = [_decode(item) for item in data]
    if not all(isinstance(r, RuleSpec) for r in rules):
        raise ValueError("not a list of rules")
    return rules


# -- reading and writing ----------------------------------------------------------------------


def cached_rules(
    folder: Path,
    rule_paths: list[Path],
    schema: Path,
    vocab: Vocabulary,
    version: str,
    check: Callable[[], list[RuleSpec]],
) -> list[RuleSpec]:
    """The KB's checked rules from the cache, or from ``check()`` (then written to the cache)."""
    where = cache_dir()
    key = cache_key(folder, rule_paths, schema, vocab, version) if where is not None else None
    if where is None or key is None:
        return check()
    path = where / f"kb-{key}.json"
    found = _read(path, key)
    if found is not None:
        return found
    rules = check()
    # the newest files are kept, the others (KBs since changed, temporary folders of
    # ``kb diff``) removed, as for every cache file
    write_atomically(path, {"format": FORMAT, "key": key, "rules": dump_rules(rules)}, "kb-")
    return rules


def _read(path: Path, key: str) -> list[RuleSpec] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("key") != key:
            return None
        return load_rules(data["rules"])
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError):
        return None  # missing, corrupt or foreign: checked again and written anew


