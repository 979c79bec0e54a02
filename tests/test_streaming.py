"""classify decides tickets as it reads them, and in several processes with --jobs: the output and
the ledger are what deciding the whole batch at once gives, byte for byte.

The reference here is the batch as classify used to work: every ticket read and prepared, the
batch decided with ``Program.decide_batch`` (in the decision order, whatever the order given),
and each format written from ``decision_record`` by the general JSON and CSV writers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from scopecheck import engine, output
from scopecheck.cli import classify as classify_command
from scopecheck.cli import main
from scopecheck.evaluate.pricing import Period, totals_of
from scopecheck.ledger import open_ledger
from scopecheck.ledger.recording import StreamingRecorder, decide_and_record
from scopecheck.ledger.records import EntryRows, agreement_version, client_key, entry_of, ticket_json
from scopecheck.ledger.sqlite import _row
from scopecheck.tickets.model import Ticket
from scopecheck.tickets.read import read_tickets

from .conftest import EXAMPLES, REPO

BENCH = REPO / "bench" / "agreement.yaml"  # moves counted per requester: cut by requester
HARBOR_VALE = EXAMPLES / "harbor-vale" / "agreement.yaml"  # coverage ceilings: cannot be cut
CLIENTS = ("harbor-vale", "riverside", "cobalt-dental")
FORMATS = ("jsonl", "csv", "json", "table")
COLUMNS = ("id", "opened_at", "requester", "category", "cause", "estimate", "summary", "premium_waived")


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def year(count: int, seed: int = 5) -> list[dict[str, str]]:
    """A contract year of tickets for the benchmark's agreement, in the order work started,
    from a few people who move often (so second moves are common), some spelling their
    address in capitals, which counting and the cut between processes read as the same person."""
    chooser = random.Random(seed)
    people = [f"person{number}@client.example" for number in range(9)]
    opened = sorted(dt.datetime(2026, 1, 1) + dt.timedelta(minutes=chooser.randrange(365 * 24 * 60)) for _ in range(count))
    rows = []
    for number, moment in enumerate(opened):
        person = chooser.choice(people)
        rows.append({
            "id": f"S-{number:05d}",
            "opened_at": moment.isoformat(timespec="minutes"),
            "requester": person.upper() if chooser.random() < 0.2 else person,
            "category": chooser.choice(("help_desk", "incident", "move", "move", "install_software", "repair")),
            "cause": chooser.choice(("normal", "normal", "third_party_damage", "")),
            "estimate": chooser.choice(("15m", "1h", "2h30m", "5h", "")),
            "summary": chooser.choice(("Move desk", "Printer jam, again", 'Laptop "dead"', "Café wifi")),
            "premium_waived": chooser.choice(("yes", "no", "no")),
        })
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def in_orders(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """The same tickets in the order work started, shuffled, and with one ticket arriving late."""
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    late = len(rows) * 3 // 4
    return {"in order": rows, "shuffled": shuffled, "one late": rows[:late] + rows[late + 1:] + [rows[late]]}


# --- the reference: the batch, written from the records ----------------------------------------


def batch_decisions(agreement: Path, paths: list[Path]):
    program = engine.load(agreement).program
    tickets = []
    for path in paths:
        tickets += [program.prepare(item) for item in read_tickets(str(path)) if isinstance(item, Ticket)]
    return program, program.decide_batch(tickets)


def reference_text(program, decisions, chosen: str, period: Period | None = None, width: int = 100) -> str:
    currency, version = program.agreement.currency, program.version
    if period is not None:
        decisions = [decision for decision in decisions if decision.work.start in period]
    out = io.StringIO()
    if chosen == "jsonl":
        for decision in decisions:
            out.write(json.dumps(output.decision_record(decision, version, currency), ensure_ascii=False, separators=(",", ":")) + "\n")
    elif chosen == "json":
        document = {"totals": output.totals_record(totals_of(decisions), currency, period),
                    "decisions": [output.decision_record(decision, version, currency) for decision in decisions]}
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    elif chosen == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(output.CSV_COLUMNS)
        for decision in decisions:
            record = output.decision_record(decision, version, currency)
            writer.writerow((
                record["ticket"], record["outcome"], record["deciding_rule"] or "", record["reason"],
                " ".join(fired["rule"] for fired in record["fired"]),
                "; ".join(f"{u['rule']} ({', '.join(u['missing'])} missing)" for u in record["unchecked"]),
                "; ".join(output.describe_line(line, currency) for line in decision.bill.lines),
                record["total"], version,
            ))
    else:
        output.write_table(decisions, out, currency, width)
        output.write_totals(totals_of(decisions), out, currency, period)
        out.write(output.summary_line(decisions, 0) + "\n")
    return out.getvalue()


# --- each format's text --------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_each_decision_is_written_as_its_record_says(client: str) -> None:
    program, decisions = batch_decisions(EXAMPLES / client / "agreement.yaml", [EXAMPLES / client / "tickets.csv"])
    currency, version = program.agreement.currency, program.version
    renderer = output.DecisionRenderer(version, currency)
    for decision in decisions:
        record = output.decision_record(decision, version, currency)
        assert renderer.json_line(decision) == json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    for chosen in ("jsonl", "csv", "json"):
        written = io.StringIO()
        getattr(output, f"write_{chosen}")(decisions, version, written, currency)
        assert written.getvalue() == reference_text(program, decisions, chosen), chosen
    period = Period(dt.date(2026, 6, 1), dt.date(2026, 11, 30))
    shown = [decision for decision in decisions if decision.work.start in period]
    written = io.StringIO()
    output.write_json(shown, version, written, currency, period)
    assert written.getvalue() == reference_text(program, decisions, "json", period)
    written = io.StringIO()
    output.write_json([], version, written, currency)
    assert written.getvalue() == reference_text(program, [], "json")


def test_moments_are_written_as_isoformat_writes_them() -> None:
    renderer = output.DecisionRenderer("v", "USD")
    odd_offset = dt.timezone(dt.timedelta(hours=5, minutes=45, seconds=30))
    for moment in (dt.datetime(2026, 3, 2, 9, 5), dt.datetime(2026, 3, 2, 9, 5, 7, 120, tzinfo=dt.timezone.utc),
                   dt.datetime(999, 1, 1, 0, 0, 59, tzinfo=odd_offset), dt.datetime(2026, 3, 2, 9, 5, 0, 1)):
        for _ in range(2):  # as written, and as remembered
            assert renderer.moment(moment) == moment.isoformat()
            assert renderer.moment_to_minute(moment) == moment.isoformat(timespec="minutes")


def test_totals_added_one_decision_at_a_time_are_the_batch_totals(tmp_path: Path) -> None:
    for client in CLIENTS:
        _, decisions = batch_decisions(EXAMPLES / client / "agreement.yaml", [EXAMPLES / client / "tickets.csv"])
        running = output.RunningTotals()
        for decision in decisions:
            running.add(decision)
        assert running.totals() == totals_of(decisions)
        # Added up in two places, in pieces, as worker processes do.
        parent, elsewhere = output.RunningTotals(), output.RunningTotals()
        for decision in decisions:
            parent.add_outcome(decision.outcome)
            elsewhere.add(decision)
            if decision.ticket.id.endswith("5"):
                parent.merge(*elsewhere.partial())
        parent.merge(*elsewhere.partial())
        assert parent.totals() == totals_of(decisions)


# --- streaming -----------------------------------------------------------------------------------


@pytest.fixture
def again_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The times a run read its input again to decide it as a batch."""
    calls: list[int] = []
    original = classify_command._Intake.again

    def again(self, count: int) -> list:
        calls.append(count)
        return original(self, count)

    monkeypatch.setattr(classify_command._Intake, "again", again)
    return calls


@pytest.mark.parametrize("order", ["in order", "shuffled", "one late"])
@pytest.mark.parametrize("chosen", FORMATS)
def test_tickets_in_any_order_give_the_batch_output(order: str, chosen: str, tmp_path: Path, again_calls: list[int]) -> None:
    rows = in_orders(year(240))[order]
    tickets = write_csv(rows, tmp_path / "tickets.csv")
    program, decisions = batch_decisions(BENCH, [tickets])
    assert sum(decision.deciding_rule is not None and decision.deciding_rule.rule_id == "second_move" for decision in decisions) >= 10
    result = CliRunner(env={"COLUMNS": "100"}).invoke(main, ["classify", str(BENCH), str(tickets), "--no-ledger", "--format", chosen],
                                                      catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == reference_text(program, decisions, chosen)
    # In order, each ticket is decided as it comes; otherwise the run starts again as a batch,
    # once, from the first ticket out of order (the late one comes last).
    assert len(again_calls) == (0 if order == "in order" else 1)
    if order == "one late":
        assert again_calls == [len(rows) - 1]


@pytest.mark.parametrize("order", ["in order", "one late"])
def test_standard_input_and_a_period_give_the_batch_output(order: str, tmp_path: Path) -> None:
    rows = in_orders(year(200, seed=8))[order]
    tickets = write_csv(rows, tmp_path / "tickets.csv")
    program, decisions = batch_decisions(BENCH, [tickets])
    period = Period(dt.date(2026, 5, 1), dt.date(2026, 9, 30))
    for chosen in ("json", "csv"):
        result = run("classify", str(BENCH), "-", "--no-ledger", "--format", chosen, "--from", "2026-05-01", "--to", "2026-09-30",
                     input=tickets.read_text(encoding="utf-8"))
        assert result.exit_code == 0, result.stderr
        assert result.stdout == reference_text(program, decisions, chosen, period)


def test_a_ticket_given_twice_is_reported_once_and_decided_once(tmp_path: Path) -> None:
    rows = year(60)
    first = write_csv(rows[:40], tmp_path / "first.csv")
    second = write_csv(rows[30:], tmp_path / "second.csv")
    result = run("classify", str(BENCH), str(first), str(second), "--no-ledger", "--format", "jsonl")
    assert result.exit_code == 1
    assert [json.loads(line)["ticket"] for line in result.stdout.splitlines()] == [row["id"] for row in rows]
    assert result.stderr.count("ticket.duplicate-id") == 10


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_pipe_named_as_a_file_is_read_again_from_its_copy(tmp_path: Path) -> None:
    rows = in_orders(year(120, seed=9))["one late"]
    tickets = write_csv(rows, tmp_path / "tickets.csv")
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    writer = threading.Thread(target=lambda: pipe.write_bytes(tickets.read_bytes()))
    writer.start()
    result = run("classify", str(BENCH), str(pipe), "--no-ledger", "--format", "csv")
    writer.join()
    assert result.exit_code == 0, result.stderr
    program, decisions = batch_decisions(BENCH, [tickets])
    assert result.stdout == reference_text(program, decisions, "csv")


@pytest.fixture
def independent(tmp_path: Path) -> Path:
    """An agreement whose rules never look at another ticket: any order, any cut, will do."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "simple.scope").write_text(
        'rule long "Long work is a project"\n  when ticket.estimate > 4h\n  then project\n  because "it takes {ticket.estimate}"\n\n'
        'rule covered "Covered"\n  priority -100\n  when true\n  then in_plan\n  because "support is covered"\n'
    )
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(BENCH.read_text().replace("./rules/bench.scope", "./rules/simple.scope"))
    assert not engine.load(agreement).program.depends_on_history
    return agreement


def test_standard_input_that_is_not_utf8_is_reported_at_its_line_and_the_rest_decided(independent: Path) -> None:
    # Longer than what standard input decodes at a time, so that some of it is read before the
    # bad bytes are.
    head = "id,opened_at,requester,category\n" + "".join(f"U-{n:04d},2026-03-02T10:00,dana@client.example,move\n" for n in range(1000))
    data = head.encode() + b"U-9999,2026-03-09T10:00,\xff\xfe,move\n"
    decided = []
    for agreement in (independent, BENCH):  # read as it comes, and copied to be read again
        result = run("classify", str(agreement), "-", "--no-ledger", "--format", "jsonl", input=data)
        assert result.exit_code == 1
        assert "'<stdin>' is not UTF-8 text" in result.stderr and "Traceback" not in result.stderr
        decided.append([json.loads(line)["ticket"] for line in result.stdout.splitlines()])
    assert decided[0] == decided[1] and decided[0][:2] == ["U-0000", "U-0001"]


# --- the ledger ---------------------------------------------------------------------------------


def ledger_rows(path: Path) -> list[tuple]:
    ledger = open_ledger(path, writable=False)
    with ledger.session() as session:
        found = [_row(entry)[:-1] for entry in session.entries("bench-client")]  # all but when it was decided
        revisions = session.revisions("bench-client")
    ledger.close()
    return found, {ticket: [(revision.why, _row(revision.entry)[:-1]) for revision in kept] for ticket, kept in revisions.items()}


def test_a_row_made_from_a_decision_is_the_row_of_its_entry() -> None:
    now = dt.datetime(2026, 11, 21, 12, tzinfo=dt.timezone.utc)
    for client in CLIENTS:
        program, decisions = batch_decisions(EXAMPLES / client / "agreement.yaml", [EXAMPLES / client / "tickets.json"])
        agreement = program.agreement
        names = (client_key(agreement), agreement.currency, program.version, agreement_version(agreement))
        rows = EntryRows(*names, now)
        for decision in decisions:
            assert rows.row(decision) == _row(entry_of(decision, names[0], names[1], names[2], names[3], now))


def test_a_ticket_as_json_is_the_general_encoders_text() -> None:
    from scopecheck.ledger import records

    def reference(ticket: Ticket) -> str:
        fields = {name: records._encode(value) for name, value in zip(Ticket._fields, ticket) if value not in (None, (), {})}
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))

    for client in CLIENTS:
        for ticket in read_tickets(str(EXAMPLES / client / "tickets.json")):
            assert ticket_json(ticket) == reference(ticket)
    odd = Ticket('S-"1"\\ é', dt.datetime(2026, 1, 1), summary="", emergency=True, estimate=dt.timedelta(minutes=3),
                 custom={"a\"b": "x", "n": 1, "ü": "ö"})
    assert ticket_json(odd) == reference(odd)


@pytest.mark.parametrize("order", ["in order", "one late"])
def test_a_run_recorded_as_it_comes_leaves_the_ledger_one_batch_leaves(order: str, tmp_path: Path, again_calls: list[int]) -> None:
    rows = in_orders(year(240, seed=11))[order]
    streamed = tmp_path / "streamed.sqlite3"
    first, second = write_csv(rows[:120], tmp_path / "first.csv"), write_csv(rows[120:], tmp_path / "second.csv")
    for part in (first, second):
        result = run("classify", str(BENCH), str(part), "--ledger", str(streamed), "--format", "jsonl")
        assert result.exit_code == 0, result.stderr
        assert "120 new, 0 changed, 0 unchanged" in result.stderr
    # The second run's tickets all start after the first's: it too is recorded as it comes,
    # but for the late one, which sends it back to the start of its file, as a batch.
    assert again_calls == ([] if order == "in order" else [119])
    program = engine.load(BENCH).program
    batch = tmp_path / "batch.sqlite3"
    ledger = open_ledger(batch)
    with ledger.session() as session:
        tickets = [program.prepare(item) for path in (first, second) for item in read_tickets(str(path))]
        decide_and_record(program, tickets, session)
    ledger.close()
    assert ledger_rows(streamed) == ledger_rows(batch)


def test_a_late_ticket_after_a_streamed_run_decides_the_later_entries_again(tmp_path: Path) -> None:
    rows = year(200, seed=3)
    moves = [row for row in rows if row["category"] == "move"]
    ledger = tmp_path / "ledger.sqlite3"
    run("classify", str(BENCH), str(write_csv([row for row in rows if row is not moves[0]], tmp_path / "a.csv")), "--ledger", str(ledger))
    late = run("classify", str(BENCH), str(write_csv([moves[0]], tmp_path / "b.csv")), "--ledger", str(ledger), "--format", "jsonl")
    assert "1 new, 0 changed, 0 unchanged" in late.stderr and "decided again" in late.stderr
    reference = tmp_path / "reference.sqlite3"
    run("classify", str(BENCH), str(write_csv(rows, tmp_path / "all.csv")), "--ledger", str(reference))
    # The same decisions; those decided twice are at their second revision.
    assert [row[:2] + row[3:] for row in ledger_rows(ledger)[0]] == [row[:2] + row[3:] for row in ledger_rows(reference)[0]]


def test_a_recorder_that_gives_up_takes_back_what_it_wrote(tmp_path: Path) -> None:
    program = engine.load(BENCH).program
    tickets = [program.prepare(item) for item in read_tickets(str(write_csv(year(80), tmp_path / "t.csv")))]
    ledger = open_ledger(tmp_path / "ledger.sqlite3")
    with ledger.session() as session:
        recorder = StreamingRecorder(program, session)
        recorder.ROWS_PER_WRITE = 10  # written as it goes, not only at the end
        assert all(recorder.decide(ticket) is not None for ticket in tickets[40:])
        assert recorder.decide(tickets[0]) is None  # work that started before the last one decided
        recorder.abandon()
        assert session.entries("bench-client") == []
        decide_and_record(program, tickets, session)
    ledger.close()
    assert len(ledger_rows(tmp_path / "ledger.sqlite3")[0]) == 80


# --- several processes ---------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["in order", "shuffled"])
def test_two_jobs_write_what_one_writes(order: str, tmp_path: Path) -> None:
    rows = in_orders(year(300, seed=21))[order]
    tickets = write_csv(rows, tmp_path / "tickets.csv")
    for chosen in ("jsonl", "table") if order == "in order" else ("json",):
        one = CliRunner(env={"COLUMNS": "100"}).invoke(main, ["classify", str(BENCH), str(tickets), "--no-ledger", "--format", chosen])
        two = CliRunner(env={"COLUMNS": "100"}).invoke(main, ["classify", str(BENCH), str(tickets), "--no-ledger", "--format", chosen,
                                                              "--jobs", "2"])
        assert one.exit_code == two.exit_code == 0, two.stderr
        assert two.stdout == one.stdout
        assert two.stderr == one.stderr == ""


def test_two_jobs_record_what_one_records(tmp_path: Path) -> None:
    rows = year(300, seed=22)
    tickets = write_csv(rows, tmp_path / "tickets.csv")
    outputs = []
    for jobs in ("1", "2"):
        ledger = tmp_path / f"ledger-{jobs}.sqlite3"
        result = run("classify", str(BENCH), str(tickets), "--ledger", str(ledger), "--format", "csv", "--period", "2026-07", "--jobs", jobs)
        assert result.exit_code == 0, result.stderr
        outputs.append((result.stdout, result.stderr.replace(str(ledger), "LEDGER"), ledger_rows(ledger)))
    assert outputs[0] == outputs[1]


def test_two_jobs_on_tickets_that_do_not_depend_on_each_other(independent: Path, tmp_path: Path) -> None:
    tickets = write_csv(in_orders(year(150, seed=4))["shuffled"], tmp_path / "tickets.csv")
    one = run("classify", str(independent), str(tickets), "--no-ledger", "--format", "csv")
    two = run("classify", str(independent), str(tickets), "--no-ledger", "--format", "csv", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert two.stdout == one.stdout


def test_jobs_on_an_agreement_whose_tickets_cannot_be_cut_say_so_once_and_decide_alike() -> None:
    tickets = str(EXAMPLES / "harbor-vale" / "tickets.csv")
    one = run("classify", str(HARBOR_VALE), tickets, "--no-ledger", "--format", "jsonl")
    two = run("classify", str(HARBOR_VALE), tickets, "--no-ledger", "--format", "jsonl", "--jobs", "2")
    assert two.stdout == one.stdout
    [note] = two.stderr.splitlines()
    assert note.startswith("note: --jobs 2:") and "one process" in note
    assert run("classify", str(HARBOR_VALE), tickets, "--no-ledger", "--jobs", "0").exit_code == 0


@pytest.mark.parametrize(("given", "said"), [("abc", "'abc' is not a valid whole number"), ("-1", "-1 is not in the range x>=0")])
def test_a_wrong_number_of_jobs_is_refused_in_words(given: str, said: str, tmp_path: Path) -> None:
    tickets = write_csv(year(2), tmp_path / "tickets.csv")
    result = run("classify", str(BENCH), str(tickets), "--no-ledger", "--jobs", given)
    assert result.exit_code == 2
    assert said in result.output and "Traceback" not in result.output
