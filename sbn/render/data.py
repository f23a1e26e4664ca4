"""Plans as plain data in the shape of SPEC §4 (`sbn.plan/v1`), for JSON and YAML."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sbn.loader import Network
from sbn.numbers import budget_cents
from sbn.reasons import Cents, Reason
from sbn.render.common import calendar, day
from sbn.result import Assignment, ObjectiveValue, Plan, ResourceUse, Run
from sbn.text import safe_json

SCHEMA = "sbn.plan/v1"


class Exact(float):
    """A decimal that JSON and YAML write exactly as ``text``; to Python it is the nearest float.

    A float alone would print 100000000000000.01 as 100000000000000.02.
    """

    text: str

    def __new__(cls, value: Decimal) -> Exact:
        number = super().__new__(cls, value)
        whole, _, fraction = format(value, "f").partition(".")
        number.text = f"{whole}.{fraction.rstrip('0') or '0'}"
        return number


def amount(cents: int | None) -> Exact | None:
    """Whole cents as a number of the currency: 4007.5, 61250.0."""
    return None if cents is None else Exact(Decimal(cents).scaleb(-2))


def quantity(value: Decimal) -> int | Exact:
    return int(value) if value == value.to_integral_value() else Exact(value)


class Written(str):
    """JSON text already laid out at its place (a plan written by a worker): put in as it is."""


def plan_data(
    network: Network, run: Run | Sequence[Plan], explain: bool = False, written: bool = False
) -> dict[str, Any]:
    """The `sbn.plan/v1` document of a run (or of plans planned one after another). ``written``: plans a
    worker already wrote as JSON go in as that text (for JSON only)."""
    if not isinstance(run, Run):
        run = Run(tuple(run))
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "network": network.info.name,
        "currency": network.info.currency,
        "time_unit": network.info.time_unit,
    }
    if run.joint:
        data["mode"] = "joint"
        data["objective"] = [_objective(value) for value in run.objective]
    if run.resources is not None:
        data["resources"] = [_resource(use) for use in run.resources]
    timed = run.resources is not None
    data["plans"] = [
        Written(plan.json) if written and plan.json is not None else _plan(plan, explain, timed) for plan in run.plans
    ]
    return data


# Where a plan's object sits in the document: in the list "plans" of the top-level object.
PLAN_INDENT = "    "


def plan_json(plan: Plan, explain: bool, timed: bool) -> str:
    """A plan's JSON object as the document holds it (see plan_data(written=True))."""
    return _json(_plan(plan, explain, timed), PLAN_INDENT)


def _resource(use: ResourceUse) -> dict[str, Any]:
    """SPEC §6: {id, at_once, peak} or {id, total, used}."""
    if use.at_once is not None:
        return {"id": use.id, "at_once": quantity(use.at_once), "peak": quantity(use.peak or Decimal(0))}
    assert use.total is not None
    return {"id": use.id, "total": quantity(use.total), "used": quantity(use.used or Decimal(0))}


def _objective(value: ObjectiveValue) -> dict[str, Any]:
    data: dict[str, Any] = {"criterion": value.criterion}
    if value.priority is not None:
        data["priority"] = value.priority
    amount = value.value
    if value.criterion == "cost":
        data["value"] = Exact(Decimal(amount))  # money, written like every amount: 60.0
    else:
        data["value"] = amount if isinstance(amount, int) else quantity(amount)
    data["proven"] = value.proven
    if value.bound is not None:
        data["bound"] = quantity(value.bound) if value.criterion != "cost" else Exact(value.bound)
    return data


def _plan(plan: Plan, explain: bool, timed: bool = False) -> dict[str, Any]:
    request = plan.request
    data: dict[str, Any] = {
        "request": request.id,
        "status": plan.status.value,
        "cost": amount(plan.cost),
        "finish": plan.finish,
    }
    if request.start is not None:
        dated = calendar(plan)
        data["start_date"] = request.start.isoformat()
        data["finish_date"] = day(dated, plan.finish) if dated is not None and plan.finish is not None else None
    # The budget as it is compared: in whole cents, rounded down (12.345 allows 12.34).
    data["budget"] = amount(budget_cents(request.budget)) if request.budget is not None else None
    data["deadline"] = request.deadline_offset
    data["partners"] = plan.partners
    if plan.changes is not None:
        data["changes"] = plan.changes
    data["assignments"] = [_assignment(plan, a, timed) for a in plan.assignments]
    if plan.backups and plan.planned:
        data["single_points_of_failure"] = list(plan.single_points_of_failure)
    data["reasons"] = [reason.text for reason in plan.reasons]
    data["reason_details"] = [_reason(reason) for reason in plan.reasons]
    if explain:
        data["steps"] = [
            {
                "step": entry.step.id,
                "capability": entry.step.capability,
                "offered": entry.offered,
                "fit": entry.fit,
                "rejected": [{"module": r.module, "partner": r.partner, "reason": r.detail} for r in entry.rejected],
            }
            for entry in plan.steps
        ]
    return data


def _reason(reason: Reason) -> dict[str, Any]:
    """SPEC §8: the rule, the sentence, and each number it quotes as a field of its own."""
    data: dict[str, Any] = {"rule": reason.rule, "text": reason.text}
    for key, value in reason.numbers.items():
        data[key] = _detail(value)
    return data


def _detail(value: Any) -> Any:
    if isinstance(value, Cents):
        return amount(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return quantity(value) if value.is_finite() else None
    if isinstance(value, dict):
        return {key: _detail(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_detail(item) for item in value]
    return value


def _assignment(plan: Plan, assignment: Assignment, timed: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "step": assignment.step,
        "capability": assignment.capability,
        "module": assignment.module,
        "partner": assignment.partner,
        "quantity": quantity(assignment.quantity),
        "start": assignment.start,
        "finish": assignment.finish,
    }
    if plan.request.start is not None:
        start = calendar(plan)
        data["start_date"] = day(start, assignment.start) if start is not None else None
        data["finish_date"] = day(start, assignment.finish) if start is not None else None
    data["cost"] = amount(assignment.cost)
    if timed:  # the network declares resources (SPEC §6)
        data["wait"] = assignment.wait
        if assignment.uses:
            data["uses"] = {resource: quantity(value) for resource, value in assignment.uses}
    data["handoffs"] = [{"from": h.source, "interface": h.interface} for h in assignment.handoffs]
    if assignment.changed is not None:
        data["changed"] = assignment.changed
        data["previous"] = assignment.previous
    if plan.backups:
        backup = assignment.backup
        data["backup"] = (
            None
            if backup is None
            else {
                "module": backup.module,
                "partner": backup.partner,
                "cost_delta": amount(backup.cost_delta),
                "finish_delta": backup.finish_delta,
            }
        )
        if backup is None:
            data["backup_reason"] = assignment.backup_reason
    return data


def _json(value: Any, indent: str = "") -> str:
    """JSON text laid out as json.dumps(indent=2) lays it out, with exact numbers written as they are."""
    if isinstance(value, Exact):
        return value.text
    if isinstance(value, Written):
        return str(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{inner}{json.dumps(key, ensure_ascii=False)}: {_json(item, inner)}" for key, item in value.items())
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{inner}{_json(item, inner)}" for item in value) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False)


def json_text(value: Any) -> str:
    """A document as JSON text, laid out as the plan's, with Exact numbers written as they are.

    What a terminal would act on (C1 controls, bidi controls, line separators) is written as \\uXXXX:
    the same data once read, safe to print.
    """
    return safe_json(_json(value)) + "\n"


def render_json(network: Network, run: Run, explain: bool = False) -> str:
    return json_text(plan_data(network, run, explain, written=True))


# What a YAML 1.2 core-schema reader (yq, go-yaml v3, js-yaml) takes for a number, a bool or null.
# PyYAML writes by YAML 1.1 and would leave "1e3" or "0o17" unquoted, so they are quoted here.
_CORE_SCALAR = re.compile(
    r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|null|Null|NULL|~|true|True|TRUE|false|False|FALSE"
)


def _represent_str(dumper: Any, value: str) -> Any:
    if _CORE_SCALAR.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    if any(ch in value for ch in "\x85\u2028\u2029"):
        # Line breaks to a YAML 1.1 reader: written raw they would be read back as spaces.
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


def render_yaml(network: Network, run: Run, explain: bool = False) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(Exact, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", value.text))
    Dumper.add_representer(str, _represent_str)
    return yaml.dump(
        plan_data(network, run, explain), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=2**31 - 1
    )
