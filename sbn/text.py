"""User text in messages and output, made safe to print: the one way sbn quotes what it was given.

Input files come from anyone who can open a pull request, and their text reaches terminals and CI
logs. An escape sequence could clear the screen or set the window title, a newline could forge a
line like ``net.yaml:1:1: error: ...``, a bidi control could reorder what a reviewer reads. So:

* ``quote`` puts a user value into a diagnostic: as Python's ``repr`` writes it (every character
  that is not printable escaped: controls, ESC, newlines, bidi controls, zero-width characters,
  lone surrogates), cut after ``MAX_QUOTED`` characters with a count of the whole;
* ``escape`` is the same escaping without quotes, for file names and as a last pass over messages;
* ``clean`` is for plan output (tables, Markdown), where tabs and newlines are layout, and letters
  such as the zero-width joiner in emoji or Persian names are kept.
"""

from __future__ import annotations

import re

# Characters of one user value shown in a message; the rest is counted, never printed.
MAX_QUOTED = 80
# A path named on the command line is shown longer: paths in CI are long, and it is the user's own.
MAX_PATH_SHOWN = 300

# What a terminal or a Markdown viewer would act on rather than show: C0 controls but tab and
# newline, DEL, C1 controls (NEL), the bidi marks, embeddings, overrides and isolates, and the
# line and paragraph separators, and lone surrogates (which no output encoding can write).
_UNSAFE_IN_OUTPUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(char: str) -> str:
    """A character as ``repr`` writes it inside quotes."""
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape(text: str) -> str:
    """Every character that is not printable written as \\xNN, \\uNNNN or \\UNNNNNNNN, as ``repr`` does."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def quote(value: object, limit: int = MAX_QUOTED, bare: bool = False) -> str:
    """A user value for a message: quoted and escaped like ``repr``, cut after ``limit`` characters.

    ``bare`` leaves the quotes out, for values that read as themselves (a number as written: ``got .inf``).
    """
    text = value if isinstance(value, str) else str(value)
    shown = text if len(text) <= limit else text[:limit]
    shown = escape(shown) if bare else repr(shown)
    return shown if len(text) <= limit else f"{shown}... ({len(text):,} characters)"


def shown_path(path: object) -> str:
    """A path from the command line in a message: escaped, without quotes, cut after MAX_PATH_SHOWN characters."""
    return quote(str(path), MAX_PATH_SHOWN, bare=True)


def clean(text: str) -> str:
    """User text for plan output: what a terminal or viewer would act on written as \\xNN or \\uNNNN."""
    return _UNSAFE_IN_OUTPUT.sub(lambda match: _escaped(match.group()), text)


def one_line(text: str) -> str:
    """User text that must stay on its line (a Markdown heading, a list item): line breaks escaped too."""
    return clean(text).replace("\n", "\\n")


# In JSON every character may be written as \uXXXX and reads back the same: what a terminal would act
# on is written so (JSON itself escapes only U+0000-U+001F), as are lone surrogates, which no
# encoding can write.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def safe_json(text: str) -> str:
    """JSON text with the characters ``clean`` escapes written as \\uXXXX: the same data, safe to print."""
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def fit_count(fit: int, offered: int) -> str:
    """'3 of 7 modules fit', in number: '1 of 7 modules fits', '0 of 1 module fit'."""
    return f"{fit} of {offered} module{'' if offered == 1 else 's'} fit{'s' if fit == 1 else ''}"
