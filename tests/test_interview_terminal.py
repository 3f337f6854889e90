"""``innoproc interview`` in a terminal: answers from a file, typed answers, bad answers, the saved
case, Ctrl-C in a real process, and a real session under tmux with arrow keys."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CASES

COMMAND = [sys.executable, "-m", "innoproc"]
CASE = CASES / "cern-lhc-yoke-steel.yaml"


@pytest.fixture(scope="module")
def run():
    from innoproc.cli import app

    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(app, list(args), input=stdin)

    return invoke


def _items(advice) -> list[str]:
    return sorted(i.id for i in advice.all_items())


def test_answers_from_a_case_file_reach_its_advice_and_save_a_case_that_reproduces_it(
    run, tmp_path
):
    from innoproc import advise, load_case

    target = tmp_path / "built.yaml"
    result = run("interview", "--answers", str(CASE), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "The advice is settled" in result.output
    assert f"The case is saved in {target}" in result.output
    saved = load_case(target)
    assert saved.id == "cern-lhc-yoke-steel"  # the answers file names the case
    assert _items(advise(saved)) == _items(advise(CASE))
    header = target.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# Case written by an innoproc interview on ")
    # each question is shown with why it is asked, and what each answer settled
    assert "1. contract structure (contract_structure)" in result.output
    assert "asked because the answer can still decide:" in result.output
    assert "settled, in the advice:" in result.output
    # then the advice, as `innoproc advise` prints it
    for item in advise(CASE).findings:
        assert item.id in result.output


def test_a_missing_answer_is_unknown_and_a_partial_case_is_never_asked_again(run, tmp_path):
    from innoproc import load_case

    start = tmp_path / "start.yaml"
    start.write_text("id: partial\nprocedure: open\nsolution_maturity: r-and-d\n")
    answers = tmp_path / "answers.yaml"
    answers.write_text("contract_structure: single\n")
    target = tmp_path / "out.yaml"
    result = run("interview", str(start), "--answers", str(answers), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "(procedure)" not in result.output and "(solution_maturity)" not in result.output
    assert "answer: unknown" in result.output
    saved = load_case(target)
    assert dict(saved.facts) == {
        "id": "partial",
        "procedure": "open",
        "solution_maturity": "r-and-d",
        "contract_structure": "single",
    }
    text = target.read_text(encoding="utf-8")
    assert "# Answered 'I don't know':" in text


def test_a_bad_answers_file_is_one_line_per_problem_with_its_line_and_status_2(run, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("procedure: open\ntrl: 12\ncolour: blue\n")
    target = tmp_path / "out.yaml"
    result = run("interview", "--answers", str(answers), "-o", str(target))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert any(line.startswith(f"{answers}:2: trl: found 12") for line in lines), lines
    assert any(line.startswith(f"{answers}:3: colour: unknown key") for line in lines), lines
    assert "Traceback" not in result.output
    assert not target.exists()


def test_typed_answers_numbers_values_refusals_and_stop(run, tmp_path):
    """Without a terminal the answers are typed: a number from the list, a bad value (refused
    with the form's message and asked again), "?" for unknown, then q to stop."""
    from innoproc import Interview, load_case

    first = Interview({"id": "interview"}).next_question()
    assert first is not None and first.choices
    target = tmp_path / "typed.yaml"
    result = run("interview", "-o", str(target), stdin="no-such-value\n1\n?\nq\n")
    assert result.exit_code == 0, result.output
    assert "not accepted: found 'no-such-value' (text); allowed: one of" in result.output
    assert "The interview was stopped before the advice was settled." in result.output
    saved = load_case(target)
    assert dict(saved.facts) == {"id": "interview", first.key: first.choices[0].value}
    assert "1 question(s) answered, 1 answered 'I don't know'" in target.read_text()


def test_the_end_of_the_input_stops_and_the_default_output_never_overwrites(
    run, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert run("interview", stdin="").exit_code == 0
    assert run("interview", stdin="").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interview-1.yaml", "interview.yaml"]


def test_ctrl_c_saves_the_answers_so_far_and_ends_with_one_line(tmp_path):
    target = tmp_path / "stopped.yaml"
    proc = subprocess.Popen(
        [*COMMAND, "interview", "-o", str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write("1\n")
    proc.stdin.flush()
    # wait until the second question is waiting for its answer, then press Ctrl-C
    seen = ""
    while seen.count("   > ") < 2:
        chunk = proc.stdout.read(1)
        assert chunk, f"the command ended early: {seen[-500:]}"
        seen += chunk
    proc.send_signal(signal.SIGINT)
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 130
    assert stderr.strip() == f"innoproc: interrupted; the answers so far are saved in {target}"
    text = target.read_text(encoding="utf-8")
    assert "1 question(s) answered" in text


# -- a real terminal -----------------------------------------------------------------------------
TMUX = shutil.which("tmux")


class Pane:
    """A shell in a detached tmux session on a private server, driven by send-keys."""

    def __init__(self, folder: Path):
        self.socket = f"innoproc-test-{uuid.uuid4().hex[:8]}"
        self.folder = folder
        self._tmux("new-session", "-d", "-s", "t", "-x", "160", "-y", "50", "-c", str(folder))
        self._tmux("set-option", "-t", "t", "history-limit", "20000")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        ).stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "t", "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-t", "t", "-S", "-20000")

    def wait_for(self, text: str, timeout: float = 120, count: int = 1) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{text!r} did not appear; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def pane(tmp_path):
    if TMUX is None:
        pytest.skip("tmux is not installed (Debian package tmux; .ci/run installs it)")
    terminal = Pane(tmp_path)
    innoproc = Path(sys.executable).parent / "innoproc"
    terminal.type(f"export PATH={innoproc.parent}:$PATH TERM=xterm-256color PS1='$ '")
    terminal.keys("Enter")
    try:
        yield terminal
    finally:
        terminal.close()


def test_a_real_terminal_session_with_arrow_keys(pane, tmp_path):
    from innoproc import Interview, load_case

    first = Interview({"id": "interview"}).next_question()
    assert first is not None and len(first.choices) >= 2
    pane.type("innoproc interview -o session.yaml")
    pane.keys("Enter")
    pane.wait_for(first.text)
    pane.wait_for(first.choices[0].label)
    pane.keys("Down", "Enter")  # the second choice, by the arrow keys
    pane.wait_for(f"answer: {first.choices[1].value}")
    second = Interview({"id": "interview", first.key: first.choices[1].value}).next_question()
    assert second is not None and second.choices
    pane.wait_for(second.text)
    # "I don't know", then "Stop here" are the last two entries of the list: Up wraps around
    pane.keys("Up", "Up", "Enter")
    pane.wait_for("answer: unknown")
    pane.keys("Up", "Enter")
    screen = pane.wait_for("The case is saved in session.yaml.")
    pane.wait_for("$ ", count=2)  # the shell prompt is back: the command has ended
    assert "The interview was stopped before the advice was settled." in screen
    saved = load_case(tmp_path / "session.yaml")
    assert dict(saved.facts) == {"id": "interview", first.key: first.choices[1].value}


def test_ctrl_c_in_a_real_terminal_saves_and_ends_with_one_line(pane, tmp_path):
    from innoproc import Interview, load_case

    first = Interview({"id": "interview"}).next_question()
    assert first is not None
    pane.type("innoproc interview -o ctrl-c.yaml; echo status=$?")
    pane.keys("Enter")
    pane.wait_for(first.text)
    pane.keys("Enter")
    pane.wait_for(f"answer: {first.choices[0].value}")
    pane.keys("C-c")
    screen = pane.wait_for("status=1")  # not the "status=$?" of the command line
    assert "status=130" in screen
    assert "innoproc: interrupted; the answers so far are saved in ctrl-c.yaml" in screen
    assert "Traceback" not in screen
    saved = load_case(tmp_path / "ctrl-c.yaml")
    assert dict(saved.facts) == {"id": "interview", first.key: first.choices[0].value}
