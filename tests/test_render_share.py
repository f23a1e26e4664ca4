"""The sharing formats (HTML, CSV, iCalendar) rendered from hand-made plan documents.

The documents hold the fields later parts of the SPEC add (wait, uses, resources, joint mode,
reason_details, backups, changes), so the renderers are checked on them before the planner
writes them.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from share_documents import HOSTILE, document, hostile_document

from sbn.render.common import clean
from sbn.render.csv import COLUMNS, render_csv
from sbn.render.data import amount, quantity
from sbn.render.html import render_html
from sbn.render.ics import render_ics

# --- HTML ----------------------------------------------------------------------------------------

VOID = {"meta", "br", "rect", "line", "polygon", "path", "link", "img", "input", "hr", "col", "wbr"}


class Structure(HTMLParser):
    """Tags in order, checked for balance; SVG shapes written self-closing count as void."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str, css: str) -> int:
        return sum(1 for name, attrs in self.starts if name == tag and css in (attrs.get("class") or "").split())


def parse(page: str) -> Structure:
    structure = Structure()
    structure.feed(page)
    structure.close()
    assert structure.problems == []
    assert structure.stack == []
    return structure


def test_html_is_well_formed_and_has_a_part_per_request_and_assignment() -> None:
    page = render_html(document())
    structure = parse(page)
    assert structure.count("section", "plan") == 2
    # Only the planned request has assignments: one table, chart and graph.
    assert structure.count("table", "assignments") == 1
    assert structure.count("svg", "gantt") == 1
    assert structure.count("g", "bar") == 3
    assert structure.count("svg", "plug-graph") == 1
    assert structure.count("g", "node") == 3
    assert structure.count("g", "edge") == 3  # one per handoff


def test_html_loads_nothing_and_allows_only_its_own_style() -> None:
    page = render_html(document())
    # No script at all, no link, image, frame, font or import; the only URL is SVG's namespace name.
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, re.IGNORECASE)
    assert not re.search(r"@import|url\(|@font-face", page)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(src|srcset|action|formaction)=", page)
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', page))
    assert ' style="' not in page  # a style attribute would need 'unsafe-inline'
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    assert policy.group(1) == f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def test_html_escapes_user_text() -> None:
    page = render_html(hostile_document())
    structure = parse(page)
    assert "<script" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in page
    # Control characters are shown, not sent: ESC becomes \x1b.
    assert "\x1b" not in page
    assert "\\x1b[2J" in "".join(structure.text)
    assert HOSTILE in "".join(structure.text)


def test_html_is_the_same_for_the_same_document() -> None:
    assert render_html(document()) == render_html(document())


def test_html_shows_the_optional_fields() -> None:
    page = render_html(document())
    text = " ".join(" ".join(parse(page).text).split())
    # Joint planning (SPEC §7): the mode and each objective entry.
    assert "Planned jointly" in text
    assert "requests planned in priority 1: 1" in text
    assert "cost: 4,007.50 EUR" in text
    # Resources (SPEC §6): peak and used against their capacity; waiting and uses per assignment.
    assert "gelre-crews" in text and "3 peak" in text and "40.5 used" in text
    assert "5–12, waits 2" in text
    assert "gelre-crews: 2, heat-pumps-2027: 2.5" in text
    assert 'class="wait"' in page
    # Re-planning (SPEC §5): kept, new, and moved with the previous module.
    assert "kept" in text and "new" in text and "was bouw-hp-install" in text
    assert "Changed steps 2 against the previous plan" in text
    # Backups: the backup with its deltas, and the single points of failure.
    assert "gelre-survey" in text and "-150.00" in text and "+2 days" in text
    assert "Single points of failure: approve, install" in text
    # Structured reasons (SPEC §8): the rule beside the sentence, and its numbers.
    assert "budget budget: the cheapest plan" in text
    assert "needed 1250; limit 1000" in text
    assert "resource gelre-crews; needed 5; limit 4" in text
    # A step that takes no time is a diamond, not a bar of zero width.
    assert "a diamond is a step that takes no time" in text


def test_html_without_optional_fields_leaves_their_parts_out() -> None:
    data = document()
    for key in ("mode", "objective", "resources", "ambition"):
        del data[key]
    plan = data["plans"][0]
    del plan["changes"], plan["single_points_of_failure"]
    for assignment in plan["assignments"]:
        for key in ("wait", "uses", "changed", "previous", "backup"):
            assignment.pop(key, None)
    del data["plans"][1]["reason_details"]
    page = render_html(data)
    text = "".join(parse(page).text)
    for absent in ("Planned jointly", "Shared resources", "Wait", "Uses", "Change", "Backups", "was "):
        assert absent not in text
    assert 'class="rule"' not in page
    assert 'class="wait"' not in page
    assert "budget: the cheapest plan" in text  # reasons still shown, from `reasons` alone


def test_html_chart_names_a_far_deadline_instead_of_squeezing_the_bars() -> None:
    data = document()
    data["plans"][0]["deadline"] = 400
    page = render_html(data)
    assert "the deadline, day 400, lies beyond the chart" in page
    assert ">deadline</text>" not in page
    data["plans"][0]["deadline"] = 14
    assert ">deadline</text>" in render_html(data)


# --- CSV -----------------------------------------------------------------------------------------


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_has_one_row_per_assignment_and_one_per_unplanned_request() -> None:
    text = render_csv(document())
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    assert text.count("\r\n") == 5  # RFC 4180 line ends: header and four records
    table = rows(text)
    assert [(row["request"], row["step"]) for row in table] == [
        ("retrofit-7", "survey"),
        ("retrofit-7", "approve"),
        ("retrofit-7", "install"),
        ("retrofit-8", ""),
    ]
    survey, approve, install, unplanned = table
    assert survey["quantity"] == "2.5"
    assert survey["cost"] == "1000.00"
    assert approve["cost"] == "7.50"
    assert survey["start_date"] == "2027-03-01" and survey["finish_date"] == "2027-03-04"
    assert survey["currency"] == "EUR"
    assert survey["customer"] == "Gelre wonen, Arnhem; block C"
    assert install["handoffs"] == "survey-report <- survey; permit <- approve"
    assert approve["handoffs"] == "anything <- survey"
    assert install["wait"] == "2"
    assert install["uses"] == "gelre-crews: 2, heat-pumps-2027: 2.5"
    assert (survey["changed"], survey["previous"]) == ("false", "bouw-survey")
    assert (approve["changed"], approve["previous"]) == ("true", "")
    assert (install["changed"], install["previous"]) == ("true", "bouw-hp-install")
    assert survey["backup_module"] == "gelre-survey"
    assert survey["backup_cost_delta"] == "-150.00"
    assert survey["backup_finish_delta"] == "2"
    assert survey["single_point_of_failure"] == "false"
    assert install["single_point_of_failure"] == "true" and install["backup_module"] == ""
    assert unplanned["status"] == "infeasible"
    assert unplanned["reasons"].split("\n") == document()["plans"][1]["reasons"]


def test_csv_without_optional_fields_leaves_their_cells_empty() -> None:
    data = document()
    for assignment in data["plans"][0]["assignments"]:
        for key in ("wait", "uses", "changed", "previous", "backup", "start_date", "finish_date"):
            assignment.pop(key, None)
    survey = rows(render_csv(data))[0]
    for column in ("wait", "uses", "changed", "previous", "backup_module", "single_point_of_failure", "start_date"):
        assert survey[column] == ""


def test_csv_amounts_are_exact() -> None:
    """As the planner's document carries them (a float alone would give 100000000000000.02)."""
    data = document()
    data["plans"][0]["assignments"][0]["cost"] = amount(10000000000000001)
    data["plans"][0]["assignments"][0]["quantity"] = quantity(Decimal("0.1"))
    survey = rows(render_csv(data))[0]
    assert survey["cost"] == "100000000000000.01"
    assert survey["quantity"] == "0.1"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+2", "'=1+2"),  # formula
        ("+cmd", "'+cmd"),  # formula in some spreadsheets
        ("-2+3", "'-2+3"),  # formula
        ("@SUM(A1)", "'@SUM(A1)"),  # Lotus-style function
        ("\t=1", "'\t=1"),  # a tab first hides a formula from a naive check
        ("a=b", "a=b"),  # not at the start: left alone
        ("site survey", "site survey"),
    ],
)
def test_csv_text_that_a_spreadsheet_would_run_is_quoted(text: str, cell: str) -> None:
    data = document()
    data["plans"][0]["assignments"][0]["capability"] = text
    assert rows(render_csv(data))[0]["capability"] == cell


def test_csv_numbers_are_never_quoted_as_formulas() -> None:
    """A negative delta is a number the spreadsheet should add up, not text."""
    assert rows(render_csv(document()))[0]["backup_cost_delta"] == "-150.00"


def test_csv_control_characters_are_escaped() -> None:
    text = render_csv(hostile_document())
    assert "\x1b" not in text
    assert rows(text)[0]["customer"] == '\'=HYPERLINK("http://evil"); a,b\\c\\x1b[2J'


# --- iCalendar -----------------------------------------------------------------------------------


def test_ics_is_read_back_by_icalendar_with_one_event_per_dated_assignment() -> None:
    text = render_ics(document())
    calendar = icalendar.Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert [str(event["UID"]) for event in events] == [
        "retrofit-7/survey@gelre-heat.sbn",
        "retrofit-7/approve@gelre-heat.sbn",
        "retrofit-7/install@gelre-heat.sbn",
    ]
    survey, approve, install = events
    # All-day events; DTEND is exclusive, so a step of days 0-3 ends on the morning of day 3.
    assert survey.decoded("DTSTART") == date(2027, 3, 1)
    assert survey.decoded("DTEND") == date(2027, 3, 4)
    assert install.decoded("DTSTART") == date(2027, 3, 6)
    assert install.decoded("DTEND") == date(2027, 3, 13)
    # A step that takes no time has no DTEND: one all-day event on its date.
    assert approve.decoded("DTSTART") == date(2027, 3, 4)
    assert "DTEND" not in approve
    for event in events:
        assert "VALUE=DATE" in event.to_ical().decode()
        assert str(event["DTSTAMP"].to_ical().decode()) == "20270301T000000Z"
    assert str(install["SUMMARY"]) == "retrofit-7: install by gelre (gelre-hp-install)"
    description = str(install["DESCRIPTION"])
    assert "Request: retrofit-7 for Gelre wonen, Arnhem; block C" in description
    assert "Step: install (heat-pump-installation)" in description
    assert "Module: gelre-hp-install of partner gelre" in description
    assert "Work: 2027-03-06 to 2027-03-12 (days 5-12 of the plan)" in description
    assert "Waits: 2 days for shared resources" in description
    assert "Receives: survey-report <- survey; permit <- approve" in description
    assert "Uses: gelre-crews: 2, heat-pumps-2027: 2.5" in description
    assert "Change: moved from bouw-hp-install" in description
    assert "Backup: none (single point of failure)" in description
    assert "Backup: gelre-survey of partner gelre, -150.00 EUR, +2 days" in str(survey["DESCRIPTION"])
    assert str(survey["CATEGORIES"].to_ical().decode()) == "bouw"


def test_ics_lines_are_folded_at_75_octets_with_crlf() -> None:
    data = hostile_document()
    data["plans"][0]["customer"] = "Bjørvika " * 30  # two-octet characters across every fold
    text = render_ics(data)
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)
    event = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert f"Request: retrofit-7 for {'Bjørvika ' * 30}".rstrip() in str(event["DESCRIPTION"])


def test_ics_text_survives_separators_and_control_characters() -> None:
    text = render_ics(hostile_document())
    assert "\x1b" not in text
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["X-WR-CALNAME"]) == f"sbn plan: net {HOSTILE}"
    description = str(calendar.walk("VEVENT")[0]["DESCRIPTION"])
    assert 'Request: retrofit-7 for =HYPERLINK("http://evil"); a,b\\c\\x1b[2J' in description


def test_ics_has_no_event_without_dates() -> None:
    data = document()
    for plan in data["plans"]:
        plan.pop("start_date", None)
        for assignment in plan["assignments"]:
            assignment.pop("start_date", None)
            assignment.pop("finish_date", None)
    calendar = icalendar.Calendar.from_ical(render_ics(data))
    assert calendar.walk("VEVENT") == []


def test_ics_is_the_same_for_the_same_document() -> None:
    assert render_ics(document()) == render_ics(document())


# --- Odd documents -------------------------------------------------------------------------------


def test_renderers_take_a_bare_document_with_a_handoff_cycle() -> None:
    """A hand-made document may lack fields and hold a cycle the planner never makes: no crash."""
    data = {
        "schema": "sbn.plan/v1",
        "plans": [
            {
                "request": "r",
                "status": "optimal",
                "assignments": [
                    {"step": "a", "module": "m1", "partner": "p", "start": 0, "finish": 2, "handoffs": [{"from": "b"}]},
                    {"step": "b", "module": "m2", "partner": "q", "start": 2, "finish": 4, "handoffs": [{"from": "a"}]},
                    {"step": "c", "module": "m3", "partner": "q", "handoffs": [{"from": "gone", "interface": "x"}]},
                ],
            }
        ],
    }
    structure = parse(render_html(data))
    assert structure.count("g", "bar") == 3
    assert structure.count("g", "node") == 3
    assert structure.count("g", "edge") == 1  # a -> b is drawn; the edge closing the cycle and the unknown step are not
    assert len(rows(render_csv(data))) == 3
    assert icalendar.Calendar.from_ical(render_ics(data)).walk("VEVENT") == []


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40))
def test_any_text_is_escaped_in_html_and_read_back_from_csv_and_ics(text: str) -> None:
    data = document()
    plan = data["plans"][0]
    plan["customer"] = text
    plan["assignments"][2]["handoffs"][1]["interface"] = text
    structure = parse(render_html(data))
    shown = clean(text)
    assert structure.count("g", "edge") == 3
    # The parser reads back what was written (browsers would also fold CR into LF and NUL into U+FFFD).
    assert shown in "".join(structure.text)
    cell = rows(render_csv(data))[0]["customer"]
    assert cell in (shown, "'" + shown)
    event = icalendar.Calendar.from_ical(render_ics(data)).walk("VEVENT")[0]
    assert f"Request: retrofit-7 for {shown}\n" in str(event["DESCRIPTION"])
