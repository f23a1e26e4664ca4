"""A mixed-integer program as sbn builds it, independent of the engine that solves it (sbn.solver).

Besides linear rows it may hold cumulative constraints (resources held at once over time, SPEC §6):
a model with any is solved by a constraint-programming engine, every other by a MIP engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from sbn.numbers import decimal_exponent

Objective = dict[int, float]  # column -> coefficient, minimised


@dataclass
class Row:
    group: str  # the rule that made it (sbn.rules), so explanations can switch it off
    index: list[int]
    value: list[float]
    lower: float
    upper: float


@dataclass
class Task:
    """A step on the timeline: from its start column, for as long as its chosen candidate takes.

    ``durations`` and ``demands`` map each candidate's column (1 when chosen) to its whole duration
    and its whole amount of the resource; a step with no candidate chosen (a request left out of a
    joint run) takes no time and holds nothing.
    """

    start: int
    durations: dict[int, int]
    demands: dict[int, int]
    offset: int = 0  # the start column counts from the request's release: this far into the model's time


@dataclass
class Cumulative:
    """At every time, the amounts of the tasks running then, and of busy periods already on the timeline,
    add up to at most ``capacity`` (whole units: sbn scales amounts to integers first).

    Switched off in an explanation, the capacity becomes ``capacity_column``'s value, which the
    explanation minimises: the smallest capacity that lets the request through.
    """

    group: str
    capacity: int
    tasks: list[Task]
    busy: list[tuple[int, int, int]]  # (start, end, amount) of work already held, on this model's time
    capacity_column: int | None = None


@dataclass
class Milp:
    """Columns and rows of a minimisation model; rows are tagged by the rule that made them."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    cumulatives: list[Cumulative] = field(default_factory=list)
    # The latest time any start or finish column may take (a model with cumulatives needs bounded times).
    horizon: int | None = None

    def add_column(self, lower: float, upper: float, integer: bool) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.lower) - 1

    def add_row(self, group: str, terms: dict[int, float], lower: float, upper: float) -> None:
        index = sorted(terms)
        self.rows.append(Row(group, index, [terms[i] for i in index], lower, upper))

    def add_scaled_row(self, group: str, terms: list[tuple[int, Decimal]], limit: Decimal) -> None:
        """Add sum(q x) <= limit with integer coefficients, so the engine compares them exactly.

        Amounts are scaled by the power of ten that makes every one whole (numbers have at most 30
        decimals), then divided by their greatest common divisor, which keeps the row small: three
        steps of 0.0000000004 against 0.000000001 become 1 + 1 + 1 <= 2.
        """
        distinct = set(q for _, q in terms)  # few distinct amounts, even among 128,000 terms
        exponent = min([decimal_exponent(q) for q in distinct] + [decimal_exponent(limit), 0])
        scale = Decimal(10) ** -exponent
        whole = {q: int(q * scale) for q in distinct}
        divisor = math.gcd(*whole.values()) or 1
        bound = int((limit * scale).to_integral_value(rounding="ROUND_FLOOR")) // divisor
        # More than the limit on its own counts as limit + 1: the same plans pass, and the engine is
        # spared coefficients beyond its range.
        scaled = {q: float(min(amount // divisor, bound + 1)) for q, amount in whole.items()}
        row: dict[int, float] = {}
        for column, quantity in terms:
            row[column] = row.get(column, 0.0) + scaled[quantity]
        self.add_row(group, row, -math.inf, float(bound))

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys([row.group for row in self.rows] + [c.group for c in self.cumulatives]))
