"""`sbn plan`: load, plan every request, render, write atomically."""

from __future__ import annotations

import difflib
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sbn.errors import ExitCode, Terminated, UsageError
from sbn.loader import MAX_SUGGESTED_LENGTH, Network, load_for_plan
from sbn.model import Request
from sbn.result import Run
from sbn.sources import Identity, identity, reason
from sbn.text import quote, shown_path

if TYPE_CHECKING:
    from sbn.planner import Options


def run_plan(
    *,
    files: Sequence[str],
    networks: Sequence[str],
    request_ids: Sequence[str],
    output_format: str,
    output: str | Path | None,
    time_limit: float,
    explain: bool,
    node_limit: int | None = None,
    without: Sequence[str],
    previous: Path | None,
    backups: bool,
    joint: bool = False,
    optimize: str | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    allow_outside: Sequence[str] = (),
    committed: Sequence[Path] = (),
) -> int:
    criteria = _criteria(optimize, joint)
    if output is not None:
        output = _check_output(str(output))
    network, requests = load_for_plan(files, networks, allow_outside=allow_outside)
    earlier = read_previous(previous) if previous is not None else None
    from sbn.timeline import read_committed

    fixed = read_committed(committed)
    if output is not None:
        read = set(network.inputs)
        for path in [previous, *committed]:
            if path is not None and (found := identity(path)) is not None:
                read.add(found)
        _refuse_input_as_output(output, read)
    for diagnostic in network.warnings:
        sys.stderr.write(diagnostic.render() + "\n")
    for partner_id in without:
        if partner_id not in network.partners:
            raise UsageError(_unknown("partner", partner_id, network.partners) + " (in --without)")
    if request_ids:
        known = {request.id: request for request in requests}
        for request_id in request_ids:
            if request_id not in known:
                raise UsageError(_unknown("request", request_id, known) + " (in --request)")
        chosen = set(request_ids)
        requests = [request for request in requests if request.id in chosen]
    if not requests:
        raise UsageError("no requests to plan in the files given")
    # A request already in a committed plan is fixed work, not planned again (SPEC §6).
    done = {step.request for step in fixed}
    requests = [request for request in requests if request.id not in done]
    if not requests:
        raise UsageError("every request of the files given is in a committed plan: nothing left to plan")
    from sbn.planner import Options
    from sbn.solver import SolveStatus

    options = Options(
        time_limit=time_limit,
        node_limit=node_limit,
        without=frozenset(without),
        previous=earlier,
        backups=backups,
        joint=joint,
        optimize=criteria,
        committed=tuple(fixed),
    )
    from sbn.render.progress import progress_line

    line = progress_line()
    options.progress = line
    try:
        run = _plan(network, requests, options, jobs, scheduler, explain, output_format == "json")
    finally:
        if line is not None:
            line.close()
    text = render(network, run, output_format, explain, to_terminal=output is None)
    if text is not None:
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomically(output, text)
    return ExitCode.OK if all(plan.status == SolveStatus.OPTIMAL for plan in run.plans) else ExitCode.NOT_PLANNED


def _plan(
    network: Network,
    requests: list[Request],
    options: Options,
    jobs: int | None,
    scheduler: str | None,
    details: bool,
    write_json: bool = False,
) -> Run:
    """Plan in this process, or groups of independent requests side by side (sbn.parallel): on a Dask cluster
    with --scheduler, else on local processes when there are several groups and workers to use.

    Without --jobs, a run of fewer than PARALLEL_FROM requests stays in this process: starting workers
    would cost more than it saves. A joint run is one model: always in this process.
    """
    from sbn.candidates import Catalog
    from sbn.parallel import PARALLEL_FROM, check_scheduler, cluster_workers, independent_groups, local_workers
    from sbn.planner import plan_run
    from sbn.workers import cores

    if options.joint:
        if scheduler is not None:  # not used, but a wrong one is the same usage error as without --joint
            check_scheduler(scheduler)
        return plan_run(network, requests, options)
    if scheduler is not None:
        with cluster_workers(network, scheduler) as workers:
            workers.write_json = write_json
            return plan_run(network, requests, options, workers, details)
    count = jobs if jobs is not None else (cores() if len(requests) >= PARALLEL_FROM else 1)
    if count > 1:
        catalog = Catalog(network)
        groups = independent_groups(network, requests, options.without, catalog)
        if len(groups) > 1:
            with local_workers(network, min(count, len(groups)), catalog) as workers:
                workers.groups = groups
                workers.write_json = write_json
                return plan_run(network, requests, options, workers, details)
    return plan_run(network, requests, options)


def _criteria(optimize: str | None, joint: bool) -> tuple[str, ...]:
    """The criteria of --optimize (SPEC §7): comma-separated, each known, only with --joint."""
    from sbn.model import CRITERIA

    if optimize is None:
        return ("cost", "time")
    if not joint:
        raise UsageError("--optimize needs --joint: without it each request is planned by its own 'optimize'")
    chosen = tuple(part.strip() for part in optimize.split(","))
    if not all(chosen):
        raise UsageError(f"--optimize {quote(optimize)}: an empty criterion; name one or more of {', '.join(CRITERIA)}")
    for criterion in chosen:
        if criterion not in CRITERIA:
            raise UsageError(
                _unknown("criterion", criterion, CRITERIA) + f" (in --optimize; one of {', '.join(CRITERIA)})"
            )
    if len(set(chosen)) != len(chosen):
        raise UsageError(f"--optimize {quote(optimize, bare=True)}: a criterion is named twice")
    return chosen


def _unknown(kind: str, name: str, known: Sequence[str] | dict) -> str:  # type: ignore[type-arg]
    message = f"unknown {kind} {quote(name)}"
    close = difflib.get_close_matches(name, list(known), n=1) if len(name) <= MAX_SUGGESTED_LENGTH else []
    return message + (f" (did you mean {quote(close[0])}?)" if close else "")


def render(network: Network, run: Run, output_format: str, explain: bool, to_terminal: bool) -> str | None:
    """The result as text; a table for a terminal is printed directly (colour only on a terminal)."""
    if output_format == "json":
        from sbn.render.data import render_json

        return render_json(network, run, explain)
    if output_format == "yaml":
        from sbn.render.data import render_yaml

        return render_yaml(network, run, explain)
    if output_format == "markdown":
        from sbn.render.markdown import render_markdown

        return render_markdown(network, run, explain)
    if output_format in ("html", "csv", "ics"):
        return _share(network, run, output_format, explain)
    from io import StringIO

    from rich.console import Console

    from sbn.render.table import render_table

    if to_terminal:
        render_table(Console(highlight=False), network, run, explain)
        return None
    buffer = StringIO()
    render_table(
        Console(file=buffer, highlight=False, no_color=True, width=160, force_terminal=False), network, run, explain
    )
    return buffer.getvalue()


def _share(network: Network, run: Run, output_format: str, explain: bool) -> str:
    """The formats for sharing beyond the network, rendered from the plan document alone."""
    from sbn.render.document import shared_document

    document = shared_document(network, run, explain)
    if output_format == "html":
        from sbn.render.html import render_html

        return render_html(document)
    if output_format == "csv":
        from sbn.render.csv import render_csv

        return render_csv(document)
    from sbn.render.ics import events, render_ics

    if next(events(document), None) is None:
        sys.stderr.write("sbn: note: no assignment has dates (give the requests a start date): the calendar is empty\n")
    return render_ics(document)


def _check_output(raw: str) -> Path:
    """Refuse an --output that cannot be written before any planning is done."""
    path = Path(raw)
    shown = shown_path(raw)
    existing = _stat_or_none(raw, f"--output {shown}")
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise UsageError(f"--output {shown} is a directory: give a file name, e.g. {shown_path(path / 'plan.json')}")
    if raw.endswith(("/", os.sep)):
        raise UsageError(f"--output {shown}: directory {shown} does not exist; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    folder = _stat_or_none(str(parent), f"--output {shown}")
    if folder is None or not stat.S_ISDIR(folder.st_mode):
        raise UsageError(f"cannot write {shown}: directory {shown_path(parent)} does not exist")
    if (
        existing is not None
        and stat.S_ISREG(existing.st_mode)
        and (not os.access(path, os.W_OK) or not existing.st_mode & 0o222)
    ):
        # Replacing it by rename would succeed in a writable folder: the file's own mode is honoured instead.
        raise UsageError(f"--output {shown} is read-only: not replaced")
    return path


def _stat_or_none(path: str, what: str) -> os.stat_result | None:
    """What ``path`` leads to, None when nothing; any other failure (a name too long) is a usage error."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise UsageError(f"{what}: {reason(exc).lower()}") from None


def _refuse_input_as_output(output: Path, inputs: Set[Identity]) -> None:
    """--output may not be any file that was read: the request the user wrote must never be replaced by its plan."""
    target = identity(output)
    if target is not None and target in inputs:
        raise UsageError(
            f"--output {shown_path(output)} is one of the input files: not overwritten; give another file name"
        )


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside the target, then rename: never a half-written file.

    A symlink is followed (the file it points at is replaced, the link stays). A target that is
    not a regular file (a FIFO, /dev/null, /dev/stdout) cannot be replaced and is written to
    directly. The file gets the mode the target had, or the usual one for a new file (0666 less
    the umask), not the temporary file's 0600.
    """
    target = Path(os.path.realpath(path))
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
        return
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with _terminated_raises():
        try:
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as exc:
            raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


@contextmanager
def _terminated_raises() -> Iterator[None]:
    """While the temporary file exists, SIGTERM raises Terminated, so that the file is removed before sbn ends."""

    def terminated(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: signals cannot be caught here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def read_previous(path: Path) -> dict[str, dict[str, str]]:
    """Step -> module per request from an earlier `sbn.plan/v1` JSON output, checked for its shape."""
    from sbn.planjson import Shape, read_plans, string

    plans = read_plans(path, Shape(plan={}, assignment={"module": string}), "--from")
    return {request: {step: a["module"] for step, a in plan.assignments.items()} for request, plan in plans.items()}
