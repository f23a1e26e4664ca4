"""What the requests planned earlier in a run have taken of every limited capacity (SPEC §2 capacity).

Each limit rule of sbn.rules (module capacity, partner capacity) names the keys it counts; the
ledger knows nothing of their meaning, only amounts per (rule, key) and who took them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sbn.numbers import ZERO, number

Key = tuple[str, str]  # (limit rule name, module or partner id)


@dataclass
class Usage:
    """Amounts taken per (limit, key), and by which request, in planning order."""

    used: dict[Key, Decimal] = field(default_factory=dict)
    takers: dict[Key, dict[str, Decimal]] = field(default_factory=dict)
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

    def copy(self) -> Usage:
        return Usage(dict(self.used), {key: dict(v) for key, v in self.takers.items()})

    def taken(self, key: Key, capacity: Decimal) -> str:
        """What earlier requests took of a capacity, as words: ' of 100 (first took 80)'; '' if none took any."""
        takers = {request: amount for request, amount in self.takers.get(key, {}).items() if amount}
        if not takers:
            return ""
        named = [f"{request} took {number(amount)}" for request, amount in list(takers.items())[:3]]
        if len(takers) > 3:
            named.append(f"{len(takers) - 3} more took {number(sum(list(takers.values())[3:], ZERO))}")
        return f" of {number(capacity)} ({', '.join(named)})"
