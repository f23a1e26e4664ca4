"""The planner against an exhaustive search written from SPEC §2 alone, on small random networks.

The reference (support.reference) enumerates every assignment of modules to steps and applies each
rule as the SPEC words it. Plans are compared by their objective values, so ties may be broken
differently; the reference then continues from the plan sbn actually chose.
"""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from support.build import Doc, plan_dict
from support.reference import CONFLICT_RULES, Measured, Reference, objective, planning_order
from support.strategies import examples, networks

# -- comparing -------------------------------------------------------------------------------


def check_output(ref: Reference, request: dict[str, Any], entry: dict[str, Any], plan: Measured) -> None:
    """The JSON plan says what the reference measures for the same modules."""
    steps = request["steps"]
    index = {s["id"]: i for i, s in enumerate(steps)}
    assert [a["step"] for a in entry["assignments"]] == [s["id"] for s in steps]
    for i, (step, out) in enumerate(zip(steps, entry["assignments"], strict=True)):
        module = ref.modules[plan.picks[i]]
        assert out["capability"] == step["capability"]
        assert out["partner"] == module["partner"]
        assert Decimal(str(out["quantity"])) == ref.quantity(request, step)
        assert (out["start"], out["finish"]) == (plan.starts[i], plan.finishes[i])
        assert round(out["cost"] * 100) == plan.costs[i]
        handoffs = []
        for before in step.get("after", []):
            shared = sorted(
                set(module.get("inputs", [])) & set(ref.modules[plan.picks[index[before]]].get("outputs", []))
            )
            handoffs.append({"from": before, "interface": shared[0] if module.get("inputs") else None})
        assert out["handoffs"] == handoffs
    assert round(entry["cost"] * 100) == plan.cost
    assert entry["finish"] == plan.finish
    assert entry["partners"] == sorted(plan.partners)


STEP_REASON = re.compile(
    r"step (\S+) \((\S+)\): (?:0 of (\d+) modules? fit: (.*)|no module in the network offers this capability)"
)


def check_reasons(ref: Reference, request: dict[str, Any], reasons: list[str]) -> None:
    """Reasons a person can act on: empty steps counted, or an irreducible set of conflicting rules."""
    assert reasons
    empty = [s for s, options in zip(request["steps"], ref.candidates(request), strict=True) if not options]
    if empty:
        assert len(reasons) == len(empty)
        for step, reason in zip(empty, reasons, strict=True):
            match = STEP_REASON.fullmatch(reason)
            assert match, reason
            assert match.group(1) == step["id"]
            offered = sum(1 for m in ref.modules.values() if m["capability"] == step["capability"])
            if match.group(3) is None:
                assert offered == 0
            else:
                assert int(match.group(3)) == offered
                counts = re.split(r", (?=\d+ )", match.group(4))
                assert sum(int(part.split(" ")[0]) for part in counts) == offered
        return
    head = reasons[0]
    if head.startswith("these rules cannot all be met together: "):
        conflict = set(head.split(": ", 1)[1].split(", "))
    elif head.startswith("no module for step "):
        conflict = {"plug_compatibility"}
    else:
        conflict = {head.split(":", 1)[0]}
    assert conflict <= set(CONFLICT_RULES), reasons
    others = set(CONFLICT_RULES) - conflict
    # The rules named conflict on their own, and each of them is needed for the conflict.
    assert not ref.plans(request, ignoring=others), reasons
    for rule in conflict:
        assert ref.plans(request, ignoring=others | {rule}), (rule, reasons)
    # And no fewer rules conflict on their own.
    for size in range(1, len(conflict)):
        for rules in itertools.combinations(CONFLICT_RULES, size):
            assert ref.plans(request, ignoring=set(CONFLICT_RULES) - set(rules)), (rules, reasons)
    for reason in reasons:
        if "meeting everything else" not in reason:
            continue
        rule = reason.split(":", 1)[0]
        relaxed = ref.plans(request, ignoring={rule})
        if rule == "budget":
            best = min(p.cost for p in relaxed)
            assert f"costs {best // 100:,}.{best % 100:02d}" in reason, reason
        elif rule == "deadline":
            assert f"is day {min(p.finish for p in relaxed)};" in reason, reason
        elif rule == "max_partners":
            assert f"is {min(len(p.partners) for p in relaxed)};" in reason, reason


def check_run(doc: Doc, data: dict[str, Any]) -> None:
    ref = Reference(doc)
    by_id = {p["request"]: p for p in data["plans"]}
    assert list(by_id) == [r["id"] for r in doc.requests]
    for i in planning_order(doc):
        request = doc.requests[i]
        entry = by_id[request["id"]]
        feasible = ref.plans(request)
        if not feasible:
            assert entry["status"] == "infeasible", (request["id"], entry)
            check_reasons(ref, request, entry["reasons"])
            continue
        assert entry["status"] == "optimal", (request["id"], entry["reasons"])
        picks = tuple(a["module"] for a in entry["assignments"])
        chosen = ref.measure(request, picks)
        assert all(ref.fits(request, s, ref.modules[m]) for s, m in zip(request["steps"], picks, strict=True))
        assert not ref.broken(request, chosen), (request["id"], ref.broken(request, chosen))
        best = min(objective(request, plan) for plan in feasible)
        assert objective(request, chosen) == best, (request["id"], picks, objective(request, chosen), best)
        check_output(ref, request, entry, chosen)
        ref.take(request, picks)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_planner_matches_exhaustive_search(doc: Doc) -> None:
    with tempfile.TemporaryDirectory() as directory:
        data = plan_dict(Path(directory), doc)
    check_run(doc, data)
    # And the same input gives the same plans.
    with tempfile.TemporaryDirectory() as directory:
        assert json.dumps(plan_dict(Path(directory), doc)) == json.dumps(data)


def test_reference_agrees_on_a_hand_made_instance(tmp_path: Path) -> None:
    """The reference itself, on a case worked out by hand: cheapest pluggable pair within the deadline."""
    doc = Doc(
        partners=[{"id": "p0"}, {"id": "p1"}],
        modules=[
            {"id": "m0", "partner": "p0", "capability": "a", "outputs": ["x"], "cost": 1, "lead_time": 5},
            {"id": "m1", "partner": "p1", "capability": "a", "outputs": ["y"], "cost": 3, "lead_time": 1},
            {"id": "m2", "partner": "p0", "capability": "b", "inputs": ["y"], "cost": 2, "lead_time": 1},
        ],
        requests=[
            {
                "id": "r0",
                "deadline": 3,
                "steps": [{"id": "s0", "capability": "a"}, {"id": "s1", "capability": "b", "after": ["s0"]}],
            }
        ],
    )
    ref = Reference(doc)
    (plan,) = ref.plans(doc.requests[0])
    assert plan.picks == ("m1", "m2") and plan.cost == 500 and plan.finish == 2
    check_run(doc, plan_dict(tmp_path, doc))
