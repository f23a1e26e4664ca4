"""Load a network from YAML files: includes, schema, references, every problem at once (SPEC §1)."""

from __future__ import annotations

import difflib
import gc
import sys
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, get_args

from pydantic import BaseModel, ValidationError
from typing_extensions import TypeVar

from sbn.errors import Diagnostic, InputError, UsageError
from sbn.graph import find_cycle
from sbn.model import CRITERIA, Document, Module, NetworkInfo, Partner, Request
from sbn.numbers import exact
from sbn.yamlread import Source, display_name, locate, parse_leniently, read_data, read_source

SECTIONS: dict[str, type[BaseModel]] = {"partners": Partner, "modules": Module, "requests": Request}
TOP_LEVEL = ("network", "include", "partners", "modules", "requests")
YAML_SUFFIXES = (".yaml", ".yml")
STDIN = "-"
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

    __slots__ = ("capability", "file", "id", "index", "partner")

    def __init__(self, id: str, partner: str, capability: str, file: str, index: int) -> None:
        self.id = id
        self.partner = partner
        self.capability = capability
        self.file = file
        self.index = index  # in the file's list of modules

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

    def request_file(self, request: Request) -> str:
        return self.origins[("request", request.id)].file


@dataclass
class _Problem:
    """A problem whose position is looked up only when it is reported."""

    file: str
    path: Path_
    message: str
    at_key: bool = False
    severity: str = "error"
    refs: tuple[Origin, ...] = ()


@dataclass
class _Loaded:
    source: Source
    key: str
    order: int
    path: Path | None = None  # set when the text was let go: read again only to locate a problem


class _Loader:
    """Reads files (each once), follows includes, validates items and collects problems.

    A lean loader keeps a ModuleRef of each valid module instead of the Module (see load_units).
    """

    def __init__(self, lean: bool = False) -> None:
        self.lean = lean
        self.refs: list[ModuleRef] = []
        self.strings: dict[str, str] = {}  # one copy of each partner id and capability a ModuleRef holds
        self.files: dict[str, _Loaded] = {}
        self.stack: list[str] = []
        self.diagnostics: list[Diagnostic] = []
        self.problems: list[_Problem] = []
        self.order: dict[str, int] = {}
        self.network: list[tuple[NetworkInfo, Origin]] = []
        self.items: dict[str, list[tuple[BaseModel, Origin]]] = {name: [] for name in SECTIONS}
        # Ids of items that are declared but invalid: references to them are not reported as unknown too.
        self.invalid_ids: dict[str, set[str]] = {name: set() for name in SECTIONS}
        self.children: dict[str, list[str]] = defaultdict(list)

    # -- files ---------------------------------------------------------------------------

    def load_path(self, raw: str) -> None:
        if raw == STDIN:
            source = Source("<stdin>", sys.stdin.read())
            self.load_source(source, STDIN, Path.cwd())
            return
        path = Path(raw)
        if path.is_dir():
            for child in expand_directory(path):
                self.load_file(child)
        elif path.is_file():
            self.load_file(path)
        else:
            raise UsageError(f"{raw}: no such file or directory")

    def load_file(self, path: Path, include_origin: tuple[str, Path_] | None = None) -> None:
        key = str(path.resolve())
        if include_origin is not None:
            self.children[self.stack[-1]].append(key)
        if key in self.stack:
            chain = " -> ".join(display_name(Path(item)) for item in self.stack[self.stack.index(key) :])
            assert include_origin is not None
            self.problems.append(
                _Problem(include_origin[0], include_origin[1], f"include cycle: {chain} -> {display_name(path)}")
            )
            return
        if key in self.files:
            return
        name = display_name(path)
        try:
            source = read_source(path, name)
        except InputError as error:
            self.order.setdefault(name, len(self.order))
            self.diagnostics.extend(error.diagnostics)
            self.files[key] = _Loaded(Source(name, ""), key, self.order[name])
            return
        self.load_source(source, key, path.parent)
        # Keep memory to the validated items: the text is read again only if a problem needs a position.
        self.files[key].source = Source(name, "")
        self.files[key].path = path

    def load_source(self, source: Source, key: str, directory: Path) -> None:
        self.order.setdefault(source.name, len(self.order))
        self.files[key] = _Loaded(source, key, self.order[source.name])
        try:
            data, yaml_problems = read_data(source)  # no node tree: many times the data
        except InputError as error:
            self.diagnostics.extend(error.diagnostics)
            return
        self.diagnostics.extend(yaml_problems)
        if data is None:
            return
        if not isinstance(data, dict):
            self.problems.append(
                _Problem(
                    source.name, (), "the top level must be a mapping of network, include, partners, modules, requests"
                )
            )
            return
        self.stack.append(key)
        try:
            self.check_document(source.name, data)
            targets = self.include_targets(source.name, data, directory)
            del data  # not kept while the included files load
            for index, target in targets:
                origin = (source.name, ("include", index))
                if target.is_dir():
                    for child in expand_directory(target):
                        if str(child.resolve()) != key:
                            self.load_file(child, origin)
                else:
                    self.load_file(target, origin)
        finally:
            self.stack.pop()

    def include_targets(self, name: str, data: dict[str, Any], directory: Path) -> list[tuple[int, Path]]:
        includes = data.get("include")
        if not isinstance(includes, list):
            return []
        targets = []
        for index, entry in enumerate(includes):
            if not isinstance(entry, str):
                continue
            target = directory / entry
            if target.exists():
                targets.append((index, target))
            else:
                self.problems.append(_Problem(name, ("include", index), f"included path not found: {entry}"))
        return targets

    # -- schema --------------------------------------------------------------------------

    def check_document(self, name: str, data: dict[str, Any]) -> None:
        for key in data:
            if key not in TOP_LEVEL:
                self.problems.append(
                    _Problem(name, (key,), unknown_field(key, TOP_LEVEL, "top-level key"), at_key=True)
                )
        shell = {key: value for key, value in data.items() if key in ("network", "include")}
        try:
            document = Document.model_validate(shell)
        except ValidationError as error:
            self.add_validation_errors(name, (), error, Document)
            document = None
        if document is not None and document.network is not None:
            self.network.append((document.network, Origin(name, ("network",))))
        for section, model in SECTIONS.items():
            if section not in data or data[section] is None:
                continue
            entries = data[section]
            if not isinstance(entries, list):
                self.problems.append(_Problem(name, (section,), f"{section} must be a list of {section}"))
                continue
            for index, entry in enumerate(entries):
                path = (section, index)
                try:
                    item = model.model_validate(entry)
                except ValidationError as error:
                    self.add_validation_errors(name, path, error, model)
                    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                        self.invalid_ids[section].add(entry["id"])
                    continue
                if self.lean and isinstance(item, Module):
                    strings = self.strings
                    partner = strings.setdefault(item.partner, item.partner)
                    capability = strings.setdefault(item.capability, item.capability)
                    self.refs.append(ModuleRef(item.id, partner, capability, name, index))
                else:
                    self.items[section].append((item, Origin(name, path)))

    def add_validation_errors(self, name: str, prefix: Path_, error: ValidationError, model: type[BaseModel]) -> None:
        for detail in error.errors(include_url=False):
            if _item_errors_explain(detail):
                continue
            loc = tuple(detail["loc"])
            message, at_key, loc = describe(detail, loc, model)
            self.problems.append(_Problem(name, prefix + loc, message, at_key=at_key))

    # -- results -------------------------------------------------------------------------

    def resolve(self, problems: Sequence[_Problem]) -> list[Diagnostic]:
        """Turn problems into diagnostics, composing only the files that have problems."""
        by_name = {loaded.source.name: loaded for loaded in self.files.values()}
        roots: dict[str, Any] = {}

        def position(file: str, path: Path_, at_key: bool = False) -> tuple[int, int]:
            if file not in roots:
                loaded = by_name.get(file)
                try:
                    source = loaded.source if loaded is not None and loaded.path is None else None
                    if loaded is not None and loaded.path is not None:
                        source = read_source(loaded.path, file)
                    roots[file] = parse_leniently(source)[1] if source is not None else None
                except InputError:
                    roots[file] = None
            return locate(roots[file], path, at_key)

        diagnostics = []
        for problem in problems:
            line, column = position(problem.file, problem.path, problem.at_key)
            message = problem.message
            if problem.refs:
                places = [f"{ref.file}:{':'.join(map(str, position(ref.file, ref.path)))}" for ref in problem.refs]
                message = message.format(*places)
            diagnostics.append(Diagnostic(problem.file, line, column, message, problem.severity))
        return diagnostics

    def sort_key(self, diagnostic: Diagnostic) -> tuple[int, int, int]:
        return self.order.get(diagnostic.file, len(self.order)), diagnostic.line, diagnostic.column


def expand_directory(path: Path) -> list[Path]:
    """Every *.yaml / *.yml below a directory, in sorted path order."""
    return sorted(child for child in path.rglob("*") if child.suffix in YAML_SUFFIXES and child.is_file())


def unknown_field(key: str, allowed: Iterable[str], what: str = "field") -> str:
    message = f"unknown {what} {key!r}"
    close = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
    if close:
        return f"{message} (did you mean {close[0]!r}?)"
    return f"{message}; expected one of: {', '.join(allowed)}"


def _submodel(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc`` below ``model``."""
    current: type[BaseModel] | None = model
    for step in loc:
        if current is None:
            return None
        if isinstance(step, int):
            continue
        info = current.model_fields.get(step)
        current = _model_in(info.annotation) if info is not None else None
    return current


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
        subject = f"each item of {field_name!r}"
    else:
        subject = repr(field_name)
    given = _kind_of(detail.get("input"))
    if kind == "extra_forbidden":
        parent = _submodel(model, loc[:-1])
        allowed = list(parent.model_fields) if parent is not None else []
        return unknown_field(str(loc[-1]), allowed), True, loc
    if kind == "missing":
        return f"missing required field {loc[-1]!r}", False, loc[:-1]
    if kind == "string_pattern_mismatch":
        return (
            f"invalid id for {field_name!r}: ids start with a letter or digit "
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
        return f"{field_name!r} must be {relation} {limit}", False, loc
    if kind in ("int_parsing", "int_type", "int_from_float", "sbn_whole"):
        return f"{field_name!r} must be a whole number", False, loc
    if kind == "literal_error":
        value = detail.get("input")
        criterion = unknown_field(str(value), CRITERIA, "criterion")
        return f"{criterion} in 'optimize'", False, loc
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact", "sbn_start"):
        return f"{field_name!r} must be a date like 2027-03-01", False, loc
    if kind == "too_short":
        return f"{field_name!r} must not be empty", False, loc
    if kind == "sbn_deadline":
        return f"{field_name!r} {detail['msg']}", False, loc
    if kind.startswith("sbn_"):
        return f"{field_name!r}: {detail['msg']}", False, loc
    return f"{field_name!r}: {detail['msg']}", False, loc


def _load_network(paths: Sequence[str], *, allow_empty: bool = False) -> Network:
    """Load and validate every file under ``paths``; raise InputError with every problem."""
    loader = _Loader()
    for raw in paths:
        loader.load_path(raw)
    return _finish(loader)


def _duplicate(kind: str, item_id: str, origin: Origin, first: Origin) -> _Problem:
    return _Problem(
        origin.file, (*origin.path, "id"), f"duplicate {kind} id {item_id!r}: first declared at {{}}", refs=(first,)
    )


def _finish(loader: _Loader) -> Network[Any]:
    partners: dict[str, Partner] = {}
    modules: dict[str, Module] = {}
    refs: dict[str, ModuleRef] = {}
    requests: dict[str, Request] = {}
    origins: dict[tuple[str, str], Origin] = {}
    problems = loader.problems
    for section, kind, target in (
        ("partners", "partner", partners),
        ("modules", "module", modules),
        ("requests", "request", requests),
    ):
        for item, origin in loader.items[section]:
            item_id = item.id  # type: ignore[attr-defined]
            if item_id in target:
                problems.append(_duplicate(kind, item_id, origin, origins[(kind, item_id)]))
                continue
            target[item_id] = item  # type: ignore[assignment]
            origins[(kind, item_id)] = origin
        if section == "modules":
            for ref in loader.refs:  # a lean loader's modules, in the same order
                first_ref = refs.setdefault(ref.id, ref)
                if first_ref is not ref:
                    problems.append(_duplicate("module", ref.id, ref.origin, first_ref.origin))
    if len(loader.network) > 1:
        first = loader.network[0][1]
        for _, origin in loader.network[1:]:
            problems.append(
                _Problem(
                    origin.file, origin.path, "network declared more than once: first at {}", at_key=True, refs=(first,)
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
    check_references(partners, module_partners, requests, origins, info, by_capability, problems, invalid_partners)
    diagnostics = loader.diagnostics + loader.resolve(problems)
    diagnostics.sort(key=loader.sort_key)
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
) -> list[_Problem]:
    """References between items: partners, steps, cycles; and capabilities nobody offers.

    ``module_partners`` holds each module's origin and partner id; ``by_capability`` the capabilities offered.
    ``declared`` holds the ids of partners declared but invalid: they are reported once, not again where referenced.
    """
    declared = set(declared) | set(partners)

    def unknown_partner(origin: Origin, path: Path_, partner_id: str) -> None:
        if partner_id not in declared:
            message = unknown_field(partner_id, sorted(declared), "partner")
            problems.append(_Problem(origin.file, origin.path + path, message))

    for origin, partner_id in module_partners:
        unknown_partner(origin, ("partner",), partner_id)
    for partner in partners.values():
        for index, other in enumerate(partner.interests.avoid):
            unknown_partner(origins[("partner", partner.id)], ("interests", "avoid", index), other)
            if other == partner.id:
                origin = origins[("partner", partner.id)]
                message = f"partner {other!r} cannot avoid itself; list the partners it never works with"
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
                    f"dates need time_unit 'day'; the network's is {info.time_unit!r}",
                )
            )
        check_steps(request, origin, declared, problems)
        for index, step in enumerate(request.steps):
            if step.capability not in by_capability:
                warnings.append(
                    _Problem(
                        origin.file,
                        (*origin.path, "steps", index, "capability"),
                        f"no module offers capability {step.capability!r} (step {step.id!r})",
                        severity="warning",
                    )
                )
    problems.extend(warnings)
    return warnings


def check_steps(request: Request, origin: Origin, partners: Collection[str], problems: list[_Problem]) -> None:
    """Step ids unique, `after` and pins resolvable, and no cycle."""
    seen: dict[str, int] = {}
    for index, step in enumerate(request.steps):
        path = (*origin.path, "steps", index)
        if step.id in seen:
            problems.append(
                _Problem(
                    origin.file,
                    (*path, "id"),
                    f"duplicate step id {step.id!r} in request {request.id!r}: first is step {seen[step.id] + 1}",
                )
            )
        else:
            seen[step.id] = index
        if step.partner is not None and step.partner not in partners:
            problems.append(
                _Problem(origin.file, (*path, "partner"), unknown_field(step.partner, sorted(partners), "partner"))
            )
    for index, step in enumerate(request.steps):
        for position, before in enumerate(step.after):
            if before not in seen:
                problems.append(
                    _Problem(
                        origin.file,
                        (*origin.path, "steps", index, "after", position),
                        unknown_field(before, list(seen), "step"),
                    )
                )
            elif before == step.id:
                problems.append(
                    _Problem(
                        origin.file,
                        (*origin.path, "steps", index, "after", position),
                        f"step {step.id!r} cannot come after itself",
                    )
                )
    cycle = find_cycle(request)
    if cycle:
        # Named from its first step in file order, and reported there.
        first = min(range(len(cycle)), key=lambda i: seen[cycle[i]])
        cycle = cycle[first:] + cycle[:first]
        index = seen[cycle[0]]
        problems.append(
            _Problem(
                origin.file, (*origin.path, "steps", index, "after"), f"step cycle: {' -> '.join([*cycle, cycle[0]])}"
            )
        )


def _load_units(paths: Sequence[str]) -> list[Network[ModuleRef] | InputError]:
    """Validate what is under ``paths``: each network on its own when several are found.

    A root file (one no other file includes) and what it includes form a unit; units that
    declare a network are checked separately, and files outside them join the only network
    or, when there are several, are checked together.
    """
    loader = _Loader(lean=True)
    for raw in paths:
        loader.load_path(raw)
    if len(loader.network) <= 1:
        return [_attempt(loader)]
    included = {child for children in loader.children.values() for child in children}
    ordered = sorted(loader.files.values(), key=lambda loaded: loaded.order)
    with_network = {origin.file for _, origin in loader.network}
    name_of = {loaded.key: loaded.source.name for loaded in ordered}

    def closure(key: str) -> set[str]:
        seen, todo = set(), [key]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(loader.children.get(current, []))
        return seen

    roots = [loaded.key for loaded in ordered if loaded.key not in included]
    # Files that include each other in a cycle have no root: the first of them, in load order, is one.
    covered = set().union(*(closure(root) for root in roots))
    for loaded in ordered:
        if loaded.key not in covered:
            roots.append(loaded.key)
            covered |= closure(loaded.key)
    roots.sort(key=lambda key: loader.files[key].order)

    def apart(one: set[str], other: set[str]) -> bool:
        """Each declares a network of its own: two networks including one shared file are checked apart."""
        networks = [{key for key in files if name_of[key] in with_network} for files in (one, other)]
        return bool(networks[0] and networks[1]) and networks[0].isdisjoint(networks[1])

    # Roots that share a file (two request files including one network) form one unit.
    units: list[tuple[list[str], set[str]]] = []
    for root in roots:
        files = closure(root)
        overlapping = [unit for unit in units if unit[1] & files and not apart(unit[1], files)]
        merged = ([root], files)
        for unit in overlapping:
            units.remove(unit)
            merged = (unit[0] + merged[0], unit[1] | merged[1])
        units.append(merged)
    units.sort(key=lambda unit: roots.index(unit[0][0]))
    network_units = [keys for keys, files in units if any(name_of[k] in with_network for k in files)]
    loose = [key for keys, files in units if not any(name_of[k] in with_network for k in files) for key in keys]
    if len(network_units) == 1:
        network_units[0].extend(loose)
    elif loose:
        network_units.append(loose)
    loader.refs.clear()  # each unit is loaded again below
    for kept in loader.items.values():
        kept.clear()
    results: list[Network[ModuleRef] | InputError] = []
    for unit_keys in network_units:
        fresh = _Loader(lean=True)
        for key in unit_keys:
            if key == STDIN:
                loaded = loader.files[key]
                fresh.load_source(loaded.source, STDIN, Path.cwd())
            else:
                fresh.load_file(Path(key))
        results.append(_attempt(fresh))
    return results


def _attempt(loader: _Loader) -> Network[Any] | InputError:
    try:
        return _finish(loader)
    except InputError as error:
        return error


def _load_for_plan(files: Sequence[str], networks: Sequence[str]) -> tuple[Network, list[Request]]:
    """Load request files and network paths as one set; the requests are those of the files given."""
    loader = _Loader()
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


def load_network(paths: Sequence[str], *, allow_empty: bool = False) -> Network:
    """Load and validate every file under ``paths``; raise InputError with every problem."""
    with exact(), without_cycle_collection():
        return _load_network(paths, allow_empty=allow_empty)


def load_units(paths: Sequence[str]) -> list[Network[ModuleRef] | InputError]:
    """Validate what is under ``paths``, each network on its own (see _load_units); modules kept as ModuleRefs."""
    with exact(), without_cycle_collection():
        return _load_units(paths)


def load_for_plan(files: Sequence[str], networks: Sequence[str]) -> tuple[Network, list[Request]]:
    """Load request files and network paths as one set; the requests are those of the files given."""
    with exact(), without_cycle_collection():
        return _load_for_plan(files, networks)
