"""Names and types: every path, call and operator in a rule gets a type, or a diagnostic.

In: expressions, the declared parameters' types, the ticket fields and the agreement schema.
Out: a type per expression node (kept by node identity, so the compiler and the explainer can
ask what a node is) and diagnostics such as ``check.unknown-field`` with a did-you-mean, or
``check.type-mismatch`` ("cannot compare duration with text").

``any`` is the type of what cannot be known before a ticket arrives (an export's custom
fields): it is accepted everywhere, and a wrong value at run time reads as missing.
"""

from __future__ import annotations

from scopecheck.agreement.model import agreement_field_names, agreement_field_type
from scopecheck.builtins import BUILTINS, NEAR_MISSES
from scopecheck.diagnostics import Diagnostic, Span, did_you_mean
from scopecheck.syntax import ast
from scopecheck.tickets.model import TICKET_FIELDS
from scopecheck.values import ANY, BOOLEAN, NUMBER, SCALAR_TYPES, TEXT, Type, enum_of, list_of
from scopecheck.work import WORK_FIELDS

ROOTS = ("ticket", "work", "agreement", "client", "params")
_ORDERABLE = {"number", "duration", "money", "percent", "date", "datetime", "time", "text", "any"}
_TEXT_TESTS = {"contains", "starts with", "ends with", "mentions"}
# Arithmetic that means something in a service agreement; anything else is a type error.
_ARITHMETIC: dict[tuple[str, str, str], str] = {}
for _op in "+-":
    for _kind in ("number", "duration", "money", "percent"):
        _ARITHMETIC[(_kind, _op, _kind)] = _kind
    _ARITHMETIC[("datetime", _op, "duration")] = "datetime"
_ARITHMETIC[("datetime", "-", "datetime")] = "duration"
_ARITHMETIC[("date", "-", "date")] = "duration"
for _kind in ("number", "duration", "money", "percent"):
    _ARITHMETIC[(_kind, "*", "number")] = _kind
    _ARITHMETIC[("number", "*", _kind)] = _kind
    _ARITHMETIC[(_kind, "/", "number")] = _kind
    _ARITHMETIC[(_kind, "/", _kind)] = "number"
for _kind in ("number", "duration", "money"):
    _ARITHMETIC[(_kind, "*", "percent")] = _kind
    _ARITHMETIC[("percent", "*", _kind)] = _kind
EARLIER_EXTRA_FIELDS = {"outcome": enum_of(ast.OUTCOMES), "rule": TEXT}


def compatible(first: Type, second: Type) -> bool:
    """Whether two values can be compared: the same kind (enums are text), or one unknown."""
    if "any" in (first.name, second.name):
        return True
    if first.name != second.name:
        return False
    if first.name == "list" and first.item and second.item:
        return compatible(first.item, second.item)
    return True


def declared_type(type_ref: ast.TypeRef) -> Type | None:
    """The type a ``param`` declares, ``None`` when its name is not a type."""
    if type_ref.name == "list" and type_ref.item in SCALAR_TYPES:
        return list_of(SCALAR_TYPES[type_ref.item])
    if type_ref.item is None:
        return SCALAR_TYPES.get(type_ref.name)
    return None


class TypeChecker:
    """Types expressions for one rule set; diagnostics collect in ``problems``."""

    def __init__(self, param_types: dict[str, Type]):
        self.param_types = param_types
        self.types: dict[int, Type] = {}
        self.problems: list[Diagnostic] = []
        self._in_history = False

    def expect(self, expression: ast.Expr, wanted: Type, what: str) -> Type:
        """Type ``expression`` and report it unless it is ``wanted`` (``what`` names the place)."""
        found = self.infer(expression)
        if not compatible(found, wanted) and found.name != "error":
            self._problem("check.type-mismatch", f"{what} must be {wanted}, found {found}", expression.span)
        return found

    def infer(self, expression: ast.Expr) -> Type:
        found = self._infer(expression)
        self.types[id(expression)] = found
        return found

    def _problem(self, code: str, message: str, span: Span, help: str | None = None) -> Type:
        self.problems.append(Diagnostic(code, message, span, help=help))
        return Type("error")

    def _infer(self, node: ast.Expr) -> Type:
        match node:
            case ast.Literal(kind=kind):
                return SCALAR_TYPES[kind]
            case ast.Path():
                return self._path(node)
            case ast.Name(name=name):
                return self._bare_name(node, name)
            case ast.Call():
                return self._call(node)
            case ast.ListOf(items=items):
                item_types = [self.infer(item) for item in items]
                known = [t for t in item_types if t.name not in ("any", "error")]
                if any(not compatible(known[0], t) for t in known[1:]):
                    return self._problem("check.type-mismatch", "all items of a list must have the same type", node.span)
                return list_of(known[0] if known else ANY)
            case ast.Negative(operand=operand):
                found = self.infer(operand)
                if found.name not in ("number", "duration", "money", "percent", "any", "error"):
                    return self._problem("check.type-mismatch", f"cannot negate a {found}", node.span)
                return found
            case ast.Not(operand=operand):
                self.expect(operand, BOOLEAN, "what 'not' applies to")
                return BOOLEAN
            case ast.AllOf(operands=operands) | ast.AnyOf(operands=operands):
                word = "and" if isinstance(node, ast.AllOf) else "or"
                for operand in operands:
                    self.expect(operand, BOOLEAN, f"each side of '{word}'")
                return BOOLEAN
            case ast.Arithmetic():
                return self._arithmetic(node)
            case ast.Compare():
                return self._compare(node)
            case ast.Presence(operand=operand):
                self.infer(operand)
                return BOOLEAN
            case ast.CountEarlier():
                return self._count_earlier(node)
        raise AssertionError(f"no typing for {type(node).__name__}")

    # --- names ---

    def _path(self, node: ast.Path) -> Type:
        root, names = node.root, node.names
        if root == "ticket" or (root == "earlier" and self._in_history):
            extra = EARLIER_EXTRA_FIELDS if root == "earlier" else {}
            return self._record_path(node, {**{k: v.type for k, v in TICKET_FIELDS.items()}, **extra}, f"{root}.", "tickets have")
        if root == "work":
            return self._record_path(node, {name: field_type for name, (field_type, _) in WORK_FIELDS.items()}, "work.", "work has")
        if root == "earlier":
            return self._problem(
                "check.earlier-outside-count",
                "'earlier' names an earlier ticket only inside 'count earlier tickets ... where (...)'",
                node.span,
            )
        if root == "params":
            if len(names) > 1:
                return self._problem("check.unknown-field", f"parameter '{names[0]}' has no fields", node.span)
            if names[0] not in self.param_types:
                return self._problem(
                    "check.unknown-param",
                    f"no parameter named '{names[0]}' is declared",
                    node.span,
                    help=did_you_mean(names[0], self.param_types) or "declare it with 'param NAME: TYPE = DEFAULT'",
                )
            return self.param_types[names[0]]
        if root in ("agreement", "client"):
            full = names if root == "agreement" else ("client", *names)
            found = agreement_field_type(full)
            if found is None:
                return self._unknown_agreement_field(node, full)
            return found
        return self._problem(
            "check.unknown-name",
            f"'{root}' is not something a rule can read; paths start with {', '.join(ROOTS)}",
            node.span,
            help=did_you_mean(root, ROOTS),
        )

    def _record_path(self, node: ast.Path, fields: dict[str, Type], prefix: str, owner: str) -> Type:
        """``owner`` starts the message for a name that is not there: 'tickets have', 'work has'."""
        current: Type | None = None
        for depth, name in enumerate(node.names):
            if current is None:
                if name not in fields:
                    return self._problem(
                        "check.unknown-field", f"{owner} no field '{prefix}{name}'",
                        node.span, help=did_you_mean(name, fields)
                    )
                current = fields[name]
            elif current.name == "record" and current.fields is None:
                return ANY  # custom fields: whatever the export carries
            elif current.name == "record" and current.field(name):
                current = current.field(name)
            else:
                dotted = prefix + ".".join(node.names[:depth])
                return self._problem("check.unknown-field", f"'{dotted}' has no field '{name}'", node.span)
        return current or ANY

    def _unknown_agreement_field(self, node: ast.Path, full: tuple[str, ...]) -> Type:
        for cut in range(len(full) - 1, -1, -1):
            known = agreement_field_names(full[:cut])
            if known:
                return self._problem(
                    "check.unknown-field",
                    f"agreements have no field '{node.dotted}'",
                    node.span,
                    help=did_you_mean(full[cut], known) if cut < len(full) else None,
                )
        return self._problem("check.unknown-field", f"agreements have no field '{node.dotted}'", node.span)

    def _bare_name(self, node: ast.Name, name: str) -> Type:
        if name in TICKET_FIELDS:
            hint = f"did you mean 'ticket.{name}'?"
        elif name in self.param_types:
            hint = f"did you mean 'params.{name}'?"
        else:
            hint = did_you_mean(name, (*ROOTS, "true", "false")) or "text is written in double quotes"
        return self._problem("check.unknown-name", f"'{name}' is not a value a rule knows", node.span, help=hint)

    # --- calls and operators ---

    def _call(self, node: ast.Call) -> Type:
        builtin = BUILTINS.get(node.function)
        argument_types = [self.infer(argument) for argument in node.args]
        if builtin is None:
            hint = NEAR_MISSES.get(node.function)
            return self._problem(
                "check.unknown-function",
                f"there is no function '{node.function}'",
                node.span,
                help=f"did you mean '{hint}'?" if hint else did_you_mean(node.function, BUILTINS),
            )
        fewest, most = builtin.arity
        if not fewest <= len(node.args) <= most:
            wanted = str(fewest) if fewest == most else f"{fewest} to {most}"
            return self._problem(
                "check.arity",
                f"'{node.function}' takes {wanted} argument{'s' if most != 1 else ''}, found {len(node.args)}",
                node.span,
                help=f"write {builtin.signature}",
            )
        if any(t.name == "error" for t in argument_types):
            return Type("error")
        result = builtin.result(argument_types)
        if isinstance(result, str):
            return self._problem("check.type-mismatch", f"'{node.function}': {result}", node.span, help=f"write {builtin.signature}")
        return result

    def _arithmetic(self, node: ast.Arithmetic) -> Type:
        current = self.infer(node.first)
        for operator, operand in node.rest:
            right = self.infer(operand)
            if "error" in (current.name, right.name):
                current = Type("error")
                continue
            if "any" in (current.name, right.name):
                current = right if current.name == "any" else current
                continue
            result = _ARITHMETIC.get((current.name, operator, right.name))
            if result is None:
                return self._problem("check.type-mismatch", f"cannot compute {current} {operator} {right}", node.span)
            current = SCALAR_TYPES[result]
        return current

    def _compare(self, node: ast.Compare) -> Type:
        left, right = self.infer(node.left), self.infer(node.right)
        operator = node.operator
        if "error" in (left.name, right.name):
            return BOOLEAN
        if operator in _TEXT_TESTS:
            subject_ok = left.name in ("text", "any") or (operator == "contains" and left.name == "list")
            pattern_ok = right.name in ("text", "any") or (right.name == "list" and right.item and right.item.name in ("text", "any"))
            if not (subject_ok and pattern_ok):
                return self._problem("check.type-mismatch", f"'{operator}' tests text against text, found {left} and {right}", node.span)
            return BOOLEAN
        if operator in ("in", "not in"):
            if right.name not in ("list", "any"):
                return self._problem("check.type-mismatch", f"'{operator}' needs a list on its right, found {right}", node.right.span)
            item = right.item or ANY
            if not compatible(left, item):
                return self._problem("check.type-mismatch", f"cannot look for a {left} in a list of {item}", node.span)
            self._check_enum_values(left, node.right)
            return BOOLEAN
        if not compatible(left, right):
            return self._problem(
                "check.type-mismatch", f"cannot compare {left} with {right}", node.span, help=_comparison_hint(left, right)
            )
        if operator in ("<", "<=", ">", ">=") and left.name not in _ORDERABLE:
            return self._problem("check.type-mismatch", f"values of type {left} have no order", node.span)
        self._check_enum_values(left, node.right)
        self._check_enum_values(right, node.left)
        return BOOLEAN

    def _check_enum_values(self, field_type: Type, other: ast.Expr) -> None:
        """A text literal compared with a closed set of values must be one of them."""
        if not field_type.values:
            return
        literals = other.items if isinstance(other, ast.ListOf) else (other,)
        for literal in literals:
            if isinstance(literal, ast.Literal) and literal.kind == "text" and literal.value.lower() not in field_type.values:
                self._problem(
                    "check.unknown-value",
                    f"'{literal.value}' is not a possible value here; the values are {', '.join(field_type.values)}",
                    literal.span,
                    help=did_you_mean(literal.value.lower(), field_type.values),
                )

    def _count_earlier(self, node: ast.CountEarlier) -> Type:
        if node.same is not None and node.same not in ("requester", "device", "site"):
            self._problem(
                "check.unknown-field",
                f"earlier tickets can be counted for the same requester, device or site, not '{node.same}'",
                node.span,
                help=did_you_mean(node.same, ("requester", "device", "site")),
            )
        if node.window and node.window.kind == "last_days" and not node.window.days:
            self._problem("check.invalid-window", "the window must be at least 1 day", node.window.span)
        if node.condition is not None:
            if self._in_history:
                return self._problem("check.nested-count", "'count earlier tickets' cannot be used inside another", node.span)
            self._in_history = True
            try:
                self.expect(node.condition, BOOLEAN, "the 'where' condition")
            finally:
                self._in_history = False
        return NUMBER


def _comparison_hint(left: Type, right: Type) -> str | None:
    names = {left.name, right.name}
    if names == {"duration", "number"}:
        return "write a duration with its unit, like 4h or 90m, or use hours(...)"
    if names == {"money", "number"}:
        return "write money with its currency, like $150"
    if names == {"percent", "number"}:
        return "write a percentage with '%', like 10%"
    if "text" in names and names & {"duration", "money", "number", "date", "datetime"}:
        return "values in double quotes are text; write numbers, durations and dates without quotes"
    return None

