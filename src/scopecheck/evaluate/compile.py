"""Compiling: a ``CheckedRuleSet`` and an ``Agreement`` in, a ``Program`` out.

Every expression becomes a Python closure once per run, with the agreement's parameters and
fields bound as constants, so deciding a ticket does no parsing, lookup by name or type
dispatch. Closures take ``(ticket, earlier, history)``: ``earlier`` is the earlier ticket inside
a ``count earlier tickets ... where (...)`` condition, ``history`` the tickets decided before.
``work.*`` reads the ticket's ``Work``, measured once per ticket by ``work_of``.

A ``Compiler`` given a ``trace`` also reports what each ``and`` / ``or`` operand evaluated to
(``scopecheck test`` measures condition coverage with it); without one it compiles the same
closures as ever, so deciding tickets costs nothing more.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from scopecheck import values
from scopecheck.builtins import BUILTINS
from scopecheck.calendar import BusinessCalendar
from scopecheck.check.checker import CheckedRuleSet
from scopecheck.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from scopecheck.evaluate import operators
from scopecheck.evaluate.decision import OUTCOME_RANK
from scopecheck.syntax import ast
from scopecheck.tickets.model import Ticket
from scopecheck.values import Type
from scopecheck.work import Work, WorkOfLastTicket

Compiled = Callable[[Ticket, object, object], object]

# Called with each operand of an ``and`` / ``or`` and the value it evaluated to (True, False
# or None for unknown), every time it is evaluated; ``scopecheck test`` measures condition
# coverage with it. Whatever replaces these closures must call it at the same points.
Trace = Callable[[ast.Expr, object], None]


@dataclass(frozen=True, slots=True)
class CompiledEffect:
    node: ast.Effect
    first: Compiled | None  # multiplier, amount or markup
    second: Compiled | None  # the premium's hours


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: ast.Rule
    rank: tuple[int, int, int]  # (priority, outcome rank, -position): the greatest decides
    condition: Compiled
    reason: Callable[[Ticket, object], str]
    effects: tuple[CompiledEffect, ...]
    fields_read: tuple[tuple[str, Compiled], ...]  # for saying which missing field left it unknown


def bind_parameters(checked: CheckedRuleSet, agreement) -> dict[str, object]:
    """Parameter values: each default, replaced by the agreement's override of that name."""
    problems: list[Diagnostic] = []
    defaults = Compiler(checked, {}, agreement)
    bound = {name: defaults.expression(param.default)(None, None, None) for name, param in checked.params.items()}
    problems.extend(defaults.problems)
    for override in agreement.params:
        wanted = checked.param_types.get(override.name)
        if wanted is None:
            problems.append(
                Diagnostic(
                    "check.unknown-param",
                    f"the rules declare no parameter '{override.name}'",
                    override.name_span or override.span,
                    help=did_you_mean(override.name, checked.param_types),
                )
            )
            continue
        try:
            bound[override.name] = _read_override(override.value, wanted)
        except values.ValueFormatError as error:
            problems.append(
                Diagnostic("check.param-override", f"parameter '{override.name}' is a {wanted}: {error}", override.span)
            )
    if problems:
        raise DiagnosticError(problems)
    return bound


def _read_override(value: object, wanted: Type) -> object:
    if wanted.name == "list":
        items = value if isinstance(value, (list, tuple)) else [value]
        return tuple(values.parse_value(item, wanted.item or values.TEXT) for item in items)
    if wanted.name in ("duration", "money", "percent", "date", "datetime", "time") and not isinstance(value, str):
        if wanted.name in ("money", "percent") and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return values.parse_value(value, wanted)
        raise values.ValueFormatError(f"'{value}' is not a {wanted} (write it in quotes, like \"6h\" or \"$150\")")
    return values.parse_value(value, wanted)


class Compiler:
    def __init__(self, checked: CheckedRuleSet, params: dict[str, object], agreement,
                 work_of: Callable[[Ticket], Work] | None = None, trace: Trace | None = None):
        self.checked = checked
        self.trace = trace
        self.params = params
        self.agreement = agreement
        self.currency = getattr(agreement, "currency", "USD")
        self.calendar = getattr(agreement, "calendar", None) or BusinessCalendar(dt.timezone.utc)
        self.work_of = work_of or WorkOfLastTicket(self.calendar)
        self.problems: list[Diagnostic] = []

    def expression(self, node: ast.Expr) -> Compiled:
        match node:
            case ast.Literal(kind="money", value=money):
                if money.currency and self.agreement is not None and money.currency != self.currency:
                    self.problems.append(
                        Diagnostic(
                            "check.currency",
                            f"'{node.text}' is in {money.currency} but the agreement bills in {self.currency}",
                            node.span,
                        )
                    )
                return _const(money.amount)
            case ast.Literal(value=value):
                return _const(value)
            case ast.Path():
                return self._path(node)
            case ast.Call(function=function, args=args):
                builtin = BUILTINS[function]
                run = functools.partial(builtin.run, self.calendar) if builtin.uses_calendar else builtin.run
                compiled = [self.expression(a) for a in args]
                if len(compiled) == 1:
                    (only,) = compiled
                    return lambda t, e, h: run(only(t, e, h))
                return lambda t, e, h: run(*(c(t, e, h) for c in compiled))
            case ast.ListOf(items=items):
                compiled = [self.expression(item) for item in items]
                return lambda t, e, h: tuple(c(t, e, h) for c in compiled)
            case ast.Negative(operand=operand):
                inner = self.expression(operand)
                return lambda t, e, h: None if (v := inner(t, e, h)) is None else -v
            case ast.Not(operand=operand):
                inner = self.expression(operand)
                return lambda t, e, h: None if (v := inner(t, e, h)) is None else not v
            case ast.AllOf(operands=operands):
                return _kleene([self._operand(o) for o in operands], decisive=False)
            case ast.AnyOf(operands=operands):
                return _kleene([self._operand(o) for o in operands], decisive=True)
            case ast.Arithmetic():
                return self._arithmetic(node)
            case ast.Compare():
                return self._compare(node)
            case ast.Presence(operand=operand, present=present):
                inner = self.expression(operand)
                if present:
                    return lambda t, e, h: inner(t, e, h) not in (None, (), "")
                return lambda t, e, h: inner(t, e, h) in (None, (), "")
            case ast.CountEarlier():
                return self._count_earlier(node)
        raise AssertionError(f"no compilation for {type(node).__name__}")

    def _operand(self, node: ast.Expr) -> Compiled:
        """An operand of ``and`` / ``or``; reported to ``trace`` only when there is one, so an
        untraced program runs exactly the closures it always did."""
        compiled = self.expression(node)
        if self.trace is None:
            return compiled
        record = self.trace

        def traced(t, e, h):
            result = compiled(t, e, h)
            record(node, result)
            return result

        return traced

    def _path(self, node: ast.Path) -> Compiled:
        if node.root == "params":
            return _const(self.params[node.names[0]])
        if node.root in ("agreement", "client"):
            full = node.names if node.root == "agreement" else ("client", *node.names)
            return _const(self.agreement.lookup(full) if self.agreement else None)
        if node.root == "work":
            work_of, measure = self.work_of, operator.attrgetter(node.names[0])
            return lambda t, e, h: measure(work_of(t))
        index = Ticket._fields.index(node.names[0]) if node.names[0] in Ticket._fields else None
        rest = node.names[1:]
        if node.root == "earlier":
            if index is None:  # outcome or rule of the earlier decision
                attribute = node.names[0]
                return lambda t, e, h: getattr(e, attribute)
            getter = lambda t, e, h: e.ticket[index]  # noqa: E731
        else:
            getter = lambda t, e, h: t[index]  # noqa: E731
        if not rest:
            return getter
        return lambda t, e, h: _dig(getter(t, e, h), rest)

    def _arithmetic(self, node: ast.Arithmetic) -> Compiled:
        current = self.expression(node.first)
        left_type = self.checked.type_of(node.first)
        for symbol, operand in node.rest:
            right_type = self.checked.type_of(operand)
            apply = operators.arithmetic(left_type, symbol, right_type)
            right = self.expression(operand)
            current = (lambda a, f, g: lambda t, e, h: a(f(t, e, h), g(t, e, h)))(apply, current, right)
            left_type = right_type if left_type.name == "any" else left_type
        return current

    def _compare(self, node: ast.Compare) -> Compiled:
        left = self.expression(node.left)
        if node.operator == "mentions" and isinstance(node.right, ast.Literal):
            test = operators.mentions_literal(node.right.value)
            return lambda t, e, h: test(left(t, e, h))
        apply = operators.comparison(node.operator, self.checked.type_of(node.left))
        right = self.expression(node.right)
        return lambda t, e, h: apply(left(t, e, h), right(t, e, h))

    def _count_earlier(self, node: ast.CountEarlier) -> Compiled:
        window = (node.window.kind, node.window.days) if node.window else None
        same = node.same
        if node.condition is None:
            return lambda t, e, h: None if h is None else h.count(t, same, window, None)
        inner = self.expression(node.condition)
        # The condition may compare an earlier ticket with this one, so it sees both.
        return lambda t, e, h: None if h is None else h.count(t, same, window, lambda earlier: inner(t, earlier, None))

    # --- rules ---

    def rule(self, rule: ast.Rule, order: int) -> CompiledRule:
        kind = rule.outcome.kind
        # Charge-only rules never decide; among deciding rules priority first, then the
        # outcome that protects the provider, then the rule written first.
        rank = (rule.priority, OUTCOME_RANK[kind] if kind else -1, -order)
        return CompiledRule(
            rule=rule,
            rank=rank,
            condition=self.expression(rule.condition),
            reason=self._reason(rule),
            effects=tuple(self._effect(effect) for effect in rule.outcome.effects),
            fields_read=tuple((path.dotted, self._path(path)) for path in _fields_read(rule.condition)),
        )

    def _effect(self, effect: ast.Effect) -> CompiledEffect:
        match effect:
            case ast.Premium(multiplier=multiplier, hours=hours):
                return CompiledEffect(effect, self.expression(multiplier), self.expression(hours) if hours else None)
            case ast.Fee(amount=amount):
                return CompiledEffect(effect, self.expression(amount), None)
            case ast.MaterialsCharge(markup=markup):
                return CompiledEffect(effect, self.expression(markup) if markup else None, None)
        raise AssertionError(f"no compilation for {type(effect).__name__}")

    def _reason(self, rule: ast.Rule) -> Callable[[Ticket, object], str]:
        if rule.because is None:
            fixed = rule.title or f"rule '{rule.id}' applies"
            return lambda t, h: fixed
        pieces: list[Callable[[Ticket, object], str]] = []
        for part in rule.because.parts:
            if isinstance(part, str):
                pieces.append((lambda text: lambda t, h: text)(part))
            else:
                compiled, part_type, currency = self.expression(part), self.checked.type_of(part), self.currency
                pieces.append(
                    (lambda c, ty: lambda t, h: values.format_value(c(t, None, h), ty, currency))(compiled, part_type)
                )
        return lambda t, h: "".join(piece(t, h) for piece in pieces)


def _const(value: object) -> Compiled:
    return lambda t, e, h: value


def _dig(value: object, names: tuple[str, ...]) -> object:
    """Follow field names into a record (a custom field's mapping, say); missing is ``None``."""
    for name in names:
        if value is None:
            return None
        if isinstance(value, dict) or hasattr(value, "get"):
            value = value.get(name)
        else:
            value = getattr(value, name, None)
    return value


def _kleene(operands: list[Compiled], decisive: bool) -> Compiled:
    """``and`` (``decisive=False``) or ``or`` (``decisive=True``) in three-valued logic: one
    decisive operand settles it; otherwise any unknown operand leaves the whole unknown."""

    def evaluate(t, e, h):
        unknown = False
        for operand in operands:
            result = operand(t, e, h)
            if result is decisive:
                return decisive
            if result is None:
                unknown = True
        return None if unknown else not decisive

    return evaluate


def _fields_read(expression: ast.Expr) -> list[ast.Path]:
    """The ``ticket.*`` and ``work.*`` paths an expression reads, first appearance first: the
    values a ticket can lack."""
    found: list[ast.Path] = []
    for node in ast.walk(expression, stop_at=(ast.CountEarlier,)):
        if isinstance(node, ast.Path) and node.root in ("ticket", "work") and node not in found:
            found.append(node)
    return found
