"""Building the AST: a Lark parse tree in, AST nodes with file positions out.

Literals are read here (``4h`` becomes a timedelta, ``$150`` a Decimal amount), so that later
stages never see raw token text; ``because`` texts are split into literal pieces and
``{expression}`` pieces, each expression parsed with its own position inside the string.
"""

from __future__ import annotations

import re

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from scopecheck import values
from scopecheck.diagnostics import Diagnostic, Span
from scopecheck.syntax import ast
from scopecheck.syntax.errors import describe_parse_error
from scopecheck.syntax.grammar import lark_parser

# Deeper than any rule a person writes; keeps every later stage's recursion far from Python's
# limit, so a generated or hostile file gets a clear error instead of a RecursionError.
MAX_NESTING = 60

_COMPARISONS = {
    "compare_is": "is",
    "compare_is_not": "is not",
    "compare_in": "in",
    "compare_not_in": "not in",
    "compare_contains": "contains",
    "compare_starts_with": "starts with",
    "compare_ends_with": "ends with",
    "compare_mentions": "mentions",
}
_WINDOWS = {"window_contract_year": "contract_year", "window_calendar_month": "calendar_month", "window_last_days": "last_days"}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


class Origin:
    """Where a piece of text sits in its file, to turn positions within it into file positions.

    A piece starts at the beginning of a line, except an expression inside a string: that one
    sits ``column_shift`` columns in, and never spans lines.
    """

    def __init__(self, path: str, line: int, column_shift: int = 0):
        self.path, self.line, self.column_shift = path, line, column_shift

    def span(self, line: int, column: int, end_line: int | None = None, end_column: int | None = None) -> Span:
        def shifted(at_line: int | None, at_column: int | None) -> int | None:
            if at_column is None:
                return None
            return at_column + self.column_shift if at_line == 1 else at_column

        return Span(
            self.path,
            self.line + line - 1,
            shifted(line, column),
            None if end_line is None else self.line + end_line - 1,
            shifted(end_line, end_column),
        )


class AstBuilder:
    """Turns one parsed item (or expression) into AST nodes; problems collect in ``problems``."""

    def __init__(self, origin: Origin):
        self.origin = origin
        self.problems: list[Diagnostic] = []

    # --- entry points ---

    def file_items(self, tree: Tree) -> list[ast.Import | ast.Param | ast.Rule]:
        items = []
        for item in tree.children:
            if self._too_deep(item):
                continue
            items.append(getattr(self, item.data)(item))
        return items

    def expression(self, tree: Tree | Token) -> ast.Expr:
        if isinstance(tree, Tree) and self._too_deep(tree):
            return ast.Literal("boolean", False, "false", span=self._span_of(tree))
        return self._expr(tree)

    # --- positions ---

    def _span_of(self, node: Tree | Token) -> Span:
        if isinstance(node, Token):
            return self.origin.span(node.line, node.column, node.end_line, node.end_column)
        meta = node.meta
        if getattr(meta, "empty", True):
            return self.origin.span(1, 1)
        return self.origin.span(meta.line, meta.column, meta.end_line, meta.end_column)

    def _too_deep(self, tree: Tree) -> bool:
        stack = [(tree, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_NESTING:
                self.problems.append(
                    Diagnostic(
                        "syntax.too-deep",
                        f"the expression is nested more than {MAX_NESTING} levels deep",
                        self._span_of(node),
                        help="split it into simpler rules or parameters",
                    )
                )
                return True
            stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
        return False

    # --- items ---

    def import_decl(self, tree: Tree) -> ast.Import:
        (target,) = tree.children
        if target.type == "STRING":
            return ast.Import(_unquote(str(target)), True, span=self._span_of(tree))
        return ast.Import(str(target), False, span=self._span_of(tree))

    def param_decl(self, tree: Tree) -> ast.Param:
        name, type_ref, default, description = tree.children
        type_name, item = type_ref.children
        return ast.Param(
            name=str(name),
            type=ast.TypeRef(str(type_name), str(item) if item else None, span=self._span_of(type_ref)),
            default=self._expr(default),
            description=_unquote(str(description)) if description else None,
            span=self._span_of(tree),
        )

    def rule_decl(self, tree: Tree) -> ast.Rule:
        name, title, priority, when, then, because = tree.children
        return ast.Rule(
            id=str(name),
            title=_unquote(str(title)) if title else None,
            priority=self._priority(priority) if priority else 0,
            condition=self._expr(when.children[0]),
            outcome=self._outcome(then.children[0]),
            because=self._template(because.children[0]) if because else None,
            span=self._span_of(tree),
        )

    def _priority(self, tree: Tree) -> int:
        sign, number = tree.children
        if "." in str(number):
            self.problems.append(Diagnostic("syntax.bad-priority", "a priority must be a whole number", self._span_of(number)))
            return 0
        return -int(number) if sign else int(number)

    def _outcome(self, tree: Tree) -> ast.Outcome:
        children = [child for child in tree.children if child is not None]
        if tree.data == "decide":
            kind, *effects = children
            return ast.Outcome(str(kind), tuple(self._effect(e) for e in effects), span=self._span_of(tree))
        return ast.Outcome(None, tuple(self._effect(e) for e in children), span=self._span_of(tree))

    def _effect(self, tree: Tree) -> ast.Effect:
        span = self._span_of(tree)
        match tree.data:
            case "premium":
                multiplier, hours = tree.children
                return ast.Premium(self._expr(multiplier), self._expr(hours) if hours is not None else None, span=span)
            case "fee":
                return ast.Fee(self._expr(tree.children[0]), span=span)
            case _:
                (markup,) = tree.children
                return ast.MaterialsCharge(self._expr(markup) if markup is not None else None, span=span)

    # --- expressions ---

    def _expr(self, node: Tree | Token) -> ast.Expr:
        span = self._span_of(node)
        if isinstance(node, Token):  # a lone NAME reaches here only through odd inlining
            return ast.Name(str(node), span=span)
        kind = node.data
        children = node.children
        match kind:
            case "literal":
                return self._literal(children[0])
            case "path":
                root, *names = (str(child) for child in children)
                return ast.Path(root, tuple(names), span=span)
            case "bare_name":
                return ast.Name(str(children[0]), span=span)
            case "call":
                name, *args = children
                return ast.Call(str(name), tuple(self._expr(a) for a in args if a is not None), span=span)
            case "count_call":  # `count` is also the keyword of `count earlier tickets`
                return ast.Call("count", tuple(self._expr(a) for a in children if a is not None), span=span)
            case "list":
                return ast.ListOf(tuple(self._expr(item) for item in children if item is not None), span=span)
            case "negative":
                return ast.Negative(self._expr(children[0]), span=span)
            case "negate":
                return ast.Not(self._expr(children[0]), span=span)
            case "all_of":
                return ast.AllOf(tuple(self._expr(c) for c in children), span=span)
            case "any_of":
                return ast.AnyOf(tuple(self._expr(c) for c in children), span=span)
            case "arithmetic":
                first, *rest = children
                pairs = tuple((str(rest[i]), self._expr(rest[i + 1])) for i in range(0, len(rest), 2))
                return ast.Arithmetic(self._expr(first), pairs, span=span)
            case "compare":
                left, operator, right = children
                return ast.Compare(str(operator), self._expr(left), self._expr(right), span=span)
            case "is_missing" | "is_present":
                return ast.Presence(self._expr(children[0]), kind == "is_present", span=span)
            case "count_earlier":
                return self._count_earlier(node)
            case _ if kind in _COMPARISONS:
                left, right = children
                return ast.Compare(_COMPARISONS[kind], self._expr(left), self._expr(right), span=span)
        raise AssertionError(f"grammar rule {kind!r} has no AST node")

    def _count_earlier(self, tree: Tree) -> ast.CountEarlier:
        same, window, condition = tree.children
        history_window = None
        if window is not None:
            days = None
            if window.data == "window_last_days":
                days = self._whole_number(window.children[0])
            history_window = ast.HistoryWindow(_WINDOWS[window.data], days, span=self._span_of(window))
        return ast.CountEarlier(
            same=str(same.children[0]) if same is not None else None,
            window=history_window,
            condition=self._expr(condition) if condition is not None else None,
            span=self._span_of(tree),
        )

    def _whole_number(self, token: Token) -> int:
        if "." in str(token):
            self.problems.append(Diagnostic("syntax.bad-number", "expected a whole number of days", self._span_of(token)))
            return 0
        return int(token)

    def _literal(self, token: Token) -> ast.Literal:
        text, span = str(token), self._span_of(token)
        try:
            match token.type:
                case "STRING":
                    return ast.Literal("text", _unquote(text), text, span=span)
                case "BOOLEAN":
                    return ast.Literal("boolean", text == "true", text, span=span)
                case "MONEY":
                    return ast.Literal("money", values.parse_money(text), text, span=span)
                case "NUMBER" | "DURATION" | "PERCENT" | "DATE" | "DATETIME" | "TIME":
                    kind = token.type.lower()
                    return ast.Literal(kind, values.PARSERS[kind](text), text, span=span)
        except values.ValueFormatError as error:
            self.problems.append(Diagnostic("syntax.bad-literal", str(error), span))
            return ast.Literal("text", text, text, span=span)
        raise AssertionError(f"literal token {token.type} has no reading")

    # --- because texts ---

    def _template(self, token: Token) -> ast.Template:
        raw = str(token)[1:-1]
        span = self._span_of(token)
        parts: list[str | ast.Expr] = []
        literal = []
        index = 0
        while index < len(raw):
            char = raw[index]
            if raw.startswith("{{", index) or raw.startswith("}}", index):
                literal.append(char)
                index += 2
            elif char == "{":
                close = raw.find("}", index)
                column = span.column + 1 + index
                if close < 0:
                    self.problems.append(
                        Diagnostic(
                            "syntax.template",
                            "'{' opens a value in the text but no '}' closes it",
                            Span(span.path, span.line, column, span.line, column + 1),
                            help="write '{{' for a brace of its own",
                        )
                    )
                    break
                if literal:
                    parts.append(_unescape("".join(literal)))
                    literal = []
                # A quote inside a value is written \" in the text; the expression wants it bare.
                expression_text = raw[index + 1 : close].replace('\\"', '"')
                parts.append(self._template_expression(expression_text, Span(span.path, span.line, column + 1)))
                index = close + 1
            else:
                literal.append(char)
                index += 1
        if literal:
            parts.append(_unescape("".join(literal)))
        return ast.Template(tuple(parts), _unquote(str(token)), span=span)

    def _template_expression(self, text: str, at: Span) -> ast.Expr:
        origin = Origin(at.path, at.line, column_shift=at.column - 1)
        try:
            tree = lark_parser().parse(text, start="expr")
        except UnexpectedInput as error:
            self.problems.append(describe_parse_error(error, text, origin))
            return ast.Literal("text", text, text, span=at)
        inner = AstBuilder(origin)
        expression = inner.expression(tree)
        self.problems.extend(inner.problems)
        return expression


def _unquote(text: str) -> str:
    return _unescape(text[1:-1])


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match[1], match[1]), text)
