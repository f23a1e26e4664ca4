"""Tables for people never split an id or a number, at any width; wrapped lines stay indented.

Pinned at 80 columns by golden files: the width of many people's terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from support import CLI_ENV
from typer.testing import CliRunner

from sbn.cli import app

WIDTHS = (60, 80, 100, 200)
HEAT = "examples/heat-transition"
WEBSHOP = "examples/webshop"
# Characters an id is made of: a token that ends or starts inside an id was split.
ID_CHAR = r"[A-Za-z0-9._-]"
PUNCTUATION = "()[],;:"

COMMANDS = {
    "plan-heat": ["plan", f"{HEAT}/requests.yaml"],
    "plan-webshop": ["plan", f"{WEBSHOP}/requests.yaml"],
    "plan-heat-impossible": ["plan", f"{HEAT}/impossible.yaml", "--explain"],
    "plan-webshop-backups": ["plan", f"{WEBSHOP}/requests.yaml", "--backups", "-r", "oslo-hotel-tv-install-80"],
    "who-heat": ["who", "heat-pump-installation", "-n", HEAT],
    "who-webshop": ["who", "home-installation", "-n", WEBSHOP],
    "network-heat": ["network", HEAT],
    "network-webshop": ["network", WEBSHOP],
}


pytestmark = pytest.mark.usefixtures("repo_root")


def run(args: list[str], width: int) -> str:
    result = CliRunner().invoke(app, args, env={**CLI_ENV, "COLUMNS": str(width)})
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def ids_of(args: list[str]) -> set[str]:
    """Every id, capability, interface and amount the command prints, from its JSON."""
    if args[0] == "who":
        rows = json.loads(run([*args, "--format", "json"], 100))
        found = {row["module"] for row in rows} | {row["partner"] for row in rows}
        for row in rows:
            found |= set(row["regions"]) | set(row["certifications"])
        return found
    if args[0] == "network":
        data = json.loads(run([*args, "--format", "json"], 100))
        found = {row["capability"] for row in data["coverage"]} | set(data["regions"])
        return found | {s["partner"] for s in data["single_points_of_failure"]["by_region"]}
    data = json.loads(run([*args, "--format", "json"], 100))
    found = set()
    for plan in data["plans"]:
        for a in plan["assignments"]:
            found |= {a["step"], a["capability"], a["module"], a["partner"], f"{a['cost']:,.2f}"}
            found |= {h["interface"] for h in a["handoffs"] if h["interface"]}
    return found


def tokens(text: str) -> list[str]:
    return [token.strip(PUNCTUATION) for token in text.split()]


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("width", WIDTHS)
def test_no_id_or_number_is_split_and_nothing_is_cropped(name: str, width: int) -> None:
    args = COMMANDS[name]
    out = run(args, width)
    assert max(len(line) for line in out.splitlines()) <= width
    whole = set(tokens(run(args, 1000)))
    ids = ids_of(args)
    for item in ids:
        assert re.search(rf"(?<!{ID_CHAR}){re.escape(item)}(?!{ID_CHAR})", out), f"{item!r} is not printed whole"
    for token in tokens(out):
        if token in whole or token in ids or not token:
            continue
        # A piece of an id that is not a word of its own: the id was broken across lines.
        broken = [item for item in ids if item != token and (item.startswith(token) or item.endswith(token))]
        assert not broken, f"{token!r} is a piece of {broken[0]!r} at {width} columns"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_80_columns_output_is_pinned(name: str, golden: Callable[[str, str], None]) -> None:
    golden(f"layout/{name}.80.txt", run(COMMANDS[name], 80))


def test_at_80_columns_the_heat_plan_is_stacked_and_at_100_a_table_with_handoffs_under_the_step() -> None:
    args = COMMANDS["plan-heat"]
    narrow, middle, wide = run(args, 80), run(args, 100), run(args, 200)
    assert "Step / capability" not in narrow.split("Request eemvallei")[0]
    assert "  handoff: delivered-heat-pump <- deliver" in narrow
    assert "Handoff" not in middle.split("Request eemvallei")[0]
    assert re.search(r"\n  delivered-heat-pump <- deliver +\n", middle)
    assert re.search(r"Handoff +\n", wide)


def test_a_wrapped_reason_stays_indented_under_its_text() -> None:
    out = run(COMMANDS["plan-heat-impossible"], 60)
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  - deadline:"))
    assert lines[first + 1].startswith("    ") and lines[first + 1].strip()


def test_who_fits_80_columns_with_certifications_under_the_regions() -> None:
    out = run(COMMANDS["who-heat"], 80)
    assert "Serves /" in out and "Capacity" in out and "Capacit\n" not in out
    assert "reputation 0.85" in out
