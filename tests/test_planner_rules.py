"""Each rule of SPEC §2 on a 2–3 module instance: once where it binds, once where it does not.

Plans are read from `sbn plan --format json` (or the same data from the library), so the
tests pin what users see, never how the planner gets there.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.build import (
    Doc,
    Number,
    assignment,
    cli_bytes,
    module,
    modules_of,
    only_plan,
    partner,
    plan_dict,
    plan_of,
    request,
    run_cli,
    step,
)

from sbn.cli import main

P = [partner("p1"), partner("p2"), partner("p3")]


def solve_one(
    tmp_path: Path, modules: list[dict[str, Any]], req: dict[str, Any], partners: list[dict[str, Any]] = P
) -> dict[str, Any]:
    """The plan of a single request, in `sbn.plan/v1` shape."""
    return only_plan(plan_dict(tmp_path, Doc(partners=partners, modules=modules, requests=[req])))


def picked(
    tmp_path: Path, modules: list[dict[str, Any]], req: dict[str, Any], partners: list[dict[str, Any]] = P
) -> dict[str, str]:
    entry = solve_one(tmp_path, modules, req, partners)
    assert entry["status"] == "optimal", entry["reasons"]
    return modules_of(entry)


def infeasible(
    tmp_path: Path, modules: list[dict[str, Any]], req: dict[str, Any], partners: list[dict[str, Any]] = P
) -> list[str]:
    entry = solve_one(tmp_path, modules, req, partners)
    assert entry["status"] == "infeasible"
    assert entry["assignments"] == []
    assert entry["cost"] is None and entry["finish"] is None
    return entry["reasons"]


# -- capability ------------------------------------------------------------------------------


def test_capability_binds_cheaper_module_of_another_capability_is_never_used(tmp_path: Path) -> None:
    modules = [module("cheap-paint", "p1", "painting", cost=1), module("assembler", "p2", "assembly", cost=100)]
    assert picked(tmp_path, modules, request("r", step("build", "assembly"))) == {"build": "assembler"}


def test_capability_does_not_bind_among_modules_offering_it(tmp_path: Path) -> None:
    modules = [module("a1", "p1", "assembly", cost=100), module("a2", "p2", "assembly", cost=50)]
    assert picked(tmp_path, modules, request("r", step("build", "assembly"))) == {"build": "a2"}


def test_capability_nobody_offers_is_infeasible_and_says_so(tmp_path: Path) -> None:
    modules = [module("paint", "p1", "painting")]
    reasons = infeasible(tmp_path, modules, request("r", step("build", "assembly")))
    assert reasons == ["step build (assembly): no module in the network offers this capability"]


def test_step_id_defaults_to_its_capability(tmp_path: Path) -> None:
    modules = [module("a1", "p1", "assembly")]
    req = {"id": "r", "steps": [{"capability": "assembly"}]}
    assert picked(tmp_path, modules, req) == {"assembly": "a1"}


# -- region ----------------------------------------------------------------------------------


def test_region_binds_cheaper_module_elsewhere_is_not_used(tmp_path: Path) -> None:
    modules = [module("de", "p1", "ship", regions=["DE"], cost=1), module("nl", "p2", "ship", regions=["NL"], cost=9)]
    assert picked(tmp_path, modules, request("r", step("ship"), region="NL")) == {"ship": "nl"}


def test_region_absent_on_request_filters_nothing(tmp_path: Path) -> None:
    modules = [module("de", "p1", "ship", regions=["DE"], cost=1), module("nl", "p2", "ship", regions=["NL"], cost=9)]
    assert picked(tmp_path, modules, request("r", step("ship"))) == {"ship": "de"}


def test_region_star_serves_everywhere(tmp_path: Path) -> None:
    modules = [module("any", "p1", "ship", regions=["*"], cost=1), module("nl", "p2", "ship", regions=["NL"], cost=9)]
    assert picked(tmp_path, modules, request("r", step("ship"), region="NL")) == {"ship": "any"}


def test_region_defaults_to_the_partners_home_region(tmp_path: Path) -> None:
    partners = [partner("de-co", region="DE"), partner("nl-co", region="NL")]
    modules = [module("de", "de-co", "ship", cost=1), module("nl", "nl-co", "ship", cost=9)]
    assert picked(tmp_path, modules, request("r", step("ship"), region="NL"), partners) == {"ship": "nl"}
    assert picked(tmp_path, modules, request("r", step("ship"), region="DE"), partners) == {"ship": "de"}


def test_region_declared_on_the_module_replaces_the_partners(tmp_path: Path) -> None:
    partners = [partner("nl-co", region="NL"), partner("other", region="NL")]
    modules = [module("abroad", "nl-co", "ship", regions=["BE"], cost=1), module("home", "other", "ship", cost=9)]
    assert picked(tmp_path, modules, request("r", step("ship"), region="NL"), partners) == {"ship": "home"}


def test_region_is_a_string_exactly_as_written(tmp_path: Path) -> None:
    # `NO` is Norway, not a boolean false; the helper writes it quoted, so also write it bare.
    path = tmp_path / "norway.yaml"
    path.write_text(
        "partners: [{id: p1, region: NO}, {id: p2, region: 'no'}]\n"
        "modules:\n"
        "  - {id: m1, partner: p1, capability: ship, cost: 5}\n"
        "  - {id: m2, partner: p2, capability: ship, cost: 1}\n"
        "requests: [{id: r, region: NO, steps: [{id: ship, capability: ship}]}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    assert main(["plan", str(path), "--format", "json", "--output", str(out)]) == 0
    assert modules_of(only_plan(json.loads(out.read_text()))) == {"ship": "m1"}


def test_region_counted_in_the_reasons(tmp_path: Path) -> None:
    modules = [module("de", "p1", "ship", regions=["DE"]), module("be", "p2", "ship", regions=["BE"])]
    reasons = infeasible(tmp_path, modules, request("r", step("ship"), region="NL"))
    assert reasons == ["step ship (ship): 0 of 2 modules fit: 2 do not serve region NL"]


# -- certifications --------------------------------------------------------------------------


def test_certification_of_the_request_binds(tmp_path: Path) -> None:
    modules = [module("plain", "p1", "build", cost=1), module("iso", "p2", "build", cost=9, certifications=["iso9001"])]
    assert picked(tmp_path, modules, request("r", step("build"), certifications=["iso9001"])) == {"build": "iso"}


def test_certification_not_required_does_not_bind(tmp_path: Path) -> None:
    modules = [module("plain", "p1", "build", cost=1), module("iso", "p2", "build", cost=9, certifications=["iso9001"])]
    assert picked(tmp_path, modules, request("r", step("build"))) == {"build": "plain"}


def test_certification_held_by_the_partner_counts_for_every_module(tmp_path: Path) -> None:
    partners = [partner("p1", certifications=["iso9001"]), partner("p2")]
    modules = [module("held", "p1", "build", cost=5), module("plain", "p2", "build", cost=1)]
    req = request("r", step("build"), certifications=["iso9001"])
    assert picked(tmp_path, modules, req, partners) == {"build": "held"}


def test_certification_needs_all_of_them_from_partner_and_module_together(tmp_path: Path) -> None:
    partners = [partner("p1", certifications=["iso9001"]), partner("p2", certifications=["iso9001"])]
    modules = [
        module("half", "p1", "build", cost=1),
        module("both", "p2", "build", cost=9, certifications=["vca"]),
    ]
    req = request("r", step("build"), certifications=["iso9001", "vca"])
    assert picked(tmp_path, modules, req, partners) == {"build": "both"}


def test_certification_of_a_step_applies_to_that_step_only(tmp_path: Path) -> None:
    modules = [
        module("plain-a", "p1", "a", cost=1),
        module("cert-a", "p2", "a", cost=9, certifications=["food"]),
        module("plain-b", "p1", "b", cost=1),
        module("cert-b", "p2", "b", cost=9, certifications=["food"]),
    ]
    req = request("r", step("a", certifications=["food"]), step("b"))
    assert picked(tmp_path, modules, req) == {"a": "cert-a", "b": "plain-b"}


def test_certification_counted_in_the_reasons(tmp_path: Path) -> None:
    modules = [module("m1", "p1", "build"), module("m2", "p2", "build"), module("m3", "p3", "build")]
    reasons = infeasible(tmp_path, modules, request("r", step("build", certifications=["iso9001"])))
    assert reasons == ["step build (build): 0 of 3 modules fit: 3 lack certification iso9001"]


# -- min_reputation --------------------------------------------------------------------------


def test_min_reputation_binds(tmp_path: Path) -> None:
    partners = [partner("low", reputation=0.4), partner("high", reputation=0.9)]
    modules = [module("cheap", "low", "build", cost=1), module("dear", "high", "build", cost=9)]
    assert picked(tmp_path, modules, request("r", step("build"), min_reputation=0.5), partners) == {"build": "dear"}


def test_min_reputation_is_inclusive_and_default_reputation_is_half(tmp_path: Path) -> None:
    partners = [partner("default"), partner("high", reputation=0.9)]
    modules = [module("cheap", "default", "build", cost=1), module("dear", "high", "build", cost=9)]
    assert picked(tmp_path, modules, request("r", step("build"), min_reputation=0.5), partners) == {"build": "cheap"}
    assert picked(tmp_path, modules, request("r", step("build"), min_reputation=0.51), partners) == {"build": "dear"}


def test_min_reputation_counted_in_the_reasons(tmp_path: Path) -> None:
    partners = [partner("low", reputation=0.4)]
    reasons = infeasible(
        tmp_path, [module("m", "low", "build")], request("r", step("build"), min_reputation=0.8), partners
    )
    assert reasons == ["step build (build): 0 of 1 module fit: 1 below reputation 0.8"]


# -- exclude and pin -------------------------------------------------------------------------


def test_exclude_binds(tmp_path: Path) -> None:
    modules = [module("cheap", "p1", "build", cost=1), module("dear", "p2", "build", cost=9)]
    assert picked(tmp_path, modules, request("r", step("build"), exclude=["p1"])) == {"build": "dear"}


def test_exclude_of_an_unused_partner_does_not_bind(tmp_path: Path) -> None:
    modules = [module("cheap", "p1", "build", cost=1), module("dear", "p2", "build", cost=9)]
    assert picked(tmp_path, modules, request("r", step("build"), exclude=["p3"])) == {"build": "cheap"}


def test_exclude_counted_in_the_reasons(tmp_path: Path) -> None:
    modules = [module("m1", "p1", "build"), module("m2", "p2", "build")]
    reasons = infeasible(tmp_path, modules, request("r", step("build"), exclude=["p1", "p2"]))
    assert reasons == ["step build (build): 0 of 2 modules fit: 2 excluded by the request"]


def test_pin_binds_only_that_partner_may_do_the_step(tmp_path: Path) -> None:
    modules = [module("cheap", "p1", "build", cost=1), module("dear", "p2", "build", cost=9)]
    req = request("r", step("build", partner="p2"), step("ship"))
    modules += [module("ship1", "p1", "ship", cost=1), module("ship2", "p2", "ship", cost=9)]
    assert picked(tmp_path, modules, req) == {"build": "dear", "ship": "ship1"}


def test_pin_to_the_partner_that_would_win_anyway_does_not_bind(tmp_path: Path) -> None:
    modules = [module("cheap", "p1", "build", cost=1), module("dear", "p2", "build", cost=9)]
    assert picked(tmp_path, modules, request("r", step("build", partner="p1"))) == {"build": "cheap"}


def test_pin_counted_in_the_reasons(tmp_path: Path) -> None:
    modules = [module("m1", "p1", "build"), module("m2", "p2", "build")]
    reasons = infeasible(tmp_path, modules, request("r", step("build", partner="p3")))
    assert reasons == ["step build (build): 0 of 2 modules fit: 2 not of partner p3, to whom the step is pinned"]


# -- min_order_value -------------------------------------------------------------------------


def test_min_order_value_binds_small_orders_go_elsewhere(tmp_path: Path) -> None:
    partners = [partner("big", interests={"min_order_value": 100}), partner("small")]
    modules = [
        module("big-m", "big", "build", cost={"per_unit": 10}),
        module("small-m", "small", "build", cost={"per_unit": 12}),
    ]
    # 5 × 10 = 50 is below big's minimum of 100.
    assert picked(tmp_path, modules, request("r", step("build"), quantity=5), partners) == {"build": "small-m"}


def test_min_order_value_met_exactly_does_not_bind(tmp_path: Path) -> None:
    partners = [partner("big", interests={"min_order_value": 100}), partner("small")]
    modules = [
        module("big-m", "big", "build", cost={"per_unit": 10}),
        module("small-m", "small", "build", cost={"per_unit": 12}),
    ]
    # 10 × 10 = 100: at least the minimum.
    assert picked(tmp_path, modules, request("r", step("build"), quantity=10), partners) == {"build": "big-m"}


def test_min_order_value_uses_the_steps_own_quantity(tmp_path: Path) -> None:
    partners = [partner("big", interests={"min_order_value": 100}), partner("small")]
    modules = [
        module("big-m", "big", "build", cost={"per_unit": 10}),
        module("small-m", "small", "build", cost={"per_unit": 12}),
    ]
    req = request("r", step("build", quantity=20), quantity=1)
    assert picked(tmp_path, modules, req, partners) == {"build": "big-m"}


def test_min_order_value_counted_in_the_reasons(tmp_path: Path) -> None:
    partners = [partner("big", interests={"min_order_value": 100})]
    reasons = infeasible(tmp_path, [module("m", "big", "build", cost=99.99)], request("r", step("build")), partners)
    assert reasons == ["step build (build): 0 of 1 module fit: 1 under their minimum order value"]


def test_min_order_value_rejection_quotes_both_amounts_as_money(tmp_path: Path) -> None:
    # The minimum is an amount of money, written like the cost beside it (was "minimum order value 100").
    partners = [partner("big", interests={"min_order_value": 100}), partner("small")]
    modules = [module("m", "big", "build", cost=99.99), module("n", "small", "build", cost=200)]
    _, data = run_cli(tmp_path, Doc(partners, modules, [request("r", step("build"))]), "--explain")
    assert data is not None
    (explained,) = only_plan(data)["steps"]
    assert explained["rejected"] == [
        {
            "module": "m",
            "partner": "big",
            "reason": "costs 99.99 EUR, below partner big's minimum order value 100.00 EUR",
        }
    ]


# -- plug compatibility ----------------------------------------------------------------------


def plug_modules(ship_inputs: list[str]) -> list[dict[str, Any]]:
    return [
        module("units", "p1", "build", outputs=["unit"], cost=1),
        module("pallets", "p2", "build", outputs=["pallet"], cost=9),
        module("shipper", "p3", "ship", inputs=ship_inputs, cost=1),
    ]


def test_plug_compatibility_binds_upstream_must_output_what_downstream_accepts(tmp_path: Path) -> None:
    req = request("r", step("build"), step("ship", after=["build"]))
    entry = solve_one(tmp_path, plug_modules(["pallet"]), req)
    assert modules_of(entry) == {"build": "pallets", "ship": "shipper"}
    assert assignment(entry, "ship")["handoffs"] == [{"from": "build", "interface": "pallet"}]


def test_plug_compatibility_empty_inputs_accept_anything(tmp_path: Path) -> None:
    req = request("r", step("build"), step("ship", after=["build"]))
    entry = solve_one(tmp_path, plug_modules([]), req)
    assert modules_of(entry) == {"build": "units", "ship": "shipper"}
    assert assignment(entry, "ship")["handoffs"] == [{"from": "build", "interface": None}]
    assert assignment(entry, "build")["handoffs"] == []


def test_plug_compatibility_applies_only_along_after_edges(tmp_path: Path) -> None:
    req = request("r", step("build"), step("ship"))
    assert picked(tmp_path, plug_modules(["pallet"]), req) == {"build": "units", "ship": "shipper"}


def test_handoff_interface_is_the_alphabetically_first_match(tmp_path: Path) -> None:
    modules = [
        module("maker", "p1", "build", outputs=["zeta", "beta", "alpha"]),
        module("taker", "p2", "ship", inputs=["zeta", "gamma", "beta"]),
    ]
    entry = solve_one(tmp_path, modules, request("r", step("build"), step("ship", after=["build"])))
    assert assignment(entry, "ship")["handoffs"] == [{"from": "build", "interface": "beta"}]


def test_handoffs_one_per_after_edge_in_after_order(tmp_path: Path) -> None:
    modules = [
        module("make-a", "p1", "a", outputs=["x"]),
        module("make-b", "p2", "b", outputs=["y"]),
        module("join", "p3", "c", inputs=["y", "x"]),
    ]
    req = request("r", step("a"), step("b"), step("c", after=["b", "a"]))
    entry = solve_one(tmp_path, modules, req)
    assert assignment(entry, "c")["handoffs"] == [{"from": "b", "interface": "y"}, {"from": "a", "interface": "x"}]


def test_plug_with_no_match_at_all_names_both_sides(tmp_path: Path) -> None:
    modules = [module("maker", "p1", "build", outputs=["unit"]), module("shipper", "p2", "ship", inputs=["pallet"])]
    reasons = infeasible(tmp_path, modules, request("r", step("build"), step("ship", after=["build"])))
    # Which list is which, and whose: the upstream step's outputs, the later step's inputs.
    assert reasons == [
        "no module for step ship accepts what step build outputs: step build's modules (maker) output [unit]; "
        "step ship's modules (shipper) accept [pallet]"
    ]


def test_plug_in_conflict_with_the_budget_names_both(tmp_path: Path) -> None:
    req = request("r", step("build"), step("ship", after=["build"]), budget=5)
    reasons = infeasible(tmp_path, plug_modules(["pallet"]), req)
    assert any("plug_compatibility" in reason and "budget" in reason for reason in reasons), reasons
    assert any(r.startswith("budget: the cheapest plan meeting") for r in reasons), reasons
    assert any(r.startswith("plug_compatibility:") and "shipper" in r for r in reasons), reasons


# -- schedule and deadline -------------------------------------------------------------------


def test_schedule_a_step_starts_when_all_its_predecessors_have_finished(tmp_path: Path) -> None:
    modules = [
        module("ma", "p1", "a", lead_time=3),
        module("mb", "p2", "b", lead_time=5),
        module("mc", "p3", "c", lead_time=2),
        module("md", "p1", "d", lead_time=1),
    ]
    req = request("r", step("a"), step("b", after=["a"]), step("c"), step("d", after=["c", "b"]))
    entry = solve_one(tmp_path, modules, req)
    times = {a["step"]: (a["start"], a["finish"]) for a in entry["assignments"]}
    assert times == {"a": (0, 3), "b": (3, 8), "c": (0, 2), "d": (8, 9)}
    assert entry["finish"] == 9
    assert [a["step"] for a in entry["assignments"]] == ["a", "b", "c", "d"]


def test_schedule_with_steps_listed_before_their_predecessors(tmp_path: Path) -> None:
    modules = [module("ma", "p1", "a", lead_time=3), module("mb", "p2", "b", lead_time=5)]
    entry = solve_one(tmp_path, modules, request("r", step("b", after=["a"]), step("a")))
    assert [(a["step"], a["start"], a["finish"]) for a in entry["assignments"]] == [("b", 3, 8), ("a", 0, 3)]


def deadline_modules() -> list[dict[str, Any]]:
    return [module("slow", "p1", "build", lead_time=5, cost=1), module("fast", "p2", "build", lead_time=2, cost=9)]


def test_deadline_binds(tmp_path: Path) -> None:
    assert picked(tmp_path, deadline_modules(), request("r", step("build"), deadline=4)) == {"build": "fast"}


def test_deadline_met_exactly_does_not_bind(tmp_path: Path) -> None:
    assert picked(tmp_path, deadline_modules(), request("r", step("build"), deadline=5)) == {"build": "slow"}


def test_deadline_as_a_date_counts_days_from_start(tmp_path: Path) -> None:
    binding = request("r", step("build"), start="2024-02-27", deadline="2024-03-02")  # 4 days: leap year
    entry = solve_one(tmp_path, deadline_modules(), binding)
    assert modules_of(entry) == {"build": "fast"}
    assert entry["start_date"] == "2024-02-27" and entry["finish_date"] == "2024-02-29"
    build = assignment(entry, "build")
    assert (build["start_date"], build["finish_date"]) == ("2024-02-27", "2024-02-29")
    loose = request("r", step("build"), start="2024-02-27", deadline="2024-03-03")  # 5 days
    assert picked(tmp_path, deadline_modules(), loose) == {"build": "slow"}


def test_deadline_that_nothing_meets_is_explained(tmp_path: Path) -> None:
    modules = [*deadline_modules(), module("ship", "p3", "ship", lead_time=4)]
    req = request("r", step("build"), step("ship", after=["build"]), deadline=5)
    reasons = infeasible(tmp_path, modules, req)
    assert reasons == ["deadline: the earliest finish meeting everything else is day 6; deadline is day 5"]


# -- budget ----------------------------------------------------------------------------------


def budget_modules() -> list[dict[str, Any]]:
    return [
        module("fast", "p1", "build", lead_time=1, cost=800),
        module("slow", "p2", "build", lead_time=9, cost=600),
    ]


def test_budget_binds(tmp_path: Path) -> None:
    req = request("r", step("build"), budget=700, optimize=["time"])
    assert picked(tmp_path, budget_modules(), req) == {"build": "slow"}


def test_budget_met_exactly_does_not_bind(tmp_path: Path) -> None:
    req = request("r", step("build"), budget=800, optimize=["time"])
    assert picked(tmp_path, budget_modules(), req) == {"build": "fast"}


def test_budget_too_small_is_explained_with_the_cheapest_plan(tmp_path: Path) -> None:
    modules = [
        module("a", "p1", "build", cost=1000),
        module("b", "p2", "ship", cost=250),
        module("c", "p3", "ship", cost=300),
    ]
    req = request("r", step("build"), step("ship"), budget=1000)
    reasons = infeasible(tmp_path, modules, req)
    assert len(reasons) == 1
    assert reasons[0].startswith("budget: ")
    assert "cheapest plan meeting everything else costs 1,250.00" in reasons[0]
    assert "budget is 1,000.00" in reasons[0]


def test_budget_conflicting_with_the_deadline_names_both_quantified(tmp_path: Path) -> None:
    req = request("r", step("build"), budget=700, deadline=5)
    reasons = infeasible(tmp_path, budget_modules(), req)
    assert any("budget" in r and "deadline" in r and "cannot all be met" in r for r in reasons), reasons
    assert any(r.startswith("budget:") and "costs 800.00" in r and "budget is 700.00" in r for r in reasons), reasons
    assert any(r.startswith("deadline:") and "is day 9; deadline is day 5" in r for r in reasons), reasons


def test_the_smallest_conflict_comes_first_then_every_other_one(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", cost=1, lead_time=5),
        module("b1", "p1", "b", cost=100, lead_time=1),
        module("b2", "p2", "b", cost=1, lead_time=1),
    ]
    # No plan at all meets the deadline; apart from that, budget and max_partners clash. Fixing the
    # deadline alone would not do, so both conflicts are reported, the smallest first.
    req = request("r", step("a"), step("b"), budget=50, max_partners=1, deadline=3)
    assert infeasible(tmp_path, modules, req) == [
        "deadline: the earliest finish meeting only the steps' own requirements is day 5; deadline is day 3",
        "these rules cannot all be met together: budget, max_partners",
        "budget: the cheapest plan meeting the other rules in conflict costs 101.00 EUR; budget is 50.00 EUR",
        "max_partners: the fewest partners meeting the other rules in conflict is 2; max_partners is 1",
    ]
    # Without the clash, the deadline is the only conflict.
    assert infeasible(tmp_path, modules, {**req, "max_partners": 2}) == [
        "deadline: the earliest finish meeting everything else is day 5; deadline is day 3"
    ]


def test_independent_conflicts_are_each_reported(tmp_path: Path) -> None:
    modules = [module("a1", "p1", "build", cost=10, lead_time=9), module("a2", "p2", "build", cost=20, lead_time=8)]
    assert infeasible(tmp_path, modules, request("r", step("build"), budget=5, deadline=2)) == [
        "budget: the cheapest plan meeting only the steps' own requirements costs 10.00 EUR; budget is 5.00 EUR",
        "deadline: the earliest finish meeting only the steps' own requirements is day 8; deadline is day 2",
    ]


# -- max_partners ----------------------------------------------------------------------------


def two_step_modules() -> list[dict[str, Any]]:
    return [
        module("a1", "p1", "a", cost=1),
        module("b2", "p2", "b", cost=1),
        module("b1", "p1", "b", cost=5),
    ]


def test_max_partners_binds(tmp_path: Path) -> None:
    req = request("r", step("a"), step("b"), max_partners=1)
    entry = solve_one(tmp_path, two_step_modules(), req)
    assert modules_of(entry) == {"a": "a1", "b": "b1"}
    assert entry["partners"] == ["p1"]


def test_max_partners_not_reached_does_not_bind(tmp_path: Path) -> None:
    req = request("r", step("a"), step("b"), max_partners=2)
    entry = solve_one(tmp_path, two_step_modules(), req)
    assert modules_of(entry) == {"a": "a1", "b": "b2"}
    assert entry["partners"] == ["p1", "p2"]


def test_max_partners_impossible_is_explained(tmp_path: Path) -> None:
    modules = [module("a1", "p1", "a"), module("b2", "p2", "b")]
    reasons = infeasible(tmp_path, modules, request("r", step("a"), step("b"), max_partners=1))
    assert reasons == ["max_partners: the fewest partners meeting everything else is 2; max_partners is 1"]


# -- avoid -----------------------------------------------------------------------------------


@pytest.mark.parametrize("declared_by", ["p1", "p2"])
def test_avoid_binds_either_way_round(tmp_path: Path, declared_by: str) -> None:
    partners = [
        partner(p, interests={"avoid": ["p2" if p == "p1" else "p1"]} if p == declared_by else {}) for p in ("p1", "p2")
    ]
    partners.append(partner("p3"))
    modules = [*two_step_modules(), module("b3", "p3", "b", cost=3)]
    assert picked(tmp_path, modules, request("r", step("a"), step("b")), partners) == {"a": "a1", "b": "b3"}


def test_avoid_does_not_bind_when_only_one_of_them_takes_part(tmp_path: Path) -> None:
    partners = [partner("p1", interests={"avoid": ["p3"]}), partner("p2"), partner("p3")]
    modules = [*two_step_modules(), module("b3", "p3", "b", cost=3)]
    assert picked(tmp_path, modules, request("r", step("a"), step("b")), partners) == {"a": "a1", "b": "b2"}


def test_avoid_applies_within_a_request_not_across_requests(tmp_path: Path) -> None:
    partners = [partner("p1", interests={"avoid": ["p2"]}), partner("p2")]
    modules = [module("a1", "p1", "a"), module("b2", "p2", "b")]
    data = plan_dict(tmp_path, Doc(partners, modules, [request("r1", step("a")), request("r2", step("b"))]))
    assert [p["status"] for p in data["plans"]] == ["optimal", "optimal"]


def test_avoid_impossible_is_explained(tmp_path: Path) -> None:
    partners = [partner("p1"), partner("p2", interests={"avoid": ["p1"]})]
    modules = [module("a1", "p1", "a"), module("b2", "p2", "b")]
    reasons = infeasible(tmp_path, modules, request("r", step("a"), step("b")), partners)
    assert reasons == [
        "avoid: a plan meeting everything else needs partners p1 and p2 together, but they avoid each other"
    ]


# -- capacity --------------------------------------------------------------------------------


def capacity_doc(first: dict[str, Any], second: dict[str, Any], **cheap: Any) -> Doc:
    modules = [module("cheap", "p1", "build", cost=1, **cheap), module("dear", "p2", "build", cost=9)]
    return Doc(P, modules, [first, second])


def test_module_capacity_binds_across_requests_first_in_file_order(tmp_path: Path) -> None:
    doc = capacity_doc(request("r1", step("build"), quantity=6), request("r2", step("build"), quantity=6), capacity=10)
    data = plan_dict(tmp_path, doc)
    assert modules_of(plan_of(data, "r1")) == {"build": "cheap"}
    assert modules_of(plan_of(data, "r2")) == {"build": "dear"}
    assert [p["request"] for p in data["plans"]] == ["r1", "r2"]


def test_module_capacity_goes_to_the_higher_priority_first(tmp_path: Path) -> None:
    doc = capacity_doc(
        request("r1", step("build"), quantity=6), request("r2", step("build"), quantity=6, priority=1), capacity=10
    )
    data = plan_dict(tmp_path, doc)
    assert modules_of(plan_of(data, "r1")) == {"build": "dear"}
    assert modules_of(plan_of(data, "r2")) == {"build": "cheap"}
    assert [p["request"] for p in data["plans"]] == ["r1", "r2"]  # output keeps file order


def test_module_capacity_large_enough_does_not_bind(tmp_path: Path) -> None:
    doc = capacity_doc(request("r1", step("build"), quantity=6), request("r2", step("build"), quantity=4), capacity=10)
    data = plan_dict(tmp_path, doc)
    assert [modules_of(p) for p in data["plans"]] == [{"build": "cheap"}, {"build": "cheap"}]


def test_module_capacity_shared_by_steps_of_one_request(tmp_path: Path) -> None:
    modules = [module("cheap", "p1", "build", cost=1, capacity=10), module("dear", "p2", "build", cost=9)]
    req = request("r", step("one", "build"), step("two", "build"), quantity=6)
    chosen = picked(tmp_path, modules, req)
    assert sorted(chosen.values()) == ["cheap", "dear"]


def test_module_capacity_exhausted_by_an_earlier_request_is_counted(tmp_path: Path) -> None:
    modules = [module("only", "p1", "build", capacity=10)]
    doc = Doc(P, modules, [request("r1", step("build"), quantity=6), request("r2", step("build"), quantity=6)])
    data = plan_dict(tmp_path, doc)
    assert plan_of(data, "r1")["status"] == "optimal"
    assert plan_of(data, "r2")["status"] == "infeasible"
    assert plan_of(data, "r2")["reasons"] == ["step build (build): 0 of 1 module fit: 1 over capacity"]


def test_module_capacity_conflict_within_a_request_is_explained(tmp_path: Path) -> None:
    modules = [module("only", "p1", "build", capacity=10)]
    reasons = infeasible(tmp_path, modules, request("r", step("one", "build"), step("two", "build"), quantity=6))
    assert len(reasons) == 1
    assert reasons[0].startswith("module_capacity: ")
    assert reasons == ["module_capacity: the plan meeting everything else needs 12 of module only's capacity of 10"]


def test_module_capacity_is_exact_at_thirty_decimals(tmp_path: Path) -> None:
    # Three steps of 0.0000000004 need 0.0000000012 > 0.000000001: the cheap module takes two, not three.
    cheap = module("cheap", "p1", "build", cost=1, capacity=Decimal("0.000000001"))
    modules = [cheap, module("dear", "p2", "build", cost=5)]
    req = request("r", step("a", "build"), step("b", "build"), step("c", "build"), quantity=Decimal("0.0000000004"))
    assert sorted(picked(tmp_path, modules, req).values()) == ["cheap", "cheap", "dear"]
    finer = module("cheap", "p1", "build", cost=1, capacity=Decimal("0.000000000000000000000000000003"))
    tiny = request("r", step("a", "build"), step("b", "build"), quantity=Decimal("0.000000000000000000000000000002"))
    assert sorted(picked(tmp_path, [finer, modules[1]], tiny).values()) == ["cheap", "dear"]


def test_partner_capacity_counts_quantity_times_usage(tmp_path: Path) -> None:
    partners = [partner("p1", capacity=10), partner("p2")]
    heavy = [module("cheap", "p1", "build", cost=1, usage=2), module("dear", "p2", "build", cost=9)]
    assert picked(tmp_path, heavy, request("r", step("build"), quantity=6), partners) == {"build": "dear"}
    light = [module("cheap", "p1", "build", cost=1, usage=0.5), module("dear", "p2", "build", cost=9)]
    assert picked(tmp_path, light, request("r", step("build"), quantity=6), partners) == {"build": "cheap"}


def test_partner_capacity_is_shared_by_its_modules_across_requests(tmp_path: Path) -> None:
    partners = [partner("p1", capacity=10), partner("p2")]
    modules = [
        module("build1", "p1", "build", cost=1),
        module("ship1", "p1", "ship", cost=1),
        module("ship2", "p2", "ship", cost=9),
    ]
    doc = Doc(partners, modules, [request("r1", step("build"), quantity=6), request("r2", step("ship"), quantity=6)])
    data = plan_dict(tmp_path, doc)
    assert modules_of(plan_of(data, "r1")) == {"build": "build1"}
    assert modules_of(plan_of(data, "r2")) == {"ship": "ship2"}


def test_partner_capacity_left_is_counted_in_the_reasons(tmp_path: Path) -> None:
    partners = [partner("p1", capacity=10)]
    modules = [module("build1", "p1", "build"), module("ship1", "p1", "ship")]
    doc = Doc(partners, modules, [request("r1", step("build"), quantity=6), request("r2", step("ship"), quantity=6)])
    data = plan_dict(tmp_path, doc)
    assert plan_of(data, "r2")["reasons"] == ["step ship (ship): 0 of 1 module fit: 1 over partner capacity"]


def test_capacity_taken_by_earlier_requests_is_named_in_the_reasons(tmp_path: Path) -> None:
    partners = [partner("p1", capacity=100), partner("p2")]
    modules = [
        module("a1", "p1", "build", capacity=150),
        module("b1", "p1", "ship"),
        module("b2", "p2", "ship", lead_time=9),
    ]
    doc = Doc(
        partners,
        modules,
        [
            request("first", step("build"), quantity=40, priority=5),
            request("again", step("build"), quantity=20, priority=4),
            request("r", step("build"), step("ship"), quantity=25, deadline=3),
        ],
    )
    data = plan_dict(tmp_path, doc, explain=True)
    assert plan_of(data, "r")["reasons"] == [
        "these rules cannot all be met together: deadline, partner_capacity",
        "deadline: the earliest finish meeting everything else is day 9; deadline is day 3",
        "partner_capacity: the plan meeting everything else needs 50 of partner p1's capacity; "
        "40 is left of 100 (first took 40, again took 20)",
    ]
    doc.requests = [*doc.requests[:2], request("r", step("build"), quantity=50)]
    (entry,) = plan_of(plan_dict(tmp_path, doc, explain=True), "r")["steps"]
    assert (
        entry["rejected"][0]["reason"]
        == "partner p1 has 40 capacity left of 100 (first took 40, again took 20), step needs 50"
    )


def test_partner_capacity_conflict_within_a_request_is_explained(tmp_path: Path) -> None:
    partners = [partner("p1", capacity=10)]
    modules = [module("build1", "p1", "build"), module("ship1", "p1", "ship")]
    reasons = infeasible(tmp_path, modules, request("r", step("build"), step("ship"), quantity=6), partners)
    assert len(reasons) == 1
    assert reasons == ["partner_capacity: the plan meeting everything else needs 12 of partner p1's capacity of 10"]


def test_capacity_sums_are_exact(tmp_path: Path) -> None:
    # 0.1 + 0.1 + 0.1 is 0.30000000000000004 in binary floats, over a capacity of 0.3.
    partners = [partner("p1", capacity=0.3), partner("p2")]
    modules = [
        module("a1", "p1", "a", capacity=0.2),
        module("b1", "p1", "b"),
        module("c1", "p1", "c", usage=Number("0.5")),
        module("c2", "p2", "c", cost=1),
    ]
    req = request("r", step("a"), step("b"), step("c", quantity=0.2), quantity=0.1)
    assert picked(tmp_path, modules, req, partners) == {"a": "a1", "b": "b1", "c": "c1"}
    tight = [partner("p1", capacity=Number("0.29")), partner("p2")]
    assert picked(tmp_path, modules, req, tight) == {"a": "a1", "b": "b1", "c": "c2"}


def test_infeasible_request_leaves_capacity_to_the_next(tmp_path: Path) -> None:
    modules = [module("cheap", "p1", "build", cost=1, capacity=10), module("dear", "p2", "build", cost=9)]
    doc = Doc(
        P, modules, [request("r1", step("build"), quantity=6, budget=0), request("r2", step("build"), quantity=6)]
    )
    data = plan_dict(tmp_path, doc)
    assert plan_of(data, "r1")["status"] == "infeasible"
    assert modules_of(plan_of(data, "r2")) == {"build": "cheap"}


# -- optimize criteria -----------------------------------------------------------------------


def criteria_modules() -> list[dict[str, Any]]:
    """Three ways to build: the cheapest, the fastest, and the best reputed (preferred) one."""
    return [
        module("cheap", "p1", "build", cost=10, lead_time=9),
        module("quick", "p2", "build", cost=30, lead_time=1),
        module("famed", "p3", "build", cost=20, lead_time=5),
    ]


REPUTED = [partner("p1", reputation=0.2), partner("p2", reputation=0.3), partner("p3", reputation=0.95)]


@pytest.mark.parametrize(
    ("optimize", "expected"),
    [
        (["cost"], "cheap"),
        (["time"], "quick"),
        (["reputation"], "famed"),
        (["preferred", "cost"], "quick"),
    ],
)
def test_each_criterion_alone_picks_its_best(tmp_path: Path, optimize: list[str], expected: str) -> None:
    req = request("r", step("build"), optimize=optimize, prefer=["p2"])
    assert picked(tmp_path, criteria_modules(), req, REPUTED) == {"build": expected}


def test_default_optimize_is_cost_then_time(tmp_path: Path) -> None:
    modules = [module("slow", "p1", "build", cost=10, lead_time=9), module("fast", "p2", "build", cost=10, lead_time=3)]
    assert picked(tmp_path, modules, request("r", step("build"))) == {"build": "fast"}


def test_partners_criterion_minimises_distinct_partners(tmp_path: Path) -> None:
    req = request("r", step("a"), step("b"), optimize=["partners", "cost"])
    entry = solve_one(tmp_path, two_step_modules(), req)
    assert modules_of(entry) == {"a": "a1", "b": "b1"}
    assert entry["partners"] == ["p1"]


def test_reputation_criterion_sums_over_the_assignments(tmp_path: Path) -> None:
    partners = [partner("p1", reputation=0.9), partner("p2", reputation=0.6), partner("p3", reputation=0.6)]
    modules = [module("a1", "p1", "a"), module("a2", "p2", "a"), module("b1", "p1", "b"), module("b3", "p3", "b")]
    req = request("r", step("a"), step("b"), optimize=["reputation"])
    assert picked(tmp_path, modules, req, partners) == {"a": "a1", "b": "b1"}


def test_preferred_counts_steps_done_by_preferred_partners(tmp_path: Path) -> None:
    modules = [*two_step_modules(), module("a3", "p3", "a", cost=2), module("b3", "p3", "b", cost=7)]
    req = request("r", step("a"), step("b"), optimize=["preferred", "cost"], prefer=["p3"])
    assert picked(tmp_path, modules, req) == {"a": "a3", "b": "b3"}


@pytest.mark.parametrize(
    ("optimize", "expected"),
    [
        (["cost", "time"], "cheap-slow"),
        (["time", "cost"], "dear-fast"),
        (["cost", "reputation"], "cheap-famed"),
        (["reputation", "time"], "dear-famed"),
    ],
)
def test_criteria_are_lexicographic_in_the_order_listed(tmp_path: Path, optimize: list[str], expected: str) -> None:
    partners = [partner("p1", reputation=0.1), partner("p2", reputation=0.2), partner("p3", reputation=0.9)]
    modules = [
        module("cheap-slow", "p1", "build", cost=10, lead_time=8),
        module("cheap-famed", "p3", "build", cost=10, lead_time=9),
        module("dear-fast", "p2", "build", cost=50, lead_time=1),
        module("dear-famed", "p3", "build", cost=60, lead_time=2),
    ]
    assert picked(tmp_path, modules, request("r", step("build"), optimize=optimize), partners) == {"build": expected}


def test_same_input_gives_identical_json_bytes(tmp_path: Path) -> None:
    modules = [
        module(f"m{i}", f"p{1 + i % 3}", cap, cost=5, lead_time=2, outputs=["x", "y"], inputs=["y"])
        for i, cap in enumerate(["a", "a", "a", "b", "b", "b", "c", "c"])
    ]
    req = request("r", step("a"), step("b", after=["a"]), step("c", after=["a"]), start="2024-01-01", budget=100)
    doc = Doc(P, modules, [req, request("s", step("c"), step("b"), priority=2)])
    first = cli_bytes(tmp_path, doc)
    second = cli_bytes(tmp_path, doc)
    assert first == second
    # A copy in another file name and place is planned the same (no paths or clocks in the output).
    other = tmp_path / "other"
    other.mkdir()
    assert cli_bytes(other, doc, name="copy.yaml") == first


def test_ties_are_broken_the_same_way_whatever_the_order_of_declaration(tmp_path: Path) -> None:
    modules = [
        module("m-a", "p1", "build", cost=5),
        module("m-b", "p2", "build", cost=5),
        module("m-c", "p3", "build", cost=5),
    ]
    first = picked(tmp_path, modules, request("r", step("build")))
    second = picked(tmp_path, list(reversed(modules)), request("r", step("build")))
    assert first == second


# -- exact money and time --------------------------------------------------------------------


def test_money_is_exact_to_the_cent(tmp_path: Path) -> None:
    modules = [
        module("a", "p1", "a", cost={"fixed": 0.1, "per_unit": 0.2}),
        module("b", "p2", "b", cost=0.1),
        module("c", "p3", "c", cost=0.1),
        module("d", "p1", "d", cost=0.1),
    ]
    # 0.3 + 0.1 + 0.1 + 0.1 = 0.6 exactly; in binary floats it is 0.6000000000000001.
    entry = solve_one(tmp_path, modules, request("r", step("a"), step("b"), step("c"), step("d"), budget=0.6))
    assert entry["status"] == "optimal"
    assert assignment(entry, "a")["cost"] == 0.3
    assert entry["cost"] == 0.6


@pytest.mark.parametrize(
    ("cost", "quantity", "expected"),
    [
        ({"fixed": 1.005}, 1, 1.01),  # float rounding would give 1.00
        ({"fixed": 0.145}, 1, 0.15),
        ({"fixed": 2.675}, 1, 2.68),
        ({"per_unit": Number("0.0025")}, 2, 0.01),  # 0.005 rounds half up
        ({"per_unit": Number("0.0025")}, 1, 0.0),  # 0.0025 rounds down
        ({"fixed": 0.125}, 1, 0.13),  # half up, not half to even
        ({"fixed": 10, "per_unit": 0.333}, 3, 11.0),  # 10.999 -> 11.00
        ({"per_unit": 0.1}, Number("0.15"), 0.02),  # 0.015 -> 0.02
    ],
)
def test_cost_rounds_half_up_to_the_cent(tmp_path: Path, cost: dict[str, Any], quantity: Any, expected: float) -> None:
    entry = solve_one(tmp_path, [module("m", "p1", "build", cost=cost)], request("r", step("build"), quantity=quantity))
    assert assignment(entry, "build")["cost"] == expected
    assert entry["cost"] == expected


def test_budget_compares_the_rounded_costs_exactly(tmp_path: Path) -> None:
    modules = [module("m", "p1", "build", cost={"fixed": 1.005}), module("n", "p2", "ship", cost=0.995)]
    # 1.01 + 1.00 = 2.01 > 2.00.
    reasons = infeasible(tmp_path, modules, request("r", step("build"), step("ship"), budget=2))
    assert reasons and "costs 2.01" in reasons[0]
    entry = solve_one(tmp_path, modules, request("r", step("build"), step("ship"), budget=2.01))
    assert entry["status"] == "optimal" and entry["cost"] == 2.01


@pytest.mark.parametrize(
    ("lead_time", "quantity", "expected"),
    [
        ({"per_unit": 0.05}, 40, 2),  # 2.0000000000000004 in floats would ceil to 3
        ({"per_unit": 0.1}, 30, 3),
        ({"fixed": 0.5, "per_unit": 0.4}, 4, 3),  # 2.1 -> 3
        ({"fixed": 0.7, "per_unit": 0.1}, 3, 1),  # 1.0 exactly
        ({"fixed": 0}, 1, 0),
        (2.5, 1, 3),
    ],
)
def test_durations_round_up_exactly(tmp_path: Path, lead_time: Any, quantity: int, expected: int) -> None:
    modules = [module("m", "p1", "build", lead_time=lead_time), module("n", "p2", "ship", lead_time=1)]
    entry = solve_one(tmp_path, modules, request("r", step("build"), step("ship", after=["build"]), quantity=quantity))
    assert assignment(entry, "build")["finish"] == expected
    assert assignment(entry, "ship")["start"] == expected
    assert entry["finish"] == expected + 1


def test_deadline_compares_exact_durations(tmp_path: Path) -> None:
    modules = [module("m", "p1", "build", lead_time={"per_unit": 0.05})]
    entry = solve_one(tmp_path, modules, request("r", step("build"), quantity=40, deadline=2))
    assert entry["status"] == "optimal" and entry["finish"] == 2


# -- explanations of infeasible plans --------------------------------------------------------


def test_per_step_counts_name_every_reason_most_frequent_first(tmp_path: Path) -> None:
    partners = [
        partner("nl1", region="NL"),
        partner("nl2", region="NL"),
        partner("de1", region="DE"),
        partner("de2", region="DE"),
        partner("full", region="NL", certifications=["iso9001"]),
    ]
    modules = [
        module("m1", "nl1", "assembly"),
        module("m2", "nl2", "assembly"),
        module("m3", "de1", "assembly", certifications=["iso9001"]),
        module("m4", "de2", "assembly", certifications=["iso9001"]),
        module("m5", "nl1", "assembly", regions=["NL", "DE"]),
        module("m6", "full", "assembly", capacity=5),
        module("m7", "full", "painting"),
    ]
    req = request("r", step("build", "assembly"), region="NL", certifications=["iso9001"], quantity=6)
    reasons = infeasible(tmp_path, modules, req, partners)
    assert reasons == [
        "step build (assembly): 0 of 6 modules fit: "
        "3 lack certification iso9001, 2 do not serve region NL, 1 over capacity"
    ]


def test_only_the_steps_without_candidates_are_listed(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", regions=["*"]),
        module("b1", "p1", "b", regions=["DE"]),
        module("c1", "p1", "c", regions=["DE"]),
    ]
    reasons = infeasible(tmp_path, modules, request("r", step("a"), step("b"), step("c"), region="NL"))
    assert reasons == [
        "step b (b): 0 of 1 module fit: 1 does not serve region NL",
        "step c (c): 0 of 1 module fit: 1 does not serve region NL",
    ]


def test_exit_code_is_1_when_a_request_is_infeasible_and_the_others_are_printed(tmp_path: Path) -> None:
    modules = [module("m", "p1", "build", cost=10)]
    doc = Doc(P, modules, [request("ok", step("build")), request("broke", step("build"), budget=5)])
    code, data = run_cli(tmp_path, doc)
    assert code == 1
    assert data is not None
    assert [p["status"] for p in data["plans"]] == ["optimal", "infeasible"]
    assert plan_of(data, "ok")["cost"] == 10.0


def test_exit_code_is_0_when_every_request_is_planned(tmp_path: Path) -> None:
    code, data = run_cli(tmp_path, Doc(P, [module("m", "p1", "build")], [request("r", step("build"))]))
    assert code == 0 and data is not None and only_plan(data)["status"] == "optimal"


def test_budget_binds_to_the_cent_on_amounts_in_the_millions(tmp_path: Path) -> None:
    # The engine's default tolerance counts a binary at 1 - 1e-9 as 1: on 2e9 cents that is a cent.
    fast = [Number("5241567.34"), Number("2942434.09"), Number("4335655.83"), Number("3.87"), Number("9317920.16")]
    modules = []
    for s, cost in enumerate(fast):
        modules.append(module(f"fast{s}", "p1", f"c{s}", cost=cost, lead_time=1))
        modules.append(module(f"slow{s}", "p2", f"c{s}", cost=0, lead_time=2 if s == 3 else 4))
    total = sum(Decimal(c) for c in fast)
    req = request("r", *(step(f"c{s}") for s in range(len(fast))), budget=total - Decimal("0.01"), optimize=["time"])
    entry = solve_one(tmp_path, modules, req)
    assert entry["status"] == "optimal"
    assert modules_of(entry)["c3"] == "slow3"
    assert entry["finish"] == 2 and Decimal(str(entry["cost"])) == total - Decimal("3.87")


def test_partner_capacity_binds_to_the_last_unit_on_large_amounts(tmp_path: Path) -> None:
    uses = [Number("5241567.34"), Number("2942434.09"), Number("4335655.83"), Number("3.87"), Number("9317920.16")]
    modules = []
    for s, use in enumerate(uses):
        modules.append(module(f"fast{s}", "p1", f"c{s}", usage=use, lead_time=1))
        modules.append(module(f"slow{s}", "p2", f"c{s}", lead_time=2 if s == 3 else 4))
    total = sum(Decimal(u) for u in uses)
    partners = [partner("p1", capacity=total - Decimal("0.01")), partner("p2")]
    req = request("r", *(step(f"c{s}") for s in range(len(uses))), optimize=["time"])
    entry = solve_one(tmp_path, modules, req, partners)
    assert entry["status"] == "optimal"
    assert modules_of(entry)["c3"] == "slow3" and entry["finish"] == 2


def test_amounts_with_thirty_decimals_are_exact(tmp_path: Path) -> None:
    # Decimal's default 28 digits would make this lead time 2 and this cost 0.01.
    modules = [
        module(
            "m", "p1", "build", lead_time=Number("2.000000000000000000000000000001"), cost=Number("0.0049" + "9" * 26)
        ),
        module("n", "p2", "ship", lead_time=Number("1e-30"), cost=10),
    ]
    entry = solve_one(tmp_path, modules, request("r", step("build"), step("ship", after=["build"])))
    assert assignment(entry, "build")["finish"] == 3 and assignment(entry, "build")["cost"] == 0
    assert entry["finish"] == 4
    reasons = infeasible(tmp_path, modules, request("r", step("ship"), budget=Number("9." + "9" * 30)))
    assert reasons == ["budget: the cheapest plan meeting everything else costs 10.00 EUR; budget is 9.99 EUR"]


def test_trailing_zeros_past_thirty_decimals_are_only_writing(tmp_path: Path) -> None:
    modules = [module("m", "p1", "build", lead_time=Number("1." + "0" * 40), cost=Number("2.5" + "0" * 40))]
    entry = solve_one(tmp_path, modules, request("r", step("build")))
    assert entry["finish"] == 1 and entry["cost"] == 2.5


def test_json_and_yaml_write_money_exactly_beyond_float_precision(tmp_path: Path) -> None:
    modules = [module("m", "p1", "build", cost={"fixed": Number("0.01"), "per_unit": Number("1e12")})]
    doc = Doc(partners=P, modules=modules, requests=[request("r", step("build"), quantity=100)])
    assert '"cost": 100000000000000.01,' in cli_bytes(tmp_path, doc).decode()  # as a float: ….02
    output = tmp_path / "out.yaml"
    assert main(["plan", str(tmp_path / "network.yaml"), "--format", "yaml", "--output", str(output)]) == 0
    assert "  cost: 100000000000000.01\n" in output.read_text()


def test_a_budget_is_written_exactly_in_the_whole_cents_it_is_compared_in(tmp_path: Path) -> None:
    doc = Doc(
        partners=P,
        modules=[module("m", "p1", "build", cost=1)],
        requests=[request("r", step("build"), budget=Number("100000000000.019"))],
    )
    assert '"budget": 100000000000.01,' in cli_bytes(tmp_path, doc).decode()


def test_a_request_beyond_the_engines_range_is_unknown_and_says_why(tmp_path: Path) -> None:
    # Capacity rows are scaled to whole units and divided by their common divisor: uses of 1 and
    # 1.0000000000000001 (x 6e11) against 1e12 become 1e16 and 1e16 + 1 against 1.6e16, beyond 1e15.
    modules = [module("build-fast", "p1", "build", lead_time=1)]
    modules.append(module("ship-fast", "p1", "ship", lead_time=1, usage=Number("1.0000000000000001")))
    modules += [module(f"{s}-slow", "p2", s, lead_time=5) for s in ("build", "ship")]
    partners = [partner("p1", capacity=Number("1e12")), partner("p2")]
    req = request("r", step("build"), step("ship"), quantity=Number("600000000000"), optimize=["time"])
    doc = Doc(partners=partners, modules=modules, requests=[req])
    entry = only_plan(plan_dict(tmp_path, doc, direct=False))
    assert entry["status"] == "unknown" and entry["assignments"] == []
    assert entry["reasons"][0].startswith("the engine cannot take amounts this large")


def test_plug_with_many_modules_counts_them_and_names_a_few(tmp_path: Path) -> None:
    makers = [module(f"maker{i}", "p1", "build", outputs=["unit"]) for i in range(5)]
    modules = [*makers, module("shipper", "p2", "ship", inputs=["pallet"])]
    reasons = infeasible(tmp_path, modules, request("r", step("build"), step("ship", after=["build"])))
    # The count quoted is the whole list's length (a field of the reason's details), not "and 2 more".
    assert reasons == [
        "no module for step ship accepts what step build outputs: step build's 5 modules "
        "(maker0, maker1, maker2 among them) output [unit]; step ship's modules (shipper) accept [pallet]"
    ]
