"""Which of a step's candidates is preferred among equals, and which can never be better than another.

The tie-break (the same input always gives the same plan) and dominance pruning share one order,
so pruning never drops the plan the tie-break prefers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from operator import attrgetter
from typing import Any

from sbn.candidates import Candidate, StepCandidates
from sbn.model import Request
from sbn.rules import AT_ONCE, TOTALS

_NOTHING: frozenset[str] = frozenset()
# The criterion that minimises each candidate amount, besides the total rule that limits it.
_AMOUNT_CRITERION = {"cost": "cost", "duration": "time"}


def preferred_amounts(request: Request, criteria: Collection[str]) -> tuple[str, ...]:
    """The candidate amounts that count among equals: each one a criterion minimises or a total limits
    (cost: the cost criterion or a budget; duration: the time criterion or a deadline)."""
    amounts = []
    for rule in TOTALS:
        if _AMOUNT_CRITERION[rule.amount] in criteria or rule.limit(request) is not None:
            amounts.append(rule.amount)
    return tuple(amounts)


def preference_order(request: Request, criteria: Collection[str]) -> Callable[[Candidate], tuple[Any, ...]]:
    """The order in which a step's candidates are preferred among equals: the tie-break, and who prunes whom.

    Cheaper first where cost counts, then faster where time counts (preferred_amounts), then earlier module id.
    """
    amounts = preferred_amounts(request, criteria)
    return lambda c: (*(getattr(c, amount) for amount in amounts), c.module.id)


def limited_keys(entries: Sequence[StepCandidates]) -> dict[tuple[str, str], int]:
    """Per (limit, key): the number of steps with a candidate taking from it."""
    appearances: dict[tuple[str, str], int] = {}
    for entry in entries:
        seen = {pair for candidate in entry.candidates for pair in candidate.offer.limits}
        for pair in seen:
            appearances[pair] = appearances.get(pair, 0) + 1
    return appearances


def prune_dominated(
    request: Request,
    entries: list[StepCandidates],
    coupled: Collection[str],
    counted: bool,
    keep: Mapping[str, Collection[str]],
    appearances: dict[tuple[str, str], int],
    criteria: Collection[str],
) -> list[StepCandidates]:
    """Drop candidates another candidate of the same step beats or equals on everything that matters.

    B dominates A when swapping A for B in any plan keeps every rule met and no criterion
    worse: B accepts all A accepts and outputs all A outputs (where the step has edges), cost and
    duration no higher (where they count), same reputation and preference (where they count), and
    B is free: its partner is ``coupled`` to no other (avoid), no limit it takes from is taken
    from by another step (``appearances``, see limited_keys), and it holds no resource at once.
    Ties go to the cheaper, faster, then lower module id (preference_order). ``keep`` names, per
    step, modules never pruned; ``criteria`` are those the plan is optimised for (the request's own,
    or a joint run's).
    """
    criteria = set(criteria)
    amounts = preferred_amounts(request, criteria)
    use_time = "duration" in amounts
    # preference_order, relying on each step's candidates coming in module id order (a stable sort keeps it).
    order = attrgetter(*amounts) if amounts else None
    grouped = "reputation" in criteria or "preferred" in criteria or counted
    prefer = set(request.prefer)
    followed = {before for entry in entries for before in entry.step.after}

    def free(candidate: Candidate) -> bool:
        if candidate.partner.id in coupled:
            return False
        # A resource held at once makes a step wait on work of any request: its finish is not its duration.
        return all(pair[0] != AT_ONCE and appearances.get(pair, 0) <= 1 for pair in candidate.offer.limits)

    pruned = []
    for entry in entries:
        if not any(free(candidate) for candidate in entry.candidates):
            # Only a free candidate can beat another (the frontier below holds free ones alone).
            ordered = sorted(entry.candidates, key=lambda c: c.module.id)
            pruned.append(StepCandidates(entry.step, entry.quantity, entry.offered, ordered, entry.rejected))
            continue
        waits = bool(entry.step.after)
        feeds = entry.step.id in followed
        groups: dict[tuple[Any, ...], list[Candidate]] = {}
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
        keeping = keep.get(entry.step.id, ())
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
                beaten = candidate.module.id not in keeping and (
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
