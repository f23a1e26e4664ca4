"""Measure sbn against floors measured in the same run, and write docs/performance.md (issues 4 and 5).

    python benchmarks/run.py [--repeat 5] [--quick | --tiny] [--only help,network,throughput,scaling,replan]
                             [--profile] [--src DIR] [--before FILE] [--out docs/performance.md]

Every command runs as its own process (a fresh interpreter, as a user runs it). The subject and its floor
run alternately, round after round (the order rotates each round), after one untimed warm-up run of each
that also checks the output. A figure is the median wall time of ``--repeat`` runs (at least 5 for the goals),
divided by the floor's median from the same rounds. Peak memory is each process's own maximum resident set
size, taken by ``/usr/bin/time -f %M`` (a small C program, so the figure is the child's alone); without it,
by ``os.wait4`` on the child, which may report this script's own peak (kept small: networks are generated
in a subprocess) if the child never exceeds it.

Scenarios (SPEC §3, §5; goals from issues 4 and 5):

1. ``help``: ``sbn --help`` against ``python -c "import typer, pydantic, rich, yaml"``.
2. ``network``: ``sbn validate`` and ``sbn plan --format json`` of one 10-step request on a 50,000-module
   network, against parsing every ``*.yaml`` file of that network with ``yaml.CSafeLoader`` alone.
3. ``throughput``: 1,000 requests of 5 steps each on a 5,000-module network in one ``sbn plan`` run.
4. ``scaling``: validate and plan at 1k, 5k, 20k, 50k and 100k modules; least-squares slope of time against
   modules and the marginal slope of the last segment against the first.
5. ``replan`` (benchmarks/replan.py): a 30-step request on 20,000 modules planned, then re-planned
   ``--without`` a partner the first plan used, ``--from`` the first plan.

``--quick`` skips the 100,000-module size; ``--tiny`` shrinks every network (a smoke test of this script,
written to benchmarks/out/performance-tiny.md unless ``--out`` says otherwise). ``--profile`` adds cProfile
tables of validate and plan on the large network and of the throughput run, and ``-X importtime`` of
``--help``. ``--src DIR`` runs sbn from another checkout (``PYTHONPATH=DIR``), e.g. a ``git worktree`` of the
commit before a change, to measure "before". ``--before FILE`` puts an earlier run's figures (its
``results.json``, or a performance.md this script wrote) beside this run's; without it, the "before" kept in
the existing output document is carried over. Results also go to benchmarks/out/results-<time>.json.

Text between ``<!-- notes:begin -->`` and ``<!-- notes:end -->`` in the existing document is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
OUT = BENCH / "out"
DOC = ROOT / "docs" / "performance.md"
GENERATOR = BENCH / "generate.py"
PYTHON = sys.executable
SCHEMA = "sbn.bench/v1"
NOTES_BEGIN = "<!-- notes:begin -->"
NOTES_END = "<!-- notes:end -->"
RESULTS_BEGIN = "<!-- results:begin"
RESULTS_END = "results:end -->"

IMPORT_FLOOR = "import typer, pydantic, rich, yaml"
# The parse floor: every *.yaml below the network's directory through libyaml, nothing else.
PARSE_FLOOR = (
    "import pathlib, sys, yaml\n"
    "for path in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
    "    yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)\n"
)
# The event-scan floor: libyaml's own parse of the same files, every event read and dropped (issue 17).
SCAN_FLOOR = (
    "import pathlib, sys, yaml\n"
    "for path in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
    "    for _ in yaml.parse(path.read_bytes(), Loader=yaml.CSafeLoader):\n"
    "        pass\n"
)
ALL_SCENARIOS = ("help", "network", "throughput", "parallel", "scaling", "replan")


# -- sizes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """Network sizes per scenario; --tiny shrinks them all for a smoke test."""

    network: int = 50_000
    network_steps: int = 10
    throughput_modules: int = 5_000
    throughput_requests: int = 1_000
    throughput_steps: int = 5
    scaling: tuple[int, ...] = (1_000, 5_000, 20_000, 50_000, 100_000)
    replan_modules: int = 20_000
    replan_steps: int = 30


FULL = Sizes()
QUICK = Sizes(scaling=(1_000, 5_000, 20_000, 50_000))
TINY = Sizes(
    network=2_000,
    throughput_modules=500,
    throughput_requests=40,
    scaling=(200, 500, 1_000, 2_000),
    replan_modules=1_000,
)


# -- measuring ------------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float  # seconds
    rss_kb: int  # peak resident set size of the process, KiB
    code: int
    cpu: float = 0.0  # user + system seconds of the process: less sensitive than wall time to other load


@dataclass
class Series:
    """One command's timed runs."""

    name: str
    argv: list[str]
    samples: list[Sample] = field(default_factory=list)
    check: dict[str, Any] = field(default_factory=dict)  # what the warm-up run's output said

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def rss_kb(self) -> int:
        return int(statistics.median(s.rss_kb for s in self.samples))

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    def summary(self) -> dict[str, Any]:
        walls = [s.wall for s in self.samples]
        return {
            "name": self.name,
            "argv": self.argv,
            "runs": len(walls),
            "median_s": self.wall,
            "min_s": min(walls),
            "max_s": max(walls),
            "median_rss_kb": self.rss_kb,
            "median_cpu_s": self.cpu,
            "max_rss_kb": max(s.rss_kb for s in self.samples),
            "codes": sorted({s.code for s in self.samples}),
            "samples": [asdict(s) for s in self.samples],
            "check": self.check,
        }


class Meter:
    """Runs one command as its own process; wall time from here, peak memory of that process alone."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.time_binary = _gnu_time()
        self.method = "/usr/bin/time -f %M" if self.time_binary else "os.wait4 ru_maxrss"

    def run(self, argv: Sequence[str], stdout: Path | None = None, cwd: Path = ROOT) -> Sample:
        out = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL  # noqa: SIM115
        try:
            if self.time_binary:
                with tempfile.NamedTemporaryFile("r", prefix="sbn-bench-", suffix=".rss") as rss:
                    full = [self.time_binary, "-f", "%M %U %S", "-o", rss.name, *argv]
                    began = time.perf_counter()
                    proc = subprocess.Popen(full, stdout=out, stderr=subprocess.PIPE, cwd=cwd, env=self.env)
                    _, err = proc.communicate()
                    wall = time.perf_counter() - began
                    # GNU time writes "Command exited with non-zero status N" first when it is so.
                    lines = [line for line in Path(rss.name).read_text().splitlines() if line.strip()]
                    fields = lines[-1].split() if lines else []
                    try:
                        rss_kb, cpu = int(fields[0]), float(fields[1]) + float(fields[2])
                    except (IndexError, ValueError):
                        rss_kb, cpu = 0, 0.0
                    code = proc.returncode
            else:
                began = time.perf_counter()
                proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, cwd=cwd, env=self.env)
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - began
                proc.returncode = code = os.waitstatus_to_exitcode(status)
                rss_kb = int(usage.ru_maxrss)
                cpu = usage.ru_utime + usage.ru_stime
                err = b""
        finally:
            if stdout is not None:
                out.close()  # type: ignore[union-attr]
        if code not in (0, 1):
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:] if err else []
            raise RuntimeError(f"exit code {code} from {shlex.join(argv)}: {' | '.join(tail)}")
        return Sample(round(wall, 4), rss_kb, code, round(cpu, 3))


def _gnu_time() -> str | None:
    """/usr/bin/time if it is GNU time and reports %M (BusyBox's and BSD's differ)."""
    binary = "/usr/bin/time"
    if not os.access(binary, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        done = subprocess.run([binary, "-f", "%M", "-o", rss.name, "true"], capture_output=True, check=False)
        text = Path(rss.name).read_text().strip()
    return binary if done.returncode == 0 and text.isdigit() else None


def alternate(
    meter: Meter,
    commands: Sequence[Series],
    repeat: int,
    log: Callable[[str], None],
    checks: dict[str, Callable[[Path], dict[str, Any]]] | None = None,
    warmup: int = 1,
) -> None:
    """Warm up, then run every command once per round, rotating the order, `repeat` rounds."""
    checks = checks or {}
    for series in commands:
        for _ in range(warmup):
            check = checks.get(series.name)
            if check is None:
                meter.run(series.argv)
                continue
            with tempfile.TemporaryDirectory(prefix="sbn-bench-") as scratch:
                captured = Path(scratch) / "stdout"
                meter.run(series.argv, stdout=captured)
                series.check = check(captured)
    for round_no in range(repeat):
        shift = round_no % len(commands)
        for series in list(commands[shift:]) + list(commands[:shift]):
            sample = meter.run(series.argv)
            series.samples.append(sample)
            log(
                f"    {series.name}: {sample.wall:.3f}s wall {sample.cpu:.2f}s CPU {sample.rss_kb / 1024:.0f} MiB (round {round_no + 1}/{repeat})"
            )


def plan_check(path: Path) -> dict[str, Any]:
    """Statuses and totals of a `sbn plan --format json` output."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"error": f"not JSON: {exc}"}
    statuses: dict[str, int] = {}
    for plan in data.get("plans", []):
        statuses[plan.get("status", "?")] = statuses.get(plan.get("status", "?"), 0) + 1
    plans = data.get("plans", [])
    check: dict[str, Any] = {"plans": len(plans), "statuses": statuses}
    if len(plans) == 1:
        check.update(cost=plans[0].get("cost"), finish=plans[0].get("finish"), changes=plans[0].get("changes"))
    return check


def validate_check(path: Path) -> dict[str, Any]:
    return {"output": path.read_text(encoding="utf-8", errors="replace").strip()[:200]}


# -- networks -------------------------------------------------------------------------------------


def ensure_network(
    modules: int,
    requests: int = 1,
    steps: int = 10,
    seed: int = 1,
    log: Callable[[str], None] = print,
    capacities: bool = True,
) -> Path:
    """Generate (in a subprocess, to keep this process small) or reuse a network; return requests.yaml.

    ``capacities=False``: no module or partner capacity, so every request is independent (--jobs).
    """
    outdir = OUT / (f"net-m{modules}-r{requests}-s{steps}-seed{seed}" + ("" if capacities else "-independent"))
    stamp = {
        "modules": modules,
        "requests": requests,
        "steps": steps,
        "seed": seed,
        "capacities": capacities,
        "generator": hashlib.sha256(GENERATOR.read_bytes()).hexdigest(),
    }
    stamp_file = outdir / "stamp.json"
    target = outdir / "requests.yaml"
    if target.exists() and stamp_file.exists():
        with contextlib.suppress(ValueError):
            if json.loads(stamp_file.read_text()) == stamp:
                return target
    log(f"  generating {outdir.relative_to(ROOT)}")
    argv = [PYTHON, str(GENERATOR), str(outdir), "--modules", str(modules), "--requests", str(requests)]
    argv += ["--steps", str(steps), "--seed", str(seed)] + ([] if capacities else ["--no-capacities"])
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed: {done.stderr.strip()}")
    stamp_file.write_text(json.dumps(stamp, indent=1) + "\n")
    return target


def network_bytes(requests_yaml: Path) -> int:
    return sum(path.stat().st_size for path in requests_yaml.parent.rglob("*.yaml"))


# -- scenarios ------------------------------------------------------------------------------------


@dataclass
class Context:
    meter: Meter
    sbn: list[str]
    repeat: int
    big_repeat: int
    sizes: Sizes
    log: Callable[[str], None]
    results: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, list[Series]] = field(default_factory=dict)


def scenario_help(ctx: Context) -> dict[str, Any]:
    repeat = max(ctx.repeat, 10)  # cheap, and the noisiest relative to its size
    floor = Series("import floor", [PYTHON, "-c", IMPORT_FLOOR])
    subject = Series("sbn --help", [*ctx.sbn, "--help"])
    alternate(ctx.meter, [floor, subject], repeat, ctx.log)
    return {"series": [floor.summary(), subject.summary()]}


def measure_network(ctx: Context, modules: int, steps: int, repeat: int) -> list[Series]:
    """Parse floor, validate and plan on one generated network; cached per size for reuse."""
    key = f"{modules}/{steps}"
    if key in ctx.cache and len(ctx.cache[key][0].samples) >= repeat:
        return ctx.cache[key]
    target = ensure_network(modules, 1, steps, log=ctx.log)
    rel = str(target.relative_to(ROOT))
    floor = Series("parse floor", [PYTHON, "-c", PARSE_FLOOR, str(target.parent.relative_to(ROOT))])
    scan = Series("event scan", [PYTHON, "-c", SCAN_FLOOR, str(target.parent.relative_to(ROOT))])
    validate = Series("sbn validate", [*ctx.sbn, "validate", rel])
    plan = Series("sbn plan", [*ctx.sbn, "plan", rel, "--format", "json"])
    ctx.log(f"  {modules:,} modules, {network_bytes(target) / 1e6:.1f} MB of YAML, {repeat} rounds")
    alternate(
        ctx.meter,
        [floor, scan, validate, plan],
        repeat,
        ctx.log,
        {"sbn plan": plan_check, "sbn validate": validate_check},
    )
    ctx.cache[key] = [floor, validate, plan, scan]
    return ctx.cache[key]


def scenario_network(ctx: Context) -> dict[str, Any]:
    series = measure_network(ctx, ctx.sizes.network, ctx.sizes.network_steps, ctx.repeat)
    target = ensure_network(ctx.sizes.network, 1, ctx.sizes.network_steps, log=ctx.log)
    return {
        "modules": ctx.sizes.network,
        "steps": ctx.sizes.network_steps,
        "yaml_bytes": network_bytes(target),
        "series": [s.summary() for s in series],
    }


def scenario_throughput(ctx: Context) -> dict[str, Any]:
    s = ctx.sizes
    target = ensure_network(s.throughput_modules, s.throughput_requests, s.throughput_steps, log=ctx.log)
    rel = str(target.relative_to(ROOT))
    floor = Series("parse floor", [PYTHON, "-c", PARSE_FLOOR, str(target.parent.relative_to(ROOT))])
    plan = Series("sbn plan", [*ctx.sbn, "plan", rel, "--format", "json", "--jobs", "1"])
    plan2 = Series("sbn plan --jobs 2", [*ctx.sbn, "plan", rel, "--format", "json", "--jobs", "2"])
    ctx.log(f"  {s.throughput_requests} requests x {s.throughput_steps} steps on {s.throughput_modules:,} modules")
    alternate(
        ctx.meter, [floor, plan, plan2], ctx.repeat, ctx.log, {"sbn plan": plan_check, "sbn plan --jobs 2": plan_check}
    )
    return {
        "modules": s.throughput_modules,
        "requests": s.throughput_requests,
        "steps": s.throughput_steps,
        "series": [floor.summary(), plan.summary(), plan2.summary()],
    }


def scenario_parallel(ctx: Context) -> dict[str, Any]:
    """A batch of independent requests (no capacities) with 1 and 2 local workers, and on a local Dask cluster."""
    s = ctx.sizes
    target = ensure_network(
        s.throughput_modules, s.throughput_requests, s.throughput_steps, log=ctx.log, capacities=False
    )
    rel = str(target.relative_to(ROOT))
    one = Series("--jobs 1", [*ctx.sbn, "plan", rel, "--format", "json", "--jobs", "1"])
    two = Series("--jobs 2", [*ctx.sbn, "plan", rel, "--format", "json", "--jobs", "2"])
    ctx.log(f"  {s.throughput_requests} independent requests x {s.throughput_steps} steps, --jobs 1 and 2")
    alternate(ctx.meter, [one, two], ctx.repeat, ctx.log, {"--jobs 1": plan_check, "--jobs 2": plan_check})
    series = [one.summary(), two.summary()]
    try:
        from distributed import LocalCluster
    except ImportError:
        ctx.log("  no dask: the cluster figure is left out (pip install 'sbn[cluster]')")
        return {"modules": s.throughput_modules, "requests": s.throughput_requests, "series": series}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        dask = Series(
            "dask 2 workers", [*ctx.sbn, "plan", rel, "--format", "json", "--scheduler", cluster.scheduler_address]
        )
        ctx.log("  the same on a local Dask cluster of 2 worker processes")
        alternate(ctx.meter, [dask], ctx.repeat, ctx.log, {"dask 2 workers": plan_check})
    series.append(dask.summary())
    return {"modules": s.throughput_modules, "requests": s.throughput_requests, "series": series}


def fit(xs: Sequence[float], ys: Sequence[float]) -> dict[str, float]:
    """Least squares y = a + b x, with R²."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    b = sxy / sxx if sxx else 0.0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return {"intercept_s": a, "slope_s_per_1k": b * 1000, "r2": 1 - ss_res / ss_tot if ss_tot else 1.0}


def scenario_scaling(ctx: Context) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for modules in ctx.sizes.scaling:
        repeat = ctx.repeat if modules < 50_000 or ctx.sizes is TINY else ctx.big_repeat
        if modules == ctx.sizes.network:
            repeat = min(repeat, ctx.repeat)
        floor, validate, plan, _ = measure_network(ctx, modules, ctx.sizes.network_steps, repeat)
        rows.append(
            {
                "modules": modules,
                "runs": len(floor.samples),
                "parse_s": floor.wall,
                "validate_s": validate.wall,
                "plan_s": plan.wall,
                "parse_cpu_s": floor.cpu,
                "validate_cpu_s": validate.cpu,
                "plan_cpu_s": plan.cpu,
                "parse_rss_kb": floor.rss_kb,
                "validate_rss_kb": validate.rss_kb,
                "plan_rss_kb": plan.rss_kb,
                "plan_check": plan.check,
            }
        )
    xs: list[float] = [row["modules"] for row in rows]
    result: dict[str, Any] = {"rows": rows}
    for what, unit in (
        ("parse", "_s"),
        ("validate", "_s"),
        ("plan", "_s"),
        ("parse", "_cpu_s"),
        ("validate", "_cpu_s"),
        ("plan", "_cpu_s"),
    ):
        ys: list[float] = [row[f"{what}{unit}"] for row in rows]
        line: dict[str, Any] = dict(fit(xs, ys))
        segments = [(ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) * 1000 for i in range(len(xs) - 1)]
        line["segments_s_per_1k"] = segments
        # Marginal time per module at the top of the range (the two largest sizes) against the bottom
        # (smallest to middle size, wide enough to rise above noise): about 1 when growth is linear.
        mid = len(xs) // 2
        low = (ys[mid] - ys[0]) / (xs[mid] - xs[0]) * 1000 if len(xs) > 2 else None
        line["low_s_per_1k"] = low
        line["low_span"] = [xs[0], xs[mid]]
        line["high_span"] = [xs[-2], xs[-1]]
        line["last_over_first"] = segments[-1] / low if low and low > 0 else None
        result[what if unit == "_s" else f"{what}_cpu"] = line
    return result


def scenario_replan(ctx: Context) -> dict[str, Any]:
    import replan  # benchmarks/replan.py

    return replan.measure(ctx.meter, ctx.sbn, ctx.sizes.replan_modules, ctx.sizes.replan_steps, ctx.repeat, ctx.log)


SCENARIOS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "help": scenario_help,
    "network": scenario_network,
    "throughput": scenario_throughput,
    "parallel": scenario_parallel,
    "scaling": scenario_scaling,
    "replan": scenario_replan,
}


# -- goals ----------------------------------------------------------------------------------------


def _series(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in result["series"] if s["name"] == name)


def goals(results: dict[str, Any], sizes: Sizes) -> list[dict[str, Any]]:
    """The figures the issues ask for, each with its floor, ratio and whether the goal is met."""
    out: list[dict[str, Any]] = []

    def ratio_goal(
        gid: str,
        title: str,
        subject: dict[str, Any],
        floor: dict[str, Any],
        limit: float,
        mem_limit: float | None = None,
    ) -> None:
        ratio = subject["median_s"] / floor["median_s"]
        cpu_ratio = subject.get("median_cpu_s", 0) / floor["median_cpu_s"] if floor.get("median_cpu_s") else None
        mem_ratio = subject["median_rss_kb"] / floor["median_rss_kb"] if floor["median_rss_kb"] else None
        met = ratio <= limit and (mem_limit is None or (mem_ratio is not None and mem_ratio <= mem_limit))
        out.append(
            {
                "id": gid,
                "title": title,
                "figure": f"{subject['median_s']:.3f} s",
                "floor": f"{floor['median_s']:.3f} s ({floor['name']})",
                "ratio": ratio,
                "ratio_text": f"{ratio:.2f}x",
                "goal": f"<= {limit}x" + (f"; memory <= {mem_limit}x" if mem_limit else ""),
                "met": met,
                "rss_kb": subject["median_rss_kb"],
                "floor_rss_kb": floor["median_rss_kb"],
                "mem_ratio": mem_ratio,
                "cpu_ratio": cpu_ratio,
                "runs": subject["runs"],
            }
        )

    if "help" in results:
        r = results["help"]
        ratio_goal("1", "`sbn --help`", _series(r, "sbn --help"), _series(r, "import floor"), 1.3)
    if "network" in results:
        r = results["network"]
        m = f"{r['modules']:,}"
        ratio_goal("2", f"`sbn validate`, {m} modules", _series(r, "sbn validate"), _series(r, "parse floor"), 1.5, 2.0)
        if any(s["name"] == "event scan" for s in r["series"]):
            ratio_goal(
                "2s",
                f"`sbn validate`, {m} modules, against libyaml's event scan",
                _series(r, "sbn validate"),
                _series(r, "event scan"),
                1.5,
            )
        ratio_goal(
            "3", f"`sbn plan`, {r['steps']} steps, {m} modules", _series(r, "sbn plan"), _series(r, "parse floor"), 2.5
        )
    if "throughput" in results:
        r = results["throughput"]
        floor = _series(r, "parse floor")
        for gid, name, limit in (("4", "sbn plan", 60), ("4j", "sbn plan --jobs 2", 100)):
            if not any(item["name"] == name for item in r["series"]):
                continue
            plan = _series(r, name)
            rate = r["requests"] / plan["median_s"]
            out.append(
                {
                    "id": gid,
                    "title": f"{r['requests']:,} requests x {r['steps']} steps, {r['modules']:,} modules, "
                    + ("--jobs 1" if gid == "4" else "--jobs 2"),
                    "figure": f"{rate:.1f} requests/s ({plan['median_s']:.2f} s)",
                    "floor": f"{floor['median_s']:.3f} s (parse floor)",
                    "ratio": plan["median_s"] / floor["median_s"],
                    "ratio_text": f"{plan['median_s'] / floor['median_s']:.2f}x",
                    "cpu_ratio": plan["median_cpu_s"] / floor["median_cpu_s"] if floor.get("median_cpu_s") else None,
                    "goal": f">= {limit} requests/s",
                    "met": rate >= limit,
                    "rss_kb": plan["median_rss_kb"],
                    "floor_rss_kb": floor["median_rss_kb"],
                    "mem_ratio": plan["median_rss_kb"] / floor["median_rss_kb"] if floor["median_rss_kb"] else None,
                    "runs": plan["runs"],
                    "rate": rate,
                }
            )
    if "parallel" in results:
        r = results["parallel"]
        one, two = _series(r, "--jobs 1"), _series(r, "--jobs 2")
        speedup = one["median_s"] / two["median_s"]
        out.append(
            {
                "id": "P",
                "title": f"{r['requests']:,} independent requests, 2 workers",
                "figure": f"{two['median_s']:.2f} s (speed-up {speedup:.2f})",
                "floor": f"{one['median_s']:.2f} s (--jobs 1)",
                "ratio": speedup,
                "ratio_text": f"{speedup:.2f}x speed-up",
                "goal": ">= 1.6x (0.8 x 2 workers)",
                "met": speedup >= 1.6,
                "rss_kb": two["median_rss_kb"],
                "floor_rss_kb": one["median_rss_kb"],
                "mem_ratio": two["median_rss_kb"] / one["median_rss_kb"] if one["median_rss_kb"] else None,
                "runs": two["runs"],
            }
        )
        if any(item["name"] == "dask 2 workers" for item in r["series"]):
            dask = _series(r, "dask 2 workers")
            out.append(
                {
                    "id": "D",
                    "title": "the same on a local Dask cluster of 2 workers (--scheduler)",
                    "figure": f"{dask['median_s']:.2f} s (speed-up {one['median_s'] / dask['median_s']:.2f})",
                    "floor": f"{one['median_s']:.2f} s (--jobs 1)",
                    "ratio": one["median_s"] / dask["median_s"],
                    "ratio_text": f"{one['median_s'] / dask['median_s']:.2f}x speed-up",
                    "goal": "reported",
                    "met": True,
                    "rss_kb": dask["median_rss_kb"],
                    "floor_rss_kb": one["median_rss_kb"],
                    "mem_ratio": None,
                    "runs": dask["runs"],
                }
            )
    if "scaling" in results:
        r = results["scaling"]
        for what in ("validate", "plan"):
            line = r[what]
            ratio = line["last_over_first"]
            lo, hi = r["rows"][0]["modules"], r["rows"][-1]["modules"]
            out.append(
                {
                    "id": "5" + ("a" if what == "validate" else "b"),
                    "title": f"`sbn {what}` growth, {lo:,} to {hi:,} modules",
                    "figure": f"{line['slope_s_per_1k']:.3f} s per 1,000 modules (R² {line['r2']:.3f})",
                    "floor": f"parse floor {r['parse']['slope_s_per_1k']:.3f} s per 1,000",
                    "ratio": ratio,
                    "ratio_text": f"{ratio:.2f} top/bottom slope" if ratio is not None else "n/a",
                    "goal": "linear: top/bottom slope <= 1.3",
                    "met": ratio is not None and ratio <= 1.3,
                    "rss_kb": r["rows"][-1][f"{what}_rss_kb"],
                    "floor_rss_kb": r["rows"][-1]["parse_rss_kb"],
                    "mem_ratio": r["rows"][-1][f"{what}_rss_kb"] / r["rows"][-1]["parse_rss_kb"],
                    "runs": min(row["runs"] for row in r["rows"]),
                }
            )
    if "replan" in results:
        r = results["replan"]
        first, again = _series(r, "first plan"), _series(r, "re-plan")
        ratio = again["median_s"] / first["median_s"]
        out.append(
            {
                "id": "R",
                "title": f"re-plan {r['steps']} steps, {r['modules']:,} modules, without {r['partner']}",
                "figure": f"{again['median_s']:.3f} s",
                "floor": f"{first['median_s']:.3f} s (first plan)",
                "ratio": ratio,
                "ratio_text": f"{ratio:.2f}x",
                "goal": "<= 1.0x",
                "met": ratio <= 1.0,
                "rss_kb": again["median_rss_kb"],
                "floor_rss_kb": first["median_rss_kb"],
                "mem_ratio": again["median_rss_kb"] / first["median_rss_kb"] if first["median_rss_kb"] else None,
                "cpu_ratio": again["median_cpu_s"] / first["median_cpu_s"] if first.get("median_cpu_s") else None,
                "runs": again["runs"],
            }
        )
    return out


# -- profiling ------------------------------------------------------------------------------------

PROFILE_REPORT = """
import json, pstats, sys
stats = pstats.Stats(sys.argv[1])
total = stats.total_tt
rows = []
for (file, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
    short = file.split('site-packages/')[-1].split(sys.argv[3] + '/')[-1]
    short = short.split('/lib/python%d.%d/' % sys.version_info[:2])[-1]
    rows.append({"function": f"{short}:{line}({name})", "calls": nc, "tottime": tt, "cumtime": ct})
top = int(sys.argv[2])
print(json.dumps({
    "total_s": total,
    "by_tottime": sorted(rows, key=lambda r: -r["tottime"])[:top],
    "by_cumtime": sorted(rows, key=lambda r: -r["cumtime"])[: 3 * top],
}))
"""


def profile(ctx: Context, top: int = 20) -> dict[str, Any]:
    """cProfile of validate and plan on the large network and of the throughput run; imports of --help."""
    s = ctx.sizes
    big = ensure_network(s.network, 1, s.network_steps, log=ctx.log)
    many = ensure_network(s.throughput_modules, s.throughput_requests, s.throughput_steps, log=ctx.log)
    jobs = {
        f"validate {s.network:,} modules": ["validate", str(big.relative_to(ROOT))],
        f"plan {s.network_steps} steps, {s.network:,} modules": [
            "plan",
            str(big.relative_to(ROOT)),
            "--format",
            "json",
        ],
        f"plan {s.throughput_requests:,} requests x {s.throughput_steps} steps": [
            "plan",
            str(many.relative_to(ROOT)),
            "--format",
            "json",
        ],
    }
    directory = OUT / "profile"
    directory.mkdir(parents=True, exist_ok=True)
    profiles: dict[str, Any] = {}
    for label, args in jobs.items():
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        prof = directory / f"{slug}.prof"
        ctx.log(f"  profiling {label}")
        args = [str(ROOT / a) if a.startswith("benchmarks/") else a for a in args]
        # The sbn script, not `-m sbn`: with -m the working directory would shadow --src on sys.path.
        argv = [PYTHON, "-m", "cProfile", "-o", str(prof), *ctx.sbn, *args]
        sample = ctx.meter.run(argv, cwd=OUT)  # not the checkout: it would shadow --src on sys.path
        report = subprocess.run(
            [PYTHON, "-c", PROFILE_REPORT, str(prof), str(top), str(ROOT)],
            capture_output=True,
            text=True,
            check=True,
            env=ctx.meter.env,
        )
        profiles[label] = {"wall_s": sample.wall, "file": str(prof.relative_to(ROOT)), **json.loads(report.stdout)}
    ctx.log("  import times of sbn --help")
    done = subprocess.run(
        [PYTHON, "-X", "importtime", *ctx.sbn, "--help"], capture_output=True, text=True, env=ctx.meter.env, cwd=ROOT
    )
    imports: list[dict[str, Any]] = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            imports.append(
                {
                    "module": match.group(4),
                    "self_us": int(match.group(1)),
                    "cumulative_us": int(match.group(2)),
                    "depth": len(match.group(3)) // 2,
                }
            )
    top_level = sorted((i for i in imports if i["depth"] <= 1), key=lambda i: -i["cumulative_us"])[:12]
    return {"profiles": profiles, "imports": top_level, "imports_total_us": sum(i["self_us"] for i in imports)}


# -- environment ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    load = "?"
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_at_start": load,
    }


VERSIONS = """
import json, importlib.metadata as md, yaml
out = {}
for name in ("sbn", "PyYAML", "pydantic", "pydantic_core", "highspy", "typer", "rich"):
    try:
        out[name] = md.version(name)
    except md.PackageNotFoundError:
        out[name] = None
try:
    from yaml import _yaml
    out["libyaml"] = _yaml.get_version_string() if yaml.__with_libyaml__ else None
except ImportError:
    out["libyaml"] = None
import sbn
out["sbn_path"] = sbn.__file__
print(json.dumps(out))
"""


def versions(env: dict[str, str]) -> dict[str, Any]:
    # Run outside the checkout: `-c` puts the working directory first on sys.path, shadowing --src.
    done = subprocess.run([PYTHON, "-c", VERSIONS], capture_output=True, text=True, env=env, check=True, cwd=OUT)
    return json.loads(done.stdout)


def git_state(directory: Path) -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=directory, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", "sbn")),
    }


def export_revision(rev: str) -> Path:
    """The sbn package as of `rev`, extracted (not checked out: the working tree is left alone)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    target = OUT / f"src-{commit}"
    if not (target / "sbn" / "__init__.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", commit, "sbn"], capture_output=True, cwd=ROOT, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


# -- document -------------------------------------------------------------------------------------


def _mib(kb: float | None) -> str:
    return "n/a" if not kb else f"{kb / 1024:.0f} MiB"


def _yes(met: bool) -> str:
    return "**yes**" if met else "no"


def _function(name: str) -> str:
    """A profile row's function as a reader wants it: sbn/... for any checkout, the lock wait named."""
    name = re.sub(r"^(?:.*/)?benchmarks/out/src-[0-9a-f]+/", "", name)
    if "'acquire' of '_thread.lock'" in name:
        name += " (the main thread waiting while HiGHS solves in its worker thread)"
    return name


def _sbn_frame(function: str) -> bool:
    """A frame of sbn itself, below the command-line plumbing."""
    return "sbn/" in function and "sbn/cli.py" not in function and "bin/sbn" not in function


def _rel(path: str) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(path).resolve().relative_to(ROOT))
    return path


def _runs_table(series: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| command | runs | median | min | max | CPU (median) | peak memory (median) | exit | output |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for s in series:
        check = s.get("check") or {}
        note = ""
        if "statuses" in check:
            note = ", ".join(f"{k}: {v}" for k, v in sorted(check["statuses"].items()))
            if check.get("cost") is not None:
                note += f"; cost {check['cost']}, finish {check['finish']}"
            if check.get("changes") is not None:
                note += f", {check['changes']} changed"
        elif "output" in check:
            note = check["output"].splitlines()[-1][:90] if check["output"] else ""
        lines.append(
            f"| {s['name']} | {s['runs']} | {s['median_s']:.3f} s | {s['min_s']:.3f} s | {s['max_s']:.3f} s | "
            f"{s.get('median_cpu_s', 0):.2f} s | {_mib(s['median_rss_kb'])} | {','.join(map(str, s['codes']))} | {note} |"
        )
    return lines


def _argv_text(argv: list[str]) -> str:
    shown = [Path(a).name if a == PYTHON else a for a in argv]
    shown = [("sbn" if a.endswith("/sbn") else a) for a in shown]
    if len(shown) > 2 and shown[1] == "-c":
        shown[2] = shown[2].strip().replace("\n", "; ")
    return shlex.join(shown)


def render(data: dict[str, Any], before: dict[str, Any] | None, notes: str) -> str:
    res = data["results"]
    lines: list[str] = [
        "# Performance",
        "",
        "How fast `sbn` is against what it cannot avoid: every figure is a ratio to a *floor* measured in the",
        "same run on the same machine, so the figures travel between machines better than seconds do.",
        "This page is written by `benchmarks/run.py` (issues 4 and 5); the section *Analysis* is kept by hand.",
        "",
        "Made by:",
        "",
        "```",
        data["command"],
        "```",
        "",
        f"on {data['when']} at sbn commit `{data['git']['commit']}`{' with uncommitted changes' if data['git']['dirty'] else ''}"
        + (f", sbn run from `{_rel(data['src'])}`" if data.get("src") else "")
        + ".",
        "",
        "## Goals",
        "",
    ]
    before_goals = {g["id"]: g for g in (before or {}).get("goals", [])}
    header = "| # | scenario | figure | floor | ratio | goal | met | peak memory | floor memory | memory ratio | CPU-time ratio |"
    rule = "| --- | --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: |"
    if before_goals:
        header += " before |"
        rule += " --- |"
    lines += [header, rule]
    for g in data["goals"]:
        mem_ratio = "n/a" if g["mem_ratio"] is None else f"{g['mem_ratio']:.2f}x"
        cpu_ratio = "n/a" if g.get("cpu_ratio") is None else f"{g['cpu_ratio']:.2f}x"
        row = (
            f"| {g['id']} | {g['title']} | {g['figure']} | {g['floor']} | {g['ratio_text']} | {g['goal']} | {_yes(g['met'])} | "
            f"{_mib(g['rss_kb'])} | {_mib(g['floor_rss_kb'])} | {mem_ratio} | {cpu_ratio} |"
        )
        if before_goals:
            b = before_goals.get(g["id"])
            row += f" {b['figure']}, {b['ratio_text']}, {'met' if b['met'] else 'not met'} |" if b else " n/a |"
        lines.append(row)
    lines += [
        "",
        "Figure: median wall time of the subject over its runs; floor: median of the floor's runs, alternating with",
        "the subject's in the same rounds; ratio: figure / floor. Peak memory: median over runs of each process's own",
        "maximum resident set size. CPU-time ratio: the same ratio on median user + system CPU seconds, a check on",
        "the wall-time ratio when other work shares the machine (it is not what the goals are stated in).",
        "Goals 5a/5b: the least-squares slope of median time against modules, and the",
        "marginal time per module between the two largest networks divided by that from the smallest to the middle",
        "size (1.0 is perfectly linear; above 1 grows faster than linear, e.g. about 7 for quadratic growth over",
        "1k-20k-50k-100k).",
    ]
    if before:
        lines += [
            "",
            f"*Before*: {before.get('when', '?')}, sbn commit `{before.get('git', {}).get('commit', '?')}`"
            + (f" from `{_rel(before['src'])}`" if before.get("src") else "")
            + f", command `{before.get('command', '?')}`.",
        ]
    m, v = data["machine"], data["versions"]
    lines += [
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        f"| CPU | {m['cpu']}, {m['nproc']} logical CPUs |",
        f"| memory | {m['ram']} |",
        f"| system | {m['os']}; load average at start {m['load_at_start']}, at end {m.get('load_at_end', '?')}"
        f" (other work shared the machine when above {m['nproc']}) |",
        f"| run time | {data.get('elapsed_s', 0) / 60:.0f} minutes |",
        f"| Python | {m['python']} |",
        f"| packages | sbn {v.get('sbn')}, PyYAML {v.get('PyYAML')} (libyaml {v.get('libyaml') or 'absent'}), pydantic {v.get('pydantic')}"
        f" (core {v.get('pydantic_core')}), highspy {v.get('highspy')}, typer {v.get('typer')}, rich {v.get('rich')} |",
        f"| peak memory by | {data['memory_method']} |",
        "",
        "## Method",
        "",
        "Each command is a fresh process started the way a user starts it. Per scenario, every command runs once",
        "untimed (warming the page cache and checking its output), then once per round for the stated number of",
        "rounds, the order rotating each round so floor and subject alternate. Networks come from",
        "`benchmarks/generate.py` (seed 1, 2,000 modules per file) under `benchmarks/out/`.",
        "",
        "Floors:",
        "",
        f"- import floor: `{_argv_text([PYTHON, '-c', IMPORT_FLOOR])}`: the libraries the CLI is built on, imported and nothing done.",
        "- parse floor: every `*.yaml` file of the network read and parsed by `yaml.load(..., Loader=yaml.CSafeLoader)`,",
        "  nothing else (no positions kept, no validation):",
        "",
        "```python",
        PARSE_FLOOR.rstrip(),
        "```",
    ]
    if "help" in res:
        lines += ["", "## 1. Start-up: `sbn --help`", "", *_runs_table(res["help"]["series"])]
    if "network" in res:
        r = res["network"]
        lines += [
            "",
            f"## 2, 3. Validate and plan on {r['modules']:,} modules",
            "",
            f"{r['yaml_bytes'] / 1e6:.1f} MB of YAML; one request of {r['steps']} steps. Commands run from the repository root:",
            "",
            *[f"- {s['name']}: `{_argv_text(s['argv'])}`" for s in r["series"] if s["name"] != "parse floor"],
            "",
            *_runs_table(r["series"]),
        ]
    if "throughput" in res:
        r = res["throughput"]
        lines += [
            "",
            f"## 4. Throughput: {r['requests']:,} requests of {r['steps']} steps on {r['modules']:,} modules",
            "",
            *[f"- {s['name']}: `{_argv_text(s['argv'])}`" for s in r["series"] if s["name"] != "parse floor"],
            "",
            *_runs_table(r["series"]),
        ]
    if "scaling" in res:
        r = res["scaling"]
        lines += [
            "",
            "## 5. Growth with network size",
            "",
            "One 10-step request per network; median wall times, and median CPU times (user + system), which other",
            "work on the machine disturbs less.",
            "",
            "| modules | runs | parse floor | validate | plan | validate / floor | plan / floor | validate per 1,000 | plan per 1,000 | CPU: floor, validate, plan | validate memory | plan memory |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in r["rows"]:
            k = row["modules"] / 1000
            lines.append(
                f"| {row['modules']:,} | {row['runs']} | {row['parse_s']:.2f} s | {row['validate_s']:.2f} s | {row['plan_s']:.2f} s | "
                f"{row['validate_s'] / row['parse_s']:.2f}x | {row['plan_s'] / row['parse_s']:.2f}x | "
                f"{row['validate_s'] / k:.3f} s | {row['plan_s'] / k:.3f} s | "
                f"{row.get('parse_cpu_s', 0):.2f}, {row.get('validate_cpu_s', 0):.2f}, {row.get('plan_cpu_s', 0):.2f} s | {_mib(row['validate_rss_kb'])} | {_mib(row['plan_rss_kb'])} |"
            )
        lines += [
            "",
            "| command | slope (s per 1,000 modules) | intercept | R² | marginal slope per segment (s per 1,000) | bottom slope | top slope | top / bottom |",
            "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
        ]
        for what in ("parse", "validate", "plan", "parse_cpu", "validate_cpu", "plan_cpu"):
            if what not in r:
                continue
            line = r[what]
            segs = ", ".join(f"{x:.3f}" for x in line["segments_s_per_1k"])
            lof = "n/a" if line["last_over_first"] is None else f"{line['last_over_first']:.2f}"
            low = (
                "n/a"
                if line["low_s_per_1k"] is None
                else f"{line['low_s_per_1k']:.3f} ({line['low_span'][0]:,}-{line['low_span'][1]:,})"
            )
            high = f"{line['segments_s_per_1k'][-1]:.3f} ({line['high_span'][0]:,}-{line['high_span'][1]:,})"
            label = what.replace("_cpu", " (CPU time)")
            lines.append(
                f"| {label} | {line['slope_s_per_1k']:.3f} | {line['intercept_s']:.2f} s | {line['r2']:.4f} | {segs} | {low} | {high} | {lof} |"
            )
        statuses = [
            f"{row['modules']:,}: {', '.join(f'{k} {v}' for k, v in row['plan_check'].get('statuses', {}).items())}"
            for row in r["rows"]
        ]
        lines += ["", "Plan status per size: " + "; ".join(statuses) + "."]
    if "replan" in res:
        r = res["replan"]
        lines += [
            "",
            f"## Re-planning (issue 4): {r['steps']} steps on {r['modules']:,} modules",
            "",
            f"The first plan uses partners {', '.join(r['used_partners'])}; the re-plan leaves out `{r['partner']}`,"
            f" the one doing the most steps ({r['partner_steps']}). Commands:",
            "",
            *[f"- {s['name']}: `{_argv_text(s['argv'])}`" for s in r["series"]],
            "",
            *_runs_table(r["series"]),
        ]
    if data.get("profile"):
        p = data["profile"]
        lines += [
            "",
            "## Profile",
            "",
            "cProfile, one run each (cProfile slows Python code, so read shares, not seconds). cProfile has no row for",
            "the cyclic garbage collector: its time is charged to whatever function allocated when a collection ran",
            "(in the loader, mostly `compose`, which allocates the node tree).",
            "Profiles are kept in `benchmarks/out/profile/` (`python -m pstats FILE`).",
        ]
        for label, prof in p["profiles"].items():
            lines += [
                "",
                f"### {label}",
                "",
                f"{prof['wall_s']:.2f} s under the profiler; {prof['total_s']:.2f} s of profiled time. Top functions by own time:",
                "",
                "| function | calls | own time | share | cumulative |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            for row in prof["by_tottime"][:15]:
                lines.append(
                    f"| `{_function(row['function'])}` | {row['calls']:,} | {row['tottime']:.2f} s | {row['tottime'] / prof['total_s']:.0%} | {row['cumtime']:.2f} s |"
                )
            lines += ["", "By cumulative time:", "", "| function | cumulative | share |", "| --- | ---: | ---: |"]
            # Below the command: the CLI's own frames (typer, click, the script) all show 100%.
            inside = [row for row in prof["by_cumtime"] if _sbn_frame(row["function"])]
            for row in inside[:15]:
                lines.append(
                    f"| `{_function(row['function'])}` | {row['cumtime']:.2f} s | {row['cumtime'] / prof['total_s']:.0%} |"
                )
        lines += [
            "",
            f"### Imports of `sbn --help` (`-X importtime`, {p['imports_total_us'] / 1000:.0f} ms in all)",
            "",
            "| module | cumulative |",
            "| --- | ---: |",
            *[f"| `{'  ' * i['depth']}{i['module']}` | {i['cumulative_us'] / 1000:.1f} ms |" for i in p["imports"]],
        ]
    lines += ["", "## Analysis", "", NOTES_BEGIN, notes.strip("\n") or "(none yet)", NOTES_END, ""]
    keep = {"before": _strip(before), "current": _strip(data)}
    lines += [RESULTS_BEGIN, json.dumps(keep, separators=(",", ":")), RESULTS_END, ""]
    return "\n".join(lines)


def _strip(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a later run needs to show this one as "before": no raw samples, no profiles."""
    if data is None:
        return None
    return {k: data[k] for k in ("when", "command", "git", "src", "goals", "machine", "versions") if k in data}


def read_before(path: Path, key: str = "current") -> dict[str, Any] | None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    start = text.find(RESULTS_BEGIN)
    end = text.find(RESULTS_END, start)
    if start < 0 or end < 0:
        return None
    return json.loads(text[start + len(RESULTS_BEGIN) : end])[key]


def read_notes(path: Path) -> str:
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(NOTES_BEGIN), text.find(NOTES_END)
    return text[start + len(NOTES_BEGIN) : end].strip("\n") if 0 <= start < end else ""


def write_document(out_doc: Path, data: dict[str, Any], args: argparse.Namespace) -> None:
    before = None
    if args.before:
        before = read_before(args.before)
    elif not args.no_before and out_doc.exists():
        with contextlib.suppress(ValueError, KeyError):
            before = read_before(out_doc, "before")
    out_doc.parent.mkdir(parents=True, exist_ok=True)
    out_doc.write_text(render(data, before, read_notes(out_doc)), encoding="utf-8")


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds per scenario (default 5)")
    parser.add_argument(
        "--big-repeat",
        type=int,
        default=3,
        help="rounds for scaling sizes of 50,000+ modules not measured elsewhere (default 3)",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="skip the 100,000-module size")
    size.add_argument("--tiny", action="store_true", help="tiny networks: a smoke test of this script")
    parser.add_argument(
        "--only", default=",".join(ALL_SCENARIOS), help=f"comma-separated scenarios (default {','.join(ALL_SCENARIOS)})"
    )
    parser.add_argument("--profile", action="store_true", help="add cProfile and import-time tables")
    parser.add_argument("--src", type=Path, help="run sbn from this checkout (PYTHONPATH) instead of the installed one")
    parser.add_argument(
        "--rev", help="run sbn as of this git revision (git archive into benchmarks/out/src-REV, then as --src)"
    )
    parser.add_argument("--before", type=Path, help="earlier results.json or performance.md to show as 'before'")
    parser.add_argument(
        "--no-before", action="store_true", help="do not carry over the 'before' of the existing document"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="document to write (default docs/performance.md; --tiny: benchmarks/out/performance-tiny.md)",
    )
    parser.add_argument(
        "--render", type=Path, help="only write the document again from a results-*.json of an earlier run"
    )
    parser.add_argument("--sbn", default=None, help="the sbn executable (default: beside this Python, else on PATH)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in only if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; choose from {', '.join(ALL_SCENARIOS)}")
    sizes = TINY if args.tiny else QUICK if args.quick else FULL
    out_doc = args.out or (OUT / "performance-tiny.md" if args.tiny else DOC)
    if args.render:
        saved: dict[str, Any] = json.loads(args.render.read_text(encoding="utf-8"))
        saved["goals"] = goals(saved["results"], sizes)
        write_document(out_doc, saved, args)
        return 0

    sbn = args.sbn or str(Path(PYTHON).parent / "sbn")
    if not Path(sbn).exists():
        sbn = shutil.which("sbn") or ""
    if not sbn:
        parser.error("cannot find the sbn executable; pass --sbn")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.rev:
        if args.src:
            parser.error("--rev and --src exclude each other")
        args.src = export_revision(args.rev)
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env["NO_COLOR"] = "1"
    if args.src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.src.resolve()), env.get("PYTHONPATH")]))
    sys.path.insert(0, str(BENCH))
    sys.modules.setdefault("run", sys.modules[__name__])

    began = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - began:7.1f}s] {message}", file=sys.stderr, flush=True)

    meter = Meter(env)
    ctx = Context(meter, [sbn], args.repeat, min(args.big_repeat, args.repeat), sizes, log)
    shown_argv = ["python", "benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)]
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "when": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": shlex.join(shown_argv),
        "machine": machine(),
        "versions": versions(env),
        "git": {"commit": args.src.name.removeprefix("src-"), "dirty": False}
        if args.rev
        else git_state(args.src or ROOT),
        "src": str(args.src.resolve()) if args.src else None,
        "memory_method": meter.method,
        "options": {"repeat": args.repeat, "big_repeat": ctx.big_repeat, "sizes": asdict(sizes)},
        "results": ctx.results,
    }
    log(f"sbn: {data['versions'].get('sbn_path')}; memory by {meter.method}")
    for name in ALL_SCENARIOS:
        if name in only:
            log(f"scenario {name}")
            ctx.results[name] = SCENARIOS[name](ctx)
    data["goals"] = goals(ctx.results, sizes)
    if args.profile:
        log("profile")
        data["profile"] = profile(ctx)
    data["elapsed_s"] = round(time.perf_counter() - began, 1)
    with contextlib.suppress(OSError):
        data["machine"]["load_at_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    results_file = OUT / f"results-{stamp}.json"
    results_file.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    write_document(out_doc, data, args)
    log(f"wrote {out_doc} and {results_file.relative_to(ROOT)}")
    for g in data["goals"]:
        print(
            f"goal {g['id']:>2}: {g['title']}: {g['figure']}; {g['ratio_text']} (goal {g['goal']}): {'MET' if g['met'] else 'not met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
