"""What planning produces: sbn's own result types, independent of the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sbn.candidates import Candidate, Rejection, StepCandidates
from sbn.model import Request
from sbn.solver import SolveStatus


@dataclass(frozen=True)
class Handoff:
    source: str  # the upstream step
    interface: str | None


@dataclass(frozen=True)
class Backup:
    module: str
    partner: str
    cost_delta: int  # cents
    finish_delta: int


@dataclass
class Assignment:
    step: str
    capability: str
    module: str
    partner: str
    quantity: Decimal
    start: int
    finish: int
    cost: int  # cents
    handoffs: list[Handoff]
    changed: bool | None = None
    previous: str | None = None
    backup: Backup | None = None


@dataclass
class Plan:
    request: Request
    status: SolveStatus
    assignments: list[Assignment] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    steps: list[StepCandidates] = field(default_factory=list)
    changes: int | None = None
    backups: bool = False
    single_points_of_failure: list[str] = field(default_factory=list)
    picks: list[Candidate] = field(default_factory=list)

    @property
    def planned(self) -> bool:
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)

    @property
    def cost(self) -> int | None:
        return sum(a.cost for a in self.assignments) if self.planned else None

    @property
    def finish(self) -> int | None:
        return max((a.finish for a in self.assignments), default=0) if self.planned else None

    @property
    def partners(self) -> list[str]:
        return sorted({a.partner for a in self.assignments})

    @property
    def rejected(self) -> list[tuple[str, Rejection]]:
        return [(entry.step.id, rejection) for entry in self.steps for rejection in entry.rejected]
