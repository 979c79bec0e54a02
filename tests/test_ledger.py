"""The ledger as its users meet it: history across runs, idempotent updates, versions kept."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from scopecheck import engine
from scopecheck.cli import main
from scopecheck.evaluate.program import decision_order
from scopecheck.ledger import LedgerError, open_ledger
from scopecheck.ledger import sqlite as ledger_sqlite
from scopecheck.ledger.records import Entry, ticket_from_json, ticket_json
from scopecheck.ledger.recording import decide_and_record
from scopecheck.tickets.read import read_tickets

from .conftest import EXAMPLES
from .year_of_tickets import write_jsonl, year_of_tickets

HARBOR_VALE = str(EXAMPLES / "harbor-vale" / "agreement.yaml")
CLIENT = "harbor-vale"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def tickets_file(tmp_path: Path, *tickets: dict, name: str = "tickets.jsonl") -> str:
    return str(write_jsonl(list(tickets), tmp_path / name))


def move(ticket_id: str, day: str, requester: str = "dana@harborvale.example", **more) -> dict:
    return {"id": ticket_id, "opened_at": f"{day}T10:00", "requester": requester, "category": "move",
            "summary": "move a desk", "estimate": "1h", **more}


def entries(path: Path, client: str = CLIENT) -> list[Entry]:
    ledger = open_ledger(path, writable=False)
    assert ledger is not None
    with ledger.session() as session:
        found = session.entries(client)
    ledger.close()
    return found


def outcomes(path: Path) -> dict[str, tuple[str, str | None]]:
    return {entry.ticket_id: (entry.outcome, entry.deciding_rule) for entry in entries(path)}


def test_history_spans_runs_a_second_move_in_a_later_run_is_billable(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    first = run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-02-02"), name="a.jsonl"), "--format", "json")
    assert first.exit_code == 0
    second = run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-2", "2026-03-02"), name="b.jsonl"), "--format", "json")
    decision = json.loads(second.stdout)["decisions"][0]
    assert (decision["outcome"], decision["deciding_rule"]) == ("billable", "extra_move")
    assert outcomes(ledger_in_test_folder) == {"M-1": ("in_plan", "day_to_day_support"), "M-2": ("billable", "extra_move")}


def test_classifying_the_same_batch_again_writes_nothing(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    batch = tickets_file(tmp_path, move("M-1", "2026-02-02"), move("M-2", "2026-03-02"))
    run("classify", HARBOR_VALE, batch, "--format", "json")
    before = entries(ledger_in_test_folder)
    again = run("classify", HARBOR_VALE, batch, "--format", "json")
    assert "0 new, 0 changed, 2 unchanged" in again.stderr
    assert entries(ledger_in_test_folder) == before


def test_a_changed_ticket_is_decided_again_and_its_old_decision_kept(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-02-02")), "--format", "json")
    longer = run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-02-02", estimate="6h"), name="b.jsonl"),
                 "--format", "json")
    assert "0 new, 1 changed" in longer.stderr
    (entry,) = entries(ledger_in_test_folder)
    assert (entry.outcome, entry.deciding_rule, entry.revision) == ("project", "over_project_threshold", 2)
    shown = run("history", HARBOR_VALE, "--ticket", "M-1", "--format", "json")
    (record,) = json.loads(shown.stdout)["entries"]
    (earlier,) = record["earlier_versions"]
    assert earlier["outcome"] == "in_plan" and earlier["why"] == "the ticket changed: estimate"


def test_a_late_ticket_decides_the_later_entries_again(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-2", "2026-03-02"), move("M-3", "2026-04-01")), "--format", "json")
    assert outcomes(ledger_in_test_folder)["M-2"] == ("in_plan", "day_to_day_support")
    late = run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-01-12"), name="late.jsonl"), "--format", "json")
    assert "M-2: in plan by day_to_day_support, $0.00 -> billable by extra_move, $135.00" in late.stderr
    assert "M-3: billable by extra_move, $135.00, its reason restated" in late.stderr
    assert outcomes(ledger_in_test_folder) == {
        "M-1": ("in_plan", "day_to_day_support"),
        "M-2": ("billable", "extra_move"),
        "M-3": ("billable", "extra_move"),
    }


def test_moving_a_ticket_later_gives_its_allowance_back_to_the_tickets_it_passes(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-01-12"), move("M-2", "2026-03-02")), "--format", "json")
    run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-05-04"), name="moved.jsonl"), "--format", "json")
    assert outcomes(ledger_in_test_folder) == {"M-2": ("in_plan", "day_to_day_support"), "M-1": ("billable", "extra_move")}


YEARS = {
    # One move a year per user among 12 people: allowances spent and counted.
    "moves": ("harbor-vale", lambda: year_of_tickets(150)),
    # Prepaid blocks drawn down, run out, and bought again.
    "prepaid blocks": ("cobalt-dental", None),
    # 30 people on a 25-user flat rate, across the turn of a contract year (1 April).
    "ceilings": ("riverside", lambda: year_of_tickets(150, seed=3, requesters=30)),
}


@pytest.mark.parametrize("year", YEARS)
def test_a_year_ticket_by_ticket_gives_the_same_ledger_as_one_batch(year: str, tmp_path: Path) -> None:
    client, generate = YEARS[year]
    program = engine.load(EXAMPLES / client / "agreement.yaml").program
    source = write_jsonl(generate(), tmp_path / "year.jsonl") if generate else EXAMPLES / client / "tickets.csv"
    tickets = [program.prepare(ticket) for ticket in read_tickets(str(source))]
    random.Random(1).shuffle(tickets)

    def record(path: Path, batches: list[list]) -> list[Entry]:
        ledger = open_ledger(path)
        for batch in batches:
            with ledger.session() as session:
                decide_and_record(program, batch, session)
        ledger.close()
        return entries(path, client)

    in_one_batch = record(tmp_path / "batch.sqlite3", [tickets])
    arriving_shuffled = record(tmp_path / "shuffled.sqlite3", [[ticket] for ticket in tickets])
    in_time_order = record(tmp_path / "ordered.sqlite3", [[ticket] for ticket in sorted(tickets, key=decision_order)])
    telling = {"moves": "extra_move", "prepaid blocks": "prepaid_hours", "ceilings": "over_user_ceiling"}[year]
    assert sum(telling in (entry.deciding_rule, *(line["rule"] for line in entry.charges)) for entry in in_one_batch) >= 2
    assert len(in_one_batch) == len(arriving_shuffled) == len(in_time_order) == len(tickets)
    for batch_entry, shuffled_entry, ordered_entry in zip(in_one_batch, arriving_shuffled, in_time_order):
        assert batch_entry.same_decision(shuffled_entry), batch_entry.ticket_id
        assert batch_entry.same_decision(ordered_entry), batch_entry.ticket_id
        assert ordered_entry.revision == 1  # in time order nothing is ever decided twice


def test_a_ticket_reads_back_from_the_ledger_as_it_was_recorded() -> None:
    program = engine.load(HARBOR_VALE).program
    for ticket in read_tickets(str(EXAMPLES / "harbor-vale" / "tickets.json")):
        prepared = program.prepare(ticket)
        text = ticket_json(prepared)
        assert ticket_json(ticket_from_json(text)) == text
        # Read back, times carry fixed offsets; made local again, they are the zone's.
        assert program.prepare(ticket_from_json(text)) == prepared


def test_tickets_seconds_apart_keep_their_order_across_runs(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    later = move("M-A", "2026-02-02", opened_at="2026-02-02T10:00:30")
    earlier = move("M-B", "2026-02-02", opened_at="2026-02-02T10:00:10")
    run("classify", HARBOR_VALE, tickets_file(tmp_path, later, name="a.jsonl"), "--format", "json")
    run("classify", HARBOR_VALE, tickets_file(tmp_path, earlier, name="b.jsonl"), "--format", "json")
    assert outcomes(ledger_in_test_folder) == {"M-B": ("in_plan", "day_to_day_support"), "M-A": ("billable", "extra_move")}
    again = run("classify", HARBOR_VALE, tickets_file(tmp_path, earlier, name="b.jsonl"), "--format", "json")
    assert "0 new, 0 changed, 1 unchanged" in again.stderr


def test_after_the_agreement_changes_older_entries_are_decided_under_the_new_terms(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    client = tmp_path / "client"
    client.mkdir()
    for name in ("agreement.yaml", "harbor-vale.scope"):
        (client / name).write_text((EXAMPLES / "harbor-vale" / name).read_text())
    agreement = str(client / "agreement.yaml")
    run("classify", agreement, tickets_file(tmp_path, move("M-1", "2026-01-12"), move("M-2", "2026-03-02")), "--format", "json")
    assert outcomes(ledger_in_test_folder)["M-2"] == ("billable", "extra_move")
    text = (client / "agreement.yaml").read_text()
    (client / "agreement.yaml").write_text(text.replace("materials_markup: 10%", "materials_markup: 10%\n  moves_per_year: 2"))
    result = run("classify", agreement, tickets_file(tmp_path, move("M-3", "2026-09-01", requester="eli@harborvale.example"),
                                                     name="later.jsonl"), "--format", "json")
    assert "M-2: billable by extra_move, $135.00 -> in plan by day_to_day_support, $0.00 (the agreement changed)" in result.stderr
    by_id = {entry.ticket_id: entry for entry in entries(ledger_in_test_folder)}
    assert by_id["M-2"].outcome == "in_plan" and by_id["M-2"].revision == 2
    # M-1 comes out the same under the new terms: restated, with no earlier version to keep.
    assert by_id["M-1"].revision == 1 and by_id["M-1"].agreement_version == by_id["M-2"].agreement_version


def test_a_ticket_id_given_in_two_files_is_reported_and_the_first_kept(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    first = tickets_file(tmp_path, move("M-1", "2026-02-02"), name="a.jsonl")
    second = tickets_file(tmp_path, move("M-1", "2026-02-02", estimate="9h"), name="b.jsonl")
    result = run("classify", HARBOR_VALE, first, second, "--format", "json")
    assert result.exit_code == 1
    assert f"error[ticket.duplicate-id]: ticket 'M-1' in '{second}' is already in '{first}'" in result.stderr
    assert outcomes(ledger_in_test_folder) == {"M-1": ("in_plan", "day_to_day_support")}


# --- where the ledger is, and what it refuses -------------------------------------------------


def test_the_default_ledger_is_the_one_scopecheck_ledger_names(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-02-02")), "--format", "json")
    assert ledger_in_test_folder.exists()
    chosen = tmp_path / "team" / "ledger.sqlite3"
    run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-02-02")), "--format", "json", "--ledger", str(chosen))
    assert list(outcomes(chosen)) == ["M-1"]


def test_dry_run_and_no_ledger_write_nothing(tmp_path: Path, ledger_in_test_folder: Path) -> None:
    batch = tickets_file(tmp_path, move("M-1", "2026-02-02"))
    for flag in ("--dry-run", "--no-ledger"):
        result = run("classify", HARBOR_VALE, batch, "--format", "json", flag)
        assert result.exit_code == 0
        assert not ledger_in_test_folder.exists()
    run("classify", HARBOR_VALE, batch, "--format", "json")
    second = tickets_file(tmp_path, move("M-2", "2026-03-02"), name="b.jsonl")
    dry = run("classify", HARBOR_VALE, second, "--format", "json", "--dry-run")
    assert json.loads(dry.stdout)["decisions"][0]["outcome"] == "billable"  # the ledger's history still counts
    assert "nothing recorded" in dry.stderr
    alone = run("classify", HARBOR_VALE, second, "--format", "json", "--no-ledger")
    assert json.loads(alone.stdout)["decisions"][0]["outcome"] == "in_plan"
    assert list(outcomes(ledger_in_test_folder)) == ["M-1"]


def test_a_file_that_is_not_a_ledger_is_refused_and_left_alone(tmp_path: Path) -> None:
    not_a_ledger = tmp_path / "tickets.csv"
    not_a_ledger.write_text("id,opened_at\nT-1,2026-01-05T09:00\n")
    result = run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-02-02")), "--ledger", str(not_a_ledger))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: ledger '{not_a_ledger}': file is not a database"
    assert not_a_ledger.read_text() == "id,opened_at\nT-1,2026-01-05T09:00\n"
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(LedgerError, match="not a scopecheck ledger"):
        open_ledger(other)


def test_a_ledger_path_that_cannot_be_a_file_is_refused_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = tickets_file(tmp_path, move("M-1", "2026-02-02"))
    monkeypatch.setenv("SCOPECHECK_LEDGER", str(tmp_path))
    folder = run("classify", HARBOR_VALE, batch)
    assert folder.exit_code == 2 and f"error: ledger '{tmp_path}' is a folder; name a file" in folder.stderr
    under_a_file = run("classify", HARBOR_VALE, batch, "--ledger", f"{batch}/ledger.sqlite3")
    assert under_a_file.exit_code == 2 and "cannot create its folder, as part of that path is a file" in under_a_file.stderr


def test_an_empty_ledger_file_reads_as_no_entries(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = run("history", HARBOR_VALE, "--ledger", str(empty), "--format", "table")
    assert result.exit_code == 0 and result.stdout.strip() == "no entries for 'harbor-vale' yet"


def test_a_ledger_from_a_newer_scopecheck_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    open_ledger(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE scopecheck_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(LedgerError, match="version 99, newer than this scopecheck reads"):
        open_ledger(path)


def test_opening_an_older_ledger_migrates_it_forward_and_keeps_its_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ledger.sqlite3"
    run("classify", HARBOR_VALE, tickets_file(tmp_path, move("M-1", "2026-02-02")), "--ledger", str(path), "--format", "json")
    before = entries(path)
    later = (*ledger_sqlite.MIGRATIONS, ("ALTER TABLE entries ADD COLUMN invoice TEXT",))
    monkeypatch.setattr(ledger_sqlite, "MIGRATIONS", later)
    monkeypatch.setattr(ledger_sqlite, "SCHEMA_VERSION", len(later))
    migrated = open_ledger(path)
    assert migrated.schema_version == len(later)
    migrated.close()
    with sqlite3.connect(path) as connection:
        assert "invoice" in {row[1] for row in connection.execute("PRAGMA table_info(entries)")}
    assert entries(path) == before


# --- the history command ----------------------------------------------------------------------


@pytest.fixture
def recorded_examples(ledger_in_test_folder: Path) -> Path:
    result = run("classify", HARBOR_VALE, str(EXAMPLES / "harbor-vale" / "tickets.csv"), "--format", "json")
    assert result.exit_code == 0
    return ledger_in_test_folder


def test_history_filters_by_requester_rule_outcome_and_period(recorded_examples: Path) -> None:
    def tickets(*flags: str) -> list[str]:
        result = run("history", HARBOR_VALE, "--format", "json", *flags)
        assert result.exit_code == 0, result.output
        return [entry["ticket"] for entry in json.loads(result.stdout)["entries"]]

    everything = tickets()
    assert len(everything) == 38
    by_alvarez = tickets("--requester", "J.Alvarez@HarborVale.example")
    assert by_alvarez and set(by_alvarez) < set(everything)
    moves = tickets("--rule", "extra_move")
    assert moves and all(entry.deciding_rule == "extra_move" for entry in entries(recorded_examples) if entry.ticket_id in moves)
    projects = tickets("--outcome", "project")
    assert projects and not set(projects) & set(moves)
    november = tickets("--period", "2026-11")
    assert november and all(entry.work_start.month == 11 for entry in entries(recorded_examples) if entry.ticket_id in november)
    assert tickets("--from", "2026-11-01", "--to", "2026-11-30") == november


def test_history_exports_csv_with_one_row_per_entry(recorded_examples: Path) -> None:
    result = run("history", HARBOR_VALE, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 38
    assert {"ticket", "work_start", "requester", "outcome", "deciding_rule", "total", "rules_version", "decided_at"} <= set(rows[0])
    first = rows[0]
    assert first["ticket"] == "HV-1001" and first["outcome"] == "in_plan" and first["total"] == "0.00"


def test_history_with_no_ledger_yet_says_so(tmp_path: Path) -> None:
    result = run("history", HARBOR_VALE, "--format", "table")
    assert result.exit_code == 0
    assert result.stdout.strip() == "no entries for 'harbor-vale' yet"


# --- the history the shipped examples show ----------------------------------------------------


def example_decisions(client: str) -> dict[str, dict]:
    agreement = str(EXAMPLES / client / "agreement.yaml")
    result = run("classify", agreement, str(EXAMPLES / client / "tickets.csv"), "--format", "json")
    assert result.exit_code == 0, result.output
    return {decision["ticket"]: decision for decision in json.loads(result.stdout)["decisions"]}


def test_examples_show_moves_counted_per_user_per_contract_year() -> None:
    harbor_vale = example_decisions("harbor-vale")
    # j.alvarez moved in February, so the June move is billable.
    assert harbor_vale["HV-1010"]["outcome"] == "in_plan"
    assert (harbor_vale["HV-1011"]["outcome"], harbor_vale["HV-1011"]["deciding_rule"]) == ("billable", "extra_move")
    # Moving the whole office is a project and spends nobody's allowance.
    assert (harbor_vale["HV-1012"]["outcome"], harbor_vale["HV-1012"]["deciding_rule"]) == ("project", "office_relocation")
    riverside = example_decisions("riverside")
    # Two moves a year are included: Maria's third in the contract year from April 2025 is
    # billed, and her move in May 2026, in the next contract year, is covered again.
    assert [riverside[ticket]["outcome"] for ticket in ("RV-2005", "RV-2006", "RV-2007", "RV-2008")] == \
        ["in_plan", "in_plan", "billable", "in_plan"]


def test_example_shows_a_prepaid_block_running_out_mid_ticket() -> None:
    cobalt = example_decisions("cobalt-dental")
    split = cobalt["CD-3019"]
    assert split["outcome"] == "in_plan"
    assert [(line["kind"], line.get("block"), line["minutes"], line["amount"]) for line in split["charges"]] == [
        ("prepaid", "B-2026-01", 180, "0.00"),
        ("labour", None, 60, "100.00"),
    ]
    # Before the next block is bought nothing is left, so in-plan work is billed.
    assert (cobalt["CD-3020"]["outcome"], cobalt["CD-3020"]["deciding_rule"]) == ("billable", "prepaid_hours")
    assert cobalt["CD-3021"]["charges"][0]["block"] == "B-2026-08"


def test_example_sends_an_unlisted_device_to_review() -> None:
    unlisted = example_decisions("cobalt-dental")["CD-3018"]
    assert (unlisted["outcome"], unlisted["deciding_rule"]) == ("review", "uncovered_device")
    assert "'CAM-03' is not among the 7 devices the agreement lists" in unlisted["reason"]


def test_balance_reports_blocks_and_warns_when_low(ledger_in_test_folder: Path) -> None:
    agreement = str(EXAMPLES / "cobalt-dental" / "agreement.yaml")
    classified = run("classify", agreement, str(EXAMPLES / "cobalt-dental" / "tickets.csv"), "--format", "json")
    # As the last draw (Thanksgiving) left the blocks, whatever day the test runs on.
    assert "warning: 'Cobalt Dental Group' has 1h45m of prepaid hours left on 2026-11-26" in classified.stderr
    result = run("balance", agreement, "--as-of", "2026-11-30", "--format", "json")
    report = json.loads(result.stdout)
    assert [(block["id"], block["used_minutes"], block["left_minutes"]) for block in report["blocks"]] == [
        ("B-2026-01", 1200, 0),
        ("B-2026-08", 495, 105),
    ]
    assert report["low"] is True and report["forecast"]["runs_out"]
    assert run("balance", agreement, "--as-of", "2026-11-30", "--fail-when-low").exit_code == 1
    table = run("balance", agreement, "--as-of", "2026-03-01").stdout
    assert "warning" not in table and "B-2026-08" in table


def test_balance_refuses_a_plan_without_prepaid_hours() -> None:
    result = CliRunner().invoke(main, ["balance", HARBOR_VALE])
    assert result.exit_code == 2
    assert "is a per_device plan; prepaid hours belong to block_hours plans" in result.output


def test_a_mistyped_ledger_path_is_an_error_not_an_empty_ledger(tmp_path: Path) -> None:
    for command in (["history", HARBOR_VALE], ["balance", str(Path(HARBOR_VALE).parent.parent / "cobalt-dental" / "agreement.yaml")]):
        result = run(*command, "--ledger", str(tmp_path / "typo.sqlite3"))
        assert result.exit_code == 2
        assert "does not exist; check the path given to --ledger" in result.stderr
    assert not (tmp_path / "typo.sqlite3").exists()


def test_the_same_requester_however_the_name_is_spaced(tmp_path: Path) -> None:
    """Moves count per person as the coverage ceilings do: 'Dana  Wu' is 'dana wu'."""
    tickets = tmp_path / "moves.csv"
    tickets.write_text("id,opened_at,requester,category,summary,estimate\n"
                       "M1,2026-03-02T09:00,Dana Wu,move,move desk,1h\n"
                       "M2,2026-04-02T09:00,Dana  Wu,move,move desk,1h\n")
    result = run("classify", HARBOR_VALE, str(tickets), "--format", "json", "--no-ledger")
    decisions = {d["ticket"]: d for d in json.loads(result.stdout)["decisions"]}
    assert decisions["M2"]["deciding_rule"] == "extra_move"
