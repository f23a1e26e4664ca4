"""Shared fixtures: YAML files in a scratch directory, the repository as working directory, a CLI runner
with fixed width and no colour, golden files."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from support import CLI_ENV, GOLDEN, ROOT
from typer.testing import CliRunner


@pytest.fixture
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str | bytes], Path]:
    """Write a file below tmp_path (the working directory, so diagnostics name it as given); text is dedented."""
    monkeypatch.chdir(tmp_path)

    def write_file(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else textwrap.dedent(content).encode("utf-8"))
        return path

    return write_file


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """The process environment of a CLI test: output that does not depend on the terminal or on GitHub Actions.

    Returned too, for a CliRunner's ``env`` (with a width of its own: ``{**cli_env, "COLUMNS": "80"}``).
    """
    for key, value in CLI_ENV.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    return dict(CLI_ENV)


@pytest.fixture
def repo_root(monkeypatch: pytest.MonkeyPatch, cli_env: dict[str, str | None]) -> Path:
    """The repository as working directory (documented commands name examples/... from there), with cli_env."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture
def runner() -> CliRunner:
    """A CLI runner whose output does not depend on the terminal or on running in GitHub Actions."""
    return CliRunner(env=CLI_ENV)


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME, byte for byte (CSV and iCalendar end lines with CRLF);
    SBN_UPDATE_GOLDEN=1 rewrites the file instead."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("SBN_UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
        assert path.exists(), f"golden file {path} is missing: run pytest with SBN_UPDATE_GOLDEN=1"
        assert text.encode("utf-8") == path.read_bytes()

    return check
