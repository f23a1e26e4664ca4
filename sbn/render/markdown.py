"""Plans as Markdown for a pull request: a table per request and a Mermaid gantt chart."""

from __future__ import annotations

import re

from sbn.loader import Network
from sbn.numbers import money
from sbn.render.common import backup_delta, calendar, clean, day, joint_summary, resource_lines, totals
from sbn.result import Assignment, Plan, Run
from sbn.text import one_line


def _cell(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def _label(text: str) -> str:
    """Mermaid task names may not hold ':' or '#'."""
    return re.sub(r"[:#;]", " ", text)


def render_markdown(network: Network, run: Run, explain: bool = False) -> str:
    info = network.info
    # User text on a line of its own stays on it: a newline in a name must not start a forged heading.
    lines = [f"## sbn plan: {one_line(info.name or '(unnamed network)')}", ""]
    if info.ambition:
        # Every line quoted, blank ones too, so a multi-paragraph ambition stays one quote.
        lines += [f"> {line}".rstrip() for line in info.ambition.strip().splitlines()] + [""]
    if run.joint:
        lines += [f"**{one_line(joint_summary(network, run))}**", ""]
    for plan in run.plans:
        lines += _plan(network, plan, explain)
    if run.resources:
        lines += ["### Resources (the run and committed work)", ""]
        lines += [f"- {line}" for line in resource_lines(run)] + [""]
    return clean("\n".join(lines).rstrip("\n") + "\n")


def _plan(network: Network, plan: Plan, explain: bool) -> list[str]:
    request = plan.request
    currency = one_line(network.info.currency)
    unit = one_line(network.info.time_unit)
    customer = f" ({one_line(request.customer)})" if request.customer else ""
    title = f"### {request.id}{customer}: {plan.status.value}"
    lines = [title, ""]
    if plan.assignments:
        header = ["Step", "Capability", "Module", "Partner", "Start", "Finish", f"Cost ({currency})", "Handoff"]
        timed = bool(network.resources)  # steps may wait for resources held at once (SPEC §6)
        if timed:
            header.insert(6, "Wait")
        if plan.changes is not None:
            header.append("Change")
        if plan.backups:
            header.append("Backup")
        lines.append("| " + " | ".join(_cell(cell) for cell in header) + " |")
        lines.append(
            "|" + "|".join("---:" if h.startswith(("Start", "Finish", "Wait", "Cost")) else "---" for h in header) + "|"
        )
        dated = calendar(plan)
        for a in plan.assignments:
            start, finish = str(a.start), str(a.finish)
            if dated is not None:
                start, finish = day(dated, a.start), day(dated, a.finish)
            handoff = ", ".join(f"{h.source}: {h.interface or 'anything'}" for h in a.handoffs) or "-"
            row = [a.step, a.capability, a.module, a.partner, start, finish, money(a.cost), handoff]
            if timed:
                row.insert(6, str(a.wait))
            if plan.changes is not None:
                row.append(f"moved from {a.previous}" if a.changed and a.previous else ("new" if a.changed else "kept"))
            if plan.backups:
                b = a.backup
                row.append(
                    f"**none: single point of failure** ({a.backup_reason})"
                    if b is None
                    else f"{b.module} ({b.partner}) {backup_delta(b, currency, unit)}"
                )
            lines.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
        lines.append("")
        cost, rest = totals(network, plan)
        total = one_line(f"**Total**: {cost}{rest}")  # the currency and time unit are the input's text
        lines += [total, ""]
        if plan.backups and plan.single_points_of_failure:
            lines += [f"> **Warning**: single points of failure: {', '.join(plan.single_points_of_failure)}", ""]
        lines += _gantt(plan)
    for reason in plan.reasons:
        lines.append(f"- {one_line(reason.text)}")
    if plan.reasons:
        lines.append("")
    if explain:
        for entry in plan.steps:
            lines.append(f"- {one_line(entry.summary())}")
            for r in entry.rejected:
                lines.append(f"  - {r.module} ({r.partner}): {one_line(r.detail)}")
        lines.append("")
    return lines


def _gantt(plan: Plan) -> list[str]:
    request = plan.request
    lines = ["```mermaid", "gantt", f"    title {_label(request.id)}"]
    dated = calendar(plan)
    if dated is not None:
        lines += ["    dateFormat YYYY-MM-DD", "    axisFormat %d %b"]
    else:
        lines += ["    dateFormat X", "    axisFormat %s"]
    by_partner: dict[str, list[tuple[int, Assignment]]] = {}
    for index, a in enumerate(plan.assignments):
        by_partner.setdefault(a.partner, []).append((index, a))
    for partner, tasks in by_partner.items():
        lines.append(f"    section {_label(partner)}")
        for index, a in tasks:
            name = _label(f"{a.step} ({a.module})")
            if a.wait:
                # The wait for a resource held at once, as its own bar before the step.
                waiting = _label(f"{a.step} waits")
                if dated is not None:
                    lines.append(f"    {waiting} :done, w{index}, {day(dated, a.start - a.wait)}, {a.wait}d")
                else:
                    lines.append(f"    {waiting} :done, w{index}, {a.start - a.wait}, {a.start}")
            if dated is not None:
                lines.append(f"    {name} :t{index}, {day(dated, a.start)}, {a.finish - a.start}d")
            else:
                lines.append(f"    {name} :t{index}, {a.start}, {a.finish}")
    lines += ["```", ""]
    return lines
