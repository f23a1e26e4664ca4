"""What a plan is optimised for: the criteria of SPEC §1, minimal change (§5) and the tie-break.

Each is an integer-valued objective over the model's columns. Neighbouring stages are folded
into one weighted objective where that stays exact, so a request with [cost, time] usually
needs one solve, not two.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import reduce

from sbn.candidates import Candidate
from sbn.dominance import preference_order
from sbn.formulation import PlanModel
from sbn.milp import Objective
from sbn.numbers import decimal_exponent

# Criteria are folded into one objective only while it stays small enough for the engine to
# tell every unit apart; every fold saves a solve.
# 2**31 was measured too large: HiGHS declared a folded objective of ~1e9 optimal 50% above the
# optimum (a 30-step re-plan); 2**24 keeps every unit far above the engine's tolerances.
FOLD_LIMIT = 2**24
# On large models the folded tie-break doubles the search (measured on GAP, docs/gap.md); there the
# plan among equals is the engine's own, which is deterministic for a given input and highspy version.
TIE_BREAK_MAX_CHOICES = 400

Stage = tuple[Objective, int]  # an objective and a bound on its range


def criterion_objective(model: PlanModel, criterion: str, prefer: frozenset[str]) -> Stage:
    """The objective of one criterion, as integer coefficients, and a bound on its range."""
    if criterion == "cost":
        return _per_choice(model, lambda c, i: c.cost)
    if criterion == "time":
        assert model.finish is not None
        spread = sum(max((c.duration for c in e.candidates), default=0) for e in model.entries)
        return {model.finish: 1.0}, spread
    if criterion == "partners":
        return dict.fromkeys(model.y.values(), 1.0), len(model.y)
    if criterion == "reputation":
        exponent = min([decimal_exponent(c.partner.reputation) for e in model.entries for c in e.candidates] + [0])
        scale = Decimal(10) ** (-exponent)
        return _per_choice(model, lambda c, i: -int(c.partner.reputation * scale))
    if criterion == "preferred":
        return _per_choice(model, lambda c, i: -1 if c.partner.id in prefer else 0)
    raise ValueError(f"unknown criterion {criterion!r}")


def change_objective(model: PlanModel, previous: dict[str, str]) -> Stage:
    """Steps whose module differs from the previous plan's (minimised as minus the steps kept)."""
    return _per_choice(model, lambda c, i: -1 if c.module.id == previous.get(model.entries[i].step.id) else 0)


def _per_choice(model: PlanModel, coefficient: Callable[[Candidate, int], int]) -> Stage:
    """Sum of a coefficient per chosen candidate, divided by the coefficients' gcd, and its range."""
    terms: dict[int, int] = {}
    spread = 0
    for i, entry in enumerate(model.entries):
        values = [coefficient(c, i) for c in entry.candidates]
        for k, value in enumerate(values):
            if value:
                terms[model.x[i][k]] = value
        if values:
            spread += max(values) - min(values)
    divisor = reduce(math.gcd, (abs(v) for v in terms.values()), 0) or 1
    return {column: value / divisor for column, value in terms.items()}, spread // divisor


def tie_break(model: PlanModel) -> Stage:
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


def fold(first: Objective, first_spread: int, then: Objective, then_spread: int) -> Stage | None:
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


def objectives(model: PlanModel, criteria: Sequence[str], previous: dict[str, str] | None) -> list[Objective]:
    """The lexicographic stages: minimal change first (with --from), the criteria, then the tie-break."""
    stages: list[Stage] = []
    if previous is not None:
        stages.append(change_objective(model, previous))
    prefer = frozenset(model.request.prefer)
    stages.extend(criterion_objective(model, criterion, prefer) for criterion in criteria)
    stages = [stage for stage in stages if stage[0]]
    folded: list[Stage] = []
    for stage in reversed(stages):
        combined = fold(stage[0], stage[1], *folded[-1]) if folded else None
        if combined is None:
            folded.append(stage)
        else:
            folded[-1] = combined
    # The tie-break joins the last stage when it fits; alone it would be a whole extra search
    # (measured on GAP), so then the engine's own deterministic choice among equals stands.
    choices = sum(max(len(entry.candidates) - 1, 0) for entry in model.entries)
    extra, extra_spread = tie_break(model) if choices <= TIE_BREAK_MAX_CHOICES else ({}, 0)
    if extra and len(extra) <= TIE_BREAK_MAX_CHOICES:
        if not folded:
            folded.append((extra, extra_spread))
        else:
            combined = fold(folded[0][0], folded[0][1], extra, extra_spread)
            if combined is not None:
                folded[0] = combined
    return [objective for objective, _ in reversed(folded)]
