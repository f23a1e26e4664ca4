"""Every planning rule of SPEC §2 in one place, each with its faces, in the order the SPEC lists them.

A rule about one module alone is a **filter**: an entry of ``FILTERS`` (rank, test, reason) or of
``AMOUNT_FILTERS`` that candidate filtering reads, and that ``sbn.evaluation`` applies again to a
finished plan. A rule that ties steps together is a **model rule**, an entry of ``MODEL_RULES``
with three faces:

* ``add_rows``: the rows it adds to the model (``sbn.formulation`` calls them in this order);
* ``check``: its exact check of a finished plan, in decimals and cents (``sbn.evaluation``);
* ``measure`` and ``describe``: how an explanation quantifies relaxing it (``sbn.explain``).

Capacities are **limits** (``LIMITS``): a rule names, per candidate, the keys it counts and the
amount it takes of each; filtering, rows, checks, explanations, dominance and the planner's
look-ahead all derive from that. The budget and the deadline are **totals** (``TOTALS``): a
candidate amount summed (cost) or taken along the longest path (duration), against a limit;
candidate filtering drops a candidate that breaks it even with the best of the other steps.

Adding a rule means one entry here and its tests (docs/architecture.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sbn.graph import earliest_schedule, slack_offsets, step_index
from sbn.ledger import Usage
from sbn.milp import Cumulative, Objective, Task
from sbn.model import Partner, Request, Resource
from sbn.numbers import ZERO, budget_cents, cents, decimal_exponent, money, number
from sbn.reasons import Cents, Reason

if TYPE_CHECKING:
    from sbn.candidates import Candidate, Offer, StepCandidates
    from sbn.formulation import PlanModel
    from sbn.loader import Network

# (counted category, detail for this one module, the category when it counts one module: "1 lacks ...",
# the numbers the category quotes: (("minimum", 0.8),))
Words = tuple[str, str, str, tuple[tuple[str, Decimal], ...]]


# -- rules about one module alone -------------------------------------------------------------


class Fixed(NamedTuple):
    """What a request and a step fix for filtering one capability's modules (requests of a run share it)."""

    capability: str
    without: frozenset[str]
    excluded: frozenset[str]
    pin: str | None
    region: str | None
    required: tuple[str, ...]  # certifications, sorted
    minimum_reputation: Decimal | None


Test = Callable[["Offer"], Words | None]


@dataclass(frozen=True)
class Filter:
    """A rule about one module alone that does not depend on amounts; ``rank`` orders reasons among equal counts."""

    name: str
    rank: int
    select: Callable[[Fixed], Test | None]  # the test for what the request fixes; None when it cannot bind


def _words(category: str, detail: str, one: str | None = None, **numbers: Decimal) -> Words:
    return category, detail, category if one is None else one, tuple(numbers.items())


@cache
def _left(partner: str) -> Words:
    return _words("left the network (--without)", f"partner {partner} left the network (--without)")


@cache
def _excluded(partner: str) -> Words:
    return _words("excluded by the request", f"partner {partner} is excluded by the request")


@cache
def _pinned(partner: str) -> Words:
    return _words(f"not of partner {partner}, to whom the step is pinned", f"the step is pinned to partner {partner}")


@cache
def _region(region: str) -> Words:
    return _words(f"do not serve region {region}", f"does not serve region {region}", f"does not serve region {region}")


@cache
def _certification(certification: str) -> Words:
    return _words(
        f"lack certification {certification}",
        f"lacks certification {certification}",
        f"lacks certification {certification}",
    )


@cache
def _reputation(partner: str, reputation: Decimal, minimum: Decimal) -> Words:
    return _words(
        f"below reputation {number(minimum)}",
        f"partner {partner} has reputation {number(reputation)}, below {number(minimum)}",
        minimum=minimum,
    )


def _capability(fixed: Fixed) -> Test:
    """Only modules of the step's capability are offered: filtering starts from them, the check repeats it."""
    capability = fixed.capability
    words = _words("offer another capability", f"does not offer {capability}", "offers another capability")
    return lambda offer: None if offer.module.capability == capability else words


def _without(fixed: Fixed) -> Test | None:
    left = fixed.without
    return (lambda offer: _left(offer.partner.id) if offer.partner.id in left else None) if left else None


def _exclude(fixed: Fixed) -> Test | None:
    excluded = fixed.excluded
    return (lambda offer: _excluded(offer.partner.id) if offer.partner.id in excluded else None) if excluded else None


def _pin(fixed: Fixed) -> Test | None:
    pin = fixed.pin
    return None if pin is None else (lambda offer: _pinned(pin) if offer.partner.id != pin else None)


def _serves(fixed: Fixed) -> Test | None:
    region = fixed.region
    if region is None:
        return None
    return lambda offer: None if region in offer.regions or "*" in offer.regions else _region(region)


def _certified(fixed: Fixed) -> Test | None:
    required = fixed.required
    if not required:
        return None
    needed = frozenset(required)
    return lambda offer: (
        None if needed <= offer.held else _certification(next(c for c in required if c not in offer.held))
    )


def _reputable(fixed: Fixed) -> Test | None:
    minimum = fixed.minimum_reputation
    if minimum is None:
        return None
    return lambda offer: (
        None
        if offer.partner.reputation >= minimum
        else _reputation(offer.partner.id, offer.partner.reputation, minimum)
    )


# The first rule a module breaks is its reason, in this order (SPEC §2 order; --without first).
CAPABILITY = Filter("capability", -1, _capability)  # offered or not: never a counted reason
FILTERS = (
    Filter("without", 0, _without),
    Filter("exclude", 1, _exclude),
    Filter("pin", 2, _pin),
    Filter("region", 3, _serves),
    Filter("certifications", 4, _certified),
    Filter("min_reputation", 5, _reputable),
)


def filter_tests(fixed: Fixed) -> list[tuple[Filter, Test]]:
    """The filters that can bind on what a request fixes, with their tests, in order."""
    tests = []
    for rule in FILTERS:
        test = rule.select(fixed)
        if test is not None:
            tests.append((rule, test))
    return tests


class AmountFilter:
    """A rule about one module alone that depends on its amounts (cost) or on what earlier requests used."""

    name: str
    rank: int
    category: str

    def applies(self, offer: Offer) -> bool:
        """Whether the rule can ever bind on this module (else filtering skips it)."""
        raise NotImplementedError

    def reject(
        self, offer: Offer, quantity: Decimal, cost: Decimal, usage: Usage, currency: str | None
    ) -> str | Callable[[], str] | Words | None:
        """Why this module cannot do the step: its detail (worded when read; counted under ``category``),
        or its own words (category, detail, category for one); None when it can."""
        raise NotImplementedError


class MinOrderValue(AmountFilter):
    """A partner takes no assignment whose cost is below its minimum order value."""

    name = "min_order_value"
    rank = 6
    category = "under their minimum order value"

    def applies(self, offer: Offer) -> bool:
        return offer.partner.interests.min_order_value is not None

    def reject(
        self, offer: Offer, quantity: Decimal, cost: Decimal, usage: Usage, currency: str | None
    ) -> str | Callable[[], str] | None:
        minimum = offer.partner.interests.min_order_value
        if minimum is None or cost >= minimum:
            return None
        partner = offer.partner.id
        return lambda: (
            f"costs {money(cents(cost), currency)}, below partner {partner}'s minimum order value "
            f"{money(cents(minimum), currency)}"
        )


# -- the plan as checked ------------------------------------------------------------------------


@dataclass
class Facts:
    """A complete assignment, with what the checks need: the picks, their schedule and totals."""

    network: Network
    request: Request
    picks: list[Candidate]
    usage: Usage
    finishes: list[int]
    cost: int  # cents
    finish: int
    partners: list[str]
    starts: list[int] | None = None  # when the engine placed the steps (resources held at once); else earliest
    release: int = 0  # the request's time 0 on the run's timeline


# -- rules that tie steps together --------------------------------------------------------------


class ModelRule:
    """A rule of SPEC §2 that ties steps together; see the module docstring for its faces."""

    name: str
    relaxable = True  # explanations may switch it off to find the smallest conflict

    def add_rows(self, model: PlanModel) -> None:
        """The rule's rows for one request's part of the model."""
        raise NotImplementedError

    def add_run_rows(self, models: Sequence[PlanModel]) -> None:
        """The rule's rows for every request of a model (one, or a joint run's all): each request's own."""
        for model in models:
            self.add_rows(model)

    def check(self, facts: Facts) -> Iterator[str]:
        return iter(())

    def measure(self, model: PlanModel, key: str | None = None) -> Objective | None:
        """What to minimise with the rule switched off, to quantify it; None: any plan tells."""
        return None

    def describe(
        self,
        model: PlanModel,
        picks: list[Candidate],
        qualifier: str,
        network: Network,
        key: str | None = None,
        values: Sequence[float] | None = None,
    ) -> Reason:
        return Reason(self.name, f"{self.name} conflicts with the other rules")


# -- limits: capacities shared by every step of every request in a run ----------------------------


Demand = tuple[str, Decimal, Decimal]  # (key, amount taken, capacity)


class Limit(AmountFilter, ModelRule):
    """A capacity that the amounts of the chosen candidates, summed, must fit: what each candidate takes of which key.

    A candidate that alone takes more than is left is filtered out; the model adds one row per key
    its candidates could together overrun; the check sums the plan's amounts per key.
    """

    kind: str  # "module", "partner", "resource": the owner of the capacity, in words
    per_key = False  # whether each key's rows are a group of their own (explained one by one)

    def demands(self, offer: Offer, quantity: Decimal) -> tuple[Demand, ...]:
        """(key, amount taken, capacity) of a candidate, for each key with a limit it takes from."""
        raise NotImplementedError

    def too_much(self, key: str, left: Decimal, amount: Decimal, taken: str) -> str:
        """Why one candidate alone does not fit."""
        raise NotImplementedError

    def group(self, key: str) -> str:
        """The group of a key's rows: the rule's name, or with per_key the name and the key."""
        return f"{self.name}:{key}" if self.per_key else self.name

    def applies(self, offer: Offer) -> bool:
        return bool(self.demands(offer, Decimal(1)))

    def reject(
        self, offer: Offer, quantity: Decimal, cost: Decimal, usage: Usage, currency: str | None
    ) -> str | Callable[[], str] | Words | None:
        for key, amount, capacity in self.demands(offer, quantity):
            left = usage.left((self.name, key), capacity)
            if amount > left:
                taken = usage.taken((self.name, key), capacity)  # now: usage grows as requests are planned

                def words(key: str = key, left: Decimal = left, amount: Decimal = amount, taken: str = taken) -> str:
                    return self.too_much(key, left, amount, taken)

                return words
        return None

    def taking(self, candidates: Iterable[Candidate]) -> dict[str, tuple[Decimal, list[tuple[Candidate, Decimal]]]]:
        """Per key: its capacity, and the candidates taking from it with their amounts (in the order given)."""
        found: dict[str, tuple[Decimal, list[tuple[Candidate, Decimal]]]] = {}
        for candidate in candidates:
            for key, amount, capacity in self.demands(candidate.offer, candidate.quantity):
                found.setdefault(key, (capacity, []))[1].append((candidate, amount))
        return found

    def add_run_rows(self, models: Sequence[PlanModel]) -> None:
        """Hard: per key, the amounts of the chosen candidates of every request fit in what is left.

        One row per key across the requests of the model: a capacity is shared by the whole run.
        """
        terms: dict[str, list[tuple[int, Decimal]]] = {}
        left: dict[str, Decimal] = {}
        for model in models:
            for i, entry in enumerate(model.entries):
                for k, candidate in enumerate(entry.candidates):
                    for key, amount, capacity in self.demands(candidate.offer, candidate.quantity):
                        left[key] = model.usage.left((self.name, key), capacity)
                        terms.setdefault(key, []).append((model.x[i][k], amount))
        for key, row in terms.items():
            # Only one candidate per step is chosen: a row that all of them together cannot overrun is left out.
            if sum(amount for _, amount in row) > left[key]:
                models[0].milp.add_scaled_row(self.group(key), row, left[key])

    def check(self, facts: Facts) -> Iterator[str]:
        for key, (capacity, taking) in self.taking(facts.picks).items():
            total = sum((amount for _, amount in taking), ZERO)
            left = facts.usage.left((self.name, key), capacity)
            if total > left:
                yield f"{self.name}: {self.kind} {key} needs {number(total)}, {number(left)} left"

    def measure(self, model: PlanModel, key: str | None = None) -> Objective | None:
        return None

    def describe(
        self,
        model: PlanModel,
        picks: list[Candidate],
        qualifier: str,
        network: Network,
        key: str | None = None,
        values: Sequence[float] | None = None,
    ) -> Reason:
        usage = model.usage
        for found, (capacity, taking) in sorted(self.taking(picks).items()):
            if key is not None and found != key:
                continue
            total = sum((amount for _, amount in taking), ZERO)
            left = usage.left((self.name, found), capacity)
            if total <= left:
                continue
            taken = usage.taken((self.name, found), capacity)
            numbers: dict[str, object] = {self.kind: found, "needed": total, "left": left, "capacity": capacity}
            takers = {r: amount for r, amount in usage.takers.get((self.name, found), {}).items() if amount}
            if takers:
                numbers["taken_by"] = takers
            if len(takers) > 3:
                # The sentence names three takers and sums up the rest; both of its numbers are fields.
                rest = list(takers.values())[3:]
                numbers["taken_by_others"] = {"requests": len(rest), "took": sum(rest, ZERO)}
            numbers.update(self.quoted(total, left, capacity))
            return Reason(self.name, self.shortfall(found, qualifier, total, left, capacity, taken), numbers)
        return Reason(self.name, f"{self.name}: capacity is too small for {qualifier}")

    def quoted(self, total: Decimal, left: Decimal, capacity: Decimal) -> dict[str, object]:
        """Numbers the shortfall's sentence quotes beyond needed, left and capacity (each a field, SPEC §8)."""
        return {}

    def shortfall(self, key: str, qualifier: str, total: Decimal, left: Decimal, capacity: Decimal, taken: str) -> str:
        """How much more the plan meeting the other rules needs than is left."""
        needs = f"{self.name}: the plan meeting {qualifier} needs {number(total)} of {self.kind} {key}'s capacity"
        return f"{needs}; {number(left)} is left{taken}" if taken else f"{needs} of {number(capacity)}"


class ModuleCapacity(Limit):
    """Hard: per module, the sum of its assigned quantities fits its capacity, across the run."""

    name = "module_capacity"
    rank = 7
    category = "over capacity"
    kind = "module"

    def demands(self, offer: Offer, quantity: Decimal) -> tuple[Demand, ...]:
        module = offer.module
        return () if module.capacity is None else ((module.id, quantity, module.capacity),)

    def too_much(self, key: str, left: Decimal, amount: Decimal, taken: str) -> str:
        return f"module capacity {number(left)} left{taken}, step needs {number(amount)}"


class PartnerCapacity(Limit):
    """Hard: per partner, quantity × usage summed over its assignments fits its capacity, across the run."""

    name = "partner_capacity"
    rank = 7
    category = "over partner capacity"
    kind = "partner"

    def demands(self, offer: Offer, quantity: Decimal) -> tuple[Demand, ...]:
        partner = offer.partner
        if partner.capacity is None:
            return ()
        return ((partner.id, quantity * offer.module.usage, partner.capacity),)

    def too_much(self, key: str, left: Decimal, amount: Decimal, taken: str) -> str:
        return f"partner {key} has {number(left)} capacity left{taken}, step needs {number(amount)}"


class ResourceTotal(Limit):
    """Hard (SPEC §6): per resource in total, the amounts the assignments consume fit its total, across the run."""

    name = "resource_total"
    rank = 7
    category = "over a resource's total"
    kind = "resource"
    per_key = True

    def demands(self, offer: Offer, quantity: Decimal) -> tuple[Demand, ...]:
        found = []
        for resource, linear in offer.uses:
            if resource.total is not None:
                amount = linear.at(quantity)
                if amount > 0:
                    found.append((resource.id, amount, resource.total))
        return tuple(found)

    def too_much(self, key: str, left: Decimal, amount: Decimal, taken: str) -> str:
        return f"resource {key} has {number(left)} left{taken}, step needs {number(amount)}"

    def measure(self, model: PlanModel, key: str | None = None) -> Objective | None:
        """The least of the resource the plan can consume: what its total would have to allow."""
        terms: list[tuple[int, Decimal]] = []
        for i, entry in enumerate(model.entries):
            for k, candidate in enumerate(entry.candidates):
                for found, amount, _ in self.demands(candidate.offer, candidate.quantity):
                    if found == key:
                        terms.append((model.x[i][k], amount))
        return scaled_objective(terms) if terms else None

    @staticmethod
    def enough(total: Decimal, left: Decimal, capacity: Decimal) -> Decimal:
        """The total that would let the request through: what others took and what the plan needs."""
        return capacity - left + total

    def quoted(self, total: Decimal, left: Decimal, capacity: Decimal) -> dict[str, object]:
        return {"enough": self.enough(total, left, capacity)}

    def shortfall(self, key: str, qualifier: str, total: Decimal, left: Decimal, capacity: Decimal, taken: str) -> str:
        enough = self.enough(total, left, capacity)
        return (
            f"{key}: the plan meeting {qualifier} needs {number(total)} in total, {number(left)} is left"
            f"{taken or f' of {number(capacity)}'}; with a total of {number(enough)} the request can be planned"
        )


def scaled_objective(terms: Sequence[tuple[int, Decimal]]) -> Objective:
    """Amounts per column as whole numbers, scaled by one power of ten and their common divisor."""
    exponent = min([decimal_exponent(amount) for _, amount in terms] + [0])
    whole = {column: int(amount.scaleb(-exponent)) for column, amount in terms}
    divisor = math.gcd(*whole.values()) or 1
    objective: Objective = {}
    for column, amount in whole.items():
        objective[column] = objective.get(column, 0.0) + amount / divisor
    return objective


MODULE_CAPACITY = ModuleCapacity()
PARTNER_CAPACITY = PartnerCapacity()
RESOURCE_TOTAL = ResourceTotal()
LIMITS: tuple[Limit, ...] = (MODULE_CAPACITY, PARTNER_CAPACITY, RESOURCE_TOTAL)


def takes(offer: Offer, quantity: Decimal) -> Iterator[tuple[tuple[str, str], Decimal, Decimal]]:
    """Every ((limit, key), amount, capacity) a candidate takes from, over all limits."""
    for limit in LIMITS:
        for key, amount, capacity in limit.demands(offer, quantity):
            yield (limit.name, key), amount, capacity


def limit_keys(offer: Offer) -> tuple[tuple[str, str], ...]:
    """The (limit, key) pairs a module takes from whatever its quantity, and the resources it holds at once:
    every capacity it shares with other steps and requests."""
    keys = [pair for pair, _, _ in takes(offer, Decimal(1))]
    keys += [(AT_ONCE, resource.id) for resource, _ in offer.uses if resource.at_once is not None]
    return tuple(keys)


AT_ONCE = "resource_at_once"


class ResourceAtOnce(AmountFilter, ModelRule):
    """Hard (SPEC §6): at every time, the amounts of the steps running then, of every request of the run and
    of committed work, fit each resource held at once; a module that alone needs more than a resource
    has is never a candidate, whatever its duration."""

    name = AT_ONCE
    rank = 7
    category = "need more of a resource at once than it has"

    def applies(self, offer: Offer) -> bool:
        return any(resource.at_once is not None for resource, _ in offer.uses)

    def reject(
        self, offer: Offer, quantity: Decimal, cost: Decimal, usage: Usage, currency: str | None
    ) -> str | Callable[[], str] | Words | None:
        for resource, linear in offer.uses:
            at_once = resource.at_once
            if at_once is not None and linear.at(quantity) > at_once:
                return _too_much_at_once(resource.id, linear.at(quantity), at_once)
        return None

    def add_run_rows(self, models: Sequence[PlanModel]) -> None:
        """One cumulative per resource held at once: a task per step that may use it, busy periods from the
        requests planned before and committed work, on the timeline of the run (time 0 of the first release)."""
        resources: dict[str, Resource] = {}
        for model in models:
            for entry in model.entries:
                for candidate in entry.candidates:
                    for resource, _ in candidate.offer.uses:
                        if resource.at_once is not None:
                            resources.setdefault(resource.id, resource)
        if not resources:
            return
        milp = models[0].milp
        longest = sum(max((c.duration for c in e.candidates), default=0) for m in models for e in m.entries)
        first = min(model.release for model in models)
        for resource_id in sorted(resources):
            resource = resources[resource_id]
            busy = models[0].usage.busy.get(resource_id, [])
            amounts: list[tuple[Any, int, int, Decimal]] = []  # (model, step, candidate, amount)
            for model in models:
                for i, entry in enumerate(model.entries):
                    for k, candidate in enumerate(entry.candidates):
                        amount = candidate.offer.amounts(candidate.quantity).get(resource_id, ZERO)
                        if amount:
                            amounts.append((model, i, k, amount))
            held = held_within(busy, resource.capacity)
            scale = _whole_scale([a for *_, a in amounts] + [h[2] for h in held] + [resource.capacity])
            tasks: dict[tuple[int, int], Task] = {}
            for model, i, k, amount in amounts:
                key = (id(model), i)
                if key not in tasks:
                    durations = {model.x[i][j]: c.duration for j, c in enumerate(model.entries[i].candidates)}
                    tasks[key] = Task(model.start[i], durations, {}, model.release)
                tasks[key].demands[model.x[i][k]] = scale(amount)
            periods = [(begin, end, scale(amount)) for begin, end, amount in held]
            capacity = scale(resource.capacity)
            ceiling = capacity + sum(max(t.demands.values()) for t in tasks.values()) + sum(p[2] for p in periods)
            column = milp.add_column(0, ceiling, True)
            milp.cumulatives.append(
                Cumulative(f"{AT_ONCE}:{resource_id}", capacity, list(tasks.values()), periods, column)
            )
            # A bound on every start and finish of a semi-active schedule, counted from the first release
            # (start columns count from their request's release, which is no earlier): after the last busy
            # period has ended and the last request has been released, every step can run one after another.
            latest = max([end - first for _, end, _ in periods] + [model.release - first for model in models] + [0])
            horizon = latest + longest
            milp.horizon = max(milp.horizon or 0, horizon)

    def check(self, facts: Facts) -> Iterator[str]:
        if facts.starts is None:
            return
        for resource_id, resource, events in _profiles(facts):
            peak, _ = _peak(events)
            if peak > resource.capacity:
                yield f"{self.name}: {resource_id} holds {number(peak)} at once, {number(resource.capacity)} there is"

    def measure(self, model: PlanModel, key: str | None = None) -> Objective | None:
        for cumulative in model.milp.cumulatives:
            if cumulative.group == f"{AT_ONCE}:{key}" and cumulative.capacity_column is not None:
                return {cumulative.capacity_column: 1.0}
        return None

    def describe(
        self,
        model: PlanModel,
        picks: list[Candidate],
        qualifier: str,
        network: Network,
        key: str | None = None,
        values: Sequence[float] | None = None,
    ) -> Reason:
        resource = network.resources.get(key or "")
        if resource is None or values is None or not model.start:
            return Reason(self.name, f"{key}: not enough of it at once for {qualifier}")
        starts = [round(values[column]) for column in model.start]
        facts = Facts(network, model.request, picks, model.usage, [], 0, 0, [], starts, model.release)
        for found, _, events in _profiles(facts):
            if found != key:
                continue
            peak, when = _peak(events, resource.capacity)
            unit = network.info.time_unit
            first, last = when[0] - model.release, when[1] - model.release
            text = (
                f"{key}: the plan meeting {qualifier} needs {number(peak)} at once during {unit}s {first}–{last}, "
                f"has {number(resource.capacity)}; with {number(peak)} the request can be planned"
            )
            numbers = {"resource": key, "needed": peak, "has": resource.capacity, "from": first, "to": last}
            return Reason(self.name, text, numbers)
        return Reason(self.name, f"{key}: not enough of it at once for {qualifier}")


def _too_much_at_once(resource: str, amount: Decimal, at_once: Decimal) -> Words:
    return _words(
        f"need more of {resource} at once than it has",
        f"needs {number(amount)} of {resource} at once; it has {number(at_once)}",
        f"needs more of {resource} at once than it has",
        at_once=at_once,
    )


def _whole_scale(amounts: Sequence[Decimal]) -> Callable[[Decimal], int]:
    """A map of amounts to whole numbers that keeps every sum and comparison among them exact."""
    exponent = min([decimal_exponent(amount) for amount in amounts] + [0])
    whole = [int(amount.scaleb(-exponent)) for amount in amounts]
    divisor = math.gcd(*whole) or 1
    return lambda amount: int(amount.scaleb(-exponent)) // divisor


def _profiles(facts: Facts) -> Iterator[tuple[str, Resource, list[tuple[int, Decimal]]]]:
    """Per resource held at once by the plan: (+amount at start, -amount at finish) on the run's timeline,
    the busy periods of other requests and committed work included."""
    starts = facts.starts or []
    held: dict[str, tuple[Resource, list[tuple[int, Decimal]]]] = {}
    for i, pick in enumerate(facts.picks):
        if pick.duration <= 0:
            continue  # a step that takes no time holds nothing
        amounts = pick.offer.amounts(pick.quantity)
        for resource, _ in pick.offer.uses:
            amount = amounts.get(resource.id, ZERO)
            if resource.at_once is None or not amount:
                continue
            begin = facts.release + starts[i]
            events = held.setdefault(resource.id, (resource, []))[1]
            events += [(begin, amount), (begin + pick.duration, -amount)]
    for resource_id, (resource, events) in sorted(held.items()):
        assert resource.at_once is not None
        for begin, end, amount in held_within(facts.usage.busy.get(resource_id, []), resource.at_once):
            events += [(begin, amount), (end, -amount)]
        yield resource_id, resource, events


def held_within(busy: Sequence[tuple[int, int, Decimal, str]], capacity: Decimal) -> list[tuple[int, int, Decimal]]:
    """What others hold of a resource over time, as stretches (begin, end, amount) of constant use, at most
    ``capacity`` each: committed work placed by its own dates may already hold more than there is (SPEC §6
    places it as given); the resource is then full during that time, and nothing else is placed there."""
    changes: dict[int, Decimal] = {}
    for begin, end, amount, _ in busy:
        if end > begin and amount:
            changes[begin] = changes.get(begin, ZERO) + amount
            changes[end] = changes.get(end, ZERO) - amount
    stretches: list[tuple[int, int, Decimal]] = []
    level = ZERO
    times = sorted(changes)
    for position, time in enumerate(times[:-1]):
        level += changes[time]
        if level > 0:
            stretches.append((time, times[position + 1], min(level, capacity)))
    return stretches


def _peak(events: list[tuple[int, Decimal]], over: Decimal | None = None) -> tuple[Decimal, tuple[int, int]]:
    """The highest use at any time, and when: the first stretch (start, end) at that height, or with ``over``
    the first stretch of consecutive times where use is above it."""
    changes: dict[int, Decimal] = {}
    for time, delta in events:
        changes[time] = changes.get(time, ZERO) + delta
    times = sorted(changes)
    level = peak = ZERO
    at_peak = (0, 0)
    above: tuple[int, int] | None = None
    for position, time in enumerate(times):
        level += changes[time]
        until = times[position + 1] if position + 1 < len(times) else time
        if until == time:
            continue
        if level > peak:
            peak, at_peak = level, (time, until)
        if over is not None and level > over and (above is None or above[1] == time):
            above = (time, until) if above is None else (above[0], until)
    return peak, (above if above is not None else at_peak)


AT_ONCE_RULE = ResourceAtOnce()
AMOUNT_FILTERS: tuple[AmountFilter, ...] = (MinOrderValue(), *LIMITS, AT_ONCE_RULE)


class OneModulePerStep(ModelRule):
    """Hard: every step is assigned exactly one of its candidate modules."""

    name = "assignment"
    relaxable = False

    def add_rows(self, model: PlanModel) -> None:
        for columns in model.x:
            terms = {c: 1.0 for c in columns}
            if model.present is None:
                model.milp.add_row(self.name, terms, 1, 1)
            else:  # a joint run: every step is assigned exactly when the request is planned
                terms[model.present] = -1.0
                model.milp.add_row(self.name, terms, 0, 0)


class PlugCompatibility(ModelRule):
    """Hard: on each edge A -> B, B's module accepts anything or takes one of A's module's outputs."""

    name = "plug_compatibility"

    def add_rows(self, model: PlanModel) -> None:
        index_of = step_index(model.request)
        for b, entry in enumerate(model.entries):
            groups: dict[frozenset[str], list[int]] = {}
            for k, candidate in enumerate(entry.candidates):
                if candidate.accepts is not None:
                    groups.setdefault(candidate.accepts, []).append(k)
            if not groups:
                continue
            for before in entry.step.after:
                a = index_of[before]
                upstream = model.entries[a].candidates
                producers: dict[str, list[int]] = {}
                for j, candidate in enumerate(upstream):
                    for interface in candidate.module.outputs:
                        producers.setdefault(interface, []).append(j)
                for inputs, members in groups.items():
                    compatible = {j for interface in inputs for j in producers.get(interface, ())}
                    if len(compatible) == len(upstream):
                        continue
                    terms = {model.x[b][k]: 1.0 for k in members}
                    for j in compatible:
                        terms[model.x[a][j]] = -1.0
                    model.milp.add_row(self.name, terms, -math.inf, 0)

    @staticmethod
    def handoffs(request: Request, picks: Sequence[Candidate]) -> list[list[tuple[str, str | None, bool]]]:
        """Per step and `after` edge: (upstream step, interface handed over, plugs). The interface is the
        alphabetically first match; None when the module accepts anything, or when nothing matches."""
        index_of = step_index(request)
        result = []
        for i, step in enumerate(request.steps):
            module = picks[i].module
            edges: list[tuple[str, str | None, bool]] = []
            for before in step.after:
                if not module.inputs:
                    edges.append((before, None, True))
                    continue
                shared = sorted(set(picks[index_of[before]].module.outputs) & set(module.inputs))
                edges.append((before, shared[0] if shared else None, bool(shared)))
            result.append(edges)
        return result

    def check(self, facts: Facts) -> Iterator[str]:
        index_of = step_index(facts.request)
        for i, edges in enumerate(self.handoffs(facts.request, facts.picks)):
            for before, _, plugs in edges:
                if not plugs:
                    upstream = facts.picks[index_of[before]].module.id
                    yield f"{self.name}: {facts.picks[i].module.id} accepts nothing {upstream} outputs"

    def describe(
        self,
        model: PlanModel,
        picks: list[Candidate],
        qualifier: str,
        network: Network,
        key: str | None = None,
        values: Sequence[float] | None = None,
    ) -> Reason:
        request = model.request
        index_of = step_index(request)
        for i, step in enumerate(request.steps):
            module = picks[i].module
            for before in step.after:
                upstream = picks[index_of[before]].module
                if module.inputs and not set(module.inputs) & set(upstream.outputs):
                    text = (
                        f"plug_compatibility: the plan meeting {qualifier} needs {module.id} for step {step.id}, "
                        "which accepts "
                        f"[{', '.join(module.inputs)}], after {upstream.id} for step {before}, which outputs "
                        f"[{', '.join(upstream.outputs)}]"
                    )
                    numbers = {
                        "step": step.id,
                        "module": module.id,
                        "inputs": list(module.inputs),
                        "after": before,
                        "upstream_module": upstream.id,
                        "outputs": list(upstream.outputs),
                    }
                    return Reason(self.name, text, numbers)
        return Reason(self.name, f"plug_compatibility: no pluggable combination meets {qualifier}")

    @staticmethod
    def unpluggable(request: Request, entries: Sequence[StepCandidates]) -> list[Reason]:
        """Edges where no candidate of the later step accepts anything a candidate of the earlier outputs.

        Such an edge needs no engine to explain, and is reported alone.
        """
        index_of = step_index(request)
        reasons = []
        for entry in entries:
            if any(c.accepts is None for c in entry.candidates):
                continue
            for before in entry.step.after:
                upstream = entries[index_of[before]].candidates
                outputs = sorted({o for c in upstream for o in c.module.outputs})
                inputs = sorted({i for c in entry.candidates for i in c.module.inputs})
                if not set(outputs) & set(inputs):
                    producers = sorted({c.module.id for c in upstream})
                    takers = sorted({c.module.id for c in entry.candidates})
                    text = (
                        f"no module for step {entry.step.id} accepts what step {before} outputs: "
                        f"step {before}'s {_some(producers)} output [{', '.join(outputs)}]; "
                        f"step {entry.step.id}'s {_some(takers)} accept [{', '.join(inputs)}]"
                    )
                    numbers = {
                        "step": entry.step.id,
                        "after": before,
                        "outputs": outputs,
                        "inputs": inputs,
                        "upstream_modules": producers,
                        "upstream_module_count": len(producers),
                        "modules": takers,
                        "module_count": len(takers),
                    }
                    reasons.append(Reason("plug_compatibility", text, numbers))
        return reasons


def _some(names: Sequence[str], shown: int = 3) -> str:
    """Modules by name, or how many and the first few: '7 modules (a, b, c among them)'.

    A reason quotes only numbers its details carry as fields, so the count is the whole list's length
    (a detail's `module_count`), never the number left out.
    """
    if len(names) <= shown:
        return f"modules ({', '.join(names)})"
    return f"{len(names)} modules ({', '.join(names[:shown])} among them)"


class Schedule(ModelRule):
    """Hard: a step starts when all its predecessors have finished; the plan ends with its last step."""

    name = "schedule"
    relaxable = False

    def add_rows(self, model: PlanModel) -> None:
        if not model.timed:
            return
        milp = model.milp
        model.start = [milp.add_column(0, math.inf, False) for _ in model.entries]
        model.finish = milp.add_column(0, math.inf, False)
        index_of = step_index(model.request)
        for b, entry in enumerate(model.entries):
            for before in entry.step.after:
                a = index_of[before]
                terms = {model.start[b]: 1.0, model.start[a]: -1.0}
                for k, candidate in enumerate(model.entries[a].candidates):
                    terms[model.x[a][k]] = -float(candidate.duration)
                milp.add_row(self.name, terms, 0, math.inf)
        for i, entry in enumerate(model.entries):
            terms = {model.finish: 1.0, model.start[i]: -1.0}
            for k, candidate in enumerate(entry.candidates):
                terms[model.x[i][k]] = -float(candidate.duration)
            milp.add_row(self.name, terms, 0, math.inf)

    def check(self, facts: Facts) -> Iterator[str]:
        """Each step starts at or after the request's time 0 and the finish of every step it waits for."""
        if facts.starts is None:
            return
        index_of = step_index(facts.request)
        for i, step in enumerate(facts.request.steps):
            earliest = max((facts.finishes[index_of[b]] for b in step.after), default=0)
            if facts.starts[i] < earliest:
                yield f"{self.name}: step {step.id} starts at {facts.starts[i]}, before {earliest}"


class Total(ModelRule):
    """A limit on a total of one candidate amount over the plan: the budget (cost), the deadline (duration)."""

    amount: str  # the Candidate attribute: "cost" (cents) or "duration"
    measured: int  # its position in a measure (cost, cents, duration)
    rank: int
    category: str

    def limit(self, request: Request) -> int | None:
        raise NotImplementedError

    def total(self, request: Request, amounts: Sequence[int]) -> int:
        raise NotImplementedError

    def offsets(self, request: Request, best: Sequence[int]) -> list[int]:
        """Per step, the least the other steps add to its own amount, with each at its best."""
        raise NotImplementedError

    def over(self, limit: int, total: int, currency: str | None) -> str:
        """Why a candidate cannot be in any plan within the limit."""
        raise NotImplementedError

    def check(self, facts: Facts) -> Iterator[str]:
        limit = self.limit(facts.request)
        total = facts.cost if self.amount == "cost" else facts.finish
        if limit is not None and total > limit:
            yield f"{self.name}: {total} over {limit}"


class Deadline(Total):
    """Hard: the plan's finish is at most the deadline."""

    name = "deadline"
    amount = "duration"
    measured = 2
    rank = 8
    category = "too slow for the deadline"

    def limit(self, request: Request) -> int | None:
        return request.deadline_offset

    def total(self, request: Request, amounts: Sequence[int]) -> int:
        return max(earliest_schedule(request, amounts)[1], default=0)

    def offsets(self, request: Request, best: Sequence[int]) -> list[int]:
        return slack_offsets(request, best)

    def over(self, limit: int, total: int, currency: str | None) -> str:
        return f"the earliest finish with it is {total}; deadline is {limit}"

    def add_rows(self, model: PlanModel) -> None:
        deadline = self.limit(model.request)
        if deadline is not None and model.finish is not None:
            model.milp.add_row(self.name, {model.finish: 1.0}, -math.inf, deadline)

    def measure(self, model: PlanModel, key: str | None = None) -> Objective | None:
        return None if model.finish is None else {model.finish: 1.0}

    def describe(
        self,
        model: PlanModel,
        picks: list[Candidate],
        qualifier: str,
        network: Network,
        key: str | None = None,
        values: Sequence[float] | None = None,
    ) -> Reason:
        request = model.request
        unit = network.info.time_unit
        earliest = self.total(request, [c.duration for c in picks])
        deadline = request.deadline_offset
        waits = deadline is None or earliest <= deadline  # else too slow even without waiting for anything
        if model.milp.cumulatives and values is not None and model.finish is not None and waits:
            # Steps wait for resources held at once: the finish is the engine's, not the earliest schedule's.
            finish = round(values[model.finish])
            text = (
                f"deadline: the earliest finish the resources allow, meeting {qualifier}, is {unit} {finish}; "
                f"deadline is {unit} {request.deadline_offset}"
            )
        else:
            finish = earliest
            text = (
                f"deadline: the earliest finish meeting {qualifier} is {unit} {finish}; "
                f"deadline is {unit} {request.deadline_offset}"
            )
        return Reason(self.name, text, {"needed": finish, "limit": request.deadline_offset})


class Budget(Total):
    """Hard: total cost is at most the budget."""

    name = "budget"
    amount = "cost"
    measured = 1
    rank = 7
    category = "over budget"

    def limit(self, request: Request) -> int | None:
        return None if request.budget is None else budget_cents(request.budget)

    def total(self, request: Request, amounts: Sequence[int]) -> int:
        return sum(amounts)

    def offsets(self, request: Request, best: Sequence[int]) -> list[int]:
        total = sum(best)
        return [total - own for own in best]

    def over(self, limit: int, total: int, currency: str | None) -> str:
        return f"the cheapest plan with it costs {money(total, currency)}; budget is {money(limit, currency)}"

    def add_rows(self, model: PlanModel) -> None:
        limit = self.limit(model.request)
        if limit is None:
            return
        # A choice costing more than the whole budget counts as limit + 1: the same plans pass, and the
        # engine is spared coefficients beyond its range.
        terms = {
            model.x[i][k]: float(min(c.cost, limit + 1))
            for i, entry in enumerate(model.entries)
            for k, c in enumerate(entry.candidates)
        }
        if sum(max((c.cost for c in e.candidates), default=0) for e in model.entries) > limit:
            model.milp.add_row(self.name, terms, -math.inf, limit)

    def measure(self, model: PlanModel, key: str | None = None) -> Objective | None:
        from sbn.objectives import criterion_objective  # the cost criterion: the same objective, scaled the same

        return criterion_objective(model, "cost", frozenset())[0]

    def describe(
        self,
        model: PlanModel,
        picks: list[Candidate],
        qualifier: str,
        network: Network,
        key: str | None = None,
        values: Sequence[float] | None = None,
    ) -> Reason:
        currency = network.info.currency
        cost = sum(c.cost for c in picks)
        limit = self.limit(model.request)
        assert limit is not None
        text = (
            f"budget: the cheapest plan meeting {qualifier} costs {money(cost, currency)}; "
            f"budget is {money(limit, currency)}"
        )
        return Reason(self.name, text, {"needed": Cents(cost), "limit": Cents(limit)})


class TakesPart(ModelRule):
    """Link: a partner takes part when one of its modules does a step (for max_partners, avoid and criteria)."""

    name = "partner_link"
    relaxable = False

    def add_rows(self, model: PlanModel) -> None:
        involved = sorted({c.partner.id for entry in model.entries for c in entry.candidates})
        model.avoid_pairs = [pair for pair in model.avoid_pairs if pair[0] in involved and pair[1] in involved]
        # Partner variables are needed for every partner when partners are counted, else only for avoiders.
        tracked = involved if model.counted else sorted({p for pair in model.avoid_pairs for p in pair})
        for partner_id in tracked:
            model.y[partner_id] = model.milp.add_column(0, 1, True)
        for i, entry in enumerate(model.entries):
            per_partner: dict[str, dict[int, float]] = {}
            for k, candidate in enumerate(entry.candidates):
                per_partner.setdefault(candidate.partner.id, {})[model.x[i][k]] = 1.0
            for partner_id, terms in per_partner.items():
                if partner_id in model.y:
                    terms[model.y[partner_id]] = -1.0
                    model.milp.add_row(self.name, terms, -math.inf, 0)


class MaxPartners(ModelRule):
    """Hard: at most max_partners distinct partners."""

    name = "max_partners"

    def add_rows(self, model: PlanModel) -> None:
        limit = model.request.max_partners
        if limit is not None and len(model.y) > limit:
            model.milp.add_row(self.name, {column: 1.0 for column in model.y.values()}, -math.inf, limit)

    def check(self, facts: Facts) -> Iterator[str]:
        limit = facts.request.max_partners
        if limit is not None and len(facts.partners) > limit:
            yield f"{self.name}: {len(facts.partners)} partners, at most {limit}"

    def measure(self, model: PlanModel, key: str | None = None) -> Objective | None:
        return dict.fromkeys(model.y.values(), 1.0) if model.y else None

    def describe(
        self,
        model: PlanModel,
        picks: list[Candidate],
        qualifier: str,
        network: Network,
        key: str | None = None,
        values: Sequence[float] | None = None,
    ) -> Reason:
        count = len({c.partner.id for c in picks})
        limit = model.request.max_partners
        text = f"max_partners: the fewest partners meeting {qualifier} is {count}; max_partners is {limit}"
        return Reason(self.name, text, {"needed": count, "limit": limit})


class Avoid(ModelRule):
    """Hard: no two partners that avoid each other are both in the plan (symmetric in effect)."""

    name = "avoid"

    @staticmethod
    def pairs(involved: Iterable[str], partners: dict[str, Partner]) -> list[tuple[str, str]]:
        """The pairs among ``involved`` in which one avoids the other, each sorted, in order."""
        present = set(involved)
        found: set[tuple[str, str]] = set()
        for partner_id in present:
            for other in partners[partner_id].interests.avoid:
                if other in present and other != partner_id:
                    first, second = sorted((partner_id, other))
                    found.add((first, second))
        return sorted(found)

    def add_rows(self, model: PlanModel) -> None:
        for first, second in model.avoid_pairs:
            model.milp.add_row(self.name, {model.y[first]: 1.0, model.y[second]: 1.0}, -math.inf, 1)

    def check(self, facts: Facts) -> Iterator[str]:
        for first, second in self.pairs(facts.partners, facts.network.partners):
            yield f"{self.name}: {first} and {second} avoid each other"

    def describe(
        self,
        model: PlanModel,
        picks: list[Candidate],
        qualifier: str,
        network: Network,
        key: str | None = None,
        values: Sequence[float] | None = None,
    ) -> Reason:
        chosen = {c.partner.id for c in picks}
        pairs = [(a, b) for a, b in model.avoid_pairs if a in chosen and b in chosen]
        text = (
            f"avoid: a plan meeting {qualifier} needs partners {'; '.join(f'{a} and {b}' for a, b in pairs)} "
            "together, but they avoid each other"
        )
        return Reason(self.name, text, {"pairs": [list(pair) for pair in pairs]})


DEADLINE = Deadline()
BUDGET = Budget()
# The totals in the order candidate filtering bounds by them: the deadline bound is taken on the
# candidates the budget left.
TOTALS: tuple[Total, ...] = (BUDGET, DEADLINE)

# Every rule that ties steps together, in the order its rows enter the model (the SPEC's order).
MODEL_RULES: tuple[ModelRule, ...] = (
    OneModulePerStep(),
    PlugCompatibility(),
    Schedule(),
    DEADLINE,
    BUDGET,
    TakesPart(),
    MaxPartners(),
    Avoid(),
    *LIMITS,
    AT_ONCE_RULE,
)
RELAXABLE: tuple[str, ...] = tuple(rule.name for rule in MODEL_RULES if rule.relaxable)
# The rejections that what earlier requests took can make or unmake: the limits themselves, and the
# totals' bounds, which depend on the best candidates of the other steps.
USAGE_DEPENDENT: frozenset[str] = frozenset(rule.name for rule in (*LIMITS, *TOTALS))
BY_NAME: dict[str, ModelRule] = {rule.name: rule for rule in MODEL_RULES}
