"""The compiled program: generated code, running counts, the verdict path and streaming history.

The generated module must hold nothing a user wrote; the running totals a history keeps must
count exactly what walking the earlier tickets counts; ``verdict`` must give what ``decide``
gives; and a streaming history must decide exactly as a full one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck import engine
from scopecheck.agreement.load import parse_agreement
from scopecheck.check.checker import check_rule_files
from scopecheck.evaluate.compile import Compiler
from scopecheck.evaluate.history import CountSpec, Earlier, History
from scopecheck.evaluate.program import Program, decision_order, earlier_of
from scopecheck.syntax.parser import parse_rule_file
from scopecheck.tickets.model import Ticket
from scopecheck.tickets.read import read_tickets

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = parse_agreement(
    "client: {name: Quotes}\nplan: {model: per_user, term: {start: 2026-03-01, end: 2028-02-28}}\n"
    "rates: {standard: $100}\nrules: [standard]\ntimezone: Europe/London\n", "quotes.yaml")


def _program(text: str) -> Program:
    return Program.build(check_rule_files([parse_rule_file(text, "client.scope")], {"client.scope": text}), AGREEMENT)


# --- what the generated code holds -------------------------------------------------------

HOSTILE = '"); __import__("os").system("echo hacked"); ("'


def test_no_text_a_user_wrote_reaches_the_generated_source() -> None:
    phrase = HOSTILE.replace('"', '\\"')
    program = _program(
        f'param quoted: text = "{phrase}"\n\n'
        f'rule odd "Odd \\"quotes\\""\n'
        f'  when ticket.summary is "{phrase}" or ticket.summary mentions "{phrase}" or ticket.summary in ["{phrase}", "x"]\n'
        f'    or ticket.custom.note is params.quoted\n'
        f'  then billable\n'
        f'  because "it says {{ticket.summary}} and {phrase}"\n')
    source = program.compiled.source
    for fragment in ("system", "hacked", "__import__", "Odd", "it says", "note"):
        assert fragment not in source
    ticket = Ticket("T1", dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), summary=HOSTILE)
    decision = program.decide(program.prepare(ticket))
    assert decision.outcome == "billable"
    assert decision.reason == f"it says {HOSTILE} and {HOSTILE}"


def test_the_same_count_written_twice_is_kept_once() -> None:
    program = _program(
        'rule second_move "Second move"\n'
        '  when count earlier tickets for same requester in contract year where (earlier.category is "move") >= 1\n'
        '  then project\n'
        '  because "{count earlier tickets for same requester in contract year where (earlier.category is \\"move\\")} before"\n')
    assert len(program.counts) == 1


# --- running counts against walking the earlier tickets ------------------------------------

START = dt.datetime(2026, 2, 20, 8, tzinfo=dt.UTC)
WINDOWS = [None, ("contract_year", None), ("calendar_month", None), ("last_days", 30), ("last_days", 1)]

tickets_in_time = st.lists(
    st.tuples(
        st.integers(0, 60 * 24 * 800),  # minutes after START: across three contract years
        st.sampled_from(["ana", "Ana ", "ben", None]),
        st.sampled_from(["move", "repair", None]),
    ),
    max_size=40,
)


def _moves(ticket: Ticket | None, earlier: Earlier, history: object) -> bool | None:
    category = earlier.ticket.category
    return None if category is None else category == "move"


@settings(max_examples=150, deadline=None)
@given(tickets_in_time, st.sampled_from(WINDOWS), st.sampled_from(["requester", None]), st.booleans())
def test_running_counts_count_what_walking_counts(rows, window, same, with_where) -> None:
    where = _moves if with_where else None
    running = CountSpec(same, window, where)
    walking = CountSpec(same, window, where, when_asked=True)
    tickets = sorted(
        (Ticket(f"T{index:03}", START + dt.timedelta(minutes=minutes), requester=requester, category=category)
         for index, (minutes, requester, category) in enumerate(rows)),
        key=decision_order,
    )
    full = History(dt.date(2026, 3, 1), counts=(running, walking))
    streaming = History(dt.date(2026, 3, 1), counts=(running,), streaming=True)
    for ticket in tickets:
        expected = full.count(walking, ticket)
        assert full.count(running, ticket) == expected
        assert streaming.count(running, ticket) == expected
        earlier = Earlier.of(ticket, "in_plan", None)
        full.add(earlier)
        streaming.add(earlier)


def test_a_ticket_added_out_of_order_is_counted_by_walking() -> None:
    spec = CountSpec("requester", ("contract_year", None), None)
    history = History(dt.date(2026, 3, 1), counts=(spec,))
    late = Ticket("T2", dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC), requester="ana")
    early = Ticket("T1", dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC), requester="ana")
    history.add(Earlier.of(late, "in_plan", None))
    assert history.count(spec, early) == 0  # asked about a ticket before one already added
    history.add(Earlier.of(early, "in_plan", None))
    assert history.count(spec, Ticket("T3", dt.datetime(2026, 4, 3, 9, tzinfo=dt.UTC), requester="ana")) == 2


def test_a_streaming_history_refuses_tickets_out_of_order() -> None:
    spec = CountSpec("requester", None, None)
    history = History(dt.date(2026, 3, 1), counts=(spec,), streaming=True)
    history.add(Earlier.of(Ticket("T2", dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC), requester="ana"), "in_plan", None))
    with pytest.raises(RuntimeError, match="decision order"):
        history.count(spec, Ticket("T1", dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC), requester="ana"))


# --- the shipped examples: verdicts, decisions, streaming ----------------------------------

EXAMPLES = [
    ("harbor-vale", "tickets.csv"),
    ("riverside", "tickets.json"),
    ("cobalt-dental", "tickets.csv"),
]


def _example(name: str, tickets: str) -> tuple[Program, list[Ticket]]:
    program = engine.load(ROOT / "examples" / name / "agreement.yaml").program
    read = [item for item in read_tickets(str(ROOT / "examples" / name / tickets)) if isinstance(item, Ticket)]
    prepared = [program.prepare(ticket) for ticket in read]
    return program, [ticket for ticket in prepared if isinstance(ticket, Ticket)]


@pytest.mark.parametrize(("name", "tickets"), EXAMPLES)
def test_a_verdict_is_what_the_full_decision_says(name: str, tickets: str) -> None:
    program, prepared = _example(name, tickets)
    decisions = program.decide_batch(prepared)
    verdicts = program.verdict_batch(prepared)
    assert [(v.outcome, v.rule, v.charges, v.drawn) for v in verdicts] == [
        (d.outcome, d.deciding_rule.rule_id if d.deciding_rule else None, d.charges, d.drawn) for d in decisions
    ]


@pytest.mark.parametrize(("name", "tickets"), EXAMPLES)
def test_a_streaming_history_decides_as_a_full_one(name: str, tickets: str) -> None:
    program, prepared = _example(name, tickets)
    expected = program.decide_batch(prepared)
    history = program.new_history(streaming=True)
    streamed = {}
    for ticket in sorted(prepared, key=decision_order):
        decision = streamed[ticket.id] = program.decide(ticket, history)
        history.add(earlier_of(decision))
    assert [streamed[decision.ticket.id] for decision in expected] == expected


def test_how_a_batch_may_be_cut() -> None:
    counting = _program('rule again "Again"\n  when count earlier tickets for same requester > 0\n  then billable\n')
    assert counting.partition_field == "requester" and counting.depends_on_history
    overall = _program('rule again "Again"\n  when count earlier tickets > 0\n  then billable\n')
    assert overall.partition_field is None
    alone = _program('rule long "Long"\n  when ticket.estimate > 4h\n  then project\n')
    assert alone.partition_field == "" and not alone.depends_on_history


def test_a_streaming_history_keeps_the_tickets_a_count_compares_with() -> None:
    compares = CountSpec("requester", None, lambda t, e, h: e.ticket.category == t.category, when_asked=True)
    history = History(dt.date(2026, 3, 1), counts=(compares,), streaming=True)
    assert not history.streaming
    first = Ticket("T1", dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC), requester="ana", category="move")
    history.add(Earlier.of(first, "in_plan", None))
    later = Ticket("T2", dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC), requester="ana", category="move")
    assert history.count(compares, later) == 1


def test_a_last_days_count_asked_twice_counts_alike() -> None:
    spec = CountSpec("requester", ("last_days", 30), None)
    history = History(dt.date(2026, 3, 1), counts=(spec,))
    for day in (1, 2, 3):
        history.add(Earlier.of(Ticket(f"T{day}", dt.datetime(2026, 4, day, 9, tzinfo=dt.UTC), requester="ana"), "in_plan", None))
    assert history.count(spec, Ticket("T8", dt.datetime(2026, 5, 31, 9, tzinfo=dt.UTC), requester="ana")) == 0
    assert history.count(spec, Ticket("T9", dt.datetime(2026, 4, 10, 9, tzinfo=dt.UTC), requester="ana")) == 3


def test_a_long_chain_of_or_compiles() -> None:
    words = " or ".join(f'ticket.summary is "w{n}"' for n in range(300))
    program = _program(f'rule many "Many"\n  when {words}\n  then billable\n')
    ticket = Ticket("T1", dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), summary="W299")
    assert program.decide(program.prepare(ticket)).outcome == "billable"


def test_a_custom_field_of_another_kind_reads_as_unknown() -> None:
    for condition, value in (('coalesce(ticket.custom.n, 0) > 3', "abc"), ('coalesce(ticket.custom.n, "x") is "y"', 5)):
        program = _program(f'rule odd "Odd"\n  when {condition}\n  then billable\n')
        ticket = Ticket("T1", dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), custom={"n": value})
        assert program.decide(program.prepare(ticket)).outcome == "review"


def test_rules_compiled_one_by_one_keep_their_own_counts() -> None:
    text = ('rule moves "Moves"\n  when count earlier tickets where (earlier.category is "move") > 0\n  then billable\n\n'
            'rule repairs "Repairs"\n  when count earlier tickets where (earlier.category is "repair") > 0\n  then project\n')
    checked = check_rule_files([parse_rule_file(text, "client.scope")], {"client.scope": text})
    compiler = Compiler(checked, {}, AGREEMENT)
    moves, repairs = (compiler.rule(rule, order) for order, rule in enumerate(checked.rules))
    history = History(dt.date(2026, 3, 1))
    history.add(Earlier.of(Ticket("T1", dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC), category="move"), "in_plan", None))
    later = Ticket("T2", dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC))
    assert moves.condition(later, None, history) is True
    assert repairs.condition(later, None, history) is False
