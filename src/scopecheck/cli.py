"""The command line: the only place that prints, reads flags, or chooses an exit code.

Exit codes (README, "Exit codes"):
    0  every ticket was classified
    1  some tickets were invalid and were not classified (the rest were)
    2  usage error, or an agreement or rule file that cannot be used
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from scopecheck.diagnostics import Diagnostic, DiagnosticError, SourceLines, render

EXIT_OK, EXIT_SOME_INVALID, EXIT_UNUSABLE = 0, 1, 2


def _report(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], sources: SourceLines) -> None:
    for diagnostic in diagnostics:
        click.echo(render(diagnostic, sources), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scopecheck", prog_name="scopecheck")
def main() -> None:
    """scopecheck: is this ticket covered by the client's agreement, or billable?

    \b
    Examples:
      scopecheck classify examples/harbor-vale/agreement.yaml examples/harbor-vale/tickets.csv
      scopecheck schema agreement
    """


@main.command()
@click.argument("agreement", type=click.Path(dir_okay=False))
@click.argument("tickets", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "jsonl", "csv"]),
    help="Output format. Default: a table on a terminal, JSON Lines when piped.",
)
@click.option("--mapping", type=click.Path(dir_okay=False), help="A mapping file for an export's own columns and values.")
@click.option(
    "--input-format", type=click.Choice(["json", "jsonl", "csv", "yaml"]),
    help="Format of the ticket files (default: from each file's extension; sniffed on standard input).",
)
@click.option("--period", "period_text", metavar="PERIOD",
              help="Show only tickets whose work starts in this month (2026-11), year (2026) or day (2026-11-02), with their totals.")
@click.option("--from", "first_day", metavar="DATE", help="Show only tickets whose work starts on or after this date (2026-11-01).")
@click.option("--to", "last_day", metavar="DATE", help="Show only tickets whose work starts on or before this date (2026-11-30).")
def classify(agreement: str, tickets: tuple[str, ...], output_format: str | None, mapping: str | None, input_format: str | None,
             period_text: str | None, first_day: str | None, last_day: str | None) -> None:
    """Classify tickets as in plan, billable, project or review, and say why.

    AGREEMENT is a client's agreement file; TICKETS are JSON, JSON Lines, CSV or YAML files,
    or - for standard input (the default when input is piped). Every ticket is priced under the
    agreement; the table and JSON end with the totals.

    With --period (or --from and --to) only the tickets whose work starts in the period are
    shown and totalled; earlier tickets are still read, so allowances such as moves per year
    count them.

    \b
    Examples:
      scopecheck classify examples/harbor-vale/agreement.yaml examples/harbor-vale/tickets.csv
      scopecheck classify agreement.yaml export.csv --mapping examples/mappings/connectwise-style.yaml
      cat tickets.jsonl | scopecheck classify agreement.yaml --format json
      scopecheck classify agreement.yaml tickets.csv --period 2026-11
    """
    from scopecheck import engine, output
    from scopecheck.evaluate.pricing import totals_of
    from scopecheck.tickets.mapping import load_mapping
    from scopecheck.tickets.read import read_tickets

    period = _period(period_text, first_day, last_day)
    sources = SourceLines()
    if not tickets:
        if sys.stdin.isatty():
            raise click.UsageError("give one or more ticket files, or pipe tickets in (use - for standard input)")
        tickets = ("-",)
    try:
        loaded = engine.load(agreement, sources)
        ticket_mapping = load_mapping(mapping) if mapping else None
    except DiagnosticError as error:
        _report(error.diagnostics, sources)
        sys.exit(EXIT_UNUSABLE)
    valid = []
    invalid = 0
    for source in tickets:
        try:
            for item in read_tickets(source, format=input_format, mapping=ticket_mapping):
                if isinstance(item, Diagnostic):
                    invalid += 1
                    _report([item], sources)
                else:
                    valid.append(item)
        except DiagnosticError as error:
            invalid += 1
            _report(error.diagnostics, sources)
    program = loaded.program
    decidable = []
    for ticket in valid:
        prepared = program.prepare(ticket)
        if isinstance(prepared, Diagnostic):
            invalid += 1
            _report([prepared], sources)
        else:
            decidable.append(prepared)
    decisions = program.decide_batch(decidable)
    if period is not None:
        decisions = [decision for decision in decisions if decision.work.start in period]
    chosen = output_format or ("table" if sys.stdout.isatty() else "jsonl")
    out = sys.stdout
    currency = loaded.agreement.currency
    if chosen == "table":
        output.write_table(decisions, out, currency)
        output.write_totals(totals_of(decisions), out, currency, period)
        click.echo(output.summary_line(decisions, invalid))
    elif chosen == "json":
        output.write_json(decisions, program.version, out, currency, period)
    elif chosen == "jsonl":
        output.write_jsonl(decisions, program.version, out, currency)
    else:
        output.write_csv(decisions, program.version, out, currency)
    sys.exit(EXIT_SOME_INVALID if invalid else EXIT_OK)


def _period(text: str | None, first: str | None, last: str | None):
    """The period named by --period, or by --from and --to; a usage error when they do not read."""
    from scopecheck.evaluate.pricing import Period

    if text is not None and (first is not None or last is not None):
        raise click.UsageError("give --period, or --from and --to, not both")
    try:
        if text is not None:
            return Period.parse(text)
        if first is None and last is None:
            return None
        start = Period.parse(first).first if first is not None else dt.date.min
        end = Period.parse(last).last if last is not None else dt.date.max
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    if end < start:
        raise click.UsageError(f"--to {last} is before --from {first}")
    return Period(start, end)


@main.command()
@click.argument("which", type=click.Choice(["agreement", "ticket"]))
def schema(which: str) -> None:
    """Print the JSON Schema of agreement files or of tickets.

    \b
    Examples:
      scopecheck schema agreement > agreement.schema.json
      scopecheck schema ticket
    """
    if which == "agreement":
        from scopecheck.agreement.model import agreement_schema

        document = agreement_schema()
    else:
        from scopecheck.tickets.schema import ticket_json_schema

        document = ticket_json_schema()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
