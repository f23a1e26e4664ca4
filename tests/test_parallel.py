"""Planning groups of independent requests side by side (SPEC §8, --jobs, --scheduler): byte for byte the
output of planning the run in one process, whatever the number of workers and wherever they run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from support.build import Doc, load, module, partner, request, step

from benchmarks.generate import generate
from sbn.cli import main
from sbn.parallel import independent_groups, merge_objectives
from sbn.result import ObjectiveValue


def plan_bytes(tmp_path: Path, requests: Path, *args: str) -> bytes:
    output = tmp_path / f"plan-{len(list(tmp_path.iterdir()))}.json"
    code = main(["plan", str(requests), "--format", "json", "--output", str(output), *args])
    assert code in (0, 1)
    return output.read_bytes()


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated runs: one whose requests compete for capacity, one whose requests share none."""
    root = tmp_path_factory.mktemp("batches")
    return {
        "competing": generate(root / "competing", 400, requests=40, steps=4, seed=3),
        "independent": generate(root / "independent", 400, requests=40, steps=4, seed=3, capacities=False),
    }


@pytest.mark.parametrize("kind", ["competing", "independent"])
@pytest.mark.parametrize("extra", [[], ["--backups", "--explain"], ["--joint"]])
def test_any_number_of_workers_gives_the_same_bytes(
    tmp_path: Path, batches: dict[str, Path], kind: str, extra: list[str]
) -> None:
    one = plan_bytes(tmp_path, batches[kind], "--jobs", "1", *extra)
    for jobs in ("2", "3"):
        assert plan_bytes(tmp_path, batches[kind], "--jobs", jobs, *extra) == one, jobs


@pytest.mark.parametrize("kind", ["competing", "independent"])
def test_from_and_committed_give_the_same_bytes_on_any_number_of_workers(
    tmp_path: Path, batches: dict[str, Path], kind: str
) -> None:
    import json

    first = tmp_path / "first.json"
    first.write_bytes(plan_bytes(tmp_path, batches[kind], "--jobs", "1"))
    plans = json.loads(first.read_bytes())["plans"]
    gone = next(a["partner"] for p in plans for a in p["assignments"])
    early = tmp_path / "early.json"
    ids = [p["request"] for p in plans[:5]]
    early.write_bytes(plan_bytes(tmp_path, batches[kind], "--jobs", "1", *[x for i in ids for x in ("-r", i)]))
    for extra in (["--from", str(first), "--without", gone], ["--committed", str(early)]):
        one = plan_bytes(tmp_path, batches[kind], "--jobs", "1", *extra)
        assert plan_bytes(tmp_path, batches[kind], "--jobs", "2", *extra) == one, extra


def test_requests_sharing_a_limited_capacity_are_one_group(tmp_path: Path) -> None:
    doc = Doc(
        partners=[partner("p1", capacity=5), partner("p2"), partner("p3")],
        modules=[
            module("a1", "p1", "a", regions=["NL"]),
            module("a2", "p2", "a", regions=["DE"]),
            module("b3", "p3", "b", capacity=2, regions=["NL", "DE"]),
        ],
        requests=[
            request("nl", step("a"), region="NL"),  # could use p1's capacity
            request("de", step("a"), region="DE"),  # only p2: no limit
            request("nl2", step("a"), step("b"), region="NL"),  # p1 again, and b3's capacity
            request("de2", step("b"), region="DE"),  # b3's capacity, shared with nl2
        ],
    )
    network = load(tmp_path, doc)
    assert independent_groups(network, list(network.requests), frozenset()) == [[0, 2, 3], [1]]
    # A partner that left cannot couple anyone.
    assert independent_groups(network, list(network.requests), frozenset({"p1"})) == [[0], [1], [2, 3]]


def test_the_objectives_of_independent_groups_add_up() -> None:
    first = (
        ObjectiveValue("planned", 2, True, priority=1),
        ObjectiveValue("cost", Decimal("10.50"), True),
    )
    second = (
        ObjectiveValue("planned", 1, True, priority=1),
        ObjectiveValue("planned", 3, False, priority=0),
        ObjectiveValue("cost", Decimal("4.00"), False, bound=Decimal("3.5")),
    )
    merged = merge_objectives([first, second])
    assert [(v.criterion, v.priority, v.value, v.proven, v.bound) for v in merged] == [
        ("planned", 1, 3, True, None),
        ("planned", 0, 3, False, None),
        ("cost", None, Decimal("14.50"), False, Decimal("14.00")),
    ]


def test_on_a_local_dask_cluster_the_bytes_are_the_same(tmp_path: Path, batches: dict[str, Path]) -> None:
    distributed = pytest.importorskip("distributed")
    one = plan_bytes(tmp_path, batches["independent"], "--jobs", "1", "--backups")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        on_cluster = plan_bytes(tmp_path, batches["independent"], "--scheduler", cluster.scheduler_address, "--backups")
    assert on_cluster == one


def test_a_scheduler_that_cannot_be_reached_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    path = tmp_path / "net.yaml"
    doc = Doc(partners=[partner("p")], modules=[module("m", "p", "a")], requests=[request("r", step("a"))])
    path.write_text(doc.text())
    assert main(["plan", str(path), "--scheduler", "tcp://127.0.0.1:9", "--time-limit", "1"]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_plans_travel_back_with_the_network_as_ids(tmp_path: Path, batches: dict[str, Path]) -> None:
    """A worker's plans name the network's modules, partners, offers and the requests by id; the parent
    puts its own objects in their place, and a plan comes back as its outline (candidates counted)."""
    import pickle
    import pickletools

    from sbn.loader import load_network
    from sbn.parallel import _Known, plan_group
    from sbn.pipeline import Options
    from sbn.planner import plan_run

    network = load_network([str(batches["competing"])])
    requests = list(network.requests)
    data = plan_group(network, requests, Options(), True)
    classes = {arg for op, arg, _ in pickletools.genops(data) if op.name == "SHORT_BINUNICODE"}
    for name in ("Module", "Partner", "Offer", "Request", "Step", "Candidate"):
        assert name not in classes, name
    from sbn.candidates import Catalog

    plans, _ = _Known(network, requests, Catalog(network)).load(data)
    here = plan_run(network, requests, Options()).plans
    assert [plan.request for plan in plans] == list(requests)
    assert all(a.request is b for a, b in zip(plans, requests, strict=True))
    assert [plan.outline() for plan in here] == plans
    assert all(plan.picks == () and all(not e.candidates for e in plan.steps) for plan in plans)
    assert sum(e.fit for p in plans for e in p.steps) == sum(len(e.candidates) for p in here for e in p.steps) > 0
    with pytest.raises(pickle.UnpicklingError):
        _Known(network, [], Catalog(network)).load(data)
