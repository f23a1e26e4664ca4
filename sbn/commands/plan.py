"""`sbn plan`: load, plan every request, render, write atomically."""

from __future__ import annotations

import difflib
import json
import os
import re
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from sbn.errors import Diagnostic, InputError, Terminated, UsageError
from sbn.loader import MAX_SUGGESTED_LENGTH, Network, load_for_plan
from sbn.sources import Identity, SourceError, identity, read_file, reason
from sbn.text import quote, shown_path
from sbn.yamlread import locate


def run_plan(
    *,
    files: Sequence[str],
    networks: Sequence[str],
    request_ids: Sequence[str],
    output_format: str,
    output: str | Path | None,
    time_limit: float,
    explain: bool,
    node_limit: int | None = None,
    without: Sequence[str],
    previous: Path | None,
    backups: bool,
    allow_outside: Sequence[str] = (),
) -> int:
    if output is not None:
        output = _check_output(str(output))
    network, requests = load_for_plan(files, networks, allow_outside=allow_outside)
    earlier = read_previous(previous) if previous is not None else None
    if output is not None:
        _refuse_input_as_output(output, network.inputs | ({earlier[1]} if earlier is not None else set()))
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
        previous=earlier[0] if earlier is not None else None,
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
    message = f"unknown {kind} {quote(name)}"
    close = difflib.get_close_matches(name, list(known), n=1) if len(name) <= MAX_SUGGESTED_LENGTH else []
    return message + (f" (did you mean {quote(close[0])}?)" if close else "")


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


def _check_output(raw: str) -> Path:
    """Refuse an --output that cannot be written before any planning is done."""
    path = Path(raw)
    shown = shown_path(raw)
    existing = _stat_or_none(raw, f"--output {shown}")
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise UsageError(f"--output {shown} is a directory: give a file name, e.g. {shown_path(path / 'plan.json')}")
    if raw.endswith(("/", os.sep)):
        raise UsageError(f"--output {shown}: directory {shown} does not exist; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    folder = _stat_or_none(str(parent), f"--output {shown}")
    if folder is None or not stat.S_ISDIR(folder.st_mode):
        raise UsageError(f"cannot write {shown}: directory {shown_path(parent)} does not exist")
    if (
        existing is not None
        and stat.S_ISREG(existing.st_mode)
        and (not os.access(path, os.W_OK) or not existing.st_mode & 0o222)
    ):
        # Replacing it by rename would succeed in a writable folder: the file's own mode is honoured instead.
        raise UsageError(f"--output {shown} is read-only: not replaced")
    return path


def _stat_or_none(path: str, what: str) -> os.stat_result | None:
    """What ``path`` leads to, None when nothing; any other failure (a name too long) is a usage error."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise UsageError(f"{what}: {reason(exc).lower()}") from None


def _refuse_input_as_output(output: Path, inputs: Set[Identity]) -> None:
    """--output may not be any file that was read: the request the user wrote must never be replaced by its plan."""
    target = identity(output)
    if target is not None and target in inputs:
        raise UsageError(
            f"--output {shown_path(output)} is one of the input files: not overwritten; give another file name"
        )


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
        raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
        return
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with _terminated_raises():
        try:
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as exc:
            raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


@contextmanager
def _terminated_raises() -> Iterator[None]:
    """While the temporary file exists, SIGTERM raises Terminated, so that the file is removed before sbn ends."""

    def terminated(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: signals cannot be caught here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def read_previous(path: Path) -> tuple[dict[str, dict[str, str]], Identity]:
    """Step -> module per request from an earlier `sbn.plan/v1` JSON output, checked for its shape; and its identity."""
    name = str(path)
    shown = shown_path(name)
    try:
        is_directory = stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError) as exc:
        why = reason(exc).lower() if isinstance(exc, OSError) else "the name holds a NUL character"
        raise UsageError(f"--from {shown}: {why}") from None
    if is_directory:
        raise UsageError(f"--from {shown} is a directory: give an earlier plan's JSON file")
    try:
        raw, read = read_file(path)
    except SourceError as exc:
        raise UsageError(f"--from {shown}: {exc}") from None
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is read past.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Diagnostic(name, line, 1, "invalid JSON: not UTF-8 text")]) from None
    try:
        # Numbers are not used, only checked for being numbers: as decimals any length reads in linear time.
        data = json.loads(text, parse_int=Decimal, parse_float=Decimal)
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
                problems.append(((*at, "step"), f"step {quote(step)} appears twice in this plan"))
            elif step is not None and module is not None:
                steps[step] = module
        if request is not None and request in seen:
            problems.append(
                ((*where, "request"), f"request {quote(request)} appears twice (first in plan {seen[request] + 1})")
            )
        elif request is not None:
            seen[request] = i
            previous[request] = steps
    if problems:
        root = _json_nodes(name, text)
        # Every problem, so that the report can say how many are not shown.
        raise InputError([Diagnostic(name, *locate(root, where), message) for where, message in problems])
    return previous, read


def _string_field(
    data: dict[str, Any], key: str, where: tuple[str | int, ...], problems: list[tuple[tuple[str | int, ...], str]]
) -> str | None:
    value = data.get(key)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(((*where, key), f"'{key}' holds a lone surrogate, which is not text: {quote(value)}"))
            return None
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
    if isinstance(value, int | float | Decimal):
        return f"the number {quote(value, bare=True)}"
    if isinstance(value, str):
        return f"the string {quote(value)}"
    return "a list" if isinstance(value, list) else "an object"


def _json_nodes(name: str, text: str) -> Any:
    """The JSON as YAML nodes (JSON is YAML), only to tell where a problem is; None if that fails."""
    from sbn.yamlread import Source, compose

    # YAML refuses the escape of a lone surrogate that JSON allows: one as long takes its place.
    text = _SURROGATE_ESCAPE.sub(r"\1\\u0020", text)
    try:
        return compose(Source(name, text))
    except Exception:  # positions are a courtesy: the problem is reported at 1:1 instead
        return None


_SURROGATE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


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
