"""Agreement loading: what a user sees for good and broken agreement files.

In: the YAML files beside this module in ``agreements/`` and small inline documents.
Out: assertions on the typed ``Agreement``, on the types rules see, and on every diagnostic's
code, line, column and words.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from scopecheck.agreement import (
    agreement_field_names,
    agreement_field_type,
    agreement_schema,
    agreement_schema_text,
    load_agreement,
    parse_agreement,
)
from scopecheck.agreement.model import Premiums, resolve
from scopecheck.calendar import STANDARD_BUSINESS_HOURS
from scopecheck.diagnostics import DiagnosticError, SourceLines, render
from scopecheck.tickets.model import DEVICE_CLASSES
from scopecheck.values import ANY, MONEY, NUMBER, parse_money

AGREEMENTS = Path(__file__).parent / "agreements"

MINIMAL = """\
client: {name: Acme Dental}
plan:
  model: per_user
  term: {start: 2026-01-01, end: 2026-12-31}
rates:
  standard: {standard}
rules: [standard]
"""


def minimal(standard: str = "$150", extra: str = "") -> str:
    return MINIMAL.replace("{standard}", standard) + extra


def problems(text: str, path: str = "inline.yaml") -> list:
    with pytest.raises(DiagnosticError) as raised:
        parse_agreement(text, path)
    return list(raised.value.diagnostics)


# --- a valid agreement ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def harbor_vale():
    return load_agreement(AGREEMENTS / "harbor-vale.yaml")


def test_full_agreement_loads_with_exact_values(harbor_vale):
    agreement = harbor_vale
    assert agreement.client.name == "Harbor & Vale LLP"
    assert agreement.client.id == "harbor-vale"
    assert agreement.plan.model == "per_device"
    assert agreement.plan.term.start == dt.date(2026, 1, 1)
    assert agreement.plan.term.end == dt.date(2026, 12, 31)
    assert agreement.plan.fees.per_user == Decimal("100")
    assert dict(agreement.plan.fees.per_device) == {
        "workstation": Decimal("40"),
        "laptop": Decimal("40"),
        "server": Decimal("150.00"),
    }
    assert agreement.currency == "USD"
    assert agreement.rates.contract_discount == Decimal("0.10")
    assert agreement.rates.hourly_rate("engineer") == Decimal("1175.50")
    assert agreement.rates.hourly_rate(None) == agreement.rates.standard
    assert agreement.coverage.users == 40
    assert agreement.coverage.device_count == 82
    assert agreement.coverage.printers == 3
    assert (agreement.coverage.user_ceiling, agreement.coverage.device_ceiling) == (25, 30)


def test_money_written_as_a_float_looking_number_stays_an_exact_decimal(harbor_vale):
    # The file says "standard: 150.10": a float would print 150.09999999999999431566...
    standard = harbor_vale.rates.standard
    assert isinstance(standard, Decimal) and str(standard) == "150.10"
    assert standard == Decimal("150.10")


@pytest.mark.parametrize(
    ("written", "amount"),
    [("150", Decimal("150")), ("150.50", Decimal("150.50")), ("$150", Decimal("150")), ('"$1,500.00"', Decimal("1500.00")), ("150.00 USD", Decimal("150.00"))],
)
def test_money_as_number_or_text(written, amount):
    agreement = parse_agreement(minimal(written), "inline.yaml")
    assert agreement.rates.standard == amount
    assert isinstance(agreement.rates.standard, Decimal)


def test_money_in_another_currency_when_the_agreement_says_so():
    agreement = parse_agreement(minimal("150.00 EUR", "currency: EUR\n"), "inline.yaml")
    assert (agreement.currency, agreement.rates.standard) == ("EUR", Decimal("150.00"))


@pytest.mark.parametrize(("written", "fraction"), [("10%", Decimal("0.10")), ("12.5%", Decimal("0.125")), ("10", Decimal("0.10")), ("0", Decimal("0"))])
def test_percent_as_text_or_number(written, fraction):
    text = minimal().replace("  standard: $150\n", f"  standard: $150\n  contract_discount: {written}\n")
    assert parse_agreement(text, "inline.yaml").rates.contract_discount == fraction


def test_defaults_fill_the_document():
    agreement = parse_agreement(minimal(), "inline.yaml")
    assert agreement.currency == "USD"
    assert agreement.rates.contract_discount == 0
    assert agreement.lookup(("currency",)) == "USD"
    assert agreement.lookup(("scopecheck",)) == 1
    assert agreement.lookup(("coverage", "users")) is None


def test_without_business_time_sections_the_plan_keeps_office_hours_and_charges_no_premium():
    agreement = parse_agreement(minimal(), "inline.yaml")
    assert agreement.calendar.hours == STANDARD_BUSINESS_HOURS
    assert agreement.premiums == Premiums()
    assert (agreement.rates.minimum, agreement.rates.increment) == (dt.timedelta(0), dt.timedelta(minutes=1))
    # Rules read the defaults too, so a premium rule needs no presence check.
    assert agreement.lookup(("premiums", "after_hours")) == 1
    assert agreement.lookup(("premiums", "waived")) == ()


def test_business_time_and_money_sections_load():
    agreement = parse_agreement(
        minimal(
            extra="""timezone: Europe/London
business_hours:
  weekdays: [08:00-12:00, 13:00-17:30]
  friday: 08:00-16:00
  saturday: 09:00-12:00
holidays:
  country: GB
  subdivision: ENG
  not_observed: [Easter Monday]
  dates: [2026-12-24, {from: 2026-12-29, to: 2026-12-31, name: Year-end closure}]
premiums: {after_hours: 1.5, holiday: 2, waived: [holiday]}
"""
        ).replace("  standard: $150\n", "  standard: $150\n  work_types: {onsite: $170}\n  minimum: 30m\n  increment: 15m\n"),
        "inline.yaml",
    )
    calendar = agreement.calendar
    assert calendar.hours.describe() == "Mon-Thu 08:00-12:00, 13:00-17:30; Fri 08:00-16:00; Sat 09:00-12:00"
    assert calendar.holiday_name(dt.date(2026, 12, 25)) == "Christmas Day"
    assert calendar.holiday_name(dt.date(2026, 4, 6)) is None  # Easter Monday, not observed
    assert calendar.holiday_name(dt.date(2026, 12, 24)) == "holiday (agreement)"
    assert calendar.holiday_name(dt.date(2026, 12, 30)) == "Year-end closure"
    assert agreement.premiums == Premiums(after_hours=Decimal("1.5"), holiday=Decimal(2), waived=frozenset({"holiday"}))
    assert agreement.rates.hourly_rate("engineer", "onsite") == Decimal(170)
    assert (agreement.rates.minimum, agreement.rates.increment) == (dt.timedelta(minutes=30), dt.timedelta(minutes=15))


def test_document_is_read_only(harbor_vale):
    document = harbor_vale.document
    with pytest.raises(TypeError):
        document["rates"]["standard"] = Decimal(0)  # type: ignore[index]
    with pytest.raises(TypeError):
        document["currency"] = "EUR"  # type: ignore[index]
    assert harbor_vale.lookup(("rules",)) == ("standard", "./harbor-vale.scope")
    with pytest.raises(AttributeError):
        harbor_vale.lookup(("rules",)).append("other")  # type: ignore[union-attr]


def test_rule_files_and_params_keep_their_positions(harbor_vale):
    standard, client_file = harbor_vale.rule_files
    assert (standard.target, standard.is_path) == ("standard", False)
    assert (client_file.target, client_file.is_path) == ("./harbor-vale.scope", True)
    assert (client_file.span.line, client_file.span.column) == (29, 5)
    threshold = harbor_vale.param("project_threshold")
    assert threshold.value == "6h" and (threshold.span.line, threshold.span.column) == (24, 22)
    assert [override.name for override in harbor_vale.params] == ["project_threshold", "max_moves", "waive_after_hours"]
    assert harbor_vale.folder == AGREEMENTS.resolve()


def test_coverage_lists_read_as_counts_and_keep_the_names():
    text = minimal(extra="coverage:\n  users: [ana@acme.example, ben]\n  devices:\n    - {id: A1, class: laptop}\n    - {id: S1, class: server}\n    - {id: A2, class: laptop}\n")
    agreement = parse_agreement(text, "inline.yaml")
    assert agreement.coverage.users == 2
    assert agreement.coverage.user_names == ("ana@acme.example", "ben")
    assert dict(agreement.coverage.devices) == {"laptop": 2, "server": 1}
    assert [device.id for device in agreement.coverage.device_list] == ["A1", "S1", "A2"]
    assert agreement.lookup(("coverage", "devices", "laptop")) == 2


# --- the types rules see -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "type_name", "value"),
    [
        (("rates", "standard"), "money", Decimal("150.10")),
        (("plan", "term", "start"), "date", dt.date(2026, 1, 1)),
        (("rates", "roles", "engineer"), "money", Decimal("1175.50")),
        (("client", "name"), "text", "Harbor & Vale LLP"),
        (("coverage", "users"), "number", 40),
        (("coverage", "devices", "server"), "number", 2),
        (("plan", "fees", "per_device", "laptop"), "money", Decimal("40")),
        (("rates", "contract_discount"), "percent", Decimal("0.10")),
        (("coverage", "ceilings", "users"), "number", 25),
        (("rules",), "list[text]", ("standard", "./harbor-vale.scope")),
        (("currency",), "text", "USD"),
    ],
)
def test_lookup_and_field_type_agree(harbor_vale, path, type_name, value):
    assert str(agreement_field_type(path)) == type_name
    assert harbor_vale.lookup(path) == value


def test_field_types_for_enums_maps_and_absent_paths(harbor_vale):
    assert agreement_field_type(("plan", "model")).values == ("per_user", "per_device", "flat_rate", "block_hours", "retainer")
    assert agreement_field_type(("rates", "roles", "any_role_at_all")) == MONEY
    assert agreement_field_type(("coverage", "devices", "toaster")) is None
    assert agreement_field_type(("rates", "standrd")) is None
    assert agreement_field_type(("params", "project_threshold")) == ANY
    assert agreement_field_type(("coverage", "printers")) == NUMBER
    assert agreement_field_type(("plan", "term")).field("end").name == "date"
    assert harbor_vale.lookup(("rates", "roles", "nobody")) is None
    assert harbor_vale.lookup(("rates", "standard", "deeper")) is None


def test_field_names_for_suggestions():
    assert agreement_field_names(()) == [
        "scopecheck", "client", "plan", "currency", "timezone", "business_hours", "holidays", "rates", "premiums", "coverage", "prepaid", "params",
        "rules",
    ]
    assert agreement_field_names(("prepaid",)) == ["warn_below", "blocks"]
    assert agreement_field_names(("client",)) == ["name", "id", "contact"]
    assert agreement_field_names(("rates",)) == ["standard", "roles", "work_types", "contract_discount", "minimum", "increment"]
    assert agreement_field_names(("premiums",)) == ["after_hours", "holiday", "emergency", "waived"]
    assert agreement_field_names(("coverage", "devices")) == list(DEVICE_CLASSES)
    assert agreement_field_names(("rates", "roles")) == []
    assert agreement_field_names(("nowhere",)) == []


# --- broken agreements: what the user sees -------------------------------------------------

class HELP_STARTS_WITH(str):  # noqa: N801 - reads as a marker in the table below
    """A help text too long to spell out in the table: only its start is compared."""


BROKEN = [
    ("broken-misspelt-top-level-key.yaml", "agreement.unknown-key", 10, 1, "unknown key 'ruels'", "did you mean 'rules'?"),
    ("broken-misspelt-nested-key.yaml", "agreement.unknown-key", 9, 3, "unknown key 'standrd' in 'rates'", "did you mean 'standard'?"),
    ("broken-missing-rules.yaml", "agreement.missing-key", 2, 1, "missing key 'rules'", "add it, for example 'rules: [standard, ./harbor-vale.scope]'"),
    (
        "broken-unknown-model.yaml",
        "agreement.invalid-value",
        5,
        10,
        "'plan.model' must be one of per_user, per_device, flat_rate, block_hours, retainer; found 'per_seat'",
        "did you mean 'per_user'?",
    ),
    ("broken-bad-money.yaml", "agreement.invalid-value", 9, 13, "'rates.standard' must be an amount of money of 0 or more, like $150 or 1,500.00; found '$1,50x'", None),
    ("broken-percent-as-word.yaml", "agreement.invalid-value", 10, 22, "'rates.contract_discount' must be a percentage from 0% to 100%, like 10%; found 'ten'", None),
    ("broken-term-ends-before-start.yaml", "agreement.term-order", 6, 34, "'plan.term.end' (2025-12-31) must be after 'plan.term.start' (2026-01-01)", None),
    (
        "broken-currency-mismatch.yaml",
        "agreement.currency-mismatch",
        9,
        13,
        "'rates.standard' is in EUR but the agreement's currency is USD",
        "write the amount without a currency, or set 'currency: EUR' if the whole agreement is in EUR",
    ),
    ("broken-yaml-syntax.yaml", "yaml.syntax", 10, 9, "not valid YAML: mapping values are not allowed here", None),
    ("broken-duplicate-key.yaml", "yaml.duplicate-key", 12, 1, "key 'rates' appears twice", "the first 'rates' is at line 8"),
    ("broken-alias-bomb.yaml", "yaml.too-large", 2, 53, "the document expands to more than 100000 values (aliases repeated too often?)", None),
    ("broken-empty.yaml", "agreement.empty", 1, 1, "the agreement is empty", "it needs at least 'client', 'plan', 'rates' and 'rules'"),
    ("broken-list-not-mapping.yaml", "agreement.invalid-value", 2, 1, "the agreement must be a mapping of keys to values; found a list", None),
    (
        "broken-unknown-device-class.yaml",
        "agreement.unknown-device-class",
        7,
        36,
        "unknown device class 'phone' in 'plan.fees.per_device'",
        "device classes are workstation, laptop, server, network, mobile, tablet, printer, other",
    ),
    ("broken-fee-missing-for-model.yaml", "agreement.missing-key", 7, 3, "missing key 'flat' in 'plan.fees'", "a flat_rate plan states its monthly fee in 'plan.fees.flat'"),
    # business time and money
    (
        "broken-hours-end-before-start.yaml",
        "agreement.invalid-hours",
        13,
        13,
        "'business_hours.weekdays': the end 08:00 is not after the start 18:00; hours that cross midnight are written as two spans, one on each day",
        "write a span of local time like 08:00-18:00; a span may not cross midnight",
    ),
    ("broken-hours-overlap.yaml", "agreement.invalid-hours", 14, 11, "'business_hours.monday': the spans 08:00-12:00 and 11:30-13:00 overlap on Monday", None),
    (
        "broken-hours-not-a-span.yaml",
        "agreement.invalid-value",
        13,
        13,
        "'business_hours.weekdays' must be a span of local time like 08:00-18:00, a list of spans, or closed; found '8-5'",
        None,
    ),
    (
        "broken-hour-out-of-range.yaml",
        "agreement.invalid-hours",
        13,
        11,
        "'business_hours.friday': 25:00 is not a time of day: hours run from 00 to 23 (and 24:00 to end a span)",
        "write a span of local time like 08:00-18:00; a span may not cross midnight",
    ),
    (
        "broken-unknown-holiday-country.yaml",
        "agreement.unknown-holidays",
        13,
        12,
        "the holidays calendar has no country 'UX'",
        "did you mean one of 'UA', 'UG', 'UK', 'UM', 'US', 'UY', 'UZ', 'AX', 'CX', 'MX', 'SX'?",
    ),
    ("broken-unknown-holiday-subdivision.yaml", "agreement.unknown-holidays", 14, 16, "'US' has no subdivision 'NX'", HELP_STARTS_WITH("subdivisions of US are AK, AL,")),
    ("broken-unknown-holiday-name.yaml", "agreement.unknown-holidays", 14, 18, "'Columbus Dya' is not a holiday of US during the agreement's term", "did you mean 'Columbus Day'?"),
    (
        "broken-closure-ends-before-start.yaml",
        "agreement.invalid-value",
        14,
        30,
        "'holidays.dates[0]': the closure ends on 2026-12-24, before it starts on 2026-12-31",
        None,
    ),
    ("broken-multiplier-below-one.yaml", "agreement.invalid-value", 13, 16, "'premiums.after_hours' must be a multiplier from 1 to 10, like 1.5; found 0.5", None),
    (
        "broken-unknown-waiver.yaml",
        "agreement.invalid-value",
        14,
        12,
        "'premiums.waived[0]' must be one of after_hours, holiday, emergency; found 'after_hour'",
        "did you mean 'after_hours'?",
    ),
    (
        "broken-rate-not-a-number.yaml",
        "agreement.invalid-value",
        11,
        13,
        "'rates.work_types.onsite' must be an amount of money of 0 or more, like $150 or 1,500.00; found 'fast'",
        None,
    ),
    ("broken-unknown-time-zone.yaml", "agreement.unknown-time-zone", 12, 11, "'America/New_Yrok' is not a time zone", "did you mean 'America/New_York'?"),
    ("broken-holiday-country-lower-case.yaml", "agreement.invalid-value", 13, 12, "'holidays.country' must be a country code in capitals, like US or GB; found 'us'", None),
    ("broken-subdivision-without-country.yaml", "agreement.missing-key", 13, 3, "'holidays.subdivision' needs 'holidays.country' beside it", None),
    ("broken-negative-minimum.yaml", "agreement.invalid-value", 10, 12, "'rates.minimum' must be a duration like 4h, 90m or 1h30m; found '-30m'", None),
    # prepaid hours
    (
        "broken-prepaid-missing-for-block-plan.yaml",
        "agreement.missing-key",
        5,
        10,
        "missing key 'prepaid'",
        "a block_hours plan lists the hours bought in advance, for example 'prepaid: {blocks: [{hours: 20, price: $1800, purchased: 2026-01-05}]}'",
    ),
    (
        "broken-prepaid-under-per-user-plan.yaml",
        "agreement.wrong-model",
        12,
        1,
        "'prepaid' is only for a block_hours plan, and this plan is per_user",
        HELP_STARTS_WITH("prepaid hours stand in for a plan's cover; under a per_user plan they would draw down hours the fee already pays for"),
    ),
    ("broken-prepaid-no-price.yaml", "agreement.missing-key", 13, 7, "'prepaid.blocks[0]' needs 'price' or 'rate'", "add one, for example 'price: $1800' or 'rate: $95'"),
    (
        "broken-prepaid-price-and-rate.yaml",
        "agreement.invalid-value",
        16,
        7,
        "'prepaid.blocks[0]' gives both 'price' and 'rate'; give only one",
        "keep one of them: two ways of saying the same thing could disagree",
    ),
    (
        "broken-prepaid-hours-not-positive.yaml",
        "agreement.invalid-value",
        13,
        30,
        "'prepaid.blocks[0].hours' must be a number of hours more than 0, like 20 or 7.5, or a duration like 7h30m; found 0",
        None,
    ),
    ("broken-prepaid-hours-zero-duration.yaml", "agreement.invalid-value", 13, 30, "'prepaid.blocks[0].hours' must be more than 0; found 0m", None),
    (
        "broken-prepaid-hours-not-whole-minutes.yaml",
        "agreement.invalid-value",
        13,
        30,
        "'prepaid.blocks[0].hours' must be a whole number of minutes; found 1h19.98m",
        "write it as hours and minutes, like 7h20m",
    ),
    (
        "broken-prepaid-expires-before-purchase.yaml",
        "agreement.invalid-value",
        13,
        80,
        "'prepaid.blocks[0].expires' (2025-12-31) is before 'prepaid.blocks[0].purchased' (2026-01-05)",
        "a block can be used from the day it was bought to the day it expires, both included",
    ),
    (
        "broken-prepaid-duplicate-id.yaml",
        "agreement.duplicate-entry",
        14,
        12,
        "block id 'B-2026' is used twice in 'prepaid.blocks'",
        "the first is 'prepaid.blocks[0]'; give each block its own 'id'",
    ),
    (
        "broken-prepaid-default-id-taken.yaml",
        "agreement.duplicate-entry",
        14,
        7,
        "'prepaid.blocks[1]' has no id, and its default, 'block-2', is the id of 'prepaid.blocks[0]'",
        "give it an 'id' of its own",
    ),
    (
        "broken-prepaid-comma-in-flow-amount.yaml",
        "agreement.unknown-key",
        13,
        44,
        "unknown key '800' in 'prepaid.blocks[0]'",
        'inside { } a comma separates keys, so an amount like $1,800 is cut at its comma; write it $1800, or in quotes: "$1,800"',
    ),
    ("broken-prepaid-missing-purchase-date.yaml", "agreement.missing-key", 14, 7, "missing key 'purchased' in 'prepaid.blocks[0]'", "add it, for example 'purchased: 2026-01-05'"),
]


@pytest.mark.parametrize(("file_name", "code", "line", "column", "message", "hint"), BROKEN, ids=[case[0] for case in BROKEN])
def test_broken_agreement_reports_one_positioned_problem(file_name, code, line, column, message, hint):
    path = AGREEMENTS / file_name
    with pytest.raises(DiagnosticError) as raised:
        load_agreement(path)
    [finding] = raised.value.diagnostics
    assert (finding.code, finding.span.line, finding.span.column) == (code, line, column)
    assert finding.message == message
    if isinstance(hint, HELP_STARTS_WITH):
        assert finding.help.startswith(hint)
    else:
        assert finding.help == hint
    assert finding.span.path == str(path)


def test_every_problem_is_reported_at_once_in_reading_order():
    with pytest.raises(DiagnosticError) as raised:
        load_agreement(AGREEMENTS / "broken-many-problems.yaml")
    assert [(finding.code, finding.span.line) for finding in raised.value.diagnostics] == [
        ("agreement.unknown-key", 4),
        ("agreement.term-order", 7),
        ("agreement.currency-mismatch", 8),
        ("agreement.invalid-value", 10),
        ("agreement.invalid-value", 12),
        ("agreement.invalid-value", 13),
    ]


def test_rendered_error_shows_the_line_and_a_caret():
    path = str(AGREEMENTS / "broken-misspelt-nested-key.yaml")
    with pytest.raises(DiagnosticError) as raised:
        load_agreement(path)
    assert render(raised.value.diagnostics[0], SourceLines()) == (
        f"{path}:9:3: error[agreement.unknown-key]: unknown key 'standrd' in 'rates'\n"
        "9 |   standrd: 150\n"
        "  |   ^^^^^^^\n"
        "help: did you mean 'standard'?"
    )


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ("scopecheck: 2\n", "agreement.invalid-value", "'scopecheck' must be 1; found 2"),
        ("currency: usd\n", "agreement.invalid-value", "'currency' must be a three-letter currency code in capitals, like USD; found 'usd'"),
        ("coverage: {users: forty}\n", "agreement.invalid-value", "'coverage.users' must be a whole number of 0 or more, or a list of names; found 'forty'"),
        ("coverage: {users: [ana, 3]}\n", "agreement.invalid-value", "'coverage.users[1]' must be text; found 3"),
        ("coverage: {devices: [{id: A1, class: phone}]}\n", "agreement.unknown-device-class", "unknown device class 'phone'"),
        ("coverage: {devices: [{id: A1, class: laptop}, {id: A1, class: server}]}\n", "agreement.duplicate-entry", "device 'A1' is listed twice in 'coverage.devices'"),
        ("coverage: {printers: -1}\n", "agreement.invalid-value", "'coverage.printers' must be a whole number of 0 or more; found -1"),
        ("params: {Bad-Name: 1}\n", "agreement.invalid-value", "the key 'Bad-Name' in 'params' must be a name of lower-case letters, digits and underscores"),
        ("params: {threshold: {hours: 1}}\n", "agreement.invalid-value", "'params.threshold' must be text, a number or true/false, or a list; found a mapping"),
        ("bussiness_hours: 9-5\n", "agreement.unknown-key", "unknown key 'bussiness_hours'"),
    ],
)
def test_more_broken_values(extra, code, message):
    [finding] = problems(minimal(extra=extra))
    assert (finding.code, finding.message) == (code, message)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("[]", "'rules' must not be empty"),
        ("", "'rules' must be a list; found nothing"),
        ("[standard, standard]", "'rules' lists 'standard' more than once"),
        ("[Standard]", "'rules[0]' must be a standard rule file name like standard, or a path to a .scope file like ./client.scope; found 'Standard'"),
    ],
)
def test_broken_rule_lists(rules, message):
    [finding] = problems(minimal().replace("rules: [standard]", f"rules: {rules}"))
    assert finding.message == message


def test_percent_above_one_hundred_written_as_text():
    text = minimal().replace("  standard: $150\n", "  standard: $150\n  contract_discount: 150%\n")
    [finding] = problems(text)
    assert (finding.code, finding.span.line, finding.span.column) == ("agreement.invalid-value", 7, 22)
    assert finding.message == "'rates.contract_discount' must be a percentage from 0% to 100%; found 150%"


def test_impossible_date():
    [finding] = problems(minimal().replace("start: 2026-01-01", "start: 2026-02-30"))
    assert (finding.span.line, finding.span.column) == (4, 17)
    assert finding.message == "'plan.term.start' must be a date like 2026-01-01; found '2026-02-30'"


@pytest.mark.parametrize(("name", "reason"), [("does-not-exist.yaml", "there is no such file"), (".", "it is a folder, not a file")])
def test_unreadable_file(name, reason):
    with pytest.raises(DiagnosticError) as raised:
        load_agreement(AGREEMENTS / name)
    [finding] = raised.value.diagnostics
    assert finding.code == "agreement.not-found"
    assert finding.message == f"cannot read the agreement '{AGREEMENTS / name}': {reason}"


def test_no_rendered_error_shows_python_or_jsonschema_internals():
    leaks = ("Traceback", "Error:", "is not valid under", "was unexpected", "is a required property", "does not match", "Decimal(", "None")
    paths = sorted(AGREEMENTS.glob("broken-*.yaml"))
    assert len(paths) >= 10
    for path in paths:
        with pytest.raises(DiagnosticError) as raised:
            load_agreement(path)
        for finding in raised.value.diagnostics:
            shown = render(finding, SourceLines())
            assert not any(leak in shown for leak in leaks), shown
            assert finding.message[0].islower() or finding.message[0] == "'", shown


# --- the schema itself ---------------------------------------------------------------------


def _property_nodes(node, where="#"):
    """Every property schema (named or a map's value schema) with where it sits."""
    for name, child in node.get("properties", {}).items():
        yield f"{where}/properties/{name}", child
        yield from _property_nodes(child, f"{where}/properties/{name}")
    if isinstance(node.get("additionalProperties"), dict):
        yield f"{where}/additionalProperties", node["additionalProperties"]
    for name, definition in node.get("$defs", {}).items():
        yield from _property_nodes(definition, f"#/$defs/{name}")


def test_schema_is_valid_2020_12_with_an_id():
    schema = json.loads(agreement_schema_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("agreement.schema.json")
    assert {"money", "percent", "duration", "date"} <= set(schema["$defs"])


def test_every_property_has_words_and_every_scalar_a_type():
    schema = agreement_schema()
    for where, node in _property_nodes(schema):
        assert node.get("title") and node.get("description"), f"{where} needs a title and a description"
        resolved = resolve(node)
        shapes = {json.dumps(shape.get("type")) for shape in [resolved, *map(resolve, resolved.get("anyOf", []))]}
        if not shapes & {'"object"', '"array"'} and where != "#/properties/params/additionalProperties":
            assert node.get("x-type") in ("number", "text", "boolean", "duration", "money", "percent", "date"), where


def test_every_object_closes_its_keys():
    def objects(node, where="#"):
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield where, node
            for key, child in node.items():
                yield from objects(child, f"{where}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                yield from objects(child, f"{where}/{index}")

    for where, node in objects(agreement_schema()):
        # Closed (false), or a map whose values are typed: either way a stray key is an error.
        assert node.get("additionalProperties") is False or isinstance(node.get("additionalProperties"), dict), where
        if isinstance(node.get("additionalProperties"), dict):
            assert "propertyNames" in node, f"{where}: a map must say what its keys look like"


def test_schema_device_classes_are_the_tickets_device_classes():
    assert tuple(agreement_schema()["$defs"]["device_class"]["enum"]) == DEVICE_CLASSES


@pytest.mark.parametrize("text", ["$150", "$1,500.00", "150", "150.00 EUR", "€20", "£ 7.5", "1,500", "$1,50x", "$150 USD", "15O", "-$5", "1,50", "$", "EUR"])
def test_schema_money_pattern_agrees_with_the_money_parser(text):
    string_shape = agreement_schema()["$defs"]["money"]["anyOf"][1]
    accepted_by_schema = Draft202012Validator(string_shape).is_valid(text)
    try:
        parse_money(text)
        accepted_by_parser = True
    except ValueError:
        accepted_by_parser = False
    assert accepted_by_schema == accepted_by_parser


# --- the documentation tells the truth -----------------------------------------------------

DOCS = Path(__file__).parents[2] / "docs" / "agreement.md"


def _fenced_blocks(language: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return [block.split("\n", 1)[1] for block in text.split("```")[1::2] if block.startswith(language + "\n")]


def test_the_documented_example_loads():
    agreement = parse_agreement(_fenced_blocks("yaml")[0], "clients/harbor-vale.yaml")
    assert agreement.plan.fees.per_device["server"] == Decimal("150")


def test_the_documented_error_output_is_what_scopecheck_prints():
    text = (
        "client:\n  name: Harbor & Vale LLP\nplan:\n  model: per_seat\n  term: {start: 2026-01-01, end: 2026-12-31}\n"
        "rates:\n  standrd: $150\n  contract_discount: 10%\nrules: [standard, ./harbor-vale.scope]\n"
    )
    path = "clients/harbor-vale.yaml"
    shown = "\n".join(render(finding, SourceLines({path: text})) for finding in problems(text, path))
    assert shown + "\n" in _fenced_blocks("")


# --- no input crashes the loader -----------------------------------------------------------

_ANY_YAML_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _replaced(value, path, replacement):
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(value[head], rest, replacement)
    return copy


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_mangled_agreement_gives_diagnostics_never_a_crash(data):
    original = yaml.safe_load((AGREEMENTS / "harbor-vale.yaml").read_text(encoding="utf-8"))
    original["plan"]["term"] = {"start": "2026-01-01", "end": "2026-12-31"}  # safe_dump would write dates back
    document = original
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(document))))
        document = _replaced(document, path, data.draw(_ANY_YAML_VALUE))
    text = yaml.safe_dump(document, allow_unicode=True)
    try:
        parse_agreement(text, "mangled.yaml")
    except DiagnosticError as error:
        for finding in error.diagnostics:
            assert finding.span is not None
            assert finding.code.startswith(("agreement.", "yaml."))
            assert "Traceback" not in render(finding, SourceLines({"mangled.yaml": text}))
