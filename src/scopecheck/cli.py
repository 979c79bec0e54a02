"""The command line: the only place that prints, reads flags, or chooses an exit code.

Exit codes (README, "Exit codes"):
    0  every ticket was classified
    1  some tickets were invalid and were not classified (the rest were)
    2  usage error, or an agreement, rule file or ledger that cannot be used

`balance --fail-when-low` exits with 1 when the prepaid hours left are under warn_below.
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


def _ledger_option(command):
    return click.option(
        "--ledger", "ledger_path", metavar="PATH", type=click.Path(dir_okay=False),
        help="The ledger file. Default: $SCOPECHECK_LEDGER, else scopecheck/ledger.sqlite3 in your data folder "
             "(~/.local/share on Linux; docs/ledger.md).",
    )(command)


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
@_ledger_option
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
    first_source: dict[str, str] = {}
    for source in tickets:
        try:
            for item in read_tickets(source, format=input_format, mapping=ticket_mapping):
                if isinstance(item, Diagnostic):
                    invalid += 1
                    _report([item], sources)
                elif item.id in first_source:  # as within one file: the first one counts
                    invalid += 1
                    _report([Diagnostic("ticket.duplicate-id", f"ticket '{item.id}' in '{source}' is already in '{first_source[item.id]}'",
                                        help="each ticket needs its own id; the second one is skipped")], sources)
                else:
                    first_source[item.id] = source
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
@click.argument("agreement", type=click.Path(dir_okay=False))
@_ledger_option
@click.option("--requester", help="Only entries for this requester (any case).")
@click.option("--device", help="Only entries for this device.")
@click.option("--rule", "rule_id", metavar="RULE", help="Only entries this rule decided.")
@click.option("--outcome", type=click.Choice(["in_plan", "billable", "project", "review"]), help="Only entries with this outcome.")
@click.option("--ticket", "ticket_id", metavar="ID", help="Only this ticket, with every earlier version of its decision.")
@click.option("--period", "period_text", metavar="PERIOD", help="Only entries whose work starts in this month (2026-11), year or day.")
@click.option("--from", "first_day", metavar="DATE", help="Only entries whose work starts on or after this date.")
@click.option("--to", "last_day", metavar="DATE", help="Only entries whose work starts on or before this date.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json", "jsonl"]),
              help="Output format. Default: a table on a terminal, CSV when piped.")
def history(agreement: str, ledger_path: str | None, requester: str | None, device: str | None, rule_id: str | None,
            outcome: str | None, ticket_id: str | None, period_text: str | None, first_day: str | None, last_day: str | None,
            output_format: str | None) -> None:
    """List the ledger's entries for a client, and export them.

    AGREEMENT names the client. Each entry is a ticket's current decision: its outcome, the
    deciding rule, the total, prepaid hours drawn, the versions of the rules and agreement that
    decided it, and when. An entry decided more than once keeps its earlier versions and why
    each was replaced (the table lists them under the entry; JSON as earlier_versions).

    \b
    Examples:
      scopecheck history examples/harbor-vale/agreement.yaml --requester j.alvarez@harborvale.example
      scopecheck history examples/harbor-vale/agreement.yaml --rule extra_move --period 2026
      scopecheck history examples/harbor-vale/agreement.yaml --format csv > harbor-vale-2026.csv
    """
    from scopecheck.ledger import LedgerError, open_ledger
    from scopecheck.ledger import report
    from scopecheck.ledger.records import client_key
    from scopecheck.ledger.sqlite import Filters

    period = _period(period_text, first_day, last_day)
    loaded_agreement = _agreement_only(agreement)
    client = client_key(loaded_agreement)
    filters = Filters(requester, device, rule_id, outcome, ticket_id,
                      period.first if period else None, period.last if period else None)
    try:
        ledger = open_ledger(ledger_path, writable=False)
        if ledger is None:
            entries, revisions = [], {}
        else:
            try:
                with ledger.session() as session:
                    entries = session.entries(client, filters)
                    revisions = session.revisions(client, ticket_id)
            finally:
                ledger.close()
    except LedgerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
    chosen = output_format or ("table" if sys.stdout.isatty() else "csv")
    if chosen == "csv":
        report.write_entries_csv(entries, sys.stdout)
    elif chosen == "json":
        report.write_entries_json(entries, revisions, sys.stdout)
    elif chosen == "jsonl":
        report.write_entries_jsonl(entries, revisions, sys.stdout)
    elif entries:
        report.write_entries_table(entries, revisions, sys.stdout)
        changed = sum(1 for entry in entries if entry.revision > 1)
        click.echo(f"{len(entries)} entr{'ies' if len(entries) != 1 else 'y'} for '{client}'"
                   + (f", {changed} decided more than once" if changed else ""))
    else:
        click.echo(f"no entries for '{client}' match" if filters != Filters() else f"no entries for '{client}' yet")


def _agreement_only(path: str):
    """The agreement at ``path``, or exit 2 with its problems."""
    from scopecheck.agreement.load import load_agreement

    sources = SourceLines()
    try:
        return load_agreement(path)
    except DiagnosticError as error:
        _report(error.diagnostics, sources)
        sys.exit(EXIT_UNUSABLE)


@main.command()
@click.argument("agreement", type=click.Path(dir_okay=False))
@_ledger_option
@click.option("--as-of", "as_of_text", metavar="DATE", help="The day to report on (default: today in the client's time zone).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--fail-when-low", is_flag=True, help="Exit with 1 when the hours left are under the agreement's warn_below.")
def balance(agreement: str, ledger_path: str | None, as_of_text: str | None, output_format: str, fail_when_low: bool) -> None:
    """Show a block_hours client's prepaid hours: bought, used and left per block, and when
    they run out at the recent rate of use.

    The hours used are those the ledger recorded (classify draws them). A warning follows when
    the usable hours left fall under the agreement's prepaid.warn_below, so the renewal
    conversation happens before the hours are gone.

    \b
    Examples:
      scopecheck balance examples/cobalt-dental/agreement.yaml
      scopecheck balance agreement.yaml --as-of 2026-06-30 --format json
      scopecheck balance agreement.yaml --fail-when-low    # in a nightly job
    """
    from scopecheck import output
    from scopecheck.evaluate.prepaid import balance_of
    from scopecheck.ledger import LedgerError, open_ledger
    from scopecheck.ledger.records import client_key

    loaded_agreement = _agreement_only(agreement)
    if loaded_agreement.prepaid is None:
        raise click.UsageError(
            f"'{agreement}' is a {loaded_agreement.plan.model} plan; prepaid hours belong to block_hours plans"
        )
    try:
        as_of = dt.date.fromisoformat(as_of_text) if as_of_text else dt.datetime.now(loaded_agreement.calendar.zone).date()
    except ValueError:
        raise click.UsageError(f"--as-of '{as_of_text}' is not a date; write it like 2026-11-30") from None
    try:
        ledger = open_ledger(ledger_path, writable=False)
        entries = []
        if ledger is not None:
            try:
                with ledger.session() as session:
                    entries = session.entries(client_key(loaded_agreement))
            finally:
                ledger.close()
    except LedgerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
    draws = [(entry.work_start.date(), draw) for entry in entries for draw in entry.drawn]
    report = balance_of(loaded_agreement.prepaid, draws, as_of)
    if output_format == "json":
        click.echo(json.dumps(output.balance_record(report, loaded_agreement.currency), indent=2, ensure_ascii=False))
    else:
        output.write_balance(report, sys.stdout, loaded_agreement.currency)
    sys.exit(EXIT_SOME_INVALID if fail_when_low and report.low else EXIT_OK)


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
