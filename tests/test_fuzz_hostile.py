"""The loader on hostile random input: random bytes and random YAML whose includes aim outside the project.

Whatever the input, loading ends (each example under an alarm) with a Network or a typed error;
nothing outside the project is opened; and every diagnostic prints as one safe line. The budget is
fixed (a number of examples, a few seconds in all), so CI runs it every time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sbn.loader
import sbn.sources
import sbn.yamlread
from sbn.errors import InputError, UsageError
from sbn.loader import Network, load_network, load_units

SECRET = "hunter2"
# Where includes may aim: outside (absolute or by '..'), through links out or in a loop, at a FIFO,
# a socket, a device, the root; empty, with a NUL, too long, with controls; and some harmless ones.
HOSTILE = [
    "/",
    "/etc/passwd",
    "/dev/zero",
    "/proc/self/environ",
    "../outside/secrets.yaml",
    "../outside",
    "../../",
    "..",
    "out.yaml",
    "out-dir",
    "loop.yaml",
    "pipe.yaml",
    "socket.yaml",
    "",
    "a\x00b.yaml",
    "x" * 300,
    "\u202eevil.yaml",
    "a\nb.yaml\x1b[2J",
    ".",
    "modules",
    "net.yaml",
    "fuzz.yaml",
    "missing.yaml",
]
SCALARS = st.one_of(
    st.sampled_from(["p", "m", "c", "1", "1e999999999", "1e-99999999999999999999", ".inf", "\x1b]0;x\x07", "N\nO"]),
    st.text(max_size=12),
    st.integers(),
    st.none(),
)
KEYS = ["id", "partner", "capability", "after", "name", "steps"]
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(["id", "partner", "capability", "after"]), st.text(max_size=6)),
            children,
            max_size=4,
        ),
    ),
    max_leaves=10,
)
INCLUDES = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20)), max_size=4)
DOCUMENTS = st.fixed_dictionaries(
    {"include": INCLUDES},
    optional={
        "network": st.fixed_dictionaries({}, optional={"name": SCALARS}),
        "partners": st.lists(VALUES, max_size=3),
        "modules": st.lists(VALUES, max_size=3),
        "requests": st.lists(VALUES, max_size=2),
        "other": VALUES,
    },
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project beside a folder with a secret, holding links out, a link loop, a FIFO and a socket."""
    root = tmp_path_factory.mktemp("hostile")
    outside = root / "outside"
    outside.mkdir()
    (outside / "secrets.yaml").write_text(f"aws_secret_access_key: {SECRET}\npartners: [{{id: {SECRET}}}]\n")
    project = root / "project"
    project.mkdir()
    (project / "net.yaml").write_text("partners: [{id: p}]\nmodules: [{id: m, partner: p, capability: c}]\n")
    (project / "modules").mkdir()
    (project / "modules" / "a.yaml").write_text("partners: [{id: q}]\n")
    os.symlink(outside / "secrets.yaml", project / "modules" / "out.yaml")
    os.symlink(outside / "secrets.yaml", project / "out.yaml")
    os.symlink(outside, project / "out-dir")
    os.symlink("loop.yaml", project / "loop.yaml")
    os.mkfifo(project / "pipe.yaml")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(project / "socket.yaml"))
    yield project
    listener.close()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path the loader opens, resolved."""
    paths: list[str] = []
    real = sbn.sources.read_file

    def spy(path: Any) -> Any:
        paths.append(os.path.realpath(path))
        return real(path)

    monkeypatch.setattr(sbn.loader, "read_file", spy)
    monkeypatch.setattr(sbn.yamlread, "read_file", spy)
    return paths


class _Alarm(Exception):
    pass


def _ring(signum: int, frame: Any) -> None:
    raise _Alarm


def assert_contained(project: Path, raw: bytes, opened: list[str]) -> None:
    """Loading ends, in a Network or a typed error, opens nothing outside, and prints only safe lines."""
    path = project / "fuzz.yaml"
    path.write_bytes(raw)
    opened.clear()
    here = os.getcwd()
    os.chdir(project)
    previous = signal.signal(signal.SIGALRM, _ring)
    signal.alarm(20)  # a FIFO opened, a device read: the example fails instead of hanging
    try:
        outcomes: list[Any] = []
        for load in (lambda: load_network(["fuzz.yaml"]), lambda: load_units(["fuzz.yaml"])):
            try:
                outcomes.append(load())
            except (InputError, UsageError) as error:
                outcomes.append(error)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(here)
    for path_opened in opened:
        assert path_opened.startswith(str(project) + os.sep), path_opened
    for outcome in outcomes:
        units = outcome if isinstance(outcome, list) else [outcome]
        for unit in units:
            event(type(unit).__name__)
            diagnostics = unit.warnings if isinstance(unit, Network) else getattr(unit, "diagnostics", [])
            lines = [d.render() for d in diagnostics] + ([] if diagnostics else [str(unit)])
            for line in lines:
                assert line.isprintable(), line
                assert SECRET not in line


HOSTILE_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HOSTILE_FUZZ
@given(document=DOCUMENTS)
def test_random_yaml_with_hostile_includes(sandbox: Path, opened: list[str], document: Any) -> None:
    assert_contained(sandbox, yaml.safe_dump(document, allow_unicode=True).encode("utf-8", "surrogatepass"), opened)


@HOSTILE_FUZZ
@given(raw=st.binary(max_size=200), entries=st.lists(st.sampled_from(HOSTILE), max_size=3))
def test_random_bytes_included_beside_hostile_includes(
    sandbox: Path, opened: list[str], raw: bytes, entries: list[str]
) -> None:
    (sandbox / "random.yaml").write_bytes(raw)
    include = f"include: {json.dumps([*entries, 'random.yaml'])}\n".encode()  # JSON is YAML
    assert_contained(sandbox, include, opened)
