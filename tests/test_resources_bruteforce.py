"""Resources over time (SPEC §6) against an exhaustive search of modules and start times, on small networks."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from support.build import Doc, plan_dict, run_cli
from support.reference import TimedReference, objective, planning_order
from support.strategies import examples, timed_networks


def check(doc: Doc, data: dict[str, Any]) -> None:
    ref = TimedReference(doc)
    by_id = {p["request"]: p for p in data["plans"]}
    for i in planning_order(doc):
        request = doc.requests[i]
        entry = by_id[request["id"]]
        feasible = ref.plans(request)
        if not feasible:
            assert entry["status"] == "infeasible", (request["id"], entry)
            assert entry["reasons"]
            continue
        assert entry["status"] == "optimal", (request["id"], entry["reasons"])
        picks = tuple(a["module"] for a in entry["assignments"])
        starts = tuple(a["start"] for a in entry["assignments"])
        plan = ref.measure_at(request, picks, starts)
        assert not ref.broken(request, plan), (request["id"], ref.broken(request, plan), starts)
        best = min(objective(request, p) for p in feasible)
        assert objective(request, plan) == best, (request["id"], picks, starts, objective(request, plan), best)
        # Waits as SPEC §6 defines them, and a semi-active schedule: no step can start a unit earlier.
        index = {s["id"]: j for j, s in enumerate(request["steps"])}
        for j, (step, out) in enumerate(zip(request["steps"], entry["assignments"], strict=True)):
            ready = max((plan.finishes[index[b]] for b in step.get("after", [])), default=0)
            assert out["wait"] == plan.starts[j] - ready
            if plan.starts[j] > ready:
                earlier = ref.measure_at(request, picks, tuple(s - (k == j) for k, s in enumerate(plan.starts)))
                assert ref.broken(request, earlier), (request["id"], step["id"], "could start earlier")
        ref.take_at(request, picks, starts)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timed_networks())
def test_planner_with_resources_matches_exhaustive_search(doc: Doc) -> None:
    with tempfile.TemporaryDirectory() as directory:
        data = plan_dict(Path(directory), doc)
    check(doc, data)


def _run_key(doc: Doc, data: dict[str, Any]) -> tuple[Any, ...]:
    """SPEC §7's objective of a run's plans, to be minimised: minus the requests planned per priority class
    (highest first), then the cost and the finishes summed over the planned requests."""
    plans = {p["request"]: p for p in data["plans"]}
    planned = [(r, plans[r["id"]]) for r in doc.requests if plans[r["id"]]["assignments"]]
    classes = sorted({r.get("priority", 0) for r in doc.requests}, reverse=True)
    counts = [-sum(1 for r, _ in planned if r.get("priority", 0) == c) for c in classes]
    cost = sum((Decimal(str(p["cost"])) for _, p in planned), Decimal(0))
    return (*counts, cost, sum(p["finish"] for _, p in planned))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timed_networks())
def test_a_joint_run_with_resources_meets_every_rule_and_never_does_worse_than_the_default_order(doc: Doc) -> None:
    assume(len(doc.requests) >= 2)
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        _, default = run_cli(directory, doc)
        _, joint = run_cli(directory, doc, "--joint", name="joint.yaml")
    assert default is not None and joint is not None
    # Every plan of the joint run meets every rule, the resources held at once and in total by all of them.
    ref = TimedReference(doc)
    by_id = {p["request"]: p for p in joint["plans"]}
    for i in planning_order(doc):
        request = doc.requests[i]
        entry = by_id[request["id"]]
        if not entry["assignments"]:
            continue
        picks = tuple(a["module"] for a in entry["assignments"])
        starts = tuple(a["start"] for a in entry["assignments"])
        plan = ref.measure_at(request, picks, starts)
        assert not ref.broken(request, plan), (request["id"], ref.broken(request, plan), starts)
        assert entry["finish"] == plan.finish
        ref.take_at(request, picks, starts)
    # The default order's plans are one solution of the joint model: a proven joint optimum is never worse.
    if all(stage["proven"] for stage in joint["objective"]):
        assert _run_key(doc, joint) <= _run_key(doc, default)
