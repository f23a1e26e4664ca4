"""Shared resources over time (SPEC §6): each rule where it binds and where it does not, committed work,
the timeline, explanations and output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.build import Doc, assignment, module, modules_of, partner, plan_dict, plan_of, request, run_cli, step

from sbn.cli import main

P = [partner("gelre"), partner("other")]


def crews(at_once: Any = 4, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": "crews", "partner": "gelre", "at_once": at_once, **extra}]


def install(crew: Any = 3, lead: Any = 10, **fields: Any) -> dict[str, Any]:
    return module("install", "gelre", "install", lead_time=lead, cost=1000, uses={"crews": crew}, **fields)


SURVEY = module("survey", "other", "survey", lead_time=2, cost=100)
STEPS = (step("s", "survey"), step("i", "install", after=["s"]))


def doc(*requests: dict[str, Any], resources: list[dict[str, Any]] | None = None, modules: Any = None) -> Doc:
    return Doc(
        partners=P,
        modules=modules or [SURVEY, install()],
        requests=list(requests),
        resources=crews() if resources is None else resources,
    )


def spans(entry: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {a["step"]: (a["start"], a["finish"], a["wait"]) for a in entry["assignments"]}


# -- at once ------------------------------------------------------------------------------------


def test_at_once_binds_a_later_request_waits_until_the_crews_are_free(tmp_path: Path) -> None:
    data = plan_dict(tmp_path, doc(request("a", *STEPS), request("b", *STEPS)))
    assert spans(plan_of(data, "a")) == {"s": (0, 2, 0), "i": (2, 12, 0)}
    assert spans(plan_of(data, "b")) == {"s": (0, 2, 0), "i": (12, 22, 10)}  # 3 + 3 crews > 4
    assert plan_of(data, "b")["finish"] == 22
    assert data["resources"] == [{"id": "crews", "at_once": 4, "peak": 3}]


def test_at_once_that_does_not_bind_changes_nothing(tmp_path: Path) -> None:
    data = plan_dict(tmp_path, doc(request("a", *STEPS), request("b", *STEPS), resources=crews(6)))
    assert spans(plan_of(data, "b")) == {"s": (0, 2, 0), "i": (2, 12, 0)}
    assert data["resources"] == [{"id": "crews", "at_once": 6, "peak": 6}]


def test_a_module_needing_more_than_there_is_at_once_is_no_candidate(tmp_path: Path) -> None:
    data = plan_dict(tmp_path, doc(request("a", *STEPS), modules=[SURVEY, install(crew=5)]), explain=True)
    entry = plan_of(data, "a")
    assert entry["reasons"] == ["step i (install): 0 of 1 module fit: 1 needs more of crews at once than it has"]
    assert entry["steps"][1]["rejected"][0]["reason"] == "needs 5 of crews at once; it has 4"


def test_a_step_of_no_duration_holds_nothing(tmp_path: Path) -> None:
    modules = [SURVEY, install(), module("check", "gelre", "check", lead_time=0, uses={"crews": 4})]
    req = request("a", *STEPS, step("c", "check", after=["s"]))
    data = plan_dict(tmp_path, doc(req, modules=modules))
    assert spans(plan_of(data, "a"))["c"] == (2, 2, 0)  # while the install holds 3 of 4 crews


def test_amounts_depend_on_the_quantity_exactly(tmp_path: Path) -> None:
    # 0.4 crews per dwelling: 10 dwellings hold 4 exactly (fits), 11 hold 4.4 (does not).
    modules = [SURVEY, install(crew={"per_unit": "0.4"})]
    fits = plan_dict(tmp_path, doc(request("a", *STEPS, quantity=10), modules=modules))
    assert plan_of(fits, "a")["status"] == "optimal"
    assert assignment(plan_of(fits, "a"), "i")["uses"] == {"crews": 4}
    over = plan_dict(tmp_path, doc(request("a", *STEPS, quantity=11), modules=modules))
    assert plan_of(over, "a")["status"] == "infeasible"


def test_the_time_criterion_is_the_finish_with_waiting(tmp_path: Path) -> None:
    # b can wait for the crews (finish 22) or take the slower own crew at once (finish 2 + 15 = 17).
    modules = [SURVEY, install(), module("own", "other", "install", lead_time=15, cost=5000)]
    data = plan_dict(tmp_path, doc(request("a", *STEPS), request("b", *STEPS, optimize=["time"]), modules=modules))
    assert modules_of(plan_of(data, "b")) == {"s": "survey", "i": "own"}
    assert plan_of(data, "b")["finish"] == 17
    cheap = plan_dict(tmp_path, doc(request("a", *STEPS), request("b", *STEPS), modules=modules))
    assert modules_of(plan_of(cheap, "b"))["i"] == "install"  # cost first: it waits


def test_deadline_with_waiting_is_explained_by_the_resources(tmp_path: Path) -> None:
    data = plan_dict(tmp_path, doc(request("a", *STEPS), request("b", *STEPS, deadline=20)))
    reasons = plan_of(data, "b")["reasons"]
    assert reasons == [
        "these rules cannot all be met together: deadline, resource_at_once:crews",
        "deadline: the earliest finish the resources allow, meeting everything else, is day 22; deadline is day 20",
        "crews: the plan meeting everything else needs 6 at once during days 2–12, has 4; "
        "with 6 the request can be planned",
    ]
    details = plan_of(data, "b")["reason_details"]
    assert details[2] == {
        "rule": "resource_at_once",
        "text": reasons[2],
        "resource": "crews",
        "needed": 6,
        "has": 4,
        "from": 2,
        "to": 12,
    }


def test_a_deadline_too_short_without_any_waiting_is_not_blamed_on_the_resources(tmp_path: Path) -> None:
    # b's steps take 12 days however free the crews are: the deadline alone, without "the resources allow".
    data = plan_dict(tmp_path, doc(request("a", *STEPS), request("b", *STEPS, deadline=11)))
    assert plan_of(data, "b")["reasons"] == [
        "deadline: the earliest finish meeting everything else is day 12; deadline is day 11"
    ]


# -- in total -----------------------------------------------------------------------------------

PUMPS = [{"id": "pumps", "total": 10}]
PUMP_INSTALL = module("install", "gelre", "install", lead_time=1, uses={"pumps": {"per_unit": 1}})


def test_total_binds_across_the_run(tmp_path: Path) -> None:
    data = plan_dict(
        tmp_path,
        doc(
            request("a", step("i", "install"), quantity=6),
            request("b", step("i", "install"), quantity=6),
            resources=PUMPS,
            modules=[PUMP_INSTALL],
        ),
    )
    assert [p["status"] for p in data["plans"]] == ["optimal", "infeasible"]
    assert data["resources"] == [{"id": "pumps", "total": 10, "used": 6}]


def test_total_that_does_not_bind(tmp_path: Path) -> None:
    data = plan_dict(
        tmp_path,
        doc(
            request("a", step("i", "install"), quantity=5),
            request("b", step("i", "install"), quantity=5),
            resources=PUMPS,
            modules=[PUMP_INSTALL],
        ),
    )
    assert [p["status"] for p in data["plans"]] == ["optimal", "optimal"]
    assert data["resources"] == [{"id": "pumps", "total": 10, "used": 10}]


def test_total_conflict_names_the_smallest_total(tmp_path: Path) -> None:
    modules = [PUMP_INSTALL, module("ship", "other", "ship", uses={"pumps": 3})]
    req = request("a", step("i", "install"), step("s", "ship"), quantity=8)
    data = plan_dict(tmp_path, doc(req, resources=PUMPS, modules=modules))
    assert plan_of(data, "a")["reasons"] == [
        "pumps: the plan meeting everything else needs 11 in total, 10 is left of 10; "
        "with a total of 11 the request can be planned"
    ]


# -- committed work and the timeline ------------------------------------------------------------


def test_committed_work_holds_resources_and_is_not_planned_again(tmp_path: Path) -> None:
    network = doc(request("a", *STEPS), request("b", *STEPS))
    _, first = run_cli(tmp_path, network, "--request", "a")
    assert first is not None
    committed = tmp_path / "committed.json"
    committed.write_text(json.dumps(first), encoding="utf-8")
    _, data = run_cli(tmp_path, network, "--committed", str(committed), name="again.yaml")
    assert data is not None
    assert [p["request"] for p in data["plans"]] == ["b"]
    assert spans(data["plans"][0])["i"] == (12, 22, 10)
    assert data["resources"] == [{"id": "crews", "at_once": 4, "peak": 3}]


@pytest.mark.parametrize("joint", [[], ["--joint"]])
def test_committed_work_holding_more_than_there_is_leaves_the_resource_full_then(
    tmp_path: Path, joint: list[str]
) -> None:
    """Found by QA: committed plans placed by their own dates (or none) can overlap beyond a resource's
    at_once; every model with that resource was then infeasible (a joint run: every request 'unknown').
    The resource is full while they overlap; other work goes before or after."""
    held = [{"step": "i", "module": "install", "quantity": 1, "start": 4, "finish": 14}]
    plans = [{"request": name, "assignments": held} for name in ("old1", "old2")]  # 3 + 3 crews of 4
    committed = tmp_path / "old.json"
    committed.write_text(json.dumps({"schema": "sbn.plan/v1", "plans": plans}), encoding="utf-8")
    _, data = run_cli(tmp_path, doc(request("b", *STEPS)), "--committed", str(committed), *joint)
    assert data is not None
    entry = plan_of(data, "b")
    assert entry["status"] == "optimal"
    assert spans(entry) == {"s": (0, 2, 0), "i": (14, 24, 12)}
    assert data["resources"] == [{"id": "crews", "at_once": 4, "peak": 6}]


def test_a_committed_module_no_longer_in_the_network_is_an_input_error(tmp_path: Path, capsys: Any) -> None:
    committed = tmp_path / "old.json"
    plan = {"request": "x", "assignments": [{"step": "s", "module": "gone", "quantity": 1, "start": 0, "finish": 1}]}
    committed.write_text(json.dumps({"schema": "sbn.plan/v1", "plans": [plan]}), encoding="utf-8")
    path = tmp_path / "net.yaml"
    path.write_text(doc(request("a", *STEPS)).text(), encoding="utf-8")
    assert main(["plan", str(path), "--committed", str(committed)]) == 2
    # At its place in the file (found by QA: it had none).
    assert f"{committed}:1:94: error: module 'gone' is no longer in the network" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": -1}, "1:117: error: 'quantity' must be a number above 0, got the number -1"),
        ({"start": 5, "finish": 2}, "1:142: error: 'finish' must not be before 'start'"),
        ({"start": -3}, "1:129: error: 'start' must be a whole number, 0 or more, got the number -3"),
    ],
)
def test_committed_work_that_cannot_have_happened_is_refused(
    tmp_path: Path, capsys: Any, fields: dict[str, Any], message: str
) -> None:
    committed = tmp_path / "old.json"
    assignment = {"step": "i", "module": "install", "quantity": 1, "start": 0, "finish": 10, **fields}
    plan = {"request": "x", "assignments": [assignment]}
    committed.write_text(json.dumps({"schema": "sbn.plan/v1", "plans": [plan]}), encoding="utf-8")
    path = tmp_path / "net.yaml"
    path.write_text(doc(request("a", *STEPS)).text(), encoding="utf-8")
    assert main(["plan", str(path), "--committed", str(committed)]) == 2
    assert capsys.readouterr().err == f"{committed}:{message}\n"


def test_requests_with_start_dates_share_one_timeline(tmp_path: Path) -> None:
    # b starts 5 days after a: its install can start at its own day 7 (run day 12), when a's ends.
    data = plan_dict(tmp_path, doc(request("a", *STEPS, start="2027-03-01"), request("b", *STEPS, start="2027-03-06")))
    assert spans(plan_of(data, "b"))["i"] == (7, 17, 5)
    assert assignment(plan_of(data, "b"), "i")["start_date"] == "2027-03-13"


# -- output ---------------------------------------------------------------------------------------


def test_without_resources_no_wait_uses_or_resources_fields(tmp_path: Path) -> None:
    data = plan_dict(tmp_path, Doc(partners=P, modules=[SURVEY], requests=[request("a", step("s", "survey"))]))
    assert "resources" not in data
    assert "wait" not in data["plans"][0]["assignments"][0]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_table_and_markdown_show_waiting_and_the_resources(tmp_path: Path, capsys: Any, fmt: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(doc(request("a", *STEPS), request("b", *STEPS)).text(), encoding="utf-8")
    assert main(["plan", str(path), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "crews: 3 of 4 at once at the peak" in out
    if fmt == "table":
        assert "waits 10" in out
    else:
        assert "i waits :done, w1, 2, 12" in out


def test_a_backup_is_placed_around_the_resources_others_hold(tmp_path: Path) -> None:
    # b's install waits for a's crews (12-22); its backup, another partner's 2-crew module, waits too.
    modules = [SURVEY, install(), module("spare", "other", "install", lead_time=8, cost=1500, uses={"crews": 2})]
    data = plan_dict(tmp_path, doc(request("a", *STEPS), request("b", *STEPS), modules=modules), backups=True)
    b = plan_of(data, "b")
    assert spans(b)["i"] == (12, 22, 10)
    assert assignment(b, "i")["backup"] == {
        "module": "spare",
        "partner": "other",
        "cost_delta": 500.0,
        "finish_delta": -2,
    }


def test_a_backup_that_would_break_the_deadline_around_the_resources_is_none(tmp_path: Path) -> None:
    modules = [SURVEY, install(), module("spare", "other", "install", lead_time=11, cost=1500, uses={"crews": 2})]
    data = plan_dict(
        tmp_path, doc(request("a", *STEPS), request("b", *STEPS, deadline=22), modules=modules), backups=True
    )
    b = plan_of(data, "b")
    assert modules_of(b)["i"] == "install"
    assert assignment(b, "i")["backup"] is None
    assert assignment(b, "i")["backup_reason"] == "no module of another partner fits: 1 would break deadline"


def a_and_b_with_a_spare(tmp_path: Path, spare_uses: Any) -> dict[str, Any]:
    """a takes 6 pumps and b 4 (the whole total of 10) by the cheap module; another partner's spare uses these."""
    spare = module("spare", "other", "install", lead_time=1, cost=2, uses={"pumps": spare_uses})
    requests = (request("a", step("i", "install"), quantity=6), request("b", step("i", "install"), quantity=4))
    return plan_dict(tmp_path, doc(*requests, resources=PUMPS, modules=[PUMP_INSTALL, spare]), backups=True)


def test_a_backup_that_would_overload_a_resource_says_so_in_the_words_of_the_files(tmp_path: Path) -> None:
    # The spare needs one pump more than a's install: 'a resource's total', not the rule's name resource_total.
    data = a_and_b_with_a_spare(tmp_path, {"fixed": 1, "per_unit": 1})
    assert [modules_of(plan_of(data, r))["i"] for r in "ab"] == ["install", "install"]
    assert assignment(plan_of(data, "a"), "i")["backup"] is None
    assert assignment(plan_of(data, "a"), "i")["backup_reason"] == (
        "no module of another partner fits: 1 over a resource's total"
    )


def test_a_backup_within_the_total_is_found(tmp_path: Path) -> None:
    data = a_and_b_with_a_spare(tmp_path, {"per_unit": 1})
    assert assignment(plan_of(data, "a"), "i")["backup"]["module"] == "spare"


# -- the horizon and the fold of cost and time with waiting (found by QA against an exhaustive search) -------


ONE_CREW = [{"id": "crew", "at_once": 1}]


def test_a_request_released_after_the_first_has_room_for_all_its_steps(tmp_path: Path) -> None:
    # q0 is released 5 days after q1 (time 0), planned first; its steps take 7 days: the horizon counts from q0.
    modules = [
        module("a0", "gelre", "a", lead_time=4, cost=10, uses={"crew": 1}),
        module("b0", "gelre", "b", lead_time=3, cost=2, uses={"crew": 1}),
        module("n0", "gelre", "n", lead_time=1, cost=1),
    ]
    requests = [
        request("q0", step("s0", "a"), step("s1", "b"), start="2027-01-07"),
        request("q1", step("s0", "n"), start="2027-01-02"),
    ]
    data = plan_dict(tmp_path, Doc(partners=P, modules=modules, requests=requests, resources=ONE_CREW))
    assert [p["status"] for p in data["plans"]] == ["optimal", "optimal"]
    assert plan_of(data, "q0")["finish"] == 7  # one crew: the two steps one after the other


def test_the_cheaper_module_that_must_wait_wins_on_cost_then_time(tmp_path: Path) -> None:
    # r1 holds both crews for days 0-10; r2's cheap module waits for them, so the plan finishes later but
    # costs less, and cost comes first ([cost, time]): waiting must not outweigh a unit of cost in the fold.
    modules = [
        module("hog", "gelre", "h", lead_time=10, cost=1, uses={"crew": 2}),
        module("a1", "gelre", "dig", lead_time=3, cost=10),
        module("b1", "other", "dig", lead_time=2, cost=5, uses={"crew": 1}),
    ]
    requests = [request("r1", step("h")), request("r2", step("dig"))]
    data = plan_dict(
        tmp_path, Doc(partners=P, modules=modules, requests=requests, resources=[{"id": "crew", "at_once": 2}])
    )
    assert spans(plan_of(data, "r2")) == {"dig": (10, 12, 10)}
    assert modules_of(plan_of(data, "r2")) == {"dig": "b1"}
    # Time first: the module that need not wait.
    requests[1]["optimize"] = ["time", "cost"]
    data = plan_dict(
        tmp_path, Doc(partners=P, modules=modules, requests=requests, resources=[{"id": "crew", "at_once": 2}])
    )
    assert modules_of(plan_of(data, "r2")) == {"dig": "a1"}


def joint_doc(**r3: Any) -> Doc:
    modules = [
        module("m1", "gelre", "dig", lead_time={"fixed": 2, "per_unit": 1}, cost=1,
               uses={"crews": {"fixed": 1, "per_unit": 1}}),
        module("m2", "gelre", "fill", lead_time=2, cost=1, uses={"crews": 2}),
    ]  # fmt: skip
    steps = (step("dig"), step("fill", after=["dig"]))
    requests = [
        request("r2", *steps, start="2027-01-05", quantity=3),
        request("r3", *steps, start="2027-01-07", deadline="2027-01-12", **r3),
    ]
    return Doc(partners=P, modules=modules, requests=requests, resources=crews())


@pytest.mark.parametrize("r3", [{"priority": 5}, {}])
def test_a_joint_run_plans_requests_released_on_different_days(tmp_path: Path, r3: dict[str, Any]) -> None:
    # Both fit: r3 (released day 2) digs and fills by its deadline, r2 digs with every crew after it.
    code, data = run_cli(tmp_path, joint_doc(**r3), "--joint")
    assert code == 0 and data is not None
    assert [p["status"] for p in data["plans"]] == ["optimal", "optimal"]
    assert spans(plan_of(data, "r3")) == {"dig": (0, 3, 0), "fill": (3, 5, 0)}
    assert spans(plan_of(data, "r2")) == {"dig": (7, 12, 7), "fill": (12, 14, 0)}
    assert [(o["criterion"], o["value"]) for o in data["objective"]][-2:] == [("cost", 4.0), ("time", 19)]


def test_the_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    network = doc(request("a", *STEPS), request("b", *STEPS), request("c", *STEPS))
    first = run_cli(tmp_path, network)[1]
    assert first == run_cli(tmp_path, network, name="again.yaml")[1]


def test_a_joint_run_with_resources_the_default_order_plans_whole(tmp_path: Path) -> None:
    # Every request fits in the default order: the joint search starts from it, its classes fixed as planned.
    code, data = run_cli(tmp_path, doc(request("a", *STEPS), request("b", *STEPS)), "--joint")
    assert code == 0 and data is not None
    assert [p["status"] for p in data["plans"]] == ["optimal", "optimal"]
    assert sorted(spans(p)["i"][0] for p in data["plans"]) == [2, 12]


def test_a_joint_run_plans_the_request_the_default_order_leaves_out_for_waiting(tmp_path: Path) -> None:
    # c's deadline needs the first crews; planned last it is left out, planned jointly it goes first.
    network = doc(request("a", *STEPS), request("b", *STEPS), request("c", *STEPS, deadline=12))
    _, default = run_cli(tmp_path, network)
    assert default is not None and plan_of(default, "c")["status"] == "infeasible"
    code, data = run_cli(tmp_path, network, "--joint", name="joint.yaml")
    assert code == 0 and data is not None
    assert spans(plan_of(data, "c"))["i"] == (2, 12, 0)
    assert data["objective"][0] == {"criterion": "planned", "priority": 0, "value": 3, "proven": True}


def test_a_joint_run_plans_a_step_of_no_length_on_a_resource_held_at_once(tmp_path: Path) -> None:
    # A step of duration 0 holds nothing (SPEC §6): it is planned jointly as in the default order.
    network = doc(request("a", step("i", "install")), modules=[install(lead=0)])
    code, default = run_cli(tmp_path, network)
    assert code == 0 and default is not None
    code, data = run_cli(tmp_path, network, "--joint", name="joint.yaml")
    assert code == 0 and data is not None
    assert [p["status"] for p in data["plans"]] == ["optimal"]
    assert spans(plan_of(data, "a")) == spans(plan_of(default, "a"))


def test_the_same_committed_plan_given_twice_is_refused(tmp_path: Path, capsys: Any) -> None:
    # Found by QA: its work was held twice (a peak of 6 crews of 4, capacity counted twice).
    network = doc(request("a", *STEPS), request("b", *STEPS))
    _, first = run_cli(tmp_path, network, "--request", "a")
    committed = tmp_path / "committed.json"
    committed.write_text(json.dumps(first), encoding="utf-8")
    path = tmp_path / "network.yaml"
    assert main(["plan", str(path), "--committed", str(committed), "--committed", str(committed)]) == 2
    err = capsys.readouterr().err
    assert f"{committed}:1:" in err and "request 'a' is committed twice: also in" in err


def test_lead_times_of_a_trillion_days_on_a_resource_plan_at_once(tmp_path: Path) -> None:
    # Found by QA: making the plan semi-active tried every day before each step's start (minutes for 1e6 days,
    # hours for 1e12); only the times a resource is freed can be a step's earliest start.
    network = doc(request("a", step("x", "install"), step("y", "install"), step("z", "install")))
    network.modules = [install(crew=4, lead=10**12)]
    code, data = run_cli(tmp_path, network, "--time-limit", "5")
    assert code == 0 and data is not None
    assert sorted(start for start, _, _ in spans(plan_of(data, "a")).values()) == [0, 10**12, 2 * 10**12]


def test_times_beyond_what_the_engine_counts_are_an_unknown_plan_not_a_crash(tmp_path: Path) -> None:
    # Found by QA: 2e19 days overflowed CP-SAT's 64-bit domain (exit 3); now the engine's magnitude reason.
    network = doc(request("a", step("x", "install"), step("y", "install"), quantity=10**7), resources=crews(1))
    network.modules = [install(crew=1, lead={"per_unit": 10**12})]
    code, data = run_cli(tmp_path, network, "--time-limit", "5")
    assert code == 1 and data is not None
    plan = plan_of(data, "a")
    assert plan["status"] == "unknown"
    assert [detail["rule"] for detail in plan["reason_details"]] == ["engine"]


def test_a_step_short_of_a_total_is_quantified_as_the_total_that_lets_it_through(tmp_path: Path) -> None:
    # Found by QA: when the total left rejected a step's every module, the reason only counted modules.
    stock = [{"id": "stock", "total": 10}]
    pumps = module("m1", "gelre", "a", lead_time=1, cost=1, uses={"stock": {"per_unit": 1}})
    network = Doc(
        partners=P,
        modules=[pumps],
        requests=[request("first", step("a"), quantity=6), request("second", step("a"), quantity=6)],
        resources=stock,
    )
    code, data = run_cli(tmp_path, network)
    assert code == 1 and data is not None
    details = plan_of(data, "second")["reason_details"]
    assert [detail["rule"] for detail in details] == ["candidates", "resource_total"]
    assert {key: details[1][key] for key in ("resource", "needed", "left", "capacity", "enough")} == {
        "resource": "stock",
        "needed": 6,
        "left": 4,
        "capacity": 10,
        "enough": 12,
    }
    assert details[1]["text"].endswith("with a total of 12 the request can be planned")
    # Where the total is enough, no such reason: both are planned.
    network.resources = [{"id": "stock", "total": 12}]
    code, data = run_cli(tmp_path, network, name="enough.yaml")
    assert code == 0


def test_a_total_is_quantified_only_where_it_alone_empties_a_step(tmp_path: Path) -> None:
    # Found on reading the change back: with a module left for the step (m2), the plan is optimal and says
    # nothing of the total; with another step empty for another reason (a region), no total is quantified.
    m1 = module("m1", "gelre", "a", lead_time=1, cost=1, uses={"stock": {"per_unit": 1}}, regions=["NL"])
    m2 = module("m2", "gelre", "a", lead_time=1, cost=5, regions=["NL"])
    m3 = module("m3", "gelre", "b", lead_time=1, cost=1, regions=["DE"])
    requests = [request("first", step("a"), quantity=6), request("second", step("a"), quantity=6, region="NL")]
    network = Doc(partners=P, modules=[m1, m2, m3], requests=requests, resources=[{"id": "stock", "total": 10}])
    code, data = run_cli(tmp_path, network)
    assert code == 0 and data is not None
    assert plan_of(data, "second")["reasons"] == []
    network.requests[1]["steps"].append(step("b"))
    code, data = run_cli(tmp_path, network, name="region.yaml")
    assert code == 1 and data is not None
    assert [detail["rule"] for detail in plan_of(data, "second")["reason_details"]] == ["candidates"]
