"""Plans for a person at a terminal: rich tables, totals against limits, reasons in plain words."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.style import Style
from rich.table import Table
from rich.text import Text as _RichText

from sbn.loader import Network
from sbn.numbers import money
from sbn.render.common import backup_delta, calendar, clean, day, joint_summary, totals
from sbn.result import Assignment, Plan, Run


class Text(_RichText):
    """rich's Text, with every string it is given cleaned of control characters."""

    def __init__(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(clean(text), *args, **kwargs)

    def append(self, text: str | _RichText, style: str | Style | None = None) -> Text:
        super().append(clean(text) if isinstance(text, str) else text, style)
        return self


STATUS_STYLE = {"optimal": "bold green", "feasible": "bold yellow", "infeasible": "bold red", "unknown": "bold red"}


def render_table(console: Console, network: Network, run: Run, explain: bool = False) -> None:
    info = network.info
    heading = Text(f"Network {info.name or '(unnamed)'}", style="bold")
    console.print(heading)
    if info.ambition:
        console.print(Text(info.ambition.strip(), style="italic"))
    if run.joint:
        console.print()
        console.print(Text(joint_summary(network, run), style="bold"))
    for plan in run.plans:
        console.print()
        console.print(_plan(console, network, plan, explain))


def _plan(console: Console, network: Network, plan: Plan, explain: bool) -> Group:
    request = plan.request
    currency = network.info.currency
    unit = network.info.time_unit
    parts: list = []  # type: ignore[type-arg]
    title = Text(f"Request {request.id}", style="bold")
    if request.customer:
        title.append(f" for {request.customer}")
    title.append(": ")
    title.append(plan.status.value, style=STATUS_STYLE[plan.status.value])
    parts.append(title)
    if plan.assignments:
        table = Table(show_edge=False, pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
        table.add_column("Step / capability", overflow="fold", min_width=12)
        table.add_column("Module / partner", overflow="fold", min_width=16)
        table.add_column(Text(unit.capitalize() + "s"), justify="right", no_wrap=True)
        table.add_column(Text(currency), justify="right", no_wrap=True)
        table.add_column("Handoff", overflow="fold")
        dated = calendar(plan)
        for a in plan.assignments:
            step = Text(a.step)
            step.append(f"\n{a.capability}", style="dim")
            module = Text(a.module)
            module.append(f"\n{a.partner}", style="dim")
            if plan.changes is not None:
                # What re-planning did, under the module: kept, new, or moved from another module.
                module.append("\n")
                module.append(*_change(a))
            when = Text(f"{a.start}-{a.finish}")
            if dated is not None:
                # Dates beside the offsets, month-day; the year is in the totals line.
                when.append(f"\n{_span(dated, a)}", style="dim")
            row: list = [step, module, when]  # type: ignore[type-arg]
            handoff = "\n".join(f"{h.interface or 'anything'} <- {h.source}" for h in a.handoffs) or "-"
            # User text goes in as Text, never as markup: "[red]" in an interface is printed, not applied.
            row += [Text(money(a.cost)), Text(handoff)]
            table.add_row(*row)
        if fits(console, table):
            parts.append(table)
        else:
            # Too narrow for the table even with every cell wrapped: rich would crop its lines.
            parts.append(_stacked(plan, currency, unit, dated))
        parts.append(_totals(network, plan))
        if plan.backups:
            # Below the table, one line per step: a column of its own would not fit 80 columns.
            parts.append(Text("Backups (if the step's module drops out):", style="bold"))
            for a in plan.assignments:
                line = Text(f"  {a.step}: ")
                b = a.backup
                if b is None:
                    line.append("NONE", style="bold red")
                else:
                    line.append(f"{b.module} ({b.partner}), {backup_delta(b, currency, unit)}")
                parts.append(line)
        if plan.backups and plan.single_points_of_failure:
            warning = Text("WARNING: single points of failure: ", style="bold red")
            warning.append(", ".join(plan.single_points_of_failure))
            warning.append(" (no module of another partner can take over)")
            parts.append(warning)
    for reason in plan.reasons:
        style = "red" if not plan.planned else "yellow"
        parts.append(Text(f"  - {reason.text}", style=style))
    if explain:
        parts.append(Text("Candidates:", style="bold"))
        for entry in plan.steps:
            parts.append(Text(f"  {entry.summary()}"))
            for r in entry.rejected:
                parts.append(Text(f"    {r.module} ({r.partner}): {r.detail}", style="dim"))
    return Group(*parts)


def fits(console: Console, table: Table) -> bool:
    """Whether rich lays the table out at the console's width without cropping a character.

    Where the columns cannot shrink far enough, rich cuts lines at the edge. The table is drawn
    once off screen and every printed character of its headers and cells is counted there.
    """
    probe = Console(file=io.StringIO(), width=console.width, no_color=True, highlight=False, force_terminal=False)
    probe.print(table)
    written = probe.file.getvalue()  # type: ignore[attr-defined]
    texts = [str(column.header) for column in table.columns]
    texts += [
        cell.plain if isinstance(cell, _RichText) else str(cell) for column in table.columns for cell in column.cells
    ]
    return _printed(written) == _printed("".join(texts))


def _printed(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace() and ch != "─")


def _stacked(plan: Plan, currency: str, unit: str, dated: date | None) -> Group:
    """The table's content as lines that wrap at any width, one block per step."""
    lines: list[Text] = []
    for a in plan.assignments:
        head = Text(a.step, style="bold")
        head.append(f" ({a.capability})", style="dim")
        lines.append(head)
        module = Text(f"  {a.module}")
        module.append(f" ({a.partner})", style="dim")
        if plan.changes is not None:
            module.append(", ")
            module.append(*_change(a))
        lines.append(module)
        when = f"  {unit}s {a.start}-{a.finish}"
        if dated is not None:
            when += f" ({_span(dated, a)})"
        lines.append(Text(f"{when}, {money(a.cost, currency)}"))
        for h in a.handoffs:
            lines.append(Text(f"  handoff: {h.interface or 'anything'} <- {h.source}"))
    return Group(*lines)


def _change(a: Assignment) -> tuple[str, str]:
    """What re-planning did to a step, and its style: kept, new, or moved from another module."""
    if not a.changed:
        return "kept", "green"
    return (f"moved, was {a.previous}" if a.previous else "new"), "yellow"


def _span(dated: date, a: Assignment) -> str:
    """Start and finish dates as month-day; the year is in the totals line."""
    return f"{day(dated, a.start)[5:]}..{day(dated, a.finish)[5:]}"


def _totals(network: Network, plan: Plan) -> Text:
    cost, rest = totals(network, plan)
    text = Text("Total ")
    text.append(cost, style="bold")
    text.append(rest)
    return text
