"""`sbn diff`: two `sbn.plan/v1` documents compared request by request, step by step."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from sbn.errors import Diagnostic, InputError
from sbn.planjson import PlanRecord, Shape, number, number_or_null, read_plans, string, whole, whole_or_null

SCHEMA = "sbn.diff/v1"
# What is compared; other fields (dates, handoffs, reasons) follow from these or are not a change of plan.
SHAPE = Shape(
    plan={"status": string, "cost": number_or_null, "finish": whole_or_null},
    assignment={"module": string, "partner": string, "start": whole, "cost": number},
)
STEP_FIELDS = ("module", "partner", "start", "cost")


def run_diff(old: Path, new: Path, output_format: str) -> int:
    diagnostics: list[Diagnostic] = []
    documents = []
    for path in (old, new):
        try:
            documents.append(read_plans(path, SHAPE))
        except InputError as error:  # both files' problems are reported in one run
            diagnostics += error.diagnostics
    if diagnostics:
        raise InputError(diagnostics)
    data = compare(str(old), documents[0], str(new), documents[1])
    if output_format == "json":
        from sbn.render.data import json_text

        sys.stdout.write(json_text(data))
    else:
        from rich.console import Console

        from sbn.render.diff import render_diff

        render_diff(Console(highlight=False), data)
    return 0 if data["equal"] else 1


def compare(old_name: str, old: dict[str, PlanRecord], new_name: str, new: dict[str, PlanRecord]) -> dict[str, Any]:
    """The difference as plain data, the shape of `sbn diff --format json` (docs/commands.md)."""
    requests = [_request(request, old.get(request), new.get(request)) for request in old]
    requests += [_request(request, None, plan) for request, plan in new.items() if request not in old]
    return {
        "schema": SCHEMA,
        "old": old_name,
        "new": new_name,
        "equal": all(entry["change"] == "same" for entry in requests),
        "requests": requests,
    }


def _request(request: str, old: PlanRecord | None, new: PlanRecord | None) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    if old is not None and new is not None:
        for step, before in old.assignments.items():
            after = new.assignments.get(step)
            if after is None:
                steps.append({"step": step, "change": "removed", "fields": [], "old": _step(before), "new": None})
                continue
            changed = [name for name in STEP_FIELDS if before[name] != after[name]]
            if changed:
                steps.append(
                    {"step": step, "change": "changed", "fields": changed, "old": _step(before), "new": _step(after)}
                )
        steps += [
            {"step": step, "change": "added", "fields": [], "old": None, "new": _step(after)}
            for step, after in new.assignments.items()
            if step not in old.assignments
        ]
    fields = {key: (_get(old, key), _get(new, key)) for key in ("status", "cost", "finish")}
    if old is None or new is None:
        change = "added" if old is None else "removed"
    elif steps or any(before != after for before, after in fields.values()):
        change = "changed"
    else:
        change = "same"
    return {
        "request": request,
        "change": change,
        "status": {"old": fields["status"][0], "new": fields["status"][1]},
        "cost": _delta(*fields["cost"]),
        "finish": _delta(*fields["finish"]),
        "steps": steps,
    }


def _get(plan: PlanRecord | None, key: str) -> Any:
    return None if plan is None else plan.fields[key]


def _exact(value: Any) -> Any:
    """Amounts as numbers that JSON writes exactly as read (4007.5, never 4007.4999999)."""
    from sbn.render.data import Exact

    return Exact(value) if isinstance(value, Decimal) else value


def _step(assignment: dict[str, Any]) -> dict[str, Any]:
    return {name: _exact(assignment[name]) for name in STEP_FIELDS}


def _delta(old: Any, new: Any) -> dict[str, Any]:
    delta = None if old is None or new is None else new - old
    return {"old": _exact(old), "new": _exact(new), "delta": _exact(delta)}
