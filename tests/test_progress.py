"""Progress of a long run: a line on standard error, on a terminal only, never in the result."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from support.build import Doc, load, module, partner, request, step

from sbn.planner import Options, plan_run
from sbn.render.progress import ProgressLine, progress_line

DOC = Doc(
    partners=[partner("p1")],
    modules=[module("m", "p1", "a")],
    requests=[request("r1", step("a")), request("r2", step("a"), priority=1), request("r3", step("a"))],
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_planner_tells_each_request_in_planning_order(tmp_path: Path) -> None:
    told: list[tuple[int, int, str]] = []
    network = load(tmp_path, DOC)
    plan_run(network, list(network.requests), Options(progress=lambda *args: told.append(args)))
    assert told == [(0, 3, "r2"), (1, 3, "r1"), (2, 3, "r3")]


def test_a_joint_run_tells_its_default_order_then_the_joint_search(tmp_path: Path) -> None:
    told: list[tuple[int, int, str]] = []
    network = load(tmp_path, DOC)
    plan_run(network, list(network.requests), Options(joint=True, progress=lambda *args: told.append(args)))
    assert [done for done, _, _ in told] == [0, 1, 2, 3]
    assert told[-1] == (3, 3, "the joint search")


def test_the_line_is_drawn_after_the_delay_and_erased_at_the_end() -> None:
    stream = Terminal()
    line = ProgressLine(stream, delay=0)
    line(1, 3, "r\x1b[2Jx")  # the request id is user text: shown, never sent raw
    assert stream.getvalue() == "\r\x1b[2Kplanning 1 of 3 requests: r\\x1b[2Jx"
    line.close()
    assert stream.getvalue().endswith("\r\x1b[2K")


def test_a_short_run_draws_nothing() -> None:
    stream = Terminal()
    line = ProgressLine(stream)  # the default delay: about a second
    line(0, 3, "r1")
    line.close()
    assert stream.getvalue() == ""


def test_no_line_on_a_pipe_or_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert progress_line(io.StringIO()) is None
    assert isinstance(progress_line(Terminal()), ProgressLine)


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_no_line_with_no_color_or_a_dumb_terminal(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv(name, value)
    assert progress_line(Terminal()) is None


def test_on_a_real_terminal_the_result_on_stdout_holds_no_progress(tmp_path: Path) -> None:
    """sbn plan with standard error on a pseudo-terminal: JSON on stdout stays clean whatever stderr shows."""
    path = tmp_path / "net.yaml"
    path.write_text(DOC.text(), encoding="utf-8")
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GITHUB_ACTIONS")} | {"TERM": "xterm"}
    done = subprocess.run(
        [sys.executable, "-m", "sbn", "plan", str(path), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
        check=False,
    )
    os.close(follower)
    os.close(leader)
    assert done.returncode == 0
    assert done.stdout.startswith(b"{") and b"planning" not in done.stdout
