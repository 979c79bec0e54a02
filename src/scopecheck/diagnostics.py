"""Diagnostics: the one shape every stage reports problems in, and how they are rendered.

In: a code (namespaced by stage: ``syntax.*``, ``check.*``, ``agreement.*``, ``ticket.*``,
``eval.*``), a severity, a lower-case message, a source span and an optional hint.
Out: text such as::

    rules/client.scope:4:8: error[syntax.unexpected-token]: expected 'then' after the condition
      4 |   thn project
        |   ^^^
    help: did you mean 'then'?

Suggestions stay data until this module renders them.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Mapping
from pathlib import Path

from scopecheck.record import field, record


@record
class Span:
    """A stretch of a source file; lines and columns count from 1, ``end_column`` is exclusive."""

    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class Severity(enum.IntEnum):
    """Ordered so that ``severity >= fail_level`` reads naturally."""

    NOTE = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@record
class Related:
    """Another place a finding is about: the other rule of an ambiguous pair, the first
    definition of a duplicate."""

    span: Span
    message: str


@record
class Diagnostic:
    """One problem found by one stage; ``span`` is ``None`` only when no position exists."""

    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    help: str | None = None
    notes: tuple[str, ...] = field(default=())
    related: tuple[Related, ...] = field(default=())

    def headline(self) -> str:
        """The first line: ``file:line:col: error[code]: message``."""
        where = f"{self.span}: " if self.span else ""
        return f"{where}{self.severity}[{self.code}]: {self.message}"


class DiagnosticError(Exception):
    """Raised by a stage that cannot hand a value to the next one; carries every finding."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.headline() for d in self.diagnostics))


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt ``word``, or ``None`` when nothing is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.7)
    if not matches and word.lower() != word:
        matches = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.7)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A ready ``help`` text for a misspelt name, or ``None``."""
    best = suggest(word, candidates)
    return f"did you mean '{best}'?" if best else None


class SourceLines:
    """Source text by path, read once, for showing the offending line under a headline.

    Text that never was a file (standard input, a test's string) is registered with ``add``.
    """

    def __init__(self, texts: Mapping[str, str] | None = None):
        self._lines: dict[str, list[str]] = {}
        for path, text in (texts or {}).items():
            self.add(path, text)

    def add(self, path: str, text: str) -> None:
        self._lines[path] = text.splitlines()

    def line(self, path: str, number: int) -> str | None:
        if path not in self._lines:
            try:
                self._lines[path] = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._lines[path] = []
        lines = self._lines[path]
        return lines[number - 1] if 0 < number <= len(lines) else None


def render(diagnostic: Diagnostic, sources: SourceLines | None = None) -> str:
    """The full text of a diagnostic: headline, source line with caret, each related place
    with its line, then help and notes."""
    out = [diagnostic.headline()]
    out.extend(_excerpt(diagnostic.span, sources))
    for related in diagnostic.related:
        out.append(f"{related.span}: {related.message}")
        out.extend(_excerpt(related.span, sources))
    if diagnostic.help:
        out.append(f"help: {diagnostic.help}")
    out.extend(f"note: {note}" for note in diagnostic.notes)
    return "\n".join(out)


def _excerpt(span: Span | None, sources: SourceLines | None) -> list[str]:
    """The source line under a span, and a caret under the span."""
    text = sources.line(span.path, span.line) if (sources and span) else None
    if span is None or text is None:
        return []
    gutter = str(span.line)
    pad = " " * len(gutter)
    same_line = span.end_line in (None, span.line)
    width = (span.end_column - span.column) if (same_line and span.end_column) else 1
    width = max(1, min(width, len(text) - span.column + 2))
    # A binary or mis-encoded file has no line worth echoing to a terminal.
    shown = "".join(char if char.isprintable() and char != "\ufffd" else "?" for char in text.expandtabs(1))
    return [f"{gutter} | {shown}", f"{pad} | {' ' * (span.column - 1)}{'^' * width}"]
