"""Command line: options are declared here; errors become exit codes here and nowhere else.

Only typer is imported at start-up, so `sbn --help` costs little more than importing it;
each command imports what it needs when it runs.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="sbn",
    help="Plan requests over smart business networks: pick, plug and play partner modules.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class PlanFormat(str, Enum):
    table = "table"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"


class CheckFormat(str, Enum):
    auto = "auto"
    text = "text"
    json = "json"
    github = "github"


class ListFormat(str, Enum):
    table = "table"
    json = "json"


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Plan requests over smart business networks: pick, plug and play partner modules."""
    if version:
        from sbn import __version__

        typer.echo(f"sbn {__version__}")
        raise typer.Exit(0)


@app.command()
def plan(
    files: Annotated[list[str], typer.Argument(help="Request files (YAML); '-' reads standard input.", show_default=False)],
    network: Annotated[
        list[str] | None, typer.Option("--network", "-n", help="Network file or directory (repeatable).", show_default=False)
    ] = None,
    request: Annotated[
        list[str] | None, typer.Option("--request", "-r", help="Plan only this request id (repeatable).", show_default=False)
    ] = None,
    output_format: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = PlanFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the result to FILE, atomically.")] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.0, help="Seconds of search per request before the best plan so far is taken.")
    ] = 10.0,
    explain: Annotated[bool, typer.Option("--explain", help="List every rejected candidate by name with its reason.")] = False,
    without: Annotated[
        list[str] | None, typer.Option("--without", help="Plan as if this partner had left the network (repeatable).")
    ] = None,
    previous: Annotated[
        Path | None, typer.Option("--from", help="Re-plan with minimal change from an earlier JSON plan.", show_default=False)
    ] = None,
    backups: Annotated[
        bool, typer.Option("--backups", help="Name, per step, the best module of another partner that could take over.")
    ] = False,
) -> int:
    """Resolve requests into optimal, explained plans."""
    from sbn.commands.plan import run_plan

    return run_plan(
        files=files,
        networks=network or [],
        request_ids=request or [],
        output_format=output_format.value,
        output=output,
        time_limit=time_limit,
        explain=explain,
        without=without or [],
        previous=previous,
        backups=backups,
    )


@app.command()
def validate(
    paths: Annotated[list[str], typer.Argument(help="Files or directories to check.", show_default=False)],
    output_format: Annotated[
        CheckFormat,
        typer.Option("--format", "-f", help="auto is github when GITHUB_ACTIONS=true, else text."),
    ] = CheckFormat.auto,
) -> int:
    """Check syntax, schema and references; report every problem at once."""
    from sbn.commands.validate import run_validate

    chosen = output_format.value
    if chosen == "auto":
        chosen = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return run_validate(paths, chosen)


@app.command()
def who(
    capability: Annotated[str, typer.Argument(help="The capability asked for, e.g. assembly.", show_default=False)],
    network: Annotated[
        list[str] | None, typer.Option("--network", "-n", help="Network file or directory (repeatable).", show_default=False)
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only modules serving this customer region.")] = None,
    certification: Annotated[
        list[str] | None, typer.Option("--certification", "-c", help="Only modules holding this certification (repeatable).")
    ] = None,
    output_format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
) -> int:
    """Who can do CAPABILITY: the modules offering it, filtered."""
    from sbn.commands.who import run_who

    return run_who(capability, network or [], region, certification or [], output_format.value)


@app.command()
def schema() -> int:
    """Print the JSON Schema (draft-07) of the input files."""
    from sbn.commands.schema import run_schema

    return run_schema()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every outcome into an exit code."""
    try:  # typer >= 0.25 carries its own copy of click
        from typer._click import exceptions as click_exceptions
    except ImportError:  # pragma: no cover - older typer depends on click
        from click import exceptions as click_exceptions  # type: ignore[no-redef]

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("SBN_DEBUG") == "1"
    args = [arg for arg in args if arg != "--debug"]
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="sbn", standalone_mode=False)
    except click_exceptions.Abort:
        sys.stderr.write("sbn: interrupted\n")
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("sbn: interrupted\n")
        return 130
    except click_exceptions.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            sys.stderr.write(ctx.get_usage() + "\n")
        sys.stderr.write(f"sbn: error: {exc.format_message()}\n")
        return 2
    except click_exceptions.Exit as exc:
        return int(exc.exit_code)
    except Exception as exc:  # every other error is a bug: one line, traceback on demand
        from sbn.errors import InputError, SbnError

        if isinstance(exc, InputError):
            from sbn.commands.validate import print_diagnostics

            print_diagnostics(exc.diagnostics)
            return int(exc.exit_code)
        if isinstance(exc, SbnError):
            sys.stderr.write(f"sbn: error: {exc}\n")
            return int(exc.exit_code)
        if debug:
            import traceback

            traceback.print_exc()
        else:
            sys.stderr.write(f"sbn: internal error: {type(exc).__name__}: {exc} (a bug; run with --debug for the traceback)\n")
        return 3
    if isinstance(result, int):
        return result
    return 0
