"""Per step, the modules that could do it, and why every other one cannot (SPEC §2, filtering).

Filtering before the model keeps the model's size to the real choices, and the counted reasons
are the first half of every explanation. The rules themselves live in sbn.rules; this module
applies them, and owns the caches that requests of one run share (``Catalog``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import NamedTuple, cast

from sbn.ledger import Usage
from sbn.loader import Network
from sbn.model import Linear, Module, Partner, Request, Resource, Step
from sbn.numbers import cents
from sbn.rules import AMOUNT_FILTERS, RESOURCE_TOTAL, TOTALS, Fixed, Total, filter_tests, limit_keys
from sbn.text import fit_count


class Offer(NamedTuple):
    """A module offering a capability, with what filtering asks of it every time, worked out once.

    A named tuple: one is made per module, and it builds 3x faster than a frozen dataclass.
    """

    module: Module
    partner: Partner
    regions: frozenset[str]
    held: frozenset[str]
    limited: bool  # an amount filter (minimum order value, a capacity) can bind on it
    accepts: frozenset[str] | None  # None: accepts anything
    provides: frozenset[str]
    # (cost, cents, duration) when neither cost nor lead time depends on the quantity, else None.
    constant: tuple[Decimal, int, int] | None
    limits: tuple[tuple[str, str], ...]  # the (limit, key) pairs it takes from (sbn.rules.limit_keys)
    uses: tuple[tuple[Resource, Linear], ...]  # the resources it uses, declared, with their amounts

    def amounts(self, quantity: Decimal) -> dict[str, Decimal]:
        """Resource id -> the amount it uses at a quantity (SPEC §6: fixed + per_unit × quantity)."""
        return {resource.id: linear.at(quantity) for resource, linear in self.uses}


class Candidate:
    """A module that may do a step, with what it would cost and take at the step's quantity.

    A slotted class rather than a frozen dataclass: one is made per module and step of every request.
    """

    __slots__ = ("accepts", "cost", "duration", "module", "offer", "partner", "provides", "quantity")

    def __init__(self, offer: Offer, quantity: Decimal, cost: int, duration: int) -> None:
        self.offer = offer
        self.module = offer.module
        self.partner = offer.partner
        self.quantity = quantity
        self.cost = cost  # cents
        self.duration = duration
        # The module's inputs (None: accepts anything) and outputs as sets.
        self.accepts = offer.accepts
        self.provides = offer.provides

    def __reduce__(self) -> tuple[type[Candidate], tuple[Offer, Decimal, int, int]]:
        # The rest follows from the offer (sent as an id by sbn.parallel's pickler).
        return (Candidate, (self.offer, self.quantity, self.cost, self.duration))

    def __repr__(self) -> str:
        return f"Candidate({self.module.id!r}, {self.partner.id!r}, {self.quantity}, {self.cost}, {self.duration})"


class Rejection:
    """A module offering the capability that cannot do the step, and why.

    ``reason`` is the counted category (e.g. "lack certification iso9001"); ``rule`` names the rule
    of sbn.rules that rejected it and ``rank`` orders reasons among equal counts; ``detail`` is the
    reason for this one module, worded only when read (explanations, --explain), as most never are.
    """

    __slots__ = ("_detail", "numbers", "offer", "one", "rank", "reason", "rule")

    def __init__(
        self,
        offer: Offer,
        reason: str,
        detail: str | Callable[[], str],
        rule: str,
        rank: int,
        one: str | None = None,
        numbers: tuple[tuple[str, Decimal], ...] = (),
    ) -> None:
        self.offer = offer
        self.reason = reason
        self._detail = detail
        self.rule = rule
        self.rank = rank
        self.one = reason if one is None else one  # the reason when it counts one module: "1 lacks ..."
        self.numbers = numbers  # those the reason quotes

    @property
    def module(self) -> str:
        return self.offer.module.id

    @property
    def partner(self) -> str:
        return self.offer.partner.id

    @property
    def detail(self) -> str:
        if not isinstance(self._detail, str):
            self._detail = self._detail()
        return self._detail

    def settle(self, words: bool) -> None:
        """Word the detail now (``words``), or drop it when it will never be read: either way the rejection can
        then be sent to another process."""
        self._detail = self.detail if words else ""

    def __reduce__(self) -> tuple[type[Rejection], tuple[object, ...]]:
        # Positional, without the slots' names; the detail must be settled (worded or dropped) first.
        if not isinstance(self._detail, str):
            raise TypeError("a rejection is pickled only once settled")
        one = None if self.one is self.reason else self.one
        return (Rejection, (self.offer, self.reason, self._detail, self.rule, self.rank, one, self.numbers))

    def __repr__(self) -> str:
        return f"Rejection({self.module!r}, {self.partner!r}, {self.reason!r}, {self.detail!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rejection):
            return NotImplemented
        return (self.module, self.partner, self.reason, self.detail, self.rule) == (
            other.module,
            other.partner,
            other.reason,
            other.detail,
            other.rule,
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass
class StepCandidates:
    step: Step
    quantity: Decimal
    offered: int
    candidates: list[Candidate] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    # How many modules fit, once the candidates are dropped (outline); None: len(candidates).
    fitting: int | None = None

    @property
    def fit(self) -> int:
        """How many modules fit the step."""
        return len(self.candidates) if self.fitting is None else self.fitting

    def outline(self) -> StepCandidates:
        """What a finished plan shows of the step: the count of candidates, not the candidates themselves."""
        return StepCandidates(self.step, self.quantity, self.offered, [], self.rejected, self.fit)

    def summary(self) -> str:
        """`step build (assembly): 0 of 7 modules fit: 3 lack certification iso9001, ...`"""
        head = f"step {self.step.id} ({self.step.capability}): {fit_count(self.fit, self.offered)}"
        if self.offered == 0:
            return f"step {self.step.id} ({self.step.capability}): no module in the network offers this capability"
        counted = self.counts()
        if not counted:
            return head
        return head + ": " + ", ".join(f"{count} {reason}" for reason, _, count, _ in counted)

    def counts(self) -> list[tuple[str, str, int, tuple[tuple[str, Decimal], ...]]]:
        """The rejections counted per reason, most first (ties by the rule's rank): (words, rule, count, numbers).

        The words agree with the count: "1 lacks certification iso9001", "3 lack certification iso9001".
        """
        counts = Counter(rejection.reason for rejection in self.rejected)
        first: dict[str, Rejection] = {}
        for rejection in self.rejected:
            first.setdefault(rejection.reason, rejection)
        parts = sorted(counts.items(), key=lambda item: (-item[1], first[item[0]].rank, item[0]))
        return [
            (first[reason].one if count == 1 else reason, first[reason].rule, count, first[reason].numbers)
            for reason, count in parts
        ]


def served_regions(module: Module, partner: Partner) -> tuple[str, ...]:
    """The module's regions; by default its partner's."""
    if module.regions is not None:
        return module.regions
    return (partner.region,) if partner.region is not None else ()


def holds(module: Module, partner: Partner) -> frozenset[str]:
    return frozenset(partner.certifications) | frozenset(module.certifications)


def step_quantity(request: Request, step: Step) -> Decimal:
    return step.quantity if step.quantity is not None else request.quantity


def fixed_for(request: Request, step: Step, without: frozenset[str]) -> Fixed:
    """What the request and step fix for filtering the step's capability."""
    return Fixed(
        step.capability,
        without,
        frozenset(request.exclude),
        step.partner,
        request.region,
        tuple(sorted(set(request.certifications) | set(step.certifications))),
        request.min_reputation,
    )


def measure(module: Module, quantity: Decimal) -> tuple[Decimal, int, int]:
    """(cost, cost in cents, duration) of a module at a quantity."""
    cost = module.cost_at(quantity)
    return cost, cents(cost), module.duration_at(quantity)


_NO_INTERFACES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Filtered:
    """A capability's offers split by the rules a request and step fix: (position among the offers, ...)."""

    passing: tuple[tuple[int, Offer], ...]
    rejected: tuple[tuple[int, Rejection], ...]
    rejections: tuple[Rejection, ...]


class Catalog:
    """A network's modules as candidate filtering sees them, with what requests of a run share.

    The network itself is never changed: everything worked out once for many requests is kept here.
    """

    def __init__(self, network: Network) -> None:
        self.network = network
        # quantity -> module id -> (cost, cost in cents, duration)
        self.measures: dict[Decimal, dict[str, tuple[Decimal, int, int]]] = {}
        self._offers: dict[str, tuple[Offer, ...]] = {}
        # Per partner (regions, certifications), and per (fixed cost, fixed lead time) its measure: a
        # network of 128,000 modules has few distinct of either, and building these per module took 20 µs each.
        self._partner_sets: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._constants: dict[tuple[Decimal, Decimal], tuple[Decimal, int, int]] = {}
        self._filtered: dict[Fixed, _Filtered] = {}

    def offers(self, capability: str) -> tuple[Offer, ...]:
        """The modules offering a capability, in declaration order."""
        offers = self._offers.get(capability)
        if offers is None:
            offers = self._offers[capability] = tuple(
                self._offer(module) for module in self.network.by_capability.get(capability, ())
            )
        return offers

    def _offer(self, module: Module) -> Offer:
        partner = self.network.partners[module.partner]
        shared = self._partner_sets.get(partner.id)
        if shared is None:
            shared = self._partner_sets[partner.id] = (
                frozenset((partner.region,)) if partner.region is not None else frozenset(),  # served_regions
                frozenset(partner.certifications),
            )
        regions = shared[0] if module.regions is None else frozenset(module.regions)
        held = shared[1] if not module.certifications else holds(module, partner)
        constant = None
        if not module.cost.per_unit and not module.lead_time.per_unit:
            amounts = (module.cost.fixed, module.lead_time.fixed)
            constant = self._constants.get(amounts)
            if constant is None:
                constant = self._constants[amounts] = measure(module, Decimal(1))
        resources = self.network.resources
        uses = tuple((resources[name], linear) for name, linear in module.uses.items() if name in resources)
        offer = Offer(
            module,
            partner,
            regions,
            held,
            False,
            frozenset(module.inputs) if module.inputs else None,
            frozenset(module.outputs) if module.outputs else _NO_INTERFACES,
            constant,
            (),
            uses,
        )
        return offer._replace(limited=any(rule.applies(offer) for rule in AMOUNT_FILTERS), limits=limit_keys(offer))

    def filtered(self, fixed: Fixed) -> _Filtered:
        """The rules about the module alone that do not depend on amounts; requests of a run share the outcome."""
        found = self._filtered.get(fixed)
        if found is not None:
            return found
        tests = filter_tests(fixed)
        passing = []
        rejected = []
        for position, offer in enumerate(self.offers(fixed.capability)):
            for rule, test in tests:
                words = test(offer)
                if words is not None:
                    category, detail, one, numbers = words
                    rejection = Rejection(offer, category, detail, rule.name, rule.rank, one, numbers)
                    rejected.append((position, rejection))
                    break
            else:
                passing.append((position, offer))
        # Passing offers in module id order: the candidates are made in that order, with no sort per request.
        passing.sort(key=lambda item: item[1].module.id)
        found = _Filtered(tuple(passing), tuple(rejected), tuple(r for _, r in rejected))
        self._filtered[fixed] = found
        return found


def find_candidates(
    catalog: Catalog,
    request: Request,
    usage: Usage,
    without: frozenset[str] = frozenset(),
    bound: bool = True,
    totals: bool = True,
) -> list[StepCandidates]:
    """Filter the modules of each step's capability by every rule that concerns one module alone.

    With ``bound``, also drop modules that break a total (budget, deadline) whatever the other
    steps do: fewer choices for the engine, but explanations need the unbounded candidates.
    Without ``totals``, keep modules that need more of a resource's total than is left: the model's
    row for that total then says how much more the request needs (an explanation's quantity).
    The first rule a module breaks is its reason, in the order of sbn.rules: --without, exclude,
    pin, region, certifications, reputation, minimum order value, module capacity, partner capacity.
    Rejections are listed in the order the modules were declared, those of the bounds last.
    """
    currency = catalog.network.info.currency
    result = []
    priced: list[Priced] = []
    for step in request.steps:
        quantity = step_quantity(request, step)
        filtered = catalog.filtered(fixed_for(request, step, without))
        measures = catalog.measures.setdefault(quantity, {})
        kept = []
        late: list[tuple[int, Rejection]] = []
        for position, offer in filtered.passing:
            module = offer.module
            measured = offer.constant or measures.get(module.id)
            if measured is None:
                measured = measures[module.id] = measure(module, quantity)
            if offer.limited:
                rejection = _reject_by_amount(offer, quantity, measured[0], usage, currency)
                if rejection is not None and (totals or rejection.rule != RESOURCE_TOTAL.name):
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
        entry.candidates = [Candidate(offer, quantity, cost, duration) for _, offer, (_, cost, duration) in kept]
    return result


def _reject_by_amount(
    offer: Offer, quantity: Decimal, cost: Decimal, usage: Usage, currency: str | None
) -> Rejection | None:
    """The first amount filter (minimum order value, then capacities left) that rejects the module."""
    for rule in AMOUNT_FILTERS:
        found = rule.reject(offer, quantity, cost, usage, currency)
        if isinstance(found, tuple):
            category, detail, one, numbers = found
            return Rejection(offer, category, detail, rule.name, rule.rank, one, numbers)
        if found is not None:
            return Rejection(offer, rule.category, found, rule.name, rule.rank)
    return None


# A step's candidates before they are made: (position among the offers, offer, (cost, cents, duration)).
Priced = list[tuple[int, Offer, tuple[Decimal, int, int]]]


def _bound_by_totals(
    request: Request, entries: list[StepCandidates], priced: list[Priced], currency: str | None
) -> list[Priced]:
    """Drop candidates that break a total (budget, deadline) even with the best of the other steps.

    ``priced`` holds each step's candidates (see Priced); returns what is kept.
    """
    if any(not kept for kept in priced):
        return priced
    for rule in TOTALS:
        limit = rule.limit(request)
        if limit is None:
            continue
        field = rule.measured
        best = [min(cast(int, measured[field]) for _, _, measured in kept) for kept in priced]
        offsets = rule.offsets(request, best)
        # When even the best plan breaks the limit, the model's explanation says so better.
        if max(offset + own for offset, own in zip(offsets, best, strict=True)) <= limit:
            priced = [
                _drop(entry, kept, rule, offset, limit, currency)
                for entry, kept, offset in zip(entries, priced, offsets, strict=True)
            ]
    return priced


def _drop(entry: StepCandidates, kept: Priced, rule: Total, others: int, limit: int, currency: str | None) -> Priced:
    """Reject the candidates whose amount, with the best of the other steps, exceeds the limit."""
    within = []
    dropped = []
    for item in kept:
        position, offer, measured = item
        total = others + cast(int, measured[rule.measured])
        if total > limit:
            words = partial(rule.over, limit, total, currency)
            dropped.append((position, Rejection(offer, rule.category, words, rule.name, rule.rank)))
        else:
            within.append(item)
    dropped.sort(key=lambda pair: pair[0])  # in the order the modules were declared
    entry.rejected.extend(rejection for _, rejection in dropped)
    return within
