"""Remembered bills are the bills pricing would work out afresh, to the last digit written."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck.agreement.model import Rates
from scopecheck.calendar import WorkSplit
from scopecheck.evaluate.decision import Draw, FeeCharge, MaterialsCharge, PremiumCharge
from scopecheck.evaluate.pricing import Pricer, price, pricer_for, round_up_to_increment
from scopecheck.work import Work

START = dt.datetime(2026, 11, 20, 9, tzinfo=dt.timezone.utc)
# Equal values written differently: a bill shows the one it was priced with.
MULTIPLIERS = ("1.5", "1.50", "2", "2.0", "1", "0.5", "1.25")
RATES = (
    Rates(Decimal("150"), work_types={"onsite": Decimal("165.00")}, contract_discount=Decimal("0.10"),
          minimum=dt.timedelta(minutes=30), increment=dt.timedelta(minutes=15)),
    Rates(Decimal("120.00")),
    Rates(Decimal("99.99"), contract_discount=Decimal("0.125"), increment=dt.timedelta(minutes=6)),
)


def work_of(minutes: int) -> Work:
    return Work(START, START + dt.timedelta(minutes=minutes), WorkSplit(minutes, 0, 0))


@st.composite
def priced(draw: st.DrawFn) -> tuple:
    rates = draw(st.sampled_from(RATES))
    rate = draw(st.sampled_from([rates.standard, *rates.work_types.values()]))
    charges: list = [
        PremiumCharge(draw(st.sampled_from(["after_hours", "holiday", "emergency"])), Decimal(draw(st.sampled_from(MULTIPLIERS))),
                      draw(st.sampled_from([None, None, dt.timedelta(hours=1), dt.timedelta(minutes=20)])))
        for _ in range(draw(st.integers(0, 3)))
    ]
    if draw(st.integers(0, 5)) == 0:
        charges.append(FeeCharge("call_out", Decimal(draw(st.sampled_from(["75", "75.005", "-0", "0"])))))
    if draw(st.integers(0, 5)) == 0:
        charges.append(MaterialsCharge("parts", Decimal("19.99"), Decimal(draw(st.sampled_from(["0", "0.15"])))))
    drawn = None
    if draw(st.booleans()):
        drawn = tuple(Draw(block, draw(st.integers(1, 300))) for block in draw(st.lists(st.sampled_from("ABC"), max_size=2, unique=True)))
    outcome = draw(st.sampled_from(["in_plan", "billable", "project", "review"]))
    rule = draw(st.sampled_from(["covered", "extra_move", None]))
    minutes = draw(st.sampled_from([0, 1, 14, 15, 29, 30, 45, 61, 240, 333]))
    currency = draw(st.sampled_from(["USD", "JPY", "BHD"]))
    return outcome, rule, charges, work_of(minutes), rates, rate, currency, drawn


@settings(max_examples=1500, deadline=None)
@given(priced())
def test_a_remembered_bill_is_the_bill_worked_out_afresh(case: tuple) -> None:
    outcome, rule, charges, work, rates, rate, currency, drawn = case
    afresh = Pricer(rates, currency).price(outcome, rule, charges, work, rate, drawn)
    # Asked twice: the second answer comes from what the first remembered.
    for _ in range(2):
        bill = price(outcome, rule, charges, work, rates, rate, currency, drawn=drawn)
        assert repr(bill) == repr(afresh)
        assert bill == afresh


def test_multipliers_written_differently_are_shown_as_written() -> None:
    rates = RATES[0]
    bills = {
        text: price("billable", "extra_move", [PremiumCharge("after_hours", Decimal(text), None)], work_of(60), rates, rates.standard, "USD")
        for text in ("1.5", "1.50", "1.5", "1.50")
    }
    assert str(bills["1.5"].lines[-1].multiplier) == "1.5"
    assert str(bills["1.50"].lines[-1].multiplier) == "1.50"


def test_decimals_made_and_dropped_over_and_over_are_never_confused() -> None:
    # A Decimal dropped after pricing may leave its id to the next one made: a bill must never
    # be taken for another's because of it.
    rates = RATES[1]
    for round_ in range(200):
        text = MULTIPLIERS[round_ % len(MULTIPLIERS)]
        rate = Decimal(("120", "120.0", "80")[round_ % 3])
        charges = [PremiumCharge("after_hours", Decimal(text), None)] if round_ % 2 else []
        bill = price("billable", "rule", charges, work_of(90), rates, rate, "USD")
        assert repr(bill) == repr(Pricer(rates, "USD").price("billable", "rule", charges, work_of(90), rate))
        del charges, bill, rate
        gc.collect()


def test_what_is_remembered_is_bounded() -> None:
    rates = Rates(Decimal("100"))
    pricer = pricer_for(rates, "USD")
    for minutes in range(10_000):
        pricer.price("billable", "rule", (), work_of(minutes), rates.standard)
    assert 0 < len(pricer._bills) <= 4096
    for _ in range(100):
        pricer_for(Rates(Decimal("100")), "USD")
    from scopecheck.evaluate import pricing

    assert len(pricing._pricers) <= 64


def test_rounding_up_to_the_increment() -> None:
    assert round_up_to_increment(61, dt.timedelta(minutes=15)) == 75
    assert round_up_to_increment(60, dt.timedelta(minutes=15)) == 60
    assert round_up_to_increment(7, dt.timedelta(minutes=1)) == 7
    assert round_up_to_increment(7, dt.timedelta(seconds=90)) == 7
    assert round_up_to_increment(0, dt.timedelta(minutes=30)) == 0
