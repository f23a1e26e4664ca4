"""Typed errors and diagnostics; exit codes are decided in one place, the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from sbn.text import escape


class ExitCode(IntEnum):
    OK = 0
    NOT_PLANNED = 1
    INPUT = 2
    INTERNAL = 3
    INTERRUPTED = 130


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in the input, pointing at file:line:col (1-based)."""

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"  # or "warning", or "note" (what could not be checked, and why)
    # The problem left input unread (a syntax error, an include not found): it is reported first,
    # since what that input would declare is missing from every check after it.
    unread: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        # Safe by construction, whatever a message forgot to quote: a file name or message from
        # the input never reaches a terminal or CI log with a raw control or bidi character.
        object.__setattr__(self, "file", escape(self.file))
        object.__setattr__(self, "message", escape(self.message))

    def render(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"


class SbnError(Exception):
    """Base of every error sbn reports without a traceback."""

    exit_code = ExitCode.INTERNAL


class InputError(SbnError):
    """The input files are invalid; carries every diagnostic found."""

    exit_code = ExitCode.INPUT

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(diagnostics[0].render() if diagnostics else "invalid input")
        self.diagnostics = diagnostics


class UsageError(SbnError):
    """The command line asks for something impossible (a missing file, an unknown request)."""

    exit_code = ExitCode.INPUT


class Terminated(BaseException):
    """SIGTERM arrived while a file was being written: raised so that the temporary file is removed."""
