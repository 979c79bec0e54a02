"""`scopecheck check`: every agreement and rule file under the paths, checked and linted in one run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scopecheck.cli.common import EXIT_FOUND, EXIT_OK, EXIT_UNUSABLE, replace_file
from scopecheck.diagnostics import Severity, SourceLines

FORMATS = ("text", "json", "sarif", "github", "junit")
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING}


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people; json; sarif (2.1.0) for code scanning; github for workflow annotations; junit for CI test reports.")
@click.option("--fail-level", type=click.Choice(tuple(_LEVELS)), default="error", show_default=True,
              help="Exit with 1 when a finding is at least this severe.")
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output (a summary still goes to standard error).")
def check(paths: tuple[str, ...], output_format: str, fail_level: str, output_path: str | None) -> None:
    """Check agreements and rule files, and lint the rules.

    PATHS are files or folders (default: the current folder). Folders are searched for
    agreements (YAML files with a top-level scopecheck: key) and rule files (*.scope). Every
    agreement is validated against the schema with its rule files and parameters; every rule
    is type-checked; then the lint looks for rules that can never fire, rules that another
    always beats, two outcomes that can fire together at one priority (with a ticket that
    shows it), unused parameters and premiums, and rules that do not explain themselves.
    Every finding in every file is reported in one run (docs/checking.md lists the codes).

    Exit codes: 0 nothing at the fail level, 1 findings at or above it, 2 usage error.

    \b
    Examples:
      scopecheck check examples/
      scopecheck check agreements/ --fail-level warning
      scopecheck check . --format sarif -o scopecheck.sarif
      scopecheck check . --format github
    """
    from scopecheck.check.repository import check_paths
    from scopecheck.diagnostic_formats import write_diagnostics

    sources = SourceLines()
    report = check_paths(paths or (".",), sources)
    level = _LEVELS[fail_level]
    if output_path is None:
        write_diagnostics(output_format, list(report.diagnostics), list(report.files), sys.stdout, sources, level)
    else:
        problem = replace_file(Path(output_path), lambda out: write_diagnostics(
            output_format, list(report.diagnostics), list(report.files), out, sources, level))
        if problem is not None:
            click.echo(f"error: {problem}", err=True)
            sys.exit(EXIT_UNUSABLE)
        errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
        files = len(report.files)
        click.echo(f"{files} file{'s' if files != 1 else ''} checked: {errors} error{'s' if errors != 1 else ''}, "
                   f"{warnings} warning{'s' if warnings != 1 else ''}; report written to {output_path}", err=True)
    failing = any(d.severity >= level for d in report.diagnostics)
    sys.exit(EXIT_FOUND if failing else EXIT_OK)
