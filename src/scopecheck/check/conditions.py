"""When can a rule fire? Conditions as formulas over simple facts about ticket values.

In: a checked condition (AST nodes with their types) and the values the rule set's constants
take (parameters, and the agreement's fields when an agreement is known). Out: a ``Formula``
saying when the condition is true (or false), its disjunctive normal form, and for each
conjunction of facts whether some ticket satisfies it, with values that do.

The language's values are few and typed, so a fact is "this value lies in this set": ranges for
numbers, durations, money, percentages, dates and times; a finite choice for categories,
causes and booleans; equalities and word tests for free text; and, for every value, whether it
is missing. Three-valued logic is exact here: "the condition is true" is a classical formula
over such facts, because a missing value is one more point of each set.

What cannot be reasoned about (two ticket values compared with each other, arithmetic on
ticket values, most built-in calls, lists of materials) becomes an opaque value of its own:
any result is assumed possible, so the analysis never claims that something cannot happen
when it can. docs/checking.md says what the analysis can and cannot decide.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from scopecheck.evaluate import operators
from scopecheck.record import field, record
from scopecheck.syntax import ast
from scopecheck.values import Type

MISSING = object()  # the value of a missing field in a witness
# Beyond this many alternatives a condition is too large to analyse; it is left alone.
MAX_TERMS = 256
# Times of day and date-times are left to the evaluator: their order depends on zones and on
# the day they fall on.
_ORDERED = {"number", "duration", "money", "percent", "date"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class TooComplex(Exception):
    """The condition has more alternatives than ``MAX_TERMS``."""


# --- the values a fact is about --------------------------------------------------------------


@record
class Var:
    """A value a ticket determines: a field (``ticket.estimate``), a count of earlier tickets,
    or an opaque expression. ``key`` identifies it: the same text in two rules is one value."""

    key: str
    type: Type
    node: ast.Expr = field(compare=False, hash=False)
    kind: str = "field"  # field | count | opaque
    can_be_missing: bool = True

    @property
    def integral(self) -> bool:
        """Counts are whole numbers, never below zero."""
        return self.kind == "count" or (self.kind == "opaque" and isinstance(self.node, ast.Call) and self.node.function == "count")


# --- sets of values ----------------------------------------------------------------------------


@record
class Interval:
    low: object = None  # None: unbounded
    low_closed: bool = False
    high: object = None
    high_closed: bool = False

    def empty(self, integral: bool) -> bool:
        if self.low is None or self.high is None:
            return integral and self.low is not None and self.high is not None
        if self.low > self.high:
            return True
        if self.low == self.high:
            return not (self.low_closed and self.high_closed)
        if integral:
            return _first_integer(self) is None
        return False


def _first_integer(interval: Interval) -> int | None:
    import math

    if interval.low is None:
        candidate = math.floor(interval.high) if interval.high is not None else 0
        if interval.high is not None and candidate == interval.high and not interval.high_closed:
            candidate -= 1
        return candidate
    candidate = math.ceil(interval.low)
    if candidate == interval.low and not interval.low_closed:
        candidate += 1
    if interval.high is not None and (candidate > interval.high or (candidate == interval.high and not interval.high_closed)):
        return None
    return candidate


def _intersect(first: Interval, second: Interval) -> Interval:
    low, low_closed = first.low, first.low_closed
    if second.low is not None and (low is None or second.low > low or (second.low == low and not second.low_closed)):
        low, low_closed = second.low, second.low_closed
    high, high_closed = first.high, first.high_closed
    if second.high is not None and (high is None or second.high < high or (second.high == high and not second.high_closed)):
        high, high_closed = second.high, second.high_closed
    return Interval(low, low_closed, high, high_closed)


@record
class Ranges:
    """A union of intervals of an ordered type, and whether a missing value is in the set."""

    intervals: tuple[Interval, ...]
    missing: bool

    @classmethod
    def compare(cls, symbol: str, value: object) -> Ranges:
        match symbol:
            case "<":
                parts = (Interval(None, False, value, False),)
            case "<=":
                parts = (Interval(None, False, value, True),)
            case ">":
                parts = (Interval(value, False, None, False),)
            case ">=":
                parts = (Interval(value, True, None, False),)
            case "==":
                parts = (Interval(value, True, value, True),)
            case _:  # "!="
                parts = (Interval(None, False, value, False), Interval(value, False, None, False))
        return cls(parts, False)

    def complement(self) -> Ranges:
        result: list[Interval] = []
        low, low_closed = None, False
        for part in sorted(self.intervals, key=_interval_order):
            if part.low is not None:
                result.append(Interval(low, low_closed, part.low, not part.low_closed))
            if part.high is None:
                low = _UNBOUNDED
                break
            low, low_closed = part.high, not part.high_closed
        if low is not _UNBOUNDED:
            result.append(Interval(low, low_closed, None, False))
        return Ranges(tuple(p for p in result if not p.empty(False)), not self.missing)

    def meet(self, other: Ranges) -> Ranges:
        parts = tuple(_intersect(a, b) for a in self.intervals for b in other.intervals)
        return Ranges(tuple(p for p in parts if not p.empty(False)), self.missing and other.missing)


_UNBOUNDED = object()
_NOT_NEGATIVE = Ranges((Interval(0, True, None, False),), True)


def _interval_order(interval: Interval) -> tuple:
    return (interval.low is not None, interval.low if interval.low is not None else 0, not interval.low_closed)


@record
class Choices:
    """One of finitely many values (a category, a cause, true or false), or missing."""

    values: frozenset
    missing: bool

    def complement(self, universe: frozenset) -> Choices:
        return Choices(universe - self.values, not self.missing)

    def meet(self, other: Choices) -> Choices:
        return Choices(self.values & other.values, self.missing and other.missing)


@record
class Texts:
    """Free text: equal (ignoring case) to one of ``one_of`` when given, to none of
    ``none_of``, passing every test in ``must`` and none in ``must_not``; or missing."""

    one_of: frozenset | None = None
    none_of: frozenset = frozenset()
    must: tuple[tuple[str, str], ...] = ()
    must_not: tuple[tuple[str, str], ...] = ()
    present: bool = True
    missing: bool = False

    def complement(self) -> Texts:
        # Only single facts are ever negated: each holds one constraint.
        if self.one_of is not None:
            return Texts(none_of=self.one_of, present=True, missing=not self.missing)
        if self.none_of:
            return Texts(one_of=self.none_of, present=True, missing=not self.missing)
        if self.must:
            return Texts(must_not=self.must, present=True, missing=not self.missing)
        if self.must_not:
            return Texts(must=self.must_not, present=True, missing=not self.missing)
        return Texts(present=not self.present, missing=not self.missing)

    def meet(self, other: Texts) -> Texts:
        one_of = self.one_of if other.one_of is None else other.one_of if self.one_of is None else self.one_of & other.one_of
        return Texts(one_of, self.none_of | other.none_of, self.must + other.must, self.must_not + other.must_not,
                     self.present and other.present, self.missing and other.missing)


Domain = Ranges | Choices | Texts


# --- formulas ----------------------------------------------------------------------------------


@record
class Fact:
    var: Var
    domain: Domain


@record
class And:
    parts: tuple[Formula, ...]


@record
class Or:
    parts: tuple[Formula, ...]


@record
class Const:
    value: bool


TRUE, FALSE = Const(True), Const(False)
Formula = Fact | And | Or | Const


def conjoin(*parts: Formula) -> Formula:
    flat: list[Formula] = []
    for part in parts:
        if part == FALSE:
            return FALSE
        if part == TRUE:
            continue
        flat.extend(part.parts if isinstance(part, And) else (part,))
    return flat[0] if len(flat) == 1 else And(tuple(flat)) if flat else TRUE


def disjoin(*parts: Formula) -> Formula:
    flat: list[Formula] = []
    for part in parts:
        if part == TRUE:
            return TRUE
        if part == FALSE:
            continue
        flat.extend(part.parts if isinstance(part, Or) else (part,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat)) if flat else FALSE


def negate(formula: Formula) -> Formula:
    """Not ``formula``: facts are two-valued statements about a ticket, so De Morgan holds."""
    match formula:
        case Const(value=value):
            return Const(not value)
        case And(parts=parts):
            return disjoin(*(negate(p) for p in parts))
        case Or(parts=parts):
            return conjoin(*(negate(p) for p in parts))
        case Fact(var=var, domain=domain):
            if isinstance(domain, Choices):
                return Fact(var, domain.complement(_universe(var)))
            return Fact(var, domain.complement())
    raise AssertionError(formula)


def _universe(var: Var) -> frozenset:
    if var.type.name == "boolean":
        return frozenset((True, False))
    return frozenset(var.type.values or ())


Conjunction = dict[Var, Domain]


def dnf(formula: Formula) -> list[Conjunction]:
    """The formula as alternatives, each a conjunction of one merged domain per value;
    raises ``TooComplex`` past ``MAX_TERMS`` alternatives."""
    match formula:
        case Const(value=value):
            return [{}] if value else []
        case Fact(var=var, domain=domain):
            if var.integral and isinstance(domain, Ranges):
                domain = domain.meet(_NOT_NEGATIVE)
            return [] if _plainly_empty(var, domain) else [{var: domain}]
        case Or(parts=parts):
            terms = [term for part in parts for term in dnf(part)]
            if len(terms) > MAX_TERMS:
                raise TooComplex
            return terms
        case And(parts=parts):
            # Parts with one alternative are merged first, once: multiplying them into every
            # alternative of the others would copy them over and over.
            common: Conjunction | None = {}
            several: list[list[Conjunction]] = []
            for part in parts:
                alternatives = dnf(part)
                if len(alternatives) == 1:
                    common = _join(common, alternatives[0])
                    if common is None:
                        return []
                elif not alternatives:
                    return []
                else:
                    several.append(alternatives)
            terms: list[Conjunction] = [common]
            for alternatives in several:
                merged = []
                for left in terms:
                    for right in alternatives:
                        joined = _join(left, right)
                        if joined is not None:
                            merged.append(joined)
                if len(merged) > MAX_TERMS:
                    raise TooComplex
                terms = merged
            return terms
    raise AssertionError(formula)


def _join(left: Conjunction, right: Conjunction) -> Conjunction | None:
    joined = dict(left)
    for var, domain in right.items():
        joined[var] = joined[var].meet(domain) if var in joined else domain
        if _plainly_empty(var, joined[var]):
            return None
    return joined


def _plainly_empty(var: Var, domain: Domain) -> bool:
    """Cheap emptiness, to prune alternatives early; ``solve`` decides the rest."""
    if domain.missing and var.can_be_missing:
        return False
    if isinstance(domain, Ranges):
        return all(part.empty(var.integral) for part in domain.intervals)
    if isinstance(domain, Choices):
        return not domain.values
    return (not domain.present) or (domain.one_of is not None and not (domain.one_of - domain.none_of))


# --- satisfying a conjunction ---------------------------------------------------------------------


@record
class Solution:
    """``status`` is ``sat`` (with ``values``, one per value the facts are about: a value of
    its type, or ``MISSING``), ``unsat``, or ``unknown`` (free-text tests that could not be
    satisfied by construction, nor shown to contradict)."""

    status: str
    values: dict[Var, object] = field(default_factory=dict)


def solve(conjunction: Conjunction) -> Solution:
    values: dict[Var, object] = {}
    unknown = False
    for var, domain in conjunction.items():
        found = _witness(var, domain)
        if found is _UNSAT:
            return Solution("unsat")
        if found is _UNKNOWN:
            unknown = True
            continue
        values[var] = found
    return Solution("unknown", values) if unknown else Solution("sat", values)


_UNSAT, _UNKNOWN = object(), object()


def _witness(var: Var, domain: Domain) -> object:
    """A value in ``domain`` (``MISSING`` when only that will do), ``_UNSAT`` when there is
    none, ``_UNKNOWN`` when free text could neither be built nor shown impossible."""
    found: object = _UNSAT
    if isinstance(domain, Ranges):
        found = next((_pick(part, var) for part in sorted(domain.intervals, key=_interval_order) if not part.empty(var.integral)), _UNSAT)
    elif isinstance(domain, Choices):
        found = sorted(domain.values, key=str)[0] if domain.values else _UNSAT
    else:
        found = _text_witness(domain)
    if (found is _UNSAT or found is _UNKNOWN) and domain.missing and var.can_be_missing:
        return MISSING
    return found


def _pick(interval: Interval, var: Var) -> object:
    """A readable value inside the interval: a bound when it is included, else a step in."""
    if var.integral:
        return _first_integer(interval)
    if interval.low_closed and interval.low is not None:
        return interval.low
    if interval.high_closed and interval.high is not None and interval.low is None:
        return interval.high
    step = _STEPS.get(var.type.name, Decimal(1))
    if interval.low is None and interval.high is None:
        return _ORIGIN.get(var.type.name, Decimal(1))
    if interval.low is None:
        below = interval.high - step
        # Durations, money and percentages on tickets are not negative; stay above zero.
        if var.type.name in ("duration", "money", "percent"):
            zero = dt.timedelta(0) if var.type.name == "duration" else 0
            if below < zero < interval.high:
                return interval.high / 2
        return below
    if interval.high is None:
        return interval.low + step
    candidate = interval.low + step
    if candidate < interval.high:
        return candidate
    return interval.low + (interval.high - interval.low) / 2


_STEPS = {
    "duration": dt.timedelta(minutes=30),
    "money": Decimal(1),
    "percent": Decimal("0.01"),
    "date": dt.timedelta(days=1),
    "number": Decimal(1),
}
_ORIGIN = {
    "duration": dt.timedelta(hours=1),
    "money": Decimal(100),
    "percent": Decimal("0.1"),
    "date": dt.date(2026, 3, 2),
    "number": Decimal(1),
}


_TESTS: dict[str, Callable[[object, object], object]] = {
    name: operators.comparison(name, Type("text")) for name in ("contains", "starts with", "ends with", "mentions")
}


def _passes(text: str, domain: Texts) -> bool:
    if domain.one_of is not None and text.casefold() not in domain.one_of:
        return False
    if text.casefold() in domain.none_of:
        return False
    return all(_TESTS[test](text, needle) is True for test, needle in domain.must) and not any(
        _TESTS[test](text, needle) is True for test, needle in domain.must_not
    )


def _text_witness(domain: Texts) -> object:
    if not domain.present:
        return _UNSAT
    if domain.one_of is not None:
        for candidate in sorted(domain.one_of):
            if _passes(candidate, domain):
                return candidate
        return _UNSAT  # every candidate was tried
    starts = [needle for test, needle in domain.must if test == "starts with"]
    ends = [needle for test, needle in domain.must if test == "ends with"]
    middle = [needle for test, needle in domain.must if test not in ("starts with", "ends with")]
    for filler in ("", "request", "ticket text"):
        pieces = [*(starts[:1]), *middle, *([filler] if filler or not (starts or middle or ends) else []), *(ends[:1])]
        candidate = " ".join(piece for piece in pieces if piece) or "text"
        if _passes(candidate, domain):
            return candidate
    return _UNSAT if _texts_contradict(domain) else _UNKNOWN


def _texts_contradict(domain: Texts) -> bool:
    """Plain contradictions only: a text that must and must not pass the same test, or must
    contain what it must not contain."""
    forbidden = {(test, needle.casefold()) for test, needle in domain.must_not}
    forbidden_parts = [needle for test, needle in forbidden if test == "contains"]
    for test, needle in domain.must:
        folded = needle.casefold()
        if (test, folded) in forbidden:
            return True
        # A text holding the needle holds every part of it; one mentioning a phrase holds each
        # of its words, though not the phrase as written ("New-laptop" mentions "new laptop").
        pieces = _WORDS.findall(folded) if test == "mentions" else [folded]
        if any(part in piece for part in forbidden_parts for piece in pieces):
            return True
    return False


_WORDS = re.compile(r"\w+")


# --- from conditions to formulas ------------------------------------------------------------------


class Translator:
    """Builds formulas for one rule set.

    ``types`` gives each node's checked type; ``constant`` says whether a node's value is known
    before any ticket arrives and gives it (parameters, literals, and the agreement's fields when
    an agreement is known), so ``params.project_threshold`` is a value, not a variable.
    """

    def __init__(self, type_of: Callable[[ast.Expr], Type], constant: Callable[[ast.Expr], tuple[bool, object]],
                 required: Iterable[str] = ()):
        self.type_of = type_of
        self.constant = constant
        self.required = set(required)

    def truth(self, node: ast.Expr, want: bool) -> Formula:
        """When ``node`` evaluates to ``want`` (true or false; unknown is neither)."""
        known, value = self.constant(node)
        if known:
            return Const(value is want) if isinstance(value, bool) else FALSE
        match node:
            case ast.AllOf(operands=operands):
                parts = [self.truth(o, want) for o in operands]
                return conjoin(*parts) if want else disjoin(*parts)
            case ast.AnyOf(operands=operands):
                parts = [self.truth(o, want) for o in operands]
                return disjoin(*parts) if want else conjoin(*parts)
            case ast.Not(operand=operand):
                return self.truth(operand, not want)
            case ast.Presence(operand=operand, present=present):
                return disjoin(*(conjoin(guard, self._presence(term, present == want)) for guard, term in self._cases(operand)))
            case ast.Compare():
                return self._compare(node, want)
        return disjoin(*(conjoin(guard, self._boolean(term, node, want)) for guard, term in self._cases(node)))

    # A term is either ("const", value) or ("var", Var).

    def _cases(self, node: ast.Expr) -> list[tuple[Formula, tuple[str, object]]]:
        """The alternatives of a value: ``coalesce(a, b)`` is a when a is present, else b."""
        known, value = self.constant(node)
        if known:
            return [(TRUE, ("const", value))]
        if isinstance(node, ast.Call) and node.function == "coalesce":
            alternatives: list[tuple[Formula, tuple[str, object]]] = []
            absent: Formula = TRUE
            for argument in node.args:
                for guard, term in self._cases(argument):
                    if term[0] == "const":
                        if term[1] is not None:
                            alternatives.append((conjoin(absent, guard), term))
                            absent = conjoin(absent, negate(guard))
                        continue
                    alternatives.append((conjoin(absent, guard, self._presence(term, True)), term))
                    absent = conjoin(absent, disjoin(negate(guard), self._presence(term, False)))
            # With every argument missing, so is the result.
            alternatives.append((absent, ("const", None)))
            return alternatives
        return [(TRUE, ("var", self.var(node)))]

    def var(self, node: ast.Expr) -> Var:
        node_type = self.type_of(node)
        match node:
            case ast.Path(root=root) if root in ("ticket", "work", "earlier", "agreement", "client"):
                always = node.dotted in self.required
                return Var(node.dotted, node_type, node, "field", not always)
            case ast.CountEarlier(same=same):
                # Counting "for the same requester" needs the ticket to name one.
                return Var(repr(node), node_type, node, "count", same is not None)
        return Var(f"opaque:{node!r}", node_type, node, "opaque", True)

    def _presence(self, term: tuple[str, object], present: bool) -> Formula:
        kind, value = term
        if kind == "const":
            return Const((value not in (None, (), "")) == present)
        var: Var = value
        domain: Domain
        if var.type.name in _ORDERED:
            domain = Ranges((Interval(),), False)
        elif var.type.name == "boolean" or var.type.values:
            domain = Choices(_universe(var), False)
        elif var.type.name == "text":
            domain = Texts()
        else:
            # A list or record: "missing" also means empty, which a fact cannot say.
            domain = Choices(frozenset((True,)), False)
            var = Var(f"present:{var.key}", Type("boolean"), var.node, "opaque", False)
        fact = Fact(var, domain)
        return fact if present else negate(fact)

    def _boolean(self, term: tuple[str, object], node: ast.Expr, want: bool) -> Formula:
        kind, value = term
        if kind == "const":
            return Const(value is want)
        var: Var = value
        if var.type.name not in ("boolean", "any"):
            return FALSE
        boolean = Var(var.key, Type("boolean"), var.node, var.kind, var.can_be_missing)
        return Fact(boolean, Choices(frozenset((want,)), False))

    def _compare(self, node: ast.Compare, want: bool) -> Formula:
        alternatives = []
        for left_guard, left in self._cases(node.left):
            for right_guard, right in self._cases(node.right):
                fact = self._fact(node, left, right, want)
                alternatives.append(conjoin(left_guard, right_guard, fact))
        return disjoin(*alternatives)

    def _fact(self, node: ast.Compare, left: tuple[str, object], right: tuple[str, object], want: bool) -> Formula:
        symbol = node.operator
        if left[0] == "const" and right[0] == "const":
            result = operators.comparison(symbol, self.type_of(node.left))(left[1], right[1])
            return Const(result is want)
        if left[0] == "var" and right[0] == "const":
            return self._against_constant(node, left[1], symbol, right[1], want)
        if left[0] == "const" and right[0] == "var" and symbol in _FLIP:
            return self._against_constant(node, right[1], _FLIP[symbol], left[1], want)
        return self._opaque(node, want)

    def _against_constant(self, node: ast.Compare, var: Var, symbol: str, value: object, want: bool) -> Formula:
        if value is None:
            return FALSE  # comparing with a missing value is never true nor false
        type_name = var.type.name
        enum_like = type_name == "boolean" or bool(var.type.values)
        if symbol in ("is not", "not in"):
            positive = self._against_constant(node, var, symbol.replace(" not", "").replace("not ", ""), value, True)
            return positive if not want else conjoin(self._presence(("var", var), True), negate(positive))
        fact: Fact | None = None
        if type_name in _ORDERED and symbol in ("<", "<=", ">", ">=", "==", "!=", "is") and not isinstance(value, tuple):
            fact = Fact(var, Ranges.compare("==" if symbol == "is" else symbol, value))
        elif enum_like and symbol in ("is", "==", "!=", "in"):
            chosen = value if symbol == "in" else (value,)
            if not isinstance(chosen, tuple):
                return self._opaque(node, want)
            universe = _universe(var)
            # `==` is the one comparison that does not ignore case.
            fold = (lambda item: item) if symbol in ("==", "!=") else _fold
            wanted = {fold(item) for item in chosen}
            picked = frozenset(item for item in universe if fold(item) in wanted)
            fact = Fact(var, Choices(picked if symbol != "!=" else universe - picked, False))
        elif enum_like:
            return self._opaque(node, want)  # a text test on a category: left to the evaluator
        elif type_name == "text" and symbol in ("is", "in"):
            chosen = value if symbol == "in" else (value,)
            if not isinstance(chosen, tuple) or not all(isinstance(item, str) for item in chosen):
                return self._opaque(node, want)
            fact = Fact(var, Texts(one_of=frozenset(item.casefold() for item in chosen)))
        elif type_name == "text" and symbol in _TESTS:
            needles = value if isinstance(value, tuple) else (value,)
            if not all(isinstance(needle, str) for needle in needles):
                return self._opaque(node, want)
            # "mentions [a, b]" is true when it mentions either: one fact per phrase.
            facts = [Fact(var, Texts(must=((symbol, needle),))) for needle in needles]
            positive = disjoin(*facts)
            return positive if want else conjoin(self._presence(("var", var), True), negate(positive))
        if fact is None:
            return self._opaque(node, want)
        return fact if want else conjoin(self._presence(("var", var), True), negate(fact))

    def _opaque(self, node: ast.Expr, want: bool) -> Formula:
        var = Var(f"opaque:{node!r}", Type("boolean"), node, "opaque", True)
        return Fact(var, Choices(frozenset((want,)), False))


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value
