"""`sbn validate`: check files and report every problem at once."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from sbn.errors import Diagnostic, InputError
from sbn.loader import MAX_REPORTED, load_units
from sbn.text import escape, safe_json


def print_diagnostics(diagnostics: Sequence[Diagnostic], output_format: str = "text") -> None:
    """Diagnostics as text on standard error (or GitHub annotations on standard output)."""
    shown = list(diagnostics[:MAX_REPORTED])
    rest = len(diagnostics) - len(shown)
    if output_format == "github":
        lines = [github_annotation(d) for d in shown]
        stream = sys.stdout
    else:
        lines = [d.render() for d in shown]
        stream = sys.stderr
    if rest:
        lines.append(f"... and {rest} more problem{'s' if rest != 1 else ''} not shown")
    if lines:
        stream.write("\n".join(lines) + "\n")


def github_annotation(diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command, escaped as GitHub requires."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    level = "error" if diagnostic.severity == "error" else "warning"
    return (
        f"::{level} file={prop(diagnostic.file)},line={diagnostic.line},col={diagnostic.column}::"
        f"{data(diagnostic.message)}"
    )


def run_validate(paths: Sequence[str], output_format: str, allow_outside: Sequence[str] = ()) -> int:
    diagnostics: list[Diagnostic] = []
    summaries = []
    for unit in load_units(paths, allow_outside=allow_outside):
        if isinstance(unit, InputError):
            diagnostics.extend(unit.diagnostics)
        else:
            diagnostics.extend(unit.warnings)
            summaries.append(unit)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    if output_format == "json":
        payload = [
            {"file": d.file, "line": d.line, "column": d.column, "severity": d.severity, "message": d.message}
            for d in diagnostics
        ]
        sys.stdout.write(safe_json(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n")
    else:
        print_diagnostics(diagnostics, output_format)
        if errors:
            sys.stderr.write(f"{_count(errors, 'error')}, {_count(warnings, 'warning')}\n")
        else:
            for network in summaries:
                name = escape(network.info.name) if network.info.name else "(unnamed network)"
                sys.stdout.write(
                    f"{name}: valid: {_count(len(network.files), 'file')}, {_count(len(network.partners), 'partner')}, "
                    f"{_count(len(network.modules), 'module')}, {_count(len(network.requests), 'request')}"
                    + (f", {_count(len(network.warnings), 'warning')}" if network.warnings else "")
                    + "\n"
                )
            if len(summaries) > 1:
                sys.stderr.write(
                    f"note: {len(summaries)} networks, each checked on its own; "
                    "sbn plan reads all its files as one network, so give it one network's files\n"
                )
    return 2 if errors else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
