"""Ids for shell completion, from the files already on the command line.

Completion runs inside the user's shell at every Tab: it must stay silent and never fail. A
network that loads gives its ids; one with errors still gives the ids its files declare.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sbn.sources import STDIN, Project, SourceError, read_file, walk


def request_ids(files: Sequence[str], networks: Sequence[str], incomplete: str) -> list[str]:
    """Ids of the requests in ``files`` (those `plan` would plan) starting with ``incomplete``."""
    try:
        from sbn.loader import load_for_plan

        _, requests = load_for_plan(_readable(files), _readable(networks))
        found = [request.id for request in requests]
    except Exception:  # an invalid network still has ids worth offering
        found = _declared("requests", files)
    return _matching(found, incomplete)


def partner_ids(files: Sequence[str], networks: Sequence[str], incomplete: str) -> list[str]:
    """Ids of the partners of the network the files and ``networks`` make, starting with ``incomplete``."""
    try:
        from sbn.loader import load_for_plan

        network, _ = load_for_plan(_readable(files), _readable(networks))
        found = list(network.partners)
    except Exception:
        found = _declared("partners", [*files, *networks])
    return _matching(found, incomplete)


def _readable(paths: Sequence[str] | None) -> list[str]:
    # Standard input is the user's terminal while they complete: never read it.
    return [path for path in paths or () if path != STDIN]


def _matching(ids: Iterable[str], incomplete: str) -> list[str]:
    return list(dict.fromkeys(item for item in ids if item.startswith(incomplete)))


def _declared(section: str, paths: Sequence[str]) -> list[str]:
    """The ids a section lists in the files under ``paths`` and what they include, read without validation."""
    import yaml

    found: list[str] = []
    seen: set[str] = set()
    named = _readable(paths)
    # Read as sbn reads (sbn.sources): regular files only, bounded, includes inside the project; a Tab
    # must not hang on a FIFO an include names, nor read a file outside the project.
    project = Project.of(named)
    pending = [(Path(path), True) for path in named]
    while pending:
        path, given = pending.pop(0)
        if not given and not project.admits(os.path.realpath(path)):
            continue
        try:
            targets = walk(path).files if path.is_dir() else [path]
        except OSError:
            continue
        for target in targets:
            key = os.path.realpath(target)
            if key in seen or not (given or project.admits(key)):
                continue
            seen.add(key)
            try:
                data: Any = yaml.load(read_file(key)[0], Loader=yaml.CSafeLoader)
            except (SourceError, yaml.YAMLError, RecursionError):
                continue
            if not isinstance(data, dict):
                continue
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    found.append(entry["id"])
            includes = data.get("include") or []
            pending += [
                (target.parent / entry, False)
                for entry in includes
                if isinstance(entry, str) and entry and "\x00" not in entry and not os.path.isabs(entry)
            ]
    return found
