"""Growth of `sbn validate` on the two inputs issue 12 found super-linear, as time ratios between sizes.

    python benchmarks/hostile.py [--repeat 3] [--src DIR] [--misspelt 250,1000,3000] [--networks 1500,3000,6000]

* **misspelt** (item 3): N partners and N modules, each module naming its partner misspelt
  (``partnr-00042`` for ``partner-00042``), in one file: N problems, each with a "did you mean".
* **networks** (item 8): N network files in one folder, each declaring its own network and
  including one shared file of partners; validated as a folder, each network on its own.

Each size is generated under benchmarks/out/hostile/, run once untimed, then ``--repeat`` times as
a fresh process; the figure is the median wall time and the median CPU time of the process (user +
system, steadier when other work shares the machine). The floor is the same for `sbn validate` of a
one-line file: start-up, which no input size changes; "net" is a figure less its floor. For each
size the script prints net(N) / net(first) beside N / first: linear growth keeps the two close,
quadratic growth makes the time ratio the square of the size ratio. It also prints the exponent k
of net CPU time ~ N^k between the smallest and the largest size (1 is linear, 2 quadratic).

``--src DIR`` runs the sbn package found in DIR (e.g. an older checkout: ``git worktree add``),
to measure the same inputs before a change.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "hostile"


def misspelt(size: int) -> Path:
    path = OUT / f"misspelt-{size}.yaml"
    if not path.exists():
        partners = "".join(f"  - id: partner-{i:05d}\n" for i in range(size))
        modules = "".join(f"  - {{id: m{i}, partner: partnr-{i:05d}, capability: c}}\n" for i in range(size))
        path.write_text(f"partners:\n{partners}modules:\n{modules}", encoding="utf-8")
    return path


def networks(size: int) -> Path:
    folder = OUT / f"networks-{size}"
    if not folder.exists():
        folder.mkdir(parents=True)
        (folder / "shared.yaml").write_text("partners: [{id: p}]\n", encoding="utf-8")
        for i in range(size):
            (folder / f"n{i:05d}.yaml").write_text(
                f"network: {{name: n{i}}}\ninclude: [shared.yaml]\nmodules: [{{id: m{i}, partner: p, capability: c}}]\n",
                encoding="utf-8",
            )
    return folder


def run(path: Path, env: dict[str, str], expected: int) -> tuple[float, float]:
    """Wall and CPU seconds of one `sbn validate` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sbn", "validate", str(path)],
        env=env,
        cwd=OUT,  # not the checkout: `python -m` puts the working directory first on the path, before --src
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != expected:
        raise SystemExit(f"{path}: exit {done.returncode}, expected {expected}\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(path: Path, env: dict[str, str], expected: int, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` runs, after one untimed run that checks the exit code."""
    run(path, env, expected)
    walls, cpus = zip(*(run(path, env, expected) for _ in range(repeat)), strict=True)
    return statistics.median(walls), statistics.median(cpus)


def series(
    name: str,
    make: Callable[[int], Path],
    sizes: list[int],
    expected: int,
    env: dict[str, str],
    repeat: int,
    floor: tuple[float, float],
) -> None:
    print(f"\n{name}")
    print("| N | wall | CPU | net CPU | N ratio | net wall ratio | net CPU ratio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    figures = [(size, *measure(make(size), env, expected, repeat)) for size in sizes]
    first_size, first_wall, first_cpu = figures[0]
    for size, wall, cpu in figures:
        print(
            f"| {size:,} | {wall:.2f} s | {cpu:.2f} s | {cpu - floor[1]:.2f} s | {size / first_size:.1f}x | "
            f"{(wall - floor[0]) / (first_wall - floor[0]):.1f}x | {(cpu - floor[1]) / (first_cpu - floor[1]):.1f}x |"
        )
    (small, _, small_cpu), (large, _, large_cpu) = figures[0], figures[-1]
    exponent = math.log((large_cpu - floor[1]) / (small_cpu - floor[1])) / math.log(large / small)
    print(f"exponent k of net CPU time ~ N^k between {small:,} and {large:,}: {exponent:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--src", type=Path, help="run the sbn package in this directory instead")
    parser.add_argument("--misspelt", default="250,1000,3000")
    parser.add_argument("--networks", default="1500,3000,6000")
    options = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    if options.src is not None:
        env["PYTHONPATH"] = str(options.src.resolve())
    source = subprocess.run(
        [sys.executable, "-c", "import sbn, os; print(os.path.dirname(sbn.__file__))"],
        env=env,
        cwd=OUT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tiny = OUT / "floor.yaml"
    tiny.write_text("partners: [{id: p}]\n", encoding="utf-8")
    floor = measure(tiny, env, 0, options.repeat)
    print(f"sbn from {source}; {options.repeat} timed runs per size; load average {os.getloadavg()[0]:.2f}")
    print(f"floor (sbn validate of a one-line file): wall {floor[0]:.2f} s, CPU {floor[1]:.2f} s")
    sizes = [int(size) for size in options.misspelt.split(",") if size]
    if sizes:
        series(
            "Item 3: N modules naming misspelt partners (N partners)", misspelt, sizes, 2, env, options.repeat, floor
        )
    sizes = [int(size) for size in options.networks.split(",") if size]
    if sizes:
        series("Item 8: N network files sharing one include", networks, sizes, 0, env, options.repeat, floor)


if __name__ == "__main__":
    main()
