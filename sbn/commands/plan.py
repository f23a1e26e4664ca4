"""`sbn plan`: load, plan every request, render, write atomically."""

from __future__ import annotations

import difflib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sbn.errors import Diagnostic, InputError, UsageError
from sbn.loader import Network, load_for_plan


def run_plan(
    *,
    files: Sequence[str],
    networks: Sequence[str],
    request_ids: Sequence[str],
    output_format: str,
    output: Path | None,
    time_limit: float,
    explain: bool,
    node_limit: int | None = None,
    without: Sequence[str],
    previous: Path | None,
    backups: bool,
) -> int:
    network, requests = load_for_plan(files, networks)
    for diagnostic in network.warnings:
        sys.stderr.write(diagnostic.render() + "\n")
    for partner_id in without:
        if partner_id not in network.partners:
            raise UsageError(_unknown("partner", partner_id, network.partners) + " (in --without)")
    if request_ids:
        known = {request.id: request for request in requests}
        for request_id in request_ids:
            if request_id not in known:
                raise UsageError(_unknown("request", request_id, known) + " (in --request)")
        chosen = set(request_ids)
        requests = [request for request in requests if request.id in chosen]
    if not requests:
        raise UsageError("no requests to plan in the files given")
    from sbn.planner import Options, plan_requests

    options = Options(
        time_limit=time_limit,
        node_limit=node_limit,
        without=frozenset(without),
        previous=read_previous(previous) if previous is not None else None,
        backups=backups,
    )
    plans = plan_requests(network, requests, options)
    text = render(network, plans, output_format, explain, to_terminal=output is None)
    if text is not None:
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomically(output, text)
    return 0 if all(plan.planned and plan.status.value == "optimal" for plan in plans) else 1


def _unknown(kind: str, name: str, known: Sequence[str] | dict) -> str:  # type: ignore[type-arg]
    message = f"unknown {kind} {name!r}"
    close = difflib.get_close_matches(name, list(known), n=1)
    return message + (f" (did you mean {close[0]!r}?)" if close else "")


def render(network: Network, plans: list, output_format: str, explain: bool, to_terminal: bool) -> str | None:  # type: ignore[type-arg]
    """The result as text; a table for a terminal is printed directly (colour only on a terminal)."""
    if output_format == "json":
        from sbn.render.data import render_json

        return render_json(network, plans, explain)
    if output_format == "yaml":
        from sbn.render.data import render_yaml

        return render_yaml(network, plans, explain)
    if output_format == "markdown":
        from sbn.render.markdown import render_markdown

        return render_markdown(network, plans, explain)
    from io import StringIO

    from rich.console import Console

    from sbn.render.table import render_table

    if to_terminal:
        render_table(Console(highlight=False), network, plans, explain)
        return None
    buffer = StringIO()
    render_table(
        Console(file=buffer, highlight=False, no_color=True, width=160, force_terminal=False), network, plans, explain
    )
    return buffer.getvalue()


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside the target, then rename: never a half-written file."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_previous(path: Path) -> dict[str, dict[str, str]]:
    """Step -> module per request from an earlier `sbn.plan/v1` JSON output."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Diagnostic(name, 1, 1, f"cannot read previous plan: {exc}")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Diagnostic(name, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]) from None
    if not isinstance(data, dict) or data.get("schema") != "sbn.plan/v1" or not isinstance(data.get("plans"), list):
        raise InputError(
            [Diagnostic(name, 1, 1, "not an sbn plan: expected a JSON object with schema 'sbn.plan/v1' and plans")]
        )
    previous: dict[str, dict[str, str]] = {}
    for plan in data["plans"]:
        if not isinstance(plan, dict) or not isinstance(plan.get("request"), str):
            continue
        steps = previous.setdefault(plan["request"], {})
        for assignment in plan.get("assignments") or []:
            if (
                isinstance(assignment, dict)
                and isinstance(assignment.get("step"), str)
                and isinstance(assignment.get("module"), str)
            ):
                steps[assignment["step"]] = assignment["module"]
    return previous
