"""The network summary for a person (rich), and its plug graph as Mermaid and Graphviz DOT."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from sbn.render.common import clean
from sbn.render.table import Hanging, Text, fits

COUNT_STYLE = {0: "red", 1: "yellow"}


def render_table(console: Console, data: dict[str, Any]) -> None:
    console.print(Text(f"Network {data['network'] or '(unnamed)'}", style="bold"))
    if data["ambition"]:
        console.print(Text(data["ambition"], style="italic"))
    counts = data["counts"]
    console.print(
        Text(
            ", ".join(
                _count(counts[key], noun)
                for key, noun in (
                    ("partners", "partner"),
                    ("modules", "module"),
                    ("capabilities", "capability"),
                    ("interfaces", "interface"),
                    ("regions", "region"),
                    ("requests", "request"),
                    ("resources", "resource"),
                )
            )
        )
    )
    console.print()
    _coverage(console, data)
    console.print()
    _single_points(console, data)
    console.print()
    _interfaces(console, data)
    console.print()
    _resources(console, data)
    console.print()
    _plugs(console, data)


def _coverage(console: Console, data: dict[str, Any]) -> None:
    console.print(Text("Coverage: partners able to do each capability, per customer region", style="bold"))
    regions: list[str] = data["regions"]
    rows: list[dict[str, Any]] = data["coverage"]
    # As many region columns side by side as fit; the rest in further tables below.
    for parts in range(1, len(regions) + 1):
        size = -(-len(regions) // parts) if regions else 0
        groups = [regions[i : i + size] for i in range(0, len(regions), size)] if regions else [[]]
        tables = [_coverage_table(rows, group, first=index == 0) for index, group in enumerate(groups)]
        if all(fits(console, table) for table in tables):
            for table in tables:
                console.print(table)
            break
    else:
        for row in rows:
            line = Text(f"{_count(row['partners'], 'partner')}, {row['everywhere']} everywhere; ")
            line.append(", ".join(f"{region} {row['regions'][region]}" for region in regions) or "no regions")
            console.print(Hanging(f"  {row['capability']}: ", line, indent=4))
    console.print(
        Hanging(
            "",
            Text(
                "All: partners offering it anywhere. *: partners serving every region, counted in each region too.",
                style="dim",
            ),
        )
    )


def _coverage_table(rows: list[dict[str, Any]], regions: list[str], first: bool) -> Table:
    table = Table(show_edge=False, pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("Capability", no_wrap=True)
    if first:
        table.add_column("All", justify="right", no_wrap=True)
        table.add_column("*", justify="right", no_wrap=True)
    for region in regions:
        table.add_column(Text(region), justify="right", no_wrap=True)
    for row in rows:
        cells = [Text(row["capability"])]
        if first:
            cells += [_cell(row["partners"]), Text(str(row["everywhere"]))]
        cells += [_cell(row["regions"][region]) for region in regions]
        table.add_row(*cells)
    return table


def _cell(count: int) -> Text:
    return Text(str(count), style=COUNT_STYLE.get(count, ""))


def _single_points(console: Console, data: dict[str, Any]) -> None:
    spof = data["single_points_of_failure"]
    console.print(Text("Single points of failure", style="bold"))
    overall = ", ".join(f"{s['capability']} ({s['partner']})" for s in spof["overall"]) or "none"
    console.print(Hanging("  one partner in the whole network: ", Text(overall), indent=4))
    by_region: dict[str, list[str]] = defaultdict(list)
    for s in spof["by_region"]:
        by_region[s["region"]].append(f"{s['capability']} ({s['partner']})")
    if not by_region:
        console.print(Text("  one partner in a region (more elsewhere): none"))
        return
    console.print(Text("  one partner in a region (more elsewhere):"))
    for region in sorted(by_region):
        console.print(Hanging(f"    {region}: ", Text(", ".join(by_region[region])), indent=6))


def _interfaces(console: Console, data: dict[str, Any]) -> None:
    interfaces = data["interfaces"]
    for entries, heading, key in (
        (interfaces["unaccepted"], "Interfaces produced that no module takes as input", "produced_by"),
        (interfaces["unproduced"], "Interfaces taken as input that no module produces", "accepted_by"),
    ):
        title = Text(heading, style="bold")
        if not entries:
            title.append(": none")
        console.print(title)
        for entry in entries:
            verb = "from" if key == "produced_by" else "by"
            console.print(Hanging(f"  {entry['interface']}: ", Text(f"{verb} {', '.join(entry[key])}"), indent=4))


def _resources(console: Console, data: dict[str, Any]) -> None:
    if not data["resources"]:
        console.print(Text("Resources: none declared", style="bold"))
        return
    console.print(Text("Resources", style="bold"))
    for resource in data["resources"]:
        kind = f"{resource['at_once']} at once" if "at_once" in resource else f"{resource['total']} in total"
        owner = f", of {resource['partner']}" if resource["partner"] else ""
        users = ", ".join(f"{u['module']} ({u['partner']})" for u in resource["used_by"]) or "no module"
        console.print(Hanging(f"  {resource['id']} ({kind}{owner}): ", Text(f"used by {users}"), indent=4))


def _plugs(console: Console, data: dict[str, Any]) -> None:
    graph = data["plug_graph"]
    console.print(Text("Plug graph: capability -> capability it hands to, with the interfaces", style="bold"))
    for edge in graph["edges"]:
        console.print(
            Hanging(f"  {edge['from']} -> ", Text(f"{edge['to']}: {', '.join(edge['interfaces'])}"), indent=6)
        )
    anything = [node["capability"] for node in graph["nodes"] if node["accepts_anything"]]
    if anything:
        console.print(Hanging("  accept anything (no inputs, so no edges in): ", Text(", ".join(anything)), indent=4))


def _count(number: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{number} {noun if number == 1 else plural}"


# -- plug graph as text for other tools ---------------------------------------------------------


def render_mermaid(data: dict[str, Any]) -> str:
    """A Mermaid flowchart: paste it into a ```mermaid block and GitHub draws it."""
    graph = data["plug_graph"]
    ids = {node["capability"]: f"c{index}" for index, node in enumerate(graph["nodes"])}
    lines = ["flowchart LR"]
    for node in graph["nodes"]:
        label = _mermaid_text(node["capability"])
        if node["accepts_anything"]:
            label += "<br/>(accepts anything)"
        lines.append(f'  {ids[node["capability"]]}["{label}"]')
    for edge in graph["edges"]:
        label = _mermaid_text(", ".join(edge["interfaces"]))
        lines.append(f'  {ids[edge["from"]]} -->|"{label}"| {ids[edge["to"]]}')
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes and markup characters as entity codes."""
    coded = re.sub(r'["<>#&]', lambda m: f"#{ord(m.group())};", clean(text))
    return coded.replace("\n", "<br/>")


def render_dot(data: dict[str, Any]) -> str:
    """A Graphviz digraph: `dot -Tsvg` draws it."""
    graph = data["plug_graph"]
    lines = [f"digraph {_dot_string(data['network'] or 'sbn')} {{", "  rankdir=LR;", "  node [shape=box];"]
    for node in graph["nodes"]:
        name = _dot_string(node["capability"])
        if node["accepts_anything"]:
            label = _dot_string(node["capability"] + "\n(accepts anything)")
            lines.append(f"  {name} [label={label}, style=dashed];")
        else:
            lines.append(f"  {name};")
    for edge in graph["edges"]:
        label = _dot_string(", ".join(edge["interfaces"]))
        lines.append(f"  {_dot_string(edge['from'])} -> {_dot_string(edge['to'])} [label={label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_string(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, line breaks as \\n."""
    escaped = clean(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
