"""`sbn validate`: check files and report every problem at once."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sbn.errors import Diagnostic, ExitCode, InputError
from sbn.loader import MAX_REPORTED, Network, load_units
from sbn.sources import STDIN, walk
from sbn.text import escape, safe_json
from sbn.yamlread import display_name


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

    level = {"error": "error", "note": "notice"}.get(diagnostic.severity, "warning")
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
    # What left input unread comes first, in whichever network it is (the sort is stable).
    diagnostics.sort(key=lambda d: not d.unread)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    notes = sum(1 for d in diagnostics if d.severity == "note")
    warnings = len(diagnostics) - errors - notes
    if output_format == "junit":
        sys.stdout.write(junit_report(_checked_files(paths, summaries, diagnostics), diagnostics))
    elif output_format == "json":
        payload = [
            {"file": d.file, "line": d.line, "column": d.column, "severity": d.severity, "message": d.message}
            for d in diagnostics
        ]
        sys.stdout.write(safe_json(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n")
    else:
        print_diagnostics(diagnostics, output_format)
        if errors:
            noted = f", {_count(notes, 'note')}" if notes else ""
            sys.stderr.write(f"{_count(errors, 'error')}, {_count(warnings, 'warning')}{noted}\n")
        else:
            for network in summaries:
                name = escape(network.info.name) if network.info.name else "(unnamed network)"
                in_notes = sum(1 for d in network.warnings if d.severity == "note")
                warned = len(network.warnings) - in_notes
                sys.stdout.write(
                    f"{name}: valid: {_count(len(network.files), 'file')}, {_count(len(network.partners), 'partner')}, "
                    f"{_count(len(network.modules), 'module')}, {_count(len(network.requests), 'request')}"
                    + (f", {_count(warned, 'warning')}" if warned else "")
                    + (f", {_count(in_notes, 'note')}" if in_notes else "")
                    + "\n"
                )
            if len(summaries) > 1:
                sys.stderr.write(
                    f"note: {len(summaries)} networks, each checked on its own; "
                    "sbn plan reads all its files as one network, so give it one network's files\n"
                )
    return ExitCode.INPUT if errors else ExitCode.OK


def _checked_files(
    paths: Sequence[str], networks: Sequence[Network[Any]], diagnostics: Sequence[Diagnostic]
) -> list[str]:
    """Every file checked, as diagnostics name it: those given, those valid networks read, those with problems."""
    names: list[str] = []
    for raw in paths:
        if raw == STDIN:
            names.append("<stdin>")
        elif Path(raw).is_dir():
            names += [escape(display_name(path)) for path in walk(Path(raw)).files]
        else:
            names.append(escape(display_name(Path(raw))))
    for network in networks:
        names += [escape(name) for name in network.files]  # as diagnostics name them
    names += [d.file for d in diagnostics]
    return list(dict.fromkeys(names))


def junit_report(files: Sequence[str], diagnostics: Sequence[Diagnostic]) -> str:
    """JUnit XML for CI systems: one testcase per file, failing with its errors; warnings as its output."""
    from xml.etree import ElementTree as ET

    by_file: dict[str, list[Diagnostic]] = {name: [] for name in files}
    for diagnostic in diagnostics:
        by_file.setdefault(diagnostic.file, []).append(diagnostic)
    failing = sum(1 for found in by_file.values() if any(d.severity == "error" for d in found))
    counts = {"tests": str(len(by_file)), "failures": str(failing), "errors": "0", "skipped": "0"}
    suites = ET.Element("testsuites", {"name": "sbn validate", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": "sbn validate", **counts})
    for name, found in by_file.items():
        case = ET.SubElement(suite, "testcase", {"classname": "sbn.validate", "name": name, "file": name})
        errors = [d for d in found if d.severity == "error"]
        warnings = [d for d in found if d.severity != "error"]
        if errors:
            failure = ET.SubElement(
                case, "failure", {"type": "error", "message": f"{_count(len(errors), 'error')}: {errors[0].render()}"}
            )
            failure.text = "\n".join(_xml_safe(d.render()) for d in errors) + "\n"
        if warnings:
            output = ET.SubElement(case, "system-out")
            output.text = "\n".join(_xml_safe(d.render()) for d in warnings) + "\n"
    for element in suites.iter():
        element.attrib = {key: _xml_safe(value) for key, value in element.attrib.items()}
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped: they are written as \\xNN."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", lambda m: f"\\x{ord(m.group()):02x}", text)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
