"""The ledger under real processes: several classifying into one file at once, and a process
killed in the middle of a batch.

These run ``python -m scopecheck`` as separate processes against one SQLite file, as two
technicians (or a technician and a nightly job) would.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from scopecheck.ledger import open_ledger
from scopecheck.ledger.records import Entry

from .year_of_tickets import AGREEMENT, write_jsonl, year_of_tickets


def classify_command(tickets: Path, ledger: Path) -> list[str]:
    return [sys.executable, "-m", "scopecheck", "classify", str(AGREEMENT), str(tickets), "--ledger", str(ledger), "--format", "jsonl"]


def classify(tickets: Path, ledger: Path) -> None:
    finished = subprocess.run(classify_command(tickets, ledger), capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr


def entries(ledger: Path) -> list[Entry]:
    opened = open_ledger(ledger, writable=False)
    if opened is None:
        return []
    with opened.session() as session:
        found = session.entries("harbor-vale")
    opened.close()
    return found


def assert_same_ledger(found: list[Entry], expected: list[Entry]) -> None:
    assert [entry.ticket_id for entry in found] == [entry.ticket_id for entry in expected]
    different = [mine.ticket_id for mine, theirs in zip(found, expected) if not mine.same_decision(theirs)]
    assert not different, f"decided differently: {different[:5]}"


def test_several_processes_classifying_into_one_ledger_lose_nothing_and_count_nothing_twice(tmp_path: Path) -> None:
    tickets = year_of_tickets(400, seed=11)
    reference = tmp_path / "one-run.sqlite3"
    classify(write_jsonl(tickets, tmp_path / "all.jsonl"), reference)
    shared = tmp_path / "shared.sqlite3"
    # Every process gets tickets from across the whole year, so each one's batch changes the
    # history the others count from.
    parts = [write_jsonl(tickets[index::4], tmp_path / f"part-{index}.jsonl") for index in range(4)]
    processes = [subprocess.Popen(classify_command(part, shared), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for part in parts]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
    expected = entries(reference)
    assert sum(entry.deciding_rule == "extra_move" for entry in expected) > 50
    assert_same_ledger(entries(shared), expected)
    with sqlite3.connect(shared) as connection:
        assert connection.execute("SELECT count(*) FROM entries").fetchone()[0] == 400


def kill_when(command: list[str], moment) -> None:
    """Run ``command`` and kill it (SIGKILL: no clean-up of any kind) once ``moment()`` says so."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and not moment():
        time.sleep(0.0005)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_a_process_killed_mid_batch_leaves_the_ledger_as_it_was_and_a_rerun_completes_it(tmp_path: Path) -> None:
    tickets = year_of_tickets(3000, seed=5)
    first_half = write_jsonl(tickets[:1500], tmp_path / "first.jsonl")
    second_half = write_jsonl(tickets[1500:], tmp_path / "second.jsonl")
    clean = tmp_path / "clean.sqlite3"
    classify(first_half, clean)
    started = time.perf_counter()
    classify(second_half, clean)
    run_time = time.perf_counter() - started
    expected = entries(clean)

    ledger = tmp_path / "killed.sqlite3"
    classify(first_half, ledger)
    before = entries(ledger)
    journal = Path(f"{ledger}-wal")

    def after(seconds: float):
        deadline = time.perf_counter() + seconds
        return lambda: time.perf_counter() >= deadline

    def writing() -> bool:
        # The run's pages reach the write-ahead log as it commits: past its 32-byte header,
        # some pages are written and the commit record is not yet.
        return journal.exists() and journal.stat().st_size > 32 + 4 * 4096

    # While starting, reading and deciding (the write lock held), then while committing.
    points = [after(run_time * fraction) for fraction in (0.2, 0.5, 0.8)] + [writing, writing]
    interrupted = 0
    for moment in points:
        kill_when(classify_command(second_half, ledger), moment)
        with sqlite3.connect(ledger) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        found = entries(ledger)
        if len(found) == len(expected):  # the commit finished before the kill: all of it, never part
            assert_same_ledger(found, expected)
            break
        assert_same_ledger(found, before)
        interrupted += 1
    assert interrupted >= 3
    classify(second_half, ledger)
    assert_same_ledger(entries(ledger), expected)
