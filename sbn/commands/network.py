"""`sbn network`: what the network can do, where, how its modules plug together, and where it is fragile."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sbn.candidates import served_regions
from sbn.errors import UsageError
from sbn.loader import Network, load_network, no_network
from sbn.text import safe_json

SCHEMA = "sbn.network/v1"
EVERYWHERE = "*"


def run_network(paths: Sequence[str], output_format: str, allow_outside: Sequence[str] = ()) -> int:
    if not paths:
        raise UsageError("no network given: pass PATH (a file or directory)")
    network = load_network(paths, allow_outside=allow_outside)
    for diagnostic in network.warnings:
        sys.stderr.write(diagnostic.render() + "\n")
    if not network.modules and not network.warnings:  # with requests, the loader's note says it
        sys.stderr.write(f"sbn: note: {no_network(len(network.partners), 'on the command line too')}\n")
    data = network_data(network)
    if output_format == "json":
        sys.stdout.write(safe_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
    elif output_format == "mermaid":
        from sbn.render.network import render_mermaid

        sys.stdout.write(render_mermaid(data))
    elif output_format == "dot":
        from sbn.render.network import render_dot

        sys.stdout.write(render_dot(data))
    else:
        from rich.console import Console

        from sbn.render.network import render_table

        render_table(Console(highlight=False), data)
    return 0


def network_data(network: Network) -> dict[str, Any]:
    """The summary as plain data, the shape of `sbn network --format json` (docs/commands.md)."""
    modules = sorted(network.modules.values(), key=lambda m: m.id)
    # capability -> partner -> the regions its modules serve there ("*" for every region).
    served: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    module_count: dict[str, int] = defaultdict(int)
    for module in modules:
        served[module.capability][module.partner] |= set(served_regions(module, network.partners[module.partner]))
        module_count[module.capability] += 1
    requested = {step.capability for request in network.requests for step in request.steps}
    regions = sorted(
        {region for by_partner in served.values() for held in by_partner.values() for region in held}
        | {request.region for request in network.requests if request.region is not None}
    )
    regions = [region for region in regions if region != EVERYWHERE]

    coverage = []
    overall_spof = []
    regional_spof = []
    for capability in sorted(set(served) | requested):
        by_partner = served.get(capability, {})
        per_region = {
            region: sorted(p for p, held in by_partner.items() if region in held or EVERYWHERE in held)
            for region in regions
        }
        coverage.append(
            {
                "capability": capability,
                "modules": module_count.get(capability, 0),
                "partners": len(by_partner),
                "everywhere": sum(1 for held in by_partner.values() if EVERYWHERE in held),
                "regions": {region: len(partners) for region, partners in per_region.items()},
            }
        )
        if len(by_partner) == 1:
            overall_spof.append({"capability": capability, "partner": next(iter(by_partner))})
        elif len(by_partner) > 1:
            regional_spof += [
                {"capability": capability, "region": region, "partner": partners[0]}
                for region, partners in per_region.items()
                if len(partners) == 1
            ]

    produced: dict[str, list[str]] = defaultdict(list)
    accepted: dict[str, list[str]] = defaultdict(list)
    for module in modules:
        for interface in module.outputs:
            produced[interface].append(module.id)
        for interface in module.inputs:
            accepted[interface].append(module.id)

    return {
        "schema": SCHEMA,
        "network": network.info.name,
        "ambition": network.info.ambition.strip() if network.info.ambition else None,
        "counts": {
            "partners": len(network.partners),
            "modules": len(network.modules),
            "capabilities": len(served),
            "interfaces": len(set(produced) | set(accepted)),
            "regions": len(regions),
            "requests": len(network.requests),
            "resources": len(network.resources),
        },
        "partners": [
            {
                "id": partner.id,
                "name": partner.name,
                "region": partner.region,
                "modules": sum(1 for m in modules if m.partner == partner.id),
                "capabilities": sorted({m.capability for m in modules if m.partner == partner.id}),
            }
            for partner in sorted(network.partners.values(), key=lambda p: p.id)
        ],
        "regions": regions,
        "coverage": coverage,
        "single_points_of_failure": {"overall": overall_spof, "by_region": regional_spof},
        "interfaces": {
            "unaccepted": [
                {"interface": name, "produced_by": produced[name]} for name in sorted(set(produced) - set(accepted))
            ],
            "unproduced": [
                {"interface": name, "accepted_by": accepted[name]} for name in sorted(set(accepted) - set(produced))
            ],
        },
        # Shared resources (SPEC §6), in id order, with the modules that use them and how much.
        "resources": [_resource(network, resource, modules) for _, resource in sorted(network.resources.items())],
        "plug_graph": plug_graph(modules),
    }


def _resource(network: Network, resource: Any, modules: Sequence[Any]) -> dict[str, Any]:
    """{id, name, partner, at_once | total, used_by: [{module, partner, fixed, per_unit}]}."""
    from sbn.render.data import quantity

    entry: dict[str, Any] = {"id": resource.id, "name": resource.name, "partner": resource.partner}
    if resource.at_once is not None:
        entry["at_once"] = quantity(resource.at_once)
    else:
        entry["total"] = quantity(resource.total)
    entry["used_by"] = [
        {
            "module": module.id,
            "partner": module.partner,
            "fixed": quantity(module.uses[resource.id].fixed),
            "per_unit": quantity(module.uses[resource.id].per_unit),
        }
        for module in modules
        if resource.id in module.uses
    ]
    return entry


def plug_graph(modules: Sequence[Any]) -> dict[str, Any]:
    """Capabilities as nodes; A -> B labelled with what A's modules output and B's modules list as inputs.

    A module that accepts anything (no inputs) would plug after every capability: it draws no
    edge, and its capability is marked `accepts_anything` instead.
    """
    outputs: dict[str, set[str]] = defaultdict(set)
    inputs: dict[str, set[str]] = defaultdict(set)
    anything: set[str] = set()
    for module in modules:
        outputs[module.capability] |= set(module.outputs)
        inputs[module.capability] |= set(module.inputs)
        if not module.inputs:
            anything.add(module.capability)
    capabilities = sorted({module.capability for module in modules})
    edges = [
        {"from": source, "to": target, "interfaces": sorted(outputs[source] & inputs[target])}
        for source in capabilities
        for target in capabilities
        if outputs[source] & inputs[target]
    ]
    nodes = [{"capability": capability, "accepts_anything": capability in anything} for capability in capabilities]
    return {"nodes": nodes, "edges": edges}
