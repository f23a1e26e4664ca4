"""Settle a request without the engine, when a simple certificate proves the plan optimal."""

from __future__ import annotations

from collections.abc import Sequence

from sbn.candidates import Candidate, StepCandidates
from sbn.dominance import preference_order
from sbn.evaluation import Evaluation, evaluate
from sbn.graph import earliest_schedule
from sbn.ledger import Usage
from sbn.loader import Network
from sbn.model import Request


def settle_directly(
    network: Network,
    request: Request,
    entries: list[StepCandidates],
    usage: Usage,
    criteria: Sequence[str],
    previous: dict[str, str] | None,
    without: frozenset[str] = frozenset(),
) -> tuple[list[Candidate], Evaluation] | None:
    """The optimal plan found without the engine, when a simple certificate proves it; else None.

    Drop every rule that ties steps together and the problem falls apart into one choice per step.
    Criteria that add up over steps (changes, cost, reputation, preferred) are then met by keeping,
    per step, only the candidates best on them, criterion by criterion; the tie-break
    (preference_order) leaves one candidate per step. For `time` and `partners`, which do not add up,
    the best value over what is left at their turn is a bound: the earliest finish with each step's
    fastest candidate, and 1 partner (2 when no partner has candidates for every step). When the plan
    so chosen meets every rule (evaluate) and reaches each bound, no plan is better on any stage, and
    it is the one the engine would return with the same tie-break.
    """
    prefer = frozenset(request.prefer)
    keep = previous or {}
    sets = [entry.candidates for entry in entries]
    bounds: list[tuple[str, int]] = []
    stages = (["changes"] if previous is not None else []) + list(criteria)
    for criterion in stages:
        if criterion == "time":
            fastest = [min(c.duration for c in candidates) for candidates in sets]
            bounds.append(("time", max(earliest_schedule(request, fastest)[1], default=0)))
            continue
        if criterion == "partners":
            shared = set.intersection(*({c.partner.id for c in candidates} for candidates in sets))
            bounds.append(("partners", 1 if shared else 2))
            continue
        narrowed = []
        for i, candidates in enumerate(sets):
            if criterion == "changes":
                kept = [c for c in candidates if c.module.id == keep.get(entries[i].step.id)]
                narrowed.append(kept or candidates)
                continue
            if criterion == "cost":
                best_cost = min(c.cost for c in candidates)
                narrowed.append([c for c in candidates if c.cost == best_cost])
            elif criterion == "reputation":
                best_reputation = max(c.partner.reputation for c in candidates)
                narrowed.append([c for c in candidates if c.partner.reputation == best_reputation])
            elif criterion == "preferred":
                liked = [c for c in candidates if c.partner.id in prefer]
                narrowed.append(liked or candidates)
            else:
                raise ValueError(f"unknown criterion {criterion!r}")
        sets = narrowed
    order = preference_order(request, request.optimize)
    picks = [min(candidates, key=order) for candidates in sets]
    evaluation = evaluate(network, request, picks, usage, without)
    if evaluation.problems:
        return None
    for criterion, bound in bounds:
        reached = evaluation.finish if criterion == "time" else len(evaluation.partners)
        if reached > bound:
            return None
    return picks, evaluation
