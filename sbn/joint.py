"""Plan every request of a run in one model (SPEC §7): the most requests planned per priority class,
highest first, then the criteria of --optimize summed over the planned requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sbn.candidates import Candidate, Catalog, find_candidates
from sbn.evaluation import Evaluation, evaluate, left_shift
from sbn.formulation import PlanModel, build_joint_model
from sbn.ledger import Key, Usage
from sbn.lookahead import planning_order
from sbn.milp import Objective
from sbn.model import Request
from sbn.objectives import Stage, fold_stages, joint_objectives
from sbn.pipeline import Options, Outcome, complete, imprecise, not_found, prepare, stopped, take
from sbn.reasons import Reason
from sbn.result import ObjectiveValue
from sbn.rules import PlugCompatibility
from sbn.solver import SolveStatus, solve


@dataclass
class _Solved:
    """The joint model's answer, checked: per part its picks and evaluation (None: left unplanned)."""

    status: SolveStatus
    picks: list[list[Candidate] | None]
    evaluations: list[Evaluation | None]
    proven: set[int]  # positions of the stages proven optimal
    reason: Reason | None = None  # why there is no answer (status UNKNOWN) or no proof (FEASIBLE)
    # A limit stopped the search in a stage that is one criterion alone: its position, the engine's
    # bound on it and its value in the plan found, both in the engine's units.
    bounded: tuple[int, float, float] | None = None


def plan_jointly(
    catalog: Catalog, requests: Sequence[Request], options: Options, usage: Usage
) -> tuple[list[Outcome], tuple[ObjectiveValue, ...]]:
    """The outcome of every request (in the order given) and the run's objective values.

    ``usage`` holds what is already taken (committed work); it is left as the planned requests leave it.
    A request none of whose plans could exist on its own (a step without candidates, an edge no
    candidates plug) takes no part in the model.
    """
    network = catalog.network
    criteria = list(dict.fromkeys(options.optimize))
    base = usage.copy()
    incumbent_starts: dict[str, list[int]] = {}
    incumbent = _default_order(catalog, requests, options, usage.copy(), incumbent_starts)
    outcomes = [Outcome(request, find_candidates(catalog, request, usage, options.without)) for request in requests]
    plannable = [
        i
        for i, outcome in enumerate(outcomes)
        if all(entry.candidates for entry in outcome.steps)
        and not PlugCompatibility.unpluggable(outcome.request, outcome.steps)
    ]
    previous = options.previous or {}
    parts = []
    for i in plannable:
        request = requests[i]
        keep: dict[str, set[str]] = {}
        for step_id, module in previous.get(request.id, {}).items():
            keep.setdefault(step_id, set()).add(module)
        for step, pick in zip(request.steps, incumbent.get(request.id, ()), strict=False):
            keep.setdefault(step.id, set()).add(pick.module.id)
        parts.append((request, outcomes[i].steps, keep))
    models = build_joint_model(
        parts,
        network.partners,
        usage,
        need_schedule="time" in criteria,
        need_partners="partners" in criteria,
        criteria=criteria,
    )
    stages, labels = joint_objectives(models, criteria, options.previous)
    settled = _settle_full_classes(models, incumbent, stages, labels)
    folded, held = fold_stages(stages, models)
    start = _starting_solution(models, incumbent, incumbent_starts)
    if options.progress is not None:
        options.progress(len(requests), len(requests), "the joint search")
    solved = _solve(catalog, models, [objective for objective, _ in folded], held, usage, options, start)
    solved.proven |= settled
    # A stage with nothing to choose (no request that could take part uses the criterion) is its own proof.
    solved.proven |= {position for position, (objective, _) in enumerate(stages) if not objective}
    if solved.bounded is not None:
        # The bound speaks of the criterion alone only where the tie-break did not join its stage.
        position = solved.bounded[0]
        if next(stage for stage, h in zip(folded, held, strict=True) if h == [position])[0] != stages[position][0]:
            solved.bounded = None
    for position in planning_order([model.request for model in models]):
        outcome = outcomes[plannable[position]]
        chosen = solved.picks[position] if solved.picks else None
        if solved.status == SolveStatus.UNKNOWN:
            outcome.status = SolveStatus.UNKNOWN
            outcome.reasons = [solved.reason] if solved.reason is not None else []
        elif chosen is not None:
            outcome.status = solved.status
            outcome.picks, outcome.evaluation = chosen, solved.evaluations[position]
            outcome.reasons = [solved.reason] if solved.reason is not None else []
            take(usage, outcome.request, chosen, outcome.starts)
    for outcome in outcomes:
        if outcome.evaluation is None and outcome.status != SolveStatus.UNKNOWN:
            _explain_unplanned(catalog, outcome, usage, base, outcomes, options)
    return outcomes, _objective_values(outcomes, labels, solved, criteria, previous)


def _default_order(
    catalog: Catalog, requests: Sequence[Request], options: Options, usage: Usage, starts: dict[str, list[int]]
) -> dict[str, list[Candidate]]:
    """The picks of the default order (SPEC §2: by priority, each on what the ones before it left, each
    search bounded by --time-limit as without --joint).

    The joint search starts from them, so whenever it stops its plans are never worse than these.
    ``starts`` receives each plan's starts.
    """
    alone = replace(options, joint=False, backups=False, ahead=False, progress=None)
    picks: dict[str, list[Candidate]] = {}
    for position, i in enumerate(planning_order(requests)):
        if options.progress is not None:
            options.progress(position, len(requests), f"{requests[i].id} (default order, the joint search's start)")
        outcome = complete(catalog, prepare(catalog, requests[i], usage, alone), usage, alone)
        if outcome.evaluation is not None:
            picks[requests[i].id] = outcome.picks
            take(usage, requests[i], outcome.picks, outcome.starts)
            starts[requests[i].id] = outcome.evaluation.starts
    return picks


def _settle_full_classes(
    models: list[PlanModel], incumbent: dict[str, list[Candidate]], stages: list[Stage], labels: list[str | int]
) -> set[int]:
    """From the highest priority class down, while the default order plans every request of a class, that
    class's most is proven: its requests are fixed as planned, and its stage needs no search.

    Returns the positions of the stages so settled.
    """
    settled: set[int] = set()
    for position, label in enumerate(labels):
        if not isinstance(label, int):
            break
        members = [model for model in models if model.request.priority == label]
        if not all(model.request.id in incumbent for model in members):
            break
        for model in members:
            model.milp.lower[_present(model)] = 1.0
        stages[position] = ({}, 0)
        settled.add(position)
    return settled


def _starting_solution(
    models: list[PlanModel], incumbent: dict[str, list[Candidate]], incumbent_starts: dict[str, list[int]]
) -> list[float] | None:
    """The default order's plans as a value for every column of the joint model."""
    if not models:
        return None
    values = [0.0] * len(models[0].milp.lower)
    for model in models:
        picks = incumbent.get(model.request.id)
        if picks is None:
            continue
        values[_present(model)] = 1.0
        for i, (entry, pick) in enumerate(zip(model.entries, picks, strict=True)):
            k = next(k for k, c in enumerate(entry.candidates) if c.module.id == pick.module.id)
            values[model.x[i][k]] = 1.0
        if model.start:
            starts = incumbent_starts[model.request.id]
            finishes = [start + pick.duration for start, pick in zip(starts, picks, strict=True)]
            for i, start in enumerate(starts):
                values[model.start[i]] = float(start)
            if model.finish is not None:
                values[model.finish] = float(max(finishes, default=0))
        for partner in {pick.partner.id for pick in picks}:
            if partner in model.y:
                values[model.y[partner]] = 1.0
    return values


def _solve(
    catalog: Catalog,
    models: list[PlanModel],
    objectives: list[Objective],
    held: list[list[int]],
    usage: Usage,
    options: Options,
    start: list[float] | None,
) -> _Solved:
    """Solve the joint model; check every planned request exactly, on what the ones before it left."""
    if not models:
        return _Solved(SolveStatus.OPTIMAL, [], [], set())
    milp = models[0].milp
    time_limit = options.time_limit
    found = solve(milp, objectives, time_limit, node_limit=options.node_limit, initial=start)
    for strict in (False, True):
        if found.values is None:
            return _Solved(SolveStatus.UNKNOWN, [], [], set(), not_found(found.stopped_by, options))
        values = found.values
        picks = [model.chosen(values) if values[_present(model)] > 0.5 else None for model in models]
        placed = _semi_active(models, picks, [model.placed(values) for model in models], usage)
        evaluations: list[Evaluation | None] = [None] * len(models)
        ledger = usage.copy()
        problems: list[str] = []
        for position in planning_order([model.request for model in models]):
            chosen = picks[position]
            if chosen is None:
                continue
            request = models[position].request
            evaluation = evaluate(catalog.network, request, chosen, ledger, options.without, placed[position])
            problems.extend(evaluation.problems)
            evaluations[position] = evaluation
            take(ledger, request, chosen, evaluation.starts)
        if not problems:
            break
        if strict:
            return _Solved(SolveStatus.UNKNOWN, [], [], set(), imprecise(problems[0]))
        # As for one request (pipeline.complete): the engine's tolerance let a row slip by a unit.
        found = solve(milp, objectives, time_limit, node_limit=options.node_limit, strict=True, initial=start)
    if found.status == SolveStatus.OPTIMAL:
        return _Solved(SolveStatus.OPTIMAL, picks, evaluations, {p for stage in held for p in stage})
    done = len(found.objectives)
    proven = {p for stage in held[:done] for p in stage}
    bounded = None
    if len(held[done]) == 1 and found.bound is not None and found.reached:
        bounded = (held[done][0], found.bound, found.reached)
    return _Solved(SolveStatus.FEASIBLE, picks, evaluations, proven, stopped(found.stopped_by, options), bounded)


def _semi_active(
    models: list[PlanModel],
    picks: list[list[Candidate] | None],
    starts: list[list[int] | None],
    usage: Usage,
) -> list[list[int] | None]:
    """The engine's starts made semi-active on the run's timeline (SPEC §6): each step of each planned request
    moved as early as it can go with every other step of every request where it is, until none can move."""
    placed = [list(s) if s is not None else None for s in starts]
    planned = [i for i, s in enumerate(placed) if s is not None and picks[i] is not None]
    moved = True
    while moved:
        moved = False
        for i in planned:
            others = usage.copy()
            for j in planned:
                if j != i:
                    take(others, models[j].request, picks[j] or [], placed[j])
            shifted = left_shift(models[i].request, picks[i] or [], placed[i] or [], others)
            if shifted != placed[i]:
                placed[i] = shifted
                moved = True
    return placed


def _present(model: PlanModel) -> int:
    assert model.present is not None
    return model.present


def _explain_unplanned(
    catalog: Catalog, outcome: Outcome, usage: Usage, base: Usage, outcomes: list[Outcome], options: Options
) -> None:
    """Reasons for a request left unplanned: those it gets planned alone on what the planned requests left,
    and, when it would fit without them (on committed work alone), the planned requests that take what it
    would need."""
    request = outcome.request
    alone = complete(catalog, prepare(catalog, request, usage, options), usage, options)
    outcome.status = SolveStatus.INFEASIBLE
    if alone.evaluation is not None:
        # Only a search stopped by its limit leaves out a request that still fits.
        text = "not planned: the joint search stopped before it found room for this request, which fits alone"
        outcome.reasons = [Reason("joint", text)]
        return
    outcome.reasons = list(alone.reasons)
    before = base.copy()
    if complete(catalog, prepare(catalog, request, before, options), before, options).evaluation is None:
        return  # it lacks what no planned request holds (a budget, a deadline, committed work): none to name
    holders = _holders(catalog, request, base, outcomes, options)
    if holders:
        text = f"what it needs is taken by the planned requests {', '.join(holders)}"
        outcome.reasons.append(Reason("joint", text, {"requests": holders}))


def _holders(catalog: Catalog, request: Request, base: Usage, outcomes: list[Outcome], options: Options) -> list[str]:
    """The planned requests (in file order) whose assignments take from a limit the request's modules need."""
    needed: set[Key] = set()
    for entry in find_candidates(catalog, request, base, options.without, bound=False):
        for candidate in entry.candidates:
            needed.update(candidate.offer.limits)
    holders = []
    for other in outcomes:
        if other.evaluation is None or other.request.id == request.id:
            continue
        taken = {pair for pick in other.picks for pair in pick.offer.limits}
        if taken & needed:
            holders.append(other.request.id)
    return holders


def _objective_values(
    outcomes: list[Outcome],
    labels: list[str | int],
    solved: _Solved,
    criteria: list[str],
    previous: dict[str, dict[str, str]],
) -> tuple[ObjectiveValue, ...]:
    """Each stage's value, measured exactly on the plans (not the engine's floating point)."""
    planned = [outcome for outcome in outcomes if outcome.evaluation is not None]
    values: list[ObjectiveValue] = []
    priorities = sorted({outcome.request.priority for outcome in outcomes}, reverse=True)
    for priority in priorities:
        count = sum(1 for outcome in planned if outcome.request.priority == priority)
        members = sum(1 for outcome in outcomes if outcome.request.priority == priority)
        position = labels.index(priority) if priority in labels else -1
        # A class none of whose requests could be in the model holds no choice, and one planned whole can hold
        # no more: either count is proven, whatever stopped the search.
        proven = position < 0 or position in solved.proven or count == members
        values.append(ObjectiveValue("planned", count, proven and solved.status != SolveStatus.UNKNOWN, priority))
    if "changes" in labels:
        changes = _changes(outcomes, previous)
        values.append(ObjectiveValue("changes", changes, labels.index("changes") in solved.proven))
    for criterion in criteria:
        value = _measure(criterion, planned)
        position = labels.index(criterion)
        bound = None
        if solved.bounded is not None and solved.bounded[0] == position:
            # The engine's units are the criterion's, scaled: the plan's value in both gives the scale.
            _, engine_bound, reached = solved.bounded
            bound = (Decimal(value) * Decimal(repr(engine_bound)) / Decimal(repr(reached))).quantize(
                Decimal("0.01") if criterion in ("cost", "reputation") else Decimal(1)
            )
        values.append(ObjectiveValue(criterion, value, position in solved.proven, bound=bound))
    return tuple(values)


def _changes(outcomes: list[Outcome], previous: dict[str, dict[str, str]]) -> int:
    """Steps of the run whose module differs from the previous plan's (a step of an unplanned request has none)."""
    total = 0
    for outcome in outcomes:
        before = previous.get(outcome.request.id, {})
        modules = {step.id: pick.module.id for step, pick in zip(outcome.request.steps, outcome.picks, strict=False)}
        total += sum(1 for step in outcome.request.steps if modules.get(step.id) != before.get(step.id))
    return total


def _measure(criterion: str, planned: list[Outcome]) -> Decimal | int:
    evaluations = [outcome.evaluation for outcome in planned if outcome.evaluation is not None]
    if criterion == "cost":
        return Decimal(sum(e.cost for e in evaluations)).scaleb(-2)
    if criterion == "time":
        return sum(e.finish for e in evaluations)
    if criterion == "partners":
        return sum(len(e.partners) for e in evaluations)
    if criterion == "reputation":
        return sum((e.reputation for e in evaluations), Decimal(0))
    if criterion == "preferred":
        return sum(e.preferred for e in evaluations)
    raise ValueError(f"unknown criterion {criterion!r}")
