"""The order requests of a run are planned in, and when a request prepared ahead still stands."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sbn.candidates import Candidate, StepCandidates
from sbn.ledger import Key, Usage
from sbn.model import Request
from sbn.numbers import ZERO
from sbn.rules import LIMITS, USAGE_DEPENDENT


def planning_order(requests: Sequence[Request]) -> list[int]:
    """Positions of the requests in the order they are planned: priority (high first), then file order."""
    return sorted(range(len(requests)), key=lambda i: (-requests[i].priority, i))


def depends_on(steps: Sequence[StepCandidates], picks: Sequence[Candidate], usage: Usage) -> bool:
    """Whether what ``picks`` took could change a request prepared before them (``usage`` includes them).

    Only the limits the picks took from matter. The preparation stands when, for each of them,
    all its candidates together take no more than is now left (then filtering, the rows and every
    check against it come out the same), and none of the request's modules taking from it was
    rejected for a reason that usage can change (sbn.rules.USAGE_DEPENDENT). Rejections for region,
    certification and the like do not depend on usage.
    """
    taken: dict[Key, Decimal] = {}  # the limits the picks took from, with their capacity
    for pick in picks:
        for limit in LIMITS:
            demand = limit.demand(pick.module, pick.partner, pick.quantity)
            if demand is not None:
                taken[(limit.name, demand[0])] = demand[2]
    if not taken:
        return False
    need: dict[Key, Decimal] = {}
    for entry in steps:
        for candidate in entry.candidates:
            for limit in LIMITS:
                demand = limit.demand(candidate.module, candidate.partner, candidate.quantity)
                if demand is not None and (limit.name, demand[0]) in taken:
                    key = (limit.name, demand[0])
                    need[key] = need.get(key, ZERO) + demand[1]
        for rejection in entry.rejected:
            if rejection.rule not in USAGE_DEPENDENT:
                continue
            offer = rejection.offer
            for limit in LIMITS:
                demand = limit.demand(offer.module, offer.partner, entry.quantity)
                if demand is not None and (limit.name, demand[0]) in taken:
                    return True
    return any(amount > usage.left(key, taken[key]) for key, amount in need.items())
