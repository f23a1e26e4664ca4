"""The documentation tells the truth: the Quick start is what CI runs, and the documented commands run.

* README.md's "## Quick start" holds exactly two fenced commands; the second is the command
  `.ci/run` runs, verbatim; the `sbn` part of the first exits 0.
* Every line starting with `sbn ` in a ```sh block of the documents in DOCUMENTS runs
  (in-process, through `sbn.cli.main`, from the repository root) and exits with the code the
  line documents: `# exit N` in a trailing comment, else 0.

Lines are skipped when they cannot run as written from a clean clone: placeholders (`FILE`,
`<...>`), shell plumbing (pipes, redirection, `&&`), standard input (`-`), and paths that are
not in the repository. `--output` files are written to a scratch directory instead of the
repository; a `--from` or `--committed` file is set up by running, first, the line of the same document that
wrote it with `--output`, and the line is skipped when no such line exists.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import ROOT

from sbn.cli import main

README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
DOCUMENTS = ("docs/commands.md", "docs/exit-codes.md", "README.md", "examples/README.md")

# Lines that document intended behaviour the CLI does not have yet: a strict xfail, so that the
# entry must be removed once the bug is fixed.
KNOWN_BUGS: dict[str, str] = {}

FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")
PLACEHOLDER = re.compile(r"<[^>]*>|\.\.\.|…|\b(FILE|PATH|ID|CAPABILITY|PARTNER|SECONDS|FORMAT|COMMAND)\b")
SHELL = re.compile(r"[|;<>`$]|&&")
EXIT = re.compile(r"\bexit\s+(\d+)\b")
# Options that take a value, and which of those values are paths.
VALUE_OPTIONS = {
    "--network", "-n", "--request", "-r", "--format", "-f", "--output", "-o", "--time-limit",
    "--without", "--from", "--committed", "--region", "--certification", "-c", "--optimize", "--node-limit",
    "--jobs", "-j", "--scheduler", "--allow-outside",
}  # fmt: skip
INPUT_OPTIONS = {"--from", "--committed"}  # files an earlier line of the same document writes
PATH_OPTIONS = {"--network", "-n"}
OUTPUT_OPTIONS = {"--output", "-o"}
PATH_COMMANDS = {"plan", "validate", "network"}  # their positional arguments are paths
# Their positional arguments are files in the scratch directory: diff reads them (written by an
# earlier line), init writes there (never into the repository).
SCRATCH_COMMANDS = {"diff": "inputs", "init": "outputs"}


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(info string, lines) of every fenced code block, in order."""
    blocks: list[tuple[str, list[str]]] = []
    fence: str | None = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence, info, body = match.group(1), match.group(2), []
        elif line.strip() == fence:
            blocks.append((info, body))
            fence = None
        else:
            body.append(line)
    return blocks


def section(text: str, heading: str) -> str:
    """The text below a `## heading`, up to the next heading of the same level."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def ci_command() -> str:
    """The command .ci/run ends with: its last line that is not blank or a comment."""
    lines = [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")][-1]


def quick_start_commands() -> list[str]:
    blocks = fenced_blocks(section(README.read_text(encoding="utf-8"), "Quick start"))
    commands = []
    for info, lines in blocks:
        assert info == "sh", f"Quick start blocks are sh blocks, not {info!r}"
        code = [line for line in lines if line.strip()]
        assert len(code) == 1, f"a Quick start block holds one command: {code}"
        commands.append(code[0].strip())
    return commands


def test_quick_start_has_exactly_two_commands() -> None:
    assert len(quick_start_commands()) == 2


def test_quick_start_test_command_is_what_ci_runs() -> None:
    assert quick_start_commands()[1] == ci_command()


@pytest.mark.usefixtures("quiet")
def test_quick_start_plan_command_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    first = quick_start_commands()[0]
    install, _, plan = first.partition(" && ")
    assert install == "pip install ."
    assert plan.startswith("sbn plan ")
    assert main(shlex.split(plan)[1:]) == 0, capsys.readouterr().err


DEMO = "docs/demo"


@dataclass(frozen=True)
class Command:
    document: str
    line: str
    code: str  # the line without its comment
    args: tuple[str, ...]
    expected: int
    skip: str | None  # why it cannot run as written
    outputs: tuple[str, ...]  # files it writes with --output
    inputs: tuple[str, ...]  # files it reads with --from or --committed
    cwd: str = ""  # where the docs run it: the repository root, or docs/demo for the demo inputs


def parse(document: str, line: str) -> Command:
    code, _, comment = line.partition(" #")
    exit_match = EXIT.search(comment)
    expected = int(exit_match.group(1)) if exit_match else 0
    skip = None
    if PLACEHOLDER.search(code):
        skip = "placeholder"
    elif SHELL.search(code):
        skip = "shell plumbing"
    args = tuple(shlex.split(code)[1:]) if skip is None else ()
    outputs: list[str] = []
    inputs: list[str] = []
    command = next((arg for arg in args if not arg.startswith("-")), None)
    cwd = ""

    def missing(path: str) -> bool:
        nonlocal cwd
        if (ROOT / path).exists() or expected == 2:  # a missing file may be what the example shows
            return False
        if (ROOT / DEMO / path).exists():
            cwd = DEMO
            return False
        return True

    index = 0
    while skip is None and index < len(args):
        arg = args[index]
        value = args[index + 1] if index + 1 < len(args) else None
        if arg in VALUE_OPTIONS:
            if arg in OUTPUT_OPTIONS and value is not None:
                outputs.append(value)
            elif arg in INPUT_OPTIONS and value is not None:
                inputs.append(value)
            elif arg in PATH_OPTIONS and value is not None and missing(value):
                skip = f"{value} is not in the repository"
            index += 2
            continue
        if not arg.startswith("-") and arg != command and command in PATH_COMMANDS and missing(arg):
            skip = f"{arg} is not in the repository"
        if not arg.startswith("-") and arg != command and command in SCRATCH_COMMANDS:
            (inputs if SCRATCH_COMMANDS[command] == "inputs" else outputs).append(arg)
        if arg == "-":
            skip = "reads standard input"
        index += 1
    if skip is None and command == "init" and not outputs:
        skip = "writes into the working directory"
    return Command(document, line.strip(), code.strip(), args, expected, skip, tuple(outputs), tuple(inputs), cwd)


def documented_commands() -> list[Command]:
    commands = []
    for document in DOCUMENTS:
        path = ROOT / document
        if not path.exists():
            continue
        for info, lines in fenced_blocks(path.read_text(encoding="utf-8")):
            if info != "sh":
                continue
            commands.extend(parse(document, line) for line in lines if line.strip().startswith("sbn "))
    return commands


COMMANDS = documented_commands()


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch, repo_root: Path) -> Path:
    """Run as the docs were written: repository root, 100 columns, no colour, not in GitHub Actions."""
    monkeypatch.delenv("SBN_DEBUG", raising=False)
    return repo_root


def _redirect(args: tuple[str, ...], scratch: Path) -> list[str]:
    """The arguments with --output and --from files moved into the scratch directory."""
    moved = list(args)
    for index, arg in enumerate(moved[:-1]):
        if arg in OUTPUT_OPTIONS or arg in INPUT_OPTIONS:
            moved[index + 1] = str(scratch / moved[index + 1])
    if moved and moved[0] in SCRATCH_COMMANDS:
        for index, arg in enumerate(moved[1:], start=1):
            if not arg.startswith("-") and moved[index - 1] not in VALUE_OPTIONS:
                moved[index] = str(scratch / arg)
    return moved


def _setup_for(command: Command) -> list[Command] | None:
    """Earlier lines of the same document that write the files this one reads; None if missing."""
    setup = []
    for needed in command.inputs:
        writers = [
            c for c in COMMANDS[: COMMANDS.index(command)] if c.document == command.document and needed in c.outputs
        ]
        if not writers:
            return None
        setup.append(writers[-1])
    if command.args[:1] == ("init",) and command.expected == 2:
        # A refusal to overwrite: the earlier line that wrote the same directory runs first.
        setup += [
            c
            for c in COMMANDS[: COMMANDS.index(command)]
            if c.document == command.document and c.args[:1] == ("init",) and c.outputs == command.outputs
        ][-1:]
    return setup


def _params() -> list[object]:
    params = []
    for command in COMMANDS:
        bug = KNOWN_BUGS.get(command.code)
        marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
        params.append(pytest.param(command, id=f"{command.document}: {command.code}", marks=marks))
    return params


def test_documents_show_commands() -> None:
    runnable = [c for c in COMMANDS if c.skip is None and c.document == "docs/commands.md"]
    assert len(runnable) >= 15, "docs/commands.md should show runnable examples of every command"
    shown = {c.args[0] for c in runnable if c.args}
    assert {"plan", "validate", "who", "schema", "network", "diff", "init"} <= shown


@pytest.mark.parametrize("command", _params())
def test_documented_command_runs(
    command: Command,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    quiet: Path,
) -> None:
    if command.skip is not None:
        pytest.skip(command.skip)
    setup = _setup_for(command)
    if setup is None:
        pytest.skip("its --from file is not written by an earlier line")
    monkeypatch.chdir(quiet / command.cwd)
    for earlier in setup:
        assert main(_redirect(earlier.args, tmp_path)) == earlier.expected, capsys.readouterr().err
    code = main(_redirect(command.args, tmp_path))
    captured = capsys.readouterr()
    assert code == command.expected, f"{command.line}\nexit {code}\n{captured.err}"
    for written in command.outputs:
        if code in (0, 1):
            assert (tmp_path / written).exists(), f"--output {written} was not written"
