"""Rule tests underneath the command: tracing in the compiler, clauses, and reading test files."""

from __future__ import annotations

import datetime as dt

import pytest

from scopecheck.check.checker import check_rule_files
from scopecheck.diagnostics import DiagnosticError, SourceLines
from scopecheck.evaluate.compile import Compiler
from scopecheck.syntax.parser import parse_rule_file
from scopecheck.testing.coverage import CoverageRecorder, clauses_of
from scopecheck.testing.load import parse_case_file
from scopecheck.tickets.model import Ticket

RULES = """\
rule long_move "A long move"
  when ticket.category is "move" and (ticket.estimate > 2h or ticket.summary mentions "office")
  then project

rule repeat "A repeat"
  when count earlier tickets where (earlier.category is "move" and earlier.requester is "ann") > 0
  then billable
"""


def compiled(trace=None):
    checked = check_rule_files([parse_rule_file(RULES, "client.scope")], {"client.scope": RULES})
    compiler = Compiler(checked, {}, None, trace=trace)
    return checked, [compiler.rule(rule, order) for order, rule in enumerate(checked.rules)]


def ticket(**fields) -> Ticket:
    return Ticket(id="T1", opened_at=dt.datetime(2026, 3, 2, 10), **fields)


def test_clauses_are_every_operand_of_and_or_at_any_depth() -> None:
    checked, _ = compiled()
    long_move, repeat = checked.rules
    assert [str(c.span) for c in clauses_of(long_move.condition)] == [
        "client.scope:2:8", "client.scope:2:39", "client.scope:2:39", "client.scope:2:63",
    ]
    # Inside a count's condition too.
    assert [str(c.span) for c in clauses_of(repeat.condition)] == ["client.scope:6:37", "client.scope:6:68"]


def test_a_traced_rule_reports_each_operand_it_evaluates() -> None:
    seen = []
    _, (long_move, _) = compiled(trace=lambda node, result: seen.append((node.span.column, result)))
    assert long_move.condition(ticket(category="move", estimate=dt.timedelta(hours=1), summary="desk"), None, None) is False
    assert seen == [(8, True), (39, False), (63, False), (39, False)]
    seen.clear()
    # ``and`` stops at the first false operand: the rest is never evaluated.
    assert long_move.condition(ticket(category="help_desk"), None, None) is False
    assert seen == [(8, False)]


def test_an_untraced_program_holds_no_tracing_call() -> None:
    checked = check_rule_files([parse_rule_file(RULES, "client.scope")], {"client.scope": RULES})
    untraced = Compiler(checked, {}, None).compile_rules()
    traced = Compiler(checked, {}, None, trace=lambda node, result: None).compile_rules()
    tracer = traced.rules[0].condition.__globals__
    tracing_names = {name for name, value in tracer.items() if getattr(value, "__name__", "") == "traced"}
    assert len(tracing_names) == 1
    (tracing,) = tracing_names
    assert f"{tracing}(" in traced.source
    assert not any(getattr(value, "__name__", "") == "traced" for value in untraced.rules[0].condition.__globals__.values())
    # The same functions, less the tracing calls (a traced program has no batch loop).
    assert untraced.source.split("def verdicts")[0].count("(") < traced.source.count("(")
    assert untraced.verdicts is not None and traced.verdicts is None


def test_the_recorder_counts_true_false_and_unknown_by_place() -> None:
    recorder = CoverageRecorder()
    checked, (long_move, _) = compiled(trace=recorder)
    recorder.ran(checked.files)
    long_move.condition(ticket(category="move", estimate=dt.timedelta(hours=3)), None, None)
    long_move.condition(ticket(category="help_desk"), None, None)
    long_move.condition(ticket(category="move"), None, None)  # no estimate or summary: unknown
    recorder.fired(checked.rules[0].span, "long_move")
    coverage = recorder.result(SourceLines({"client.scope": RULES}))
    (file,) = coverage.files
    by_text = {clause.text: clause for clause in file.clauses}
    assert by_text['ticket.category is "move"'].covered
    assert by_text["ticket.estimate > 2h"].gap == "was never false"
    assert by_text['ticket.summary mentions "office"'].gap == "was never true or false, only unknown"
    assert by_text['earlier.category is "move"'].gap == "was never evaluated"
    assert [rule.fired for rule in file.rules] == [True, False]
    assert str(coverage.rule_tally) == "1/2 (50%)" and str(coverage.clause_tally) == "1/6 (16.6%)"


TEST_FILE = """\
scopecheck_tests: 1
rules: [standard]
now: 2026-03-02T10:00
cases:
  - name: relative times
    earlier:
      - {category: move, opened_at: -30d}
      - {category: move, opened_at: 2026-01-05T09:00, ended_at: +1h}
    ticket: {category: Move, Estimated Hours: 2, started_at: +2h30m}
    expect: {outcome: In Plan, fired: day_to_day_support, total: 0}
"""


def test_times_relative_to_now_are_made_absolute_and_ids_and_opened_at_filled_in() -> None:
    (case,) = parse_case_file(TEST_FILE, "x.tests.yaml").cases
    first, second = case.earlier
    assert dict(first.fields) == {"category": "move", "opened_at": "2026-01-31T10:00:00", "id": "E1"}
    assert second.fields["ended_at"] == "2026-03-02T11:00:00" and second.fields["id"] == "E2"
    assert case.ticket.fields["started_at"] == "2026-03-02T12:30:00"
    assert case.ticket.fields["opened_at"] == "2026-03-02T10:00:00" and case.ticket.fields["id"] == "T1"
    assert [(e.key, e.value) for e in case.expect][:2] == [("outcome", "in_plan"), ("fired", ("day_to_day_support",))]


def test_an_alias_for_opened_at_is_not_given_a_second_value() -> None:
    text = TEST_FILE.replace("ticket: {category: Move,", "ticket: {Opened At: 2026-02-01T08:00, category: Move,")
    (case,) = parse_case_file(text, "x.tests.yaml").cases
    assert "opened_at" not in case.ticket.fields and case.ticket.fields["Opened At"] == "2026-02-01T08:00"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (("started_at: +2h30m", "started_at: +soon"), "test.invalid-value"),
        (("now: 2026-03-02T10:00", "now: tomorrow"), "test.invalid-value"),
        (("total: 0", "total: lots"), "test.invalid-value"),
        (("fired: day_to_day_support", "fired: {a: b}"), "test.invalid-value"),
        (("- name: relative times", "- name: [a]"), "test.invalid-value"),
        (("scopecheck_tests: 1", "scopecheck_tests: true"), "test.version"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(change: tuple[str, str], code: str) -> None:
    with pytest.raises(DiagnosticError) as raised:
        parse_case_file(TEST_FILE.replace(*change), "x.tests.yaml")
    assert [d.code for d in raised.value.diagnostics] == [code]
    assert raised.value.diagnostics[0].span.path == "x.tests.yaml"
