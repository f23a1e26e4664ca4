"""A complete assignment measured and checked exactly: schedule, cost, handoffs and every rule.

The engine works in floating point with tolerances; every plan it returns is checked here, in
decimals and whole cents, against every rule of sbn.rules before it is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sbn.candidates import Candidate, fixed_for
from sbn.graph import earliest_schedule
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
) -> Evaluation:
    """Measure a complete assignment and check every rule of SPEC §2 exactly: the filters, then the model rules."""
    picks = list(picks)
    starts, finishes = earliest_schedule(request, [c.duration for c in picks])
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
            if amount_rule.reject(candidate.offer, candidate.quantity, cost_at, usage, currency) is not None:
                problems.append(f"{amount_rule.name}: {candidate.module.id} costs {cost_at}")
    finish = max(finishes, default=0)
    facts = Facts(network, request, picks, usage, finishes, cost, finish, partners)
    for model_rule in MODEL_RULES:
        problems.extend(model_rule.check(facts))
    prefer = set(request.prefer)
    return Evaluation(
        starts=starts,
        finishes=finishes,
        handoffs=handoffs,
        cost=cost,
        finish=finish,
        partners=partners,
        reputation=sum((c.partner.reputation for c in picks), Decimal(0)),
        preferred=sum(1 for c in picks if c.partner.id in prefer),
        problems=problems,
    )
