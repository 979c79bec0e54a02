"""Prepaid hours: drawing a block_hours client's blocks down, and what is left of them.

Stage: evaluate. In: the agreement's ``Prepaid`` blocks; for one ticket, the minutes of its
in-plan work and the day it started; for a report, the draws recorded so far. Out: ``Draw``s
(what a ticket takes from which block) with the ``FiredRule`` that explains work the blocks did
not cover, and a ``Balance``: per block and in total, with a forecast of when the hours run out.

The order of drawing is part of the agreement with the client (docs/agreement.md, "Prepaid
hours"): a ticket draws only from blocks usable on the day its work started (bought on or before
that day and not expired), oldest purchase first, ties in the order the blocks are written, each
up to what it has left. Oldest first is what a client expects, as with any prepaid balance, and
uses the hours most likely to expire before the newer ones.

Nothing here is changed by deciding a ticket: ``plan_draw`` only proposes, and only
``History.add`` records (through ``PrepaidBalances.record``), so a batch run and the ledger
feed the balances the same way and a ticket decided twice never draws twice.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from scopecheck.agreement.model import Agreement, Prepaid, PrepaidBlock, Rates
from scopecheck.evaluate.decision import Draw, FiredRule
from scopecheck.memo import Memo
from scopecheck.record import record
from scopecheck.values import format_duration

PREPAID_RULE_ID = "prepaid_hours"
PREPAID_RULE_TITLE = "In-plan work draws on the prepaid hours; what they cannot cover is billed"

# The recent rate of use is taken over this many days up to the report's day: long enough to
# smooth out a busy week, short enough to follow a client whose needs have changed.
FORECAST_DAYS = 90


def drawing_order(prepaid: Prepaid) -> tuple[PrepaidBlock, ...]:
    """The blocks in the order they are drawn: oldest purchase first, ties as written."""
    return tuple(sorted(prepaid.blocks, key=lambda block: block.purchased))  # sorted() is stable


class PrepaidBalances:
    """The minutes drawn so far from each block of one agreement."""

    def __init__(self, prepaid: Prepaid):
        self.prepaid = prepaid
        self._order = drawing_order(prepaid)
        self._bought = {block.id: block.minutes for block in prepaid.blocks}
        self._drawn = {block.id: 0 for block in prepaid.blocks}

    def drawn(self, block_id: str) -> int:
        return self._drawn[block_id]

    def left(self, block_id: str) -> int:
        return max(0, self._bought[block_id] - self._drawn[block_id])

    def plan_draw(self, day: dt.date, minutes: int) -> tuple[tuple[Draw, ...], int]:
        """What ``minutes`` of work on ``day`` would take from which block, and the minutes no
        block could cover. Changes nothing: ``record`` the draws to make them count."""
        draws = []
        wanted = minutes
        bought, drawn = self._bought, self._drawn
        for block in self._order:
            if wanted <= 0:
                break
            if not block.usable_on(day):
                continue
            taken = min(wanted, max(0, bought[block.id] - drawn[block.id]))
            if taken > 0:
                draws.append(_draw(block.id, taken))
                wanted -= taken
        return tuple(draws), max(0, wanted)

    def record(self, draws: Iterable[Draw]) -> None:
        """Count ``draws`` as drawn. A draw on a block the agreement no longer has (renamed or
        removed since the ticket was decided) belongs to no balance and is left out."""
        for draw in draws:
            if draw.block_id in self._drawn:
                self._drawn[draw.block_id] += draw.minutes


# Draws made before, shared: a block is drawn the same few numbers of minutes over and over,
# and a frozen dataclass costs more to build than to look up. Bounded, so memory stays flat.
_DRAWS_REMEMBERED = 4096
_shared_draws: Memo = Memo(_DRAWS_REMEMBERED)


def _draw(block_id: str, minutes: int) -> Draw:
    key = (block_id, minutes)
    draw = _shared_draws.get(key)
    return draw if draw is not None else _shared_draws.keep(key, Draw(block_id, minutes))


# --- one ticket ----------------------------------------------------------------------------


@record
class TicketDraw:
    """What one ticket's in-plan work takes from the blocks.

    ``minutes`` is the work rounded up to the agreement's increment; ``drawn`` what the blocks
    gave of it, ``uncovered`` the rest. ``explanation`` is the ``prepaid_hours`` rule that says
    why part or all of the work is billed; ``None`` when the blocks covered all of it.
    """

    minutes: int
    drawn: tuple[Draw, ...]
    uncovered: int
    explanation: FiredRule | None


def draw_for_ticket(agreement: Agreement, balances: PrepaidBalances, day: dt.date, minutes: int, rate_name: str) -> TicketDraw:
    """Draw ``minutes`` of in-plan work done on ``day`` (not recorded; see the module docstring).

    ``rate_name`` says in words which rate bills what the blocks cannot cover, e.g.
    ``standard rate`` (``rate_name_of``).
    """
    drawn, uncovered = balances.plan_draw(day, minutes)
    if not uncovered:
        return _covered_draw(minutes, drawn)
    if drawn:
        # Work is drawn oldest block first until none is left, so every block drawn is now empty.
        taken = _join([f"{_hours(draw.minutes)} from block {draw.block_id}" for draw in drawn])
        used_up = "which is now used up" if len(drawn) == 1 else "which are now used up"
        reason = f"drew {taken}, {used_up}; the other {_hours(uncovered)} is billed at the {rate_name}"
        outcome = None  # still in plan: the blocks covered part of it
    else:
        reason = f"no prepaid hours are left for work on {day.isoformat()} ({_states(agreement.prepaid, balances, day)}); the work is billed at the {rate_name}"
        outcome = "billable"
    span = agreement.source_map.span_of(("prepaid",), key=True)
    explanation = FiredRule(PREPAID_RULE_ID, PREPAID_RULE_TITLE, outcome, 0, reason, span)
    return TicketDraw(minutes, drawn, uncovered, explanation)


# A frozen dataclass's __init__ sets each field through object.__setattr__; the draw that covers
# all of a ticket's work, made for most in-plan tickets, has its slots set directly instead.
_set_minutes, _set_drawn = TicketDraw.minutes.__set__, TicketDraw.drawn.__set__  # type: ignore[attr-defined]
_set_uncovered, _set_explanation = TicketDraw.uncovered.__set__, TicketDraw.explanation.__set__  # type: ignore[attr-defined]


def _covered_draw(minutes: int, drawn: tuple[Draw, ...]) -> TicketDraw:
    """``TicketDraw(minutes, drawn, 0, None)``."""
    draw = object.__new__(TicketDraw)
    _set_minutes(draw, minutes)
    _set_drawn(draw, drawn)
    _set_uncovered(draw, 0)
    _set_explanation(draw, None)
    return draw


def rate_name_of(rates: Rates, role: str | None, work_type: str | None) -> str:
    """Which rate ``Rates.hourly_rate`` picks, in words: ``onsite rate``, ``standard rate``."""
    if work_type and work_type in rates.work_types:
        return f"{work_type} rate"
    if role and role in rates.roles:
        return f"{role} rate"
    return "standard rate"


def _states(prepaid: Prepaid, balances: PrepaidBalances, day: dt.date) -> str:
    """Why no block gave anything to work on ``day``: ``blocks A and B are used up and block C
    expired on 2026-06-30 with 3h unused``."""
    used_up: list[str] = []
    others: list[str] = []
    for block in drawing_order(prepaid):
        left = balances.left(block.id)
        if day < block.purchased:
            others.append(f"block {block.id} is not bought until {block.purchased.isoformat()}")
        elif left and block.expires is not None and block.expires < day:
            others.append(f"block {block.id} expired on {block.expires.isoformat()} with {_hours(left)} unused")
        else:
            used_up.append(block.id)
    if used_up:
        others.insert(0, f"block {used_up[0]} is used up" if len(used_up) == 1 else f"blocks {_join(used_up)} are used up")
    return _join(others)


# --- the balance report --------------------------------------------------------------------


@record
class BlockBalance:
    """One block as of a day: minutes bought, used and left, and what the hours left are worth:
    ``price`` x left / bought, exact (a report rounds each block's value to the currency's
    minor unit, and totals the rounded values, so its column adds up)."""

    id: str
    purchased: dt.date
    expires: dt.date | None
    expired: bool
    usable: bool  # bought by the day and not expired: its hours can still be drawn
    bought: int
    used: int
    left: int
    price: Decimal
    value_left: Decimal


@record
class Expiry:
    """A block that, at the recent rate of use, expires with ``minutes`` still unused."""

    block_id: str
    expires: dt.date
    minutes: int


@record
class Forecast:
    """When the usable hours run out at the recent rate of use.

    The rate is the minutes drawn in the ``days`` up to the report's day (``FORECAST_DAYS``, or
    fewer when the first block was bought more recently), per day. ``runs_out`` is the day the
    last usable minute would be drawn; ``None`` when nothing was drawn recently (at that rate the
    hours never run out). ``expiring`` lists the blocks that would expire before being used up.
    """

    days: int
    recent_minutes: int
    runs_out: dt.date | None
    expiring: tuple[Expiry, ...]

    @property
    def per_day(self) -> Decimal:
        """Minutes drawn per day, recently."""
        return Decimal(self.recent_minutes) / Decimal(self.days) if self.days else Decimal(0)


@record
class Balance:
    """Prepaid hours as of ``as_of``: every block, the totals of the usable ones, a forecast,
    and ``low`` when the usable minutes left are under the agreement's ``warn_below``."""

    as_of: dt.date
    blocks: tuple[BlockBalance, ...]
    bought: int
    used: int
    left: int
    value_left: Decimal
    forecast: Forecast
    warn_below: int | None
    low: bool


def balance_of(prepaid: Prepaid, draws: Iterable[tuple[dt.date, Draw]], as_of: dt.date) -> Balance:
    """The balance of ``prepaid`` as of the end of ``as_of``, from dated draws (each the day
    its ticket's work started). Draws dated after ``as_of`` are not counted; draws on a block
    the agreement no longer has are left out."""
    used = {block.id: 0 for block in prepaid.blocks}
    first_purchase = min(block.purchased for block in prepaid.blocks)
    window_start = max(as_of - min(dt.timedelta(days=FORECAST_DAYS - 1), as_of - dt.date.min), first_purchase)
    recent = 0
    for day, draw in draws:
        if day > as_of or draw.block_id not in used:
            continue
        used[draw.block_id] += draw.minutes
        if day >= window_start:
            recent += draw.minutes
    blocks = tuple(_block_balance(block, used[block.id], as_of) for block in prepaid.blocks)
    usable = [balance for balance in blocks if balance.usable]
    left = sum(balance.left for balance in usable)
    days = max(0, (as_of - window_start).days + 1)
    forecast = _forecast(prepaid, {balance.id: balance for balance in usable}, as_of, days, recent)
    warn_below = prepaid.warn_below // dt.timedelta(minutes=1) if prepaid.warn_below is not None else None
    return Balance(
        as_of=as_of,
        blocks=blocks,
        bought=sum(balance.bought for balance in usable),
        used=sum(balance.used for balance in usable),
        left=left,
        value_left=sum((balance.value_left for balance in usable), Decimal(0)),
        forecast=forecast,
        warn_below=warn_below,
        low=warn_below is not None and left < warn_below,
    )


def _block_balance(block: PrepaidBlock, used: int, as_of: dt.date) -> BlockBalance:
    expired = block.expires is not None and block.expires < as_of
    left = max(0, block.minutes - used)
    value_left = block.price * Decimal(left) / Decimal(block.minutes)
    return BlockBalance(block.id, block.purchased, block.expires, expired, block.purchased <= as_of and not expired,
                        block.minutes, used, left, block.price, value_left)


def _forecast(prepaid: Prepaid, usable: dict[str, BlockBalance], as_of: dt.date, days: int, recent: int) -> Forecast:
    """Draw the usable blocks down at the recent rate, in drawing order, from the day after ``as_of``.

    Time runs in days after the end of ``as_of``, exactly (``Fraction``): a block is drawn
    from when the one before it ran out, until it runs out or its last day ends; what is left
    then is lost, and the next block is drawn from that moment.
    """
    rate = Fraction(recent, days) if days else Fraction(0)
    now = Fraction(0)
    expiring = []
    for block in drawing_order(prepaid):
        balance = usable.get(block.id)
        if balance is None or not balance.left:
            continue
        ends = Fraction((block.expires - as_of).days) if block.expires is not None else None
        runs_dry = now + balance.left / rate if rate else None
        if ends is not None and (runs_dry is None or ends < runs_dry):
            unused = balance.left - max(Fraction(0), ends - now) * rate
            expiring.append(Expiry(block.id, block.expires, math.floor(unused + Fraction(1, 2))))
            now = max(now, ends)
        else:
            now = runs_dry if runs_dry is not None else now
    runs_out = None
    if rate and any(balance.left for balance in usable.values()) and math.ceil(now) <= (dt.date.max - as_of).days:
        runs_out = as_of + dt.timedelta(days=math.ceil(now))  # beyond the calendar's end: no date to give
    return Forecast(days, recent, runs_out, tuple(expiring))


# --- words ---------------------------------------------------------------------------------


def _hours(minutes: int) -> str:
    return format_duration(dt.timedelta(minutes=minutes))


def _join(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
