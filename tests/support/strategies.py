"""Random small networks (hypothesis strategies) for the property tests, written as a user would write them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from support.build import Doc, Number


def examples(count: int) -> int:
    """A property test's number of examples, times SBN_EXAMPLES_FACTOR (a thorough run: 10)."""
    return count * int(os.environ.get("SBN_EXAMPLES_FACTOR", "1"))


CAPABILITIES = ("a", "b", "c")
INTERFACES = ("x", "y", "z")
REGIONS = ("NL", "DE")
CERTS = ("iso", "vca")
CRITERIA = ("cost", "time", "partners", "reputation", "preferred")


# -- random instances ------------------------------------------------------------------------


def maybe(draw: st.DrawFn, strategy: st.SearchStrategy[Any], chance: float = 0.5) -> Any:
    """`strategy`'s value with about the given chance, else None (field left out)."""
    return draw(strategy) if draw(st.integers(0, 99)) < chance * 100 else None


def subset(draw: st.DrawFn, items: Iterable[Any], max_size: int | None = None) -> list[Any]:
    pool = list(items)
    chosen = draw(st.lists(st.sampled_from(pool), unique=True, max_size=max_size)) if pool else []
    return sorted(chosen, key=pool.index)


def numbers(*values: str) -> st.SearchStrategy[Number]:
    return st.sampled_from([Number(v) for v in values])


def compact(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None and value != []}


@st.composite
def networks(
    draw: st.DrawFn, requests_between: tuple[int, int] = (1, 2), steps_between: tuple[int, int] = (2, 4)
) -> Doc:
    """A small network with its requests; the capacities are small enough to make requests compete."""
    partner_ids = [f"p{i}" for i in range(draw(st.integers(2, 4)))]
    partners = []
    for pid in partner_ids:
        min_order = maybe(draw, numbers("0", "3", "8.5", "20"), 0.15)
        avoid = subset(draw, [p for p in partner_ids if p != pid], 1) if draw(st.integers(0, 3)) == 0 else []
        interests = compact(min_order_value=min_order, avoid=avoid)
        partners.append(
            compact(
                id=pid,
                region=maybe(draw, st.sampled_from(REGIONS), 0.6),
                certifications=subset(draw, CERTS, 1) if draw(st.booleans()) else [],
                reputation=maybe(draw, numbers("0.2", "0.45", "0.5", "0.8", "1"), 0.7),
                capacity=maybe(draw, numbers("2", "4", "6.5", "10"), 0.3),
                interests=interests or None,
            )
        )
    module_count = draw(st.integers(3, 8))
    capabilities = CAPABILITIES[: draw(st.integers(2, 3))]
    modules = []
    for i in range(module_count):
        # Every capability offered at least once when there are enough modules.
        capability = capabilities[i] if i < len(capabilities) else draw(st.sampled_from(capabilities))
        cost: Any = {
            "fixed": draw(numbers("0", "1", "2.5", "7.25", "10", "0.005")),
            "per_unit": draw(numbers("0", "0.1", "0.25", "1", "3.333", "0.0025")),
        }
        lead: Any = {
            "fixed": draw(numbers("0", "1", "2", "3", "5")),
            "per_unit": draw(numbers("0", "0.05", "0.5", "1", "0.3")),
        }
        if draw(st.booleans()):
            cost = cost["fixed"]
        if draw(st.booleans()):
            lead = lead["fixed"]
        regions = draw(st.sampled_from([None, None, ["*"], ["NL"], ["DE", "NL"], ["DE"]]))
        modules.append(
            compact(
                id=f"m{i}",
                partner=draw(st.sampled_from(partner_ids)),
                capability=capability,
                inputs=subset(draw, INTERFACES, 2) if draw(st.integers(0, 2)) == 0 else [],
                outputs=subset(draw, INTERFACES, 2),
                cost=cost,
                lead_time=lead,
                capacity=maybe(draw, numbers("2", "3.5", "6", "9"), 0.3),
                usage=maybe(draw, numbers("0", "0.5", "1", "2"), 0.3),
                regions=regions,
                certifications=subset(draw, CERTS, 1) if draw(st.integers(0, 2)) == 0 else [],
            )
        )
    requests = []
    for r in range(draw(st.integers(*requests_between))):
        count = draw(st.integers(*steps_between))
        steps = []
        for s in range(count):
            before = subset(draw, [f"s{j}" for j in range(s)], 2)
            steps.append(
                compact(
                    id=f"s{s}",
                    capability=draw(st.sampled_from(capabilities)),
                    after=before,
                    quantity=maybe(draw, numbers("1", "2", "3"), 0.2),
                    certifications=subset(draw, CERTS, 1) if draw(st.integers(0, 11)) == 0 else [],
                    partner=maybe(draw, st.sampled_from(partner_ids), 0.05),
                )
            )
        order = draw(st.permutations(range(count)))
        optimize = maybe(draw, st.lists(st.sampled_from(CRITERIA), min_size=1, max_size=3, unique=True), 0.8)
        requests.append(
            compact(
                id=f"r{r}",
                region=maybe(draw, st.sampled_from(REGIONS), 0.15),
                quantity=maybe(draw, numbers("1", "2", "2.5", "4"), 0.6),
                deadline=maybe(draw, numbers("0", "3", "6", "7.5", "10", "15"), 0.4),
                budget=maybe(draw, numbers("5", "12.5", "20", "40", "100"), 0.4),
                certifications=subset(draw, CERTS, 1) if draw(st.integers(0, 9)) == 0 else [],
                min_reputation=maybe(draw, numbers("0.3", "0.5", "0.8"), 0.1),
                exclude=subset(draw, partner_ids, 1) if draw(st.integers(0, 4)) == 0 else [],
                prefer=subset(draw, partner_ids, 2) if draw(st.booleans()) else [],
                max_partners=maybe(draw, st.integers(1, 3), 0.3),
                optimize=optimize,
                priority=maybe(draw, st.integers(0, 2), 0.4),
                steps=[steps[i] for i in order],
            )
        )
    return Doc(partners=partners, modules=modules, requests=requests)


@st.composite
def replans(draw: st.DrawFn) -> tuple[Doc, Doc, list[str]]:
    """A network, the same network a little later, and the partners that left."""
    before = draw(networks())
    modules = list(before.modules)
    for _ in range(draw(st.integers(0, 2))):
        if len(modules) > 1:
            modules.pop(draw(st.integers(0, len(modules) - 1)))
    if draw(st.booleans()):
        index = draw(st.integers(0, len(modules) - 1))
        modules[index] = {**modules[index], "cost": draw(st.sampled_from(["0", "1", "30"]))}
    requests = list(before.requests)
    if draw(st.integers(0, 3)) == 0:
        # A step renamed: the previous plan names a step that is gone.
        r = draw(st.integers(0, len(requests) - 1))
        old = requests[r]["steps"][0]["id"]

        def rename(s: dict[str, Any]) -> dict[str, Any]:
            return {
                **s,
                "id": "new" if s["id"] == old else s["id"],
                "after": ["new" if a == old else a for a in s.get("after", [])],
            }

        requests[r] = {**requests[r], "steps": [rename(s) for s in requests[r]["steps"]]}
    after = replace(before, modules=modules, requests=requests)
    left = draw(st.lists(st.sampled_from([p["id"] for p in before.partners]), max_size=1))
    return before, after, left


@st.composite
def timed_networks(draw: st.DrawFn) -> Doc:
    """A small network whose modules hold resources at once and consume one in total (SPEC §6)."""
    partners = [{"id": f"p{i}"} for i in range(draw(st.integers(1, 3)))]
    resources: list[dict[str, Any]] = [{"id": "crew", "at_once": draw(numbers("1", "2", "3", "4"))}]
    if draw(st.booleans()):
        resources.append({"id": "stock", "total": draw(numbers("2", "5", "8"))})
    modules = []
    for i in range(draw(st.integers(2, 5))):
        uses: dict[str, Any] = {}
        if draw(st.integers(0, 3)):
            uses["crew"] = draw(numbers("1", "2", "3", "0.5"))
        if len(resources) > 1 and draw(st.booleans()):
            uses["stock"] = draw(st.sampled_from([Number("1"), {"per_unit": Number("1")}, {"fixed": Number("2")}]))
        modules.append(
            compact(
                id=f"m{i}",
                partner=draw(st.sampled_from([p["id"] for p in partners])),
                capability=CAPABILITIES[i] if i < 2 else draw(st.sampled_from(CAPABILITIES[:2])),
                cost=draw(numbers("0", "1", "5", "9")),
                # 6: long enough that a later request waits longer than the steps take (the fold of
                # cost and time must count waiting in time's range).
                lead_time=draw(numbers("0", "1", "2", "3", "6")),
                uses=uses or None,
            )
        )
    requests = []
    for r in range(draw(st.integers(1, 3))):
        count = draw(st.integers(1, 3))
        steps = [
            compact(
                id=f"s{s}",
                capability=draw(st.sampled_from(CAPABILITIES[:2])),
                after=subset(draw, [f"s{j}" for j in range(s)], 1),
            )
            for s in range(count)
        ]
        requests.append(
            compact(
                id=f"r{r}",
                quantity=maybe(draw, numbers("1", "2"), 0.3),
                # 2027-03-09: a request released after the others' work is done (the horizon counts releases).
                start=maybe(draw, st.sampled_from(["2027-03-01", "2027-03-02", "2027-03-04", "2027-03-09"]), 0.4),
                deadline=maybe(draw, numbers("2", "4", "6", "9"), 0.3),
                optimize=maybe(draw, st.sampled_from([["time"], ["cost"], ["time", "cost"]]), 0.7),
                priority=maybe(draw, st.integers(0, 1), 0.3),
                steps=steps,
            )
        )
    return Doc(partners=partners, modules=modules, requests=requests, resources=resources)
