"""`sbn who` answers who can do what; `sbn schema` matches the committed schema the examples point at."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import CLI_ENV, ROOT
from typer.testing import CliRunner

from sbn.cli import app
from sbn.commands.schema import input_schema, render_schema

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


pytestmark = pytest.mark.usefixtures("repo_root")


def who(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["who", *args], env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


def test_who_lists_every_module_offering_the_capability() -> None:
    code, out, _ = who("home-installation", "--network", "examples/webshop", "--format", "json")
    assert code == 0
    modules = {row["module"] for row in json.loads(out)}
    assert modules == {"thuis-standard-install", "thuis-smart-home-install", "hjem-montering-install"}


def test_who_filters_by_region_including_star_and_partner_default() -> None:
    code, out, _ = who("home-installation", "-n", "examples/webshop", "--region", "NO", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [row["module"] for row in rows] == ["hjem-montering-install"]
    assert rows[0]["regions"] == ["NO"]  # 'NO' stays Norway, never false


def test_who_filters_by_every_certification_asked() -> None:
    code, out, _ = who("home-installation", "-n", "examples/webshop", "-c", "knx", "-c", "vca", "--format", "json")
    assert [row["module"] for row in json.loads(out)] == ["thuis-smart-home-install"]
    code, out, err = who("home-installation", "-n", "examples/webshop", "-c", "knx", "--region", "NO")
    assert code == 0
    assert out == ""
    assert "no module offers 'home-installation' with region NO, certification knx (3 offer it in all)" in err
    code, out, err = who("home-installation", "-n", "examples/webshop", "-c", "knx", "--region", "NO", "-f", "json")
    assert (code, json.loads(out)) == (0, [])
    assert "no module offers 'home-installation' with region NO, certification knx (3 offer it in all)" in err


def test_who_table_shows_cost_and_lead_time_formulas() -> None:
    code, out, _ = who("home-installation", "-n", "examples/webshop")
    assert code == 0
    assert "hjem-montering-install" in out and re.search(r"500\s.*\n.*\+ 140/unit", out)


def test_who_prints_user_text_as_written_never_as_markup(tmp_path: Path) -> None:
    source = tmp_path / "net.yaml"
    source.write_text(
        "network: {currency: 'EUR[/]'}\npartners: [{id: p, region: 'EU[/]'}]\n"
        "modules: [{id: m1, partner: p, capability: 'cut[/]', certifications: ['[red]iso']}]\n",
        encoding="utf-8",
    )
    code, out, err = who("cut[/]", "--network", str(source))
    assert code == 0, err
    assert "Who can do cut[/]" in out
    assert "EU[/]" in out
    assert "[red]iso" in out


def test_who_lists_modules_one_block_each_when_the_table_would_be_cut() -> None:
    result = CliRunner().invoke(
        app, ["who", "home-installation", "-n", "examples/webshop"], env={**CLI_ENV, "COLUMNS": "50"}
    )
    assert result.exit_code == 0
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= 50
    assert "thuis-standard-install (thuis-installatie)" in out
    wide = CliRunner().invoke(
        app, ["who", "home-installation", "-n", "examples/webshop"], env={**CLI_ENV, "COLUMNS": "100"}
    )
    assert "Module / partner" in wide.stdout and "thuis-standard-install " in wide.stdout


def test_who_needs_a_network() -> None:
    code, _, err = who("assembly")
    assert code == 2
    assert "no network given" in err


def test_schema_is_draft_07_and_describes_every_field() -> None:
    schema = input_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert set(schema["properties"]) == {"network", "include", "partners", "modules", "resources", "requests"}

    def undescribed(node: object, path: str) -> list[str]:
        missing = []
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    missing.append(f"{path}.{name}")
            for key, value in node.items():
                missing += undescribed(value, f"{path}.{key}")
        return missing

    assert undescribed(schema, "") == []


def test_schema_requires_exactly_what_the_loader_requires() -> None:
    import jsonschema

    definitions = input_schema()["definitions"]
    assert definitions["Step"]["required"] == ["capability"]
    assert definitions["Request"]["required"] == ["id", "steps"]
    document = {
        "requests": [{"id": "r", "steps": [{"capability": "build"}, {"capability": "ship", "after": ["build"]}]}]
    }
    jsonschema.Draft7Validator(input_schema()).validate(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(input_schema()).validate({"requests": [{"id": "r", "steps": [{"id": "s"}]}]})


def test_committed_schema_equals_generated() -> None:
    assert (ROOT / "schema" / "sbn.schema.json").read_text(encoding="utf-8") == render_schema()


def test_schema_command_prints_it() -> None:
    result = CliRunner().invoke(app, ["schema"], env=CLI_ENV)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == input_schema()


def test_every_example_file_points_at_the_committed_schema() -> None:
    files = sorted((ROOT / "examples").rglob("*.yaml"))
    assert files
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = MODELINE.match(first)
        assert match, f"{path} has no schema modeline"
        assert (path.parent / match.group(1)).resolve() == (ROOT / "schema" / "sbn.schema.json").resolve()


def test_examples_validate_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from sbn.yamlread import Source, parse

    schema = input_schema()
    for path in sorted((ROOT / "examples").rglob("*.yaml")):
        data, _ = parse(Source(str(path), path.read_text(encoding="utf-8")))
        # YAML scalars arrive as text; the schema's numbers are what editors check, so convert them here.
        jsonschema.validate(_numbers(data), schema)


def _numbers(node: object) -> object:
    if isinstance(node, dict):
        return {key: _numbers(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_numbers(value) for value in node]
    if isinstance(node, str):
        try:
            return int(node)
        except ValueError:
            try:
                return float(node)
            except ValueError:
                return node
    return node


def test_who_suggests_the_closest_capability_when_none_is_offered() -> None:
    code, out, err = who("heat-pump-instalation", "-n", "examples/heat-transition")
    assert (code, out) == (0, "")
    assert err == "no module offers 'heat-pump-instalation' (did you mean 'heat-pump-installation'?)\n"
    code, out, err = who("teleportation", "-n", "examples/heat-transition")
    assert err == "no module offers 'teleportation' (no module offers it at all)\n"


@pytest.mark.parametrize("command", ["plan", "validate", "who", "network", "diff", "init", "schema"])
def test_help_names_arguments_plainly(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env=CLI_ENV)
    assert result.exit_code == 0
    assert "<list[str]>" not in result.stdout and "<str>" not in result.stdout and "<Path>" not in result.stdout
    assert "{" not in result.stdout.splitlines()[0]


def test_plan_help_shows_files_as_a_list_and_the_unlimited_time_limit() -> None:
    out = CliRunner().invoke(app, ["plan", "--help"], env=CLI_ENV).stdout
    assert out.startswith("Usage: sbn plan [OPTIONS] FILE...\n")
    assert "  FILE...  Request files (YAML)" in out
    assert "'inf' for no" in out


def test_who_on_files_that_declare_no_module_says_the_network_is_missing(tmp_path: Path) -> None:
    # --network given a request file alone (issue 16, defect 5).
    requests = tmp_path / "requests.yaml"
    requests.write_text("requests:\n  - id: r\n    steps: [{capability: assembly}]\n")
    code, out, err = who("assembly", "--network", str(requests))
    assert (code, out) == (0, "")
    assert err == (
        "no module offers 'assembly' (the files read declare 0 partners and 0 modules: is the network missing? "
        "Name its files or folder with --network PATH, or include them (include: [PATH]))\n"
    )
    # A network that has modules, none of them for this capability: the usual answer.
    code, _, err = who("assembly", "--network", "examples/heat-transition")
    assert (code, err) == (0, "no module offers 'assembly' (no module offers it at all)\n")
