"""What the requests planned earlier in a run have taken of every limited capacity (SPEC §2 capacity).

Each limit rule of sbn.rules (module capacity, partner capacity) names the keys it counts; the
ledger knows nothing of their meaning, only amounts per (rule, key) and who took them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sbn.numbers import ZERO, number

Key = tuple[str, str]  # (limit rule name, module or partner id)


@dataclass
class Usage:
    """Amounts taken per (limit, key), and by which request, in planning order."""

    used: dict[Key, Decimal] = field(default_factory=dict)
    takers: dict[Key, dict[str, Decimal]] = field(default_factory=dict)
    # Per resource held at once: (start, end, amount, request) on the run's timeline (SPEC §6).
    busy: dict[str, list[tuple[int, int, Decimal, str]]] = field(default_factory=dict)
    # The run's time 0: the earliest start date among its requests and committed plans; None without dates.
    origin: date | None = None
    # (limit, key) -> capacity left, asked once per candidate (128,000 times on GAP's largest instances).
    _left: dict[Key, Decimal] = field(default_factory=dict, repr=False, compare=False)

    def left(self, key: Key, capacity: Decimal) -> Decimal:
        """What is left of ``capacity`` under ``key``."""
        found = self._left.get(key)
        if found is None:
            found = self._left[key] = capacity - self.used.get(key, ZERO)
        return found

    def take(self, key: Key, amount: Decimal, request_id: str | None = None) -> None:
        self.used[key] = self.used.get(key, ZERO) + amount
        self._left.pop(key, None)
        if request_id is not None:
            taken = self.takers.setdefault(key, {})
            taken[request_id] = taken.get(request_id, ZERO) + amount

    def give_back(self, key: Key, amount: Decimal) -> None:
        """Return an amount (for backups: the plan without one of its assignments); takers stay as they were."""
        self.used[key] -= amount
        self._left.pop(key, None)

    def hold(self, resource: str, start: int, end: int, amount: Decimal, request_id: str) -> None:
        """A step holding an amount of a resource from start to end (exclusive), on the run's timeline."""
        self.busy.setdefault(resource, []).append((start, end, amount, request_id))

    def release(self, start: date | None) -> int:
        """Where a request's own time 0 (its start date, or the run's) lies on the run's timeline."""
        if start is None or self.origin is None:
            return 0
        return (start - self.origin).days

    def copy(self) -> Usage:
        busy = {resource: list(periods) for resource, periods in self.busy.items()}
        return Usage(dict(self.used), {key: dict(v) for key, v in self.takers.items()}, busy, self.origin)

    def without_holds(self, request_id: str) -> None:
        """Forget what a request holds at once (for backups: the plan without its own steps)."""
        for resource, periods in self.busy.items():
            self.busy[resource] = [period for period in periods if period[3] != request_id]

    def taken(self, key: Key, capacity: Decimal) -> str:
        """What earlier requests took of a capacity, as words: ' of 100 (first took 80)'; '' if none took any."""
        takers = {request: amount for request, amount in self.takers.get(key, {}).items() if amount}
        if not takers:
            return ""
        named = [f"{request} took {number(amount)}" for request, amount in list(takers.items())[:3]]
        if len(takers) > 3:
            named.append(f"{len(takers) - 3} more took {number(sum(list(takers.values())[3:], ZERO))}")
        return f" of {number(capacity)} ({', '.join(named)})"
