"""Plans for a person at a terminal: rich tables, totals against limits, reasons in plain words."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.table import Table
from rich.text import Text as _RichText

from sbn.loader import Network
from sbn.numbers import money
from sbn.render.common import backup_delta, calendar, clean, day, joint_summary, resource_lines, totals
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
    if run.resources:
        console.print()
        console.print(Text("Resources (the run and committed work):", style="bold"))
        for line in resource_lines(run):
            console.print(Hanging("  ", Text(line)))


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
        dated = calendar(plan)
        # The widest layout that fits: handoffs in a column of their own, then under each step, then
        # one block of lines per step, which wraps at any width.
        for handoff_column in (True, False):
            table = _assignments(plan, unit, currency, dated, handoff_column)
            if fits(console, table):
                parts.append(table)
                break
        else:
            parts.append(_stacked(plan, currency, unit, dated))
        parts.append(_totals(network, plan))
        if plan.backups:
            # Below the table, one line per step: a column of its own would not fit 80 columns.
            parts.append(Text("Backups (if the step's module drops out):", style="bold"))
            for a in plan.assignments:
                line = Text()
                b = a.backup
                if b is None:
                    line.append("NONE", style="bold red")
                    if a.backup_reason:
                        line.append(f" ({a.backup_reason})")
                else:
                    line.append(f"{b.module} ({b.partner}), {backup_delta(b, currency, unit)}")
                parts.append(Hanging(f"  {a.step}: ", line, indent=4))
        if plan.backups and plan.single_points_of_failure:
            warning = Text("WARNING: single points of failure: ", style="bold red")
            warning.append(", ".join(plan.single_points_of_failure))
            warning.append(" (no module of another partner can take over)")
            parts.append(warning)
    for reason in plan.reasons:
        style = "red" if not plan.planned else "yellow"
        parts.append(Hanging("  - ", Text(reason.text, style=style)))
    if explain:
        parts.append(Text("Candidates:", style="bold"))
        for entry in plan.steps:
            parts.append(Hanging("  ", Text(entry.summary()), indent=4))
            for r in entry.rejected:
                parts.append(Hanging("    ", Text(f"{r.module} ({r.partner}): {r.detail}", style="dim"), indent=6))
    return Group(*parts)


def _assignments(plan: Plan, unit: str, currency: str, dated: date | None, handoff_column: bool) -> Table:
    """The plan's assignments as a table; without a handoff column, each step's handoffs go under it.

    Every line of a cell is an id, a number or a handoff, printed whole: no column wraps.
    """
    table = Table(show_edge=False, pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("Step / capability", no_wrap=True)
    table.add_column("Module / partner", no_wrap=True)
    table.add_column(Text(unit.capitalize() + "s"), justify="right", no_wrap=True)
    table.add_column(Text(currency), justify="right", no_wrap=True)
    if handoff_column:
        table.add_column("Handoff", no_wrap=True)
    for a in plan.assignments:
        step = Text(a.step)
        step.append(f"\n{a.capability}", style="dim")
        handoffs = [f"{h.interface or 'anything'} <- {h.source}" for h in a.handoffs]
        if not handoff_column:
            for handoff in handoffs:
                step.append(f"\n  {handoff}")
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
        if a.wait:
            # Waiting for a resource held at once (SPEC §6): how long after its predecessors it starts.
            when.append(f"\nwaits {a.wait}", style="yellow")
        # User text goes in as Text, never as markup: "[red]" in an interface is printed, not applied.
        row = [step, module, when, Text(money(a.cost))]
        if handoff_column:
            row.append(Text("\n".join(handoffs) or "-"))
        table.add_row(*row)
    return table


def fits(console: Console, table: Table) -> bool:
    """Whether the table can be laid out at the console's width with no word split and nothing cropped.

    rich, short of room, narrows the widest column first and folds the words in it
    (`heat-pump-installa`/`tion`) even where another share of the width would keep every word
    whole, and crops lines where columns cannot shrink. Here each column is given at least its
    longest word (an id, a number) and the rest of the room in proportion to what its longest
    line needs beyond that; when even the longest words do not fit side by side, the caller
    chooses another layout. Sets the columns' widths as a side effect.
    """
    options = console.options.update_width(10**6)
    lows: list[int] = []
    highs: list[int] = []
    for column in table.columns:
        measures = [Measurement.get(console, options, cell) for cell in (column.header, *column.cells)]
        floor = column.min_width or 0
        high = max(floor, *(m.maximum for m in measures))
        lows.append(high if column.no_wrap else max(floor, *(m.minimum for m in measures)))
        highs.append(high)
    left, right = table.padding[3], table.padding[1]
    padding = (left + right) * len(table.columns) - (0 if table.pad_edge else left + right)
    borders = (len(table.columns) - 1 if table.box else 0) + (2 if table.box and table.show_edge else 0)
    room = console.width - padding - borders
    if sum(highs) > room:
        if sum(lows) > room:
            return False
        widths = _share(room, lows, highs)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
    return _uncropped(console, table)


def _share(room: int, lows: list[int], highs: list[int]) -> list[int]:
    """Widths from ``lows`` up: the room left goes to the columns that need least to print unwrapped first."""
    widths = list(lows)
    spare = room - sum(lows)
    for index in sorted(range(len(widths)), key=lambda i: (highs[i] - lows[i], i)):
        extra = min(spare, highs[index] - lows[index])
        widths[index] += extra
        spare -= extra
    return widths


def _uncropped(console: Console, table: Table) -> bool:
    """Whether rich prints every character of the table at the console's width (it crops where it must)."""
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


class Hanging:
    """A line of text whose continuation lines, when it wraps, stay indented under its text.

    rich wraps a long line back to column 0, which breaks up a list of reasons or candidates.
    """

    def __init__(self, lead: str, text: _RichText, indent: int | None = None) -> None:
        self.lead = lead
        self.text = text
        self.indent = cell_len(lead) if indent is None else indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        text = self.text
        words = text.plain.split()
        if words and cell_len(words[0]) > width - cell_len(self.lead) and cell_len(self.lead) > self.indent:
            # The first word would be cut beside the lead: the text starts on the next line instead.
            yield Text(self.lead.rstrip())
            yield from self._lines(console, text, width)
            return
        lines = text.wrap(console, max(width - cell_len(self.lead), 1), overflow="fold")
        first = lines[0] if lines else Text()
        first.rstrip()
        out = Text(self.lead)
        out.append_text(first)
        yield out
        # The rest wraps again at the continuation's width: its lines are longer than the first's.
        rest = text[len(first.plain) :]
        rest = rest[len(rest.plain) - len(rest.plain.lstrip()) :]
        if rest.plain:
            yield from self._lines(console, rest, width)

    def _lines(self, console: Console, text: _RichText, width: int) -> RenderResult:
        for line in text.wrap(console, max(width - self.indent, 1), overflow="fold"):
            line.rstrip()
            out = Text(" " * self.indent)
            out.append_text(line)
            yield out


def _stacked(plan: Plan, currency: str, unit: str, dated: date | None) -> Group:
    """The table's content as lines that wrap at any width, one block per step."""
    lines: list[Text | Hanging] = []
    for a in plan.assignments:
        head = Text(a.step, style="bold")
        head.append(f" ({a.capability})", style="dim")
        lines.append(head)
        module = Text(a.module)
        module.append(f" ({a.partner})", style="dim")
        if plan.changes is not None:
            module.append(", ")
            module.append(*_change(a))
        lines.append(Hanging("  ", module))
        when = f"{unit}s {a.start}-{a.finish}"
        if dated is not None:
            when += f" ({_span(dated, a)})"
        if a.wait:
            when += f", after waiting {a.wait}"
        lines.append(Hanging("  ", Text(f"{when}, {money(a.cost, currency)}")))
        for h in a.handoffs:
            lines.append(Hanging("  ", Text(f"handoff: {h.interface or 'anything'} <- {h.source}")))
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
