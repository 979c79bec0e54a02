"""The lint: a checked rule set (and its agreement, when known) in, findings out.

Checking proves a rule set can run; the lint asks whether it says what its author meant. Each
pass below adds findings with a stable code (docs/checking.md):

    lint.missing-title, lint.missing-because   every rule explains itself
    lint.unused-param                          a declared parameter no rule reads
    lint.never-fires                           a condition that contradicts itself
    lint.shadowed                              a rule that a higher-ranked rule always beats
    lint.ambiguous                             two outcomes at one priority, with an example ticket
    lint.unused-premium                        a premium the agreement sets and no rule charges

Conditions are reasoned about with ``conditions`` (ranges and sets over the typed ticket
fields); an example ticket is printed only after the evaluator has decided it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from scopecheck.agreement.model import PREMIUM_KINDS, Agreement
from scopecheck.check import conditions
from scopecheck.check.checker import CheckedRuleSet
from scopecheck.check.conditions import MISSING, Formula, TooComplex, Translator, Var
from scopecheck.check.examples import find_example, starts_to_try
from scopecheck.diagnostics import Diagnostic, Related, Severity
from scopecheck.evaluate.compile import CompiledRule, Compiler
from scopecheck.evaluate.program import Program
from scopecheck.record import record
from scopecheck.resources import in_standard_library
from scopecheck.syntax import ast
from scopecheck.tickets.model import TICKET_FIELDS

_REQUIRED = {f"ticket.{name}" for name, spec in TICKET_FIELDS.items() if spec.required} | {"work.start"}
_MOST_EXAMPLES_PER_PAIR = 6


@record(slots=False)
class LintTarget:
    """What the lint looks at: the program built from the rule set, and whether its agreement
    is the client's own (``agreement_known``) or a stand-in for a rule file checked alone, whose
    ``agreement.*`` values are then left open."""

    program: Program
    agreement_known: bool


def lint(target: LintTarget) -> list[Diagnostic]:
    """Every pass, in order; each finding once."""
    linter = _Linter(target)
    findings: list[Diagnostic] = []
    for run_pass in (linter.explanations, linter.unused_params, linter.never_fires, linter.shadowed, linter.ambiguous,
                     linter.unused_premiums):
        findings.extend(run_pass())
    return findings


class _Linter:
    def __init__(self, target: LintTarget):
        self.program = target.program
        self.checked: CheckedRuleSet = target.program.checked
        self.agreement: Agreement = target.program.agreement
        self.agreement_known = target.agreement_known
        compiler = Compiler(self.checked, target.program.params, self.agreement)

        def constants(settings_known: bool) -> Callable[[ast.Expr], tuple[bool, object]]:
            known_values: dict[int, tuple[bool, object]] = {}

            def constant(node: ast.Expr) -> tuple[bool, object]:
                known = known_values.get(id(node))
                if known is None:
                    known = (False, None)
                    if _is_static(node, settings_known and self.agreement_known, settings_known):
                        try:
                            known = (True, compiler.constant(node))
                        except Exception:  # noqa: BLE001 - a value that cannot be computed now is not a constant
                            known = (False, None)
                    known_values[id(node)] = known
                return known

            return constant

        # With this agreement's settings, for what its tickets meet; and with the parameters and
        # the agreement left open, for contradictions: a rule that an agreement switches off
        # (a premium of 1, a surcharge of $0) is a choice, not a mistake.
        self.translator = Translator(self.checked.type_of, constants(True), _REQUIRED)
        self.open_translator = Translator(self.checked.type_of, constants(False), _REQUIRED)
        self.starts = starts_to_try(self.program)
        self._truths: dict[str, Formula | None] = {}
        self.never: set[str] = set()
        self.shadowed_ids: set[str] = set()

    # --- what every rule must say ---

    def explanations(self) -> Iterator[Diagnostic]:
        for rule in self.checked.rules:
            if not rule.title:
                yield Diagnostic("lint.missing-title", f"rule '{rule.id}' has no title", rule.span, Severity.WARNING,
                                 help=f"write what it decides after its id: rule {rule.id} \"...\"")
            if rule.because is None:
                yield Diagnostic("lint.missing-because", f"rule '{rule.id}' has no 'because'", rule.span, Severity.WARNING,
                                 help="add a 'because' text; without one, its decisions are explained by the title alone")

    def unused_params(self) -> Iterator[Diagnostic]:
        read = {node.names[0] for node in _walk_rules(self.checked.rules) if isinstance(node, ast.Path) and node.root == "params"}
        for name, param in self.checked.params.items():
            if name not in read:
                yield Diagnostic("lint.unused-param", f"parameter '{name}' is declared but no rule reads it", param.span,
                                 Severity.WARNING, help=f"remove it, or read it in a rule as params.{name}")

    # --- what conditions can do ---

    def _truth(self, rule: ast.Rule) -> Formula | None:
        if rule.id not in self._truths:
            self._truths[rule.id] = self.translator.truth(rule.condition, True)
        return self._truths[rule.id]

    def _alternatives(self, formula: Formula) -> list[conditions.Conjunction] | None:
        try:
            return conditions.dnf(formula)
        except TooComplex:
            return None

    def _never_holds(self, formula: Formula) -> bool:
        """Whether no ticket can satisfy ``formula``; ``False`` when that cannot be decided."""
        alternatives = self._alternatives(formula)
        return alternatives is not None and all(conditions.solve(term).status == "unsat" for term in alternatives)

    def never_fires(self) -> Iterator[Diagnostic]:
        for rule in self.checked.rules:
            fires = self.open_translator.truth(rule.condition, True)
            if not self._never_holds(fires):
                continue
            self.never.add(rule.id)
            tested = sorted({_shown_var(var) for var in _vars_of(fires) if var.kind != "opaque"})
            help_text = (f"no value of {tested[0]} passes every test the condition makes on it" if len(tested) == 1
                         else f"no ticket passes all of its tests at once; look at the tests on {', '.join(tested)}" if tested
                         else "its parts can never all hold at once")
            yield Diagnostic("lint.never-fires", f"rule '{rule.id}' can never fire: its condition contradicts itself",
                             rule.condition.span, Severity.ERROR, help=help_text)

    def _deciding(self) -> list[CompiledRule]:
        return [c for c in self.program.rules if c.rule.outcome.kind and c.rule.id not in self.never]

    def shadowed(self) -> Iterator[Diagnostic]:
        deciding = self._deciding()
        highest_first = sorted(deciding, key=lambda c: c.rank, reverse=True)
        for lower in deciding:
            fires = self._truth(lower.rule)
            for higher in highest_first:
                if higher.rank <= lower.rank:
                    break
                if in_standard_library(lower.rule.span.path) and not in_standard_library(higher.rule.span.path):
                    continue  # a client's rule outranking the library's is how a contract overrides it
                if not self._never_holds(conditions.conjoin(fires, conditions.negate(self._truth(higher.rule)))):
                    continue
                self.shadowed_ids.add(lower.rule.id)
                yield self._shadow_finding(lower.rule, higher.rule)
                break

    def _shadow_finding(self, lower: ast.Rule, higher: ast.Rule) -> Diagnostic:
        why = (f"priority {higher.priority} against {lower.priority}" if higher.priority != lower.priority
               else "the same priority, and it is " + ("written first" if higher.outcome.kind == lower.outcome.kind
                                                          else f"'{higher.outcome.kind}', which outranks '{lower.outcome.kind}'"))
        same = "with the same outcome" if higher.outcome.kind == lower.outcome.kind else f"deciding '{higher.outcome.kind}'"
        return Diagnostic(
            "lint.shadowed",
            f"rule '{lower.id}' never decides: whenever it fires, rule '{higher.id}' fires too and outranks it ({why})",
            lower.span, Severity.WARNING,
            help=f"remove '{lower.id}', narrow '{higher.id}', or give '{lower.id}' a priority above {higher.priority}",
            related=(Related(higher.span, f"rule '{higher.id}' ({same}) is here"),),
        )

    def ambiguous(self) -> Iterator[Diagnostic]:
        deciding = [c for c in self._deciding() if c.rule.id not in self.shadowed_ids]
        for index, first in enumerate(deciding):
            for second in deciding[index + 1:]:
                a, b = first.rule, second.rule
                if a.priority != b.priority or a.outcome.kind == b.outcome.kind:
                    continue
                alternatives = self._alternatives(conditions.conjoin(self._truth(a), self._truth(b)))
                if not alternatives:
                    continue
                example = None
                tried: set[frozenset] = set()
                for term in alternatives:
                    solution = conditions.solve(term)
                    # Alternatives often differ only in what the analysis cannot see; the same
                    # ticket is decided once, and a pair gets a few tickets, not hundreds.
                    seen = frozenset((var.key, repr(value)) for var, value in solution.values.items() if var.kind != "opaque")
                    if solution.status == "unsat" or seen in tried:
                        continue
                    tried.add(seen)
                    example = find_example(self.program, solution.values, (a.id, b.id), self._earlier_values, self.starts)
                    if example is not None or len(tried) >= _MOST_EXAMPLES_PER_PAIR:
                        break
                if example is None:
                    continue
                winner, loser = (first, second) if first.rank > second.rank else (second, first)
                yield Diagnostic(
                    "lint.ambiguous",
                    f"rules '{a.id}' ({a.outcome.kind}) and '{b.id}' ({b.outcome.kind}) can fire together at priority "
                    f"{a.priority}; only the outcome order decides between them",
                    b.span, Severity.WARNING,
                    help=f"give one of them a higher priority to say which wins; today '{winner.rule.id}' wins because "
                         f"'{winner.rule.outcome.kind}' outranks '{loser.rule.outcome.kind}'",
                    notes=(f"a ticket that fires both: {example.words()}",),
                    related=(Related(a.span, f"rule '{a.id}' is here"),),
                )

    def _earlier_values(self, node: ast.CountEarlier) -> dict[str, object] | None:
        """Fields an earlier ticket needs to pass the count's ``where`` condition."""
        for term in self._alternatives(self.translator.truth(node.condition, True)) or ():
            solution = conditions.solve(term)
            if solution.status == "unsat":
                continue
            values = {}
            for var, value in solution.values.items():
                root, _, name = var.key.partition(".")
                if root == "earlier" and name in TICKET_FIELDS:
                    values[name] = None if value is MISSING else value
            return values
        return None

    # --- the agreement against the rules ---

    def unused_premiums(self) -> Iterator[Diagnostic]:
        if not self.agreement_known:
            return
        read = {node.names[1] for node in _walk_rules(self.checked.rules)
                if isinstance(node, ast.Path) and node.root == "agreement" and node.names[:1] == ("premiums",) and len(node.names) > 1}
        for name in PREMIUM_KINDS:
            multiplier = getattr(self.agreement.premiums, name)
            if multiplier == 1 or name in read:
                continue
            if ("premiums", name) not in self.agreement.source_map.value_spans:
                continue  # a default, not something the agreement says
            yield Diagnostic(
                "lint.unused-premium",
                f"the agreement sets premiums.{name} to {multiplier}, but no rule reads it, so it is never charged",
                self.agreement.source_map.span_of(("premiums", name)), Severity.WARNING,
                help=f"add a rule that charges agreement.premiums.{name} (the standard library's {name}_premium does), or remove it",
            )


def _is_static(node: ast.Expr, agreement_known: bool, params_known: bool) -> bool:
    """Whether the node's value is fixed before any ticket arrives."""
    for part in ast.walk(node):
        if isinstance(part, ast.Path) and part.root in ("ticket", "work", "earlier"):
            return False
        if isinstance(part, ast.Path) and part.root in ("agreement", "client") and not agreement_known:
            return False
        if isinstance(part, ast.Path) and part.root == "params" and not params_known:
            return False
        if isinstance(part, (ast.CountEarlier, ast.Name)):
            return False
    return True


def _walk_rules(rules: tuple[ast.Rule, ...]) -> Iterator[object]:
    for rule in rules:
        yield from ast.walk(rule)


def _vars_of(formula: Formula) -> set[Var]:
    match formula:
        case conditions.Fact(var=var):
            return {var}
        case conditions.And(parts=parts) | conditions.Or(parts=parts):
            return set().union(*(_vars_of(part) for part in parts))
    return set()


def _shown_var(var: Var) -> str:
    if var.kind == "count":
        return "the count of earlier tickets"
    if var.kind == "opaque":
        return "an expression"
    return f"'{var.key}'"
