"""Read the GAP benchmark instances and write each as one sbn request file."""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypedDict

# The instances live outside the repository; SBN_GAP_DIR points elsewhere when needed.
DATA_DIR = Path(os.environ.get("SBN_GAP_DIR", "/work/shared/bench/gap"))
_NOT_ID = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(slots=True)
class Problem:
    """One GAP instance: minimise sum cost[i][j] over assignments within agent capacities."""

    agents: int
    jobs: int
    cost: list[list[int]]
    resource: list[list[int]]
    capacity: list[int]


class Reference(TypedDict):
    """One row of reference.csv."""

    instance: str
    file: str
    problem: int
    agents: int
    jobs: int
    min_cost: int
    status: str
    lower_bound: int
    orlib_max_profit: int | None


def _take_problem(tokens: list[int], pos: int) -> tuple[Problem, int]:
    m, n = tokens[pos], tokens[pos + 1]
    pos += 2
    cost = [tokens[pos + i * n : pos + (i + 1) * n] for i in range(m)]
    pos += m * n
    resource = [tokens[pos + i * n : pos + (i + 1) * n] for i in range(m)]
    pos += m * n
    capacity = tokens[pos : pos + m]
    pos += m
    if pos > len(tokens):
        raise ValueError(f"truncated problem {m}x{n}")
    return Problem(m, n, cost, resource, capacity), pos


def read_problems(path: Path | str) -> list[Problem]:
    """Parse a GAP file: gap*.txt lead with the problem count, the others hold one problem."""
    path = Path(path)
    tokens = [int(t) for t in path.read_text(encoding="ascii").split()]
    # The README distinguishes the layouts by file name; the token count confirms it.
    single = not path.name.startswith("gap")
    if single and len(tokens) >= 2:
        m, n = tokens[0], tokens[1]
        single = len(tokens) == 2 + 2 * m * n + m
    problems: list[Problem] = []
    if single:
        problem, pos = _take_problem(tokens, 0)
        problems.append(problem)
    else:
        pos = 1
        for _ in range(tokens[0]):
            problem, pos = _take_problem(tokens, pos)
            problems.append(problem)
    if pos != len(tokens):
        raise ValueError(f"{path}: {len(tokens) - pos} trailing numbers")
    return problems


def reference(data_dir: Path | str = DATA_DIR) -> list[Reference]:
    """Rows of reference.csv, typed; `problem` is 1 for the single-problem files."""
    rows: list[Reference] = []
    with (Path(data_dir) / "reference.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                Reference(
                    instance=row["instance"],
                    file=row["file"],
                    # Blank for files that hold one problem, which is then the first.
                    problem=int(row["problem"] or 1),
                    agents=int(row["agents"]),
                    jobs=int(row["jobs"]),
                    min_cost=int(row["min_cost"]),
                    status=row["status"],
                    lower_bound=int(row["lower_bound"]),
                    orlib_max_profit=int(row["orlib_max_profit"]) if row["orlib_max_profit"] else None,
                )
            )
    return rows


@cache
def _file_problems(path: Path) -> tuple[Problem, ...]:
    return tuple(read_problems(path))


def load_instance(instance: str, data_dir: Path | str = DATA_DIR) -> Problem:
    """The problem that reference.csv names `instance`."""
    for row in reference(data_dir):
        if row["instance"] == instance:
            return _file_problems(Path(data_dir) / row["file"])[row["problem"] - 1]
    raise KeyError(f"unknown GAP instance {instance!r}")


def write_request_yaml(problem: Problem, path: Path | str, name: str) -> Path:
    """Write `problem` as one sbn file: agents as partners, jobs as steps, pairs as modules."""
    path = Path(path)
    request_id = _NOT_ID.sub("-", name) or "gap"
    out = [
        f"# GAP instance {name}: {problem.agents} agents x {problem.jobs} jobs; min plan cost = GAP minimum\n",
        "network:\n",
        f"  name: gap-{request_id}\n",
        "  ambition: Generalised assignment benchmark mapped onto one request.\n",
        "partners:\n",
    ]
    out.extend(f"  - {{id: a{i}, capacity: {b}}}\n" for i, b in enumerate(problem.capacity))
    out.append("modules:\n")
    for i in range(problem.agents):
        cost_row, use_row = problem.cost[i], problem.resource[i]
        out.extend(
            f"  - {{id: m{i}-{j}, partner: a{i}, capability: job-{j}, cost: {cost_row[j]}, usage: {use_row[j]}}}\n"
            for j in range(problem.jobs)
        )
    out.append(f"requests:\n  - id: {request_id}\n    optimize: [cost]\n    steps:\n")
    out.extend(f"      - {{id: job-{j}, capability: job-{j}, quantity: 1}}\n" for j in range(problem.jobs))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(out), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("instances", nargs="*", metavar="INSTANCE", help="default: every row of reference.csv")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help=f"instance directory (default {DATA_DIR})")
    args = parser.parse_args(argv)
    rows = {row["instance"]: row for row in reference(args.data)}
    names = args.instances or list(rows)
    unknown = [name for name in names if name not in rows]
    if unknown:
        parser.error(f"unknown instance(s): {', '.join(unknown)}")
    for name in names:
        path = write_request_yaml(load_instance(name, args.data), args.outdir / f"{name}.yaml", name)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
