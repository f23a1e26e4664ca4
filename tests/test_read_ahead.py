"""Validate reads the files of walked directories ahead on other cores (sbn.loader._Ahead): the findings,
their order and their places are those of reading alone, errors included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from benchmarks.generate import generate
from sbn.workers import cores

# Reading ahead forks, which sbn does only while the process has no other thread; the test process may
# have some (a Dask cluster, the engine's), so each load runs in a fresh interpreter.
SCRIPT = """
import json, sys
import sbn.loader as loader_module
from sbn.loader import _attempt, _Loader, _reading_ahead, without_cycle_collection
from sbn.numbers import exact
from sbn.sources import Project

root, threshold, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
loader_module.AHEAD_FROM_BYTES = threshold
if mode == "cli":
    from sbn.cli import main
    sys.exit(main(["validate", root, "--format", sys.argv[4]]))
with exact(), without_cycle_collection():
    loader = _Loader(Project.of([root], ()), lean=True)
    with _reading_ahead(loader):
        loader.load_path(root)
        used = loader.ahead is not None and loader.ahead.executor is not None
    result = _attempt(loader)
if isinstance(result, Exception):
    found = [[d.file, d.line, d.column, d.severity, d.message] for d in result.diagnostics]
else:
    refs = [[r.id, r.partner, r.capability, r.file, r.index, list(r.uses)] for r in result.modules.values()]
    found = [refs, sorted(result.partners), [r.id for r in result.requests], list(result.files), len(result.warnings)]
print(json.dumps({"used": used, "error": isinstance(result, Exception), "found": found}))
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False
    )


def spoil(root: Path) -> None:
    """Mistakes of every kind in the generated module files: the same with or without reading ahead."""
    files = sorted((root / "modules").glob("*.yaml"))
    text = files[0].read_text()
    files[0].write_text(text.replace("partner: p-", "partner: q-", 3).replace("cost: ", "cost: -", 2))
    files[1].write_text(files[1].read_text().replace("lead_time: ", "lead_time: x", 1) + "  - id: m-000000\n")
    files[2].write_text("modules: [\n  - id: broken\n")  # a syntax error
    files[3].write_text("- just a list\n")
    files[4].write_text(files[4].read_text() + "unknown_key: 1\ninclude: [../partners, ../../../etc]\n")


@pytest.mark.skipif(cores() < 2, reason="reading ahead needs a second core")
@pytest.mark.parametrize("spoilt", [False, True])
def test_reading_ahead_finds_what_reading_alone_finds(tmp_path: Path, spoilt: bool) -> None:
    generate(tmp_path / "net", 2000, requests=3, steps=4, seed=5, per_file=200)
    if spoilt:
        spoil(tmp_path / "net")
    alone = json.loads(run(str(tmp_path / "net"), str(10**18), "load").stdout)
    ahead = json.loads(run(str(tmp_path / "net"), "0", "load").stdout)
    assert (alone["used"], ahead["used"]) == (False, True)
    assert ahead["found"] == alone["found"]
    assert alone["error"] == spoilt


@pytest.mark.skipif(cores() < 2, reason="reading ahead needs a second core")
def test_validate_prints_the_same_with_workers(tmp_path: Path) -> None:
    generate(tmp_path / "net", 2000, requests=3, steps=4, seed=6, per_file=200)
    spoil(tmp_path / "net")
    for form in ("text", "json"):
        alone = run(str(tmp_path / "net"), str(10**18), "cli", form)
        ahead = run(str(tmp_path / "net"), "0", "cli", form)
        assert (ahead.returncode, ahead.stdout, ahead.stderr) == (alone.returncode, alone.stdout, alone.stderr)
        assert alone.returncode == 2 and "error" in (alone.stderr + alone.stdout)
