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
    return run_criterion([model], criterion)


def run_criterion(models: Sequence[PlanModel], criterion: str) -> Stage:
    """A criterion summed over the requests of a model (one request, or a joint run's all; SPEC §7)."""
    if criterion == "cost":
        return _per_choice(models, lambda c, model, i: c.cost)
    if criterion == "time":
        spread = 0
        finishes: Objective = {}
        for model in models:
            assert model.finish is not None
            finishes[model.finish] = 1.0
            longest = sum(max((c.duration for c in e.candidates), default=0) for e in model.entries)
            if model.milp.horizon is not None:
                # Steps may wait for resources held at once: the finish ranges up to the horizon, which bounds it.
                longest = max(longest, model.milp.horizon)
            spread += longest
        return finishes, spread
    if criterion == "partners":
        columns = [column for model in models for column in model.y.values()]
        return dict.fromkeys(columns, 1.0), len(columns)
    if criterion == "reputation":
        exponent = min(
            [decimal_exponent(c.partner.reputation) for m in models for e in m.entries for c in e.candidates] + [0]
        )
        scale = Decimal(10) ** (-exponent)
        return _per_choice(models, lambda c, model, i: -int(c.partner.reputation * scale))
    if criterion == "preferred":
        return _per_choice(models, lambda c, model, i: -1 if c.partner.id in model.request.prefer else 0)
    raise ValueError(f"unknown criterion {criterion!r}")


def change_objective(model: PlanModel, previous: dict[str, str]) -> Stage:
    """Steps whose module differs from the previous plan's (minimised as minus the steps kept)."""
    return _per_choice([model], lambda c, m, i: -1 if c.module.id == previous.get(m.entries[i].step.id) else 0)


def _per_choice(models: Sequence[PlanModel], coefficient: Callable[[Candidate, PlanModel, int], int]) -> Stage:
    """Sum of a coefficient per chosen candidate, divided by the coefficients' gcd, and its range."""
    terms: dict[int, int] = {}
    spread = 0
    for model in models:
        for i, entry in enumerate(model.entries):
            values = [coefficient(c, model, i) for c in entry.candidates]
            for k, value in enumerate(values):
                if value:
                    terms[model.x[i][k]] = value
            if values:
                # A request a joint run may leave out chooses nothing for its steps: 0 is in the range too.
                low, high = min(values), max(values)
                if model.present is not None:
                    low, high = min(low, 0), max(high, 0)
                spread += high - low
    divisor = reduce(math.gcd, (abs(v) for v in terms.values()), 0) or 1
    return {column: value / divisor for column, value in terms.items()}, spread // divisor


def tie_break(model: PlanModel) -> Stage:
    """Deterministic preference among equally good plans: the sum of the chosen candidates' preference ranks."""
    return _tie_break([model])


def _tie_break(models: Sequence[PlanModel]) -> Stage:
    """Each step's candidates ranked by preference_order; in a joint run, then planning the requests that come
    first in the default order (SPEC §2: priority, then file order)."""
    terms: Objective = {}
    spread = 0
    optional = [model for model in models if model.present is not None]
    planning = sorted(range(len(optional)), key=lambda i: (-optional[i].request.priority, i))
    for weight, i in enumerate(reversed(planning), start=1):
        terms[optional[i].present] = -float(weight)  # type: ignore[index]
        spread += weight
    for model in models:
        order = preference_order(model.request, model.criteria)
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
    return [objective for objective, _ in fold_stages(stages, [model])[0]]


def fold_stages(stages: Sequence[Stage], models: Sequence[PlanModel]) -> tuple[list[Stage], list[list[int]]]:
    """Stages with neighbours folded where that stays exact, and the tie-break joined to the last when it fits.

    Empty stages are dropped. Returns the stages to solve, in order, and for each the positions of
    the given stages it holds (a stage proven optimal proves every stage folded into it).
    """
    kept = [(stage, [position]) for position, stage in enumerate(stages) if stage[0]]
    folded: list[Stage] = []
    held: list[list[int]] = []
    for stage, positions in reversed(kept):
        combined = fold(stage[0], stage[1], *folded[-1]) if folded else None
        if combined is None:
            folded.append(stage)
            held.append(positions)
        else:
            folded[-1] = combined
            held[-1] = positions + held[-1]
    # The tie-break joins the last stage when it fits; alone it would be a whole extra search
    # (measured on GAP), so then the engine's own deterministic choice among equals stands.
    choices = sum(max(len(entry.candidates) - 1, 0) for model in models for entry in model.entries)
    extra, extra_spread = _tie_break(models) if choices <= TIE_BREAK_MAX_CHOICES else ({}, 0)
    if extra and len(extra) <= TIE_BREAK_MAX_CHOICES:
        if not folded:
            folded.append((extra, extra_spread))
            held.append([])
        else:
            combined = fold(folded[0][0], folded[0][1], extra, extra_spread)
            if combined is not None:
                folded[0] = combined
    return list(reversed(folded)), list(reversed(held))


def joint_objectives(
    models: Sequence[PlanModel], criteria: Sequence[str], previous: dict[str, dict[str, str]] | None
) -> tuple[list[Stage], list[str | int]]:
    """The stages of a joint run (SPEC §7): the most requests planned per priority class, highest first;
    then, with --from, the fewest steps changed over the run; then each criterion summed over the run.

    Returns the stages and what each optimises: a priority class (int), "changes" or a criterion.
    """
    stages: list[Stage] = []
    labels: list[str | int] = []
    for priority in sorted({model.request.priority for model in models}, reverse=True):
        members = [model for model in models if model.request.priority == priority]
        stages.append(({model.present: -1.0 for model in members if model.present is not None}, len(members)))
        labels.append(priority)
    if previous is not None:
        stages.append(_run_changes(models, previous))
        labels.append("changes")
    for criterion in criteria:
        stages.append(run_criterion(models, criterion))
        labels.append(criterion)
    return stages, labels


def _run_changes(models: Sequence[PlanModel], previous: dict[str, dict[str, str]]) -> Stage:
    """Steps of the run whose module differs from the previous plan's, less a constant.

    A step the previous plan gave module m is changed unless it is planned with m (1 - x[m]); a
    step it gave none is changed when its request is planned (z). A request left unplanned has no
    module for any step, which differs from every module it had.
    """
    terms: dict[int, float] = {}
    spread = 0
    for model in models:
        before = previous.get(model.request.id, {})
        for i, entry in enumerate(model.entries):
            kept = before.get(entry.step.id)
            spread += 1
            if kept is None:
                assert model.present is not None
                terms[model.present] = terms.get(model.present, 0.0) + 1.0
                continue
            for k, candidate in enumerate(entry.candidates):
                if candidate.module.id == kept:
                    terms[model.x[i][k]] = -1.0
    return terms, spread
