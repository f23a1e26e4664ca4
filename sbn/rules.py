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
from typing import TYPE_CHECKING, NamedTuple

from sbn.graph import earliest_schedule, slack_offsets, step_index
from sbn.ledger import Usage
from sbn.milp import Objective
from sbn.model import Module, Partner, Request
from sbn.numbers import ZERO, budget_cents, cents, money, number
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

    def applies(self, module: Module, partner: Partner) -> bool:
        """Whether the rule can ever bind on this module (else filtering skips it)."""
        raise NotImplementedError

    def reject(
        self, offer: Offer, quantity: Decimal, cost: Decimal, usage: Usage, currency: str | None
    ) -> str | Callable[[], str] | None:
        """The detail of why this module cannot do the step (worded when read), or None."""
        raise NotImplementedError


class MinOrderValue(AmountFilter):
    """A partner takes no assignment whose cost is below its minimum order value."""

    name = "min_order_value"
    rank = 6
    category = "under their minimum order value"

    def applies(self, module: Module, partner: Partner) -> bool:
        return partner.interests.min_order_value is not None

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

    def measure(self, model: PlanModel) -> Objective | None:
        """What to minimise with the rule switched off, to quantify it; None: any plan tells."""
        return None

    def describe(self, model: PlanModel, picks: list[Candidate], qualifier: str, network: Network) -> Reason:
        return Reason(self.name, f"{self.name} conflicts with the other rules")


# -- limits: capacities shared by every step of every request in a run ----------------------------


class Limit(AmountFilter, ModelRule):
    """A capacity that the amounts of the chosen candidates, summed, must fit: what each candidate takes of which key.

    A candidate that alone takes more than is left is filtered out; the model adds one row per key
    its candidates could together overrun; the check sums the plan's amounts per key.
    """

    kind: str  # "module" or "partner": the owner of the capacity, in words

    def demand(self, module: Module, partner: Partner, quantity: Decimal) -> tuple[str, Decimal, Decimal] | None:
        """(key, amount taken, capacity) of a candidate, or None when the key has no limit."""
        raise NotImplementedError

    def too_much(self, key: str, left: Decimal, amount: Decimal, taken: str) -> str:
        """Why one candidate alone does not fit."""
        raise NotImplementedError

    def applies(self, module: Module, partner: Partner) -> bool:
        return self.demand(module, partner, Decimal(1)) is not None

    def reject(
        self, offer: Offer, quantity: Decimal, cost: Decimal, usage: Usage, currency: str | None
    ) -> str | Callable[[], str] | None:
        found = self.demand(offer.module, offer.partner, quantity)
        if found is None:
            return None
        key, amount, capacity = found
        left = usage.left((self.name, key), capacity)
        if amount <= left:
            return None
        taken = usage.taken((self.name, key), capacity)  # now: usage grows as requests are planned
        return lambda: self.too_much(key, left, amount, taken)

    def demands(self, candidates: Iterable[Candidate]) -> dict[str, tuple[Decimal, list[tuple[Candidate, Decimal]]]]:
        """Per key: its capacity, and the candidates taking from it with their amounts (in the order given)."""
        found: dict[str, tuple[Decimal, list[tuple[Candidate, Decimal]]]] = {}
        for candidate in candidates:
            demand = self.demand(candidate.module, candidate.partner, candidate.quantity)
            if demand is not None:
                key, amount, capacity = demand
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
                    demand = self.demand(candidate.module, candidate.partner, candidate.quantity)
                    if demand is not None:
                        key, amount, capacity = demand
                        left[key] = model.usage.left((self.name, key), capacity)
                        terms.setdefault(key, []).append((model.x[i][k], amount))
        for key, row in terms.items():
            # Only one candidate per step is chosen: a row that all of them together cannot overrun is left out.
            if sum(amount for _, amount in row) > left[key]:
                models[0].milp.add_scaled_row(self.name, row, left[key])

    def check(self, facts: Facts) -> Iterator[str]:
        for key, (capacity, taking) in self.demands(facts.picks).items():
            total = sum((amount for _, amount in taking), ZERO)
            left = facts.usage.left((self.name, key), capacity)
            if total > left:
                yield f"{self.name}: {self.kind} {key} needs {number(total)}, {number(left)} left"

    def measure(self, model: PlanModel) -> Objective | None:
        return None

    def describe(self, model: PlanModel, picks: list[Candidate], qualifier: str, network: Network) -> Reason:
        usage = model.usage
        for key, (capacity, taking) in sorted(self.demands(picks).items()):
            total = sum((amount for _, amount in taking), ZERO)
            left = usage.left((self.name, key), capacity)
            if total <= left:
                continue
            taken = usage.taken((self.name, key), capacity)
            needs = f"{self.name}: the plan meeting {qualifier} needs {number(total)} of {self.kind} {key}'s capacity"
            text = f"{needs}; {number(left)} is left{taken}" if taken else f"{needs} of {number(capacity)}"
            numbers = {self.kind: key, "needed": total, "left": left, "capacity": capacity}
            takers = {request: amount for request, amount in usage.takers.get((self.name, key), {}).items() if amount}
            if takers:
                numbers["taken_by"] = takers
            return Reason(self.name, text, numbers)
        return Reason(self.name, f"{self.name}: capacity is too small for {qualifier}")


class ModuleCapacity(Limit):
    """Hard: per module, the sum of its assigned quantities fits its capacity, across the run."""

    name = "module_capacity"
    rank = 7
    category = "over capacity"
    kind = "module"

    def demand(self, module: Module, partner: Partner, quantity: Decimal) -> tuple[str, Decimal, Decimal] | None:
        return None if module.capacity is None else (module.id, quantity, module.capacity)

    def too_much(self, key: str, left: Decimal, amount: Decimal, taken: str) -> str:
        return f"module capacity {number(left)} left{taken}, step needs {number(amount)}"


class PartnerCapacity(Limit):
    """Hard: per partner, quantity × usage summed over its assignments fits its capacity, across the run."""

    name = "partner_capacity"
    rank = 7
    category = "over partner capacity"
    kind = "partner"

    def demand(self, module: Module, partner: Partner, quantity: Decimal) -> tuple[str, Decimal, Decimal] | None:
        return None if partner.capacity is None else (partner.id, quantity * module.usage, partner.capacity)

    def too_much(self, key: str, left: Decimal, amount: Decimal, taken: str) -> str:
        return f"partner {key} has {number(left)} capacity left{taken}, step needs {number(amount)}"


MODULE_CAPACITY = ModuleCapacity()
PARTNER_CAPACITY = PartnerCapacity()
LIMITS: tuple[Limit, ...] = (MODULE_CAPACITY, PARTNER_CAPACITY)


def limit_keys(module: Module, partner: Partner) -> tuple[tuple[str, str], ...]:
    """The (limit, key) pairs a module takes from whatever its quantity: the capacities it shares."""
    keys = []
    for limit in LIMITS:
        demand = limit.demand(module, partner, Decimal(1))
        if demand is not None:
            keys.append((limit.name, demand[0]))
    return tuple(keys)


AMOUNT_FILTERS: tuple[AmountFilter, ...] = (MinOrderValue(), *LIMITS)


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

    def describe(self, model: PlanModel, picks: list[Candidate], qualifier: str, network: Network) -> Reason:
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
                        f"step {before}'s modules ({_some(producers)}) output [{', '.join(outputs)}]; "
                        f"step {entry.step.id}'s modules ({_some(takers)}) accept [{', '.join(inputs)}]"
                    )
                    numbers = {
                        "step": entry.step.id,
                        "after": before,
                        "outputs": outputs,
                        "inputs": inputs,
                        "upstream_modules": producers,
                        "modules": takers,
                    }
                    reasons.append(Reason("plug_compatibility", text, numbers))
        return reasons


def _some(names: Sequence[str], shown: int = 3) -> str:
    """A few names, and how many more: 'a, b, c and 4 more'."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


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

    def measure(self, model: PlanModel) -> Objective | None:
        return None if model.finish is None else {model.finish: 1.0}

    def describe(self, model: PlanModel, picks: list[Candidate], qualifier: str, network: Network) -> Reason:
        request = model.request
        unit = network.info.time_unit
        finish = self.total(request, [c.duration for c in picks])
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

    def measure(self, model: PlanModel) -> Objective | None:
        from sbn.objectives import criterion_objective  # the cost criterion: the same objective, scaled the same

        return criterion_objective(model, "cost", frozenset())[0]

    def describe(self, model: PlanModel, picks: list[Candidate], qualifier: str, network: Network) -> Reason:
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

    def measure(self, model: PlanModel) -> Objective | None:
        return dict.fromkeys(model.y.values(), 1.0) if model.y else None

    def describe(self, model: PlanModel, picks: list[Candidate], qualifier: str, network: Network) -> Reason:
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

    def describe(self, model: PlanModel, picks: list[Candidate], qualifier: str, network: Network) -> Reason:
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
)
RELAXABLE: tuple[str, ...] = tuple(rule.name for rule in MODEL_RULES if rule.relaxable)
# The rejections that what earlier requests took can make or unmake: the limits themselves, and the
# totals' bounds, which depend on the best candidates of the other steps.
USAGE_DEPENDENT: frozenset[str] = frozenset(rule.name for rule in (*LIMITS, *TOTALS))
BY_NAME: dict[str, ModelRule] = {rule.name: rule for rule in MODEL_RULES}
