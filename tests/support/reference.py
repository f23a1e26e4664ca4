"""The planner's exhaustive reference, written from SPEC §2 alone (it shares no code with sbn).

It enumerates every assignment of modules to steps, applies each rule as the SPEC words it, and
plans requests by priority, then file order, on the capacity the earlier plans left.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from support.build import Doc

CONFLICT_RULES = (
    "plug_compatibility",
    "deadline",
    "budget",
    "max_partners",
    "avoid",
    "module_capacity",
    "partner_capacity",
)


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


def planning_order(doc: Doc) -> list[int]:
    """SPEC §2: requests are planned by priority (high first), then file order."""
    return sorted(range(len(doc.requests)), key=lambda i: (-doc.requests[i].get("priority", 0), i))


def run_fits(ref: Reference, requests: list[dict[str, Any]], plans: list[Measured | None]) -> bool:
    """Whether plans of several requests (None: not planned) fit every module's and partner's capacity together."""
    module_use: dict[str, Decimal] = {}
    partner_use: dict[str, Decimal] = {}
    for request, plan in zip(requests, plans, strict=True):
        if plan is None:
            continue
        for step, module_id in zip(request["steps"], plan.picks, strict=True):
            module = ref.modules[module_id]
            quantity = ref.quantity(request, step)
            module_use[module_id] = module_use.get(module_id, Decimal(0)) + quantity
            usage = quantity * dec(module.get("usage"), "1")
            partner_use[module["partner"]] = partner_use.get(module["partner"], Decimal(0)) + usage
    for module_id, used in module_use.items():
        capacity = ref.modules[module_id].get("capacity")
        if capacity is not None and used > dec(capacity):
            return False
    for partner_id, used in partner_use.items():
        capacity = ref.partners[partner_id].get("capacity")
        if capacity is not None and used > dec(capacity):
            return False
    return True


def joint_objective(
    requests: list[dict[str, Any]], plans: list[Measured | None], criteria: Iterable[str]
) -> tuple[Any, ...]:
    """SPEC §7, to be minimised: minus the requests planned per priority class (highest first), then each
    criterion summed over the planned requests."""
    priorities = sorted({r.get("priority", 0) for r in requests}, reverse=True)
    planned = [(r, p) for r, p in zip(requests, plans, strict=True) if p is not None]
    key: list[Any] = [-sum(1 for r, _ in planned if r.get("priority", 0) == priority) for priority in priorities]
    for criterion in criteria:
        if criterion == "cost":
            key.append(sum(p.cost for _, p in planned))
        elif criterion == "time":
            key.append(sum(p.finish for _, p in planned))
        elif criterion == "partners":
            key.append(sum(len(p.partners) for _, p in planned))
        elif criterion == "reputation":
            key.append(-sum((p.reputation for _, p in planned), Decimal(0)))
        elif criterion == "preferred":
            key.append(-sum(p.preferred for _, p in planned))
    return tuple(key)


def joint_best(doc: Doc, criteria: Iterable[str], without: Iterable[str] = ()) -> tuple[Any, ...]:
    """The best joint objective over every combination of plans (or none) for the requests of the run."""
    ref = Reference(doc, without)
    criteria = list(criteria)
    options: list[list[Measured | None]] = [[None, *ref.plans(request)] for request in doc.requests]
    requests = list(doc.requests)
    return min(
        joint_objective(requests, list(combo), criteria)
        for combo in itertools.product(*options)
        if run_fits(ref, requests, list(combo))
    )


class TimedReference(Reference):
    """The reference with SPEC §6: resources held at once over one timeline, and in total over the run.

    For each combination of modules it searches every start time (small instances only) for the
    earliest finish the resources allow: no other criterion depends on when steps start.
    """

    def __init__(self, doc: Doc, without: Iterable[str] = ()) -> None:
        super().__init__(doc, without)
        self.resources = {r["id"]: r for r in doc.resources}
        self.holds: dict[str, list[tuple[int, int, Decimal]]] = {}
        self.total_used: dict[str, Decimal] = {}
        days = [date.fromisoformat(str(r["start"])) for r in doc.requests if r.get("start")]
        self.origin = min(days) if days else None

    def release(self, request: dict[str, Any]) -> int:
        start = request.get("start")
        return 0 if start is None or self.origin is None else (date.fromisoformat(str(start)) - self.origin).days

    def amount(self, module: dict[str, Any], resource: str, quantity: Decimal) -> Decimal:
        uses = module.get("uses") or {}
        return linear(uses[resource], quantity) if resource in uses else Decimal(0)

    def at_once(self) -> list[str]:
        return [r for r, data in self.resources.items() if data.get("at_once") is not None]

    def fits(self, request: dict[str, Any], step: dict[str, Any], module: dict[str, Any]) -> bool:
        quantity = self.quantity(request, step)
        for resource in self.at_once():
            if self.amount(module, resource, quantity) > dec(self.resources[resource]["at_once"]):
                return False
        return super().fits(request, step, module)

    def measure_at(self, request: dict[str, Any], picks: tuple[str, ...], starts: tuple[int, ...]) -> Measured:
        plan = self.measure(request, picks)
        durations = [f - s for s, f in zip(plan.starts, plan.finishes, strict=True)]
        finishes = tuple(start + duration for start, duration in zip(starts, durations, strict=True))
        return replace(plan, starts=tuple(starts), finishes=finishes, finish=max(finishes, default=0))

    def broken(self, request: dict[str, Any], plan: Measured) -> set[str]:
        broken = super().broken(request, plan)
        steps = request["steps"]
        index = {s["id"]: i for i, s in enumerate(steps)}
        for i, step in enumerate(steps):
            if plan.starts[i] < max((plan.finishes[index[b]] for b in step.get("after", [])), default=0):
                broken.add("schedule")
        quantities = [self.quantity(request, s) for s in steps]
        for resource, data in self.resources.items():
            amounts = [self.amount(self.modules[m], resource, q) for m, q in zip(plan.picks, quantities, strict=True)]
            if data.get("total") is not None:
                if self.total_used.get(resource, Decimal(0)) + sum(amounts) > dec(data["total"]):
                    broken.add("resource_total")
                continue
            release = self.release(request)
            periods = list(self.holds.get(resource, []))
            periods += [
                (release + s, release + f, a)
                for s, f, a in zip(plan.starts, plan.finishes, amounts, strict=True)
                if a and f > s
            ]
            if _peak(periods) > dec(data["at_once"]):
                broken.add("resource_at_once")
        return broken

    def earliest_feasible(
        self, request: dict[str, Any], picks: tuple[str, ...], ignoring: Iterable[str] = ()
    ) -> Measured | None:
        """The plan of these modules with the earliest finish the resources allow, None when none meets the rules."""
        ignored = set(ignoring)
        plan = self.measure(request, picks)
        if not self.broken(request, plan) - ignored:
            return plan  # the earliest schedule itself: nothing finishes earlier
        steps = request["steps"]
        index = {s["id"]: i for i, s in enumerate(steps)}
        durations = [f - s for s, f in zip(plan.starts, plan.finishes, strict=True)]
        horizon = max([end for periods in self.holds.values() for _, end, _ in periods] + [0]) + sum(durations)
        order = _topological(steps)
        best: Measured | None = None
        starts = [0] * len(steps)

        def place(position: int) -> None:
            nonlocal best
            if position == len(order):
                trial = self.measure_at(request, picks, tuple(starts))
                if (best is None or trial.finish < best.finish) and not self.broken(request, trial) - ignored:
                    best = trial
                return
            i = order[position]
            lower = max((starts[index[b]] + durations[index[b]] for b in steps[i].get("after", [])), default=0)
            for start in range(lower, horizon + 1):
                if best is not None and start + durations[i] >= best.finish:
                    break
                starts[i] = start
                place(position + 1)

        place(0)
        return best

    def plans(self, request: dict[str, Any], ignoring: Iterable[str] = ()) -> list[Measured]:
        found = []
        for picks in itertools.product(*self.candidates(request)):
            plan = self.earliest_feasible(request, picks, ignoring)
            if plan is not None:
                found.append(plan)
        return found

    def take_at(self, request: dict[str, Any], picks: tuple[str, ...], starts: tuple[int, ...]) -> None:
        self.take(request, picks)
        plan = self.measure_at(request, picks, starts)
        quantities = [self.quantity(request, s) for s in request["steps"]]
        release = self.release(request)
        for resource, data in self.resources.items():
            amounts = [self.amount(self.modules[m], resource, q) for m, q in zip(picks, quantities, strict=True)]
            if data.get("total") is not None:
                self.total_used[resource] = self.total_used.get(resource, Decimal(0)) + sum(amounts)
                continue
            for s, f, a in zip(plan.starts, plan.finishes, amounts, strict=True):
                if a and f > s:
                    self.holds.setdefault(resource, []).append((release + s, release + f, a))


def _peak(periods: list[tuple[int, int, Decimal]]) -> Decimal:
    events = sorted([(s, a) for s, _, a in periods] + [(f, -a) for _, f, a in periods], key=lambda e: (e[0], e[1]))
    level = peak = Decimal(0)
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    return peak


def _topological(steps: list[dict[str, Any]]) -> list[int]:
    """Step positions so that every step comes after those it waits for."""
    index = {s["id"]: i for i, s in enumerate(steps)}
    done: list[int] = []
    while len(done) < len(steps):
        for i, step in enumerate(steps):
            if i not in done and all(index[b] in done for b in step.get("after", [])):
                done.append(i)
                break
    return done
