"""Structured reasons (SPEC §8): beside `reasons`, `reason_details` carries each reason's rule, its sentence,
and every number it quotes as a field of its own, so a pipeline can branch on them."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from support.build import Doc, module, only_plan, partner, plan_dict, request, step
from support.strategies import examples, networks

P = [partner("p1"), partner("p2")]


def details(tmp_path: Path, doc: Doc, **options: Any) -> tuple[list[str], list[dict[str, Any]]]:
    entry = only_plan(plan_dict(tmp_path, doc, **options))
    return entry["reasons"], entry["reason_details"]


def test_a_budget_conflict_names_the_rule_and_both_amounts(tmp_path: Path) -> None:
    doc = Doc(
        partners=P, modules=[module("m", "p1", "a", cost=22030)], requests=[request("r", step("a"), budget=15000)]
    )
    reasons, found = details(tmp_path, doc)
    assert found == [{"rule": "budget", "text": reasons[0], "needed": 22030.0, "limit": 15000.0}]
    assert reasons[0] == (
        "budget: the cheapest plan meeting everything else costs 22,030.00 EUR; budget is 15,000.00 EUR"
    )


def test_a_deadline_conflict_gives_the_earliest_finish_and_the_deadline(tmp_path: Path) -> None:
    doc = Doc(
        partners=P,
        modules=[module("m", "p1", "a", lead_time=9), module("n", "p2", "b", lead_time=4)],
        requests=[request("r", step("a"), step("b", after=["a"]), deadline=10)],
    )
    _, found = details(tmp_path, doc)
    assert found == [{"rule": "deadline", "text": found[0]["text"], "needed": 13, "limit": 10}]


def test_a_step_without_candidates_counts_each_reason_with_its_rule(tmp_path: Path) -> None:
    doc = Doc(
        partners=[partner("p1", region="NL"), partner("p2", region="DE", certifications=["iso"])],
        modules=[module("m1", "p1", "a"), module("m2", "p2", "a"), module("m3", "p1", "a")],
        requests=[request("r", step("a"), region="DE", certifications=["vca"])],
    )
    reasons, found = details(tmp_path, doc)
    assert reasons == ["step a (a): 0 of 3 modules fit: 2 do not serve region DE, 1 lacks certification vca"]
    assert found == [
        {
            "rule": "candidates",
            "text": reasons[0],
            "step": "a",
            "capability": "a",
            "offered": 3,
            "fit": 0,
            "rejected": [
                {"reason": "do not serve region DE", "rule": "region", "count": 2},
                {"reason": "lacks certification vca", "rule": "certifications", "count": 1},
            ],
        }
    ]


def test_a_capacity_conflict_names_who_took_it(tmp_path: Path) -> None:
    doc = Doc(
        partners=[partner("p1", capacity=10)],
        modules=[module("m", "p1", "a"), module("n", "p1", "b")],
        requests=[
            request("first", step("a"), quantity=6, priority=1),
            request("r", step("a"), step("b"), quantity=3),
        ],
    )
    data = plan_dict(tmp_path, doc)
    entry = next(p for p in data["plans"] if p["request"] == "r")
    capacity = [d for d in entry["reason_details"] if d["rule"] == "partner_capacity"]
    assert capacity == [
        {
            "rule": "partner_capacity",
            "text": capacity[0]["text"],
            "partner": "p1",
            "needed": 6,
            "left": 4,
            "capacity": 10,
            "taken_by": {"first": 6},
        }
    ]


def test_a_planned_request_has_none(tmp_path: Path) -> None:
    doc = Doc(partners=P, modules=[module("m", "p1", "a")], requests=[request("r", step("a"))])
    assert details(tmp_path, doc) == ([], [])


NUMBER = re.compile(r"(?<![\w.-])-?\d[\d,]*(?:\.\d+)?(?![\w-])")


def numbers_in(value: Any) -> set[str]:
    """Every number among a detail's fields, as text without separators or trailing zeros."""
    if isinstance(value, dict):
        return set().union(*(numbers_in(item) for key, item in value.items() if key not in ("text",)))
    if isinstance(value, list):
        return set().union(*(numbers_in(item) for item in value)) if value else set()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return set()
    return {_plain(str(value))}


def _plain(text: str) -> str:
    text = text.replace(",", "")
    return text.rstrip("0").rstrip(".") if "." in text else text


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_every_number_a_reason_quotes_is_a_field_of_its_own(doc: Doc) -> None:
    with tempfile.TemporaryDirectory() as name:
        data = plan_dict(Path(name), doc)
    for entry in data["plans"]:
        assert [d["text"] for d in entry["reason_details"]] == entry["reasons"]
        for detail in entry["reason_details"]:
            assert isinstance(detail["rule"], str) and detail["rule"]
            quoted = {_plain(number) for number in NUMBER.findall(detail["text"])}
            assert quoted <= numbers_in(detail), (detail["text"], quoted - numbers_in(detail), detail)


def test_a_capacity_taken_by_many_sums_up_the_rest_in_fields(tmp_path: Path) -> None:
    earlier = [request(f"e{i}", step("a"), quantity=2, priority=1) for i in range(5)]
    doc = Doc(
        partners=[partner("p1", capacity=13)],
        modules=[module("m", "p1", "a"), module("n", "p1", "b")],
        requests=[*earlier, request("r", step("a"), step("b"), quantity=2)],
    )
    entry = next(p for p in plan_dict(tmp_path, doc)["plans"] if p["request"] == "r")
    (detail,) = [d for d in entry["reason_details"] if d["rule"] == "partner_capacity"]
    assert detail["taken_by"] == {f"e{i}": 2 for i in range(5)}
    assert detail["taken_by_others"] == {"requests": 2, "took": 4}
    assert "2 more took 4" in detail["text"]
    quoted = {_plain(n) for n in NUMBER.findall(detail["text"])}
    assert quoted <= numbers_in(detail)
