"""Running rule tests: loaded ``CaseFile``s in, immutable results out.

Stage: testing (run). In: the test files' paths. Out: a ``RunResult`` holding one
``FileResult`` per file (its cases' results, or the problems that make the file unusable) and,
when asked, the ``Coverage`` of the rule files the cases ran.

A case runs as ``classify`` would: its agreement (the file's, with the case's keys laid over
it) is loaded and its rule files checked; its tickets are read by the ticket reader, placed in
the agreement's time zone, and decided in the order work started, each seeing the ones before
as history. Only the case's own ticket is compared with ``expect``, and only its decision counts
towards coverage: the earlier tickets are the scene, not the test.

Problems found here:

    test.unknown-rule   ``expect`` names a rule the case's rule files do not have; the file
                        cannot be used, as the case could never pass
    agreement.*, check.*, syntax.*: the file's agreement or rule files do not load, and the
                        file cannot be used; or a case's overrides break them, and that case
                        fails. Either way at the place each part was written.
    ticket.*            the reader refuses one of a case's tickets: that case fails
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import yaml

from scopecheck.agreement.load import parse_agreement
from scopecheck.check.checker import RESERVED_RULE_IDS, CheckedRuleSet, check_rule_files
from scopecheck.check.resolve import load_rule_files
from scopecheck.diagnostics import Diagnostic, DiagnosticError, Related, SourceLines, Span, did_you_mean
from scopecheck.evaluate.decision import Decision
from scopecheck.evaluate.program import Program, decision_order, earlier_of
from scopecheck.output import describe_line
from scopecheck.record import record, replace
from scopecheck.resources import in_standard_library
from scopecheck.testing.coverage import Coverage, CoverageRecorder
from scopecheck.testing.load import Case, CaseFile, Expectation, find_test_files, load_case_file, thawed
from scopecheck.tickets.mapping import DEFAULT_MAPPING
from scopecheck.tickets.model import Ticket
from scopecheck.tickets.rows import Batch
from scopecheck.values import format_money
from scopecheck.yamlsource import JsonPath, load_yaml

# What a file that names rule files instead of an agreement runs them over: the smallest valid
# agreement, with every optional key at its default (docs/testing.md lists them).
BASE_AGREEMENT: Mapping[str, object] = {
    "scopecheck": 1,
    "client": {"name": "Test Client"},
    "plan": {"model": "per_user", "term": {"start": "2026-01-01", "end": "2026-12-31"}},
    "rates": {"standard": "$100"},
}


# --- results --------------------------------------------------------------------------------


@record
class Check:
    """One expectation compared with the decision. ``expected`` and ``actual`` are plain values
    (text, ``None`` or a tuple of texts; money as the table shows it); ``actual_key`` names
    what the actual value is, when that is not ``key`` (``reason_contains`` shows the reason)."""

    key: str
    expected: str | tuple[str, ...] | None
    actual: str | tuple[str, ...] | None
    passed: bool
    actual_key: str = ""


@record
class CaseResult:
    """A case's result. ``outcome``, ``deciding_rule`` and ``reason`` are what was decided
    (``outcome`` is ``None`` when the case could not run, and ``problems`` say why); ``diff``
    is the failure as a person reads it, ``-`` expected and ``+`` actual."""

    file: str
    name: str
    span: Span
    passed: bool
    checks: tuple[Check, ...]
    outcome: str | None
    deciding_rule: str | None
    reason: str | None
    problems: tuple[Diagnostic, ...]
    diff: tuple[str, ...]


@record
class FileResult:
    """A test file's cases, or (``problems``) why none of them could run."""

    path: str
    cases: tuple[CaseResult, ...]
    problems: tuple[Diagnostic, ...] = ()

    @property
    def usable(self) -> bool:
        return not self.problems


@record
class RunResult:
    files: tuple[FileResult, ...]
    coverage: Coverage | None

    @property
    def cases(self) -> tuple[CaseResult, ...]:
        return tuple(case for file in self.files for case in file.cases)

    @property
    def passed(self) -> int:
        return sum(case.passed for case in self.cases)

    @property
    def failed(self) -> int:
        return sum(not case.passed for case in self.cases)

    @property
    def unusable(self) -> tuple[FileResult, ...]:
        return tuple(file for file in self.files if not file.usable)


# --- the run --------------------------------------------------------------------------------


def run_paths(paths: Iterable[str | Path], sources: SourceLines, with_coverage: bool = True) -> RunResult:
    """Find the test files under ``paths`` and run them all; ``sources`` receives every rule
    file and test file read, so that diagnostics and clauses render with their lines."""
    return run_files(find_test_files(paths), sources, with_coverage)


def run_files(paths: Sequence[str | Path], sources: SourceLines, with_coverage: bool = True) -> RunResult:
    recorder = CoverageRecorder() if with_coverage else None
    programs = _Programs(sources, recorder)
    results = []
    for path in paths:
        try:
            case_file = load_case_file(path)
        except DiagnosticError as error:
            results.append(FileResult(str(path), (), error.diagnostics))
            continue
        results.append(_run_file(case_file, programs, recorder))
    if recorder is None:
        return RunResult(tuple(results), None)
    # A client's cases run the standard library too, but its coverage is the library's own
    # cases' business: it counts only when those cases are among the files run.
    library_tested = any(in_standard_library(path) for path in paths)
    coverage = recorder.result(sources, lambda rule_path: library_tested or not in_standard_library(rule_path))
    return RunResult(tuple(results), coverage)


@record
class _Built:
    program: Program
    traced: Program  # the same rules compiled with the recorder as trace (or ``program``)
    known_rules: frozenset[str]


class _Programs:
    """Programs by the agreement text they come from, and checked rule files by the files they
    load, so that a run reads and checks each rule file once per agreement folder."""

    def __init__(self, sources: SourceLines, recorder: CoverageRecorder | None):
        self.sources = sources
        self.recorder = recorder
        self._rules: dict[tuple, CheckedRuleSet] = {}
        self._built: dict[tuple[str, str], _Built | DiagnosticError] = {}

    def get(self, text: str, shown: str) -> _Built:
        """The program for agreement ``text``, named ``shown`` (which places its rule files);
        raises ``DiagnosticError``."""
        key = (shown, text)
        if key not in self._built:
            try:
                self._built[key] = self._build(text, shown)
            except DiagnosticError as error:
                self._built[key] = error
        built = self._built[key]
        if isinstance(built, DiagnosticError):
            raise built
        return built

    def _build(self, text: str, shown: str) -> _Built:
        agreement = parse_agreement(text, shown)
        rules_key = (tuple((ref.target, ref.is_path) for ref in agreement.rule_files), agreement.folder)
        checked = self._rules.get(rules_key)
        if checked is None:
            loaded = load_rule_files(agreement.rule_files, agreement.folder)
            for path, rule_text in loaded.texts.items():
                self.sources.add(path, rule_text)
            checked = self._rules[rules_key] = check_rule_files(loaded.files, loaded.texts)
        program = Program.build(checked, agreement)
        traced = Program.build(checked, agreement, trace=self.recorder) if self.recorder is not None else program
        return _Built(program, traced, frozenset(rule.id for rule in checked.rules) | frozenset(RESERVED_RULE_IDS))



# --- one file -------------------------------------------------------------------------------


def _run_file(case_file: CaseFile, programs: _Programs, recorder: CoverageRecorder | None) -> FileResult:
    try:
        scene = _Scene.of(case_file)
        base = scene.program(programs, None, ())
    except DiagnosticError as error:
        return FileResult(case_file.path, (), error.diagnostics)
    built: list[_Built | tuple[Diagnostic, ...]] = []
    for case in case_file.cases:
        try:
            built.append(scene.program(programs, case.overrides, case.where) if case.overrides is not None else base)
        except DiagnosticError as error:
            built.append(error.diagnostics)
    unknown = [problem for case, program in zip(case_file.cases, built) if isinstance(program, _Built)
               for problem in _unknown_rules(case, case_file, program.known_rules)]
    if unknown:
        return FileResult(case_file.path, (), tuple(unknown))
    return FileResult(case_file.path, tuple(_run_case(case, case_file, program, recorder) for case, program in zip(case_file.cases, built)))


def _unknown_rules(case: Case, case_file: CaseFile, known: frozenset[str]) -> Iterable[Diagnostic]:
    for expectation in case.expect:
        if expectation.key not in ("rule", "fired", "unchecked") or expectation.value is None:
            continue
        named = (expectation.value,) if expectation.key == "rule" else expectation.value
        for index, rule_id in enumerate(named):
            if rule_id not in known:
                where = case.where + ("expect", expectation.key) + ((index,) if expectation.key != "rule" else ())
                yield Diagnostic("test.unknown-rule", f"there is no rule '{rule_id}' in the rules case '{case.name}' runs",
                                 case_file.span_of(where), help=did_you_mean(rule_id, known))


class _Scene:
    """What a file's cases run against: the agreement document their overrides are laid over,
    the name it is loaded under, and where each of its parts was written."""

    def __init__(self, case_file: CaseFile, data: dict, shown: str, original: str | None, base_span: Callable[[JsonPath, bool], Span]):
        self.case_file = case_file
        self.data = data
        self.shown = shown
        self.original = original  # the agreement file's own text, loaded as it is without overrides
        self.base_span = base_span

    @classmethod
    def of(cls, case_file: CaseFile) -> _Scene:
        if case_file.agreement is not None:
            shown = case_file.agreement
            try:
                text = Path(shown).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                reason = "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else (error.strerror or str(error)).lower()
                raise DiagnosticError([Diagnostic("agreement.not-found", f"cannot read the agreement '{shown}': {reason}",
                                                  case_file.span_of(("agreement",)))]) from None
            data, source_map = load_yaml(text, shown)
            if not isinstance(data, dict):
                data = {}  # parse_agreement says what is wrong with it
            return cls(case_file, data, shown, text, lambda where, key: source_map.span_of(where, key=key))

        def base_span(where: JsonPath, key: bool) -> Span:
            # The base agreement is written nowhere; its rules are the file's own 'rules'.
            if where[:1] == ("rules",):
                return case_file.span_of(where, key=key)
            return case_file.span_of(("rules",), key=True)

        data = {**thawed(BASE_AGREEMENT), "rules": list(case_file.rules)}
        return cls(case_file, data, case_file.path, None, base_span)

    def program(self, programs: _Programs, overrides: Mapping | None, case_where: JsonPath) -> _Built:
        """The program for the agreement with ``overrides`` laid over it; raises
        ``DiagnosticError`` with every problem placed where it was written."""
        if overrides is None and self.original is not None:
            return programs.get(self.original, self.shown)
        plain = thawed(overrides) if overrides is not None else {}
        text = _yaml_text(_merged(self.data, plain))
        try:
            return programs.get(text, self.shown)
        except DiagnosticError as error:
            raise DiagnosticError(_Placer(self, text, plain, case_where).place(error.diagnostics)) from None


class _Placer:
    """Moves diagnostics about the agreement a case built (text written nowhere) to where each
    part was written: in the test file for the case's overrides, in the agreement file (or at the
    test file's 'rules') for the rest."""

    def __init__(self, scene: _Scene, text: str, overrides: dict, case_where: JsonPath):
        self.scene = scene
        self.overrides = overrides
        self.case_where = case_where
        _, built = load_yaml(text, scene.shown)
        self.parts: dict[tuple[int, int], tuple[JsonPath, bool]] = {}
        for where, span in built.value_spans.items():
            self.parts.setdefault((span.line, span.column), (where, False))
        # A mapping's value starts where its first key does; the key is the more telling place.
        for where, span in built.key_spans.items():
            self.parts[(span.line, span.column)] = (where, True)

    def place(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        return [
            replace(
                diagnostic,
                span=self._span(diagnostic.span),
                related=tuple(Related(self._span(related.span), related.message) for related in diagnostic.related),
            )
            for diagnostic in diagnostics
        ]

    def _span(self, span: Span | None) -> Span | None:
        if span is None or span.path != self.scene.shown:
            return span
        case_file = self.scene.case_file
        part = self.parts.get((span.line, span.column))
        if part is None:
            return case_file.span_of(self.case_where + ("agreement",), key=True) if self.case_where else self.scene.base_span((), True)
        where, key = part
        if self.case_where and _written_in(self.overrides, where):
            return case_file.span_of(self.case_where + ("agreement",) + where, key=key)
        return self.scene.base_span(where, key)


def _written_in(overrides: Mapping, where: JsonPath) -> bool:
    """Whether the value at ``where`` of the merged agreement came from ``overrides``."""
    node: object = overrides
    for part in where:
        if not isinstance(node, Mapping):
            return True  # inside a list or value the override replaced whole
        if part not in node:
            return False
        node = node[part]
    return True


def _merged(base: Mapping, overrides: Mapping) -> dict:
    """``overrides`` laid over ``base``: mappings merge key by key, anything else replaces, and
    a key set to null is taken out."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _merged(base[key], value)
        else:
            merged[key] = value
    return merged


class _Dumper(yaml.SafeDumper):
    pass


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    # Written as YAML floats, which the agreement reader reads back as the same Decimal.
    text = format(value, "f")
    return dumper.represent_scalar("tag:yaml.org,2002:float", text if "." in text else text + ".0")


_Dumper.add_representer(Decimal, _decimal)


def _yaml_text(document: dict) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)


# --- one case -------------------------------------------------------------------------------


def _run_case(case: Case, case_file: CaseFile, built: _Built | tuple[Diagnostic, ...], recorder: CoverageRecorder | None) -> CaseResult:
    if not isinstance(built, _Built):
        return _could_not_run(case, case_file, built)
    program = built.program
    batch = Batch(case_file.path, DEFAULT_MAPPING, "key")
    tickets: list[Ticket] = []
    problems: list[Diagnostic] = []
    for row, spec in enumerate((*case.earlier, case.ticket), 1):
        item = batch.from_object(thawed(spec.fields), row, spec.line, lambda key, where=spec.where: case_file.span_of(where + (key,)))
        if not isinstance(item, Diagnostic):
            item = program.prepare(item)
            if isinstance(item, Diagnostic) and item.span is None:
                item = replace(item, span=case_file.span_of(spec.where))
        (problems if isinstance(item, Diagnostic) else tickets).append(item)
    if problems:
        return _could_not_run(case, case_file, tuple(problems))
    own = tickets[-1]
    history = program.new_history()
    decision: Decision | None = None
    for ticket in sorted(tickets, key=decision_order):
        if ticket is own:
            decision = built.traced.decide(ticket, history)
            history.add(earlier_of(decision))
        else:
            history.add(earlier_of(program.decide(ticket, history)))
    assert decision is not None
    if recorder is not None:
        recorder.ran(program.checked.files)
        for fired in decision.fired:
            if fired.span is not None:
                recorder.fired(fired.span, fired.rule_id)
    currency = program.agreement.currency
    checks = tuple(_check(expectation, decision, currency) for expectation in case.expect)
    deciding = decision.deciding_rule.rule_id if decision.deciding_rule else None
    passed = all(check.passed for check in checks)
    return CaseResult(case_file.path, case.name, case.span, passed, checks, decision.outcome, deciding, decision.reason, (),
                      () if passed else _diff(checks, decision))


def _could_not_run(case: Case, case_file: CaseFile, problems: tuple[Diagnostic, ...]) -> CaseResult:
    wanted = case.expected("error")
    codes = tuple(dict.fromkeys(problem.code for problem in problems))
    if wanted is not None:
        check = Check("error", wanted.value, codes[0] if len(codes) == 1 else codes, wanted.value in codes)
        return CaseResult(case_file.path, case.name, case.span, check.passed, (check,), None, None, None,
                          () if check.passed else problems, () if check.passed else _diff((check,), None))
    return CaseResult(case_file.path, case.name, case.span, False, (), None, None, None, problems,
                      tuple(f"+ error: {code}" for code in codes))


def _check(expectation: Expectation, decision: Decision, currency: str) -> Check:
    key, wanted = expectation.key, expectation.value
    deciding = decision.deciding_rule.rule_id if decision.deciding_rule else None
    match key:
        case "outcome":
            return Check(key, wanted, decision.outcome, wanted == decision.outcome)
        case "rule":
            return Check(key, wanted, deciding, wanted == deciding)
        case "reason":
            return Check(key, wanted, decision.reason, wanted == decision.reason)
        case "reason_contains":
            found = all(piece.casefold() in decision.reason.casefold() for piece in wanted)
            return Check(key, wanted, decision.reason, found, actual_key="reason")
        case "fired" | "unchecked":
            actual = tuple(dict.fromkeys(f.rule_id for f in decision.fired)) if key == "fired" else tuple(u.rule_id for u in decision.undecided)
            return Check(key, wanted, actual, set(wanted) == set(actual))
        case "charges":
            lines = tuple(describe_line(line, currency) for line in decision.bill.lines)
            return Check(key, wanted, lines, wanted == lines)
        case "total":
            total = decision.bill.total
            same = wanted.amount == total and wanted.currency in (None, currency)
            return Check(key, format_money(wanted.amount, wanted.currency or currency), format_money(total, currency), same)
        case "error":
            return Check(key, wanted, None, False)
    raise AssertionError(f"no check for '{key}'")


def _diff(checks: Sequence[Check], decision: Decision | None) -> tuple[str, ...]:
    """``- key: expected`` and ``+ key: actual`` for each failed check; then the reason given,
    so that the author sees why, unless the diff already shows it."""
    lines: list[str] = []
    shows_reason = False
    for check in checks:
        if check.passed:
            continue
        actual_key = check.actual_key or check.key
        shows_reason = shows_reason or actual_key == "reason"
        lines.extend(_side("-", check.key, check.expected))
        if check.key == "error" and decision is not None:
            deciding = f" by {decision.deciding_rule.rule_id}" if decision.deciding_rule else ""
            lines.append(f"+ error: none, decided {decision.outcome}{deciding}")
        else:
            lines.extend(_side("+", actual_key, check.actual))
    if decision is not None and not shows_reason:
        lines.append(f"  reason: {_quoted(decision.reason)}")
    return tuple(lines)


def _side(sign: str, key: str, value: str | tuple[str, ...] | None) -> list[str]:
    if key in ("fired", "unchecked"):
        return [f"{sign} {key}: [{', '.join(value)}]"]
    if key in ("reason", "reason_contains"):
        value = tuple(_quoted(piece) for piece in value) if isinstance(value, tuple) else _quoted(value)
    if key == "rule" and value is None:
        value = "null (no rule decides)"
    if isinstance(value, tuple):
        if len(value) == 1 and key != "charges":
            return [f"{sign} {key}: {value[0]}"]
        return [f"{sign} {key}:" + ("" if value else " []"), *(f"{sign}   {item}" for item in value)]
    return [f"{sign} {key}: {value}"]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


__all__ = ["BASE_AGREEMENT", "CaseResult", "Check", "FileResult", "RunResult", "run_files", "run_paths"]
