"""Load a network from YAML files: includes, schema, references, every problem at once (SPEC §1)."""

from __future__ import annotations

import dataclasses
import difflib
import errno
import gc
import os
import re
import stat
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, get_args, get_origin

from pydantic import BaseModel, ValidationError
from typing_extensions import TypeVar

from sbn.errors import Diagnostic, InputError, UsageError
from sbn.graph import find_cycle
from sbn.model import CRITERIA, Document, Module, NetworkInfo, Partner, Request, Resource
from sbn.numbers import exact
from sbn.sources import (
    STDIN,
    Identity,
    Project,
    SourceError,
    Walk,
    not_regular,
    read_file,
    read_stdin,
    reason,
    walk,
)
from sbn.text import escape, quote, shown_path
from sbn.yamlread import Source, decode, display_name, locate, parse_leniently, read_data, read_source

SECTIONS: dict[str, type[BaseModel]] = {
    "partners": Partner,
    "modules": Module,
    "resources": Resource,
    "requests": Request,
}
TOP_LEVEL = ("network", "include", "partners", "modules", "resources", "requests")
MAX_REPORTED = 100

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an item was declared: its file and its path inside that file's data."""

    file: str
    path: Path_


class ModuleRef:
    """What `sbn validate` keeps of a valid module: enough to check references, find duplicates and count.

    A pydantic Module costs about 2,700 bytes; this about 100, its partner and capability shared.
    """

    __slots__ = ("capability", "file", "id", "index", "partner", "uses")

    def __init__(
        self, id: str, partner: str, capability: str, file: str, index: int, uses: tuple[str, ...] = ()
    ) -> None:
        self.id = id
        self.partner = partner
        self.capability = capability
        self.file = file
        self.index = index  # in the file's list of modules
        self.uses = uses  # the resource ids it uses

    @property
    def origin(self) -> Origin:
        return Origin(self.file, ("modules", self.index))


# Module when planning; ModuleRef when only validating (load_units).
M = TypeVar("M", Module, ModuleRef, default=Module)


@dataclass(frozen=True)
class Network(Generic[M]):
    """A validated network: lookup maps built once, never mutated."""

    info: NetworkInfo
    partners: dict[str, Partner]
    modules: dict[str, M]
    requests: tuple[Request, ...]
    origins: dict[tuple[str, str], Origin]  # of modules too, unless they are ModuleRefs (which know theirs)
    files: tuple[str, ...]
    warnings: tuple[Diagnostic, ...] = ()
    by_capability: dict[str, tuple[M, ...]] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    inputs: frozenset[Identity] = field(default=frozenset(), compare=False)  # every file read: never an --output

    def request_file(self, request: Request) -> str:
        return self.origins[("request", request.id)].file


# A misspelt reference is given its "did you mean" at once among at most this many names (all of them
# listed when none is close); among more, only when it is among the first MAX_REPORTED problems reported.
LISTED_CHOICES = 20
# A word longer than this is not compared with the names: nothing that long is close to a name.
MAX_SUGGESTED_LENGTH = 200
# A cycle (of includes or steps) longer than this is named by its first members and its length.
MAX_CHAIN_SHOWN = 20


class Choices:
    """Names a misspelt reference may mean, indexed by length once, for a "did you mean" on demand.

    The answer is ``difflib.get_close_matches(word, names, n=1)``'s, found with less work: a name
    whose length alone keeps it below the cutoff is never looked at (difflib skips it too), and the
    others are compared fully best bound first (``quick_ratio`` bounds ``ratio`` from above), until
    no name left can match the best found.
    """

    CUTOFF = 0.6

    def __init__(self, names: Iterable[str]) -> None:
        self.names = list(names)
        self._by_length: dict[int, list[str]] | None = None

    def __len__(self) -> int:
        return len(self.names)

    def closest(self, word: str) -> str | None:
        if len(word) > MAX_SUGGESTED_LENGTH:
            return None
        if self._by_length is None:
            self._by_length = defaultdict(list)
            for name in self.names:
                self._by_length[len(name)].append(name)
        size = len(word)
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        bounded = []
        for length, names in self._by_length.items():
            if (2.0 * min(length, size) / (length + size) if length + size else 1.0) < self.CUTOFF:
                continue
            for name in names:
                matcher.set_seq1(name)
                bound = matcher.quick_ratio()
                if bound >= self.CUTOFF:
                    bounded.append((bound, name))
        bounded.sort(reverse=True)
        best: tuple[float, str] | None = None
        for bound, name in bounded:
            if best is not None and bound < best[0]:
                break  # no name left can score above the best, nor tie with it
            matcher.set_seq1(name)
            score = matcher.ratio()
            # Ties go to the greater name, as difflib's heapq.nlargest over (score, name) gives.
            if score >= self.CUTOFF and (best is None or (score, name) > best):
                best = (score, name)
        return best[1] if best is not None else None


@dataclass
class _Problem:
    """A problem whose position is looked up only when it is reported."""

    file: str
    path: Path_
    message: str
    at_key: bool = False
    severity: str = "error"
    refs: tuple[Origin, ...] = ()
    # A misspelt reference among many names: its "did you mean" is looked up only if it is reported.
    hint: tuple[str, Choices] | None = None
    unread: bool = False  # it left input unread: reported first (Diagnostic.unread)


# The words of a text, as ids and the parts of capabilities are written in it.
_WORD = re.compile(r"[\w.-]+")


@dataclass(frozen=True)
class _Unread:
    """Input that could not be read (a file, an include, a directory): what it would declare is unknown.

    ``words`` are the words of its text; None when it may declare anything: its text is unknown, or
    it may include other files.
    """

    label: str  # as a note names it
    words: frozenset[str] | None

    @classmethod
    def of(cls, label: str, text: str | None) -> _Unread:
        words = frozenset(_WORD.findall(text)) if text is not None else None
        return cls(label, None if words is None or "include" in words else words)

    def may_declare(self, name: str) -> bool:
        # An id declared in a text is written in it (YAML escapes aside); so is each word of a capability.
        return self.words is None or all(word in self.words for word in _WORD.findall(name))


class _Unchecked:
    """References to what no file read declares, but input that could not be read may: noted, not reported.

    Reporting them would bury the one error that matters (a syntax error in partners.yaml) under
    one "unknown partner" per module; a note per file says what was not checked, and why.
    """

    def __init__(self, unread: Sequence[_Unread]) -> None:
        self.unread = unread
        self.found: list[tuple[str, Path_, str, str, tuple[_Unread, ...]]] = []  # file, path, kind, word, causes
        self.causes: dict[str, tuple[_Unread, ...]] = {}

    def takes(self, file: str, path: Path_, kind: str, word: str) -> bool:
        """Whether unread input may declare ``word``; if so, the reference is kept for a note."""
        if not self.unread:
            return False
        causes = self.causes.get(word)
        if causes is None:
            causes = self.causes[word] = tuple(unread for unread in self.unread if unread.may_declare(word))
        if causes:
            self.found.append((file, path, kind, word, causes))
        return bool(causes)


@dataclass
class _Loaded:
    source: Source
    key: str
    order: int
    path: Path | None = None  # set when the text was let go: read again only to locate a problem


@dataclass
class _Frame:
    """A file whose includes are being loaded: its key and the (path, origin, walked) still to load."""

    key: str
    children: Iterator[tuple[Path, tuple[str, Path_], bool]]


# check_source's answers besides a document's `include` value.
_UNREAD: Any = object()  # the document is not read further (unreadable, empty, not a mapping)
_NO_INCLUDE: Any = object()  # it has no `include`

# Validate reads the files of walked directories ahead on other cores when they hold at least this many
# bytes in all: below it, starting the workers costs more than they save (docs/performance.md).
AHEAD_FROM_BYTES = 2_000_000


@dataclass
class _Part:
    """What check_source found in one file, as a worker sends it back (modules as plain tuples)."""

    name: str
    identity: Identity
    includes: Any
    diagnostics: list[Diagnostic]
    problems: list[_Problem]
    unread: list[_Unread]
    network: list[tuple[NetworkInfo, Origin]]
    items: dict[str, list[tuple[BaseModel, Origin]]]
    invalid_ids: dict[str, set[str]]
    invalid_capabilities: set[str]
    declared: dict[str, int]
    request_files: list[str]
    refs: list[tuple[str, str, str, int, tuple[str, ...]]]

    def __reduce__(self) -> tuple[Any, ...]:
        # The sentinels are this module's own objects: they travel as names.
        includes = "unread" if self.includes is _UNREAD else "none" if self.includes is _NO_INCLUDE else None
        fields = [getattr(self, f.name) for f in dataclasses.fields(self)]
        return (_part, (includes, *fields))


def _part(marker: str | None, *fields: Any) -> _Part:
    part = _Part(*fields)
    if marker is not None:
        part.includes = _UNREAD if marker == "unread" else _NO_INCLUDE
    return part


def _check_ahead(key: str, name: str) -> _Part | None:
    """On a worker: read one file and check it as check_source does; None when reading it fails (the
    loader then reads it itself, and says why where it would have)."""
    try:
        raw, identity = read_file(key)
        source = decode(raw, name)
    except (SourceError, InputError):
        return None
    del raw
    with exact(), without_cycle_collection():
        loader = _Loader(None, lean=True)  # type: ignore[arg-type]  # check_source reads no project
        includes = loader.check_source(source)
    refs = [(ref.id, ref.partner, ref.capability, ref.index, ref.uses) for ref in loader.refs]
    return _Part(
        name,
        identity,
        includes,
        loader.diagnostics,
        loader.problems,
        loader.unread,
        loader.network,
        loader.items,
        loader.invalid_ids,
        loader.invalid_capabilities,
        loader.declared,
        loader.request_files,
        refs,
    )


class _Ahead:
    """Worker processes that read and check the files of walked directories while the loader goes on
    (validate, on more than one core). The loader still decides, in its own order, whether to read each
    file; it then takes the worker's findings instead of reading the file itself. The workers start with
    the first walk that finds AHEAD_FROM_BYTES or more."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor: Any = None
        self.futures: dict[str, tuple[str, Any]] = {}

    def worth(self, keys: list[str]) -> bool:
        if self.executor is not None:
            return True
        size = 0
        for key in keys:
            try:
                size += os.stat(key).st_size
            except OSError:
                continue
        if size < AHEAD_FROM_BYTES:
            return False
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from sbn.workers import ignore_interrupts

        context = multiprocessing.get_context("fork")
        self.executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=ignore_interrupts)
        return True

    def submit(self, key: str, name: str) -> None:
        if key not in self.futures:
            self.futures[key] = (name, self.executor.submit(_check_ahead, key, name))

    def take(self, key: str, name: str) -> _Part | None:
        entry = self.futures.pop(key, None)
        if entry is None or entry[0] != name:
            return None
        try:
            part: _Part | None = entry[1].result()
        except Exception:  # a worker that died: this process reads the file itself
            return None
        return part

    def close(self, stop: bool = False) -> None:
        if self.executor is None:
            return
        if stop:
            from sbn.workers import stop_workers

            stop_workers(self.executor)
        else:
            self.executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _reading_ahead(loader: _Loader) -> Iterator[None]:
    """Let ``loader`` read walked directories ahead on other cores, on a machine with more than one core
    where forking is safe (no other thread yet); else it reads alone."""
    from sbn.workers import can_fork, cores

    count = cores()
    if count < 2 or not can_fork():
        yield
        return
    ahead = loader.ahead = _Ahead(min(count, 2))
    try:
        yield
    except BaseException:
        loader.ahead = None
        ahead.close(stop=True)
        raise
    loader.ahead = None
    ahead.close()


class _Loader:
    """Reads files (each once), follows includes, validates items and collects problems.

    A lean loader keeps a ModuleRef of each valid module instead of the Module (see load_units).
    Only what ``project`` admits is read (sbn.sources).
    """

    def __init__(self, project: Project, lean: bool = False) -> None:
        self.project = project
        self.lean = lean
        self.refs: list[ModuleRef] = []
        self.strings: dict[str, str] = {}  # one copy of each partner id and capability a ModuleRef holds
        self.files: dict[str, _Loaded] = {}
        self.stack: list[str] = []  # the chain of includes being loaded
        self.on_stack: set[str] = set()
        self.refused: set[str] = set()  # walked paths reported as leading outside the project
        self.identities: set[Identity] = set()  # of every file read: --output may not be one of them
        self.diagnostics: list[Diagnostic] = []
        self.path_diagnostics: list[Diagnostic] = []  # about command-line directories: not in any file's unit
        self.problems: list[_Problem] = []
        self.order: dict[str, int] = {}
        self.network: list[tuple[NetworkInfo, Origin]] = []
        self.items: dict[str, list[tuple[BaseModel, Origin]]] = {name: [] for name in SECTIONS}
        # Ids of items that are declared but invalid: references to them are not reported as unknown too.
        self.invalid_ids: dict[str, set[str]] = {name: set() for name in SECTIONS}
        self.invalid_capabilities: set[str] = set()  # of invalid modules: no warning that nobody offers them
        self.declared: dict[str, int] = dict.fromkeys(SECTIONS, 0)  # items written, valid or not, per section
        self.request_files: list[str] = []  # files declaring requests, in load order
        self.unread: list[_Unread] = []  # input that could not be read, in load order
        self.path_unread: list[_Unread] = []  # of command-line directories, like path_diagnostics
        self.children: dict[str, list[str]] = defaultdict(list)
        self.escaped_order: dict[str, int] = {}
        self.checked_includes: dict[tuple[Path, str], tuple[str | bool, Path]] = {}
        self.resolved: dict[Path, str] = {}  # each path resolved once
        self.ahead: _Ahead | None = None  # workers checking the files of walked directories ahead (validate)

    # -- files ---------------------------------------------------------------------------

    def load_path(self, raw: str) -> None:
        """A path named on the command line: a file, a directory, or '-' for standard input."""
        if raw == STDIN:
            name = "<stdin>"
            try:
                data, identity = read_stdin()
                if identity is not None:
                    self.identities.add(identity)
                source = decode(data, name)
            except SourceError as exc:
                self.order.setdefault(name, len(self.order))
                self.diagnostics.append(Diagnostic(name, 1, 1, f"cannot read standard input: {exc}", unread=True))
                self.unread.append(_Unread.of(name, None))
                self.files[STDIN] = _Loaded(Source(name, ""), STDIN, self.order[name])
                return
            except InputError as error:
                self.order.setdefault(name, len(self.order))
                self.diagnostics.extend(_left_unread(error.diagnostics))
                self.unread.append(_Unread.of(name, data.decode("utf-8", "replace")))
                self.files[STDIN] = _Loaded(Source(name, ""), STDIN, self.order[name])
                return
            self.follow(self.enter_source(source, STDIN, _here()))
            return
        try:
            mode = os.stat(raw).st_mode
        except OSError as exc:
            raise UsageError(f"{shown_path(raw)}: {reason(exc).lower()}") from None
        except ValueError:
            raise UsageError(f"{shown_path(raw)}: the name holds a NUL character") from None
        if stat.S_ISDIR(mode):
            listing = walk(Path(raw))
            unread = len(self.unread)
            notes = self.walk_notes(listing)
            self.diagnostics.extend(notes)
            self.path_diagnostics.extend(notes)
            self.path_unread.extend(self.unread[unread:])
            if not listing.files:
                raise UsageError(f"{shown_path(raw)}: no *.yaml or *.yml file in this directory" + _not_read(listing))
            self.read_ahead(listing.files)
            for child in listing.files:
                self.load_file(child, walked=True)
        elif stat.S_ISREG(mode):
            self.load_file(Path(raw))
        else:
            raise UsageError(f"{shown_path(raw)}: {not_regular(mode)}; '-' reads standard input")

    def walk_notes(self, listing: Walk) -> list[Diagnostic]:
        """What a directory walk did not read, said at the place."""
        notes = [
            Diagnostic(display_name(folder), 1, 1, f"cannot read directory: {why}", unread=True)
            for folder, why in listing.unreadable
        ]
        self.unread.extend(_Unread.of(f"directory {display_name(folder)}", None) for folder, _ in listing.unreadable)
        notes += [
            Diagnostic(
                display_name(path),
                1,
                1,
                "not read: only files ending in .yaml or .yml are read (the suffix is case-sensitive)",
                "warning",
            )
            for path in listing.skipped
        ]
        return notes

    def load_file(self, path: Path, origin: tuple[str, Path_] | None = None, walked: bool = False) -> None:
        self.follow(self.enter_file(path, origin, walked))

    def follow(self, first: _Frame | None) -> None:
        """Load includes depth first, in the order written, on a stack of our own: a chain may be long."""
        frames = [first] if first is not None else []
        while frames:
            child = next(frames[-1].children, None)
            if child is None:
                done = frames.pop()
                self.stack.pop()
                self.on_stack.discard(done.key)
                continue
            entered = self.enter_file(*child)
            if entered is not None:
                frames.append(entered)

    def enter_file(self, path: Path, origin: tuple[str, Path_] | None = None, walked: bool = False) -> _Frame | None:
        """Read and check one file; its includes come back to be loaded next (None when there are none)."""
        key = self.resolved.get(path)
        if key is None:
            key = self.resolved[path] = os.path.realpath(path)
        if walked and self.stack and key == self.stack[-1]:
            return None  # a directory the file includes holds the file itself
        if origin is not None:
            self.children[self.stack[-1]].append(key)
        if key in self.on_stack:
            assert origin is not None
            chain = [display_name(Path(item)) for item in self.stack[self.stack.index(key) :]]
            self.problems.append(
                _Problem(origin[0], origin[1], f"include cycle: {_chain([*chain, display_name(path)], 'files')}")
            )
            return None
        if key in self.files:
            return None
        if (walked or origin is not None) and not self.project.admits(key):
            # A link in a directory that leads out of the project: named as found, the target never.
            if key not in self.refused:
                self.refused.add(key)
                refusal = Diagnostic(_as_found(path), 1, 1, OUTSIDE_LINK, unread=True)
                self.diagnostics.append(refusal)
                unread = _Unread.of(_as_found(path), None)
                self.unread.append(unread)
                if origin is None:  # found in a directory named on the command line: in no file's unit
                    self.path_diagnostics.append(refusal)
                    self.path_unread.append(unread)
            return None
        name = display_name(path, key)
        if self.ahead is not None:
            part = self.ahead.take(key, name)
            if part is not None:
                return self.enter_checked(part, path, key)
        try:
            raw, identity = read_file(key)
            source = decode(raw, name)
        except (SourceError, InputError) as error:
            self.order.setdefault(name, len(self.order))
            if isinstance(error, SourceError):
                self.diagnostics.append(Diagnostic(name, 1, 1, f"cannot read file: {error}", unread=True))
                self.unread.append(_Unread.of(name, None))
            else:
                self.diagnostics.extend(_left_unread(error.diagnostics))
                self.unread.append(_Unread.of(name, raw.decode("utf-8", "replace")))
            self.files[key] = _Loaded(Source(name, ""), key, self.order[name])
            return None
        del raw
        self.identities.add(identity)
        frame = self.enter_source(source, key, path.parent)
        # Keep memory to the validated items: the text is read again only if a problem needs a position.
        self.files[key].source = Source(name, "")
        self.files[key].path = path
        return frame

    def enter_source(self, source: Source, key: str, directory: Path) -> _Frame | None:
        self.order.setdefault(source.name, len(self.order))
        self.files[key] = _Loaded(source, key, self.order[source.name])
        includes = self.check_source(source)
        return self.follow_includes(source.name, key, directory, includes)

    def check_source(self, source: Source) -> Any:
        """Read one document and check its items, adding to this loader's lists only (no other state is
        read or changed, so a worker can do it ahead: see _Ahead). Its `include` value, or _UNREAD when the
        document is not read further (absent: _NO_INCLUDE)."""
        try:
            data, yaml_problems = read_data(source)  # no node tree: many times the data
        except InputError as error:
            self.diagnostics.extend(_left_unread(error.diagnostics))
            self.unread.append(_Unread.of(source.name, source.text))
            return _UNREAD
        self.diagnostics.extend(yaml_problems)
        if data is None:
            return _UNREAD
        if not isinstance(data, dict):
            self.problems.append(
                _Problem(
                    source.name,
                    (),
                    "the top level must be a mapping of network, include, partners, modules, resources, requests",
                    unread=True,
                )
            )
            self.unread.append(_Unread.of(source.name, source.text))
            return _UNREAD
        self.check_document(source, data)
        return data.get("include", _NO_INCLUDE)

    def follow_includes(self, name: str, key: str, directory: Path, includes: Any) -> _Frame | None:
        if includes is _UNREAD:
            return None
        targets = self.include_targets(name, {} if includes is _NO_INCLUDE else {"include": includes}, directory)
        self.stack.append(key)
        self.on_stack.add(key)
        return _Frame(key, self.included(name, targets))

    def included(
        self, name: str, targets: list[tuple[int, Path, bool]]
    ) -> Iterator[tuple[Path, tuple[str, Path_], bool]]:
        """The files a document includes, in order; a directory is walked when its turn comes."""
        for index, target, is_directory in targets:
            origin = (name, ("include", index))
            if not is_directory:
                yield target, origin, False
                continue
            listing = walk(target)
            self.diagnostics.extend(self.walk_notes(listing))
            self.read_ahead(listing.files)
            if not listing.files:
                self.problems.append(
                    _Problem(
                        name, ("include", index), "this directory holds no *.yaml or *.yml file", severity="warning"
                    )
                )
            for child in listing.files:
                yield child, origin, True

    def include_targets(self, name: str, data: dict[str, Any], directory: Path) -> list[tuple[int, Path, bool]]:
        """Where each include leads: (index, path, is a directory), every one checked before it is read."""
        includes = data.get("include")
        if not isinstance(includes, list):
            if includes is not None:  # the shell's schema says what is wrong
                self.unread.append(_Unread.of(f"the includes of {name}", None))
            return []
        targets = []
        for index, entry in enumerate(includes):
            if not isinstance(entry, str):
                self.unread.append(_Unread.of(f"the includes of {name}", None))
                continue
            checked = (directory, entry)
            if checked not in self.checked_includes:  # a file may name one path thousands of times
                self.checked_includes[checked] = (self.refuse_include(entry, directory), directory / entry)
            refusal, target = self.checked_includes[checked]
            if isinstance(refusal, str):
                self.problems.append(_Problem(name, ("include", index), refusal, unread=True))
                self.unread.append(_Unread.of(f"the include {quote(entry)} of {name}", None))
            else:
                targets.append((index, target, refusal))
        return targets

    def refuse_include(self, entry: str, directory: Path) -> str | bool:
        """Why an include is not read; else whether it is a directory.

        Where it leads is checked before whether it exists, so that an include cannot tell which
        files exist outside the project; the message names the include as written, never its target.
        """
        shown = quote(entry)
        if not entry:
            return "an include must name a file or directory, not ''"
        if "\x00" in entry:
            return f"include {shown} holds a NUL character"
        target = directory / entry
        real = os.path.realpath(target)
        if os.path.isabs(entry) and not self.project.allowed_absolute(real):
            return (
                f"include {shown} is an absolute path: includes are relative to the including file "
                "and stay inside the project (--allow-outside PATH reads files outside it)"
            )
        if not self.project.admits(real):
            return f"include {shown} leads outside the project: not read (--allow-outside PATH reads files outside it)"
        try:
            mode = os.stat(target).st_mode
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return f"included path not found: {shown}"
            return f"included path {shown} cannot be read: {reason(exc)}"
        if stat.S_ISDIR(mode):
            return True
        if not stat.S_ISREG(mode):
            return f"included path {shown} is not read: {not_regular(mode)}"
        return False

    def read_ahead(self, files: list[Path]) -> None:
        """Hand the files a walk found to the workers, when there are any: only those the project admits,
        so that nothing is read ahead that enter_file would refuse to read."""
        if self.ahead is None:
            return
        wanted = []
        for path in files:
            key = self.resolved.get(path)
            if key is None:
                key = self.resolved[path] = os.path.realpath(path)
            if key not in self.files and self.project.admits(key):
                wanted.append((path, key))
        if self.ahead.worth([key for _, key in wanted]):
            for path, key in wanted:
                self.ahead.submit(key, display_name(path, key))

    def enter_checked(self, part: _Part, path: Path, key: str) -> _Frame | None:
        """What enter_file and enter_source do, for a file a worker read and checked: its findings are added
        where reading it here would have added them, so the output is the same."""
        name = part.name
        self.identities.add(part.identity)
        self.order.setdefault(name, len(self.order))
        self.files[key] = _Loaded(Source(name, ""), key, self.order[name])
        self.files[key].path = path
        self.diagnostics.extend(part.diagnostics)
        self.problems.extend(part.problems)
        self.unread.extend(part.unread)
        self.network.extend(part.network)
        for section, items in part.items.items():
            self.items[section].extend(items)
        for section, ids in part.invalid_ids.items():
            self.invalid_ids[section].update(ids)
        self.invalid_capabilities.update(part.invalid_capabilities)
        for section, count in part.declared.items():
            self.declared[section] += count
        self.request_files.extend(part.request_files)
        for module_id, partner, capability, index, uses in part.refs:
            self.add_ref(module_id, partner, capability, name, index, uses)
        return self.follow_includes(name, key, path.parent, part.includes)

    # -- schema --------------------------------------------------------------------------

    def check_document(self, source: Source, data: dict[str, Any]) -> None:
        name = source.name
        for key in data:
            if key not in TOP_LEVEL:
                self.problems.append(
                    _Problem(name, (key,), unknown_field(key, TOP_LEVEL, "top-level key"), at_key=True)
                )
        shell = {key: value for key, value in data.items() if key in ("network", "include")}
        try:
            document = Document.model_validate(shell)
        except ValidationError as error:
            self.add_validation_errors(name, (), error, Document, unread=("include",))
            document = None
        if document is not None and document.network is not None:
            self.network.append((document.network, Origin(name, ("network",))))
        for section, model in SECTIONS.items():
            if section not in data or data[section] is None:
                continue
            entries = data[section]
            if not isinstance(entries, list):
                self.problems.append(_Problem(name, (section,), f"{section} must be a list of {section}", unread=True))
                self.unread.append(_Unread.of(name, source.text))
                continue
            self.declared[section] += len(entries)
            if section == "requests" and entries:
                self.request_files.append(name)
            for index, entry in enumerate(entries):
                path = (section, index)
                try:
                    item = model.model_validate(entry)
                except ValidationError as error:
                    self.add_validation_errors(name, path, error, model)
                    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                        self.invalid_ids[section].add(entry["id"])
                    if section == "modules" and isinstance(entry, dict) and isinstance(entry.get("capability"), str):
                        self.invalid_capabilities.add(entry["capability"])
                    continue
                if self.lean and isinstance(item, Module):
                    uses = tuple(item.uses) if item.uses else ()
                    self.add_ref(item.id, item.partner, item.capability, name, index, uses)
                else:
                    self.items[section].append((item, Origin(name, path)))

    def add_ref(
        self, module_id: str, partner: str, capability: str, file: str, index: int, uses: tuple[str, ...]
    ) -> None:
        """Keep a valid module as a ModuleRef, one copy of each partner id and capability shared."""
        partner = self.strings.setdefault(partner, partner)
        capability = self.strings.setdefault(capability, capability)
        self.refs.append(ModuleRef(module_id, partner, capability, file, index, uses))

    def add_validation_errors(
        self, name: str, prefix: Path_, error: ValidationError, model: type[BaseModel], unread: Path_ = ()
    ) -> None:
        """Each error of ``error``; those at a field of ``unread`` left input unread (a bad include)."""
        for detail in error.errors(include_url=False):
            if _item_errors_explain(detail):
                continue
            loc = tuple(detail["loc"])
            message, at_key, loc = describe(detail, loc, model)
            left = bool(loc) and loc[0] in unread
            self.problems.append(_Problem(name, prefix + loc, message, at_key=at_key, unread=left))

    # -- results -------------------------------------------------------------------------

    def resolve(self, problems: Sequence[_Problem]) -> list[tuple[Diagnostic, _Problem]]:
        """Turn problems into diagnostics, composing only the files that have problems."""
        by_name = {loaded.source.name: loaded for loaded in self.files.values()}
        roots: dict[str, Any] = {}

        def position(file: str, path: Path_, at_key: bool = False) -> tuple[int, int]:
            if file not in roots:
                loaded = by_name.get(file)
                try:
                    source = loaded.source if loaded is not None and loaded.path is None else None
                    # Read again only where it was read: a file changed into a link meanwhile is not followed.
                    if loaded is not None and loaded.path is not None and os.path.realpath(loaded.key) == loaded.key:
                        source = read_source(Path(loaded.key), file)
                    roots[file] = parse_leniently(source)[1] if source is not None else None
                except InputError:
                    roots[file] = None
            return locate(roots[file], path, at_key)

        diagnostics = []
        for problem in problems:
            line, column = position(problem.file, problem.path, problem.at_key)
            message = problem.message
            if problem.refs:
                places = [
                    f"{ref.file}:{':'.join(map(str, position(ref.file, ref.path, problem.at_key)))}"
                    for ref in problem.refs
                ]
                message = message.format(*places)
            diagnostic = Diagnostic(problem.file, line, column, message, problem.severity, unread=problem.unread)
            diagnostics.append((diagnostic, problem))
        return diagnostics

    def sort_key(self, diagnostic: Diagnostic) -> tuple[bool, int, int, int]:
        """What left input unread first, then file by file in load order, line, column."""
        # Diagnostics hold file names escaped (sbn.text); the load order is kept by the names as read.
        if len(self.escaped_order) != len(self.order):
            self.escaped_order = {escape(name): order for name, order in self.order.items()}
        order = self.escaped_order.get(diagnostic.file, len(self.order))
        return not diagnostic.unread, order, diagnostic.line, diagnostic.column

    def notes(self, unchecked: _Unchecked) -> list[tuple[Diagnostic, None]]:
        """One note per file holding references that unread input may declare: what was not checked, and why."""
        # A resource a module uses is a key of its 'uses': placed there, as its unknown-resource error is.
        places = self.resolve(
            [_Problem(file, path, "", at_key=kind == "resource") for file, path, kind, *_ in unchecked.found]
        )
        by_file: dict[str, list[tuple[tuple[int, int], str, str, tuple[_Unread, ...]]]] = defaultdict(list)
        for (place, _), (file, _, kind, word, reasons) in zip(places, unchecked.found, strict=True):
            by_file[file].append(((place.line, place.column), kind, word, reasons))
        rank = {unread: index for index, unread in reversed(list(enumerate(unchecked.unread)))}
        notes = []
        for file, found in by_file.items():
            found.sort(key=lambda item: item[0])
            what = []
            named = 0
            for kind, plural in _NOTED.items():
                words = list(dict.fromkeys(word for _, of, word, _ in found if of == kind))
                if words:
                    what.append(f"{_count(len(words), kind, plural)} ({_some(words)})")
                    named += len(words)
            causes = sorted({cause for *_, reasons in found for cause in reasons}, key=rank.__getitem__)
            labels = _some([cause.label for cause in causes], quoted=False)
            message = (
                f"{' and '.join(what)} not found, not reported: "
                f"{labels}, which could not be read, may declare {'it' if named == 1 else 'them'}"
            )
            line, column = found[0][0]
            notes.append((Diagnostic(file, line, column, message, "note"), None))
        return notes


def no_network(partners: int = 0, where: str = "on the command line too (plan and who: --network PATH)") -> str:
    """What to say when the files read declare no module: most often the network was left out."""
    return (
        f"the files read declare {_count(partners, 'partner')} and 0 modules: is the network missing? "
        f"Name its files or folder {where}, or include them (include: [PATH])"
    )


OUTSIDE_LINK = "a link that leads outside the project: not read (--allow-outside PATH reads files outside it)"


def _as_found(path: Path) -> str:
    """A path as it was found, relative to the working directory when below it, never resolved."""
    try:
        here = os.getcwd()
    except OSError:  # the working directory was removed
        return str(path)
    absolute = os.path.join(here, path)
    return os.path.relpath(absolute, here) if absolute.startswith(here.rstrip(os.sep) + os.sep) else str(path)


def _here() -> Path:
    """Where standard input's includes start: the working directory, or '.' if it was removed."""
    try:
        return Path.cwd()
    except OSError:
        return Path(".")


def _not_read(listing: Walk) -> str:
    """What a walk that found nothing passed over, for the message that says so."""
    said = ""
    if listing.skipped:
        names = ", ".join(escape(display_name(path)) for path in listing.skipped[:3])
        more = f" and {len(listing.skipped) - 3:,} more" if len(listing.skipped) > 3 else ""
        said += f"; not read: {names}{more} (only .yaml and .yml are read; the suffix is case-sensitive)"
    if listing.unreadable:
        names = ", ".join(escape(display_name(path)) for path, _ in listing.unreadable[:3])
        more = f" and {len(listing.unreadable) - 3:,} more" if len(listing.unreadable) > 3 else ""
        said += f"; folders that cannot be read: {names}{more}"
    return said


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


# What a note about unchecked references names, and how.
_NOTED = {"partner": "partners", "capability": "capabilities", "resource": "resources"}
SOME = 3


def _some(names: Sequence[str], quoted: bool = True) -> str:
    """The first few names, then how many more: 'a', 'b', 'c' and 4 more."""
    shown = [quote(name) if quoted else name for name in names[:SOME]]
    if len(names) > SOME:
        return f"{', '.join(shown)} and {len(names) - SOME:,} more"
    if len(shown) > 1 and not quoted:
        return f"{', '.join(shown[:-1])} and {shown[-1]}"
    return ", ".join(shown)


def _left_unread(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [dataclasses.replace(diagnostic, unread=True) for diagnostic in diagnostics]


def _chain(names: Sequence[str], what: str) -> str:
    """A cycle as 'a -> b -> a'; a long one by its first members and its length."""
    if len(names) <= MAX_CHAIN_SHOWN + 1:
        return " -> ".join(names)
    return " -> ".join(names[:MAX_CHAIN_SHOWN]) + f" -> ... -> {names[-1]} (a cycle of {len(names) - 1:,} {what})"


def unknown_field(key: str, allowed: Iterable[str] | Choices, what: str = "field", where: str = "") -> str:
    """An unknown name among a few (fields, criteria, or a small network's ids): the close one, or them all.

    ``where`` follows the name (" in 'optimize'"), before the hint or the list.
    """
    choices = allowed if isinstance(allowed, Choices) else Choices(allowed)
    message = f"unknown {what} {quote(key)}{where}"
    if not choices.names:
        return f"{message}: the files read declare no {what}"
    close = choices.closest(str(key))
    if close:
        return f"{message} (did you mean {quote(close)}?)"
    return f"{message}; expected one of: {', '.join(choices.names)}"


def _unknown_reference(file: str, path: Path_, word: str, choices: Choices, what: str) -> _Problem:
    """A reference to an undeclared item; among many names its hint waits until it is reported."""
    if len(choices) <= LISTED_CHOICES:
        return _Problem(file, path, unknown_field(word, choices, what))
    return _Problem(file, path, f"unknown {what} {quote(word)}", hint=(word, choices))


def _with_hint(diagnostic: Diagnostic, problem: _Problem | None) -> Diagnostic:
    if problem is None or problem.hint is None:
        return diagnostic
    close = problem.hint[1].closest(problem.hint[0])
    if close is None:
        return diagnostic
    return dataclasses.replace(diagnostic, message=f"{diagnostic.message} (did you mean {quote(close)}?)")


def _submodel(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc`` below ``model``."""
    current: type[BaseModel] | None = model
    keyed = False  # the step before was a mapping of ids (a module's uses): this step is one of its keys
    for step in loc:
        if current is None:
            return None
        if isinstance(step, int) or keyed:
            keyed = False
            continue
        info = current.model_fields.get(step)
        current = _model_in(info.annotation) if info is not None else None
        keyed = info is not None and _is_mapping(info.annotation)
    return current


def _is_mapping(annotation: Any) -> bool:
    """Whether a field's annotation is a dict (under Annotated or Optional)."""
    if get_origin(annotation) is dict:
        return True
    return any(_is_mapping(arg) for arg in get_args(annotation) if arg is not None)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _item_errors_explain(detail: Any) -> bool:
    """A list too short only because some of its items are invalid: those items' errors say why."""
    if detail["type"] != "too_short":
        return False
    given = detail.get("input")
    return isinstance(given, list) and len(given) >= (detail.get("ctx") or {}).get("min_length", 1)


def _kind_of(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def describe(detail: Any, loc: Path_, model: type[BaseModel]) -> tuple[str, bool, Path_]:
    """A message a person can act on for one pydantic error, and where it points."""
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    field_name = next((step for step in reversed(loc) if isinstance(step, str)), "value")
    if not loc:
        subject = f"a {model.__name__.lower()}"
    elif isinstance(loc[-1], int):
        subject = f"each item of {quote(field_name)}"
    else:
        subject = quote(field_name)
    given = _kind_of(detail.get("input"))
    if kind == "extra_forbidden":
        parent = _submodel(model, loc[:-1])
        allowed = list(parent.model_fields) if parent is not None else []
        return unknown_field(str(loc[-1]), allowed), True, loc
    if kind == "missing":
        return f"missing required field {quote(loc[-1])}", False, loc[:-1]
    if kind == "string_pattern_mismatch":
        return (
            f"invalid id for {quote(field_name)}: ids start with a letter or digit "
            "and hold only letters, digits, '.', '_' and '-'",
            False,
            loc,
        )
    if kind == "string_type":
        return f"{subject} must be text, not {given}", False, loc
    if kind in ("tuple_type", "list_type"):
        return f"{subject} must be a list, not {given}", False, loc
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{subject} must be a mapping, not {given}", False, loc
    if kind in ("greater_than_equal", "greater_than", "less_than_equal"):
        limit = ctx.get("ge", ctx.get("gt", ctx.get("le")))
        relation = {"greater_than_equal": "at least", "greater_than": "greater than", "less_than_equal": "at most"}[
            kind
        ]
        return f"{quote(field_name)} must be {relation} {limit}", False, loc
    if kind in ("int_parsing", "int_type", "int_from_float", "sbn_whole"):
        return f"{quote(field_name)} must be a whole number", False, loc
    if kind == "literal_error":
        value = detail.get("input")
        return unknown_field(str(value), CRITERIA, "criterion", " in 'optimize'"), False, loc
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"):
        return f"{quote(field_name)} must be a date like 2027-03-01", False, loc
    if kind == "too_short":
        return f"{quote(field_name)} must not be empty", False, loc
    if kind in ("sbn_deadline", "sbn_start"):
        return f"{quote(field_name)} {detail['msg']}", False, loc
    if kind == "sbn_resource_kind":
        return detail["msg"], False, loc
    if kind.startswith("sbn_"):
        return f"{quote(field_name)}: {detail['msg']}", False, loc
    return f"{quote(field_name)}: {detail['msg']}", False, loc


def _load_network(paths: Sequence[str], allow_outside: Sequence[str] = ()) -> Network:
    """Load and validate every file under ``paths``; raise InputError with every problem."""
    loader = _Loader(Project.of(paths, allow_outside))
    for raw in paths:
        loader.load_path(raw)
    return _finish(loader)


def _duplicate(kind: str, item_id: str, origin: Origin, first: Origin) -> _Problem:
    return _Problem(
        origin.file,
        (*origin.path, "id"),
        f"duplicate {kind} id {quote(item_id)}: first declared at {{}}",
        refs=(first,),
    )


def _finish(loader: _Loader) -> Network[Any]:
    partners: dict[str, Partner] = {}
    modules: dict[str, Module] = {}
    refs: dict[str, ModuleRef] = {}
    requests: dict[str, Request] = {}
    resources: dict[str, Resource] = {}
    origins: dict[tuple[str, str], Origin] = {}
    problems = loader.problems
    for section, kind, target in (
        ("partners", "partner", partners),
        ("modules", "module", modules),
        ("resources", "resource", resources),
        ("requests", "request", requests),
    ):
        for item, origin in loader.items[section]:
            item_id = item.id  # type: ignore[attr-defined]
            if item_id in target:
                problems.append(_duplicate(kind, item_id, origin, origins[(kind, item_id)]))
                if isinstance(item, Module):  # left out, but it is there: no "no module offers" for its capability
                    loader.invalid_capabilities.add(item.capability)
                continue
            target[item_id] = item  # type: ignore[assignment]
            origins[(kind, item_id)] = origin
        if section == "modules":
            for ref in loader.refs:  # a lean loader's modules, in the same order
                first_ref = refs.setdefault(ref.id, ref)
                if first_ref is not ref:
                    problems.append(_duplicate("module", ref.id, ref.origin, first_ref.origin))
                    loader.invalid_capabilities.add(ref.capability)
    if len(loader.network) > 1:
        first = loader.network[0][1]
        for _, origin in loader.network[1:]:
            problems.append(
                _Problem(
                    origin.file, origin.path, "network declared more than once: first at {}", at_key=True, refs=(first,)
                )
            )
        # Several networks' folders given at once (sbn plan examples/): say what to do, as validate does.
        # Networks that include each other are one to validate too: their fix is to drop a block.
        separate = len(_network_units(loader)[0])
        if separate > 1:
            names = [quote(declared.name) if declared.name else "an unnamed one" for declared, _ in loader.network]
            second = loader.network[1][1]
            problems.append(
                _Problem(
                    second.file,
                    second.path,
                    f"the files read hold {separate} separate networks, {_some(names, quoted=False)}: plan, who "
                    "and network read all the files they are given as one network, so give them one network's "
                    "files (sbn validate checks each network under a folder on its own)",
                    at_key=True,
                    severity="note",
                )
            )
    info = loader.network[0][0] if loader.network else NetworkInfo()
    by_capability: dict[str, list[Module | ModuleRef]] = defaultdict(list)
    for module in (refs if loader.lean else modules).values():
        by_capability[module.capability].append(module)
    module_partners = (
        ((ref.origin, ref.partner) for ref in refs.values())
        if loader.lean
        else ((origins[("module", module.id)], module.partner) for module in modules.values())
    )
    invalid_partners = loader.invalid_ids["partners"]
    offered: Collection[str] = by_capability
    if loader.invalid_capabilities:
        offered = loader.invalid_capabilities.union(by_capability)
    unchecked = _Unchecked(loader.unread)
    # Requests read with no partner and no module: the network was most likely left out of the command or
    # of an include. One note says so instead of a warning per step that nobody offers its capability.
    missing = requests and not loader.declared["partners"] and not loader.declared["modules"] and not loader.unread
    check_references(
        partners, module_partners, requests, origins, info, offered, problems, invalid_partners, unchecked, not missing
    )
    module_uses = (
        ((ref.origin, ref.uses) for ref in refs.values() if ref.uses)
        if loader.lean
        else ((origins[("module", m.id)], tuple(m.uses)) for m in modules.values() if m.uses)
    )
    check_resources(resources, module_uses, partners, origins, problems, loader.invalid_ids, unchecked)
    found: list[tuple[Diagnostic, _Problem | None]] = [(diagnostic, None) for diagnostic in loader.diagnostics]
    if missing:
        found.append((Diagnostic(loader.request_files[0], 1, 1, no_network(), "note", unread=True), None))
    found += loader.resolve(problems)
    found += loader.notes(unchecked)
    found.sort(key=lambda pair: loader.sort_key(pair[0]))
    # "Did you mean" among many names only for what is reported (validate prints the first MAX_REPORTED).
    diagnostics = [
        _with_hint(diagnostic, problem) if rank < MAX_REPORTED else diagnostic
        for rank, (diagnostic, problem) in enumerate(found)
    ]
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise InputError(diagnostics)
    return Network(
        info=info,
        partners=partners,
        modules=refs if loader.lean else modules,
        requests=tuple(requests.values()),
        origins=origins,
        files=tuple(loaded.source.name for loaded in sorted(loader.files.values(), key=lambda f: f.order)),
        warnings=tuple(diagnostics),
        by_capability={capability: tuple(group) for capability, group in by_capability.items()},
        resources=resources,
        inputs=frozenset(loader.identities),
    )


def check_resources(
    resources: dict[str, Resource],
    module_uses: Iterable[tuple[Origin, tuple[str, ...]]],
    partners: dict[str, Partner],
    origins: dict[tuple[str, str], Origin],
    problems: list[_Problem],
    invalid: dict[str, set[str]],
    unchecked: _Unchecked | None = None,
) -> None:
    """References to and from resources: each id a module uses is declared, each owner a partner (SPEC §6).

    References that input which could not be read may declare go to ``unchecked``, not to ``problems``.
    """
    if unchecked is None:
        unchecked = _Unchecked(())
    declared = set(resources) | invalid["resources"]
    choices = Choices(sorted(declared))
    for origin, uses in module_uses:
        for resource_id in uses:
            where = (*origin.path, "uses", resource_id)
            if resource_id not in declared and not unchecked.takes(origin.file, where, "resource", resource_id):
                problem = _unknown_reference(
                    origin.file, (*origin.path, "uses", resource_id), resource_id, choices, "resource"
                )
                problem.at_key = True
                problems.append(problem)
    owners = set(partners) | invalid["partners"]
    partner_choices = Choices(sorted(owners))
    for resource in resources.values():
        if resource.partner is not None and resource.partner not in owners:
            origin = origins[("resource", resource.id)]
            if unchecked.takes(origin.file, (*origin.path, "partner"), "partner", resource.partner):
                continue
            problems.append(
                _unknown_reference(origin.file, (*origin.path, "partner"), resource.partner, partner_choices, "partner")
            )


def check_references(
    partners: dict[str, Partner],
    module_partners: Iterable[tuple[Origin, str]],
    requests: dict[str, Request],
    origins: dict[tuple[str, str], Origin],
    info: NetworkInfo,
    by_capability: Collection[str],
    problems: list[_Problem],
    declared: Collection[str] = (),
    unchecked: _Unchecked | None = None,
    offers: bool = True,
) -> list[_Problem]:
    """References between items: partners, steps, cycles; and capabilities nobody offers.

    ``module_partners`` holds each module's origin and partner id; ``by_capability`` the capabilities offered.
    ``declared`` holds the ids of partners declared but invalid: they are reported once, not again where referenced.
    References that input which could not be read may declare go to ``unchecked``, not to ``problems``.
    Without ``offers``, capabilities nobody offers are not warned about.
    """
    declared = set(declared) | set(partners)
    choices = Choices(sorted(declared))  # built once: a "did you mean" is looked up only where reported
    if unchecked is None:
        unchecked = _Unchecked(())

    def unknown_partner(origin: Origin, path: Path_, partner_id: str) -> None:
        if partner_id not in declared and not unchecked.takes(origin.file, origin.path + path, "partner", partner_id):
            problems.append(_unknown_reference(origin.file, origin.path + path, partner_id, choices, "partner"))

    for origin, partner_id in module_partners:
        unknown_partner(origin, ("partner",), partner_id)
    for partner in partners.values():
        for index, other in enumerate(partner.interests.avoid):
            unknown_partner(origins[("partner", partner.id)], ("interests", "avoid", index), other)
            if other == partner.id:
                origin = origins[("partner", partner.id)]
                message = f"partner {quote(other)} cannot avoid itself; list the partners it never works with"
                problems.append(_Problem(origin.file, (*origin.path, "interests", "avoid", index), message))
    warnings: list[_Problem] = []
    for request in requests.values():
        origin = origins[("request", request.id)]
        for field_name in ("exclude", "prefer"):
            for index, partner_id in enumerate(getattr(request, field_name)):
                unknown_partner(origin, (field_name, index), partner_id)
        if isinstance(request.deadline, date):
            if request.start is None:
                problems.append(
                    _Problem(origin.file, (*origin.path, "deadline"), "a date deadline needs a start date: add 'start'")
                )
            elif request.deadline < request.start:
                problems.append(
                    _Problem(
                        origin.file,
                        (*origin.path, "deadline"),
                        f"deadline {request.deadline.isoformat()} is before start {request.start.isoformat()}",
                    )
                )
        if (request.start is not None or isinstance(request.deadline, date)) and info.time_unit != "day":
            problems.append(
                _Problem(
                    origin.file,
                    (*origin.path, "start"),
                    f"dates need time_unit 'day'; the network's is {quote(info.time_unit)}",
                )
            )
        check_steps(request, origin, declared, problems, choices, unchecked)
        for index, step in enumerate(request.steps):
            where = (*origin.path, "steps", index, "capability")
            if (
                offers
                and step.capability not in by_capability
                and not unchecked.takes(origin.file, where, "capability", step.capability)
            ):
                warnings.append(
                    _Problem(
                        origin.file,
                        where,
                        f"no module offers capability {quote(step.capability)} (step {quote(step.id)})",
                        severity="warning",
                    )
                )
    problems.extend(warnings)
    return warnings


def check_steps(
    request: Request,
    origin: Origin,
    partners: Collection[str],
    problems: list[_Problem],
    partner_choices: Choices | None = None,
    unchecked: _Unchecked | None = None,
) -> None:
    """Step ids unique, `after` and pins resolvable, and no cycle."""
    seen: dict[str, int] = {}
    for index, step in enumerate(request.steps):
        path = (*origin.path, "steps", index)
        if step.id in seen:
            problems.append(
                _Problem(
                    origin.file,
                    (*path, "id"),
                    f"duplicate step id {quote(step.id)} in request {quote(request.id)}: "
                    f"first is step {seen[step.id] + 1}",
                )
            )
        else:
            seen[step.id] = index
        if (
            step.partner is not None
            and step.partner not in partners
            and not (
                unchecked is not None and unchecked.takes(origin.file, (*path, "partner"), "partner", step.partner)
            )
        ):
            if partner_choices is None:
                partner_choices = Choices(sorted(partners))
            problems.append(
                _unknown_reference(origin.file, (*path, "partner"), step.partner, partner_choices, "partner")
            )
    step_choices: Choices | None = None
    for index, step in enumerate(request.steps):
        for position, before in enumerate(step.after):
            where = (*origin.path, "steps", index, "after", position)
            if before not in seen:
                if step_choices is None:
                    step_choices = Choices(seen)
                problems.append(_unknown_reference(origin.file, where, before, step_choices, "step"))
            elif before == step.id:
                problems.append(_Problem(origin.file, where, f"step {quote(step.id)} cannot come after itself"))
    cycle = find_cycle(request)
    if cycle:
        # Named from its first step in file order, and reported there.
        first = min(range(len(cycle)), key=lambda i: seen[cycle[i]])
        cycle = cycle[first:] + cycle[:first]
        index = seen[cycle[0]]
        problems.append(
            _Problem(
                origin.file,
                (*origin.path, "steps", index, "after"),
                f"step cycle: {_chain([*cycle, cycle[0]], 'steps')}",
            )
        )


def _load_units(paths: Sequence[str], allow_outside: Sequence[str] = ()) -> list[Network[ModuleRef] | InputError]:
    """Validate what is under ``paths``: each network on its own when several are found.

    A root file (one no other file includes) and what it includes form a unit; units that
    declare a network are checked separately, and files outside them join the only network
    or, when there are several, are checked together.
    """
    project = Project.of(paths, allow_outside)
    loader = _Loader(project, lean=True)
    with _reading_ahead(loader):
        for raw in paths:
            loader.load_path(raw)
    if len(loader.network) <= 1:
        return [_attempt(loader)]
    network_units, loose = _network_units(loader)
    if len(network_units) == 1:
        network_units[0].extend(loose)
    elif loose:
        network_units.append(loose)
    loader.refs.clear()  # each unit is loaded again below
    for kept in loader.items.values():
        kept.clear()
    results: list[Network[ModuleRef] | InputError] = []
    loaders = []
    for unit_keys in network_units:
        fresh = _Loader(project, lean=True)
        fresh.unread.extend(loader.path_unread)  # what the directories named did not yield may be any unit's
        loaders.append(fresh)
        for key in unit_keys:
            if key == STDIN:
                loaded = loader.files[key]
                fresh.follow(fresh.enter_source(loaded.source, STDIN, _here()))
            else:
                fresh.load_file(Path(key))
        results.append(_attempt(fresh))
    if loader.path_diagnostics:
        # What the directories named did not yield belongs to no unit: it is reported with the first.
        first = results[0]
        notes = list(loader.path_diagnostics)
        if isinstance(first, InputError):
            results[0] = InputError(sorted(notes + first.diagnostics, key=loaders[0].sort_key))
        elif any(note.severity == "error" for note in notes):
            results[0] = InputError(notes + list(first.warnings))
        else:
            results[0] = dataclasses.replace(first, warnings=tuple(notes) + first.warnings)
    return results


def _network_units(loader: _Loader) -> tuple[list[list[str]], list[str]]:
    """The roots of each unit that declares a network, and of those that do not (see _units)."""
    ordered = sorted(loader.files.values(), key=lambda loaded: loaded.order)
    with_network = {origin.file for _, origin in loader.network}
    declares = {loaded.key for loaded in ordered if loaded.source.name in with_network}
    return _units(loader, [loaded.key for loaded in ordered], declares)


def _units(loader: _Loader, ordered: list[str], declares: set[str]) -> tuple[list[list[str]], list[str]]:
    """The roots of each unit that declares a network, in load order, and the roots of the units that do not.

    Roots, in load order, join the units they share a file with, except that two units each
    declaring networks of their own (none in common) stay apart even when they share a file.
    Union-find over the files each root reaches, so that many roots sharing one file (3,000
    networks including one list of partners) cost linear time: a network unit is found through
    the network files it holds, and a unit without a network through each file it holds.
    """
    included = {child for children in loader.children.values() for child in children}

    def closure(key: str) -> set[str]:
        seen, todo = {key}, [key]
        while todo:
            for child in loader.children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    roots = [key for key in ordered if key not in included]
    # Files that include each other in a cycle have no root: the first of them, in load order, is one.
    covered: set[str] = set()
    for root in roots:
        covered.update(closure(root))
    for key in ordered:
        if key not in covered:
            roots.append(key)
            covered.update(closure(key))
    position = {key: index for index, key in enumerate(ordered)}
    roots.sort(key=position.__getitem__)

    parent: dict[int, int] = {}  # union-find over unit numbers
    networks: dict[int, bool] = {}  # whether the unit declares a network
    members: dict[int, list[str]] = {}  # its roots

    def find(unit: int) -> int:
        while parent[unit] != unit:
            parent[unit] = parent[parent[unit]]
            unit = parent[unit]
        return unit

    owner: dict[str, int] = {}  # network file -> the unit holding it (a network file is in one unit)
    loose_with: dict[str, list[int]] = defaultdict(list)  # file -> units without a network holding it
    networked_with: dict[str, list[int]] = defaultdict(list)  # file -> units with a network holding it
    for number, root in enumerate(roots):
        files = closure(root)
        own = [key for key in files if key in declares]
        joined = {find(owner[key]) for key in own if key in owner}
        for key in files:
            # Every entry met here joins, or is moved to the other list when it joined a network
            # unit since, so each entry is met once by a root declaring a network.
            for unit in loose_with.pop(key, ()):
                unit = find(unit)
                if own and networks[unit]:
                    networked_with[key].append(unit)
                else:
                    joined.add(unit)
            if not own:
                joined.update(find(unit) for unit in networked_with.pop(key, ()))
        parent[number] = number
        networks[number] = bool(own) or any(networks[unit] for unit in joined)
        members[number] = [root]
        for unit in joined:
            parent[unit] = number
            members[number].extend(members.pop(unit))
        for key in own:
            owner[key] = number
        for key in files:
            (networked_with if networks[number] else loose_with)[key].append(number)
    units = sorted(
        ((networks[number], sorted(keys, key=position.__getitem__)) for number, keys in members.items()),
        key=lambda unit: position[unit[1][0]],
    )
    return [keys for networked, keys in units if networked], [
        key for networked, keys in units if not networked for key in keys
    ]


def _attempt(loader: _Loader) -> Network[Any] | InputError:
    try:
        return _finish(loader)
    except InputError as error:
        return error


def _load_for_plan(
    files: Sequence[str], networks: Sequence[str], allow_outside: Sequence[str] = ()
) -> tuple[Network, list[Request]]:
    """Load request files and network paths as one set; the requests are those of the files given."""
    loader = _Loader(Project.of([*files, *networks], allow_outside))
    for raw in files:
        loader.load_path(raw)
    given = {loaded.source.name for loaded in loader.files.values()}
    for raw in networks:
        loader.load_path(raw)
    network = _finish(loader)
    requests = [r for r in network.requests if network.origins[("request", r.id)].file in given]
    return network, requests


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Loading and planning allocate millions of objects and make no cycles: the collector would only walk them.

    Measured on 50,000 modules: validate 18.6 s CPU with the collector, 5.6 s without; planning 1,000
    requests on 5,000 modules: 13.0 s with it, 11.0 s without (docs/performance.md).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # What was made meanwhile is moved out of the collector's sight: re-enabled, it would
            # otherwise walk all of it at once (0.25 s after planning 1,000 requests).
            gc.freeze()
            gc.enable()


def load_network(paths: Sequence[str], *, allow_outside: Sequence[str] = ()) -> Network:
    """Load and validate every file under ``paths``; raise InputError with every problem."""
    with exact(), without_cycle_collection():
        return _load_network(paths, allow_outside)


def load_units(paths: Sequence[str], *, allow_outside: Sequence[str] = ()) -> list[Network[ModuleRef] | InputError]:
    """Validate what is under ``paths``, each network on its own (see _load_units); modules kept as ModuleRefs."""
    with exact(), without_cycle_collection():
        return _load_units(paths, allow_outside)


def load_for_plan(
    files: Sequence[str], networks: Sequence[str], *, allow_outside: Sequence[str] = ()
) -> tuple[Network, list[Request]]:
    """Load request files and network paths as one set; the requests are those of the files given."""
    with exact(), without_cycle_collection():
        return _load_for_plan(files, networks, allow_outside)
