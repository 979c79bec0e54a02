"""The compiled batch loop (``CompiledRules.verdicts``) behind ``Program.verdict_batch``.

It keeps the history's running totals itself, so it must give on every ticket what deciding
the tickets one at a time gives, whatever order they arrive in, and hand the history on as
if each ticket had been added to it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck.agreement.load import parse_agreement
from scopecheck.check.checker import check_rule_files
from scopecheck.evaluate.program import Program, earlier_of
from scopecheck.syntax.parser import parse_rule_file
from scopecheck.tickets.model import Ticket

AGREEMENT = parse_agreement(
    "client: {name: Loop}\nplan: {model: per_user, term: {start: 2026-03-01, end: 2028-02-28}}\n"
    "rates: {standard: $100}\nrules: [standard]\ntimezone: Europe/London\npremiums: {after_hours: 1.5}\n", "loop.yaml")
START = dt.datetime(2026, 2, 20, 8, tzinfo=dt.UTC)


def _program(text: str) -> Program:
    return Program.build(check_rule_files([parse_rule_file(text, "client.scope")], {"client.scope": text}), AGREEMENT)


def _counting_rules(scope: str, window: str) -> str:
    return (
        f'rule second_move "Second move"\n  priority 2\n'
        f'  when ticket.category is "move" and count earlier tickets {scope} {window} where (earlier.category is "move") >= 1\n'
        f'  then project\n\n'
        f'rule after_a_project "After a project"\n  priority 1\n'
        f'  when count earlier tickets {scope} {window} where (earlier.outcome is "project" or earlier.rule is "big") > 1\n'
        f'  then billable\n\n'
        f'rule big "Big"\n  priority 3\n  when ticket.estimate > 4h\n  then project\n\n'
        f'rule late "Late"\n  when not in_business_hours(ticket.opened_at)\n  then add premium agreement.premiums.after_hours\n\n'
        f'rule per_hour "Per hour"\n  when ticket.category is "repair"\n  then add premium 2 on ticket.estimate\n\n'
        f'rule covered "Covered"\n  priority -100\n  when true\n  then in_plan\n'
    )


SCOPES = ["for same requester", "for same site", ""]
WINDOWS = ["", "in contract year", "in calendar month"]

rows = st.lists(
    st.tuples(
        st.integers(0, 60 * 24 * 800),  # minutes after START: across three contract years
        st.sampled_from(["ana", "Ana ", "ben", None]),
        st.sampled_from(["move", "repair", "help_desk", None]),
        st.sampled_from([None, 30, 300]),
        st.sampled_from(["hq", None]),
    ),
    max_size=40,
)


def _tickets(program: Program, drawn: list[tuple], ids: list[str] | None = None) -> list[Ticket]:
    tickets = [
        Ticket(ids[index] if ids else f"T{index:03}", START + dt.timedelta(minutes=minutes), requester=requester, category=category,
               estimate=dt.timedelta(minutes=estimate) if estimate is not None else None, site=site)
        for index, (minutes, requester, category, estimate, site) in enumerate(drawn)
    ]
    return [program.prepare(ticket) for ticket in tickets]


def _as_decided(program: Program, tickets: list[Ticket]) -> list[tuple]:
    return [(d.outcome, d.deciding_rule.rule_id if d.deciding_rule else None, d.charges) for d in program.decide_batch(tickets)]


def _as_verdicts(verdicts) -> list[tuple]:
    return [(v.outcome, v.rule, v.charges) for v in verdicts]


@settings(max_examples=120, deadline=None)
@given(rows, st.sampled_from(SCOPES), st.sampled_from(WINDOWS), st.randoms(use_true_random=False))
def test_the_loop_decides_as_one_ticket_at_a_time(drawn, scope, window, random) -> None:
    program = _program(_counting_rules(scope, window))
    assert program.compiled.verdicts is not None
    tickets = _tickets(program, drawn)
    random.shuffle(tickets)  # arrival order is not the decision order
    assert _as_verdicts(program.verdict_batch(tickets)) == _as_decided(program, tickets)


@settings(max_examples=60, deadline=None)
@given(rows, st.integers(0, 40), st.sampled_from(WINDOWS))
def test_a_history_carries_from_one_batch_to_the_next(drawn, cut, window) -> None:
    program = _program(_counting_rules("for same requester", window))
    tickets = sorted(_tickets(program, drawn), key=lambda ticket: (ticket.opened_at, ticket.id))
    for streaming in (False, True):
        history = program.new_history(streaming=streaming)
        in_parts = program.verdict_batch(tickets[:cut], history) + program.verdict_batch(tickets[cut:], history)
        assert _as_verdicts(in_parts) == _as_decided(program, tickets)
    # A full history holds the tickets, so a ticket before them is still counted right.
    history = program.new_history()
    program.verdict_batch(tickets, history)
    before = program.prepare(Ticket("T-early", START, requester="ana", category="move"))
    assert program.verdict(before, history) == program.verdict_batch([before])[0]


def test_tickets_it_cannot_take_are_decided_one_at_a_time() -> None:
    program = _program(_counting_rules("for same requester", "in contract year"))
    drawn = [(60 * day, "ana", "move", None, None) for day in range(5)]
    # The same id twice: the totals could not tell the two apart.
    twice = _tickets(program, drawn, ids=["T1", "T2", "T1", "T3", "T4"])
    assert _as_verdicts(program.verdict_batch(twice)) == _as_decided(program, twice)
    # A history that already holds a later ticket.
    tickets = _tickets(program, drawn)
    history = program.new_history()
    for decision in program.decide_batch(tickets[3:]):
        history.add(earlier_of(decision))
    expected = {d.ticket.id: (d.outcome, d.deciding_rule.rule_id) for d in program.decide_batch(tickets)}
    assert [(v.outcome, v.rule) for v in program.verdict_batch(tickets[:3], history)] == [expected[t.id] for t in tickets[:3]]


@pytest.mark.parametrize("rules", [
    'rule r "R"\n  when count earlier tickets for same requester in last 30 days > 1\n  then billable\n',
    'rule r "R"\n  when count earlier tickets for same requester where (earlier.category is ticket.category) > 1\n  then billable\n',
    'rule r "R"\n  when true\n  then add fee $10 * count earlier tickets for same requester\n',
])
def test_counts_the_loop_cannot_keep_leave_it_out(rules: str) -> None:
    program = _program(rules)
    assert program.compiled.verdicts is None
    tickets = _tickets(program, [(60 * day, "ana", "move", None, None) for day in range(4)])
    assert _as_verdicts(program.verdict_batch(tickets)) == _as_decided(program, tickets)


def test_tickets_starting_together_are_decided_in_the_order_of_their_ids() -> None:
    program = _program(_counting_rules("for same requester", "in contract year"))
    together = _tickets(program, [(60, "ana", "move", None, None)] * 3, ids=["T3", "T1", "T2"])
    verdicts = program.verdict_batch(together)
    assert [(t.id, v.rule) for t, v in zip(together, verdicts)] == [("T3", "second_move"), ("T1", "covered"), ("T2", "second_move")]
    assert _as_verdicts(verdicts) == _as_decided(program, together)
