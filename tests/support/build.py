"""Build small networks in Python, write them as YAML and plan them, the way a user would.

Numbers given as ``Number`` or ``Decimal`` are written exactly as their text (``0.1`` stays ``0.1``);
strings YAML would read as something else are quoted, so ``NO`` stays a region and ``0012`` an id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from sbn.cli import main
from sbn.loader import Network, load_network
from sbn.planner import Options, plan_run
from sbn.render.data import plan_data
from sbn.result import Run


class Number(str):
    """A number written as a plain YAML scalar, exactly as given."""


class _Dumper(yaml.SafeDumper):
    pass


def _plain_number(dumper: yaml.SafeDumper, value: object) -> yaml.ScalarNode:
    """A plain scalar with the tag YAML would resolve it to, so no explicit `!!float` is written."""
    text = repr(value) if isinstance(value, float) else str(value)
    tag = "int" if re.fullmatch(r"[-+]?[0-9]+", text) else "float"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{tag}", text)


for _kind in (Number, Decimal, float):
    _Dumper.add_representer(_kind, _plain_number)


def partner(partner_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": partner_id, **fields}


def module(module_id: str, partner_id: str, capability: str, **fields: Any) -> dict[str, Any]:
    return {"id": module_id, "partner": partner_id, "capability": capability, **fields}


def step(step_id: str, capability: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": step_id, "capability": capability or step_id, **fields}


def request(request_id: str, *steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": request_id, **fields, "steps": list(steps)}


@dataclass
class Doc:
    """The content of one input file."""

    partners: Sequence[dict[str, Any]] = ()
    modules: Sequence[dict[str, Any]] = ()
    requests: Sequence[dict[str, Any]] = ()
    network: dict[str, Any] | None = None
    resources: Sequence[dict[str, Any]] = ()

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.network is not None:
            data["network"] = self.network
        for key in ("partners", "resources", "modules", "requests"):
            items = list(getattr(self, key))
            if items:
                data[key] = items
        return data

    def text(self) -> str:
        return yaml.dump(self.data(), Dumper=_Dumper, sort_keys=False, default_style=None, allow_unicode=True)


def write(directory: Path, doc: Doc, name: str = "network.yaml") -> Path:
    path = directory / name
    path.write_text(doc.text(), encoding="utf-8")
    return path


def load(directory: Path, doc: Doc) -> Network:
    return load_network([str(write(directory, doc))])


def plan(
    directory: Path,
    doc: Doc,
    *,
    without: Iterable[str] = (),
    previous: dict[str, dict[str, str]] | None = None,
    backups: bool = False,
    time_limit: float = 30.0,
    direct: bool = True,
    ahead: bool = True,
) -> tuple[Network, Run]:
    """Plan every request of the document in the library, as `sbn plan` does.

    ``direct=False``: always through the engine; ``ahead=False``: no request prepared while another is solved.
    """
    network = load(directory, doc)
    options = Options(
        time_limit=time_limit,
        without=frozenset(without),
        previous=previous,
        backups=backups,
        direct=direct,
        ahead=ahead,
    )
    return network, plan_run(network, list(network.requests), options)


def plan_dict(directory: Path, doc: Doc, explain: bool = False, **options: Any) -> dict[str, Any]:
    """The `sbn.plan/v1` data of planning the document in the library (with --explain's rejected lists)."""
    network, run = plan(directory, doc, **options)
    return json.loads(json.dumps(plan_data(network, run, explain=explain)))


def run_cli(directory: Path, doc: Doc, *args: str, name: str = "network.yaml") -> tuple[int, dict[str, Any] | None]:
    """Run `sbn plan FILE --format json ARGS` and return its exit code and parsed output."""
    path = write(directory, doc, name)
    output = directory / f"{path.stem}.plan.json"
    output.unlink(missing_ok=True)
    code = main(["plan", str(path), "--format", "json", "--output", str(output), *args])
    if not output.exists():
        return code, None
    return code, json.loads(output.read_text(encoding="utf-8"))


def cli_bytes(directory: Path, doc: Doc, *args: str, name: str = "network.yaml") -> bytes:
    path = write(directory, doc, name)
    output = directory / f"{path.stem}.plan.json"
    main(["plan", str(path), "--format", "json", "--output", str(output), *args])
    return output.read_bytes()


def only_plan(data: dict[str, Any]) -> dict[str, Any]:
    (single,) = data["plans"]
    return single


def plan_of(data: dict[str, Any], request_id: str) -> dict[str, Any]:
    return next(p for p in data["plans"] if p["request"] == request_id)


def modules_of(plan_entry: dict[str, Any]) -> dict[str, str]:
    """Step -> module of one plan in `sbn.plan/v1` data."""
    return {a["step"]: a["module"] for a in plan_entry["assignments"]}


def assignment(plan_entry: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(a for a in plan_entry["assignments"] if a["step"] == step_id)
