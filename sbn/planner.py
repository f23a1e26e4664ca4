"""Plan the requests of a run: one after another by priority (SPEC §2), or jointly (SPEC §7).

Each request goes through the pipeline of sbn.pipeline: candidates → settled without the engine
when a certificate allows → model → solve → exact check → explanation when infeasible. A joint
run (sbn.joint) solves one model for all. Then backups (sbn.backups), and the result, built once
(sbn.result).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sbn.backups import Backup, NoBackup, find_backups
from sbn.candidates import Catalog
from sbn.joint import plan_jointly
from sbn.ledger import Usage
from sbn.loader import Network, without_cycle_collection
from sbn.lookahead import depends_on, planning_order
from sbn.model import Request
from sbn.numbers import exact
from sbn.parallel import Workers, plan_in_groups
from sbn.pipeline import Options, Outcome, Prepared, complete, prepare, take
from sbn.result import Plan, Run, make_plan
from sbn.timeline import commit, origin, resources_used

__all__ = ["Options", "plan_request", "plan_requests", "plan_run"]


def plan_run(
    network: Network,
    requests: Sequence[Request],
    options: Options,
    workers: Workers | None = None,
    details: bool = True,
    catalog: Catalog | None = None,
) -> Run:
    """Plan the requests of a run; the plans come back in the order the requests were given.

    With ``workers``, groups of requests that share no capacity are planned side by side on them
    (sbn.parallel), with the same result; ``details``: keep the words of every rejection (--explain);
    ``catalog``: one of the network's already filled (it holds nothing of a run's usage).
    """
    with exact(), without_cycle_collection():
        if options.origin is None:
            options = replace(options, origin=origin(requests, options.committed))
        if catalog is None or catalog.network is not network:
            catalog = Catalog(network)
        usage = Usage(origin=options.origin)
        commit(catalog, usage, options.committed)
        base = usage.copy()
        if workers is not None and not options.joint:
            run = plan_in_groups(
                network,
                requests,
                options,
                workers.executor,
                workers.network_ref,
                details,
                workers.count,
                workers.groups,
                workers.catalog or catalog,
                workers.write_json,
            )
        elif options.joint:
            outcomes, objective = plan_jointly(catalog, requests, options, usage)
            plans = tuple(finish_plan(catalog, outcome, usage, options) for outcome in outcomes)
            run = Run(plans, joint=True, objective=objective)
        else:
            run = Run(_plan_in_order(catalog, requests, options, usage))
        if not network.resources:
            return run
        releases = {plan.request.id: base.release(plan.request.start) for plan in run.plans}
        return replace(run, resources=resources_used(network, run.plans, base), releases=releases)


def plan_requests(network: Network, requests: Sequence[Request], options: Options) -> list[Plan]:
    """The plans of plan_run, in the order the requests were given."""
    return list(plan_run(network, requests, options).plans)


def _plan_in_order(catalog: Catalog, requests: Sequence[Request], options: Options, usage: Usage) -> tuple[Plan, ...]:
    """Plan by priority (high first, then file order), each on what the ones before it left.

    While the engine searches for one request, the next is prepared (candidates, model) on the
    capacity left before it; that preparation is used only if the plan found used no limited
    module or partner the next request could choose, so the plans are those of one-by-one planning.
    """
    order = planning_order(requests)
    outcomes: dict[int, Outcome] = {}
    ready: dict[int, Prepared] = {}
    for position, i in enumerate(order):
        if options.progress is not None:
            options.progress(position, len(order), requests[i].id)
        work = ready.pop(i, None) or prepare(catalog, requests[i], usage, options)
        following = order[position + 1] if position + 1 < len(order) else None

        def ahead(following: int | None = following) -> None:
            if following is not None:
                ready[following] = prepare(catalog, requests[following], usage, options)

        outcome = complete(catalog, work, usage, options, ahead if options.ahead else None)
        take(usage, outcome.request, outcome.picks, outcome.starts)
        if following in ready and depends_on(ready[following].outcome.steps, outcome.picks, usage):
            del ready[following]
        outcomes[i] = outcome
    return tuple(finish_plan(catalog, outcomes[i], usage, options) for i in range(len(requests)))


def plan_request(network: Network, request: Request, usage: Usage, options: Options) -> Plan:
    """The best plan of one request on the capacity ``usage`` leaves."""
    with exact():
        catalog = Catalog(network)
        outcome = complete(catalog, prepare(catalog, request, usage, options), usage, options)
        return finish_plan(catalog, outcome, usage, options, taken=False)


def finish_plan(catalog: Catalog, outcome: Outcome, usage: Usage, options: Options, taken: bool = True) -> Plan:
    """The plan of an outcome, with its backups (``usage`` includes what the outcome took when ``taken``)."""
    request = outcome.request
    planned = outcome.evaluation is not None
    backups: list[Backup | NoBackup] | None = None
    if options.backups:
        backups = []
        if planned:
            held = usage
            if not taken:
                held = usage.copy()
                take(held, request, outcome.picks, outcome.starts)
            criteria = options.optimize if options.joint else None
            backups = find_backups(catalog, request, outcome.picks, held, options.without, criteria, outcome.starts)
    previous = None
    if options.previous is not None:
        previous = options.previous.get(request.id) or {}
    return make_plan(
        request,
        outcome.status,
        outcome.steps,
        outcome.reasons,
        outcome.picks,
        outcome.evaluation,
        previous,
        backups,
    )
