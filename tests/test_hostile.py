"""Hostile input (issue 12): sbn reads nothing outside the project, bounds every source, never crashes or overwrites.

One section per item of the issue, then cases beyond it. Every hostile file is made here. Where
time or memory is the point, the CLI runs in a subprocess under a memory limit and a timeout (a
bound that fails the test if a fix regresses, never a timing that is asserted); linear growth is
asserted on counts of work (Python calls, suggestions looked up), not on seconds.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import sbn.loader
import sbn.sources
import sbn.yamlread
from sbn.cli import app
from sbn.errors import InputError, UsageError
from sbn.loader import MAX_REPORTED, Network, load_network, load_units
from sbn.sources import MAX_INPUT_BYTES, Project, SourceError, read_file
from sbn.text import clean, escape, one_line, quote

Write = Callable[[str, str | bytes], Path]
AS_ROOT = os.geteuid() == 0  # permissions do not bind for root: those cases are simulated as well

NET = """\
partners: [{id: p}]
modules: [{id: m, partner: p, capability: c}]
requests: [{id: r, steps: [{capability: c}]}]
"""
SECRET = "aws_secret_access_key: AKIA-hunter2\n"


def sbn_cli(runner: CliRunner, *args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def run_sbn(
    *args: str, cwd: Path, stdin: Any = None, memory: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, under an address-space limit when ``memory`` is given."""

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "sbn", *args],
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        preexec_fn=limit,
        env=env,
    )


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that is not below the project (tmp_path): it holds a secret."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secrets.yaml").write_text(SECRET)
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path sbn opens for reading, resolved."""
    opened: list[str] = []
    real_read = sbn.sources.read_file

    def spy(path: str | Path) -> Any:
        opened.append(os.path.realpath(path))
        return real_read(path)

    monkeypatch.setattr(sbn.loader, "read_file", spy)
    monkeypatch.setattr(sbn.yamlread, "read_file", spy)
    return opened


def assert_secret_kept(*texts: str) -> None:
    for text in texts:
        assert "aws_secret_access_key" not in text and "hunter2" not in text


# -- 1. Reading outside the project --------------------------------------------------------------


def test_an_absolute_include_is_refused_by_name(
    runner: CliRunner, write: Write, outside: Path, reads: list[str]
) -> None:
    target = str(outside / "secrets.yaml")
    write("a.yaml", f"include: [{target}]\n")
    code, out, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2
    assert err.splitlines()[0] == (
        f"a.yaml:1:11: error: include {target!r} is an absolute path: includes are relative to the including "
        "file and stay inside the project (--allow-outside PATH reads files outside it)"
    )
    assert_secret_kept(out, err)
    assert set(reads) == {os.path.realpath("a.yaml")}


def test_an_include_leaving_the_project_is_refused_by_name(
    runner: CliRunner, tmp_path: Path, outside: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    relative = os.path.relpath(outside / "secrets.yaml", project)
    (project / "a.yaml").write_text(f"include: [{relative}]\n")
    monkeypatch.chdir(project)
    code, out, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2
    assert err.splitlines()[0] == (
        f"a.yaml:1:11: error: include {relative!r} leads outside the project: not read "
        "(--allow-outside PATH reads files outside it)"
    )
    assert_secret_kept(out, err)
    assert set(reads) == {os.path.realpath(project / "a.yaml")}


def test_whether_a_file_outside_exists_is_not_told(runner: CliRunner, write: Write, outside: Path) -> None:
    # Where an include leads is checked before whether it exists: an include cannot probe the disk.
    there, absent = (os.path.relpath(outside / name, Path.cwd()) for name in ("secrets.yaml", "absent.yaml"))
    write("a.yaml", f"include: [{there}, {absent}]\n")
    code, _, err = sbn_cli(runner, "validate", "a.yaml")
    refused = "leads outside the project: not read (--allow-outside PATH reads files outside it)"
    assert code == 2
    assert err.splitlines()[:2] == [
        f"a.yaml:1:11: error: include {there!r} {refused}",
        f"a.yaml:1:{11 + len(there) + 2}: error: include {absent!r} {refused}",
    ]


def test_a_link_in_an_included_folder_that_leads_outside_is_refused_at_the_link(
    runner: CliRunner, write: Write, outside: Path, reads: list[str]
) -> None:
    write("a.yaml", "include: [modules]\n" + NET)
    write("modules/ok.yaml", "partners: [{id: q}]\n")
    os.symlink(outside / "secrets.yaml", "modules/evil.yaml")
    code, out, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2
    assert err.splitlines()[0] == (
        "modules/evil.yaml:1:1: error: a link that leads outside the project: not read "
        "(--allow-outside PATH reads files outside it)"
    )
    assert_secret_kept(out, err)
    assert str(outside / "secrets.yaml") not in reads


def test_a_link_included_by_name_that_leads_outside_is_refused(
    runner: CliRunner, write: Write, outside: Path, reads: list[str]
) -> None:
    write("a.yaml", "include: [link.yaml]\n")
    os.symlink(outside / "secrets.yaml", "link.yaml")
    code, out, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2
    assert "a.yaml:1:11: error: include 'link.yaml' leads outside the project" in err
    assert_secret_kept(out, err)
    assert str(outside / "secrets.yaml") not in reads


def test_a_directory_named_on_the_command_line_does_not_lead_outside(
    runner: CliRunner, write: Write, outside: Path, reads: list[str]
) -> None:
    write("net/a.yaml", NET)
    os.symlink(outside / "secrets.yaml", "net/evil.yaml")
    os.symlink(outside, "net/away")  # a link to a directory is not followed at all
    code, out, err = sbn_cli(runner, "validate", "net")
    assert code == 2
    assert err.splitlines()[0].startswith("net/evil.yaml:1:1: error: a link that leads outside the project")
    assert_secret_kept(out, err)
    assert all(not path.startswith(str(outside)) for path in reads)


def test_a_link_leading_outside_is_reported_when_a_folder_holds_several_networks(
    runner: CliRunner, write: Write, outside: Path
) -> None:
    write("d/a.yaml", "network: {name: one}\npartners: [{id: p}]\n")
    write("d/b.yaml", "network: {name: two}\npartners: [{id: p}]\n")
    write("d/C.YAML", "")
    os.symlink(outside / "secrets.yaml", "d/evil.yaml")
    code, out, err = sbn_cli(runner, "validate", "d")
    assert (code, out) == (2, "")
    # What was left unread comes first.
    assert err.splitlines()[:2] == [
        "d/evil.yaml:1:1: error: a link that leads outside the project: not read "
        "(--allow-outside PATH reads files outside it)",
        "d/C.YAML:1:1: warning: not read: only files ending in .yaml or .yml are read (the suffix is case-sensitive)",
    ]


def test_allow_outside_lets_includes_read_below_the_path_given(runner: CliRunner, write: Write, outside: Path) -> None:
    (outside / "partners.yaml").write_text("partners: [{id: p}]\n")
    relative = os.path.relpath(outside / "partners.yaml", Path.cwd())
    write("a.yaml", f"include: [{relative}]\nmodules: [{{id: m, partner: p, capability: c}}]\n")
    assert sbn_cli(runner, "validate", "a.yaml")[0] == 2
    code, out, _ = sbn_cli(runner, "validate", "a.yaml", "--allow-outside", str(outside))
    assert (code, out) == (0, "(unnamed network): valid: 2 files, 1 partner, 1 module, 0 requests\n")
    # The same for an absolute include, for who and for plan.
    write("b.yaml", f"include: [{outside / 'partners.yaml'}]\nmodules: [{{id: m, partner: p, capability: c}}]\n")
    assert sbn_cli(runner, "who", "c", "--network", "b.yaml")[0] == 2
    assert sbn_cli(runner, "who", "c", "--network", "b.yaml", "--allow-outside", str(outside))[0] == 0
    write("r.yaml", "include: [b.yaml]\nrequests: [{id: r, steps: [{capability: c}]}]\n")
    assert sbn_cli(runner, "plan", "r.yaml", "--format", "json")[0] == 2
    assert sbn_cli(runner, "plan", "r.yaml", "--format", "json", "--allow-outside", str(outside))[0] == 0


def test_the_project_is_the_git_work_tree(runner: CliRunner, write: Write) -> None:
    write("repo/shared.yaml", "partners: [{id: p}]\n")
    write("repo/sub/a.yaml", "include: [../shared.yaml]\nmodules: [{id: m, partner: p, capability: c}]\n")
    # Without .git, the project is the folder of the file named: the include leaves it.
    assert sbn_cli(runner, "validate", "repo/sub/a.yaml")[0] == 2
    Path("repo/.git").mkdir()
    assert sbn_cli(runner, "validate", "repo/sub/a.yaml")[0] == 0
    # A worktree's .git is a file: it counts the same.
    Path("repo/.git").rmdir()
    Path("repo/.git").write_text("gitdir: /elsewhere\n")
    assert sbn_cli(runner, "validate", "repo/sub/a.yaml")[0] == 0


def test_files_named_on_the_command_line_are_always_read(runner: CliRunner, write: Write, outside: Path) -> None:
    (outside / "net.yaml").write_text(NET)
    assert sbn_cli(runner, "validate", str(outside / "net.yaml"))[0] == 0
    # ...also when another file named includes it from its own project.
    write("a.yaml", f"include: [{os.path.relpath(outside / 'net.yaml', Path.cwd())}]\n")
    assert sbn_cli(runner, "validate", "a.yaml")[0] == 2
    assert sbn_cli(runner, "validate", "a.yaml", str(outside / "net.yaml"))[0] == 0


def test_standard_input_belongs_to_the_current_directory(runner: CliRunner, write: Write, outside: Path) -> None:
    write("net.yaml", NET)
    relative = os.path.relpath(outside / "secrets.yaml", Path.cwd())
    assert sbn_cli(runner, "validate", "-", stdin="include: [net.yaml]\n")[0] == 0
    code, out, err = sbn_cli(runner, "validate", "-", stdin=f"include: [{relative}]\n")
    assert code == 2 and "leads outside the project" in err
    assert_secret_kept(out, err)


def test_project_admits_only_below_its_folders(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.yaml").write_text("")
    project = Project.of([str(tmp_path / "in" / "a.yaml")], allow_outside=[str(tmp_path / "extra")])
    assert project.admits(str(tmp_path / "in" / "b.yaml"))
    assert project.admits(str(tmp_path / "extra" / "deep" / "c.yaml"))
    assert not project.admits(str(tmp_path / "inside.yaml"))  # a sibling whose name starts the same
    assert not project.admits(str(tmp_path / "extra-2" / "c.yaml"))
    assert not project.allowed_absolute(str(tmp_path / "in" / "b.yaml"))
    assert project.allowed_absolute(str(tmp_path / "extra" / "c.yaml"))


# -- 2. Endless or huge sources -----------------------------------------------------------------


def test_an_included_fifo_is_refused_without_being_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "a.yaml").write_text("include: [pipe.yaml]\n")
    (tmp_path / "d").mkdir()
    os.mkfifo(tmp_path / "d" / "pipe.yaml")
    (tmp_path / "b.yaml").write_text("include: [d]\n")
    # A subprocess with a timeout: opening a FIFO with no writer would block forever.
    done = run_sbn("validate", "a.yaml", "b.yaml", cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines()[:2] == [
        "a.yaml:1:11: error: included path 'pipe.yaml' is not read: it is a FIFO, not a regular file",
        "d/pipe.yaml:1:1: error: cannot read file: it is a FIFO, not a regular file",
    ]


def test_devices_sockets_and_folders_are_refused_wherever_they_are_named(
    runner: CliRunner, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind("socket.yaml")
    try:
        write("a.yaml", "include: [/dev/zero, socket.yaml]\n")
        code, _, err = sbn_cli(runner, "validate", "a.yaml", "--allow-outside", "/dev")
        assert code == 2
        assert err.splitlines()[:2] == [
            "a.yaml:1:11: error: included path '/dev/zero' is not read: it is a character device, not a regular file",
            "a.yaml:1:22: error: included path 'socket.yaml' is not read: it is a socket, not a regular file",
        ]
        for path, kind in (("/dev/zero", "a character device"), ("socket.yaml", "a socket")):
            assert sbn_cli(runner, "validate", path) == (
                2,
                "",
                f"sbn: error: {path}: it is {kind}, not a regular file; '-' reads standard input\n",
            )
        # In a directory walk: the socket is named as found.
        Path("d").mkdir()
        other = socket.socket(socket.AF_UNIX)
        other.bind("d/socket.yaml")
        write("d/net.yaml", NET)
        code, _, err = sbn_cli(runner, "validate", "d")
        other.close()
        assert code == 2 and "d/socket.yaml:1:1: error: cannot read file: it is a socket, not a regular file" in err
    finally:
        listener.close()


def test_including_the_root_folder_does_not_walk_the_disk(runner: CliRunner, write: Write) -> None:
    write("a.yaml", "include: [/]\n")
    code, _, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2 and "include '/' is an absolute path" in err


def test_standard_input_is_read_up_to_the_limit_only(tmp_path: Path) -> None:
    # /dev/zero never ends: before, sbn read it until memory ran out (exit 3 after gigabytes).
    with open("/dev/zero", "rb") as zero:
        done = run_sbn("validate", "-", cwd=tmp_path, stdin=zero, memory=1024 * 2**20)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        "<stdin>:1:1: error: cannot read standard input: it is larger than the 64 MiB limit of one input"
    )


def test_a_file_over_the_limit_is_refused_before_it_is_read(runner: CliRunner, write: Write, reads: list[str]) -> None:
    big = write("big.yaml", b"")
    with open(big, "r+b") as stream:
        stream.truncate(MAX_INPUT_BYTES + 1)  # sparse: nothing is written
    write("a.yaml", "include: [big.yaml]\n")
    code, _, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2
    assert (
        err.splitlines()[0] == "big.yaml:1:1: error: cannot read file: it is larger than the 64 MiB limit of one input"
    )
    with open(big, "r+b") as stream:
        stream.truncate(MAX_INPUT_BYTES)  # exactly the limit is read
    assert read_file(big)[0] == bytes(MAX_INPUT_BYTES)


def test_a_file_larger_than_it_says_is_read_to_the_limit_plus_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # /proc files say they are empty; what they hold is read up to the limit, one byte more is refused.
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("needs /proc")
    monkeypatch.setattr(sbn.sources, "MAX_INPUT_BYTES", 100)
    with pytest.raises(SourceError, match="larger than the 64 MiB limit"):
        read_file(status)
    monkeypatch.setattr(sbn.sources, "MAX_INPUT_BYTES", 10**6)
    assert read_file(status)[0].startswith(b"Name:")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        # A key of 50 million characters: "did you mean" compared it with every field (gigabytes).
        ("partners:\n- id: p\n  ? {big}\n  : 1\n", "unknown field 'kkkk"),
        # A number of 50 million digits, echoed whole.
        ("partners: [{{id: p, capacity: {digits}}}]\n", "numbers must be at most 1e12 in size, got 9999"),
        # An include name of 50 million characters.
        ('include: ["{big}"]\n', "included path 'kkkk"),
    ],
    ids=["key", "number", "include"],
)
def test_a_50_mb_line_needs_no_gigabytes(tmp_path: Path, document: str, message: str) -> None:
    (tmp_path / "a.yaml").write_text(document.format(big="k" * 50_000_000, digits="9" * 50_000_000))
    done = run_sbn("validate", "a.yaml", cwd=tmp_path, memory=1024 * 2**20)
    assert done.returncode == 2, done.stderr[-500:]
    assert message in done.stderr and "(50,000,000 characters)" in done.stderr
    assert len(done.stderr) < 1000


# -- 3. Quadratic suggestions -------------------------------------------------------------------


def misspelt_network(size: int) -> str:
    """``size`` partners and as many modules, each naming its partner misspelt."""
    partners = "".join(f"  - id: partner-{i:05d}\n" for i in range(size))
    modules = "".join(f"  - {{id: m{i}, partner: partnr-{i:05d}, capability: c}}\n" for i in range(size))
    return f"partners:\n{partners}modules:\n{modules}"


def python_calls(action: Callable[[], object]) -> int:
    """How many Python and C functions ``action`` calls: work, counted the same on every machine."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def test_did_you_mean_is_looked_up_only_for_the_problems_reported(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    closest = sbn.loader.Choices.closest

    def counted(self: sbn.loader.Choices, word: str) -> str | None:
        looked_up.append(word)
        return closest(self, word)

    monkeypatch.setattr(sbn.loader.Choices, "closest", counted)
    write("net.yaml", misspelt_network(400))
    (unit,) = load_units(["net.yaml"])
    assert isinstance(unit, InputError)
    assert len(unit.diagnostics) == 400
    assert len(looked_up) == MAX_REPORTED
    assert unit.diagnostics[0].message == "unknown partner 'partnr-00000' (did you mean 'partner-00000'?)"
    assert unit.diagnostics[MAX_REPORTED].message == f"unknown partner 'partnr-{MAX_REPORTED:05d}'"


def test_validate_work_grows_linearly_with_misspelt_references(write: Write) -> None:
    # Before: 5.9 million calls for 200, 23.5 million for 400 (x4.0, quadratic); now x2.0.
    small, large = (write(f"n{size}.yaml", misspelt_network(size)) for size in (200, 400))
    counts = [python_calls(lambda path=path: load_units([str(path)])) for path in (small, large)]
    assert counts[1] / counts[0] < 2.3, counts


def test_a_small_network_still_lists_what_a_reference_may_name(runner: CliRunner, write: Write) -> None:
    write("a.yaml", "partners: [{id: acme}, {id: bolt}]\nmodules: [{id: m, partner: zeta, capability: c}]\n")
    assert sbn_cli(runner, "validate", "a.yaml")[2].splitlines()[0] == (
        "a.yaml:2:28: error: unknown partner 'zeta'; expected one of: acme, bolt"
    )


def test_choices_give_the_answer_difflib_gives() -> None:
    import difflib

    names = [f"partner-{i:03d}" for i in range(300)] + ["a", "ab", "abcdefghijklmnopqrstuvwxyz", "acme", "acne"]
    choices = sbn.loader.Choices(names)
    for word in ["partner-01", "partnr-042", "acm", "abc", "", "x" * 40, "abcdefghijklmnopq", "parner-299"]:
        expected = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
        assert choices.closest(word) == (expected[0] if expected else None)
    assert choices.closest("k" * 10_000) is None  # too long to be close to anything


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.text("abcde-", max_size=8), max_size=40),
    word=st.text("abcdef-", max_size=9),
)
def test_choices_agree_with_difflib_on_any_names(names: list[str], word: str) -> None:
    import difflib

    expected = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    assert sbn.loader.Choices(names).closest(word) == (expected[0] if expected else None)


# -- 4. Overwriting the input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["requests.yaml", "network.yaml", "partners.yaml", "link.yaml", "hard.yaml", "previous.json"],
    ids=["request-file", "network-path", "include", "symlink", "hard-link", "from-file"],
)
def test_output_may_not_be_any_input(runner: CliRunner, write: Write, target: str) -> None:
    write("requests.yaml", "requests: [{id: r, steps: [{capability: c}]}]\n")
    write("network.yaml", "include: [partners.yaml]\nmodules: [{id: m, partner: p, capability: c}]\n")
    write("partners.yaml", "partners: [{id: p}]\n")
    os.symlink("requests.yaml", "link.yaml")
    os.link("partners.yaml", "hard.yaml")
    base = ["plan", "requests.yaml", "--network", "network.yaml"]
    assert sbn_cli(runner, *base, "--format", "json", "--output", "previous.json")[0] == 0
    before = {name: Path(name).read_bytes() for name in os.listdir(".")}
    code, out, err = sbn_cli(runner, *base, "--from", "previous.json", "--output", target)
    assert (code, out) == (2, "")
    assert err == f"sbn: error: --output {target} is one of the input files: not overwritten; give another file name\n"
    assert {name: Path(name).read_bytes() for name in os.listdir(".")} == before


def test_output_may_not_be_the_file_on_standard_input(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text(NET)
    with open(tmp_path / "net.yaml") as stdin:
        done = run_sbn("plan", "-", "--output", "net.yaml", cwd=tmp_path, stdin=stdin)
    assert done.returncode == 2
    assert (
        done.stderr
        == "sbn: error: --output net.yaml is one of the input files: not overwritten; give another file name\n"
    )
    assert (tmp_path / "net.yaml").read_text() == NET


def test_output_to_a_new_file_is_written(runner: CliRunner, write: Write) -> None:
    write("net.yaml", NET)
    assert sbn_cli(runner, "plan", "net.yaml", "--format", "json", "--output", "plan.json")[0] == 0
    assert json.loads(Path("plan.json").read_text())["schema"] == "sbn.plan/v1"
    # Written again over its own earlier output: that is no input.
    assert sbn_cli(runner, "plan", "net.yaml", "--format", "json", "--output", "plan.json")[0] == 0


# -- 5. Escape sequences and newlines -----------------------------------------------------------


def test_messages_never_carry_control_characters_from_the_input(runner: CliRunner, write: Write) -> None:
    write(
        "a.yaml",
        'include: ["a\\e[2Jb\\nnet.yaml:1:1: error: FORGED"]\n'
        'partners: [{id: p, capacity: "\\e]0;title\\a"}]\n'
        'requests: [{id: r, deadline: "\\u202eevil", steps: [{capability: c}]}]\n',
    )
    for output_format, stream in (("text", 2), ("github", 1), ("json", 1)):
        result = sbn_cli(runner, "validate", "a.yaml", "--format", output_format)
        text = result[stream]
        assert result[0] == 2
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "FORGED" in text and not any(line.startswith("net.yaml") for line in text.splitlines())
    _, _, err = sbn_cli(runner, "validate", "a.yaml")
    assert err.splitlines()[:3] == [
        "a.yaml:1:11: error: included path not found: 'a\\x1b[2Jb\\nnet.yaml:1:1: error: FORGED'",
        "a.yaml:2:30: error: 'capacity': expected a number, got '\\x1b]0;title\\x07'",
        "a.yaml:3:30: error: 'deadline' must be a number or a date like 2027-03-01, got '\\u202eevil'",
    ]


def test_file_names_are_escaped_in_every_format(runner: CliRunner, write: Write) -> None:
    write("d/a\nb\x1b.yaml", "partners: [{id: p, colour: red}]\n")
    code, _, err = sbn_cli(runner, "validate", "d")
    assert code == 2
    assert err.splitlines()[0].startswith("d/a\\nb\\x1b.yaml:1:20: error: unknown field 'colour'")
    code, out, _ = sbn_cli(runner, "validate", "d", "--format", "github")
    assert out.startswith("::error file=d/a\\nb\\x1b.yaml,line=1,col=20::")


def test_usage_errors_escape_what_they_quote(runner: CliRunner, write: Write) -> None:
    write("net.yaml", NET)
    assert sbn_cli(runner, "plan", "x\x1b[2J.yaml")[2] == "sbn: error: x\\x1b[2J.yaml: no such file or directory\n"
    assert sbn_cli(runner, "plan", "net.yaml", "--request", "r\x1b")[2].startswith(
        "sbn: error: unknown request 'r\\x1b'"
    )
    _, _, err = sbn_cli(runner, "who", "c\x1b[2J", "--network", "net.yaml", "--region", "N\nL")
    assert err == "no module offers 'c\\x1b[2J' with region N\\nL (no module offers it at all)\n"


def test_a_newline_in_a_name_does_not_forge_markdown(runner: CliRunner, write: Write) -> None:
    write(
        "net.yaml",
        'network: {name: "heat\\n## FORGED", currency: "EU\\nR"}\n'
        + NET.replace("{id: r,", '{id: r, customer: "Eemvallei\\n# FORGED\\u202e",'),
    )
    code, out, _ = sbn_cli(runner, "plan", "net.yaml", "--format", "markdown")
    assert code == 0
    assert not any(line.startswith(("# FORGED", "## FORGED")) for line in out.splitlines())
    assert "## sbn plan: heat\\n## FORGED" in out
    assert "### r (Eemvallei\\n# FORGED\\u202e): optimal" in out
    assert "Cost (EU\\nR)" in out


def test_json_output_escapes_what_a_terminal_acts_on_and_reads_back_the_same(runner: CliRunner, write: Write) -> None:
    write("net.yaml", 'network: {name: "heat\\u202e\\x85\\x7f"}\n' + NET)
    code, out, _ = sbn_cli(runner, "plan", "net.yaml", "--format", "json")
    assert code == 0
    assert not any(char in out for char in "\u202e\x85\x7f")
    assert '"network": "heat\\u202e\\u0085\\u007f"' in out
    assert json.loads(out)["network"] == "heat\u202e\x85\x7f"


def test_the_quoting_function() -> None:
    assert quote("acme") == "'acme'"
    assert quote("a\x1b[2J\n\u202e\u200b") == "'a\\x1b[2J\\n\\u202e\\u200b'"
    assert quote("9" * 100) == "'" + "9" * 80 + "'... (100 characters)"
    assert quote("1e13", bare=True) == "1e13"
    assert escape("a\nb\x85\u2028") == "a\\nb\\x85\\u2028"
    assert escape("Bjørvika ✓") == "Bjørvika ✓"
    # Plan output keeps layout and letters, not what a terminal or viewer would act on.
    assert clean("a\tb\nc\x1b\u202e\u200d\udc80") == "a\tb\nc\\x1b\\u202e\u200d\\udc80"
    assert one_line("a\nb") == "a\\nb"


# -- 6. Exit 3 where the input is at fault ------------------------------------------------------


def test_a_file_name_too_long_is_an_input_error(runner: CliRunner, write: Write) -> None:
    write("a.yaml", f"include: [{'x' * 300}.yaml]\n")
    code, _, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2
    assert err.splitlines()[0] == (
        f"a.yaml:1:11: error: included path {quote('x' * 300 + '.yaml')} cannot be read: File name too long"
    )


def test_unreadable_files_and_folders_are_input_errors(
    runner: CliRunner, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads everything, so the refusals are simulated where the OS would give them.
    write("a.yaml", "include: [locked.yaml, folder]\n")
    write("locked.yaml", NET)
    write("folder/top.yaml", "partners: [{id: p}]\n")
    write("folder/inner/b.yaml", "partners: [{id: q}]\n")
    real_open, real_scandir = os.open, os.scandir

    def refusing_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("locked.yaml"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    def refusing_scandir(path: Any) -> Any:
        if str(path).endswith("inner"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(sbn.sources.os, "open", refusing_open)
    monkeypatch.setattr(sbn.sources.os, "scandir", refusing_scandir)
    code, _, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2
    assert err.splitlines()[:2] == [
        "locked.yaml:1:1: error: cannot read file: Permission denied",
        "folder/inner:1:1: error: cannot read directory: Permission denied",
    ]


@pytest.mark.skipif(AS_ROOT, reason="root reads files whatever their mode")
def test_unreadable_files_and_folders_are_input_errors_for_real(runner: CliRunner, write: Write) -> None:
    write("a.yaml", "include: [locked.yaml, folder]\n")
    write("locked.yaml", NET)
    write("folder/inner/b.yaml", "partners: [{id: q}]\n")
    os.chmod("locked.yaml", 0)
    os.chmod("folder/inner", 0)
    try:
        code, _, err = sbn_cli(runner, "validate", "a.yaml")
        assert code == 2 and "Permission denied" in err
        assert sbn_cli(runner, "validate", "folder")[0] == 2
    finally:
        os.chmod("folder/inner", 0o755)


def steps_chain(count: int, cycle: bool) -> str:
    """A request whose steps each come after the one before; the first after the last when ``cycle``."""
    steps = "".join(
        f"    - {{id: s{i}, capability: c, after: [s{(i - 1) % count}]}}\n"
        if i or cycle
        else "    - {id: s0, capability: c}\n"
        for i in range(count)
    )
    return (
        "partners: [{id: p}]\nmodules: [{id: m, partner: p, capability: c}]\nrequests:\n  - id: r\n    steps:\n" + steps
    )


def test_a_long_step_cycle_is_reported_and_a_long_chain_is_valid(runner: CliRunner, write: Write) -> None:
    write("cycle.yaml", steps_chain(1_000, cycle=True))
    code, _, err = sbn_cli(runner, "validate", "cycle.yaml")
    assert code == 2
    chain = " -> ".join(f"s{i}" for i in range(20))
    assert err.splitlines()[0] == f"cycle.yaml:6:38: error: step cycle: {chain} -> ... -> s0 (a cycle of 1,000 steps)"
    write("chain.yaml", steps_chain(20_000, cycle=False))
    assert sbn_cli(runner, "validate", "chain.yaml") == (
        0,
        "(unnamed network): valid: 1 file, 1 partner, 1 module, 1 request\n",
        "",
    )


def test_a_long_include_chain_is_valid_and_a_long_include_cycle_reported(runner: CliRunner, write: Write) -> None:
    for i in range(600):
        write(f"c{i}.yaml", f"include: [c{i + 1}.yaml]\n" if i < 599 else "partners: [{id: p}]\n")
    assert sbn_cli(runner, "validate", "c0.yaml")[:2] == (
        0,
        "(unnamed network): valid: 600 files, 1 partner, 0 modules, 0 requests\n",
    )
    write("c599.yaml", "include: [c0.yaml]\n")
    code, _, err = sbn_cli(runner, "validate", "c0.yaml")
    assert code == 2
    chain = " -> ".join(f"c{i}.yaml" for i in range(20))
    assert err.splitlines()[0] == (
        f"c599.yaml:1:11: error: include cycle: {chain} -> ... -> c0.yaml (a cycle of 600 files)"
    )


def test_from_files_that_crashed_are_input_errors(runner: CliRunner, write: Write) -> None:
    write("net.yaml", NET)
    plans = '{"schema": "sbn.plan/v1", "plans": [{"request": "r", "assignments": [%s]}]}'
    write("digits.json", plans % f'{{"step": {"9" * 5000}, "module": "m"}}')
    write("surrogate.json", plans % '{"step": "c", "module": "\\udc80"}')
    code, out, err = sbn_cli(runner, "plan", "net.yaml", "--from", "digits.json")
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == (
        "digits.json:1:79: error: 'step' must be a string, got the number " + "9" * 80 + "... (5,000 characters)"
    )
    for output_format in ("table", "json", "markdown"):
        code, out, err = sbn_cli(runner, "plan", "net.yaml", "--from", "surrogate.json", "--format", output_format)
        assert (code, out) == (2, "")
        assert err.splitlines()[0] == (
            "surrogate.json:1:94: error: 'module' holds a lone surrogate, which is not text: '\\udc80'"
        )


def test_latin1_on_standard_input_is_reported_like_a_file(runner: CliRunner) -> None:
    code, _, err = sbn_cli(runner, "validate", "-", stdin=b"partners: [{id: p, name: caf\xe9}]\n")
    assert code == 2
    assert err.splitlines()[0] == "<stdin>:1:29: error: file is not UTF-8: byte 0xe9 cannot be decoded"


# -- 7. False "valid" ---------------------------------------------------------------------------


def test_a_folder_without_yaml_is_not_valid(runner: CliRunner, write: Write) -> None:
    Path("empty").mkdir()
    assert sbn_cli(runner, "validate", "empty") == (
        2,
        "",
        "sbn: error: empty: no *.yaml or *.yml file in this directory\n",
    )
    write("upper/A.YAML", NET)
    write("upper/b.Yml", NET)
    assert sbn_cli(runner, "validate", "upper")[2] == (
        "sbn: error: upper: no *.yaml or *.yml file in this directory; not read: upper/A.YAML, upper/b.Yml "
        "(only .yaml and .yml are read; the suffix is case-sensitive)\n"
    )


def test_files_passed_over_are_named(runner: CliRunner, write: Write) -> None:
    write("net/a.yaml", NET)
    write("net/B.YAML", NET)
    code, out, err = sbn_cli(runner, "validate", "net")
    assert code == 0
    assert out == "(unnamed network): valid: 1 file, 1 partner, 1 module, 1 request, 1 warning\n"
    assert err == (
        "net/B.YAML:1:1: warning: not read: only files ending in .yaml or .yml are read "
        "(the suffix is case-sensitive)\n"
    )


def test_an_unreadable_subfolder_is_not_valid(runner: CliRunner, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("net/a.yaml", NET)
    write("net/more/b.yaml", "partners: [{id: q}]\n")
    real_scandir = os.scandir

    def refusing(path: Any) -> Any:
        if str(path).endswith("more"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(sbn.sources.os, "scandir", refusing)
    code, _, err = sbn_cli(runner, "validate", "net")
    assert code == 2
    assert err.splitlines()[0] == "net/more:1:1: error: cannot read directory: Permission denied"


def test_an_included_folder_without_yaml_is_a_warning(runner: CliRunner, write: Write) -> None:
    write("net.yaml", "include: [modules]\n" + NET)
    Path("modules").mkdir()
    code, _, err = sbn_cli(runner, "validate", "net.yaml")
    assert code == 0
    assert err == "net.yaml:1:11: warning: this directory holds no *.yaml or *.yml file\n"


# -- 8. Super-linear loading of many files ------------------------------------------------------


def networks_sharing_an_include(folder: Path, count: int) -> Path:
    folder.mkdir()
    (folder / "shared.yaml").write_text("partners: [{id: p}]\n")
    for i in range(count):
        (folder / f"n{i:05d}.yaml").write_text(
            f"network: {{name: n{i}}}\ninclude: [shared.yaml]\nmodules: [{{id: m{i}, partner: p, capability: c}}]\n"
        )
    return folder


def test_validate_work_grows_linearly_with_networks_sharing_an_include(write: Write, tmp_path: Path) -> None:
    # Before: 397,385 calls for 200 networks, 996,039 for 400 (x2.51, growing); now x2.0.
    folders = [networks_sharing_an_include(tmp_path / f"n{count}", count) for count in (200, 400)]
    units = load_units([str(folders[0])])
    assert len(units) == 200 and all(isinstance(unit, Network) and len(unit.files) == 2 for unit in units)
    counts = [python_calls(lambda folder=folder: load_units([str(folder)])) for folder in folders]
    assert counts[1] / counts[0] < 2.2, counts


def test_request_files_sharing_a_network_are_one_unit_beside_others(write: Write) -> None:
    # Loose files join the unit they share a file with, whatever order they come in.
    write("a.yaml", "include: [shared.yaml]\nrequests: [{id: a, steps: [{capability: c}]}]\n")
    write("net1.yaml", "network: {name: one}\ninclude: [shared.yaml]\n" + NET)
    write("net2.yaml", "network: {name: two}\ninclude: [shared.yaml]\n" + NET)
    write("shared.yaml", "partners: [{id: q}]\n")
    one, two = load_units(["a.yaml", "net1.yaml", "net2.yaml"])
    assert isinstance(one, Network) and isinstance(two, Network)
    assert (one.files, two.files) == (("a.yaml", "shared.yaml", "net1.yaml"), ("net2.yaml", "shared.yaml"))


# -- 9. Low ------------------------------------------------------------------------------------


def test_output_in_a_missing_folder_is_refused(runner: CliRunner, write: Write) -> None:
    write("net.yaml", NET)
    assert sbn_cli(runner, "plan", "net.yaml", "--output", "nodir/") == (
        2,
        "",
        "sbn: error: --output nodir/: directory nodir/ does not exist; give a file name\n",
    )
    assert not Path("nodir").exists()


def test_output_names_that_cannot_be_used_are_usage_errors(runner: CliRunner, write: Write) -> None:
    write("net.yaml", NET)
    long = "x" * 5000
    assert sbn_cli(runner, "plan", "net.yaml", "--output", long)[2] == (
        f"sbn: error: --output {'x' * 300}... (5,000 characters): file name too long\n"
    )
    assert sbn_cli(runner, "plan", "net.yaml", "--output", "net.yaml/plan.json")[2] == (
        "sbn: error: cannot write net.yaml/plan.json: directory net.yaml does not exist\n"
    )


def test_a_read_only_output_is_not_replaced(runner: CliRunner, write: Write) -> None:
    write("net.yaml", NET)
    plan = write("plan.txt", "kept\n")
    plan.chmod(0o444)
    assert sbn_cli(runner, "plan", "net.yaml", "--output", "plan.txt") == (
        2,
        "",
        "sbn: error: --output plan.txt is read-only: not replaced\n",
    )
    assert plan.read_text() == "kept\n"
    plan.chmod(0o644)
    assert sbn_cli(runner, "plan", "net.yaml", "--output", "plan.txt")[0] == 0


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text(NET)
    # SIGTERM arrives while the temporary file is complete and not yet renamed.
    script = textwrap.dedent(
        """
        import os, signal, sys
        real_replace = os.replace
        def replace(source, target):
            os.kill(os.getpid(), signal.SIGTERM)
            real_replace(source, target)
        os.replace = replace
        from sbn.cli import main
        sys.exit(main(["plan", "net.yaml", "--format", "json", "--output", "plan.json"]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert sorted(os.listdir(tmp_path)) == ["net.yaml"]


def test_an_empty_include_is_an_error(runner: CliRunner, write: Write) -> None:
    write("a.yaml", 'include: [""]\n' + NET)
    assert sbn_cli(runner, "validate", "a.yaml")[2].splitlines()[0] == (
        "a.yaml:1:11: error: an include must name a file or directory, not ''"
    )


def test_paths_that_are_not_files_are_called_what_they_are(runner: CliRunner, write: Write) -> None:
    os.mkfifo("pipe.yaml")
    assert sbn_cli(runner, "validate", "pipe.yaml")[2] == (
        "sbn: error: pipe.yaml: it is a FIFO, not a regular file; '-' reads standard input\n"
    )
    assert sbn_cli(runner, "validate", "nothing.yaml")[2] == "sbn: error: nothing.yaml: no such file or directory\n"


def test_long_numbers_are_cut_and_huge_exponents_get_the_limits(runner: CliRunner, write: Write) -> None:
    write(
        "a.yaml",
        f"partners:\n  - {{id: p, capacity: {'9' * 100_000}}}\n"
        f"  - {{id: q, capacity: 1e-{'9' * 50}}}\n"
        f"  - {{id: s, capacity: 1e{'9' * 50}}}\n"
        f"  - {{id: t, capacity: 0e{'9' * 50}}}\n",
    )
    code, _, err = sbn_cli(runner, "validate", "a.yaml")
    assert code == 2
    assert err.splitlines() == [
        "a.yaml:2:23: error: 'capacity': numbers must be at most 1e12 in size, got "
        + "9" * 80
        + "... (100,000 characters)",
        "a.yaml:3:23: error: 'capacity': numbers may have at most 30 decimal places, got 1e-" + "9" * 50,
        "a.yaml:4:23: error: 'capacity': numbers must be at most 1e12 in size, got 1e" + "9" * 50,
        "3 errors, 0 warnings",
    ]


def test_from_with_more_than_100_problems_says_how_many_more(runner: CliRunner, write: Write) -> None:
    write("net.yaml", NET)
    plans = [{"request": f"r{i}", "assignments": [{"step": 1, "module": "m"}]} for i in range(150)]
    write("previous.json", json.dumps({"schema": "sbn.plan/v1", "plans": plans}))
    code, _, err = sbn_cli(runner, "plan", "net.yaml", "--from", "previous.json")
    assert code == 2
    assert err.splitlines()[-1] == "... and 50 more problems not shown"
    assert len(err.splitlines()) == MAX_REPORTED + 1


# -- Beyond the issue ---------------------------------------------------------------------------


def test_link_loops_end(runner: CliRunner, write: Write) -> None:
    write("net/a.yaml", NET)
    os.symlink("..", "net/up")  # a folder link back up: not followed
    os.symlink("loop2.yaml", "net/loop1.yaml")
    os.symlink("loop1.yaml", "net/loop2.yaml")
    code, _, err = sbn_cli(runner, "validate", "net")
    assert code == 2
    assert err.splitlines()[:2] == [
        "net/loop1.yaml:1:1: error: cannot read file: Too many levels of symbolic links",
        "net/loop2.yaml:1:1: error: cannot read file: Too many levels of symbolic links",
    ]
    write("b.yaml", "include: [net/loop1.yaml]\n")
    assert (
        "included path 'net/loop1.yaml' cannot be read: Too many levels of symbolic links"
        in (sbn_cli(runner, "validate", "b.yaml")[2])
    )


def test_a_nul_in_an_include_is_an_error(runner: CliRunner, write: Write) -> None:
    write("a.yaml", 'include: ["net\\0.yaml"]\n')
    assert sbn_cli(runner, "validate", "a.yaml")[2].splitlines()[0] == (
        "a.yaml:1:11: error: include 'net\\x00.yaml' holds a NUL character"
    )


def test_a_byte_order_mark_and_crlf_line_ends_are_read(runner: CliRunner, write: Write) -> None:
    write("a.yaml", b"\xef\xbb\xbf" + NET.replace("\n", "\r\n").encode())
    assert sbn_cli(runner, "validate", "a.yaml")[0] == 0
    assert sbn_cli(runner, "validate", "-", stdin=b"\xef\xbb\xbf" + NET.encode())[0] == 0


def test_nesting_beyond_1000_levels_is_a_positioned_error(runner: CliRunner, write: Write) -> None:
    write("a.yaml", "partners: " + "[" * 5000 + "]" * 5000 + "\n")
    assert sbn_cli(runner, "validate", "a.yaml")[2].splitlines()[0] == (
        "a.yaml:1:1010: error: invalid YAML: exceeded maximum nesting depth (while increasing flow level)"
    )
    # Up to the limit, with anchors (the path that builds from the node tree), it is read.
    write("b.yaml", "x: &a " + "[" * 998 + "]" * 998 + "\n")
    assert "unknown top-level key 'x'" in sbn_cli(runner, "validate", "b.yaml")[2]


def test_a_file_swapped_while_opened_is_not_read(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("a.yaml", NET)
    real_open = os.open

    def swapping(name: Any, *args: Any, **kwargs: Any) -> int:
        os.rename(name, f"{name}.old")  # kept, so that its inode number is not given to the new file
        Path(name).write_text(NET)
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(sbn.sources.os, "open", swapping)
    with pytest.raises(SourceError, match="replaced while being opened"):
        read_file(path)


def test_a_file_turned_into_a_link_before_it_is_read_again_is_not_followed(
    write: Write, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A problem's position is found by reading the file again; meanwhile it became a link to a secret.
    path = write("a.yaml", "partners: [{id: p, colour: red}]\n")
    real_read_data, real_read_source = sbn.loader.read_data, sbn.loader.read_source
    read_again: list[str] = []

    def then_swap(source: Any) -> Any:
        result = real_read_data(source)
        path.unlink()
        path.symlink_to(outside / "secrets.yaml")
        return result

    def spy(where: Path, name: str) -> Any:
        read_again.append(os.path.realpath(where))
        return real_read_source(where, name)

    monkeypatch.setattr(sbn.loader, "read_data", then_swap)
    monkeypatch.setattr(sbn.loader, "read_source", spy)
    with pytest.raises(InputError) as error:
        load_network(["a.yaml"])
    assert error.value.diagnostics[0].message.startswith("unknown field 'colour'")
    assert str(outside / "secrets.yaml") not in read_again


def test_many_files_in_one_folder(runner: CliRunner, write: Write) -> None:
    for i in range(2000):
        write(f"net/p{i:04d}.yaml", f"partners: [{{id: p{i}}}]\n")
    assert sbn_cli(runner, "validate", "net")[1] == (
        "(unnamed network): valid: 2000 files, 2000 partners, 0 modules, 0 requests\n"
    )


def test_a_closed_pipe_on_standard_output_ends_quietly(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text(NET)
    reader, writer = os.pipe()
    os.close(reader)
    done = subprocess.run(
        [sys.executable, "-m", "sbn", "plan", "net.yaml", "--format", "json"],
        cwd=tmp_path,
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(writer)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_a_project_walk_lists_what_it_passed_over(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("")
    (tmp_path / "B.YML").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    listing = sbn.sources.walk(tmp_path)
    assert listing.files == [tmp_path / "a.yaml", tmp_path / "sub" / "c.yml"]
    assert listing.skipped == [tmp_path / "B.YML"]
    assert listing.unreadable == []


def test_a_usage_error_is_raised_for_a_missing_path(write: Write) -> None:
    with pytest.raises(UsageError, match=r"^nothere\.yaml: no such file or directory$"):
        load_network(["nothere.yaml"])


@pytest.fixture(autouse=True)
def _no_stray_signal_handler() -> Iterator[None]:
    before = signal.getsignal(signal.SIGTERM)
    yield
    assert signal.getsignal(signal.SIGTERM) == before


# -- The commands beside plan, validate and who ------------------------------------------------


def test_network_keeps_to_the_project_unless_allowed(runner: CliRunner, write: Write, outside: Path) -> None:
    (outside / "partners.yaml").write_text("partners: [{id: p}]\n")
    relative = os.path.relpath(outside / "partners.yaml", Path.cwd())
    write("net.yaml", f"include: [{relative}]\nmodules: [{{id: m, partner: p, capability: c}}]\n")
    code, _, err = sbn_cli(runner, "network", "net.yaml")
    assert code == 2 and "leads outside the project" in err
    assert sbn_cli(runner, "network", "net.yaml", "--allow-outside", str(outside), "--format", "json")[0] == 0


def test_network_json_escapes_what_a_terminal_acts_on(runner: CliRunner, write: Write) -> None:
    write("net.yaml", 'network: {name: "n\\u202e"}\n' + NET)
    code, out, _ = sbn_cli(runner, "network", "net.yaml", "--format", "json")
    assert code == 0 and "\u202e" not in out and json.loads(out)["network"] == "n\u202e"


def test_diff_refuses_what_is_not_a_regular_file_and_bounds_numbers(tmp_path: Path) -> None:
    plan = '{"schema": "sbn.plan/v1", "plans": [{"request": "r", "status": "optimal", "cost": 1, "finish": %s}]}'
    (tmp_path / "old.json").write_text(plan % "1")
    (tmp_path / "new.json").write_text(plan % ("9" * 5000))
    os.mkfifo(tmp_path / "pipe.json")
    # A subprocess with a timeout: reading a FIFO without a writer would block.
    done = run_sbn("diff", "old.json", "pipe.json", cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stderr) == (2, "sbn: error: pipe.json: it is a FIFO, not a regular file\n")
    done = run_sbn("diff", "old.json", "new.json", cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert "'finish' must be a whole number or null, got the number " + "9" * 80 + "... (5,000 characters)" in (
        done.stderr
    )


def test_completion_reads_as_sbn_reads(tmp_path: Path, outside: Path) -> None:
    from sbn.completion import partner_ids

    (tmp_path / "ours.yaml").write_text("partners: [{id: ours}]\n")
    (outside / "theirs.yaml").write_text("partners: [{id: theirs}]\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    relative = os.path.relpath(outside / "theirs.yaml", tmp_path)
    # Invalid, so completion falls back to reading the ids its files declare.
    (tmp_path / "req.yaml").write_text(
        f"include: [pipe.yaml, /dev/zero, {relative}, ours.yaml]\npartners: [{{id: mine, bad: 1}}]\n"
    )
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: pytest.fail("completion hung"))
    signal.alarm(60)
    try:
        found = partner_ids([str(tmp_path / "req.yaml")], [], "")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert found == ["mine", "ours"]  # nothing from outside the project, no hang on the FIFO or /dev/zero


def test_init_never_writes_through_a_link_out_of_its_folder(tmp_path: Path, outside: Path) -> None:
    target = tmp_path / "net"
    target.mkdir()
    os.symlink(outside, target / "modules")
    done = run_sbn("init", "net", cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert "its folder leads outside net; sbn init writes only in DIR" in done.stderr
    assert sorted(os.listdir(outside)) == ["secrets.yaml"]
    assert sorted(os.listdir(target)) == ["modules"]


def test_diff_of_hand_written_plans_with_whole_costs_and_controls(runner: CliRunner, write: Write) -> None:
    plan = (
        '{"schema": "sbn.plan/v1", "plans": [{"request": "r\\u001b[2J", "status": "optimal", "cost": %d, '
        '"finish": 1, "assignments": [{"step": "s", "module": "%s", "partner": "p", "start": 0, "cost": %d}]}]}'
    )
    write("a.json", plan % (1, "m", 1))
    write("b.json", plan % (2, "m2", 2))
    code, out, err = sbn_cli(runner, "diff", "a.json", "b.json")
    assert (code, err) == (1, "")  # a whole-number cost crashed the table (exit 3)
    assert "Request r\\x1b[2J: changed" in out and "\x1b" not in out
    assert "cost 1.00 -> 2.00 (+1.00)" in out
