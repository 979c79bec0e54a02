"""Ledger entries as people and programs read them: a table, CSV, JSON or JSON Lines.

In: ``Entry`` values and, for each, its earlier versions. Out: text on a stream. The CSV and
JSON exports carry the same record, so a spreadsheet and a script never disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence

from scopecheck.evaluate.decision import OUTCOME_WORDS
from scopecheck.ledger.records import Entry
from scopecheck.ledger.sqlite import Revision
from scopecheck.values import format_duration, format_money

ENTRY_COLUMNS = (
    "client", "ticket", "work_start", "work_end", "requester", "device", "site", "category", "outcome",
    "deciding_rule", "reason", "total", "currency", "prepaid_minutes", "prepaid_drawn", "rules_version",
    "agreement_version", "decided_at", "revision",
)


def entry_record(entry: Entry) -> dict[str, object]:
    """The flat record of an entry: the CSV's columns, and the JSON's fields besides the
    charges and the earlier versions."""
    return {
        "client": entry.client,
        "ticket": entry.ticket_id,
        "work_start": entry.work_start.isoformat(timespec="minutes"),
        "work_end": entry.work_end.isoformat(timespec="minutes") if entry.work_end else None,
        "requester": entry.requester,
        "device": entry.device,
        "site": entry.site,
        "category": entry.category,
        "outcome": entry.outcome,
        "deciding_rule": entry.deciding_rule,
        "reason": entry.reason,
        "total": str(entry.total),
        "currency": entry.currency,
        "prepaid_minutes": entry.drawn_minutes,
        "prepaid_drawn": "; ".join(f"{draw.block_id}: {draw.minutes}" for draw in entry.drawn),
        "rules_version": entry.rules_version,
        "agreement_version": entry.agreement_version,
        "decided_at": entry.decided_at.isoformat(timespec="seconds"),
        "revision": entry.revision,
    }


def _full_record(entry: Entry, revisions: Sequence[Revision]) -> dict[str, object]:
    record = entry_record(entry)
    record["prepaid_drawn"] = [{"block": draw.block_id, "minutes": draw.minutes} for draw in entry.drawn]
    record["charges"] = [dict(line) for line in entry.charges]
    record["earlier_versions"] = [
        {
            "revision": revision.entry.revision,
            "replaced_at": revision.replaced_at.isoformat(timespec="seconds"),
            "why": revision.why,
            "outcome": revision.entry.outcome,
            "deciding_rule": revision.entry.deciding_rule,
            "reason": revision.entry.reason,
            "total": str(revision.entry.total),
            "decided_at": revision.entry.decided_at.isoformat(timespec="seconds"),
        }
        for revision in revisions
    ]
    return record


def write_entries_json(entries: Sequence[Entry], revisions: Mapping[str, Sequence[Revision]], out: io.TextIOBase) -> None:
    document = {"entries": [_full_record(entry, revisions.get(entry.ticket_id, ())) for entry in entries]}
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_entries_jsonl(entries: Sequence[Entry], revisions: Mapping[str, Sequence[Revision]], out: io.TextIOBase) -> None:
    for entry in entries:
        out.write(json.dumps(_full_record(entry, revisions.get(entry.ticket_id, ())), ensure_ascii=False, separators=(",", ":")))
        out.write("\n")


def write_entries_csv(entries: Sequence[Entry], out: io.TextIOBase) -> None:
    writer = csv.DictWriter(out, fieldnames=ENTRY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow({name: "" if value is None else value for name, value in entry_record(entry).items()})


def write_entries_table(entries: Sequence[Entry], revisions: Mapping[str, Sequence[Revision]], out: io.TextIOBase) -> None:
    """One line per entry; an entry decided more than once lists its earlier versions under it."""
    rows = [
        (
            entry.ticket_id,
            entry.work_start.strftime("%Y-%m-%d %H:%M"),
            entry.requester or "-",
            OUTCOME_WORDS[entry.outcome],
            entry.deciding_rule or "-",
            format_money(entry.total, entry.currency),
            _hours_or_dash(entry.drawn_minutes),
        )
        for entry in entries
    ]
    heading = ("TICKET", "WORK STARTS", "REQUESTER", "OUTCOME", "RULE", "TOTAL", "PREPAID")
    widths = [max(len(row[column]) for row in [heading, *rows]) for column in range(len(heading))]
    right = {5, 6}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(width) if index in right else cell.ljust(width)
                         for index, (cell, width) in enumerate(zip(cells, widths))).rstrip() + "\n"

    out.write(line(heading))
    for entry, row in zip(entries, rows):
        out.write(line(row))
        for revision in revisions.get(entry.ticket_id, ()):
            before = revision.entry
            out.write(
                f"    until {revision.replaced_at.strftime('%Y-%m-%d %H:%M')} UTC: {OUTCOME_WORDS[before.outcome]} by "
                f"{before.deciding_rule or 'no rule'}, {format_money(before.total, before.currency)}; {revision.why}\n"
            )


def _hours_or_dash(minutes: int) -> str:
    return format_duration(dt.timedelta(minutes=minutes)) if minutes else "-"
