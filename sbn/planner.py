"""Plan requests: filter candidates, model, solve, explain, verify, and find backups (SPEC §2, §5)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sbn.candidates import (
    CAPACITY_DEPENDENT,
    ZERO,
    Candidate,
    StepCandidates,
    Usage,
    find_candidates,
    money,
    number,
)
from sbn.formulation import (
    TIE_BREAK_MAX_CHOICES,
    PlanModel,
    build_model,
    change_objective,
    criterion_objective,
    fold,
    preference_order,
    tie_break,
)
from sbn.loader import Network, topological_order, without_cycle_collection
from sbn.model import Request
from sbn.result import Assignment, Backup, Handoff, Plan
from sbn.solver import Objective, SolveStatus, solve

RELAXABLE = ("plug_compatibility", "deadline", "budget", "max_partners", "avoid", "module_capacity", "partner_capacity")


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


@dataclass
class Evaluation:
    """A complete assignment measured exactly: schedule, cost and handoffs."""

    starts: list[int]
    finishes: list[int]
    handoffs: list[list[Handoff]]
    cost: int
    finish: int
    partners: list[str]
    reputation: Decimal
    preferred: int
    problems: list[str] = field(default_factory=list)


def plan_requests(network: Network, requests: Sequence[Request], options: Options) -> list[Plan]:
    """Plan by priority (high first, then file order) on shared capacity; return in file order.

    While the engine searches for one request, the next is prepared (candidates, model) on the
    capacity left before it; that preparation is used only if the plan found used no limited
    module or partner the next request could choose, so the plans are those of one-by-one planning.
    """
    with without_cycle_collection():
        return _plan_requests(network, requests, options)


def _plan_requests(network: Network, requests: Sequence[Request], options: Options) -> list[Plan]:
    usage = Usage()
    order = sorted(range(len(requests)), key=lambda i: (-requests[i].priority, i))
    plans: dict[int, Plan] = {}
    ready: dict[int, _Work] = {}
    for position, i in enumerate(order):
        work = ready.pop(i, None) or _prepare(network, requests[i], usage, options)
        following = order[position + 1] if position + 1 < len(order) else None

        def ahead(following: int | None = following) -> None:
            if following is not None:
                ready[following] = _prepare(network, requests[following], usage, options)

        plan = _complete(network, work, usage, options, ahead if options.ahead else None)
        for candidate in plan.picks:
            usage.add(candidate, plan.request.id)
        if following in ready and _depends_on(ready[following], plan.picks, usage):
            del ready[following]
        plans[i] = plan
    if options.backups:
        for plan in plans.values():
            if plan.planned:
                add_backups(network, plan, usage, options)
    return [plans[i] for i in range(len(requests))]


def plan_request(network: Network, request: Request, usage: Usage, options: Options) -> Plan:
    """The best plan of one request on the capacity ``usage`` leaves."""
    return _complete(network, _prepare(network, request, usage, options), usage, options)


@dataclass
class _Work:
    """A request prepared for the engine: its candidates, and either its plan or the model to solve."""

    plan: Plan
    previous: dict[str, str] | None = None
    model: PlanModel | None = None
    objectives: list[Objective] = field(default_factory=list)
    explain: bool = False  # infeasible: the explanation needs the engine


def _prepare(network: Network, request: Request, usage: Usage, options: Options) -> _Work:
    """Everything before the engine runs; never uses the engine (it may be busy with another request)."""
    entries = find_candidates(network, request, usage, options.without, network.info.currency)
    plan = Plan(request, SolveStatus.INFEASIBLE, steps=entries, backups=options.backups)
    previous = (options.previous or {}).get(request.id)
    work = _Work(plan, previous)
    empty = [entry for entry in entries if not entry.candidates]
    if empty:
        plan.reasons = [entry.summary() for entry in empty]
        return work
    if _unpluggable_edges(request, entries):
        work.explain = True
        return work
    criteria = list(dict.fromkeys(request.optimize))
    settled = settle_directly(network, request, entries, usage, criteria, previous) if options.direct else None
    if settled is not None:
        _planned(work, SolveStatus.OPTIMAL, *settled, options)
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
    work.objectives = _objectives(work.model, criteria, previous)
    return work


def _complete(
    network: Network, work: _Work, usage: Usage, options: Options, ahead: Callable[[], None] | None = None
) -> Plan:
    """Solve the prepared model (running ``ahead`` while the engine searches), check and explain."""
    plan, request, model = work.plan, work.plan.request, work.model
    if work.explain:
        plan.reasons = _explain_infeasible(network, request, usage, options)
        return plan
    if model is None:
        return plan
    outcome = solve(model.milp, work.objectives, options.time_limit, meanwhile=ahead, node_limit=options.node_limit)
    if outcome.status == SolveStatus.INFEASIBLE:
        plan.reasons = _explain_infeasible(network, request, usage, options)
        return plan
    if outcome.status == SolveStatus.UNKNOWN or outcome.values is None:
        return _unknown(plan, outcome.stopped_by, options)
    picks = model.chosen(outcome.values)
    evaluation = evaluate(network, request, picks, usage)
    if evaluation.problems:
        # The engine counts a binary within 1e-6 of 1 as 1, so on a row of amounts above a million
        # (a budget in cents, a large capacity) it can accept a plan over the limit by a unit. Solve
        # again at its tightest tolerance; a plan that still breaks a rule is a bug.
        outcome = solve(model.milp, work.objectives, options.time_limit, node_limit=options.node_limit, strict=True)
        if outcome.status == SolveStatus.INFEASIBLE:
            plan.reasons = _explain_infeasible(network, request, usage, options)
            return plan
        if outcome.status == SolveStatus.UNKNOWN or outcome.values is None:
            return _unknown(plan, outcome.stopped_by, options)
        picks = model.chosen(outcome.values)
        evaluation = evaluate(network, request, picks, usage)
        if evaluation.problems:
            # Even then, a binary may sit 1e-10 off: on amounts near 1e10 units that is still a unit.
            plan.status = SolveStatus.UNKNOWN
            plan.reasons = [
                f"the engine cannot settle amounts this large to the last unit: its best plan breaks a rule "
                f"({evaluation.problems[0]}); see docs/planning.md#exact-amounts"
            ]
            return plan
    _planned(work, outcome.status, picks, evaluation, options)
    if outcome.status == SolveStatus.FEASIBLE:
        plan.reasons = [f"stopped by {_limit(outcome.stopped_by, options)}: best plan found, not proven optimal"]
    return plan


def _unknown(plan: Plan, stopped_by: str, options: Options) -> Plan:
    plan.status = SolveStatus.UNKNOWN
    if stopped_by == "magnitude":
        plan.reasons = [
            "the engine cannot take amounts this large (in cents or capacity units, beyond 1e15); "
            "see docs/planning.md#exact-amounts"
        ]
    else:
        limit, flag = _limit(stopped_by, options), _flag(stopped_by)
        plan.reasons = [f"no plan found within {limit}; try a larger {flag}"]
    return plan


def _limit(stopped_by: str, options: Options) -> str:
    if stopped_by == "nodes":
        return f"the node limit of {options.node_limit}"
    return f"the time limit of {options.time_limit:g} s"


def _flag(stopped_by: str) -> str:
    return "--node-limit" if stopped_by == "nodes" else "--time-limit"


def _planned(
    work: _Work, status: SolveStatus, picks: list[Candidate], evaluation: Evaluation, options: Options
) -> None:
    plan = work.plan
    plan.status = status
    plan.picks = picks
    plan.assignments = _assignments(plan.request, picks, evaluation)
    if options.previous is not None:
        _mark_changes(plan, work.previous or {})


def _depends_on(work: _Work, picks: list[Candidate], usage: Usage) -> bool:
    """Whether the capacity ``picks`` used could change the prepared request (``usage`` includes them).

    Only modules and partners with a capacity among the picks matter. The preparation stands when each of
    them is, among its candidates, within what is now left even if every step took it (then filtering,
    the capacity rows and any check against capacity come out the same), and none of its modules was
    rejected for a reason capacity could change (the reason names the capacity left). Rejections for
    region, certification and the like do not depend on capacity.
    """
    modules = {c.module.id: c.module for c in picks if c.module.capacity is not None}
    partners = {c.partner.id: c.partner for c in picks if c.partner.capacity is not None}
    if not modules and not partners:
        return False
    module_need: dict[str, Decimal] = {}
    partner_need: dict[str, Decimal] = {}
    for entry in work.plan.steps:
        for candidate in entry.candidates:
            if candidate.module.id in modules:
                module_need[candidate.module.id] = module_need.get(candidate.module.id, ZERO) + candidate.quantity
            if candidate.partner.id in partners:
                partner_need[candidate.partner.id] = partner_need.get(candidate.partner.id, ZERO) + candidate.usage
        for rejection in entry.rejected:
            involved = rejection.module in modules or rejection.partner in partners
            if involved and rejection.reason in CAPACITY_DEPENDENT:
                return True
    for module_id, need in module_need.items():
        left = usage.module_left(modules[module_id])
        if left is not None and need > left:
            return True
    for partner_id, need in partner_need.items():
        left = usage.partner_left(partners[partner_id])
        if left is not None and need > left:
            return True
    return False


def settle_directly(
    network: Network,
    request: Request,
    entries: list[StepCandidates],
    usage: Usage,
    criteria: Sequence[str],
    previous: dict[str, str] | None,
) -> tuple[list[Candidate], Evaluation] | None:
    """The optimal plan found without the engine, when a simple certificate proves it; else None.

    Drop every rule that ties steps together and the problem falls apart into one choice per step.
    Criteria that add up over steps (changes, cost, reputation, preferred) are then met by keeping,
    per step, only the candidates best on them, criterion by criterion; the tie-break
    (preference_order) leaves one candidate per step. For `time` and `partners`, which do not add up,
    the best value over what is left at their turn is a bound: the earliest finish with each step's
    fastest candidate, and 1 partner (2 when no partner has candidates for every step). When the plan
    so chosen meets every rule (evaluate) and reaches each bound, no plan is better on any stage, and
    it is the one the engine would return with the same tie-break.
    """
    prefer = frozenset(request.prefer)
    keep = previous or {}
    sets = [entry.candidates for entry in entries]
    bounds: list[tuple[str, int]] = []
    stages = (["changes"] if previous is not None else []) + list(criteria)
    for criterion in stages:
        if criterion == "time":
            fastest = [min(c.duration for c in candidates) for candidates in sets]
            bounds.append(("time", max(_schedule_durations(request, fastest)[1], default=0)))
            continue
        if criterion == "partners":
            shared = set.intersection(*({c.partner.id for c in candidates} for candidates in sets))
            bounds.append(("partners", 1 if shared else 2))
            continue
        narrowed = []
        for i, candidates in enumerate(sets):
            if criterion == "changes":
                kept = [c for c in candidates if c.module.id == keep.get(entries[i].step.id)]
                narrowed.append(kept or candidates)
                continue
            if criterion == "cost":
                best_cost = min(c.cost for c in candidates)
                narrowed.append([c for c in candidates if c.cost == best_cost])
            elif criterion == "reputation":
                best_reputation = max(c.partner.reputation for c in candidates)
                narrowed.append([c for c in candidates if c.partner.reputation == best_reputation])
            elif criterion == "preferred":
                liked = [c for c in candidates if c.partner.id in prefer]
                narrowed.append(liked or candidates)
            else:
                raise ValueError(f"unknown criterion {criterion!r}")
        sets = narrowed
    order = preference_order(request)
    picks = [min(candidates, key=order) for candidates in sets]
    evaluation = evaluate(network, request, picks, usage)
    if evaluation.problems:
        return None
    for criterion, bound in bounds:
        reached = evaluation.finish if criterion == "time" else len(evaluation.partners)
        if reached > bound:
            return None
    return picks, evaluation


def _explain_infeasible(network: Network, request: Request, usage: Usage, options: Options) -> list[str]:
    """Why no plan exists, on the candidates before the budget and deadline bounds dropped any.

    The bounds may leave, say, only modules whose outputs do not plug: the conflict to report
    is then between the budget and plug compatibility, not plug compatibility alone.
    """
    entries = find_candidates(network, request, usage, options.without, network.info.currency, bound=False)
    unpluggable = _unpluggable_edges(request, entries)
    if unpluggable:
        return unpluggable
    model = build_model(request, entries, network.partners, usage, need_schedule=False, need_partners=False)
    return explain_conflict(network, model, usage, options.time_limit)


def _objectives(model: PlanModel, criteria: Sequence[str], previous: dict[str, str] | None) -> list[Objective]:
    """The lexicographic stages: minimal change first (with --from), the criteria, then the tie-break.

    Neighbouring stages are folded into one weighted objective where that stays exact, so a
    request with [cost, time] usually needs one solve, not two.
    """
    stages: list[tuple[Objective, int]] = []
    if previous is not None:
        stages.append(change_objective(model, previous))
    prefer = frozenset(model.request.prefer)
    stages.extend(criterion_objective(model, criterion, prefer) for criterion in criteria)
    stages = [stage for stage in stages if stage[0]]
    folded: list[tuple[Objective, int]] = []
    for stage in reversed(stages):
        combined = fold(stage[0], stage[1], *folded[-1]) if folded else None
        if combined is None:
            folded.append(stage)
        else:
            folded[-1] = combined
    # The tie-break joins the last stage when it fits; alone it would be a whole extra search
    # (measured on GAP), so then the engine's own deterministic choice among equals stands.
    choices = sum(max(len(entry.candidates) - 1, 0) for entry in model.entries)
    extra, extra_spread = tie_break(model) if choices <= TIE_BREAK_MAX_CHOICES else ({}, 0)
    if extra and len(extra) <= TIE_BREAK_MAX_CHOICES:
        if not folded:
            folded.append((extra, extra_spread))
        else:
            combined = fold(folded[0][0], folded[0][1], extra, extra_spread)
            if combined is not None:
                folded[0] = combined
    return [objective for objective, _ in reversed(folded)]


def _unpluggable_edges(request: Request, entries: list[StepCandidates]) -> list[str]:
    """Edges where no candidate of the later step accepts anything a candidate of the earlier outputs."""
    index_of = {entry.step.id: i for i, entry in enumerate(entries)}
    reasons = []
    for entry in entries:
        if any(not c.module.inputs for c in entry.candidates):
            continue
        for before in entry.step.after:
            upstream = entries[index_of[before]].candidates
            outputs = sorted({o for c in upstream for o in c.module.outputs})
            inputs = sorted({i for c in entry.candidates for i in c.module.inputs})
            if not set(outputs) & set(inputs):
                reasons.append(
                    f"no module for step {entry.step.id} accepts what step {before} outputs: "
                    f"[{', '.join(outputs)}] vs [{', '.join(inputs)}]"
                )
    return reasons


def schedule(request: Request, picks: list[Candidate]) -> tuple[list[int], list[int]]:
    """Start and finish of every step: each starts as soon as the steps it waits for have finished."""
    return _schedule_durations(request, [c.duration for c in picks])


def _schedule_durations(request: Request, durations: list[int]) -> tuple[list[int], list[int]]:
    index_of = {step.id: i for i, step in enumerate(request.steps)}
    starts = [0] * len(durations)
    finishes = [0] * len(durations)
    for i in topological_order(request):
        starts[i] = max((finishes[index_of[b]] for b in request.steps[i].after), default=0)
        finishes[i] = starts[i] + durations[i]
    return starts, finishes


def evaluate(network: Network, request: Request, picks: list[Candidate], usage: Usage) -> Evaluation:
    """Measure a complete assignment and check every rule of SPEC §2 exactly."""
    steps = request.steps
    index_of = {step.id: i for i, step in enumerate(steps)}
    starts, finishes = schedule(request, picks)
    handoffs: list[list[Handoff]] = [[] for _ in steps]
    problems: list[str] = []
    for i, step in enumerate(steps):
        module = picks[i].module
        for before in step.after:
            upstream = picks[index_of[before]].module
            if not module.inputs:
                handoffs[i].append(Handoff(before, None))
                continue
            shared = sorted(set(upstream.outputs) & set(module.inputs))
            if not shared:
                problems.append(f"plug_compatibility: {module.id} accepts nothing {upstream.id} outputs")
            handoffs[i].append(Handoff(before, shared[0] if shared else None))
    cost = sum(c.cost for c in picks)
    finish = max(finishes, default=0)
    partners = sorted({c.partner.id for c in picks})
    if request.budget is not None and Decimal(cost) / 100 > request.budget:
        problems.append(f"budget: costs {money(cost)}, budget {request.budget}")
    deadline = request.deadline_offset
    if deadline is not None and finish > deadline:
        problems.append(f"deadline: finishes at {finish}, deadline {deadline}")
    if request.max_partners is not None and len(partners) > request.max_partners:
        problems.append(f"max_partners: {len(partners)} partners, at most {request.max_partners}")
    chosen = set(partners)
    for partner_id in partners:
        for other in network.partners[partner_id].interests.avoid:
            if other in chosen:
                problems.append(f"avoid: {partner_id} avoids {other}")
    module_use: dict[str, Decimal] = {}
    partner_use: dict[str, Decimal] = {}
    for candidate in picks:
        module_use[candidate.module.id] = module_use.get(candidate.module.id, Decimal(0)) + candidate.quantity
        partner_use[candidate.partner.id] = partner_use.get(candidate.partner.id, Decimal(0)) + candidate.usage
    for candidate in picks:
        left = usage.module_left(candidate.module)
        if left is not None and module_use[candidate.module.id] > left:
            problems.append(
                f"module_capacity: {candidate.module.id} needs {module_use[candidate.module.id]}, {left} left"
            )
        partner_left = usage.partner_left(candidate.partner)
        if partner_left is not None and partner_use[candidate.partner.id] > partner_left:
            problems.append(
                f"partner_capacity: {candidate.partner.id} needs {partner_use[candidate.partner.id]}, "
                f"{partner_left} left"
            )
    for i, candidate in enumerate(picks):
        step = steps[i]
        if candidate.module.capability != step.capability:
            problems.append(f"capability: {candidate.module.id} does not offer {step.capability}")
        minimum = candidate.partner.interests.min_order_value
        if minimum is not None and Decimal(candidate.cost) / 100 < minimum:
            problems.append(f"min_order_value: {candidate.module.id} costs less than {minimum}")
        if candidate.partner.id in request.exclude or (
            step.partner is not None and candidate.partner.id != step.partner
        ):
            problems.append(f"exclude/pin: {candidate.partner.id} may not do step {step.id}")
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


def _assignments(request: Request, picks: list[Candidate], evaluation: Evaluation) -> list[Assignment]:
    return [
        Assignment(
            step=step.id,
            capability=step.capability,
            module=pick.module.id,
            partner=pick.partner.id,
            quantity=pick.quantity,
            start=evaluation.starts[i],
            finish=evaluation.finishes[i],
            cost=pick.cost,
            handoffs=evaluation.handoffs[i],
        )
        for i, (step, pick) in enumerate(zip(request.steps, picks, strict=True))
    ]


def _mark_changes(plan: Plan, previous: dict[str, str]) -> None:
    for assignment in plan.assignments:
        before = previous.get(assignment.step)
        assignment.previous = before
        assignment.changed = before != assignment.module
    plan.changes = sum(1 for a in plan.assignments if a.changed)


# -- explanations ---------------------------------------------------------------------------


def explain_conflict(network: Network, model: PlanModel, usage: Usage, time_limit: float) -> list[str]:
    """The smallest set of conflicting rules, each quantified by relaxing it alone."""
    present = [group for group in RELAXABLE if group in model.milp.groups]
    all_groups = frozenset(model.milp.groups)

    def feasible(active: list[str]) -> bool:
        off = frozenset(g for g in present if g not in active)
        return solve(model.milp, [], time_limit, off).status != SolveStatus.INFEASIBLE

    def smallest(groups: list[str]) -> list[str]:
        """A smallest conflicting subset of ``groups``, which conflict together."""
        needed = list(groups)
        for group in groups:
            trial = [g for g in needed if g != group]
            if not feasible(trial):
                needed = trial
        # Every rule left is needed, yet a smaller conflict may lie elsewhere (a deadline no plan
        # meets, behind a capacity and max_partners clash): report the smallest.
        for size in range(1, len(needed)):
            smaller = next((list(c) for c in itertools.combinations(groups, size) if not feasible(list(c))), None)
            if smaller is not None:
                return smaller
        return needed

    # One conflict, then any other among the rules it leaves out: fixing one must not reveal another.
    conflicts = [smallest(present)]
    rest = [g for g in present if g not in conflicts[0]]
    while conflicts[-1] and rest and not feasible(rest):
        conflicts.append(smallest(rest))
        rest = [g for g in rest if g not in conflicts[-1]]
    if not conflicts[0]:
        return ["the steps' candidates cannot be combined into a plan"]
    reasons = []
    for needed in conflicts:
        if len(needed) > 1:
            reasons.append("these rules cannot all be met together: " + ", ".join(needed))
        for group in needed:
            reasons.append(_quantify(network, model, usage, group, needed, all_groups, time_limit))
    return reasons


def _quantify(
    network: Network,
    model: PlanModel,
    usage: Usage,
    group: str,
    needed: list[str],
    all_groups: frozenset[str],
    time_limit: float,
) -> str:
    request = model.request
    currency = network.info.currency
    unit = network.info.time_unit
    off = frozenset({group})
    prefer = frozenset(request.prefer)
    measure: list[Objective] = []
    if group == "budget":
        measure = [criterion_objective(model, "cost", prefer)[0]]
    elif group == "deadline" and model.finish is not None:
        measure = [{model.finish: 1.0}]
    elif group == "max_partners" and model.y:
        measure = [dict.fromkeys(model.y.values(), 1.0)]
    outcome = solve(model.milp, measure, time_limit, off)
    qualifier = "everything else"
    if outcome.values is None:
        others_off = frozenset(g for g in RELAXABLE if g in all_groups and g not in needed)
        outcome = solve(model.milp, measure, time_limit, others_off | off)
        # With no other rule in the conflict, the figure holds whatever the other rules say.
        qualifier = "the other rules in conflict" if len(needed) > 1 else "only the steps' own requirements"
    if outcome.values is None:
        return f"{group} conflicts with the other rules"
    picks = model.chosen(outcome.values)
    cost = sum(c.cost for c in picks)
    if group == "budget":
        assert request.budget is not None
        budget = int(request.budget * 100)
        return (
            f"budget: the cheapest plan meeting {qualifier} costs {money(cost, currency)}; "
            f"budget is {money(budget, currency)}"
        )
    if group == "deadline":
        finish = max(schedule(request, picks)[1], default=0)
        return (
            f"deadline: the earliest finish meeting {qualifier} is {unit} {finish}; "
            f"deadline is {unit} {request.deadline_offset}"
        )
    if group == "max_partners":
        count = len({c.partner.id for c in picks})
        return (
            f"max_partners: the fewest partners meeting {qualifier} is {count}; max_partners is {request.max_partners}"
        )
    if group == "avoid":
        chosen = {c.partner.id for c in picks}
        pairs = [f"{a} and {b}" for a, b in model.avoid_pairs if a in chosen and b in chosen]
        return (
            f"avoid: a plan meeting {qualifier} needs partners {'; '.join(pairs)} together, but they avoid each other"
        )
    if group == "plug_compatibility":
        return _plug_reason(request, picks, qualifier)
    if group in ("module_capacity", "partner_capacity"):
        return _capacity_reason(network, usage, picks, group, qualifier)
    return f"{group} conflicts with the other rules"


def _plug_reason(request: Request, picks: list[Candidate], qualifier: str) -> str:
    index_of = {step.id: i for i, step in enumerate(request.steps)}
    for i, step in enumerate(request.steps):
        module = picks[i].module
        for before in step.after:
            upstream = picks[index_of[before]].module
            if module.inputs and not set(module.inputs) & set(upstream.outputs):
                return (
                    f"plug_compatibility: the plan meeting {qualifier} needs {module.id} for step {step.id}, "
                    "which accepts "
                    f"[{', '.join(module.inputs)}], after {upstream.id} for step {before}, which outputs "
                    f"[{', '.join(upstream.outputs)}]"
                )
    return f"plug_compatibility: no pluggable combination meets {qualifier}"


def _capacity_reason(network: Network, usage: Usage, picks: list[Candidate], group: str, qualifier: str) -> str:
    totals: dict[str, Decimal] = {}
    for candidate in picks:
        key = candidate.module.id if group == "module_capacity" else candidate.partner.id
        amount = candidate.quantity if group == "module_capacity" else candidate.usage
        totals[key] = totals.get(key, Decimal(0)) + amount
    for key, total in sorted(totals.items()):
        if group == "module_capacity":
            capacity = network.modules[key].capacity
            kind = "module"
        else:
            capacity = network.partners[key].capacity
            kind = "partner"
        if capacity is not None:
            left = capacity - (usage.modules if kind == "module" else usage.partners).get(key, Decimal(0))
            if total <= left:
                continue
            taken = usage.taken(kind, key, capacity)
            needs = f"{group}: the plan meeting {qualifier} needs {number(total)} of {kind} {key}'s capacity"
            return f"{needs}; {number(left)} is left{taken}" if taken else f"{needs} of {number(capacity)}"
    return f"{group}: capacity is too small for {qualifier}"


# -- backups --------------------------------------------------------------------------------


def add_backups(network: Network, plan: Plan, usage: Usage, options: Options) -> None:
    """Per step, the best module of another partner that could take over alone (SPEC §5)."""
    request = plan.request
    others = usage.copy()
    for candidate in plan.picks:
        others.release(candidate)
    entries = find_candidates(network, request, others, options.without, network.info.currency)
    current = evaluate(network, request, plan.picks, others)
    plan.single_points_of_failure = []
    for i, assignment in enumerate(plan.assignments):
        best: tuple[tuple, Candidate, Evaluation] | None = None  # type: ignore[type-arg]
        for alternative in entries[i].candidates:
            if alternative.partner.id == assignment.partner:
                continue
            picks = list(plan.picks)
            picks[i] = alternative
            trial = evaluate(network, request, picks, others)
            if trial.problems:
                continue
            key = (*_rank(request.optimize, trial), alternative.module.id)
            if best is None or key < best[0]:
                best = (key, alternative, trial)
        if best is None:
            assignment.backup = None
            plan.single_points_of_failure.append(assignment.step)
        else:
            _, alternative, trial = best
            assignment.backup = Backup(
                alternative.module.id, alternative.partner.id, trial.cost - current.cost, trial.finish - current.finish
            )


def _rank(criteria: Sequence[str], evaluation: Evaluation) -> tuple:  # type: ignore[type-arg]
    values = {
        "cost": evaluation.cost,
        "time": evaluation.finish,
        "partners": len(evaluation.partners),
        "reputation": -evaluation.reputation,
        "preferred": -evaluation.preferred,
    }
    return tuple(values[criterion] for criterion in criteria)
