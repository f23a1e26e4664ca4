"""Per step of a plan, the best module of another partner that could take over alone (SPEC §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sbn.candidates import Candidate, Catalog, find_candidates
from sbn.evaluation import Evaluation, evaluate
from sbn.ledger import Usage
from sbn.model import Request
from sbn.rules import LIMITS


@dataclass(frozen=True)
class Backup:
    module: str
    partner: str
    cost_delta: int  # cents
    finish_delta: int


def release(usage: Usage, picks: Sequence[Candidate]) -> Usage:
    """A copy of ``usage`` without what ``picks`` took: the capacity as the other requests left it."""
    others = usage.copy()
    for candidate in picks:
        for limit in LIMITS:
            demand = limit.demand(candidate.module, candidate.partner, candidate.quantity)
            if demand is not None:
                others.give_back((limit.name, demand[0]), demand[1])
    return others


def find_backups(
    catalog: Catalog,
    request: Request,
    picks: list[Candidate],
    usage: Usage,
    without: frozenset[str],
    criteria: Sequence[str] | None = None,
) -> list[Backup | None]:
    """Per step: every other assignment kept, the schedule recomputed, every rule still met, the best
    module of another partner by the criteria (then module id); None when there is none.

    ``usage`` includes what ``picks`` took; ``criteria`` are a joint run's, None: the request's own.
    """
    chosen = list(criteria if criteria is not None else request.optimize)
    network = catalog.network
    others = release(usage, picks)
    entries = find_candidates(catalog, request, others, without)
    current = evaluate(network, request, picks, others, without)
    backups: list[Backup | None] = []
    for i, pick in enumerate(picks):
        best: tuple[tuple[Any, ...], Candidate, Evaluation] | None = None
        for alternative in entries[i].candidates:
            if alternative.partner.id == pick.partner.id:
                continue
            trial_picks = list(picks)
            trial_picks[i] = alternative
            trial = evaluate(network, request, trial_picks, others, without)
            if trial.problems:
                continue
            key = (*rank(chosen, trial), alternative.module.id)
            if best is None or key < best[0]:
                best = (key, alternative, trial)
        if best is None:
            backups.append(None)
        else:
            _, alternative, trial = best
            backups.append(
                Backup(
                    alternative.module.id,
                    alternative.partner.id,
                    trial.cost - current.cost,
                    trial.finish - current.finish,
                )
            )
    return backups


def rank(criteria: Sequence[str], evaluation: Evaluation) -> tuple[Any, ...]:
    """An evaluation's values on the criteria, each to be minimised."""
    values = {
        "cost": evaluation.cost,
        "time": evaluation.finish,
        "partners": len(evaluation.partners),
        "reputation": -evaluation.reputation,
        "preferred": -evaluation.preferred,
    }
    return tuple(values[criterion] for criterion in criteria)
