"""The optimisation model of one request: one ordered list of rules, each named as SPEC §2 names it.

Variables: ``x[s][k]`` = step s is done by its k-th candidate; ``y[p]`` = partner p takes part;
``start[s]`` and ``finish`` when time matters. Every objective is integer-valued (cents,
time units, counts), so lexicographic stages can hold each optimum exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import attrgetter

from sbn.candidates import Candidate, StepCandidates, Usage
from sbn.model import Partner, Request
from sbn.solver import Milp, Objective

# Criteria are folded into one objective only while it stays small enough for the engine to
# tell every unit apart; every fold saves a solve.
# 2**31 was measured too large: HiGHS declared a folded objective of ~1e9 optimal 50% above the
# optimum (a 30-step re-plan); 2**24 keeps every unit far above the engine's tolerances.
FOLD_LIMIT = 2**24
# On large models the folded tie-break doubles the search (measured on GAP, docs/gap.md); there the
# plan among equals is the engine's own, which is deterministic for a given input and highspy version.
TIE_BREAK_MAX_CHOICES = 400


@dataclass
class PlanModel:
    request: Request
    entries: list[StepCandidates]
    milp: Milp = field(default_factory=Milp)
    x: list[list[int]] = field(default_factory=list)
    y: dict[str, int] = field(default_factory=dict)
    start: list[int] = field(default_factory=list)
    finish: int | None = None
    avoid_pairs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def index_of(self) -> dict[str, int]:
        return {entry.step.id: i for i, entry in enumerate(self.entries)}

    def chosen(self, values: list[float]) -> list[Candidate]:
        """The candidate picked for each step in a solution."""
        picks = []
        for i, entry in enumerate(self.entries):
            best = max(range(len(entry.candidates)), key=lambda k: values[self.x[i][k]])
            picks.append(entry.candidates[best])
        return picks


def build_model(
    request: Request,
    entries: list[StepCandidates],
    partners: dict[str, Partner],
    usage: Usage,
    need_schedule: bool,
    need_partners: bool,
    keep: dict[str, str] | None = None,
) -> PlanModel:
    """Every rule of SPEC §2 that ties steps together, in the SPEC's order."""
    involved = sorted({c.partner.id for entry in entries for c in entry.candidates})
    avoid_pairs = _avoiding_pairs(involved, partners)
    counted = need_partners or request.max_partners is not None
    entries = prune_dominated(request, entries, {p for pair in avoid_pairs for p in pair}, counted, keep or {})
    model = PlanModel(request, entries)
    milp = model.milp
    for entry in entries:
        model.x.append([milp.add_column(0, 1, True) for _ in entry.candidates])
    _one_module_per_step(model)
    _plug_compatibility(model)
    if need_schedule or request.deadline_offset is not None:
        _schedule(model)
        _deadline(model)
    _budget(model)
    involved = sorted({c.partner.id for entry in entries for c in entry.candidates})
    model.avoid_pairs = [pair for pair in avoid_pairs if pair[0] in involved and pair[1] in involved]
    # Partner variables are needed for every partner when partners are counted, else only for avoiders.
    tracked = involved if counted else sorted({p for pair in model.avoid_pairs for p in pair})
    if tracked:
        for partner_id in tracked:
            model.y[partner_id] = milp.add_column(0, 1, True)
        _partner_takes_part(model)
        _max_partners(model)
        _avoid(model)
    _module_capacity(model, usage)
    _partner_capacity(model, usage)
    return model


_NOTHING: frozenset[str] = frozenset()


def _preferred_amounts(request: Request) -> tuple[str, ...]:
    """The candidate amounts that count among equals: cost where it is a criterion or the request has a
    budget, duration where time is a criterion or the request has a deadline."""
    amounts = []
    if "cost" in request.optimize or request.budget is not None:
        amounts.append("cost")
    if "time" in request.optimize or request.deadline_offset is not None:
        amounts.append("duration")
    return tuple(amounts)


def preference_order(request: Request):  # type: ignore[no-untyped-def]
    """The order in which a step's candidates are preferred among equals: the tie-break, and who prunes whom.

    Cheaper first where cost counts, then faster where time counts (_preferred_amounts), then earlier module id.
    """
    amounts = _preferred_amounts(request)
    return lambda c: (*(getattr(c, amount) for amount in amounts), c.module.id)


def prune_dominated(
    request: Request, entries: list[StepCandidates], avoiders: set[str], counted: bool, keep: dict[str, str]
) -> list[StepCandidates]:
    """Drop candidates another candidate of the same step beats or equals on everything that matters.

    B dominates A when swapping A for B in any plan keeps every rule met and no criterion
    worse: B accepts all A accepts and outputs all A outputs (where the step has edges), cost and
    duration no higher (where they count), same reputation and
    preference (where they count), and B's partner and module carry no shared limit (capacity,
    avoid) that the swap could break. Ties go to the cheaper, faster, then lower module id.
    """
    criteria = set(request.optimize)
    amounts = _preferred_amounts(request)
    use_time = "duration" in amounts
    # preference_order, relying on each step's candidates coming in module id order (a stable sort keeps it).
    order = attrgetter(*amounts) if amounts else None
    grouped = "reputation" in criteria or "preferred" in criteria or counted
    prefer = set(request.prefer)
    followed = {before for entry in entries for before in entry.step.after}
    appearances: dict[str, int] = {}
    for entry in entries:
        for candidate in entry.candidates:
            appearances[candidate.module.id] = appearances.get(candidate.module.id, 0) + 1

    def free(candidate: Candidate) -> bool:
        partner, module = candidate.partner, candidate.module
        return (
            partner.capacity is None
            and partner.id not in avoiders
            and (module.capacity is None or appearances[module.id] == 1)
        )

    pruned = []
    for entry in entries:
        if not any(free(candidate) for candidate in entry.candidates):
            # Only a free candidate can beat another (the frontier below holds free ones alone).
            ordered = sorted(entry.candidates, key=lambda c: c.module.id)
            pruned.append(StepCandidates(entry.step, entry.quantity, entry.offered, ordered, entry.rejected))
            continue
        waits = bool(entry.step.after)
        feeds = entry.step.id in followed
        groups: dict[tuple, list[Candidate]] = {}  # type: ignore[type-arg]
        if not grouped:
            groups[()] = list(entry.candidates)
        for candidate in entry.candidates if grouped else ():
            key = (
                candidate.partner.reputation if "reputation" in criteria else None,
                candidate.partner.id in prefer if "preferred" in criteria else None,
                candidate.partner.id if counted else None,
            )
            groups.setdefault(key, []).append(candidate)
        kept: list[Candidate] = []
        keeping = keep.get(entry.step.id)
        for members in groups.values():
            if order is not None:
                members.sort(key=order)
            # Free candidates kept so far, by the interfaces that matter here, with the least duration
            # among them: each at most as costly as any later candidate, by the sort.
            frontier: dict[tuple[frozenset[str] | None, frozenset[str]], int] = {}
            for candidate in members:
                duration = candidate.duration if use_time else 0
                accepts = candidate.accepts if waits else None
                outputs = candidate.provides if feeds else _NOTHING
                signature = (accepts, outputs)
                same = frontier.get(signature)
                beaten = keeping != candidate.module.id and (
                    (same is not None and same <= duration)
                    or any(
                        other_duration <= duration
                        and (other_accepts is None or (accepts is not None and accepts <= other_accepts))
                        and outputs <= other_outputs
                        for (other_accepts, other_outputs), other_duration in frontier.items()
                    )
                )
                if beaten:
                    continue
                kept.append(candidate)
                if free(candidate):
                    frontier[signature] = duration if same is None else min(same, duration)
        kept.sort(key=lambda c: c.module.id)
        pruned.append(StepCandidates(entry.step, entry.quantity, entry.offered, kept, entry.rejected))
    return pruned


def _one_module_per_step(model: PlanModel) -> None:
    """Hard: every step is assigned exactly one of its candidate modules."""
    for columns in model.x:
        model.milp.add_row("assignment", {c: 1.0 for c in columns}, 1, 1)


def _plug_compatibility(model: PlanModel) -> None:
    """Hard: on each edge A -> B, B's module accepts anything or takes one of A's module's outputs."""
    index_of = model.index_of
    for b, entry in enumerate(model.entries):
        groups: dict[frozenset[str], list[int]] = {}
        for k, candidate in enumerate(entry.candidates):
            if candidate.module.inputs:
                groups.setdefault(frozenset(candidate.module.inputs), []).append(k)
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
                model.milp.add_row("plug_compatibility", terms, -math.inf, 0)


def _schedule(model: PlanModel) -> None:
    """Hard: a step starts when all its predecessors have finished; the plan ends with its last step."""
    milp = model.milp
    model.start = [milp.add_column(0, math.inf, False) for _ in model.entries]
    model.finish = milp.add_column(0, math.inf, False)
    index_of = model.index_of
    for b, entry in enumerate(model.entries):
        for before in entry.step.after:
            a = index_of[before]
            terms = {model.start[b]: 1.0, model.start[a]: -1.0}
            for k, candidate in enumerate(model.entries[a].candidates):
                terms[model.x[a][k]] = -float(candidate.duration)
            milp.add_row("schedule", terms, 0, math.inf)
    for i, entry in enumerate(model.entries):
        terms = {model.finish: 1.0, model.start[i]: -1.0}
        for k, candidate in enumerate(entry.candidates):
            terms[model.x[i][k]] = -float(candidate.duration)
        milp.add_row("schedule", terms, 0, math.inf)


def _deadline(model: PlanModel) -> None:
    """Hard: the plan's finish is at most the deadline."""
    deadline = model.request.deadline_offset
    if deadline is not None and model.finish is not None:
        model.milp.add_row("deadline", {model.finish: 1.0}, -math.inf, deadline)


def _budget(model: PlanModel) -> None:
    """Hard: total cost is at most the budget."""
    if model.request.budget is None:
        return
    limit = int((model.request.budget * 100).to_integral_value(rounding="ROUND_FLOOR"))
    # A choice costing more than the whole budget counts as limit + 1: the same plans pass, and the
    # engine is spared coefficients beyond its range.
    terms = {
        model.x[i][k]: float(min(c.cost, limit + 1))
        for i, entry in enumerate(model.entries)
        for k, c in enumerate(entry.candidates)
    }
    if sum(max((c.cost for c in e.candidates), default=0) for e in model.entries) > limit:
        model.milp.add_row("budget", terms, -math.inf, limit)


def _partner_takes_part(model: PlanModel) -> None:
    """Link: a partner takes part when one of its modules does a step."""
    for i, entry in enumerate(model.entries):
        per_partner: dict[str, dict[int, float]] = {}
        for k, candidate in enumerate(entry.candidates):
            per_partner.setdefault(candidate.partner.id, {})[model.x[i][k]] = 1.0
        for partner_id, terms in per_partner.items():
            if partner_id in model.y:
                terms[model.y[partner_id]] = -1.0
                model.milp.add_row("partner_link", terms, -math.inf, 0)


def _max_partners(model: PlanModel) -> None:
    """Hard: at most max_partners distinct partners."""
    limit = model.request.max_partners
    if limit is not None and len(model.y) > limit:
        model.milp.add_row("max_partners", {column: 1.0 for column in model.y.values()}, -math.inf, limit)


def _avoiding_pairs(involved: list[str], partners: dict[str, Partner]) -> list[tuple[str, str]]:
    present = set(involved)
    pairs = set()
    for partner_id in involved:
        for other in partners[partner_id].interests.avoid:
            if other in present and other != partner_id:
                pairs.add(tuple(sorted((partner_id, other))))
    return sorted(pairs)  # type: ignore[arg-type]


def _avoid(model: PlanModel) -> None:
    """Hard: no two partners that avoid each other are both in the plan."""
    for first, second in model.avoid_pairs:
        model.milp.add_row("avoid", {model.y[first]: 1.0, model.y[second]: 1.0}, -math.inf, 1)


def _module_capacity(model: PlanModel, usage: Usage) -> None:
    """Hard: per module, the quantities assigned fit in what earlier requests left of its capacity."""
    per_module: dict[str, list[tuple[int, Decimal]]] = {}
    left: dict[str, Decimal] = {}
    for i, entry in enumerate(model.entries):
        for k, candidate in enumerate(entry.candidates):
            remaining = usage.module_left(candidate.module)
            if remaining is not None:
                left[candidate.module.id] = remaining
                per_module.setdefault(candidate.module.id, []).append((model.x[i][k], candidate.quantity))
    for module_id, terms in per_module.items():
        if sum(q for _, q in terms) > left[module_id]:
            _add_scaled(model.milp, "module_capacity", terms, left[module_id])


def _partner_capacity(model: PlanModel, usage: Usage) -> None:
    """Hard: per partner, quantity × usage over its assignments fits in what is left of its capacity."""
    per_partner: dict[str, list[tuple[int, Decimal]]] = {}
    left: dict[str, Decimal] = {}
    for i, entry in enumerate(model.entries):
        for k, candidate in enumerate(entry.candidates):
            remaining = usage.partner_left(candidate.partner)
            if remaining is not None:
                left[candidate.partner.id] = remaining
                per_partner.setdefault(candidate.partner.id, []).append((model.x[i][k], candidate.usage))
    for partner_id, terms in per_partner.items():
        # Only one candidate per step is chosen, so the worst case takes each step's largest use.
        if sum(q for _, q in terms) > left[partner_id]:
            _add_scaled(model.milp, "partner_capacity", terms, left[partner_id])


def _add_scaled(milp: Milp, group: str, terms: list[tuple[int, Decimal]], limit: Decimal) -> None:
    """Add sum(q x) <= limit with integer coefficients, so the engine compares them exactly.

    Amounts are scaled by the power of ten that makes every one whole (numbers have at most 30
    decimals), then divided by their greatest common divisor, which keeps the row small: three
    steps of 0.0000000004 against 0.000000001 become 1 + 1 + 1 <= 2.
    """
    distinct = set(q for _, q in terms)  # few distinct amounts, even among 128,000 terms
    exponent = min([_exponent(q) for q in distinct] + [_exponent(limit), 0])
    scale = Decimal(10) ** -exponent
    whole = {q: int(q * scale) for q in distinct}
    divisor = math.gcd(*whole.values()) or 1
    bound = int((limit * scale).to_integral_value(rounding="ROUND_FLOOR")) // divisor
    # As for the budget: more than the limit on its own counts as limit + 1.
    scaled = {q: float(min(amount // divisor, bound + 1)) for q, amount in whole.items()}
    row: dict[int, float] = {}
    for column, quantity in terms:
        row[column] = row.get(column, 0.0) + scaled[quantity]
    milp.add_row(group, row, -math.inf, float(bound))


def _exponent(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


# -- objectives ------------------------------------------------------------------------------


def criterion_objective(model: PlanModel, criterion: str, prefer: frozenset[str]) -> tuple[Objective, int]:
    """The objective of one criterion, as integer coefficients, and a bound on its range."""
    if criterion == "cost":
        return _per_choice(model, lambda c: c.cost)
    if criterion == "time":
        assert model.finish is not None
        spread = sum(max((c.duration for c in e.candidates), default=0) for e in model.entries)
        return {model.finish: 1.0}, spread
    if criterion == "partners":
        return dict.fromkeys(model.y.values(), 1.0), len(model.y)
    if criterion == "reputation":
        exponent = min([_exponent(c.partner.reputation) for e in model.entries for c in e.candidates] + [0])
        scale = Decimal(10) ** (-exponent)
        return _per_choice(model, lambda c: -int(c.partner.reputation * scale))
    if criterion == "preferred":
        return _per_choice(model, lambda c: -1 if c.partner.id in prefer else 0)
    raise ValueError(f"unknown criterion {criterion!r}")


def change_objective(model: PlanModel, previous: dict[str, str]) -> tuple[Objective, int]:
    """Steps whose module differs from the previous plan's (minimised as minus the steps kept)."""
    return _per_choice(model, lambda c, i: -1 if c.module.id == previous.get(model.entries[i].step.id) else 0, True)


def _per_choice(model: PlanModel, coefficient, with_step: bool = False) -> tuple[Objective, int]:  # type: ignore[no-untyped-def]
    """Sum of a coefficient per chosen candidate, divided by the coefficients' gcd, and its range."""
    terms: dict[int, int] = {}
    spread = 0
    for i, entry in enumerate(model.entries):
        values = [coefficient(c, i) if with_step else coefficient(c) for c in entry.candidates]
        for k, value in enumerate(values):
            if value:
                terms[model.x[i][k]] = value
        if values:
            spread += max(values) - min(values)
    divisor = reduce(math.gcd, (abs(v) for v in terms.values()), 0) or 1
    return {column: value / divisor for column, value in terms.items()}, spread // divisor


def tie_break(model: PlanModel) -> tuple[Objective, int]:
    """Deterministic preference among equally good plans: the sum of the chosen candidates' preference ranks."""
    terms: Objective = {}
    spread = 0
    order = preference_order(model.request)
    for i, entry in enumerate(model.entries):
        ranked = sorted(range(len(entry.candidates)), key=lambda k: order(entry.candidates[k]))
        for rank, k in enumerate(ranked):
            if rank:
                terms[model.x[i][k]] = float(rank)
        spread += max(len(entry.candidates) - 1, 0)
    return terms, spread


def fold(first: Objective, first_spread: int, then: Objective, then_spread: int) -> tuple[Objective, int] | None:
    """first × W + then, with W beyond then's range: one objective that is exactly lexicographic.

    Only while every value stays below FOLD_LIMIT, so that the engine tells every unit apart.
    """
    weight = then_spread + 1
    spread = first_spread * weight + then_spread
    if spread >= FOLD_LIMIT:
        return None
    combined = {column: value * weight for column, value in first.items()}
    for column, value in then.items():
        combined[column] = combined.get(column, 0.0) + value
    return combined, spread
