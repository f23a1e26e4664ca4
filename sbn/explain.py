"""Why a request has no plan: the smallest sets of conflicting rules, each quantified (SPEC §2)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from sbn.candidates import Catalog, find_candidates
from sbn.formulation import PlanModel, build_model
from sbn.ledger import Usage
from sbn.model import Request
from sbn.reasons import Reason
from sbn.rules import BY_NAME, RELAXABLE, PlugCompatibility
from sbn.solver import SolveStatus, solve


def explain_infeasible(
    catalog: Catalog,
    request: Request,
    usage: Usage,
    without: frozenset[str],
    time_limit: float,
    totals: bool = True,
) -> list[Reason]:
    """Why no plan exists, on the candidates before the budget and deadline bounds dropped any.

    The bounds may leave, say, only modules whose outputs do not plug: the conflict to report
    is then between the budget and plug compatibility, not plug compatibility alone.
    """
    network = catalog.network
    entries = find_candidates(catalog, request, usage, without, bound=False, totals=totals)
    unpluggable = PlugCompatibility.unpluggable(request, entries)
    if unpluggable:
        return unpluggable
    model = build_model(request, entries, network.partners, usage, need_schedule=False, need_partners=False)
    return explain_conflict(catalog, model, time_limit)


def explain_conflict(catalog: Catalog, model: PlanModel, time_limit: float) -> list[Reason]:
    """The smallest set of conflicting rules, each quantified by relaxing it alone."""
    present = relaxable_groups(model.milp.groups)
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
        return [Reason("conflict", "the steps' candidates cannot be combined into a plan")]
    reasons = []
    for needed in conflicts:
        if len(needed) > 1:
            text = "these rules cannot all be met together: " + ", ".join(needed)
            reasons.append(Reason("conflict", text, {"rules": list(needed)}))
        for group in needed:
            reasons.append(_quantify(catalog, model, group, needed, all_groups, time_limit))
    return reasons


def _quantify(
    catalog: Catalog, model: PlanModel, group: str, needed: list[str], all_groups: frozenset[str], time_limit: float
) -> Reason:
    """What relaxing one rule of a conflict would take: the rule's measure, optimised with it switched off."""
    name, _, key = group.partition(":")
    rule = BY_NAME[name]
    off = frozenset({group})
    measure = rule.measure(model, key or None)
    objectives = [measure] if measure is not None else []
    outcome = solve(model.milp, objectives, time_limit, off)
    qualifier = "everything else"
    if outcome.values is None:
        others_off = frozenset(g for g in relaxable_groups(all_groups) if g not in needed)
        outcome = solve(model.milp, objectives, time_limit, others_off | off)
        # With no other rule in the conflict, the figure holds whatever the other rules say.
        qualifier = "the other rules in conflict" if len(needed) > 1 else "only the steps' own requirements"
    if outcome.values is None:
        return Reason(group, f"{group} conflicts with the other rules")
    picks = model.chosen(outcome.values)
    return rule.describe(model, picks, qualifier, catalog.network, key or None, outcome.values)


def relaxable_groups(groups: Iterable[str]) -> list[str]:
    """The groups of rows an explanation may switch off, in the order of the rules (then of their keys):
    a rule's own group, or one per key of it (a resource: 'resource_total:pumps')."""
    order = {name: position for position, name in enumerate(RELAXABLE)}
    found = [group for group in groups if group.partition(":")[0] in order]
    return sorted(found, key=lambda group: (order[group.partition(":")[0]], group))
