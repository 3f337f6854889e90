"""Advice on many cases on every core: the pool keeps input order, the batch gives the output one
process gives, refused cases are reported one line per problem, and the rate goes to stderr."""

from __future__ import annotations

import os
import shutil

import pytest
from typer.testing import CliRunner

from innoproc.cli import app
from innoproc.explain.batch import SMALL_BATCH, advise_files, chunk_size, pool_map, workers_for

from conftest import case_files


def _pid_and(item: int) -> tuple[int, int]:
    return os.getpid(), item * item


def test_pool_map_runs_on_workers_and_keeps_the_order_of_the_items():
    items = list(range(SMALL_BATCH * 10))
    arrived: list[int] = []
    results = list(pool_map(_pid_and, items, workers=2, done=arrived.append))
    assert [square for _, square in results] == [i * i for i in items]
    assert {pid for pid, _ in results} - {os.getpid()}  # the work ran in other processes
    assert sum(arrived) == len(items)


def test_a_small_batch_or_one_worker_runs_in_this_process():
    assert {pid for pid, _ in pool_map(_pid_and, range(5), workers=2)} == {os.getpid()}
    assert {pid for pid, _ in pool_map(_pid_and, range(100), workers=1)} == {os.getpid()}
    assert workers_for(5, 2) == 1 and workers_for(100, 1) == 1 and workers_for(100, 2) == 2


def test_what_the_workers_share_is_set_apart_from_collection_only_while_they_run():
    import gc

    assert gc.get_freeze_count() == 0
    items = list(range(SMALL_BATCH * 10))
    results = pool_map(_pid_and, items, workers=2)
    assert next(results)[1] == 0  # the pool is running
    during = gc.get_freeze_count()
    results.close()  # abandoned half-way: the workers end, and so does the setting apart
    assert during > 0 and gc.get_freeze_count() == 0
    assert len(list(pool_map(_pid_and, items, workers=2))) == len(items)
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("items, workers", [(1, 2), (10, 2), (1000, 2), (10**6, 8)])
def test_chunks_keep_every_worker_busy(items, workers):
    size = chunk_size(items, workers)
    assert 1 <= size <= 64 and (items <= workers or -(-items // size) >= min(items, workers))


def _case_id(advice) -> str:
    return advice.case.id


def test_advise_files_gives_each_case_in_input_order_refusals_included(kb, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntrl: 12\n")
    paths = [p for p in case_files() if p.suffix != ".ttl"] * 2
    paths.insert(7, bad)
    outcomes = list(advise_files(paths, kb, _case_id, workers=2))
    assert [o.path for o in outcomes] == paths
    assert outcomes[7].rendered is None and outcomes[7].problems == (
        f"{bad}:2: trl: found 12 (integer); allowed: an integer from 1 to 9",)
    expected = [kb.load_case(p).id for p in paths if p != bad]
    assert [o.rendered for o in outcomes if o.path != bad] == expected


@pytest.fixture
def batch_folder(tmp_path):
    """The library twice over (as copies with other names) and one bad case."""
    folder = tmp_path / "batch"
    folder.mkdir()
    for path in case_files():
        for copy in ("a", "b"):
            shutil.copy(path, folder / f"{copy}-{path.name}")
    (folder / "m-bad.yaml").write_text("id: bad\nlegal_regime: own-rulez\n")
    return folder


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "markdown", "turtle"])
def test_the_batch_on_two_workers_writes_what_one_worker_writes(batch_folder, fmt):
    runner = CliRunner()
    one = runner.invoke(app, ["advise", str(batch_folder), "-f", fmt, "-j", "1"])
    two = runner.invoke(app, ["advise", str(batch_folder), "-f", fmt, "--workers", "2"])
    assert one.exit_code == two.exit_code == 2
    assert one.stdout == two.stdout and one.stdout
    bad = f"{batch_folder / 'm-bad.yaml'}:2: legal_regime: found 'own-rulez'"
    for result, workers in ((one, 1), (two, 2)):
        lines = result.stderr.splitlines()
        assert [line for line in lines if line.startswith(str(batch_folder))] == [
            line for line in lines if line.startswith(bad)]
        assert len([line for line in lines if line.startswith(bad)]) == 1
        assert f"{len(case_files()) * 2 + 1} case(s) in " in result.stderr
        assert f"cases/s ({workers} worker(s))" in result.stderr
        assert lines[-1] == f"1 of {len(case_files()) * 2 + 1} case file(s) do not conform " \
                            "and were skipped"


def test_without_fork_each_worker_loads_the_kb_once_and_the_output_is_the_same(kb, monkeypatch):
    """Where processes are spawned (macOS, Windows), workers start empty and load the KB."""
    import multiprocessing

    from innoproc.explain import batch

    paths = [p for p in case_files() if p.suffix == ".yaml"][:SMALL_BATCH + 6]
    expected = [o.rendered for o in advise_files(paths, kb, _case_id, workers=1)]
    monkeypatch.setattr(batch, "_context", lambda: multiprocessing.get_context("spawn"))
    assert [o.rendered for o in advise_files(paths, kb, _case_id, workers=2)] == expected
