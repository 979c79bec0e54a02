"""Reading tickets from CSV, JSON, JSON Lines, YAML and standard input, without a mapping:
what a user gets for good input, and the diagnostic (code, message, line) for bad input."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest

from scopecheck.diagnostics import Diagnostic, DiagnosticError
from scopecheck.tickets.model import Material, Ticket
from scopecheck.tickets.read import read_tickets


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def read_all(source: str, **options) -> list[Ticket | Diagnostic]:
    return list(read_tickets(source, **options))


def only_tickets(results) -> list[Ticket]:
    assert all(isinstance(item, Ticket) for item in results), [d.headline() for d in results if isinstance(d, Diagnostic)]
    return results


def only_diagnostic(results) -> Diagnostic:
    diagnostics = [item for item in results if isinstance(item, Diagnostic)]
    assert len(diagnostics) == 1, results
    return diagnostics[0]


# --- the formats ---------------------------------------------------------------------------------


def test_csv_row_fills_every_kind_of_field(tmp_path):
    path = write(tmp_path, "tickets.csv", (
        "id,opened_at,started_at,ended_at,requester,device_class,category,estimate,time_spent,cause,emergency,materials\n"
        "T-1,2026-03-02T09:00,2026-03-02 09:15,2026-03-02T11:00,Dana,Laptop,Help Desk,1h30m,1:45,Act of God,yes,"
        "part: 1TB SSD = $120\n"
    ))
    [ticket] = only_tickets(read_all(path))
    assert ticket.id == "T-1"
    assert ticket.opened_at == dt.datetime(2026, 3, 2, 9, 0)
    assert ticket.started_at == dt.datetime(2026, 3, 2, 9, 15)
    assert ticket.ended_at == dt.datetime(2026, 3, 2, 11, 0)
    assert ticket.requester == "Dana"
    assert ticket.device_class == "laptop"
    assert ticket.category == "help_desk"
    assert ticket.estimate == dt.timedelta(hours=1, minutes=30)
    assert ticket.time_spent == dt.timedelta(hours=1, minutes=45)
    assert ticket.cause == "act_of_god"
    assert ticket.emergency is True
    assert ticket.materials == (Material("1TB SSD", "part", Decimal("120"), 1),)
    assert ticket.custom == {}


def test_json_array_reads_numbers_as_decimal_never_float(tmp_path):
    path = write(tmp_path, "tickets.json", json.dumps([
        {"id": "T-1", "opened_at": "2026-03-02T09:00", "estimate": "4h", "rate_card": 0.1},
        {"id": 1002, "opened_at": "2026-03-02T10:00", "summary": "printer jam"},
    ]))
    first, second = only_tickets(read_all(path))
    assert first.custom == {"rate_card": Decimal("0.1")}
    assert type(first.custom["rate_card"]) is Decimal
    assert second.id == "1002"
    assert second.summary == "printer jam"


def test_json_file_with_one_object_is_one_ticket(tmp_path):
    path = write(tmp_path, "one.json", '{"id": "T-1", "opened_at": "2026-03-02"}')
    [ticket] = only_tickets(read_all(path))
    assert ticket.opened_at == dt.datetime(2026, 3, 2)


def test_jsonl_reads_one_ticket_per_line_and_skips_blank_lines(tmp_path):
    path = write(tmp_path, "tickets.jsonl", (
        '{"id": "T-1", "opened_at": "2026-03-02T09:00"}\n'
        "\n"
        '{"id": "T-2", "opened_at": "2026-03-02T10:00", "category": "repair"}\n'
    ))
    tickets = only_tickets(read_all(path))
    assert [t.id for t in tickets] == ["T-1", "T-2"]
    assert tickets[1].category == "repair"


def test_ndjson_extension_reads_as_json_lines(tmp_path):
    path = write(tmp_path, "tickets.ndjson", '{"id": "T-1", "opened_at": "2026-03-02"}\n')
    assert [t.id for t in only_tickets(read_all(path))] == ["T-1"]


def test_yaml_list_of_tickets_with_materials(tmp_path):
    path = write(tmp_path, "tickets.yaml", (
        "- id: T-1\n"
        "  opened_at: 2026-03-02 09:00\n"
        "  estimate: 1:30\n"
        "  emergency: yes\n"
        "  materials:\n"
        "    - {description: 1TB SSD, kind: part, cost: 120.50, quantity: 2}\n"
        "- id: T-2\n"
        "  opened_at: 2026-03-02T10:00\n"
    ))
    first, second = only_tickets(read_all(path))
    assert first.estimate == dt.timedelta(minutes=90)
    assert first.emergency is True
    assert first.materials == (Material("1TB SSD", "part", Decimal("120.50"), 2),)
    assert second.id == "T-2"


def test_started_at_stays_missing_when_absent_for_the_evaluator_to_default(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,started_at\nT-1,2026-03-02T09:00,\n")
    [ticket] = only_tickets(read_all(path))
    assert ticket.started_at is None


def test_empty_strings_and_nulls_are_missing(tmp_path):
    path = write(tmp_path, "t.json", json.dumps(
        [{"id": "T-1", "opened_at": "2026-03-02", "category": "", "estimate": None, "site": "  "}]
    ))
    [ticket] = only_tickets(read_all(path))
    assert (ticket.category, ticket.estimate, ticket.site) == (None, None, None)


@pytest.mark.parametrize(
    ("written", "field", "value"),
    [
        ("Act of God", "cause", "act_of_god"),
        ("third-party damage", "cause", "third_party_damage"),
        ("INSTALL SOFTWARE", "category", "install_software"),
        ("Office-Relocation", "category", "office_relocation"),
    ],
)
def test_fixed_values_are_read_in_any_case_with_spaces_or_hyphens(tmp_path, written, field, value):
    path = write(tmp_path, "t.csv", f"id,opened_at,{field}\nT-1,2026-03-02,{written}\n")
    [ticket] = only_tickets(read_all(path))
    assert getattr(ticket, field) == value


def test_column_names_are_matched_ignoring_case_and_spacing(tmp_path):
    path = write(tmp_path, "t.csv", "ID,Opened At,Time-Spent\nT-1,2026-03-02,2h\n")
    [ticket] = only_tickets(read_all(path))
    assert ticket.time_spent == dt.timedelta(hours=2)


def test_csv_with_byte_order_mark_and_semicolons_reads_its_header(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid;opened_at;summary\nT-1;2026-03-02;printer, again\n".encode())
    [ticket] = only_tickets(read_all(str(path)))
    assert (ticket.id, ticket.summary) == ("T-1", "printer, again")


# --- standard input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '[{"id": "T-1", "opened_at": "2026-03-02"}]',
        '\n{"id": "T-1", "opened_at": "2026-03-02"}\n',
        "id,opened_at\nT-1,2026-03-02\n",
        '{\n  "id": "T-1",\n  "opened_at": "2026-03-02"\n}\n',
    ],
    ids=["json-array", "jsonl", "csv", "json-object-over-lines"],
)
def test_stdin_format_is_sniffed_from_the_first_character(text):
    [ticket] = only_tickets(read_all("-", stdin=io.StringIO(text)))
    assert ticket.id == "T-1"


def test_stdin_with_an_explicit_format(tmp_path):
    text = "- id: T-1\n  opened_at: 2026-03-02\n"
    [ticket] = only_tickets(read_all("-", format="yaml", stdin=io.StringIO(text)))
    assert ticket.id == "T-1"


def test_stdin_diagnostics_name_stdin():
    diagnostic = only_diagnostic(read_all("-", stdin=io.StringIO("id,opened_at\nT-1,yesterday\n")))
    assert diagnostic.span.path == "<stdin>"
    assert diagnostic.span.line == 2


class LazyLines(io.TextIOBase):
    """A stream that makes its lines on demand and counts how many were asked for."""

    def __init__(self, header: str, make_line):
        self.lines = itertools.chain([header], (make_line(n) for n in itertools.count()))
        self.served = 0

    def readline(self, size=-1):
        self.served += 1
        return next(self.lines)

    def __next__(self):
        return self.readline()

    def __iter__(self):
        return self


@pytest.mark.parametrize(
    ("header", "make_line"),
    [
        ("id,opened_at\n", lambda n: f"T-{n},2026-03-02\n"),
        ('{"id": "T-first", "opened_at": "2026-03-02"}\n', lambda n: f'{{"id": "T-{n}", "opened_at": "2026-03-02"}}\n'),
    ],
    ids=["csv", "jsonl"],
)
def test_csv_and_jsonl_stream_rows_instead_of_reading_everything(header, make_line):
    stream = LazyLines(header, make_line)  # endless: reading it whole would never finish
    first_three = list(itertools.islice(read_tickets("-", stdin=stream), 3))
    assert len(only_tickets(first_three)) == 3
    assert stream.served < 50


# --- built-in aliases, materials, custom ----------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "field", "expected"),
    [
        ("estimated_hours", "1.5", "estimate", dt.timedelta(minutes=90)),
        ("estimate_hours", "2", "estimate", dt.timedelta(hours=2)),
        ("estimate_minutes", "45", "estimate", dt.timedelta(minutes=45)),
        ("hours_spent", "0.25", "time_spent", dt.timedelta(minutes=15)),
        ("time_spent_hours", "3", "time_spent", dt.timedelta(hours=3)),
        ("time_spent_minutes", "90", "time_spent", dt.timedelta(minutes=90)),
    ],
)
def test_builtin_aliases_read_plain_numbers_as_durations(tmp_path, column, value, field, expected):
    path = write(tmp_path, "t.csv", f"id,opened_at,{column}\nT-1,2026-03-02,{value}\n")
    [ticket] = only_tickets(read_all(path))
    assert getattr(ticket, field) == expected


def test_alias_in_json_takes_a_json_number(tmp_path):
    path = write(tmp_path, "t.json", '[{"id": "T-1", "opened_at": "2026-03-02", "hours_spent": 1.25}]')
    [ticket] = only_tickets(read_all(path))
    assert ticket.time_spent == dt.timedelta(minutes=75)


def test_csv_materials_column_reads_several_items_with_quantities(tmp_path):
    path = write(tmp_path, "t.csv", (
        "id,opened_at,materials\n"
        'T-1,2026-03-02,"part: 1TB SSD = $120; freight: courier = $15 x 2; licence: Office = 1,250.00 x 3"\n'
    ))
    [ticket] = only_tickets(read_all(path))
    assert ticket.materials == (
        Material("1TB SSD", "part", Decimal("120"), 1),
        Material("courier", "freight", Decimal("15"), 2),
        Material("Office", "license", Decimal("1250.00"), 3),
    )


def test_json_materials_are_a_list_of_objects(tmp_path):
    path = write(tmp_path, "t.json", json.dumps([{
        "id": "T-1", "opened_at": "2026-03-02",
        "materials": [{"description": "toner", "kind": "Part", "cost": "$89.99"},
                      {"description": "courier", "kind": "freight", "cost": 15, "quantity": 2}],
    }]))
    [ticket] = only_tickets(read_all(path))
    assert ticket.materials == (
        Material("toner", "part", Decimal("89.99"), 1),
        Material("courier", "freight", Decimal("15"), 2),
    )


def test_csv_extra_columns_go_into_custom_as_text(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,Source,Ticket Age\nT-1,2026-03-02,Phone,12\nT-2,2026-03-02,,\n")
    first, second = only_tickets(read_all(path))
    assert first.custom == {"Source": "Phone", "Ticket Age": "12"}
    assert second.custom == {}


def test_json_extra_keys_and_the_custom_object_go_into_custom_as_json_values(tmp_path):
    path = write(tmp_path, "t.json", json.dumps([{
        "id": "T-1", "opened_at": "2026-03-02", "board": "Help Desk", "tags": ["vip"], "custom": {"contract": 7},
    }]))
    [ticket] = only_tickets(read_all(path))
    assert ticket.custom == {"board": "Help Desk", "tags": ["vip"], "contract": 7}


# --- one diagnostic per bad ticket ------------------------------------------------------------------


def test_bad_duration_names_ticket_field_and_line(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,estimate\nT-1002,2026-03-02,1h\nT-1003,2026-03-02,three\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.invalid-value"
    assert diagnostic.message == (
        "ticket 'T-1003': field 'estimate': 'three' is not a duration (write it like 4h, 90m or 1h30m)"
    )
    assert (diagnostic.span.path, diagnostic.span.line) == (path, 3)


def test_ticket_without_id_is_named_by_its_row(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at\nT-1,2026-03-02\n,2026-03-02\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.missing-field"
    assert diagnostic.message == "row 2: field 'id' is missing"
    assert diagnostic.span.line == 3


def test_missing_opened_at_in_json_suggests_the_misspelt_key(tmp_path):
    path = write(tmp_path, "t.json", '[\n  {"id": "T-1",\n   "opend_at": "2026-03-02"}\n]')
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.missing-field"
    assert diagnostic.message == "ticket 'T-1': field 'opened_at' is missing"
    assert diagnostic.span.line == 2
    assert "opend_at" in diagnostic.help


def test_unknown_category_suggests_the_nearest(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,category\nT-1,2026-03-02,instal software\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.unknown-value"
    assert diagnostic.message.startswith("ticket 'T-1': field 'category': 'instal software' is not one of help_desk,")
    assert diagnostic.help == "did you mean 'install_software'?"


def test_unknown_material_kind_suggests_the_nearest(tmp_path):
    path = write(tmp_path, "t.csv", 'id,opened_at,materials\nT-1,2026-03-02,"prat: SSD = $120"\n')
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.unknown-value"
    assert "kind 'prat' is not one of part, software, license, freight" in diagnostic.message
    assert diagnostic.help == "did you mean 'part'?"


def test_material_without_a_cost_explains_the_syntax(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,materials\nT-1,2026-03-02,part: SSD\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.invalid-value"
    assert "'part: SSD' is not a material (write it like 'part: 1TB SSD = $120'" in diagnostic.message


def test_bare_number_for_a_duration_asks_for_a_unit(tmp_path):
    path = write(tmp_path, "t.json", '[{"id": "T-1", "opened_at": "2026-03-02", "estimate": 4}]')
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.message == "ticket 'T-1': field 'estimate': '4' has no unit (write it like 4h, 90m or 1h30m)"


def test_negative_duration_is_an_invalid_value(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,hours_spent\nT-1,2026-03-02,-2\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.invalid-value"
    assert diagnostic.message == "ticket 'T-1': field 'time_spent' (column 'hours_spent'): '-2' is a negative number of hours"


def test_ended_before_started_is_an_invalid_value(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,started_at,ended_at\nT-1,2026-03-02T08:00,2026-03-02T10:00,2026-03-02T09:00\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.invalid-value"
    assert diagnostic.message == "ticket 'T-1': field 'ended_at': 2026-03-02 09:00 is before started_at 2026-03-02 10:00"


def test_ended_before_opened_is_an_invalid_value_when_started_is_absent(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,ended_at\nT-1,2026-03-02T08:00,2026-03-01T09:00\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.message == "ticket 'T-1': field 'ended_at': 2026-03-01 09:00 is before opened_at 2026-03-02 08:00"


def test_times_with_and_without_offset_are_left_for_the_evaluator(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,ended_at\nT-1,2026-03-02T08:00+02:00,2026-03-02T07:00\n")
    only_tickets(read_all(path))


def test_duplicate_id_names_both_lines(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at\nT-1,2026-03-02\nT-2,2026-03-02\nT-1,2026-03-03\n")
    results = read_all(path)
    assert [t.id for t in results if isinstance(t, Ticket)] == ["T-1", "T-2"]
    diagnostic = only_diagnostic(results)
    assert diagnostic.code == "ticket.duplicate-id"
    assert diagnostic.message == "ticket 'T-1' appears twice: first at line 2, again at line 4"
    assert diagnostic.span.line == 4


def test_duplicate_id_on_one_json_line_is_still_found(tmp_path):
    path = write(tmp_path, "t.json", '[{"id": "A", "opened_at": "2026-03-02"}, {"id": "A", "opened_at": "2026-03-02"}]')
    assert only_diagnostic(read_all(path)).code == "ticket.duplicate-id"


def test_not_an_object_in_json_array(tmp_path):
    path = write(tmp_path, "t.json", '[\n  {"id": "T-1", "opened_at": "2026-03-02"},\n  "T-2"\n]')
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.not-an-object"
    assert diagnostic.message == "row 2: a ticket must be an object with keys, found 'T-2'"
    assert diagnostic.span.line == 3


def test_bad_json_line_in_jsonl_is_reported_and_reading_goes_on(tmp_path):
    path = write(tmp_path, "t.jsonl", (
        '{"id": "T-1", "opened_at": "2026-03-02"}\n'
        '{"id": "T-2", "opened_at": \n'
        '{"id": "T-3", "opened_at": "2026-03-02"}\n'
    ))
    results = read_all(path)
    assert [r.id for r in results if isinstance(r, Ticket)] == ["T-1", "T-3"]
    diagnostic = only_diagnostic(results)
    assert diagnostic.code == "ticket.bad-json"
    assert diagnostic.message.startswith("row 2: not valid JSON: expecting value")
    assert diagnostic.span.line == 2


def test_csv_row_with_too_many_cells_is_reported(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,summary\nT-1,2026-03-02,jam, again\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.bad-row"
    assert diagnostic.message == "row 1: has 4 cells but the header names 3 columns"


def test_yaml_diagnostic_points_at_the_value(tmp_path):
    path = write(tmp_path, "t.yaml", "- id: T-1\n  opened_at: 2026-03-02\n  category: prnter\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.code == "ticket.unknown-value"
    assert (diagnostic.span.line, diagnostic.span.column) == (3, 13)


def test_several_problems_in_one_ticket_make_one_diagnostic_with_notes(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,estimate,emergency\nT-1,2026-03-02,three,maybe\n")
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.message.startswith("ticket 'T-1': field 'estimate'")
    assert diagnostic.notes == ("also field 'emergency': 'maybe' is not true or false",)


def test_one_bad_ticket_does_not_stop_the_batch(tmp_path):
    path = write(tmp_path, "t.csv", (
        "id,opened_at,estimate,category\n"
        "T-1,2026-03-02,1h,repair\n"
        "T-2,not a date,1h,repair\n"
        "T-3,2026-03-02,2h,help desk\n"
        "T-4,2026-03-02,1h,fixing\n"
        "T-5,2026-03-02,30m,training\n"
    ))
    results = read_all(path)
    assert [r.id if isinstance(r, Ticket) else r.code for r in results] == [
        "T-1", "ticket.invalid-value", "T-3", "ticket.unknown-value", "T-5",
    ]


def test_line_numbers_account_for_multi_line_cells(tmp_path):
    path = write(tmp_path, "t.csv", 'id,opened_at,description\nT-1,2026-03-02,"line one\nline two"\nT-2,oops,\n')
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.span.line == 4


def test_json_nan_is_not_accepted_as_a_number(tmp_path):
    path = write(tmp_path, "t.json", '[{"id": "T-1", "opened_at": "2026-03-02", "estimated_hours": NaN}]')
    assert only_diagnostic(read_all(path)).code == "ticket.invalid-value"


# --- whole-input problems ---------------------------------------------------------------------------


def whole_file_error(source: str, **options) -> Diagnostic:
    with pytest.raises(DiagnosticError) as raised:
        read_all(source, **options)
    [diagnostic] = raised.value.diagnostics
    return diagnostic


def test_missing_file_is_one_clear_error(tmp_path):
    missing = str(tmp_path / "nope.csv")
    diagnostic = whole_file_error(missing)
    assert diagnostic.code == "ticket.unreadable"
    assert diagnostic.message == f"cannot read '{missing}': no such file or directory"


def test_invalid_json_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "t.json", '[\n  {"id": "T-1", "opened_at": "2026-03-02"}\n  {"id": "T-2"}\n]')
    diagnostic = whole_file_error(path)
    assert diagnostic.code == "ticket.bad-json"
    assert diagnostic.message.startswith(f"'{path}' is not valid JSON: ")
    assert "at line 3, column 3" in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.column) == (3, 3)


def test_json_that_is_neither_array_nor_object_is_refused(tmp_path):
    assert whole_file_error(write(tmp_path, "t.json", "42")).code == "ticket.not-a-list"


def test_unknown_extension_asks_for_a_format(tmp_path):
    path = write(tmp_path, "tickets.txt", "id,opened_at\n")
    diagnostic = whole_file_error(path)
    assert diagnostic.code == "ticket.unknown-format"
    assert diagnostic.message == f"cannot tell the format of '{path}' from its name"


def test_explicit_format_overrides_the_extension(tmp_path):
    path = write(tmp_path, "tickets.txt", "id,opened_at\nT-1,2026-03-02\n")
    assert [t.id for t in only_tickets(read_all(path, format="csv"))] == ["T-1"]


def test_unknown_format_name_suggests_one():
    diagnostic = whole_file_error("-", format="jsnl", stdin=io.StringIO(""))
    assert diagnostic.code == "ticket.unknown-format"
    assert diagnostic.help == "did you mean 'jsonl'?"


def test_csv_without_an_id_column_is_refused_with_a_hint(tmp_path):
    path = write(tmp_path, "t.csv", "ticket_id,opened_at\nT-1,2026-03-02\n")
    diagnostic = whole_file_error(path)
    assert diagnostic.code == "ticket.missing-column"
    assert diagnostic.message == "no column gives the field 'id', which every ticket needs"


def test_csv_misspelt_required_column_is_pointed_out(tmp_path):
    path = write(tmp_path, "t.csv", "id,Opend At\nT-1,2026-03-02\n")
    diagnostic = whole_file_error(path)
    assert diagnostic.help == "the column 'Opend At' looks like it: rename it, or map it in a mapping file"


def test_csv_with_two_columns_for_one_field_is_refused(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,estimate,estimated_hours\nT-1,2026-03-02,1h,\n")
    diagnostic = whole_file_error(path)
    assert diagnostic.code == "ticket.conflicting-columns"
    assert diagnostic.message == "the columns 'estimate' and 'estimated_hours' both give the field 'estimate'"


def test_csv_with_a_repeated_column_name_is_refused(tmp_path):
    path = write(tmp_path, "t.csv", "id,opened_at,Notes,Notes\nT-1,2026-03-02,a,b\n")
    assert whole_file_error(path).code == "ticket.duplicate-column"


def test_json_key_and_alias_for_the_same_field_is_a_ticket_error(tmp_path):
    path = write(tmp_path, "t.json", '[{"id": "T-1", "opened_at": "2026-03-02", "estimate": "1h", "estimated_hours": 2}]')
    diagnostic = only_diagnostic(read_all(path))
    assert diagnostic.message == "ticket 'T-1': field 'estimate': given twice, by the keys 'estimate' and 'estimated_hours'"


def test_non_utf8_csv_is_one_clear_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("id,opened_at,requester\nT-1,2026-03-02,Ren\xe9e\n".encode("latin-1"))
    diagnostic = whole_file_error(str(path))
    assert diagnostic.code == "ticket.bad-encoding"


def test_yaml_that_is_not_a_list_is_refused(tmp_path):
    assert whole_file_error(write(tmp_path, "t.yaml", "just text\n")).code == "ticket.not-a-list"


def test_empty_inputs_hold_no_tickets(tmp_path):
    for name in ("t.csv", "t.json", "t.jsonl", "t.yaml"):
        assert read_all(write(tmp_path, name, "")) == []
