"""Command line: options are declared here; errors become exit codes here and nowhere else.

Only typer is imported at start-up, so `sbn --help` costs little more than importing it;
each command imports what it needs when it runs.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand


class _Command(TyperCommand):
    """A command whose arguments read `FILE...` in help and usage, without typer's `<list[str]>` label."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            # These are typer's own hooks (0.2x); on a typer without them its default help stays.
            if param.param_type_name != "argument" or not hasattr(param, "_usage_display_name"):
                continue
            shown = (param.metavar or (param.name or "").upper()) + ("..." if param.nargs != 1 else "")
            param.display_type_rich = lambda ctx: ""  # type: ignore[attr-defined]
            param._rich_display_name = lambda shown=shown: shown  # type: ignore[attr-defined]
            usage = shown if param.required else f"[{shown}]"
            param._usage_display_name = lambda usage=usage: usage


app = typer.Typer(
    name="sbn",
    help="Plan requests over smart business networks: pick, plug and play partner modules.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"
    html = "html"
    csv = "csv"
    ics = "ics"


class CheckFormat(StrEnum):
    auto = "auto"
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class NetworkFormat(StrEnum):
    table = "table"
    json = "json"
    mermaid = "mermaid"
    dot = "dot"


_settings = {"debug": False}

AllowOutside = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-outside",
        metavar="PATH",
        help=(
            "Let includes and directories read files below PATH although it is outside the project "
            "(the git work tree, else the folder, of the paths given). Repeatable."
        ),
        show_default=False,
    ),
]


def _print_version(value: bool) -> None:
    if value:
        from sbn import __version__

        typer.echo(f"sbn {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error.")] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """Plan requests over smart business networks: pick, plug and play partner modules."""
    _settings["debug"] = debug or os.environ.get("SBN_DEBUG") == "1"


def _complete_request(ctx: typer.Context, incomplete: str) -> list[str]:
    """Request ids from the files already on the line (quiet: runs in the shell at every Tab)."""
    from sbn.completion import request_ids

    return request_ids(_files_on_line(ctx), ctx.params.get("network") or [], incomplete)


def _complete_partner(ctx: typer.Context, incomplete: str) -> list[str]:
    """Partner ids of the network the files on the line make."""
    from sbn.completion import partner_ids

    return partner_ids(_files_on_line(ctx), ctx.params.get("network") or [], incomplete)


def _files_on_line(ctx: typer.Context) -> list[str]:
    # While an option's value is completed, click parses the line leniently and leaves the FILE
    # arguments unassigned, in ctx.args.
    return list(ctx.params.get("files") or ctx.args)


@app.command(cls=_Command)
def plan(
    files: Annotated[
        list[str],
        typer.Argument(help="Request files (YAML); '-' reads standard input.", show_default=False, metavar="FILE"),
    ],
    network: Annotated[
        list[str] | None,
        typer.Option(
            "--network", "-n", help="Network file or directory (repeatable).", show_default=False, metavar="PATH"
        ),
    ] = None,
    request: Annotated[
        list[str] | None,
        typer.Option(
            "--request",
            "-r",
            help="Plan only this request id (repeatable).",
            show_default=False,
            metavar="ID",
            autocompletion=_complete_request,
        ),
    ] = None,
    output_format: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = PlanFormat.table,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="Write the result to FILE, atomically; never one of the inputs.", metavar="FILE"
        ),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            min=0.01,
            metavar="SECONDS",
            help="Seconds of search per request before the best plan so far is taken; 'inf' for no limit.",
        ),
    ] = 10.0,
    node_limit: Annotated[
        int | None,
        typer.Option(
            "--node-limit",
            min=1,
            metavar="NODES",
            help=(
                "Branch-and-bound nodes per criterion before the best plan so far is taken: "
                "unlike time, the same on every run and machine."
            ),
            show_default=False,
        ),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="List every rejected candidate by name with its reason.")
    ] = False,
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            metavar="PARTNER",
            help="Plan as if this partner had left the network (repeatable).",
            autocompletion=_complete_partner,
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="PREVIOUS.json",
            help="Re-plan with minimal change from an earlier JSON plan.",
            show_default=False,
        ),
    ] = None,
    backups: Annotated[
        bool, typer.Option("--backups", help="Name, per step, the best module of another partner that could take over.")
    ] = False,
    joint: Annotated[
        bool,
        typer.Option(
            "--joint",
            help="Plan all requests in one model: the most planned per priority class, then --optimize summed.",
        ),
    ] = False,
    optimize: Annotated[
        str | None,
        typer.Option(
            "--optimize",
            metavar="CRITERIA",
            help="With --joint: criteria summed over the run, comma-separated (default cost,time).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            metavar="N",
            help=(
                "Plan groups of requests that share no capacity on N processes (default: the number of cores, "
                "for runs of 32 requests or more); the output is the same for any N."
            ),
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Plan the groups on this Dask cluster (tcp://host:8786); needs pip install 'sbn[cluster]'.",
            show_default=False,
        ),
    ] = None,
    allow_outside: AllowOutside = None,
    committed: Annotated[
        list[Path] | None,
        typer.Option(
            "--committed",
            metavar="PLAN.json",
            help=(
                "An earlier JSON plan whose assignments are fixed work: they hold their resources and capacity "
                "(repeatable); its requests are not planned again."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    """Resolve requests into optimal, explained plans."""
    from sbn.commands.plan import run_plan

    _guard(
        run_plan,
        files=files,
        networks=network or [],
        request_ids=request or [],
        output_format=output_format.value,
        output=output,
        time_limit=time_limit,
        node_limit=node_limit,
        explain=explain,
        without=without or [],
        previous=previous,
        backups=backups,
        joint=joint,
        optimize=optimize,
        jobs=jobs,
        scheduler=scheduler,
        allow_outside=allow_outside or [],
        committed=committed or [],
    )


@app.command(cls=_Command)
def validate(
    paths: Annotated[
        list[str], typer.Argument(help="Files or directories to check.", show_default=False, metavar="PATH")
    ],
    output_format: Annotated[
        CheckFormat,
        typer.Option("--format", "-f", help="auto is github when GITHUB_ACTIONS=true, else text."),
    ] = CheckFormat.auto,
    allow_outside: AllowOutside = None,
) -> None:
    """Check syntax, schema and references; report every problem at once."""
    from sbn.commands.validate import run_validate

    chosen = output_format.value
    if chosen == "auto":
        chosen = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    _guard(run_validate, paths, chosen, allow_outside or [])


@app.command(cls=_Command)
def who(
    capability: Annotated[
        str, typer.Argument(help="The capability asked for, e.g. assembly.", show_default=False, metavar="CAPABILITY")
    ],
    network: Annotated[
        list[str] | None,
        typer.Option(
            "--network", "-n", help="Network file or directory (repeatable).", show_default=False, metavar="PATH"
        ),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", metavar="R", help="Only modules serving this customer region.")
    ] = None,
    certification: Annotated[
        list[str] | None,
        typer.Option(
            "--certification", "-c", metavar="C", help="Only modules holding this certification (repeatable)."
        ),
    ] = None,
    output_format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
    allow_outside: AllowOutside = None,
) -> None:
    """Who can do CAPABILITY: the modules offering it, filtered."""
    from sbn.commands.who import run_who

    _guard(run_who, capability, network or [], region, certification or [], output_format.value, allow_outside or [])


@app.command(cls=_Command)
def network(
    paths: Annotated[
        list[str],
        typer.Argument(help="Network files or directories.", show_default=False, metavar="PATH"),
    ],
    output_format: Annotated[
        NetworkFormat,
        typer.Option("--format", "-f", help="table; json; mermaid or dot draw the plug graph."),
    ] = NetworkFormat.table,
    allow_outside: AllowOutside = None,
) -> None:
    """Summarise a network: coverage, single points of failure, interfaces, plug graph."""
    from sbn.commands.network import run_network

    _guard(run_network, paths, output_format.value, allow_outside or [])


@app.command(cls=_Command)
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier plan (sbn plan --format json).", metavar="OLD.json")],
    new: Annotated[Path, typer.Argument(help="The later plan.", metavar="NEW.json")],
    output_format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
) -> None:
    """Compare two JSON plans: exit 0 when they plan alike, 1 when they differ."""
    from sbn.commands.diff import run_diff

    _guard(run_diff, old, new, output_format.value)


@app.command(cls=_Command)
def init(
    directory: Annotated[
        str, typer.Argument(help="Where to write the files (created if missing).", metavar="DIR", show_default=True)
    ] = ".",
) -> None:
    """Write a small working network to start from; never overwrites a file."""
    from sbn.commands.init import run_init

    _guard(run_init, directory)


@app.command(cls=_Command)
def schema() -> None:
    """Print the JSON Schema (draft-07) of the input files."""
    from sbn.commands.schema import run_schema

    _guard(run_schema)


def _guard(action: Callable[..., int], *args: Any, **kwargs: Any) -> NoReturn:
    """Run a command and turn every outcome into its exit code, in this one place."""
    from sbn.errors import ExitCode, InputError, SbnError, Terminated
    from sbn.numbers import exact
    from sbn.text import escape

    try:
        with exact():
            code = action(*args, **kwargs)
    except Terminated:
        # The temporary file is gone: end the way SIGTERM ends a process, so that whoever sent it sees that.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        raise typer.Exit(128 + signal.SIGTERM) from None  # pragma: no cover - the signal ends the process first
    except BrokenPipeError:
        # The reader went away (sbn plan ... | head): nothing more to say, and no traceback at exit.
        _quiet_stdout()
        raise typer.Exit(int(ExitCode.NOT_PLANNED)) from None
    except KeyboardInterrupt:
        sys.stderr.write("sbn: interrupted\n")
        solver = sys.modules.get("sbn.solver")
        workers = sys.modules.get("sbn.workers")
        if (solver is not None and solver.interrupted_mid_search()) or (workers is not None and workers.stopped()):
            # The engine's threads are still searching, or a pool's thread waits on a worker that was stopped:
            # leave at once, nothing has been written.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(ExitCode.INTERRUPTED))
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except InputError as exc:
        from sbn.commands.validate import print_diagnostics

        print_diagnostics(exc.diagnostics)
        raise typer.Exit(int(exc.exit_code)) from None
    except SbnError as exc:
        sys.stderr.write(f"sbn: error: {escape(str(exc))}\n")
        raise typer.Exit(int(exc.exit_code)) from None
    except MemoryError:
        # Each input is bounded (sbn.sources), but not how many there are, nor what they hold.
        sys.stderr.write("sbn: error: out of memory: the input is too large for the memory available\n")
        raise typer.Exit(int(ExitCode.INPUT)) from None
    except Exception as exc:  # anything else is a bug: one line, the traceback on demand
        if _settings["debug"]:
            import traceback

            traceback.print_exc()
        else:
            sys.stderr.write(
                f"sbn: internal error: {type(exc).__name__}: {escape(str(exc))[:500]} "
                "(a bug; run with --debug for the traceback)\n"
            )
        raise typer.Exit(int(ExitCode.INTERNAL)) from None
    raise typer.Exit(int(code))


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, run, and return the exit code."""
    try:  # newer typer carries its own copy of click
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover - older typer depends on click
        from click.exceptions import ClickException  # type: ignore[no-redef, assignment]

    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:  # accepted anywhere on the line, not only before the command
        args = ["--debug"] + [arg for arg in args if arg != "--debug"]
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="sbn", standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("sbn: interrupted\n")
        return 130
    except ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.stdout.write(exc.format_message() + "\n")
            return 0
        from sbn.text import escape

        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            sys.stderr.write(ctx.get_usage() + "\n")
        sys.stderr.write(f"sbn: error: {escape(exc.format_message())}\n")
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code)
    return result if isinstance(result, int) else 0
