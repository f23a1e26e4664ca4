"""Plan GAP benchmark instances through the full path (YAML file -> `sbn plan`) against the published minimum.

    python benchmarks/gap.py [--time-limit 10] [--only REGEX] [--all] [--out docs/gap.md]

Per instance: the request file is written once to benchmarks/out/gap/ (gitignored), then

- **sbn**: `python -m sbn plan FILE --format json --time-limit T` in a subprocess, timed by wall clock
  (interpreter start-up, imports, loading, model, solve, rendering); the plan cost is read from the JSON;
- **load**: `sbn.loader.load_network([FILE])` in this process, timed alone;
- **raw**: the plain GAP MIP (x[i][j] binary, one assignment row per job, one capacity row per agent, minimise
  cost) built directly with highspy with the options sbn/solver.py sets (read from it), its `run()` timed alone;
- **overhead** = sbn time - (load + raw): what sbn adds on top of reading the file and the engine's own search.

The default selection is gap1-gap12 and gapa-gapd (84 problems); `--all` adds the eight 400/1600-job instances;
`--only REGEX` picks instances by name among all 92 (e.g. `--only 'c0515_1|a05100'`). Summary lines measure the
goals of the benchmark issue. Every run saves its measurements in benchmarks/out/gap/last-run.json;
`--report-from FILE --out docs/gap.md` rewrites the report from such a file without running anything. A `## Notes`
section already in the output file is kept when the report is rewritten.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import engines
import gapdata

GAP_FILES = re.compile(r"^gap([1-9]|1[0-2])\.txt$")
ABCD_FILES = re.compile(r"^gap[a-d]\.txt$")


@dataclass
class Row:
    instance: str
    group: str  # "gap1-12", or the type letter a-e
    agents: int
    jobs: int
    best: int
    best_status: str  # optimal | best-known
    sbn_cost: float | None
    sbn_status: str
    sbn_seconds: float
    sbn_exit: int
    load_seconds: float
    raw_cost: float | None
    raw_status: str
    raw_seconds: float
    raw_bound: float | None
    note: str = ""

    @property
    def gap(self) -> float | None:
        return engines.gap_percent(self.sbn_cost, self.best)

    @property
    def raw_gap(self) -> float | None:
        return engines.gap_percent(self.raw_cost, self.best)

    @property
    def overhead(self) -> float:
        return self.sbn_seconds - (self.load_seconds + self.raw_seconds)


def group_of(row: gapdata.Reference) -> str:
    return "gap1-12" if GAP_FILES.match(row["file"]) else row["instance"][0]


def run_sbn(path: Path, time_limit: float) -> tuple[float | None, str, float, int, str]:
    """`sbn plan` in a fresh interpreter: cost, status, wall seconds, exit code, a note on failure."""
    command = [sys.executable, "-m", "sbn", "plan", str(path), "--format", "json", "--time-limit", f"{time_limit:g}"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=time_limit * 4 + 300, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        return None, "error", seconds, done.returncode, done.stderr.strip().splitlines()[-1:][0] if done.stderr else ""
    try:
        plan = json.loads(done.stdout)["plans"][0]
    except (ValueError, KeyError, IndexError) as exc:
        return None, "error", seconds, done.returncode, f"unreadable output: {exc}"
    cost = plan.get("cost")
    return (float(cost) if cost is not None else None), plan["status"], seconds, done.returncode, ""


def time_load(path: Path) -> float:
    from sbn.loader import load_network

    started = time.perf_counter()
    load_network([str(path)])
    return time.perf_counter() - started


def startup_seconds(repeat: int = 3) -> float:
    """Median wall time of a fresh interpreter importing what `sbn plan` imports, doing nothing."""
    code = "import sbn.cli, sbn.commands.plan, sbn.loader, sbn.planner, sbn.render.data, highspy"
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(reference: gapdata.Reference, data: Path, time_limit: float) -> Row:
    name = reference["instance"]
    path = engines.instance_file(name, data)
    sbn_cost, sbn_status, sbn_seconds, code, note = run_sbn(path, time_limit)
    load = time_load(path)
    raw = engines.plain_highs(gapdata.load_instance(name, data), time_limit)
    return Row(
        instance=name,
        group=group_of(reference),
        agents=reference["agents"],
        jobs=reference["jobs"],
        best=reference["min_cost"],
        best_status=reference["status"],
        sbn_cost=sbn_cost,
        sbn_status=sbn_status,
        sbn_seconds=sbn_seconds,
        sbn_exit=code,
        load_seconds=load,
        raw_cost=raw.cost,
        raw_status=raw.status,
        raw_seconds=raw.seconds,
        raw_bound=raw.bound,
        note=note,
    )


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}%"


HEADER = (
    "instance",
    "jobs x agents",
    "best",
    "sbn cost",
    "gap",
    "sbn status",
    "sbn s",
    "load s",
    "raw cost",
    "raw status",
    "raw s",
    "overhead s",
)


def cells(row: Row) -> list[str]:
    best = f"{row.best}" + ("" if row.best_status == "optimal" else "*")
    return [
        row.instance,
        f"{row.jobs} x {row.agents}",
        best,
        _num(row.sbn_cost),
        _pct(row.gap),
        row.sbn_status,
        f"{row.sbn_seconds:.2f}",
        f"{row.load_seconds:.2f}",
        _num(row.raw_cost),
        row.raw_status,
        f"{row.raw_seconds:.2f}",
        f"{row.overhead:+.2f}",
    ]


def at_optimum(cost: float | None, best: int) -> bool:
    return cost is not None and round(cost) <= best


STARTUP_HOW = "mean of the medians of 3 before and after the run"


def goals(rows: list[Row], time_limit: float, startup: float, how: str = STARTUP_HOW) -> list[str]:
    """One line per goal of the issue: met or how far, for sbn and for the raw engine beside it."""
    lines: list[str] = []

    def misses(chosen: list[Row], raw: bool = False) -> str:
        bad = [r for r in chosen if not at_optimum(r.raw_cost if raw else r.sbn_cost, r.best)]
        shown = ", ".join(f"{r.instance} {_pct(r.raw_gap if raw else r.gap)}" for r in bad[:12])
        return shown + (f", … {len(bad) - 12} more" if len(bad) > 12 else "")

    gap = [r for r in rows if r.group == "gap1-12"]
    if gap:
        hit = sum(at_optimum(r.sbn_cost, r.best) for r in gap)
        raw_hit = sum(at_optimum(r.raw_cost, r.best) for r in gap)
        verdict = "MET" if hit == len(gap) == 60 else ("met on those run" if hit == len(gap) else "NOT MET")
        lines.append(
            f"Goal 1, gap1-gap12 at the optimum: {verdict}: sbn {hit}/{len(gap)} at the optimum "
            f"({sum(r.sbn_status == 'optimal' for r in gap)} proven), "
            f"max sbn time {max(r.sbn_seconds for r in gap):.2f} s"
            + (f"; missed: {misses(gap)}" if hit < len(gap) else "")
            + f". Raw engine {raw_hit}/{len(gap)}."
        )
    abc = [r for r in rows if r.group in ("a", "b", "c") and r.jobs <= 200]
    if abc:
        hit = sum(at_optimum(r.sbn_cost, r.best) for r in abc)
        raw_hit = sum(at_optimum(r.raw_cost, r.best) for r in abc)
        verdict = "MET" if hit == len(abc) == 18 else ("met on those run" if hit == len(abc) else "NOT MET")
        lines.append(
            f"Goal 2, types a, b, c up to 200 jobs at the optimum with --time-limit {time_limit:g}: {verdict}: "
            f"sbn {hit}/{len(abc)} ({sum(r.sbn_status == 'optimal' for r in abc)} proven)"
            + (f"; missed: {misses(abc)}" if hit < len(abc) else "")
            + f". Raw engine {raw_hit}/{len(abc)} ({sum(r.raw_status == 'optimal' for r in abc)} proven)"
            + (f"; missed: {misses(abc, raw=True)}" if raw_hit < len(abc) else "")
            + "."
        )
    de = [r for r in rows if r.group in ("d", "e")]
    for label, chosen in (
        ("up to 400 jobs", [r for r in de if r.jobs <= 400]),
        ("1600 jobs", [r for r in de if r.jobs > 400]),
    ):
        if not chosen:
            continue
        within = [r for r in chosen if r.gap is not None and r.gap <= 0.5]
        raw_within = [r for r in chosen if r.raw_gap is not None and r.raw_gap <= 0.5]
        outside = [r for r in chosen if r not in within]
        raw_outside = [r for r in chosen if r not in raw_within]
        known = [r.gap for r in chosen if r.gap is not None]
        verdict = "MET" if not outside else "NOT MET"
        lines.append(
            f"Goal 3, types d and e ({label}) within 0.5% of the best known with --time-limit {time_limit:g}: "
            f"{verdict}: sbn {len(within)}/{len(chosen)} within 0.5%, mean gap "
            f"{_pct(statistics.mean(known) if known else None)}"
            + (f"; outside: {', '.join(f'{r.instance} {_pct(r.gap)}' for r in outside)}" if outside else "")
            + f". Raw engine {len(raw_within)}/{len(chosen)}"
            + (f"; outside: {', '.join(f'{r.instance} {_pct(r.raw_gap)}' for r in raw_outside)}" if raw_outside else "")
            + "."
        )
    if rows:
        ok = [r for r in rows if r.overhead <= 0]
        over = sorted(r.overhead for r in rows)
        both = [r.overhead for r in rows if r.sbn_status == "optimal" and r.raw_status == "optimal"]
        limited = [r.overhead for r in rows if r.sbn_status != "optimal" and r.raw_status != "optimal"]
        lines.append(
            f"Goal 4, sbn time <= load + raw engine time: {'MET' if len(ok) == len(rows) else 'NOT MET'}: "
            f"{len(ok)}/{len(rows)} instances; overhead median {statistics.median(over):+.2f} s, "
            f"max {over[-1]:+.2f} s, min {over[0]:+.2f} s"
            + (f"; median {statistics.median(both):+.2f} s where both proved optimality ({len(both)})" if both else "")
            + (f", {statistics.median(limited):+.2f} s where both ran to the limit ({len(limited)})" if limited else "")
            + f". A fresh interpreter importing what `sbn plan` imports takes {startup:.2f} s ({how}), "
            f"so the overhead beyond start-up has median "
            f"{statistics.median(o - startup for o in over):+.2f} s."
        )
    return lines


def markdown(
    rows: list[Row],
    args: argparse.Namespace,
    argv: list[str],
    info: dict[str, str],
    loads: tuple[str, str],
    startup: float,
    total: int,
    done: bool,
) -> str:
    out = [
        "# GAP benchmark: sbn plan against the published minimum",
        "",
    ]
    if not done:
        out += [f"**Partial: {len(rows)} of {total} instances so far; the run is still going.**", ""]
    out += [
        "Command (from the repository root):",
        "",
        "```",
        "python benchmarks/gap.py " + shlex.join(argv),
        "```",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['platform']}; Python {info['python']}, "
        f"highspy {info['highspy']}, sbn {info.get('sbn', '?')}. Load average (1/5/15 min) at start {loads[0]}, "
        f"at end {loads[1]}.",
        "",
        "Columns: *best* is the published minimum (`*` = best known, not proven); *gap* = (sbn cost − best) / best; "
        "*sbn s* is the wall time of `python -m sbn plan FILE --format json --time-limit "
        f"{args.time_limit:g}` in a fresh process (start-up, imports, loading, model, solve, output); *load s* is "
        "`sbn.loader.load_network` on the file alone; *raw* is the plain GAP MIP built directly with highspy and "
        f"the HiGHS options sbn/solver.py sets ({info.get('highs_options', 'see sbn/solver.py')}), *raw s* its "
        "`run()` alone; *overhead* = sbn s − (load s + raw s). Status *feasible* = stopped by the time limit.",
        "",
        "## Goals",
        "",
        *(f"- {line}" for line in goals(rows, args.time_limit, startup, getattr(args, "startup_how", STARTUP_HOW))),
        "",
        "## Per instance",
        "",
        "| " + " | ".join(HEADER) + " |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    out += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    out.append("")
    if args.out:
        kept = engines.kept_tail(args.out, "## Notes")
        if kept:
            out += [kept]
    return "\n".join(out)


def report_from(args: argparse.Namespace) -> int:
    """Re-render the summary and report of a saved run (e.g. after improving this script's summaries)."""
    saved = json.loads(args.report_from.read_text(encoding="utf-8"))
    rows = [Row(**row) for row in saved["rows"]]
    both = isinstance(saved["startup"], list)
    startup = statistics.mean(saved["startup"]) if both else saved["startup"]
    args.startup_how = STARTUP_HOW if both else "median of 3 before the run"
    loads = tuple(saved.get("loads", ["n/a", "n/a"]))
    run_args = argparse.Namespace(**{**vars(args), "time_limit": saved.get("time_limit", args.time_limit)})
    for line in goals(rows, run_args.time_limit, startup, args.startup_how):
        print(line)
    if args.out:
        text = markdown(rows, run_args, saved["argv"], saved["machine"], loads, startup, len(rows), True)  # type: ignore[arg-type]
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per problem (default 10)")
    parser.add_argument("--only", help="regex on instance names, among all instances of reference.csv")
    parser.add_argument("--all", action="store_true", help="also the 400- and 1600-job instances")
    parser.add_argument("--data", type=Path, default=gapdata.DATA_DIR, help="instance directory")
    parser.add_argument("--out", type=Path, help="write a Markdown report here (rewritten after every instance)")
    parser.add_argument(
        "--report-from",
        type=Path,
        metavar="JSON",
        help="write the report of an earlier run (its last-run.json), no run",
    )
    args = parser.parse_args(argv)
    if args.report_from:
        return report_from(args)

    references = gapdata.reference(args.data)
    if args.only:
        pattern = re.compile(args.only)
        selected = [r for r in references if pattern.search(r["instance"])]
    else:
        selected = [r for r in references if args.all or GAP_FILES.match(r["file"]) or ABCD_FILES.match(r["file"])]
    if not selected:
        parser.error(f"no instance matches {args.only!r}")

    import sbn.loader  # noqa: F401  - imported here so that load times exclude the import

    info = engines.machine()
    info["highs_options"] = engines.describe_options(engines.sbn_highs_options())
    start_load = engines.load_average()
    startup = startup_begin = startup_seconds()
    print(
        f"{len(selected)} instances, time limit {args.time_limit:g} s; start-up {startup:.2f} s; load avg {start_load}"
    )
    widths = [max(len(h), 10) for h in HEADER]
    widths[0] = 9
    print("  ".join(h.rjust(w) for h, w in zip(HEADER, widths, strict=True)), flush=True)
    rows: list[Row] = []
    for reference in selected:
        row = measure(reference, args.data, args.time_limit)
        rows.append(row)
        print(
            "  ".join(c.rjust(w) for c, w in zip(cells(row), widths, strict=True))
            + (f"  {row.note}" if row.note else ""),
            flush=True,
        )
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(
                markdown(rows, args, argv, info, (start_load, engines.load_average()), startup, len(selected), False),
                encoding="utf-8",
            )
    end_load = engines.load_average()
    startup_end = startup_seconds()
    print(f"start-up {startup_begin:.2f} s before the run, {startup_end:.2f} s after")
    startup = (startup_begin + startup_end) / 2
    print()
    for line in goals(rows, args.time_limit, startup):
        print(line)
    print(f"load average at end {end_load}")
    engines.OUT_DIR.mkdir(parents=True, exist_ok=True)
    (engines.OUT_DIR / "last-run.json").write_text(
        json.dumps(
            {
                "argv": argv,
                "time_limit": args.time_limit,
                "machine": info,
                "startup": [startup_begin, startup_end],
                "loads": [start_load, end_load],
                "rows": [asdict(r) for r in rows],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    if args.out:
        args.out.write_text(
            markdown(rows, args, argv, info, (start_load, end_load), startup, len(selected), True), encoding="utf-8"
        )
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
