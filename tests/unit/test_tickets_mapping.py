"""Mapping files (how an export's columns and words become ticket fields), the two shipped
example mappings, and the generated ticket JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from scopecheck.diagnostics import Diagnostic, DiagnosticError
from scopecheck.tickets.mapping import ColumnTarget, load_mapping
from scopecheck.tickets.model import Ticket
from scopecheck.tickets.read import read_tickets
from scopecheck.tickets.schema import ticket_json_schema, ticket_schema_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "mappings"
SCHEMAS = ROOT / "src" / "scopecheck" / "schemas"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def tickets_of(results) -> list[Ticket]:
    problems = [item.headline() for item in results if isinstance(item, Diagnostic)]
    assert problems == []
    return results


def mapping_error(tmp_path: Path, text: str) -> Diagnostic:
    path = write(tmp_path, "mapping.yaml", text)
    with pytest.raises(DiagnosticError) as raised:
        load_mapping(path)
    [diagnostic] = raised.value.diagnostics
    return diagnostic


# --- the shipped examples ---------------------------------------------------------------------------


def read_example(name: str) -> list[Ticket]:
    mapping = load_mapping(str(EXAMPLES / f"{name}.yaml"))
    return tickets_of(list(read_tickets(str(EXAMPLES / f"{name}-export.csv"), mapping=mapping)))


def test_connectwise_style_export_reads_without_errors_into_our_categories():
    tickets = read_example("connectwise-style")
    assert [t.category for t in tickets] == [
        "help_desk", "incident", "user_setup", "install_software", "move", "maintenance",
        "incident", "help_desk", "purchase", "training", "other",
    ]
    first = tickets[0]
    assert first.id == "48213"
    assert first.opened_at == dt.datetime(2026, 3, 2, 8, 14)
    assert first.estimate == dt.timedelta(minutes=15)
    assert first.requester == "Dana Whitfield"
    assert first.custom == {"Subtype": "Password Reset", "Source": "Phone"}


def test_connectwise_style_reads_pm_times_and_missing_markers():
    tickets = {t.id: t for t in read_example("connectwise-style")}
    assert tickets["48231"].opened_at == dt.datetime(2026, 3, 3, 14, 10)
    assert tickets["48235"].requester is None  # written N/A
    assert tickets["48244"].time_spent is None  # written -
    assert "Internal Notes" not in tickets["48217"].custom  # ignored


def test_autotask_style_export_reads_without_errors_into_our_categories():
    tickets = read_example("autotask-style")
    assert Counter(t.category for t in tickets) == Counter({
        "help_desk": 2, "incident": 2, "user_setup": 1, "install_software": 1, "repair": 1,
        "move": 1, "add_device": 1, "maintenance": 1,
    })


def test_autotask_style_maps_only_critical_priority_to_emergency():
    tickets = read_example("autotask-style")
    assert [t.id for t in tickets if t.emergency] == ["T20260304.0003"]
    assert all(t.emergency is False for t in tickets if t.id != "T20260304.0003")


def test_autotask_style_reads_day_first_dates_and_keeps_sub_issue_type():
    tickets = {t.id: t for t in read_example("autotask-style")}
    flood = tickets["T20260304.0003"]
    assert flood.opened_at == dt.datetime(2026, 3, 4, 7, 5)
    assert flood.ended_at == dt.datetime(2026, 3, 4, 13, 40)
    assert flood.time_spent == dt.timedelta(hours=6, minutes=30)
    assert flood.custom == {"Sub-Issue Type": "Water Damage"}
    assert tickets["T20260303.0007"].ended_at is None  # written N/A


# --- what a mapping changes -------------------------------------------------------------------------

EXPORT = (
    "Ticket #,Created,Kind,Est. Minutes,Title,Summary,Secret\n"
    "A-1,03/02/2026 02:05 PM,Move/Add/Change,90,Move desk,long text,x\n"
    "A-2,03/02/2026 09:00 AM,Fax Machine,,Fax broken,,y\n"
)
MAPPING = """\
columns:
  "Ticket #": id
  Created: opened_at
  Kind: category
  "Est. Minutes": {field: estimate, unit: minutes}
  Title: summary
date_format: "%m/%d/%Y %I:%M %p"
values:
  category: {"move/add/change": move}
unmapped: {category: other}
ignore: [Secret]
"""


def test_mapping_renames_columns_converts_dates_units_and_values(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", MAPPING))
    first, second = tickets_of(list(read_tickets(write(tmp_path, "e.csv", EXPORT), mapping=mapping)))
    assert first.opened_at == dt.datetime(2026, 3, 2, 14, 5)
    assert first.category == "move"
    assert first.estimate == dt.timedelta(minutes=90)
    assert second.category == "other"  # not in values, so unmapped applies


def test_mapped_field_takes_over_from_a_column_that_shares_its_name(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", MAPPING))
    first, _ = tickets_of(list(read_tickets(write(tmp_path, "e.csv", EXPORT), mapping=mapping)))
    assert first.summary == "Move desk"
    assert first.custom == {"Summary": "long text"}  # and Secret is ignored


def test_value_outside_the_mapping_without_unmapped_is_an_error_pointing_at_values(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", MAPPING.replace("unmapped: {category: other}\n", "")))
    results = list(read_tickets(write(tmp_path, "e.csv", EXPORT), mapping=mapping))
    [diagnostic] = [r for r in results if isinstance(r, Diagnostic)]
    assert diagnostic.code == "ticket.unknown-value"
    assert diagnostic.message.startswith("ticket 'A-2': field 'category' (column 'Kind'): 'Fax Machine' is not one of")
    assert "'values: category:'" in diagnostic.help


def test_mapping_date_format_error_shows_an_example(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", MAPPING))
    export = EXPORT.replace("03/02/2026 09:00 AM", "2 March 2026")
    [diagnostic] = [r for r in read_tickets(write(tmp_path, "e.csv", export), mapping=mapping) if isinstance(r, Diagnostic)]
    assert diagnostic.message == (
        "ticket 'A-2': field 'opened_at' (column 'Created'): '2 March 2026' is not a date and time "
        "in the form '%m/%d/%Y %I:%M %p' (like '03/02/2026 02:30 PM')"
    )


def test_mapping_missing_values_and_delimiter(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", 'delimiter: "|"\nmissing: ["?", "n/a"]\n'))
    path = write(tmp_path, "e.csv", "id|opened_at|category|site\nT-1|2026-03-02|?|N/A\n")
    [ticket] = tickets_of(list(read_tickets(path, mapping=mapping)))
    assert (ticket.category, ticket.site) == (None, None)


def test_mapping_format_overrides_the_extension_and_the_argument_overrides_the_mapping(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", "format: jsonl\n"))
    path = write(tmp_path, "export.txt", '{"id": "T-1", "opened_at": "2026-03-02"}\n{"id": "T-2", "opened_at": "2026-03-02"}\n')
    assert [t.id for t in tickets_of(list(read_tickets(path, mapping=mapping)))] == ["T-1", "T-2"]
    with pytest.raises(DiagnosticError):
        list(read_tickets(path, mapping=mapping, format="json"))  # one object per line is not one JSON value


def test_mapping_values_on_a_boolean_field(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", "columns: {Priority: emergency}\nvalues:\n  emergency: {Critical: true, Low: false}\n"))
    path = write(tmp_path, "e.json", json.dumps([
        {"id": "A", "opened_at": "2026-03-02", "Priority": "critical"},
        {"id": "B", "opened_at": "2026-03-02", "Priority": "Low"},
    ]))
    first, second = tickets_of(list(read_tickets(path, mapping=mapping)))
    assert (first.emergency, second.emergency) == (True, False)


def test_loaded_mapping_holds_column_targets(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", MAPPING))
    assert mapping.columns["Est. Minutes"] == ColumnTarget("estimate", "minutes")
    assert mapping.columns["Ticket #"] == ColumnTarget("id")
    assert mapping.ignore == frozenset({"Secret"})


# --- mapping file errors ----------------------------------------------------------------------------


def test_misspelt_top_level_key_is_pointed_at_with_a_suggestion(tmp_path):
    diagnostic = mapping_error(tmp_path, "format: csv\ncolums:\n  Ticket: id\n")
    assert diagnostic.code == "mapping.unknown-key"
    assert diagnostic.message == "unknown key 'colums'"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 1)
    assert diagnostic.help == "did you mean 'columns'?"


def test_unknown_target_field_suggests_the_nearest(tmp_path):
    diagnostic = mapping_error(tmp_path, 'columns:\n  "Ticket #": id\n  "Budget": estimte\n')
    assert diagnostic.code == "mapping.unknown-field"
    assert diagnostic.message == "'estimte' is not a ticket field"
    assert (diagnostic.span.line, diagnostic.span.column) == (3, 13)
    assert diagnostic.help == "did you mean 'estimate'?"


def test_unknown_target_field_inside_a_column_object(tmp_path):
    diagnostic = mapping_error(tmp_path, "columns:\n  Budget: {field: estimte, unit: hours}\n")
    assert diagnostic.help == "did you mean 'estimate'?"
    assert diagnostic.span.line == 2


def test_unknown_key_in_a_column_object_suggests(tmp_path):
    diagnostic = mapping_error(tmp_path, "columns:\n  Budget: {field: estimate, unti: hours}\n")
    assert diagnostic.code == "mapping.unknown-key"
    assert diagnostic.help == "did you mean 'unit'?"


def test_unit_on_a_field_that_is_not_a_duration(tmp_path):
    diagnostic = mapping_error(tmp_path, "columns:\n  Who: {field: requester, unit: hours}\n")
    assert diagnostic.code == "mapping.bad-unit"
    assert diagnostic.message == "'requester' is not a duration, so it takes no unit"


def test_bad_unit_name(tmp_path):
    diagnostic = mapping_error(tmp_path, "columns:\n  Budget: {field: estimate, unit: days}\n")
    assert diagnostic.code == "mapping.invalid"
    assert diagnostic.message == "'unit' must be one of hours, minutes, not 'days'"
    assert diagnostic.span.line == 2


def test_values_target_that_is_not_one_of_ours(tmp_path):
    diagnostic = mapping_error(tmp_path, 'values:\n  category:\n    "New Software": instal_software\n')
    assert diagnostic.code == "mapping.unknown-value"
    assert diagnostic.message.startswith("values for 'category': 'instal_software' is not one of")
    assert diagnostic.help == "did you mean 'install_software'?"
    assert diagnostic.span.line == 3


def test_values_for_an_unknown_field(tmp_path):
    diagnostic = mapping_error(tmp_path, "values:\n  categroy: {Help: help_desk}\n")
    assert diagnostic.code == "mapping.unknown-field"
    assert diagnostic.help == "did you mean 'category'?"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 3)


def test_unmapped_on_a_free_text_field(tmp_path):
    diagnostic = mapping_error(tmp_path, "unmapped: {summary: none}\n")
    assert diagnostic.message == "'summary' has no fixed set of values, so 'unmapped' cannot apply to it"


def test_delimiter_must_be_one_character(tmp_path):
    diagnostic = mapping_error(tmp_path, 'delimiter: ";;"\n')
    assert diagnostic.message == "'delimiter' must be exactly one character"
    assert diagnostic.span.line == 1


def test_wrong_type_for_a_column_target(tmp_path):
    diagnostic = mapping_error(tmp_path, "columns:\n  Budget: [estimate]\n")
    assert diagnostic.code == "mapping.invalid"
    assert diagnostic.message == "the column 'Budget' must name a ticket field, or be {field: ..., unit: hours}"


def test_bad_date_format(tmp_path):
    diagnostic = mapping_error(tmp_path, 'date_format: "%m/%d/%Q"\n')
    assert diagnostic.code == "mapping.bad-date-format"
    assert diagnostic.span.line == 1


def test_unknown_format_in_a_mapping(tmp_path):
    diagnostic = mapping_error(tmp_path, "format: xlsx\n")
    assert diagnostic.message == "'format' must be one of csv, json, jsonl, yaml, not 'xlsx'"


def test_yaml_syntax_error_in_a_mapping_has_a_position(tmp_path):
    diagnostic = mapping_error(tmp_path, "columns:\n  Ticket #: id\n  - oops\n")
    assert diagnostic.code == "yaml.syntax"
    assert diagnostic.span.line == 3


def test_missing_mapping_file(tmp_path):
    with pytest.raises(DiagnosticError) as raised:
        load_mapping(str(tmp_path / "none.yaml"))
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "mapping.unreadable"
    assert "none.yaml" in diagnostic.message


def test_every_problem_in_a_mapping_is_reported_together(tmp_path):
    path = write(tmp_path, "m.yaml", "colums: {}\nignor: []\n")
    with pytest.raises(DiagnosticError) as raised:
        load_mapping(path)
    assert [d.help for d in raised.value.diagnostics] == ["did you mean 'columns'?", "did you mean 'ignore'?"]


# --- schemas ----------------------------------------------------------------------------------------


def test_committed_ticket_schema_is_the_generated_one():
    committed = (SCHEMAS / "ticket.schema.json").read_text(encoding="utf-8")
    assert json.loads(committed) == ticket_json_schema()
    assert committed == ticket_schema_text(), "regenerate: python -m scopecheck.tickets.schema"


def test_ticket_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(ticket_json_schema())


def test_sample_canonical_ticket_validates_against_the_schema():
    ticket = {
        "id": "T-1003",
        "opened_at": "2026-03-02T09:30",
        "started_at": None,
        "ended_at": "2026-03-02T11:00+01:00",
        "category": "install_software",
        "cause": "normal",
        "estimate": "1h30m",
        "time_spent": "PT2H",
        "emergency": False,
        "materials": [{"description": "1TB SSD", "kind": "part", "cost": "$120", "quantity": 1}],
        "custom": {"board": "Help Desk"},
        "Source": "Phone",
    }
    assert list(Draft202012Validator(ticket_json_schema()).iter_errors(ticket)) == []


@pytest.mark.parametrize(
    "change",
    [{"opened_at": None}, {"estimate": "three"}, {"category": "nope"}, {"materials": [{"kind": "part"}]}],
    ids=["missing-opened", "bad-duration", "bad-category", "bad-material"],
)
def test_schema_refuses_what_the_reader_refuses(change):
    ticket = {"id": "T-1", "opened_at": "2026-03-02T09:30", **change}
    if change.get("opened_at", "") is None:
        del ticket["opened_at"]
    assert list(Draft202012Validator(ticket_json_schema()).iter_errors(ticket)) != []


def test_mapping_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(json.loads((SCHEMAS / "mapping.schema.json").read_text(encoding="utf-8")))
