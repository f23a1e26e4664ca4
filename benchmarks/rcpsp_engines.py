"""Which engine for resources over time (issue 14, item 6): HiGHS on a time-indexed model against CP-SAT on
interval variables with cumulative constraints, on the same PSPLIB instances, each as its textbook model.

    python benchmarks/rcpsp_engines.py                       # every 10th instance of sm-j30 and mm-j10, 10 s
    python benchmarks/rcpsp_engines.py --every 1 --time-limit 10 --out docs/psplib-engines.md

Both engines get 2 threads where they use them (CP-SAT: 2 workers; HiGHS is single-threaded in its branch
and bound) and the same time limit per instance, timed in this process (model building included). Each
result is the makespan found, whether it was proven optimal, and the wall time; every schedule is checked
by benchmarks/psplib.py's independent checker before it counts.

The time-indexed model (Pritsker, Watters and Wolfe, 1969): x[j,m,t] = 1 when job j runs in mode m from t,
t between the job's earliest start (longest path from the source with the shortest modes) and the horizon
less its shortest tail; per renewable resource and time unit the jobs running hold at most its capacity;
per non-renewable resource the modes chosen consume at most its capacity; the makespan is at least every
job's finish. The interval model: per job a start, per mode an optional interval sharing it, one
cumulative per renewable resource, a linear row per non-renewable one, the makespan the maximum end.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.psplib import DEFAULT_ROOT, Instance, optima, parse  # noqa: E402


def earliest_starts(instance: Instance) -> dict[int, int]:
    """Longest path from the source with each job's shortest mode."""
    shortest = {j: min(m.duration for m in modes) for j, modes in instance.modes.items()}
    starts = {1: 0}
    for job in sorted(instance.modes):  # PSPLIB numbers jobs topologically
        for successor in instance.successors.get(job, []):
            starts[successor] = max(starts.get(successor, 0), starts.get(job, 0) + shortest[job])
    return starts


def tails(instance: Instance) -> dict[int, int]:
    """Longest path from the start of each job to the end of the project, with the shortest modes."""
    shortest = {j: min(m.duration for m in modes) for j, modes in instance.modes.items()}
    tail: dict[int, int] = {}
    for job in sorted(instance.modes, reverse=True):
        tail[job] = shortest[job] + max((tail[s] for s in instance.successors.get(job, [])), default=0)
    return tail


def horizon(instance: Instance) -> int:
    return sum(max(m.duration for m in modes) for modes in instance.modes.values())


def solve_highs(instance: Instance, time_limit: float) -> tuple[dict[int, tuple[int, int]] | None, bool]:
    """(job -> (mode, start)) and whether proven optimal."""
    import highspy
    import numpy as np

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.5)
    es, tail, big = earliest_starts(instance), tails(instance), horizon(instance)
    columns: list[tuple[int, int, int]] = []  # (job, mode, start)
    for job, modes in instance.modes.items():
        for m in range(len(modes)):
            for t in range(es[job], big - tail[job] + 1):
                columns.append((job, m, t))
    makespan = len(columns)
    n = makespan + 1
    lower = np.zeros(n)
    upper = np.ones(n)
    upper[makespan] = big
    cost = np.zeros(n)
    cost[makespan] = 1.0
    h.addVars(n, lower, upper)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
    by_job: dict[int, list[int]] = {}
    for index, (job, _, _) in enumerate(columns):
        by_job.setdefault(job, []).append(index)

    def row(indices: list[int], values: list[float], low: float, high: float) -> None:
        h.addRow(low, high, len(indices), np.array(indices, dtype=np.int32), np.array(values, dtype=float))

    inf = highspy.kHighsInf
    for indices in by_job.values():
        row(indices, [1.0] * len(indices), 1, 1)
    for job, successors in instance.successors.items():
        for successor in successors:
            # start(successor) - finish(job) >= 0
            indices = by_job[successor] + by_job[job]
            values = [float(columns[i][2]) for i in by_job[successor]]
            values += [-float(columns[i][2] + instance.modes[job][columns[i][1]].duration) for i in by_job[job]]
            row(indices, values, 0, inf)
    sink = max(instance.modes)
    row(by_job[sink] + [makespan], [-float(columns[i][2]) for i in by_job[sink]] + [1.0], 0, inf)
    for k in range(instance.renewable):
        running: dict[int, list[int]] = {}
        for index, (job, m, t) in enumerate(columns):
            mode = instance.modes[job][m]
            if mode.demands[k]:
                for tau in range(t, t + mode.duration):
                    running.setdefault(tau, []).append(index)
        for indices in running.values():
            values = [float(instance.modes[columns[i][0]][columns[i][1]].demands[k]) for i in indices]
            if sum(values) > instance.capacities[k]:
                row(indices, values, -inf, instance.capacities[k])
    for k in range(instance.renewable, instance.renewable + instance.nonrenewable):
        indices = [i for i, (job, m, _) in enumerate(columns) if instance.modes[job][m].demands[k]]
        values = [float(instance.modes[columns[i][0]][columns[i][1]].demands[k]) for i in indices]
        if indices:
            row(indices, values, -inf, instance.capacities[k])
    h.run()
    status = h.getModelStatus()
    if h.getInfo().primal_solution_status != 2:  # no feasible solution
        return None, False
    values = h.getSolution().col_value
    chosen = {columns[i][0]: (columns[i][1], columns[i][2]) for i in range(makespan) if values[i] > 0.5}
    return chosen, status == highspy.HighsModelStatus.kOptimal


def solve_cpsat(instance: Instance, time_limit: float) -> tuple[dict[int, tuple[int, int]] | None, bool]:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    big = horizon(instance)
    es, tail = earliest_starts(instance), tails(instance)
    starts, ends, presence = {}, {}, {}
    intervals: list[list[tuple[object, int]]] = [[] for _ in range(instance.renewable)]
    nonrenewable: list[list[tuple[object, int]]] = [[] for _ in range(instance.nonrenewable)]
    for job, modes in instance.modes.items():
        starts[job] = model.new_int_var(es[job], big - tail[job], f"s{job}")
        ends[job] = model.new_int_var(es[job], big, f"e{job}")
        chosen = []
        for m, mode in enumerate(modes):
            present = model.new_bool_var(f"p{job}_{m}") if len(modes) > 1 else model.new_constant(1)
            presence[job, m] = present
            chosen.append(present)
            interval = model.new_optional_fixed_size_interval_var(starts[job], mode.duration, present, f"i{job}_{m}")
            model.add(ends[job] == starts[job] + mode.duration).only_enforce_if(present)
            for k in range(instance.renewable):
                if mode.demands[k]:
                    intervals[k].append((interval, mode.demands[k]))
            for k in range(instance.nonrenewable):
                if mode.demands[instance.renewable + k]:
                    nonrenewable[k].append((present, mode.demands[instance.renewable + k]))
        model.add_exactly_one(chosen)
    for job, successors in instance.successors.items():
        for successor in successors:
            model.add(starts[successor] >= ends[job])
    for k in range(instance.renewable):
        if intervals[k]:
            model.add_cumulative([i for i, _ in intervals[k]], [d for _, d in intervals[k]], instance.capacities[k])
    for k in range(instance.nonrenewable):
        model.add(sum(d * p for p, d in nonrenewable[k]) <= instance.capacities[instance.renewable + k])
    makespan = ends[max(instance.modes)]
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    chosen = {}
    for job, modes in instance.modes.items():
        mode = next(m for m in range(len(modes)) if solver.value(presence[job, m]))
        chosen[job] = (mode, solver.value(starts[job]))
    return chosen, status == cp_model.OPTIMAL


def check(instance: Instance, chosen: dict[int, tuple[int, int]]) -> tuple[int, str | None]:
    """The makespan of a schedule and what is wrong with it (None: valid)."""
    from benchmarks.psplib import check as check_plan

    assignments = []
    for job in instance.real_jobs():
        m, start = chosen[job]
        assignments.append(
            {"step": f"j{job}", "module": f"j{job}-m{m + 1}", "start": start,
             "finish": start + instance.modes[job][m].duration}
        )  # fmt: skip
    finish = max((a["finish"] for a in assignments), default=0)
    return finish, check_plan(instance, {"assignments": assignments, "finish": finish})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--set", action="append", dest="sets")
    parser.add_argument("--every", type=int, default=10, help="every Nth instance (default 10)")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    engines = {"HiGHS, time-indexed": solve_highs, "CP-SAT, intervals": solve_cpsat}
    lines = [
        f"Command: `python benchmarks/rcpsp_engines.py --every {args.every} --time-limit {args.time_limit:g}`",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}; Python {platform.python_version()}.",
        "",
    ]
    for name in args.sets or ["sm-j30", "mm-j10"]:
        folder = args.root / name
        best = optima(folder)
        files = sorted(p for p in folder.iterdir() if p.suffix in (".sm", ".mm") and p.stem in best)[:: args.every]
        results: dict[str, list[tuple[int | None, bool, float]]] = {engine: [] for engine in engines}
        for path in files:
            instance = parse(path)
            for engine, solve in engines.items():
                began = time.perf_counter()
                chosen, proven = solve(instance, args.time_limit)
                wall = time.perf_counter() - began
                makespan = None
                if chosen is not None:
                    makespan, problem = check(instance, chosen)
                    if problem:
                        print(f"{path.stem} {engine}: INVALID {problem}", flush=True)
                        makespan, proven = None, False
                results[engine].append((makespan, proven, wall))
                print(f"{name} {path.stem} {engine}: {makespan} (optimum {best[path.stem]}) "
                      f"{'proven' if proven else ''} {wall:.2f} s", flush=True)  # fmt: skip
        lines += [
            f"### {name}: {len(files)} instances (every {args.every}th), {args.time_limit:g} s each",
            "",
            "| engine | at the optimum | proven | no schedule | mean deviation | median time | max time |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for engine, rows in results.items():
            optimum = [best[p.stem] for p in files]
            at = sum(1 for (m, _, _), o in zip(rows, optimum, strict=True) if m == o)
            gaps = [(m - o) / o * 100 for (m, _, _), o in zip(rows, optimum, strict=True) if m is not None]
            walls = [w for *_, w in rows]
            lines.append(
                f"| {engine} | {at} of {len(rows)} | {sum(1 for _, p, _ in rows if p)} | "
                f"{sum(1 for m, _, _ in rows if m is None)} | {statistics.mean(gaps) if gaps else 0:+.2f}% | "
                f"{statistics.median(walls):.2f} s | {max(walls):.2f} s |"
            )
        lines.append("")
    load = os.getloadavg()
    lines.append(f"Load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
