"""The lint's reasoning about conditions, against brute force.

On a fragment of the language whose values fall into few classes (durations around a few
thresholds, categories, causes, phrases, a flag, each possibly missing), a grid of tickets holds
one of every class, so "no ticket fires this rule" can be decided by trying them all. The lint
must agree with the grid exactly: a contradiction exactly when no ticket fires the rule, a
shadowed rule exactly when every ticket that fires it fires the higher rule too, an ambiguous
pair exactly when some ticket fires both.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck.agreement.load import parse_agreement
from scopecheck.check.checker import check_rule_files
from scopecheck.check.lint import LintTarget, lint
from scopecheck.evaluate.program import Program
from scopecheck.syntax.parser import parse_rule_file
from scopecheck.tickets.model import Ticket

AGREEMENT = parse_agreement(
    "client: {name: Grid}\nplan: {model: per_user, term: {start: 2026-01-01, end: 2026-12-31}}\n"
    "rates: {standard: $100}\nrules: [standard]\n", "grid.yaml")
H = dt.timedelta(hours=1)
# One text for each combination of the phrase tests the conditions below make: mentions
# "printer", contains "jam", and contains "laptop" with or without mentioning "new laptop".
TEXTS = [" ".join(filter(None, (printer, jam, laptop))) or "help"
         for printer, jam, laptop in itertools.product(["", "printer"], ["", "paper jam"], ["", "laptops", "new laptop"])]
CLASSES = {
    "estimate": [None, *(H * hours for hours in (0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 6, 9))],
    "category": [None, "move", "repair", "training", "incident"],
    "cause": [None, "normal", "act_of_god", "user_error"],
    "summary": [None, *TEXTS],
    "emergency": [None, True, False],
}


def _grid(*conditions: str) -> list[Ticket]:
    """A ticket for every combination of classes of the fields the conditions read."""
    read = [name for name in CLASSES if any(f"ticket.{name}" in condition for condition in conditions)]
    return [Ticket("T", dt.datetime(2026, 3, 2, 10, 0), **dict(zip(read, values)))
            for values in itertools.product(*(CLASSES[name] for name in read))]

comparisons = st.one_of(
    st.builds("ticket.estimate {} {}".format, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.sampled_from(["1h", "2h", "4h", "6h"])),
    st.builds('ticket.category is "{}"'.format, st.sampled_from(["move", "repair"])),
    st.builds('ticket.category in ["{}", "{}"]'.format, st.sampled_from(["move", "repair"]), st.sampled_from(["repair", "training"])),
    st.builds('ticket.cause is not "{}"'.format, st.sampled_from(["normal", "act_of_god"])),
    st.builds('coalesce(ticket.cause, "normal") is "{}"'.format, st.sampled_from(["normal", "act_of_god"])),
    st.builds('ticket.summary mentions "{}"'.format, st.sampled_from(["printer", "new laptop"])),
    st.builds('ticket.summary contains "{}"'.format, st.sampled_from(["jam", "laptop"])),
    st.builds("coalesce(ticket.estimate, {}) > 3h".format, st.sampled_from(["1h", "5h"])),
    st.sampled_from(["ticket.estimate is missing", "ticket.summary is present", "ticket.category is missing",
                     "coalesce(ticket.emergency, false)", "ticket.emergency", "not ticket.emergency"]),
)
conditions = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.builds("({} and {})".format, inner, inner),
        st.builds("({} or {})".format, inner, inner),
        st.builds("not ({})".format, inner),
    ),
    max_leaves=5,
)


def _program(first: str, second: str, first_priority: int) -> Program:
    text = (f'rule first "First"\n  priority {first_priority}\n  when {first}\n  then project\n  because "first"\n\n'
            f'rule second "Second"\n  when {second}\n  then billable\n  because "second"\n')
    return Program.build(check_rule_files([parse_rule_file(text, "grid.scope")]), AGREEMENT)


def _fires(program: Program, *conditions: str) -> tuple[set[int], set[int]]:
    first, second = program.rules
    grid = _grid(*conditions)
    return ({i for i, t in enumerate(grid) if first.condition(t, None, None) is True},
            {i for i, t in enumerate(grid) if second.condition(t, None, None) is True})


def _codes(program: Program) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in lint(LintTarget(program, agreement_known=False)):
        rule = "second" if finding.span.line >= 7 else "first"
        found.setdefault(finding.code, set()).add(rule)
    return found


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@settings(max_examples=150, deadline=None)
@given(conditions, conditions)
def test_the_lint_agrees_with_every_ticket_of_the_grid_at_one_priority(first: str, second: str) -> None:
    program = _program(first, second, 0)
    fires_first, fires_second = _fires(program, first, second)
    codes = _codes(program)
    assert ("first" in codes.get("lint.never-fires", set())) == (not fires_first), first
    assert ("second" in codes.get("lint.never-fires", set())) == (not fires_second), second
    # At one priority 'first' (a project) outranks 'second' (billable).
    shadowed = bool(fires_second) and bool(fires_first) and fires_second <= fires_first
    assert ("second" in codes.get("lint.shadowed", set())) == shadowed, (first, second)
    ambiguous = bool(fires_first & fires_second) and not shadowed
    assert ("lint.ambiguous" in codes) == ambiguous, (first, second)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@settings(max_examples=100, deadline=None)
@given(conditions, conditions)
def test_a_higher_priority_shadows_exactly_when_it_covers_every_ticket(first: str, second: str) -> None:
    program = _program(first, second, 5)
    fires_first, fires_second = _fires(program, first, second)
    codes = _codes(program)
    shadowed = bool(fires_second) and bool(fires_first) and fires_second <= fires_first
    assert ("second" in codes.get("lint.shadowed", set())) == shadowed, (first, second)
    assert "lint.ambiguous" not in codes


def test_counts_of_earlier_tickets_are_whole_numbers_from_zero() -> None:
    program = _program('count earlier tickets for same requester < 0', 'count earlier tickets > 0.5 and count earlier tickets < 1', 0)
    assert _codes(program)["lint.never-fires"] == {"first", "second"}


def test_what_the_analysis_cannot_see_is_never_called_impossible() -> None:
    program = _program("ticket.time_spent > ticket.estimate and ticket.estimate > ticket.time_spent",
                       "weekday(work.start) is \"saturday\" and weekday(ticket.opened_at) is \"sunday\"", 0)
    assert "lint.never-fires" not in _codes(program)


def test_one_expression_has_one_value_even_when_it_cannot_be_reasoned_about() -> None:
    program = _program("weekday(work.start) is \"saturday\" and weekday(work.start) is \"sunday\"", "true", 0)
    assert _codes(program)["lint.never-fires"] == {"first"}
