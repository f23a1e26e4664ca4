"""Validate reads the files of walked directories ahead on other cores (sbn.loader._Ahead): the findings,
their order and their places are those of reading alone, errors included."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import sbn.loader as loader_module
from benchmarks.generate import generate
from sbn.cli import main
from sbn.loader import _attempt, _Loader, _reading_ahead
from sbn.numbers import exact
from sbn.sources import Project

pytestmark = pytest.mark.skipif(threading.active_count() > 1, reason="reading ahead forks: no other thread")


def spoil(root: Path) -> None:
    """Mistakes of every kind in the generated module files: the same with or without reading ahead."""
    files = sorted((root / "modules").glob("*.yaml"))
    text = files[0].read_text()
    files[0].write_text(text.replace("partner: p-", "partner: q-", 3).replace("cost: ", "cost: -", 2))
    files[1].write_text(files[1].read_text().replace("lead_time: ", "lead_time: x", 1) + "  - id: m-000000\n")
    files[2].write_text("modules: [\n  - id: broken\n")  # a syntax error
    files[3].write_text("- just a list\n")
    files[4].write_text(files[4].read_text() + "unknown_key: 1\ninclude: [../partners, ../../../etc]\n")


def load(root: Path, ahead: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, int]:
    monkeypatch.setattr(loader_module, "AHEAD_FROM_BYTES", 0 if ahead else 10**18)
    with exact(), loader_module.without_cycle_collection():
        loader = _Loader(Project.of([str(root)], ()), lean=True)
        with _reading_ahead(loader):
            loader.load_path(str(root))
            used = 0 if loader.ahead is None or loader.ahead.executor is None else 1
        return _attempt(loader), used


def summary(result: Any) -> Any:
    if isinstance(result, Exception):
        return [(d.file, d.line, d.column, d.severity, d.message) for d in result.diagnostics]
    refs = [(r.id, r.partner, r.capability, r.file, r.index, r.uses) for r in result.modules.values()]
    return (refs, sorted(result.partners), [r.id for r in result.requests], result.files, result.warnings)


@pytest.mark.parametrize("spoilt", [False, True])
def test_reading_ahead_finds_what_reading_alone_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spoilt: bool
) -> None:
    generate(tmp_path / "net", 2000, requests=3, steps=4, seed=5, per_file=200)
    if spoilt:
        spoil(tmp_path / "net")
    alone, used_alone = load(tmp_path / "net", False, monkeypatch)
    ahead, used_ahead = load(tmp_path / "net", True, monkeypatch)
    assert (used_alone, used_ahead) == (0, 1)
    assert summary(ahead) == summary(alone)
    assert isinstance(alone, Exception) == spoilt


def test_validate_prints_the_same_with_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(tmp_path / "net", 2000, requests=3, steps=4, seed=6, per_file=200)
    spoil(tmp_path / "net")
    printed = []
    for threshold in (10**18, 0):
        monkeypatch.setattr(loader_module, "AHEAD_FROM_BYTES", threshold)
        for form in ("text", "json"):
            code = main(["validate", str(tmp_path / "net"), "--format", form])
            printed.append((code, capsys.readouterr()))
    assert printed[:2] == printed[2:]
    assert printed[0][0] == 2
