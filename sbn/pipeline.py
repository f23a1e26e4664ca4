"""One request through the pipeline: candidates, a plan settled without the engine or a model solved,
the exact check, and an explanation when there is no plan (SPEC §2, §5)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sbn.candidates import Candidate, Catalog, StepCandidates, find_candidates
from sbn.evaluation import Evaluation, evaluate, left_shift
from sbn.explain import explain_infeasible
from sbn.formulation import PlanModel, build_model
from sbn.ledger import Usage
from sbn.milp import Objective
from sbn.model import Request
from sbn.objectives import objectives
from sbn.reasons import Reason
from sbn.rules import RESOURCE_TOTAL, PlugCompatibility, takes
from sbn.settle import settle_directly
from sbn.solver import SolveStatus, solve

if TYPE_CHECKING:
    from sbn.timeline import CommittedStep


@dataclass
class Options:
    time_limit: float = 10.0
    node_limit: int | None = None  # branch-and-bound nodes per stage: a deterministic limit of work
    without: frozenset[str] = frozenset()
    previous: dict[str, dict[str, str]] | None = None
    backups: bool = False
    # Settle a request without the engine when the certificate of settle_directly holds (tests turn it off
    # to compare both ways).
    direct: bool = True
    # Prepare the next request while the engine searches (tests turn it off to compare both ways).
    ahead: bool = True
    # Plan every request of the run in one model (SPEC §7), by these criteria summed over the run.
    joint: bool = False
    optimize: tuple[str, ...] = ("cost", "time")
    # Told (requests done, of total, the one being planned) as planning goes: a progress line.
    progress: Callable[[int, int, str], None] | None = None
    # The run's time 0 (SPEC §6); None: the earliest start date of the requests and committed plans.
    origin: date | None = None
    committed: tuple[CommittedStep, ...] = ()  # earlier plans' assignments, fixed work (--committed)


@dataclass
class Outcome:
    """What planning one request came to, before its plan is made (backups come after the whole run)."""

    request: Request
    steps: list[StepCandidates]
    status: SolveStatus = SolveStatus.INFEASIBLE
    reasons: list[Reason] = field(default_factory=list)
    picks: list[Candidate] = field(default_factory=list)
    evaluation: Evaluation | None = None

    @property
    def starts(self) -> list[int] | None:
        """When each step starts, from the request's own time 0, once planned."""
        return self.evaluation.starts if self.evaluation is not None else None


def take(usage: Usage, request: Request, picks: Sequence[Candidate], starts: Sequence[int] | None = None) -> None:
    """Enter what a request's picks take of every limit in the ledger, and what they hold at once, when."""
    release = usage.release(request.start)
    for i, candidate in enumerate(picks):
        for key, amount, _ in takes(candidate.offer, candidate.quantity):
            usage.take(key, amount, request.id)
        if starts is None or candidate.duration <= 0:
            continue
        amounts = candidate.offer.amounts(candidate.quantity)
        for resource, _ in candidate.offer.uses:
            if resource.at_once is not None and amounts[resource.id]:
                begin = release + starts[i]
                usage.hold(resource.id, begin, begin + candidate.duration, amounts[resource.id], request.id)


@dataclass
class Prepared:
    """A request prepared for the engine: its candidates, and either its outcome or the model to solve."""

    outcome: Outcome
    previous: dict[str, str] | None = None
    model: PlanModel | None = None
    objectives: list[Objective] = field(default_factory=list)
    explain: bool = False  # infeasible: the explanation needs the engine


def prepare(catalog: Catalog, request: Request, usage: Usage, options: Options) -> Prepared:
    """Everything before the engine runs; never uses the engine (it may be busy with another request)."""
    entries = find_candidates(catalog, request, usage, options.without)
    outcome = Outcome(request, entries)
    previous = (options.previous or {}).get(request.id)
    work = Prepared(outcome, previous)
    empty = [entry for entry in entries if not entry.candidates]
    if empty:
        outcome.reasons = [_no_candidates(entry) for entry in empty]
        return work
    if PlugCompatibility.unpluggable(request, entries):
        work.explain = True
        return work
    criteria = list(dict.fromkeys(request.optimize))
    network = catalog.network
    if options.direct:
        settled = settle_directly(network, request, entries, usage, criteria, previous, options.without)
        if settled is not None:
            outcome.status = SolveStatus.OPTIMAL
            outcome.picks, outcome.evaluation = settled
            return work
    work.model = build_model(
        request,
        entries,
        network.partners,
        usage,
        need_schedule="time" in criteria,
        need_partners="partners" in criteria,
        keep=previous,
    )
    work.objectives = objectives(work.model, criteria, previous)
    return work


def _no_candidates(entry: StepCandidates) -> Reason:
    rejected = [
        {"reason": reason, "rule": rule, "count": count, **dict(numbers)}
        for reason, rule, count, numbers in entry.counts()
    ]
    numbers = {
        "step": entry.step.id,
        "capability": entry.step.capability,
        "offered": entry.offered,
        "fit": 0,
        "rejected": rejected,
    }
    return Reason("candidates", entry.summary(), numbers)


def complete(
    catalog: Catalog, work: Prepared, usage: Usage, options: Options, ahead: Callable[[], None] | None = None
) -> Outcome:
    """Solve the prepared model (running ``ahead`` while the engine searches), check and explain."""
    outcome, model = work.outcome, work.model
    request = outcome.request
    if work.explain:
        outcome.reasons = explain_infeasible(catalog, request, usage, options.without, options.time_limit)
        return outcome
    if model is None:
        empty = [entry for entry in outcome.steps if not entry.candidates]
        if empty and all(any(r.rule == RESOURCE_TOTAL.name for r in entry.rejected) for entry in empty):
            outcome.reasons += _short_of_totals(catalog, request, usage, options)
        return outcome
    found = solve(model.milp, work.objectives, options.time_limit, meanwhile=ahead, node_limit=options.node_limit)
    for strict in (False, True):
        if found.status == SolveStatus.INFEASIBLE:
            outcome.reasons = explain_infeasible(catalog, request, usage, options.without, options.time_limit)
            return outcome
        if found.status == SolveStatus.UNKNOWN or found.values is None:
            return _unknown(outcome, found.stopped_by, options)
        picks = model.chosen(found.values)
        starts = model.placed(found.values)
        if starts is not None:
            starts = left_shift(request, picks, starts, usage)
        evaluation = evaluate(catalog.network, request, picks, usage, options.without, starts)
        if not evaluation.problems:
            break
        if strict:
            # Even then, a binary may sit 1e-10 off: on amounts near 1e10 units that is still a unit.
            outcome.status = SolveStatus.UNKNOWN
            outcome.reasons = [imprecise(evaluation.problems[0])]
            return outcome
        # The engine counts a binary within 1e-6 of 1 as 1, so on a row of amounts above a million
        # (a budget in cents, a large capacity) it can accept a plan over the limit by a unit. Solve
        # again at its tightest tolerance; a plan that still breaks a rule is a bug.
        found = solve(model.milp, work.objectives, options.time_limit, node_limit=options.node_limit, strict=True)
    outcome.status = found.status
    outcome.picks, outcome.evaluation = picks, evaluation
    if found.status == SolveStatus.FEASIBLE:
        outcome.reasons = [stopped(found.stopped_by, options)]
    return outcome


def _short_of_totals(catalog: Catalog, request: Request, usage: Usage, options: Options) -> list[Reason]:
    """For steps that lack modules only because of what is left of a resource's total (each step without one
    has such a module, which is then kept): the request explained with those modules kept and the totals'
    rows in the model, so that each such resource is quantified (SPEC §6: the smallest total that would let
    the request through with everything else kept), together with any rule it conflicts with (a deadline
    that waiting for a crew breaks), as for a combination that fails."""
    return explain_infeasible(catalog, request, usage, options.without, options.time_limit, totals=False)


def stopped(stopped_by: str, options: Options) -> Reason:
    """Why a plan is feasible but not proven optimal: the limit that stopped the search."""
    text = f"stopped by {_limit(stopped_by, options)}: best plan found, not proven optimal"
    return Reason(_limit_rule(stopped_by), text, _limit_numbers(stopped_by, options))


def _unknown(outcome: Outcome, stopped_by: str, options: Options) -> Outcome:
    outcome.status = SolveStatus.UNKNOWN
    outcome.reasons = [not_found(stopped_by, options)]
    return outcome


def not_found(stopped_by: str, options: Options) -> Reason:
    """Why no plan was found: a limit stopped the search first, or the engine could not take the amounts."""
    if stopped_by == "magnitude":
        text = (
            "the engine cannot take amounts this large (in cents or capacity units, beyond 1e15); "
            "see docs/planning.md#exact-amounts"
        )
        return Reason("engine", text, {"largest": 10**15})
    flag = "--node-limit" if stopped_by == "nodes" else "--time-limit"
    text = f"no plan found within {_limit(stopped_by, options)}; try a larger {flag}"
    return Reason(_limit_rule(stopped_by), text, _limit_numbers(stopped_by, options))


def _limit_numbers(stopped_by: str, options: Options) -> dict[str, object]:
    if stopped_by == "nodes":
        return {"limit": options.node_limit}
    return {"limit": options.time_limit}


def _limit(stopped_by: str, options: Options) -> str:
    if stopped_by == "nodes":
        return f"the node limit of {options.node_limit}"
    return f"the time limit of {options.time_limit:g} s"


def _limit_rule(stopped_by: str) -> str:
    return "node_limit" if stopped_by == "nodes" else "time_limit"


def imprecise(problem: str) -> Reason:
    """The engine's best plan breaks a rule by a unit even at its tightest tolerance."""
    text = (
        f"the engine cannot settle amounts this large to the last unit: its best plan breaks a rule "
        f"({problem}); see docs/planning.md#exact-amounts"
    )
    return Reason("engine", text, {"problem": problem})
