"""Re-planning when a partner drops out, as a ratio to planning the first time (issue 4; SPEC §5).

    python benchmarks/replan.py [--modules 20000] [--steps 30] [--repeat 5] [--partner P]

On a generated network (benchmarks/generate.py, seed 1) with one request of ``--steps`` steps:

1. first plan: ``sbn plan requests.yaml --format json --output first.json``
2. re-plan:    ``sbn plan requests.yaml --without P --from first.json --format json --output replan.json``

where P is the partner doing the most steps in the first plan (ties: first by id) unless ``--partner``
names one. Both run as fresh processes, alternately, ``--repeat`` rounds after one untimed run each
(which also checks the output); the figure is median(re-plan) / median(first plan), goal <= 1.0.
benchmarks/run.py runs this as its ``replan`` scenario and puts the figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import OUT, ROOT, Meter, Series, alternate, ensure_network, plan_check


def measure(
    meter: Meter,
    sbn: list[str],
    modules: int,
    steps: int,
    repeat: int,
    log: Callable[[str], None] = print,
    partner: str | None = None,
) -> dict[str, Any]:
    target = ensure_network(modules, 1, steps, log=log)
    rel = str(target.relative_to(ROOT))
    work = OUT / "replan"
    work.mkdir(parents=True, exist_ok=True)
    first_json, timed_first, replan_json = work / "first.json", work / "first-timed.json", work / "replan.json"

    # The reference first plan, also the untimed warm-up of the first-plan command.
    meter.run([*sbn, "plan", rel, "--format", "json", "--output", str(first_json)])
    first = json.loads(first_json.read_text(encoding="utf-8"))
    plan = first["plans"][0]
    counts = Counter(a["partner"] for a in plan["assignments"])
    if partner is None:
        partner = min(counts, key=lambda p: (-counts[p], p))
    log(f"  first plan: {plan['status']}, cost {plan['cost']}, partners {len(counts)}; re-plan without {partner}")

    first_series = Series(
        "first plan", [*sbn, "plan", rel, "--format", "json", "--output", str(timed_first.relative_to(ROOT))]
    )
    again = Series(
        "re-plan",
        [
            *sbn,
            "plan",
            rel,
            "--without",
            partner,
            "--from",
            str(first_json.relative_to(ROOT)),
            "--format",
            "json",
            "--output",
            str(replan_json.relative_to(ROOT)),
        ],
    )
    meter.run(again.argv)  # warm-up and check
    first_series.check = plan_check(first_json)
    again.check = plan_check(replan_json)
    replanned = json.loads(replan_json.read_text(encoding="utf-8"))["plans"][0]
    if partner in replanned.get("partners", []):
        raise RuntimeError(f"the re-plan still uses {partner}")
    alternate(meter, [first_series, again], repeat, log, warmup=0)
    return {
        "modules": modules,
        "steps": steps,
        "partner": partner,
        "partner_steps": counts.get(partner, 0),
        "used_partners": sorted(counts),
        "replan_partners": replanned.get("partners", []),
        "series": [first_series.summary(), again.summary()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--partner", help="the partner to leave out (default: the one doing the most steps)")
    parser.add_argument("--sbn", default=str(Path(sys.executable).parent / "sbn"))
    args = parser.parse_args(argv)
    env = dict(os.environ, NO_COLOR="1")
    result = measure(Meter(env), [args.sbn], args.modules, args.steps, args.repeat, partner=args.partner)
    first, again = result["series"]
    ratio = again["median_s"] / first["median_s"]
    for s in result["series"]:
        print(
            f"{s['name']:>10}: median {s['median_s']:.3f} s over {s['runs']} runs, peak {s['median_rss_kb'] / 1024:.0f} MiB; {s['check']}"
        )
    print(f"re-plan / first plan = {ratio:.2f} (goal <= 1.0: {'met' if ratio <= 1.0 else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
