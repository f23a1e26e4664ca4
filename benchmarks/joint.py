"""Joint planning (SPEC §7) against published optima, and the default order for contrast (issue 15).

    python benchmarks/joint.py gap [--time-limit 10] [--only REGEX] [--out docs/joint.md]
    python benchmarks/joint.py batch [--time-limit 10] [--requests 1000] [--modules 5000] [--steps 5]
    python benchmarks/joint.py random [--runs 40] [--seed 1] [--time-limit 10]

``gap``: every GAP job becomes a request of one step (quantity 1); the agents are partners with their
capacity, each (agent, job) a module with its cost and usage. `sbn plan FILE --joint --optimize cost` then
plans as many jobs as possible, then the cheapest assignment: with every job planned, its cost is the GAP
cost. The same file without --joint plans job by job in file order (the greedy default), for contrast.
Both run as `python -m sbn` in a fresh interpreter, timed by wall clock end to end.

``batch``: the generated network of benchmarks/run.py's throughput scenario (1,000 requests x 5 steps on
5,000 modules), planned jointly; reports time, planned counts, cost, and the gap to the engine's bound.

``random``: random runs of 5-50 requests (1-3 steps, priorities 0-2, some deadlines) competing for a few
partners' capacity, every other run also for crews held at once over time (start dates within a week);
each planned in the default order and with `--joint`, comparing the requests planned per priority class
from the highest down: a joint run must never plan fewer (exit 1 if one does).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import engines, gapdata
from benchmarks.generate import generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "joint"
# gap1-12, and types a, b, c up to 200 jobs, d and e up to 400 jobs: the selection issue 15 sets goals for.
DEFAULT = r"^c\d{3,4}_\d$|^[abc](05|10|20)(100|200)$|^[de](05|10|20)(100|200|400)$|^[cde]\d0400$"


def write_jobs_as_requests(problem: gapdata.Problem, path: Path, name: str) -> Path:
    """A GAP instance as one sbn file: agents as partners, every job a request of one step."""
    request = re.sub(r"[^A-Za-z0-9._-]", "-", name)
    out = [
        f"# GAP instance {name}: {problem.agents} agents x {problem.jobs} jobs, every job its own request\n",
        f"network:\n  name: gap-{request}-joint\n",
        "partners:\n",
    ]
    out.extend(f"  - {{id: a{i}, capacity: {b}}}\n" for i, b in enumerate(problem.capacity))
    out.append("modules:\n")
    for i in range(problem.agents):
        out.extend(
            f"  - {{id: m{i}-{j}, partner: a{i}, capability: job-{j}, cost: {problem.cost[i][j]}, "
            f"usage: {problem.resource[i][j]}}}\n"
            for j in range(problem.jobs)
        )
    out.append("requests:\n")
    out.extend(
        f"  - {{id: job-{j}, optimize: [cost], steps: [{{id: job, capability: job-{j}, quantity: 1}}]}}\n"
        for j in range(problem.jobs)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(out), encoding="utf-8")
    return path


@dataclass
class Run:
    planned: int
    cost: float
    proven: bool
    bound: float | None
    seconds: float
    exit: int


def plan_json(path: Path, time_limit: float, *extra: str) -> tuple[dict[str, Any], float, int]:
    """`python -m sbn plan FILE --format json` in a fresh interpreter: the plan document, the wall time end to
    end and the exit code (0 or 1; anything else raises)."""
    command = [sys.executable, "-m", "sbn", "plan", str(path), "--format", "json", "--time-limit", f"{time_limit:g}"]
    started = time.perf_counter()
    done = subprocess.run([*command, *extra], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join([*command, *extra])}: exit {done.returncode}: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout), seconds, done.returncode


def run_sbn(path: Path, time_limit: float, *extra: str) -> Run:
    """A plan's totals, run by plan_json."""
    data, seconds, returncode = plan_json(path, time_limit, *extra)
    plans = data["plans"]
    planned = sum(1 for p in plans if p["assignments"])
    cost = sum(p["cost"] for p in plans if p["cost"] is not None)
    objective = {o["criterion"]: o for o in data.get("objective", []) if o["criterion"] != "planned"}
    proven = all(o["proven"] for o in data.get("objective", [])) if "objective" in data else returncode == 0
    bound = objective.get("cost", {}).get("bound")
    return Run(planned, cost, proven, bound, seconds, returncode)


def gap(args: argparse.Namespace) -> int:
    pattern = re.compile(args.only or DEFAULT)
    selected = [r for r in gapdata.reference() if pattern.search(r["instance"])]
    info = engines.machine()
    print(f"{len(selected)} instances, time limit {args.time_limit:g} s; load avg {engines.load_average()}")
    header = "instance  jobs  best  joint  gap%  proven  secs  | greedy planned  greedy cost  gap%  secs"
    print(header, flush=True)
    rows: list[dict[str, Any]] = []
    for reference in selected:
        name = reference["instance"]
        path = write_jobs_as_requests(gapdata.load_instance(name), OUT / f"{name}.yaml", name)
        joint = run_sbn(path, args.time_limit, "--joint", "--optimize", "cost")
        greedy = run_sbn(path, args.time_limit)
        best = reference["min_cost"]
        row = {
            "instance": name,
            "jobs": reference["jobs"],
            "best": best,
            "best_status": reference["status"],
            "joint": joint.__dict__,
            "greedy": greedy.__dict__,
        }
        rows.append(row)
        joint_gap = _gap(joint, reference["jobs"], best)
        greedy_gap = _gap(greedy, reference["jobs"], best)
        print(
            f"{name:>9} {reference['jobs']:5} {best:5} {joint.cost:6.0f} {joint_gap:>5} {joint.proven!s:>6} "
            f"{joint.seconds:5.1f}  | {greedy.planned:5}/{reference['jobs']:<5} {greedy.cost:11.0f} {greedy_gap:>5} "
            f"{greedy.seconds:5.1f}",
            flush=True,
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gap-last-run.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=1), encoding="utf-8")
    if args.out:
        args.out.write_text(_report(rows, args, info), encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def _gap(run: Run, jobs: int, best: int) -> str:
    if run.planned < jobs:
        return f"{run.planned - jobs}j"  # jobs left unplanned
    return f"{100 * (run.cost - best) / best:.2f}"


def _report(rows: list[dict[str, Any]], args: argparse.Namespace, info: dict[str, Any]) -> str:
    lines = [
        "# Joint planning on GAP instances (issue 15)",
        "",
        "Every GAP job is its own request of one step; `sbn plan FILE --joint --optimize cost` must plan all",
        "jobs, then at the least total cost: with every job planned, that cost is the GAP cost. The default",
        "order (no `--joint`) plans the jobs one by one in file order, each at its cheapest on what the",
        "earlier ones left, for contrast. Both in a fresh interpreter, wall clock end to end.",
        "",
        f"Command: `python benchmarks/joint.py gap --time-limit {args.time_limit:g}"
        + (f" --only '{args.only}'" if args.only else "")
        + "`",
        "",
        f"Machine: {info.get('cpu', '')}; Python {info.get('python', '')}; highspy {info.get('highspy', '')}.",
        "",
        "| instance | jobs | best | joint cost | gap % | proven | s | greedy planned | greedy cost | gap % | s |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        joint, greedy = Run(**row["joint"]), Run(**row["greedy"])
        lines.append(
            f"| {row['instance']} | {row['jobs']} | {row['best']} | {joint.cost:.0f} | "
            f"{_gap(joint, row['jobs'], row['best'])} | {'yes' if joint.proven else 'no'} | {joint.seconds:.1f} | "
            f"{greedy.planned}/{row['jobs']} | {greedy.cost:.0f} | {_gap(greedy, row['jobs'], row['best'])} | "
            f"{greedy.seconds:.1f} |"
        )
    return "\n".join(lines) + "\n"


def batch(args: argparse.Namespace) -> int:
    directory = OUT / f"batch-m{args.modules}-r{args.requests}-s{args.steps}"
    requests = directory / "requests.yaml"
    if not requests.exists():
        generate(directory, args.modules, requests=args.requests, steps=args.steps, seed=1)
    print(f"load avg {engines.load_average()}")
    default = run_sbn(requests, args.time_limit)
    print(f"default order: {default.planned} planned, cost {default.cost:,.2f}, {default.seconds:.1f} s")
    for criteria in args.optimize:
        joint = run_sbn(requests, args.time_limit, "--joint", "--optimize", criteria)
        gap = f"{100 * (joint.cost - joint.bound) / joint.bound:.2f}%" if joint.bound else "-"
        print(
            f"--joint --optimize {criteria}: {joint.planned} planned, cost {joint.cost:,.2f}, proven {joint.proven}, "
            f"bound {joint.bound}, gap to bound {gap}, {joint.seconds:.1f} s",
            flush=True,
        )
    print(f"load avg {engines.load_average()}")
    return 0


def write_random_run(rng: random.Random, requests: int, path: Path, resources: bool) -> Path:
    """A run of requests competing for few partners' capacity (and, with ``resources``, for crews over time)."""
    capabilities = [f"c{i}" for i in range(rng.randint(3, 6))]
    partners = rng.randint(3, 8)
    out = [f"# random run: {requests} requests competing for capacity\n", "network:\n  name: random-run\n"]
    if resources:
        out.append(f"resources:\n  - {{id: crew, at_once: {rng.randint(2, 4)}}}\n")
    out.append("partners:\n")
    out.extend(f"  - {{id: p{i}, capacity: {rng.randint(2, 3 * requests // partners + 2)}}}\n" for i in range(partners))
    out.append("modules:\n")
    number = 0
    for capability in capabilities:
        for partner in rng.sample(range(partners), rng.randint(1, min(3, partners))):
            uses = f", uses: {{crew: {rng.randint(1, 2)}}}" if resources and rng.random() < 0.5 else ""
            out.append(
                f"  - {{id: m{number}, partner: p{partner}, capability: {capability}, cost: {rng.randint(1, 100)}, "
                f"usage: {rng.randint(1, 3)}, lead_time: {rng.randint(1, 5)}{uses}}}\n"
            )
            number += 1
    out.append("requests:\n")
    for r in range(requests):
        steps = rng.sample(capabilities, rng.randint(1, min(3, len(capabilities))))
        listed = ", ".join(
            f"{{id: s{k}, capability: {c}" + (f", after: [s{k - 1}]" if k else "") + "}" for k, c in enumerate(steps)
        )
        extra = f", start: 2027-03-0{rng.randint(1, 7)}" if resources else ""
        if rng.random() < 0.3:
            extra += f", deadline: {rng.randint(4, 20)}"
        out.append(f"  - {{id: r{r}, priority: {rng.choice([0, 0, 1, 2])}{extra}, steps: [{listed}]}}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(out), encoding="utf-8")
    return path


def _classes(path: Path, time_limit: float, *extra: str) -> tuple[list[int], bool, float]:
    """Requests planned per priority class (highest first), whether proven, and the wall time."""
    data, seconds, _ = plan_json(path, time_limit, *extra)
    text = path.read_text(encoding="utf-8")
    priority = {m[0]: int(m[1]) for m in re.findall(r"id: (r\d+), priority: (\d+)", text)}
    planned = [priority[p["request"]] for p in data["plans"] if p["assignments"]]
    counts = [planned.count(c) for c in sorted(set(priority.values()), reverse=True)]
    proven = all(o["proven"] for o in data.get("objective", [])) if "objective" in data else True
    return counts, proven, seconds


def random_runs(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    print(
        f"{args.runs} random runs of 5-50 requests, time limit {args.time_limit:g} s; load avg {engines.load_average()}"
    )
    more = same = fewer = proven = 0
    seconds: list[float] = []
    for number in range(args.runs):
        requests = rng.randint(5, 50)
        resources = number % 2 == 1
        path = write_random_run(rng, requests, OUT / "random" / f"run-{number}.yaml", resources)
        default, _, _ = _classes(path, args.time_limit)
        joint, is_proven, wall = _classes(path, args.time_limit, "--joint")
        seconds.append(wall)
        proven += is_proven
        verdict = "more" if joint > default else "same" if joint == default else "FEWER"
        more += verdict == "more"
        same += verdict == "same"
        fewer += verdict == "FEWER"
        print(
            f"run {number:3} ({requests:2} requests{', crews' if resources else ''}): default {default} joint {joint} "
            f"{verdict}{'' if is_proven else ' (not proven)'} {wall:.1f} s",
            flush=True,
        )
    seconds.sort()
    print(
        f"joint planned more (lexicographically, highest class first) in {more}, the same in {same}, fewer in "
        f"{fewer} of {args.runs} runs; proven optimal in {proven}; wall time median {seconds[len(seconds) // 2]:.1f} s, "
        f"max {seconds[-1]:.1f} s; load avg {engines.load_average()}"
    )
    return 1 if fewer else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    on_gap = sub.add_parser("gap", help="GAP instances, every job a request")
    on_gap.add_argument("--time-limit", type=float, default=10.0)
    on_gap.add_argument("--only", help="regex on instance names (default: the issue's selection)")
    on_gap.add_argument("--out", type=Path, help="write a Markdown report here")
    on_batch = sub.add_parser("batch", help="a generated batch of requests planned jointly")
    on_batch.add_argument("--time-limit", type=float, default=10.0)
    on_batch.add_argument("--requests", type=int, default=1000)
    on_batch.add_argument("--modules", type=int, default=5000)
    on_batch.add_argument("--steps", type=int, default=5)
    on_batch.add_argument("--optimize", nargs="+", default=["cost", "cost,time"])
    on_random = sub.add_parser("random", help="random runs of 5-50 requests: --joint against the default order")
    on_random.add_argument("--runs", type=int, default=40)
    on_random.add_argument("--seed", type=int, default=1)
    on_random.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args(argv)
    return {"gap": gap, "batch": batch, "random": random_runs}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
