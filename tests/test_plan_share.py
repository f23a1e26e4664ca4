"""`sbn plan --format html|csv|ics` on the bundled examples: golden files, --output, the empty calendar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import icalendar
import pytest
from support import CLI_ENV
from typer.testing import CliRunner

from sbn.cli import app

WEBSHOP = "examples/webshop/requests.yaml"
HEAT = "examples/heat-transition/requests.yaml"


pytestmark = pytest.mark.usefixtures("repo_root")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=CLI_ENV)
    # Not result.stdout: click turns CRLF into LF there.
    return result.exit_code, result.stdout_bytes.decode("utf-8"), result.stderr


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("webshop.html", [WEBSHOP, "--format", "html"]),
        ("webshop.csv", [WEBSHOP, "--format", "csv"]),
        ("webshop.ics", [WEBSHOP, "--format", "ics"]),
        ("heat.html", [HEAT, "--format", "html"]),
        ("heat.csv", [HEAT, "--format", "csv"]),
        ("heat.ics", [HEAT, "--format", "ics"]),
        ("webshop-all-backups.html", ["examples/webshop", "--backups", "--format", "html"]),
    ],
)
def test_share_formats_match_golden(name: str, args: list[str], golden: Callable[[str, str], None]) -> None:
    code, out, err = invoke("plan", *args)
    assert code == (1 if args[0] == "examples/webshop" else 0), err
    assert err == ""
    golden(f"plan/{name}", out)


@pytest.mark.parametrize("output_format", ["html", "csv", "ics"])
def test_output_writes_what_standard_output_shows(output_format: str, tmp_path: Path) -> None:
    target = tmp_path / f"plan.{output_format}"
    code, out, _ = invoke("plan", WEBSHOP, "--format", output_format, "--output", str(target))
    assert (code, out) == (0, "")
    _, shown, _ = invoke("plan", WEBSHOP, "--format", output_format)
    assert target.read_bytes() == shown.encode("utf-8")


def test_calendar_of_requests_without_start_is_empty_and_says_why() -> None:
    code, out, err = invoke("plan", HEAT, "--request", "domstad-kanaleneiland-48", "--format", "ics")
    assert code == 0
    assert icalendar.Calendar.from_ical(out).walk("VEVENT") == []
    assert err == "sbn: note: no assignment has dates (give the requests a start date): the calendar is empty\n"


def test_calendar_of_a_dated_request_has_an_event_per_step() -> None:
    code, out, err = invoke("plan", WEBSHOP, "--request", "thermostat-bundle-be-200", "--format", "ics")
    assert (code, err) == (0, "")
    events = icalendar.Calendar.from_ical(out).walk("VEVENT")
    assert len(events) == 10
    assert len({str(event["UID"]) for event in events}) == 10
