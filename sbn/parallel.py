"""Plan groups of requests that share no finite capacity side by side: on local processes, or on a Dask
cluster (SPEC §8, --jobs and --scheduler).

Two requests can only affect each other through a capacity both could use: a module, a partner or a
resource with a limit. Requests are grouped so that no two groups could use one (``independent_groups``);
each group is planned as sbn plans any run (by priority, then file order), by whichever executor runs
it, and the plans are put back in file order. The output is therefore byte for byte that
of planning the whole run in one process, whatever the number of workers and wherever they run.

What travels: the network once per worker (a process pool forks with it, or receives it once as its
initializer's argument; a Dask cluster receives it once per worker by ``scatter(broadcast=True)``), then
per group its requests and the options, and back the group's plans.
"""

from __future__ import annotations

import io
import multiprocessing
import pickle
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sbn.candidates import Catalog, Offer, fixed_for
from sbn.errors import UsageError
from sbn.loader import Network
from sbn.model import Module, Partner, Request, Resource, Step
from sbn.pipeline import Options
from sbn.result import Plan, Run
from sbn.sources import reason
from sbn.text import escape, quote
from sbn.workers import can_fork, ignore_interrupts, stop_workers

# Below this many requests a run is planned in one process unless --jobs is given: starting workers
# costs more than they save (measured in docs/performance.md).
PARALLEL_FROM = 32
# How long to wait for a Dask scheduler to answer before saying it cannot be reached.
CONNECT_SECONDS = 5


def independent_groups(
    network: Network, requests: Sequence[Request], without: frozenset[str], catalog: Catalog | None = None
) -> list[list[int]]:
    """Positions of the requests, grouped so that no two groups could use one limited capacity.

    A request could use every limit that a module passing its step's filters (capability, region,
    certifications, exclusions...) takes from. Groups come in the order of their first request; each
    lists its requests in file order. ``catalog``: one to fill (workers forked later share its filtering).
    """
    catalog = catalog if catalog is not None else Catalog(network)
    parent = list(range(len(requests)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # A step whose capability no module with a limit offers cannot tie its request to another.
    limited: dict[str, bool] = {}
    owner: dict[tuple[str, str], int] = {}
    for i, request in enumerate(requests):
        for step in request.steps:
            capability = step.capability
            if capability not in limited:
                limited[capability] = any(offer.limits for offer in catalog.offers(capability))
            if not limited[capability]:
                continue
            for _, offer in catalog.filtered(fixed_for(request, step, without)).passing:
                for pair in offer.limits:
                    first = owner.setdefault(pair, i)
                    a, b = root(first), root(i)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(requests)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda group: group[0])


def plan_in_groups(
    network: Network,
    requests: Sequence[Request],
    options: Options,
    executor: Executor,
    network_ref: Any,
    details: bool,
    workers: int,
    groups: list[list[int]] | None = None,
    catalog: Catalog | None = None,
    write_json: bool = False,
) -> Run:
    """Plan the run's independent groups on ``executor``; ``network_ref`` is what a task is given to find the
    network on its worker (None: the worker's own copy). ``details``: keep every rejection's words (--explain).
    ``groups``: those of independent_groups, when already known; ``catalog``: this process's, if it has one;
    ``write_json``: the output is JSON, which the workers write for their plans (sbn.render.data).

    Never for --joint: a joint run is one model, whose limits (--time-limit, --node-limit) and ties are the
    whole run's; split into groups, each would get the whole limit and break ties among its own requests.
    """
    assert not options.joint, "a joint run is planned in one process"
    if catalog is None:
        catalog = Catalog(network)
    if groups is None:
        groups = independent_groups(network, requests, options.without, catalog)
    progress = options.progress
    carried = replace(options, progress=None)
    batches = _batches(groups, workers)
    futures: list[Future[bytes]] = [
        executor.submit(plan_group, network_ref, [requests[i] for i in batch], carried, details, write_json)
        for batch in batches
    ]
    plans: dict[int, Plan] = {}
    done = 0
    known = _Known(network, requests, catalog)
    for batch, future in zip(batches, futures, strict=True):
        group_plans = known.load(future.result())
        for i, plan in zip(batch, group_plans, strict=True):
            plans[i] = plan
        done += len(batch)
        if progress is not None:
            progress(done, len(requests), f"{len(groups)} independent groups on {workers} workers")
    return Run(tuple(plans[i] for i in range(len(requests))))


def _batches(groups: list[list[int]], workers: int) -> list[list[int]]:
    """Groups packed into a few tasks per worker, largest first (few tasks: each costs a round trip).

    A batch is planned as one run: its groups share no capacity, so that changes no plan.
    """
    count = max(1, min(len(groups), workers * 4))
    loads = [0] * count
    batches: list[list[int]] = [[] for _ in range(count)]
    for group in sorted(groups, key=lambda g: (-len(g), g[0])):
        lightest = loads.index(min(loads))
        batches[lightest].extend(group)
        loads[lightest] += len(group)
    return [sorted(batch) for batch in batches if batch]


# -- on the worker -------------------------------------------------------------------------------

_network: Network | None = None
_catalog: Catalog | None = None


def install(network: Network, catalog: Catalog | None = None) -> None:
    """A worker process's initializer: its copy of the network, sent once, and of the parent's catalog when
    it is forked (what grouping the requests worked out, the workers need not work out again)."""
    global _network, _catalog
    _network = network
    _catalog = catalog


def plan_group(
    network_ref: Network | None, requests: list[Request], options: Options, details: bool, write_json: bool = False
) -> bytes:
    """Plan one batch of groups as a run on a worker; rejections keep their words only when asked (--explain).

    The plans go back pickled by ``_Out``: what the parent already holds travels as its id. With
    ``write_json``, each plan also as its JSON object, written here (in parallel) rather than by the parent.
    """
    from sbn.planner import plan_run

    network = network_ref if network_ref is not None else _network
    assert network is not None, "the worker was not given the network"
    catalog = _catalog if network_ref is None and _catalog is not None and _catalog.network is network else None
    run = plan_run(network, requests, options, catalog=catalog)
    for plan in run.plans:
        for entry in plan.steps:
            for rejection in entry.rejected:
                rejection.settle(details)
    if write_json:
        from sbn.render.data import plan_json

        timed = bool(network.resources)  # as plan_data decides: the run has a resources summary
        plans = [plan.written(plan_json(plan, details, timed)) for plan in run.plans]
    else:
        plans = [plan.outline() for plan in run.plans]
    buffer = io.BytesIO()
    _Out(buffer, requests).dump(plans)
    return buffer.getvalue()


# -- what travels back ---------------------------------------------------------------------------
#
# A plan refers to the network's partners, modules and offers (through its candidates, picks and
# rejections) and to its request. Pickled by value, 500 plans of 5 steps took 16 MB and 3.5 s to dump and
# load, more than planning them. Both sides hold the network and the requests, so these travel as ids
# and the parent puts its own objects in their place; and a plan travels as its outline (its candidates
# counted: 155,000 of them in those 500 plans, which the output only counts).


class _Out(pickle.Pickler):
    """Pickles a worker's plans with the network's objects and the requests as persistent ids."""

    def __init__(self, file: io.BytesIO, requests: Sequence[Request]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.steps = {id(step): (request.id, i) for request in requests for i, step in enumerate(request.steps)}

    def persistent_id(self, obj: Any) -> tuple[str, ...] | None:
        kind = type(obj)
        if kind is Offer:
            return ("offer", obj.module.id)
        if kind is Module:
            return ("module", obj.id)
        if kind is Partner:
            return ("partner", obj.id)
        if kind is Request:
            return ("request", obj.id)
        if kind is Resource:
            return ("resource", obj.id)
        if kind is Step and id(obj) in self.steps:
            request, index = self.steps[id(obj)]
            return ("step", request, str(index))
        return None


class _Known:
    """The parent's side of ``_Out``: its own network objects and requests for the ids a worker sent."""

    def __init__(self, network: Network, requests: Sequence[Request], catalog: Catalog) -> None:
        self.network = network
        self.requests = {request.id: request for request in requests}
        self.catalog = catalog
        self.offers: dict[str, Offer] = {}

    def load(self, data: bytes) -> list[Plan]:
        unpickler = pickle.Unpickler(io.BytesIO(data))
        unpickler.persistent_load = self.find  # type: ignore[method-assign]
        loaded: list[Plan] = unpickler.load()
        return loaded

    def find(self, key: tuple[str, ...]) -> Any:
        try:
            return self._find(key)
        except (KeyError, IndexError, ValueError):
            raise pickle.UnpicklingError(f"a worker sent {key!r}, which this process does not hold") from None

    def _find(self, key: tuple[str, ...]) -> Any:
        kind, name = key[0], key[1]
        if kind == "offer":
            return self.offer(name)
        if kind == "module":
            return self.network.modules[name]
        if kind == "partner":
            return self.network.partners[name]
        if kind == "request":
            return self.requests[name]
        if kind == "resource":
            return self.network.resources[name]
        if kind == "step":
            return self.requests[name].steps[int(key[2])]
        raise pickle.UnpicklingError(f"unknown persistent id {key!r}")

    def offer(self, module_id: str) -> Offer:
        found = self.offers.get(module_id)
        if found is None:
            capability = self.network.modules[module_id].capability
            self.offers.update((offer.module.id, offer) for offer in self.catalog.offers(capability))
            found = self.offers[module_id]
        return found


# -- executors -----------------------------------------------------------------------------------


@dataclass
class Workers:
    """Where groups are planned: an executor, how many workers it has, and how a task finds the network."""

    executor: Executor
    count: int
    network_ref: Any = None
    groups: list[list[int]] | None = None  # the run's independent groups, when already known
    catalog: Catalog | None = None  # the one that grouped them, shared with forked workers
    write_json: bool = False  # the output is JSON: workers write their plans' (plan_in_groups)


def quiet_worker(network: Network | None = None, catalog: Catalog | None = None) -> None:
    """A local worker's initializer: Ctrl-C left to the sbn process; the network, when it is sent."""
    ignore_interrupts()
    if network is not None:
        install(network, catalog)


@contextmanager
def local_workers(network: Network, count: int, catalog: Catalog | None = None) -> Iterator[Workers]:
    """A pool of ``count`` processes, each holding the network: forked from this process where that is safe
    (no other thread yet), with ``catalog`` as it is, else started fresh and sent the network once."""
    if can_fork():
        install(network, catalog)
        pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"), initializer=quiet_worker)
    else:
        pool = ProcessPoolExecutor(
            count, mp_context=multiprocessing.get_context("spawn"), initializer=quiet_worker, initargs=(network,)
        )
    try:
        yield Workers(pool, count, catalog=catalog)
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown(wait=True, cancel_futures=True)


_ADDRESS = re.compile(r"(?:tcp://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})")


def scheduler_address(address: str) -> str:
    """--scheduler's value as Dask's tcp:// address; other schemes need settings sbn does not pass."""
    found = _ADDRESS.fullmatch(address.strip())
    if found is None or not 0 < int(found.group(2)) < 65536:
        raise UsageError(
            f"--scheduler {quote(address, bare=True)}: expected a Dask scheduler's address, tcp://HOST:PORT"
        )
    return f"tcp://{found.group(1)}:{int(found.group(2))}"


def _ask_scheduler(address: str) -> dict[str, Any]:
    """The scheduler's own account of itself (its `identity`), asked within CONNECT_SECONDS in all: connecting
    and the answer both. Whatever else answers, or nothing at all, is a usage error naming the address."""
    import asyncio

    from distributed.comm import connect

    async def ask() -> Any:
        comm = await connect(address, timeout=CONNECT_SECONDS)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        answer = asyncio.run(asyncio.wait_for(ask(), CONNECT_SECONDS))
    except TimeoutError:
        raise UsageError(
            f"cannot reach the Dask scheduler at {address}: no answer within {CONNECT_SECONDS} seconds"
        ) from None
    except OSError as exc:
        # Dask's words ("Timed out trying to connect to ... after 5 s"), else the system's.
        why = escape(str(exc)) if exc.errno is None and str(exc) else reason(exc).lower()
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {why}") from None
    except Exception:  # garbage on the wire makes Dask's reader raise anything (MemoryError for a huge length)
        answer = None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise UsageError(f"cannot reach the Dask scheduler at {address}: what answers there is not a Dask scheduler")
    return answer


def check_scheduler(address: str) -> str:
    """--scheduler's address as Dask's, once its scheduler has answered with workers to plan on; else a usage
    error (exit 2) within seconds: Dask missing, another form of address, a silent listener, no workers."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise UsageError("--scheduler needs Dask: pip install 'sbn[cluster]'") from None
    address = scheduler_address(address)
    identity = _ask_scheduler(address)
    if not identity.get("workers"):
        raise UsageError(f"the Dask scheduler at {address} has no workers: start some with `dask worker {address}`")
    return address


@contextmanager
def cluster_workers(network: Network, address: str) -> Iterator[Workers]:
    """The workers of a Dask cluster (`pip install 'sbn[cluster]'`): dask's Client is an executor.

    The scheduler is asked who it is first, with a deadline of our own, so that a wrong address, a silent
    listener or a scheduler without workers is a usage error (exit 2) within seconds, not a hang or a trace.
    """
    address = check_scheduler(address)
    from dask.distributed import Client

    try:
        client = Client(address, set_as_default=False, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        count = max(1, len(client.scheduler_info().get("workers", {})))
        network_ref = client.scatter(network, broadcast=True)
        yield Workers(client.get_executor(pure=False), count, network_ref)
    finally:
        client.close()
