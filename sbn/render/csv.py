"""Plans as CSV for spreadsheets: one row per assignment, the same columns whatever the plan holds."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from sbn.render.common import clean
from sbn.render.document import handoff_text, plain_money, plain_number, planned, uses_text

COLUMNS = (
    "request",
    "customer",
    "status",
    "step",
    "capability",
    "module",
    "partner",
    "quantity",
    "start",
    "finish",
    "start_date",
    "finish_date",
    "wait",
    "cost",
    "currency",
    "handoffs",
    "uses",
    "changed",
    "previous",
    "backup_module",
    "backup_partner",
    "backup_cost_delta",
    "backup_finish_delta",
    "single_point_of_failure",
    "reasons",
)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); a tab or
# carriage return first can hide such a start. Text cells that begin so get a leading apostrophe,
# which spreadsheets show as text. Numbers are ours and never guarded, so -150.00 stays a number.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value: Any) -> str:
    """A text cell from the input, guarded against being run as a formula."""
    # Control characters are written as \xNN, as in every other format: the file may meet a terminal.
    cell = "" if value is None else clean(str(value))
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def render_csv(document: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    # RFC 4180: comma-separated, CRLF line ends, quotes only where a cell needs them.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    currency = document.get("currency") or ""
    for plan in document.get("plans") or []:
        head = {
            "request": text(plan.get("request")),
            "customer": text(plan.get("customer")),
            "status": text(plan.get("status")),
        }
        assignments = plan.get("assignments") or []
        if not assignments:
            # A request without a plan still gets a row, so the sheet shows it and why.
            row = dict.fromkeys(COLUMNS, "") | head
            row["reasons"] = text("\n".join(str(reason) for reason in plan.get("reasons") or []))
            writer.writerow(row[column] for column in COLUMNS)
            continue
        for assignment in assignments:
            row = dict.fromkeys(COLUMNS, "") | head | _assignment(assignment)
            row["currency"] = text(currency)
            if not planned(plan):
                row["reasons"] = text("\n".join(str(reason) for reason in plan.get("reasons") or []))
            writer.writerow(row[column] for column in COLUMNS)
    return buffer.getvalue()


def _assignment(assignment: Mapping[str, Any]) -> dict[str, str]:
    row = {
        "step": text(assignment.get("step")),
        "capability": text(assignment.get("capability")),
        "module": text(assignment.get("module")),
        "partner": text(assignment.get("partner")),
        "quantity": plain_number(assignment["quantity"]) if assignment.get("quantity") is not None else "",
        "start": _integer(assignment.get("start")),
        "finish": _integer(assignment.get("finish")),
        "start_date": text(assignment.get("start_date")),
        "finish_date": text(assignment.get("finish_date")),
        "wait": _integer(assignment.get("wait")),
        "cost": plain_money(assignment["cost"]) if assignment.get("cost") is not None else "",
        "handoffs": text("; ".join(handoff_text(h) for h in assignment.get("handoffs") or [])),
        "uses": text(uses_text(assignment.get("uses") or {})),
    }
    if assignment.get("changed") is not None:
        row["changed"] = "true" if assignment["changed"] else "false"
        row["previous"] = text(assignment.get("previous"))
    backup = assignment.get("backup", "absent")
    if backup is None:
        row["single_point_of_failure"] = "true"
    elif isinstance(backup, Mapping):
        row["single_point_of_failure"] = "false"
        row["backup_module"] = text(backup.get("module"))
        row["backup_partner"] = text(backup.get("partner"))
        row["backup_cost_delta"] = plain_money(backup["cost_delta"]) if backup.get("cost_delta") is not None else ""
        row["backup_finish_delta"] = _integer(backup.get("finish_delta"))
    return row


def _integer(value: Any) -> str:
    return "" if value is None else plain_number(value)
