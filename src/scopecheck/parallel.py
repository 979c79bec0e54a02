"""Deciding one run's tickets in several processes: ``classify --jobs N``.

In: a run of ``classify`` (its program, the tickets as it reads them, its output and, with a
ledger, its recorder) and a number of workers. Out: the same output, byte for byte, and the same
ledger as the run gives in one process.

How a run is cut into parts is the program's to say (``Program.partition_field``): ``""`` when
no ticket's decision depends on another's, so any cut will do; a ticket field when every count
of earlier tickets is kept per value of that field, so that all the tickets with one value (as
counting compares them, ``name_key``) go to one worker, in the decision order, where the running
counts are the ones a single process would keep. A ticket without the field is counted by
nothing and goes to any worker. (A program whose counts span all tickets cannot be cut, and the
command does not come here.)

The parent reads the tickets, in the order given, and cuts them into rounds of a few thousand;
each worker gets its share of a round as one task, and the parent writes a round out, in the
order given, once every share of it is back, while the workers go on with the next rounds. The
workers render each decision's text (and, for a ledger, its row); the parent writes and records.

Each worker is a process of its own, started afresh: it loads the agreement from its path and
builds its own program, as compiled rules are not something to send between processes. A
worker does one task at a time, in the order sent, and keeps its part's history from one task
to the next.

When the tickets turn out not to be in the decision order, the run decides them as a batch: with
no ledger, the workers start their histories again and are sent every ticket in the decision
order; with a ledger, the recorder decides the batch in the parent (``decide_and_record``).
"""

from __future__ import annotations

import datetime as dt
import signal
from collections import deque
from collections.abc import Callable, Iterator
from types import MappingProxyType

from scopecheck.record import record as value_class
from scopecheck.record import replace
from scopecheck.tickets.model import Ticket

# Tickets per worker in one round: enough that sending a task costs little beside deciding it,
# few enough that the output waits little and the tickets in flight take little memory.
TICKETS_PER_WORKER = 2000
# Rounds sent ahead of the one the parent writes next, per worker.
ROUNDS_AHEAD = 2
# Ledger rows a worker's history is given at a time: a row weighs a few times what a ticket
# does, and they are given before any ticket, so fewer go at once.
ROWS_PER_SEED = 500


def decide(run, tickets: Iterator[Ticket], workers: int) -> None:
    """Decide the run's tickets (no ledger) and write them to its writer."""
    from scopecheck.evaluate.program import decision_order

    with _Pool(run, workers, recording=None) as pool:
        rounds = _Rounds(pool, workers, run.program.partition_field, _shower(run))
        last = None
        count = 0
        for ticket in tickets:
            if run.depends:
                order = decision_order(ticket)
                if last is not None and order < last:
                    rounds.drop()
                    pool.forget()
                    _as_batch(run, pool, workers, run.all_tickets(count, ticket, tickets))
                    return
                last = order
            rounds.add(ticket)
            count += 1
        rounds.finish()
        _merge_totals(run, rounds)


def record(run, recorder, tickets: Iterator[Ticket], workers: int) -> list[Ticket] | None:
    """Decide the run's tickets and record them through ``recorder`` while it admits them (see
    ``StreamingRecorder``); ``None`` when it admitted all of them, else every ticket of the run,
    for the caller to decide as a batch."""
    from scopecheck.ledger.records import agreement_version, client_key

    agreement = run.program.agreement
    recording = (client_key(agreement), agreement_version(agreement), recorder.decided_at)
    with _Pool(run, workers, recording) as pool:
        field = run.program.partition_field
        rounds = _Rounds(pool, workers, field, _shower(run), recorder.record_rows)
        count = 0
        for ticket in tickets:
            if not recorder.admits(ticket):
                pool.stop()
                recorder.abandon()
                return run.all_tickets(count, ticket, tickets)
            if count == 0:
                _seed(pool, workers, field, recorder.take_rows())
            rounds.add(ticket)
            count += 1
        rounds.finish()
        _merge_totals(run, rounds)
    return None


def _shower(run) -> Callable:
    """What the parent does with one decided ticket's answer: write it, when it is shown."""
    writer = run.writer
    if run.chosen == "table":
        def show(ticket: Ticket, shown) -> None:
            writer.add(replace(shown, ticket=ticket))
    else:
        def show(ticket: Ticket, shown) -> None:
            writer.add_rendered(*shown)
    return show


def _merge_totals(run, rounds: _Rounds) -> None:
    if run.chosen != "table":  # the table adds up the decisions it is given itself
        run.writer.totals.merge(*rounds.totals.partial())
    run.draws = ()  # a program with prepaid hours cannot be cut


def _as_batch(run, pool: _Pool, workers: int, tickets: list[Ticket]) -> None:
    """Decide ``tickets`` (in arrival order) in the decision order, and write them in arrival
    order."""
    from scopecheck.evaluate.program import decision_order

    order = sorted(range(len(tickets)), key=lambda index: decision_order(tickets[index]))
    answers: list = [None] * len(tickets)

    def keep(position: int, shown) -> None:
        answers[position] = shown

    rounds = _Rounds(pool, workers, run.program.partition_field, keep)
    for index in order:
        rounds.add(tickets[index], index)
    rounds.finish()
    show = _shower(run)
    for ticket, shown in zip(tickets, answers):
        if shown is not None:
            show(ticket, shown)
    _merge_totals(run, rounds)


def _seed(pool: _Pool, workers: int, field: str, rows: Iterator[tuple]) -> None:
    """Give each worker the ledger's entries its part of the tickets counts, as ``rows`` (the
    ledger's, in the decision order) come, a few hundred at a time."""
    if not field:
        return  # no ticket counts another
    from scopecheck.ledger.sqlite import column_index

    # The row keeps the ticket's requester, device and site as columns of their own: the
    # ticket's text need not be read to know its part.
    at = column_index(field)
    parts = _Parts(workers, field)
    shares: list[list[tuple]] = [[] for _ in range(workers)]
    # Waiting for the oldest share sent once a few are in flight keeps the rows held here,
    # unsent or not yet taken by a worker, to a few shares whatever the size of the ledger.
    sent: deque = deque()
    for position, row in enumerate(rows):
        part = parts.of_value(row[at], position)
        share = shares[part]
        share.append(row)
        if len(share) >= ROWS_PER_SEED:
            sent.append(pool.seed(part, share))
            shares[part] = []
            while len(sent) > ROUNDS_AHEAD * workers:
                sent.popleft().get()
    for part, share in enumerate(shares):
        if share:
            pool.seed(part, share)


# --- the parent's side ----------------------------------------------------------------------------


class _Parts:
    """Which worker a ticket goes to."""

    def __init__(self, workers: int, field: str):
        self.workers = workers
        self.field = field
        self._known: dict[str, int] = {}

    def of(self, ticket: Ticket, position: int) -> int:
        return self.of_value(getattr(ticket, self.field) if self.field else None, position)

    def of_value(self, value: str | None, position: int) -> int:
        """Which worker a ticket goes to whose field holds ``value``."""
        if value is None:
            return position % self.workers
        part = self._known.get(value)
        if part is None:
            from scopecheck.evaluate.inventory import name_key

            if len(self._known) >= 1 << 16:
                self._known.clear()
            part = self._known[value] = hash(name_key(value)) % self.workers
        return part


class _Rounds:
    """Tickets cut into rounds, shared among the workers, and their answers handed to ``show``
    in the order the tickets were added, a round at a time. ``show(ticket, answer)`` is called
    for each ticket shown (``None`` answers: outside the period are not); ``show(position,
    answer)`` when tickets are added with a position (``add(ticket, position)``). Rows for the
    ledger go to ``record``. The minutes and amounts of what was shown add up in ``totals``."""

    def __init__(self, pool: _Pool, workers: int, field: str | None, show: Callable, record: Callable | None = None):
        from scopecheck.output import RunningTotals

        self.pool = pool
        self.workers = workers
        self.parts = _Parts(workers, field or "")
        self.show = show
        self.record = record
        self.totals = RunningTotals()
        self.size = TICKETS_PER_WORKER * workers
        self._tickets: list[Ticket] = []
        self._positions: list[int] | None = None
        self._sent: deque = deque()
        self._added = 0

    def add(self, ticket: Ticket, position: int | None = None) -> None:
        self._tickets.append(ticket)
        if position is not None:
            if self._positions is None:
                self._positions = []
            self._positions.append(position)
        if len(self._tickets) >= self.size:
            self._send()

    def _send(self) -> None:
        tickets, positions = self._tickets, self._positions
        self._tickets, self._positions = [], None
        if not tickets:
            return
        shares: list[list] = [[] for _ in range(self.workers)]
        owners = []
        part_of = self.parts.of
        added = self._added
        for offset, ticket in enumerate(tickets):
            part = part_of(ticket, added + offset)
            owners.append(part)
            shares[part].append(_packed(ticket))
        self._added += len(tickets)
        results = [self.pool.decide(part, share) if share else None for part, share in enumerate(shares)]
        self._sent.append((tickets, positions, owners, results))
        while len(self._sent) > ROUNDS_AHEAD * self.workers:
            self._receive()

    def _receive(self) -> None:
        tickets, positions, owners, results = self._sent.popleft()
        answers: list[Iterator | None] = []
        rows: list[list] = []
        for result in results:
            if result is None:
                answers.append(None)
                rows.append([])
                continue
            shown, share_rows, minutes, amounts = result.get()
            answers.append(iter(shown))
            rows.append(share_rows)
            self.totals.merge(minutes, amounts)
        show = self.show
        for offset, (ticket, part) in enumerate(zip(tickets, owners)):
            answer = next(answers[part])
            if answer is not None:
                show(ticket if positions is None else positions[offset], answer)
        if self.record is not None:
            # In the order the tickets were added, which each share keeps.
            row_of = [iter(share) for share in rows]
            self.record([next(row_of[part]) for part in owners])

    def finish(self) -> None:
        self._send()
        while self._sent:
            self._receive()

    def drop(self) -> None:
        """Forget every round not written yet; the workers' answers to them are thrown away."""
        self._tickets, self._positions = [], None
        self._sent.clear()


class _Pool:
    """The worker processes: one single-process pool each, so that every part keeps one
    worker, which takes its tasks in the order sent."""

    def __init__(self, run, workers: int, recording: tuple | None):
        import multiprocessing

        setup = _Setup(
            agreement=run.agreement_path,
            versions=_versions(run.program),
            chosen=run.chosen,
            period=run.period,
            recording=recording,
        )
        # spawn: a fresh interpreter, which inherits no open file, lock or ledger connection.
        context = multiprocessing.get_context("spawn")
        self._pools = [context.Pool(1, _start, (setup,)) for _ in range(workers)]

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, kind, error, trace) -> None:
        for pool in self._pools:
            if kind is None:
                pool.close()
            else:
                pool.terminate()
        for pool in self._pools:
            pool.join()

    def stop(self) -> None:
        """Stop the workers now, whatever they were doing: their answers are not wanted."""
        for pool in self._pools:
            pool.terminate()

    def decide(self, part: int, share: list):
        return self._pools[part].apply_async(_decide, (share,))

    def seed(self, part: int, rows: list[tuple]):
        return self._pools[part].apply_async(_seed_history, (rows,))

    def forget(self) -> None:
        """Every worker starts its history again, once the tasks sent before are done."""
        for pool in self._pools:
            pool.apply_async(_forget)


def _versions(program) -> tuple[str, str]:
    from scopecheck.ledger.records import agreement_version

    return program.version, agreement_version(program.agreement)


# --- tickets between processes --------------------------------------------------------------------
# A ticket goes as a tuple of its values: ``custom`` is a read-only mapping, which pickle does
# not take, so it goes as a dict (``None`` for the shared empty one), and is made read-only
# again on arrival when it was.

_NO_CUSTOM = Ticket._field_defaults["custom"]


def _packed(ticket: Ticket) -> tuple:
    custom = ticket.custom
    if custom is _NO_CUSTOM:
        return (*ticket[:-1], None)
    if custom.__class__ is MappingProxyType:
        return (*ticket[:-1], (dict(custom),))
    return tuple(ticket)


def _unpacked(values: tuple) -> Ticket:
    custom = values[-1]
    if custom is None:
        custom = _NO_CUSTOM
    elif custom.__class__ is tuple:
        custom = MappingProxyType(custom[0])
    return Ticket._make((*values[:-1], custom))


# --- the worker's side ----------------------------------------------------------------------------


@value_class(slots=False)
class _Setup:
    """What a worker is started with: plain values, nothing compiled."""

    agreement: str
    versions: tuple[str, str]  # the parent's rules and agreement: a worker must decide under the same
    chosen: str
    period: object
    recording: tuple[str, str, dt.datetime] | None  # client, agreement version, decided at


class _Worker:
    def __init__(self, setup: _Setup):
        import io

        from scopecheck import engine, output

        self.problem: str | None = None
        loaded = engine.load(setup.agreement)
        self.program = program = loaded.program
        if _versions(program) != setup.versions:
            self.problem = f"'{setup.agreement}' changed while it was being classified against; run the command again"
        self.new_history = lambda: program.new_history(streaming=True)
        self.history = self.new_history()
        self.depends = program.depends_on_history
        self.period = setup.period
        self.table = setup.chosen == "table"
        renderer = output.DecisionRenderer(program.version, program.agreement.currency)
        if setup.chosen == "jsonl":
            self.render = renderer.json_line
        elif setup.chosen == "json":
            self.render = renderer.json_item
        else:
            self.render = output.CsvWriter(io.StringIO(), renderer).render
        self.totals = output.RunningTotals()
        self.rows = None
        if setup.recording is not None:
            from scopecheck.ledger.records import EntryRows

            client, terms, decided_at = setup.recording
            self.rows = EntryRows(client, program.agreement.currency, program.version, terms, decided_at, renderer)

    def decide(self, share: list[tuple]) -> tuple:
        from scopecheck.evaluate.program import earlier_of

        if self.problem is not None:
            raise WorkerProblem(self.problem)
        program, history, period = self.program, self.history, self.period
        shown: list = []
        rows: list = []
        for values in share:
            decision = program.decide(_unpacked(values), history)
            if self.depends:
                history.add(earlier_of(decision))
            if self.rows is not None:
                rows.append(self.rows.row(decision))
            if period is not None and decision.work.start not in period:
                shown.append(None)
            elif self.table:
                shown.append(replace(decision, ticket=None))
            else:
                self.totals.add(decision)
                shown.append((self.render(decision), decision.outcome))
        return (shown, rows, *self.totals.partial())


class WorkerProblem(Exception):
    """A worker cannot decide as the parent would: its message says why, in one line."""


_worker: _Worker | None = None
_problem: str | None = None


def _start(setup: _Setup) -> None:
    global _worker, _problem
    # Ctrl-C is the parent's to handle: it stops the workers, and the ledger's transaction
    # rolls back there.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A failure is told by the first task: a pool whose worker fails to start starts it again, for ever.
    try:
        _worker = _Worker(setup)
    except Exception as error:
        words = str(error).splitlines()[0] if str(error) else type(error).__name__
        _problem = f"a worker could not load '{setup.agreement}': {words}"


def _decide(share: list[tuple]) -> tuple:
    if _worker is None:
        raise WorkerProblem(_problem)
    return _worker.decide(share)


def _seed_history(rows: list[tuple]) -> None:
    from scopecheck.ledger.sqlite import entry_of_row

    if _worker is not None:
        for row in rows:
            _worker.history.add(entry_of_row(row).earlier())


def _forget() -> None:
    if _worker is not None:
        _worker.history = _worker.new_history()
