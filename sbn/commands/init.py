"""`sbn init`: a small working network to start from, written without overwriting anything."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sbn.errors import UsageError
from sbn.text import shown_path

MODELINE = "# yaml-language-server: $schema={}sbn.schema.json\n"

NETWORK = """\
# The network: who it is, and which files hold its partners and modules.
# Check it with `sbn validate .`, plan with `sbn plan requests.yaml`.

network:
  name: my-network
  ambition: >-
    Say here what the partners achieve together that none of them could alone.
  currency: EUR
  time_unit: day

include:
  - partners.yaml
  - modules/
"""

PARTNERS = """\
# Partners: the organisations of the network. Their modules are in modules/.

partners:
  - id: acme-workshop
    name: Acme Workshop
    region: NL
    certifications: [iso9001]
    reputation: 0.8

  - id: swift-couriers
    name: Swift Couriers
    region: NL
    reputation: 0.7
    capacity: 500          # work units per planning run, shared by its modules

  - id: city-bikes
    name: City Bikes Delivery
    region: NL
    reputation: 0.9
"""

MAKING = """\
# Modules that make the product. A module plugs after another when one of the
# other's outputs is among its inputs (no inputs: it takes anything).

modules:
  - id: acme-build
    partner: acme-workshop
    capability: assembly
    outputs: [assembled-product]
    cost: {fixed: 200, per_unit: 15}     # cost(q) = fixed + per_unit × q
    lead_time: {fixed: 2, per_unit: 0.1} # days, rounded up
"""

DELIVERY = """\
# Modules that bring the product to the customer.

modules:
  - id: swift-van
    partner: swift-couriers
    capability: delivery
    inputs: [assembled-product]
    outputs: [delivered-product]
    cost: {per_unit: 4.5}
    lead_time: 1
    regions: [NL, BE]

  - id: city-cargo-bike
    partner: city-bikes
    capability: delivery
    inputs: [assembled-product]
    outputs: [delivered-product]
    cost: {fixed: 50, per_unit: 3}
    lead_time: 2
"""

REQUESTS = """\
# Requests: a customer's job split into steps. `sbn plan requests.yaml` plans them.

include:
  - network.yaml

requests:
  - id: first-order
    customer: A first customer
    region: NL
    quantity: 20
    deadline: 10
    budget: 1000
    steps:
      - id: build
        capability: assembly
      - id: deliver
        capability: delivery
        after: [build]
"""


def files() -> dict[str, str]:
    """Relative path -> content of every file init writes."""
    from sbn.commands.schema import render_schema

    return {
        "network.yaml": MODELINE.format("") + NETWORK,
        "partners.yaml": MODELINE.format("") + PARTNERS,
        "modules/making.yaml": MODELINE.format("../") + MAKING,
        "modules/delivery.yaml": MODELINE.format("../") + DELIVERY,
        "requests.yaml": MODELINE.format("") + REQUESTS,
        # The schema the modelines point at, so that editors check the files offline.
        "sbn.schema.json": render_schema(),
    }


def run_init(directory: str) -> int:
    root = Path(directory)
    shown = shown_path(directory)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{shown} is not a directory")
    contents = files()
    # A folder of DIR that is a link elsewhere would have the files written there: refused, like a file.
    inside = os.path.realpath(root)
    for name in contents:
        folder = os.path.realpath((root / name).parent)
        if folder != inside and not folder.startswith(inside.rstrip(os.sep) + os.sep):
            raise UsageError(
                f"{shown_path(root / name)}: its folder leads outside {shown}; sbn init writes only in DIR"
            )
    # Every target is checked before any is written: a refusal leaves the directory as it was.
    existing = [name for name in contents if (root / name).exists() or (root / name).is_symlink()]
    if existing:
        listed = ", ".join(shown_path(root / name) for name in existing)
        raise UsageError(f"{listed} already exist{'s' if len(existing) == 1 else ''}; sbn init never overwrites a file")
    try:
        for name, text in contents.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "x", encoding="utf-8") as stream:  # "x": never replaces a file made meanwhile
                stream.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write in {shown}: {exc.strerror or exc}") from None
    for name in contents:
        sys.stdout.write(f"wrote {root / name}\n")
    requests = root / "requests.yaml"
    sys.stdout.write(f"next: sbn validate {root}  and  sbn plan {requests}\n")
    return 0
