"""The order requests of a run are planned in, and when a request prepared ahead still stands."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sbn.candidates import Candidate, StepCandidates
from sbn.ledger import Key, Usage
from sbn.model import Request
from sbn.numbers import ZERO
from sbn.rules import AT_ONCE, USAGE_DEPENDENT, takes


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
        for key, _, capacity in takes(pick.offer, pick.quantity):
            taken[key] = capacity
    # Resources held at once: time couples every request that could use one, whatever is left.
    held = {pair for pick in picks for pair in pick.offer.limits if pair[0] == AT_ONCE}
    if not taken and not held:
        return False
    need: dict[Key, Decimal] = {}
    for entry in steps:
        for candidate in entry.candidates:
            if held.intersection(candidate.offer.limits):
                return True
            for key, amount, _ in takes(candidate.offer, candidate.quantity):
                if key in taken:
                    need[key] = need.get(key, ZERO) + amount
        for rejection in entry.rejected:
            if rejection.rule not in USAGE_DEPENDENT:
                continue
            if any(pair in taken or pair in held for pair in rejection.offer.limits):
                return True
    return any(amount > usage.left(key, taken[key]) for key, amount in need.items())
