"""Plans as one self-contained HTML page to share: tables, a Gantt chart and a plug graph in inline SVG.

The page loads nothing when opened: no script, no font, no image, no style sheet from anywhere;
its Content-Security-Policy allows only its own style block (by hash), so a browser refuses any
request the page might otherwise make. Every text from the input is escaped. The same document
gives the same bytes: no clock, no randomness, numbers formatted by hand.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sbn.render.common import clean, finish_change
from sbn.render.document import (
    decimal,
    money,
    offset_date,
    plain_number,
    plan_start,
    planned,
    plural,
    reason_entries,
    signed_money,
    uses_text,
)
from sbn.text import fit_count

# Distinct on white and for the common colour-vision deficiencies (Tableau 10); partners of one
# plan get them in the plan's partner order, so no two partners of a plan up to ten share one.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATUS_TEXT = {
    "optimal": "optimal",
    "feasible": "feasible, not proven optimal",
    "infeasible": "infeasible",
    "unknown": "unknown",
}

STYLE = """
:root{color-scheme:light;--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--soft:#f4f6f9;--accent:#2f5d8a;
--ok:#1f7a3f;--warn:#9a6700;--bad:#b42318}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#fff;color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Noto Sans","DejaVu Sans",Arial,sans-serif}
.page{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
header.report{border-bottom:1px solid var(--line);padding-bottom:16px;margin-bottom:8px}
.kicker{margin:0;color:var(--muted);font-size:13px;letter-spacing:.04em;text-transform:uppercase}
h1{margin:4px 0 8px;font-size:28px;line-height:1.2;overflow-wrap:anywhere}
h2{margin:0;font-size:21px;line-height:1.3;overflow-wrap:anywhere}
h3{margin:22px 0 8px;font-size:16px}
.ambition{margin:10px 0 0;padding:8px 14px;border-left:4px solid var(--accent);background:var(--soft);
color:#2b3445;font-style:italic}
.ambition p{margin:4px 0}
.joint{margin:12px 0 0;color:var(--muted)}
.joint ul{margin:4px 0 0;padding-left:20px}
section{margin-top:28px}
section.plan{border:1px solid var(--line);border-radius:10px;padding:18px 20px 20px;margin-top:28px}
.plan-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 12px}
.customer{margin:2px 0 0;color:var(--muted)}
.status{display:inline-block;padding:1px 10px;border-radius:999px;font-size:13px;font-weight:600;
white-space:nowrap;border:1px solid currentColor}
.status.optimal{color:var(--ok);background:#e8f5ec}
.status.feasible{color:var(--warn);background:#fdf4dc}
.status.infeasible,.status.unknown{color:var(--bad);background:#fdecea}
.scroll{overflow-x:auto;max-width:100%;background:linear-gradient(to right,#fff 30%,rgba(255,255,255,0)),
linear-gradient(to left,#fff 30%,rgba(255,255,255,0)) 100% 0,
radial-gradient(farthest-side at 0 50%,rgba(29,35,48,.22),rgba(29,35,48,0)),
radial-gradient(farthest-side at 100% 50%,rgba(29,35,48,.22),rgba(29,35,48,0)) 100% 0;
background-repeat:no-repeat;background-size:40px 100%,40px 100%,14px 100%,14px 100%;
background-attachment:local,local,scroll,scroll}
table{border-collapse:collapse;font-size:14px}
table.data{width:100%}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.id{overflow-wrap:break-word}
.sub{display:block;color:var(--muted);font-size:13px}
.none{color:var(--muted)}
.nowrap{white-space:nowrap}
.spof{color:var(--bad);font-weight:600}
.moved{color:var(--warn);font-weight:600}
.new{color:var(--accent);font-weight:600}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:14px 0 0}
.totals div{background:var(--soft);border-radius:8px;padding:10px 14px}
.totals dt{color:var(--muted);font-size:13px}
.totals dd{margin:2px 0 0;font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
.totals dd .sub{font-weight:400}
.totals svg{display:block;margin-top:6px}
figure{margin:0}
figure svg{display:block}
figcaption{color:var(--muted);font-size:13px;margin-top:6px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;margin:8px 0 0;padding:0;font-size:13px}
.legend li{display:flex;align-items:center;gap:6px}
.reasons{margin:6px 0 0;padding-left:22px}
.reasons li{margin:4px 0}
.rule{display:inline-block;margin-right:6px;padding:0 6px;border-radius:4px;background:var(--soft);
color:var(--muted);font-size:12px;font-family:ui-monospace,"DejaVu Sans Mono",monospace}
.numbers{color:var(--muted);font-size:13px}
.warning{margin:12px 0 0;padding:8px 12px;border-radius:8px;background:#fdecea;color:var(--bad)}
details{margin-top:16px}
summary{cursor:pointer;font-weight:600}
details ul{margin:6px 0;padding-left:22px;font-size:14px}
footer{margin-top:36px;color:var(--muted);font-size:13px}
a{color:var(--accent)}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif}
svg .axis{fill:#5b6475;font-size:11px}
svg .label{fill:#1d2330;font-size:12px}
svg .step{font-weight:600}
svg .muted{fill:#5b6475}
svg .small{font-size:11px}
svg .any{font-style:italic}
svg .late{fill:#b42318}
svg .halo{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
@media (max-width:640px){.page{padding:16px 12px 32px}h1{font-size:23px}section.plan{padding:14px 12px}
table.data,table.data tbody,table.data tr,table.data td{display:block;width:100%}
table.data thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.data tr{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:6px 0}
table.data td{display:flex;gap:12px;border:0;padding:3px 10px;text-align:left;white-space:normal}
table.data td::before{content:attr(data-label);flex:0 0 38%;color:var(--muted);font-size:13px;font-weight:600;
overflow-wrap:break-word}
table.data td>div{flex:1 1 auto;min-width:0}
table.data td:first-child{font-weight:600}table.data td:first-child::before{display:none}
table.data td:first-child .sub{font-weight:400}.nowrap{white-space:normal}}
@media print{.scroll{overflow:visible}section.plan{break-inside:avoid-page}a{color:inherit}}
""".strip()


def _e(value: Any) -> str:
    """Text from the input, safe in HTML and SVG text and attributes."""
    return html.escape(clean(str(value)), quote=True)


def _n(value: float) -> str:
    """A coordinate, to a tenth of a pixel, the same on every machine."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _width(text: str, size: float = 12, bold: bool = False) -> float:
    """Rough rendered width of text: no font is measured, so this errs wide."""
    return len(text) * size * (0.62 if bold else 0.56)


def _fit(text: str, room: float, size: float = 12, bold: bool = False) -> str:
    """Text cut with an ellipsis to fit ``room`` pixels (the full text goes in a tooltip)."""
    if _width(text, size, bold) <= room:
        return text
    keep = max(1, int(room / (size * (0.62 if bold else 0.56))) - 1)
    return text[:keep] + "…"


def render_html(document: Mapping[str, Any]) -> str:
    network = document.get("network")
    title = f"Plan: {network}" if network else "Plan"
    digest = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
    policy = f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    plans = list(document.get("plans") or [])
    anchors = _anchors(plans)
    body = [
        '<div class="page">',
        _header(document),
        "<main>",
        _overview(document, plans, anchors),
        _resources(document),
        *(_plan(document, plan, anchor) for plan, anchor in zip(plans, anchors, strict=True)),
        "</main>",
        "<footer><p>Made by sbn from an <code>sbn.plan/v1</code> document. This page is self-contained: "
        "it loads nothing from anywhere when opened.</p></footer>",
        "</div>",
    ]
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="sbn">',
        f"<title>{_e(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join([*head, *(part for part in body if part), "</body>", "</html>"]) + "\n"


def _anchors(plans: Sequence[Mapping[str, Any]]) -> list[str]:
    """A fragment id per plan: the request id where it is one (so a link can name it), else a number."""
    anchors: list[str] = []
    for number, plan in enumerate(plans, 1):
        request = str(plan.get("request", ""))
        candidate = f"plan-{request}"
        ok = request and all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in request)
        anchors.append(candidate if ok and candidate not in anchors else f"plan-{number}")
    return anchors


def _header(document: Mapping[str, Any]) -> str:
    network = document.get("network")
    parts = ['<header class="report">', '<p class="kicker">sbn plan</p>']
    parts.append(f"<h1>{_e(network) if network else 'Unnamed network'}</h1>")
    ambition = document.get("ambition")
    if ambition:
        paragraphs = [" ".join(block.split()) for block in str(ambition).strip().split("\n\n") if block.strip()]
        parts.append('<blockquote class="ambition">' + "".join(f"<p>{_e(p)}</p>" for p in paragraphs) + "</blockquote>")
    if document.get("mode") == "joint":
        parts.append('<div class="joint"><p>Planned jointly: every request of the run in one model.</p>')
        objective = document.get("objective") or []
        if objective:
            items = "".join(f"<li>{_objective(document, entry)}</li>" for entry in objective)
            parts.append(f"<p>Objective, in order:</p><ul>{items}</ul>")
        parts.append("</div>")
    parts.append("</header>")
    return "\n".join(parts)


def _objective(document: Mapping[str, Any], entry: Mapping[str, Any]) -> str:
    criterion = str(entry.get("criterion"))
    value = entry.get("value")
    if criterion == "planned":
        return f"requests planned in priority {_e(entry.get('priority'))}: {_e(value)}"
    if criterion == "cost" and value is not None:
        return f"cost: {_e(money(value, document.get('currency')))}"
    if criterion == "time" and value is not None:
        unit = str(document.get("time_unit") or "day")
        return f"time: {_e(plain_number(value))} {_e(plural(decimal(value), unit))} (sum of finishes)"
    return f"{_e(criterion)}: {_e(plain_number(value)) if value is not None else 'none'}"


def _overview(document: Mapping[str, Any], plans: Sequence[Mapping[str, Any]], anchors: Sequence[str]) -> str:
    currency = document.get("currency")
    unit = str(document.get("time_unit") or "day")
    dash, none = '<span class="none">-</span>', '<span class="none">none</span>'
    rows = []
    for plan, anchor in zip(plans, anchors, strict=True):
        customer = plan.get("customer")
        request = f'<a href="#{_e(anchor)}">{_e(plan.get("request"))}</a>'
        rows.append(
            [
                request + (f'<span class="sub">{_e(customer)}</span>' if customer else ""),
                _status(plan),
                _e(money(plan["cost"])) if plan.get("cost") is not None else dash,
                _e(money(plan["budget"])) if plan.get("budget") is not None else none,
                _e(plan["finish"]) if plan.get("finish") is not None else dash,
                _e(plan["deadline"]) if plan.get("deadline") is not None else none,
                str(len(plan.get("partners") or [])),
            ]
        )
    units = plural(2, unit).capitalize()
    columns = [
        ("Request", "id"),
        ("Status", ""),
        (f"Cost ({currency})", "num"),
        ("Budget", "num"),
        (f"Finish ({units})", "num"),
        ("Deadline", "num"),
        ("Partners", "num"),
    ]
    return f'<section class="overview"><h2>Requests</h2>{_table("overview", columns, rows)}</section>'


def _table(kind: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]]) -> str:
    """A table of (heading, class) columns; each cell names its column too, for the narrow layout."""
    head = "".join(f"<th{_class(css)}>{_e(title)}</th>" for title, css in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td{_class(css)} data-label="{_e(title)}"><div>{cell}</div></td>'
            for (title, css), cell in zip(columns, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table class="data {kind}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _class(css: str) -> str:
    return f' class="{css}"' if css else ""


def _status(plan: Mapping[str, Any]) -> str:
    status = str(plan.get("status"))
    known = status if status in STATUS_TEXT else "unknown"
    return f'<span class="status {known}">{_e(STATUS_TEXT.get(status, status))}</span>'


def _resources(document: Mapping[str, Any]) -> str:
    resources = document.get("resources") or []
    if not resources:
        return ""
    rows = []
    for resource in resources:
        at_once = resource.get("at_once")
        if at_once is not None:
            kind, limit, value, label = "at once", at_once, resource.get("peak"), "peak"
        else:
            kind, limit, value, label = "in total", resource.get("total"), resource.get("used"), "used"
        rows.append(
            [
                _e(resource.get("id")),
                kind,
                f"{_e(plain_number(value))} {label}" if value is not None else "-",
                _e(plain_number(limit)) if limit is not None else "-",
                _meter(value, limit) if value is not None and limit is not None else "",
            ]
        )
    columns = [("Resource", "id"), ("Kind", ""), ("Use", "num"), ("Capacity", "num"), ("Load", "load")]
    return f'<section class="resources"><h2>Shared resources</h2>{_table("resources", columns, rows)}</section>'


def _meter(value: Any, limit: Any) -> str:
    """A bar for value against limit; red past the limit."""
    used, most = decimal(value), decimal(limit)
    share = float(used / most) if most > 0 else (0.0 if used == 0 else 2.0)
    colour = "#b42318" if share > 1 else "#2f5d8a"
    filled = max(0.0, min(share, 1.0)) * 100
    return (
        f'<svg class="meter" width="100%" height="6" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" '
        f'aria-label="{_n(share * 100)} %"><rect width="100" height="6" rx="3" fill="#d9dee7"/>'
        f'<rect width="{_n(filled)}" height="6" rx="3" fill="{colour}"/></svg>'
    )


def _plan(document: Mapping[str, Any], plan: Mapping[str, Any], anchor: str) -> str:
    assignments = list(plan.get("assignments") or [])
    colours = {partner: PALETTE[i % len(PALETTE)] for i, partner in enumerate(_partners(plan))}
    parts = [f'<section class="plan" id="{_e(anchor)}">']
    parts.append(f'<div class="plan-head"><h2>{_e(plan.get("request"))}</h2>{_status(plan)}</div>')
    if plan.get("customer"):
        parts.append(f'<p class="customer">for {_e(plan["customer"])}</p>')
    parts.append(_totals(document, plan))
    if assignments:
        parts.append("<h3>Assignments</h3>")
        parts.append(_assignments(document, plan))
        parts.append("<h3>Schedule</h3>")
        parts.append(_gantt(document, plan, colours))
        parts.append("<h3>Plug graph</h3>")
        parts.append(_plug_graph(plan, colours))
    if any("backup" in a for a in assignments):
        parts.append(_backups(document, plan))
    reasons = reason_entries(plan)
    if reasons:
        heading = "Why there is no plan" if not planned(plan) else "Reasons"
        parts.append(f'<h3>{heading}</h3><ul class="reasons">{"".join(_reason(r) for r in reasons)}</ul>')
    if plan.get("steps"):
        parts.append(_candidates(plan["steps"]))
    parts.append("</section>")
    return "\n".join(parts)


def _partners(plan: Mapping[str, Any]) -> list[str]:
    partners = [str(p) for p in plan.get("partners") or []]
    for assignment in plan.get("assignments") or []:
        if str(assignment.get("partner")) not in partners:
            partners.append(str(assignment.get("partner")))
    return partners


def _totals(document: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    currency = document.get("currency")
    unit = str(document.get("time_unit") or "day")
    start = plan_start(plan)
    cards = []
    cost, budget = plan.get("cost"), plan.get("budget")
    if cost is not None:
        sub = f"of budget {_e(money(budget, currency))}" if budget is not None else "no budget"
        meter = _meter(cost, budget) if budget is not None else ""
        cards.append(
            f"<div><dt>Cost</dt><dd>{_e(money(cost, currency))}<span class='sub'>{sub}</span>{meter}</dd></div>"
        )
    elif budget is not None:
        cards.append(f"<div><dt>Budget</dt><dd>{_e(money(budget, currency))}</dd></div>")
    finish, deadline = plan.get("finish"), plan.get("deadline")
    if finish is not None:
        value = f"{_e(unit)} {_e(finish)}"
        if start is not None:
            when = offset_date(start, int(finish))
            value += f"<span class='sub'>{_e(when.isoformat()) if when else 'after 9999-12-31'}</span>"
        sub = _deadline_text(unit, deadline, start)
        meter = _meter(finish, deadline) if deadline is not None else ""
        cards.append(f"<div><dt>Finish</dt><dd>{value}<span class='sub'>{sub}</span>{meter}</dd></div>")
    elif deadline is not None:
        cards.append(f"<div><dt>Deadline</dt><dd>{_deadline_text(unit, deadline, start, bare=True)}</dd></div>")
    if start is not None:
        cards.append(f"<div><dt>Start</dt><dd>{_e(start.isoformat())}</dd></div>")
    partners = plan.get("partners") or []
    if planned(plan):
        names = ", ".join(f'<span class="nowrap">{_e(p)}</span>' for p in partners) or "none"
        cards.append(f"<div><dt>Partners</dt><dd>{len(partners)}<span class='sub id'>{names}</span></dd></div>")
    if plan.get("changes") is not None:
        changes = int(plan["changes"])
        cards.append(
            f"<div><dt>Changed steps</dt><dd>{changes}<span class='sub'>against the previous plan</span></dd></div>"
        )
    return f'<dl class="totals">{"".join(cards)}</dl>' if cards else ""


def _deadline_text(unit: str, deadline: Any, start: date | None, bare: bool = False) -> str:
    if deadline is None:
        return "no deadline"
    text = f"{_e(unit)} {_e(deadline)}" if bare else f"deadline {_e(unit)} {_e(deadline)}"
    if start is not None and isinstance(deadline, int):
        when = offset_date(start, deadline)
        text += f' <span class="nowrap">({_e(when.isoformat())})</span>' if when else ""
    return text


def _assignments(document: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    currency = document.get("currency")
    unit = str(document.get("time_unit") or "day")
    assignments = plan.get("assignments") or []
    dated = any(a.get("start_date") for a in assignments)
    waits = any("wait" in a for a in assignments)
    uses = any(a.get("uses") for a in assignments)
    changes = any(a.get("changed") is not None for a in assignments)
    columns = [("Step", "id"), ("Module", "id"), ("Quantity", "num"), (plural(2, unit).capitalize(), "num")]
    columns += [("Dates", "num")] if dated else []
    columns += [("Wait", "num")] if waits else []
    columns += [(f"Cost ({currency})", "num"), ("Receives", "id")]
    columns += [("Uses", "id")] if uses else []
    columns += [("Change", "")] if changes else []
    rows = []
    for a in assignments:
        row = [
            f'{_e(a.get("step"))}<span class="sub">{_e(a.get("capability"))}</span>',
            f'{_e(a.get("module"))}<span class="sub">{_e(a.get("partner"))}</span>',
            _e(plain_number(a["quantity"])) if a.get("quantity") is not None else "",
            f"{_e(a.get('start'))}–{_e(a.get('finish'))}",
        ]
        if dated:
            if a.get("start_date") and a.get("finish_date"):
                row.append(f'{_e(a["start_date"])}<span class="sub">→ {_e(a["finish_date"])}</span>')
            else:
                row.append('<span class="none">after 9999-12-31</span>')
        if waits:
            row.append(_e(a.get("wait", 0)))
        row.append(_e(money(a["cost"])) if a.get("cost") is not None else "")
        handoffs = a.get("handoffs") or []
        row.append("<br>".join(_handoff(h) for h in handoffs) or '<span class="none">-</span>')
        if uses:
            row.append(_e(uses_text(a.get("uses") or {})))
        if changes:
            row.append(_change(a))
        rows.append(row)
    return _table("assignments", columns, rows)


def _handoff(handoff: Mapping[str, Any]) -> str:
    interface = handoff.get("interface")
    shown = _e(interface) if interface is not None else '<span class="none">anything</span>'
    return f'<span class="nowrap">{shown} ← {_e(handoff.get("from"))}</span>'


def _change(assignment: Mapping[str, Any]) -> str:
    if assignment.get("changed") is None:
        return ""
    if not assignment["changed"]:
        return '<span class="none">kept</span>'
    previous = assignment.get("previous")
    if previous:
        return f'<span class="moved">moved</span><span class="sub">was {_e(previous)}</span>'
    return '<span class="new">new</span>'


def _backups(document: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    currency = document.get("currency")
    unit = str(document.get("time_unit") or "day")
    rows = []
    for a in plan.get("assignments") or []:
        if "backup" not in a:
            continue
        backup = a["backup"]
        step = f'{_e(a.get("step"))}<span class="sub">{_e(a.get("module"))}</span>'
        if backup is None:
            dash = '<span class="none">-</span>'
            why = f'<span class="sub">{_e(a["backup_reason"])}</span>' if a.get("backup_reason") else ""
            rows.append([step, f'<span class="spof">none: single point of failure</span>{why}', dash, dash])
            continue
        delta = int(backup.get("finish_delta") or 0)
        rows.append(
            [
                step,
                f'{_e(backup.get("module"))}<span class="sub">{_e(backup.get("partner"))}</span>',
                _e(signed_money(backup.get("cost_delta") or 0)),
                _e(finish_change(delta, unit)),
            ]
        )
    columns = [("Step", "id"), ("Backup", "id"), (f"Cost change ({currency})", "num"), ("Finish change", "num")]
    parts = ['<div class="backups"><h3>Backups</h3>', _table("backups", columns, rows)]
    spof = plan.get("single_points_of_failure") or [
        a.get("step") for a in plan.get("assignments") or [] if "backup" in a and a["backup"] is None
    ]
    if spof:
        parts.append(f'<p class="warning">Single points of failure: {_e(", ".join(str(s) for s in spof))}</p>')
    parts.append("</div>")
    return "".join(parts)


def _reason(entry: Mapping[str, Any]) -> str:
    rule = entry.get("rule")
    numbers = [f"{_e(key)} {_e(_detail_value(value))}" for key, value in entry.items() if key not in ("rule", "text")]
    text = f'<span class="rule">{_e(rule)}</span>' if rule else ""
    text += _e(entry.get("text", ""))
    if numbers:
        text += f'<span class="sub numbers">{"; ".join(numbers)}</span>'
    return f"<li>{text}</li>"


def _detail_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "true" if value is True else ("false" if value is False else "none")
    if isinstance(value, int | float):
        return plain_number(value)
    if isinstance(value, list):
        return ", ".join(_detail_value(item) for item in value)
    return str(value)


def _candidates(steps: Sequence[Mapping[str, Any]]) -> str:
    items = []
    for entry in steps:
        rejected = entry.get("rejected") or []
        inner = "".join(
            f'<li><span class="id">{_e(r.get("module"))}</span> ({_e(r.get("partner"))}): {_e(r.get("reason"))}</li>'
            for r in rejected
        )
        items.append(
            f"<li><strong>{_e(entry.get('step'))}</strong> ({_e(entry.get('capability'))}): "
            f"{_e(_fit_count(entry.get('fit'), entry.get('offered')))}"
            + (f"<ul>{inner}</ul>" if inner else "")
            + "</li>"
        )
    return f'<details class="candidates"><summary>Candidates</summary><ul>{"".join(items)}</ul></details>'


# --- Gantt chart -------------------------------------------------------------------------------

ROW = 30
BAR = 16
AXIS = 34
CHART = 600
AFTER = 84


def _gantt(document: Mapping[str, Any], plan: Mapping[str, Any], colours: Mapping[str, str]) -> str:
    unit = str(document.get("time_unit") or "day")
    assignments = list(plan.get("assignments") or [])
    start = plan_start(plan)
    finish = max((int(a.get("finish") or 0) for a in assignments), default=0)
    earliest = min((int(a.get("start") or 0) - int(a.get("wait") or 0) for a in assignments), default=0)
    origin = min(0, earliest)
    deadline = plan.get("deadline")
    span = max(finish - origin, 1)
    # A deadline far beyond the finish would squeeze the bars: it is then named, not drawn.
    draw_deadline = isinstance(deadline, int) and origin <= deadline <= origin + span * 1.5
    if isinstance(deadline, int) and draw_deadline:
        span = max(span, deadline - origin)
    labels = [(str(a.get("step")), str(a.get("module"))) for a in assignments]
    room = min(max(_width(s, 12, True) + 8 + _width(m) for s, m in labels), 380)
    left = 12 + room + 16
    scale = CHART / span
    width = left + CHART + AFTER
    rows_end = AXIS + ROW * len(assignments)
    height = rows_end + 22

    def x(t: float) -> float:
        return left + (t - origin) * scale

    out = [
        f'<svg class="gantt" xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="Schedule of {_e(plan.get("request"))}">'
    ]
    for i in range(len(assignments)):
        if i % 2 == 0:
            out.append(f'<rect x="0" y="{_n(AXIS + i * ROW)}" width="{_n(width)}" height="{ROW}" fill="#f4f6f9"/>')
    step = _tick_step(span, start is not None and unit == "day")
    first = -(-origin // step) * step
    for t in range(first, origin + span + 1, step):
        tx = x(t)
        tick = _e(_tick(t, start, t == first))
        out.append(f'<line x1="{_n(tx)}" y1="{AXIS - 6}" x2="{_n(tx)}" y2="{_n(rows_end)}" stroke="#d9dee7"/>')
        out.append(f'<text class="axis" x="{_n(tx)}" y="{AXIS - 12}" text-anchor="middle">{tick}</text>')
    if draw_deadline:
        dx = x(int(deadline or 0))
        anchor = "end" if dx > left + CHART * 0.8 else "start"
        shift = -4 if anchor == "end" else 4
        out.append(
            f'<line x1="{_n(dx)}" y1="{AXIS - 4}" x2="{_n(dx)}" y2="{_n(rows_end + 4)}" stroke="#b42318" '
            'stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        out.append(
            f'<text class="axis late" x="{_n(dx + shift)}" y="{_n(height - 6)}" text-anchor="{anchor}">deadline</text>'
        )
    for i, a in enumerate(assignments):
        top = AXIS + i * ROW
        mid = top + ROW / 2
        step_id, module = labels[i]
        fitted = _fit(module, room - _width(step_id, 12, True) - 8)
        out.append(
            f'<text class="label" x="12" y="{_n(mid + 4)}"><tspan class="step">{_e(step_id)}</tspan>'
            f'<tspan class="muted" dx="8">{_e(fitted)}</tspan></text>'
        )
        begin, end = int(a.get("start") or 0), int(a.get("finish") or 0)
        wait = int(a.get("wait") or 0)
        colour = colours.get(str(a.get("partner")), PALETTE[0])
        tip = _e(_bar_tip(document, a, unit))
        out.append(f'<g class="bar" data-step="{_e(step_id)}"><title>{tip}</title>')
        if wait > 0:
            out.append(
                f'<rect class="wait" x="{_n(x(begin - wait))}" y="{_n(mid - BAR / 2)}" width="{_n(wait * scale)}" '
                f'height="{BAR}" rx="3" fill="none" stroke="#5b6475" stroke-dasharray="3 2"/>'
            )
        if end > begin:
            out.append(
                f'<rect x="{_n(x(begin))}" y="{_n(mid - BAR / 2)}" width="{_n(max((end - begin) * scale, 2))}" '
                f'height="{BAR}" rx="3" fill="{colour}"/>'
            )
        else:
            cx = x(begin)
            out.append(
                f'<polygon points="{_n(cx)},{_n(mid - 8)} {_n(cx + 8)},{_n(mid)} {_n(cx)},{_n(mid + 8)} '
                f'{_n(cx - 8)},{_n(mid)}" fill="{colour}"/>'
            )
        text = f"{begin}–{end}" + (f", waits {wait}" if wait else "")
        out.append(
            f'<text class="axis" x="{_n(x(end) + (12 if end == begin else 6))}" y="{_n(mid + 4)}">{_e(text)}</text>'
        )
        out.append("</g>")
    out.append("</svg>")
    legend = "".join(
        '<li><svg width="12" height="12" aria-hidden="true">'
        f'<rect width="12" height="12" rx="2" fill="{colour}"/></svg>'
        f'<span class="id">{_e(partner)}</span></li>'
        for partner, colour in colours.items()
    )
    notes = [f"Bars run from start to finish in {_e(plural(2, unit))}"]
    if start is not None:
        notes.append(f"time 0 is {_e(start.isoformat())}")
    if any(int(a.get("finish") or 0) == int(a.get("start") or 0) for a in assignments):
        notes.append("a diamond is a step that takes no time")
    if any(int(a.get("wait") or 0) > 0 for a in assignments):
        notes.append("a dashed box is time spent waiting for shared resources")
    if isinstance(deadline, int) and not draw_deadline:
        notes.append(f"the deadline, {_e(unit)} {_e(deadline)}, lies beyond the chart")
    elif draw_deadline:
        notes.append("the red dashed line is the deadline")
    return (
        f'<figure class="schedule"><div class="scroll">{"".join(out)}</div>'
        f'<figcaption>{"; ".join(notes)}.</figcaption><ul class="legend">{legend}</ul></figure>'
    )


def _bar_tip(document: Mapping[str, Any], a: Mapping[str, Any], unit: str) -> str:
    text = f"{a.get('step')}: {a.get('module')} ({a.get('partner')}), {unit}s {a.get('start')}–{a.get('finish')}"
    if a.get("start_date") and a.get("finish_date"):
        text += f" ({a['start_date']} → {a['finish_date']})"
    if a.get("cost") is not None:
        text += f", {money(a['cost'], document.get('currency'))}"
    return text


def _tick_step(span: int, weeks: bool) -> int:
    """Ticks at least 56 px apart, on steps a reader counts in (weeks when the axis shows dates)."""
    steps = (1, 2, 7, 14, 28, 56, 91, 182, 364) if weeks else (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)
    for candidate in steps:
        if CHART / span * candidate >= 56:
            return candidate
    step = steps[-1]
    while CHART / span * step < 56:
        step *= 2
    return step


def _tick(t: int, start: date | None, first: bool) -> str:
    if start is None:
        return str(t)
    when = offset_date(start, t)
    if when is None:
        return str(t)
    text = f"{when.day} {MONTHS[when.month - 1]}"
    return f"{text} {when.year}" if first or (when.month == 1 and when.day <= 7) else text


# --- Plug graph --------------------------------------------------------------------------------

NODE_H = 58
LABEL_ROW = 15
SLOT_GAP = 28
DUMMY_W = 16
MARGIN = 16


@dataclass(eq=False)
class _Node:
    key: str
    layer: int
    width: float
    assignment: Mapping[str, Any] | None = None  # None: a point a long edge passes through
    x: float = 0.0
    y: float = 0.0
    ups: list[_Node] = field(default_factory=list)
    downs: list[_Node] = field(default_factory=list)


@dataclass(eq=False)
class _Edge:
    source: str
    target: str
    interface: str | None
    path: list[_Node] = field(default_factory=list)  # source, the points passed, target


def _layers(assignments: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Each step's depth: 0 without handoffs, else one more than its deepest upstream step."""
    steps = {str(a.get("step")): a for a in assignments}
    depth: dict[str, int] = {}

    def visit(step: str, trail: frozenset[str]) -> int:
        if step in depth:
            return depth[step]
        upstream = [str(h.get("from")) for h in steps[step].get("handoffs") or [] if str(h.get("from")) in steps]
        # A cycle cannot come from the planner; in a hand-made document it is cut where found.
        below = [visit(u, trail | {step}) for u in upstream if u not in trail and u != step]
        depth[step] = 1 + max(below) if below else 0
        return depth[step]

    for step in steps:
        visit(step, frozenset())
    return depth


def _plug_graph(plan: Mapping[str, Any], colours: Mapping[str, str]) -> str:
    assignments = list(plan.get("assignments") or [])
    depth = _layers(assignments)
    texts = [(str(a.get("step")), str(a.get("module")), str(a.get("partner"))) for a in assignments]
    node_w = min(max(max(_width(s, 13, True), _width(m), _width(p, 11)) for s, m, p in texts) + 28, 280)
    node_w = max(node_w, 150)
    nodes: dict[str, _Node] = {}
    for a in assignments:
        key = str(a.get("step"))
        nodes[key] = _Node(key, depth[key], node_w, a)
    edges: list[_Edge] = []
    for a in assignments:
        target = str(a.get("step"))
        for h in a.get("handoffs") or []:
            source = str(h.get("from"))
            if source not in nodes or depth[source] >= depth[target]:
                continue
            edge = _Edge(source, target, h.get("interface"))
            chain = [nodes[source]]
            for depth_passed in range(depth[source] + 1, depth[target]):
                point = _Node(f"{source}>{target}@{depth_passed}", depth_passed, DUMMY_W)
                nodes[point.key] = point
                chain.append(point)
            chain.append(nodes[target])
            for upper, lower in itertools.pairwise(chain):
                upper.downs.append(lower)
                lower.ups.append(upper)
            edge.path = chain
            edges.append(edge)
    layers = _order(nodes)
    widest = max(sum(n.width for n in layer) + SLOT_GAP * (len(layer) - 1) for layer in layers)
    for layer in layers:
        used = sum(n.width for n in layer) + SLOT_GAP * (len(layer) - 1)
        x = MARGIN + (widest - used) / 2
        for n in layer:
            n.x = x + n.width / 2
            x += n.width + SLOT_GAP
    boxes = [n for n in nodes.values() if n.assignment is not None]
    ports_out = _ports([(n, [e for e in edges if e.path[0] is n]) for n in boxes], lambda e: e.path[1].x)
    ports_in = _ports([(n, [e for e in edges if e.path[-1] is n]) for n in boxes], lambda e: e.path[-2].x)
    # Each gap between layers is as tall as its labels need: one row, or more where they would overlap.
    gaps: dict[int, list[tuple[int, float, float, str]]] = {}
    for index, edge in enumerate(edges):
        start = ports_out[id(edge)] if len(edge.path) == 2 else edge.path[-2].x
        text = edge.interface if edge.interface is not None else "anything"
        gaps.setdefault(edge.path[-1].layer, []).append((index, start, ports_in[id(edge)], text))
    placed: dict[int, tuple[float, float]] = {}
    gap_height: dict[int, float] = {}
    for number, entering in gaps.items():
        gap_height[number], spots = _place_labels(entering)
        placed.update(spots)
    y = float(MARGIN)
    for number, layer in enumerate(layers):
        if number:
            y += gap_height.get(number, _gap(1))
        for n in layer:
            n.y = y
        y += NODE_H
    height = y + MARGIN
    width = widest + 2 * MARGIN
    out = [
        f'<svg class="plug-graph" xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="Plug graph of {_e(plan.get("request"))}">'
    ]
    labels = []
    for index, edge in enumerate(edges):
        points = [(ports_out[id(edge)], edge.path[0].y + NODE_H)]
        for point in edge.path[1:-1]:
            points += [(point.x, point.y), (point.x, point.y + NODE_H)]
        points.append((ports_in[id(edge)], edge.path[-1].y))
        # The last point is the arrow's tip: the line stops where the arrowhead starts.
        points[-1] = (points[-1][0], points[-1][1] - 6)
        d = f"M{_n(points[0][0])},{_n(points[0][1])}"
        for number, ((x0, y0), (x1, y1)) in enumerate(itertools.pairwise(points)):
            if number % 2 == 1:  # straight down through a layer the edge passes
                d += f" L{_n(x1)},{_n(y1)}"
            else:
                ym = (y0 + y1) / 2
                d += f" C{_n(x0)},{_n(ym)} {_n(x1)},{_n(ym)} {_n(x1)},{_n(y1)}"
        end_x, end_y = points[-1]
        text = edge.interface if edge.interface is not None else "anything"
        out.append(
            f'<g class="edge" data-from="{_e(edge.source)}" data-to="{_e(edge.target)}">'
            f"<title>{_e(edge.source)} hands {_e(text)} to {_e(edge.target)}</title>"
            f'<path d="{d}" fill="none" stroke="#7a8394" stroke-width="1.5"/>'
            f'<polygon points="{_n(end_x - 5)},{_n(end_y - 1)} {_n(end_x + 5)},{_n(end_y - 1)} '
            f'{_n(end_x)},{_n(end_y + 6)}" fill="#7a8394"/></g>'
        )
        label_x, baseline = placed[index]
        label_y = edge.path[-1].y - _gap_of(edge, gap_height) + baseline
        half = _width(text, 11) / 2 + 4
        css = "label small" + (" any" if edge.interface is None else "")
        labels.append(
            f'<g class="edge-label"><rect x="{_n(label_x - half)}" y="{_n(label_y - 11)}" width="{_n(2 * half)}" '
            f'height="15" rx="3" fill="#ffffff" fill-opacity="0.92"/>'
            f'<text class="{css}" x="{_n(label_x)}" y="{_n(label_y)}" text-anchor="middle">{_e(text)}</text></g>'
        )
    out += labels
    for n in nodes.values():
        if n.assignment is None:
            continue
        a = n.assignment
        step, module, partner = str(a.get("step")), str(a.get("module")), str(a.get("partner"))
        colour = colours.get(partner, PALETTE[0])
        left = n.x - n.width / 2
        single = "backup" in a and a["backup"] is None
        stroke = ' stroke="#b42318" stroke-width="2" stroke-dasharray="6 3"' if single else ' stroke="#c3cad6"'
        room = n.width - 22
        out.append(
            f'<g class="node" data-step="{_e(step)}"><title>{_e(step)} ({_e(a.get("capability"))}): '
            f"{_e(module)} of {_e(partner)}</title>"
            f'<rect x="{_n(left)}" y="{_n(n.y)}" width="{_n(n.width)}" height="{NODE_H}" rx="7" '
            f'fill="#ffffff"{stroke}/>'
            f'<rect x="{_n(left)}" y="{_n(n.y)}" width="6" height="{NODE_H}" rx="3" fill="{colour}"/>'
            f'<text class="label step" x="{_n(left + 14)}" y="{_n(n.y + 19)}">{_e(_fit(step, room, 13, True))}</text>'
            f'<text class="label" x="{_n(left + 14)}" y="{_n(n.y + 35)}">{_e(_fit(module, room))}</text>'
            f'<text class="label muted small" x="{_n(left + 14)}" y="{_n(n.y + 50)}">'
            f"{_e(_fit(partner, room, 11))}</text>"
            "</g>"
        )
    out.append("</svg>")
    notes = "Each box is an assignment (step, module, partner); each arrow a handoff, labelled with the interface"
    if any("backup" in a and a["backup"] is None for a in assignments):
        notes += "; a red dashed box is a single point of failure"
    return f'<figure class="plugs"><div class="scroll">{"".join(out)}</div><figcaption>{notes}.</figcaption></figure>'


def _order(nodes: Mapping[str, _Node]) -> list[list[_Node]]:
    """Nodes per layer, in step order, then swept a few times to the mean place of their neighbours.

    Fewer edges cross that way; a fixed number of sweeps with ties kept in place gives the same
    picture every time.
    """
    count = max(n.layer for n in nodes.values()) + 1
    layers: list[list[_Node]] = [[] for _ in range(count)]
    for n in nodes.values():
        layers[n.layer].append(n)
    for _ in range(4):
        for downward in (True, False):
            sequence = range(1, count) if downward else range(count - 2, -1, -1)
            for k in sequence:
                place = {id(n): i for i, n in enumerate(layers[k - 1 if downward else k + 1])}
                current = {id(n): i for i, n in enumerate(layers[k])}
                layers[k].sort(key=functools.partial(_barycentre, place=place, current=current, downward=downward))
    return layers


def _barycentre(node: _Node, place: Mapping[int, int], current: Mapping[int, int], downward: bool) -> tuple[float, int]:
    near = [place[id(m)] for m in (node.ups if downward else node.downs) if id(m) in place]
    return (sum(near) / len(near) if near else current[id(node)], current[id(node)])


def _ports(sides: Sequence[tuple[_Node, list[_Edge]]], towards: Any) -> dict[int, float]:
    """Where each edge leaves (or enters) its box: spread along the side, in the order of the far ends."""
    ports: dict[int, float] = {}
    for box, edges in sides:
        ordered = sorted(edges, key=towards)
        spacing = min(22.0, (box.width - 24) / max(len(ordered), 1))
        for i, edge in enumerate(ordered):
            ports[id(edge)] = box.x + (i - (len(ordered) - 1) / 2) * spacing
    return ports


def _gap(rows: int) -> float:
    return 22.0 + LABEL_ROW * rows + 20.0


def _gap_of(edge: _Edge, heights: Mapping[int, float]) -> float:
    return heights.get(edge.path[-1].layer, _gap(1))


def _place_labels(entering: Sequence[tuple[int, float, float, str]]) -> tuple[float, dict[int, tuple[float, float]]]:
    """The height of a gap and, per edge entering the layer below it, its label's centre x and baseline.

    Labels go in as few rows as keep them apart; each sits on its own edge's curve, which starts
    at the top of the gap and ends at the arrowhead, 6 px above its bottom.
    """
    ordered = sorted(entering, key=lambda item: ((item[1] + item[2]) / 2, item[0]))
    for rows in range(1, len(ordered) + 1):
        height = _gap(rows)
        block = (height - 6 - LABEL_ROW * rows) / 2
        taken: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
        spots: dict[int, tuple[float, float]] = {}
        for index, x0, x1, text in ordered:
            half = _width(text, 11) / 2 + 4
            for row in range(rows):
                baseline = block + LABEL_ROW * row + 11
                centre = _curve_x(x0, 0.0, x1, height - 6, baseline - 4)
                if all(centre + half + 4 < left or centre - half - 4 > right for left, right in taken[row]):
                    taken[row].append((centre - half, centre + half))
                    spots[index] = (centre, baseline)
                    break
            else:
                break
        if len(spots) == len(ordered):
            return height, spots
    raise AssertionError("one label per row always fits")


def _curve_x(x0: float, y0: float, x1: float, y1: float, y: float) -> float:
    """The x where the handoff curve from (x0, y0) to (x1, y1), vertical at both ends, is at height y."""
    if y1 == y0:
        return (x0 + x1) / 2
    best, nearest = (x0 + x1) / 2, float("inf")
    for i in range(101):
        t = i / 100
        # Control points (x0, ym), (x1, ym) with ym halfway: these are the curve's coordinates at t.
        across = 3 * t * t - 2 * t * t * t
        down = t * t * t + 1.5 * t * (1 - t)
        at = y0 + (y1 - y0) * down
        if abs(at - y) < nearest:
            nearest, best = abs(at - y), x0 + (x1 - x0) * across
    return best


def _fit_count(fit: object, offered: object) -> str:
    if isinstance(fit, int) and isinstance(offered, int):
        return fit_count(fit, offered)
    return f"{fit} of {offered} modules fit"
