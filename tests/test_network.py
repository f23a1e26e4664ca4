"""`sbn network`: counts, coverage, single points of failure, loose interfaces and the plug graph."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from support import CLI_ENV
from typer.testing import CliRunner

from sbn.cli import app

EXAMPLES = {"heat": "examples/heat-transition", "webshop": "examples/webshop"}
EXTENSION = {"table": "txt", "json": "json", "mermaid": "mmd", "dot": "dot"}


def network(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["network", *args], env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


def summary(write: Callable[[str, str], Path], text: str) -> dict:  # type: ignore[type-arg]
    path = write("net.yaml", text)
    code, out, err = network(str(path), "--format", "json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("fmt", sorted(EXTENSION))
@pytest.mark.parametrize("example", sorted(EXAMPLES))
@pytest.mark.usefixtures("repo_root")
def test_network_output_matches_golden(example: str, fmt: str, golden: Callable[[str, str], None]) -> None:
    code, out, err = network(EXAMPLES[example], "--format", fmt)
    assert (code, err) == (0, "")
    golden(f"network/{example}.{EXTENSION[fmt]}", out)


@pytest.mark.usefixtures("repo_root")
def test_the_same_network_gives_byte_identical_json() -> None:
    assert network(EXAMPLES["webshop"], "-f", "json")[1] == network(EXAMPLES["webshop"], "-f", "json")[1]


NET = """
partners:
  - {id: a, region: NL}
  - {id: b, region: BE}
  - {id: c, region: NL}
modules:
  - {id: a-cut, partner: a, capability: cut, outputs: [slab]}
  - {id: a-cut2, partner: a, capability: cut, outputs: [slab], regions: [DE]}
  - {id: b-cut, partner: b, capability: cut, outputs: [slab, offcut]}
  - {id: c-polish, partner: c, capability: polish, inputs: [slab, '"raw"'], outputs: [shine], regions: ["*"]}
  - {id: b-pack, partner: b, capability: pack}
requests:
  - {id: r, region: FR, steps: [{capability: cut}, {capability: glue, after: [cut]}]}
"""


def test_counts_and_regions_come_from_modules_partners_and_requests(write: Callable[[str, str], Path]) -> None:
    data = summary(write, NET)
    assert data["schema"] == "sbn.network/v1"
    assert data["counts"] == {
        "partners": 3,
        "modules": 5,
        "capabilities": 3,
        "interfaces": 4,
        "regions": 4,
        "requests": 1,
        "resources": 0,
    }
    assert data["regions"] == ["BE", "DE", "FR", "NL"]  # "*" is no region of its own
    assert data["resources"] == []


def test_coverage_counts_partners_not_modules_and_star_counts_in_every_region(
    write: Callable[[str, str], Path],
) -> None:
    coverage = {row["capability"]: row for row in summary(write, NET)["coverage"]}
    # a has two cut modules (NL by default, DE): one partner, in both regions.
    assert coverage["cut"] == {
        "capability": "cut",
        "modules": 3,
        "partners": 2,
        "everywhere": 0,
        "regions": {"BE": 1, "DE": 1, "FR": 0, "NL": 1},
    }
    assert coverage["polish"]["everywhere"] == 1
    assert coverage["polish"]["regions"] == {"BE": 1, "DE": 1, "FR": 1, "NL": 1}
    # Requested but offered by nobody: a row of zeros.
    assert coverage["glue"]["partners"] == 0 and set(coverage["glue"]["regions"].values()) == {0}


def test_single_points_of_failure_overall_and_only_in_a_region(write: Callable[[str, str], Path]) -> None:
    spof = summary(write, NET)["single_points_of_failure"]
    assert spof["overall"] == [
        {"capability": "pack", "partner": "b"},
        {"capability": "polish", "partner": "c"},
    ]
    # cut has two partners, but only one in each of BE, DE and NL; FR has none (a gap, not a single point).
    assert spof["by_region"] == [
        {"capability": "cut", "region": "BE", "partner": "b"},
        {"capability": "cut", "region": "DE", "partner": "a"},
        {"capability": "cut", "region": "NL", "partner": "a"},
    ]


def test_two_partners_in_every_region_is_no_single_point(write: Callable[[str, str], Path]) -> None:
    data = summary(
        write,
        "partners: [{id: a}, {id: b}]\nmodules:\n"
        "  - {id: m1, partner: a, capability: cut, regions: ['*']}\n"
        "  - {id: m2, partner: b, capability: cut, regions: [NL, BE]}\n"
        "  - {id: m3, partner: a, capability: paint, regions: [NL]}\n"
        "  - {id: m4, partner: b, capability: paint, regions: [NL]}\n",
    )
    assert data["single_points_of_failure"] == {"overall": [], "by_region": []}


def test_interfaces_produced_for_nobody_and_wanted_from_nobody(write: Callable[[str, str], Path]) -> None:
    interfaces = summary(write, NET)["interfaces"]
    assert interfaces["unaccepted"] == [
        {"interface": "offcut", "produced_by": ["b-cut"]},
        {"interface": "shine", "produced_by": ["c-polish"]},
    ]
    assert interfaces["unproduced"] == [{"interface": '"raw"', "accepted_by": ["c-polish"]}]


def test_plug_graph_edges_and_modules_that_accept_anything(write: Callable[[str, str], Path]) -> None:
    graph = summary(write, NET)["plug_graph"]
    assert graph["edges"] == [{"from": "cut", "to": "polish", "interfaces": ["slab"]}]
    # pack and cut accept anything: they get no edge in from every capability, only a mark.
    assert graph["nodes"] == [
        {"capability": "cut", "accepts_anything": True},
        {"capability": "pack", "accepts_anything": True},
        {"capability": "polish", "accepts_anything": False},
    ]


def test_mermaid_and_dot_escape_what_would_end_a_label(write: Callable[[str, str], Path]) -> None:
    path = write(
        "net.yaml",
        "partners: [{id: p}]\nmodules:\n"
        "  - {id: m1, partner: p, capability: 'say \"hi\"', outputs: ['a\"b\\c<br>']}\n"
        "  - {id: m2, partner: p, capability: 'x#y', inputs: ['a\"b\\c<br>']}\n",
    )
    code, mermaid, _ = network(str(path), "-f", "mermaid")
    assert code == 0
    assert 'c0["say #34;hi#34;<br/>(accepts anything)"]' in mermaid
    assert 'c0 -->|"a#34;b\\c#60;br#62;"| c1' in mermaid
    assert 'c1["x#35;y"]' in mermaid
    code, dot, _ = network(str(path), "-f", "dot")
    assert code == 0
    assert '"say \\"hi\\"" -> "x#y" [label="a\\"b\\\\c<br>"];' in dot
    # Every statement line is complete: quotes balance once escapes are taken out.
    for line in dot.splitlines():
        assert re.sub(r"\\.", "", line).count('"') % 2 == 0


@pytest.mark.usefixtures("repo_root")
def test_table_lists_every_section() -> None:
    code, out, _ = network(EXAMPLES["webshop"])
    assert code == 0
    for heading in (
        "20 partners, 35 modules, 13 capabilities",
        "Coverage: partners able to do each capability, per customer region",
        "Single points of failure",
        "one partner in the whole network: payment-processing (payflow)",
        "Interfaces produced that no module takes as input",
        "Resources: none declared",
        "accept anything (no inputs, so no edges in)",
    ):
        assert heading in out


def test_coverage_splits_regions_over_several_tables_when_narrow(write: Callable[[str, str], Path]) -> None:
    regions = ", ".join(f"REGION-{i:02d}" for i in range(12))
    path = write(
        "net.yaml", f"partners: [{{id: p}}]\nmodules: [{{id: m, partner: p, capability: c, regions: [{regions}]}}]\n"
    )
    result = CliRunner().invoke(app, ["network", str(path)], env={**CLI_ENV, "COLUMNS": "80"})
    assert result.exit_code == 0
    assert result.stdout.count("Capability") >= 2
    assert all(f"REGION-{i:02d}" in result.stdout for i in range(12))
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    narrow = CliRunner().invoke(app, ["network", str(path)], env={**CLI_ENV, "COLUMNS": "20"})
    assert "REGION-11 1" in narrow.stdout and "Capability" not in narrow.stdout


def test_bad_input_exits_2_with_the_place(write: Callable[[str, str], Path]) -> None:
    path = write("net.yaml", "partners: [{id: p}]\nmodules: [{id: m, partner: q, capability: c}]\n")
    code, out, err = network(str(path))
    assert (code, out) == (2, "")
    assert "net.yaml:2:28: error: unknown partner 'q'" in err
    assert network()[0] == 2
    assert network("no-such-dir")[0] == 2


def test_a_network_that_declares_no_module_says_the_network_may_be_missing(write: Callable[[str, str], Path]) -> None:
    # issue 16, defect 5: a summary of zeros, and why that may be.
    path = write("net.yaml", "network: {name: empty}\npartners: [{id: p}]\n")
    code, _, err = network(str(path), "--format", "json")
    assert (code, err) == (
        0,
        "sbn: note: the files read declare 1 partner and 0 modules: is the network missing? "
        "Name its files or folder on the command line too, or include them (include: [PATH])\n",
    )
    path = write(
        "net.yaml", "network: {name: one}\npartners: [{id: p}]\nmodules: [{id: m, partner: p, capability: c}]\n"
    )
    assert network(str(path), "--format", "json")[2] == ""
