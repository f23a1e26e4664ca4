"""What planning produces: sbn's own result types, complete when made and never changed afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sbn.backups import Backup, NoBackup
from sbn.candidates import Candidate, Rejection, StepCandidates
from sbn.evaluation import Evaluation, Handoff
from sbn.model import Request
from sbn.reasons import Reason
from sbn.solver import SolveStatus

__all__ = ["Assignment", "Backup", "Handoff", "ObjectiveValue", "Plan", "ResourceUse", "Run", "make_plan"]


@dataclass(frozen=True)
class Assignment:
    step: str
    capability: str
    module: str
    partner: str
    quantity: Decimal
    start: int
    finish: int
    cost: int  # cents
    handoffs: tuple[Handoff, ...]
    changed: bool | None = None  # with --from: whether the module differs from the previous plan's
    previous: str | None = None  # with --from: the previous plan's module, if the step was in it
    backup: Backup | None = None  # with --backups
    backup_reason: str | None = None  # with --backups, when there is no backup: why
    wait: int = 0  # how long after its predecessors (or its request's time 0) it starts (SPEC §6)
    uses: tuple[tuple[str, Decimal], ...] = ()  # the module's resources and their amounts at the quantity


@dataclass(frozen=True)
class Plan:
    request: Request
    status: SolveStatus
    assignments: tuple[Assignment, ...]
    reasons: tuple[Reason, ...]
    steps: tuple[StepCandidates, ...]  # the candidates and rejections of every step
    picks: tuple[Candidate, ...]
    changes: int | None = None  # with --from
    backups: bool = False  # with --backups: each assignment carries its backup
    single_points_of_failure: tuple[str, ...] = ()
    # Its `sbn.plan/v1` JSON object, written where it was planned (a worker of sbn.parallel, when the output
    # is JSON); the steps' candidates and rejections are then dropped. None: rendered from the plan.
    json: str | None = None

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

    def outline(self) -> Plan:
        """The plan as it is shown: every step's candidates counted, not kept, and no picks (the engine's
        choices, already in the assignments). What a worker sends back (sbn.parallel)."""
        return replace(self, steps=tuple(entry.outline() for entry in self.steps), picks=())

    def written(self, text: str) -> Plan:
        """The plan with its JSON already written: only what the run's summary and exit code read is kept."""
        return replace(self, steps=(), picks=(), json=text)

    @property
    def rejected(self) -> list[tuple[str, Rejection]]:
        return [(entry.step.id, rejection) for entry in self.steps for rejection in entry.rejected]


@dataclass(frozen=True)
class ObjectiveValue:
    """One criterion of a joint run (SPEC §7), its value over the planned requests, and whether it is proven."""

    criterion: str  # "planned", or a criterion of --optimize
    value: Decimal | int  # planned: requests; cost: currency; time: time units; the others: as in v1
    proven: bool
    priority: int | None = None  # planned: the priority class counted
    bound: Decimal | None = None  # not proven: the best value the engine has proven possible, when it says


@dataclass(frozen=True)
class ResourceUse:
    """How much of a resource the run and the committed work use: the peak held at once, or the total used."""

    id: str
    at_once: Decimal | None
    total: Decimal | None
    peak: Decimal | None = None  # at once: the highest use at any time
    used: Decimal | None = None  # in total: the sum


@dataclass(frozen=True)
class Run:
    """Every plan of a run, in file order, and what the run as a whole came to."""

    plans: tuple[Plan, ...]
    joint: bool = False  # planned in one model (SPEC §7)
    objective: tuple[ObjectiveValue, ...] = ()  # joint runs: the value of each stage
    resources: tuple[ResourceUse, ...] | None = None  # when the network declares resources (SPEC §6)
    releases: dict[str, int] | None = None  # request id -> its time 0 on the run's timeline, with resources


def make_plan(
    request: Request,
    status: SolveStatus,
    steps: Sequence[StepCandidates],
    reasons: Sequence[Reason] = (),
    picks: Sequence[Candidate] = (),
    evaluation: Evaluation | None = None,
    previous: dict[str, str] | None = None,
    backups: Sequence[Backup | NoBackup] | None = None,
) -> Plan:
    """The plan of a request, whole: its assignments (when picked), what changed since ``previous`` (with
    --from) and the backups (with --backups; one per step, or why no other partner can take over)."""
    assignments = []
    if evaluation is not None:
        for i, (step, pick) in enumerate(zip(request.steps, picks, strict=True)):
            before = previous.get(step.id) if previous is not None else None
            assignments.append(
                Assignment(
                    step=step.id,
                    capability=step.capability,
                    module=pick.module.id,
                    partner=pick.partner.id,
                    quantity=pick.quantity,
                    start=evaluation.starts[i],
                    finish=evaluation.finishes[i],
                    cost=pick.cost,
                    handoffs=tuple(evaluation.handoffs[i]),
                    changed=None if previous is None else before != pick.module.id,
                    previous=before,
                    backup=_backup(backups, i),
                    backup_reason=_no_backup(backups, i),
                    wait=evaluation.waits[i],
                    uses=tuple(pick.offer.amounts(pick.quantity).items()),
                )
            )
    changes = sum(1 for a in assignments if a.changed) if previous is not None and evaluation is not None else None
    failing = tuple(a.step for a in assignments if a.backup is None) if backups is not None else ()
    return Plan(
        request=request,
        status=status,
        assignments=tuple(assignments),
        reasons=tuple(reasons),
        steps=tuple(steps),
        picks=tuple(picks),
        changes=changes,
        backups=backups is not None,
        single_points_of_failure=failing,
    )


def _backup(backups: Sequence[Backup | NoBackup] | None, i: int) -> Backup | None:
    found = backups[i] if backups is not None else None
    return found if isinstance(found, Backup) else None


def _no_backup(backups: Sequence[Backup | NoBackup] | None, i: int) -> str | None:
    found = backups[i] if backups is not None else None
    return found.reason if isinstance(found, NoBackup) else None
