"""The run's timeline (SPEC §6): its time 0, the committed work placed on it, and what resources it used.

Time 0 is the earliest start date among the requests of the run and the committed plans; a request
without a start date is released at time 0, one with a date that many days later. Committed work
(`--committed PLAN.json`) holds its resources at its times and uses its capacities, before any
request of the run is planned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sbn.candidates import Catalog
from sbn.ledger import Usage
from sbn.loader import Network
from sbn.model import Request
from sbn.numbers import ZERO
from sbn.result import Plan, ResourceUse
from sbn.rules import RESOURCE_TOTAL, takes
from sbn.text import quote


@dataclass(frozen=True)
class CommittedStep:
    """One assignment of an earlier plan, now fixed work."""

    request: str
    step: str
    module: str
    quantity: Decimal
    start: int  # offsets from its plan's own time 0
    finish: int
    start_date: date | None  # its plan's start date, when it had one
    file: str


def read_committed(paths: Sequence[Path]) -> list[CommittedStep]:
    """The assignments of earlier `sbn.plan/v1` outputs, checked for their shape (file:line:col)."""
    from sbn.planjson import Shape, date_or_null, positive, read_plans, string, time_point

    shape = Shape(
        plan={"start_date": date_or_null},
        assignment={"module": string, "quantity": positive, "start": time_point, "finish": time_point},
        optional=frozenset({"start_date"}),
        ordered=("start", "finish"),
    )
    found: list[CommittedStep] = []
    # A request committed in two files (the same plan given twice) would hold its work twice.
    files: dict[str, str] = {}
    for path in paths:
        plans = read_plans(path, shape, "--committed", earlier=files)
        files.update(dict.fromkeys(plans, str(path)))
        for request, record in plans.items():
            start_date = record.fields.get("start_date")
            day = date.fromisoformat(start_date) if isinstance(start_date, str) else None
            for step, fields in record.assignments.items():
                found.append(
                    CommittedStep(
                        request,
                        step,
                        fields["module"],
                        Decimal(fields["quantity"]),
                        int(fields["start"]),
                        int(fields["finish"]),
                        day,
                        str(path),
                    )
                )
    return found


def origin(requests: Iterable[Request], committed: Iterable[CommittedStep]) -> date | None:
    """The run's time 0: the earliest start date among its requests and the committed plans (None: none has one)."""
    days = [request.start for request in requests if request.start is not None]
    days += [step.start_date for step in committed if step.start_date is not None]
    return min(days, default=None)


def commit(catalog: Catalog, usage: Usage, committed: Sequence[CommittedStep]) -> None:
    """Place committed work on the ledger: its capacities taken, its resources held at its times."""
    network = catalog.network
    for step in committed:
        module = network.modules.get(step.module)
        if module is None:
            from sbn.planjson import field_error

            message = f"module {quote(step.module)} is no longer in the network"
            raise field_error(Path(step.file), step.request, step.step, "module", message)
        offer = next(o for o in catalog.offers(module.capability) if o.module.id == module.id)
        for key, amount, _ in takes(offer, step.quantity):
            usage.take(key, amount, step.request)
        release = usage.release(step.start_date)
        amounts = offer.amounts(step.quantity)
        for resource, _ in offer.uses:
            if resource.at_once is not None and amounts[resource.id] and step.finish > step.start:
                usage.hold(resource.id, release + step.start, release + step.finish, amounts[resource.id], step.request)


def resources_used(network: Network, plans: Sequence[Plan], committed: Usage) -> tuple[ResourceUse, ...]:
    """Per resource that a planned assignment or committed work uses with a non-zero amount, in id order: the
    highest amount held at any time (at once) or the sum used (in total), committed work counted in."""
    held: dict[str, list[tuple[int, Decimal]]] = {}
    used: dict[str, Decimal] = {}
    for resource_id, periods in committed.busy.items():
        for start, end, amount, _ in periods:
            if amount and end > start:
                held.setdefault(resource_id, []).extend([(start, amount), (end, -amount)])
    for (limit, key), amount in committed.used.items():
        if limit == RESOURCE_TOTAL.name and amount:
            used[key] = used.get(key, ZERO) + amount
    for plan in plans:
        release = committed.release(plan.request.start)
        for assignment in plan.assignments:
            for resource_id, amount in assignment.uses:
                resource = network.resources[resource_id]
                if not amount:
                    continue
                if resource.total is not None:
                    used[resource_id] = used.get(resource_id, ZERO) + amount
                elif assignment.finish > assignment.start:
                    begin, end = release + assignment.start, release + assignment.finish
                    held.setdefault(resource_id, []).extend([(begin, amount), (end, -amount)])
    summary = []
    for resource_id in sorted(set(held) | set(used)):
        resource = network.resources[resource_id]
        if resource.at_once is not None:
            summary.append(ResourceUse(resource_id, resource.at_once, None, peak=_highest(held[resource_id])))
        else:
            summary.append(ResourceUse(resource_id, None, resource.total, used=used[resource_id]))
    return tuple(summary)


def _highest(events: list[tuple[int, Decimal]]) -> Decimal:
    level = peak = ZERO
    for _, delta in sorted(events, key=lambda event: (event[0], event[1])):
        level += delta
        peak = max(peak, level)
    return peak
