"""Prepaid hours: loading the blocks, drawing them down, pricing what they cannot cover, and
the balance report.

In: small block_hours agreements written inline (with the standard rule library), tickets, and
dated draws. Out: assertions on the blocks as loaded, the draws, the decisions and their bills,
the ``Balance`` and the report's text and JSON.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from scopecheck import engine
from scopecheck.agreement import parse_agreement
from scopecheck.agreement.model import Prepaid, PrepaidBlock
from scopecheck.evaluate.decision import Draw
from scopecheck.evaluate.history import History
from scopecheck.evaluate.prepaid import PREPAID_RULE_ID, PrepaidBalances, balance_of
from scopecheck.output import balance_record, describe_line, write_balance, write_table
from scopecheck.tickets.model import Ticket
from scopecheck.values import parse_datetime, parse_duration

AGREEMENT = """\
client: {name: Acme Dental}
plan:
  model: block_hours
  term: {start: 2026-01-01, end: 2026-12-31}
timezone: America/New_York
rates:
  standard: $150
  work_types: {onsite: $165}
  contract_discount: 10%
  minimum: 1h
  increment: 15m
prepaid:
  warn_below: 5h
  blocks:
BLOCKS
rules: [standard]
"""

TWO_BLOCKS = """\
    - {id: B-2026-01, hours: 2, price: $270, purchased: 2026-01-05, expires: 2026-06-30}
    - {id: B-2026-07, hours: 3, rate: $95, purchased: 2026-07-01}
"""


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def block(block_id: str, hours: float, purchased: str, expires: str | None = None, price: str = "100") -> PrepaidBlock:
    return PrepaidBlock(block_id, int(hours * 60), Decimal(price), day(purchased), day(expires) if expires else None)


@pytest.fixture
def program_for(tmp_path):
    def build(blocks: str = TWO_BLOCKS):
        path = tmp_path / "agreement.yaml"
        path.write_text(AGREEMENT.replace("BLOCKS\n", blocks))
        return engine.load(path).program

    return build


def ticket(ticket_id: str, opened: str, spent: str, **fields) -> Ticket:
    return Ticket(id=ticket_id, opened_at=parse_datetime(opened), time_spent=parse_duration(spent), **fields)


def prepared(program, *tickets: Ticket) -> list[Ticket]:
    return [program.prepare(one) for one in tickets]


# --- the blocks as loaded ------------------------------------------------------------------


def test_blocks_load_with_defaults_prices_and_hours_as_written():
    text = AGREEMENT.replace(
        "BLOCKS\n",
        "    - {id: B-2026-01, hours: 20, price: \"$1,800\", purchased: 2026-01-05, expires: 2026-12-31}\n"
        "    - {hours: 7h20m, rate: $95, purchased: 2026-07-01}\n"
        "    - {hours: 7.5, rate: $95, purchased: 2026-07-01}\n",
    )
    prepaid = parse_agreement(text, "inline.yaml").prepaid
    assert prepaid.warn_below == dt.timedelta(hours=5)
    first, second, third = prepaid.blocks
    assert first == PrepaidBlock("B-2026-01", 1200, Decimal("1800"), day("2026-01-05"), day("2026-12-31"))
    # rate x hours, rounded once, half up: 95 x 7h20m is 696.666...
    assert (second.id, second.minutes, second.price, second.expires) == ("block-2", 440, Decimal("696.67"), None)
    assert (third.id, third.minutes, third.price) == ("block-3", 450, Decimal("712.50"))


def test_the_documented_blocks_load():
    docs = (Path(__file__).parents[2] / "docs" / "agreement.md").read_text(encoding="utf-8")
    [example] = [block.split("\n", 1)[1] for block in docs.split("```")[1::2] if block.startswith("yaml\nplan: {model: block_hours")]
    agreement = parse_agreement("client: {name: A}\nrates: {standard: 100}\nrules: [standard]\n" + example, "inline.yaml")
    assert [(block.id, block.minutes, block.price) for block in agreement.prepaid.blocks] == [
        ("B-2026-01", 1200, Decimal("1800")),
        ("B-2026-07", 600, Decimal("950.00")),
    ]


def test_an_agreement_of_another_model_has_no_prepaid_hours():
    text = "client: {name: A}\nplan: {model: per_user, term: {start: 2026-01-01, end: 2026-12-31}}\nrates: {standard: 100}\nrules: [standard]\n"
    assert parse_agreement(text, "inline.yaml").prepaid is None


# --- drawing -------------------------------------------------------------------------------


def test_blocks_are_drawn_oldest_purchase_first_ties_in_the_order_written():
    prepaid = Prepaid((block("LATE", 1, "2026-03-01"), block("TIE-A", 1, "2026-01-05"), block("TIE-B", 1, "2026-01-05")))
    balances = PrepaidBalances(prepaid)
    draws, uncovered = balances.plan_draw(day("2026-04-01"), 150)
    assert draws == (Draw("TIE-A", 60), Draw("TIE-B", 60), Draw("LATE", 30)) and uncovered == 0


def test_planning_a_draw_changes_nothing_until_it_is_recorded():
    balances = PrepaidBalances(Prepaid((block("A", 2, "2026-01-01"),)))
    planned = balances.plan_draw(day("2026-02-01"), 90)
    assert balances.plan_draw(day("2026-02-01"), 90) == planned == ((Draw("A", 90),), 0)
    balances.record(planned[0])
    assert (balances.drawn("A"), balances.left("A")) == (90, 30)
    assert balances.plan_draw(day("2026-02-01"), 90) == ((Draw("A", 30),), 60)
    balances.record([Draw("RENAMED", 30)])  # a block the agreement no longer has: no balance
    assert balances.left("A") == 30


def test_only_blocks_usable_on_the_day_are_drawn():
    balances = PrepaidBalances(Prepaid((block("OLD", 1, "2026-01-01", expires="2026-03-31"), block("NEW", 1, "2026-04-01"))))
    assert balances.plan_draw(day("2026-03-31"), 30) == ((Draw("OLD", 30),), 0)  # the last day is included
    assert balances.plan_draw(day("2026-04-01"), 30) == ((Draw("NEW", 30),), 0)  # OLD expired, NEW bought that day
    assert balances.plan_draw(day("2025-12-31"), 30) == ((), 30)  # before any purchase


OVERLAPPING = "    - {id: A, hours: 1, price: $100, purchased: 2026-01-05}\n    - {id: B, hours: 1, price: $100, purchased: 2026-02-05}\n"


def test_a_ticket_splits_across_two_blocks(program_for):
    program = program_for(OVERLAPPING)
    [job] = prepared(program, ticket("T1", "2026-03-02T09:00", "1h30m"))
    decision = program.decide(job)
    assert (decision.outcome, decision.drawn) == ("in_plan", (Draw("A", 60), Draw("B", 30)))
    assert [describe_line(line, "USD") for line in decision.bill.lines] == [
        "prepaid 1h from block A (day_to_day_support)",
        "prepaid 30m from block B (day_to_day_support)",
    ]
    assert [fired.rule_id for fired in decision.fired] == ["day_to_day_support"]


def test_a_block_not_yet_bought_is_not_drawn(program_for):
    program = program_for()
    history = program.new_history()
    history.balances.record([Draw("B-2026-01", 60)])
    [june, july] = prepared(program, ticket("JUNE", "2026-06-30T09:00", "1h30m"), ticket("JULY", "2026-07-01T09:00", "1h"))
    assert program.decide(june, history).drawn == (Draw("B-2026-01", 60),)  # B-2026-07 is bought in July
    assert program.decide(july, history).drawn == (Draw("B-2026-07", 60),)  # B-2026-01 expired on 30 June


def test_running_out_mid_ticket_bills_the_rest_and_says_why(program_for):
    program = program_for()
    history = program.new_history()
    history.balances.record([Draw("B-2026-01", 30)])
    [job] = prepared(program, ticket("T1", "2026-03-02T09:00", "3h50m", work_type="onsite"))
    decision = program.decide(job, history)
    assert (decision.outcome, decision.deciding_rule.rule_id) == ("in_plan", "day_to_day_support")
    assert decision.drawn == (Draw("B-2026-01", 90),)
    explained = decision.fired[-1]
    assert (explained.rule_id, explained.outcome) == (PREPAID_RULE_ID, None)
    assert explained.reason == "drew 1h30m from block B-2026-01, which is now used up; the other 2h30m is billed at the onsite rate"
    # Where 'prepaid' is written in the agreement.
    assert (explained.span.line, explained.span.column) == (12, 1)
    # 3h50m rounds up to 4h (the increment); 1h30m of it prepaid, 2h30m billed, 10m of those by rounding.
    assert [describe_line(line, "USD") for line in decision.bill.lines] == [
        "prepaid 1h30m from block B-2026-01 (day_to_day_support)",
        "labour 2h30m x $165.00/h less 10% = $371.25, 10m of it added by rounding and the minimum (prepaid_hours)",
    ]
    assert decision.bill.lines[0].block == "B-2026-01"
    assert history.balances.left("B-2026-01") == 90  # deciding records nothing


def test_a_draw_across_blocks_names_every_block_it_used_up(program_for):
    program = program_for(OVERLAPPING)
    [job] = prepared(program, ticket("T1", "2026-03-02T09:00", "2h30m"))
    explained = program.decide(job).fired[-1]
    assert explained.reason == "drew 1h from block A and 1h from block B, which are now used up; the other 30m is billed at the standard rate"


def test_fully_covered_work_needs_no_explanation_and_is_not_raised_to_the_minimum(program_for):
    program = program_for()
    [job] = prepared(program, ticket("T1", "2026-03-02T09:00", "10m"))
    decision = program.decide(job)
    assert [fired.rule_id for fired in decision.fired] == ["day_to_day_support"]
    assert decision.drawn == (Draw("B-2026-01", 15),)  # the increment, not the 1h minimum
    assert decision.bill.total == 0


def test_with_nothing_left_the_work_is_billable_and_prepaid_hours_decides(program_for):
    program = program_for()
    history = program.new_history()
    history.balances.record([Draw("B-2026-01", 120)])
    [job] = prepared(program, ticket("T1", "2026-03-02T09:00", "20m"))
    decision = program.decide(job, history)
    assert (decision.outcome, decision.deciding_rule.rule_id, decision.deciding_rule.outcome) == ("billable", PREPAID_RULE_ID, "billable")
    assert decision.reason == (
        "no prepaid hours are left for work on 2026-03-02 (block B-2026-01 is used up and block B-2026-07 is not bought until "
        "2026-07-01); the work is billed at the standard rate"
    )
    assert decision.drawn == ()
    # Billable now, so the minimum applies as for any billable call-out.
    assert [describe_line(line, "USD") for line in decision.bill.lines] == [
        "labour 1h x $150.00/h less 10% = $135.00, 40m of it added by rounding and the minimum (prepaid_hours)"
    ]


def test_work_the_rules_bill_draws_nothing(program_for):
    program = program_for()
    [repair] = prepared(program, ticket("T1", "2026-03-02T09:00", "1h", cause="act_of_god", category="repair"))
    decision = program.decide(repair)
    assert (decision.outcome, decision.drawn) == ("billable", ())


def test_without_a_history_each_decision_draws_from_untouched_blocks(program_for):
    program = program_for()
    [job] = prepared(program, ticket("T1", "2026-03-02T09:00", "1h30m"))
    assert program.decide(job).drawn == program.decide(job).drawn == (Draw("B-2026-01", 90),)
    # a history made by hand, without balances, is treated the same way
    assert program.decide(job, History(program.term_start)).drawn == (Draw("B-2026-01", 90),)


def test_a_batch_feeds_the_balances_through_history_in_the_order_work_started(program_for):
    program = program_for()
    tickets = prepared(
        program,
        ticket("LATER", "2026-03-03T09:00", "1h"),
        ticket("FIRST", "2026-03-02T09:00", "1h30m"),
        ticket("JULY", "2026-07-02T09:00", "45m"),
    )
    history = program.new_history()
    first, later, july = (decision for decision in sorted(program.decide_batch(tickets, history), key=lambda d: d.ticket.opened_at))
    assert first.drawn == (Draw("B-2026-01", 90),)
    assert (later.outcome, later.drawn) == ("in_plan", (Draw("B-2026-01", 30),))
    assert [line.kind for line in later.bill.lines] == ["prepaid", "labour"]
    assert july.drawn == (Draw("B-2026-07", 45),)
    assert (history.balances.left("B-2026-01"), history.balances.left("B-2026-07")) == (0, 135)


def test_the_table_shows_how_the_blocks_split_the_work(program_for):
    program = program_for()
    decisions = program.decide_batch(prepared(program, ticket("T1", "2026-03-02T09:00", "3h", category="help_desk", summary="vpn")))
    out = io.StringIO()
    write_table(decisions, out, "USD", width=120)
    assert out.getvalue().splitlines()[1:] == [
        "T1      IN PLAN   day_to_day_support  day-to-day support is part of the service plan",
        "                                      drew 2h from block B-2026-01, which is now used up; the other 1h is billed at the",
        "                                      standard rate",
        "                                      + prepaid 2h from block B-2026-01 (day_to_day_support)",
        "                                      + labour 1h x $150.00/h less 10% = $135.00 (prepaid_hours)",
    ]


# --- the balance report --------------------------------------------------------------------


PREPAID = Prepaid(
    (
        PrepaidBlock("B-2026-01", 1200, Decimal("1800"), day("2026-01-05"), day("2026-12-31")),
        PrepaidBlock("B-2026-07", 180, Decimal("1000"), day("2026-07-01"), None),
        PrepaidBlock("B-2025", 600, Decimal("900"), day("2025-01-01"), day("2025-12-31")),
    ),
    warn_below=dt.timedelta(hours=5),
)


def test_balance_per_block_and_of_the_usable_blocks():
    draws = [
        (day("2025-06-01"), Draw("B-2025", 240)),
        (day("2026-02-01"), Draw("B-2026-01", 600)),
        (day("2026-08-01"), Draw("B-2026-01", 300)),
        (day("2026-09-30"), Draw("B-2026-07", 60)),
        (day("2026-10-01"), Draw("B-2026-07", 999)),  # after the report's day: not counted
    ]
    balance = balance_of(PREPAID, draws, day("2026-09-30"))
    january, july, last_year = balance.blocks
    assert (january.bought, january.used, january.left, january.expired, january.usable) == (1200, 900, 300, False, True)
    assert january.value_left == Decimal("450")  # 1800 x 300 / 1200
    assert (july.used, july.left) == (60, 120)
    assert july.value_left == Decimal(1000) * 120 / 180  # exact: 666.666...
    assert (last_year.expired, last_year.usable, last_year.left) == (True, False, 360)
    # totals are of the usable blocks only
    assert (balance.bought, balance.used, balance.left) == (1380, 960, 420)
    assert balance.low is False and balance.warn_below == 300


def test_the_forecast_runs_out_at_the_recent_rate_and_notes_blocks_that_expire_first():
    # 90 days up to 2026-09-30 start on 2026-07-03; 900 minutes drawn in them: 10 a day.
    draws = [(day("2026-07-02"), Draw("B-2026-01", 500)), (day("2026-07-03"), Draw("B-2026-01", 400)),
             (day("2026-09-30"), Draw("B-2026-01", 500))]
    balance = balance_of(PREPAID, draws, day("2026-09-30"))
    forecast = balance.forecast
    assert (forecast.days, forecast.recent_minutes, forecast.per_day) == (90, 900, Decimal(10))
    assert balance.left == 180  # January's block is used up (over-drawn, even); July's is whole
    assert forecast.runs_out == day("2026-09-30") + dt.timedelta(days=18)
    assert forecast.expiring == ()


def test_a_block_that_expires_before_it_is_used_up_is_noted():
    draws = [(day("2026-10-01"), Draw("B-2026-01", 900))]  # 900 in the 90 days up to 2026-12-01
    balance = balance_of(PREPAID, draws, day("2026-12-01"))
    # 10 minutes a day: January's 300 left would last 30 days, but it expires on 2026-12-31,
    # after 30 days: 300 - 30 x 10 = 0 left. One day earlier it would be 10 minutes short.
    assert balance.forecast.expiring == ()
    balance = balance_of(PREPAID, draws, day("2026-12-02"))
    [expiry] = balance.forecast.expiring
    assert (expiry.block_id, expiry.expires, expiry.minutes) == ("B-2026-01", day("2026-12-31"), 10)
    # Drawing then moves to July's block from the end of 2026-12-31: 180 minutes, 18 days.
    assert balance.forecast.runs_out == day("2027-01-18")


def test_nothing_used_recently_gives_no_run_out_date_and_lists_every_block_that_will_expire():
    balance = balance_of(PREPAID, [(day("2026-02-01"), Draw("B-2026-01", 1000))], day("2026-09-30"))
    assert balance.forecast.recent_minutes == 0 and balance.forecast.runs_out is None
    [expiry] = balance.forecast.expiring
    assert (expiry.block_id, expiry.minutes) == ("B-2026-01", 200)
    assert not balance.low  # 200 + 180 minutes is not under 5h


def test_a_client_whose_first_block_is_recent_is_forecast_from_its_purchase():
    prepaid = Prepaid((PrepaidBlock("NEW", 600, Decimal(900), day("2026-09-21"), None),))
    balance = balance_of(prepaid, [(day("2026-09-25"), Draw("NEW", 100))], day("2026-09-30"))
    assert (balance.forecast.days, balance.forecast.per_day) == (10, Decimal(10))
    assert balance.forecast.runs_out == day("2026-11-19")  # 500 minutes at 10 a day


def test_the_balance_report_text_and_json():
    draws = [(day("2026-08-01"), Draw("B-2026-01", 1080)), (day("2026-09-01"), Draw("B-2026-07", 60))]
    balance = balance_of(PREPAID, draws, day("2026-09-30"))
    out = io.StringIO()
    write_balance(balance, out, "USD")
    assert out.getvalue().splitlines() == [
        "Prepaid hours as of 2026-09-30",
        "BLOCK      PURCHASED   EXPIRES     BOUGHT  USED  LEFT  VALUE LEFT",
        "B-2026-01  2026-01-05  2026-12-31     20h   18h    2h     $180.00",
        "B-2026-07  2026-07-01  never           3h    1h    2h     $666.67",
        "B-2025     2025-01-01  2025-12-31     10h    0m   10h     $900.00  expired",
        "usable                                23h   19h    4h     $846.67",
        "At the rate of the last 90 days (13m a day), the usable hours run out on 2026-10-19.",
        "warning: only 4h of prepaid hours are left, under the 5h the agreement warns at; the client may want to buy another block",
    ]
    record = balance_record(balance, "USD")
    assert record["usable"] == {"bought_minutes": 1380, "used_minutes": 1140, "left_minutes": 240, "value_left": "846.67"}
    assert record["blocks"][1] == {
        "id": "B-2026-07", "purchased": "2026-07-01", "expires": None, "expired": False, "usable": True,
        "bought_minutes": 180, "used_minutes": 60, "left_minutes": 120, "price": "1000.00", "value_left": "666.67",
    }
    assert record["forecast"] == {"days": 90, "recent_minutes": 1140, "minutes_per_day": "12.67", "runs_out": "2026-10-19", "expiring": []}
    assert (record["low"], record["warn_below_minutes"], record["as_of"]) == (True, 300, "2026-09-30")
