"""Per step, the modules that could do it, and why every other one cannot (SPEC §2, filtering).

Filtering before the model keeps the model's size to the real choices, and the counted
reasons are the first half of every explanation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sbn.loader import Network
from sbn.model import Module, Partner, Request, Step

ZERO = Decimal(0)


def money(cents: int, currency: str | None = None) -> str:
    """1234567 cents as '12,345.67' (with the currency when given)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    text = f"{sign}{whole:,}.{rest:02d}"
    return f"{text} {currency}" if currency else text


def cents(amount: Decimal) -> int:
    """An amount already rounded to the cent, as whole cents."""
    return int(amount * 100)


def number(value: Decimal) -> str:
    """A decimal without trailing zeros: 40, 2.5, 0.05."""
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class Candidate:
    """A module that may do a step, with what it would cost and take at the step's quantity."""

    module: Module
    partner: Partner
    quantity: Decimal
    cost: int  # cents
    duration: int

    @property
    def usage(self) -> Decimal:
        return self.quantity * self.module.usage


@dataclass(frozen=True)
class Rejection:
    """A module offering the capability that cannot do the step, and why."""

    module: str
    partner: str
    reason: str  # the counted category, e.g. "lack certification iso9001"
    detail: str  # the reason for this one module


@dataclass
class StepCandidates:
    step: Step
    quantity: Decimal
    offered: int
    candidates: list[Candidate] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def summary(self) -> str:
        """`step build (assembly): 0 of 7 modules fit: 3 lack certification iso9001, ...`"""
        head = f"step {self.step.id} ({self.step.capability}): {len(self.candidates)} of {self.offered} modules fit"
        if self.offered == 0:
            return f"step {self.step.id} ({self.step.capability}): no module in the network offers this capability"
        counts = Counter(rejection.reason for rejection in self.rejected)
        if not counts:
            return head
        order = {reason: i for i, reason in enumerate(REASON_ORDER)}
        parts = sorted(counts.items(), key=lambda item: (-item[1], order.get(item[0].split(" ")[0], 99), item[0]))
        return head + ": " + ", ".join(f"{count} {reason}" for reason, count in parts)


REASON_ORDER = ("left", "excluded", "not", "do", "lack", "below", "under", "over", "too")


@dataclass
class Usage:
    """Capacity used by the requests planned earlier in the same run."""

    modules: dict[str, Decimal] = field(default_factory=dict)
    partners: dict[str, Decimal] = field(default_factory=dict)

    def module_left(self, module: Module) -> Decimal | None:
        if module.capacity is None:
            return None
        return module.capacity - self.modules.get(module.id, ZERO)

    def partner_left(self, partner: Partner) -> Decimal | None:
        if partner.capacity is None:
            return None
        return partner.capacity - self.partners.get(partner.id, ZERO)

    def add(self, candidate: Candidate) -> None:
        self.modules[candidate.module.id] = self.modules.get(candidate.module.id, ZERO) + candidate.quantity
        self.partners[candidate.partner.id] = self.partners.get(candidate.partner.id, ZERO) + candidate.usage


def serves(module: Module, partner: Partner, region: str) -> bool:
    regions = (
        module.regions if module.regions is not None else ((partner.region,) if partner.region is not None else ())
    )
    return region in regions or "*" in regions


def holds(module: Module, partner: Partner) -> frozenset[str]:
    return frozenset(partner.certifications) | frozenset(module.certifications)


def step_quantity(request: Request, step: Step) -> Decimal:
    return step.quantity if step.quantity is not None else request.quantity


def find_candidates(
    network: Network,
    request: Request,
    usage: Usage,
    without: frozenset[str] = frozenset(),
    currency: str | None = None,
    bound: bool = True,
) -> list[StepCandidates]:
    """Filter the modules of each step's capability by every rule that concerns one module alone.

    With ``bound``, also drop modules that break the budget or deadline whatever the other
    steps do: fewer choices for the engine, but explanations need the unbounded candidates.
    """
    result = []
    excluded = frozenset(request.exclude)
    for step in request.steps:
        quantity = step_quantity(request, step)
        required = sorted(set(request.certifications) | set(step.certifications))
        offered = network.by_capability.get(step.capability, ())
        entry = StepCandidates(step, quantity, len(offered))
        partners = network.partners
        measures = network.measures
        for module in offered:
            partner = partners[module.partner]
            key = (module.id, quantity)
            measured = measures.get(key)
            if measured is None:
                cost = module.cost_at(quantity)
                measured = measures[key] = (cost, cents(cost), module.duration_at(quantity))
            rejection = _reject(
                module, partner, request, step, quantity, measured[0], required, excluded, without, usage, currency
            )
            if rejection is None:
                entry.candidates.append(Candidate(module, partner, quantity, measured[1], measured[2]))
            else:
                entry.rejected.append(Rejection(module.id, partner.id, *rejection))
        result.append(entry)
    if bound:
        _bound_by_totals(request, result, currency)
    for entry in result:
        entry.candidates.sort(key=lambda c: c.module.id)
    return result


def _reject(
    module: Module,
    partner: Partner,
    request: Request,
    step: Step,
    quantity: Decimal,
    cost: Decimal,
    required: list[str],
    excluded: frozenset[str],
    without: frozenset[str],
    usage: Usage,
    currency: str | None,
) -> tuple[str, str] | None:
    if partner.id in without:
        return "left the network (--without)", f"partner {partner.id} left the network (--without)"
    if partner.id in excluded:
        return "excluded by the request", f"partner {partner.id} is excluded by the request"
    if step.partner is not None and partner.id != step.partner:
        return (
            f"not of partner {step.partner}, to whom the step is pinned",
            f"the step is pinned to partner {step.partner}",
        )
    if request.region is not None and not serves(module, partner, request.region):
        return f"do not serve region {request.region}", f"does not serve region {request.region}"
    if required:
        held = holds(module, partner)
        for certification in required:
            if certification not in held:
                return f"lack certification {certification}", f"lacks certification {certification}"
    if request.min_reputation is not None and partner.reputation < request.min_reputation:
        return (
            f"below reputation {number(request.min_reputation)}",
            f"partner {partner.id} has reputation {number(partner.reputation)}, below {number(request.min_reputation)}",
        )
    minimum = partner.interests.min_order_value
    if minimum is not None and cost < minimum:
        return (
            "under their minimum order value",
            f"costs {money(cents(cost), currency)}, below partner {partner.id}'s minimum order value {number(minimum)}",
        )
    left = usage.module_left(module)
    if left is not None and quantity > left:
        return "over capacity", f"module capacity {number(left)} left, step needs {number(quantity)}"
    partner_left = usage.partner_left(partner)
    needed = quantity * module.usage
    if partner_left is not None and needed > partner_left:
        return (
            "over partner capacity",
            f"partner {partner.id} has {number(partner_left)} capacity left, step needs {number(needed)}",
        )
    return None


def _bound_by_totals(request: Request, entries: list[StepCandidates], currency: str | None) -> None:
    """Drop candidates that break the budget or deadline even with the cheapest or fastest others."""
    if any(not entry.candidates for entry in entries):
        return
    if request.budget is not None:
        limit = int((request.budget * 100).to_integral_value(rounding="ROUND_FLOOR"))
        cheapest = [min(c.cost for c in entry.candidates) for entry in entries]
        total = sum(cheapest)
        # When even the cheapest plan breaks the budget, the model's explanation says so better.
        for index, entry in enumerate(entries if total <= limit else []):
            others = total - cheapest[index]
            _drop(
                entry,
                lambda c, others=others: others + c.cost > limit,
                "over budget",
                lambda c, others=others: (
                    f"the cheapest plan with it costs {money(others + c.cost, currency)}; "
                    f"budget is {money(limit, currency)}"
                ),
            )
    deadline = request.deadline_offset
    if deadline is not None:
        index_of = {step.id: i for i, step in enumerate(request.steps)}
        fastest = [min(c.duration for c in entry.candidates) for entry in entries]
        from sbn.loader import topological_order

        order = topological_order(request)
        head = [0] * len(entries)
        for i in order:
            for before in request.steps[i].after:
                j = index_of[before]
                head[i] = max(head[i], head[j] + fastest[j])
        tail = [0] * len(entries)
        for i in reversed(order):
            for before in request.steps[i].after:
                j = index_of[before]
                tail[j] = max(tail[j], fastest[i] + tail[i])
        fastest_finish = max(head[i] + fastest[i] + tail[i] for i in range(len(entries)))
        for i, entry in enumerate(entries if fastest_finish <= deadline else []):
            _drop(
                entry,
                lambda c, i=i: head[i] + c.duration + tail[i] > deadline,
                "too slow for the deadline",
                lambda c, i=i: (
                    f"the earliest finish with it is {head[i] + c.duration + tail[i]}; deadline is {deadline}"
                ),
            )


def _drop(entry: StepCandidates, rejects, reason: str, detail) -> None:  # type: ignore[no-untyped-def]
    kept = []
    for candidate in entry.candidates:
        if rejects(candidate):
            entry.rejected.append(Rejection(candidate.module.id, candidate.partner.id, reason, detail(candidate)))
        else:
            kept.append(candidate)
    entry.candidates = kept


def by_partner(candidates: Mapping[str, Candidate]) -> dict[str, list[Candidate]]:
    grouped: dict[str, list[Candidate]] = {}
    for candidate in candidates.values():
        grouped.setdefault(candidate.partner.id, []).append(candidate)
    return grouped
