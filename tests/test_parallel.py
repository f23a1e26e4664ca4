"""Planning groups of independent requests side by side (SPEC §8, --jobs, --scheduler): byte for byte the
output of planning the run in one process, whatever the number of workers and wherever they run."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.build import Doc, load, module, partner, request, step

from benchmarks.generate import generate
from sbn.cli import main
from sbn.parallel import independent_groups


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
@pytest.mark.parametrize("extra", [[], ["--backups", "--explain"], ["--joint"], ["--joint", "--node-limit", "3"]])
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


def test_a_joint_run_is_one_model_whatever_the_workers(tmp_path: Path) -> None:
    """Found by QA: split into groups, a joint run broke ties among each group's own requests, and each group
    had the whole --node-limit. Two requests share no limit with the third, and every choice ties."""
    path = tmp_path / "tie.yaml"
    doc = Doc(
        partners=[partner("x"), partner("y")],
        modules=[module("m1", "x", "a"), module("m2", "y", "a"), module("m3", "y", "b"), module("m4", "x", "b")],
        requests=[request(f"r{i}", step("a"), step("b")) for i in (1, 2, 3)],
    )
    path.write_text(doc.text())
    for extra in (["--optimize", "partners"], ["--node-limit", "1"]):
        one = plan_bytes(tmp_path, path, "--joint", "--jobs", "1", "--format", "csv", *extra)
        assert plan_bytes(tmp_path, path, "--joint", "--jobs", "2", "--format", "csv", *extra) == one


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

    plans = _Known(network, requests, Catalog(network)).load(data)
    here = plan_run(network, requests, Options()).plans
    assert [plan.request for plan in plans] == list(requests)
    assert all(a.request is b for a, b in zip(plans, requests, strict=True))
    assert [plan.outline() for plan in here] == plans
    assert all(plan.picks == () and all(not e.candidates for e in plan.steps) for plan in plans)
    assert sum(e.fit for p in plans for e in p.steps) == sum(len(e.candidates) for p in here for e in p.steps) > 0
    with pytest.raises(pickle.UnpicklingError):
        _Known(network, [], Catalog(network)).load(data)


@pytest.mark.parametrize(
    "address", ["notanaddress", "", "http://127.0.0.1:1", "tls://127.0.0.1:1", "tcp://[::1", "a:0"]
)
def test_a_scheduler_address_dask_cannot_use_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], address: str
) -> None:
    pytest.importorskip("distributed")
    path = tmp_path / "net.yaml"
    doc = Doc(partners=[partner("p")], modules=[module("m", "p", "a")], requests=[request("r", step("a"))])
    path.write_text(doc.text())
    assert main(["plan", str(path), "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert "expected a Dask scheduler's address, tcp://HOST:PORT" in err and "Traceback" not in err


@pytest.mark.parametrize("answer", [None, b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"])
def test_what_answers_at_the_address_must_be_a_dask_scheduler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], answer: bytes | None
) -> None:
    """Found by QA: a listener that never answers hung sbn for minutes; one that sends bytes Dask cannot read
    gave 'out of memory' (Dask read a length of 3 EiB). Both are usage errors within the 5 s promised."""
    import socket
    import threading

    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            if answer is not None:
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    path = tmp_path / "net.yaml"
    doc = Doc(partners=[partner("p")], modules=[module("m", "p", "a")], requests=[request("r", step("a"))])
    path.write_text(doc.text())
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        assert main(["plan", str(path), "--scheduler", address]) == 2
    finally:
        server.close()
        for conn in held:
            conn.close()
    err = capsys.readouterr().err
    expected = "no answer within 5 seconds" if answer is None else "what answers there is not a Dask scheduler"
    assert f"cannot reach the Dask scheduler at {address}: {expected}" in err


def test_a_scheduler_without_workers_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    distributed = pytest.importorskip("distributed")
    path = tmp_path / "net.yaml"
    doc = Doc(partners=[partner("p")], modules=[module("m", "p", "a")], requests=[request("r", step("a"))])
    path.write_text(doc.text())
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://", dashboard_address=":0") as cluster:
        assert main(["plan", str(path), "--scheduler", cluster.scheduler_address]) == 2
    assert "has no workers: start some with `dask worker" in capsys.readouterr().err


def test_for_json_output_workers_write_their_plans(batches: dict[str, Path]) -> None:
    """With --format json a worker writes each plan's JSON object (in parallel) and sends it with what the
    run's summary and exit code need; the document is byte for byte the one-process one (tests above)."""
    from sbn.candidates import Catalog
    from sbn.loader import load_network
    from sbn.parallel import _Known, plan_group
    from sbn.pipeline import Options
    from sbn.planner import plan_run
    from sbn.render.data import plan_json

    network = load_network([str(batches["competing"])])
    requests = list(network.requests)
    plans = _Known(network, requests, Catalog(network)).load(plan_group(network, requests, Options(), True, True))
    here = plan_run(network, requests, Options()).plans
    assert [plan.json for plan in plans] == [plan_json(plan, True, False) for plan in here]
    assert [(p.status, p.assignments) for p in plans] == [(p.status, p.assignments) for p in here]
    assert all(plan.steps == () for plan in plans)
