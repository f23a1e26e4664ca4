"""The planner against an exhaustive search written from SPEC §2 alone, on small random networks.

The reference below enumerates every assignment of modules to steps, applies each rule as the
SPEC words it (it shares no code with sbn), and plans requests by priority, then file order, on
the capacity the earlier plans left. Plans are compared by their objective values, so ties may
be broken differently; the reference then continues from the plan sbn actually chose.
"""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planning_helpers import Doc, Number, plan_dict

CAPABILITIES = ("a", "b", "c")
INTERFACES = ("x", "y", "z")
REGIONS = ("NL", "DE")
CERTS = ("iso", "vca")
CRITERIA = ("cost", "time", "partners", "reputation", "preferred")
CONFLICT_RULES = (
    "plug_compatibility",
    "deadline",
    "budget",
    "max_partners",
    "avoid",
    "module_capacity",
    "partner_capacity",
)


# -- random instances ------------------------------------------------------------------------


def maybe(draw: st.DrawFn, strategy: st.SearchStrategy[Any], chance: float = 0.5) -> Any:
    """`strategy`'s value with about the given chance, else None (field left out)."""
    return draw(strategy) if draw(st.integers(0, 99)) < chance * 100 else None


def subset(draw: st.DrawFn, items: Iterable[Any], max_size: int | None = None) -> list[Any]:
    pool = list(items)
    chosen = draw(st.lists(st.sampled_from(pool), unique=True, max_size=max_size)) if pool else []
    return sorted(chosen, key=pool.index)


def numbers(*values: str) -> st.SearchStrategy[Number]:
    return st.sampled_from([Number(v) for v in values])


def compact(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None and value != []}


@st.composite
def networks(draw: st.DrawFn) -> Doc:
    partner_ids = [f"p{i}" for i in range(draw(st.integers(2, 4)))]
    partners = []
    for pid in partner_ids:
        min_order = maybe(draw, numbers("0", "3", "8.5", "20"), 0.15)
        avoid = subset(draw, [p for p in partner_ids if p != pid], 1) if draw(st.integers(0, 3)) == 0 else []
        interests = compact(min_order_value=min_order, avoid=avoid)
        partners.append(
            compact(
                id=pid,
                region=maybe(draw, st.sampled_from(REGIONS), 0.6),
                certifications=subset(draw, CERTS, 1) if draw(st.booleans()) else [],
                reputation=maybe(draw, numbers("0.2", "0.45", "0.5", "0.8", "1"), 0.7),
                capacity=maybe(draw, numbers("2", "4", "6.5", "10"), 0.3),
                interests=interests or None,
            )
        )
    module_count = draw(st.integers(3, 8))
    capabilities = CAPABILITIES[: draw(st.integers(2, 3))]
    modules = []
    for i in range(module_count):
        # Every capability offered at least once when there are enough modules.
        capability = capabilities[i] if i < len(capabilities) else draw(st.sampled_from(capabilities))
        cost: Any = {
            "fixed": draw(numbers("0", "1", "2.5", "7.25", "10", "0.005")),
            "per_unit": draw(numbers("0", "0.1", "0.25", "1", "3.333", "0.0025")),
        }
        lead: Any = {
            "fixed": draw(numbers("0", "1", "2", "3", "5")),
            "per_unit": draw(numbers("0", "0.05", "0.5", "1", "0.3")),
        }
        if draw(st.booleans()):
            cost = cost["fixed"]
        if draw(st.booleans()):
            lead = lead["fixed"]
        regions = draw(st.sampled_from([None, None, ["*"], ["NL"], ["DE", "NL"], ["DE"]]))
        modules.append(
            compact(
                id=f"m{i}",
                partner=draw(st.sampled_from(partner_ids)),
                capability=capability,
                inputs=subset(draw, INTERFACES, 2) if draw(st.integers(0, 2)) == 0 else [],
                outputs=subset(draw, INTERFACES, 2),
                cost=cost,
                lead_time=lead,
                capacity=maybe(draw, numbers("2", "3.5", "6", "9"), 0.3),
                usage=maybe(draw, numbers("0", "0.5", "1", "2"), 0.3),
                regions=regions,
                certifications=subset(draw, CERTS, 1) if draw(st.integers(0, 2)) == 0 else [],
            )
        )
    requests = []
    for r in range(draw(st.integers(1, 2))):
        count = draw(st.integers(2, 4))
        steps = []
        for s in range(count):
            before = subset(draw, [f"s{j}" for j in range(s)], 2)
            steps.append(
                compact(
                    id=f"s{s}",
                    capability=draw(st.sampled_from(capabilities)),
                    after=before,
                    quantity=maybe(draw, numbers("1", "2", "3"), 0.2),
                    certifications=subset(draw, CERTS, 1) if draw(st.integers(0, 11)) == 0 else [],
                    partner=maybe(draw, st.sampled_from(partner_ids), 0.05),
                )
            )
        order = draw(st.permutations(range(count)))
        optimize = maybe(draw, st.lists(st.sampled_from(CRITERIA), min_size=1, max_size=3, unique=True), 0.8)
        requests.append(
            compact(
                id=f"r{r}",
                region=maybe(draw, st.sampled_from(REGIONS), 0.15),
                quantity=maybe(draw, numbers("1", "2", "2.5", "4"), 0.6),
                deadline=maybe(draw, numbers("0", "3", "6", "7.5", "10", "15"), 0.4),
                budget=maybe(draw, numbers("5", "12.5", "20", "40", "100"), 0.4),
                certifications=subset(draw, CERTS, 1) if draw(st.integers(0, 9)) == 0 else [],
                min_reputation=maybe(draw, numbers("0.3", "0.5", "0.8"), 0.1),
                exclude=subset(draw, partner_ids, 1) if draw(st.integers(0, 4)) == 0 else [],
                prefer=subset(draw, partner_ids, 2) if draw(st.booleans()) else [],
                max_partners=maybe(draw, st.integers(1, 3), 0.3),
                optimize=optimize,
                priority=maybe(draw, st.integers(0, 2), 0.4),
                steps=[steps[i] for i in order],
            )
        )
    return Doc(partners=partners, modules=modules, requests=requests)


# -- the reference: SPEC §2, by exhaustion ---------------------------------------------------


def dec(value: Any, default: str = "0") -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(default)


def linear(value: Any, quantity: Decimal) -> Decimal:
    if isinstance(value, dict):
        return dec(value.get("fixed")) + dec(value.get("per_unit")) * quantity
    return dec(value)


@dataclass(frozen=True)
class Measured:
    """A complete assignment of one request, measured as SPEC §2 defines it."""

    picks: tuple[str, ...]  # module id per step, in the request's step order
    cost: int  # cents
    costs: tuple[int, ...]
    starts: tuple[int, ...]
    finishes: tuple[int, ...]
    finish: int
    partners: frozenset[str]
    reputation: Decimal
    preferred: int


class Reference:
    def __init__(self, doc: Doc, without: Iterable[str] = ()) -> None:
        self.without = set(without)
        self.partners = {p["id"]: p for p in doc.partners}
        self.modules = {m["id"]: m for m in doc.modules}
        self.requests = list(doc.requests)
        self.module_used: dict[str, Decimal] = {}
        self.partner_used: dict[str, Decimal] = {}

    # one module, one step

    def quantity(self, request: dict[str, Any], step: dict[str, Any]) -> Decimal:
        return dec(step.get("quantity", request.get("quantity")), "1")

    def cost_cents(self, module: dict[str, Any], quantity: Decimal) -> int:
        amount = linear(module.get("cost"), quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return int(amount * 100)

    def duration(self, module: dict[str, Any], quantity: Decimal) -> int:
        return int(linear(module.get("lead_time"), quantity).to_integral_value(rounding=ROUND_CEILING))

    def fits(self, request: dict[str, Any], step: dict[str, Any], module: dict[str, Any]) -> bool:
        """Every rule of SPEC §2 about one module alone (capacity is checked on the whole plan)."""
        partner = self.partners[module["partner"]]
        if module["capability"] != step["capability"] or partner["id"] in self.without:
            return False
        region = request.get("region")
        if region is not None:
            served = module.get("regions")
            if served is None:
                served = [partner["region"]] if partner.get("region") is not None else []
            if region not in served and "*" not in served:
                return False
        held = set(partner.get("certifications", [])) | set(module.get("certifications", []))
        if not set(request.get("certifications", [])) | set(step.get("certifications", [])) <= held:
            return False
        if request.get("min_reputation") is not None and dec(partner.get("reputation"), "0.5") < dec(
            request["min_reputation"]
        ):
            return False
        if partner["id"] in request.get("exclude", []):
            return False
        if step.get("partner") is not None and step["partner"] != partner["id"]:
            return False
        quantity = self.quantity(request, step)
        minimum = partner.get("interests", {}).get("min_order_value")
        if minimum is not None and Decimal(self.cost_cents(module, quantity)) / 100 < dec(minimum):
            return False
        # Capacity is a rule of the whole run, but a module that cannot take even this one step is no candidate.
        if module.get("capacity") is not None and self.module_used.get(module["id"], 0) + quantity > dec(
            module["capacity"]
        ):
            return False
        used = self.partner_used.get(partner["id"], 0) + quantity * dec(module.get("usage"), "1")
        return partner.get("capacity") is None or used <= dec(partner["capacity"])

    # a whole plan

    def measure(self, request: dict[str, Any], picks: tuple[str, ...]) -> Measured:
        steps = request["steps"]
        index = {s["id"]: i for i, s in enumerate(steps)}
        quantities = [self.quantity(request, s) for s in steps]
        durations = [self.duration(self.modules[m], q) for m, q in zip(picks, quantities, strict=True)]
        finishes: list[int | None] = [None] * len(steps)

        def finish_of(i: int) -> int:
            if finishes[i] is None:
                finishes[i] = max((finish_of(index[b]) for b in steps[i].get("after", [])), default=0) + durations[i]
            return finishes[i]  # type: ignore[return-value]

        ends = tuple(finish_of(i) for i in range(len(steps)))
        starts = tuple(end - duration for end, duration in zip(ends, durations, strict=True))
        costs = tuple(self.cost_cents(self.modules[m], q) for m, q in zip(picks, quantities, strict=True))
        partners = [self.modules[m]["partner"] for m in picks]
        prefer = set(request.get("prefer", []))
        return Measured(
            picks=picks,
            cost=sum(costs),
            costs=costs,
            starts=starts,
            finishes=ends,
            finish=max(ends, default=0),
            partners=frozenset(partners),
            reputation=sum((dec(self.partners[p].get("reputation"), "0.5") for p in partners), Decimal(0)),
            preferred=sum(1 for p in partners if p in prefer),
        )

    def broken(self, request: dict[str, Any], plan: Measured) -> set[str]:
        """The rules of SPEC §2 tying steps together that the plan breaks."""
        steps = request["steps"]
        index = {s["id"]: i for i, s in enumerate(steps)}
        modules = [self.modules[m] for m in plan.picks]
        broken = set()
        for b, step in enumerate(steps):
            for before in step.get("after", []):
                inputs = modules[b].get("inputs", [])
                if inputs and not set(inputs) & set(modules[index[before]].get("outputs", [])):
                    broken.add("plug_compatibility")
        deadline = request.get("deadline")
        if deadline is not None and plan.finish > dec(deadline):
            broken.add("deadline")
        if request.get("budget") is not None and Decimal(plan.cost) / 100 > dec(request["budget"]):
            broken.add("budget")
        if request.get("max_partners") is not None and len(plan.partners) > request["max_partners"]:
            broken.add("max_partners")
        for first, second in itertools.permutations(plan.partners, 2):
            if second in self.partners[first].get("interests", {}).get("avoid", []):
                broken.add("avoid")
        module_use: dict[str, Decimal] = dict(self.module_used)
        partner_use: dict[str, Decimal] = dict(self.partner_used)
        for step, module in zip(steps, modules, strict=True):
            quantity = self.quantity(request, step)
            module_use[module["id"]] = module_use.get(module["id"], Decimal(0)) + quantity
            usage = dec(module.get("usage"), "1")
            partner_use[module["partner"]] = partner_use.get(module["partner"], Decimal(0)) + quantity * usage
        for module_id, used in module_use.items():
            capacity = self.modules[module_id].get("capacity")
            if capacity is not None and used > dec(capacity):
                broken.add("module_capacity")
        for partner_id, used in partner_use.items():
            capacity = self.partners[partner_id].get("capacity")
            if capacity is not None and used > dec(capacity):
                broken.add("partner_capacity")
        return broken

    def candidates(self, request: dict[str, Any]) -> list[list[str]]:
        return [
            [m for m in sorted(self.modules) if self.fits(request, step, self.modules[m])] for step in request["steps"]
        ]

    def plans(self, request: dict[str, Any], ignoring: Iterable[str] = ()) -> list[Measured]:
        """Every assignment meeting every rule, except those ignored."""
        ignored = set(ignoring)
        found = []
        for picks in itertools.product(*self.candidates(request)):
            plan = self.measure(request, picks)
            if not self.broken(request, plan) - ignored:
                found.append(plan)
        return found

    def take(self, request: dict[str, Any], picks: tuple[str, ...]) -> None:
        for step, module_id in zip(request["steps"], picks, strict=True):
            module = self.modules[module_id]
            quantity = self.quantity(request, step)
            self.module_used[module_id] = self.module_used.get(module_id, Decimal(0)) + quantity
            usage = quantity * dec(module.get("usage"), "1")
            self.partner_used[module["partner"]] = self.partner_used.get(module["partner"], Decimal(0)) + usage


def objective(request: dict[str, Any], plan: Measured) -> tuple[Any, ...]:
    values = {
        "cost": plan.cost,
        "time": plan.finish,
        "partners": len(plan.partners),
        "reputation": -plan.reputation,
        "preferred": -plan.preferred,
    }
    return tuple(values[c] for c in request.get("optimize", ["cost", "time"]))


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
    r"step (\S+) \((\S+)\): (?:0 of (\d+) modules fit: (.*)|no module in the network offers this capability)"
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


def planning_order(doc: Doc) -> list[int]:
    """SPEC §2: requests are planned by priority (high first), then file order."""
    return sorted(range(len(doc.requests)), key=lambda i: (-doc.requests[i].get("priority", 0), i))


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


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
