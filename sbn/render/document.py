"""Reading the plan document (SPEC §4) for the sharing formats: HTML, CSV and iCalendar.

Those renderers read the document that JSON is written from, never the planner's objects, so
that whatever the planner becomes, one shape feeds every format. Numbers in it are ``Exact``
(as JSON writes them), plain ints or floats (a hand-made or re-read document); each is read
back as the decimal JSON shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sbn.numbers import CENT

if TYPE_CHECKING:
    from sbn.loader import Network
    from sbn.result import Plan, Run


def shared_document(network: Network, run: Run | Sequence[Plan], explain: bool = False) -> dict[str, Any]:
    """The plan document, with what a reader outside the network needs beside it.

    Adds the network's ``ambition`` and each plan's ``customer`` (when declared): the table shows
    both, and a shared report or calendar is read by people who do not have the input files.
    """
    from sbn.render.data import plan_data
    from sbn.result import Run

    plans = run.plans if isinstance(run, Run) else run
    document = plan_data(network, run, explain)
    if network.info.ambition:
        document["ambition"] = network.info.ambition.strip()
    for plan, data in zip(plans, document["plans"], strict=True):
        if plan.request.customer:
            data["customer"] = plan.request.customer
    return document


def decimal(value: Any) -> Decimal:
    """A document number as the decimal JSON writes: 4007.5 stays 4007.5, never 4007.4999…."""
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return Decimal(text)
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    # str() of a float is the shortest text that reads back as it, which is what JSON writes.
    return Decimal(str(value))


def plain_number(value: Any) -> str:
    """A quantity or amount as written in JSON, without exponent: 500, 2.5, 0.0001."""
    number = decimal(value)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def plain_money(value: Any) -> str:
    """An amount to the cent, no separators, for machines: 2050.00, -150.00."""
    return str(decimal(value).quantize(CENT))


def money(value: Any, currency: str | None = None) -> str:
    """An amount to the cent with thousands separators, for people: 44,125.00 (EUR)."""
    text = f"{decimal(value).quantize(CENT):,}"
    return f"{text} {currency}" if currency else text


def signed_money(value: Any) -> str:
    number = decimal(value)
    return ("+" if number >= 0 else "-") + money(abs(number))


def plural(count: int | Decimal, unit: str) -> str:
    return unit if count == 1 else unit + "s"


def iso_date(text: Any) -> date | None:
    """A document date (``2027-03-01``), or None when absent or not a date."""
    if not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def plan_start(plan: Mapping[str, Any]) -> date | None:
    """The calendar date of the plan's time 0, when every date of it can be written."""
    start = iso_date(plan.get("start_date"))
    if start is None:
        return None
    finish = plan.get("finish")
    if isinstance(finish, int) and date.max.toordinal() - start.toordinal() < finish:
        return None
    return start


def offset_date(start: date, offset: int) -> date | None:
    try:
        return start + timedelta(days=offset)
    except OverflowError:
        return None


def planned(plan: Mapping[str, Any]) -> bool:
    return plan.get("status") in ("optimal", "feasible")


def reason_entries(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each reason as ``{"rule", "text", ...numbers}`` (SPEC §8); from ``reasons`` alone when details are absent."""
    reasons = [str(reason) for reason in plan.get("reasons") or []]
    details = plan.get("reason_details")
    if isinstance(details, list) and len(details) == len(reasons):
        entries = []
        for reason, detail in zip(reasons, details, strict=True):
            entry = dict(detail) if isinstance(detail, Mapping) else {}
            entry.setdefault("text", reason)
            entries.append(entry)
        return entries
    return [{"text": reason} for reason in reasons]


def handoff_text(handoff: Mapping[str, Any]) -> str:
    """``interface <- step``, as the table writes it; ``anything`` when the module accepts anything."""
    interface = handoff.get("interface")
    return f"{interface if interface is not None else 'anything'} <- {handoff.get('from')}"


def uses_text(uses: Mapping[str, Any]) -> str:
    return ", ".join(f"{resource}: {plain_number(amount)}" for resource, amount in uses.items())
