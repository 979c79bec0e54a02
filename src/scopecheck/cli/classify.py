"""`scopecheck classify`: decide a batch of tickets against an agreement, record and show the decisions."""

from __future__ import annotations

import datetime as dt
import sys

import click

from scopecheck.cli.common import (
    EXIT_OK,
    EXIT_SOME_INVALID,
    EXIT_UNUSABLE,
    ledger_option,
    period_option_value,
    report,
)
from scopecheck.diagnostics import Diagnostic, DiagnosticError, SourceLines


@click.command()
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
@ledger_option
@click.option("--dry-run", is_flag=True, help="Decide with the ledger's history, but record nothing.")
@click.option("--no-ledger", is_flag=True, help="Neither read nor write the ledger: the tickets given are the only history.")
def classify(agreement: str, tickets: tuple[str, ...], output_format: str | None, mapping: str | None, input_format: str | None,
             period_text: str | None, first_day: str | None, last_day: str | None, ledger_path: str | None, dry_run: bool,
             no_ledger: bool) -> None:
    """Classify tickets as in plan, billable, project or review, and say why.

    AGREEMENT is a client's agreement file; TICKETS are JSON, JSON Lines, CSV or YAML files,
    or - for standard input (the default when input is piped). Every ticket is priced under the
    agreement; the table and JSON end with the totals.

    Every decision is recorded in the ledger (docs/ledger.md), and the ledger's earlier
    entries are the history that allowances such as moves per year count; classifying a ticket
    again updates its entry. --dry-run records nothing; --no-ledger does not read it either.

    With --period (or --from and --to) only the tickets whose work starts in the period are
    shown and totalled; earlier tickets are still read, so allowances count them.

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

    period = period_option_value(period_text, first_day, last_day)
    sources = SourceLines()
    if not tickets:
        if sys.stdin.isatty():
            raise click.UsageError("give one or more ticket files, or pipe tickets in (use - for standard input)")
        tickets = ("-",)
    try:
        loaded = engine.load(agreement, sources)
        ticket_mapping = load_mapping(mapping) if mapping else None
    except DiagnosticError as error:
        report(error.diagnostics, sources)
        sys.exit(EXIT_UNUSABLE)
    valid = []
    invalid = 0
    first_source: dict[str, str] = {}
    for source in tickets:
        try:
            for item in read_tickets(source, format=input_format, mapping=ticket_mapping):
                if isinstance(item, Diagnostic):
                    invalid += 1
                    report([item], sources)
                elif item.id in first_source:  # as within one file: the first one counts
                    invalid += 1
                    report([Diagnostic("ticket.duplicate-id", f"ticket '{item.id}' in '{source}' is already in '{first_source[item.id]}'",
                                        help="each ticket needs its own id; the second one is skipped")], sources)
                else:
                    first_source[item.id] = source
                    valid.append(item)
        except DiagnosticError as error:
            invalid += 1
            report(error.diagnostics, sources)
    program = loaded.program
    decidable = []
    for ticket in valid:
        prepared = program.prepare(ticket)
        if isinstance(prepared, Diagnostic):
            invalid += 1
            report([prepared], sources)
        else:
            decidable.append(prepared)
    recorded = _decide_with_ledger(program, decidable, ledger_path, dry_run, use_ledger=not no_ledger)
    decisions = list(recorded.decisions)
    _warn_when_prepaid_hours_are_low(loaded.agreement, recorded.draws)
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


def _decide_with_ledger(program, tickets: list, ledger_path: str | None, dry_run: bool, use_ledger: bool = True):
    """Decide the batch against the ledger (``None``: without one) and record it unless this
    is a dry run; say on standard error what changed in the ledger."""
    from scopecheck.ledger import LedgerError, open_ledger
    from scopecheck.ledger.recording import decide_and_record

    if not use_ledger:
        return decide_and_record(program, tickets, None)
    try:
        ledger = open_ledger(ledger_path, writable=not dry_run)
        if ledger is None:
            recorded = decide_and_record(program, tickets, None)
        else:
            try:
                with ledger.session() as session:
                    recorded = decide_and_record(program, tickets, session)
            finally:
                ledger.close()
    except LedgerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
    counts = f"{recorded.added} new, {recorded.changed} changed, {recorded.unchanged} unchanged"
    if ledger is None:
        click.echo("dry run: there is no ledger yet, so nothing was counted from it or recorded", err=True)
    elif recorded.written:
        click.echo(f"ledger {ledger.path}: {counts}", err=True)
    else:
        click.echo(f"dry run, nothing recorded in {ledger.path} (it would record {counts})", err=True)
    shown = 10
    for before, after, why in recorded.redecided[:shown]:
        was, now = _entry_words(before), _entry_words(after)
        change = f"{was} -> {now}" if was != now else f"{now}, its reason restated"
        click.echo(f"  {before.ticket_id}: {change} ({why})", err=True)
    if len(recorded.redecided) > shown:
        click.echo(f"  and {len(recorded.redecided) - shown} more entries decided again", err=True)
    return recorded


def _warn_when_prepaid_hours_are_low(agreement, draws) -> None:
    """The renewal conversation should happen before the hours are gone: say so at once."""
    from scopecheck.evaluate.prepaid import balance_of
    from scopecheck.values import format_duration

    if agreement.prepaid is None or agreement.prepaid.warn_below is None:
        return
    # As the last draw left it (today when nothing was drawn), whatever day the run is on.
    as_of = draws[-1][0] if draws else dt.datetime.now(agreement.calendar.zone).date()
    balance = balance_of(agreement.prepaid, draws, as_of)
    if balance.low:
        left = format_duration(dt.timedelta(minutes=balance.left)) if balance.left else "no hours"
        click.echo(f"warning: '{agreement.client.name}' has {left} of prepaid hours left on {as_of.isoformat()}, under the "
                   f"{format_duration(agreement.prepaid.warn_below)} the agreement warns at "
                   f"(see scopecheck balance {agreement.path})", err=True)


def _entry_words(entry) -> str:
    from scopecheck.evaluate.decision import OUTCOME_WORDS
    from scopecheck.values import format_money

    return f"{OUTCOME_WORDS[entry.outcome]} by {entry.deciding_rule or 'no rule'}, {format_money(entry.total, entry.currency)}"



