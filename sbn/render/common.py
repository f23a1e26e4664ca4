"""What every renderer of a plan says the same way: dates, totals, backups, durations, safe text."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from sbn.backups import Backup
from sbn.loader import Network
from sbn.numbers import budget_cents, cents, money, number, signed_money
from sbn.result import ObjectiveValue, Plan, Run
from sbn.text import clean as clean  # user text in every renderer: one home, sbn.text

LAST_DATE = "after 9999-12-31"


def day(start: date, offset: int) -> str:
    """The date ``offset`` days after ``start``; callers check ``calendar`` first."""
    return (start + timedelta(days=offset)).isoformat()


def calendar(plan: Plan) -> date | None:
    """The request's start date when every date of the plan can be written (up to 9999-12-31)."""
    start = plan.request.start
    if start is None or date.max.toordinal() - start.toordinal() < (plan.finish or 0):
        return None
    return start


def plural(count: int, noun: str) -> str:
    """'1 partner', '3 partners'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def days(delta: int, unit: str) -> str:
    """A change of duration with its sign: '+1 day', '-3 days'."""
    return f"{delta:+d} {unit}{'' if abs(delta) == 1 else 's'}"


def finish_change(delta: int, unit: str) -> str:
    """How a finish moves: '+2 days', '-1 day', or 'same finish' (never '+0 days')."""
    return "same finish" if delta == 0 else days(delta, unit)


def backup_delta(backup: Backup, currency: str, unit: str) -> str:
    """What switching to a backup changes: '+120.00 EUR, +2 days'."""
    return f"{signed_money(backup.cost_delta, currency)}, {finish_change(backup.finish_delta, unit)}"


def totals(network: Network, plan: Plan) -> tuple[str, str]:
    """A plan's totals against its limits: the cost, then the rest ('of budget …; finish day 12 (date) of
    deadline day 14; 3 partners; 1 step changed'). The finish date follows the finish, before the deadline."""
    request = plan.request
    currency = network.info.currency
    unit = network.info.time_unit
    rest = ""
    if request.budget is not None:
        rest += f" of budget {money(budget_cents(request.budget), currency)}"
    rest += f"; finish {unit} {plan.finish}"
    if request.start is not None and plan.finish is not None:
        dated = calendar(plan)
        rest += f" ({day(dated, plan.finish) if dated is not None else LAST_DATE})"
    if request.deadline_offset is not None:
        rest += f" of deadline {unit} {request.deadline_offset}"
    rest += f"; {plural(len(plan.partners), 'partner')}"
    if plan.changes is not None:
        rest += f"; {plural(plan.changes, 'step')} changed"
    return money(plan.cost or 0, currency), rest


def objective_words(network: Network, value: ObjectiveValue) -> str:
    """One criterion of a joint run, as a person reads it: 'cost 1,234.00 EUR', 'time 45 days' (summed)."""
    unit = network.info.time_unit
    amount = value.value
    if value.criterion == "cost":
        assert isinstance(amount, Decimal)
        return f"cost {money(cents(amount), network.info.currency)}"
    if value.criterion == "time":
        return f"time {plural(int(amount), unit)} (sum of finishes)"
    if value.criterion == "partners":
        return f"partners {amount} (summed over plans)"
    if value.criterion == "reputation":
        assert isinstance(amount, Decimal)
        return f"reputation {number(amount)} (summed)"
    if value.criterion == "preferred":
        return f"preferred {plural(int(amount), 'step')}"
    if value.criterion == "changes":
        return f"{plural(int(amount), 'step')} changed"
    return f"{value.criterion} {amount}"


def joint_summary(network: Network, run: Run) -> str:
    """What a joint run came to: requests planned per priority class, each criterion's total, what is proven.

    'Planned jointly: 3 of 4 requests; cost 1,234.00 EUR; time 45 days (sum of finishes); proven optimal'
    """
    classes = [value for value in run.objective if value.criterion == "planned"]
    sizes = {value.priority: 0 for value in classes}
    for plan in run.plans:
        sizes[plan.request.priority] = sizes.get(plan.request.priority, 0) + 1
    planned = sum(int(value.value) for value in classes)
    text = f"Planned jointly: {planned} of {plural(len(run.plans), 'request')}"
    if len(classes) > 1:
        text += " (" + ", ".join(f"priority {v.priority}: {v.value} of {sizes[v.priority]}" for v in classes) + ")"
    for value in run.objective:
        if value.criterion != "planned":
            text += f"; {objective_words(network, value)}"
            if value.bound is not None:
                text += f" (bound {objective_words(network, replace(value, value=value.bound)).split(' ', 1)[1]})"
    unproven = [
        f"priority {v.priority}" if v.criterion == "planned" and len(classes) > 1 else v.criterion
        for v in run.objective
        if not v.proven
    ]
    text += f"; not proven: {', '.join(dict.fromkeys(unproven))}" if unproven else "; proven optimal"
    return text


def resource_lines(run: Run) -> list[str]:
    """One line per resource the run uses (SPEC §6): 'crews: 3 of 4 at once at the peak', 'pumps: 8 of 10 used'."""
    lines = []
    for use in run.resources or ():
        if use.at_once is not None:
            lines.append(f"{use.id}: {number(use.peak or Decimal(0))} of {number(use.at_once)} at once at the peak")
        elif use.total is not None:
            lines.append(f"{use.id}: {number(use.used or Decimal(0))} of {number(use.total)} used in total")
    return lines
