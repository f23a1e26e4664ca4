"""What sbn reads: regular files inside the project, each at most MAX_INPUT_BYTES, and nothing else.

sbn runs in CI on files anyone who opens a pull request can change, so an input file must not make
it read a secret (``include: [/etc/shadow]``), read forever (``/dev/zero``, a FIFO) or walk the disk
(``include: [/]``).

* The **project** of a path named on the command line is the git work tree enclosing it (the
  nearest folder up holding ``.git``), else its folder (the directory itself when a directory is
  named). Standard input belongs to the current directory's project.
* Includes and directory walks stay inside a project once symlinks are resolved, unless the
  command line lets them out with ``--allow-outside PATH``. Files named on the command line are
  always read: the user chose them.
* Only regular files are read: anything else is refused before it is opened, and the descriptor
  opened is checked again (a file swapped for a FIFO in between is refused too).
* One file, or standard input, is read up to ``MAX_INPUT_BYTES``; one byte more is an error that
  names the limit.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_INPUT_TEXT = "64 MiB"
YAML_SUFFIXES = (".yaml", ".yml")
STDIN = "-"
_CHUNK = 1024 * 1024

Identity = tuple[int, int]  # (device, inode): the same file under any name, hard links included


class SourceError(Exception):
    """A path that is not read, and why; the message never holds anything read from it."""


def too_large() -> str:
    return f"it is larger than the {MAX_INPUT_TEXT} limit of one input"


def reason(exc: OSError) -> str:
    """An OS error as a reason, without the path: the caller names the path as the user wrote it."""
    return exc.strerror or type(exc).__name__


def kind(mode: int) -> str:
    """What a path is, in words, for the message that refuses it."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "something else"


def not_regular(mode: int) -> str:
    return f"it is {kind(mode)}, not a regular file"


def _below(path: str, folders: frozenset[str]) -> bool:
    """Whether ``path`` (resolved) is one of ``folders`` or below one of them."""
    current = path
    while True:
        if current in folders:
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


@dataclass(frozen=True)
class Project:
    """The folders sbn may read below, and the files the user named."""

    roots: frozenset[str]
    outside: frozenset[str] = frozenset()  # --allow-outside, resolved
    named: frozenset[str] = frozenset()  # files named on the command line, resolved

    @classmethod
    def of(cls, paths: Iterable[str], allow_outside: Iterable[str] = ()) -> Project:
        """The project of the paths named on the command line (see the module docstring)."""
        roots: set[str] = set()
        named: set[str] = set()
        found: dict[str, str | None] = {}
        for raw in paths:
            if raw == STDIN:
                here = working_directory()
                if here is not None:
                    roots.add(_project_root(here, found))
                continue
            try:
                is_dir = stat.S_ISDIR(os.stat(raw).st_mode)
            except (OSError, ValueError):
                continue  # reported when it is loaded
            real = os.path.realpath(raw)
            if is_dir:
                roots.add(_project_root(real, found))
            else:
                named.add(real)
                # Includes are relative to the folder the file was named in; the file may be a link.
                for folder in {os.path.realpath(os.path.dirname(os.path.abspath(raw))), os.path.dirname(real)}:
                    roots.add(_project_root(folder, found))
        return cls(frozenset(roots), frozenset(os.path.realpath(p) for p in allow_outside), frozenset(named))

    def admits(self, real: str) -> bool:
        """Whether a resolved path may be read."""
        return real in self.named or _below(real, self.roots) or _below(real, self.outside)

    def allowed_absolute(self, real: str) -> bool:
        """An absolute include is read only when the user let it out on the command line."""
        return real in self.named or _below(real, self.outside)


_resolved_cwd: dict[str, str] = {}


def working_directory() -> str | None:
    """The current directory, resolved (once per directory); None when it has been removed."""
    try:
        here = os.getcwd()
    except OSError:
        return None
    if here not in _resolved_cwd:
        _resolved_cwd[here] = os.path.realpath(here)
    return _resolved_cwd[here]


def _project_root(folder: str, cache: dict[str, str | None]) -> str:
    """The enclosing git work tree of a resolved folder, or the folder itself."""
    visited = []
    current = folder
    while current not in cache:
        visited.append(current)
        if os.path.lexists(os.path.join(current, ".git")):
            cache[current] = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            cache[current] = None
            break
        current = parent
    work_tree = cache[current]
    for seen in visited:  # no .git between them and what was found
        cache[seen] = work_tree
    return work_tree or folder


def read_file(path: str | Path) -> tuple[bytes, Identity]:
    """The bytes of a regular file, at most MAX_INPUT_BYTES; SourceError says why not.

    The path is checked before it is opened (a FIFO would block the open, a device never end), and
    the descriptor after (the path may have been swapped meanwhile). O_NONBLOCK keeps a FIFO put
    in between from blocking the open.
    """
    try:
        before = os.stat(path)
    except OSError as exc:
        raise SourceError(reason(exc)) from None
    except ValueError:  # a NUL byte in the name
        raise SourceError("the name holds a NUL character") from None
    if not stat.S_ISREG(before.st_mode):
        raise SourceError(not_regular(before.st_mode))
    if before.st_size > MAX_INPUT_BYTES:
        raise SourceError(too_large())
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise SourceError(reason(exc)) from None
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode):
            raise SourceError(not_regular(opened.st_mode))
        if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise SourceError("it was replaced while being opened")
        data = _read_at_most(lambda size: os.read(descriptor, size))
    except OSError as exc:
        raise SourceError(reason(exc)) from None
    finally:
        os.close(descriptor)
    return data, (opened.st_dev, opened.st_ino)


def read_stdin() -> tuple[bytes, Identity | None]:
    """Standard input as bytes, at most MAX_INPUT_BYTES, and the file it is when it is one; SourceError says why not."""
    stream = sys.stdin
    if stream is None:
        raise SourceError("it is closed")
    binary = getattr(stream, "buffer", None)
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError, AttributeError):
        descriptor = None  # not backed by a descriptor (tests): nothing to check
    found: Identity | None = None
    try:
        if descriptor is not None:
            status = os.fstat(descriptor)
            if stat.S_ISDIR(status.st_mode):
                raise SourceError("it is a directory")
            if stat.S_ISREG(status.st_mode):
                found = (status.st_dev, status.st_ino)  # `sbn plan - --output x.yaml < x.yaml` is refused
        if binary is not None:
            return _read_at_most(binary.read), found
        # A text stream without bytes beneath: its text, as UTF-8 (surrogates kept, to be reported).
        text = stream.read(MAX_INPUT_BYTES + 1)
        data = text.encode("utf-8", "surrogateescape")
        if len(data) > MAX_INPUT_BYTES:
            raise SourceError(too_large())
        return data, found
    except OSError as exc:
        raise SourceError(reason(exc)) from None


def _read_at_most(read: Callable[[int], bytes]) -> bytes:
    """Read until the end or one byte past the limit, whichever comes first."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_INPUT_BYTES:
        chunk = read(min(_CHUNK, MAX_INPUT_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_INPUT_BYTES:
        raise SourceError(too_large())
    return b"".join(chunks)


@dataclass
class Walk:
    """What a directory holds for sbn: the YAML files, in sorted path order, and what was not read."""

    files: list[Path]
    skipped: list[Path]  # *.YAML, *.Yml...: the suffix is case-sensitive
    unreadable: list[tuple[Path, str]]  # folders that could not be listed, and why


def walk(top: Path) -> Walk:
    """Every *.yaml / *.yml below a directory, at any depth; links to directories are not followed.

    Not following them keeps a walk finite whatever links the folder holds (a link to its parent,
    to /), and inside the folder it was given. Links to files are listed: reading them checks where
    they lead.
    """
    files: list[Path] = []
    skipped: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            unreadable.append((folder, reason(exc)))
            continue
        for entry in entries:
            path = folder / entry.name
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                pending.append(path)
                continue
            suffix = os.path.splitext(entry.name)[1]
            if suffix in YAML_SUFFIXES:
                files.append(path)
            elif suffix.lower() in YAML_SUFFIXES:
                skipped.append(path)
    files.sort()
    skipped.sort()
    unreadable.sort()
    return Walk(files, skipped, unreadable)


def identity(path: str | Path) -> Identity | None:
    """The (device, inode) of what a path leads to, or None when it leads nowhere."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino
