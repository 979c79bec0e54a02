"""Formatting: the text of a ``.scope`` file in, the same file in canonical layout out.

Stage: beside parsing, before checking. The text is parsed (a file that does not parse raises
the parser's ``DiagnosticError``), its ``RuleFile`` is printed in the layout docs/language.md
("Formatting") describes, and the comments, which the AST does not hold, are put back by
position. Printing keeps every token in its order, apart from grouping parentheses and a
``priority 0`` clause, so the n-th remaining token of the input is the n-th of the output: a
comment goes before the line holding the token that followed it, or at the end of the line
holding the token that preceded it on its line.

The printed file is parsed again before it is returned; if it does not mean the same or lost a
comment, the formatter says so instead of handing back a changed rule file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache

from lark import Token

from scopecheck.diagnostics import Diagnostic, DiagnosticError, Span
from scopecheck.syntax.ast import (
    AllOf, AnyOf, Arithmetic, Call, Compare, CountEarlier, Expr, Fee, Import, ListOf, Literal, MaterialsCharge,
    Name, Negative, Not, Outcome, Param, Path, Premium, Presence, Rule, RuleFile, Template, walk,
)  # fmt: skip
from scopecheck.syntax.build import _unquote
from scopecheck.syntax.grammar import lark_parser
from scopecheck.syntax.parser import parse_rule_file

WIDTH = 100
"""Lines are kept within this many columns where a line break may go; text and lists are never cut."""

CLAUSE = "  "
"""Indent of a rule's clauses and of a parameter's description."""

# Precedence, loosest first, as in grammar/scope.lark.
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 9)

# Blank lines written between top-level items and comments are kept up to this many.
_MOST_BLANK_LINES = 2

_WINDOWS = {"contract_year": "in contract year", "calendar_month": "in calendar month"}
_GROUPING = {"(", ")"}
_KEYWORD_PATTERN = re.compile(r"([a-z_]+)\(\?!\[A-Za-z0-9_\]\)")


def format_rule_file(text: str, path: str) -> str:
    """``text`` (the file at ``path``) in canonical layout; raises ``DiagnosticError`` when it
    does not parse."""
    text = text.replace("\r\n", "\n")
    rule_file = parse_rule_file(text, path)
    formatted = _Printer(text, rule_file).file()
    _verify(rule_file, formatted, path)
    return formatted


# --- what the source holds besides the AST ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Comment:
    line: int
    column: int
    text: str
    gap: int
    """How many counted tokens come before the comment."""
    trailing: bool
    """Code stands before the comment on its line."""


class _Source:
    """The source's tokens: counted ones (what formatting keeps in order), strings by position,
    and comments with where they sit among the counted tokens."""

    def __init__(self, text: str):
        self.lines = text.split("\n")
        self.counted: list[Token] = []
        self.comments: list[_Comment] = []
        self.strings_at: dict[tuple[int, int], Token] = {}
        self.strings_ending_at: dict[tuple[int, int], Token] = {}
        self.after_rule_keyword: dict[tuple[int, int], Token] = {}
        tokens = [token for token in lark_parser().lex(text, dont_ignore=True) if not token.type.startswith("__IGNORE")]
        code = [token for token in tokens if token.type != "COMMENT"]
        uncounted = _zero_priorities(code)
        for token in tokens:
            if token.type == "COMMENT":
                before = self.lines[token.line - 1][: token.column - 1]
                self.comments.append(
                    _Comment(token.line, token.column, str(token).rstrip(), len(self.counted), bool(before.strip()))
                )
            elif id(token) not in uncounted and str(token) not in _GROUPING:
                self.counted.append(token)
        for index, token in enumerate(code):
            if token.type == "STRING":
                self.strings_at[(token.line, token.column)] = token
                self.strings_ending_at[(token.end_line, token.end_column)] = token
            if str(token) == "rule" and index + 2 < len(code):
                self.after_rule_keyword[(token.line, token.column)] = code[index + 2]
        self.comment_positions = sorted((comment.line, comment.column) for comment in self.comments)

    def comment_between(self, end: tuple[int, int], start: tuple[int, int]) -> bool:
        """Whether a comment lies after position ``end`` and before ``start``."""
        at = bisect.bisect_left(self.comment_positions, end)
        return at < len(self.comment_positions) and self.comment_positions[at] < start

    def blank_lines_between(self, first: int, last: int) -> int:
        """Blank source lines strictly between lines ``first`` and ``last``."""
        return sum(1 for number in range(first + 1, last) if not self.lines[number - 1].strip())


def _zero_priorities(code: list[Token]) -> set[int]:
    """The ids of the tokens of each ``priority 0`` (or ``-0``) clause: the default is not
    printed, so those tokens are not counted."""
    ids: set[int] = set()
    for index, token in enumerate(code):
        if str(token) != "priority":
            continue
        clause = code[index : index + 3] if index + 1 < len(code) and str(code[index + 1]) == "-" else code[index : index + 2]
        number = str(clause[-1])
        if number.isdigit() and int(number) == 0:
            ids.update(id(part) for part in clause)
    return ids


# --- expressions on one line -------------------------------------------------------------------


def render(expression: Expr) -> str:
    """``expression`` on one line, with exactly the parentheses its reading needs."""
    match expression:
        case Literal(text=text):
            return text
        case Path():
            return expression.dotted
        case Name(name=name):
            # A name that is also a keyword only reads as a name where the keyword cannot stand.
            return f"({name})" if name in _keywords() else name
        case Call(function=function, args=args):
            return f"{function}({', '.join(render(arg) for arg in args)})"
        case ListOf(items=items):
            return f"[{', '.join(render(item) for item in items)}]"
        case Negative(operand=operand):
            text = _operand(operand, _UNARY)
            return f"- {text}" if text.startswith("-") else f"-{text}"
        case Arithmetic(first=first, rest=rest):
            tighter = _precedence(expression) + 1
            return " ".join([_operand(first, tighter), *(f"{operator} {_operand(operand, tighter)}" for operator, operand in rest)])
        case Compare(operator=operator, left=left, right=right):
            return f"{_compared(left, operator)} {operator} {_operand(right, _SUM)}"
        case Presence(operand=operand, present=present):
            return f"{_operand(operand, _SUM)} is {'present' if present else 'missing'}"
        case Not(operand=operand):
            # `not (a in b)`, never `not a in b`, which reads as if `not` took `a` alone.
            return "not " + _operand(operand, _COMPARE + 1)
        case AllOf(operands=operands) | AnyOf(operands=operands):
            # `_NOT`, not `_AND`, for the operands of an `or`: an `and` inside an `or` keeps its
            # parentheses, since mixing the two bare is the classic misreading.
            return f" {_chain_word(expression)} ".join(_operand(operand, _NOT) for operand in operands)
        case CountEarlier():
            return _count_earlier(expression)
    raise AssertionError(f"no layout for {type(expression).__name__}")


def _precedence(expression: Expr) -> int:
    match expression:
        case AnyOf():
            return _OR
        case AllOf():
            return _AND
        case Not():
            return _NOT
        case Compare() | Presence():
            return _COMPARE
        case Arithmetic(rest=rest):
            return _SUM if rest[0][0] in "+-" else _PRODUCT
        case Negative():
            return _UNARY
    return _ATOM


def _operand(expression: Expr, loosest: int) -> str:
    """``expression`` where nothing looser than ``loosest`` may stand bare."""
    text = render(expression)
    return f"({text})" if _precedence(expression) < loosest else text


def _compared(left: Expr, operator: str) -> str:
    # `count earlier tickets in ...` reads `in` as the start of a window, so a count that ends
    # without window or condition keeps its parentheses before `in`.
    if operator == "in" and _precedence(left) >= _SUM and _ends_with_open_count(left):
        return f"({render(left)})"
    return _operand(left, _SUM)


def _ends_with_open_count(expression: Expr) -> bool:
    match expression:
        case CountEarlier(window=None, condition=None):
            return True
        case Arithmetic(rest=rest):
            last = rest[-1][1]
            return _precedence(last) > _precedence(expression) and _ends_with_open_count(last)
        case Negative(operand=operand):
            return _precedence(operand) >= _UNARY and _ends_with_open_count(operand)
    return False


def _chain_word(chain: AllOf | AnyOf) -> str:
    return "and" if isinstance(chain, AllOf) else "or"


def _count_earlier(count: CountEarlier) -> str:
    words = ["count earlier tickets"]
    if count.same is not None:
        words.append(f"for same {count.same}")
    if count.window is not None:
        words.append(_WINDOWS.get(count.window.kind) or f"in last {count.window.days} days")
    if count.condition is not None:
        words.append(f"where ({render(count.condition)})")
    return " ".join(words)


@cache
def _keywords() -> frozenset[str]:
    words = set()
    for terminal in lark_parser().terminals:
        match = _KEYWORD_PATTERN.fullmatch(str(terminal.pattern.value))
        if match:
            words.add(match[1])
    return frozenset(words)


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


# --- the file ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    """One item's lines, and the source lines it came from (for the blank lines around it)."""

    kind: str
    lines: list[str]
    first_source_line: int
    last_source_line: int


class _Printer:
    """Prints one parsed file; strings as written and the comments come from its source text."""

    def __init__(self, text: str, rule_file: RuleFile):
        self.source = _Source(text)
        self.rule_file = rule_file

    # --- items ---

    def file(self) -> str:
        items = sorted(
            (*self.rule_file.imports, *self.rule_file.params, *self.rule_file.rules),
            key=lambda item: (item.span.line, item.span.column),
        )
        blocks = [self._block(item) for item in items]
        return self._with_comments(blocks)

    def _block(self, item: Import | Param | Rule) -> _Block:
        match item:
            case Import():
                lines = [f"import {self._string_ending_at(item.span, item.target) if item.is_path else item.target}"]
            case Param():
                lines = [f"param {item.name}: {item.type} = {render(item.default)}"]
                if item.description is not None:
                    lines.append(CLAUSE + self._string_ending_at(item.span, item.description))
            case Rule():
                lines = self._rule(item)
        return _Block(type(item).__name__, lines, item.span.line, item.span.end_line or item.span.line)

    def _rule(self, rule: Rule) -> list[str]:
        head = f"rule {rule.id}"
        if rule.title is not None:
            token = self.source.after_rule_keyword.get((rule.span.line, rule.span.column))
            head += " " + self._raw(token, rule.title)
        lines = [head]
        if rule.priority:
            lines.append(f"{CLAUSE}priority {rule.priority}")
        lines.extend(self._layout(rule.condition, f"{CLAUSE}when ", "", len(CLAUSE) + 2))
        lines.append(f"{CLAUSE}then {_outcome(rule.outcome)}")
        if rule.because is not None:
            token = self.source.strings_at.get((rule.because.span.line, rule.because.span.column))
            lines.append(f"{CLAUSE}because {self._raw(token, rule.because.text)}")
        return lines

    def _string_ending_at(self, span: Span, value: str) -> str:
        return self._raw(self.source.strings_ending_at.get((span.end_line, span.end_column)), value)

    @staticmethod
    def _raw(token: Token | None, value: str) -> str:
        """The string as written, escapes and all; quoted afresh only if the token is not found."""
        if token is not None and token.type == "STRING" and _unquote(str(token)) == value:
            return str(token)
        return _quote(value)

    # --- conditions over several lines ---

    def _layout(self, expression: Expr, prefix: str, suffix: str, indent: int, grouped: bool = False) -> list[str]:
        """Lines for ``expression`` written after ``prefix`` and followed by ``suffix``; its
        continuation lines start at column ``indent``, and ``grouped`` puts it in parentheses.

        A chain stays on one line when it fits and no comment sits between its operands;
        otherwise each operand goes on a line of its own, led by ``and`` or ``or``.
        """
        text = f"({render(expression)})" if grouped else render(expression)
        line = prefix + text + suffix
        if len(line) <= WIDTH and not self._commented_between(expression):
            return [line]
        if grouped:
            prefix, suffix = prefix + "(", ")" + suffix
        match expression:
            case AllOf(operands=operands) | AnyOf(operands=operands):
                word = _chain_word(expression)
                lines = []
                for index, operand in enumerate(operands):
                    lead = prefix if index == 0 else f"{' ' * indent}{word} "
                    tail = suffix if index == len(operands) - 1 else ""
                    lines += self._layout(operand, lead, tail, indent + 4, grouped=_precedence(operand) < _NOT)
                return lines
            case Not(operand=operand):
                return self._layout(operand, prefix + "not ", suffix, indent, grouped=_precedence(operand) <= _COMPARE)
            case Compare(operator=operator, left=left, right=right):
                # A comparison too long for its line is cut before its operator, but only when
                # both halves then fit: a long list on the right is better left whole.
                first = prefix + _compared(left, operator)
                second = f"{' ' * indent}{operator} {_operand(right, _SUM)}{suffix}"
                if len(first) <= WIDTH and len(second) <= WIDTH:
                    return [first, second]
        return [line]

    def _commented_between(self, expression: Expr) -> bool:
        """Whether a comment sits between two operands of a chain that ``_layout`` can break."""
        match expression:
            case AllOf(operands=operands) | AnyOf(operands=operands):
                for before, after in zip(operands, operands[1:]):
                    end = (before.span.end_line, before.span.end_column)
                    if self.source.comment_between(end, (after.span.line, after.span.column)):
                        return True
                return any(self._commented_between(operand) for operand in operands)
            case Not(operand=operand):
                return self._commented_between(operand)
        return False

    # --- comments and blank lines ---

    def _chain_operators(self) -> set[int]:
        """The counted-token indices of every ``and`` and ``or`` that joins a chain (a field or
        a name can be called ``and`` too)."""
        starts = [(token.line, token.column) for token in self.source.counted]
        found: set[int] = set()
        # The expressions inside a `because` text sit inside one string token.
        for expression in walk(self.rule_file, stop_at=(Template,)):
            if isinstance(expression, AllOf | AnyOf):
                for before in expression.operands[:-1]:
                    found.add(bisect.bisect_left(starts, (before.span.end_line, before.span.end_column)))
        return found

    def _with_comments(self, blocks: list[_Block]) -> str:
        before, after, at_end = self._place_comments([line for block in blocks for line in block.lines])
        out: list[str] = []
        last_top_level: list[tuple[int, str | None]] = []  # its last source line, and its item's kind

        def top_level(first: int, last: int, kind: str | None, leads: str | None) -> None:
            """Blank lines before a line at the top level: as written, up to two; at least one
            after an item, except between two imports. ``leads`` is the kind of item the line
            starts or comes before."""
            if last_top_level:
                previous_last, previous_kind = last_top_level[-1]
                written = min(self.source.blank_lines_between(previous_last, first), _MOST_BLANK_LINES)
                between_imports = previous_kind == leads == "Import"
                out.extend([""] * max(written, 1 if previous_kind is not None and not between_imports else 0))
            last_top_level.append((last, kind))

        number = 0
        for block in blocks:
            for offset, line in enumerate(block.lines):
                indent = line[: len(line) - len(line.lstrip(" "))]
                ending = after.get(number, [])
                comments = sorted(before.get(number, []) + ending, key=lambda comment: (comment.line, comment.column))
                # Only the last comment can end the line; any before it go above, in order.
                trailing = comments.pop() if comments and comments[-1] in ending else None
                for comment in comments:
                    if offset == 0:
                        top_level(comment.line, comment.line, None, block.kind)
                    out.append(indent + comment.text)
                if offset == 0:
                    top_level(block.first_source_line, block.last_source_line, block.kind, block.kind)
                out.append(f"{line}  {trailing.text}" if trailing else line)
                number += 1
        for comment in at_end:
            top_level(comment.line, comment.line, None, None)
            out.append(comment.text)
        return "".join(line + "\n" for line in out)

    def _place_comments(
        self, code_lines: list[str]
    ) -> tuple[dict[int, list[_Comment]], dict[int, list[_Comment]], list[_Comment]]:
        """Which printed line each comment goes before or at the end of, by line index; and the
        comments after all code."""
        line_of_token = _token_lines(code_lines)
        before: dict[int, list[_Comment]] = {}
        after: dict[int, list[_Comment]] = {}
        at_end: list[_Comment] = []
        operators = self._chain_operators()
        for comment in self.source.comments:
            previous = comment.gap - 1
            # An `and` or `or` starts the line of the operand after it, so a comment written
            # after one belongs before that line.
            if comment.trailing and previous >= 0 and previous not in operators:
                after.setdefault(_line_for(line_of_token, previous), []).append(comment)
            elif comment.gap < len(line_of_token):
                before.setdefault(_line_for(line_of_token, comment.gap), []).append(comment)
            else:
                at_end.append(comment)
        return before, after, at_end


def _outcome(outcome: Outcome) -> str:
    effects = ", ".join(_effect(effect) for effect in outcome.effects)
    if outcome.kind is None:
        return f"add {effects}"
    return f"{outcome.kind} with {effects}" if effects else outcome.kind


def _effect(effect: Premium | Fee | MaterialsCharge) -> str:
    match effect:
        case Premium(multiplier=multiplier, hours=hours):
            return f"premium {render(multiplier)}" + (f" on {render(hours)}" if hours is not None else "")
        case Fee(amount=amount):
            return f"fee {render(amount)}"
        case MaterialsCharge(markup=markup):
            return "materials at cost" + (f" plus {render(markup)}" if markup is not None else "")
    raise AssertionError(f"no layout for {type(effect).__name__}")


def _token_lines(code_lines: list[str]) -> list[int]:
    """For each counted token of the printed code, the index of its line."""
    tokens = lark_parser().lex("\n".join(code_lines))
    return [token.line - 1 for token in tokens if str(token) not in _GROUPING]


def _line_for(line_of_token: list[int], index: int) -> int:
    # Equal counts are the invariant; the clamp only keeps a comment from being dropped should
    # they ever differ, and the check after printing then refuses the result.
    return line_of_token[min(index, len(line_of_token) - 1)] if line_of_token else 0


def _verify(original: RuleFile, formatted: str, path: str) -> None:
    try:
        again = parse_rule_file(formatted, path)
    except DiagnosticError:
        again = None
    kept = again is not None and again == original
    if kept and sorted(text.rstrip() for _, text in again.comments) == sorted(text.rstrip() for _, text in original.comments):
        return
    raise DiagnosticError(
        [
            Diagnostic(
                "syntax.format-failed",
                "the formatter could not lay this file out without changing it; it is left as it is",
                Span(path, 1, 1),
                help="please report this file to the scopecheck maintainers",
            )
        ]
    )
