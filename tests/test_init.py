"""`sbn init`: a network that validates and plans as written, and never a file overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from sbn.cli import main
from sbn.commands.init import files


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_init_writes_a_network_that_validates_and_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "net"
    assert main(["init", str(target)]) == 0
    assert set(tree(target)) == set(files())
    assert f"wrote {target / 'network.yaml'}" in capsys.readouterr().out
    assert main(["validate", str(target)]) == 0
    assert "my-network: valid: 5 files, 3 partners, 3 modules, 1 request" in capsys.readouterr().out
    assert main(["plan", str(target / "requests.yaml"), "--format", "json"]) == 0
    (plan,) = json.loads(capsys.readouterr().out)["plans"]
    assert plan["status"] == "optimal" and len(plan["assignments"]) == 2


def test_every_yaml_file_has_the_modeline_and_follows_the_schema_it_names(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == 0
    yaml_files = sorted(tmp_path.rglob("*.yaml"))
    assert len(yaml_files) == 5
    for path in yaml_files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix)
        schema_path = (path.parent / first[len(prefix) :]).resolve()
        assert schema_path == tmp_path / "sbn.schema.json"
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_the_network_file_includes_partners_and_the_modules_directory(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == 0
    network = yaml.safe_load((tmp_path / "network.yaml").read_text(encoding="utf-8"))
    assert network["include"] == ["partners.yaml", "modules/"]
    requests = yaml.safe_load((tmp_path / "requests.yaml").read_text(encoding="utf-8"))
    assert requests["include"] == ["network.yaml"] and len(requests["requests"]) == 1


def test_the_directory_defaults_to_the_current_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert (tmp_path / "network.yaml").is_file() and (tmp_path / "modules" / "making.yaml").is_file()


@pytest.mark.parametrize("existing", ["requests.yaml", "modules/delivery.yaml", "sbn.schema.json"])
def test_an_existing_file_stops_init_before_anything_is_written(
    tmp_path: Path, existing: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / existing).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / existing).write_text("mine\n", encoding="utf-8")
    before = tree(tmp_path)
    assert main(["init", str(tmp_path)]) == 2
    assert tree(tmp_path) == before
    err = capsys.readouterr().err
    assert err == f"sbn: error: {tmp_path / existing} already exists; sbn init never overwrites a file\n"


def test_a_directory_with_other_files_is_fine(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep\n"


def test_a_file_given_as_the_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "file"
    path.write_text("x", encoding="utf-8")
    assert main(["init", str(path)]) == 2
    assert capsys.readouterr().err == f"sbn: error: {path} is not a directory\n"
