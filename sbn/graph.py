"""The step graph of a request: its order, its cycles, and the earliest schedule of given durations.

Every walk here is iterative: a request's steps come from a file anyone can write, and 20,000
steps in a chain must not exhaust Python's recursion limit.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from sbn.model import Request


def step_index(request: Request) -> dict[str, int]:
    """Step id -> position in the request (ids are unique in a valid request)."""
    return {step.id: i for i, step in enumerate(request.steps)}


def find_cycle(request: Request) -> list[str]:
    """A cycle of `after` edges among the request's steps, or [] when there is none.

    Depth first from each step in file order, following `after`; the cycle is named from the
    step where the walk first closed it.
    """
    after = {step.id: [b for b in step.after if b != step.id] for step in request.steps}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in after:
        if root in state:
            continue
        trail = [root]
        state[root] = 1
        pending = [iter(after[root])]
        while pending:
            before = next(pending[-1], None)
            if before is None:
                pending.pop()
                state[trail.pop()] = 2
                continue
            if before not in after:
                continue
            if state.get(before) == 1:
                return list(reversed(trail[trail.index(before) :]))
            if before not in state:
                state[before] = 1
                trail.append(before)
                pending.append(iter(after[before]))
    return []


def topological_order(request: Request) -> list[int]:
    """Step indices so that every step comes after the steps it waits for (ties by file order)."""
    index = step_index(request)
    waiting = [len({index[b] for b in step.after if b in index}) for step in request.steps]
    followers: list[list[int]] = [[] for _ in request.steps]
    for i, step in enumerate(request.steps):
        for before in {index[b] for b in step.after if b in index}:
            followers[before].append(i)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for follower in followers[i]:
            waiting[follower] -= 1
            if waiting[follower] == 0:
                heapq.heappush(ready, follower)
    return order


def earliest_schedule(request: Request, durations: Sequence[int]) -> tuple[list[int], list[int]]:
    """Start and finish of every step when each starts as soon as the steps it waits for have finished."""
    index_of = step_index(request)
    starts = [0] * len(durations)
    finishes = [0] * len(durations)
    for i in topological_order(request):
        starts[i] = max((finishes[index_of[b]] for b in request.steps[i].after), default=0)
        finishes[i] = starts[i] + durations[i]
    return starts, finishes


def slack_offsets(request: Request, durations: Sequence[int]) -> list[int]:
    """Per step, the longest path through it minus its own duration (head + tail) at the given durations.

    A step of duration d then finishes the plan no earlier than offset + d.
    """
    index_of = step_index(request)
    order = topological_order(request)
    head = [0] * len(durations)
    for i in order:
        for before in request.steps[i].after:
            j = index_of[before]
            head[i] = max(head[i], head[j] + durations[j])
    tail = [0] * len(durations)
    for i in reversed(order):
        for before in request.steps[i].after:
            j = index_of[before]
            tail[j] = max(tail[j], durations[i] + tail[i])
    return [head[i] + tail[i] for i in range(len(durations))]
