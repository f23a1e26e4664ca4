"""Shared fixtures: YAML files in a scratch directory, a CLI runner with fixed width and no colour, golden files."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

GOLDEN = Path(__file__).parent / "golden"
CLI_ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "GITHUB_ACTIONS": None}


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
def runner() -> CliRunner:
    """A CLI runner whose output does not depend on the terminal or on running in GitHub Actions."""
    return CliRunner(env=CLI_ENV)


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME; SBN_UPDATE_GOLDEN=1 rewrites the file instead."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("SBN_UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"golden file {path} is missing: run pytest with SBN_UPDATE_GOLDEN=1"
        assert text == path.read_text(encoding="utf-8")

    return check
