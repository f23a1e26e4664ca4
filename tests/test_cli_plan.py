"""`sbn plan` end to end on the bundled examples: golden output per format, exit codes, atomic output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import CLI_ENV, ROOT
from typer.testing import CliRunner

from sbn.cli import app, main

WEBSHOP = "examples/webshop/requests.yaml"
HEAT = "examples/heat-transition/requests.yaml"
CREWS = "examples/heat-transition/crews.yaml"


pytestmark = pytest.mark.usefixtures("repo_root")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("webshop.table.txt", [WEBSHOP]),
        ("webshop.json", [WEBSHOP, "--format", "json"]),
        ("webshop.yaml", [WEBSHOP, "--format", "yaml"]),
        ("webshop.md", [WEBSHOP, "--format", "markdown"]),
        # A dated request with a deadline: the finish date follows the finish, as in the table.
        ("heat-pilot.md", [HEAT, "--format", "markdown", "--request", "eemvallei-amersfoort-pilot-12"]),
        ("heat.table.txt", [HEAT]),
        ("heat.json", [HEAT, "--format", "json"]),
        ("heat-backups.table.txt", [HEAT, "--backups", "--request", "eemvallei-amersfoort-pilot-12"]),
        # Resources over time (SPEC §6): the second Arnhem project waits for Gelre's crews.
        ("crews.table.txt", [CREWS]),
        ("crews.json", [CREWS, "--format", "json"]),
        ("crews.md", [CREWS, "--format", "markdown"]),
    ],
)
def test_plan_output_matches_golden(name: str, args: list[str], golden: Callable[[str, str], None]) -> None:
    code, out, err = invoke("plan", *args)
    assert code == 0, err
    golden(f"plan/{name}", out)


def test_infeasible_example_explains_itself_and_exits_1(golden: Callable[[str, str], None]) -> None:
    code, out, _ = invoke("plan", "examples/heat-transition/impossible.yaml", "--format", "json")
    assert code == 1
    plan = json.loads(out)["plans"][0]
    assert plan["status"] == "infeasible"
    assert plan["reasons"] == ["deadline: the earliest finish meeting everything else is day 23; deadline is day 14"]
    code, out, _ = invoke("plan", "examples/webshop/impossible.yaml")
    assert code == 1
    golden("plan/webshop-impossible.table.txt", out)


def test_explain_lists_every_rejected_candidate() -> None:
    code, out, _ = invoke("plan", "examples/webshop/impossible.yaml", "--explain", "--format", "json")
    assert code == 1
    steps = {step["step"]: step for step in json.loads(out)["plans"][0]["steps"]}
    install = steps["install"]
    assert install["fit"] == 0
    assert install["offered"] == len(install["rejected"]) == 3
    assert all(r["reason"] == "does not serve region FR" for r in install["rejected"])


def test_json_is_byte_identical_across_runs() -> None:
    first = invoke("plan", HEAT, "--format", "json")[1]
    second = invoke("plan", HEAT, "--format", "json")[1]
    assert first == second


def test_output_file_is_written_whole_and_nothing_on_stdout(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    code, out, _ = invoke("plan", WEBSHOP, "--format", "json", "--output", str(target))
    assert code == 0
    assert out == ""
    assert target.read_text() == invoke("plan", WEBSHOP, "--format", "json")[1]
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_bad_input_leaves_existing_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("previous")
    bad = tmp_path / "bad.yaml"
    bad.write_text("requests:\n  - id: r\n    steps: []\n")
    code, _out, err = invoke("plan", str(bad), "--output", str(target))
    assert code == 2
    assert target.read_text() == "previous"
    assert "bad.yaml:3:12: error: 'steps' must not be empty" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", WEBSHOP, "--request", "nope"], "sbn: error: unknown request 'nope'"),
        (["plan", WEBSHOP, "--without", "nobody"], "sbn: error: unknown partner 'nobody'"),
        (["plan", "missing.yaml"], "sbn: error: missing.yaml: no such file or directory"),
        (["plan", WEBSHOP, "--format", "xml"], "Invalid value for '--format'"),
        (["plan", "examples/webshop/network.yaml"], "sbn: error: no requests to plan in the files given"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_internal_error_is_one_line_and_debug_shows_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sbn.planner

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sbn.planner, "plan_run", broken)
    assert main(["plan", WEBSHOP]) == 3
    err = capsys.readouterr().err
    assert err == "sbn: internal error: RuntimeError: boom (a bug; run with --debug for the traceback)\n"
    assert main(["plan", WEBSHOP, "--debug"]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err


def test_stdin_is_read_with_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "examples/webshop/requests.yaml").read_text().replace("include: [network.yaml]", "")
    result = CliRunner().invoke(
        app, ["plan", "-", "--network", "examples/webshop/network.yaml", "--format", "json"], input=text, env=CLI_ENV
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["plans"][0]["request"] == "soundbar-launch-nl-500"


@pytest.mark.parametrize("args", [["--help"], ["validate", "examples"]])
def test_help_and_validate_do_not_import_the_solver(args: list[str]) -> None:
    code = (
        f"import sys; from sbn.cli import main; code = main({args!r}); "
        "assert 'highspy' not in sys.modules, 'solver imported'; sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_no_color_and_not_a_terminal_means_no_escape_codes() -> None:
    _, out, _ = invoke("plan", WEBSHOP)
    assert "\x1b[" not in out


def assignment_problem(seed: int, agents: int = 6, jobs: int = 30) -> str:
    """A small generalised assignment problem as a request: jobs to capacity-limited partners, cheapest total."""
    import random

    rng = random.Random(seed)
    lines = ["partners:"]
    lines += [f"  - {{id: a{a}, capacity: {rng.randint(40, 60)}}}" for a in range(agents)]
    lines.append("modules:")
    for j in range(jobs):
        for a in range(agents):
            cost, usage = rng.randint(10, 50), rng.randint(5, 25)
            lines.append(f"  - {{id: j{j}-a{a}, partner: a{a}, capability: job{j}, cost: {cost}, usage: {usage}}}")
    lines += ["requests:", "  - id: gap", "    optimize: [cost]", "    steps:"]
    lines += [f"      - capability: job{j}" for j in range(jobs)]
    return "\n".join(lines) + "\n"


def plan_json(tmp_path: Path, text: str, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    source = tmp_path / "gap.yaml"
    source.write_text(text, encoding="utf-8")
    output = tmp_path / "plan.json"
    code = main(["plan", str(source), "--format", "json", "--output", str(output), *args])
    return code, json.loads(output.read_text(encoding="utf-8"))


def test_node_limit_stops_the_search_the_same_way_every_time(tmp_path: Path) -> None:
    text = assignment_problem(1)
    code, limited = plan_json(tmp_path, text, "--node-limit", "1")
    plan = limited["plans"][0]
    assert code == 1
    assert plan["status"] == "feasible"
    assert plan["reasons"] == ["stopped by the node limit of 1: best plan found, not proven optimal"]
    _, again = plan_json(tmp_path, text, "--node-limit", "1")
    assert again == limited
    code, full = plan_json(tmp_path, text)
    assert code == 0
    assert full["plans"][0]["status"] == "optimal"
    assert full["plans"][0]["cost"] < plan["cost"]


def test_node_limit_that_the_search_does_not_reach_changes_nothing(tmp_path: Path) -> None:
    text = assignment_problem(0)
    code, limited = plan_json(tmp_path, text, "--node-limit", "1")
    assert code == 0
    _, full = plan_json(tmp_path, text)
    assert limited == full
    assert full["plans"][0]["status"] == "optimal"


def test_node_limit_must_be_positive(tmp_path: Path) -> None:
    source = tmp_path / "gap.yaml"
    source.write_text(assignment_problem(0, agents=2, jobs=2), encoding="utf-8")
    assert main(["plan", str(source), "--node-limit", "0"]) == 2


LATE = """\
partners: [{id: p}]
modules: [{id: m, partner: p, capability: c, lead_time: 2}]
requests:
  - {id: late, start: 9999-12-30, steps: [{capability: c}]}
  - {id: fits, start: 9999-12-29, steps: [{capability: c}]}
"""


@pytest.mark.parametrize("fmt", ["table", "json", "yaml", "markdown"])
def test_a_plan_ending_after_9999_12_31_is_printed_without_dates(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / "late.yaml"
    source.write_text(LATE, encoding="utf-8")
    code, out, err = invoke("plan", str(source), "--format", fmt)
    assert (code, err) == (0, "")
    if fmt == "json":
        late, fits = json.loads(out)["plans"]
        assert (late["start_date"], late["finish_date"], late["finish"]) == ("9999-12-30", None, 2)
        assert late["assignments"][0]["start_date"] is None and late["assignments"][0]["finish_date"] is None
        assert (fits["finish_date"], fits["assignments"][0]["start_date"]) == ("9999-12-31", "9999-12-29")
    elif fmt != "yaml":
        assert "finish day 2 (after 9999-12-31)" in out and "finish day 2 (9999-12-31)" in out


def test_an_output_that_is_a_directory_is_a_usage_error_before_planning(tmp_path: Path) -> None:
    code, out, err = invoke("plan", WEBSHOP, "--output", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"sbn: error: --output {tmp_path} is a directory: give a file name, e.g. {tmp_path / 'plan.json'}\n"
    assert list(tmp_path.iterdir()) == []


def test_an_output_in_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    code, _out, err = invoke("plan", WEBSHOP, "--output", str(tmp_path / "missing" / "plan.json"))
    assert code == 2 and err.startswith("sbn: error: cannot write ") and "does not exist" in err


def test_markdown_quotes_a_multi_paragraph_ambition_whole(tmp_path: Path) -> None:
    source = tmp_path / "net.yaml"
    source.write_text(
        "network:\n  ambition: |\n    First paragraph,\n    still first.\n\n    Second paragraph.\n" + LATE,
        encoding="utf-8",
    )
    code, out, _ = invoke("plan", str(source), "--format", "markdown", "--request", "fits")
    assert code == 0
    assert out.startswith(
        "## sbn plan: (unnamed network)\n\n> First paragraph,\n> still first.\n>\n> Second paragraph.\n\n### fits"
    )
    assert "; 1 partner\n" in out


MARKUP = """\
network: {currency: "EUR[/]", time_unit: "day[b]"}
partners: [{id: p}]
modules:
  - {id: m1, partner: p, capability: a, outputs: ["[red]box[/]"]}
  - {id: m2, partner: p, capability: b, inputs: ["[red]box[/]"]}
requests:
  - id: r
    steps: [{id: s1, capability: a}, {id: s2, capability: b, after: [s1]}]
"""


def test_user_text_in_the_table_is_printed_as_written_never_as_markup(tmp_path: Path) -> None:
    source = tmp_path / "net.yaml"
    source.write_text(MARKUP, encoding="utf-8")
    code, out, err = invoke("plan", str(source))
    assert code == 0, err
    assert "[red]box[/] <- s1" in out
    assert "EUR[/]" in out
    assert "Day[b]s" in out


def test_json_keeps_strings_holding_nul_characters_as_strings(tmp_path: Path) -> None:
    text = (
        "partners: [{id: p}]\nmodules:\n"
        '  - {id: m, partner: p, capability: "\\0-\\0", outputs: ["\\x0042\\x00"], cost: 1.5}\n'
        '  - {id: m2, partner: p, capability: b, inputs: ["\\x0042\\x00"]}\n'
        'requests:\n  - id: r\n    steps: [{id: s, capability: "\\0-\\0"}, {id: t, capability: b, after: [s]}]\n'
    )
    code, data = plan_json(tmp_path, text)
    assert code == 0
    first, second = data["plans"][0]["assignments"]
    assert first["capability"] == "\0-\0"
    assert second["handoffs"][0]["interface"] == "\x0042\x00"
    assert first["cost"] == 1.5


def test_backups_and_changes_are_printed_whole_at_80_columns(tmp_path: Path) -> None:
    previous = tmp_path / "plan.json"
    assert main(["plan", WEBSHOP, "--format", "json", "--output", str(previous)]) == 0
    args = ["plan", WEBSHOP, "--without", "plzen-electro", "--from", str(previous), "--backups"]
    args += ["--request", "soundbar-launch-nl-500"]
    result = CliRunner().invoke(app, [*args, "--format", "json"], env=CLI_ENV)
    (plan,) = json.loads(result.stdout)["plans"]
    table = CliRunner().invoke(app, args, env={**CLI_ENV, "COLUMNS": "80"}).stdout
    assert max(len(line) for line in table.splitlines()) <= 80
    for a in plan["assignments"]:
        if a["backup"] is not None:
            days = abs(a["backup"]["finish_delta"])
            assert f"  {a['step']}: {a['backup']['module']} ({a['backup']['partner']}), " in table
            assert f"{days} day{'s' if days != 1 else ''}" in table
        else:
            assert f"  {a['step']}: NONE" in table
    assert re.search(r"moved, was\s+plzen-line", table)


def test_yaml_quotes_strings_a_yaml_1_2_reader_would_take_for_numbers(tmp_path: Path) -> None:
    source = tmp_path / "net.yaml"
    names = ["1e3", "0o17", "0x1F", ".inf", "-.5", "null", "TRUE", "12", "\x85nel", "a\u2028b", "c\u2029"]
    modules = "".join(f"  - {{id: m{i}, partner: p, capability: {json.dumps(name)}}}\n" for i, name in enumerate(names))
    steps = ", ".join(f"{{id: s{i}, capability: {json.dumps(name)}}}" for i, name in enumerate(names))
    source.write_text(f"partners: [{{id: p}}]\nmodules:\n{modules}requests:\n  - id: r\n    steps: [{steps}]\n")
    json_out = json.loads(invoke("plan", str(source), "--format", "json")[1])
    code, out, _ = invoke("plan", str(source), "--format", "yaml")
    assert code == 0
    for name in names[:8]:
        assert f"'{name}'" in out
    import yaml

    assert yaml.safe_load(out) == json_out


def test_the_budget_is_written_as_it_is_compared_in_whole_cents(tmp_path: Path) -> None:
    source = tmp_path / "net.yaml"
    source.write_text(
        "partners: [{id: p}]\nmodules: [{id: m, partner: p, capability: c, cost: 12.34}]\n"
        "requests: [{id: r, budget: 12.345678, steps: [{capability: c}]}]\n"
    )
    code, data = plan_json(tmp_path, source.read_text())
    assert code == 0
    assert (data["plans"][0]["budget"], data["plans"][0]["cost"]) == (12.34, 12.34)
    assert '"budget": 12.34,' in invoke("plan", str(source), "--format", "json")[1]


def test_output_through_a_symlink_replaces_the_file_it_points_at_and_keeps_modes(tmp_path: Path) -> None:
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("{}\n")
    target.chmod(0o640)
    link.symlink_to(target.name)
    assert main(["plan", WEBSHOP, "--request", "returns-q1-nl-120", "-f", "json", "-o", str(link)]) == 0
    assert link.is_symlink() and json.loads(target.read_text())["schema"] == "sbn.plan/v1"
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.json"
    umask = os.umask(0o022)
    try:
        assert main(["plan", WEBSHOP, "--request", "returns-q1-nl-120", "-f", "json", "-o", str(fresh)]) == 0
    finally:
        os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.json", "link.json", "target.json"]


def test_output_to_a_pipe_writes_into_the_pipe(tmp_path: Path) -> None:
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()), daemon=True)
    reader.start()
    code = main(["plan", WEBSHOP, "--request", "returns-q1-nl-120", "-f", "json", "-o", str(pipe)])
    reader.join(timeout=30)
    assert code == 0
    assert received, "nothing was written into the pipe"
    assert json.loads(received[0])["schema"] == "sbn.plan/v1"
    assert pipe.is_fifo()


@pytest.mark.parametrize("width", [40, 60, 80, 100, 160])
def test_the_table_output_loses_nothing_at_any_width(width: int) -> None:
    args = ["plan", WEBSHOP, "--request", "soundbar-launch-nl-500"]
    (plan,) = json.loads(invoke(*args, "--format", "json")[1])["plans"]
    out = CliRunner().invoke(app, args, env={**CLI_ENV, "COLUMNS": str(width)}).stdout
    assert max(len(line) for line in out.splitlines()) <= width
    for a in plan["assignments"]:
        assert f"{a['cost']:,.2f}" in out
    if width <= 60:  # too narrow for the table: one block per step, every handoff on a line of its own
        for a in plan["assignments"]:
            for h in a["handoffs"]:
                assert f"handoff: {h['interface']} <- {h['from']}" in out
    else:
        assert "Step / capability" in out
    # every character of every id is printed somewhere, in table cells or blocks alike
    printed = sorted(ch for ch in out if not ch.isspace())
    for a in plan["assignments"]:
        for text in (a["module"], a["partner"], a["step"], a["capability"]):
            for ch in set(text):
                assert printed.count(ch) >= text.count(ch)


def test_a_long_cost_is_never_cut_in_a_narrow_table(tmp_path: Path) -> None:
    source = tmp_path / "net.yaml"
    long_id = "module-with-a-really-really-really-long-identifier-" + "x" * 30
    source.write_text(
        f"partners: [{{id: p}}]\nmodules:\n  - {{id: {long_id}, partner: p, capability: a, cost: 123456789012.34,"
        " outputs: [a-very-long-interface-name-that-keeps-going]}\n"
        "  - {id: m2, partner: p, capability: b, inputs: [a-very-long-interface-name-that-keeps-going]}\n"
        "requests: [{id: r, steps: [{capability: a}, {capability: b, after: [a]}]}]\n"
    )
    for width in ("60", "80"):
        out = CliRunner().invoke(app, ["plan", str(source)], env={**CLI_ENV, "COLUMNS": width}).stdout
        assert "123,456,789,012.34" in out
        assert "a-very-long-interface-name-that-keeps-going <- a" in out
        assert max(len(line) for line in out.splitlines()) <= int(width)


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_control_characters_in_user_text_never_reach_the_terminal(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / "net.yaml"
    source.write_text(
        'network: {name: "a\\e[31mred", ambition: "\\e[2Jclear"}\npartners: [{id: p}]\n'
        "modules: [{id: m, partner: p, capability: a}]\n"
        'requests: [{id: r, customer: "\\e]0;title\\a\\x85", steps: [{capability: a}]}]\n'
    )
    code, out, _ = invoke("plan", str(source), "--format", fmt)
    assert code == 0
    assert not any(ch in out for ch in "\x1b\x07\x85")
    assert "a\\x1b[31mred" in out and "\\x1b[2Jclear" in out and "\\x1b]0;title\\x07\\x85" in out


def test_time_limit_inf_means_no_limit_and_nan_is_refused(tmp_path: Path) -> None:
    code, out, _ = invoke("plan", WEBSHOP, "--format", "json", "--time-limit", "inf")
    assert code == 0
    assert out == invoke("plan", WEBSHOP, "--format", "json")[1]
    code, _, err = invoke("plan", WEBSHOP, "--time-limit", "nan")
    assert code == 2 and "--time-limit" in err


NO_NETWORK = (
    "note: the files read declare 0 partners and 0 modules: is the network missing? Name its files or folder "
    "on the command line too (plan and who: --network PATH), or include them (include: [PATH])"
)


def test_a_request_file_planned_without_its_network_says_the_network_is_missing(tmp_path: Path) -> None:
    # A forgotten include (issue 16, defect 5): one note first, instead of a warning per step.
    requests = tmp_path / "requests.yaml"
    requests.write_text("requests:\n  - id: r\n    steps: [{capability: assembly}, {capability: painting}]\n")
    code, out, err = invoke("plan", str(requests))
    assert code == 1
    assert err.splitlines() == [f"{requests}:1:1: {NO_NETWORK}"]
    assert "no module in the network offers this capability" in out


def test_the_same_request_file_with_its_network_gets_no_note(tmp_path: Path) -> None:
    requests = tmp_path / "requests.yaml"
    requests.write_text("requests:\n  - id: r\n    steps: [{capability: assembly}]\n")
    code, _, err = invoke("plan", str(requests), "--network", "examples/webshop")
    assert (code, err) == (0, "")


def test_plan_of_a_folder_of_several_networks_says_what_to_do() -> None:
    # validate checks each network on its own and says so; plan reads one network (issue 16, defect 6).
    code, out, err = invoke("plan", "examples/")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "examples/webshop/network.yaml:13:1: error: network declared more than once: "
        "first at examples/heat-transition/network.yaml:12:1",
        "examples/webshop/network.yaml:13:1: note: the files read hold 2 separate networks, 'heat-transition-utrecht' "
        "and 'voltwerk-webshop': plan, who and network read all the files they are given as one network, "
        "so give them one network's files (sbn validate checks each network under a folder on its own)",
    ]
    # One network's folder: no such note.
    assert invoke("plan", "examples/webshop/requests.yaml")[2] == ""


def test_a_backup_that_keeps_the_finish_says_so_instead_of_plus_zero_days() -> None:
    code, out, _ = invoke("plan", "examples/heat-transition/crews.yaml", "--backups")
    assert code == 0
    assert "  supply: polderwarmte-budget-line (polderwarmte), +4,500.00 EUR, same finish\n" in out
    assert "  supply: polderwarmte-budget-line (polderwarmte), +5,300.00 EUR, +30 days\n" in out
    assert "+0 day" not in out
