"""A run that adds tickets after everything a ledger holds reads the ledger's entries once, into
the history, and keeps only their ticket ids: what it holds does not grow with the ledger, and
what it decides and records is what one batch of every ticket gives.

The reference is ``decide_and_record`` deciding all the tickets, those of the ledger and the
run's, as one batch.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
import tracemalloc
from pathlib import Path

import pytest

from scopecheck import engine, parallel
from scopecheck.evaluate.program import decision_order
from scopecheck.ledger import open_ledger, recording
from scopecheck.ledger.records import Entry
from scopecheck.ledger.recording import StreamingRecorder, decide_and_record
from scopecheck.ledger.sqlite import LedgerSession, column_index, entry_of_row
from scopecheck.tickets.model import Ticket
from scopecheck.tickets.read import read_tickets

from .conftest import EXAMPLES
from .test_streaming import BENCH, batch_decisions, independent, ledger_rows, reference_text, run, write_csv, year  # noqa: F401 - independent is a fixture

COBALT_DENTAL = EXAMPLES / "cobalt-dental" / "agreement.yaml"  # prepaid blocks


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch ``decide_and_record`` decided: a run that falls back decides one."""
    sizes: list[int] = []
    original = recording.decide_and_record

    def counted(program, tickets, session, decided_at=None):
        sizes.append(len(tickets))
        return original(program, tickets, session, decided_at)

    monkeypatch.setattr(recording, "decide_and_record", counted)
    return sizes


def prepared(program, path: Path) -> list[Ticket]:
    return [program.prepare(item) for item in read_tickets(str(path)) if isinstance(item, Ticket)]


def recorded_in_one_batch(program, paths: list[Path], ledger_path: Path) -> None:
    ledger = open_ledger(ledger_path)
    with ledger.session() as session:
        decide_and_record(program, [ticket for path in paths for ticket in prepared(program, path)], session)
    ledger.close()


def moves_counted_from_the_ledger_only(earlier: list[dict], later: list[dict]) -> int:
    """Moves of ``later`` that are a requester's second in the contract year only because of a
    move of ``earlier``."""
    def person(row: dict) -> str:
        return row["requester"].lower()

    moved = {person(row) for row in earlier if row["category"] == "move"}
    seen: set[str] = set()
    counted = 0
    for row in later:
        if row["category"] == "move":
            counted += person(row) in moved and person(row) not in seen
            seen.add(person(row))
    return counted


# --- what a run decides and records ------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_after_the_ledger_decides_and_records_what_one_batch_does(jobs: str, tmp_path: Path, batches: list[int]) -> None:
    rows = year(400, seed=31)
    earlier, later = rows[:300], rows[300:]
    assert moves_counted_from_the_ledger_only(earlier, later) >= 3
    first, second = write_csv(earlier, tmp_path / "first.csv"), write_csv(later, tmp_path / "second.csv")
    ledger = tmp_path / "streamed.sqlite3"
    assert run("classify", str(BENCH), str(first), "--ledger", str(ledger), "--format", "jsonl").exit_code == 0
    batches.clear()
    result = run("classify", str(BENCH), str(second), "--ledger", str(ledger), "--format", "jsonl", "--jobs", jobs)
    assert result.exit_code == 0, result.stderr
    assert "100 new, 0 changed, 0 unchanged" in result.stderr
    assert batches == []  # decided as the tickets came, not as a batch
    program, decisions = batch_decisions(BENCH, [first, second])
    assert result.stdout == reference_text(program, decisions[300:], "jsonl")
    second_moves = [decision for decision in decisions[300:] if decision.deciding_rule and decision.deciding_rule.rule_id == "second_move"]
    assert len(second_moves) >= 3
    reference = tmp_path / "batch.sqlite3"
    recorded_in_one_batch(program, [first, second], reference)
    assert ledger_rows(ledger) == ledger_rows(reference)


def test_prepaid_minutes_the_ledger_drew_count_towards_the_runs_balance(tmp_path: Path) -> None:
    program = engine.load(COBALT_DENTAL).program
    tickets = sorted(prepared(program, EXAMPLES / "cobalt-dental" / "tickets.csv"), key=decision_order)
    earlier, later = tickets[:20], tickets[20:]
    ledger = open_ledger(tmp_path / "streamed.sqlite3")
    with ledger.session() as session:
        decide_and_record(program, earlier, session)
    with ledger.session() as session:
        recorder = StreamingRecorder(program, session, history=program.new_history(streaming=True))
        streamed = [recorder.decide(ticket) for ticket in later]
        assert None not in streamed
        draws = recorder.finish().draws
    ledger.close()
    reference = tmp_path / "batch.sqlite3"
    ledger = open_ledger(reference)
    with ledger.session() as session:
        batch = decide_and_record(program, tickets, session)
    ledger.close()
    assert [decision.drawn for decision in streamed] == [decision.drawn for decision in batch.decisions[20:]]
    assert any(decision.drawn for decision in batch.decisions[:20]) and any(decision.drawn for decision in streamed)

    def minutes_by_day_and_block(pairs) -> dict:
        totals: dict = {}
        for day, draw in pairs:
            totals[day, draw.block_id] = totals.get((day, draw.block_id), 0) + draw.minutes
        return totals

    assert minutes_by_day_and_block(draws) == minutes_by_day_and_block(batch.draws)


# --- falling back ------------------------------------------------------------------------------


def test_an_entry_under_other_rules_sends_the_run_back_to_one_batch(tmp_path: Path) -> None:
    program = engine.load(BENCH).program
    tickets = prepared(program, write_csv(year(120, seed=32), tmp_path / "tickets.csv"))
    path = tmp_path / "ledger.sqlite3"
    ledger = open_ledger(path)
    with ledger.session() as session:
        decide_and_record(program, tickets[:100], session)
    ledger.close()
    # Not the last entry: every entry's versions count, not only the one the run comes after.
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE entries SET rules_version = 'older' WHERE ticket_id = ?", (tickets[3].id,))
    ledger = open_ledger(path)
    with ledger.session() as session:
        assert StreamingRecorder(program, session).finish() is None  # no tickets: the entry still waits
        recorder = StreamingRecorder(program, session)
        assert recorder.decide(tickets[100]) is None
        recorder.abandon()
    ledger.close()


def test_a_changed_agreement_sends_the_run_back_to_one_batch(tmp_path: Path, batches: list[int]) -> None:
    client = tmp_path / "client"
    (client / "rules").mkdir(parents=True)
    (client / "rules" / "bench.scope").write_text((BENCH.parent / "rules" / "bench.scope").read_text())
    agreement = client / "agreement.yaml"
    agreement.write_text(BENCH.read_text())
    rows = year(160, seed=33)
    first, second = write_csv(rows[:120], tmp_path / "first.csv"), write_csv(rows[120:], tmp_path / "second.csv")
    ledger = tmp_path / "streamed.sqlite3"
    assert run("classify", str(agreement), str(first), "--ledger", str(ledger)).exit_code == 0
    reference = tmp_path / "batch.sqlite3"
    recorded_in_one_batch(engine.load(agreement).program, [first], reference)
    agreement.write_text(BENCH.read_text().replace("standard: $120", "standard: $130"))
    batches.clear()
    result = run("classify", str(agreement), str(second), "--ledger", str(ledger), "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert batches == [40]
    program, decisions = batch_decisions(agreement, [first, second])
    assert result.stdout == reference_text(program, decisions[120:], "jsonl")
    recorded_in_one_batch(program, [second], reference)
    assert ledger_rows(ledger) == ledger_rows(reference)


# --- what the recorder holds -------------------------------------------------------------------


def ledger_of(program, count: int, path: Path) -> tuple[list[Ticket], Path]:
    """A ledger holding ``count`` entries, and a few tickets that come after all of them."""
    tickets = prepared(program, write_csv(year(count + 5, seed=34), path.with_suffix(".csv")))
    ledger = open_ledger(path)
    with ledger.session() as session:
        decide_and_record(program, tickets[:count], session)
    ledger.close()
    return tickets[count:], path


def test_the_recorder_keeps_no_entry_once_it_has_started(tmp_path: Path) -> None:
    program = engine.load(BENCH).program
    later, path = ledger_of(program, 600, tmp_path / "ledger.sqlite3")
    ledger = open_ledger(path)
    with ledger.session() as session:
        recorder = StreamingRecorder(program, session, history=program.new_history(streaming=True))
        assert all(recorder.decide(ticket) is not None for ticket in later)
        gc.collect()
        assert not [thing for thing in gc.get_objects() if isinstance(thing, Entry)]
        held = [value for value in vars(recorder).values() if isinstance(value, (list, tuple)) and len(value) >= 600]
        assert held == []
        assert len(recorder._ids) == 600
        recorder.abandon()
    ledger.close()


def held_while_starting(program, count: int, tmp_path: Path) -> tuple[int, int]:
    """The most memory the recorder took, past what was taken before, while it read a ledger of
    ``count`` entries and decided the first ticket after them; and the size of its ticket ids."""
    later, path = ledger_of(program, count, tmp_path / f"ledger-{count}.sqlite3")
    ledger = open_ledger(path)
    with ledger.session() as session:
        history = program.new_history(streaming=True)
        program.decide(later[0], program.new_history(streaming=True))  # what every run builds once
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            recorder = StreamingRecorder(program, session, history=history)
            assert recorder.decide(later[0]) is not None
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        ids = sys.getsizeof(recorder._ids) + sum(sys.getsizeof(ticket_id) for ticket_id in recorder._ids)
        recorder.abandon()
    ledger.close()
    return peak, ids


def test_what_the_recorder_holds_grows_with_the_ledger_by_its_ticket_ids_only(tmp_path: Path) -> None:
    program = engine.load(BENCH).program
    held_while_starting(program, 50, tmp_path)  # what is built once per process, such as SQLite's statements
    small_peak, small_ids = held_while_starting(program, 500, tmp_path)
    large_peak, large_ids = held_while_starting(program, 2500, tmp_path)
    # An entry kept whole takes a few kilobytes; its ticket id a hundred bytes or so. The slack
    # is for what the history keeps per day of the year, which the larger ledger fills more of.
    assert large_peak - small_peak <= 2 * (large_ids - small_ids) + 64 * 1024, (small_peak, large_peak, small_ids, large_ids)


def test_entries_are_not_read_when_no_decision_depends_on_them(request: pytest.FixtureRequest, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    agreement = request.getfixturevalue("independent")  # the fixture of test_streaming
    program = engine.load(agreement).program
    assert not program.depends_on_history
    later, path = ledger_of(program, 50, tmp_path / "ledger.sqlite3")
    read: list[str] = []
    original = LedgerSession.entry_rows

    def entry_rows(self, client, *more):
        read.append(client)
        return original(self, client, *more)

    monkeypatch.setattr(LedgerSession, "entry_rows", entry_rows)
    ledger = open_ledger(path)
    with ledger.session() as session:
        recorder = StreamingRecorder(program, session)
        decisions = [recorder.decide(ticket) for ticket in later]
        assert recorder.finish().added == len(later)
    ledger.close()
    assert read == []
    assert [decision.outcome for decision in decisions] == [decision.outcome for decision in program.decide_batch(later)]


# --- the workers' share of the ledger ----------------------------------------------------------


class _SeededPool:
    """Stands for the worker processes: keeps what each one is given."""

    def __init__(self, workers: int):
        self.given: list[list[list[tuple]]] = [[] for _ in range(workers)]

    def seed(self, part: int, rows: list[tuple]):
        self.given[part].append(list(rows))
        return self

    def get(self) -> None:
        return None


def test_each_worker_is_given_its_part_of_the_ledger_in_order_a_few_hundred_rows_at_a_time(tmp_path: Path) -> None:
    program = engine.load(BENCH).program
    _, path = ledger_of(program, 1500, tmp_path / "ledger.sqlite3")
    ledger = open_ledger(path)
    with ledger.session() as session:
        rows = list(session.entry_rows("bench-client"))
        pool = _SeededPool(2)
        parallel._seed(pool, 2, "requester", session.entry_rows("bench-client"))
    ledger.close()
    parts = parallel._Parts(2, "requester")
    requester = column_index("requester")
    for part, shares in enumerate(pool.given):
        assert all(len(share) <= parallel.ROWS_PER_SEED for share in shares)
        given = [row for share in shares for row in share]
        assert given == [row for row in rows if parts.of(entry_of_row(row).ticket, 0) == part]
        assert all(parts.of_value(row[requester], 0) == part for row in given)
    assert sum(len(share) for shares in pool.given for share in shares) == 1500
    assert max(len(shares) for shares in pool.given) > 1  # more than one share each


def test_rows_read_in_turn_are_the_entries_in_order(tmp_path: Path) -> None:
    program = engine.load(BENCH).program
    _, path = ledger_of(program, 300, tmp_path / "ledger.sqlite3")
    ledger = open_ledger(path)
    with ledger.session() as session:
        entries = session.entries("bench-client")
        assert [entry_of_row(row) for row in session.entry_rows("bench-client")] == entries
        assert list(session.iter_entries("bench-client")) == entries
        assert [entry.order for entry in entries] == sorted(entry.order for entry in entries)
        assert session.last_entry("bench-client") == entries[-1]
        assert session.ticket_ids("bench-client") == {entry.ticket_id for entry in entries}
        assert session.versions("bench-client") == {(entry.rules_version, entry.agreement_version) for entry in entries}
        assert session.last_entry("nobody") is None and session.ticket_ids("nobody") == set()
    ledger.close()
