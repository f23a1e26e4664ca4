"""`sbn who`: who can do a capability, filtered by region and certifications."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from decimal import Decimal

from sbn.candidates import holds, number, serves
from sbn.errors import UsageError
from sbn.loader import load_network
from sbn.model import Linear
from sbn.text import quote, safe_json


def _linear(value: Linear, unit: str = "") -> str:
    parts = []
    if value.fixed or not value.per_unit:
        parts.append(f"{number(value.fixed)}{unit}")
    if value.per_unit:
        parts.append(f"{number(value.per_unit)}{unit}/unit")
    return " + ".join(parts)


def run_who(
    capability: str,
    networks: Sequence[str],
    region: str | None,
    certifications: Sequence[str],
    output_format: str,
    allow_outside: Sequence[str] = (),
) -> int:
    if not networks:
        raise UsageError("no network given: pass --network PATH (a file or directory)")
    network = load_network(networks, allow_outside=allow_outside)
    offered = network.by_capability.get(capability, ())
    rows = []
    for module in sorted(offered, key=lambda m: (m.cost.at(Decimal(1)), m.id)):
        partner = network.partners[module.partner]
        if region is not None and not serves(module, partner, region):
            continue
        held = holds(module, partner)
        if not set(certifications) <= held:
            continue
        regions = list(module.regions) if module.regions is not None else ([partner.region] if partner.region else [])
        rows.append((module, partner, regions, sorted(held)))
    if not rows:
        # In every format: a person sees why the list is empty, a script still gets [] on stdout.
        filters = []
        if region:
            filters.append(f"region {quote(region, bare=True)}")
        filters += [f"certification {quote(c, bare=True)}" for c in certifications]
        where = f" with {', '.join(filters)}" if filters else ""
        sys.stderr.write(f"no module offers {quote(capability)}{where} ({len(offered)} offer it in all)\n")
    if output_format == "json":
        payload = [
            {
                "module": module.id,
                "partner": partner.id,
                "partner_name": partner.name,
                "regions": regions,
                "certifications": held,
                "reputation": float(partner.reputation),
                "cost": {"fixed": float(module.cost.fixed), "per_unit": float(module.cost.per_unit)},
                "lead_time": {"fixed": float(module.lead_time.fixed), "per_unit": float(module.lead_time.per_unit)},
                "capacity": float(module.capacity) if module.capacity is not None else None,
                "inputs": list(module.inputs),
                "outputs": list(module.outputs),
            }
            for module, partner, regions, held in rows
        ]
        sys.stdout.write(safe_json(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n")
        return 0
    if not rows:
        return 0
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from sbn.render.table import Text, fits

    console = Console(highlight=False)

    table = Table(show_edge=False, pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("Module / partner", no_wrap=True)
    table.add_column("Regions", overflow="fold")
    table.add_column("Certifications", overflow="fold")
    table.add_column("Rep.", justify="right")
    table.add_column(Text(f"Cost ({network.info.currency})"), justify="right", overflow="fold")
    table.add_column(Text(f"Lead time ({network.info.time_unit}s)"), justify="right", overflow="fold")
    table.add_column("Capacity", justify="right", overflow="fold")
    for module, partner, regions, certified in rows:
        who = Text(module.id)
        who.append(f"\n{partner.id}", style="dim")
        table.add_row(
            who,
            Text(", ".join(regions) or "-"),
            Text(", ".join(certified) or "-"),
            Text(number(partner.reputation)),
            Text(_linear(module.cost)),
            Text(_linear(module.lead_time)),
            Text(number(module.capacity) if module.capacity is not None else "-"),
        )
    console.print(Text(f"Who can do {capability}", style="bold"))
    if fits(console, table):
        console.print(table)
        return 0
    # Too narrow for the table: one block per module, wrapping at any width.
    for module, partner, regions, certified in rows:
        console.print(Text(f"{module.id} ({partner.id})", style="bold"))
        console.print(
            Text(
                f"  regions {', '.join(regions) or '-'}; certifications {', '.join(certified) or '-'}; "
                f"reputation {number(partner.reputation)}; cost {_linear(module.cost)} {network.info.currency}; "
                f"lead time {_linear(module.lead_time)} {network.info.time_unit}s; capacity "
                + (number(module.capacity) if module.capacity is not None else "unlimited")
            )
        )
    return 0
