"""The checker: parsed rule files in, a ``CheckedRuleSet`` out, or every problem found.

The checker is an ordered list of passes over the whole rule set; each pass adds diagnostics
and later passes still run, so one run reports everything. Errors stop the rule set from being
compiled; warnings do not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from scopecheck.check.types import TypeChecker, declared_type
from scopecheck.diagnostics import Diagnostic, DiagnosticError, Related, Severity, did_you_mean
from scopecheck.record import field, record
from scopecheck.syntax import ast
from scopecheck.values import ANY, BOOLEAN, DURATION, MONEY, NUMBER, PERCENT, SCALAR_TYPES, Type


# The engine decides some tickets itself and names the finding like a rule (docs/agreement.md,
# "Coverage and ceilings" and "Prepaid hours"); a client rule by one of these names would make
# the history and the reports ambiguous.
RESERVED_RULE_IDS = ("uncovered_user", "uncovered_device", "over_user_ceiling", "over_device_ceiling", "prepaid_hours")


@record(slots=False)
class CheckedRuleSet:
    """Rules known to be well-typed, in the order they apply, with their parameters.

    ``types`` maps ``id(node)`` of every expression to its type; the nodes live in ``rules``
    and ``params``, so the identities stay valid as long as this value does.
    """

    files: tuple[ast.RuleFile, ...]
    rules: tuple[ast.Rule, ...]
    params: dict[str, ast.Param]
    param_types: dict[str, Type]
    types: dict[int, Type] = field(repr=False)
    warnings: tuple[Diagnostic, ...]
    version: str

    def type_of(self, expression: ast.Expr) -> Type:
        return self.types[id(expression)]


@record
class _State:
    files: tuple[ast.RuleFile, ...]
    typer: TypeChecker
    params: dict[str, ast.Param] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)


def _declarations(state: _State) -> None:
    """Rule ids and parameter names are one namespace across all files of the set."""
    first_rule: dict[str, ast.Rule] = {}
    for rule_file in state.files:
        for param in rule_file.params:
            if param.name in state.params:
                first = state.params[param.name]
                state.problems.append(
                    Diagnostic(
                        "check.duplicate-param",
                        f"parameter '{param.name}' is declared twice",
                        param.span,
                        help=f"it is first declared at {first.span}; to change its value, set it under 'params' in the agreement",
                    )
                )
                continue
            state.params[param.name] = param
        for rule in rule_file.rules:
            if rule.id in RESERVED_RULE_IDS:
                state.problems.append(
                    Diagnostic(
                        "check.reserved-id",
                        f"rule id '{rule.id}' is taken by the engine's own findings",
                        rule.span,
                        help=f"give the rule another id; '{rule.id}' is what scopecheck calls tickets it decides itself",
                    )
                )
            if rule.id in first_rule:
                state.problems.append(
                    Diagnostic(
                        "check.duplicate-rule",
                        f"rule '{rule.id}' is defined twice",
                        rule.span,
                        help="give this one another id",
                        related=(Related(first_rule[rule.id].span, f"'{rule.id}' is first defined here"),),
                    )
                )
                continue
            first_rule[rule.id] = rule


def _parameters(state: _State) -> None:
    """Each parameter's type exists and its default is a constant of that type."""
    for param in state.params.values():
        wanted = declared_type(param.type)
        if wanted is None:
            state.problems.append(
                Diagnostic(
                    "check.unknown-type",
                    f"'{param.type}' is not a type",
                    param.type.span,
                    help=did_you_mean(param.type.name, [*SCALAR_TYPES, "list"]) or f"the types are {', '.join(SCALAR_TYPES)} and list[TYPE]",
                )
            )
            # Known, though of no known type, so its uses are not reported as undeclared too.
            state.typer.param_types[param.name] = ANY
            continue
        state.typer.param_types[param.name] = wanted
    for param in state.params.values():
        if state.typer.param_types[param.name] is ANY:
            continue
        if not _is_constant(param.default):
            state.problems.append(
                Diagnostic("check.not-constant", f"the default of '{param.name}' must be a constant, not a ticket value", param.default.span)
            )
            continue
        state.typer.expect(param.default, state.typer.param_types[param.name], f"the default of '{param.name}'")


def _rules(state: _State) -> None:
    """Conditions are true-or-false, effects have the right kinds of value, texts type-check."""
    typer = state.typer
    for rule_file in state.files:
        for rule in rule_file.rules:
            typer.expect(rule.condition, BOOLEAN, f"the condition of rule '{rule.id}'")
            for effect in rule.outcome.effects:
                match effect:
                    case ast.Premium(multiplier=multiplier, hours=hours):
                        typer.expect(multiplier, NUMBER, "a premium's multiplier")
                        if hours is not None:
                            typer.expect(hours, DURATION, "the hours a premium applies to")
                    case ast.Fee(amount=amount):
                        typer.expect(amount, MONEY, "a fee")
                    case ast.MaterialsCharge(markup=markup) if markup is not None:
                        typer.expect(markup, PERCENT, "a markup on materials")
            for part in rule.because.parts if rule.because else ():
                if not isinstance(part, str):
                    typer.infer(part)


PASSES: Sequence[Callable[[_State], None]] = (_declarations, _parameters, _rules)


def check_rule_files(files: Sequence[ast.RuleFile], texts: dict[str, str] | None = None) -> CheckedRuleSet:
    """Run every pass over ``files``; raises ``DiagnosticError`` when any error was found."""
    state = _State(tuple(files), TypeChecker({}))
    for run_pass in PASSES:
        run_pass(state)
    problems = state.problems + state.typer.problems
    errors = [p for p in problems if p.severity >= Severity.ERROR]
    if errors:
        raise DiagnosticError(sorted(errors, key=_position))
    # A rule id used twice is an error above, so every rule here is the only one of its id.
    rules = [rule for rule_file in state.files for rule in rule_file.rules]
    digest = hashlib.sha256()
    for rule_file in state.files:
        digest.update(rule_file.path.encode() + b"\0" + (texts or {}).get(rule_file.path, repr(rule_file)).encode() + b"\0")
    return CheckedRuleSet(
        files=state.files,
        rules=tuple(rules),
        params=dict(state.params),
        param_types=dict(state.typer.param_types),
        types=state.typer.types,
        warnings=tuple(p for p in problems if p.severity < Severity.ERROR),
        version=digest.hexdigest()[:16],
    )


def _is_constant(expression: ast.Expr) -> bool:
    match expression:
        case ast.Literal():
            return True
        case ast.ListOf(items=items):
            return all(_is_constant(item) for item in items)
        case ast.Negative(operand=operand):
            return _is_constant(operand)
        case ast.Arithmetic(first=first, rest=rest):
            return _is_constant(first) and all(_is_constant(operand) for _, operand in rest)
    return False


def _position(diagnostic: Diagnostic) -> tuple:
    span = diagnostic.span
    return (span.path, span.line, span.column) if span else ("", 0, 0)
