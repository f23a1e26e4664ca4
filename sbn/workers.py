"""Local worker processes, as `plan --jobs` (sbn.parallel) and `validate`'s reading ahead (sbn.loader) use
them: how many cores there are, whether forking is safe, and Ctrl-C left to the sbn process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether workers may be forked from this process: the platform can, and no other thread runs yet (a
    fork copies a lock another thread holds, locked for ever)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def ignore_interrupts() -> None:
    """In a worker: Ctrl-C is for the sbn process, which stops the workers itself (a worker killed by it
    mid-task could leave the pool's queue locked, and the pool waiting for ever)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_stopped = threading.Event()


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool's processes now (Ctrl-C): their work is not wanted any more.

    A worker ended while it sends a result leaves half a message in the pool's pipe, which the pool's own
    thread then waits on for ever, and Python joins that thread at exit: sbn therefore leaves without the
    interpreter's exit once it has stopped workers (stopped(), read by sbn.cli)."""
    processes = list(getattr(pool, "_processes", {}).values())  # the executor has no public way in 3.11
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
    _stopped.set()


def stopped() -> bool:
    """Whether workers were stopped mid-work (Ctrl-C)."""
    return _stopped.is_set()
