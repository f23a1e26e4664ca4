"""Render the docs from docs/templates: each `@@run CMD@@` line becomes a ```text block of CMD's real output.

Run from anywhere with the Python that has sbn installed:  python scripts/render_docs.py

`@@run CMD@@`      -> output block (stdout+stderr) of CMD, run with bash in /work/main, COLUMNS=100
`@@runsh CMD@@`    -> ```sh block with CMD (plus '# exit N' when N != 0), then the output block
Options after CMD: `@@runsh CMD ||| show=DISPLAY ||| head=N ||| stdout@@`
"""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = str(Path(sys.executable).parent)
ENV = dict(os.environ, COLUMNS="100", PATH=BIN + os.pathsep + os.environ["PATH"], NO_COLOR="1", TERM="dumb")
ENV.pop("GITHUB_ACTIONS", None)
failures = []


def run(cmd, stdout_only=False):
    p = subprocess.run(
        ["bash", "-c", cmd],
        cwd=REPO,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if stdout_only else subprocess.STDOUT,
        text=True,
    )
    return p.stdout, p.returncode


def render(text):
    out = []
    for line in text.split("\n"):
        m = re.fullmatch(r"@@(run|runsh|runonly) (.*)@@", line.strip())
        if not m:
            out.append(line)
            continue
        kind, spec = m.groups()
        parts = [s.strip() for s in spec.split("|||")]
        cmd, opts = parts[0], dict(([*p.split("=", 1), ""])[:2] for p in parts[1:])
        result, code = run(cmd, "stdout" in opts)
        if "head" in opts:
            lines = result.rstrip("\n").split("\n")
            n = int(opts["head"])
            if len(lines) > n:
                result = "\n".join(lines[:n]) + "\n" + opts.get("more", "…") + "\n"
        if "expect" in opts and str(code) != opts["expect"]:
            failures.append((cmd, code))
        if kind in ("runsh", "runonly"):
            shown = opts.get("show", cmd)
            if code:
                shown += f"   # exit {code}"
            out.append("```sh")
            out.append(shown)
            out.append("```")
        if kind in ("run", "runsh"):
            lang = opts.get("lang", "text")
            fence = opts.get("fence", "```")
            out.append(fence + lang)
            out.append(result.rstrip("\n"))
            out.append(fence)
    return "\n".join(out)


for src in sys.argv[1:] or sorted(str(p) for p in (REPO / "docs" / "templates").glob("*.md")):
    name = Path(src).name
    target = REPO / (
        "README.md"
        if name == "README.md"
        else ("examples/README.md" if name == "examples-README.md" else f"docs/{name}")
    )
    target.write_text(render(Path(src).read_text()))
    print("wrote", target)
# Files the documented commands write into the repository root.
for written in ("plan.json", "replan.json", "before.json", "after.json", "first.json"):
    (REPO / written).unlink(missing_ok=True)
if failures:
    print("UNEXPECTED EXIT CODES:", failures)
    sys.exit(1)
