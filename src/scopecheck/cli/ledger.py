"""`scopecheck history` and `scopecheck balance`: what the ledger holds for a client."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from scopecheck.cli.common import (
    EXIT_OK,
    EXIT_SOME_INVALID,
    EXIT_UNUSABLE,
    agreement_only,
    ledger_option,
    period_option_value,
)


@click.command()
@click.argument("agreement", type=click.Path(dir_okay=False))
@ledger_option
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
    from scopecheck.ledger import report
    from scopecheck.ledger.records import client_key
    from scopecheck.ledger.sqlite import Filters

    period = period_option_value(period_text, first_day, last_day)
    loaded_agreement = agreement_only(agreement)
    client = client_key(loaded_agreement)
    filters = Filters(requester, device, rule_id, outcome, ticket_id,
                      period.first if period else None, period.last if period else None)
    entries, revisions = _read_ledger(ledger_path, lambda session: (session.entries(client, filters),
                                                                    session.revisions(client, ticket_id)), ([], {}))
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


@click.command()
@click.argument("agreement", type=click.Path(dir_okay=False))
@ledger_option
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
    from scopecheck.ledger.records import client_key

    loaded_agreement = agreement_only(agreement)
    if loaded_agreement.prepaid is None:
        raise click.UsageError(
            f"'{agreement}' is a {loaded_agreement.plan.model} plan; prepaid hours belong to block_hours plans"
        )
    try:
        as_of = dt.date.fromisoformat(as_of_text) if as_of_text else dt.datetime.now(loaded_agreement.calendar.zone).date()
    except ValueError:
        raise click.UsageError(f"--as-of '{as_of_text}' is not a date; write it like 2026-11-30") from None
    entries = _read_ledger(ledger_path, lambda session: session.entries(client_key(loaded_agreement)), [])
    draws = [(entry.work_start.date(), draw) for entry in entries for draw in entry.drawn]
    report = balance_of(loaded_agreement.prepaid, draws, as_of)
    if output_format == "json":
        click.echo(json.dumps(output.balance_record(report, loaded_agreement.currency), indent=2, ensure_ascii=False))
    else:
        output.write_balance(report, sys.stdout, loaded_agreement.currency)
    sys.exit(EXIT_SOME_INVALID if fail_when_low and report.low else EXIT_OK)


def _read_ledger(ledger_path: str | None, read, nothing):
    """What ``read`` takes from the ledger in one read-only session; ``nothing`` when no ledger
    was written yet. A ledger named with --ledger must exist: a mistyped path would otherwise
    read as an empty ledger, and a balance as hours never used."""
    from scopecheck.ledger import LedgerError, open_ledger

    if ledger_path is not None and not Path(ledger_path).expanduser().exists():
        click.echo(f"error: ledger '{ledger_path}' does not exist; check the path given to --ledger "
                   "(classify creates a ledger when it first records)", err=True)
        sys.exit(EXIT_UNUSABLE)
    try:
        ledger = open_ledger(ledger_path, writable=False)
        if ledger is None:
            return nothing
        try:
            with ledger.session() as session:
                return read(session)
        finally:
            ledger.close()
    except LedgerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
