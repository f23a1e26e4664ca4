"""Per step, the modules that could do it, and why every other one cannot (SPEC §2, filtering).

Filtering before the model keeps the model's size to the real choices, and the counted
reasons are the first half of every explanation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, partial
from typing import NamedTuple, cast

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


class Candidate:
    """A module that may do a step, with what it would cost and take at the step's quantity.

    A slotted class rather than a frozen dataclass: one is made per module and step of every request.
    """

    __slots__ = ("accepts", "cost", "duration", "module", "partner", "provides", "quantity")

    def __init__(
        self,
        module: Module,
        partner: Partner,
        quantity: Decimal,
        cost: int,
        duration: int,
        accepts: frozenset[str] | None,
        provides: frozenset[str],
    ) -> None:
        self.module = module
        self.partner = partner
        self.quantity = quantity
        self.cost = cost  # cents
        self.duration = duration
        # The module's inputs (None: accepts anything) and outputs as sets, from its _Offer.
        self.accepts = accepts
        self.provides = provides

    def __repr__(self) -> str:
        return f"Candidate({self.module.id!r}, {self.partner.id!r}, {self.quantity}, {self.cost}, {self.duration})"

    @property
    def usage(self) -> Decimal:
        return self.quantity * self.module.usage


class Rejection:
    """A module offering the capability that cannot do the step, and why.

    ``reason`` is the counted category (e.g. "lack certification iso9001"); ``detail`` the reason
    for this one module, worded only when read (explanations, --explain), as most never are.
    """

    __slots__ = ("_detail", "module", "partner", "reason")

    def __init__(self, module: str, partner: str, reason: str, detail: str | Callable[[], str]) -> None:
        self.module = module
        self.partner = partner
        self.reason = reason
        self._detail = detail

    @property
    def detail(self) -> str:
        if not isinstance(self._detail, str):
            self._detail = self._detail()
        return self._detail

    def __repr__(self) -> str:
        return f"Rejection({self.module!r}, {self.partner!r}, {self.reason!r}, {self.detail!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rejection):
            return NotImplemented
        return (self.module, self.partner, self.reason, self.detail) == (
            other.module,
            other.partner,
            other.reason,
            other.detail,
        )

    __hash__ = None  # type: ignore[assignment]


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
    # Who took it, in planning order: (kind, module or partner id) -> request id -> amount.
    takers: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)

    def module_left(self, module: Module) -> Decimal | None:
        if module.capacity is None:
            return None
        return module.capacity - self.modules.get(module.id, ZERO)

    # partner id -> capacity left, asked once per candidate (128,000 times on GAP's largest instances).
    _partner_left: dict[str, Decimal] = field(default_factory=dict, repr=False, compare=False)

    def partner_left(self, partner: Partner) -> Decimal | None:
        if partner.capacity is None:
            return None
        left = self._partner_left.get(partner.id)
        if left is None:
            left = self._partner_left[partner.id] = partner.capacity - self.partners.get(partner.id, ZERO)
        return left

    def release(self, candidate: Candidate) -> None:
        """Give back what a candidate took (for backups: the plan without one of its assignments)."""
        self.modules[candidate.module.id] -= candidate.quantity
        self.partners[candidate.partner.id] -= candidate.usage
        self._partner_left.clear()

    def add(self, candidate: Candidate, request_id: str | None = None) -> None:
        self.modules[candidate.module.id] = self.modules.get(candidate.module.id, ZERO) + candidate.quantity
        self.partners[candidate.partner.id] = self.partners.get(candidate.partner.id, ZERO) + candidate.usage
        self._partner_left.clear()
        if request_id is not None:
            for key, amount in (
                (("module", candidate.module.id), candidate.quantity),
                (("partner", candidate.partner.id), candidate.usage),
            ):
                taken = self.takers.setdefault(key, {})
                taken[request_id] = taken.get(request_id, ZERO) + amount

    def copy(self) -> Usage:
        return Usage(dict(self.modules), dict(self.partners), {key: dict(v) for key, v in self.takers.items()})

    def taken(self, kind: str, key: str, capacity: Decimal) -> str:
        """What earlier requests took of a capacity, as words: ' of 100 (first took 80)'; '' if none took any."""
        takers = {request: amount for request, amount in self.takers.get((kind, key), {}).items() if amount}
        if not takers:
            return ""
        named = [f"{request} took {number(amount)}" for request, amount in list(takers.items())[:3]]
        if len(takers) > 3:
            named.append(f"{len(takers) - 3} more took {number(sum(list(takers.values())[3:], ZERO))}")
        return f" of {number(capacity)} ({', '.join(named)})"


def served_regions(module: Module, partner: Partner) -> tuple[str, ...]:
    """The module's regions; by default its partner's."""
    if module.regions is not None:
        return module.regions
    return (partner.region,) if partner.region is not None else ()


def serves(module: Module, partner: Partner, region: str) -> bool:
    regions = served_regions(module, partner)
    return region in regions or "*" in regions


def holds(module: Module, partner: Partner) -> frozenset[str]:
    return frozenset(partner.certifications) | frozenset(module.certifications)


def step_quantity(request: Request, step: Step) -> Decimal:
    return step.quantity if step.quantity is not None else request.quantity


class _Offer(NamedTuple):
    """A module offering a capability, with what filtering asks of it every time, worked out once.

    A named tuple: one is made per module, and it builds 3x faster than a frozen dataclass.
    """

    module: Module
    partner: Partner
    regions: frozenset[str]
    held: frozenset[str]
    limited: bool  # a minimum order value, or a module or partner capacity
    accepts: frozenset[str] | None  # None: accepts anything
    provides: frozenset[str]
    # (cost, cents, duration) when neither cost nor lead time depends on the quantity, else None.
    constant: tuple[Decimal, int, int] | None


def measure(module: Module, quantity: Decimal) -> tuple[Decimal, int, int]:
    """(cost, cost in cents, duration) of a module at a quantity."""
    cost = module.cost_at(quantity)
    return cost, cents(cost), module.duration_at(quantity)


_NO_INTERFACES: frozenset[str] = frozenset()


def _offers(network: Network, capability: str) -> tuple[_Offer, ...]:
    offers: tuple[_Offer, ...] | None = network.offers.get(capability)
    if offers is None:
        made = []
        # Shared across modules (and capabilities): a network of 128,000 modules has few distinct
        # partners and amounts, and building these per module took 20 µs each.
        by_partner = network.partner_sets
        constants = network.constant_measures
        for module in network.by_capability.get(capability, ()):
            partner = network.partners[module.partner]
            shared = by_partner.get(partner.id)
            if shared is None:
                shared = by_partner[partner.id] = (
                    frozenset((partner.region,)) if partner.region is not None else frozenset(),  # served_regions
                    frozenset(partner.certifications),
                    partner.interests.min_order_value is not None or partner.capacity is not None,
                )
            regions = shared[0] if module.regions is None else frozenset(module.regions)
            held = shared[1] if not module.certifications else holds(module, partner)
            constant = None
            if not module.cost.per_unit and not module.lead_time.per_unit:
                amounts = (module.cost.fixed, module.lead_time.fixed)
                constant = constants.get(amounts)
                if constant is None:
                    constant = constants[amounts] = measure(module, Decimal(1))
            made.append(
                _Offer(
                    module,
                    partner,
                    regions,
                    held,
                    shared[2] or module.capacity is not None,
                    frozenset(module.inputs) if module.inputs else None,
                    frozenset(module.outputs) if module.outputs else _NO_INTERFACES,
                    constant,
                )
            )
        network.offers[capability] = offers = tuple(made)
    return offers


@dataclass(frozen=True)
class _Filtered:
    """A capability's offers split by the rules a request and step fix: (position among the offers, ...)."""

    passing: tuple[tuple[int, _Offer], ...]
    rejected: tuple[tuple[int, Rejection], ...]
    rejections: tuple[Rejection, ...]


def _filter(
    network: Network,
    capability: str,
    without: frozenset[str],
    excluded: frozenset[str],
    pin: str | None,
    region: str | None,
    required: tuple[str, ...],
    minimum_reputation: Decimal | None,
) -> _Filtered:
    """The rules about the module alone that do not depend on amounts; requests of a run share the outcome."""
    key = (capability, without, excluded, pin, region, required, minimum_reputation)
    found: _Filtered | None = network.filtered.get(key)
    if found is not None:
        return found
    needed = frozenset(required)
    passing = []
    rejected = []
    for position, offer in enumerate(_offers(network, capability)):
        module_id, partner = offer.module.id, offer.partner
        partner_id = partner.id
        if partner_id in without:
            reason = _left(partner_id)
        elif partner_id in excluded:
            reason = _excluded(partner_id)
        elif pin is not None and partner_id != pin:
            reason = _pinned(pin)
        elif region is not None and region not in offer.regions and "*" not in offer.regions:
            reason = _region(region)
        elif required and not needed <= offer.held:
            reason = _certification(next(c for c in required if c not in offer.held))
        elif minimum_reputation is not None and partner.reputation < minimum_reputation:
            reason = _reputation(partner_id, partner.reputation, minimum_reputation)
        else:
            passing.append((position, offer))
            continue
        rejected.append((position, Rejection(module_id, partner_id, *reason)))
    # Passing offers in module id order: the candidates are made in that order, with no sort per request.
    passing.sort(key=lambda item: item[1].module.id)
    found = _Filtered(tuple(passing), tuple(rejected), tuple(r for _, r in rejected))
    network.filtered[key] = found
    return found


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
    The first rule a module breaks is its reason, in this order: --without, exclude, pin,
    region, certifications, reputation, minimum order value, module capacity, partner capacity.
    Rejections are listed in the order the modules were declared, those of the bounds last.
    """
    result = []
    priced: list[Priced] = []
    excluded = frozenset(request.exclude)
    for step in request.steps:
        quantity = step_quantity(request, step)
        required = tuple(sorted(set(request.certifications) | set(step.certifications)))
        filtered = _filter(
            network, step.capability, without, excluded, step.partner, request.region, required, request.min_reputation
        )
        measures = network.measures.setdefault(quantity, {})
        kept = []
        late: list[tuple[int, Rejection]] = []
        for position, offer in filtered.passing:
            module = offer.module
            measured = offer.constant or measures.get(module.id)
            if measured is None:
                measured = measures[module.id] = measure(module, quantity)
            if offer.limited:
                rejection = _reject_by_amount(module, offer.partner, quantity, measured[0], usage, currency)
                if rejection is not None:
                    late.append((position, rejection))
                    continue
            kept.append((position, offer, measured))
        offered = len(filtered.passing) + len(filtered.rejected)
        entry = StepCandidates(step, quantity, offered)
        if late:
            entry.rejected = [r for _, r in sorted(filtered.rejected + tuple(late), key=lambda item: item[0])]
        else:
            entry.rejected = list(filtered.rejections)
        result.append(entry)
        priced.append(kept)
    if bound:
        priced = _bound_by_totals(request, result, priced, currency)
    for entry, kept in zip(result, priced, strict=True):
        quantity = entry.quantity
        entry.candidates = [
            Candidate(offer.module, offer.partner, quantity, cost, duration, offer.accepts, offer.provides)
            for _, offer, (_, cost, duration) in kept
        ]
    return result


OVER_CAPACITY = "over capacity"
OVER_PARTNER_CAPACITY = "over partner capacity"
OVER_BUDGET = "over budget"
TOO_SLOW = "too slow for the deadline"
# The reasons that capacity used by other requests can make or unmake: capacity itself, and the budget and
# deadline bounds, which depend on the cheapest and fastest candidates of the other steps.
CAPACITY_DEPENDENT = frozenset({OVER_CAPACITY, OVER_PARTNER_CAPACITY, OVER_BUDGET, TOO_SLOW})


# The reasons of the rules about the module itself: (counted category, detail) by the words of each.


@cache
def _left(partner: str) -> tuple[str, str]:
    return "left the network (--without)", f"partner {partner} left the network (--without)"


@cache
def _excluded(partner: str) -> tuple[str, str]:
    return "excluded by the request", f"partner {partner} is excluded by the request"


@cache
def _pinned(partner: str) -> tuple[str, str]:
    return f"not of partner {partner}, to whom the step is pinned", f"the step is pinned to partner {partner}"


@cache
def _region(region: str) -> tuple[str, str]:
    return f"do not serve region {region}", f"does not serve region {region}"


@cache
def _certification(certification: str) -> tuple[str, str]:
    return f"lack certification {certification}", f"lacks certification {certification}"


@cache
def _reputation(partner: str, reputation: Decimal, minimum: Decimal) -> tuple[str, str]:
    return (
        f"below reputation {number(minimum)}",
        f"partner {partner} has reputation {number(reputation)}, below {number(minimum)}",
    )


def _reject_by_amount(
    module: Module, partner: Partner, quantity: Decimal, cost: Decimal, usage: Usage, currency: str | None
) -> Rejection | None:
    """The rules that depend on the amount: minimum order value, then module and partner capacity left."""
    minimum = partner.interests.min_order_value
    if minimum is not None and cost < minimum:
        return Rejection(
            module.id,
            partner.id,
            "under their minimum order value",
            lambda: (
                f"costs {money(cents(cost), currency)}, below partner {partner.id}'s minimum order value "
                f"{number(minimum)}"
            ),
        )
    left = usage.module_left(module)
    if left is not None and quantity > left:
        taken = usage.taken("module", module.id, module.capacity or ZERO)  # now: usage grows as requests are planned
        return Rejection(
            module.id,
            partner.id,
            OVER_CAPACITY,
            lambda: f"module capacity {number(left)} left{taken}, step needs {number(quantity)}",
        )
    partner_left = usage.partner_left(partner)
    if partner_left is not None:
        needed = quantity * module.usage
        if needed > partner_left:
            taken = usage.taken("partner", partner.id, partner.capacity or ZERO)
            return Rejection(
                module.id,
                partner.id,
                OVER_PARTNER_CAPACITY,
                lambda: (
                    f"partner {partner.id} has {number(partner_left)} capacity left{taken}, step needs {number(needed)}"
                ),
            )
    return None


# A step's candidates before they are made: (position among the offers, offer, (cost, cents, duration)).
Priced = list[tuple[int, _Offer, tuple[Decimal, int, int]]]


def _bound_by_totals(
    request: Request, entries: list[StepCandidates], priced: list[Priced], currency: str | None
) -> list[Priced]:
    """Drop candidates that break the budget or deadline even with the cheapest or fastest others.

    ``priced`` holds each step's candidates (see Priced); returns what is kept.
    """
    if any(not kept for kept in priced):
        return priced
    if request.budget is not None:
        limit = int((request.budget * 100).to_integral_value(rounding="ROUND_FLOOR"))
        cheapest = [min(measured[1] for _, _, measured in kept) for kept in priced]
        total = sum(cheapest)
        # When even the cheapest plan breaks the budget, the model's explanation says so better.
        if total <= limit:
            words = partial(_over_budget, limit, currency)
            priced = [
                _drop(entry, kept, 1, total - cheapest[index], limit, OVER_BUDGET, words)
                for index, (entry, kept) in enumerate(zip(entries, priced, strict=True))
            ]
    deadline = request.deadline_offset
    if deadline is not None:
        index_of = {step.id: i for i, step in enumerate(request.steps)}
        fastest = [min(measured[2] for _, _, measured in kept) for kept in priced]
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
        if fastest_finish <= deadline:
            words = partial(_too_slow, deadline)
            priced = [
                _drop(entry, kept, 2, head[i] + tail[i], deadline, TOO_SLOW, words)
                for i, (entry, kept) in enumerate(zip(entries, priced, strict=True))
            ]
    return priced


def _over_budget(limit: int, currency: str | None, total: int) -> str:
    return f"the cheapest plan with it costs {money(total, currency)}; budget is {money(limit, currency)}"


def _too_slow(deadline: int, finish: int) -> str:
    return f"the earliest finish with it is {finish}; deadline is {deadline}"


def _drop(
    entry: StepCandidates,
    kept: Priced,
    field: int,
    others: int,
    limit: int,
    reason: str,
    words: Callable[[int], str],
) -> Priced:
    """Reject the candidates whose amount (cents or duration), with the best of the other steps, exceeds the limit."""
    within = []
    dropped = []
    for item in kept:
        position, offer, measured = item
        total = others + cast(int, measured[field])
        if total > limit:
            dropped.append((position, Rejection(offer.module.id, offer.partner.id, reason, partial(words, total))))
        else:
            within.append(item)
    dropped.sort(key=lambda pair: pair[0])  # in the order the modules were declared
    entry.rejected.extend(rejection for _, rejection in dropped)
    return within


def by_partner(candidates: Mapping[str, Candidate]) -> dict[str, list[Candidate]]:
    grouped: dict[str, list[Candidate]] = {}
    for candidate in candidates.values():
        grouped.setdefault(candidate.partner.id, []).append(candidate)
    return grouped
