"""`sbn validate`: exit codes, the text, JSON and GitHub formats, the report limit, and golden output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import GOLDEN, ROOT
from typer.testing import CliRunner

from sbn.cli import app, main
from sbn.commands.validate import github_annotation
from sbn.errors import Diagnostic

Write = Callable[[str, str | bytes], Path]
GOLDEN_INPUT = GOLDEN / "validate"

OK_SMALL = """\
network:
  name: tiny
partners:
  - id: acme
modules:
  - id: acme-weld
    partner: acme
    capability: weld
requests:
  - id: r1
    steps: [{capability: weld}]
"""
BAD = "partners:\n  - id: acme\n    reputaton: 1\nmodules:\n  - {id: m, partner: acne, capability: weld}\n"
BAD_TEXT = [
    "bad.yaml:3:5: error: unknown field 'reputaton' (did you mean 'reputation'?)",
    "bad.yaml:5:22: error: unknown partner 'acne' (did you mean 'acme'?)",
]


def validate(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["validate", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_valid_network_exits_0_with_a_summary(runner: CliRunner, write: Write) -> None:
    write("net.yaml", OK_SMALL)
    assert validate(runner, "net.yaml") == (0, "tiny: valid: 1 file, 1 partner, 1 module, 1 request\n", "")


def test_an_invalid_network_exits_2_with_every_problem_on_stderr(runner: CliRunner, write: Write) -> None:
    write("bad.yaml", BAD)
    assert validate(runner, "bad.yaml") == (2, "", "\n".join([*BAD_TEXT, "2 errors, 0 warnings"]) + "\n")


def test_main_returns_the_exit_code(
    write: Write, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    write("bad.yaml", BAD)
    write("net.yaml", OK_SMALL)
    assert main(["validate", "bad.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [*BAD_TEXT, "2 errors, 0 warnings"]
    assert main(["validate", "net.yaml"]) == 0
    assert capsys.readouterr().out == "tiny: valid: 1 file, 1 partner, 1 module, 1 request\n"


def test_a_capability_no_module_offers_is_a_warning_and_exits_0(runner: CliRunner, write: Write) -> None:
    write("net.yaml", OK_SMALL + "  - id: r2\n    steps: [{capability: fly}]\n")
    code, out, err = validate(runner, "net.yaml")
    assert code == 0
    assert out == "tiny: valid: 1 file, 1 partner, 1 module, 2 requests, 1 warning\n"
    assert err == "net.yaml:13:26: warning: no module offers capability 'fly' (step 'fly')\n"


def test_warnings_are_listed_beside_errors(runner: CliRunner, write: Write) -> None:
    write("bad.yaml", BAD + "requests:\n  - id: r\n    steps: [{capability: fly}]\n")
    code, out, err = validate(runner, "bad.yaml")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        *BAD_TEXT,
        "bad.yaml:8:26: warning: no module offers capability 'fly' (step 'fly')",
        "2 errors, 1 warning",
    ]


def test_json_lists_every_diagnostic_on_stdout(runner: CliRunner, write: Write) -> None:
    write("bad.yaml", BAD)
    code, out, err = validate(runner, "bad.yaml", "--format", "json")
    assert (code, err) == (2, "")
    assert json.loads(out) == [
        {
            "file": "bad.yaml",
            "line": 3,
            "column": 5,
            "severity": "error",
            "message": "unknown field 'reputaton' (did you mean 'reputation'?)",
        },
        {
            "file": "bad.yaml",
            "line": 5,
            "column": 22,
            "severity": "error",
            "message": "unknown partner 'acne' (did you mean 'acme'?)",
        },
    ]


def test_json_of_a_valid_network_is_an_empty_list(runner: CliRunner, write: Write) -> None:
    write("net.yaml", OK_SMALL)
    assert validate(runner, "net.yaml", "--format", "json") == (0, "[]\n", "")


def test_github_annotations_go_to_stdout(runner: CliRunner, write: Write) -> None:
    write("bad.yaml", BAD + "requests:\n  - id: r\n    steps: [{capability: fly}]\n")
    code, out, err = validate(runner, "bad.yaml", "--format", "github")
    assert code == 2
    assert out.splitlines() == [
        "::error file=bad.yaml,line=3,col=5::unknown field 'reputaton' (did you mean 'reputation'?)",
        "::error file=bad.yaml,line=5,col=22::unknown partner 'acne' (did you mean 'acme'?)",
        "::warning file=bad.yaml,line=8,col=26::no module offers capability 'fly' (step 'fly')",
    ]
    assert err == "2 errors, 1 warning\n"


@pytest.mark.parametrize(
    ("github_actions", "args", "expected"),
    [
        ("true", [], "github"),
        ("true", ["--format", "auto"], "github"),
        ("true", ["--format", "text"], "text"),
        ("false", [], "text"),
        (None, [], "text"),
        (None, ["--format", "github"], "github"),
    ],
)
def test_auto_format_is_github_only_in_github_actions(
    runner: CliRunner, write: Write, github_actions: str | None, args: list[str], expected: str
) -> None:
    write("bad.yaml", BAD)
    env = {"GITHUB_ACTIONS": github_actions} if github_actions is not None else None
    code, out, err = validate(runner, "bad.yaml", *args, env=env)
    assert code == 2
    if expected == "github":
        assert out.startswith("::error file=bad.yaml,line=3,col=5::") and BAD_TEXT[0] not in err
    else:
        assert out == "" and err.startswith(BAD_TEXT[0])


@pytest.mark.parametrize(
    ("diagnostic", "expected"),
    [
        (
            Diagnostic("a.yaml", 3, 5, "plain message"),
            "::error file=a.yaml,line=3,col=5::plain message",
        ),
        # Data: '%' is escaped; ':' and ',' are not. CR and LF never reach it raw: a Diagnostic escapes
        # them (and every other control character) when it is made, so no line can be forged.
        (
            Diagnostic("a.yaml", 1, 1, "100% sure: a, b\r\nnext line\x1b[2J"),
            "::error file=a.yaml,line=1,col=1::100%25 sure: a, b\\r\\nnext line\\x1b[2J",
        ),
        # Properties: '%', CR, LF, ':' and ',' are escaped.
        (
            Diagnostic("C:/we,ird/50%.yaml", 2, 7, "x", "warning"),
            "::warning file=C%3A/we%2Cird/50%25.yaml,line=2,col=7::x",
        ),
        (
            Diagnostic("a\nb.yaml", 1, 1, "x"),
            "::error file=a\\nb.yaml,line=1,col=1::x",
        ),
    ],
)
def test_github_annotation_escapes_as_github_requires(diagnostic: Diagnostic, expected: str) -> None:
    assert github_annotation(diagnostic) == expected


def test_github_escaping_end_to_end(runner: CliRunner, write: Write) -> None:
    # A file name with ':', ',' and '%', and a message holding a newline (the include path as written).
    write("we,ird:50%.yaml", 'include: ["100%\\nsure.yaml"]\n')
    code, out, _ = validate(runner, "we,ird:50%.yaml", "--format", "github")
    assert code == 2
    assert out == "::error file=we%2Cird%3A50%25.yaml,line=1,col=11::included path not found: '100%25\\nsure.yaml'\n"


def test_at_most_100_problems_are_shown_then_a_count(runner: CliRunner, write: Write) -> None:
    write("many.yaml", "partners:\n" + "".join(f"  - id: p{i}\n    colour: red\n" for i in range(150)))
    unknown = (
        "unknown field 'colour'; expected one of: id, name, region, certifications, reputation, capacity, interests"
    )

    code, out, err = validate(runner, "many.yaml")
    lines = err.splitlines()
    assert (code, out, len(lines)) == (2, "", 102)
    assert lines[0] == f"many.yaml:3:5: error: {unknown}"
    assert lines[99] == f"many.yaml:201:5: error: {unknown}"
    assert lines[100:] == ["... and 50 more problems not shown", "150 errors, 0 warnings"]

    code, out, err = validate(runner, "many.yaml", "--format", "github")
    lines = out.splitlines()
    assert (code, len(lines), err) == (2, 101, "150 errors, 0 warnings\n")
    assert lines[99] == f"::error file=many.yaml,line=201,col=5::{unknown}"
    assert lines[100] == "... and 50 more problems not shown"

    # Machine output is complete.
    code, out, err = validate(runner, "many.yaml", "--format", "json")
    assert (code, len(json.loads(out)), err) == (2, 150, "")


def test_each_network_is_checked_on_its_own(runner: CliRunner, write: Write) -> None:
    write("one/net.yaml", "network: {name: one}\npartners: [{id: p}]\n")
    write("two/net.yaml", "network: {name: two}\npartners: [{id: p}]\n")
    assert validate(runner, "one", "two") == (
        0,
        "one: valid: 1 file, 1 partner, 0 modules, 0 requests\ntwo: valid: 1 file, 1 partner, 0 modules, 0 requests\n",
        "note: 2 networks, each checked on its own; "
        "sbn plan reads all its files as one network, so give it one network's files\n",
    )


def test_files_that_include_each_other_are_checked_like_plan_does(runner: CliRunner, write: Write) -> None:
    # No file is a root of the include graph: the first one read stands in for one.
    write("a.yaml", "network: {name: one}\ninclude: [b.yaml]\npartners: [{id: p}]\n")
    write("b.yaml", "network: {name: two}\ninclude: [a.yaml]\npartners: [{id: p}]\n")
    expected = [
        "b.yaml:1:1: error: network declared more than once: first at a.yaml:1:1",
        "b.yaml:2:11: error: include cycle: a.yaml -> b.yaml -> a.yaml",
        "b.yaml:3:17: error: duplicate partner id 'p': first declared at a.yaml:3:12",
    ]
    for args in (["a.yaml"], ["."]):
        code, out, err = validate(runner, *args)
        assert (code, out, err.splitlines()) == (2, "", [*expected, "3 errors, 0 warnings"])
    assert runner.invoke(app, ["plan", "a.yaml"]).stderr.splitlines() == expected


@pytest.mark.parametrize(
    ("args", "expected_err"),
    [
        # every path given exists
        (["nothere.yaml"], "sbn: error: nothere.yaml: no such file or directory\n"),
        # the format is one of auto, text, json, github
        (["net.yaml", "--format", "xml"], "'xml' is not one of 'auto', 'text', 'json', 'github'"),
        # at least one path
        ([], "Missing argument 'PATH"),
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, write: Write, args: list[str], expected_err: str) -> None:
    write("net.yaml", OK_SMALL)
    code, out, err = validate(runner, *args)
    assert (code, out) == (2, "")
    assert expected_err in err


@pytest.mark.usefixtures("repo_root")
def test_bundled_examples_are_valid(runner: CliRunner) -> None:
    code, out, err = validate(runner, "examples/")
    assert code == 0, err
    assert err.startswith(f"note: {len(out.splitlines())} networks, each checked on its own"), err
    assert out and all(": valid: " in line for line in out.splitlines()), out


def test_standard_input_is_read_for_a_dash(runner: CliRunner, write: Write) -> None:
    result = runner.invoke(app, ["validate", "-"], input="partners:\n  - id: a\n    zone: NL\n")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "<stdin>:3:5: error: unknown field 'zone'; expected one of: "
        "id, name, region, certifications, reputation, capacity, interests",
        "1 error, 0 warnings",
    ]
    result = runner.invoke(app, ["validate", "-"], input=OK_SMALL)
    assert (result.exit_code, result.stdout) == (0, "tiny: valid: 1 file, 1 partner, 1 module, 1 request\n")


@pytest.mark.parametrize(
    ("output_format", "golden_name", "stream"),
    [
        ("text", "validate/broken.text.txt", "stderr"),
        ("github", "validate/broken.github.txt", "stdout"),
        ("json", "validate/broken.json", "stdout"),
    ],
)
def test_invalid_multi_file_network_matches_golden(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    golden: Callable[[str, str], None],
    output_format: str,
    golden_name: str,
    stream: str,
) -> None:
    monkeypatch.chdir(GOLDEN_INPUT)
    result = runner.invoke(app, ["validate", "broken", "--format", output_format])
    assert result.exit_code == 2
    golden(golden_name, getattr(result, stream))


def _heat_with_misindented_partners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The heat-transition example with one line of partners.yaml indented one space too few (issue 16, defect 2)."""
    import shutil

    shutil.copytree(ROOT / "examples" / "heat-transition", tmp_path / "heat")
    partners = tmp_path / "heat" / "partners.yaml"
    lines = partners.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[38] == "    reputation: 0.9\n"
    lines[38] = "   reputation: 0.9\n"
    partners.write_text("".join(lines), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "heat")


HEAT_UNREAD = (
    "partners.yaml:39:4: error: invalid YAML: did not find expected '-' indicator: "
    "check the indentation of this line against the list at 22:3"
)
HEAT_NOTES = {
    # resource owners
    "crews.yaml:16:14": "2 partners ('klimaattechniek-gelre', 'nordheat')",
    "modules/advice-and-finance.yaml:9:14": "5 partners ('ut-woonadvies', 'groenlabel', 'bouwgroep-eemland' "
    "and 2 more)",
    "modules/inspection-and-circularity.yaml:10:14": "5 partners ('keurmeester', 'inspectie-oost', 'groenlabel' "
    "and 2 more)",
    "modules/installation.yaml:13:14": "6 partners ('isolatie-vakwerk', 'bouwgroep-eemland', 'netbeheer-midden' "
    "and 3 more)",
    "modules/supply-and-logistics.yaml:9:14": "3 partners ('nordheat', 'polderwarmte', 'vandenberg-transport')",
    "requests.yaml:66:15": "3 partners ('polderwarmte', 'installwerk', 'bouwgroep-eemland')",
}


def _note(place: str) -> str:
    why = "partners.yaml, which could not be read, may declare them"
    return f"{place}: note: {HEAT_NOTES[place]} not found, not reported: {why}"


def test_validate_puts_a_syntax_error_first_with_one_note_per_file_it_leaves_unchecked(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: 33 "unknown partner 'x'; expected one of: " errors (an empty list), the YAML error among them.
    _heat_with_misindented_partners(tmp_path, monkeypatch)
    code, out, err = validate(runner, ".")
    assert (code, out) == (2, "")
    assert err.splitlines() == [HEAT_UNREAD, *map(_note, sorted(HEAT_NOTES)), "1 error, 0 warnings, 6 notes"]


def test_plan_puts_a_syntax_error_first_with_the_same_notes(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # plan reads requests.yaml first, then what it includes: the notes follow that order.
    _heat_with_misindented_partners(tmp_path, monkeypatch)
    result = runner.invoke(app, ["plan", "requests.yaml"])
    assert (result.exit_code, result.stdout) == (2, "")
    places = ["requests.yaml:66:15", *sorted(place for place in HEAT_NOTES if place.startswith("modules/"))]
    assert result.stderr.splitlines() == [HEAT_UNREAD, *map(_note, places)]


def test_notes_are_notices_in_github_and_notes_in_json(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _heat_with_misindented_partners(tmp_path, monkeypatch)
    code, out, _ = validate(runner, ".", "--format", "github")
    assert code == 2
    assert out.splitlines()[1].startswith("::notice file=crews.yaml,line=16,col=14::2 partners (")
    code, out, _ = validate(runner, ".", "--format", "json")
    assert [d["severity"] for d in json.loads(out)] == ["error"] + ["note"] * 6


def test_validate_notes_requests_read_without_any_network(runner: CliRunner, write: Write) -> None:
    # issue 16, defect 5: one note instead of a warning per step; still valid.
    write("requests.yaml", "requests:\n  - id: r\n    steps: [{capability: assembly}, {capability: painting}]\n")
    code, out, err = validate(runner, "requests.yaml")
    assert (code, out) == (0, "(unnamed network): valid: 1 file, 0 partners, 0 modules, 1 request, 1 note\n")
    assert err == (
        "requests.yaml:1:1: note: the files read declare 0 partners and 0 modules: is the network missing? "
        "Name its files or folder on the command line too (plan and who: --network PATH), "
        "or include them (include: [PATH])\n"
    )
