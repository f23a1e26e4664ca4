"""A progress line on standard error while a long run plans: requests done of total, and the current one.

Only on a terminal (never on a pipe or in a file), never with NO_COLOR or TERM=dumb, and never on
standard output, which holds only the result. It appears once the run has taken about a second, is
redrawn at most ten times a second, and is erased when the run ends.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from sbn.render.common import clean

DELAY = 1.0  # seconds before the line appears: short runs print nothing
INTERVAL = 0.1  # seconds between redraws


class ProgressLine:
    """Call with (done, total, current request id) as planning goes; ``close`` erases the line."""

    def __init__(self, stream: TextIO, delay: float = DELAY) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.delay = delay
        self.drawn = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, current: str) -> None:
        now = time.monotonic()
        if now - self.started < self.delay or now - self.drawn < INTERVAL:
            return
        self.drawn = now
        width = max(os.get_terminal_size(self.stream.fileno()).columns - 1, 20) if _sized(self.stream) else 79
        text = clean(f"planning {done} of {total} requests: {current}".replace("\n", " "))[:width]
        self.stream.write(f"\r\x1b[2K{text}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.shown = False


def _sized(stream: TextIO) -> bool:
    try:
        os.get_terminal_size(stream.fileno())
    except (OSError, ValueError):
        return False
    return True


def progress_line(stream: TextIO | None = None) -> ProgressLine | None:
    """A progress line on ``stream`` (standard error) when it is a terminal that takes one, else None."""
    stream = stream if stream is not None else sys.stderr
    if os.environ.get("NO_COLOR") is not None or os.environ.get("TERM") == "dumb":
        return None
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return ProgressLine(stream)
