"""sbn in CI and editors: the pre-commit hook, the GitHub Action's script, JUnit XML, shell completion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml
from support import CLI_ENV, ROOT
from typer.testing import CliRunner

from sbn.cli import app
from sbn.completion import partner_ids, request_ids

BIN = Path(sys.executable).parent
WEBSHOP = "examples/webshop"


pytestmark = pytest.mark.usefixtures("repo_root")


# -- validate --format junit ---------------------------------------------------------------------


def junit(*args: str) -> tuple[int, ET.Element]:
    result = CliRunner().invoke(app, ["validate", "--format", "junit", *args], env=CLI_ENV)
    return result.exit_code, ET.fromstring(result.stdout)


def test_junit_has_one_passing_testcase_per_file_of_a_valid_network() -> None:
    code, root = junit(WEBSHOP)
    assert code == 0
    cases = root.findall("./testsuite/testcase")
    names = [case.get("name") for case in cases]
    assert len(names) == 7 and "examples/webshop/partners.yaml" in names
    assert names == sorted(names)
    assert all(case.find("failure") is None for case in cases)
    assert (root.get("tests"), root.get("failures")) == ("7", "0")


def test_junit_fails_the_testcase_of_each_file_with_its_errors_at_file_line_col(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("partners: [{id: p}]\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(
        "modules:\n  - {id: m, partner: q, capability: '<&\"\\x01>'}\nrequests: [{id: r, steps: [{capability: z}]}]\n",
        encoding="utf-8",
    )
    code, root = junit(str(tmp_path / "bad.yaml"), str(tmp_path / "good.yaml"))
    assert code == 2
    cases = {case.get("name"): case for case in root.iter("testcase")}
    bad, good = cases[f"{tmp_path}/bad.yaml"], cases[f"{tmp_path}/good.yaml"]
    assert good.find("failure") is None
    failure = bad.find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith(f"1 error: {tmp_path}/bad.yaml:2:22: error: unknown partner 'q'")
    assert f"{tmp_path}/bad.yaml:2:22: error: unknown partner 'q'" in (failure.text or "")
    # A warning is the testcase's output, not a failure.
    assert "warning: no module offers capability 'z'" in (bad.findtext("system-out") or "")
    assert (root.get("tests"), root.get("failures")) == ("2", "1")


def test_junit_escapes_markup_and_control_characters_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text('partners: [{id: p, "<b>&\\x07": 1}]\n', encoding="utf-8")
    code, root = junit(str(path))  # ET.fromstring would fail on malformed XML
    assert code == 2
    text = root.find("./testsuite/testcase/failure").text or ""  # type: ignore[union-attr]
    assert "unknown field '<b>&\\x07'" in text


# -- shell completion ----------------------------------------------------------------------------


def test_request_ids_complete_from_the_files_on_the_line() -> None:
    requests = f"{WEBSHOP}/requests.yaml"
    assert request_ids([requests], [], "") == [
        "soundbar-launch-nl-500",
        "thermostat-bundle-be-200",
        "oslo-hotel-tv-install-80",
        "returns-q1-nl-120",
    ]
    assert request_ids([requests], [], "o") == ["oslo-hotel-tv-install-80"]
    assert request_ids([], [], "") == []


def test_partner_ids_include_those_of_network_paths() -> None:
    assert partner_ids([f"{WEBSHOP}/impossible.yaml"], [], "fj") == ["fjord-express"]
    assert "groenlabel" in partner_ids([f"{WEBSHOP}/requests.yaml"], ["examples/heat-transition/partners.yaml"], "")


def test_completion_on_a_broken_network_still_offers_what_its_files_declare(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text("partners: [{id: alpha}, {id: beta, reputaton: 2}]\n", encoding="utf-8")
    (tmp_path / "req.yaml").write_text(
        "include: [net.yaml]\nrequests:\n  - {id: r1, steps: [{capability: x}]}\n"
        "  - {id: r2, steps: [{capability: [x]}]}\n",
        encoding="utf-8",
    )
    assert partner_ids([str(tmp_path / "req.yaml")], [], "") == ["alpha", "beta"]
    assert request_ids([str(tmp_path / "req.yaml")], [], "") == ["r1", "r2"]
    (tmp_path / "req.yaml").write_text("requests: [{id: r1}, {id: r2, bad: 1}]\n", encoding="utf-8")
    assert request_ids([str(tmp_path / "req.yaml")], [], "r") == ["r1", "r2"]


@pytest.mark.parametrize(
    "files",
    [["missing.yaml"], ["-"], ["/dev/null"], ["examples"], ["tests/golden/plan/heat.json"]],
)
def test_completion_never_fails_and_never_reads_standard_input(files: list[str]) -> None:
    assert isinstance(request_ids(files, [], ""), list)
    assert isinstance(partner_ids(files, [], ""), list)


def _complete(line: str) -> list[str]:
    """What bash would offer at the end of ``line``, from the installed `sbn` command."""
    words = line.split(" ")
    env = {**os.environ, "_SBN_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    result = subprocess.run(
        [str(BIN / "sbn")], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    assert result.returncode == 0 and result.stderr == ""
    return result.stdout.split()


def test_the_shell_gets_request_and_partner_ids_for_the_options() -> None:
    assert _complete(f"sbn plan {WEBSHOP}/requests.yaml --request t") == ["thermostat-bundle-be-200"]
    assert _complete(f"sbn plan {WEBSHOP}/requests.yaml -r ") == request_ids([f"{WEBSHOP}/requests.yaml"], [], "")
    assert _complete(f"sbn plan --network {WEBSHOP} - --without plz") == ["plzen-electro"]


def test_completion_can_be_shown_and_installed() -> None:
    # In its own process, as a shell runs it: typer's completion reads the environment and the program name.
    env = {k: v for k, v in {**os.environ, **CLI_ENV}.items() if v is not None}
    shown = subprocess.run(
        [sys.executable, "-m", "sbn", "--show-completion", "bash"], capture_output=True, text=True, env=env, check=False
    )
    assert shown.returncode == 0 and "_SBN_COMPLETE" in shown.stdout, shown.stderr
    assert "--install-completion" in CliRunner().invoke(app, ["--help"], env=CLI_ENV).stdout


# -- the GitHub Action ---------------------------------------------------------------------------


def test_action_yml_is_a_composite_action_that_runs_the_script() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    install, run = action["runs"]["steps"]
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    assert run["run"] == '"$GITHUB_ACTION_PATH/scripts/action.sh"'
    assert run["env"]["SBN_PATHS"] == "${{ inputs.paths }}"
    assert {"paths", "requests", "network", "fail-on-infeasible", "python"} == set(action["inputs"])
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.sbn.outputs.exit-code }}"
    assert os.access(ROOT / "scripts" / "action.sh", os.X_OK)


def action(tmp_path: Path, **inputs: str) -> tuple[int, str, str, str]:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "SBN_"))},
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(tmp_path),
        **{f"SBN_{key.upper()}": value for key, value in inputs.items()},
    }
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "action.sh")], env=env, capture_output=True, text=True, cwd=ROOT, check=False
    )
    read = lambda path: path.read_text(encoding="utf-8") if path.exists() else ""  # noqa: E731
    return result.returncode, result.stdout, read(summary), read(output)


def test_action_validates_plans_and_posts_the_markdown_as_the_job_summary(tmp_path: Path) -> None:
    code, out, summary, output = action(tmp_path, paths=f"{WEBSHOP}/requests.yaml")
    assert code == 0, out
    assert "voltwerk-webshop: valid" in out
    assert summary.startswith("## sbn plan: voltwerk-webshop\n")
    assert "```mermaid\ngantt" in summary and "### returns-q1-nl-120" in summary
    assert output == f"exit-code=0\nplan={tmp_path / 'sbn-plan.md'}\n"


def test_action_annotates_invalid_input_and_stops_before_planning(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("partners: [{id: p, reputaton: 1}]\n", encoding="utf-8")
    code, out, summary, output = action(tmp_path, paths=str(bad))
    assert code == 2
    assert f"::error file={bad},line=1,col=20::unknown field 'reputaton'" in out
    assert summary.startswith("## sbn: the network has errors")
    assert output == "exit-code=2\n"


def test_action_reports_an_unplanned_request_and_fails_only_when_asked(tmp_path: Path) -> None:
    paths = f"{WEBSHOP}/impossible.yaml\n{WEBSHOP}/network.yaml"  # new lines separate paths too
    code, _, summary, output = action(tmp_path, paths=paths, requests=f"{WEBSHOP}/impossible.yaml")
    assert code == 1
    assert "infeasible" in summary and "exit-code=1" in output
    code, out, _, output = action(
        tmp_path, paths=paths, requests=f"{WEBSHOP}/impossible.yaml", **{"fail_on_infeasible": "false"}
    )
    assert code == 0 and "not failing" in out and "exit-code=1" in output


def test_action_plans_requests_with_extra_network_paths(tmp_path: Path) -> None:
    code, _, summary, _ = action(
        tmp_path, paths=WEBSHOP, requests=f"{WEBSHOP}/requests.yaml", network=f"{WEBSHOP}/network.yaml"
    )
    assert code == 0 and "### oslo-hotel-tv-install-80" in summary and "ebike-charger" not in summary


# -- the pre-commit hook -------------------------------------------------------------------------


def test_pre_commit_hooks_manifest_declares_sbn_validate() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "sbn-validate"
    assert hook["entry"] == "sbn validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False  # the whole network is checked, never a lone module file


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _snapshot_of_this_repository(target: Path) -> str:
    """This working tree, uncommitted changes included, as a commit pre-commit can check out."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "-c", "user.name=sbn", "-c", "user.email=sbn@example.org", "commit", "-q", "-m", "snapshot")
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=target, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_pre_commit_hook_passes_a_valid_network_and_fails_a_broken_one(tmp_path: Path) -> None:
    """Runs pre-commit for real: it installs sbn from this repository into its own environment.

    That takes about 40 s with a warm pip cache (measured: 38 s), and needs the package index;
    without it the test is skipped.
    """
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of sbn")
    snapshot, sample = tmp_path / "sbn", tmp_path / "sample"
    snapshot.mkdir()
    rev = _snapshot_of_this_repository(snapshot)
    shutil.copytree(ROOT / WEBSHOP, sample / "net")
    (sample / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snapshot}\n    rev: {rev}\n    hooks:\n      - id: sbn-validate\n        args: [net/]\n",
        encoding="utf-8",
    )
    _git(sample, "init", "-q")
    _git(sample, "add", "-A")
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")},
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files"],
            cwd=sample,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
            check=False,
        )

    started = time.monotonic()
    passed = run()
    if passed.returncode != 0 and "Installing environment" in passed.stdout and "sbn validate" not in passed.stdout:
        pytest.skip(f"pre-commit could not install sbn (no package index?): {passed.stdout[-500:]}")
    sys.stderr.write(f"pre-commit install and run: {time.monotonic() - started:.1f} s\n")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "sbn validate" in passed.stdout and "Passed" in passed.stdout

    modules = sample / "net" / "modules" / "sales-and-delivery.yaml"
    modules.write_text(modules.read_text(encoding="utf-8").replace("partner: payflow\n", "partner: payflw\n", 1))
    _git(sample, "add", "-A")
    failed = run()
    assert failed.returncode == 1
    assert "net/modules/sales-and-delivery.yaml:11:14: error: unknown partner 'payflw'" in failed.stdout
