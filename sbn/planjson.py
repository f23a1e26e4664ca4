"""Reading earlier `sbn.plan/v1` JSON (for `plan --from` and `diff`): every bad shape reported at file:line:col."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sbn.errors import Diagnostic, InputError, UsageError
from sbn.sources import SourceError, read_file, reason
from sbn.text import quote, shown_path
from sbn.yamlread import locate

Where = tuple[str | int, ...]
# A field's check: None when the value is acceptable, else what was expected ("a string").
Check = Callable[[Any], str | None]


def string(value: Any) -> str | None:
    return None if isinstance(value, str) else "a string"


def number_or_null(value: Any) -> str | None:
    ok = value is None or (isinstance(value, int | Decimal) and not isinstance(value, bool))
    return None if ok else "a number or null"


def number(value: Any) -> str | None:
    return None if value is not None and number_or_null(value) is None else "a number"


def whole_or_null(value: Any) -> str | None:
    return (
        None if value is None or (isinstance(value, int) and not isinstance(value, bool)) else "a whole number or null"
    )


def whole(value: Any) -> str | None:
    return None if value is not None and whole_or_null(value) is None else "a whole number"


def positive(value: Any) -> str | None:
    return None if number(value) is None and value > 0 else "a number above 0"


def time_point(value: Any) -> str | None:
    """A start or finish of a plan: a whole number of time units from its time 0, never before it."""
    return None if whole(value) is None and value >= 0 else "a whole number, 0 or more"


def date_or_null(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return "a date like 2027-03-01"
        return None
    return "a date like 2027-03-01 or null"


@dataclass(frozen=True)
class Shape:
    """The fields a reader needs of each plan and each of its assignments (others are ignored)."""

    plan: Mapping[str, Check]
    assignment: Mapping[str, Check]
    optional: frozenset[str] = frozenset()  # fields that may be left out (read as None)
    ordered: tuple[str, str] | None = None  # two assignment fields, the second never below the first


@dataclass(frozen=True)
class PlanRecord:
    """One plan of the document: its fields as read (numbers as exact Decimals) and its assignments by step."""

    fields: dict[str, Any]
    assignments: dict[str, dict[str, Any]]  # step id -> assignment, in document order


def read_plans(
    path: Path, shape: Shape, label: str = "", earlier: Mapping[str, str] | None = None
) -> dict[str, PlanRecord]:
    """Request id -> plan, in document order, from an `sbn.plan/v1` file; InputError naming every bad place.

    A request may appear once, a step once in its plan; `assignments` may be left out (no steps).
    ``label`` names the option the file came with in usage errors (``--from``). ``earlier`` maps the requests
    of files read before this one (for the same option) to their file: none may appear again.
    """
    name = str(path)
    text = _read_text(path, f"{label} " if label else "")
    try:
        # Exact numbers: a cost of 0.1 + 0.2 compares as written, never as binary floats. A whole
        # number too long for int() (4,300 digits) stays a Decimal: no check takes it for a whole one.
        data = json.loads(text, parse_float=Decimal, parse_int=_whole_number)
    except json.JSONDecodeError as exc:
        raise InputError([Diagnostic(name, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]) from None
    except RecursionError:
        line, column = _too_deep(text)
        raise InputError([Diagnostic(name, line, column, "invalid JSON: nested too deeply")]) from None
    if not isinstance(data, dict) or data.get("schema") != "sbn.plan/v1" or not isinstance(data.get("plans"), list):
        raise InputError(
            [Diagnostic(name, 1, 1, "not an sbn plan: expected a JSON object with schema 'sbn.plan/v1' and plans")]
        )
    plans: dict[str, PlanRecord] = {}
    seen: dict[str, int] = {}
    problems: list[tuple[Where, str]] = []
    for i, plan in enumerate(data["plans"]):
        where: Where = ("plans", i)
        if not isinstance(plan, dict):
            problems.append((where, f"a plan must be an object, got {json_kind(plan)}"))
            continue
        request = _field(plan, "request", string, where, problems)
        fields = _fields(plan, shape.plan, where, problems, shape.optional)
        assignments = plan.get("assignments", [])
        if not isinstance(assignments, list):
            problems.append(((*where, "assignments"), f"'assignments' must be a list, got {json_kind(assignments)}"))
            continue
        steps: dict[str, dict[str, Any]] = {}
        for j, assignment in enumerate(assignments):
            at = (*where, "assignments", j)
            if not isinstance(assignment, dict):
                problems.append((at, f"an assignment must be an object, got {json_kind(assignment)}"))
                continue
            step = _field(assignment, "step", string, at, problems)
            values = _fields(assignment, shape.assignment, at, problems, shape.optional)
            if values is not None and shape.ordered and values[shape.ordered[1]] < values[shape.ordered[0]]:
                first, then = shape.ordered
                problems.append(((*at, then), f"'{then}' must not be before '{first}'"))
                values = None
            if step is not None and step in steps:
                problems.append(((*at, "step"), f"step {quote(step)} appears twice in this plan"))
            elif step is not None and values is not None:
                steps[step] = values
        if request is not None and request in seen:
            problems.append(
                ((*where, "request"), f"request {quote(request)} appears twice (first in plan {seen[request] + 1})")
            )
        elif request is not None and earlier is not None and request in earlier:
            text = f"request {quote(request)} is committed twice: also in {earlier[request]}"
            problems.append(((*where, "request"), text))
        elif request is not None and fields is not None:
            seen[request] = i
            plans[request] = PlanRecord(fields, steps)
    if problems:
        root = _json_nodes(name, text)
        # Every problem, so that the report can say how many are not shown.
        raise InputError([Diagnostic(name, *locate(root, where), message) for where, message in problems])
    return plans


def _read_text(path: Path, label: str) -> str:
    """The file's text, read as every input is (sbn.sources: a regular file, bounded)."""
    name = str(path)
    shown = shown_path(name)
    try:
        is_directory = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError as exc:
        raise UsageError(f"{label}{shown}: {reason(exc).lower()}") from None
    if is_directory:
        raise UsageError(f"{label}{shown} is a directory: give an earlier plan's JSON file")
    try:
        raw, _ = read_file(path)
    except SourceError as exc:
        raise UsageError(f"{label}{shown}: {exc}") from None
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is read past.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Diagnostic(name, line, 1, "invalid JSON: not UTF-8 text")]) from None


def _whole_number(text: str) -> int | Decimal:
    return int(text) if len(text) <= 1000 else Decimal(text)


def _fields(
    data: dict[str, Any],
    checks: Mapping[str, Check],
    where: Where,
    problems: list[tuple[Where, str]],
    optional: frozenset[str] = frozenset(),
) -> dict[str, Any] | None:
    """The fields ``checks`` names, each checked; None when one is missing (unless optional) or of the wrong kind."""
    before = len(problems)
    values = {
        key: None if key in optional and key not in data else _field(data, key, check, where, problems)
        for key, check in checks.items()
    }
    return values if len(problems) == before else None


def _field(data: dict[str, Any], key: str, check: Check, where: Where, problems: list[tuple[Where, str]]) -> Any:
    if key not in data:
        problems.append((where, f"missing '{key}'"))
        return None
    value = data[key]
    expected = check(value)
    if expected is not None:
        problems.append(((*where, key), f"'{key}' must be {expected}, got {json_kind(value)}"))
        return None
    if isinstance(value, str) and not _is_text(value):
        # JSON may escape half a surrogate pair; no output could write it back.
        problems.append(((*where, key), f"'{key}' holds a lone surrogate, which is not text: {quote(value)}"))
        return None
    return value


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return f"the number {quote(value, bare=True)}"
    if isinstance(value, str):
        return f"the string {quote(value)}"
    return "a list" if isinstance(value, list) else "an object"


def field_error(path: Path, request: str, step: str, field: str, message: str) -> InputError:
    """An error at an assignment's field of a plans file read before (request and step ids name it)."""
    name = str(path)
    text = _read_text(path, "")
    where: Where = ()
    try:
        data = json.loads(text, parse_float=Decimal)
        i = next(i for i, plan in enumerate(data["plans"]) if plan.get("request") == request)
        j = next(j for j, a in enumerate(data["plans"][i]["assignments"]) if a.get("step") == step)
        where = ("plans", i, "assignments", j, field)
    except (ValueError, KeyError, TypeError, AttributeError, StopIteration):
        pass  # changed since it was read: the file's start stands for the place
    return InputError([Diagnostic(name, *locate(_json_nodes(name, text), where), message)])


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
