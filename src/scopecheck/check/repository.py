"""Checking a repository of agreements and rule files: paths in, every finding out.

In: files and folders. Out: a ``CheckReport``, the files looked at and every diagnostic (each
once, in file order). The work runs as ordered passes, and a problem in one file never stops
the others from being checked:

1. find agreements (YAML files with a top-level ``scopecheck``, or ``client`` and ``plan``,
   key) and rule files (``*.scope``) under the paths;
2. each agreement: its schema and values, its rule files (syntax, names, types), its parameter
   overrides, then the lint with the agreement's own values;
3. each rule file no agreement reached: syntax and types with its imports, then the lint with
   the parameters' defaults and the agreement's fields left open.

A finding inside the shipped library is reported only when the library itself is checked: an
agreement's author cannot change it, and the same finding would repeat for every client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from scopecheck.agreement.load import load_agreement, parse_agreement
from scopecheck.agreement.model import RuleFileRef
from scopecheck.check.checker import CheckedRuleSet, check_rule_files
from scopecheck.check.lint import LintTarget, lint
from scopecheck.check.resolve import load_rule_files
from scopecheck.diagnostics import Diagnostic, DiagnosticError, Severity, SourceLines, Span
from scopecheck.evaluate.program import Program
from scopecheck.folders import files_under
from scopecheck.record import record, replace
from scopecheck.syntax import ast
from scopecheck.resources import in_standard_library

_AGREEMENT_KEY = re.compile(r"^(scopecheck|client|plan)\s*:", re.MULTILINE)
# A rule file checked alone is run under this agreement, so that its parameters bind and an
# example ticket can be decided; rules that read agreement.* are reasoned about with those
# values left open.
_STAND_IN_AGREEMENT = """\
scopecheck: 1
client: {name: Rule file checked alone}
plan: {model: per_user, term: {start: 2026-01-01, end: 2026-12-31}}
currency: USD
rates: {standard: 100}
rules: [standard]
"""


@record(slots=False)
class CheckReport:
    files: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)


def check_paths(paths: Iterable[str], sources: SourceLines) -> CheckReport:
    """Run every pass over the agreements and rule files under ``paths``; the texts read are
    added to ``sources`` for rendering."""
    paths = list(paths)
    found: list[Diagnostic] = []
    agreements: list[Path] = []
    rule_files: list[Path] = []
    others: list[Path] = []  # named files that are neither, which were looked at all the same
    for path, problem in _discover(paths):
        if problem is not None:
            found.append(problem)
            if path.is_file():
                others.append(path)
        elif path.suffix == ".scope":
            rule_files.append(path)
        else:
            agreements.append(path)
    if not agreements and not rule_files and not found:
        where = paths[0] if paths else "."
        found.append(Diagnostic("check.no-files", f"found no agreements or rule files to check in '{where}'", Span(where, 1, 1),
                                Severity.WARNING, help="give the folders or files that hold agreement YAML files and .scope rule files"))
    reached: set[Path] = set()
    for agreement_path in agreements:
        found.extend(_check_agreement(agreement_path, sources, reached))
    for rule_path in rule_files:
        if rule_path.resolve() not in reached:
            found.extend(_check_rule_file(rule_path, sources))
    shown_files = tuple(_shown(p) for p in (*agreements, *rule_files, *others))
    return CheckReport(shown_files, tuple(_in_order(_once(found))))


def _discover(paths: Iterable[str]) -> Iterator[tuple[Path, Diagnostic | None]]:
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            yield path, Diagnostic("check.file-not-found", f"'{given}' does not exist")
            continue
        if path.is_dir():
            unreadable: list[Diagnostic] = []
            candidates = sorted(_walk(path, unreadable))
            for problem in unreadable:
                yield path, problem
            named = False
        else:
            candidates = [path]
            named = True
        for candidate in candidates:
            if candidate.resolve() in seen:
                continue
            seen.add(candidate.resolve())
            if candidate.suffix == ".scope":
                yield candidate, None
            elif candidate.suffix in (".yaml", ".yml") and not candidate.name.endswith((".tests.yaml", ".tests.yml")):
                if _looks_like_agreement(candidate):
                    yield candidate, None
                elif named:
                    yield candidate, Diagnostic(
                        "check.not-an-agreement", f"'{given}' is not an agreement: it has no top-level 'scopecheck', 'client' or 'plan' key",
                        Span(_shown(candidate), 1, 1), help="an agreement starts with 'scopecheck: 1'",
                    )
            elif named:
                yield candidate, Diagnostic("check.not-an-agreement",
                                            f"'{given}' is neither an agreement (.yaml) nor a rule file (.scope)",
                                            Span(_shown(candidate), 1, 1))


def _walk(folder: Path, unreadable: list[Diagnostic]) -> Iterator[Path]:
    """Files that may be agreements or rule files; a folder that cannot be read is a finding."""

    def cannot_read(error: OSError) -> None:
        shown = _shown(Path(error.filename or folder))
        unreadable.append(Diagnostic("check.unreadable-file", f"cannot read the folder '{shown}': "
                                     f"{(error.strerror or str(error)).lower()}", Span(shown, 1, 1)))

    yield from files_under(folder, (".scope", ".yaml", ".yml"), cannot_read)


def _looks_like_agreement(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # let loading say why it cannot be read
    return _AGREEMENT_KEY.search(text) is not None


def _check_agreement(path: Path, sources: SourceLines, reached: set[Path]) -> list[Diagnostic]:
    try:
        agreement = load_agreement(_shown(path))
    except DiagnosticError as error:
        # A file that cannot be read has no position of its own; its first line stands in, so
        # that code scanning can still show the finding.
        return [d if d.span else replace(d, span=Span(_shown(path), 1, 1)) for d in error.diagnostics]
    try:
        loaded = load_rule_files(agreement.rule_files, agreement.folder)
    except DiagnosticError as error:
        return list(error.diagnostics)
    for shown, text in loaded.texts.items():
        sources.add(shown, text)
        reached.add(Path(shown).resolve())
    try:
        checked = check_rule_files(loaded.files, loaded.texts)
        program = Program.build(checked, agreement)
    except DiagnosticError as error:
        # The rule set as a whole cannot run; each client file is still checked and linted on
        # its own, so a mistake in one file does not hide the findings in another.
        alone = [finding for rule_file in loaded.files if not in_standard_library(rule_file.path)
                 for finding in _check_rule_file(Path(rule_file.path), sources)]
        return [*error.diagnostics, *alone]
    findings = [*checked.warnings, *lint(LintTarget(program, agreement_known=True))]
    return [finding for finding in map(_outside_library, findings) if finding is not None]


def _check_rule_file(path: Path, sources: SourceLines) -> list[Diagnostic]:
    shown = _shown(path)
    try:
        loaded = load_rule_files([RuleFileRef(str(path.resolve()), True, Span(shown, 1, 1))], path.parent, path.parent)
    except DiagnosticError as error:
        return list(error.diagnostics)
    for name, text in loaded.texts.items():
        sources.add(name, text)
    try:
        checked: CheckedRuleSet = check_rule_files(loaded.files, loaded.texts)
    except DiagnosticError as error:
        return list(error.diagnostics)
    stand_in = parse_agreement(_STAND_IN_AGREEMENT.replace("USD", _currency_of(checked)), shown)
    try:
        program = Program.build(checked, stand_in)
    except DiagnosticError as error:
        return list(error.diagnostics)
    return [*checked.warnings, *lint(LintTarget(program, agreement_known=False))]


def _currency_of(checked: CheckedRuleSet) -> str:
    """The currency the rule file's amounts are written in, for the stand-in agreement."""
    for node in ast.walk(checked.files):
        if isinstance(node, ast.Literal) and node.kind == "money" and node.value.currency:
            return node.value.currency
    return "USD"


def _outside_library(finding: Diagnostic) -> Diagnostic | None:
    """The finding with a place outside the library first, or ``None`` when it lies wholly
    inside the library."""
    if finding.span is None or not in_standard_library(finding.span.path):
        return finding
    for index, related in enumerate(finding.related):
        if not in_standard_library(related.span.path):
            others = (*finding.related[:index], *finding.related[index + 1:])
            moved = type(related)(finding.span, "the other rule, in the standard library, is here")
            return Diagnostic(finding.code, finding.message, related.span, finding.severity, finding.help, finding.notes,
                              (moved, *others))
    return None


def _once(findings: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple] = set()
    unique = []
    for finding in findings:
        key = (finding.code, finding.span, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _in_order(findings: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(findings, key=lambda d: (d.span.path, d.span.line, d.span.column) if d.span else ("", 0, 0))


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
