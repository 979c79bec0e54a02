"""`scopecheck classify`: decide a batch of tickets against an agreement, record and show the decisions.

Tickets are decided as they are read, so that a run's memory does not grow with its batch.
Tickets are decided in the order work started (``decision_order``); an export usually lists
them in that order, and then each ticket is decided as it arrives, against running counts of
the ones before it, and written out. When decisions can depend on earlier tickets, the output
is held in a temporary file until the end, because a ticket that arrives out of order (work
that started before a ticket already decided) may change decisions already made: the run then
reads its input again and decides it as one batch, sorted, which is what the output always
equals. So that it can be read again, standard input, and any input that is not a plain file,
is first copied to a temporary file. When no decision depends on another, the output is
written straight away. ``--format table`` keeps every decision until the end, for its column
widths, and the JSON document its decisions' text, for the totals it opens with.

With ``--jobs N`` the deciding is shared among N worker processes (``scopecheck.parallel``);
the output is the same, byte for byte, as with one.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator

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


class _ProcessCount(click.IntRange):
    """A count of processes, 0 or more; named so that a wrong one reads "'abc' is not a valid
    whole number", not click's "integer range"."""

    name = "whole number"


_PROCESS_COUNT = _ProcessCount(min=0)


@click.command()
@click.argument("agreement", type=click.Path(dir_okay=False))
@click.argument("tickets", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "jsonl", "csv"]),
    help="Output format. Default: a table on a terminal, JSON Lines when piped. The table keeps every decision "
         "in memory until the end, for its column widths; the other formats keep none.",
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
@click.option("--jobs", "-j", type=_PROCESS_COUNT, default=1, show_default=True, metavar="N",
              help="Decide in N processes (0: one per CPU). The output is the same as with one; rules that count "
                   "across all tickets, coverage ceilings and prepaid hours keep a run in one process.")
@ledger_option
@click.option("--dry-run", is_flag=True, help="Decide with the ledger's history, but record nothing.")
@click.option("--no-ledger", is_flag=True, help="Neither read nor write the ledger: the tickets given are the only history.")
def classify(agreement: str, tickets: tuple[str, ...], output_format: str | None, mapping: str | None, input_format: str | None,
             period_text: str | None, first_day: str | None, last_day: str | None, jobs: int, ledger_path: str | None,
             dry_run: bool, no_ledger: bool) -> None:
    """Classify tickets as in plan, billable, project or review, and say why.

    AGREEMENT is a client's agreement file; TICKETS are JSON, JSON Lines, CSV or YAML files,
    or - for standard input (the default when input is piped). Every ticket is priced under the
    agreement; the table and JSON end with the totals.

    Every decision is recorded in the ledger (docs/ledger.md), and the ledger's earlier
    entries are the history that allowances such as moves per year count; classifying a ticket
    again updates its entry. --dry-run records nothing; --no-ledger does not read it either.

    With --period (or --from and --to) only the tickets whose work starts in the period are
    shown and totalled; earlier tickets are still read, so allowances count them.

    Tickets are decided as they are read, in a memory that does not grow with the batch when
    they are listed in the order their work started; tickets in another order are decided
    alike, sorted after reading. --jobs shares the deciding among processes.

    \b
    Examples:
      scopecheck classify examples/harbor-vale/agreement.yaml examples/harbor-vale/tickets.csv
      scopecheck classify agreement.yaml export.csv --mapping examples/mappings/connectwise-style.yaml
      cat tickets.jsonl | scopecheck classify agreement.yaml --format json
      scopecheck classify agreement.yaml tickets.csv --period 2026-11
      scopecheck classify agreement.yaml year.csv --no-ledger --jobs 2 > decisions.jsonl
    """
    from scopecheck import engine
    from scopecheck.tickets.mapping import load_mapping

    period = period_option_value(period_text, first_day, last_day)
    sources = SourceLines()
    if not tickets:
        if sys.stdin.isatty():
            raise click.UsageError("give one or more ticket files, or pipe tickets in (use - for standard input)")
        tickets = ("-",)
    if "-" in tickets and hasattr(sys.stdin, "reconfigure"):
        # Standard input is read as ticket files are, strictly UTF-8: under a UTF-8 locale
        # Python would otherwise let bytes that are not text through as stand-in characters,
        # into the output and the ledger.
        sys.stdin.reconfigure(encoding="utf-8", errors="strict")
    try:
        loaded = engine.load(agreement, sources)
        ticket_mapping = load_mapping(mapping) if mapping else None
    except DiagnosticError as error:
        report(error.diagnostics, sources)
        sys.exit(EXIT_UNUSABLE)
    program = loaded.program
    chosen = output_format or ("table" if sys.stdout.isatty() else "jsonl")
    ledger = None if no_ledger else _open_ledger(ledger_path, dry_run)
    with _Workspace() as workspace:
        # The tickets may have to be read twice when decisions depend on each other or on the
        # ledger's entries (see the module's docstring).
        rereadable = program.depends_on_history or ledger is not None
        intake = _Intake(tickets, input_format, ticket_mapping, program, sources, workspace, rereadable)
        run = _Run(program, intake, chosen, period, workspace, agreement, deferred=ledger is not None)
        workers = _workers_for(program, jobs)
        worker_problems = _worker_problems(workers)
        try:
            if ledger is None:
                run.without_ledger(workers)
                if not no_ledger:
                    click.echo("dry run: there is no ledger yet, so nothing was counted from it or recorded", err=True)
            else:
                # A slow writer to standard input must not keep the ledger locked.
                intake.copy_what_cannot_be_read_again()
                recorded = _record(run, ledger, workers)
                _say_what_was_recorded(recorded, ledger)
        except worker_problems as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_UNUSABLE)
        _warn_when_prepaid_hours_are_low(loaded.agreement, run.draws)
        run.deliver()
        if chosen == "table":
            click.echo(run.summary_line())
    sys.exit(EXIT_SOME_INVALID if intake.invalid else EXIT_OK)


def _open_ledger(ledger_path: str | None, dry_run: bool):
    from scopecheck.ledger import LedgerError, open_ledger

    try:
        ledger = open_ledger(ledger_path, writable=not dry_run)
    except LedgerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
    # A dry run of a ledger that does not exist yet decides as a run without one, and says so.
    return ledger


def _workers_for(program, jobs: int) -> int:
    """How many worker processes decide: one (the run's own process) unless ``--jobs`` asks for
    more and the batch can be cut into parts decided apart; saying so when it cannot."""
    import os

    wanted = jobs or os.cpu_count() or 1
    if wanted <= 1:
        return 1
    if program.partition_field is None:
        click.echo(f"note: --jobs {wanted}: this agreement's rules, coverage ceilings or prepaid hours weigh each ticket "
                   "against all the others, so one process decides them", err=True)
        return 1
    return wanted


def _worker_problems(workers: int) -> tuple[type[Exception], ...]:
    """The errors by which worker processes say they cannot decide (none without workers)."""
    if workers <= 1:
        return ()
    from scopecheck.parallel import WorkerProblem

    return (WorkerProblem,)


def _record(run: _Run, ledger, workers: int):
    from scopecheck.ledger import LedgerError

    try:
        try:
            with ledger.session() as session:
                return run.with_ledger(session, workers)
        finally:
            ledger.close()
    except LedgerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)


def _say_what_was_recorded(recorded, ledger) -> None:
    """On standard error: what changed in the ledger, and the entries a run decided again."""
    counts = f"{recorded.added} new, {recorded.changed} changed, {recorded.unchanged} unchanged"
    if recorded.written:
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


# --- the input --------------------------------------------------------------------------------


class _Workspace:
    """One run's temporary files: its held output, which has no name (so that nothing is left
    behind even by a run that is killed), and copies of its input, which are read more than
    once at a time and so live in a folder of their own, removed at the end."""

    def __init__(self):
        self._folder = None
        self._files: list = []
        self._count = 0

    def __enter__(self) -> _Workspace:
        return self

    def __exit__(self, *exc_info) -> None:
        for file in self._files:
            file.close()
        if self._folder is not None:
            self._folder.cleanup()

    def path(self, stem: str):
        import tempfile
        from pathlib import Path

        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="scopecheck-")
        self._count += 1
        return Path(self._folder.name) / f"{self._count}-{stem}"

    def text_file(self, encoding: str = "utf-8", errors: str = "strict"):
        """A new file without a name, to write text to and read it back from."""
        import tempfile

        file = tempfile.TemporaryFile("w+", encoding=encoding, errors=errors, newline="", prefix="scopecheck-")
        self._files.append(file)
        return file


class _Intake:
    """The run's tickets as they are read: each one read, checked for an id given before, and
    made local to the agreement's zone (``Program.prepare``), in the order given. Problems are
    reported on standard error as they are found, except a ticket that cannot be placed in
    time, which is reported once every ticket has been read, after the problems of reading.

    ``again(count)`` reads the first ``count`` tickets once more, reporting nothing: what a run
    needs to decide its tickets as a batch after it has begun to decide them one by one. When it
    may be needed (``rereadable``), input that cannot be read twice (standard input, a pipe) is
    first copied to the workspace."""

    def __init__(self, sources: tuple[str, ...], input_format: str | None, mapping, program, lines: SourceLines,
                 workspace: _Workspace, rereadable: bool):
        self.sources = sources
        self.rereadable = rereadable
        self.input_format = input_format
        self.mapping = mapping
        self.program = program
        self.lines = lines
        self.workspace = workspace
        self.invalid = 0
        self._copies: dict[int, _Copy | DiagnosticError] = {}

    def tickets(self) -> Iterator:
        return self._read(reporting=True)

    def again(self, count: int) -> list:
        import itertools

        reading = self._read(reporting=False)
        try:
            return list(itertools.islice(reading, count))
        finally:
            reading.close()

    def _read(self, reporting: bool) -> Iterator:
        from scopecheck.tickets.model import Ticket
        from scopecheck.tickets.read import read_tickets

        prepare = self.program.prepare
        several = len(self.sources) > 1
        first_source: dict[str, int] = {}
        unplaced: list[Diagnostic] = []
        for index, source in enumerate(self.sources):
            stream = None
            try:
                stream = self._stream(index, source)
                if source == "-":
                    items = read_tickets(source, format=self.input_format, mapping=self.mapping, stdin=stream)
                else:
                    items = read_tickets(source, format=self.input_format, mapping=self.mapping, opened=stream)
                for item in items:
                    if item.__class__ is not Ticket:
                        if reporting:
                            self.invalid += 1
                            report([item], self.lines)
                        continue
                    if several:  # within one file the reader itself finds a repeated id
                        first = first_source.setdefault(item.id, index)
                        if first != index:
                            if reporting:
                                self.invalid += 1
                                report([Diagnostic("ticket.duplicate-id",
                                                   f"ticket '{item.id}' in '{source}' is already in '{self.sources[first]}'",
                                                   help="each ticket needs its own id; the second one is skipped")], self.lines)
                            continue
                    prepared = prepare(item)
                    if prepared.__class__ is not Ticket:
                        if reporting:
                            self.invalid += 1
                            unplaced.append(prepared)
                        continue
                    yield prepared
            except DiagnosticError as error:
                if reporting:
                    self.invalid += 1
                    report(error.diagnostics, self.lines)
            finally:
                if stream is not None and stream is not sys.stdin:
                    stream.close()
        if reporting:
            report(unplaced, self.lines)

    def copy_what_cannot_be_read_again(self) -> None:
        """Copy standard input and pipes now, rather than when they are first read."""
        for index, source in enumerate(self.sources):
            try:
                self._copy(index, source)
            except DiagnosticError:
                pass  # said when the input is read

    def _stream(self, index: int, source: str):
        """What to read ``source`` from: ``None`` for a file the reader opens itself;
        standard input itself, or a copy of it or of a pipe, which reads from its start each
        time it is asked for."""
        if source == "-" and any(other == "-" for other in self.sources[:index]):
            return _EMPTY_INPUT  # standard input is read once; the second - finds it at its end
        copy = self._copy(index, source)
        if copy is None:
            return sys.stdin if source == "-" else None
        return copy.reader()

    def _copy(self, index: int, source: str) -> _Copy | None:
        if index in self._copies:
            copy = self._copies[index]
            if isinstance(copy, DiagnosticError):
                raise copy
            return copy
        if not self.rereadable or (source != "-" and _is_plain_file(source)):
            return None
        try:
            copy = _Copy.of_stdin(self.workspace) if source == "-" else _Copy.of_pipe(source, self.workspace)
        except DiagnosticError as error:
            self._copies[index] = error
            raise
        self._copies[index] = copy
        return copy


class _EmptyInput:
    def readline(self) -> str:
        return ""

    def __iter__(self):
        return iter(())

    def close(self) -> None:
        pass


_EMPTY_INPUT = _EmptyInput()


def _is_plain_file(path: str) -> bool:
    import os
    import stat

    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # the reader says what is wrong with it


class _Copy:
    """An input copied to the workspace whole before it is read, so that it can be read again.

    Standard input is copied as the text the reader would have read from it (its encoding and
    line endings as Python set them up); a decoding error ends the copy and is raised again
    where it happened, so the reader reports it at its line. A pipe named as a file is copied
    byte for byte and read back as the reader reads files."""

    def __init__(self, path, encoding: str, errors: str | None, error: Exception | None = None):
        self.path = path
        self.encoding = encoding
        self.errors = errors
        self.error = error

    @classmethod
    def of_stdin(cls, workspace: _Workspace) -> _Copy:
        path = workspace.path("stdin.txt")
        error = None
        # surrogateescape: the text goes back exactly as it came, whatever it holds.
        with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as copy:
            try:
                for line in sys.stdin:
                    copy.write(line)
            except UnicodeDecodeError as raised:
                error = raised
        return cls(path, "utf-8", "surrogateescape", error)

    @classmethod
    def of_pipe(cls, source: str, workspace: _Workspace) -> _Copy:
        import shutil

        path = workspace.path("input")
        try:
            with open(source, "rb") as pipe, open(path, "wb") as copy:
                shutil.copyfileobj(pipe, copy)
        except OSError as error:
            reason = (error.strerror or str(error)).lower()
            raise DiagnosticError([Diagnostic("ticket.unreadable", f"cannot read '{source}': {reason}")]) from None
        return cls(path, "utf-8-sig", None)

    def reader(self):
        if self.errors is None:  # as ``read._open`` opens a file
            return open(self.path, encoding=self.encoding, newline="")
        return _Replay(open(self.path, encoding=self.encoding, errors=self.errors, newline=""), self.error)


class _Replay:
    """Standard input read back from its copy, failing where it failed."""

    def __init__(self, file, error: Exception | None):
        self._file = file
        self._error = error

    def readline(self) -> str:
        line = self._file.readline()
        if not line and self._error is not None:
            raise self._error
        return line

    def __iter__(self) -> Iterator[str]:
        yield from self._file
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._file.close()


# --- deciding ---------------------------------------------------------------------------------


class _Run:
    """One run's deciding and writing. The decisions go to a ``DecisionWriter``; its output is
    held in the workspace (``deferred``) when it may have to be written again or must wait for
    the ledger, and goes to standard output otherwise."""

    def __init__(self, program, intake: _Intake, chosen: str, period, workspace: _Workspace, agreement_path: str,
                 deferred: bool):
        from scopecheck.output import DecisionRenderer

        self.program = program
        self.intake = intake
        self.chosen = chosen
        self.period = period
        self.workspace = workspace
        self.agreement_path = agreement_path
        self.renderer = DecisionRenderer(program.version, program.agreement.currency)
        self.depends = program.depends_on_history
        # Straight to standard output when no ticket can change another's decision and nothing
        # waits for a ledger; held until the end otherwise.
        self.deferred = deferred or self.depends
        self.draws: tuple = ()
        self._kept_draws = program.agreement.prepaid is not None
        self._new_writer()

    def _new_writer(self) -> None:
        from scopecheck import output

        if self.chosen == "table":
            self.writer = output.TableWriter(sys.stdout, self.renderer, self.period)
        elif self.chosen == "json":
            # The document opens with the totals: it is written at the end in any case.
            # surrogatepass: any text goes back as it came, for standard output to encode.
            held = self.workspace.text_file(errors="surrogatepass")
            self.writer = output.JsonWriter(sys.stdout, self.renderer, self.period, hold=held)
        else:
            out = _held_output(self.workspace) if self.deferred else sys.stdout
            make = output.JsonLinesWriter if self.chosen == "jsonl" else output.CsvWriter
            self.writer = make(out, self.renderer)

    def _show(self, decision) -> None:
        if self.period is None or decision.work.start in self.period:
            self.writer.add(decision)

    # --- without a ledger -----------------------------------------------------------------

    def without_ledger(self, workers: int) -> None:
        tickets = self.intake.tickets()
        if workers > 1:
            from scopecheck import parallel

            parallel.decide(self, tickets, workers)
            return
        program = self.program
        history = program.new_history(streaming=True)
        decide, show = program.decide, self._show
        draws = _Draws() if self._kept_draws else None
        if not self.depends:  # no ticket sees another: any order is the decision order
            for ticket in tickets:
                decision = decide(ticket, history)
                if draws is not None:
                    draws.add(decision)
                show(decision)
            self._done(draws)
            return
        from scopecheck.evaluate.program import decision_order, earlier_of

        last = None
        decided = 0
        add = history.add
        for ticket in tickets:
            order = decision_order(ticket)
            if last is not None and order < last:
                self.as_batch(self.all_tickets(decided, ticket, tickets))
                return
            last = order
            decision = decide(ticket, history)
            add(earlier_of(decision))
            if draws is not None:
                draws.add(decision)
            show(decision)
            decided += 1
        self._done(draws)

    def all_tickets(self, decided: int, late, rest: Iterator) -> list:
        """Every ticket of the run, in arrival order, once ``late`` (the ticket after the first
        ``decided``) turned out not to be decidable one by one; what was written is dropped."""
        self._new_writer()
        return [*self.intake.again(decided), late, *rest]

    def as_batch(self, tickets: list) -> None:
        """Decide ``tickets`` (in arrival order) in the decision order, and write them in
        arrival order: only the text of each decision is kept until then."""
        from scopecheck.evaluate.program import decision_order, earlier_of

        program = self.program
        history = program.new_history(streaming=True)
        order = sorted(range(len(tickets)), key=lambda index: decision_order(tickets[index]))
        kept: list = [None] * len(tickets)
        writer, period = self.writer, self.period
        draws = _Draws() if self._kept_draws else None
        for index in order:
            decision = program.decide(tickets[index], history)
            history.add(earlier_of(decision))
            tickets[index] = None
            if draws is not None:
                draws.add(decision)
            if period is None or decision.work.start in period:
                kept[index] = writer.keep(decision)
        for item in kept:
            if item is not None:
                writer.add_kept(item)
        self._done(draws)

    def _done(self, draws: _Draws | None) -> None:
        self.draws = draws.in_order() if draws is not None else ()

    # --- with a ledger --------------------------------------------------------------------

    def with_ledger(self, session, workers: int):
        """Decide and record the run's tickets in ``session``; ``Recorded`` says what was done.
        Tickets are decided and recorded as they come while nothing recorded has to be decided
        again (``StreamingRecorder``); otherwise all of them are, as a batch."""
        from scopecheck.ledger.recording import StreamingRecorder, decide_and_record

        recorder = StreamingRecorder(self.program, session, renderer=self.renderer, history=self.program.new_history(streaming=True))
        tickets = self.intake.tickets()
        if workers > 1:
            from scopecheck import parallel

            batch = parallel.record(self, recorder, tickets, workers)
        else:
            batch = self._record_one_by_one(recorder, tickets)
        if batch is None:
            recorded = recorder.finish()
            if recorded is not None:
                self.draws = recorded.draws
                return recorded
            batch = []
        recorded = decide_and_record(self.program, batch, session)
        for decision in recorded.decisions:
            self._show(decision)
        self.draws = recorded.draws
        return recorded

    def _record_one_by_one(self, recorder, tickets: Iterator) -> list | None:
        """Decide and record each ticket as it comes; ``None`` when all were, else every ticket
        of the run, to be decided as a batch (the recorder has taken back what it wrote)."""
        decided = 0
        show = self._show
        for ticket in tickets:
            decision = recorder.decide(ticket)
            if decision is None:
                recorder.abandon()
                return self.all_tickets(decided, ticket, tickets)
            show(decision)
            decided += 1
        return None

    # --- the end --------------------------------------------------------------------------

    def deliver(self) -> None:
        """Finish the output and, when it was held, copy it to standard output."""
        writer = self.writer
        writer.finish()
        if writer.out is not sys.stdout:
            _copy_out(writer.out)

    def summary_line(self) -> str:
        return self.writer.totals.summary_line(self.intake.invalid)


class _Draws:
    """The prepaid minutes a run's tickets drew, per day and block: all the balance needs."""

    def __init__(self):
        self._minutes: dict = {}

    def add(self, decision) -> None:
        if decision.drawn:
            day = decision.work.start.date()
            for draw in decision.drawn:
                key = (day, draw.block_id)
                self._minutes[key] = self._minutes.get(key, 0) + draw.minutes

    def in_order(self) -> tuple:
        from scopecheck.evaluate.decision import Draw

        return tuple(sorted(((day, Draw(block, minutes)) for (day, block), minutes in self._minutes.items()), key=lambda pair: pair[0]))


def _held_output(workspace: _Workspace):
    """A file to hold the output in, encoded as standard output encodes, so that copying it
    there byte for byte writes what writing to it directly would have."""
    return workspace.text_file(encoding=getattr(sys.stdout, "encoding", None) or "utf-8",
                               errors=getattr(sys.stdout, "errors", None) or "strict")


def _copy_out(held) -> None:
    import os
    import shutil

    held.flush()
    held.seek(0)
    target = getattr(sys.stdout, "buffer", None)
    if target is None or os.linesep != "\n":  # the text layer has something to do: let it
        shutil.copyfileobj(held, sys.stdout, 1 << 20)
        return
    sys.stdout.flush()
    shutil.copyfileobj(held.buffer, target, 1 << 20)
    target.flush()


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
