"""The formatter's laws on generated rule files: it keeps the meaning, it is stable, and it keeps
every comment.

Files are generated as text, item by item, with layout chosen at random between every two
tokens: spaces, line breaks with any indent, comments on their own lines and trailing code,
blank lines, and parentheses that precedence does not need.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scopecheck.syntax.format import format_rule_file
from scopecheck.syntax.parser import parse_rule_file

OR, AND, NOT, COMPARE, SUM, PRODUCT, UNARY, ATOM = range(1, 9)


@dataclass(frozen=True)
class Piece:
    """Tokens of an expression, how loosely it binds, and whether it ends in a bare
    ``count earlier tickets`` (which must not stand before ``in``)."""

    tokens: tuple[str, ...]
    precedence: int
    open_count: bool = False


def grouped(piece: Piece) -> Piece:
    return Piece(("(", *piece.tokens, ")"), ATOM)


def at_least(piece: Piece, precedence: int) -> Piece:
    return piece if piece.precedence >= precedence else grouped(piece)


NAMES = ["a", "b2", "estimate", "category", "x_y", "requester", "long_field_name_for_wide_lines", "premiums_waived_for_the_client"]
ROOTS = ["ticket", "params", "work", "agreement", "earlier", "client"]
LITERALS = [
    "4h", "1h30m", "90m", "1.5h", "2d", "$150", "$1,500.00", "€20", "£7.5", "15%", "12.5%", "0%",
    "2026-01-01", "2026-11-21T09:30", "2026-11-21T09:30-05:00", "08:30", "true", "false", "12", "1.5", "0",
    '"text"', '""', '"a \\"quoted\\" word"', '"back\\\\slash"', '"with # hash"', '"a fairly long piece of text that fills a line"',
]  # fmt: skip
COMPARISONS = ["==", "!=", "<", "<=", ">", ">=", "is", "is not", "in", "not in", "contains", "starts with", "ends with", "mentions"]

names = st.sampled_from(NAMES)
literals = st.sampled_from(LITERALS).map(lambda text: Piece((text,), ATOM))
paths = st.builds(
    lambda root, rest: Piece(tuple(part for name in (root, *rest) for part in (".", name))[1:], ATOM),
    st.sampled_from(ROOTS), st.lists(names, min_size=1, max_size=3),
)  # fmt: skip
# A keyword in parentheses reads as a bare name: `(missing)`, `(and)`.
bare_names = names.map(lambda name: Piece((name,), ATOM)) | st.sampled_from(["missing", "and", "in", "where"]).map(
    lambda word: Piece(("(", word, ")"), ATOM)
)
windows = st.sampled_from([(), ("in", "contract", "year"), ("in", "calendar", "month"), ("in", "last", "30", "days")])


def calls(children):
    def build(function, args):
        tokens = [function, "("]
        for index, arg in enumerate(args):
            tokens += ([","] if index else []) + list(arg.tokens)
        return Piece((*tokens, ")"), ATOM)

    return st.builds(build, st.sampled_from(["coalesce", "count", "hours", "max", "lower"]), st.lists(children, max_size=3))


def lists(children):
    def build(items):
        tokens = ["["]
        for index, item in enumerate(items):
            tokens += ([","] if index else []) + list(item.tokens)
        return Piece((*tokens, "]"), ATOM)

    return st.builds(build, st.lists(children, max_size=3))


def counts(children):
    def build(same, window, condition):
        tokens = ["count", "earlier", "tickets"]
        if same:
            tokens += ["for", "same", same]
        tokens += window
        if condition is not None:
            tokens += ["where", "(", *condition.tokens, ")"]
        return Piece(tuple(tokens), ATOM, open_count=not window and condition is None)

    return st.builds(build, st.none() | st.sampled_from(["requester", "device", "site"]), windows, st.none() | children)


def negatives(children):
    return children.map(lambda operand: Piece(("-", *at_least(operand, UNARY).tokens), UNARY, operand.open_count and operand.precedence >= UNARY))


def arithmetic(children):
    def build(operators, operands):
        precedence = SUM if operators[0] in "+-" else PRODUCT
        parts = [at_least(operand, precedence + 1) for operand in operands[: len(operators) + 1]]
        tokens = list(parts[0].tokens)
        for operator, part in zip(operators, parts[1:]):
            tokens += [operator, *part.tokens]
        return Piece(tuple(tokens), precedence, parts[-1].open_count)

    operators = st.sampled_from(["+-", "*/"]).flatmap(lambda kind: st.lists(st.sampled_from(kind), min_size=1, max_size=3))
    return st.builds(build, operators, st.lists(children, min_size=4, max_size=4))


def comparisons(children):
    def build(operator, left, right):
        left = at_least(left, SUM)
        if operator == "in" and left.open_count:
            left = grouped(left)
        return Piece((*left.tokens, *operator.split(), *at_least(right, SUM).tokens), COMPARE)

    return st.builds(build, st.sampled_from(COMPARISONS), children, children)


def presences(children):
    return st.builds(
        lambda operand, word: Piece((*at_least(operand, SUM).tokens, "is", word), COMPARE), children, st.sampled_from(["missing", "present"])
    )


def negations(children):
    return children.map(lambda operand: Piece(("not", *at_least(operand, NOT).tokens), NOT))


def chains(children):
    def build(word, operands):
        precedence = OR if word == "or" else AND
        tokens = list(at_least(operands[0], precedence + 1).tokens)
        for operand in operands[1:]:
            tokens += [word, *at_least(operand, precedence + 1).tokens]
        return Piece(tuple(tokens), precedence)

    return st.builds(build, st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=4))


def extended(children):
    return st.one_of(
        calls(children), lists(children), counts(children), negatives(children), arithmetic(children),
        comparisons(children), presences(children), negations(children), chains(children), children.map(grouped),
    )  # fmt: skip


expressions = st.recursive(st.one_of(literals, paths, bare_names), extended, max_leaves=14)

# Conditions are mostly chains, often too long for one line, to exercise the line breaking.
conditions = expressions | chains(expressions | chains(expressions))

comment_texts = st.text(alphabet="abc xyz#!\"'(){}-_", max_size=30).map(lambda text: "#" + text)


@st.composite
def laid_out(draw, tokens: tuple[str, ...]) -> str:
    """The tokens with random layout between them; a comment always ends its line."""
    text = tokens[0]
    for token in tokens[1:]:
        choice = draw(st.integers(0, 19))
        if choice < 12:
            text += " "
        elif choice < 15:
            text += "\n" + " " * draw(st.integers(0, 8))
        elif choice < 17:
            text += " " * draw(st.integers(0, 2)) + " " + draw(comment_texts) + "\n" + " " * draw(st.integers(0, 6))
        else:
            text += "\n" + " " * draw(st.integers(0, 6)) + draw(comment_texts) + "\n" + " " * draw(st.integers(0, 6))
        text += token
    return text


effects = st.one_of(
    expressions.map(lambda e: ("premium", *e.tokens)),
    st.tuples(expressions, expressions).map(lambda pair: ("premium", *pair[0].tokens, "on", *pair[1].tokens)),
    expressions.map(lambda e: ("fee", *e.tokens)),
    st.just(("materials", "at", "cost")),
    expressions.map(lambda e: ("materials", "at", "cost", "plus", *e.tokens)),
)


def joined(effect_list) -> tuple[str, ...]:
    tokens: list[str] = []
    for index, effect in enumerate(effect_list):
        tokens += ([","] if index else []) + list(effect)
    return tuple(tokens)


outcomes = st.one_of(
    st.sampled_from([("in_plan",), ("billable",), ("project",), ("review",)]),
    st.tuples(st.sampled_from(["in_plan", "billable", "project", "review"]), st.lists(effects, min_size=1, max_size=2)).map(
        lambda pair: (pair[0], "with", *joined(pair[1]))
    ),
    st.lists(effects, min_size=1, max_size=2).map(lambda effect_list: ("add", *joined(effect_list))),
)
titles = st.sampled_from(['"Title"', '"Moves beyond the yearly allowance are billable"', '"a \\"quoted\\" title"'])
becauses = st.sampled_from(
    [
        '"plain reason"',
        '"estimated {ticket.estimate}, more than {params.project_threshold}"',
        '"{{braces}} and a \\"quote\\" and {count earlier tickets where (earlier.category is \\"move\\")} moves"',
    ]
)


@st.composite
def rules(draw) -> tuple[str, ...]:
    tokens = ["rule", draw(names)]
    if draw(st.booleans()):
        tokens.append(draw(titles))
    if draw(st.booleans()):
        tokens += ["priority", *draw(st.sampled_from([("0",), ("-", "0"), ("2",), ("-", "100"), ("10",)]))]
    tokens += ["when", *draw(conditions).tokens, "then", *draw(outcomes)]
    if draw(st.booleans()):
        tokens += ["because", draw(becauses)]
    return tuple(tokens)


params = st.builds(
    lambda name, type_name, default, description: ("param", name, ":", *type_name, "=", *default.tokens, *description),
    names, st.sampled_from([("duration",), ("list", "[", "text", "]"), ("number",)]), expressions,
    st.sampled_from([(), ('"What it is."',)]),
)  # fmt: skip
imports = st.sampled_from([("import", "standard"), ("import", '"./shared/retail.scope"')])


@st.composite
def rule_files(draw) -> str:
    text = ""
    if draw(st.booleans()):
        text += draw(comment_texts) + "\n" * draw(st.integers(1, 3))
    for tokens in draw(st.lists(st.one_of(imports, params, rules()), max_size=4)):
        text += draw(laid_out(tokens)) + "\n" * draw(st.integers(1, 4))
        if draw(st.integers(0, 3)) == 0:
            text += draw(comment_texts) + "\n" * draw(st.integers(1, 3))
    return text


def kept_comments(rule_file) -> Counter:
    return Counter(comment.rstrip() for _, comment in rule_file.comments)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_files(), st.booleans())
def test_formatting_keeps_meaning_and_comments_and_is_stable(text: str, crlf: bool) -> None:
    original = parse_rule_file(text, "x.scope")
    formatted = format_rule_file(text.replace("\n", "\r\n") if crlf else text, "x.scope")
    again = parse_rule_file(formatted, "x.scope")
    assert again == original
    assert kept_comments(again) == kept_comments(original)
    assert format_rule_file(formatted, "x.scope") == formatted
    assert "\r" not in formatted and not any(line != line.rstrip() for line in formatted.split("\n"))
    assert formatted == "" or formatted.endswith("\n") and not formatted.endswith("\n\n")
