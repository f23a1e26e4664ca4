"""Pick, plug and play again (SPEC §5): --without, --from with minimal change, --backups.

Hand-made cases pin each behaviour; the property tests check minimality and backups against the
exhaustive reference of support.reference on small random networks.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from support.build import (
    Doc,
    assignment,
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
from support.reference import Reference, objective, planning_order
from support.strategies import examples, networks, replans

# -- --without -------------------------------------------------------------------------------

THREE = [partner("p1"), partner("p2"), partner("p3")]
BUILDERS = [
    module("build-p1", "p1", "build", cost=1),
    module("build-p2", "p2", "build", cost=5),
    module("build-p3", "p3", "build", cost=9),
]


def test_without_plans_as_if_the_partner_had_left(tmp_path: Path) -> None:
    doc = Doc(THREE, BUILDERS, [request("r", step("build"))])
    code, data = run_cli(tmp_path, doc)
    assert code == 0 and data is not None and modules_of(only_plan(data)) == {"build": "build-p1"}
    code, data = run_cli(tmp_path, doc, "--without", "p1")
    assert code == 0 and data is not None and modules_of(only_plan(data)) == {"build": "build-p2"}


def test_without_is_repeatable(tmp_path: Path) -> None:
    doc = Doc(THREE, BUILDERS, [request("r", step("build"))])
    code, data = run_cli(tmp_path, doc, "--without", "p1", "--without", "p2")
    assert code == 0 and data is not None and modules_of(only_plan(data)) == {"build": "build-p3"}


def test_without_a_partner_the_plan_does_not_use_changes_nothing(tmp_path: Path) -> None:
    doc = Doc(THREE, BUILDERS, [request("r", step("build"))])
    code, data = run_cli(tmp_path, doc, "--without", "p3")
    assert code == 0 and data is not None and modules_of(only_plan(data)) == {"build": "build-p1"}


def test_without_every_partner_is_counted_in_the_reasons(tmp_path: Path) -> None:
    doc = Doc(THREE, BUILDERS[:2], [request("r", step("build"))])
    code, data = run_cli(tmp_path, doc, "--without", "p1", "--without", "p2")
    assert code == 1 and data is not None
    assert only_plan(data)["reasons"] == ["step build (build): 0 of 2 modules fit: 2 left the network (--without)"]


def test_without_the_pinned_partner_is_infeasible(tmp_path: Path) -> None:
    doc = Doc(THREE, BUILDERS, [request("r", step("build", partner="p1"))])
    code, data = run_cli(tmp_path, doc, "--without", "p1")
    assert code == 1 and data is not None and only_plan(data)["status"] == "infeasible"


def test_without_an_unknown_partner_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    doc = Doc(THREE, BUILDERS, [request("r", step("build"))])
    code, data = run_cli(tmp_path, doc, "--without", "p9")
    assert code == 2 and data is None
    assert "p9" in capsys.readouterr().err


def test_without_frees_a_partner_that_avoided_the_one_who_left(tmp_path: Path) -> None:
    partners = [partner("p1"), partner("p2", interests={"avoid": ["p1"]}), partner("p3")]
    modules = [
        module("a1", "p1", "a", cost=1),
        module("a3", "p3", "a", cost=10),
        module("b2", "p2", "b", cost=1),
        module("b3", "p3", "b", cost=5),
    ]
    doc = Doc(partners, modules, [request("r", step("a"), step("b"))])
    _, data = run_cli(tmp_path, doc)
    # a1 + b2 = 2 would be cheapest, but p2 avoids p1: a1 + b3 = 6 beats a3 + b2 = 11.
    assert data is not None and modules_of(only_plan(data)) == {"a": "a1", "b": "b3"}
    _, data = run_cli(tmp_path, doc, "--without", "p1")
    assert data is not None and modules_of(only_plan(data)) == {"a": "a3", "b": "b2"}


# -- --from: minimal change ------------------------------------------------------------------


def write_previous(directory: Path, plans: list[dict[str, Any]], name: str = "previous.json") -> Path:
    path = directory / name
    path.write_text(json.dumps({"schema": "sbn.plan/v1", "plans": plans}), encoding="utf-8")
    return path


def test_from_an_unchanged_network_keeps_the_plan(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", cost=2),
        module("a2", "p2", "a", cost=1),
        module("b1", "p1", "b"),
        module("b2", "p2", "b"),
    ]
    doc = Doc(THREE, modules, [request("r", step("a"), step("b", after=["a"]), quantity=3)])
    code, first = run_cli(tmp_path, doc)
    assert code == 0 and first is not None
    previous = write_previous(tmp_path, first["plans"])
    code, again = run_cli(tmp_path, doc, "--from", str(previous))
    assert code == 0 and again is not None
    entry = only_plan(again)
    assert modules_of(entry) == modules_of(only_plan(first))
    assert entry["changes"] == 0
    assert [(a["changed"], a["previous"]) for a in entry["assignments"]] == [(False, "a2"), (False, "b1")]


def test_from_keeps_the_old_plan_when_a_cheaper_partner_joins(tmp_path: Path) -> None:
    old = [module("a1", "p1", "a", cost=5), module("b1", "p1", "b", cost=5)]
    req = request("r", step("a"), step("b"))
    _, first = run_cli(tmp_path, Doc(THREE, old, [req]))
    assert first is not None and modules_of(only_plan(first)) == {"a": "a1", "b": "b1"}
    previous = write_previous(tmp_path, first["plans"])
    joined = Doc(THREE, [*old, module("a2", "p2", "a", cost=1), module("b2", "p2", "b", cost=1)], [req])
    _, fresh = run_cli(tmp_path, joined)
    assert fresh is not None and modules_of(only_plan(fresh)) == {"a": "a2", "b": "b2"}
    _, replanned = run_cli(tmp_path, joined, "--from", str(previous))
    assert replanned is not None
    assert modules_of(only_plan(replanned)) == {"a": "a1", "b": "b1"}
    assert only_plan(replanned)["changes"] == 0


def fewest_changes_doc(extra: list[dict[str, Any]]) -> Doc:
    partners = [partner(p) for p in ("p1", "p2", "p3", "p4", "p5")]
    modules = [
        module("a-p1", "p1", "a", cost=1),
        module("a-p3", "p3", "a", cost=5),
        module("a-p5", "p5", "a", cost=4),
        module("b-p2", "p2", "b", cost=3),
        module("c-p2", "p2", "c", cost=3),
        *extra,
    ]
    return Doc(partners, modules, [request("r", step("a"), step("b", after=["a"]), step("c", after=["b"]))])


def test_from_changes_only_the_steps_it_must_then_optimises(tmp_path: Path) -> None:
    _, first = run_cli(tmp_path, fewest_changes_doc([]))
    assert first is not None and modules_of(only_plan(first)) == {"a": "a-p1", "b": "b-p2", "c": "c-p2"}
    previous = write_previous(tmp_path, first["plans"])
    # p4 joins with cheaper b and c, and p1 leaves: from scratch all three steps would move.
    doc = fewest_changes_doc([module("b-p4", "p4", "b", cost=1), module("c-p4", "p4", "c", cost=1)])
    _, fresh = run_cli(tmp_path, doc, "--without", "p1")
    assert fresh is not None and modules_of(only_plan(fresh)) == {"a": "a-p5", "b": "b-p4", "c": "c-p4"}
    code, replanned = run_cli(tmp_path, doc, "--without", "p1", "--from", str(previous))
    assert code == 0 and replanned is not None
    entry = only_plan(replanned)
    # Only step a moves, to the cheaper of the two modules left for it.
    assert modules_of(entry) == {"a": "a-p5", "b": "b-p2", "c": "c-p2"}
    assert entry["changes"] == 1
    assert [(a["step"], a["changed"], a["previous"]) for a in entry["assignments"]] == [
        ("a", True, "a-p1"),
        ("b", False, "b-p2"),
        ("c", False, "c-p2"),
    ]


def test_from_a_previous_plan_naming_what_is_gone_still_works(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", cost=1),
        module("b1", "p1", "b", cost=9),
        module("b2", "p2", "b", cost=1),
        module("c1", "p1", "c"),
    ]
    doc = Doc(THREE, modules, [request("r", step("a"), step("b"), step("c"))])
    previous = write_previous(
        tmp_path,
        [
            {
                "request": "r",
                "status": "optimal",
                "assignments": [
                    {"step": "a", "module": "retired-module"},
                    {"step": "old-b", "module": "b1"},
                    {"step": "c", "module": "c1"},
                ],
            },
            {"request": "gone-request", "assignments": [{"step": "x", "module": "a1"}]},
        ],
    )
    code, data = run_cli(tmp_path, doc, "--from", str(previous))
    assert code == 0 and data is not None
    entry = only_plan(data)
    assert modules_of(entry) == {"a": "a1", "b": "b2", "c": "c1"}
    assert entry["changes"] == 2
    assert [(a["changed"], a["previous"]) for a in entry["assignments"]] == [
        (True, "retired-module"),
        (True, None),
        (False, "c1"),
    ]


def test_from_a_request_not_in_the_previous_plan_is_planned_on_its_own_criteria(tmp_path: Path) -> None:
    modules = [module("a1", "p1", "a", cost=5), module("a2", "p2", "a", cost=1)]
    doc = Doc(THREE, modules, [request("r", step("a")), request("new", step("a"))])
    previous = write_previous(tmp_path, [{"request": "r", "assignments": [{"step": "a", "module": "a1"}]}])
    code, data = run_cli(tmp_path, doc, "--from", str(previous))
    assert code == 0 and data is not None
    assert modules_of(plan_of(data, "r")) == {"a": "a1"} and plan_of(data, "r")["changes"] == 0
    assert modules_of(plan_of(data, "new")) == {"a": "a2"}
    assert plan_of(data, "new")["changes"] == 1  # nothing to keep: its step is new


def test_from_a_previously_infeasible_request(tmp_path: Path) -> None:
    modules = [module("a1", "p1", "a", cost=5), module("a2", "p2", "a", cost=1)]
    doc = Doc(THREE, modules, [request("r", step("a"))])
    previous = write_previous(tmp_path, [{"request": "r", "status": "infeasible", "assignments": []}])
    code, data = run_cli(tmp_path, doc, "--from", str(previous))
    assert code == 0 and data is not None
    assert modules_of(only_plan(data)) == {"a": "a2"} and only_plan(data)["changes"] == 1


def test_from_minimal_change_yields_to_the_rules(tmp_path: Path) -> None:
    # Keeping both steps would now break the new budget: change as few as the budget allows.
    modules = [
        module("a1", "p1", "a", cost=6),
        module("a2", "p2", "a", cost=2),
        module("b1", "p1", "b", cost=6),
        module("b2", "p2", "b", cost=3),
    ]
    previous = write_previous(
        tmp_path, [{"request": "r", "assignments": [{"step": "a", "module": "a1"}, {"step": "b", "module": "b1"}]}]
    )
    doc = Doc(THREE, modules, [request("r", step("a"), step("b"), budget=9)])
    _, data = run_cli(tmp_path, doc, "--from", str(previous))
    assert data is not None
    entry = only_plan(data)
    assert entry["changes"] == 1 and modules_of(entry) == {
        "a": "a2",
        "b": "b1",
    }  # 8, the cheaper of two one-step changes


def test_from_an_earlier_output_with_backups_and_changes(tmp_path: Path) -> None:
    doc = fewest_changes_doc([])
    code, first = run_cli(tmp_path, doc, "--backups")
    assert code == 0 and first is not None
    previous = tmp_path / "first.json"
    previous.write_text(json.dumps(first), encoding="utf-8")
    code, second = run_cli(tmp_path, doc, "--from", str(previous), "--without", "p1")
    assert code == 0 and second is not None
    previous.write_text(json.dumps(second), encoding="utf-8")
    code, third = run_cli(tmp_path, doc, "--from", str(previous), "--without", "p1")
    assert code == 0 and third is not None
    assert only_plan(second)["changes"] == 1 and only_plan(third)["changes"] == 0
    assert modules_of(only_plan(third)) == modules_of(only_plan(second))


def test_from_a_file_that_is_not_a_plan_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something/else"}', encoding="utf-8")
    code, data = run_cli(tmp_path, Doc(THREE, BUILDERS, [request("r", step("build"))]), "--from", str(bad))
    assert code == 2 and data is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"schema": "sbn.plan/v1", "plans": [5]}', "bad.json:1:37: error: a plan must be an object, got the number 5"),
        (
            '{"schema": "sbn.plan/v1", "plans": [{"request": "r", "assignments": null}]}',
            "bad.json:1:69: error: 'assignments' must be a list, got null",
        ),
        (
            '{"schema": "sbn.plan/v1",\n "plans": [{"request": "r", "assignments": [{"step": 5, "module": "m"}]}]}',
            "bad.json:2:54: error: 'step' must be a string, got the number 5",
        ),
        ('{"schema": "sbn.plan/v1", "plans": [{"assignments": []}]}', "bad.json:1:37: error: missing 'request'"),
        ("[" * 100_000, "bad.json:1:501: error: invalid JSON: nested too deeply"),
        (
            '{"schema": "sbn.plan/v1", "plans": [{"request": "r", "assignments": []},\n'
            ' {"request": "r", "assignments": []}]}',
            "bad.json:2:14: error: request 'r' appears twice (first in plan 1)",
        ),
        (
            '{"schema": "sbn.plan/v1", "plans": [{"request": "r", "assignments": [\n'
            '{"step": "build", "module": "m1"}, {"step": "build", "module": "m2"}]}]}',
            "bad.json:2:45: error: step 'build' appears twice in this plan",
        ),
        (
            b'\xef\xbb\xbf{"schema": "sbn.plan/v1",\n "plans": [\xff]}',
            "bad.json:2:1: error: invalid JSON: not UTF-8 text",
        ),
    ],
    ids=[
        "plan-not-object",
        "assignments-null",
        "step-not-string",
        "no-request",
        "deeply-nested",
        "request-twice",
        "step-twice",
        "not-utf-8",
    ],
)
def test_from_a_plan_of_the_wrong_shape_is_an_input_error_with_its_place(
    tmp_path: Path, capsys: Any, text: str | bytes, expected: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    doc = Doc(THREE, BUILDERS, [request("r", step("build"))])
    capsys.readouterr()
    code, data = run_cli(tmp_path, doc, "--from", str(bad))
    assert code == 2 and data is None
    assert capsys.readouterr().err.replace(str(tmp_path) + "/", "") == expected + "\n"


def test_from_a_missing_file_or_a_directory_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    doc = Doc(THREE, BUILDERS, [request("r", step("build"))])
    for path, message in [
        (tmp_path / "none.json", "sbn: error: --from {}: no such file or directory"),
        (tmp_path, "sbn: error: --from {} is a directory: give an earlier plan's JSON file"),
    ]:
        capsys.readouterr()
        code, data = run_cli(tmp_path, doc, "--from", str(path))
        assert code == 2 and data is None
        assert capsys.readouterr().err == message.format(path) + "\n"


def test_from_a_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    doc = Doc(THREE, BUILDERS, [request("r", step("build"))])
    code, first = run_cli(tmp_path, doc)
    previous = tmp_path / "previous.json"
    previous.write_bytes(b"\xef\xbb\xbf" + json.dumps(first).encode("utf-8"))
    code, data = run_cli(tmp_path, doc, "--from", str(previous))
    assert code == 0 and data is not None
    assert only_plan(data)["changes"] == 0


def test_no_change_or_backup_fields_unless_asked(tmp_path: Path) -> None:
    _, data = run_cli(tmp_path, Doc(THREE, BUILDERS, [request("r", step("build"))]))
    assert data is not None
    entry = only_plan(data)
    assert "changes" not in entry and "single_points_of_failure" not in entry
    assert "changed" not in entry["assignments"][0] and "backup" not in entry["assignments"][0]


# -- --backups -------------------------------------------------------------------------------


def backup_modules() -> list[dict[str, Any]]:
    return [
        module("m1", "p1", "build", cost=10, lead_time=2),
        module("m1-bis", "p1", "build", cost=10, lead_time=2),  # same partner: never a backup
        module("m2", "p2", "build", cost=15, lead_time=1),
        module("m3", "p3", "build", cost=12, lead_time=4),
    ]


def test_backup_is_the_best_module_of_another_partner_by_cost_then_time(tmp_path: Path) -> None:
    code, data = run_cli(tmp_path, Doc(THREE, backup_modules(), [request("r", step("build"))]), "--backups")
    assert code == 0 and data is not None
    entry = only_plan(data)
    build = assignment(entry, "build")
    assert build["module"] == "m1"
    assert build["backup"] == {"module": "m3", "partner": "p3", "cost_delta": 2.0, "finish_delta": 2}
    assert entry["single_points_of_failure"] == []


def test_backup_follows_the_requests_optimize(tmp_path: Path) -> None:
    req = request("r", step("build"), optimize=["time", "cost"])
    _, data = run_cli(tmp_path, Doc(THREE, backup_modules(), [req]), "--backups")
    assert data is not None
    build = assignment(only_plan(data), "build")
    assert build["module"] == "m2"
    assert build["backup"] == {"module": "m1", "partner": "p1", "cost_delta": -5.0, "finish_delta": 1}


def test_backup_finish_delta_recomputes_the_schedule(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", lead_time=2),
        module("a2", "p2", "a", lead_time=5, cost=1),
        module("b1", "p1", "b", lead_time=3),
        module("c1", "p1", "c", lead_time=1),
    ]
    req = request("r", step("a"), step("b"), step("c", after=["a", "b"]))
    _, data = run_cli(tmp_path, Doc(THREE, modules, [req]), "--backups")
    assert data is not None
    entry = only_plan(data)
    # a moves from 2 to 5 days; c now waits for a (5) rather than b (3): finish 4 -> 6.
    assert assignment(entry, "a")["backup"] == {"module": "a2", "partner": "p2", "cost_delta": 1.0, "finish_delta": 2}
    assert assignment(entry, "b")["backup"] is None and assignment(entry, "c")["backup"] is None
    assert entry["single_points_of_failure"] == ["b", "c"]


def test_no_backup_among_the_same_partners_modules_is_a_single_point_of_failure(tmp_path: Path) -> None:
    modules = [module("m1", "p1", "build", cost=1), module("m1-bis", "p1", "build", cost=2)]
    _, data = run_cli(tmp_path, Doc(THREE, modules, [request("r", step("build"))]), "--backups")
    assert data is not None
    entry = only_plan(data)
    assert assignment(entry, "build")["backup"] is None
    assert assignment(entry, "build")["backup_reason"] == "no other partner offers build"
    assert entry["single_points_of_failure"] == ["build"]


def test_no_backup_says_why_each_module_of_another_partner_cannot_take_over(tmp_path: Path) -> None:
    # a3 would join p3 with p2, whom p3 avoids; a4 does not serve the region.
    partners = [partner("p1"), partner("p2"), partner("p3", interests={"avoid": ["p2"]}), partner("p4")]
    modules = [
        module("a1", "p1", "a", regions=["NL"]),
        module("a3", "p3", "a", regions=["NL"]),
        module("a4", "p4", "a", regions=["DE"]),
        module("b2", "p2", "b", regions=["NL"]),
    ]
    entry = backup_case(tmp_path, modules, request("r", step("a"), step("b"), region="NL"), partners)
    assert assignment(entry, "a")["backup"] is None
    assert assignment(entry, "a")["backup_reason"] == (
        "no module of another partner fits: 1 would break avoid, 1 does not serve region NL"
    )
    assert assignment(entry, "b")["backup_reason"] == "no other partner offers b"


def test_no_backup_names_the_rules_broken_in_words(tmp_path: Path) -> None:
    # b2 would have p2 do both steps: 2 units on a partner of capacity 1. Said "partner capacity",
    # as the candidates say "over partner capacity", not the rule's name partner_capacity.
    partners = [partner("p1"), partner("p2", capacity=1)]
    modules = [module("a1", "p1", "a"), module("a2", "p2", "a", cost=5), module("b2", "p2", "b")]
    entry = backup_case(tmp_path, modules, request("r", step("a"), step("b")), partners)
    assert (
        assignment(entry, "a")["backup_reason"] == "no module of another partner fits: 1 would break partner capacity"
    )


def backup_case(
    tmp_path: Path,
    modules: list[dict[str, Any]],
    req: dict[str, Any],
    partners: list[dict[str, Any]] = THREE,
    extra: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The plan of `req`, planned with --backups beside the `extra` requests."""
    _, data = run_cli(tmp_path, Doc(partners, modules, [req, *extra]), "--backups")
    assert data is not None
    return plan_of(data, req["id"])


def test_backup_obeys_capacity_left_by_every_other_request_of_the_run(tmp_path: Path) -> None:
    modules = [
        module("m1", "p1", "build", cost=1),
        module("m2", "p2", "build", cost=9),
        module("m3", "p3", "build", cost=5, capacity=5),
    ]
    first = request("r1", step("build"), quantity=4, priority=1)
    later = request("r2", step("build", partner="p3"), quantity=3)  # planned after r1, uses 3 of m3's 5
    entry = backup_case(tmp_path, modules, first, extra=[later])
    assert modules_of(entry) == {"build": "m1"}
    assert assignment(entry, "build")["backup"]["module"] == "m2"
    # Without the later request, m3 would be the backup.
    entry = backup_case(tmp_path, modules, first)
    assert assignment(entry, "build")["backup"]["module"] == "m3"


def test_backup_obeys_partner_capacity(tmp_path: Path) -> None:
    partners = [partner("p1"), partner("p2"), partner("p3", capacity=5)]
    modules = [
        module("a1", "p1", "a"),
        module("a3", "p3", "a", cost=1),
        module("a2", "p2", "a", cost=2),
        module("b3", "p3", "b"),
    ]
    entry = backup_case(tmp_path, modules, request("r", step("a"), step("b"), quantity=3), partners)
    # a3 would put 6 on p3, who can take 5.
    assert assignment(entry, "a")["backup"]["module"] == "a2"


def test_backup_obeys_avoid_with_the_partners_that_stay(tmp_path: Path) -> None:
    partners = [partner("p1"), partner("p2"), partner("p3", interests={"avoid": ["p2"]})]
    modules = [
        module("a1", "p1", "a"),
        module("a3", "p3", "a", cost=1),
        module("a2", "p2", "a", cost=2),
        module("b2", "p2", "b"),
    ]
    entry = backup_case(tmp_path, modules, request("r", step("a"), step("b")), partners)
    assert modules_of(entry) == {"a": "a1", "b": "b2"}
    assert assignment(entry, "a")["backup"] == {"module": "a2", "partner": "p2", "cost_delta": 2.0, "finish_delta": 0}


def test_backup_obeys_plug_compatibility_both_ways(tmp_path: Path) -> None:
    modules = [
        module("make", "p1", "build", outputs=["unit"]),
        module("make-pallets", "p2", "build", outputs=["pallet"], cost=1),
        module("make-units", "p3", "build", outputs=["unit"], cost=2),
        module("pack", "p1", "pack", inputs=["unit"], outputs=["box"]),
        module("pack-any", "p2", "pack", outputs=["crate"], cost=1),
        module("pack-boxes", "p3", "pack", inputs=["unit"], outputs=["box"], cost=2),
        module("ship", "p1", "ship", inputs=["box"]),
    ]
    req = request("r", step("build"), step("pack", after=["build"]), step("ship", after=["pack"]))
    entry = backup_case(tmp_path, modules, req)
    assert modules_of(entry) == {"build": "make", "pack": "pack", "ship": "ship"}
    assert assignment(entry, "build")["backup"]["module"] == "make-units"  # pallets do not fit the packer
    assert assignment(entry, "pack")["backup"]["module"] == "pack-boxes"  # crates do not fit the shipper
    assert entry["single_points_of_failure"] == ["ship"]


def test_backup_obeys_deadline_budget_and_max_partners(tmp_path: Path) -> None:
    modules = [
        module("a1", "p1", "a", cost=1, lead_time=1),
        module("slow", "p2", "a", cost=1, lead_time=9),
        module("dear", "p3", "a", cost=50, lead_time=1),
        module("b1", "p1", "b", cost=1, lead_time=1),
    ]
    loose = backup_case(tmp_path, modules, request("r", step("a"), step("b")))
    assert assignment(loose, "a")["backup"]["module"] == "slow"
    timed = backup_case(tmp_path, modules, request("r", step("a"), step("b"), deadline=5))
    assert assignment(timed, "a")["backup"]["module"] == "dear"
    both = backup_case(tmp_path, modules, request("r", step("a"), step("b"), deadline=5, budget=20))
    assert assignment(both, "a")["backup"] is None
    assert both["single_points_of_failure"] == ["a", "b"]
    alone = backup_case(tmp_path, modules, request("r", step("a"), step("b"), max_partners=1))
    assert assignment(alone, "a")["backup"] is None


def test_backup_obeys_the_single_module_rules(tmp_path: Path) -> None:
    partners = [partner("p1"), partner("p2", reputation=0.1), partner("p3", interests={"min_order_value": 100})]
    modules = [
        module("m1", "p1", "build", cost=10),
        module("m2", "p2", "build", cost=11),
        module("m3", "p3", "build", cost=12),
    ]
    entry = backup_case(tmp_path, modules, request("r", step("build"), min_reputation=0.3), partners)
    assert assignment(entry, "build")["backup"] is None


# -- properties on small random networks -----------------------------------------------------


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replans())
def test_minimal_change_is_truly_minimal(case: tuple[Doc, Doc, list[str]]) -> None:
    before, after, left = case
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        _, first = run_cli(directory, before)
        assert first is not None
        previous = write_previous(directory, first["plans"])
        args = ["--from", str(previous)] + [arg for p in left for arg in ("--without", p)]
        _, data = run_cli(directory, after, *args, name="later.yaml")
    assert data is not None
    earlier = {p["request"]: modules_of(p) for p in first["plans"]}
    ref = Reference(after, without=left)
    by_id = {p["request"]: p for p in data["plans"]}
    for i in planning_order(after):
        req = after.requests[i]
        entry = by_id[req["id"]]
        feasible = ref.plans(req)
        if not feasible:
            assert entry["status"] == "infeasible"
            continue
        assert entry["status"] == "optimal", entry["reasons"]
        kept = earlier[req["id"]]
        steps = [s["id"] for s in req["steps"]]

        def changes(picks: tuple[str, ...], steps: list[str] = steps, kept: dict[str, str] = kept) -> int:
            return sum(1 for s, m in zip(steps, picks, strict=True) if kept.get(s) != m)

        picks = tuple(a["module"] for a in entry["assignments"])
        chosen = ref.measure(req, picks)
        assert not ref.broken(req, chosen)
        fewest = min(changes(p.picks) for p in feasible)
        assert entry["changes"] == changes(picks) == fewest
        best = min(objective(req, p) for p in feasible if changes(p.picks) == fewest)
        assert objective(req, chosen) == best
        for a in entry["assignments"]:
            assert a["previous"] == kept.get(a["step"])
            assert a["changed"] is (kept.get(a["step"]) != a["module"])
        ref.take(req, picks)


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_backups_are_the_best_valid_single_step_swaps(doc: Doc) -> None:
    with tempfile.TemporaryDirectory() as name:
        data = plan_dict(Path(name), doc, backups=True)
    planned = {
        p["request"]: tuple(a["module"] for a in p["assignments"]) for p in data["plans"] if p["status"] == "optimal"
    }
    for req in doc.requests:
        entry = plan_of(data, req["id"])
        if entry["status"] != "optimal":
            continue
        # Every other request of the run keeps its capacity.
        ref = Reference(doc)
        for other in doc.requests:
            if other["id"] != req["id"] and other["id"] in planned:
                ref.take(other, planned[other["id"]])
        picks = planned[req["id"]]
        current = ref.measure(req, picks)
        assert not ref.broken(req, current)
        missing = []
        for i, (s, out) in enumerate(zip(req["steps"], entry["assignments"], strict=True)):
            swaps = []
            for module_id, module_data in sorted(ref.modules.items()):
                if module_data["partner"] == out["partner"] or not ref.fits(req, s, module_data):
                    continue
                trial = ref.measure(req, (*picks[:i], module_id, *picks[i + 1 :]))
                if not ref.broken(req, trial):
                    swaps.append(trial)
            backup = out["backup"]
            if not swaps:
                assert backup is None, (s["id"], backup)
                missing.append(s["id"])
                continue
            assert backup is not None, s["id"]
            trial = next(t for t in swaps if t.picks[i] == backup["module"])  # a valid swap
            assert backup["partner"] == ref.modules[backup["module"]]["partner"] != out["partner"]
            assert objective(req, trial) == min(objective(req, t) for t in swaps)
            assert Decimal(str(backup["cost_delta"])) == Decimal(trial.cost - current.cost) / 100
            assert backup["finish_delta"] == trial.finish - current.finish
        assert entry["single_points_of_failure"] == missing
