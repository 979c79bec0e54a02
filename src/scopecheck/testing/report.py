"""Rule test results as people and CI servers read them: text, JSON or JUnit XML.

Stage: testing (report). In: a ``RunResult`` (with its ``Coverage`` when measured) and the
source lines to quote. Out: text; nothing here prints or decides an exit code.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable

from scopecheck.diagnostic_formats import xml_safe
from scopecheck.diagnostics import Diagnostic, SourceLines, render
from scopecheck.testing.coverage import Coverage, Tally
from scopecheck.testing.run import CaseResult, RunResult

FORMATS = ("text", "json", "junit")
_INDENT = "    "


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(result: RunResult) -> str:
    """``12 passed, 1 failed in 3 files``, and the files that could not be used."""
    line = f"{result.passed} passed, {result.failed} failed in {_plural(len(result.files), 'file')}"
    if result.unusable:
        line += f"; {_plural(len(result.unusable), 'file')} could not be used"
    return line


# --- text -----------------------------------------------------------------------------------


def text_report(result: RunResult, sources: SourceLines) -> str:
    lines: list[str] = []
    for file in result.files:
        if not file.usable:
            lines.append(f"ERROR {file.path}: the test file cannot be used ({_plural(len(file.problems), 'problem')}, on standard error)")
            continue
        for case in file.cases:
            lines.append(f"{'PASS' if case.passed else 'FAIL'} {case.name} ({case.file}:{case.span.line})")
            if not case.passed:
                lines.extend(_failure_lines(case, sources))
    if not result.files:
        lines.append("no test files")
    lines.append(summary_line(result))
    if result.coverage is not None:
        lines.append("")
        lines.extend(coverage_lines(result.coverage))
    return "\n".join(lines) + "\n"


def _failure_lines(case: CaseResult, sources: SourceLines, indent: str = _INDENT) -> list[str]:
    lines = [indent + line for line in case.diff]
    if case.problems:
        lines.append(indent + "the case could not run:")
        for problem in case.problems:
            lines.extend(indent + line for line in render(problem, sources).splitlines())
    return lines


def coverage_lines(coverage: Coverage) -> list[str]:
    """The totals, each rule file's, then every rule and clause not covered, at its place."""
    if not coverage.files:
        return ["coverage: no rule file ran"]
    lines = [f"coverage of {_plural(len(coverage.files), 'rule file')}: rules {coverage.rule_tally}, clauses {coverage.clause_tally}"]
    width = max(len(file.path) for file in coverage.files)
    for file in coverage.files:
        lines.append(f"  {file.path:<{width}}  rules {_fraction(file.rule_tally):<7}  clauses {_fraction(file.clause_tally)}")
    for file in coverage.files:
        lines.extend(f"{rule.span}: rule '{rule.rule_id}' never fired" for rule in file.rules if not rule.fired)
        lines.extend(f"{clause.span}: clause '{clause.text}' {clause.gap}" for clause in file.clauses if not clause.covered)
    return lines


def _fraction(tally: Tally) -> str:
    return f"{tally.covered}/{tally.total}"


# --- JSON -----------------------------------------------------------------------------------


def json_report(result: RunResult) -> str:
    document = {
        "summary": {
            "passed": result.passed,
            "failed": result.failed,
            "files": len(result.files),
            "unusable_files": len(result.unusable),
        },
        "files": [
            {"path": file.path, "usable": file.usable, "cases": len(file.cases), "problems": _diagnostics(file.problems)}
            for file in result.files
        ],
        "cases": [_case_record(case) for case in result.cases],
        "coverage": coverage_record(result.coverage) if result.coverage is not None else None,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _case_record(case: CaseResult) -> dict:
    actual: dict[str, object] = {}
    if case.outcome is not None:
        actual.update(outcome=case.outcome, rule=case.deciding_rule, reason=case.reason)
    elif case.problems:
        actual["error"] = list(dict.fromkeys(problem.code for problem in case.problems))
    for check in case.checks:
        actual.setdefault(check.actual_key or check.key, _plain(check.actual))
    return {
        "file": case.file,
        "name": case.name,
        "line": case.span.line,
        "passed": case.passed,
        "expected": {check.key: _plain(check.expected) for check in case.checks},
        "actual": actual,
        "diff": list(case.diff),
        "problems": _diagnostics(case.problems),
    }


def _plain(value: str | tuple[str, ...] | None) -> str | list[str] | None:
    return list(value) if isinstance(value, tuple) else value


def _diagnostics(diagnostics: Iterable[Diagnostic]) -> list[dict]:
    return [
        {
            "code": diagnostic.code,
            "severity": str(diagnostic.severity),
            "message": diagnostic.message,
            "at": str(diagnostic.span) if diagnostic.span else None,
            "help": diagnostic.help,
        }
        for diagnostic in diagnostics
    ]


def _tally_record(tally: Tally) -> dict:
    percent = tally.percent
    return {"covered": tally.covered, "total": tally.total, "percent": float(round(percent, 2)) if percent is not None else None}


def coverage_record(coverage: Coverage) -> dict:
    return {
        "rules": _tally_record(coverage.rule_tally),
        "clauses": _tally_record(coverage.clause_tally),
        "files": [
            {
                "path": file.path,
                "rules": _tally_record(file.rule_tally),
                "clauses": _tally_record(file.clause_tally),
                "uncovered_rules": [{"rule": rule.rule_id, "at": str(rule.span)} for rule in file.rules if not rule.fired],
                "uncovered_clauses": [
                    {"rule": clause.rule_id, "at": str(clause.span), "clause": clause.text, "true": clause.was_true, "false": clause.was_false}
                    for clause in file.clauses
                    if not clause.covered
                ],
            }
            for file in coverage.files
        ],
    }


# --- JUnit XML ------------------------------------------------------------------------------


def junit_report(result: RunResult, sources: SourceLines) -> str:
    """A ``testsuite`` per test file and a ``testcase`` per case; a case that failed carries
    its diff as a ``failure``, a file that could not be used one ``error`` with its problems."""
    root = ElementTree.Element("testsuites", name="scopecheck", tests=str(len(result.cases) + len(result.unusable)),
                               failures=str(result.failed), errors=str(len(result.unusable)))
    for file in result.files:
        failed = sum(not case.passed for case in file.cases)
        suite = ElementTree.SubElement(root, "testsuite", name=file.path, file=file.path,
                                       tests=str(len(file.cases) or (0 if file.usable else 1)), failures=str(failed),
                                       errors="0" if file.usable else "1", skipped="0")
        if not file.usable:
            case = ElementTree.SubElement(suite, "testcase", name="(the test file)", classname=_class_name(file.path), file=file.path)
            error = ElementTree.SubElement(case, "error", message="the test file cannot be used", type="unusable")
            error.text = "\n".join(render(problem, sources) for problem in file.problems)
            continue
        for result_case in file.cases:
            case = ElementTree.SubElement(suite, "testcase", name=result_case.name, classname=_class_name(file.path),
                                          file=file.path, line=str(result_case.span.line))
            if not result_case.passed:
                failure = ElementTree.SubElement(case, "failure", message=_failure_message(result_case), type="mismatch")
                failure.text = "\n".join(_failure_lines(result_case, sources, indent=""))
    ElementTree.indent(root)
    return ElementTree.tostring(xml_safe(root), encoding="unicode", xml_declaration=True) + "\n"


def _class_name(path: str) -> str:
    """CI servers group test cases by dotted class names; the file's path is the natural group."""
    stem = path.removesuffix(".yaml").removesuffix(".yml")
    return stem.replace("\\", "/").strip("./").replace("/", ".")


def _failure_message(case: CaseResult) -> str:
    if case.problems:
        return f"the case could not run: {case.problems[0].code}: {case.problems[0].message}"
    failed = [check for check in case.checks if not check.passed]
    return "; ".join(f"{check.key}: expected {_one_line(check.expected)}, got {_one_line(check.actual)}" for check in failed)


def _one_line(value: str | tuple[str, ...] | None) -> str:
    if value is None:
        return "none"
    return value if isinstance(value, str) else "[" + "; ".join(value) + "]"


__all__ = ["FORMATS", "coverage_lines", "coverage_record", "json_report", "junit_report", "summary_line", "text_report"]
