"""Generate synthetic, feasible sbn networks and requests, deterministically by seed."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from random import Random

REGIONS = ("BE", "DE", "DK", "FR", "LU", "NL", "NO", "SE")
CERTIFICATIONS = ("ce", "iso14001", "iso27001", "iso45001", "iso9001", "vca")
# Output subsets a module of capability i may hand on, as suffixes of `if-<i>-<x>`.
OUTPUT_CHOICES = (("a",), ("b",), ("c",), ("a", "b"), ("a", "c"), ("b", "c"), ("a", "b", "c"))
LEAD_PER_UNIT = (1, 2, 5, 10, 20, 25, 50)  # hundredths of a time unit
USAGES = ("0.25", "0.5", "1.5", "2")
# A module accepts outputs of capabilities at most WINDOW below its own, and request
# edges only join steps whose capabilities are that close, so interfaces can match.
WINDOW = 4


@dataclass(slots=True)
class Partner:
    """A generated partner; `restricted` ones may carry capacity, interests or avoid."""

    id: str
    region: str
    certifications: tuple[str, ...]
    reputation: int  # hundredths
    restricted: bool
    capacity: int | None = None
    min_order_value: int | None = None
    avoid: tuple[int, ...] = ()


@dataclass(slots=True)
class Module:
    """A generated module; money in cents and per-unit lead time in hundredths keep sums exact."""

    id: str
    partner: int
    capability: int
    inputs: tuple[str, ...] | None  # None: key absent; (): written as []
    outputs: tuple[str, ...]
    cost: int | tuple[int, int]
    lead: int | tuple[int, int]
    capacity: int | None
    usage: str | None
    regions: tuple[str, ...] | None
    certifications: tuple[str, ...]

    def cost_cents(self, quantity: int) -> int:
        """Cost of doing `quantity` units, in cents."""
        if isinstance(self.cost, int):
            return self.cost
        fixed, per_unit = self.cost
        return fixed + per_unit * quantity

    def duration(self, quantity: int) -> int:
        """Whole time units needed for `quantity` units."""
        if isinstance(self.lead, int):
            return self.lead
        fixed, per_unit = self.lead
        return -(-(fixed * 100 + per_unit * quantity) // 100)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _flow(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _make_partners(rng: Random, count: int, width: int) -> list[Partner]:
    partners: list[Partner] = []
    for k in range(count):
        certs = tuple(sorted(rng.sample(CERTIFICATIONS, rng.choice((0, 0, 1, 1, 2)))))
        # Partner 0 is always unrestricted so every capability has an unconditional provider.
        restricted = k > 0 and rng.random() < 0.25
        partner = Partner(
            id=f"p-{k:0{width}d}",
            region=rng.choice(REGIONS),
            certifications=certs,
            reputation=rng.randint(30, 100),
            restricted=restricted,
        )
        if restricted:
            if rng.random() < 0.6:
                partner.capacity = rng.randint(500, 5000)
            if rng.random() < 0.3:
                partner.min_order_value = rng.choice((10, 20, 50, 100))
        partners.append(partner)
    # Avoid pairs stay among restricted partners, so unrestricted ones never conflict.
    restricted_ids = [k for k, p in enumerate(partners) if p.restricted]
    for k in restricted_ids:
        others = [o for o in restricted_ids if o != k]
        if others and rng.random() < 0.2:
            picks = rng.sample(others, min(len(others), rng.randint(1, 2)))
            partners[k].avoid = tuple(sorted(picks))
    return partners


def _make_modules(
    rng: Random,
    count: int,
    partners: list[Partner],
    capabilities: int,
    widths: tuple[int, int],
) -> list[Module]:
    module_width, cap_width = widths
    unrestricted = [k for k, p in enumerate(partners) if not p.restricted]
    modules: list[Module] = []
    for i in range(count):
        universal = i < capabilities
        cap = i if universal else rng.randrange(capabilities)
        outputs = tuple(f"if-{cap:0{cap_width}d}-{x}" for x in rng.choice(OUTPUT_CHOICES))
        if universal:
            # The first module of each capability fits any request: it accepts anything,
            # serves everywhere and belongs to an unrestricted partner.
            modules.append(
                Module(
                    id=f"m-{i:0{module_width}d}",
                    partner=rng.choice(unrestricted),
                    capability=cap,
                    inputs=None,
                    outputs=outputs,
                    cost=rng.randint(1000, 500000),
                    lead=rng.randint(1, 10),
                    capacity=None,
                    usage=None,
                    regions=("*",),
                    certifications=(),
                )
            )
            continue
        r = rng.random()
        inputs: tuple[str, ...] | None
        if r < 0.25:
            inputs = None
        elif r < 0.3:
            inputs = ()
        else:
            chosen = set()
            for _ in range(rng.randint(1, 3)):
                source = max(0, cap - rng.randint(0, WINDOW))
                chosen.add(f"if-{source:0{cap_width}d}-{rng.choice('abc')}")
            inputs = tuple(sorted(chosen))
        cost: int | tuple[int, int] = (
            rng.randint(1000, 500000) if rng.random() < 0.5 else (rng.randint(0, 200000), rng.randint(50, 20000))
        )
        lead: int | tuple[int, int] = (
            rng.randint(1, 10) if rng.random() < 0.5 else (rng.randint(0, 5), rng.choice(LEAD_PER_UNIT))
        )
        r = rng.random()
        regions: tuple[str, ...] | None
        if r < 0.7:
            regions = None
        elif r < 0.85:
            regions = ("*",)
        else:
            regions = tuple(sorted(rng.sample(REGIONS, rng.randint(1, 3))))
        modules.append(
            Module(
                id=f"m-{i:0{module_width}d}",
                partner=rng.randrange(len(partners)),
                capability=cap,
                inputs=inputs,
                outputs=outputs,
                cost=cost,
                lead=lead,
                capacity=rng.randint(50, 1000) if rng.random() < 0.08 else None,
                usage=rng.choice(USAGES) if rng.random() < 0.1 else None,
                regions=regions,
                certifications=(rng.choice(CERTIFICATIONS),) if rng.random() < 0.1 else (),
            )
        )
    return modules


def _serves(module: Module, partner: Partner, region: str | None) -> bool:
    if region is None:
        return True
    if module.regions is None:
        return partner.region == region
    return "*" in module.regions or region in module.regions


def _plugs(upstream: Module, downstream: Module) -> bool:
    if not downstream.inputs:
        return True
    return any(o in downstream.inputs for o in upstream.outputs)


def _make_request(
    rng: Random,
    index: int,
    partners: list[Partner],
    modules: list[Module],
    by_cap: list[list[int]],
    conflicts: list[set[int]],
    shape: tuple[int, int, int],
) -> tuple[str, dict[str, object]]:
    """Return one request's YAML text and the witness plan that proves it feasible."""
    steps, total_requests, cap_width = shape
    n_caps = len(by_cap)
    span = min(n_caps, max(2 * steps, WINDOW))
    low = rng.randrange(n_caps - span + 1)
    caps = sorted(rng.randrange(low, low + span) for _ in range(steps))
    cap_names = [f"cap-{c:0{cap_width}d}" for c in caps]
    repeated = {name for name in cap_names if cap_names.count(name) > 1}
    ids = [f"step-{k + 1:02d}" if name in repeated else name for k, name in enumerate(cap_names)]

    after: list[list[int]] = []
    for k in range(steps):
        near = [e for e in range(max(0, k - 6), k) if caps[k] - caps[e] <= WINDOW]
        want = rng.choices((0, 1, 2), weights=(2, 5, 3))[0] if k else 0
        after.append(sorted(rng.sample(near, min(want, len(near)))))

    quantity = rng.randint(1, 50)
    step_qty = [rng.randint(1, 50) if rng.random() < 0.1 else None for _ in range(steps)]
    region = rng.choice(REGIONS) if rng.random() < 0.4 else None

    # Witness: a greedy plan using only modules and partners without capacity limits, so
    # no other request in the same run can take the capacity it needs.
    banned: set[int] = set()
    witness: list[int] = []
    finish: list[int] = []
    total_cents = 0
    for k in range(steps):
        qty = step_qty[k] or quantity
        order = by_cap[caps[k]][:]
        rng.shuffle(order)
        for mi in order:
            m = modules[mi]
            p = partners[m.partner]
            if m.capacity is not None or p.capacity is not None or m.partner in banned:
                continue
            if not _serves(m, p, region):
                continue
            if p.min_order_value is not None and m.cost_cents(qty) < p.min_order_value * 100:
                continue
            if all(_plugs(modules[witness[e]], m) for e in after[k]):
                break
        else:
            raise RuntimeError(f"no witness for step {k} of request {index}")  # unreachable
        witness.append(mi)
        banned |= conflicts[m.partner]
        start = max((finish[e] for e in after[k]), default=0)
        finish.append(start + m.duration(qty))
        total_cents += m.cost_cents(qty)
    plan_finish = max(finish)
    used = sorted({modules[mi].partner for mi in witness})

    lines = [f"  - id: req-{index:04d}", f"    customer: Customer {index:04d}"]
    if region is not None:
        lines.append(f"    region: {region}")
    lines.append(f"    quantity: {quantity}")
    if rng.random() < 0.5:
        lines.append(f"    budget: {math.ceil(total_cents * rng.choice((1.5, 2, 3)) / 100)}")
    if rng.random() < 0.5:
        lines.append(f"    deadline: {math.ceil(plan_finish * rng.choice((1.5, 2, 3))) + steps}")
    held = [set(partners[modules[mi].partner].certifications) | set(modules[mi].certifications) for mi in witness]
    common = sorted(set.intersection(*held))
    if common and rng.random() < 0.15:
        lines.append(f"    certifications: [{rng.choice(common)}]")
    if rng.random() < 0.15:
        lowest = min(partners[k].reputation for k in used)
        lines.append(f"    min_reputation: {lowest // 10 / 10}")
    if rng.random() < 0.15:
        lines.append(f"    max_partners: {len(used) + rng.randint(0, 2)}")
    if rng.random() < 0.15:
        spare = sorted(set(range(len(partners))) - set(used))
        if spare:
            picks = sorted(rng.sample(spare, min(len(spare), rng.randint(1, 2))))
            lines.append(f"    exclude: {_flow([partners[k].id for k in picks])}")
    if rng.random() < 0.15:
        picks = sorted(rng.sample(range(len(partners)), min(len(partners), rng.randint(1, 3))))
        lines.append(f"    prefer: {_flow([partners[k].id for k in picks])}")
    if total_requests > 1 and rng.random() < 0.2:
        lines.append(f"    priority: {rng.randint(1, 5)}")
    if rng.random() < 0.3:
        lines.append("    optimize: [cost, time]")
    lines.append("    steps:")
    for k in range(steps):
        m = modules[witness[k]]
        if ids[k] == cap_names[k]:
            lines.append(f"      - capability: {cap_names[k]}")
        else:
            lines.append(f"      - id: {ids[k]}")
            lines.append(f"        capability: {cap_names[k]}")
        if after[k]:
            lines.append(f"        after: {_flow([ids[e] for e in after[k]])}")
        if step_qty[k] is not None:
            lines.append(f"        quantity: {step_qty[k]}")
        step_certs = sorted(set(partners[m.partner].certifications) | set(m.certifications))
        if step_certs and rng.random() < 0.05:
            lines.append(f"        certifications: [{rng.choice(step_certs)}]")
        if rng.random() < 0.05:
            lines.append(f"        partner: {partners[m.partner].id}")
    proof = {
        "cost": total_cents / 100,
        "finish": plan_finish,
        "partners": [partners[k].id for k in used],
        "modules": {ids[k]: modules[mi].id for k, mi in enumerate(witness)},
    }
    return "\n".join(lines) + "\n", proof


def _partner_text(p: Partner, partners: list[Partner], index: int) -> str:
    lines = [f"  - id: {p.id}", f"    name: Partner {index}", f"    region: {p.region}"]
    if p.certifications:
        lines.append(f"    certifications: {_flow(p.certifications)}")
    lines.append(f"    reputation: {p.reputation // 100}.{p.reputation % 100:02d}")
    if p.capacity is not None:
        lines.append(f"    capacity: {p.capacity}")
    if p.min_order_value is not None or p.avoid:
        lines.append("    interests:")
        if p.min_order_value is not None:
            lines.append(f"      min_order_value: {p.min_order_value}")
        if p.avoid:
            lines.append(f"      avoid: {_flow([partners[o].id for o in p.avoid])}")
    return "\n".join(lines) + "\n"


def _module_text(m: Module, partners: list[Partner], cap_width: int) -> str:
    lines = [
        f"  - id: {m.id}",
        f"    partner: {partners[m.partner].id}",
        f"    capability: cap-{m.capability:0{cap_width}d}",
    ]
    if m.inputs is not None:
        lines.append(f"    inputs: {_flow(m.inputs)}")
    lines.append(f"    outputs: {_flow(m.outputs)}")
    if isinstance(m.cost, int):
        lines.append(f"    cost: {_money(m.cost)}")
    else:
        lines.append(f"    cost: {{fixed: {_money(m.cost[0])}, per_unit: {_money(m.cost[1])}}}")
    if isinstance(m.lead, int):
        lines.append(f"    lead_time: {m.lead}")
    else:
        lines.append(f"    lead_time: {{fixed: {m.lead[0]}, per_unit: {_money(m.lead[1])}}}")
    if m.capacity is not None:
        lines.append(f"    capacity: {m.capacity}")
    if m.usage is not None:
        lines.append(f"    usage: {m.usage}")
    if m.regions is not None:
        lines.append("    regions: " + ('["*"]' if m.regions == ("*",) else _flow(m.regions)))
    if m.certifications:
        lines.append(f"    certifications: {_flow(m.certifications)}")
    return "\n".join(lines) + "\n"


def _write_chunks(directory: Path, stem: str, key: str, header: str, texts: list[str], per_file: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # A previous, larger run may have left extra chunks that `include` would pick up.
    for stale in sorted(directory.glob(f"{stem}-*.yaml")):
        stale.unlink()
    for n, begin in enumerate(range(0, len(texts), per_file)):
        body = "".join(texts[begin : begin + per_file])
        (directory / f"{stem}-{n:04d}.yaml").write_text(f"{header}{key}:\n{body}", encoding="utf-8")


def generate(
    outdir: Path,
    modules: int,
    partners: int | None = None,
    capabilities: int | None = None,
    requests: int = 1,
    steps: int = 10,
    seed: int = 1,
    per_file: int = 2000,
    capacities: bool = True,
) -> Path:
    """Write a synthetic network plus feasible requests under `outdir`; return requests.yaml.

    ``capacities=False`` drops every module and partner capacity (all else as drawn): the requests are
    then independent of each other, as for measuring parallel planning.
    """
    if modules < 1 or requests < 0 or steps < 1 or per_file < 1:
        raise ValueError("modules, steps and per_file must be >= 1 and requests >= 0")
    n_partners = partners if partners is not None else max(10, modules // 50)
    # Every capability gets one unconditional module, so there can be no more than modules.
    n_caps = min(modules, capabilities if capabilities is not None else max(10, modules // 100))
    if n_partners < 1 or n_caps < 1:
        raise ValueError("partners and capabilities must be >= 1")
    outdir = Path(outdir)
    rng = Random(seed)
    cap_width = max(4, len(str(n_caps - 1)))
    partner_list = _make_partners(rng, n_partners, max(4, len(str(n_partners - 1))))
    module_list = _make_modules(rng, modules, partner_list, n_caps, (max(6, len(str(modules - 1))), cap_width))
    if not capacities:
        for partner in partner_list:
            partner.capacity = None
        for module in module_list:
            module.capacity = None
    by_cap: list[list[int]] = [[] for _ in range(n_caps)]
    for i, m in enumerate(module_list):
        by_cap[m.capability].append(i)

    args = (
        f"--modules {modules} --partners {n_partners} --capabilities {n_caps} "
        f"--requests {requests} --steps {steps} --seed {seed}" + ("" if capacities else " --no-capacities")
    )
    header = f"# Generated by benchmarks/generate.py {args}\n"
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "network.yaml").write_text(
        f"{header}network:\n"
        f"  name: synthetic-{modules}-s{seed}\n"
        f"  ambition: Synthetic benchmark network with {modules} modules of {n_partners} partners"
        f" over {n_caps} capabilities.\n"
        "include: [partners/, modules/]\n",
        encoding="utf-8",
    )
    _write_chunks(
        outdir / "partners",
        "partners",
        "partners",
        header,
        [_partner_text(p, partner_list, k) for k, p in enumerate(partner_list)],
        per_file,
    )
    _write_chunks(
        outdir / "modules",
        "modules",
        "modules",
        header,
        [_module_text(m, partner_list, cap_width) for m in module_list],
        per_file,
    )
    texts: list[str] = []
    witnesses: dict[str, object] = {}
    # Avoid is symmetric in effect, so a witness must dodge both directions.
    conflicts: list[set[int]] = [set(p.avoid) for p in partner_list]
    for k, p in enumerate(partner_list):
        for o in p.avoid:
            conflicts[o].add(k)
    for k in range(requests):
        text, proof = _make_request(rng, k, partner_list, module_list, by_cap, conflicts, (steps, requests, cap_width))
        texts.append(text)
        witnesses[f"req-{k:04d}"] = proof
    body = "requests:\n" + "".join(texts) if texts else "requests: []\n"
    path = outdir / "requests.yaml"
    path.write_text(f"{header}include: [network.yaml]\n{body}", encoding="utf-8")
    # A known feasible plan per request: an upper bound on the optimum's cost to check against.
    (outdir / "witness.json").write_text(json.dumps(witnesses, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--modules", type=int, required=True)
    parser.add_argument("--partners", type=int, help="default max(10, modules // 50)")
    parser.add_argument("--capabilities", type=int, help="default max(10, modules // 100)")
    parser.add_argument("--requests", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-file", type=int, default=2000, help="modules (and partners) per file")
    parser.add_argument(
        "--no-capacities", action="store_true", help="no module or partner capacity: independent requests"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        path = generate(
            args.outdir,
            args.modules,
            partners=args.partners,
            capabilities=args.capabilities,
            requests=args.requests,
            steps=args.steps,
            seed=args.seed,
            per_file=args.per_file,
            capacities=not args.no_capacities,
        )
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {path} in {time.perf_counter() - began:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
