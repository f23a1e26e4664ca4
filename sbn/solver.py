"""The engine: a mixed-integer program solved by HiGHS, behind one function and sbn's own status.

Only this module imports the solver library. Objectives are solved lexicographically: each
stage minimises one integer-valued objective, then holds it at its optimum for the next.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sbn.milp import Milp, Objective


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


@dataclass
class Outcome:
    status: SolveStatus
    values: list[float] | None = None
    objectives: list[float] = field(default_factory=list)
    # What stopped the search when status is FEASIBLE or UNKNOWN: "time", "nodes", or "magnitude" (the
    # engine refused the model: an amount beyond its 1e15 limit).
    stopped_by: str = "time"
    # When a limit stopped a stage: the engine's proven bound on that stage's objective (its best value
    # is at least this), and the stage's value in the plan found.
    bound: float | None = None
    reached: float | None = None


_INF = float("inf")
# Models up to this many columns are solved without presolve and feasibility jump (see solve); GAP
# instances of 500 columns (b05100) took 3x longer without presolve.
SMALL_MODEL_COLUMNS = 300
# HiGHS's own "no limit" for integer options (kHighsIInf).
_NO_LIMIT = 2**31 - 1
# Models up to this many integer columns try their linear relaxation before branch and bound (see solve).
RELAXATION_FIRST_COLUMNS = 5000
# A relaxation value this close to an integer counts as integral (HiGHS's own mip_feasibility_tolerance is 1e-6).
_INTEGRAL = 1e-9
# HiGHS's default feasibility tolerances, and the tightest value it accepts. By default a binary at
# 1 - 1e-6 counts as 1, so a budget row over 1e6 cents can be broken by a cent (see planner.complete).
_TOLERANCES = {"mip_feasibility_tolerance": 1e-6, "primal_feasibility_tolerance": 1e-7}
_STRICT_TOLERANCE = 1e-10
_engine: Any = None
_lock = threading.Lock()
_interrupted = threading.Event()


# sbn's fixed engine settings; solve() adds those that depend on the model and the run.
OPTIONS: dict[str, Any] = {
    "output_flag": False,
    "random_seed": 0,
    # One thread: deterministic, and on these small models faster than paying for a pool.
    "threads": 1,
    "mip_rel_gap": 0.0,
    "mip_abs_gap": 0.5,
}


def new_highs(options: dict[str, Any] | None = None) -> Any:
    """A silent HiGHS instance with sbn's options and then ``options`` (benchmarks build raw models on it too)."""
    import highspy

    # highspy prints a banner on standard output when created: keep stdout for results.
    saved = os.dup(1)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        engine = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    for key, value in {**OPTIONS, **(options or {})}.items():
        engine.setOptionValue(key, value)
    return engine


def engine() -> Any:
    """sbn's HiGHS instance: one per process, reused for every solve."""
    global _engine
    if _engine is None:
        _engine = new_highs()
    return _engine


def solve(
    milp: Milp,
    objectives: Sequence[Objective],
    time_limit: float,
    without_groups: frozenset[str] = frozenset(),
    meanwhile: Callable[[], None] | None = None,
    node_limit: int | None = None,
    strict: bool = False,
    options: dict[str, Any] | None = None,
    initial: Sequence[float] | None = None,
) -> Outcome:
    """Minimise the objectives in lexicographic order; each must be integer-valued.

    ``meanwhile`` runs in this thread while the engine searches in its own, at most once (during the
    first branch-and-bound run); it must not use the engine. ``node_limit`` bounds each stage's
    branch and bound to that many nodes: a limit of work, unlike time, that gives the same result on
    every run (the engine runs single-threaded with a fixed seed). ``strict`` runs the engine at its
    tightest feasibility tolerance, for models whose large coefficients the default lets slip by a unit.
    ``options`` are engine settings for this run only, over sbn's (benchmarks compare settings with them).
    ``initial`` is a solution (a value per column) to start the first stage from.

    A model with cumulative constraints (resources held at once) goes to the constraint-programming
    engine (sbn.cpsat), imported only then; every other to HiGHS.
    """
    if milp.cumulatives:
        from sbn.cpsat import solve_cp

        if meanwhile is not None:
            meanwhile()
        return solve_cp(milp, objectives, time_limit, without_groups, node_limit, initial)
    with _lock:
        highs = engine()
        highs.clearModel()
        if options:
            for key, value in options.items():
                highs.setOptionValue(key, value)
        try:
            return _solve(highs, milp, objectives, time_limit, without_groups, meanwhile, node_limit, strict, initial)
        finally:
            if options:  # back to exactly sbn's settings for the next run
                highs.resetOptions()
                for key, value in OPTIONS.items():
                    highs.setOptionValue(key, value)


def _solve(
    highs: Any,
    milp: Milp,
    objectives: Sequence[Objective],
    time_limit: float,
    without_groups: frozenset[str],
    meanwhile: Callable[[], None] | None,
    node_limit: int | None,
    strict: bool,
    initial: Sequence[float] | None = None,
) -> Outcome:
    import highspy

    if not pass_model(highs, milp, without_groups):
        return Outcome(SolveStatus.UNKNOWN, stopped_by="magnitude")
    # Presolve and the feasibility-jump heuristic cost milliseconds of set-up per run, more than a
    # small model's whole search (measured on 300 models of the 1,000-request benchmark: 4.6 s -> 0.8 s).
    small = len(milp.lower) <= SMALL_MODEL_COLUMNS
    highs.setOptionValue("presolve", "off" if small else "choose")
    highs.setOptionValue("mip_heuristic_run_feasibility_jump", not small)
    # No presolve of sub-problems either: replaying the benchmark's 765 second stages, 1.22 s -> 0.90 s.
    highs.setOptionValue("mip_root_presolve_only", small)
    highs.setOptionValue("mip_max_nodes", node_limit if node_limit is not None else _NO_LIMIT)
    for option, default in _TOLERANCES.items():
        highs.setOptionValue(option, _STRICT_TOLERANCE if strict else default)
    deadline = time.monotonic() + time_limit
    achieved: list[float] = []
    values: list[float] | None = list(initial) if initial is not None else None
    stages = list(objectives) or [{}]
    columns = len(milp.lower)
    integer = [column for column, flag in enumerate(milp.integer) if flag]
    for stage, objective in enumerate(stages):
        costs = [0.0] * columns
        for column, coefficient in objective.items():
            costs[column] = coefficient
        highs.changeColsCost(columns, list(range(columns)), costs)
        if values is not None:
            start = highspy.HighsSolution()
            start.col_value = values
            highs.setSolution(start)
        # Later stages rarely have an integral relaxation (time with the tie-break: 1 of 845 on the
        # 1,000-request benchmark, against 814 of 859 first stages), so only the first tries it.
        # On large models the relaxation is a search of its own (1.8 s on GAP's 128,000-column
        # instances) that branch and bound repeats at its root: there it only takes search time.
        relaxed = None
        if stage == 0 and not strict and 0 < len(integer) <= RELAXATION_FIRST_COLUMNS:
            highs.setOptionValue("time_limit", max(deadline - time.monotonic(), 0.001))
            relaxed = _relaxation(highs, integer)
        if relaxed is not None:
            status = relaxed
        else:
            highs.setOptionValue("time_limit", max(deadline - time.monotonic(), 0.001))
            _run(highs, meanwhile)
            meanwhile = None
            status = highs.getModelStatus()
        has_solution = highs.getInfo().primal_solution_status == 2
        if status == highspy.HighsModelStatus.kOptimal:
            values = list(highs.getSolution().col_value)
            value = float(round(sum(values[c] * k for c, k in objective.items())))
            achieved.append(value)
            if stage + 1 < len(stages) and objective:
                index = sorted(objective)
                highs.addRow(-_INF, value + 0.5, len(index), index, [objective[i] for i in index])
            continue
        infeasible = (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible)
        if status in infeasible and not achieved:
            return Outcome(SolveStatus.INFEASIBLE)
        stopped_by = "nodes" if status == highspy.HighsModelStatus.kSolutionLimit else "time"
        if has_solution:
            values = list(highs.getSolution().col_value)
        if values is None:
            return Outcome(SolveStatus.UNKNOWN, stopped_by=stopped_by)
        bound = highs.getInfo().mip_dual_bound
        reached = sum(values[c] * k for c, k in objective.items())
        return Outcome(SolveStatus.FEASIBLE, values, achieved, stopped_by, bound, reached)
    return Outcome(SolveStatus.OPTIMAL, values, achieved)


def _relaxation(highs: Any, integer: list[int]) -> Any:
    """Solve the linear relaxation first: its outcome settles the stage when it is infeasible or integral.

    An infeasible relaxation proves the model infeasible; an integral optimum is the model's
    optimum, proven. On sbn's small per-request models the latter holds for about half the stages,
    and a linear solve costs a fraction of a branch-and-bound run, whose set-up alone takes
    milliseconds. Returns the status that settles the stage, or None: then run the model itself.
    The integer columns are restored either way.
    """
    import highspy

    kinds = highspy.HighsVarType
    statuses = highspy.HighsModelStatus
    highs.changeColsIntegrality(len(integer), integer, [kinds.kContinuous] * len(integer))
    try:
        if len(integer) <= SMALL_MODEL_COLUMNS:
            # A small linear solve takes well under a millisecond, less than handing it to the worker
            # thread: Ctrl-C waits for it at most that long.
            highs.run()
        else:
            _run(highs)
        status = highs.getModelStatus()
        if status == statuses.kInfeasible:
            return status
        if status != statuses.kOptimal:
            return None
        values = highs.getSolution().col_value
        integral = all(abs(values[column] - round(values[column])) <= _INTEGRAL for column in integer)
        return status if integral else None
    finally:
        highs.changeColsIntegrality(len(integer), integer, [kinds.kInteger] * len(integer))


class _Worker:
    """One thread that runs the engine, so that Ctrl-C reaches the main thread at once.

    It lives as long as the process: starting a thread per run cost about 0.3 ms, as much as a
    small model's whole linear solve.
    """

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.done = threading.Event()
        self.failure: BaseException | None = None
        threading.Thread(target=self.loop, name="sbn-engine", daemon=True).start()

    def loop(self) -> None:
        while True:
            highs = self.jobs.get()
            try:
                highs.run()
            except BaseException as exc:  # pragma: no cover - surfaced in run
                self.failure = exc
            finally:
                self.done.set()

    def run(self, highs: Any, meanwhile: Callable[[], None] | None = None) -> None:
        self.done.clear()
        self.failure = None
        self.jobs.put(highs)
        try:
            if meanwhile is not None:
                meanwhile()
            while not self.done.wait(0.05):
                pass
        except KeyboardInterrupt:
            _interrupted.set()
            raise
        if self.failure is not None:
            raise self.failure


_worker: _Worker | None = None


def _run(highs: Any, meanwhile: Callable[[], None] | None = None) -> None:
    """Run the engine in the worker thread and wait for it, doing ``meanwhile`` first."""
    global _worker
    if _worker is None:
        _worker = _Worker()
    _worker.run(highs, meanwhile)


def mark_interrupted() -> None:
    """Ctrl-C arrived while an engine (this one or CP-SAT) was searching."""
    _interrupted.set()


def interrupted_mid_search() -> bool:
    """Whether Ctrl-C arrived while the engine was searching (its threads cannot be joined then)."""
    return _interrupted.is_set()


def pass_model(highs: Any, milp: Milp, without_groups: frozenset[str] = frozenset()) -> bool:
    """Hand the model to the engine; False when it refuses it (a coefficient beyond 1e15)."""
    import highspy

    lp = highspy.HighsLp()
    columns = len(milp.lower)
    rows = [row for row in milp.rows if row.group not in without_groups]
    lp.num_col_ = columns
    lp.num_row_ = len(rows)
    lp.col_cost_ = [0.0] * columns
    lp.col_lower_ = milp.lower
    lp.col_upper_ = milp.upper
    lp.row_lower_ = [row.lower for row in rows]
    lp.row_upper_ = [row.upper for row in rows]
    starts = [0]
    index: list[int] = []
    value: list[float] = []
    for row in rows:
        index.extend(row.index)
        value.extend(row.value)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = columns
    lp.a_matrix_.num_row_ = len(rows)
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    kinds = highspy.HighsVarType
    lp.integrality_ = [kinds.kInteger if flag else kinds.kContinuous for flag in milp.integer]
    return highs.passModel(lp) == highspy.HighsStatus.kOk
