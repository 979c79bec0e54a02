"""The parser: AST shape, positions, limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from scopecheck.diagnostics import DiagnosticError
from scopecheck.syntax import ast
from scopecheck.syntax.parser import parse_rule_file

RULE = '''
# a comment that is kept
rule long "Long work is a project"
  priority 5
  when ticket.estimate > params.threshold and not ticket.summary mentions ["dms", "document management"]
  then project with premium 1.5 on 2h, fee $1,500.50, materials at cost plus 10%
  because "estimated {ticket.estimate}"
'''


def test_a_rule_becomes_typed_nodes_with_values_already_read() -> None:
    (rule,) = parse_rule_file(RULE, "a.scope").rules
    assert rule.id == "long" and rule.priority == 5 and rule.outcome.kind == "project"
    condition = rule.condition
    assert isinstance(condition, ast.AllOf) and len(condition.operands) == 2
    premium, fee, materials = rule.outcome.effects
    assert premium.multiplier.value == Decimal("1.5") and premium.hours.value == dt.timedelta(hours=2)
    assert fee.amount.value.amount == Decimal("1500.50")
    assert materials.markup.value == Decimal("0.10")
    assert rule.because.parts[0] == "estimated " and rule.because.parts[1] == ast.Path("ticket", ("estimate",))


def test_positions_do_not_take_part_in_equality() -> None:
    first = parse_rule_file(RULE, "a.scope")
    moved = parse_rule_file("\n\n\n" + RULE.replace("  when", "      when"), "b.scope")
    assert first.rules == moved.rules
    assert first.rules[0].span.line == 3 and moved.rules[0].span.line == 6


def test_spans_point_at_the_source() -> None:
    (rule,) = parse_rule_file(RULE, "a.scope").rules
    estimate = rule.condition.operands[0].left
    assert (estimate.span.line, estimate.span.column, estimate.span.end_column) == (5, 8, 23)
    inside_text = rule.because.parts[1]
    assert (inside_text.span.line, inside_text.span.column) == (7, 23)


def test_comments_are_kept_with_their_lines() -> None:
    assert parse_rule_file(RULE, "a.scope").comments == ((2, "# a comment that is kept"),)


def test_keywords_are_not_mistaken_for_prefixes_of_names() -> None:
    text = 'rule r "R" when ticket.custom.in_office is "yes" and ticket.materials is missing then in_plan'
    (rule,) = parse_rule_file(text, "a.scope").rules
    assert rule.condition.operands[0].left == ast.Path("ticket", ("custom", "in_office"))
    assert rule.condition.operands[1].operand == ast.Path("ticket", ("materials",))


def test_a_keyword_after_a_dot_is_a_field_name() -> None:
    # The docs promise earlier.rule, the rule that decided the earlier ticket; 'rule' also starts a rule.
    rule = parse_rule_file(
        'rule r "R"\n  when count earlier tickets where (earlier.rule is "big") > 1 and ticket.custom.when is "x"\n  then billable\n',
        "r.scope").rules[0]
    counted, custom = rule.condition.operands
    assert counted.left.condition.left == ast.Path("earlier", ("rule",))
    assert custom.left == ast.Path("ticket", ("custom", "when"))


@pytest.mark.parametrize("depth", [61, 5000])
def test_deep_nesting_is_a_clear_error_not_a_crash(depth: int) -> None:
    text = 'rule r "R" when ' + "not " * depth + "ticket.emergency then review"
    with pytest.raises(DiagnosticError) as raised:
        parse_rule_file(text, "deep.scope")
    assert [d.code for d in raised.value.diagnostics] == ["syntax.too-deep"]


def test_long_flat_conditions_are_fine() -> None:
    text = 'rule r "R" when ' + " or ".join(f'ticket.site is "s{i}"' for i in range(3000)) + " then review"
    (rule,) = parse_rule_file(text, "wide.scope").rules
    assert len(rule.condition.operands) == 3000


def test_a_huge_file_is_refused() -> None:
    with pytest.raises(DiagnosticError) as raised:
        parse_rule_file("# " + "x" * 1_100_000, "huge.scope")
    assert raised.value.diagnostics[0].code == "syntax.too-large"
