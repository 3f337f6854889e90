"""The cache of checked knowledge bases: the rule model written as JSON (no pickle), read back
into the same rules, keyed by everything the check depends on, rebuilt when that changes, and
ignored when it is corrupt or foreign."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from innoproc import KnowledgeBase
from innoproc.cli import app
from innoproc.explain import knowledge_base
from innoproc.ontology import cache as ontology_cache
from innoproc.ontology.resources import kb_dir
from innoproc.rules import cache
from innoproc.rules.cache import dump_rules, load_rules

from conftest import DATA


@pytest.fixture
def cache_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("INNOPROC_CACHE", str(folder))
    return folder


@pytest.fixture
def own_kb(tmp_path) -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(kb_dir() / "rules", folder / "rules")
    return folder


def _no_check(*args, **kwargs):
    raise AssertionError("the KB was checked again instead of read from the cache")


def test_the_rule_model_survives_json_unchanged(kb):
    text = json.dumps(dump_rules(list(kb.rules)))
    rules = load_rules(json.loads(text))
    assert rules == list(kb.rules)
    assert [r.stratum for r in rules] == [r.stratum for r in kb.rules]  # compare=False field
    assert "@type" in text and "pickle" not in text


def test_a_second_load_reads_the_cache_and_advises_alike(cache_folder, monkeypatch):
    first = KnowledgeBase.load()
    files = list(cache_folder.glob("kb-*.json"))
    assert len(files) == 1 and not list(cache_folder.glob(".kb-*"))  # no temporary file left
    monkeypatch.setattr(knowledge_base, "parse_kb", _no_check)
    second = KnowledgeBase.load()
    assert second.rules == first.rules
    case = DATA / "same-case.yaml"
    assert second.advise(case).to_dict() == first.advise(case).to_dict()


def test_a_changed_rule_file_is_checked_again(cache_folder, own_kb):
    before = KnowledgeBase.load(own_kb)
    path = sorted((own_kb / "rules").glob("*.yaml"))[0]
    rule = before.rules[0]
    assert Path(rule.source).name == path.name
    text = path.read_text()
    assert f"title: {rule.title}" in text
    path.write_text(text.replace(f"title: {rule.title}", "title: A title of its own", 1))
    after = KnowledgeBase.load(own_kb)
    assert after.rules[0].title == "A title of its own"
    assert len(list(cache_folder.glob("kb-*.json"))) == 2


def test_a_broken_rule_file_is_refused_whatever_the_cache_holds(cache_folder, own_kb):
    from innoproc import KnowledgeBaseError

    KnowledgeBase.load(own_kb)
    path = sorted((own_kb / "rules").glob("*.yaml"))[0]
    path.write_text(path.read_text() + "\n  - this is not a rule\n")
    with pytest.raises(KnowledgeBaseError):
        KnowledgeBase.load(own_kb)


@pytest.mark.parametrize("content", [
    b"", b"\xff\xfe not text", b"{not json", b"[]", b'{"format": "something else"}',
    b'{"format": "innoproc-kb-cache/1", "key": "KEY", "rules": [{"@type": "Popen"}]}',
    b'{"format": "innoproc-kb-cache/1", "key": "KEY", "rules": [{"@type": "RuleSpec"}]}',
    b'{"format": "innoproc-kb-cache/1", "key": "KEY", "rules": [[[[[]]]]]}',
    b'{"format": "innoproc-kb-cache/1", "key": "KEY", "rules": {"@tuple": 3}}',
])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_written_anew(
        cache_folder, monkeypatch, content):
    reference = KnowledgeBase.load()
    (path,) = cache_folder.glob("kb-*.json")
    key = path.stem.removeprefix("kb-")
    path.write_bytes(content.replace(b"KEY", key.encode()))
    again = KnowledgeBase.load()
    assert again.rules == reference.rules
    assert json.loads(path.read_text())["key"] == key  # rebuilt
    monkeypatch.setattr(knowledge_base, "parse_kb", _no_check)
    assert KnowledgeBase.load().rules == reference.rules


def test_a_cache_folder_that_cannot_be_written_is_not_used(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("INNOPROC_CACHE", str(blocker / "cache"))
    assert KnowledgeBase.load().rules


@pytest.mark.parametrize("how", ["env", "option"])
def test_the_cache_can_be_turned_off(tmp_path, monkeypatch, how):
    folder = tmp_path / "cache"
    if how == "env":
        monkeypatch.setenv("INNOPROC_CACHE", "off")
        assert cache.cache_dir() is None
        KnowledgeBase.load()
    else:
        monkeypatch.setenv("INNOPROC_CACHE", str(folder))  # restored after the test
        result = CliRunner().invoke(app, ["--no-cache", "kb", "rules"])
        assert result.exit_code == 0, result.output
        assert cache.cache_dir() is None
    assert not folder.exists()


def test_the_default_cache_is_the_users_cache_folder(monkeypatch):
    from platformdirs import user_cache_dir

    monkeypatch.delenv("INNOPROC_CACHE")
    assert cache.cache_dir() == Path(user_cache_dir("innoproc"))


def test_old_cache_files_are_removed_beyond_the_newest(cache_folder, monkeypatch):
    import os

    monkeypatch.setattr(ontology_cache, "KEEP", 3)  # how many files each cache keeps
    cache_folder.mkdir()
    for i in range(5):
        old = cache_folder / f"kb-{i:032d}.json"
        old.write_text("{}")
        os.utime(old, ns=(i * 10**9, i * 10**9))
    KnowledgeBase.load()
    left = sorted(p.name for p in cache_folder.glob("kb-*.json"))
    assert len(left) == 3 and f"kb-{4:032d}.json" in left and f"kb-{0:032d}.json" not in left


def test_the_key_follows_the_checkers_own_code(monkeypatch, kb):
    from innoproc.rules.schema_location import schema_path

    args = (kb.folder, sorted((kb.folder / "rules").glob("*.yaml")), schema_path(kb.folder),
            kb.vocabulary, "1.0")
    before = cache.cache_key(*args)
    assert before == cache.cache_key(*args)
    monkeypatch.setattr(cache, "_code", lambda: "other code")
    assert cache.cache_key(*args) != before
    assert cache.cache_key(*args[:-1], "2.0") != cache.cache_key(*args)
