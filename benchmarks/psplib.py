"""PSPLIB end to end: every instance written as an sbn file, planned by `sbn plan`, checked against its optimum.

    python benchmarks/psplib.py                      # sm-j30 and mm-j10 from ../shared/bench/psplib
    python benchmarks/psplib.py --set sm-j30 --limit 20
    python benchmarks/psplib.py --report docs/psplib.md --time-limit 9
    python benchmarks/psplib.py --root DIR --set j60 --every 4  # another set (DIR/j60/*.sm, DIR/j60/optimum.csv)

Each instance maps onto sbn as ../shared/bench/psplib/README.md says: one partner, renewable resource k →
`{id: Rk, at_once: capacity}`, non-renewable → `{id: Nk, total: capacity}`, job j → step `j<j>` after its
non-dummy predecessors, mode m → module `j<j>-m<m>` with `lead_time: duration` and `uses` its non-zero
demands, one request with `optimize: [time]`. The plan's `finish` is the makespan.

Every instance runs as its own `sbn plan FILE --format json --time-limit T` process, timed from start to
exit (Python start-up, loading, solving and writing JSON included): that is "end to end". Each plan is then
checked here, independently of sbn: precedences, resource use at every time unit and in total, and the
durations of the modes chosen. Results are appended to benchmarks/out/psplib/<set>.jsonl (a rerun resumes)
and summarised as Markdown.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO.parent / "shared" / "bench" / "psplib"
OUT = REPO / "benchmarks" / "out" / "psplib"


@dataclass
class Mode:
    duration: int
    demands: list[int]  # renewable first, then non-renewable, in the file's column order


@dataclass
class Instance:
    name: str
    renewable: int
    nonrenewable: int
    capacities: list[int]
    successors: dict[int, list[int]] = field(default_factory=dict)
    modes: dict[int, list[Mode]] = field(default_factory=dict)

    @property
    def jobs(self) -> int:
        return len(self.modes)

    def real_jobs(self) -> list[int]:
        """The jobs without the dummy source (1) and sink (N)."""
        return list(range(2, self.jobs))

    def predecessors(self, job: int) -> list[int]:
        return sorted(p for p, successors in self.successors.items() if job in successors and p != 1)


def parse(path: Path) -> Instance:
    """Read a PSPLIB .sm or .mm file."""
    lines = path.read_text().splitlines()
    renewable = nonrenewable = 0
    section = ""
    instance = Instance(path.stem, 0, 0, [])
    last_job = 0
    for line in lines:
        text = line.strip()
        if text.startswith("- renewable"):
            renewable = int(text.split(":")[1].split()[0])
        elif text.startswith("- nonrenewable"):
            nonrenewable = int(text.split(":")[1].split()[0])
        elif text.startswith("PRECEDENCE RELATIONS"):
            section = "precedence"
        elif text.startswith("REQUESTS/DURATIONS"):
            section = "modes"
        elif text.startswith("RESOURCEAVAILABILITIES"):
            section = "capacities"
        elif text.startswith("*"):
            section = "" if section != "capacities" else section
        elif section == "precedence" and text and text[0].isdigit():
            numbers = [int(x) for x in text.split()]
            instance.successors[numbers[0]] = numbers[3 : 3 + numbers[2]]
        elif section == "modes" and text and text[0].isdigit():
            numbers = [int(x) for x in text.split()]
            width = 2 + renewable + nonrenewable
            if len(numbers) == width + 1:  # a job's first mode: jobnr mode duration demands
                last_job = numbers[0]
                numbers = numbers[1:]
            instance.modes.setdefault(last_job, []).append(Mode(numbers[1], numbers[2:]))
        elif section == "capacities" and text and text[0].isdigit():
            instance.capacities = [int(x) for x in text.split()]
            section = ""
    instance.renewable, instance.nonrenewable = renewable, nonrenewable
    return instance


def resource_ids(instance: Instance) -> list[str]:
    return [f"R{k + 1}" for k in range(instance.renewable)] + [f"N{k + 1}" for k in range(instance.nonrenewable)]


def to_yaml(instance: Instance) -> str:
    """The sbn file of one instance (README of ../shared/bench/psplib: how an instance maps onto sbn)."""
    ids = resource_ids(instance)
    out = [f"# PSPLIB {instance.name}, written by benchmarks/psplib.py", "partners:", "  - id: project", "resources:"]
    for k, rid in enumerate(ids):
        kind = "at_once" if k < instance.renewable else "total"
        out.append(f"  - {{id: {rid}, {kind}: {instance.capacities[k]}}}")
    out.append("modules:")
    for job in instance.real_jobs():
        for number, mode in enumerate(instance.modes[job], start=1):
            uses = ", ".join(f"{rid}: {amount}" for rid, amount in zip(ids, mode.demands, strict=True) if amount)
            out.append(
                f"  - {{id: j{job}-m{number}, partner: project, capability: job-{job}, cost: 0, "
                f"lead_time: {mode.duration}, uses: {{{uses}}}}}"
            )
    out += ["requests:", f"  - id: {instance.name}", "    start: 2027-01-04", "    optimize: [time]", "    steps:"]
    for job in instance.real_jobs():
        after = instance.predecessors(job)
        tail = f", after: [{', '.join(f'j{p}' for p in after)}]" if after else ""
        out.append(f"      - {{id: j{job}, capability: job-{job}{tail}}}")
    return "\n".join(out) + "\n"


def check(instance: Instance, plan: dict) -> str | None:
    """An independent check of one plan: None if it is a valid schedule of the instance, else what is wrong."""
    assignments = {a["step"]: a for a in plan["assignments"]}
    ids = resource_ids(instance)
    chosen: dict[int, tuple[int, int, Mode]] = {}
    for job in instance.real_jobs():
        a = assignments.get(f"j{job}")
        if a is None:
            return f"step j{job} not assigned"
        number = int(a["module"].rsplit("-m", 1)[1])
        mode = instance.modes[job][number - 1]
        if a["finish"] - a["start"] != mode.duration:
            return f"j{job}: runs {a['finish'] - a['start']}, its mode takes {mode.duration}"
        chosen[job] = (a["start"], a["finish"], mode)
    for job, (start, _, _) in chosen.items():
        for p in instance.predecessors(job):
            if chosen[p][1] > start:
                return f"j{job} starts at {start} before j{p} finishes at {chosen[p][1]}"
    horizon = max((finish for _, finish, _ in chosen.values()), default=0)
    for k in range(instance.renewable):
        for t in range(horizon):
            used = sum(m.demands[k] for s, f, m in chosen.values() if s <= t < f)
            if used > instance.capacities[k]:
                return f"{ids[k]} holds {used} > {instance.capacities[k]} at {t}"
    for k in range(instance.renewable, instance.renewable + instance.nonrenewable):
        used = sum(m.demands[k] for _, _, m in chosen.values())
        if used > instance.capacities[k]:
            return f"{ids[k]} uses {used} > {instance.capacities[k]} in total"
    if plan["finish"] != horizon:
        return f"finish {plan['finish']} is not the last step's finish {horizon}"
    return None


def run_one(instance: Instance, folder: Path, time_limit: float, sbn: list[str]) -> dict:
    path = folder / f"{instance.name}.yaml"
    path.write_text(to_yaml(instance))
    began = time.perf_counter()
    done = subprocess.run(
        [*sbn, "plan", str(path), "--format", "json", "--time-limit", str(time_limit)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    row: dict = {"instance": instance.name, "exit": done.returncode, "wall": round(wall, 3)}
    try:
        plan = json.loads(done.stdout)["plans"][0] if done.returncode in (0, 1) else None
    except (ValueError, KeyError, IndexError):
        plan = None
    if plan is None:
        row["error"] = (done.stderr.strip() or done.stdout.strip())[:300]
        return row
    row.update(status=plan["status"], finish=plan["finish"] if plan["status"] != "infeasible" else None)
    if row["finish"] is not None:
        row["check"] = check(instance, plan)
    return row


def optima(folder: Path) -> dict[str, int]:
    with (folder / "optimum.csv").open() as handle:
        return {row["instance"]: int(row["makespan"]) for row in csv.DictReader(handle)}


def run_set(root: Path, name: str, time_limit: float, limit: int | None, sbn: list[str], every: int = 1) -> list[dict]:
    folder = root / name
    best = optima(folder)
    files = sorted(
        (p for p in folder.iterdir() if p.suffix in (".sm", ".mm") and p.stem in best), key=lambda p: _natural(p.stem)
    )
    files = files[::every]
    if limit is not None:
        files = files[:limit]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).mkdir(exist_ok=True)
    log = OUT / f"{name}.jsonl"
    rows = {}
    if log.exists():
        for line in log.read_text().splitlines():
            row = json.loads(line)
            rows[row["instance"]] = row
    with log.open("a") as handle:
        for number, path in enumerate(files, start=1):
            if path.stem in rows:
                continue
            row = run_one(parse(path), OUT / name, time_limit, sbn)
            row["optimum"] = best[path.stem]
            rows[path.stem] = row
            handle.write(json.dumps(row) + "\n")
            handle.flush()
            print(
                f"{name} {number}/{len(files)} {path.stem}: {row.get('finish')} (optimum {row['optimum']}), "
                f"{row['status'] if 'status' in row else row.get('error')}, {row['wall']:.2f} s",
                flush=True,
            )
    return [rows[p.stem] for p in files]


def _natural(name: str) -> list:
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def summarise(name: str, rows: list[dict], time_limit: float) -> list[str]:
    at = [r for r in rows if r.get("finish") == r["optimum"] and not r.get("check")]
    proven = [r for r in rows if r.get("status") == "optimal"]
    invalid = [r for r in rows if r.get("check")]
    errors = [r for r in rows if "error" in r or r.get("finish") is None]
    walls = sorted(r["wall"] for r in rows)
    over = [r for r in rows if r["wall"] > 10]
    gaps = [(r["finish"] - r["optimum"]) / r["optimum"] * 100 for r in rows if r.get("finish") is not None]
    lines = [
        f"### {name}: {len(rows)} instances, `--time-limit {time_limit:g}`",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| plan at the published optimum | **{len(at)} of {len(rows)}** |",
        f"| proven optimal by the engine (`status: optimal`) | {len(proven)} |",
        f"| plans that fail the independent check | {len(invalid)} |",
        f"| no plan or an error | {len(errors)} |",
        f"| mean / worst deviation from the optimum | {statistics.mean(gaps) if gaps else 0:+.2f}% / "
        f"{max(gaps) if gaps else 0:+.2f}% |",
        f"| wall time end to end: median / 95th percentile / max | {statistics.median(walls):.2f} s / "
        f"{walls[int(0.95 * (len(walls) - 1))]:.2f} s / {walls[-1]:.2f} s |",
        f"| instances over 10 s end to end | {len(over)} |",
        "",
    ]
    missed = [r for r in rows if r not in at]
    if missed:
        lines += [
            "Not at the optimum:",
            "",
            "| instance | optimum | sbn's finish | status | wall | check |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for r in missed:
            lines.append(
                f"| {r['instance']} | {r['optimum']} | {r.get('finish')} | {r.get('status', r.get('error'))} "
                f"| {r['wall']:.2f} s | {r.get('check') or ''} |"
            )
        lines.append("")
    return lines


def machine() -> str:
    import importlib.metadata as md

    load = os.getloadavg()
    return (
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}; Python {platform.python_version()}, "
        f"ortools {md.version('ortools')}, sbn {md.version('sbn')}. Load average (1/5/15 min) at the end "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder of PSPLIB sets")
    parser.add_argument("--set", action="append", dest="sets", help="set folder(s) under --root")
    parser.add_argument("--time-limit", type=float, default=9.0, help="sbn plan --time-limit (default 9)")
    parser.add_argument("--limit", type=int, help="only the first N instances of each set")
    parser.add_argument("--every", type=int, default=1, help="every Nth instance, in natural order (default 1: all)")
    parser.add_argument("--report", type=Path, help="write the Markdown summary here too")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results of these sets")
    args = parser.parse_args()
    sets = args.sets or ["sm-j30", "mm-j10"]
    sbn = [sys.executable, "-m", "sbn"]
    lines = [machine(), ""]
    for name in sets:
        if args.fresh:
            (OUT / f"{name}.jsonl").unlink(missing_ok=True)
        rows = run_set(args.root, name, args.time_limit, args.limit, sbn, args.every)
        lines += summarise(name, rows, args.time_limit)
    text = "\n".join(lines)
    print(text)
    if args.report:
        args.report.write_text(text + "\n")


if __name__ == "__main__":
    main()
