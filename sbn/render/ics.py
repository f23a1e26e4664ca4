"""Plans as iCalendar (RFC 5545): one all-day event per assignment that has dates.

Written here rather than with a library: all-day events with text need only RFC 5545's text
escaping (§3.3.11) and line folding (§3.1), a few lines, while the icalendar package would bring
python-dateutil and tzdata for time zones and recurrences sbn never writes. The tests read the
output back with icalendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from sbn.render.common import clean, finish_change
from sbn.render.document import handoff_text, iso_date, money, plain_number, plural, signed_money, uses_text

PRODID = "-//sbn//sbn plan//EN"
_LINE_OCTETS = 75


def render_ics(document: Mapping[str, Any]) -> str:
    network = document.get("network")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    name = f"sbn plan: {network}" if network else "sbn plan"
    # NAME is RFC 7986; X-WR-CALNAME is what most calendar programs read instead.
    lines += [f"NAME:{_text(name)}", f"X-WR-CALNAME:{_text(name)}"]
    for event in events(document):
        lines += ["BEGIN:VEVENT", *(f"{key}:{value}" for key, value in event), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def events(document: Mapping[str, Any]) -> Iterator[list[tuple[str, str]]]:
    """Properties of each event, in plan and step order; assignments without both dates have none."""
    network = document.get("network")
    domain = re.sub(r"[^A-Za-z0-9.-]+", "-", str(network or "")).strip("-.") or "sbn"
    for plan in document.get("plans") or []:
        request = plan.get("request")
        origin = iso_date(plan.get("start_date"))
        for assignment in plan.get("assignments") or []:
            start = iso_date(assignment.get("start_date"))
            finish = iso_date(assignment.get("finish_date"))
            if origin is None or start is None or finish is None:
                continue
            step, partner, module = assignment.get("step"), assignment.get("partner"), assignment.get("module")
            event = [
                # The same request and step keep the same UID, so a re-planned calendar updates
                # the events it replaces in programs that match on UID. '/' is never in an id.
                ("UID", _text(f"{request}/{step}@{domain}.sbn")),
                # Required, and must not drift between runs of the same input: the request's
                # start date is the one date the plan itself carries.
                ("DTSTAMP", f"{origin:%Y%m%d}T000000Z"),
                ("DTSTART;VALUE=DATE", f"{start:%Y%m%d}"),
            ]
            # A step runs from its start date up to, not including, its finish date: DTEND is
            # exclusive too. A step that takes no time has no DTEND, so it is one all-day event
            # on its date (a DTEND equal to DTSTART is not allowed).
            if finish > start:
                event.append(("DTEND;VALUE=DATE", f"{finish:%Y%m%d}"))
            event += [
                ("SUMMARY", _text(f"{request}: {step} by {partner} ({module})")),
                ("DESCRIPTION", _text(_description(document, plan, assignment, start, finish))),
                ("CATEGORIES", _text(str(partner))),
                # Work planned for a module is not a meeting: it does not make anyone busy.
                ("TRANSP", "TRANSPARENT"),
            ]
            yield event


def _description(
    document: Mapping[str, Any], plan: Mapping[str, Any], assignment: Mapping[str, Any], start: date, finish: date
) -> str:
    currency = document.get("currency")
    unit = str(document.get("time_unit") or "day")
    request = f"{plan.get('request')}"
    if plan.get("customer"):
        request += f" for {plan['customer']}"
    lines = [
        f"Request: {request}",
        f"Step: {assignment.get('step')} ({assignment.get('capability')})",
        f"Module: {assignment.get('module')} of partner {assignment.get('partner')}",
    ]
    if assignment.get("quantity") is not None:
        lines.append(f"Quantity: {plain_number(assignment['quantity'])}")
    first, last = assignment.get("start"), assignment.get("finish")
    if finish > start:
        last_day = date.fromordinal(finish.toordinal() - 1)
        lines.append(f"Work: {start.isoformat()} to {last_day.isoformat()} ({unit}s {first}-{last} of the plan)")
    else:
        lines.append(f"Work: takes no time, on {start.isoformat()} ({unit} {first} of the plan)")
    wait = assignment.get("wait")
    if wait:
        lines.append(f"Waits: {wait} {plural(wait, unit)} for shared resources")
    if assignment.get("cost") is not None:
        lines.append(f"Cost: {money(assignment['cost'], currency)}")
    handoffs = assignment.get("handoffs") or []
    if handoffs:
        lines.append("Receives: " + "; ".join(handoff_text(h) for h in handoffs))
    if assignment.get("uses"):
        lines.append(f"Uses: {uses_text(assignment['uses'])}")
    if assignment.get("changed") is not None:
        previous = assignment.get("previous")
        change = "kept" if not assignment["changed"] else (f"moved from {previous}" if previous else "new")
        lines.append(f"Change: {change}")
    if "backup" in assignment:
        backup = assignment["backup"]
        if backup is None:
            lines.append("Backup: none (single point of failure)")
        else:
            delta = backup.get("finish_delta") or 0
            lines.append(
                f"Backup: {backup.get('module')} of partner {backup.get('partner')}, "
                f"{signed_money(backup.get('cost_delta') or 0)} {currency}, {finish_change(delta, unit)}"
            )
    lines.append(f"Plan: {plan.get('status')}, network {document.get('network')}")
    return "\n".join(lines)


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newline escaped; no control characters."""
    value = clean(value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines of at most 75 octets (RFC 5545 §3.1), never splitting a UTF-8 character."""
    if len(line.encode("utf-8")) <= _LINE_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, _LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            # A continuation line starts with a space, which counts towards its 75 octets.
            current, size, limit = [], 0, _LINE_OCTETS - 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n ".join(parts)
