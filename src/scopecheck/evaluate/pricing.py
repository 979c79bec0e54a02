"""Pricing: a decided ticket's outcome, charges and work in, its bill out.

In: the outcome, the charges its rules added (premiums, fees, materials), the ticket's ``Work``
and the agreement's rates. Out: a ``Bill`` of ``ChargeLine``s. Nothing here decides scope; the
rules did that. The order of the steps is part of the contract with the client and is stated in
docs/agreement.md ("How a ticket is priced"):

1. Minutes come from the work's interval, split by the calendar (whole minutes).
2. Premiums are assigned minutes from the highest multiplier down, each taking at most the
   minutes it names (all of the work when it names none) and never more than are left, so an
   hour carries one premium, the highest that applies: emergency work at night is charged the
   emergency premium, not both.
3. Billable and project time is rounded up to the increment, then raised to the minimum; the
   minutes this adds are charged at the standard multiplier, never at a premium. In-plan work
   of a block_hours plan is rounded up to the increment only (the minimum is a floor for a
   billable call-out, not for prepaid hours) and drawn from the prepaid blocks
   (``evaluate/prepaid``); the minutes they could not cover are billed as labour.
4. Each line is minutes / 60 x hourly rate x multiplier (in-plan premium lines: multiplier - 1,
   as the plan already pays for the hour) x (1 - contract discount), exactly, in Decimal.
5. Each line's amount is rounded once, half up, to the currency's minor unit; a total is the sum
   of its rounded lines, so an invoice always adds up.

Fees are charged as written and materials at cost plus markup; neither is discounted, as the
discount is on hourly labour (DOMAIN.md, "an hourly discount on billable work").
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from scopecheck.agreement.model import Rates
from scopecheck.evaluate.decision import (
    LINE_KINDS,
    Bill,
    Charge,
    ChargeLine,
    Decision,
    Draw,
    FeeCharge,
    MaterialsCharge,
    PremiumCharge,
)
from scopecheck.evaluate.prepaid import PREPAID_RULE_ID
from scopecheck.memo import Memo
from scopecheck.record import record
from scopecheck.values import minor_unit
from scopecheck.work import Work

_ONE = Decimal(1)
_ZERO = Decimal(0)
_SIXTY = Decimal(60)
_LABOUR_KIND = {"billable": "labour", "project": "project"}
# Bills a pricer keeps, pricers kept and increments remembered: bounded, so a run over any number
# of tickets keeps its memory flat.
_BILLS_REMEMBERED = 4096
_PRICERS_REMEMBERED = 64
_INCREMENTS_REMEMBERED = 64


def price(
    outcome: str,
    deciding_rule: str | None,
    charges: Sequence[Charge],
    work: Work,
    rates: Rates,
    rate: Decimal,
    currency: str,
    drawn: Sequence[Draw] | None = None,
) -> Bill:
    """The bill for one decided ticket; ``rate`` is its hourly rate (``Rates.hourly_rate``).

    ``drawn``: for in-plan work of a block_hours plan, what it drew from the prepaid blocks
    (``None`` for any other plan, or when there was nothing to draw)."""
    return pricer_for(rates, currency).price(outcome, deciding_rule, charges, work, rate, drawn)


_pricers: Memo = Memo(_PRICERS_REMEMBERED)


def pricer_for(rates: Rates, currency: str) -> Pricer:
    """The ``Pricer`` of these rates (the very object) and currency, made once."""
    key = (id(rates), currency)
    pricer = _pricers.get(key)
    # The pricer holds on to its rates, so no other object can take their id while it is kept.
    if pricer is None or pricer.rates is not rates:
        pricer = _pricers.keep(key, Pricer(rates, currency))
    return pricer


class Pricer:
    """``price`` under one agreement's rates and currency.

    What stays the same from ticket to ticket (the minor unit, the increment and minimum in
    minutes) is worked out once, and bills are remembered: tickets of one agreement come to the
    same few bills over and over, and a bill is immutable, so one value serves them all.
    """

    __slots__ = ("rates", "currency", "_quantum", "_increment", "_minimum", "_bills")

    def __init__(self, rates: Rates, currency: str):
        self.rates = rates
        self.currency = currency
        self._quantum = minor_unit(currency)
        self._increment = _minutes_of(rates.increment)
        self._minimum = _minutes_of(rates.minimum)
        self._bills: Memo = Memo(_BILLS_REMEMBERED)

    def price(self, outcome: str, deciding_rule: str | None, charges: Sequence[Charge], work: Work, rate: Decimal,
              drawn: Sequence[Draw] | None = None) -> Bill:
        """``price`` with this pricer's rates and currency."""
        minutes = work.split.minutes
        if drawn is None and not charges:
            key: tuple | None = (outcome, deciding_rule, minutes, id(rate))
        elif drawn is None and len(charges) == 1 and type(charges[0]) is PremiumCharge:
            # One premium, the usual charge, keyed as _bill_key would key it, without the loop.
            premium = charges[0]
            key = (outcome, deciding_rule, minutes, id(rate), premium.rule_id, premium.multiplier, id(premium.multiplier), premium.hours)
        else:
            key = _bill_key(outcome, deciding_rule, charges, minutes, rate, drawn)
            if key is None:
                return self._price(outcome, deciding_rule, charges, minutes, rate, drawn)
        bill = self._bills.get(key)
        return bill if bill is not None else self._bills.keep(key, self._price(outcome, deciding_rule, charges, minutes, rate, drawn))

    def _price(self, outcome: str, deciding_rule: str | None, charges: Sequence[Charge], minutes: int, rate: Decimal,
               drawn: Sequence[Draw] | None) -> Bill:
        rates = self.rates
        quantum = self._quantum
        discount = rates.contract_discount

        def labour_line(kind: str, rule_id: str | None, line_minutes: int, multiplier: Decimal, charged: Decimal,
                        added: int = 0) -> ChargeLine:
            # Divided last, so the product is exact and a true half cent rounds up.
            amount = Decimal(line_minutes) * rate * charged * (_ONE - discount) / _SIXTY
            return ChargeLine(kind, rule_id, _round(amount, quantum), line_minutes, rate, multiplier, discount, added_minutes=added)

        lines: list[ChargeLine] = []
        premiums = _assign_premiums([c for c in charges if isinstance(c, PremiumCharge)], minutes)
        if outcome in _LABOUR_KIND and minutes:
            kind = _LABOUR_KIND[outcome]
            billed = max(_round_up(minutes, self._increment), self._minimum)
            at_premium = sum(taken for _, taken in premiums)
            standard = billed - at_premium
            if standard:
                lines.append(labour_line(kind, deciding_rule, standard, _ONE, _ONE, added=billed - minutes))
            lines.extend(labour_line(kind, charge.rule_id, taken, charge.multiplier, charge.multiplier) for charge, taken in premiums)
        elif outcome == "in_plan":
            if drawn is None:
                lines.append(ChargeLine("covered", deciding_rule, _ZERO, minutes))
            else:
                lines.extend(ChargeLine("prepaid", deciding_rule, _ZERO, draw.minutes, block=draw.block_id) for draw in drawn)
                rounded = _round_up(minutes, self._increment)
                uncovered = rounded - sum(draw.minutes for draw in drawn)
                if uncovered > 0:
                    # Rounding lengthens the work at its end and the blocks cover it from its start,
                    # so the minutes rounding added fall in the part billed, as far as they go.
                    added = min(rounded - minutes, uncovered)
                    lines.append(labour_line("labour", PREPAID_RULE_ID, uncovered, _ONE, _ONE, added=added))
            lines.extend(
                labour_line("premium", charge.rule_id, taken, charge.multiplier, charge.multiplier - _ONE) for charge, taken in premiums
            )
        elif minutes:
            lines.append(ChargeLine("review", deciding_rule, _ZERO, minutes))
        for charge in charges:
            match charge:
                case FeeCharge(amount=amount):
                    lines.append(ChargeLine("fee", charge.rule_id, _round(amount, quantum)))
                case MaterialsCharge(cost=cost, markup=markup):
                    lines.append(ChargeLine("materials", charge.rule_id, _round(cost * (_ONE + markup), quantum), markup=markup, cost=cost))
        return Bill(tuple(lines))


def _bill_key(outcome: str, deciding_rule: str | None, charges: Sequence[Charge], minutes: int, rate: Decimal,
              drawn: Sequence[Draw] | None) -> tuple | None:
    """What a bill depends on besides the pricer's own rates, or ``None`` for a bill not worth
    remembering (one with fees or materials, whose amounts vary from ticket to ticket).

    Decimals are keyed by identity as well as value: equal Decimals can still be written
    differently (1.5 and 1.50), and a bill shows the very values it was priced with. The key
    holds each premium's multiplier, so no other Decimal can take its id while the bill is
    remembered; the rate, named by its id alone, is held by every line of the bill that used it,
    and a bill with no such line does not depend on the rate.
    """
    premiums = []
    for charge in charges:
        if type(charge) is not PremiumCharge:
            return None
        premiums.append((charge.rule_id, charge.multiplier, id(charge.multiplier), charge.hours))
    draws = tuple((draw.block_id, draw.minutes) for draw in drawn) if drawn is not None else None
    return outcome, deciding_rule, minutes, id(rate), tuple(premiums), draws


def _assign_premiums(premiums: list[PremiumCharge], minutes: int) -> list[tuple[PremiumCharge, int]]:
    """Minutes for each premium, highest multiplier first (ties: the rule written first).
    A multiplier of 1 or less is no premium and takes nothing."""
    left = minutes
    assigned = []
    for charge in sorted(premiums, key=lambda charge: -charge.multiplier):
        if charge.multiplier <= _ONE or left <= 0:
            continue
        wanted = left if charge.hours is None else max(0, min(_minutes_of(charge.hours), left))
        if wanted:
            assigned.append((charge, wanted))
            left -= wanted
    return assigned


def _minutes_of(duration) -> int:
    return int(duration.total_seconds()) // 60


_increments: Memo = Memo(_INCREMENTS_REMEMBERED)


def round_up_to_increment(minutes: int, increment: dt.timedelta) -> int:
    """``minutes`` rounded up to a whole number of ``increment`` (``rates.increment``)."""
    # An agreement's increment, in minutes, once: it is asked for every in-plan ticket of a
    # block_hours plan, and agreements have few increments between them.
    in_minutes = _increments.get(increment)
    if in_minutes is None:
        in_minutes = _increments.keep(increment, _minutes_of(increment))
    return _round_up(minutes, in_minutes)


def _round_up(minutes: int, increment: int) -> int:
    if increment <= 1:
        return minutes
    return -(-minutes // increment) * increment


def _round(amount: Decimal, quantum: Decimal) -> Decimal:
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


# --- a batch: its period and its totals ----------------------------------------------------


@record
class Period:
    """Whole days, both included, in the client's zone; a ticket belongs to the period its
    work starts in."""

    first: dt.date
    last: dt.date

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026-11`` (a month), ``2026`` (a year) or ``2026-11-02`` (a day); raises ValueError."""
        text = text.strip()
        try:
            if re.fullmatch(r"\d{4}", text):
                return cls(dt.date(int(text), 1, 1), dt.date(int(text), 12, 31))
            if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
                year, month = int(match[1]), int(match[2])
                first = dt.date(year, month, 1)
                last = dt.date(year, 12, 31) if month == 12 else dt.date(year, month + 1, 1) - dt.timedelta(days=1)
                return cls(first, last)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                day = dt.date.fromisoformat(text)
                return cls(day, day)
        except ValueError:
            pass
        raise ValueError(f"'{text}' is not a period; write a month like 2026-11, a year like 2026, or a day like 2026-11-02")

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.first <= moment.date() <= self.last

    def __str__(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        if self.first == dt.date.min:
            return f"up to {self.last.isoformat()}"
        if self.last == dt.date.max:
            return f"{self.first.isoformat()} onwards"
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


# Project labour is priced as an estimate for the quote, which is invoiced on its own terms.
QUOTED_KINDS = ("project",)


@record
class Totals:
    """What a batch of decisions comes to: tickets by outcome, minutes and amounts by kind of
    line (``LINE_KINDS``), and the total to invoice, which leaves out quoted project labour."""

    tickets: Mapping[str, int]
    minutes: Mapping[str, int]
    amounts: Mapping[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum((amount for kind, amount in self.amounts.items() if kind not in QUOTED_KINDS), Decimal(0))


def totals_of(decisions: Iterable[Decision]) -> Totals:
    tickets: Counter[str] = Counter()
    minutes: Counter[str] = Counter()
    amounts: dict[str, Decimal] = {}
    for decision in decisions:
        tickets[decision.outcome] += 1
        for line in decision.bill.lines:
            kind = line.kind
            minutes[kind] += line.minutes
            amounts[kind] = amounts.get(kind, _ZERO) + line.amount
    ordered_amounts = {kind: amounts[kind] for kind in LINE_KINDS if kind in amounts}
    ordered_minutes = {kind: minutes[kind] for kind in LINE_KINDS if minutes[kind]}
    return Totals(MappingProxyType(dict(tickets)), MappingProxyType(ordered_minutes), MappingProxyType(ordered_amounts))
