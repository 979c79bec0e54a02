"""Deciding a batch against the ledger and recording it.

In: a ``Program``, prepared tickets, and a ledger session. Out: the batch's decisions, and what
changed in the ledger.

The rule that makes a ticket decided today agree with a year decided in one run: a client's
entries are always the decisions one run over all of its tickets, in the order work started,
would give. So a run

1. reads the client's entries (under the write lock, see ``sqlite``);
2. feeds those that started before the batch's earliest ticket to the history as they are;
3. decides the batch together with every entry that started at or after that point, in order,
   because an allowance a late ticket spends is no longer there for the ones after it;
4. writes what is new, replaces what changed (keeping the old version and why), and leaves
   alone what did not change, so running the same batch twice writes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from scopecheck.evaluate.decision import Decision, Draw
from scopecheck.evaluate.program import Program, decision_order
from scopecheck.ledger.records import Entry, agreement_version, client_key, entry_of, why_replaced
from scopecheck.ledger.sqlite import LedgerSession
from scopecheck.tickets.model import Ticket


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a run did. ``decisions`` are the batch's, in the order its tickets arrived (a ticket
    id given twice is decided once, as its first version); ``redecided`` are entries outside the
    batch whose decision changed because of it, each as (before, after, why)."""

    decisions: tuple[Decision, ...]
    added: int
    changed: int
    unchanged: int
    redecided: tuple[tuple[Entry, Entry, str], ...]
    written: bool
    draws: tuple[tuple[dt.date, Draw], ...]  # every prepaid draw of the client after the run, by local day


def decide_and_record(program: Program, tickets: Sequence[Ticket], session: LedgerSession | None,
                      decided_at: dt.datetime | None = None) -> Recorded:
    """Decide prepared ``tickets`` with the history in ``session`` and, when it is writable,
    record them; with no session, decide them as a batch of their own."""
    decided_at = decided_at or dt.datetime.now(dt.timezone.utc)
    latest: dict[str, Ticket] = {}
    for ticket in tickets:
        latest.setdefault(ticket.id, ticket)  # as the reader does within a file: the first one counts
    batch = list(latest.values())
    agreement = program.agreement
    if session is None:  # nothing to compare with or write: no entries to build
        decisions = program.decide_batch(batch)
        draws = [(decision.work.start.date(), draw) for decision in decisions for draw in decision.drawn]
        return Recorded(tuple(decisions), 0, 0, 0, (), False, tuple(sorted(draws, key=lambda pair: pair[0])))
    client = client_key(agreement)
    existing = {entry.ticket_id: entry for entry in session.entries(client)}

    rules, terms, currency = program.version, agreement_version(agreement), agreement.currency
    orders = [decision_order(ticket) for ticket in batch]
    orders += [existing[ticket.id].order for ticket in batch if ticket.id in existing]
    # Entries decided under other rules or terms are decided again under these, from the
    # earliest of them on, so the ledger stays what one run under today's terms would give.
    orders += [entry.order for entry in existing.values() if (entry.rules_version, entry.agreement_version) != (rules, terms)][:1]
    start_over = min(orders, default=None)
    history = program.new_history()
    again: list[Ticket] = []
    draws: list[tuple[dt.date, Draw]] = []
    for entry in existing.values():  # in the order work started
        if entry.ticket_id in latest:
            continue
        if start_over is not None and entry.order >= start_over:
            again.append(_prepared(program, entry))
        else:
            history.add(entry.earlier())
            draws.extend((entry.work_start.date(), draw) for draw in entry.drawn)
    decisions = program.decide_batch(batch + again, history)

    added: list[Entry] = []
    changes: list[tuple[Entry, Entry, str]] = []
    restated: list[Entry] = []  # the same result under new terms: no earlier version to keep
    unchanged = 0
    for decision in decisions:
        draws.extend((decision.work.start.date(), draw) for draw in decision.drawn)
        new = entry_of(decision, client, currency, rules, terms, decided_at)
        old = existing.get(new.ticket_id)
        if old is None:
            added.append(new)
        elif old.same_decision(new):
            unchanged += old.ticket_id in latest
        elif old.same_result(new):
            restated.append(new.renumbered(old.revision))
            unchanged += old.ticket_id in latest
        else:
            changes.append((old, new.renumbered(old.revision + 1), why_replaced(old, new)))
    written = session.writable
    if written:
        session.insert(added)
        session.replace(changes, decided_at)
        session.update(restated)
    in_batch = set(latest)
    by_id = {decision.ticket.id: decision for decision in decisions[: len(batch)]}
    return Recorded(
        decisions=tuple(by_id[ticket.id] for ticket in batch),
        added=sum(1 for entry in added if entry.ticket_id in in_batch),
        changed=sum(1 for old, _, _ in changes if old.ticket_id in in_batch),
        unchanged=unchanged,
        redecided=tuple(change for change in changes if change[0].ticket_id not in in_batch),
        written=written,
        draws=tuple(sorted(draws, key=lambda pair: pair[0])),
    )


def _prepared(program: Program, entry: Entry) -> Ticket:
    """An entry's ticket, made local to the agreement's zone again (the zone may have changed
    since it was recorded); as recorded if it no longer can be."""
    ticket = entry.ticket
    prepared = program.prepare(ticket)
    return prepared if isinstance(prepared, Ticket) else ticket
