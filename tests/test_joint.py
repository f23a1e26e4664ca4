"""Joint planning (SPEC §7): one model for the run, the most requests planned per priority class, then
the --optimize criteria summed; hand-made cases per rule, and the exhaustive reference on random runs."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from support.build import Doc, module, modules_of, partner, plan_of, request, run_cli, step
from support.reference import Reference, joint_best, joint_objective, run_fits
from support.strategies import examples, networks

from sbn.cli import main

# Two requests of one step. p1 (capacity 1) is cheapest for both; r2 can only be done by p1.
COMPETING = Doc(
    partners=[partner("p1", capacity=1), partner("p2")],
    modules=[
        module("a1", "p1", "a", cost=10, regions=["NL", "DE"]),
        module("a2", "p2", "a", cost=50, regions=["NL"]),
    ],
    requests=[
        request("r1", step("s", "a"), region="NL"),
        request("r2", step("s", "a"), region="DE"),
    ],
)


def joint(directory: Path, doc: Doc, *args: str) -> tuple[int, dict[str, Any]]:
    code, data = run_cli(directory, doc, "--joint", *args)
    assert data is not None
    return code, data


def test_joint_plans_a_request_the_default_order_leaves_out(tmp_path: Path) -> None:
    code, default = run_cli(tmp_path, COMPETING)
    assert code == 1 and default is not None
    assert plan_of(default, "r2")["status"] == "infeasible"  # r1 took p1's only unit
    code, data = joint(tmp_path, COMPETING)
    assert code == 0
    assert data["mode"] == "joint"
    assert [modules_of(p) for p in data["plans"]] == [{"s": "a2"}, {"s": "a1"}]
    assert data["objective"] == [
        {"criterion": "planned", "priority": 0, "value": 2, "proven": True},
        {"criterion": "cost", "value": 60.0, "proven": True},
        {"criterion": "time", "value": 0, "proven": True},
    ]


def test_joint_without_competition_plans_as_the_default_order(tmp_path: Path) -> None:
    doc = Doc(
        partners=[partner("p1", capacity=2), partner("p2")],
        modules=COMPETING.modules,
        requests=COMPETING.requests,
    )
    _, default = run_cli(tmp_path, doc)
    _, data = joint(tmp_path, doc)
    assert default is not None
    assert [modules_of(p) for p in data["plans"]] == [modules_of(p) for p in default["plans"]]
    assert [p["status"] for p in data["plans"]] == ["optimal", "optimal"]
    assert "mode" not in default and "objective" not in default


def test_a_higher_priority_class_comes_first_even_if_fewer_are_planned(tmp_path: Path) -> None:
    # h needs both partners; l1 and l2 one each: planning h leaves no room for the two of the lower class.
    doc = Doc(
        partners=[partner("p1", capacity=1), partner("p2", capacity=1)],
        modules=[module("a1", "p1", "a"), module("b2", "p2", "b")],
        requests=[
            request("l1", step("s", "a")),
            request("l2", step("s", "b")),
            request("h", step("x", "a"), step("y", "b"), priority=1),
        ],
    )
    code, data = joint(tmp_path, doc)
    assert code == 1
    assert [p["status"] for p in data["plans"]] == ["infeasible", "infeasible", "optimal"]
    assert [o["value"] for o in data["objective"] if o["criterion"] == "planned"] == [1, 0]


def test_within_a_class_the_most_requests_are_planned(tmp_path: Path) -> None:
    # The same three requests in one class: l1 and l2 beat h.
    doc = Doc(
        partners=[partner("p1", capacity=1), partner("p2", capacity=1)],
        modules=[module("a1", "p1", "a"), module("b2", "p2", "b")],
        requests=[
            request("h", step("x", "a"), step("y", "b")),
            request("l1", step("s", "a")),
            request("l2", step("s", "b")),
        ],
    )
    code, data = joint(tmp_path, doc)
    assert code == 1
    assert [p["status"] for p in data["plans"]] == ["infeasible", "optimal", "optimal"]
    reasons = plan_of(data, "h")["reasons"]
    # What it would get alone on what l1 and l2 left, and who holds what it lacked.
    assert any("over partner capacity" in reason for reason in reasons), reasons
    assert reasons[-1] == "what it needs is taken by the planned requests l1, l2"


def test_optimize_criteria_are_summed_over_the_run_in_their_order(tmp_path: Path) -> None:
    # r1 alone: a1 (cost 10, 5 days) or a2 (cost 20, 1 day). Time first makes a2 the choice.
    doc = Doc(
        partners=[partner("p1"), partner("p2")],
        modules=[module("a1", "p1", "a", cost=10, lead_time=5), module("a2", "p2", "a", cost=20, lead_time=1)],
        requests=[request("r1", step("s", "a")), request("r2", step("s", "a"))],
    )
    _, cheap = joint(tmp_path, doc, "--optimize", "cost,time")
    assert [modules_of(p)["s"] for p in cheap["plans"]] == ["a1", "a1"]
    _, fast = joint(tmp_path, doc, "--optimize", "time")
    assert [modules_of(p)["s"] for p in fast["plans"]] == ["a2", "a2"]
    assert fast["objective"][-1] == {"criterion": "time", "value": 2, "proven": True}


def test_requests_own_optimize_is_not_used_in_joint_mode(tmp_path: Path) -> None:
    doc = Doc(
        partners=[partner("p1"), partner("p2")],
        modules=[module("a1", "p1", "a", cost=10, lead_time=5), module("a2", "p2", "a", cost=20, lead_time=1)],
        requests=[request("r1", step("s", "a"), optimize=["time"])],
    )
    _, data = joint(tmp_path, doc)
    assert modules_of(data["plans"][0]) == {"s": "a1"}  # cost first, as --optimize's default says


def test_optimize_without_joint_or_with_an_unknown_criterion_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(COMPETING.text(), encoding="utf-8")
    assert main(["plan", str(path), "--optimize", "cost"]) == 2
    assert "--optimize needs --joint" in capsys.readouterr().err
    assert main(["plan", str(path), "--joint", "--optimize", "cots"]) == 2
    assert "unknown criterion 'cots' (did you mean 'cost'?)" in capsys.readouterr().err


def test_a_search_stopped_by_its_limit_is_feasible_and_says_what_is_not_proven(tmp_path: Path) -> None:
    # A small GAP: every job its own request; one node does not prove the cheapest assignment.
    costs = [[9, 2, 7, 8, 6, 4], [6, 4, 3, 7, 3, 5], [5, 8, 1, 8, 2, 9]]
    usage = [[5, 4, 6, 3, 2, 5], [4, 6, 3, 5, 4, 3], [6, 3, 4, 4, 5, 6]]
    doc = Doc(
        partners=[partner(f"p{i}", capacity=9) for i in range(3)],
        modules=[
            module(f"j{j}-p{i}", f"p{i}", f"job{j}", cost=costs[i][j], usage=usage[i][j])
            for i in range(3)
            for j in range(6)
        ],
        requests=[request(f"r{j}", step("s", f"job{j}")) for j in range(6)],
    )
    outputs = set()
    for _ in range(2):
        code, data = joint(tmp_path, doc, "--optimize", "cost", "--node-limit", "1")
        outputs.add(json.dumps(data))
    (data,) = [json.loads(text) for text in outputs]  # deterministic: the node limit is a limit of work
    cost = data["objective"][-1]
    if not cost["proven"]:
        assert code == 1
        assert {p["status"] for p in data["plans"] if p["assignments"]} == {"feasible"}
    best = joint_best(doc, ["cost"])
    found = joint_objective(list(doc.requests), [_measured(doc, p) for p in data["plans"]], ["cost"])
    assert found >= best
    _, proven = joint(tmp_path, doc, "--optimize", "cost")
    assert proven["objective"][-1]["proven"] is True
    assert joint_objective(list(doc.requests), [_measured(doc, p) for p in proven["plans"]], ["cost"]) == best


def _measured(doc: Doc, entry: dict[str, Any]) -> Any:
    if not entry["assignments"]:
        return None
    req = next(r for r in doc.requests if r["id"] == entry["request"])
    return Reference(doc).measure(req, tuple(a["module"] for a in entry["assignments"]))


def test_joint_works_with_without_backups_and_explain(tmp_path: Path) -> None:
    code, data = joint(tmp_path, COMPETING, "--without", "p2", "--backups", "--explain")
    assert code == 1
    assert [p["status"] for p in data["plans"]] == ["optimal", "infeasible"]  # only p1 is left, for one
    assert plan_of(data, "r1")["assignments"][0]["backup"] is None
    assert plan_of(data, "r1")["single_points_of_failure"] == ["s"]
    assert data["plans"][1]["steps"][0]["rejected"] == [
        {"module": "a2", "partner": "p2", "reason": "partner p2 left the network (--without)"}
    ]


def test_joint_from_a_previous_plan_changes_the_fewest_steps_over_the_run(tmp_path: Path) -> None:
    # Both a1 and a2 are equally good for r1; the previous plan had a2: minimal change keeps it.
    doc = Doc(
        partners=[partner("p1"), partner("p2")],
        modules=[module("a1", "p1", "a", cost=5), module("a2", "p2", "a", cost=5)],
        requests=[request("r1", step("s", "a"))],
    )
    previous = tmp_path / "previous.json"
    previous.write_text(
        json.dumps(
            {"schema": "sbn.plan/v1", "plans": [{"request": "r1", "assignments": [{"step": "s", "module": "a2"}]}]}
        ),
        encoding="utf-8",
    )
    _, data = joint(tmp_path, doc, "--from", str(previous))
    assert modules_of(data["plans"][0]) == {"s": "a2"}
    assert data["plans"][0]["changes"] == 0
    assert {"criterion": "changes", "value": 0, "proven": True} in data["objective"]


def test_table_and_markdown_say_the_run_was_planned_jointly(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(COMPETING.text(), encoding="utf-8")
    main(["plan", str(path), "--joint"])
    out = " ".join(capsys.readouterr().out.split())  # as a person reads it, whatever the terminal's width
    assert "Planned jointly: 2 of 2 requests; cost 60.00 EUR; time 0 days (sum of finishes); proven optimal" in out
    main(["plan", str(path), "--joint", "--format", "markdown"])
    out = capsys.readouterr().out
    assert "**Planned jointly: 2 of 2 requests; cost 60.00 EUR" in out


# -- against the exhaustive reference ---------------------------------------------------------


def check_joint(doc: Doc, data: dict[str, Any], criteria: list[str]) -> None:
    requests = list(doc.requests)
    ref = Reference(doc)
    plans = []
    for req, entry in zip(requests, data["plans"], strict=True):
        assert entry["request"] == req["id"]
        if entry["status"] == "infeasible":
            assert entry["reasons"]
            plans.append(None)
            continue
        assert entry["status"] == "optimal", entry
        picks = tuple(a["module"] for a in entry["assignments"])
        measured = ref.measure(req, picks)
        assert all(ref.fits(req, s, ref.modules[m]) for s, m in zip(req["steps"], picks, strict=True))
        assert not ref.broken(req, measured) - {"module_capacity", "partner_capacity"}
        plans.append(measured)
    assert run_fits(ref, requests, plans)
    assert joint_objective(requests, plans, criteria) == joint_best(doc, criteria)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(requests_between=(2, 3), steps_between=(1, 3)))
def test_joint_matches_the_exhaustive_reference_and_never_plans_fewer(doc: Doc) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        _, default = run_cli(directory, doc)
        _, data = run_cli(directory, doc, "--joint", name="joint.yaml")
    assert default is not None and data is not None
    check_joint(doc, data, ["cost", "time"])
    counts = [o["value"] for o in data["objective"] if o["criterion"] == "planned"]
    priorities = [o["priority"] for o in data["objective"] if o["criterion"] == "planned"]
    by_default = [
        sum(
            1
            for r, p in zip(doc.requests, default["plans"], strict=True)
            if r.get("priority", 0) == priority and p["assignments"]
        )
        for priority in priorities
    ]
    assert counts >= by_default  # read from the highest class down


def test_a_run_whose_requests_all_lack_candidates_is_proven(tmp_path: Path) -> None:
    # Nothing to choose: every criterion's total (0) is optimal without any search, so "proven" everywhere.
    doc = Doc(partners=[partner("p1")], modules=[module("m", "p1", "x", cost=10)], requests=[request("r", step("s"))])
    code, data = run_cli(tmp_path, doc, "--joint")
    assert code == 1 and data is not None
    assert [(o["criterion"], o["value"], o["proven"]) for o in data["objective"]] == [
        ("planned", 0, True),
        ("cost", 0.0, True),
        ("time", 0, True),
    ]


def test_a_request_that_fits_on_no_capacity_names_no_planned_request(tmp_path: Path) -> None:
    # "big" has room left; "quick" misses its deadline and "pricey" its budget whatever the others took.
    doc = Doc(
        partners=[partner("big", capacity=10)],
        modules=[module("big-a", "big", "a", cost={"per_unit": 10}, lead_time=1)],
        requests=[
            request("r1", step("s", "a"), quantity=5),
            request("quick", step("s", "a"), deadline=0),
            request("pricey", step("s", "a"), budget=1),
        ],
    )
    code, data = joint(tmp_path, doc)
    assert code == 1
    for request_id, rule in [("quick", "deadline"), ("pricey", "budget")]:
        plan = plan_of(data, request_id)
        assert plan["status"] == "infeasible"
        assert [detail["rule"] for detail in plan["reason_details"]] == [rule], plan["reasons"]


def test_a_class_planned_whole_is_proven_when_the_search_stops(tmp_path: Path) -> None:
    # A tight GAP of 30 jobs on 5 agents (type d-like costs): the default order leaves jobs out; one node
    # plans every job but proves no cost. A class planned whole can hold no more: its count is proven.
    rng = random.Random(7)
    usage = [[rng.randint(1, 100) for _ in range(30)] for _ in range(5)]
    costs = [[111 - usage[i][j] + rng.randint(-10, 10) for j in range(30)] for i in range(5)]
    doc = Doc(
        partners=[partner(f"p{i}", capacity=int(0.8 * sum(usage[i]) / 5)) for i in range(5)],
        modules=[
            module(f"j{j}-p{i}", f"p{i}", f"job{j}", cost=costs[i][j], usage=usage[i][j])
            for i in range(5)
            for j in range(30)
        ],
        requests=[request(f"r{j}", step("s", f"job{j}")) for j in range(30)],
    )
    _, default = run_cli(tmp_path, doc)
    assert default is not None and any(plan["status"] == "infeasible" for plan in default["plans"])
    code, data = joint(tmp_path, doc, "--optimize", "cost", "--node-limit", "1")
    assert code == 1
    assert data["objective"][0] == {"criterion": "planned", "priority": 0, "value": 30, "proven": True}
    assert data["objective"][1]["proven"] is False


def test_an_empty_optimize_or_a_bad_scheduler_with_joint_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(COMPETING.text(), encoding="utf-8")
    for value in ["", "cost,", ",time"]:
        assert main(["plan", str(path), "--joint", "--optimize", value]) == 2
        assert "an empty criterion" in capsys.readouterr().err
    # --scheduler does not change a joint run, but a wrong one is refused as without --joint.
    assert main(["plan", str(path), "--joint", "--scheduler", "http://x"]) == 2
    assert "expected a Dask scheduler's address" in capsys.readouterr().err
