"""The optimisation model of one request: the rows of every rule of sbn.rules, in order.

Variables: ``x[s][k]`` = step s is done by its k-th candidate; ``y[p]`` = partner p takes part;
``start[s]`` and ``finish`` when time matters. Every objective is integer-valued (cents,
time units, counts), so lexicographic stages can hold each optimum exactly (sbn.objectives).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sbn.candidates import Candidate, StepCandidates
from sbn.dominance import limited_keys, prune_dominated
from sbn.ledger import Usage
from sbn.milp import Milp
from sbn.model import Partner, Request
from sbn.rules import DEADLINE, MODEL_RULES, Avoid


@dataclass
class PlanModel:
    request: Request
    entries: list[StepCandidates]
    usage: Usage  # what earlier requests of the run took of every limit
    timed: bool  # start and finish columns are part of the model
    counted: bool  # every partner taking part has a column (criterion partners, max_partners)
    avoid_pairs: list[tuple[str, str]]
    criteria: tuple[str, ...]  # what the plan is optimised for: the request's own, or a joint run's
    milp: Milp = field(default_factory=Milp)
    x: list[list[int]] = field(default_factory=list)
    y: dict[str, int] = field(default_factory=dict)
    start: list[int] = field(default_factory=list)
    finish: int | None = None
    present: int | None = None  # joint runs: the column "this request is planned"; None: it must be
    release: int = 0  # the request's time 0 on the run's timeline (SPEC §6)

    def placed(self, values: Sequence[float]) -> list[int] | None:
        """Where a solution starts each step, when the engine places them (resources held at once); else None."""
        if not self.milp.cumulatives or not self.start:
            return None
        return [round(values[column]) for column in self.start]

    def chosen(self, values: list[float]) -> list[Candidate]:
        """The candidate picked for each step in a solution."""
        picks = []
        for i, entry in enumerate(self.entries):
            best = max(range(len(entry.candidates)), key=lambda k: values[self.x[i][k]])
            picks.append(entry.candidates[best])
        return picks


def build_model(
    request: Request,
    entries: list[StepCandidates],
    partners: dict[str, Partner],
    usage: Usage,
    need_schedule: bool,
    need_partners: bool,
    keep: Mapping[str, str] | None = None,
) -> PlanModel:
    """Every rule of SPEC §2 that ties steps together, in the order of sbn.rules.MODEL_RULES.

    ``need_schedule`` and ``need_partners`` ask for the columns a criterion reads (time, partners);
    ``keep`` names modules dominance must not prune (the previous plan's, with --from).
    """
    kept = {step: (module,) for step, module in (keep or {}).items()}
    appearances = limited_keys(entries)
    model = _part(request, entries, partners, usage, need_schedule, need_partners, kept, appearances, Milp(), None)
    for rule in MODEL_RULES:
        rule.add_run_rows([model])
    return model


def build_joint_model(
    parts: Sequence[tuple[Request, list[StepCandidates], Mapping[str, Collection[str]]]],
    partners: dict[str, Partner],
    usage: Usage,
    need_schedule: bool,
    need_partners: bool,
    criteria: Sequence[str],
) -> list[PlanModel]:
    """One model for every request of a run (SPEC §7): each request's part may be left out whole.

    ``parts`` holds each request with its candidates and the modules dominance must keep. The parts
    share one model and every limit: a capacity's row counts the candidates of all requests.
    """
    appearances = limited_keys([entry for _, entries, _ in parts for entry in entries])
    milp = Milp()
    models = []
    for request, entries, keep in parts:
        model = _part(
            request, entries, partners, usage, need_schedule, need_partners, keep, appearances, milp, criteria
        )
        model.present = milp.add_column(0, 1, True)
        models.append(model)
    for rule in MODEL_RULES:
        rule.add_run_rows(models)
    return models


def _part(
    request: Request,
    entries: list[StepCandidates],
    partners: dict[str, Partner],
    usage: Usage,
    need_schedule: bool,
    need_partners: bool,
    keep: Mapping[str, Collection[str]],
    appearances: dict[tuple[str, str], int],
    milp: Milp,
    criteria: Sequence[str] | None,
) -> PlanModel:
    """A request's part of a model: its candidates after dominance, and their columns.

    ``criteria`` are a joint run's; None: the request's own.
    """
    chosen = tuple(criteria if criteria is not None else request.optimize)
    involved = sorted({c.partner.id for entry in entries for c in entry.candidates})
    avoid_pairs = Avoid.pairs(involved, partners)
    counted = need_partners or request.max_partners is not None
    coupled = {p for pair in avoid_pairs for p in pair}
    entries = prune_dominated(request, entries, coupled, counted, keep, appearances, chosen)
    holds = any(resource.at_once is not None for e in entries for c in e.candidates for resource, _ in c.offer.uses)
    timed = need_schedule or holds or DEADLINE.limit(request) is not None
    model = PlanModel(request, entries, usage, timed, counted, avoid_pairs, chosen, milp)
    model.release = usage.release(request.start)
    for entry in entries:
        model.x.append([milp.add_column(0, 1, True) for _ in entry.candidates])
    return model
