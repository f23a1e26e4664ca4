"""Shortcuts that must not change a plan: settling without the engine, preparing the next request early.

Hand-made cases pin when the certificate of planner.settle_directly holds and when each part of it
refuses; the property tests plan random networks both ways (Options.direct, Options.ahead on and
off) and compare the output byte for byte.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from support.build import Doc, load, module, partner, plan_dict, request, step
from support.strategies import examples, networks, replans

from sbn.candidates import Catalog, find_candidates
from sbn.ledger import Usage
from sbn.lookahead import depends_on
from sbn.planner import Options, Prepared, plan_request, prepare, take
from sbn.settle import settle_directly


def settled(directory: Path, doc: Doc, previous: dict[str, str] | None = None) -> list[str] | None:
    """The modules settle_directly picks for the document's only request, or None when it leaves it to the engine."""
    network = load(directory, doc)
    req = network.requests[0]
    entries = find_candidates(Catalog(network), req, Usage())
    found = settle_directly(network, req, entries, Usage(), list(dict.fromkeys(req.optimize)), previous)
    return None if found is None else [c.module.id for c in found[0]]


CHAIN = [step("a", "a"), step("b", "b", after=["a"])]


def chain_doc(modules: list[dict[str, Any]], **fields: Any) -> Doc:
    return Doc(partners=[partner("p1"), partner("p2")], modules=modules, requests=[request("r", *CHAIN, **fields)])


def test_cheapest_per_step_that_plugs_is_settled(tmp_path: Path) -> None:
    doc = chain_doc(
        [
            module("a1", "p1", "a", cost=1, outputs=["x"]),
            module("a2", "p2", "a", cost=2, outputs=["x"]),
            module("b1", "p1", "b", cost=3, inputs=["x"]),
            module("b2", "p2", "b", cost=1, inputs=["x"]),
        ]
    )
    assert settled(tmp_path, doc) == ["a1", "b2"]


def test_cheapest_per_step_that_does_not_plug_goes_to_the_engine(tmp_path: Path) -> None:
    doc = chain_doc(
        [
            module("a1", "p1", "a", cost=1, outputs=["y"]),
            module("a2", "p2", "a", cost=2, outputs=["x"]),
            module("b1", "p1", "b", cost=1, inputs=["x"]),
        ]
    )
    assert settled(tmp_path, doc) is None
    plans = plan_dict(tmp_path, doc)["plans"]
    assert [a["module"] for a in plans[0]["assignments"]] == ["a2", "b1"]


def test_a_coupling_rule_the_cheapest_breaks_goes_to_the_engine(tmp_path: Path) -> None:
    cheap = [module("a1", "p1", "a", cost=5, lead_time=4), module("b1", "p1", "b", cost=5, lead_time=4)]
    dear = [module("a2", "p2", "a", cost=9, lead_time=1), module("b2", "p2", "b", cost=9, lead_time=1)]
    assert settled(tmp_path, chain_doc(cheap + dear)) == ["a1", "b1"]
    assert settled(tmp_path, chain_doc(cheap + dear, deadline=5)) is None  # 8 days
    assert settled(tmp_path, chain_doc(cheap + dear, budget=9)) is None  # 10.00
    avoiding = Doc(
        partners=[partner("p1"), partner("p2"), partner("p3", interests={"avoid": ["p1"]})],
        modules=[module("a1", "p1", "a", cost=1), module("b3", "p3", "b", cost=1), module("b2", "p2", "b", cost=2)],
        requests=[request("r", *CHAIN)],
    )
    assert settled(tmp_path, avoiding) is None


def test_time_after_a_sum_criterion_is_settled_when_the_picks_reach_the_earliest_finish(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", cost=1, lead_time=2),
        module("a2", "p2", "a", cost=1, lead_time=5),
        module("b1", "p1", "b", cost=1, lead_time=3),
    ]
    # [cost, time]: among the cheapest, the fastest is preferred, and reaches the earliest finish.
    assert settled(tmp_path, chain_doc(modules)) == ["a1", "b1"]


def test_time_before_a_sum_criterion_binds_when_the_cheapest_is_slower(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", cost=1, lead_time=5),
        module("a2", "p2", "a", cost=2, lead_time=2),
        module("b1", "p1", "b", cost=1, lead_time=3),
    ]
    assert settled(tmp_path, chain_doc(modules, optimize=["time", "cost"])) is None
    plans = plan_dict(tmp_path, chain_doc(modules, optimize=["time", "cost"]))["plans"]
    assert [a["module"] for a in plans[0]["assignments"]] == ["a2", "b1"]
    # When the cheapest is also the fastest, the bound is reached.
    faster = [{**modules[0], "lead_time": 1}, *modules[1:]]
    assert settled(tmp_path, chain_doc(faster, optimize=["time", "cost"])) == ["a1", "b1"]


def test_partners_bound_is_one_when_a_partner_could_do_every_step(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", cost=1),
        module("b1", "p1", "b", cost=5),
        module("b2", "p2", "b", cost=1),
    ]
    assert settled(tmp_path, chain_doc(modules, optimize=["partners", "cost"])) is None
    plans = plan_dict(tmp_path, chain_doc(modules, optimize=["partners", "cost"]))["plans"]
    assert [a["module"] for a in plans[0]["assignments"]] == ["a1", "b1"]
    # Nobody does both steps: two partners is the least, and the cheapest pair has two.
    apart = [module("a1", "p1", "a", cost=1), module("b2", "p2", "b", cost=1), module("b3", "p2", "b", cost=4)]
    assert settled(tmp_path, chain_doc(apart, optimize=["partners", "cost"])) == ["a1", "b2"]


def test_minimal_change_keeps_the_previous_module_before_the_cheaper_one(tmp_path: Path) -> None:
    modules = [module("a1", "p1", "a", cost=1), module("a2", "p2", "a", cost=3), module("b1", "p1", "b", cost=1)]
    assert settled(tmp_path, chain_doc(modules), previous={"a": "a2", "b": "b1"}) == ["a2", "b1"]
    assert settled(tmp_path, chain_doc(modules), previous={"a": "gone", "b": "b1"}) == ["a1", "b1"]


def test_ties_go_to_the_cheaper_then_faster_then_earlier_module(tmp_path: Path) -> None:
    """With [time] and a budget, equally fast plans differ in cost: the cheaper module is preferred."""
    modules = [
        module("a1", "p1", "a", cost=5, lead_time=2),
        module("a2", "p2", "a", cost=3, lead_time=2),
        module("b1", "p1", "b", cost=1, lead_time=1),
    ]
    doc = chain_doc(modules, optimize=["time"], budget=100)
    assert settled(tmp_path, doc) == ["a2", "b1"]
    for direct in (True, False):
        plans = plan_dict(tmp_path, doc, direct=direct)["plans"]
        assert [a["module"] for a in plans[0]["assignments"]] == ["a2", "b1"]
    # Without a budget, cost does not count: the earlier id wins.
    assert settled(tmp_path, chain_doc(modules, optimize=["time"])) == ["a1", "b1"]


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_settled_plans_are_the_engines_byte_for_byte(doc: Doc) -> None:
    with tempfile.TemporaryDirectory() as name:
        direct = plan_dict(Path(name), doc, explain=True, backups=True)
        engine = plan_dict(Path(name), doc, explain=True, backups=True, direct=False)
    assert json.dumps(direct) == json.dumps(engine)


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replans())
def test_settled_replans_are_the_engines_byte_for_byte(case: tuple[Doc, Doc, list[str]]) -> None:
    before, after, left = case
    with tempfile.TemporaryDirectory() as name:
        first = plan_dict(Path(name), before)
        previous = {p["request"]: {a["step"]: a["module"] for a in p.get("assignments", [])} for p in first["plans"]}
        direct = plan_dict(Path(name), after, without=left, previous=previous)
        engine = plan_dict(Path(name), after, without=left, previous=previous, direct=False)
    assert json.dumps(direct) == json.dumps(engine)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_requests_prepared_ahead_get_the_plans_of_one_by_one_planning(doc: Doc) -> None:
    """Several requests sharing capacity: a preparation made before the previous plan is used only if still right."""
    many = Doc(
        partners=doc.partners,
        modules=doc.modules,
        requests=[{**r, "id": f"{r['id']}-{k}"} for k in range(3) for r in doc.requests],
    )
    with tempfile.TemporaryDirectory() as name:
        ahead = plan_dict(Path(name), many, explain=True, direct=False)
        one_by_one = plan_dict(Path(name), many, explain=True, direct=False, ahead=False)
    assert json.dumps(ahead) == json.dumps(one_by_one)


def test_a_preparation_that_read_capacity_the_previous_plan_used_is_redone(tmp_path: Path) -> None:
    """Two identical requests, one module with room for one: the second must not reuse the first's preparation."""
    modules = [
        module("a1", "p1", "a", cost=1, outputs=["x"], capacity=1),
        module("a2", "p2", "a", cost=4, outputs=["x"]),
        module("b1", "p1", "b", cost=1, inputs=["y"]),
        module("b2", "p2", "b", cost=2, inputs=["x"]),
    ]
    doc = Doc(
        partners=[partner("p1"), partner("p2")],
        modules=modules,
        requests=[request("r1", *CHAIN), request("r2", *CHAIN)],
    )
    plans = plan_dict(tmp_path, doc)["plans"]
    assert [[a["module"] for a in p["assignments"]] for p in plans] == [["a1", "b2"], ["a2", "b2"]]


def prepared_and_first_plan(directory: Path, doc: Doc) -> tuple[Prepared, Any, Usage]:
    """r2 prepared on the capacity before r1, as while the engine searches for r1; r1's plan; the usage after it."""
    network = load(directory, doc)
    first, second = network.requests
    options = Options()
    work = prepare(Catalog(network), second, Usage(), options)
    plan = plan_request(network, first, Usage(), options)
    usage = Usage()
    take(usage, first, plan.picks, [a.start for a in plan.assignments])
    return work, plan, usage


CAPPED = [
    module("a1", "p1", "a", cost=1, capacity=2, regions=["NL"]),
    module("a2", "p2", "a", cost=5, regions=["*"]),
    module("b1", "p1", "b", cost=1, regions=["*"]),
]


def capped_doc(**second: Any) -> Doc:
    return Doc(
        partners=[partner("p1"), partner("p2")],
        modules=CAPPED,
        requests=[request("r1", *CHAIN), request("r2", *CHAIN, **second)],
    )


def test_a_preparation_is_redone_when_the_plan_used_a_capped_module_it_rejected_for_capacity(tmp_path: Path) -> None:
    work, first, usage = prepared_and_first_plan(tmp_path, capped_doc(quantity=3))
    assert [c.module.id for c in first.picks] == ["a1", "b1"]
    reasons = {r.module: r.detail for entry in work.outcome.steps for r in entry.rejected}
    assert reasons["a1"] == "module capacity 2 left, step needs 3"  # worded on the capacity before r1
    assert depends_on(work.outcome.steps, first.picks, usage)


def test_a_preparation_is_redone_when_a_capped_candidate_no_longer_fits(tmp_path: Path) -> None:
    work, first, usage = prepared_and_first_plan(tmp_path, capped_doc(quantity=2))
    assert "a1" in [c.module.id for c in work.outcome.steps[0].candidates]  # 2 left before r1, 1 after
    assert depends_on(work.outcome.steps, first.picks, usage)


def test_a_preparation_is_kept_when_a_capped_candidate_still_fits_whatever_the_plan_takes(tmp_path: Path) -> None:
    work, first, usage = prepared_and_first_plan(tmp_path, capped_doc(quantity=1))
    assert "a1" in [c.module.id for c in work.outcome.steps[0].candidates]  # 1 left after r1: enough
    assert not depends_on(work.outcome.steps, first.picks, usage)


def test_a_preparation_is_kept_when_the_capped_module_was_rejected_for_a_reason_capacity_cannot_change(
    tmp_path: Path,
) -> None:
    work, first, usage = prepared_and_first_plan(tmp_path, capped_doc(region="DE"))
    assert [c.module.id for c in first.picks] == ["a1", "b1"]
    assert {r.module: r.reason for entry in work.outcome.steps for r in entry.rejected} == {
        "a1": "do not serve region DE"
    }
    assert not depends_on(work.outcome.steps, first.picks, usage)
    # A plan of modules without capacity never changes another request.
    uncapped = [c for c in first.picks if c.module.capacity is None]
    assert not depends_on(work.outcome.steps, uncapped, usage)
