"""The command line as its users meet it: technicians classifying tickets, CI reading exit codes."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from scopecheck.cli import main
from scopecheck.resources import standard_library
from scopecheck.syntax.parser import parse_rule_file

from .conftest import EXAMPLES, REPO

CLIENTS = ("harbor-vale", "riverside", "cobalt-dental")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def classify_json(client: str, tickets: str) -> list[dict]:
    result = run("classify", str(EXAMPLES / client / "agreement.yaml"), str(EXAMPLES / client / tickets), "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["decisions"]


@pytest.mark.parametrize("client", CLIENTS)
def test_every_example_ticket_gets_its_reviewed_outcome(client: str) -> None:
    expected = yaml.safe_load((Path(__file__).parent / "cases" / "examples" / f"{client}.yaml").read_text())
    decisions = classify_json(client, "tickets.csv")
    assert len(decisions) >= 30
    assert {d["ticket"]: [d["outcome"], d["deciding_rule"]] for d in decisions} == expected


@pytest.mark.parametrize("client", CLIENTS)
def test_csv_and_json_tickets_decide_the_same(client: str) -> None:
    assert classify_json(client, "tickets.csv") == classify_json(client, "tickets.json")


def test_every_standard_rule_fires_on_some_example_ticket() -> None:
    standard = parse_rule_file(standard_library()["standard"].read_text(), "standard.scope")
    fired = {rule["rule"] for client in CLIENTS for d in classify_json(client, "tickets.csv") for rule in d["fired"]}
    assert {rule.id for rule in standard.rules} <= fired


def test_every_client_rule_fires_on_some_example_ticket() -> None:
    for client in CLIENTS:
        own = parse_rule_file((EXAMPLES / client / f"{client}.scope").read_text(), f"{client}.scope")
        fired = {rule["rule"] for d in classify_json(client, "tickets.csv") for rule in d["fired"]}
        assert {rule.id for rule in own.rules} <= fired, client


def test_decisions_explain_themselves_in_words() -> None:
    decisions = {d["ticket"]: d for d in classify_json("harbor-vale", "tickets.csv")}
    long_job = decisions["HV-1004"]
    assert long_job["reason"].startswith("the work is expected to take 12h, more than the 4h the plan covers")
    parts = decisions["HV-1015"]
    assert parts["outcome"] == "in_plan"
    assert parts["charges"] == [
        {"kind": "covered", "rule": "day_to_day_support", "amount": "0.00", "minutes": 60},
        {"kind": "materials", "rule": "materials_on_top", "amount": "132.00", "cost": "120.00", "markup": "0.1"},
    ]
    assert parts["total"] == "132.00"
    second_move = decisions["HV-1011"]
    assert "already had 1 move(s) this contract year and the plan includes 1" in second_move["reason"]


def test_table_is_readable_and_ends_with_a_summary() -> None:
    result = run("classify", str(EXAMPLES / "riverside" / "agreement.yaml"), str(EXAMPLES / "riverside" / "tickets.json"), "--format", "table")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TICKET", "OUTCOME", "RULE", "WHY"]
    assert any(line.startswith("RV-2002  BILLABLE  volunteer_devices") for line in lines)
    assert lines[-1] == "35 tickets classified: 20 in plan, 9 billable, 6 project"


def test_piped_output_defaults_to_json_lines() -> None:
    result = run("classify", str(EXAMPLES / "harbor-vale" / "agreement.yaml"), str(EXAMPLES / "harbor-vale" / "tickets.csv"))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 38 and records[0]["ticket"] == "HV-1001"


def test_csv_output_has_one_row_per_ticket() -> None:
    result = run("classify", str(EXAMPLES / "harbor-vale" / "agreement.yaml"), str(EXAMPLES / "harbor-vale" / "tickets.csv"), "--format", "csv")
    rows = result.stdout.splitlines()
    assert rows[0].startswith("ticket,outcome,deciding_rule,reason")
    assert len(rows) == 39


def test_tickets_from_standard_input() -> None:
    ticket = {"id": "T-1", "opened_at": "2026-05-01T10:00", "category": "add_device", "summary": "New PC"}
    result = run("classify", str(EXAMPLES / "harbor-vale" / "agreement.yaml"), "-", input=json.dumps(ticket) + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["deciding_rule"] == "adding_machines"


def test_an_export_classifies_through_its_mapping() -> None:
    result = run(
        "classify", str(EXAMPLES / "harbor-vale" / "agreement.yaml"),
        str(EXAMPLES / "mappings" / "connectwise-style-export.csv"),
        "--mapping", str(EXAMPLES / "mappings" / "connectwise-style.yaml"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    outcomes = {json.loads(line)["outcome"] for line in result.stdout.splitlines()}
    assert {"in_plan", "project"} <= outcomes


def test_a_bad_ticket_is_reported_and_the_rest_are_classified(tmp_path: Path) -> None:
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "id,opened_at,summary,estimated_hours\n"
        "T-1,2026-05-01T10:00,Password reset,0.25\n"
        "T-2,2026-05-01T11:00,Printer jam,three\n"
        ",2026-05-01T12:00,No id,1\n"
        "T-4,2026-05-01T13:00,Migrate server,9\n"
    )
    result = CliRunner().invoke(main, ["classify", str(EXAMPLES / "harbor-vale" / "agreement.yaml"), str(tickets)])
    assert result.exit_code == 1
    assert [json.loads(line)["ticket"] for line in result.stdout.splitlines()] == ["T-1", "T-4"]
    errors = result.stderr.splitlines()
    assert any(":3:" in line and "T-2" in line and "estimated_hours" in line for line in errors), result.stderr
    assert any(":4:" in line and "id" in line for line in errors), result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_agreement_stops_with_exit_2_and_a_positioned_message(tmp_path: Path) -> None:
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text((EXAMPLES / "riverside" / "agreement.yaml").read_text().replace("rules:", "ruels:"))
    result = CliRunner().invoke(main, ["classify", str(agreement), str(EXAMPLES / "riverside" / "tickets.csv")])
    assert result.exit_code == 2
    assert f"{agreement}:" in result.stderr and "error[agreement.unknown-key]" in result.stderr
    assert "did you mean 'rules'?" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_broken_client_rule_file_stops_with_exit_2(tmp_path: Path) -> None:
    for name in ("agreement.yaml", "riverside.scope"):
        (tmp_path / name).write_text((EXAMPLES / "riverside" / name).read_text())
    rules = tmp_path / "riverside.scope"
    rules.write_text(rules.read_text().replace("then billable", "thn billable", 1))
    result = CliRunner().invoke(main, ["classify", str(tmp_path / "agreement.yaml"), str(EXAMPLES / "riverside" / "tickets.csv")])
    assert result.exit_code == 2
    assert "riverside.scope:" in result.stderr and "expected 'then' after the condition, found 'thn'" in result.stderr
    assert "help: did you mean 'then'?" in result.stderr


def test_a_missing_agreement_file_is_exit_2() -> None:
    result = CliRunner().invoke(main, ["classify", "no-such-agreement.yaml", str(EXAMPLES / "riverside" / "tickets.csv")])
    assert result.exit_code == 2
    assert "no-such-agreement.yaml" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_output_format_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["classify", str(EXAMPLES / "riverside" / "agreement.yaml"), "--format", "xml"])
    assert result.exit_code == 2


@pytest.mark.parametrize("which", ["agreement", "ticket"])
def test_schemas_are_printed_as_json(which: str) -> None:
    document = json.loads(run("schema", which).stdout)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("command", [[], ["classify"], ["schema"]])
def test_every_command_shows_an_example_in_its_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Example" in result.stdout


def test_python_dash_m_runs_the_same_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scopecheck", "classify", "examples/riverside/agreement.yaml", "examples/riverside/tickets.csv"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 35


def test_a_missing_ticket_file_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["classify", str(EXAMPLES / "riverside" / "agreement.yaml"), "no-such-tickets.csv"])
    assert result.exit_code == 2 and "no-such-tickets.csv" in result.stderr and "does not exist" in result.stderr


# --- business time and money ---------------------------------------------------------------

HARBOR = (str(EXAMPLES / "harbor-vale" / "agreement.yaml"), str(EXAMPLES / "harbor-vale" / "tickets.csv"))


def test_after_hours_work_is_priced_from_the_tickets_own_times() -> None:
    result = run("classify", *HARBOR, "--format", "table", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    # Friday 17:00 for 3 hours, onsite at $165/h: the 2 hours after 18:00 carry the premium.
    assert "HV-1035 IN PLAN day_to_day_support" in text
    assert "+ covered 3h (day_to_day_support)" in text
    assert "+ premium 2h at 1.5x, the extra 0.5 x $165.00/h less 10% = $148.50 (after_hours_premium)" in text
    assert "Totals, 2026-11-01 to 2026-11-30" in text
    assert "total to invoice $1,172.25" in text
    assert result.stdout.splitlines()[-1] == "5 tickets classified: 4 in plan, 1 billable"


def test_json_carries_each_bill_and_the_batch_totals() -> None:
    result = run("classify", *HARBOR, "--format", "json", "--from", "2026-11-10", "--to", "2026-11-10")
    document = json.loads(result.stdout)
    assert document["totals"] == {
        "period": {"from": "2026-11-10", "to": "2026-11-10"},
        "tickets": {"billable": 1},
        "minutes": {"labour": 75},
        "amounts": {"labour": "247.50"},
        "total": "247.50",
    }
    [damage] = document["decisions"]
    assert damage["work"] == {
        "start": "2026-11-10T21:00-05:00", "end": "2026-11-10T22:10-05:00",
        "minutes": 70, "business_minutes": 0, "after_hours_minutes": 70, "holiday_minutes": 0,
    }  # fmt: skip
    assert [line["amount"] for line in damage["charges"]] == ["11.25", "236.25"]


def test_a_period_keeps_earlier_tickets_as_history() -> None:
    # The second move of the year is billable because the first (in February) still counts.
    result = run("classify", *HARBOR, "--format", "json", "--period", "2026-06")
    decisions = {d["ticket"]: d for d in json.loads(result.stdout)["decisions"]}
    assert decisions["HV-1011"]["deciding_rule"] == "extra_move"
    assert "HV-1010" not in decisions


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--period", "2026-13"], "'2026-13' is not a period"),
        (["--period", "november"], "'november' is not a period"),
        (["--period", "2026-W45"], "'2026-W45' is not a period"),
        (["--period", ""], "'' is not a period"),
        (["--period", "2026-11", "--from", "2026-11-01"], "give --period, or --from and --to, not both"),
        (["--from", "2026-11-30", "--to", "2026-11-01"], "--to 2026-11-01 is before --from 2026-11-30"),
    ],
)
def test_a_bad_period_is_a_usage_error(options: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["classify", *HARBOR, *options])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_bad_times_are_reported_per_ticket(tmp_path: Path) -> None:
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "id,opened_at,started_at,ended_at,time_spent\n"
        "NEGATIVE,2026-11-18T10:00,,,-2h\n"
        # 12:00 UTC is 07:00 in New York, after the local 06:00 it claims to end at
        "BACKWARDS,2026-11-18T06:00,2026-11-18T12:00Z,2026-11-18T06:00,\n"
        "FAR-FUTURE,9999-12-31T23:00,,,2h\n"
        "GOOD,2026-11-18T10:00,,,1h\n"
    )
    result = CliRunner().invoke(main, ["classify", HARBOR[0], str(tickets)])
    assert result.exit_code == 1
    assert [json.loads(line)["ticket"] for line in result.stdout.splitlines()] == ["GOOD"]
    assert "ticket 'NEGATIVE': field 'time_spent': '-2h' is negative; a length of time is 0 or more" in result.stderr
    assert "ticket 'BACKWARDS': ended_at: 2026-11-18 06:00-05:00 is before started_at 2026-11-18 07:00-05:00" in result.stderr
    assert "ticket 'FAR-FUTURE': its times run beyond the years 1 to 9999" in result.stderr
    assert "Traceback" not in result.stderr


def test_quoted_project_labour_is_kept_out_of_the_invoice_total() -> None:
    document = json.loads(run("classify", *HARBOR, "--format", "json", "--period", "2026-01").stdout)
    amounts = {kind: Decimal(amount) for kind, amount in document["totals"]["amounts"].items()}
    assert amounts["project"] > 0
    assert Decimal(document["totals"]["total"]) == sum(amount for kind, amount in amounts.items() if kind != "project")
