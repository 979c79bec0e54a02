"""`scopecheck test`: run the test cases written beside rule files, and measure their coverage."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from scopecheck.cli.common import EXIT_FOUND, EXIT_OK, EXIT_UNUSABLE, report
from scopecheck.diagnostics import SourceLines

if TYPE_CHECKING:  # decimal is imported when a run needs it, not for --help
    from decimal import Decimal


def _percent(context: click.Context, parameter: click.Parameter, value: str | None) -> Decimal | None:
    from decimal import Decimal, InvalidOperation

    if value is None:
        return None
    try:
        percent = Decimal(value.strip().removesuffix("%"))
    except InvalidOperation:
        percent = None
    if percent is None or not percent.is_finite() or not 0 <= percent <= 100:
        raise click.BadParameter(f"'{value}' is not a percentage from 0 to 100, like 90 or 90%")
    return percent


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="Output format: a line per case, one JSON document, or JUnit XML for a CI server.")
@click.option("--coverage-min", "coverage_min", metavar="PERCENT", callback=_percent,
              help="Fail (exit 1) when rule coverage or clause coverage is under PERCENT.")
@click.option("--no-coverage", is_flag=True, help="Neither measure nor show coverage.")
def rule_tests(paths: tuple[str, ...], output_format: str, coverage_min: Decimal | None, no_coverage: bool) -> None:
    """Run the test cases in *.tests.yaml files, and show how much of the rules they cover.

    PATHS are test files, or folders searched through for *.tests.yaml (hidden folders, .venv,
    venv, build, dist and node_modules are skipped); the default is the current folder. Each
    case decides one ticket against an agreement and compares the outcome, deciding rule,
    reason, fired rules or charges with what it expects (docs/testing.md).

    Coverage: a rule is covered when it fired in some case; a clause (each side of an 'and'
    or 'or') when some case found it true and some case false. Only the rule files the cases
    ran are counted.

    Exit codes: 0 every case passed (and coverage is at least --coverage-min); 1 a case
    failed, or coverage is under the minimum; 2 a usage error, no test file found, or a test
    file that cannot be used (its problems are on standard error; the other files still run).

    \b
    Examples:
      scopecheck test
      scopecheck test rules examples --coverage-min 100
      scopecheck test examples/riverside/riverside.tests.yaml --no-coverage
      scopecheck test --format junit > rule-tests.xml
    """
    from scopecheck.testing import report as reports
    from scopecheck.testing.load import find_test_files
    from scopecheck.testing.run import run_files

    if no_coverage and coverage_min is not None:
        raise click.UsageError("--coverage-min needs coverage: leave out --no-coverage")
    searched = paths or (".",)
    files = find_test_files(searched)
    if not files:
        click.echo(f"error: no test files (*.tests.yaml) in {', '.join(searched)}", err=True)
        sys.exit(EXIT_UNUSABLE)
    sources = SourceLines()
    result = run_files(files, sources, with_coverage=not no_coverage)
    for file in result.unusable:
        report(file.problems, sources)
    if output_format == "json":
        click.echo(reports.json_report(result), nl=False)
    elif output_format == "junit":
        click.echo(reports.junit_report(result, sources), nl=False)
    else:
        click.echo(reports.text_report(result, sources), nl=False)
    under = result.coverage.under(coverage_min) if result.coverage is not None and coverage_min is not None else ()
    for kind in under:
        tally = result.coverage.rule_tally if kind == "rules" else result.coverage.clause_tally
        click.echo(f"error: {kind[:-1]} coverage {tally} is under the minimum of {coverage_min.normalize():f}%", err=True)
    if result.unusable:
        sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_FOUND if result.failed or under else EXIT_OK)
