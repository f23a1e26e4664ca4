"""Per step of a plan, the best module of another partner that could take over alone (SPEC §5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sbn.candidates import Candidate, Catalog, StepCandidates, find_candidates
from sbn.evaluation import Evaluation, evaluate, serial_schedule
from sbn.ledger import Usage
from sbn.model import Request
from sbn.rules import takes


@dataclass(frozen=True)
class Backup:
    module: str
    partner: str
    cost_delta: int  # cents
    finish_delta: int


@dataclass(frozen=True)
class NoBackup:
    """Why no module of another partner can take a step over."""

    reason: str


def release(usage: Usage, request: Request, picks: Sequence[Candidate]) -> Usage:
    """A copy of ``usage`` without what ``picks`` took: the capacity as the other requests left it."""
    others = usage.copy()
    for candidate in picks:
        for key, amount, _ in takes(candidate.offer, candidate.quantity):
            others.give_back(key, amount)
    others.without_holds(request.id)
    return others


def find_backups(
    catalog: Catalog,
    request: Request,
    picks: list[Candidate],
    usage: Usage,
    without: frozenset[str],
    criteria: Sequence[str] | None = None,
    starts: Sequence[int] | None = None,
) -> list[Backup | NoBackup]:
    """Per step: every other assignment kept, the schedule recomputed, every rule still met, the best
    module of another partner by the criteria (then module id); when there is none, why.

    ``usage`` includes what ``picks`` took; ``criteria`` are a joint run's, None: the request's own.
    ``starts``: the plan's, when its steps wait for resources held at once; each swap is then placed
    again around what the other requests hold (evaluation.serial_schedule, in the plan's order).
    """
    chosen = list(criteria if criteria is not None else request.optimize)
    network = catalog.network
    others = release(usage, request, picks)
    entries = find_candidates(catalog, request, others, without)
    timed = starts is not None and any(r.at_once is not None for p in picks for r, _ in p.offer.uses)
    order = sorted(range(len(picks)), key=lambda i: (starts[i], i)) if starts is not None else []
    current = evaluate(network, request, picks, others, without, starts if timed else None)
    backups: list[Backup | NoBackup] = []
    for i, pick in enumerate(picks):
        best: tuple[tuple[Any, ...], Candidate, Evaluation] | None = None
        broken: Counter[str] = Counter()
        for alternative in entries[i].candidates:
            if alternative.partner.id == pick.partner.id:
                continue
            trial_picks = list(picks)
            trial_picks[i] = alternative
            placed = serial_schedule(request, trial_picks, others, order) if timed else None
            trial = evaluate(network, request, trial_picks, others, without, placed)
            if trial.problems:
                broken[" and ".join(sorted({problem.split(":", 1)[0] for problem in trial.problems}))] += 1
                continue
            key = (*rank(chosen, trial), alternative.module.id)
            if best is None or key < best[0]:
                best = (key, alternative, trial)
        if best is None:
            backups.append(NoBackup(_why_none(entries[i], pick, broken)))
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


# Rules named in words where their SPEC name does not read as one: the fields a network author writes.
_RULE_WORDS = {"resource_at_once": "a resource's at_once", "resource_total": "a resource's total"}


def _in_words(rules: str) -> str:
    """'budget and partner_capacity' as 'budget and partner capacity', like the candidates' 'over partner capacity'."""
    return " and ".join(_RULE_WORDS.get(rule, rule.replace("_", " ")) for rule in rules.split(" and "))


def _why_none(entry: StepCandidates, pick: Candidate, broken: Counter[str]) -> str:
    """Why no module of another partner can take the step: the rules each would break, or why it is no candidate."""
    parts = [
        f"{count} would break {_in_words(rules)}"
        for rules, count in sorted(broken.items(), key=lambda i: (-i[1], i[0]))
    ]
    others = StepCandidates(entry.step, entry.quantity, entry.offered)
    others.rejected = [r for r in entry.rejected if r.partner != pick.partner.id]
    parts += [f"{count} {words}" for words, _, count, _ in others.counts()]
    if not parts:
        return f"no other partner offers {entry.step.capability}"
    return "no module of another partner fits: " + ", ".join(parts)


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
