"""Resources over time (SPEC §6) against an exhaustive search of modules and start times, on small networks."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from support.build import Doc, plan_dict
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
