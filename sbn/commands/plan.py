"""`sbn plan`: load, plan every request, render, write atomically."""

from __future__ import annotations

import difflib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sbn.errors import Diagnostic, ExitCode, InputError, UsageError
from sbn.loader import Network, load_for_plan
from sbn.result import Run
from sbn.yamlread import locate


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
    joint: bool = False,
    optimize: str | None = None,
) -> int:
    criteria = _criteria(optimize, joint)
    if output is not None:
        _check_output(output)
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
    from sbn.planner import Options, plan_run
    from sbn.solver import SolveStatus

    options = Options(
        time_limit=time_limit,
        node_limit=node_limit,
        without=frozenset(without),
        previous=read_previous(previous) if previous is not None else None,
        backups=backups,
        joint=joint,
        optimize=criteria,
    )
    run = plan_run(network, requests, options)
    text = render(network, run, output_format, explain, to_terminal=output is None)
    if text is not None:
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomically(output, text)
    return ExitCode.OK if all(plan.status == SolveStatus.OPTIMAL for plan in run.plans) else ExitCode.NOT_PLANNED


def _criteria(optimize: str | None, joint: bool) -> tuple[str, ...]:
    """The criteria of --optimize (SPEC §7): comma-separated, each known, only with --joint."""
    from sbn.model import CRITERIA

    if optimize is None:
        return ("cost", "time")
    if not joint:
        raise UsageError("--optimize needs --joint: without it each request is planned by its own 'optimize'")
    chosen = tuple(part.strip() for part in optimize.split(",") if part.strip())
    for criterion in chosen:
        if criterion not in CRITERIA:
            raise UsageError(
                _unknown("criterion", criterion, CRITERIA) + f" (in --optimize; one of {', '.join(CRITERIA)})"
            )
    if len(set(chosen)) != len(chosen):
        raise UsageError(f"--optimize {optimize}: a criterion is named twice")
    return chosen


def _unknown(kind: str, name: str, known: Sequence[str] | dict) -> str:  # type: ignore[type-arg]
    message = f"unknown {kind} {name!r}"
    close = difflib.get_close_matches(name, list(known), n=1)
    return message + (f" (did you mean {close[0]!r}?)" if close else "")


def render(network: Network, run: Run, output_format: str, explain: bool, to_terminal: bool) -> str | None:
    """The result as text; a table for a terminal is printed directly (colour only on a terminal)."""
    if output_format == "json":
        from sbn.render.data import render_json

        return render_json(network, run, explain)
    if output_format == "yaml":
        from sbn.render.data import render_yaml

        return render_yaml(network, run, explain)
    if output_format == "markdown":
        from sbn.render.markdown import render_markdown

        return render_markdown(network, run, explain)
    if output_format in ("html", "csv", "ics"):
        return _share(network, run, output_format, explain)
    from io import StringIO

    from rich.console import Console

    from sbn.render.table import render_table

    if to_terminal:
        render_table(Console(highlight=False), network, run, explain)
        return None
    buffer = StringIO()
    render_table(
        Console(file=buffer, highlight=False, no_color=True, width=160, force_terminal=False), network, run, explain
    )
    return buffer.getvalue()


def _share(network: Network, run: Run, output_format: str, explain: bool) -> str:
    """The formats for sharing beyond the network, rendered from the plan document alone."""
    from sbn.render.document import shared_document

    document = shared_document(network, run, explain)
    if output_format == "html":
        from sbn.render.html import render_html

        return render_html(document)
    if output_format == "csv":
        from sbn.render.csv import render_csv

        return render_csv(document)
    from sbn.render.ics import events, render_ics

    if next(events(document), None) is None:
        sys.stderr.write("sbn: note: no assignment has dates (give the requests a start date): the calendar is empty\n")
    return render_ics(document)


def _check_output(path: Path) -> None:
    """Refuse an --output that cannot be written before any planning is done."""
    if path.is_dir():
        raise UsageError(f"--output {path} is a directory: give a file name, e.g. {path / 'plan.json'}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: directory {parent} does not exist")


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside the target, then rename: never a half-written file.

    A symlink is followed (the file it points at is replaced, the link stays). A target that is
    not a regular file (a FIFO, /dev/null, /dev/stdout) cannot be replaced and is written to
    directly. The file gets the mode the target had, or the usual one for a new file (0666 less
    the umask), not the temporary file's 0600.
    """
    target = Path(os.path.realpath(path))
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        return
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_previous(path: Path) -> dict[str, dict[str, str]]:
    """Step -> module per request from an earlier `sbn.plan/v1` JSON output, checked for its shape."""
    name = str(path)
    if not path.exists():
        raise UsageError(f"--from {name}: no such file or directory")
    if path.is_dir():
        raise UsageError(f"--from {name} is a directory: give an earlier plan's JSON file")
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is read past.
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"--from {name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError([Diagnostic(name, line, 1, "invalid JSON: not UTF-8 text")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Diagnostic(name, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]) from None
    except RecursionError:
        line, column = _too_deep(text)
        raise InputError([Diagnostic(name, line, column, "invalid JSON: nested too deeply")]) from None
    if not isinstance(data, dict) or data.get("schema") != "sbn.plan/v1" or not isinstance(data.get("plans"), list):
        raise InputError(
            [Diagnostic(name, 1, 1, "not an sbn plan: expected a JSON object with schema 'sbn.plan/v1' and plans")]
        )
    previous: dict[str, dict[str, str]] = {}
    seen: dict[str, int] = {}
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for i, plan in enumerate(data["plans"]):
        where: tuple[str | int, ...] = ("plans", i)
        if not isinstance(plan, dict):
            problems.append((where, f"a plan must be an object, got {_json_kind(plan)}"))
            continue
        request = _string_field(plan, "request", where, problems)
        assignments = plan.get("assignments", [])
        if not isinstance(assignments, list):
            problems.append(((*where, "assignments"), f"'assignments' must be a list, got {_json_kind(assignments)}"))
            continue
        steps: dict[str, str] = {}
        for j, assignment in enumerate(assignments):
            at = (*where, "assignments", j)
            if not isinstance(assignment, dict):
                problems.append((at, f"an assignment must be an object, got {_json_kind(assignment)}"))
                continue
            step = _string_field(assignment, "step", at, problems)
            module = _string_field(assignment, "module", at, problems)
            if step is not None and step in steps:
                problems.append(((*at, "step"), f"step {step!r} appears twice in this plan"))
            elif step is not None and module is not None:
                steps[step] = module
        if request is not None and request in seen:
            problems.append(
                ((*where, "request"), f"request {request!r} appears twice (first in plan {seen[request] + 1})")
            )
        elif request is not None:
            seen[request] = i
            previous[request] = steps
    if problems:
        root = _json_nodes(name, text)
        raise InputError([Diagnostic(name, *locate(root, where), message) for where, message in problems[:100]])
    return previous


def _string_field(
    data: dict[str, Any], key: str, where: tuple[str | int, ...], problems: list[tuple[tuple[str | int, ...], str]]
) -> str | None:
    value = data.get(key)
    if isinstance(value, str):
        return value
    if key not in data:
        problems.append((where, f"missing '{key}'"))
    else:
        problems.append(((*where, key), f"'{key}' must be a string, got {_json_kind(value)}"))
    return None


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return "a list" if isinstance(value, list) else "an object"


def _json_nodes(name: str, text: str) -> Any:
    """The JSON as YAML nodes (JSON is YAML), only to tell where a problem is; None if that fails."""
    from sbn.yamlread import Source, compose

    try:
        return compose(Source(name, text))
    except Exception:  # positions are a courtesy: the problem is reported at 1:1 instead
        return None


def _too_deep(text: str) -> tuple[int, int]:
    """Line and column of the first bracket beyond the depth Python's JSON reader can follow."""
    depth, inside, escaped, line, start = 0, False, False, 1, 0
    limit = sys.getrecursionlimit() // 2
    for index, char in enumerate(text):
        if inside:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                inside = False
        elif char == '"':
            inside = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return line, index - start + 1
        elif char in "]}":
            depth -= 1
        if char == "\n":
            line, start = line + 1, index + 1
    return 1, 1
