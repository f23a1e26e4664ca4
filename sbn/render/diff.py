"""Two plans' difference for a person: what moved, per request and step."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console

from sbn.render.table import Hanging, Text

CHANGE_STYLE = {"changed": "yellow", "added": "green", "removed": "red"}


def render_diff(console: Console, data: dict[str, Any]) -> None:
    old, new = data["old"], data["new"]
    requests = data["requests"]
    same = [entry["request"] for entry in requests if entry["change"] == "same"]
    if data["equal"]:
        console.print(Text(f"No differences: {old} and {new} plan {_count(len(same))} alike", style="bold"))
        return
    console.print(Text(f"Differences from {old} to {new}", style="bold"))
    for entry in requests:
        change = entry["change"]
        if change == "same":
            continue
        title = Text(f"Request {entry['request']}: ", style="bold")
        if change == "changed":
            title.append("changed", style=CHANGE_STYLE[change])
            console.print(title)
            _changed(console, entry)
        else:
            side = "new" if change == "added" else "old"
            title.append(f"only in {data[side]}", style=CHANGE_STYLE[change])
            console.print(title)
            status, cost, finish = (entry[key][side] for key in ("status", "cost", "finish"))
            console.print(Hanging("  ", Text(f"{status}, cost {_money(cost)}, finish {_plain(finish)}")))
    if same:
        console.print(Hanging("Unchanged: ", Text(", ".join(same)), indent=2))


def _changed(console: Console, entry: dict[str, Any]) -> None:
    status = entry["status"]
    if status["old"] != status["new"]:
        console.print(Hanging("  ", Text(f"status {status['old']} -> {status['new']}")))
    cost, finish = entry["cost"], entry["finish"]
    totals = []
    if cost["old"] != cost["new"]:
        totals.append(f"cost {_money(cost['old'])} -> {_money(cost['new'])}{_signed(cost['delta'], money=True)}")
    if finish["old"] != finish["new"]:
        totals.append(f"finish {_plain(finish['old'])} -> {_plain(finish['new'])}{_signed(finish['delta'])}")
    if totals:
        console.print(Hanging("  ", Text("; ".join(totals))))
    steps = entry["steps"]
    if steps and status["new"] in ("infeasible", "unknown") and all(s["change"] == "removed" for s in steps):
        # The request lost its plan: one line, not one "removed" per step (the JSON keeps them all).
        names = ", ".join(s["step"] for s in steps)
        were = "was" if len(steps) == 1 else "were"
        console.print(Hanging("  ", Text(f"no step is planned now; before, {len(steps)} {were}: {names}"), indent=4))
        return
    for step in steps:
        lead = f"  {step['step']}: "
        if step["change"] == "changed":
            parts = []
            for name in step["fields"]:
                before, after = step["old"][name], step["new"][name]
                if name == "cost":
                    # A hand-written plan may give a cost as a whole number, with no Exact text.
                    delta = _decimal(after) - _decimal(before)
                    parts.append(f"cost {_money(before)} -> {_money(after)}{_signed(delta, money=True)}")
                else:
                    parts.append(f"{name} {before} -> {after}")
            console.print(Hanging(lead, Text("; ".join(parts)), indent=4))
        else:
            side = step["new"] if step["change"] == "added" else step["old"]
            where = "new" if step["change"] == "added" else "old"
            text = f"{step['change']} ({where} has {side['module']} of {side['partner']}, "
            text += f"start {side['start']}, cost {_money(side['cost'])})"
            console.print(Hanging(lead, Text(text), indent=4))


def _decimal(value: Any) -> Decimal:
    return Decimal(getattr(value, "text", str(value)))


def _money(value: Any) -> str:
    if value is None:
        return "none"
    return f"{_decimal(value):,.2f}"


def _plain(value: Any) -> str:
    return "none" if value is None else str(value)


def _signed(delta: Any, money: bool = False) -> str:
    if delta is None:
        return ""
    amount = Decimal(getattr(delta, "text", str(delta)))
    text = f"{amount:+,.2f}" if money else f"{amount:+}"
    return f" ({text})"


def _count(number: int) -> str:
    return f"{number} request{'' if number == 1 else 's'}"
