"""Draws on prepaid blocks, over many generated blocks and tickets, follow the drawing order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck.agreement.model import Prepaid, PrepaidBlock
from scopecheck.evaluate import prepaid as prepaid_module
from scopecheck.evaluate.decision import Draw
from scopecheck.evaluate.prepaid import PrepaidBalances, TicketDraw

FIRST = dt.date(2026, 1, 1)


def drawn_by_definition(blocks: tuple[PrepaidBlock, ...], used: dict[str, int], day: dt.date, minutes: int) -> tuple[tuple[Draw, ...], int]:
    """Oldest purchase first, ties as written, only blocks usable on the day, each up to what it has left."""
    draws = []
    for block in sorted(blocks, key=lambda block: block.purchased):
        left = max(0, block.minutes - used[block.id])
        if minutes > 0 and block.usable_on(day) and left:
            taken = min(minutes, left)
            draws.append(Draw(block.id, taken))
            minutes -= taken
    return tuple(draws), max(0, minutes)


@st.composite
def blocks(draw: st.DrawFn) -> tuple[PrepaidBlock, ...]:
    made = []
    for index in range(draw(st.integers(1, 4))):
        purchased = FIRST + dt.timedelta(days=draw(st.integers(0, 200)))
        expires = purchased + dt.timedelta(days=draw(st.integers(0, 200))) if draw(st.booleans()) else None
        made.append(PrepaidBlock(f"B{index}", draw(st.integers(1, 40)) * 15, Decimal(100), purchased, expires))
    return tuple(made)


@settings(max_examples=300, deadline=None)
@given(blocks(), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 600)), max_size=30))
def test_draws_follow_the_drawing_order(made: tuple[PrepaidBlock, ...], tickets: list[tuple[int, int]]) -> None:
    balances = PrepaidBalances(Prepaid(made))
    used = {block.id: 0 for block in made}
    for days, minutes in tickets:
        day = FIRST + dt.timedelta(days=days)
        expected = drawn_by_definition(made, used, day, minutes)
        assert balances.plan_draw(day, minutes) == expected
        balances.record(expected[0])
        for one in expected[0]:
            used[one.block_id] += one.minutes


def test_a_covering_draw_is_a_ticket_draw_like_any_other() -> None:
    drawn = (Draw("A", 30),)
    made = prepaid_module._covered_draw(30, drawn)
    assert made == TicketDraw(30, drawn, 0, None)
    assert hash(made) == hash(TicketDraw(30, drawn, 0, None))
    assert repr(made) == repr(TicketDraw(30, drawn, 0, None))


def test_shared_draws_are_bounded() -> None:
    for minutes in range(10_000):
        assert prepaid_module._draw("A", minutes) == Draw("A", minutes)
    assert len(prepaid_module._shared_draws) <= 4096
