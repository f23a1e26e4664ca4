"""Test support: building documents, random instances, the exhaustive reference planner, and the few
constants every test module shares (the fixtures that use them are in tests/conftest.py)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository
GOLDEN = ROOT / "tests" / "golden"
# What the CLI's output must not depend on: the terminal's width and colour, running in GitHub Actions.
CLI_ENV: dict[str, str | None] = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "GITHUB_ACTIONS": None}
