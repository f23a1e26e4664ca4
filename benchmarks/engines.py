"""Compare MIP engines on GAP instances: the plain model and sbn's own model, HiGHS and OR-Tools CP-SAT.

    python benchmarks/engines.py [--time-limit 10] [--workers 2] [--only REGEX] [--engines a,b] [--out docs/engines.md]

Engines (``--engines``, default ``highs-plain,cpsat-plain,highs-sbn,cpsat-sbn``):

- ``highs-plain``: x[i][j] binary, one assignment row per job, one capacity row per agent, minimise cost;
  HiGHS with the options sbn/solver.py sets on its own instance (read from it at run time: random_seed, threads,
  mip_rel_gap, mip_abs_gap, ...).
- ``cpsat-plain``: the same model in OR-Tools CP-SAT with ``--workers`` workers.
- ``highs-sbn``: the model sbn builds (sbn.loader -> sbn.candidates -> sbn.formulation.build_model, objectives
  from sbn.planner, i.e. cost with the tie-break folded in) solved by ``sbn.solver.solve``, exactly as
  ``sbn plan`` does.
- ``cpsat-sbn``: that same Milp and objective stages translated to CP-SAT.
- Variants of sbn's model for tuning: ``highs-sbn-nofold`` (cost only, no tie-break), ``highs-sbn-2stage``
  (cost, then the tie-break with cost held: the same lexicographic optimum as the folded objective, in two
  stages), both via ``sbn.solver.solve``; ``highs-sbn-lazytb`` (cost, then the tie-break within
  ``--tie-break-nodes`` branch-and-bound nodes, keeping the cost stage's plan when that is not enough).

``--highs-option KEY=VALUE`` (repeatable) sets a HiGHS option on every HiGHS engine, sbn's own included,
to measure a setting before proposing it for sbn/solver.py; ``ENGINE@KEY=VALUE+KEY=VALUE`` sets options on one
engine only, so that settings can be compared side by side in one run
(``highs-plain,highs-plain@mip_heuristic_effort=0.3``). ``threads`` must be the same for every HiGHS engine of a
run (HiGHS's thread pool is per process): change it with ``--highs-option`` only.

When the output file already has a ``## Analysis`` section, a re-run keeps it (and everything after it).

gap.py imports the plain-model engines from here.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gapdata

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "benchmarks" / "out" / "gap"
# The HiGHS options the plain-model engines copy from sbn's own engine (sbn/solver.py), read at run time.
OPTION_KEYS = ("random_seed", "threads", "mip_rel_gap", "mip_abs_gap", "mip_heuristic_effort", "presolve", "parallel")
_sbn_options: dict[str, Any] | None = None


def sbn_highs_options() -> dict[str, Any]:
    """The options sbn.solver sets on its HiGHS instance (those of OPTION_KEYS), so raw runs match them."""
    global _sbn_options
    if _sbn_options is None:
        from sbn.solver import new_highs

        engine = new_highs()
        _sbn_options = {key: engine.getOptionValue(key)[1] for key in OPTION_KEYS}
    return dict(_sbn_options)


def describe_options(options: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in options.items())


DEFAULT_ENGINES = ("highs-plain", "cpsat-plain", "highs-sbn", "cpsat-sbn")
# gap12 all 5; types a-d with 5, 10, 20 agents x 200 jobs; c, d, e with 10 agents x 400 jobs
DEFAULT_SELECTION = r"^c1060_\d$|^[abcd](05|10|20)200$|^[cde]10400$"


@dataclass
class Result:
    """What one engine reached on one instance."""

    cost: float | None  # GAP cost of the best assignment found, None when none was found
    seconds: float  # engine wall time (solve only; model building is reported apart)
    status: str  # optimal | feasible | infeasible | unknown | error
    bound: float | None = None  # proven lower bound on the GAP cost, when the engine gives one
    build_seconds: float = 0.0


# -- plain model ------------------------------------------------------------------------------


def quiet_highs(options: dict[str, Any] | None = None) -> Any:
    """A HiGHS instance without its banner on standard output, with sbn's options plus `options`."""
    from sbn.solver import new_highs

    highs = new_highs()
    for key, value in {**sbn_highs_options(), **(options or {})}.items():
        highs.setOptionValue(key, value)
    return highs


def _plain_cost(problem: gapdata.Problem, chosen: Callable[[int, int], bool]) -> float | None:
    total = 0
    for j in range(problem.jobs):
        agents = [i for i in range(problem.agents) if chosen(i, j)]
        if len(agents) != 1:
            return None
        total += problem.cost[agents[0]][j]
    return float(total)


def plain_highs_model(problem: gapdata.Problem, options: dict[str, Any] | None = None) -> Any:
    """A HiGHS instance holding the plain GAP MIP; column i*n + j is x[i][j]."""
    import highspy

    m, n = problem.agents, problem.jobs
    highs = quiet_highs(options)
    lp = highspy.HighsLp()
    lp.num_col_ = m * n
    lp.col_cost_ = [float(problem.cost[i][j]) for i in range(m) for j in range(n)]
    lp.col_lower_ = [0.0] * (m * n)
    lp.col_upper_ = [1.0] * (m * n)
    starts: list[int] = [0]
    index: list[int] = []
    value: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    for j in range(n):
        index.extend(i * n + j for i in range(m))
        value.extend([1.0] * m)
        starts.append(len(index))
        lower.append(1.0)
        upper.append(1.0)
    for i in range(m):
        index.extend(i * n + j for j in range(n))
        value.extend(float(problem.resource[i][j]) for j in range(n))
        starts.append(len(index))
        lower.append(-highspy.kHighsInf)
        upper.append(float(problem.capacity[i]))
    lp.num_row_ = len(lower)
    lp.row_lower_ = lower
    lp.row_upper_ = upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = m * n
    lp.a_matrix_.num_row_ = len(lower)
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * (m * n)
    highs.passModel(lp)
    return highs


def plain_highs(problem: gapdata.Problem, time_limit: float, options: dict[str, Any] | None = None) -> Result:
    """The plain GAP MIP in HiGHS."""
    import highspy

    started = time.perf_counter()
    n = problem.jobs
    highs = plain_highs_model(problem, options)
    highs.setOptionValue("time_limit", float(time_limit))
    built = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - built
    status = highs.getModelStatus()
    info = highs.getInfo()
    cost = None
    if info.primal_solution_status == 2:
        x = highs.getSolution().col_value
        cost = _plain_cost(problem, lambda i, j: x[i * n + j] > 0.5)
    if status == highspy.HighsModelStatus.kOptimal:
        name = "optimal"
    elif status == highspy.HighsModelStatus.kInfeasible:
        name = "infeasible"
    else:
        name = "feasible" if cost is not None else "unknown"
    bound = info.mip_dual_bound if name in ("optimal", "feasible") else None
    return Result(cost, seconds, name, bound, built - started)


def _cpsat_status(cp_model: Any, code: int) -> str:
    return {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")


def _cpsat_solver(time_limit: float, workers: int) -> Any:
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    return solver


def plain_cpsat_model(problem: gapdata.Problem) -> tuple[Any, list[list[Any]]]:
    """The plain GAP model in CP-SAT and its variables x[i][j]."""
    from ortools.sat.python import cp_model

    m, n = problem.agents, problem.jobs
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(m))
    for i in range(m):
        model.add(sum(problem.resource[i][j] * x[i][j] for j in range(n)) <= problem.capacity[i])
    model.minimize(sum(problem.cost[i][j] * x[i][j] for i in range(m) for j in range(n)))
    return model, x


def plain_cpsat(problem: gapdata.Problem, time_limit: float, workers: int = 2) -> Result:
    """The plain GAP model in CP-SAT."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    model, x = plain_cpsat_model(problem)
    solver = _cpsat_solver(time_limit, workers)
    built = time.perf_counter()
    code = solver.solve(model)
    seconds = time.perf_counter() - built
    name = _cpsat_status(cp_model, code)
    cost = None
    if name in ("optimal", "feasible"):
        cost = _plain_cost(problem, lambda i, j: bool(solver.boolean_value(x[i][j])))
    bound = solver.best_objective_bound if name in ("optimal", "feasible") else None
    return Result(cost, seconds, name, bound, built - started)


# -- sbn's own model --------------------------------------------------------------------------


@dataclass
class SbnModel:
    """The Milp and objective stages sbn builds for the one request in a GAP file."""

    model: Any  # sbn.formulation.PlanModel
    objectives: list[dict[int, float]]
    cost_objective: dict[int, float]
    tie_break: dict[int, float]
    seconds: float  # load + candidates + build + objectives

    def cost_of(self, values: Sequence[float]) -> float:
        """Plan cost in currency units (the GAP cost) of a solution's picks."""
        return sum(c.cost for c in self.model.chosen(list(values))) / 100


def sbn_model(path: Path) -> SbnModel:
    """Build sbn's model for a request file the way sbn.planner.plan_request does, without solving."""
    from sbn.candidates import Catalog, find_candidates
    from sbn.formulation import build_model
    from sbn.ledger import Usage
    from sbn.loader import load_for_plan
    from sbn.numbers import exact
    from sbn.objectives import criterion_objective, objectives, tie_break

    started = time.perf_counter()
    with exact():
        network, requests = load_for_plan([str(path)], [])
        request = requests[0]
        entries = find_candidates(Catalog(network), request, Usage())
        criteria = list(dict.fromkeys(request.optimize))
        model = build_model(
            request,
            entries,
            network.partners,
            Usage(),
            need_schedule="time" in criteria,
            need_partners="partners" in criteria,
        )
        stages = objectives(model, criteria, None)
        cost_objective = criterion_objective(model, "cost", frozenset())[0]
        extra = tie_break(model)[0]
        return SbnModel(model, stages, cost_objective, extra, time.perf_counter() - started)


def sbn_highs(
    built: SbnModel, objectives: list[dict[int, float]], time_limit: float, options: dict[str, Any]
) -> Result:
    """Solve with sbn.solver.solve, the engine call `sbn plan` makes."""
    from sbn import solver

    started = time.perf_counter()
    outcome = solver.solve(built.model.milp, objectives, time_limit, options={**sbn_highs_options(), **options})
    seconds = time.perf_counter() - started
    cost = built.cost_of(outcome.values) if outcome.values is not None else None
    return Result(cost, seconds, outcome.status.value, None, built.seconds)


def sbn_highs_lazy_tie_break(built: SbnModel, time_limit: float, nodes: int, options: dict[str, Any]) -> Result:
    """Proposal: cost alone; then the tie-break with cost held, bounded by a node count (deterministic work, unlike
    time); when that stage does not prove its optimum, keep the cost stage's plan, so the result never depends on
    timing. Built on sbn.solver's HiGHS instance and model passing; the status is that of the cost stage."""
    import highspy

    from sbn import solver

    highs = solver.new_highs({**sbn_highs_options(), **options})
    milp = built.model.milp
    columns = len(milp.lower)
    started = time.perf_counter()
    solver.pass_model(highs, milp)

    def costs(objective: dict[int, float]) -> None:
        values = [0.0] * columns
        for column, coefficient in objective.items():
            values[column] = coefficient
        highs.changeColsCost(columns, list(range(columns)), values)

    costs(built.cost_objective)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        values = list(highs.getSolution().col_value) if highs.getInfo().primal_solution_status == 2 else None
        seconds = time.perf_counter() - started
        return Result(built.cost_of(values) if values else None, seconds, "feasible" if values else "unknown")
    first = list(highs.getSolution().col_value)
    value = round(sum(first[c] * k for c, k in built.cost_objective.items()))
    index = sorted(built.cost_objective)
    highs.addRow(-highspy.kHighsInf, value + 0.5, len(index), index, [built.cost_objective[i] for i in index])
    costs(built.tie_break)
    start = highspy.HighsSolution()
    start.col_value = first
    highs.setSolution(start)
    highs.setOptionValue("mip_max_nodes", int(nodes))
    highs.setOptionValue("time_limit", max(time_limit - (time.perf_counter() - started), 0.001))
    highs.run()
    proven = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    chosen = list(highs.getSolution().col_value) if proven else first
    seconds = time.perf_counter() - started
    return Result(built.cost_of(chosen), seconds, "optimal" if proven else "optimal*")


def milp_cpsat(built: SbnModel, objectives: list[dict[int, float]], time_limit: float, workers: int) -> Result:
    """sbn's Milp in CP-SAT: every column an integer with finite bounds, every coefficient integral."""
    from ortools.sat.python import cp_model

    milp = built.model.milp
    started = time.perf_counter()
    model = cp_model.CpModel()
    columns = []
    for k, (low, high, integer) in enumerate(zip(milp.lower, milp.upper, milp.integer, strict=True)):
        if not integer or abs(low) == float("inf") or abs(high) == float("inf"):
            return Result(None, 0.0, "error", None, 0.0)  # schedule columns: not needed on GAP
        columns.append(model.new_int_var(int(low), int(high), f"c{k}"))

    def linear(index: Sequence[int], value: Sequence[float]) -> Any:
        if any(v != int(v) for v in value):
            raise ValueError("fractional coefficient")
        return sum(int(v) * columns[i] for i, v in zip(index, value, strict=True))

    for row in milp.rows:
        expression = linear(row.index, row.value)
        if row.lower == row.upper:
            model.add(expression == int(row.lower))
            continue
        if row.lower != -float("inf"):
            model.add(expression >= int(row.lower))
        if row.upper != float("inf"):
            model.add(expression <= int(row.upper))
    deadline = time.monotonic() + time_limit
    status = "optimal"
    values: list[float] | None = None
    setup = time.perf_counter() - started
    solving = time.perf_counter()
    for stage, objective in enumerate(objectives):
        index = sorted(objective)
        expression = linear(index, [objective[i] for i in index])
        model.minimize(expression)
        if values is not None:
            model.clear_hints()
            for k, var in enumerate(columns):
                model.add_hint(var, round(values[k]))
        solver = _cpsat_solver(max(deadline - time.monotonic(), 0.001), workers)
        code = solver.solve(model)
        name = _cpsat_status(cp_model, code)
        if name in ("optimal", "feasible"):
            values = [float(solver.value(var)) for var in columns]
        if name != "optimal":
            status = name if values is None or name != "unknown" else "feasible"
            if name == "infeasible" and values is not None:
                status = "feasible"
            break
        if stage + 1 < len(objectives):
            model.add(expression <= round(solver.objective_value))
    seconds = time.perf_counter() - solving
    cost = built.cost_of(values) if values is not None else None
    if cost is None and status == "optimal":
        status = "unknown"
    return Result(cost, seconds, status, None, built.seconds + setup)


# -- running and reporting --------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the timings were measured on."""
    from importlib.metadata import version

    import highspy  # noqa: F401

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "nproc": str(os.cpu_count()),
        "cpu": cpu or platform.processor() or "unknown",
        "python": platform.python_version(),
        "highspy": version("highspy"),
        "platform": platform.platform(),
    }
    try:
        info["ortools"] = version("ortools")
    except Exception:
        info["ortools"] = "not installed"
    try:
        info["sbn"] = version("sbn")
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        diff = subprocess.run(
            ["git", "-C", str(ROOT), "diff", "HEAD", "--", "sbn"], capture_output=True, check=False
        ).stdout
        dirty = f", sbn/ modified: diff sha1 {hashlib.sha1(diff).hexdigest()[:10]}" if diff else ""
        info["sbn"] += f" (commit {commit}{dirty})"
    except Exception:
        pass
    return info


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def gap_percent(cost: float | None, best: int) -> float | None:
    return None if cost is None else (cost - best) / best * 100


def cell(result: Result | None, best: int) -> str:
    if result is None:
        return "—"
    if result.cost is None:
        return f"{result.status} · {result.seconds:.2f} s"
    gap = gap_percent(result.cost, best)
    mark = "" if result.status == "optimal" else " (feasible)" if result.status == "feasible" else f" ({result.status})"
    return f"{result.cost:.0f} ({gap:+.2f}%){mark} · {result.seconds:.2f} s"


def parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, _, text = pair.partition("=")
        value: Any = text
        for kind in (int, float):
            try:
                value = kind(text)
                break
            except ValueError:
                continue
        if text in ("true", "false"):
            value = text == "true"
        options[key.strip()] = value
    return options


def instance_file(name: str, data: Path) -> Path:
    """The cached sbn YAML of one instance (written on first use)."""
    path = OUT_DIR / f"{name}.yaml"
    if not path.exists():
        gapdata.write_request_yaml(gapdata.load_instance(name, data), path, name)
    return path


def split_engine(engine: str) -> tuple[str, dict[str, Any]]:
    """`highs-plain@mip_heuristic_effort=0.3+threads=1` -> the engine and its own HiGHS options."""
    base, _, extra = engine.partition("@")
    return base, parse_options([pair for pair in extra.split("+") if pair])


def engine_note(engine: str) -> str:
    base, own = split_engine(engine)
    note = ENGINE_NOTES[base]
    return note + (f"; with {', '.join(f'{k}={v}' for k, v in own.items())}" if own else "")


def run_engine(engine: str, name: str, data: Path, args: argparse.Namespace, options: dict[str, Any]) -> Result:
    engine, own = split_engine(engine)
    options = {**options, **own}
    problem = gapdata.load_instance(name, data)
    if engine == "highs-plain":
        return plain_highs(problem, args.time_limit, options)
    if engine == "cpsat-plain":
        return plain_cpsat(problem, args.time_limit, args.workers)
    built = sbn_model(instance_file(name, data))
    if engine == "highs-sbn":
        return sbn_highs(built, built.objectives, args.time_limit, options)
    if engine == "cpsat-sbn":
        return milp_cpsat(built, built.objectives, args.time_limit, args.workers)
    if engine == "highs-sbn-nofold":
        return sbn_highs(built, [built.cost_objective], args.time_limit, options)
    if engine == "highs-sbn-lazytb":
        return sbn_highs_lazy_tie_break(built, args.time_limit, args.tie_break_nodes, options)
    if engine == "highs-sbn-2stage":
        return sbn_highs(built, [built.cost_objective, built.tie_break], args.time_limit, options)
    raise SystemExit(f"unknown engine {engine!r}")


ENGINE_NOTES = {
    "highs-plain": "HiGHS, plain GAP model (x[i][j], assignment and capacity rows, min cost)",
    "cpsat-plain": "OR-Tools CP-SAT, plain GAP model",
    "highs-sbn": "HiGHS via sbn.solver.solve on sbn's model and objectives (what `sbn plan` runs)",
    "cpsat-sbn": "CP-SAT on sbn's model and objectives (same Milp rows, same folded objective)",
    "highs-sbn-nofold": "HiGHS via sbn.solver.solve on sbn's model, cost only (no tie-break folded in)",
    "highs-sbn-2stage": "HiGHS via sbn.solver.solve: stage 1 cost, stage 2 tie-break with cost held",
    "highs-sbn-lazytb": "HiGHS on sbn's model: cost alone, then the tie-break with cost held within "
    "`--tie-break-nodes` B&B nodes; if that stage is not proven, the cost stage's plan is kept "
    "(status optimal* = cost proven, tie-break not)",
}


KEPT_HEADING = "## Analysis"


def kept_tail(path: Path, heading: str) -> str:
    """The hand-written part of an existing report, from `heading` on: a re-run keeps it (and the tables it cites)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = text.find("\n" + heading + "\n")
    return text[at + 1 :].rstrip() + "\n" if at >= 0 else ""


def write_report(
    path: Path,
    args: argparse.Namespace,
    argv: Sequence[str],
    info: dict[str, str],
    engines: Sequence[str],
    rows: list[tuple[dict[str, Any], dict[str, Result]]],
    loads: tuple[str, str],
    done: bool,
) -> None:
    lines = [
        "# Engines on GAP: HiGHS vs OR-Tools CP-SAT, plain model vs sbn's model",
        "",
        "" if done else f"**Partial: {len(rows)} instances so far; the run is still going.**",
        "",
        "Command:",
        "",
        "```",
        "python benchmarks/engines.py " + shlex.join(argv),
        "```",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['platform']}; Python {info['python']}, "
        f"highspy {info['highspy']}, ortools {info['ortools']}, sbn {info.get('sbn', '?')}. "
        f"Load average (1/5/15 min) at start {loads[0]}, at end {loads[1]}.",
        "",
        f"Time limit {args.time_limit:g} s per engine and instance; CP-SAT with {args.workers} workers; HiGHS with "
        f"the options sbn/solver.py sets ({describe_options(sbn_highs_options())})"
        + (
            f" plus {', '.join(f'{k}={v}' for k, v in parse_options(args.highs_option).items())}"
            if args.highs_option
            else ""
        )
        + ". Cells: cost (gap to the best known) · engine seconds; *(feasible)* = stopped by the limit.",
        "",
        "| engine | what |",
        "| --- | --- |",
        *(f"| `{e}` | {engine_note(e)} |" for e in engines),
        "",
        "| instance | jobs × agents | best known | " + " | ".join(f"`{e}`" for e in engines) + " |",
        "| --- | --- | ---: | " + " | ".join("---" for _ in engines) + " |",
    ]
    for row, results in rows:
        lines.append(
            f"| {row['instance']} | {row['jobs']} × {row['agents']} | {row['min_cost']} | "
            + " | ".join(cell(results.get(e), row["min_cost"]) for e in engines)
            + " |"
        )
    lines += [
        "",
        "| engine | at best known | proven optimal | mean gap | worst gap | total s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for engine in engines:
        got = [(row, results[engine]) for row, results in rows if engine in results]
        if not got:
            continue
        gaps = [gap_percent(r.cost, row["min_cost"]) for row, r in got]
        known = [g for g in gaps if g is not None]
        at_best = sum(1 for g in gaps if g is not None and g <= 0)
        proven = sum(1 for _, r in got if r.status.startswith("optimal"))
        worst = f"{max(known):+.2f}%" if known else "—"
        mean = f"{sum(known) / len(known):+.3f}%" if known else "—"
        missing = len(gaps) - len(known)
        lines.append(
            f"| `{engine}` | {at_best}/{len(got)} | {proven}/{len(got)} | {mean} | {worst}"
            + (f" ({missing} without a solution)" if missing else "")
            + f" | {sum(r.seconds for _, r in got):.1f} |"
        )
    lines.append("")
    kept = kept_tail(path, KEPT_HEADING)
    if kept:
        lines += [kept]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers (default 2)")
    parser.add_argument("--only", default=DEFAULT_SELECTION, help="regex on instance names (default: the selection)")
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES))
    parser.add_argument("--tie-break-nodes", type=int, default=500, help="highs-sbn-lazytb: node limit of stage 2")
    parser.add_argument("--highs-option", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--data", type=Path, default=gapdata.DATA_DIR)
    parser.add_argument("--out", type=Path, help="write a Markdown report here")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for engine in engines:
        if split_engine(engine)[0] not in ENGINE_NOTES:
            parser.error(f"unknown engine {engine!r}; choose from {', '.join(ENGINE_NOTES)}")
    options = parse_options(args.highs_option)
    pattern = re.compile(args.only)
    selected = [row for row in gapdata.reference(args.data) if pattern.search(row["instance"])]
    if not selected:
        parser.error(f"no instance matches {args.only!r}")
    info = machine()
    start_load = load_average()
    rows: list[tuple[dict[str, Any], dict[str, Result]]] = []
    width = max(len(e) for e in engines)
    for row in selected:
        results: dict[str, Result] = {}
        print(f"{row['instance']} ({row['jobs']}x{row['agents']}, best {row['min_cost']})", flush=True)
        for engine in engines:
            try:
                results[engine] = run_engine(engine, row["instance"], args.data, args, options)
            except Exception as exc:  # report and go on: one engine's failure is a result too
                print(f"  {engine}: error {type(exc).__name__}: {exc}", file=sys.stderr)
                results[engine] = Result(None, 0.0, "error")
            print(f"  {engine:<{width}}  {cell(results[engine], row['min_cost'])}", flush=True)
        rows.append((dict(row), results))
        if args.out:
            write_report(args.out, args, argv, info, engines, rows, (start_load, load_average()), done=False)
    if args.out:
        write_report(args.out, args, argv, info, engines, rows, (start_load, load_average()), done=True)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
