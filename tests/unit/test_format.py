"""The formatter: canonical layout, comments kept where they were, parentheses by precedence."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from scopecheck.diagnostics import DiagnosticError
from scopecheck.syntax.format import WIDTH, format_rule_file
from scopecheck.syntax.parser import parse_rule_file

REPO = Path(__file__).resolve().parents[2]
SHIPPED = [REPO / "rules" / "standard.scope", *sorted((REPO / "examples").glob("*/*.scope"))]


def formatted(text: str) -> str:
    return format_rule_file(text, "client.scope")


def condition_of(text: str) -> str:
    """The ``when`` clause of the only rule in ``text``, formatted, without the rule around it."""
    lines = formatted(text).splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("  when "))
    end = next(index for index, line in enumerate(lines) if line.startswith("  then "))
    return "\n".join(lines[start:end])


def rule_when(condition: str) -> str:
    return f"rule r\n  when {condition}\n  then billable\n"


def comments(text: str) -> Counter:
    return Counter(comment for _, comment in parse_rule_file(text, "client.scope").comments)


# --- the shipped files -------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[path.name for path in SHIPPED])
def test_shipped_rule_files_are_already_in_canonical_layout(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert formatted(text) == text


@pytest.mark.parametrize("path", SHIPPED, ids=[path.name for path in SHIPPED])
def test_formatting_a_shipped_file_squashed_onto_few_lines_gives_it_back(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    squashed = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
    squashed = squashed.replace("\n  ", " ").replace("\nand ", " and ").replace("\nor ", " or ")
    result = formatted(squashed)
    assert parse_rule_file(result, "client.scope") == parse_rule_file(text, "client.scope")
    assert comments(result) == comments(text)
    assert formatted(result) == result


# --- layout ------------------------------------------------------------------------------------


def test_a_rule_on_one_line_gets_one_clause_per_line() -> None:
    text = 'rule moves "Moves are billable" priority 2 when ticket.category is "move" then billable because "moves are billed"'
    assert formatted(text) == (
        'rule moves "Moves are billable"\n'
        "  priority 2\n"
        '  when ticket.category is "move"\n'
        "  then billable\n"
        '  because "moves are billed"\n'
    )


def test_priority_zero_is_the_default_and_is_not_written() -> None:
    assert "priority" not in formatted("rule r priority 0 when true then in_plan")
    assert "  priority -100\n" in formatted("rule r priority -100 when true then in_plan")


def test_a_parameter_keeps_its_description_on_the_next_line() -> None:
    text = 'param threshold:duration=4h "Longer work is a project."\nparam other: list[text] = ["a","b"]'
    assert formatted(text) == (
        "param threshold: duration = 4h\n"
        '  "Longer work is a project."\n'
        "\n"
        'param other: list[text] = ["a", "b"]\n'
    )


def test_items_are_set_apart_by_one_blank_line_or_two_if_written_and_imports_stay_together() -> None:
    text = "\n\nimport standard\nimport \"./x.scope\"\nparam a: number = 1\n\n\n\n\nrule r when true then in_plan\nrule s when true then review\n\n\n"
    assert formatted(text) == (
        'import standard\nimport "./x.scope"\n\n'
        "param a: number = 1\n\n\n"
        "rule r\n  when true\n  then in_plan\n\n"
        "rule s\n  when true\n  then review\n"
    )


def test_outcomes_and_charges_are_written_in_one_line() -> None:
    text = "rule r when true then project with premium 1.5 on 2h,fee $1,500.50 ,materials at cost plus 10%\nrule s when true then add materials at cost"
    result = formatted(text)
    assert "  then project with premium 1.5 on 2h, fee $1,500.50, materials at cost plus 10%\n" in result
    assert "  then add materials at cost\n" in result


def test_literals_and_strings_are_written_as_they_were() -> None:
    text = 'rule r "A \\"title\\"" when x == [4h, 1h30m, $1,500.00, 15%, 2026-01-01, 08:30, 007, "a \\\\ b"] then review because "a \\"quote\\" and {{braces}}"'
    result = formatted(text)
    assert 'rule r "A \\"title\\""\n' in result
    assert '[4h, 1h30m, $1,500.00, 15%, 2026-01-01, 08:30, 007, "a \\\\ b"]' in result
    assert '  because "a \\"quote\\" and {{braces}}"\n' in result


def test_crlf_line_endings_are_read_and_written_as_lf() -> None:
    text = 'param a: number = 1  # one\r\n  "First."\r\n\r\nrule r\r\n  when params.a > 0\r\n  then in_plan\r\n'
    assert formatted(text) == text.replace("\r\n", "\n")


def test_no_trailing_spaces_and_one_newline_at_the_end() -> None:
    result = formatted("rule r   \n  when true    # spaces after   \n  then in_plan   \n\n\n\n")
    assert result == "rule r\n  when true  # spaces after\n  then in_plan\n"
    assert formatted("") == "" and formatted("\n\n") == ""


def test_a_file_that_does_not_parse_raises_the_parsers_diagnostics() -> None:
    with pytest.raises(DiagnosticError) as raised:
        formatted("rule r\n  when ticket.estimate > 4h\n  thn project\n")
    assert [d.code for d in raised.value.diagnostics] == ["syntax.unknown-keyword"]
    assert raised.value.diagnostics[0].span.line == 3


# --- conditions --------------------------------------------------------------------------------


def test_a_condition_that_fits_stays_on_one_line() -> None:
    assert condition_of(rule_when("a.b\n    and c.d\n    and e.f")) == "  when a.b and c.d and e.f"


def test_a_long_condition_breaks_one_operand_per_line_led_by_its_operator() -> None:
    operands = [f"ticket.summary mentions \"phrase number {n}\"" for n in range(4)]
    assert condition_of(rule_when(" or ".join(operands))) == "\n".join(
        [f"  when {operands[0]}", *(f"    or {operand}" for operand in operands[1:])]
    )


def test_a_long_group_inside_a_broken_chain_breaks_with_a_deeper_indent() -> None:
    inner = " and ".join(f"ticket.field_{n} is \"value number {n}\"" for n in range(3))
    result = condition_of(rule_when(f'ticket.category is "move" or ({inner})'))
    assert result == "\n".join(
        [
            '  when ticket.category is "move"',
            '    or (ticket.field_0 is "value number 0"',
            '        and ticket.field_1 is "value number 1"',
            '        and ticket.field_2 is "value number 2")',
        ]
    )


def test_a_long_comparison_breaks_before_its_operator_only_when_both_halves_fit() -> None:
    count = 'count earlier tickets for same requester in contract year where (earlier.category is "move")'
    assert condition_of(rule_when(f"a.b and {count} >= params.moves_per_year")) == "\n".join(
        ["  when a.b", f"    and {count}", "        >= params.moves_per_year"]
    )
    long_list = "[" + ", ".join(f'"a long phrase {n}"' for n in range(8)) + "]"
    assert condition_of(rule_when(f"a.b and ticket.summary mentions {long_list}")) == "\n".join(
        ["  when a.b", f"    and ticket.summary mentions {long_list}"]
    )


def test_lines_stay_within_the_width_where_a_break_is_possible() -> None:
    operands = [f"ticket.field_{n} is \"a value of some length {n}\"" for n in range(12)]
    result = formatted(rule_when(" and ".join(operands)))
    assert max(len(line) for line in result.splitlines()) <= WIDTH


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("(a.b and c.d)", "a.b and c.d"),
        ("a.b and (c.d or e.f)", "a.b and (c.d or e.f)"),
        ("(a.b or c.d) and e.f", "(a.b or c.d) and e.f"),
        ("a.b or (c.d and e.f)", "a.b or (c.d and e.f)"),
        ("a.b or c.d and e.f", "a.b or (c.d and e.f)"),
        ("(a.b or c.d) or e.f", "(a.b or c.d) or e.f"),
        ("a.b or c.d or e.f", "a.b or c.d or e.f"),
        ("not (a.b)", "not a.b"),
        ("not (a.b or c.d)", "not (a.b or c.d)"),
        ('not ("x" in a.b)', 'not ("x" in a.b)'),  # a comparison after `not` keeps its parentheses
        ('not "x" in a.b', 'not ("x" in a.b)'),
        ('"x" not in a.b', '"x" not in a.b'),
        ("(a.b > 1) == (c.d > 1)", "(a.b > 1) == (c.d > 1)"),
        ("a.b is (not c.d)", "a.b is (not c.d)"),
        ("((a.b + 1h)) * 2 > (3)", "(a.b + 1h) * 2 > 3"),
        ("a.b + (c.d + 1h) > 0m", "a.b + (c.d + 1h) > 0m"),
        ("(a.b + c.d) + 1h > 0m", "(a.b + c.d) + 1h > 0m"),
        ("a.b * (2 / 3) > 1", "a.b * (2 / 3) > 1"),
        ("-(a.b) < -(-(1))", "-a.b < - -1"),
        ("(a.b is missing) is false", "(a.b is missing) is false"),
        ("coalesce((a.b), (1 + 2)) > max()", "coalesce(a.b, 1 + 2) > max()"),
        ("a.b in [(1), (2 + 3)]", "a.b in [1, 2 + 3]"),
        ("(count earlier tickets) in [1]", "(count earlier tickets) in [1]"),
        ("(count earlier tickets) not in [1]", "count earlier tickets not in [1]"),
        ("(count earlier tickets in last 30 days) in [1]", "count earlier tickets in last 30 days in [1]"),
        ("count earlier tickets where ((earlier.x and earlier.y)) > 0", "count earlier tickets where (earlier.x and earlier.y) > 0"),
        ("a.b is (missing)", "a.b is (missing)"),
    ],
)
def test_parentheses_are_exactly_those_the_reading_needs(written: str, printed: str) -> None:
    assert condition_of(rule_when(written)) == f"  when {printed}"
    assert parse_rule_file(formatted(rule_when(written)), "x").rules == parse_rule_file(rule_when(written), "x").rules


# --- comments ----------------------------------------------------------------------------------


def test_a_comment_on_its_own_line_stays_before_its_clause_with_the_clause_indent() -> None:
    text = "rule r\n# why the condition\n      when true\n  then in_plan\n"
    assert formatted(text) == "rule r\n  # why the condition\n  when true\n  then in_plan\n"


def test_a_trailing_comment_stays_at_the_end_of_the_line_holding_its_code() -> None:
    text = "rule r   # the rule\n  when   true     # always\n  then in_plan#covered\n"
    assert formatted(text) == "rule r  # the rule\n  when true  # always\n  then in_plan  #covered\n"


def test_comments_between_operands_keep_the_chain_broken_at_them() -> None:
    text = rule_when('ticket.category is "move"  # moves\n    and ticket.estimate > 1h  # big ones')
    assert condition_of(text) == '  when ticket.category is "move"  # moves\n    and ticket.estimate > 1h  # big ones'
    text = rule_when("a.b and  # after the operator\n  # on its own\n  c.d")
    assert condition_of(text) == "  when a.b\n    # after the operator\n    # on its own\n    and c.d"


def test_comments_inside_a_group_break_the_group_at_them() -> None:
    text = rule_when("a.b and (c.d  # first\n  or e.f)")
    assert condition_of(text) == "  when a.b\n    and (c.d  # first\n        or e.f)"


def test_two_trailing_comments_that_meet_on_one_line_keep_their_order() -> None:
    text = 'rule r\n  when ticket.summary mentions ["a",  # first\n  "b"]  # second\n  then in_plan\n'
    assert formatted(text) == 'rule r\n  # first\n  when ticket.summary mentions ["a", "b"]  # second\n  then in_plan\n'


def test_comments_of_a_dropped_priority_zero_move_to_their_neighbours() -> None:
    text = "rule r\n  # before the priority\n  priority 0  # zero\n  when true\n  then in_plan\n"
    assert formatted(text) == "rule r  # zero\n  # before the priority\n  when true\n  then in_plan\n"


def test_top_level_comments_keep_the_blank_lines_written_around_them() -> None:
    text = "# header\n\n\n\n# about r\nrule r when true then in_plan\n# after r\n\n# the end\n"
    assert formatted(text) == "# header\n\n\n# about r\nrule r\n  when true\n  then in_plan\n\n# after r\n\n# the end\n"


def test_a_file_of_comments_only_keeps_them_all() -> None:
    assert formatted("\n# one\n   # two\n\n# three  \n") == "# one\n# two\n\n# three\n"


def test_no_comment_is_lost_or_doubled_in_a_file_full_of_them() -> None:
    text = (REPO / "tests" / "golden" / "format" / "comments-everywhere.scope").read_text(encoding="utf-8")
    result = formatted(text)
    assert comments(result) == Counter(comment.rstrip() for comment in comments(text).elements())
    assert parse_rule_file(result, "client.scope") == parse_rule_file(text, "client.scope")
