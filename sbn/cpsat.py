"""The constraint-programming engine: OR-Tools CP-SAT, for models with resources held at once (SPEC §6).

Chosen by measurement on PSPLIB (docs/psplib.md): CP-SAT's interval variables and cumulative
constraints are what scheduling around shared resources is. Imported only for models that hold
cumulative constraints, so `--help`, `validate` and plans without such resources never load it.

The model is sbn's own (sbn.milp): every linear row as a linear constraint (all coefficients are
whole numbers), every step of a cumulative as one interval whose length and demand are those of the
candidate chosen, and lexicographic stages solved one after another, each held at its optimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sbn.milp import Milp, Objective
from sbn.solver import Outcome, SolveStatus

# Deterministic search: CP-SAT's interleaved search runs its subsolvers in a fixed order, so the same
# model gives the same answer whenever each stage ends by a proof (docs/psplib.md measures it).
# Three full-problem subsolvers (with CP-SAT's LNS), not its default eight: interleaved, a batch waits
# for its slowest subsolver and the eight left j3013_2, j3013_5 and j3029_8 one unit above the optimum
# in 9 s (0 of 3); these three reached it in 9 of 9 runs over three seeds (docs/psplib.md). Seed 1 finds the
# three optima soonest through sbn's own model (by 1.2, 0.8 and 4.4 s; seed 0 found j3013_2's only after
# 7.4-8.4 s, too near the limit).
PARAMETERS: dict[str, Any] = {
    "num_workers": 2,
    "interleave_search": True,
    "random_seed": 1,
    "subsolvers": ["default_lp", "no_lp", "quick_restart_no_lp"],
}
# CP-SAT counts in 64-bit integers, and a sum of times or amounts must fit too: sbn refuses a model with a
# number beyond this (as it does for HiGHS, sbn.solver.pass_model), with the reason that says so.
LARGEST = 10**15
# --node-limit N is a limit of work: for this engine, N thousandths of a second of its deterministic time.
DETERMINISTIC_SECONDS_PER_NODE = 0.001


def solve_cp(
    milp: Milp,
    objectives: Sequence[Objective],
    time_limit: float,
    without_groups: frozenset[str] = frozenset(),
    node_limit: int | None = None,
    initial: Sequence[float] | None = None,
) -> Outcome:
    """Minimise the objectives in lexicographic order on CP-SAT; each must be integer-valued."""
    import time

    from ortools.sat.python import cp_model

    if _largest(milp, objectives) > LARGEST:
        return Outcome(SolveStatus.UNKNOWN, stopped_by="magnitude")
    model = cp_model.CpModel()
    variables = _columns(model, milp)
    for row in milp.rows:
        if row.group in without_groups:
            continue
        expression = sum(_whole(value) * variables[column] for column, value in zip(row.index, row.value, strict=True))
        lower = -math.inf if row.lower == -math.inf else math.ceil(row.lower - 1e-9)
        upper = math.inf if row.upper == math.inf else math.floor(row.upper + 1e-9)
        if lower == upper:
            model.add(expression == int(lower))
        else:
            if lower != -math.inf:
                model.add(expression >= int(lower))
            if upper != math.inf:
                model.add(expression <= int(upper))
    for index, cumulative in enumerate(milp.cumulatives):
        _cumulative(model, variables, milp, cumulative, index, cumulative.group in without_groups)
    # A column with one possible value (fixed, or a time within a horizon of 0) is a constant, which CP-SAT
    # shares between columns (a hint naming it twice makes the model invalid): only the others take a hint.
    hinted = [(column, variable) for column, variable in enumerate(variables) if not _is_constant(variable)]
    if initial is not None:
        for column, variable in hinted:
            model.add_hint(variable, round(initial[column]))
    deadline = time.monotonic() + time_limit
    achieved: list[float] = []
    values: list[float] | None = None
    stages = list(objectives) or [{}]
    for stage, objective in enumerate(stages):
        expression = sum(_whole(value) * variables[column] for column, value in objective.items())
        if objective:
            model.minimize(expression)
        else:
            model.clear_objective()
        solver = cp_model.CpSolver()
        for key, value in PARAMETERS.items():
            if isinstance(value, list):
                getattr(solver.parameters, key).extend(value)
            else:
                setattr(solver.parameters, key, value)
        solver.parameters.max_time_in_seconds = max(deadline - time.monotonic(), 0.001)
        if node_limit is not None:
            solver.parameters.max_deterministic_time = node_limit * DETERMINISTIC_SECONDS_PER_NODE
        status = _solve(solver, model)
        if status == cp_model.MODEL_INVALID:  # sbn built a model CP-SAT refuses: a bug, not a limit
            raise RuntimeError(f"CP-SAT refused the model: {model.validate()}")
        if status == cp_model.OPTIMAL:
            values = [float(solver.value(variable)) for variable in variables]
            value = float(solver.objective_value) if objective else 0.0
            achieved.append(value)
            if stage + 1 < len(stages) and objective:
                model.add(expression <= round(value))
                model.clear_hints()
                for column, variable in hinted:
                    model.add_hint(variable, round(values[column]))
            continue
        if status == cp_model.INFEASIBLE and not achieved:
            return Outcome(SolveStatus.INFEASIBLE)
        stopped_by = "nodes" if node_limit is not None and time.monotonic() < deadline else "time"
        if status == cp_model.FEASIBLE:
            values = [float(solver.value(variable)) for variable in variables]
            bound = float(solver.best_objective_bound) if objective else None
            reached = float(solver.objective_value) if objective else None
            return Outcome(SolveStatus.FEASIBLE, values, achieved, stopped_by, bound, reached)
        if values is None:
            return Outcome(SolveStatus.UNKNOWN, stopped_by=stopped_by)
        return Outcome(SolveStatus.FEASIBLE, values, achieved, stopped_by)
    return Outcome(SolveStatus.OPTIMAL, values, achieved)


def _solve(solver: Any, model: Any) -> Any:
    """Run the search in a thread of its own and wait for it here, so that Ctrl-C reaches sbn at once (exit
    130) and stops the search, as with HiGHS (sbn.solver). CP-SAT's own SIGINT handler would swallow it: the
    search would stop and sbn print the plans found so far as if the time limit had ended it."""
    import threading

    solver.parameters.catch_sigint_signal = False
    outcome: dict[str, Any] = {}

    def search() -> None:
        try:
            outcome["status"] = solver.solve(model)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=search, name="sbn-cp-sat", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.05)
    except KeyboardInterrupt:
        from sbn.solver import mark_interrupted

        solver.stop_search()
        mark_interrupted()  # the search may still be unwinding: sbn leaves at once (sbn.cli)
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["status"]


def _whole(value: float) -> int:
    whole = round(value)
    assert abs(value - whole) < 1e-6, f"a coefficient of a cumulative model is not whole: {value}"
    return whole


def _largest(milp: Milp, objectives: Sequence[Objective]) -> float:
    """The largest magnitude of any time, bound, coefficient or amount in the model."""
    numbers: list[float] = [milp.horizon or 0]
    for row in milp.rows:
        numbers += [abs(bound) for bound in (row.lower, row.upper) if bound not in (math.inf, -math.inf)]
        numbers += [abs(value) for value in row.value]
    numbers += [abs(bound) for bound in milp.lower + milp.upper if bound not in (math.inf, -math.inf)]
    numbers += [abs(value) for objective in objectives for value in objective.values()]
    for cumulative in milp.cumulatives:
        numbers.append(cumulative.capacity)
        for task in cumulative.tasks:
            numbers += [task.offset + max(task.durations.values(), default=0), *task.demands.values()]
        numbers += [max(abs(begin), abs(end), amount) for begin, end, amount in cumulative.busy]
    return max(numbers)


def _is_constant(variable: Any) -> bool:
    domain = variable.proto.domain
    return len(domain) == 2 and domain[0] == domain[1]


def _columns(model: Any, milp: Milp) -> list[Any]:
    """One variable per column: Booleans for 0-1 integers, whole numbers for the rest (times up to the horizon)."""
    horizon = milp.horizon if milp.horizon is not None else 0
    variables = []
    for column, (lower, upper, integer) in enumerate(zip(milp.lower, milp.upper, milp.integer, strict=True)):
        low = math.ceil(lower - 1e-9)
        high = horizon if upper == math.inf else math.floor(upper + 1e-9)
        if integer and low >= 0 and high <= 1:
            variables.append(model.new_bool_var(f"c{column}") if low < high else model.new_constant(low))
        elif low == high:
            variables.append(model.new_constant(low))
        else:
            variables.append(model.new_int_var(low, max(low, high), f"c{column}"))
    return variables


def _cumulative(model: Any, variables: list[Any], milp: Milp, cumulative: Any, index: int, relaxed: bool) -> None:
    """One interval per task (its length and demand those of the candidate chosen), busy periods as fixed
    intervals; relaxed, the capacity is its column's value (or unbounded without one)."""
    from ortools.sat.python import cp_model

    if relaxed and cumulative.capacity_column is None:
        return
    horizon = milp.horizon if milp.horizon is not None else 0
    intervals = []
    demands: list[Any] = []
    for number, task in enumerate(cumulative.tasks):
        lengths = sorted(set(task.durations.values()) | {0})
        length = model.new_int_var_from_domain(cp_model.Domain.from_values(lengths), f"d{index}_{number}")
        model.add(length == sum(d * variables[c] for c, d in task.durations.items()))
        start = variables[task.start] + task.offset
        end = model.new_int_var(task.offset, task.offset + horizon + lengths[-1], f"e{index}_{number}")
        intervals.append(model.new_interval_var(start, length, end, f"i{index}_{number}"))
        amounts = sorted(set(task.demands.values()) | {0})
        if len(set(task.demands.values())) == 1 and set(task.demands) == set(task.durations):
            # Every candidate takes the same amount: a step that runs holds it, one that does not (length 0) nothing.
            demands.append(next(iter(task.demands.values())))
        else:
            demand = model.new_int_var_from_domain(cp_model.Domain.from_values(amounts), f"q{index}_{number}")
            model.add(demand == sum(a * variables[c] for c, a in task.demands.items()))
            demands.append(demand)
    for number, (begin, finish, amount) in enumerate(cumulative.busy):
        begin = max(begin, 0)
        if finish > begin and amount > 0:
            intervals.append(model.new_fixed_size_interval_var(begin, finish - begin, f"b{index}_{number}"))
            demands.append(amount)
    if not intervals:
        return
    capacity: Any = cumulative.capacity
    if relaxed:
        capacity = variables[cumulative.capacity_column]
    model.add_cumulative(intervals, demands, capacity)
