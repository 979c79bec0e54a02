"""Compiling: a ``CheckedRuleSet`` and an ``Agreement`` in, a ``Program``'s functions out.

The checked rules become the source of one Python module, compiled once per rule set and
agreement, so deciding a ticket runs plain Python: no parsing, lookup by name or type
dispatch, and no call per node. The source is generated from the checked AST alone and holds
nothing a user wrote: every literal, parameter, agreement value, pattern and helper is bound
as a constant of the module under a generated name (``k12``), and the only other words in the
source are generated names, field indexes and Python's operators. Nothing a user wrote is ever
handed to ``eval``.

Every expression becomes a Python expression that yields its value, with ``None`` for missing
or unknown (three-valued logic, see ``operators``). The module's functions take ``(t, e, h)``:
the ticket, the earlier ticket inside a ``count earlier tickets ... where (...)`` condition, and
the ``History`` of tickets decided before. ``work.*`` reads the ticket's ``Work``, measured once
per ticket by ``work_of``.

A ``Compiler`` given a ``trace`` also reports what each ``and`` / ``or`` operand evaluated to
(``scopecheck test`` measures condition coverage with it); without one the source holds no
tracing call at all, so deciding tickets costs nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from scopecheck import values
from scopecheck.builtins import BUILTINS
from scopecheck.calendar import BusinessCalendar
from scopecheck.check.checker import CheckedRuleSet
from scopecheck.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from scopecheck.evaluate import operators
from scopecheck.evaluate.decision import OUTCOME_RANK
from scopecheck.evaluate.history import CountSpec
from scopecheck.record import record
from scopecheck.syntax import ast
from scopecheck.tickets.model import Ticket
from scopecheck.values import Type
from scopecheck.work import Work, WorkOfLastTicket

Compiled = Callable[[Ticket, object, object], object]

# Called with each operand of an ``and`` / ``or`` and the value it evaluated to (True, False
# or None for unknown), every time it is evaluated; ``scopecheck test`` measures condition
# coverage with it.
Trace = Callable[[ast.Expr, object], None]

# What ``earlier.*`` may name besides the ticket's fields: the earlier decision.
_EARLIER_DECISION = ("outcome", "rule")
_WORK_MEASURES = frozenset(name for name in dir(Work) if not name.startswith("_"))


@record
class CompiledEffect:
    node: ast.Effect
    first: Compiled | None  # multiplier, amount or markup
    second: Compiled | None  # the premium's hours


@record
class CompiledRule:
    rule: ast.Rule
    rank: tuple[int, int, int]  # (priority, outcome rank, -position): the greatest decides
    condition: Compiled
    reason: Callable[[Ticket, object], str]
    effects: tuple[CompiledEffect, ...]
    fields_read: tuple[tuple[str, Compiled], ...]  # for saying which missing field left it unknown


@record
class CompiledRules:
    """A rule set compiled for one agreement.

    Both functions take ``(ticket, None, history)``, as every generated function does.
    ``conditions`` gives every rule's condition in rule order (for a full decision, which
    lists what fired and what could not be decided). ``verdict`` goes straight to the
    answer: the deciding rule's index in ``rules`` (``None`` when none fired), and the indexes
    of the charge-only rules that fired; it tries the deciding rules from the highest rank
    down and stops at the first that fires.

    ``verdicts`` is ``verdict`` over a whole batch in one loop, ``(tickets, history)`` in,
    one ``int`` per ticket out (``loop_answer`` reads it): it reads and keeps up the history's
    running totals itself (see ``History.totals_for``), so a ticket costs no call into the
    history, and its answers are numbers, which the garbage collector need not visit. It asks
    more of its caller (``Program.verdict_batch``): tickets in the decision order, each after
    every ticket the history holds and none of them there already. It is ``None`` when a count
    cannot be kept as a running total in the loop (a ``last_days`` window, a ``where`` that
    compares with the ticket asking) or a charge counts earlier tickets.
    """

    rules: tuple[CompiledRule, ...]
    conditions: Callable[[Ticket, None, object], tuple]
    verdict: Callable[[Ticket, None, object], tuple[int | None, tuple[int, ...]]]
    counts: tuple[CountSpec, ...]  # every count of earlier tickets the rules make
    source: str  # the generated module, for reading when something goes wrong
    verdicts: Callable[[list[Ticket], object], list[int]] | None = None

    def loop_answer(self, answer: int) -> tuple[int | None, tuple[int, ...]]:
        """``verdicts``' answer for a ticket as ``verdict`` gives it: ``(decided, fired)``. The
        low bits hold the deciding rule's index plus one (0 when none fired), and the bit above
        them for each rule is set when that charge-only rule fired."""
        shift = _loop_shift(len(self.rules))
        decided = answer & ((1 << shift) - 1)
        fired = answer >> shift
        return (decided - 1 if decided else None), tuple(index for index in range(len(self.rules)) if fired >> index & 1)


def bind_parameters(checked: CheckedRuleSet, agreement) -> dict[str, object]:
    """Parameter values: each default, replaced by the agreement's override of that name."""
    problems: list[Diagnostic] = []
    defaults = Compiler(checked, {}, agreement)
    bound = {name: defaults.constant(param.default) for name, param in checked.params.items()}
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


class _Module:
    """The generated module being written: its constants, and the functions it defines.

    Functions may be added after the module is first built; building again compiles only
    those, into the same namespace."""

    def __init__(self) -> None:
        self.namespace: dict[str, object] = {"__builtins__": {}}
        self._constant_names: dict[int, str] = {}
        self._functions: list[str] = []
        self._compiled = 0
        self._function_count = 0

    def constant(self, value: object) -> str:
        """A generated name bound to ``value``: how every value reaches the source."""
        if value is None or value is True or value is False:
            return repr(value)
        name = self._constant_names.get(id(value))
        if name is None:
            name = self._constant_names[id(value)] = f"k{len(self._constant_names)}"
            self.namespace[name] = value
        return name

    def function(self, prefix: str, body: list[str], parameters: str = "t, e, h") -> str:
        """Define ``def PREFIXn(t, e, h)`` (or other ``parameters``) with ``body`` (lines of
        statements); its name."""
        name = f"{prefix}{self._function_count}"
        self._function_count += 1
        self._functions.append("\n".join([f"def {name}({parameters}):", *(f"    {line}" for line in body)]))
        return name

    def build(self, label: str) -> dict[str, object]:
        fresh = "\n\n".join(self._functions[self._compiled:])
        self._compiled = len(self._functions)
        exec(compile(fresh, f"<rules {label}>", "exec"), self.namespace)  # noqa: S102 - generated from the checked AST only
        return self.namespace

    @property
    def source(self) -> str:
        return "\n\n".join(self._functions) + "\n"


class _Locals:
    """Names for intermediate values inside one generated function."""

    def __init__(self) -> None:
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"v{self.count}"


@record
class _RuleNames:
    """A rule's generated functions, by name, until the module is built."""

    rule: ast.Rule
    rank: tuple[int, int, int]
    condition: str
    condition_source: str  # the expression, for writing into the functions that decide
    reason: str | None
    effects: tuple[tuple[ast.Effect, str | None, str | None], ...]
    fields_read: tuple[tuple[str, str], ...]


@record
class _PendingCount:
    constant: str  # the name the module reads the ``CountSpec`` under
    same: str | None
    window: tuple[str, int | None] | None
    where: str | None
    when_asked: bool


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
        self.module = _Module()
        self.counts: list[CountSpec] = []
        self._pending_counts: list[_PendingCount] = []
        self._count_names: dict[tuple, str] = {}
        self._count_wheres: dict[str, ast.Expr | None] = {}
        self._traced = self.module.constant(_tracer(trace)) if trace is not None else None
        self._locals = _Locals()
        # Set while writing the batch loop (``_verdicts``): counts read the loop's running
        # totals, and inside a count's ``where`` the earlier ticket is the one just decided.
        self._in_loop: dict[str, str] | None = None
        self._earlier_in_loop = False

    # --- whole rule sets ---

    def compile_rules(self, label: str = "") -> CompiledRules:
        """Every rule of the checked set, with the functions that decide between them."""
        names = [self._rule_names(rule, order) for order, rule in enumerate(self.checked.rules)]
        # The conditions are written into these two functions rather than called: a call per
        # rule would cost more than most conditions. Each condition binds its intermediate
        # values before reading them, so their names may repeat from one condition to the next.
        conditions_name = self.module.function(
            "all_conditions", [f"return ({''.join(f'{n.condition_source}, ' for n in names)})"])
        body = _verdict_body(names, [n.condition_source for n in names])
        verdict_name = self.module.function("verdict", [*body, "return decided, fired"])
        # The counts are known once the conditions are written: the loop needs them all.
        verdicts_name = self._verdicts(names, list(self._pending_counts))
        namespace = self._build(label)
        return CompiledRules(
            tuple(self._assemble(rule_names, namespace) for rule_names in names),
            namespace[conditions_name],
            namespace[verdict_name],
            tuple(self.counts),
            self.module.source,
            namespace[verdicts_name] if verdicts_name else None,
        )

    def _verdicts(self, names: list[_RuleNames], counts: list[_PendingCount]) -> str | None:
        """The batch loop (``CompiledRules.verdicts``): ``verdict``'s body, once per ticket,
        with each count read from and added to the history's running totals in place."""
        if self.trace is not None or any(count.when_asked or (count.window and count.window[0] == "last_days") for count in counts):
            return None
        if any(isinstance(node, ast.CountEarlier) for rule in self.checked.rules
               for effect in rule.outcome.effects for node in ast.walk(effect)):
            return None  # charges are worked out after the loop, when the totals have moved on
        constant = self.module.constant
        started, opened = Ticket._fields.index("started_at"), Ticket._fields.index("opened_at")
        totals = {count.constant: f"totals_{count.constant}" for count in counts}
        prologue = ["out = []", "append = out.append", "key_of = h.key_of", "year_of = h.contract_year_of"]
        prologue += [f"{totals[count.constant]} = h.totals_for({count.constant})" for count in counts]
        self._in_loop = totals
        try:  # the conditions again, now reading the loop's totals
            sources = []
            for rule_names in names:
                outer, self._locals = self._locals, _Locals()
                try:
                    sources.append(self.expression(rule_names.rule.condition))
                finally:
                    self._locals = outer
            loop_body = _verdict_body(names, sources, shift=_loop_shift(len(names)))
            adding = []
            decided_as = {0: ("review", None), **{index + 1: (n.rule.outcome.kind, n.rule.id) for index, n in enumerate(names)}}
            self._earlier_in_loop = True
            for count in counts:
                adding.extend(self._count_added(count, totals[count.constant]))
        finally:
            self._in_loop = None
            self._earlier_in_loop = False
        loop = [f"w = t[{started}] or t[{opened}]", *loop_body, "append(decided | fired)"]
        if any("earlier_outcome" in line or "earlier_rule" in line for line in adding):
            loop.append(f"earlier_outcome, earlier_rule = {constant(decided_as)}[decided]")
        loop.extend(adding)
        return self.module.function("verdicts", [*prologue, "for t in ts:", *(f"    {line}" for line in loop), "return out"],
                                    parameters="ts, h")

    def _count_bucket(self, same: str | None, window: tuple[str, int | None] | None) -> tuple[str, str]:
        """For a count in the batch loop: the test that the ticket (``t``, whose work started at
        ``w``) has the field it is counted by, and the key of its bucket, as ``_RunningCount``
        files it."""
        if same is not None:
            present, key = f"(kv := t[{Ticket._fields.index(same)}]) is not None", "key_of(kv)"
        else:
            present, key = "True", "None"
        if window is None:
            return present, key
        if window[0] == "contract_year":
            return present, f"({key}, year_of(w))"
        return present, f"({key}, w.year, w.month)"

    def _count_added(self, count: _PendingCount, totals: str) -> list[str]:
        """The lines adding the ticket just decided to a count's running totals."""
        present, bucket = self._count_bucket(count.same, count.window)
        node = self._count_wheres[count.constant]
        test = present
        if node is not None:
            outer, self._locals = self._locals, _Locals()
            try:
                test = f"{present} and {self.expression(node)} is True"
            finally:
                self._locals = outer
        return [f"if {test}:", f"    b = {bucket}", f"    {totals}[b] = {totals}.get(b, 0) + 1"]

    def rule(self, rule: ast.Rule, order: int) -> CompiledRule:
        """One rule on its own."""
        names = self._rule_names(rule, order)
        return self._assemble(names, self._build(rule.id))

    def constant(self, node: ast.Expr) -> object:
        """The value of an expression that reads no ticket (a parameter's default, say)."""
        name = self.function(node)
        return self._build("constant")[name](None, None, None)

    def function(self, node: ast.Expr) -> str:
        """Define a function of ``(t, e, h)`` returning the value of ``node``; its name."""
        return self._function_and_source(node)[0]

    def _function_and_source(self, node: ast.Expr) -> tuple[str, str]:
        """``function``, with the expression it returns, for writing it out elsewhere too."""
        outer, self._locals = self._locals, _Locals()
        try:
            source = self.expression(node)
            return self.module.function("f", [f"return {source}"]), source
        finally:
            self._locals = outer

    def _build(self, label: str) -> dict[str, object]:
        namespace = self.module.build(label)
        for pending in self._pending_counts:
            where = namespace[pending.where] if pending.where else None
            spec = CountSpec(pending.same, pending.window, where, pending.when_asked)
            namespace[pending.constant] = spec
            self.counts.append(spec)
        self._pending_counts.clear()
        return namespace

    def _rule_names(self, rule: ast.Rule, order: int) -> _RuleNames:
        kind = rule.outcome.kind
        # Charge-only rules never decide; among deciding rules priority first, then the
        # outcome that protects the provider, then the rule written first.
        rank = (rule.priority, OUTCOME_RANK[kind] if kind else -1, -order)
        condition, condition_source = self._function_and_source(rule.condition)
        return _RuleNames(
            rule,
            rank,
            condition,
            condition_source,
            self._reason(rule),
            tuple((effect, *self._effect(effect)) for effect in rule.outcome.effects),
            tuple((path.dotted, self.function(path)) for path in _fields_read(rule.condition)),
        )

    def _assemble(self, names: _RuleNames, namespace: dict[str, object]) -> CompiledRule:
        if names.reason is None:
            fixed = names.rule.title or f"rule '{names.rule.id}' applies"
            reason = lambda t, h: fixed  # noqa: E731
        else:
            because = namespace[names.reason]
            reason = lambda t, h: because(t, None, h)  # noqa: E731
        effects = tuple(CompiledEffect(effect, namespace[first] if first else None, namespace[second] if second else None)
                        for effect, first, second in names.effects)
        reads = tuple((dotted, namespace[name]) for dotted, name in names.fields_read)
        return CompiledRule(names.rule, names.rank, namespace[names.condition], reason, effects, reads)

    def _effect(self, effect: ast.Effect) -> tuple[str | None, str | None]:
        match effect:
            case ast.Premium(multiplier=multiplier, hours=hours):
                return self.function(multiplier), self.function(hours) if hours else None
            case ast.Fee(amount=amount):
                return self.function(amount), None
            case ast.MaterialsCharge(markup=markup):
                return self.function(markup) if markup else None, None
        raise AssertionError(f"no compilation for {type(effect).__name__}")

    def _reason(self, rule: ast.Rule) -> str | None:
        if rule.because is None:
            return None
        outer, self._locals = self._locals, _Locals()
        pieces = []
        try:
            for part in rule.because.parts:
                if isinstance(part, str):
                    pieces.append(self.module.constant(part))
                else:
                    show = values.formatter_for(self.checked.type_of(part), self.currency)
                    pieces.append(f"{self.module.constant(show)}({self.expression(part)})")
        finally:
            self._locals = outer
        return self.module.function("because", [f"return {' + '.join(pieces) or repr('')}"])

    # --- expressions: each gives Python source for the node's value ---

    def expression(self, node: ast.Expr) -> str:
        constant = self.module.constant
        match node:
            case ast.Literal(kind="money", value=money):
                self._check_currency(node)
                return constant(money.amount)
            case ast.Literal(value=value):
                return constant(value)
            case ast.Path():
                return self._path(node)
            case ast.Call(function=function, args=args):
                builtin = BUILTINS[function]
                run = builtin.bound_to(self.calendar) if builtin.uses_calendar else builtin.run
                return f"{constant(run)}({', '.join(self.expression(a) for a in args)})"
            case ast.ListOf(items=items):
                return f"({''.join(f'{self.expression(item)}, ' for item in items)})"
            case ast.Negative(operand=operand):
                value = self._locals.fresh()
                return f"(None if ({value} := {self.expression(operand)}) is None else -{value})"
            case ast.Not(operand=operand):
                value = self._locals.fresh()
                return f"(None if ({value} := {self.expression(operand)}) is None else not {value})"
            case ast.AllOf(operands=operands):
                return self._kleene(operands, decisive=False)
            case ast.AnyOf(operands=operands):
                return self._kleene(operands, decisive=True)
            case ast.Arithmetic():
                return self._arithmetic(node)
            case ast.Compare():
                return self._compare(node)
            case ast.Presence(operand=operand, present=present):
                return f"({self.expression(operand)} {'not in' if present else 'in'} {constant(_EMPTY)})"
            case ast.CountEarlier():
                return self._count_earlier(node)
        raise AssertionError(f"no compilation for {type(node).__name__}")

    def _check_currency(self, node: ast.Literal) -> None:
        money = node.value
        if money.currency and self.agreement is not None and money.currency != self.currency:
            self.problems.append(
                Diagnostic(
                    "check.currency",
                    f"'{node.text}' is in {money.currency} but the agreement bills in {self.currency}",
                    node.span,
                )
            )

    def _kleene(self, operands: tuple[ast.Expr, ...], decisive: bool) -> str:
        """``and`` (``decisive=False``) or ``or`` (``decisive=True``) in three-valued logic: the
        first decisive operand settles it, and the rest are not evaluated; otherwise any unknown
        operand leaves the whole unknown."""
        # Written flat, as one 'or' of tests, so that a long chain does not nest as deep as it
        # is long (Python's parser allows some 200 nested parentheses).
        names = []
        tests = []
        settled = repr(decisive)
        for operand in operands:
            name = self._locals.fresh()
            names.append(name)
            value = self.expression(operand)
            if self._traced is not None:
                value = f"{self._traced}({self.module.constant(operand)}, {value})"
            tests.append(f"({name} := {value}) is {settled}")
        unknown = " or ".join(f"{name} is None" for name in names)
        return f"({settled} if {' or '.join(tests)} else (None if {unknown} else {not decisive!r}))"

    def _path(self, node: ast.Path) -> str:
        if node.root in ("params", "agreement", "client"):
            return self.module.constant(self._setting(node))
        if node.root == "work":
            (measure,) = node.names
            if measure not in _WORK_MEASURES or not measure.isidentifier():
                raise AssertionError(f"work has no measure '{measure}'")
            return f"{self.module.constant(self.work_of)}(t).{measure}"
        if node.root == "earlier" and node.names[0] in _EARLIER_DECISION:
            return f"earlier_{node.names[0]}" if self._earlier_in_loop else f"e.{node.names[0]}"
        holder = "e.ticket" if node.root == "earlier" and not self._earlier_in_loop else "t"
        source = f"{holder}[{Ticket._fields.index(node.names[0])}]"
        rest = node.names[1:]
        return f"{self.module.constant(_dig)}({source}, {self.module.constant(rest)})" if rest else source

    def _setting(self, node: ast.Path) -> object:
        """A parameter's or the agreement's value: known when the program is built."""
        if node.root == "params":
            return self.params[node.names[0]]
        full = node.names if node.root == "agreement" else ("client", *node.names)
        return self.agreement.lookup(full) if self.agreement else None

    def _arithmetic(self, node: ast.Arithmetic) -> str:
        current = self.expression(node.first)
        left_type = self.checked.type_of(node.first)
        for symbol, operand in node.rest:
            right_type = self.checked.type_of(operand)
            apply = operators.arithmetic(left_type, symbol, right_type)
            current = f"{self.module.constant(apply)}({current}, {self.expression(operand)})"
            left_type = right_type if left_type.name == "any" else left_type
        return current

    def _compare(self, node: ast.Compare) -> str:
        left_type = self.checked.type_of(node.left)
        left = self.expression(node.left)
        known, right = self._known_now(node.right)
        if known:
            for literal in ast.walk(node.right):
                if isinstance(literal, ast.Literal) and literal.kind == "money":
                    self._check_currency(literal)
            return self._compare_with_known(node.operator, node.left, left, right)
        apply = operators.comparison(node.operator, left_type)
        return f"{self.module.constant(apply)}({left}, {self.expression(node.right)})"

    def _known_now(self, node: ast.Expr) -> tuple[bool, object]:
        """Whether ``node``'s value is known when the program is built, and the value."""
        match node:
            case ast.Literal(kind="money", value=money):
                return True, money.amount
            case ast.Literal(value=value):
                return True, value
            case ast.Path(root="params" | "agreement" | "client"):
                return True, self._setting(node)
            case ast.ListOf(items=items):
                known = [self._known_now(item) for item in items]
                if all(is_known for is_known, _ in known):
                    return True, tuple(value for _, value in known)
        return False, None

    def _compare_with_known(self, symbol: str, left_node: ast.Expr, left: str, right: object) -> str:
        """A comparison whose right side is known when the program is built: what can be worked
        out once (a folded case, a compiled pattern, a set) is, by ``operators.against``. On a
        field whose values the reader gives in its declared type, the commonest comparisons are
        written out in full rather than called; they mean what ``operators`` says (``is`` and
        ``in`` ignore case), without its guard against a value of another kind, which such a
        field cannot hold. Anything else (a custom field, a call) goes through the guard."""
        constant = self.module.constant
        left_type = self.checked.type_of(left_node)
        value = self._locals.fresh()
        typed = _declared_field(left_node)
        if typed and right is not None and symbol in operators.ORDERINGS and left_type.name not in ("datetime", "list", "record"):
            return f"(None if ({value} := {left}) is None else {value} {symbol} {constant(right)})"
        if typed and right is not None and left_type.name == "text":
            folded = operators.folded(right)
            if symbol in ("is", "is not") and isinstance(folded, str):
                test = "==" if symbol == "is" else "!="
                return f"(None if ({value} := {left}) is None else {value}.casefold() {test} {constant(folded)})"
            if symbol in ("in", "not in") and isinstance(folded, frozenset):
                return f"(None if ({value} := {left}) is None else {value}.casefold() {symbol} {constant(folded)})"
        return f"{constant(operators.against(symbol, left_type, right))}({left})"

    def _count_earlier(self, node: ast.CountEarlier) -> str:
        # Traced, a clause inside counts as evaluated only when a rule asked for the count.
        when_asked = node.condition is not None and (self.trace is not None or any(
            isinstance(inner, ast.Path) and inner.root in ("ticket", "work") for inner in ast.walk(node.condition)))
        window = (node.window.kind, node.window.days) if node.window else None
        # The same count written twice (in a condition and its 'because', say) is kept once.
        # The nodes compare without where they were written.
        meaning = (node.same, window, node.condition, when_asked)
        name = self._count_names.get(meaning)
        if name is None:
            where = self.function(node.condition) if node.condition is not None else None
            name = self._count_names[meaning] = f"count{len(self._count_names)}"  # bound to its CountSpec once built
            self._count_wheres[name] = node.condition
            self._pending_counts.append(_PendingCount(name, node.same, window, where, when_asked))
        if self._in_loop is not None:
            present, bucket = self._count_bucket(node.same, window)
            return f"({self._in_loop[name]}.get({bucket}, 0) if {present} else None)"
        return f"(None if h is None else h.count({name}, t))"


_EMPTY = (None, (), "")


def _verdict_body(names: list[_RuleNames], conditions: list[str], shift: int | None = None) -> list[str]:
    """``verdict``'s statements, given each rule's condition as source: ``decided`` is the
    first deciding rule that fires from the highest rank down, ``fired`` the charge-only rules
    that fire. With a ``shift``, both are numbers, as ``CompiledRules.loop_answer`` reads them."""
    deciding = sorted((index for index, n in enumerate(names) if n.rule.outcome.kind),
                      key=lambda index: names[index].rank, reverse=True)
    body = []
    for position, index in enumerate(deciding):
        body.append(f"{'if' if position == 0 else 'elif'} {conditions[index]} is True:")
        body.append(f"    decided = {index if shift is None else index + 1}")
    none = "None" if shift is None else "0"
    body.extend(["else:", f"    decided = {none}"] if deciding else [f"decided = {none}"])
    body.append("fired = ()" if shift is None else "fired = 0")
    for index, rule_names in enumerate(names):
        if not rule_names.rule.outcome.kind:
            body.append(f"if {conditions[index]} is True:")
            body.append(f"    fired += ({index},)" if shift is None else f"    fired |= {1 << (index + shift)}")
    return body


def _loop_shift(rules: int) -> int:
    """How many low bits of a batch loop's answer hold the deciding rule (its index plus one)."""
    return (rules + 1).bit_length()


def _declared_field(node: ast.Expr) -> bool:
    """Whether ``node`` reads a field the reader gives in its declared type: a ticket's (or an
    earlier ticket's) own field other than ``custom``, or a measure of its work."""
    if not isinstance(node, ast.Path) or len(node.names) != 1:
        return False
    return node.root == "work" or (node.root in ("ticket", "earlier") and node.names[0] in Ticket._fields
                                   and node.names[0] != "custom")


def _tracer(trace: Trace) -> Callable[[ast.Expr, object], object]:
    def traced(node: ast.Expr, result: object) -> object:
        trace(node, result)
        return result

    return traced


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


def _fields_read(expression: ast.Expr) -> list[ast.Path]:
    """The ``ticket.*`` and ``work.*`` paths an expression reads, first appearance first: the
    values a ticket can lack."""
    found: list[ast.Path] = []
    for node in ast.walk(expression, stop_at=(ast.CountEarlier,)):
        if isinstance(node, ast.Path) and node.root in ("ticket", "work") and node not in found:
            found.append(node)
    return found
