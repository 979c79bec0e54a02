"""Syntax errors in plain words: a Lark parse error in, a positioned ``Diagnostic`` out.

Lark reports what it expected as terminal names (``THEN``, ``RPAR``, ``NAME``); an account
manager needs "expected 'then' after the condition, found 'thn'" and a did-you-mean.
"""

from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from scopecheck.diagnostics import Diagnostic, suggest
from scopecheck.syntax.grammar import lark_parser

# Terminals that can start a value: when most of them are expected, "a value" says it all.
_VALUE_STARTS = {
    "NAME", "NUMBER", "STRING", "MONEY", "DURATION", "PERCENT", "DATE", "DATETIME", "TIME",
    "BOOLEAN", "LPAR", "LSQB", "MINUS", "_COUNT", "_NOT",
}  # fmt: skip
_NAMED = {
    "NAME": "a name",
    "MEMBER": "a name",
    "STRING": "text in double quotes",
    "NUMBER": "a number",
    "MONEY": "an amount such as $150",
    "DURATION": "a duration such as 4h",
    "PERCENT": "a percentage such as 10%",
    "OUTCOME_NAME": "an outcome (in_plan, billable, project or review)",
    "COMPARE_OP": "a comparison",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "$END": "the end of the file",
}
# When one of these keywords is expected, it is what the writer most likely left out; the
# context says where in the rule they are.
_CLAUSES = [
    ("_THEN", "'then'", "after the condition"),
    ("_WHEN", "'when'", "before the rule's condition"),
    ("OUTCOME_NAME", "an outcome (in_plan, billable, project or review) or 'add'", "after 'then'"),
    ("EQUAL", "'=' and a default value", "after the parameter's type"),
    ("COLON", "':' and a type", "after the parameter's name"),
]
# Keywords are written in the grammar as `word` followed by a not-a-word-character lookahead.
_KEYWORD_PATTERN = re.compile(r"([a-z_]+)\(\?!\[A-Za-z0-9_\]\)")
_CHARACTER_HELP = {
    "&": "write 'and' to join conditions",
    "|": "write 'or' for either condition",
    "!": "write 'not' to negate a condition, or '!=' for 'not equal'",
    "'": "text is written in double quotes",
}


def describe_parse_error(error: UnexpectedInput, text: str, origin) -> Diagnostic:
    """Turn a Lark error raised on ``text`` into a diagnostic positioned through ``origin``."""
    if isinstance(error, UnexpectedCharacters):
        return _unexpected_character(error, text, origin)
    if isinstance(error, UnexpectedToken):
        return _unexpected_token(error, text, origin)
    line, column = _end_position(text)
    return Diagnostic("syntax.unexpected-end", "the text ends too early", origin.span(line, column))


def _unexpected_character(error: UnexpectedCharacters, text: str, origin) -> Diagnostic:
    char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
    span = origin.span(error.line, error.column, error.line, error.column + 1)
    if char == '"':
        return Diagnostic("syntax.unclosed-text", "text in quotes is not closed on this line", span, help='add the closing "')
    shown = "a tab" if char == "\t" else f"'{char}'"
    return Diagnostic("syntax.unexpected-character", f"unexpected character {shown}", span, help=_CHARACTER_HELP.get(char))


def _unexpected_token(error: UnexpectedToken, text: str, origin) -> Diagnostic:
    token: Token = error.token
    expected = set(error.expected)
    what, context = _expected_phrase(expected)
    if token.type == "$END":
        line, column = _end_position(text)
        span = origin.span(line, column)
        return Diagnostic("syntax.unexpected-end", f"expected {what}{context}, but the text ends here", span)
    span = origin.span(token.line, token.column, token.end_line, token.end_column)
    found = _describe_token(token)
    help_text = _help_for(token, expected)
    code = "syntax.unknown-keyword" if help_text and help_text.startswith("did you mean") else "syntax.unexpected-token"
    return Diagnostic(code, f"expected {what}{context}, found {found}", span, help=help_text)


def _expected_phrase(expected: set[str]) -> tuple[str, str]:
    for terminal, what, context in _CLAUSES:
        if terminal in expected:
            return what, f" {context}"
    if "_BECAUSE" in expected:
        return "'because', a new rule, or the end of the file", " after the outcome"
    if len(expected & _VALUE_STARTS) >= 3:
        return "a value", ""
    if expected == {"RPAR"} or "RPAR" in expected and "COMMA" not in expected:
        return "')'", " to close the '('"
    phrases = sorted({_describe_terminal(name) for name in expected})
    if len(phrases) > 6:
        return "a value or an operator", ""
    if len(phrases) == 1:
        return phrases[0], ""
    return ", ".join(phrases[:-1]) + " or " + phrases[-1], ""


def _describe_terminal(name: str) -> str:
    if name in _NAMED:
        return _NAMED[name]
    keyword = _keyword_of(name)
    return f"'{keyword}'" if keyword else name.lower()


def _keyword_of(terminal: str) -> str | None:
    """The literal text of a keyword or punctuation terminal, ``None`` for a pattern."""
    try:
        pattern = lark_parser().get_terminal(terminal).pattern
    except KeyError:
        return None
    if pattern.type == "str":
        return pattern.value
    keyword = _KEYWORD_PATTERN.fullmatch(pattern.value)
    return keyword[1] if keyword else None


def _describe_token(token: Token) -> str:
    if token.type == "STRING":
        shown = str(token) if len(token) <= 30 else str(token)[:27] + '..."'
        return f"text {shown}"
    return f"'{token}'"


def _help_for(token: Token, expected: set[str]) -> str | None:
    word = str(token)
    if word.isidentifier():
        keywords = [kw for kw in (_keyword_of(name) for name in expected) if kw and kw.isidentifier()]
        if "OUTCOME_NAME" in expected:
            keywords += ["in_plan", "billable", "project", "review"]
        best = suggest(word, keywords)
        if best and best != word:
            return f"did you mean '{best}'?"
    if word == "=" and "_THEN" in expected:
        return "write '==' or 'is' to compare"
    if word in ("in_plan", "billable", "project", "review") and "_THEN" in expected:
        return f"write 'then {word}'"
    if token.type in ("STRING", "NAME") and expected & {"_THEN", "COMPARE_OP"}:
        return "join conditions with 'and' or 'or'"
    return None


def _end_position(text: str) -> tuple[int, int]:
    """The line and column just after the last thing written (comments and spaces aside)."""
    lines = text.splitlines() or [""]
    for number in range(len(lines), 0, -1):
        content = lines[number - 1].split("#", 1)[0].rstrip()
        if content:
            return number, len(content) + 1
    return 1, 1
