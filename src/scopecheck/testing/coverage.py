"""Coverage of rule files by their test cases: which rules fired, which clauses went both ways.

Stage: testing (coverage). In: the rule files the cases ran, the rules that fired on each
case's ticket, and what every ``and`` / ``or`` operand evaluated to while the cases' tickets
were decided (a ``CoverageRecorder`` is the compiler's ``trace``). Out: a frozen ``Coverage``,
file by file.

A rule is covered when it fired on the ticket of at least one case. A clause, an operand of an
``and`` or an ``or`` at any depth (inside ``not``, brackets or a ``count earlier tickets ...
where (...)`` condition too), is covered when some case evaluated it to true and some case to
false: condition coverage. Unknown (a missing value) counts as neither. Operands that ``and``
and ``or`` never reach, because an earlier operand settled the answer, are not evaluated.

Clauses are known by where they are written, so the same rule file loaded for several
agreements (``standard`` by every client) is one file to cover.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import ROUND_DOWN, Decimal

from scopecheck.diagnostics import SourceLines, Span
from scopecheck.record import record
from scopecheck.syntax import ast

_LONGEST_TEXT = 80


@record
class RuleCoverage:
    rule_id: str
    span: Span
    fired: bool


@record
class ClauseCoverage:
    """One operand of an ``and`` / ``or`` in ``rule_id``'s condition, and what it was seen to be."""

    rule_id: str
    span: Span
    text: str
    was_true: bool
    was_false: bool
    was_unknown: bool

    @property
    def covered(self) -> bool:
        return self.was_true and self.was_false

    @property
    def gap(self) -> str | None:
        """What is missing, in words; ``None`` when covered."""
        if self.covered:
            return None
        if self.was_true:
            return "was never false"
        if self.was_false:
            return "was never true"
        if self.was_unknown:
            return "was never true or false, only unknown"
        return "was never evaluated"


@record
class Tally:
    covered: int
    total: int

    @property
    def percent(self) -> Decimal | None:
        """The exact share covered, ``None`` when there is nothing to cover."""
        return Decimal(self.covered) * 100 / self.total if self.total else None

    def under(self, minimum: Decimal) -> bool:
        return self.total > 0 and self.covered * 100 < minimum * self.total

    def __str__(self) -> str:
        return f"{self.covered}/{self.total} ({format_percent(self.percent)})"


def format_percent(percent: Decimal | None) -> str:
    """Rounded down, so that 99.96% never reads as 100%."""
    if percent is None:
        return "nothing to cover"
    shown = percent.quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return f"{shown:f}".removesuffix(".0") + "%"


@record
class FileCoverage:
    path: str
    rules: tuple[RuleCoverage, ...]
    clauses: tuple[ClauseCoverage, ...]

    @property
    def rule_tally(self) -> Tally:
        return Tally(sum(rule.fired for rule in self.rules), len(self.rules))

    @property
    def clause_tally(self) -> Tally:
        return Tally(sum(clause.covered for clause in self.clauses), len(self.clauses))


@record
class Coverage:
    """The coverage of every rule file some case ran, by path."""

    files: tuple[FileCoverage, ...]

    @property
    def rule_tally(self) -> Tally:
        return Tally(sum(f.rule_tally.covered for f in self.files), sum(f.rule_tally.total for f in self.files))

    @property
    def clause_tally(self) -> Tally:
        return Tally(sum(f.clause_tally.covered for f in self.files), sum(f.clause_tally.total for f in self.files))

    def under(self, minimum: Decimal) -> tuple[str, ...]:
        """Which of ``rules`` and ``clauses`` are covered less than ``minimum`` percent."""
        return tuple(name for name, tally in (("rules", self.rule_tally), ("clauses", self.clause_tally)) if tally.under(minimum))


class CoverageRecorder:
    """Collects, over a run, the rule files cases ran, the rules that fired and what each
    clause evaluated to. Called as the compiler's ``trace``."""

    def __init__(self) -> None:
        self._seen: defaultdict[Span, set[bool | None]] = defaultdict(set)
        self._files: dict[str, ast.RuleFile] = {}
        self._fired: set[tuple[str, str]] = set()

    def __call__(self, node: ast.Expr, result: object) -> None:
        self._seen[node.span].add(result if result is True or result is False else None)

    def ran(self, files: Iterable[ast.RuleFile]) -> None:
        for rule_file in files:
            self._files.setdefault(rule_file.path, rule_file)

    def fired(self, rule_span: Span, rule_id: str) -> None:
        self._fired.add((rule_span.path, rule_id))

    def result(self, sources: SourceLines, counted: Callable[[str], bool] = lambda path: True) -> Coverage:
        """The coverage so far of the rule files ``counted`` accepts; ``sources`` gives the
        clauses' text."""
        files = []
        for path in sorted(filter(counted, self._files)):
            rule_file = self._files[path]
            rules = tuple(RuleCoverage(rule.id, rule.span, (path, rule.id) in self._fired) for rule in rule_file.rules)
            clauses = []
            for rule in rule_file.rules:
                for clause in clauses_of(rule.condition):
                    seen = self._seen.get(clause.span, set())
                    clauses.append(ClauseCoverage(rule.id, clause.span, clause_text(clause.span, sources),
                                                  True in seen, False in seen, None in seen))
            files.append(FileCoverage(path, rules, tuple(clauses)))
        return Coverage(tuple(files))


def clauses_of(expression: ast.Expr) -> list[ast.Expr]:
    """Every operand of an ``and`` / ``or`` in ``expression``, at any depth, in writing order."""
    found = [operand for node in ast.walk(expression) if isinstance(node, (ast.AllOf, ast.AnyOf)) for operand in node.operands]
    return sorted(found, key=lambda clause: (clause.span.line, clause.span.column))


def clause_text(span: Span, sources: SourceLines) -> str:
    """The clause as written, on one line, shortened when long."""
    last = span.end_line or span.line
    pieces = []
    for number in range(span.line, last + 1):
        line = sources.line(span.path, number) or ""
        end = span.end_column - 1 if number == last and span.end_column else len(line)
        start = span.column - 1 if number == span.line else 0
        pieces.append(line[start:end])
    text = re.sub(r"\s+", " ", " ".join(pieces)).strip()
    return text if len(text) <= _LONGEST_TEXT else text[: _LONGEST_TEXT - 3].rstrip() + "..."
