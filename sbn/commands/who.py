"""`sbn who`: who can do a capability, filtered by region and certifications."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sbn.candidates import Catalog, served_regions
from sbn.errors import ExitCode, UsageError
from sbn.loader import MAX_SUGGESTED_LENGTH, Network, load_network, no_network
from sbn.model import Linear, Module, Partner
from sbn.numbers import number
from sbn.rules import Fixed, filter_tests
from sbn.text import quote, safe_json

if TYPE_CHECKING:
    from rich.table import Table


def _linear(value: Linear, lines: bool = False) -> str:
    """fixed + per_unit/unit; on two lines for a table cell, so that a narrow column breaks it there."""
    parts = []
    if value.fixed or not value.per_unit:
        parts.append(number(value.fixed))
    if value.per_unit:
        parts.append(f"{number(value.per_unit)}/unit")
    return ("\n+ " if lines else " + ").join(parts)


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
    # The planner's own filters for region and certifications (sbn.rules), so who and plan agree.
    fixed = Fixed(capability, frozenset(), frozenset(), None, region, tuple(sorted(set(certifications))), None)
    tests = [test for _, test in filter_tests(fixed)]
    catalog = Catalog(network)
    rows = []
    for offer in sorted(catalog.offers(capability), key=lambda o: (o.module.cost.at(Decimal(1)), o.module.id)):
        if any(test(offer) is not None for test in tests):
            continue
        module, partner = offer.module, offer.partner
        rows.append((module, partner, list(served_regions(module, partner)), sorted(offer.held)))
    if not rows:
        # In every format: a person sees why the list is empty, a script still gets [] on stdout.
        filters = []
        if region:
            filters.append(f"region {quote(region, bare=True)}")
        filters += [f"certification {quote(c, bare=True)}" for c in certifications]
        where = f" with {', '.join(filters)}" if filters else ""
        if offered:
            note = f" ({len(offered)} offer it in all)"
        elif not network.modules:
            note = f" ({no_network(len(network.partners), 'with --network PATH')})"
        else:
            # Most often a misspelt capability: name the closest one offered.
            close = (
                difflib.get_close_matches(capability, sorted(network.by_capability), n=1)
                if len(capability) <= MAX_SUGGESTED_LENGTH
                else []
            )
            note = f" (did you mean {quote(close[0])}?)" if close else " (no module offers it at all)"
        sys.stderr.write(f"no module offers {quote(capability)}{where}{note}\n")
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
                **(
                    {
                        "uses": {
                            name: {"fixed": float(amount.fixed), "per_unit": float(amount.per_unit)}
                            for name, amount in module.uses.items()
                        }
                    }
                    if module.uses
                    else {}
                ),
            }
            for module, partner, regions, held in rows
        ]
        sys.stdout.write(safe_json(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n")
        return ExitCode.OK
    if not rows:
        return ExitCode.OK
    from rich.console import Console

    from sbn.render.table import Hanging, Text, fits

    console = Console(highlight=False)
    console.print(Text(f"Who can do {capability}", style="bold"))
    for table in (_table(rows, network, compact=False), _table(rows, network, compact=True)):
        if fits(console, table):
            console.print(table)
            return ExitCode.OK
    # Too narrow for a table: one block per module, wrapping at any width.
    for module, partner, regions, certified in rows:
        console.print(Text(f"{module.id} ({partner.id})", style="bold"))
        console.print(
            Hanging(
                "  ",
                Text(
                    f"regions {', '.join(regions) or '-'}; certifications {', '.join(certified) or '-'}; "
                    f"reputation {number(partner.reputation)}; cost {_linear(module.cost)} {network.info.currency}; "
                    f"lead time {_linear(module.lead_time)} {network.info.time_unit}s; capacity "
                    + (number(module.capacity) if module.capacity is not None else "unlimited")
                    + (f"; uses {_uses(module, ', ')}" if module.uses else "")
                ),
            )
        )
    return ExitCode.OK


def _table(rows: list[tuple[Module, Partner, list[str], list[str]]], network: Network, compact: bool) -> Table:
    """The modules as a table; compact puts reputation under the partner and certifications under the regions."""
    from rich import box
    from rich.table import Table

    from sbn.render.table import Text

    table = Table(show_edge=False, pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("Module / partner", no_wrap=True)
    if compact:
        table.add_column("Serves / holds")
    else:
        table.add_column("Regions")
        table.add_column("Certifications")
        table.add_column("Rep.", justify="right", no_wrap=True)
    table.add_column(Text(f"Cost ({network.info.currency})"), justify="right")
    table.add_column(Text(f"Lead time ({network.info.time_unit}s)"), justify="right")
    uses = any(module.uses for module, *_ in rows)  # SPEC §6: a module's resources, where any has some
    table.add_column("Capacity / uses" if uses else "Capacity", justify="right", no_wrap=True)
    for module, partner, regions, certified in rows:
        who = Text(module.id)
        who.append(f"\n{partner.id}", style="dim")
        cells = [who]
        if compact:
            who.append(f"\nreputation {number(partner.reputation)}", style="dim")
            where = Text(", ".join(regions) or "-")
            where.append("\n" + (", ".join(certified) or "-"), style="dim")
            cells.append(where)
        else:
            cells += [
                Text(", ".join(regions) or "-"),
                Text(", ".join(certified) or "-"),
                Text(number(partner.reputation)),
            ]
        cells += [
            Text(_linear(module.cost, lines=True)),
            Text(_linear(module.lead_time, lines=True)),
            Text(
                (number(module.capacity) if module.capacity is not None else "-")
                + (f"\n{_uses(module, chr(10))}" if module.uses else "")
            ),
        ]
        table.add_row(*cells)
    return table


def _uses(module: Module, separator: str) -> str:
    """The resources a module uses with their amounts: 'crews 2', 'pumps 1/unit'."""
    return separator.join(f"{name} {_linear(amount)}" for name, amount in module.uses.items())
