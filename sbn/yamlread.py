"""Safe YAML reading that keeps every scalar as written and knows where each value stands.

libyaml's C parser composes the node tree (with line and column marks) exactly as
``yaml.CSafeLoader`` does; the construction step is ours, so that

* ids, regions and other strings stay exactly as written (``NO``, ``0012``);
* duplicate keys are errors naming both lines;
* anchors, aliases and merge keys work, but their expansion is bounded;
* only the standard tags are accepted (safe loading).

Scalars come out as ``str`` (their text) or ``None`` (a plain null); numbers and dates
are parsed by the models, which know which fields hold them.
"""

from __future__ import annotations

import itertools
import operator
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from sbn.errors import Diagnostic, InputError
from sbn.sources import SourceError, read_file, working_directory
from sbn.text import quote

try:
    from yaml.cyaml import CParser as _Parser

    HAS_LIBYAML = True
except ImportError:  # pragma: no cover - exercised only without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

    HAS_LIBYAML = False

NULLS = frozenset({"", "~", "null", "Null", "NULL"})
ALLOWED_TAGS = frozenset(
    {
        "!",
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:seq",
        "tag:yaml.org,2002:map",
    }
)
# An alias may repeat a value, but the document may not grow past this many nodes
# per node written (plus a floor), which stops "billion laughs" in milliseconds.
EXPANSION_FACTOR = 10
EXPANSION_FLOOR = 100_000
MERGE_KEY = "<<"


class _Composer(_Parser, BaseResolver):  # type: ignore[misc, valid-type]
    """libyaml composition with no implicit typing: the constructor below decides."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        BaseResolver.__init__(self)

    # libyaml calls these three back for every node; builtins cost a fraction of Python methods.
    # An implicit (untagged) node gets a slice as its tag; explicit tags stay strings.
    resolve = staticmethod(slice)
    descend_resolver = staticmethod(operator.is_)
    ascend_resolver = staticmethod(tuple)


def _implicit(node: Node) -> bool:
    return type(node.tag) is slice


@dataclass(frozen=True)
class Source:
    """A file as read: its display name and text."""

    name: str
    text: str


def display_name(path: Path, real: str | None = None) -> str:
    """The path as a user would type it: relative to the working directory when below it.

    ``real`` is the path resolved, when the caller has it already.
    """
    here = working_directory()
    if real is None:
        real = os.path.realpath(path)  # unlike Path.resolve, ends on a link loop instead of raising
    if here is not None and (real == here or real.startswith(here.rstrip(os.sep) + os.sep)):
        return os.path.relpath(real, here)
    return str(path)


def read_source(path: Path, name: str) -> Source:
    """Read a regular file as UTF-8 text (sbn.sources bounds what is read); a bad byte is reported at its line."""
    try:
        raw, _ = read_file(path)
    except SourceError as exc:
        raise InputError([Diagnostic(name, 1, 1, f"cannot read file: {exc}")]) from None
    return decode(raw, name)


def decode(raw: bytes, name: str) -> Source:
    """Bytes as UTF-8 text, a byte-order mark read past; a bad byte is reported at its line and column."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        # Columns count characters after any BOM, as everywhere else; the bytes before the bad one decode.
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        before = raw[line_start : exc.start].decode("utf-8")
        column = len(before.removeprefix("\ufeff") if line_start == 0 else before) + 1
        message = f"file is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"
        raise InputError([Diagnostic(name, line, column, message)]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(name, text)


def compose(source: Source) -> Node | None:
    """Parse text into a node tree, turning YAML errors into diagnostics."""
    composer = _Composer(source.text)
    try:
        return composer.get_single_node()  # type: ignore[no-any-return]
    except yaml.MarkedYAMLError as exc:
        raise InputError([_marked_error(source, exc)]) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(source.text, exc.position)
        message = (
            f"unacceptable character #x{exc.character:04x}: {exc.reason}"
            if isinstance(exc.character, int)
            else f"unacceptable character: {exc.reason}"
        )
        raise InputError([Diagnostic(source.name, line, column, message)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml reports all errors marked
        raise InputError([Diagnostic(source.name, 1, 1, f"YAML error: {exc}")]) from None
    finally:
        composer.dispose()


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _marked_error(source: Source, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """A YAML error placed where the mistake most likely is, as yamllint and rustc place them.

    libyaml marks where it gave up (the problem mark) and where the construct it was reading
    began (the context mark). An unclosed bracket or quote is reported where it opens, a
    missing ':' at its key, each with where the parser gave up; an indentation error names
    the list or mapping it breaks.
    """
    text = source.text
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or "invalid YAML"
    start = exc.context_mark
    began = f"{start.line + 1}:{start.column + 1}" if start is not None else ""
    gave_up = f"the parser gave up at {line}:{column}: {problem}"

    def at_start(message: str) -> Diagnostic:
        assert start is not None
        return Diagnostic(source.name, start.line + 1, start.column + 1, f"invalid YAML: {message}")

    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        problem = "tab character: YAML is indented with spaces, never tabs"
    elif exc.context and exc.context.endswith("; first occurrence") and start is not None:
        # libyaml says "found duplicate anchor; first occurrence" as context and "second occurrence" as problem.
        duplicate = exc.context.removeprefix("found ").removesuffix("; first occurrence")
        problem = f"{duplicate}: first at line {start.line + 1}"
    elif start is not None and exc.context in _FLOW and problem.startswith("did not find expected ','"):
        opener = text[start.index] if 0 <= start.index < len(text) else ""
        if opener in _CLOSER and _closed_at(text, start.index) is None:
            return at_start(f"{opener!r} is never closed ({gave_up})")
        problem = f"{problem} (in the {_FLOW[exc.context]} that starts at {began}: is a ',' missing?)"
    elif start is not None and exc.context == "while scanning a quoted scalar" and "end of stream" in problem:
        opener = text[start.index] if 0 <= start.index < len(text) else '"'
        return at_start(f"{opener!r} is never closed ({gave_up})")
    elif start is not None and exc.context == "while scanning a simple key" and mark is not None:
        return at_start(f"no ':' after this key ({gave_up})")
    elif start is not None and exc.context in _BLOCK and mark is not None:
        quoted = _quoted_before(text, mark.index)
        if quoted is not None and quoted[0].line != quoted[1].line:
            opened, closed = quoted
            quote_char = text[opened.index]
            return Diagnostic(
                source.name,
                opened.line + 1,
                opened.column + 1,
                f"invalid YAML: the {quote_char!r} opened here is closed only at {closed.line + 1}:{closed.column}, "
                f"lines later: is a closing {quote_char!r} missing? ({gave_up})",
            )
        if quoted is not None:
            problem = f"{problem}: text after the quoted value that ends at {line}:{quoted[1].column}; quote all of it"
        elif mark.line > start.line:
            problem = f"{problem}: check the indentation of this line against the {_BLOCK[exc.context]} at {began}"
        else:
            problem = f"{problem} ({exc.context})"
    elif problem == "mapping values are not allowed in this context":
        problem = f"{problem} (a line indented too far, or a value holding ': ' that needs quotes)"
    elif exc.context and problem.startswith("but "):
        problem = f"{exc.context}, {problem}"
    elif exc.context and exc.context not in problem:
        problem = f"{problem} ({exc.context})"
    return Diagnostic(source.name, line, column, f"invalid YAML: {problem}")


_FLOW = {"while parsing a flow sequence": "list", "while parsing a flow mapping": "mapping"}
_BLOCK = {"while parsing a block mapping": "mapping", "while parsing a block collection": "list"}
_CLOSER = {"[": "]", "{": "}"}


def _closed_at(text: str, index: int) -> int | None:
    """Where the bracket at ``index`` is closed, skipping quoted text and comments; None if it never is."""
    expected = [_CLOSER[text[index]]]
    position = index + 1
    size = len(text)
    while position < size:
        char = text[position]
        if char in _CLOSER:
            expected.append(_CLOSER[char])
        elif char in "]}":
            if char != expected.pop():
                return None  # closed by the wrong bracket: this one never is
            if not expected:
                return position
        elif char in "'\"" and text[position - 1] in " \t\n[{,:?":
            position = _quote_end(text, position)
        elif char == "#" and text[position - 1] in " \t\n":
            end = text.find("\n", position)
            position = size if end < 0 else end
        position += 1
    return None


def _quote_end(text: str, index: int) -> int:
    """The index of the quote closing the one at ``index`` (YAML escapes: '' in single, \\ in double)."""
    quote_char = text[index]
    position = index + 1
    while True:
        position = text.find(quote_char, position)
        if position < 0:
            return len(text)
        if quote_char == '"':
            escaping = position
            while text[escaping - 1] == "\\":
                escaping -= 1
            if (position - escaping) % 2:  # an odd run of backslashes escapes the quote
                position += 1
                continue
        elif text.startswith("''", position):
            position += 2
            continue
        return position


def _quoted_before(text: str, index: int) -> tuple[yaml.Mark, yaml.Mark] | None:
    """Start and end of the quoted value just before ``index``, if the last token there is one.

    Read again token by token, only when a quote ends right before: a string whose closing quote
    is missing runs on to the next quote, and the parser gives up only after it.
    """
    before = text[:index].rstrip(" ")
    if not before.endswith(("'", '"')):
        return None
    scanner = _Parser(text)
    last = None
    try:
        while True:
            token = scanner.get_token()
            if token is None or token.start_mark.index >= index:
                break
            last = token
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    if isinstance(last, yaml.ScalarToken) and last.style in ("'", '"') and last.end_mark.index == len(before):
        return last.start_mark, last.end_mark
    return None


def node_position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def parse(source: Source) -> tuple[Any, Node | None]:
    """Read a document into plain data (dict/list/str/None) and its node tree."""
    data, node, problems = parse_leniently(source)
    if problems:
        raise InputError(problems)
    return data, node


def parse_leniently(source: Source) -> tuple[Any, Node | None, list[Diagnostic]]:
    """Like ``parse``, but duplicate keys and bad merges come back beside the data built around them.

    The first of duplicate keys is kept, so the rest of the file can still be checked. A document
    that cannot be built (bad syntax, an alias bomb, a recursive alias, a refused tag) still raises.
    """
    node = compose(source)
    if node is None:
        return None, None, []
    # Without an anchor nothing can be shared, so the tree is as large as the text.
    shared = "&" in source.text
    if shared:
        _check_expansion(source, node)
    builder = _Builder(source, memoize=shared)
    data = builder.build(node)
    if builder.refused_tag:
        raise InputError(builder.errors)
    return data, node, builder.errors


def read_data(source: Source) -> tuple[Any, list[Diagnostic]]:
    """The data of ``parse_leniently`` without its node tree, which is many times the data.

    Plain documents (no anchor, alias, tag, merge key, duplicate or non-text key, nesting at most
    ``_EVENT_DEPTH`` deep) are built straight from the parser's events, each dropped once read.
    Anything else, errors included, goes through ``parse_leniently``: same data, same problems.
    """
    try:
        return data_from_events(source.text), []
    except Exception:  # whatever the fast path refuses, the full path decides
        pass
    data, _, problems = parse_leniently(source)
    return data, problems


class NotPlain(Exception):
    """The document needs the node tree: anchors, tags, merges, odd keys or deep nesting."""


_EVENT_DEPTH = 500
_NO_KEY: Any = object()


def data_from_events(text: str) -> Any:
    parser = _Parser(text)
    try:
        get = parser.get_event
        get()  # stream start
        if type(get()) is StreamEndEvent:  # no document
            return None
        stack: list[tuple[Any, Any, bool]] = []
        top: Any = None  # the open list or dict; None at the top level
        key = _NO_KEY  # the key waiting for its value in an open dict
        in_mapping = False
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    raise NotPlain
                if in_mapping and key is _NO_KEY:
                    key = event.value  # keys stay as written, even "~"
                    if key == MERGE_KEY or key in top:
                        raise NotPlain
                    continue
                value: Any = None if (not event.style and event.value in NULLS) else event.value
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None or len(stack) >= _EVENT_DEPTH:
                    raise NotPlain
                if in_mapping and key is _NO_KEY:
                    raise NotPlain  # a list or mapping as a key
                stack.append((top, key, in_mapping))
                in_mapping = kind is MappingStartEvent
                top = {} if in_mapping else []
                key = _NO_KEY
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = top
                top, key, in_mapping = stack.pop()
            else:
                raise NotPlain  # an alias
            if top is None:
                break
            if in_mapping:
                top[key] = value
                key = _NO_KEY
            else:
                top.append(value)
        if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
            raise NotPlain  # more than one document: the composer says so
        return value
    finally:
        parser.dispose()


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        return iter(node.value)
    return itertools.chain.from_iterable(node.value)  # key, value, key, value...


def _check_expansion(source: Source, root: Node) -> None:
    """Refuse documents whose aliases expand far beyond what is written (alias bombs).

    Depth first on a stack of our own, like every walk over input here: nesting is the input's to choose.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0

    def finished(node: Node, total: int) -> int:
        sizes[id(node)] = total
        if total > EXPANSION_FLOOR and total > EXPANSION_FACTOR * distinct:
            line, column = node_position(node)
            message = (
                f"alias expansion too large: this value expands to {total:,} nodes from {distinct:,} written; "
                "anchors may repeat values, not multiply them"
            )
            raise InputError([Diagnostic(source.name, line, column, message)])
        return total

    if isinstance(root, ScalarNode):
        return
    distinct = 1
    on_path.add(id(root))
    # The open nodes, their children still to count, and what they count so far.
    nodes, pending, totals = [root], [_children(root)], [1]
    while nodes:
        child = next(pending[-1], None)
        if child is None:
            node = nodes.pop()
            pending.pop()
            on_path.discard(id(node))
            size = finished(node, totals.pop())
            if totals:
                totals[-1] += size
            continue
        key = id(child)
        known = sizes.get(key)
        if known is not None:
            totals[-1] += known
        elif key in on_path:
            line, column = node_position(child)
            raise InputError([Diagnostic(source.name, line, column, "recursive alias: a value contains itself")])
        elif type(child) is ScalarNode:
            distinct += 1
            sizes[key] = 1
            totals[-1] += 1
        else:
            distinct += 1
            on_path.add(key)
            nodes.append(child)
            pending.append(_children(child))
            totals.append(1)


_PENDING: Any = object()


class _Builder:
    """Turns nodes into plain data, collecting every duplicate key and forbidden tag.

    Each list or mapping is built by a generator that yields the child nodes it needs and is sent
    their values; ``build`` runs them on a stack of its own, so nesting costs no recursion.
    """

    def __init__(self, source: Source, memoize: bool = True) -> None:
        self.source = source
        self.errors: list[Diagnostic] = []
        self.refused_tag = False
        self.memo: dict[int, Any] | None = {} if memoize else None

    def error(self, node: Node, message: str) -> None:
        line, column = node_position(node)
        self.errors.append(Diagnostic(self.source.name, line, column, message))

    def build(self, root: Node) -> Any:
        value = self.leaf(root)
        if value is not _PENDING:
            return value
        stack = [self.branch(root)]
        value = None
        while stack:
            try:
                child = stack[-1].send(value)
            except StopIteration as done:
                stack.pop()
                value = done.value
                continue
            value = self.leaf(child)
            if value is _PENDING:
                stack.append(self.branch(child))
                value = None
        return value

    def leaf(self, node: Node) -> Any:
        """The value of a node known without its children (a scalar, a refused tag, one built before), else _PENDING."""
        memo = self.memo
        if memo is not None and id(node) in memo:
            return memo[id(node)]
        if type(node) is ScalarNode:
            if _implicit(node):
                value: Any = None if (not node.style and node.value in NULLS) else node.value
            elif node.tag not in ALLOWED_TAGS:
                value = self.refuse(node)
            else:
                value = None if node.tag == "tag:yaml.org,2002:null" else node.value
        elif not _implicit(node) and node.tag not in ALLOWED_TAGS:
            value = self.refuse(node)
        else:
            return _PENDING
        if memo is not None:
            memo[id(node)] = value
        return value

    def refuse(self, node: Node) -> Any:
        self.error(node, f"tag {quote(node.tag)} is not allowed: sbn reads YAML safely, as plain data")
        self.refused_tag = True
        return None

    def branch(self, node: Node) -> Generator[Node, Any, Any]:
        """Build a list or mapping; each child value is asked for by yielding its node."""
        leaf = self.leaf
        if isinstance(node, SequenceNode):
            value: Any = []
            for child in node.value:
                item = leaf(child)
                value.append((yield child) if item is _PENDING else item)
        else:
            value = yield from self.build_mapping(node)  # type: ignore[arg-type]
        if self.memo is not None:
            self.memo[id(node)] = value
        return value

    def build_mapping(self, node: MappingNode) -> Generator[Node, Any, dict[str, Any]]:
        result: dict[str, Any] = {}
        lines: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, "a mapping key must be a plain string, not a list or mapping")
                continue
            key = key_node.value
            if key == MERGE_KEY and not key_node.style and _implicit(key_node):
                if key in lines:
                    self.error(
                        key_node,
                        f"duplicate merge key '<<': already defined at line {lines[key]}; "
                        "merge several mappings with one: <<: [*first, *second]",
                    )
                    continue
                lines[key] = key_node.start_mark.line + 1
                sources = []
                candidates = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for candidate in candidates:
                    if isinstance(candidate, MappingNode):
                        built = self.leaf(candidate)
                        sources.append((yield candidate) if built is _PENDING else built)
                    else:
                        self.error(candidate, "merge key '<<' takes a mapping or a list of mappings")
                for source in reversed(sources):
                    merged.update(source)
                continue
            if key in lines:
                self.error(key_node, f"duplicate key {quote(key)}: already defined at line {lines[key]}")
                continue
            lines[key] = key_node.start_mark.line + 1
            item = self.leaf(value_node)
            result[key] = (yield value_node) if item is _PENDING else item
        if merged:
            merged.update(result)
            return merged
        return result


def walk(root: Node | None, path: tuple[str | int, ...]) -> Iterator[tuple[Node | None, Node, Node | None]]:
    """Yield (key node, value node, merge key node) along a data path; stops where the path leaves the tree.

    The merge key node is the ``<<`` through which a key was found, or None where it is written in place.
    """
    node = root
    for step in path:
        if node is None:
            return
        found: tuple[Node | None, Node, Node | None] | None = None
        if isinstance(node, SequenceNode) and isinstance(step, int):
            if 0 <= step < len(node.value):
                found = (None, node.value[step], None)
        elif isinstance(node, MappingNode) and isinstance(step, str):
            found = _find_key(node, step)
        if found is None:
            return
        yield found
        node = found[1]


def _find_key(node: MappingNode, key: str) -> tuple[Node, Node, Node | None] | None:
    """The key written in ``node``, else the first found through its merge keys, depth first in order.

    The merge key reported is the one written in ``node``, through which the key was reached.
    """
    todo: list[tuple[MappingNode, Node | None]] = [(node, None)]
    while todo:
        current, merged_at = todo.pop()
        merges = []
        for key_node, value_node in current.value:
            if isinstance(key_node, ScalarNode):
                if key_node.value == MERGE_KEY and not key_node.style:
                    merges.append((key_node, value_node))
                elif key_node.value == key:
                    return key_node, value_node, merged_at
        found = [
            (candidate, merged_at or merge_key)
            for merge_key, merge in merges
            for candidate in (merge.value if isinstance(merge, SequenceNode) else [merge])
            if isinstance(candidate, MappingNode)
        ]
        todo.extend(reversed(found))
    return None


def locate(root: Node | None, path: tuple[str | int, ...], at_key: bool = False) -> tuple[int, int]:
    """Line and column of the value (or key) at ``path``; the nearest existing parent if absent.

    What a mapping only has through a merge key is placed at its ``<<``: the anchored text may be
    shared by many items, and the problem is the item's.
    """
    if root is None:
        return 1, 1
    position = node_position(root)
    steps = list(walk(root, path))
    for index, (key_node, value_node, merged_at) in enumerate(steps):
        if merged_at is not None:
            return node_position(merged_at)
        is_last = index == len(path) - 1
        position = node_position(key_node) if is_last and at_key and key_node is not None else node_position(value_node)
    return position
