"""Diagnostics for people and for machines: text, JSON, SARIF, GitHub Actions commands, JUnit XML.

In: the diagnostics of a run, the files it checked, their text (``SourceLines``, for showing the
offending line) and the tool's version. Out: one document written to a text stream. Nothing here
decides what is wrong or chooses an exit code; every format is built from the same diagnostics,
so they never disagree.

Paths are shown relative to the working folder when they lie under it, as given otherwise.
Lines and columns count from 1 and a span's end column is exclusive, in every format.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePath
from typing import TextIO
from urllib.parse import quote

from scopecheck.codes import PROJECT_URL, describe
from scopecheck.diagnostics import Diagnostic, Severity, SourceLines, Span, render

FORMATS = ("text", "json", "sarif", "github", "junit")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
# Versioned, as SARIF asks of fingerprint names, so a change of recipe never matches old ones.
FINGERPRINT_NAME = "scopecheckFinding/v1"

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
_NO_FILE = "(no file)"


def tool_version() -> str:
    """The installed version of scopecheck, or ``"0"`` when it runs from a bare source tree."""
    try:
        return importlib.metadata.version("scopecheck")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def shown_path(path: str | PurePath) -> str:
    """``path`` relative to the working folder when it lies under it, else as given."""
    candidate = Path(path)
    if not candidate.is_absolute():
        return str(path)
    here = Path.cwd()
    for base, target in ((here, candidate), (here.resolve(), candidate.resolve())):
        try:
            return str(target.relative_to(base))
        except ValueError:
            continue
    return str(path)


def summary_line(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> str:
    """``3 errors, 2 warnings in 14 files``, or ``14 files checked, no problems``."""
    counted = _count_phrase(diagnostics)
    checked = _plural(len(files), "file")
    return f"{counted} in {checked}" if counted else f"{checked} checked, no problems"


# --- text ----------------------------------------------------------------------------------------


def write_text(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: TextIO,
               sources: SourceLines | None = None, version: str | None = None) -> None:
    """Each diagnostic as ``render`` shows it, a blank line between them, then the summary line.

    ``version`` is accepted so every writer is called alike; text does not show it.
    """
    sources = sources if sources is not None else SourceLines()
    for diagnostic in diagnostics:
        out.write(render(diagnostic, sources) + "\n\n")
    out.write(summary_line(diagnostics, files) + "\n")


# --- JSON ----------------------------------------------------------------------------------------


def json_report(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> dict:
    """The JSON document as a dict, keys in the order they are written."""
    counts = Counter(diagnostic.severity for diagnostic in diagnostics)
    return {
        "version": 1,
        "files": [shown_path(path) for path in files],
        "diagnostics": [_json_diagnostic(diagnostic) for diagnostic in diagnostics],
        "summary": {
            "errors": counts[Severity.ERROR],
            "warnings": counts[Severity.WARNING],
            "notes": counts[Severity.NOTE],
            "files": len(files),
        },
    }


def write_json(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: TextIO,
               sources: SourceLines | None = None, version: str | None = None) -> None:
    """``json_report`` with an indent of 2. The document's own ``version`` is that of its shape,
    which is why the tool's ``version`` is not in it."""
    out.write(json.dumps(json_report(diagnostics, files), indent=2, ensure_ascii=False) + "\n")


def _json_diagnostic(diagnostic: Diagnostic) -> dict:
    return {
        "code": diagnostic.code,
        "severity": str(diagnostic.severity),
        "message": diagnostic.message,
        **_json_place(diagnostic.span),
        "help": diagnostic.help,
        "notes": list(diagnostic.notes),
        "related": [{**_json_place(related.span), "message": related.message} for related in diagnostic.related],
    }


def _json_place(span: Span | None) -> dict:
    if span is None:
        return {"path": None, "line": None, "column": None, "end_line": None, "end_column": None}
    return {"path": shown_path(span.path), "line": span.line, "column": span.column,
            "end_line": span.end_line, "end_column": span.end_column}


# --- SARIF ---------------------------------------------------------------------------------------


def sarif_log(diagnostics: Sequence[Diagnostic], files: Sequence[str], version: str | None = None) -> dict:
    """A SARIF 2.1.0 log of one run, as a dict."""
    artifacts = _Artifacts(files)
    codes = sorted({diagnostic.code for diagnostic in diagnostics})
    first_severity: dict[str, Severity] = {}
    for diagnostic in diagnostics:
        first_severity.setdefault(diagnostic.code, diagnostic.severity)
    rules = [_sarif_rule(code, first_severity[code]) for code in codes]
    rule_index = {code: index for index, code in enumerate(codes)}
    seen: Counter[str] = Counter()
    results = []
    for diagnostic in diagnostics:
        result = {
            "ruleId": diagnostic.code,
            "ruleIndex": rule_index[diagnostic.code],
            "level": _SARIF_LEVEL[diagnostic.severity],
            "message": {"text": _message_with_hints(diagnostic)},
            "locations": [_sarif_location(diagnostic.span, artifacts)] if diagnostic.span else [],
        }
        if diagnostic.related:
            result["relatedLocations"] = [
                {"id": number, **_sarif_location(related.span, artifacts), "message": {"text": related.message}}
                for number, related in enumerate(diagnostic.related)
            ]
        fingerprint = _fingerprint(diagnostic)
        seen[fingerprint] += 1
        # The same finding twice in one file stays two results; the count keeps them apart.
        result["partialFingerprints"] = {FINGERPRINT_NAME: f"{fingerprint}:{seen[fingerprint]}"}
        results.append(result)
    driver = {
        "name": "scopecheck",
        "version": version if version is not None else tool_version(),
        "informationUri": PROJECT_URL,
        "rules": rules,
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "artifacts": artifacts.records(),
                "results": results,
                # Positions come from Python strings, which count code points, not UTF-16 units.
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def write_sarif(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: TextIO,
                sources: SourceLines | None = None, version: str | None = None) -> None:
    """``sarif_log`` with an indent of 2."""
    out.write(json.dumps(sarif_log(diagnostics, files, version), indent=2, ensure_ascii=False) + "\n")


def _sarif_rule(code: str, seen_severity: Severity) -> dict:
    info = describe(code, seen_severity)
    return {
        "id": code,
        "shortDescription": {"text": info.summary},
        "helpUri": info.help_uri,
        "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity]},
    }


class _Artifacts:
    """The run's files, checked ones first, then any other file a finding points into."""

    def __init__(self, files: Iterable[str]):
        self.index: dict[str, int] = {}
        self.checked: set[str] = set()
        for path in files:
            self.checked.add(self.add(path))

    def add(self, path: str) -> str:
        shown = shown_path(path)
        self.index.setdefault(shown, len(self.index))
        return shown

    def location(self, path: str) -> dict:
        shown = self.add(path)
        return {**_artifact_uri(shown), "index": self.index[shown]}

    def records(self) -> list[dict]:
        records = []
        for shown in self.index:
            record: dict = {"location": _artifact_uri(shown)}
            if shown in self.checked:
                record["roles"] = ["analysisTarget"]
            records.append(record)
        return records


def _artifact_uri(shown: str) -> dict:
    path = PurePath(shown)
    if path.is_absolute():
        # Outside the working folder there is no shared root to be relative to.
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path.as_posix(), safe="/"), "uriBaseId": "%SRCROOT%"}


def _sarif_location(span: Span, artifacts: _Artifacts) -> dict:
    physical: dict = {"artifactLocation": artifacts.location(span.path)}
    region = _sarif_region(span)
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _sarif_region(span: Span) -> dict | None:
    if span.line < 1:
        return None
    region = {"startLine": span.line}
    if span.column >= 1:
        region["startColumn"] = span.column
    end_line = span.end_line if span.end_line is not None else span.line
    if (span.end_line is not None or span.end_column is not None) and end_line >= span.line:
        region["endLine"] = end_line
        if span.end_column is not None and (end_line > span.line or span.end_column > span.column):
            region["endColumn"] = span.end_column
    return region


def _fingerprint(diagnostic: Diagnostic) -> str:
    """Stable across runs while the finding stays the same: it leaves out the line, which moves
    whenever something above it is edited."""
    path = shown_path(diagnostic.span.path) if diagnostic.span else ""
    return hashlib.sha256("\0".join((diagnostic.code, path, diagnostic.message)).encode("utf-8")).hexdigest()[:32]


def _message_with_hints(diagnostic: Diagnostic) -> str:
    lines = [diagnostic.message]
    if diagnostic.help:
        lines.append(f"help: {diagnostic.help}")
    lines.extend(f"note: {note}" for note in diagnostic.notes)
    return "\n".join(lines)


# --- GitHub Actions ------------------------------------------------------------------------------


def write_github(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: TextIO,
                 sources: SourceLines | None = None, version: str | None = None) -> None:
    """One workflow command per diagnostic, which GitHub shows as an annotation on the file."""
    for diagnostic in diagnostics:
        out.write(github_command(diagnostic) + "\n")


def github_command(diagnostic: Diagnostic) -> str:
    """``::error file=PATH,line=L,col=C,endLine=L,endColumn=C,title=CODE::MESSAGE``."""
    properties: list[tuple[str, object]] = []
    span = diagnostic.span
    if span is not None:
        properties.append(("file", PurePath(shown_path(span.path)).as_posix()))
        if span.line >= 1:
            properties.append(("line", span.line))
            end_line = span.end_line if span.end_line is not None else span.line
            # GitHub refuses columns on an annotation that spans several lines.
            if end_line == span.line:
                properties.append(("col", span.column))
            if (span.end_line is not None or span.end_column is not None) and end_line >= span.line:
                properties.append(("endLine", end_line))
            if end_line == span.line and span.end_column is not None and span.end_column > span.column:
                properties.append(("endColumn", span.end_column))
    properties.append(("title", diagnostic.code))
    shown = ",".join(f"{name}={escape_property(str(value))}" for name, value in properties)
    return f"::{_GITHUB_COMMAND[diagnostic.severity]} {shown}::{escape_data(_message_with_hints(diagnostic))}"


def escape_data(text: str) -> str:
    """A command's message, escaped as GitHub's actions toolkit does (``%`` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: the message escapes, and ``:`` and ``,`` which end a value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


# --- JUnit XML -----------------------------------------------------------------------------------


def junit_suite(diagnostics: Sequence[Diagnostic], files: Sequence[str], sources: SourceLines | None = None,
                fail_level: Severity = Severity.ERROR) -> ET.Element:
    """One test suite, one test case per file: it fails when a finding in it is at or above
    ``fail_level``; findings below the level are kept in its output."""
    sources = sources if sources is not None else SourceLines()
    groups: dict[str | None, list[Diagnostic]] = {shown_path(path): [] for path in files}
    for diagnostic in diagnostics:
        key = shown_path(diagnostic.span.path) if diagnostic.span else None
        groups.setdefault(key, []).append(diagnostic)
    suite = ET.Element("testsuite", name="scopecheck check")
    failures = 0
    for path, found in groups.items():
        case = ET.SubElement(suite, "testcase", classname="scopecheck.check", name=path if path is not None else _NO_FILE)
        failing = [diagnostic for diagnostic in found if diagnostic.severity >= fail_level]
        passing = [diagnostic for diagnostic in found if diagnostic.severity < fail_level]
        if failing:
            failures += 1
            failure = ET.SubElement(case, "failure", message=_count_phrase(failing), type="scopecheck")
            failure.text = _xml_text(_rendered(failing, sources))
        if passing:
            ET.SubElement(case, "system-out").text = _xml_text(_rendered(passing, sources))
    suite.set("tests", str(len(groups)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return suite


def write_junit(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: TextIO,
                sources: SourceLines | None = None, version: str | None = None,
                fail_level: Severity = Severity.ERROR) -> None:
    """``junit_suite`` as an XML document."""
    suite = junit_suite(diagnostics, files, sources, fail_level)
    ET.indent(suite)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suite, encoding="unicode") + "\n")


def _rendered(diagnostics: Iterable[Diagnostic], sources: SourceLines) -> str:
    return "\n\n".join(render(diagnostic, sources) for diagnostic in diagnostics)


# Characters XML 1.0 cannot hold at all, even escaped; a message may quote one from a binary file.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def xml_safe(root: ET.Element) -> ET.Element:
    """Every text and attribute under ``root`` with the characters XML cannot hold spelled out."""
    for element in root.iter():
        if element.text:
            element.text = _xml_text(element.text)
        if element.tail:
            element.tail = _xml_text(element.tail)
        for name, value in element.attrib.items():
            element.attrib[name] = _xml_text(value)
    return root


# --- one entry point -----------------------------------------------------------------------------

_WRITERS: dict[str, Callable[..., None]] = {
    "text": write_text,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
}


def write_diagnostics(format_name: str, diagnostics: Sequence[Diagnostic], files: Sequence[str], out: TextIO,
                      sources: SourceLines | None = None, fail_level: Severity = Severity.ERROR,
                      version: str | None = None) -> None:
    """Write ``diagnostics`` in the format named (one of ``FORMATS``); ``fail_level`` matters
    only to JUnit, where it decides which files fail."""
    if format_name == "junit":
        write_junit(diagnostics, files, out, sources, version, fail_level)
        return
    writer = _WRITERS.get(format_name)
    if writer is None:
        raise ValueError(f"'{format_name}' is not a diagnostics format; the formats are {', '.join(FORMATS)}")
    writer(diagnostics, files, out, sources, version)


# --- wording -------------------------------------------------------------------------------------


def _count_phrase(diagnostics: Iterable[Diagnostic]) -> str:
    counts = Counter(diagnostic.severity for diagnostic in diagnostics)
    words = ((Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.NOTE, "note"))
    return ", ".join(_plural(counts[severity], word) for severity, word in words if counts[severity])


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
