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

Most runs record new tickets that all started after everything the ledger holds, given in the
order work started (a day's or a month's export). Then nothing recorded is decided again and
each ticket can be decided and written as it is read: ``StreamingRecorder`` does that, inside
the same transaction, so that memory does not grow with the batch, nor with the ledger: what it
keeps of the entries is their ticket ids, and it reads them once, into the history, as they come.
The first ticket that breaks the condition ends it, and the run starts again with
``decide_and_record``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from scopecheck.evaluate.decision import Decision, Draw
from scopecheck.evaluate.history import History
from scopecheck.evaluate.program import Program, decision_order, earlier_of
from scopecheck.ledger.records import Entry, EntryRows, agreement_version, client_key, entry_of, why_replaced
from scopecheck.ledger.sqlite import LedgerSession, entry_of_row
from scopecheck.record import record
from scopecheck.tickets.model import Ticket


@record
class Recorded:
    """What a run did. ``decisions`` are the batch's, in the order its tickets arrived (a ticket
    id given twice is decided once, as its first version; none when ``StreamingRecorder`` gave
    them out as they were made); ``redecided`` are entries outside the batch whose decision
    changed because of it, each as (before, after, why)."""

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

    # A new ticket's row is made straight from its decision; only a ticket already recorded
    # needs its entry, to compare with the one it may replace.
    rows = EntryRows(client, currency, rules, terms, decided_at)
    added: list[tuple] = []
    added_from_batch = 0
    changes: list[tuple[Entry, Entry, str]] = []
    restated: list[Entry] = []  # the same result under new terms: no earlier version to keep
    unchanged = 0
    for decision in decisions:
        draws.extend((decision.work.start.date(), draw) for draw in decision.drawn)
        old = existing.get(decision.ticket.id)
        if old is None:
            added.append(rows.row(decision))
            added_from_batch += decision.ticket.id in latest
            continue
        new = entry_of(decision, client, currency, rules, terms, decided_at)
        if old.same_decision(new):
            unchanged += old.ticket_id in latest
        elif old.same_result(new):
            restated.append(new.renumbered(old.revision))
            unchanged += old.ticket_id in latest
        else:
            changes.append((old, new.renumbered(old.revision + 1), why_replaced(old, new)))
    written = session.writable
    if written:
        session.insert_rows(added)
        session.replace(changes, decided_at)
        session.update(restated)
    in_batch = set(latest)
    by_id = {decision.ticket.id: decision for decision in decisions[: len(batch)]}
    return Recorded(
        decisions=tuple(by_id[ticket.id] for ticket in batch),
        added=added_from_batch,
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


class StreamingRecorder:
    """Decides and records tickets one at a time, as they are read, while nothing recorded has
    to be decided again (the module's docstring): each ticket must be new to the ledger, come
    after every entry and after the ticket before it in the decision order, and the entries must
    all have been decided under today's rules and agreement.

    ``decide`` gives a ticket's decision, or ``None`` when the ticket breaks the condition; then
    ``abandon`` takes back everything written, and the run decides its tickets as one batch
    with ``decide_and_record`` in the same transaction. When the deciding is done elsewhere,
    ``admits`` asks the question alone and ``record_rows`` writes what was decided. ``finish``
    writes what is left and says what the run did. Nothing is committed here: the session does
    that, or rolls it all back.

    ``renderer``: the output's ``DecisionRenderer``, which then renders each bill once for both;
    ``history``: an empty history to decide with, such as a streaming one (``new_history``).

    Of the ledger's entries, only their ticket ids are kept. The entries are read once, when the
    first ticket is admitted, and go straight to the history that decides it (or, through
    ``take_rows``, to the processes that decide elsewhere); none is read when no decision
    depends on earlier tickets.
    """

    SAVEPOINT = "streamed"
    ROWS_PER_WRITE = 2000

    def __init__(self, program: Program, session: LedgerSession, decided_at: dt.datetime | None = None, renderer=None,
                 history: History | None = None):
        self.program = program
        self.session = session
        agreement = program.agreement
        client = client_key(agreement)
        rules, terms = program.version, agreement_version(agreement)
        self.decided_at = decided_at or dt.datetime.now(dt.timezone.utc)
        self._rows = EntryRows(client, agreement.currency, rules, terms, self.decided_at, renderer)
        self._client = client
        self._possible = session.versions(client) <= {(rules, terms)}
        # With entries under other terms nothing is admitted: neither is needed then.
        self._ids = session.ticket_ids(client) if self._possible else set()
        last_entry = session.last_entry(client) if self._possible else None
        self._last_entry_order = last_entry.order if last_entry is not None else None
        self._history = history if history is not None else program.new_history()
        self._last: tuple[float, str] | None = None
        self._pending: list[tuple] = []
        self._draws: dict[tuple[dt.date, str], int] = {}
        self._started = False
        self._unseen: Iterator[tuple] | None = None  # rows of entries not yet given to a history
        self.added = 0

    def admits(self, ticket: Ticket) -> bool:
        """Whether ``ticket`` can be decided and recorded here (see the class); the ticket
        that comes next must then come after it."""
        order = decision_order(ticket)
        if self._last is None:
            if not self._begin(order):
                return False
        elif order <= self._last:
            return False
        if ticket.id in self._ids:
            return False
        self._last = order
        return True

    def decide(self, ticket: Ticket) -> Decision | None:
        """The ticket's decision, its entry written (or queued to be); ``None`` when it cannot
        be decided here (see the class)."""
        if not self.admits(ticket):
            return None
        if self._unseen is not None:
            add = self._history.add
            for entry in self.take_entries():
                add(entry.earlier())
        decision = self.program.decide(ticket, self._history)
        self._history.add(earlier_of(decision))
        self.record(decision)
        return decision

    def record(self, decision: Decision) -> None:
        """Write the entry of a decision made of a ticket this recorder admitted."""
        if decision.drawn:
            self._count_draws(decision.work.start.date(), decision.drawn)
        if self.session.writable:
            self._pending.append(self._rows.row(decision))
            if len(self._pending) >= self.ROWS_PER_WRITE:
                self._write()
        self.added += 1

    def record_rows(self, rows: list[tuple]) -> None:
        """Write entries made elsewhere (``EntryRows.row``) of tickets this recorder admitted, in
        the order admitted; their decisions drew no prepaid hours."""
        if self.session.writable:
            self._pending.extend(rows)
            if len(self._pending) >= self.ROWS_PER_WRITE:
                self._write()
        self.added += len(rows)

    def take_rows(self) -> Iterator[tuple]:
        """The rows of the entries the admitted tickets come after, in the decision order, for
        the history that decides them (``sqlite.entry_of_row`` makes each its entry); read
        from the ledger as they are taken, and given once; there are none when no decision
        depends on earlier tickets. Take them all before anything is recorded."""
        rows, self._unseen = self._unseen, None
        return rows if rows is not None else iter(())

    def take_entries(self) -> Iterator[Entry]:
        """``take_rows``, each made its entry as it is taken."""
        return map(entry_of_row, self.take_rows())

    def _begin(self, order: tuple[float, str]) -> bool:
        if not self._possible or (self._last_entry_order is not None and self._last_entry_order >= order):
            return False
        self._count_entry_draws()
        if self.program.depends_on_history:
            self._unseen = self.session.entry_rows(self._client)
        return True

    def _count_entry_draws(self) -> None:
        for day, drawn in self.session.draws(self._client):
            self._count_draws(day, drawn)

    def _count_draws(self, day: dt.date, drawn: tuple[Draw, ...]) -> None:
        # The balance counts minutes per block and day, so that is all that is kept.
        for draw in drawn:
            key = (day, draw.block_id)
            self._draws[key] = self._draws.get(key, 0) + draw.minutes

    def _write(self) -> None:
        if not self._started:
            self.session.savepoint(self.SAVEPOINT)
            self._started = True
        self.session.insert_rows(self._pending)
        self._pending.clear()

    def abandon(self) -> None:
        """Take back every entry written, leaving the transaction open."""
        self._pending.clear()
        if self._started:
            self.session.back_to(self.SAVEPOINT)
            self._started = False

    def finish(self) -> Recorded | None:
        """What the run did; ``None`` when it had no tickets and entries decided under other
        terms wait to be decided again, which ``decide_and_record`` does."""
        if self._last is None:
            if not self._possible:
                return None
            self._count_entry_draws()  # towards the prepaid balance
        if self._pending:
            self._write()
        draws = sorted(((day, Draw(block, minutes)) for (day, block), minutes in self._draws.items()), key=lambda pair: pair[0])
        return Recorded((), self.added, 0, 0, (), self.session.writable, tuple(draws))
