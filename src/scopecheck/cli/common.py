"""What every command shares: exit codes, reporting diagnostics, and the common options.

Exit codes (README, "Exit codes"):
    0  done, nothing to report
    1  the command found what it was asked to look for: invalid tickets, findings at or above
       the fail level, failing test cases, unformatted files, a low prepaid balance
    2  usage error, or an agreement, rule file or ledger that cannot be used
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import click

from scopecheck.diagnostics import Diagnostic, DiagnosticError, SourceLines, render

EXIT_OK, EXIT_FOUND, EXIT_UNUSABLE = 0, 1, 2
EXIT_SOME_INVALID = EXIT_FOUND


def report(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], sources: SourceLines) -> None:
    """Print each diagnostic, with its source line, on standard error."""
    for diagnostic in diagnostics:
        click.echo(render(diagnostic, sources), err=True)


def ledger_option(command):
    return click.option(
        "--ledger", "ledger_path", metavar="PATH", type=click.Path(dir_okay=False),
        help="The ledger file. Default: $SCOPECHECK_LEDGER, else scopecheck/ledger.sqlite3 in your data folder "
             "(~/.local/share on Linux; docs/ledger.md).",
    )(command)


def period_option_value(text: str | None, first: str | None, last: str | None):
    """The period named by --period, or by --from and --to; a usage error when they do not read."""
    from scopecheck.evaluate.pricing import Period

    if text is not None and (first is not None or last is not None):
        raise click.UsageError("give --period, or --from and --to, not both")

    def parsed(option: str, value: str):
        try:
            return Period.parse(value)
        except ValueError as error:
            raise click.UsageError(f"{option}: {error}") from None

    if text is not None:
        return parsed("--period", text)
    if first is None and last is None:
        return None
    start = parsed("--from", first).first if first is not None else dt.date.min
    end = parsed("--to", last).last if last is not None else dt.date.max
    if end < start:
        raise click.UsageError(f"--to {last} is before --from {first}")
    return Period(start, end)


def agreement_only(path: str):
    """The agreement at ``path``, or exit 2 with its problems."""
    from scopecheck.agreement.load import load_agreement

    try:
        return load_agreement(path)
    except DiagnosticError as error:
        report(error.diagnostics, SourceLines())
        sys.exit(EXIT_UNUSABLE)


def replace_file(path: Path, write: Callable[[TextIO], None]) -> str | None:
    """Write the file whole or not at all, through a temporary file beside it, keeping an
    existing file's permissions: an interrupted run never leaves half a rule file or half a
    report behind. Returns ``None``, or what went wrong in words."""
    import tempfile

    try:
        # mkstemp makes the file private; a new file gets the permissions any other would.
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        return f"cannot write '{path}': {(error.strerror or str(error)).lower()}"
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            write(out)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        return f"cannot write '{path}': {(error.strerror or str(error)).lower()}"
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
