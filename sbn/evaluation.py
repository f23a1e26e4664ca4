"""A complete assignment measured and checked exactly: schedule, cost, handoffs and every rule.

The engine works in floating point with tolerances; every plan it returns is checked here, in
decimals and whole cents, against every rule of sbn.rules before it is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sbn.candidates import Candidate, fixed_for
from sbn.graph import earliest_schedule, step_index
from sbn.ledger import Usage
from sbn.loader import Network
from sbn.model import Request
from sbn.rules import AMOUNT_FILTERS, CAPABILITY, FILTERS, LIMITS, MODEL_RULES, Facts, PlugCompatibility


@dataclass(frozen=True)
class Handoff:
    source: str  # the upstream step
    interface: str | None


@dataclass
class Evaluation:
    """A complete assignment measured exactly: schedule, cost and handoffs, and the rules it breaks."""

    starts: list[int]
    finishes: list[int]
    waits: list[int]  # per step: how long after its predecessors (or its request's time 0) it starts
    handoffs: list[list[Handoff]]
    cost: int
    finish: int
    partners: list[str]
    reputation: Decimal
    preferred: int
    problems: list[str] = field(default_factory=list)


def evaluate(
    network: Network,
    request: Request,
    picks: Sequence[Candidate],
    usage: Usage,
    without: frozenset[str] = frozenset(),
    starts: Sequence[int] | None = None,
) -> Evaluation:
    """Measure a complete assignment and check every rule of SPEC §2 (and §6) exactly: the filters, then the
    model rules. ``starts``: where the engine placed the steps (around resources held at once); else each
    step starts as soon as the steps it waits for have finished."""
    picks = list(picks)
    durations = [c.duration for c in picks]
    if starts is None:
        starts, finishes = earliest_schedule(request, durations)
    else:
        starts = list(starts)
        finishes = [start + duration for start, duration in zip(starts, durations, strict=True)]
    index_of = step_index(request)
    waits = [
        starts[i] - max((finishes[index_of[b]] for b in step.after), default=0) for i, step in enumerate(request.steps)
    ]
    handoffs = [
        [Handoff(before, interface) for before, interface, _ in edges]
        for edges in PlugCompatibility.handoffs(request, picks)
    ]
    cost = sum(c.cost for c in picks)
    partners = sorted({c.partner.id for c in picks})
    problems: list[str] = []
    currency = network.info.currency
    for step, candidate in zip(request.steps, picks, strict=True):
        fixed = fixed_for(request, step, without)
        for rule in (CAPABILITY, *FILTERS):
            test = rule.select(fixed)
            words = test(candidate.offer) if test is not None else None
            if words is not None:
                problems.append(f"{rule.name}: {candidate.module.id} {words[1]}")
        for amount_rule in AMOUNT_FILTERS:
            if amount_rule in LIMITS:
                continue  # a limit is checked on the plan's total (Limit.check), not candidate by candidate
            cost_at = Decimal(candidate.cost).scaleb(-2)
            found = amount_rule.reject(candidate.offer, candidate.quantity, cost_at, usage, currency)
            if found is not None:
                detail = found[1] if isinstance(found, tuple) else f"costs {cost_at}"
                problems.append(f"{amount_rule.name}: {candidate.module.id} {detail}")
    finish = max(finishes, default=0)
    release = usage.release(request.start)
    facts = Facts(network, request, picks, usage, finishes, cost, finish, partners, starts, release)
    for model_rule in MODEL_RULES:
        problems.extend(model_rule.check(facts))
    prefer = set(request.prefer)
    return Evaluation(
        starts=starts,
        finishes=finishes,
        waits=waits,
        handoffs=handoffs,
        cost=cost,
        finish=finish,
        partners=partners,
        reputation=sum((c.partner.reputation for c in picks), Decimal(0)),
        preferred=sum(1 for c in picks if c.partner.id in prefer),
        problems=problems,
    )


def left_shift(request: Request, picks: Sequence[Candidate], starts: Sequence[int], usage: Usage) -> list[int]:
    """The same plan made semi-active (SPEC §6): each step moved to the earliest time it can start with every
    other step kept where it is, until none can move; deterministic, step order breaking ties.

    ``usage`` holds what others hold at once (earlier requests, committed work), on the run's timeline.
    """
    release = usage.release(request.start)
    starts = list(starts)
    index_of = step_index(request)
    limits: dict[str, Decimal] = {}
    for pick in picks:
        for resource, _ in pick.offer.uses:
            if resource.at_once is not None:
                limits[resource.id] = resource.at_once
    moved = True
    while moved:
        moved = False
        for i in sorted(range(len(picks)), key=lambda i: (starts[i], i)):
            earliest = max(
                (starts[index_of[b]] + picks[index_of[b]].duration for b in request.steps[i].after), default=0
            )
            others = [j for j in range(len(picks)) if j != i]
            time = _earliest_fit(i, earliest, starts[i], picks, starts, others, usage, release, limits)
            if time is not None:
                starts[i] = time
                moved = True
    return starts


def _earliest_fit(
    i: int,
    earliest: int,
    until: int,
    picks: Sequence[Candidate],
    starts: Sequence[int],
    others: Sequence[int],
    usage: Usage,
    release: int,
    limits: dict[str, Decimal],
) -> int | None:
    """The earliest time in [earliest, until) at which step i fits with the ``others`` where they are, if any.

    Only ``earliest`` and the times a resource it holds is freed (the end of a busy period or of another step)
    are tried: if i does not fit at t but does at t + 1, something it needs ended at t + 1. So the search does
    not grow with the durations (lead times of 1e12 days are valid input)."""
    times = {earliest}
    amounts = picks[i].offer.amounts(picks[i].quantity)
    for resource_id in limits:
        if not amounts.get(resource_id):
            continue
        for _, finish, _, _ in usage.busy.get(resource_id, []):
            times.add(finish - release)
        for j in others:
            if picks[j].duration > 0 and picks[j].offer.amounts(picks[j].quantity).get(resource_id):
                times.add(starts[j] + picks[j].duration)
    tried = sorted(time for time in times if earliest <= time < until)
    return next((time for time in tried if _fits(i, time, picks, starts, others, usage, release, limits)), None)


def _fits(
    i: int,
    time: int,
    picks: Sequence[Candidate],
    starts: Sequence[int],
    others: Sequence[int],
    usage: Usage,
    release: int,
    limits: dict[str, Decimal],
) -> bool:
    """Whether step i can run from ``time`` with the ``others`` steps and every busy period where they are."""
    pick = picks[i]
    if pick.duration <= 0:
        return True
    amounts = pick.offer.amounts(pick.quantity)
    begin, end = release + time, release + time + pick.duration
    for resource_id, capacity in limits.items():
        amount = amounts.get(resource_id, Decimal(0))
        if not amount:
            continue
        events: list[tuple[int, Decimal]] = []
        for start, finish, other, _ in usage.busy.get(resource_id, []):
            if start < end and finish > begin:
                events += [(max(start, begin), other), (min(finish, end), -other)]
        for j in others:
            other_pick = picks[j]
            if other_pick.duration <= 0:
                continue
            other = other_pick.offer.amounts(other_pick.quantity).get(resource_id, Decimal(0))
            start, finish = release + starts[j], release + starts[j] + other_pick.duration
            if other and start < end and finish > begin:
                events += [(max(start, begin), other), (min(finish, end), -other)]
        level = amount
        for _, delta in sorted(events, key=lambda event: (event[0], event[1])):
            level += delta
            if level > capacity:
                return False
    return True


def serial_schedule(request: Request, picks: Sequence[Candidate], usage: Usage, order: Sequence[int]) -> list[int]:
    """A schedule of these modules around what others hold: each step, taken in ``order`` once the steps it waits
    for are placed, at the earliest time the resources allow with the steps placed before it (deterministic)."""
    release = usage.release(request.start)
    index_of = step_index(request)
    limits = {r.id: r.at_once for p in picks for r, _ in p.offer.uses if r.at_once is not None}
    busy_end = max([end for periods in usage.busy.values() for _, end, _, _ in periods] + [0])
    horizon = max(busy_end - release, 0) + sum(p.duration for p in picks)
    starts = [0] * len(picks)
    placed: list[int] = []
    waiting = list(order)
    while waiting:
        i = next(i for i in waiting if all(index_of[b] in placed for b in request.steps[i].after))
        waiting.remove(i)
        earliest = max((starts[index_of[b]] + picks[index_of[b]].duration for b in request.steps[i].after), default=0)
        time = _earliest_fit(i, earliest, horizon + 1, picks, starts, placed, usage, release, limits)
        starts[i] = horizon if time is None else time
        placed.append(i)
    return starts
