"""`sbn diff`: request by request, step by step; exit 0 when alike, 1 when not, 2 on bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import CLI_ENV, ROOT
from typer.testing import CliRunner

from sbn.cli import app, main

WEBSHOP = str(ROOT / "examples" / "webshop" / "requests.yaml")


def diff(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["diff", *args], env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


def assignment(step: str, module: str = "m1", partner: str = "p", start: int = 0, cost: Any = 10.0) -> dict[str, Any]:
    return {"step": step, "module": module, "partner": partner, "start": start, "finish": start + 1, "cost": cost}


def document(*plans: dict[str, Any]) -> dict[str, Any]:
    return {"schema": "sbn.plan/v1", "network": "n", "plans": list(plans)}


def plan(
    request: str = "r", status: str = "optimal", cost: Any = 10.0, finish: Any = 1, **extra: Any
) -> dict[str, Any]:
    steps = extra.pop("assignments", [assignment("a")])
    return {"request": request, "status": status, "cost": cost, "finish": finish, "assignments": steps, **extra}


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    monkeypatch.chdir(tmp_path)

    def write(old: dict[str, Any], new: dict[str, Any]) -> None:
        Path("old.json").write_text(json.dumps(old), encoding="utf-8")
        Path("new.json").write_text(json.dumps(new), encoding="utf-8")

    return write


def diff_json() -> dict[str, Any]:
    code, out, err = diff("old.json", "new.json", "--format", "json")
    assert code in (0, 1), err
    data = json.loads(out)
    assert code == (0 if data["equal"] else 1)
    return data  # type: ignore[no-any-return]


def test_the_same_plans_exit_0(pair: Callable[..., None]) -> None:
    pair(document(plan()), document(plan()))
    code, out, _ = diff("old.json", "new.json")
    assert (code, out) == (0, "No differences: old.json and new.json plan 1 request alike\n")
    assert diff_json()["requests"][0]["change"] == "same"


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("module", "m2", "a: module m1 -> m2"),
        ("partner", "q", "a: partner p -> q"),
        ("start", 3, "a: start 0 -> 3"),
        ("cost", 12.5, "a: cost 10.00 -> 12.50 (+2.50)"),
    ],
)
def test_each_compared_step_field_makes_a_difference(
    pair: Callable[..., None], field: str, value: Any, shown: str
) -> None:
    changed = assignment("a")
    changed[field] = value
    pair(document(plan()), document(plan(assignments=[changed])))
    code, out, _ = diff("old.json", "new.json")
    assert code == 1
    assert shown in out
    (step,) = diff_json()["requests"][0]["steps"]
    assert (step["step"], step["change"], step["fields"]) == ("a", "changed", [field])
    assert step["new"][field] == value


def test_fields_that_are_not_compared_make_no_difference(pair: Callable[..., None]) -> None:
    moved = {**assignment("a"), "finish": 7, "handoffs": [{"from": "x", "interface": "y"}], "start_date": "2027-01-01"}
    pair(document(plan()), document(plan(assignments=[moved], reasons=["anything"])))
    assert diff("old.json", "new.json")[0] == 0


def test_status_cost_and_finish_of_a_plan(pair: Callable[..., None]) -> None:
    pair(document(plan(finish=4)), document(plan(status="feasible", cost=9.99, finish=2)))
    code, out, _ = diff("old.json", "new.json")
    assert code == 1
    assert "  status optimal -> feasible\n" in out
    assert "  cost 10.00 -> 9.99 (-0.01); finish 4 -> 2 (-2)\n" in out
    entry = diff_json()["requests"][0]
    assert entry["cost"] == {"old": 10.0, "new": 9.99, "delta": -0.01}
    assert entry["finish"] == {"old": 4, "new": 2, "delta": -2}


def test_an_infeasible_plan_has_no_delta(pair: Callable[..., None]) -> None:
    pair(document(plan()), document(plan(status="infeasible", cost=None, finish=None, assignments=[])))
    entry = diff_json()["requests"][0]
    assert entry["cost"] == {"old": 10.0, "new": None, "delta": None}
    assert entry["steps"] == [
        {
            "step": "a",
            "change": "removed",
            "fields": [],
            "old": {"module": "m1", "partner": "p", "start": 0, "cost": 10.0},
            "new": None,
        }
    ]
    # The table says it once, not one "removed" per step.
    assert "  no step is planned now; before, 1 was: a\n" in diff("old.json", "new.json")[1]


def test_a_step_removed_from_a_plan_that_still_has_others_is_named(pair: Callable[..., None]) -> None:
    both = [assignment("a"), assignment("b", start=1)]
    pair(document(plan(assignments=both)), document(plan(assignments=[assignment("a")])))
    out = diff("old.json", "new.json")[1]
    assert "  b: removed (old has m1 of p, start 1, cost 10.00)\n" in out
    assert "no step is planned now" not in out


def test_amounts_are_compared_and_written_exactly(pair: Callable[..., None], tmp_path: Path) -> None:
    pair(document(plan(cost=1)), document(plan(cost=1)))
    # Beyond a float's precision: .01 apart, and 1 and 1.00 are the same amount.
    Path("old.json").write_text(json.dumps(document(plan())).replace("10.0", "100000000000000.01"))
    Path("new.json").write_text(json.dumps(document(plan())).replace("10.0", "100000000000000.02"))
    code, out, _ = diff("old.json", "new.json", "--format", "json")
    assert code == 1
    assert '"delta": 0.01' in out and '"new": 100000000000000.02' in out
    Path("new.json").write_text(json.dumps(document(plan())).replace("10.0", "100000000000000.010"))
    assert diff("old.json", "new.json")[0] == 0


def test_requests_only_on_one_side_in_order(pair: Callable[..., None]) -> None:
    pair(document(plan("gone"), plan("kept")), document(plan("kept"), plan("fresh")))
    code, out, _ = diff("old.json", "new.json")
    assert code == 1
    assert "Request gone: only in old.json\n  optimal, cost 10.00, finish 1\n" in out
    assert "Request fresh: only in new.json\n" in out
    assert "Unchanged: kept\n" in out
    data = diff_json()
    assert [(e["request"], e["change"]) for e in data["requests"]] == [
        ("gone", "removed"),
        ("kept", "same"),
        ("fresh", "added"),
    ]


def test_a_step_only_in_the_new_plan(pair: Callable[..., None]) -> None:
    pair(document(plan()), document(plan(assignments=[assignment("a"), assignment("b", start=1)])))
    (step,) = diff_json()["requests"][0]["steps"]
    assert (step["step"], step["change"], step["old"]) == ("b", "added", None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "old.json:1:2: error: invalid JSON: Expecting property name enclosed in double quotes"),
        ('{"schema": "other"}', "old.json:1:1: error: not an sbn plan"),
        (
            '{"schema": "sbn.plan/v1", "plans": [\n {"request": "r", "status": "optimal", "cost": 1, "finish": 1,\n'
            '  "assignments": [{"step": "a", "module": "m", "partner": "p", "start": 1.5, "cost": 1}]}]}',
            "old.json:3:73: error: 'start' must be a whole number, got the number 1.5",
        ),
        (
            '{"schema": "sbn.plan/v1", "plans": [{"request": "r", "cost": 1, "finish": 1}]}',
            "old.json:1:37: error: missing 'status'",
        ),
        (
            '{"schema": "sbn.plan/v1", "plans": [{"request": "r", "status": "optimal", "cost": "1", "finish": 1}]}',
            "old.json:1:83: error: 'cost' must be a number or null, got the string '1'",
        ),
    ],
)
def test_bad_input_exits_2_at_its_place(pair: Callable[..., None], text: str, message: str) -> None:
    pair(document(plan()), document(plan()))
    Path("old.json").write_text(text, encoding="utf-8")
    code, out, err = diff("old.json", "new.json")
    assert (code, out) == (2, "")
    assert err.startswith(message)


def test_problems_in_both_files_are_reported_together(pair: Callable[..., None]) -> None:
    pair(document(plan()), document(plan()))
    Path("old.json").write_text("[", encoding="utf-8")
    Path("new.json").write_text('{"schema": 1}', encoding="utf-8")
    code, _, err = diff("old.json", "new.json")
    assert code == 2
    assert err.splitlines()[0].startswith("old.json:")
    assert err.splitlines()[1].startswith("new.json:1:1: error: not an sbn plan")


def test_a_missing_file_or_a_directory_is_a_usage_error(pair: Callable[..., None], tmp_path: Path) -> None:
    pair(document(plan()), document(plan()))
    assert diff("none.json", "new.json")[2] == "sbn: error: none.json: no such file or directory\n"
    code, _, err = diff(str(tmp_path), "new.json")
    assert code == 2 and "is a directory" in err
    assert diff("old.json")[0] == 2


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_replanning_without_a_partner_matches_golden(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Callable[[str, str], None]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plan", WEBSHOP, "-f", "json", "-o", "old.json"]) == 0
    assert main(["plan", WEBSHOP, "-f", "json", "-o", "new.json", "--without", "plzen-electro"]) == 0
    code, out, _ = diff("old.json", "new.json", "--format", fmt)
    assert code == 1
    golden(f"diff/webshop-without-plzen.{'txt' if fmt == 'table' else 'json'}", out)
